"""One stale-write check everywhere (issue 13 §2): concerns, absences, carers' working
time, accounts and information sharing refuse a write made on a version a colleague has
since changed, through the one ``services.errors.check_version``, and the refusal names
who changed what and when (never the values). Also the two ways ``check_version`` was
extended for them: a row that is gone named from the audit trail (``row_id``), and a
settings row made on first save (``may_be_new``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Absence, Carer, Concern, Person
from coordinator_tui.models.accounts import Account
from coordinator_tui.services import accounts, concerns
from coordinator_tui.services.errors import (
    ConflictError,
    CoordinatorError,
    check_version,
)
from coordinator_tui.services.reports import ReportsConflictError
from coordinator_tui.services.reports import sharing as sh
from coordinator_tui.services.rota import absences as A
from coordinator_tui.services.rota import carer_wtr as W
from coordinator_tui.services.rota.assign import RotaConflictError
from coordinator_tui.services.rota.plan_b import mark_absent

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WHEN = r"at \d\d:\d\d on \S+"  # formatting.time_on_date: "14:02 on 03/12"


def refused(who: str, what: str, fields: str) -> str:
    """The message of a stale write: who, which record, when, which fields, nothing lost."""
    return (
        rf"^Refused: {who} changed this {what} {WHEN} \({fields}\) since you loaded it\. "
        r"Nothing was overwritten; press F5 to reload\.$"
    )


def test_a_stale_concern_triage_is_refused_naming_who_what_when(small_demo_engine):
    with session_scope(small_demo_engine, "coordinator") as s:
        person_id = s.exec(select(Person.id).order_by(Person.id)).first()
        concern = concerns.log_concern(
            s,
            person_id=person_id,
            raised_by="School nurse",
            raised_by_role="",
            raised_on=TODAY,
            category=next(iter(concerns.category_labels())),
            details="Bruise on the arm, seen at school",
            today=TODAY,
        )
        concern_id, seen = concern.id, concern.version
    with session_scope(small_demo_engine, "colleague") as s:  # a correction, audited
        s.get(Concern, concern_id).raised_by_role = "School nurse (Year 3)"
    with (
        pytest.raises(concerns.ConcernConflictError) as caught,
        session_scope(small_demo_engine, "me") as s,
    ):
        concerns.triage_for_meeting(s, concern_id, seen, by="me")
    assert re.match(refused("colleague", "concern", "raised by role"), str(caught.value))
    assert "Year 3" not in str(caught.value)  # field names only, never values
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(Concern, concern_id).status == concerns.ConcernStatus.UNTRIAGED


def test_a_concern_triaged_since_says_by_whom(small_demo_engine):
    """Triage moves the version on: who triaged it says more than a conflict would."""
    with session_scope(small_demo_engine, "t") as s:
        row = concerns.untriaged(s)[0]
    with session_scope(small_demo_engine, "colleague") as s:
        concerns.triage_no_further_action(s, row.id, row.version, reason="seen", by="Sam")
    with (
        pytest.raises(concerns.ConcernError, match="already been triaged by Sam"),
        session_scope(small_demo_engine, "me") as s,
    ):
        concerns.triage_for_meeting(s, row.id, row.version, by="me")


def _an_absence(engine) -> tuple[int, int, date]:
    with session_scope(engine, "first") as s:
        carer_id = s.exec(select(Carer.id).order_by(Carer.id)).first()
        day = TODAY + timedelta(days=30)
        absence = mark_absent(s, carer_id, day, day)
        return absence.id, absence.version, day


def test_a_stale_absence_edit_is_refused_naming_who_what_when(small_demo_engine):
    absence_id, seen, day = _an_absence(small_demo_engine)
    with session_scope(small_demo_engine, "colleague") as s:
        A.edit_absence(s, absence_id, seen, start=day, end=day, kind="leave")
    with pytest.raises(RotaConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        A.edit_absence(s, absence_id, seen, start=day, end=day, kind="training", note="x")
    assert re.match(refused("colleague", "absence", "kind"), str(caught.value))


def test_an_absence_deleted_since_names_who_deleted_it_and_when(small_demo_engine):
    absence_id, seen, day = _an_absence(small_demo_engine)
    with session_scope(small_demo_engine, "colleague") as s:
        A.remove_absence(s, absence_id, seen, put_back=False, now=NOW)
    with pytest.raises(RotaConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        A.edit_absence(s, absence_id, seen, start=day, end=day, kind="leave")
    assert re.match(
        rf"^Refused: colleague deleted this absence {WHEN}\. Press F5 to reload\.$",
        str(caught.value),
    )
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(Absence, absence_id) is None


def _wtr(s, carer: Carer, **changes) -> int:
    values = dict(
        today=TODAY,
        date_of_birth=carer.date_of_birth,
        night_worker=carer.night_worker,
        split_shift_exempt=carer.split_shift_exempt,
        special_hazards=carer.special_hazards,
        young_night_contract=carer.young_night_contract,
        wtr_opt_out=carer.wtr_opt_out,
    )
    values.update(changes)
    return W.update_carer_working_time(s, carer.id, carer.version, **values)


def test_a_stale_carer_working_time_is_refused_naming_who_what_when(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        carer = s.exec(select(Carer).order_by(Carer.id)).first()
    with session_scope(small_demo_engine, "colleague") as s:
        _wtr(s, carer, wtr_opt_out=not carer.wtr_opt_out)
    with pytest.raises(ConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        _wtr(s, carer, special_hazards=not carer.special_hazards)
    assert re.match(refused("colleague", "carer", "wtr opt out"), str(caught.value))


def test_a_stale_night_start_is_refused_naming_who_what_when(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        seen = W.night_period(s).version
    assert seen is None  # the default in force: no settings row yet
    with session_scope(small_demo_engine, "colleague") as s:
        made = W.set_night_start(s, time(22, 30), seen, today=TODAY)
    with pytest.raises(ConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        W.set_night_start(s, time(23, 30), seen, today=TODAY)  # saw no row; one was made
    assert re.match(refused("colleague", "working time settings", "night start"), str(caught.value))
    with session_scope(small_demo_engine, "colleague") as s:
        W.set_night_start(s, time(23, 0), made.version, today=TODAY)
    with pytest.raises(ConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        W.set_night_start(s, time(23, 30), made.version, today=TODAY)
    assert re.match(refused("colleague", "working time settings", "night start"), str(caught.value))
    with session_scope(small_demo_engine, "t") as s:
        assert W.night_period(s).start == time(23, 0)


def test_a_stale_account_change_is_refused_naming_who_what_when(engine):
    with session_scope(engine, "admin.os") as s:
        for name, role in (("first.admin", "administrator"), ("jo.lead", "safeguarding_lead")):
            account_id = accounts.create_account(s, name, name, "tea kettle owl", [role], NOW)
    with session_scope(engine, "read") as s:
        seen = s.get(Account, account_id).version
    with session_scope(engine, "other.admin") as s:
        accounts.set_active(s, account_id, False, seen)
    with pytest.raises(ConflictError) as caught, session_scope(engine, "admin.os") as s:
        accounts.reset_password(s, account_id, "blue fox river", NOW, seen)
    assert re.match(refused("other.admin", "account", "active"), str(caught.value))


def test_a_stale_sharing_decision_is_refused_naming_who_what_when(small_demo_engine):
    with session_scope(small_demo_engine, "coordinator") as s:
        person_id = s.exec(select(Person.id).order_by(Person.id)).first()
        record = sh.record_request(
            s,
            person_id,
            today=TODAY,
            by="coordinator",
            occurred_on=TODAY,
            organisation="County MASH",
            role="Social worker",
            recipient="A Worker",
            what="health",
            decision="pending",
        )
        record_id, seen = record.id, record.version
    with session_scope(small_demo_engine, "colleague") as s:
        sh.decide_request(s, record_id, seen, decision="refused", decided_by="Dr L", reason="no")
    with (
        pytest.raises(ReportsConflictError) as caught,
        session_scope(small_demo_engine, "me") as s,
    ):
        sh.decide_request(s, record_id, seen, decision="refused", decided_by="Dr L", reason="x")
    fields = r"[a-z ,]*decision[a-z ,]*"  # decision, its reason, who decided...
    assert re.match(refused("colleague", "sharing record", fields), str(caught.value))


# -- check_version itself ------------------------------------------------------------------


class Row:
    def __init__(self, id: int, version: int) -> None:  # noqa: A002 - the model's name
        self.id, self.version = id, version


@pytest.mark.parametrize(
    ("row", "expected", "refused_with"),
    [
        (None, None, None),  # the default in force, the screen saw it: the caller makes it
        (None, 1, ConflictError),  # the screen saw a row that is gone
        (Row(1, 1), None, ConflictError),  # a row was made since the screen looked
        (Row(1, 2), 1, ConflictError),  # changed since
        (Row(1, 1), 1, None),  # as the screen saw it
    ],
)
def test_a_settings_row_that_may_be_new(engine, row, expected, refused_with):
    with session_scope(engine, "t") as s:
        if refused_with is None:
            check_version(s, row, "working_time_settings", expected, may_be_new=True)
        else:
            with pytest.raises(refused_with, match="^Refused: "):
                check_version(s, row, "working_time_settings", expected, may_be_new=True)


def test_a_row_gone_says_so_plainly_unless_the_domain_says_more(engine):
    with session_scope(engine, "t") as s:
        with pytest.raises(CoordinatorError, match="^That concern no longer exists$"):
            check_version(s, None, "concern", 1)
        with pytest.raises(CoordinatorError, match="^Gone: press F5$"):
            check_version(s, None, "concern", 1, gone="Gone: press F5")
        with pytest.raises(CoordinatorError, match="^Refused: someone else changed"):
            check_version(s, None, "concern", 1, row_id=123)  # no audit of it here
