"""Accounts, roles and the permission check (issue 17 §1-3): services, no screens.

The password policy (NCSC / NIST SP 800-63B: length over complexity, a deny-list, no
forced expiry), the delay after failures computed from the time passed in, sign-in with
and without TOTP, administrators' changes, the audit trail of each, and the one mechanism
(``access.require``) tried as each role.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Account, AccountRole, AuditEvent
from coordinator_tui.services import access, accounts
from coordinator_tui.services.access import NotPermittedError, StepUpRequiredError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "tea kettle owl"


def nobody():
    return access.Principal(username="(not signed in)", kind="anonymous")


def add(engine, username="jo.lead", roles=("safeguarding_lead",), password=PASSWORD, **kw):
    with session_scope(engine, "admin.os") as s:
        return accounts.create_account(s, username, "Jo Lead", password, roles, NOW, **kw)


def events(engine, action=None):
    with session_scope(engine, "read") as s:
        query = select(AuditEvent).where(AuditEvent.table_name == "account")
        if action:
            query = query.where(AuditEvent.action == action)
        return [(e.actor, e.action, e.row_id, json.loads(e.changes)) for e in s.exec(query)]


# -- the password policy -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("short", "too short"),
        ("elevenchars", "too short"),
        ("twelve chars", None),  # 12 characters
        ("tea kettle owl", None),  # three words, 14 characters
        ("red fox sky", None),  # three words, 11 characters: words count as well as length
        ("password1234", "too common"),
        ("Password123!", "too common"),  # a listed password with digits and a symbol added
        ("qwertyuiopasdf", None),  # not on the list as a whole
        ("correct horse battery staple", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),  # one character repeated
        ("jo.lead-is-great", "user name"),
        ("x" * 300, "too long"),
    ],
)
def test_password_policy_table(password, refused):
    """Issue 17 §1: at least 12 characters or three words, not a common password."""
    problem = accounts.password_problem(password, "jo.lead")
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=11) | st.from_regex(r"[A-Za-z0-9 .¹]{0,11}", fullmatch=True))
def test_a_password_under_12_characters_is_accepted_only_as_three_words(text):
    if accounts.password_problem(text) is None:
        runs = "".join(ch if ch.isalpha() else " " for ch in text).split()
        assert len([run for run in runs if len(run) >= 3]) >= 3


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(accounts.common_passwords())), st.text("0123456789!?.", max_size=4))
def test_every_common_password_is_refused_with_digits_or_symbols_added(word, tail):
    assert accounts.password_problem(word + tail) is not None


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=12, max_size=40, alphabet=st.characters(codec="utf-8")))
def test_the_policy_never_raises_and_answers_in_one_line(text):
    problem = accounts.password_problem(text)
    assert problem is None or ("\n" not in problem and len(problem) < 120)


def test_the_deny_list_is_real_reference_data():
    common = accounts.common_passwords()
    assert len(common) >= 300
    assert {"123456", "password", "qwerty", "iloveyou", "letmein"} <= common


# -- the delay after failures ----------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 5), (6, 10), (7, 20), (9, 80), (20, 900), (100, 900)],
)
def test_delay_grows_after_five_failures_and_is_capped(failures, seconds):
    assert accounts.delay_after(failures) == timedelta(seconds=seconds)


def test_wait_is_computed_from_the_time_passed_in():
    account = Account(username="x", failed_attempts=6, last_failed_at=NOW)
    assert accounts.wait_remaining(account, NOW + timedelta(seconds=3)) == timedelta(seconds=7)
    assert accounts.wait_remaining(account, NOW + timedelta(seconds=10)) == timedelta(0)


# -- signing in ---------------------------------------------------------------------------


def sign_in(engine, username, password, now=NOW, code=""):
    with session_scope(engine, nobody()) as s:
        return accounts.sign_in(s, username, password, now, code)


def test_sign_in_gives_the_principal_and_is_audited(engine):
    account_id = add(engine, roles=("safeguarding_coordinator",))
    outcome = sign_in(engine, "Jo.Lead ", PASSWORD)
    principal = outcome.principal
    assert principal is not None and principal.account_id == account_id
    assert principal.can("edit_register") and principal.can("view_register")  # nested
    assert not principal.can("manage_users")
    assert principal.authenticated_at == NOW and principal.must_change_password
    assert ("jo.lead", "sign-in", account_id, {}) in events(engine)


def test_wrong_password_is_one_line_and_counts(engine):
    account_id = add(engine)
    outcome = sign_in(engine, "jo.lead", "tea kettle cat")
    assert outcome.principal is None and outcome.message == accounts.NOT_RECOGNISED
    unknown = sign_in(engine, "nobody.here", PASSWORD)
    assert unknown.message == accounts.NOT_RECOGNISED  # the same line: which was wrong is not said
    fails = events(engine, "sign-fail")
    assert ("(not signed in)", "sign-fail", account_id, {"reason": "password"}) in fails
    assert ("(not signed in)", "sign-fail", None, {"reason": "unknown user name"}) in fails
    assert all(PASSWORD not in json.dumps(e) and "cat" not in json.dumps(e) for e in fails)
    with session_scope(engine, "read") as s:
        assert s.get(Account, account_id).failed_attempts == 1


def test_after_five_failures_the_next_attempt_waits_even_with_the_right_password(engine):
    add(engine)
    for i in range(5):
        sign_in(engine, "jo.lead", "wrong wrong wrong", NOW + timedelta(seconds=i))
    last_failure = NOW + timedelta(seconds=4)
    early = sign_in(engine, "jo.lead", PASSWORD, last_failure + timedelta(seconds=2))
    assert early.principal is None and "wait 3 s" in early.message
    later = sign_in(engine, "jo.lead", PASSWORD, last_failure + timedelta(seconds=6))
    assert later.principal is not None
    with session_scope(engine, "read") as s:
        assert s.exec(select(Account.failed_attempts)).one() == 0


def test_totp_is_asked_after_the_password(engine):
    account_id = add(engine)
    secret = pyotp.random_base32()
    with session_scope(engine, "admin.os") as s:
        accounts.set_totp(s, account_id, secret)
    asked = sign_in(engine, "jo.lead", PASSWORD)
    assert asked.needs_code and asked.principal is None
    wrong = sign_in(engine, "jo.lead", PASSWORD, code="000000")
    assert wrong.principal is None and not wrong.needs_code
    right = sign_in(engine, "jo.lead", PASSWORD, code=pyotp.TOTP(secret).at(NOW))
    assert right.principal is not None
    # the secret itself never reaches the audit trail
    assert secret not in json.dumps(events(engine))


def test_disabled_account_cannot_sign_in(engine):
    add(engine, "first.admin", roles=("administrator",))
    account_id = add(engine)
    with session_scope(engine, "admin.os") as s:
        accounts.set_active(s, account_id, False)
    outcome = sign_in(engine, "jo.lead", PASSWORD)
    assert outcome.principal is None and "disabled" in outcome.message


def test_password_hash_is_argon2id_and_never_in_the_audit_trail(engine):
    account_id = add(engine)
    with session_scope(engine, "read") as s:
        stored = s.get(Account, account_id).password_hash
    assert stored.startswith("$argon2id$")
    text = json.dumps(events(engine)) + json.dumps([json.loads(c) for c in _all_changes(engine)])
    assert stored not in text and PASSWORD not in text


def _all_changes(engine):
    with session_scope(engine, "read") as s:
        return list(s.exec(select(AuditEvent.changes)))


# -- administrators' changes ----------------------------------------------------------------


def test_first_administrator_only_on_an_empty_table(engine):
    with session_scope(engine, nobody()) as s:
        principal = accounts.create_first_administrator(s, "jo.lead", "Jo", PASSWORD, NOW)
    assert principal.can("manage_users") and principal.practice_ids is None
    with pytest.raises(accounts.AccountError), session_scope(engine, nobody()) as s:
        accounts.create_first_administrator(s, "someone", "S", PASSWORD, NOW)


def test_managing_users_needs_the_activity(engine):
    add(engine, "first.admin", roles=("administrator",))
    supervisor = access.make_principal("sam", ["care_supervisor"])
    with pytest.raises(NotPermittedError) as refused, session_scope(engine, supervisor) as s:
        accounts.create_account(s, "new.one", "New", PASSWORD, ["care_supervisor"], NOW)
    assert "accounts" in str(refused.value) and "Care supervisor" in str(refused.value)


def test_role_grants_are_audited_rows_and_the_last_administrator_is_kept(engine):
    admin_id = add(engine, "first.admin", roles=("administrator",))
    account_id = add(engine)
    with session_scope(engine, "admin.os") as s:
        accounts.set_roles(s, account_id, ["Care supervisor", "read_only_auditor"])
        assert accounts.roles_of(s, account_id) == ["care_supervisor", "read_only_auditor"]
    with session_scope(engine, "read") as s:
        grants = s.exec(
            select(AuditEvent.action).where(AuditEvent.table_name == "account_role")
        ).all()
    assert grants.count("delete") == 1 and grants.count("insert") >= 3
    last = pytest.raises(accounts.AccountError, match="last active administrator")
    with last, session_scope(engine, "admin.os") as s:
        accounts.set_roles(s, admin_id, ["care_supervisor"])
    unknown = pytest.raises(accounts.AccountError, match="Unknown role")
    with unknown, session_scope(engine, "admin.os") as s:
        accounts.set_roles(s, account_id, ["wizard"])


def test_reset_clears_failures_and_asks_for_a_new_password(engine):
    account_id = add(engine)
    for _ in range(6):
        sign_in(engine, "jo.lead", "wrong wrong wrong")
    with session_scope(engine, "admin.os") as s:
        accounts.reset_password(s, account_id, "blue fox river", NOW)
    outcome = sign_in(engine, "jo.lead", "blue fox river")
    assert outcome.principal is not None and outcome.principal.must_change_password
    with session_scope(engine, outcome.principal) as s:
        accounts.change_own_password(s, "blue fox river", "green owl lake", NOW)
    assert sign_in(engine, "jo.lead", "green owl lake").principal.must_change_password is False


def test_a_stale_change_is_refused_naming_who(engine):
    add(engine, "first.admin", roles=("administrator",))
    account_id = add(engine)
    with session_scope(engine, "read") as s:
        seen = s.get(Account, account_id).version
    with session_scope(engine, "other.admin") as s:
        accounts.reset_password(s, account_id, "blue fox river", NOW)
    refused = pytest.raises(accounts.ConflictError, match="other.admin")
    with refused, session_scope(engine, "admin.os") as s:
        accounts.set_active(s, account_id, False, seen)


# -- the one mechanism, as each role --------------------------------------------------------

EXPECTED = {
    # role: activities allowed (nested ones included); everything else refused
    "safeguarding_lead": {
        "view_register", "edit_register", "view_sensitive", "break_glass", "meetings",
        "reports", "export", "audit_review", "governance", "view_customers", "care_reports",
    },
    "safeguarding_coordinator": {
        "view_register", "edit_register", "view_sensitive", "break_glass", "meetings",
        "reports", "export", "care_reports",
    },
    "safeguarding_administrator": {"view_register", "edit_register", "meetings", "reports"},
    "homecare_coordinator": {"rota", "governance", "view_customers", "export", "care_reports"},
    "care_supervisor": {"view_customers", "governance"},
    "read_only_auditor": {
        "view_register", "view_customers", "reports", "audit_review", "care_reports",
    },
    "administrator": {"manage_users", "audit_review"},
}  # fmt: skip


def test_permission_matrix_is_what_roles_json_says():
    assert {role: set(acts) for role, acts in access.permission_matrix().items()} == EXPECTED


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("activity", sorted(access.catalogue().activities))
def test_require_as_each_role(role, activity):
    """The unit of work carries the principal (``session.info``, as ``db.identify`` puts
    it): ``require`` reads nothing else, so no database is needed here."""
    principal = access.make_principal(f"{role}.user", [role])
    unit = SimpleNamespace(info={access.PRINCIPAL_KEY: principal})
    if activity in EXPECTED[role]:
        assert access.require(unit, activity) is principal
    else:
        with pytest.raises(NotPermittedError, match="Not permitted: your roles"):
            access.require(unit, activity)


def test_nobody_signed_in_may_do_nothing(engine):
    refused = pytest.raises(NotPermittedError, match="Nobody is signed in")
    with session_scope(engine, nobody()) as s, refused:
        access.require(s, "view_register")


def test_practice_scope(engine):
    principal = access.make_principal("gp.one", ["safeguarding_coordinator"], practice_ids=[1])
    with session_scope(engine, principal) as s:
        access.require(s, "view_register", practice_id=1)
        access.require(s, "view_register", practice_id=None)  # a customer of no practice
        with pytest.raises(NotPermittedError, match="outside your access"):
            access.require(s, "view_register", practice_id=2)
    pcn = access.make_principal("pcn", ["safeguarding_coordinator"])
    with session_scope(engine, pcn) as s:
        assert access.in_scope_clause(s, AccountRole.id) is None
        access.require(s, "view_register", practice_id=2)


def test_person_record_read_is_refused_outside_role_and_scope(small_demo_engine):
    from coordinator_tui.models import Person
    from coordinator_tui.services.people import person_summary

    with session_scope(small_demo_engine, "read") as s:
        person_id, practice_id = s.exec(
            select(Person.id, Person.practice_id).where(Person.practice_id.is_not(None))
        ).first()
    homecare = access.make_principal("hc", ["homecare_coordinator"])
    with pytest.raises(NotPermittedError), session_scope(small_demo_engine, homecare) as s:
        person_summary(s, person_id)
    elsewhere = access.make_principal("gp", ["safeguarding_lead"], practice_ids=[practice_id + 99])
    with pytest.raises(NotPermittedError), session_scope(small_demo_engine, elsewhere) as s:
        person_summary(s, person_id)
    own = access.make_principal("gp", ["safeguarding_lead"], practice_ids=[practice_id])
    with session_scope(small_demo_engine, own) as s:
        assert person_summary(s, person_id) is not None


def test_exports_need_the_activity_and_a_recent_password(small_demo_engine, tmp_path):
    from coordinator_tui.services.meetings import minutes

    supervisor = access.make_principal("sam", ["care_supervisor"], authenticated_at=NOW)
    with pytest.raises(NotPermittedError), session_scope(small_demo_engine, supervisor) as s:
        minutes.export_minutes(s, 4, "md", tmp_path / "m.md")
    stale = access.make_principal(
        "jo", ["safeguarding_lead"], authenticated_at=datetime.now(UTC) - timedelta(minutes=6)
    )
    with pytest.raises(StepUpRequiredError), session_scope(small_demo_engine, stale) as s:
        minutes.export_minutes(s, 4, "md", tmp_path / "m.md")
    assert not (tmp_path / "m.md").exists()
    fresh = stale.authenticated(datetime.now(UTC))
    with session_scope(small_demo_engine, fresh) as s:
        minutes.export_minutes(s, 4, "md", tmp_path / "m.md")
    assert (tmp_path / "m.md").exists()


def test_the_audit_actor_is_the_signed_in_username(engine):
    account_id = add(engine)
    principal = sign_in(engine, "jo.lead", PASSWORD).principal
    with session_scope(engine, principal) as s:
        accounts.record_event(s, principal, "lock", reason="idle")
    assert ("jo.lead", "lock", account_id, {"reason": "idle"}) in events(engine)


def test_lock_after_minutes_setting(tmp_path):
    """Issue 17 §3: default 5 minutes, a setting up to 15."""
    from coordinator_tui.settings import SettingsError, load_settings

    config = tmp_path / "settings.toml"
    assert load_settings(str(tmp_path / "x.db"), config).lock_after_minutes == 5
    config.write_text("lock_after_minutes = 15\n")
    assert load_settings(str(tmp_path / "x.db"), config).lock_after_minutes == 15
    for bad in ("0", "16", '"ten"'):
        config.write_text(f"lock_after_minutes = {bad}\n")
        with pytest.raises(SettingsError, match="lock_after_minutes"):
            load_settings(str(tmp_path / "x.db"), config)
