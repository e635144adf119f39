"""An outcome's follow-on and the case conferences after it (services, no screen).

The timescales are Working Together to Safeguard Children (2023), chapter 4: the initial
child protection conference within 15 working days of the strategy discussion (or of
the last strategy discussion if there was more than one); the first review conference
within 3 months of the initial conference, later reviews within 6 months of the previous
one. A chase proposes the next chase-by date from the referral type's expected response
(``data/referral_types.json``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from queue_oracle import whole_referrals
from sqlalchemy import text
from sqlmodel import func, select

from coordinator_tui.clock import UK
from coordinator_tui.db import create_db_engine, resolve_target, session_scope, upgrade
from coordinator_tui.models import (
    Action,
    AuditEvent,
    CaseConference,
    Person,
    Practice,
    Referral,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.dates import is_working_day, working_days_between
from coordinator_tui.services.reference import load_register_categories, sync_register_categories

TODAY = date(2027, 1, 15)  # a Friday


@pytest.fixture
def person_id(engine) -> int:
    with session_scope(engine, "setup") as s:
        sync_register_categories(s, load_register_categories(), today=TODAY)
        practice = Practice(ods_code="A1", name="Alpha", short_name="Alpha")
        s.add(practice)
        s.flush()
        person = Person(
            nhs_number="9990000018",
            given_name="Sam",
            family_name="Example",
            search_name="example sam",
            date_of_birth=date(2016, 3, 3),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        return person.id


def _with_outcome(
    engine, person_id: int, outcome: str, sent: date, received: date
) -> tuple[int, int]:
    """A MASH referral sent on ``sent`` with ``outcome`` received on ``received``."""
    with session_scope(engine, "coord") as s:
        r = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="MASH",
            reason="x",
            by="coord",
            today=sent,
        )
        rid = r.id
        version = ref.advance(s, rid, r.version, to_state="sent", on=sent, by="c", today=TODAY)
        version = version.version
        referral = ref.record_outcome(
            s,
            rid,
            version,
            outcome_type=outcome,
            notes="",
            received_on=received,
            by="coord",
            today=TODAY,
        )
        return rid, referral.version


# -- the rules, table-driven -------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome_on", "strategy_on", "due"),
    [
        # Working Together 2023 4.54: initial conference within 15 working days of the
        # strategy discussion.
        (date(2026, 12, 1), None, date(2026, 12, 22)),  # not known: from the outcome
        (date(2026, 12, 8), date(2026, 12, 1), date(2026, 12, 22)),  # from the discussion
        (date(2026, 12, 8), date(2026, 12, 8), date(2026, 12, 31)),  # over Christmas
        (date(2027, 3, 26), date(2027, 3, 19), date(2027, 4, 13)),  # over Easter 2027
    ],
)
def test_initial_conference_counted_from_the_strategy_discussion(outcome_on, strategy_on, due):
    for outcome in ("initial_cp_conference", "strategy_s47"):
        plan = ref.follow_on(outcome, outcome_on, strategy_on)
        assert plan.conference_kind == "initial_cp" and plan.conference_due == due
        assert plan.asks_strategy_date
        assert f"due by {due:%d/%m/%Y}" in plan.text
        assert "15 working days from the strategy discussion" in plan.text


def test_follow_on_labels_fit_a_dialog_at_80_columns():
    """A field label is one line of the dialog (66 columns inside its border at 80)."""
    for outcome in ref.OUTCOMES:
        plan = ref.follow_on(outcome, TODAY, TODAY)
        assert len(plan.question) <= 66, plan.question
        assert bool(plan.text) == bool(plan.question)


@pytest.mark.parametrize(
    ("kind", "held_on", "next_due"),
    [
        # Working Together 2023 4.66: first review within 3 months of the initial conference
        ("initial_cp", date(2027, 1, 15), date(2027, 4, 15)),
        ("initial_cp", date(2026, 11, 30), date(2027, 2, 28)),  # no 30 February
        # ... then within 6 months of the previous review actually held
        ("review_cp", date(2027, 4, 20), date(2027, 10, 20)),
        ("review_cp", date(2027, 8, 31), date(2028, 2, 29)),  # leap year
        ("strategy", date(2027, 1, 15), None),
        ("s42_planning", date(2027, 1, 15), None),
    ],
)
def test_next_review_conference_due(kind, held_on, next_due):
    assert ref.next_review_conference_due(kind, held_on) == next_due


# -- the follow-on ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "register", "conference"),
    [
        ("child_in_need", "CIN", False),
        ("initial_cp_conference", None, True),
        ("strategy_s47", "CFC", True),  # child in family or household of concern
        ("s42_enquiry", "S42E", False),
        ("marac_actions", "MARAC", False),
        ("no_further_action", None, False),
    ],
)
def test_apply_follow_on_does_what_the_outcome_implies(
    engine, person_id, outcome, register, conference
):
    rid, version = _with_outcome(engine, person_id, outcome, date(2027, 1, 4), date(2027, 1, 8))
    strategy = date(2027, 1, 6) if conference else None
    with session_scope(engine, "coord") as s:
        done = ref.apply_follow_on(
            s,
            rid,
            version,
            take=True,
            strategy_discussion_on=strategy,
            action="Flag the record",
            owner="HV",
            due=TODAY + timedelta(days=7),
            by="coord",
            today=TODAY,
        )
    with session_scope(engine, "t") as s:
        codes = s.exec(select(RegisterCategory.code).join(RegisterEntry)).all()
        conferences = s.exec(select(CaseConference)).all()
        actions = s.exec(select(Action)).all()
        referral = s.get(Referral, rid)
    assert codes == ([register] if register else [])
    assert len(actions) == 1 and "action added" in done
    if conference:
        (c,) = conferences
        assert c.kind == "initial_cp" and c.held_on is None
        assert c.due_date == date(2027, 1, 27)  # 15 working days from Wed 6 January
        assert referral.strategy_discussion_on == strategy
    else:
        assert conferences == [] and referral.strategy_discussion_on is None


def test_apply_follow_on_twice_adds_nothing_twice(engine, person_id):
    rid, version = _with_outcome(
        engine, person_id, "strategy_s47", date(2027, 1, 4), date(2027, 1, 8)
    )
    with session_scope(engine, "coord") as s:
        ref.apply_follow_on(s, rid, version, take=True, by="c", today=TODAY)
        version = s.get(Referral, rid).version
    # Again, the strategy discussion now known: the conference moves, nothing doubles.
    with session_scope(engine, "coord") as s:
        done = ref.apply_follow_on(
            s,
            rid,
            version,
            take=True,
            strategy_discussion_on=date(2027, 1, 5),
            by="c",
            today=TODAY,
        )
    assert any(d.startswith("already on the") for d in done)
    with session_scope(engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 1
        (conference,) = s.exec(select(CaseConference)).all()
        assert conference.due_date == date(2027, 1, 26)


def test_not_now_keeps_the_strategy_date_and_adds_nothing_else(engine, person_id):
    rid, version = _with_outcome(
        engine, person_id, "initial_cp_conference", date(2027, 1, 4), date(2027, 1, 8)
    )
    with session_scope(engine, "coord") as s:
        done = ref.apply_follow_on(
            s,
            rid,
            version,
            take=False,
            strategy_discussion_on=date(2027, 1, 7),
            by="c",
            today=TODAY,
        )
    assert done == []
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).strategy_discussion_on == date(2027, 1, 7)
        assert s.scalar(select(func.count()).select_from(CaseConference)) == 0


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (TODAY + timedelta(days=1), "future"),
        (date(2027, 1, 1), "before the referral was sent"),
    ],
)
def test_follow_on_refuses_a_strategy_date_that_cannot_be(engine, person_id, strategy, message):
    rid, version = _with_outcome(
        engine, person_id, "initial_cp_conference", date(2027, 1, 4), date(2027, 1, 8)
    )
    audits = _audits(engine)
    with pytest.raises(ref.ReferralError, match=message), session_scope(engine, "c") as s:
        ref.apply_follow_on(
            s, rid, version, take=True, strategy_discussion_on=strategy, by="c", today=TODAY
        )
    assert _audits(engine) == audits


def test_follow_on_needs_an_outcome_and_the_version_seen(engine, person_id):
    with session_scope(engine, "c") as s:
        r = ref.create_referral(
            s, person_id=person_id, referral_type="MASH", reason="x", by="c", today=TODAY
        )
        rid, version = r.id, r.version
    with pytest.raises(ref.ReferralError, match="outcome first"), session_scope(engine, "c") as s:
        ref.apply_follow_on(s, rid, version, take=True, by="c", today=TODAY)
    rid, version = _with_outcome(
        engine, person_id, "child_in_need", date(2027, 1, 4), date(2027, 1, 8)
    )
    with session_scope(engine, "j.bloggs") as s:  # a colleague closes it meanwhile
        ref.advance(s, rid, version, to_state="closed", on=TODAY, by="j.bloggs", today=TODAY)
    stale = pytest.raises(ref.ReferralConflictError, match="j.bloggs changed this referral at")
    with stale, session_scope(engine, "c") as s:
        ref.apply_follow_on(s, rid, version, take=True, by="c", today=TODAY)
    with session_scope(engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 0


def _audits(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


# -- conferences -------------------------------------------------------------------------


def _diarised(engine, person_id: int) -> int:
    rid, version = _with_outcome(
        engine, person_id, "initial_cp_conference", date(2027, 1, 4), date(2027, 1, 8)
    )
    with session_scope(engine, "c") as s:
        ref.apply_follow_on(
            s,
            rid,
            version,
            take=True,
            strategy_discussion_on=date(2027, 1, 6),
            by="c",
            today=TODAY,
        )
    return rid


def _hold_next(engine, rid: int, on: date, plan: str, today: date) -> CaseConference | None:
    with session_scope(engine, "c") as s:
        conference = ref.next_conference(s, rid)
        return ref.record_conference_held(
            s, conference.id, conference.version, held_on=on, plan=plan, notes="", today=today
        )


def test_each_review_is_due_from_the_last_one_held(engine, person_id):
    rid = _diarised(engine, person_id)
    # Initial conference held late (due 27/01), a plan made: first review in 3 months.
    first = _hold_next(engine, rid, date(2027, 1, 29), "made", date(2027, 2, 1))
    assert (first.kind, first.due_date) == ("review_cp", date(2027, 4, 29))
    # The review held early: the next one is 6 months from the day it was held.
    second = _hold_next(engine, rid, date(2027, 4, 12), "continues", date(2027, 4, 12))
    assert second.due_date == date(2027, 10, 12)
    # The plan ends at the next review: nothing more is diarised.
    assert _hold_next(engine, rid, date(2027, 10, 1), "ended", date(2027, 10, 1)) is None
    with session_scope(engine, "t") as s:
        detail = ref.referral_detail(s, rid)
    assert [(c.kind, c.held_on) for c in detail.conferences] == [
        ("initial_cp", date(2027, 1, 29)),
        ("review_cp", date(2027, 4, 12)),
        ("review_cp", date(2027, 10, 1)),
    ]
    assert detail.conferences[0].outcome == "Child protection plan made"
    assert detail.next_review_due is None


def test_no_plan_at_the_initial_conference_means_no_review(engine, person_id):
    rid = _diarised(engine, person_id)
    assert _hold_next(engine, rid, date(2027, 1, 20), "none", date(2027, 1, 20)) is None
    with session_scope(engine, "t") as s:
        assert ref.next_conference(s, rid) is None


@pytest.mark.parametrize(
    ("held_on", "plan", "message"),
    [
        (TODAY + timedelta(days=1), "made", "future"),
        (date(2027, 1, 5), "made", "before the last conference or strategy discussion"),
        (date(2027, 1, 12), "ended", "Say what the conference decided"),
    ],
)
def test_recording_a_conference_refuses_what_cannot_be(engine, person_id, held_on, plan, message):
    rid = _diarised(engine, person_id)
    with session_scope(engine, "t") as s:
        conference = ref.next_conference(s, rid)
    with pytest.raises(ref.ReferralError, match=message), session_scope(engine, "c") as s:
        ref.record_conference_held(
            s,
            conference.id,
            conference.version,
            held_on=held_on,
            plan=plan,
            notes="",
            today=TODAY,
        )
    with session_scope(engine, "t") as s:
        assert s.get(CaseConference, conference.id).held_on is None


def test_a_conference_changed_meanwhile_is_refused_with_who_and_when(engine, person_id):
    rid = _diarised(engine, person_id)
    with session_scope(engine, "t") as s:
        conference = ref.next_conference(s, rid)
    _hold_next(engine, rid, date(2027, 1, 12), "made", TODAY)  # a colleague got there first
    with (
        pytest.raises(ref.ReferralConflictError, match="changed this case conference at"),
        session_scope(engine, "c") as s,
    ):
        ref.record_conference_held(
            s,
            conference.id,
            conference.version,
            held_on=date(2027, 1, 13),
            plan="made",
            notes="",
            today=TODAY,
        )


# -- chases ------------------------------------------------------------------------------


def test_chase_defaults_keep_the_method_and_propose_the_next_date(engine, person_id):
    with session_scope(engine, "c") as s:
        first = ref.create_referral(
            s, person_id=person_id, referral_type="MASH", reason="x", by="c", today=TODAY
        )
        other = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="S42",
            reason="x",
            by="c",
            s42_test=(True, True, True),
            today=TODAY,
        )
        ids = first.id, first.version, other.id
    with session_scope(engine, "c") as s:
        fresh = ref.chase_defaults(s, ids[0], by="coord", today=TODAY)
    assert fresh == ref.ChaseDefaults("phone", "", date(2027, 1, 18))  # MASH: 1 wd, Fri -> Mon
    with session_scope(engine, "c") as s:
        ref.record_chase(
            s,
            ids[0],
            ids[1],
            by="coord",
            method="email",
            to_whom="Duty SW",
            note="x",
            next_chase_by=None,
            today=TODAY,
        )
    with session_scope(engine, "c") as s:
        again = ref.chase_defaults(s, ids[0], by="coord", today=TODAY)
        elsewhere = ref.chase_defaults(s, ids[2], by="coord", today=TODAY)
        someone_else = ref.chase_defaults(s, ids[2], by="other", today=TODAY)
        row = ref.referral_row(s, ids[0])
    assert again == ref.ChaseDefaults("email", "Duty SW", date(2027, 1, 18))
    assert elsewhere == ref.ChaseDefaults("email", "", date(2027, 1, 22))  # S42: 5 wd
    assert someone_else.method == "phone"
    assert row.last_chased_on == TODAY and row.chase_by == date(2027, 1, 18)


def test_outcome_in_leaves_nothing_to_chase_and_nothing_overdue(engine, person_id):
    rid, _ = _with_outcome(engine, person_id, "advice_given", date(2027, 1, 4), date(2027, 1, 8))
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).chase_by is None
        later = TODAY + timedelta(days=60)
        (row,) = whole_referrals(s, "open", later)
        assert not row.is_overdue(later)
        assert whole_referrals(s, "overdue", later) == []


# -- the migration -----------------------------------------------------------------------


def test_upgrade_fills_last_chased_and_clears_chase_by_once_the_outcome_is_in(tmp_path):
    """A database from before 0004: each referral's last chase becomes its UK day; a
    referral with its outcome in loses the computed chase-by date, not one set by hand."""
    engine = create_db_engine(resolve_target(str(tmp_path / "old.db")))
    upgrade(engine, "0003")
    stamp = "2026-11-01 00:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, created_at, updated_at, version, nhs_number, given_name,"
                " family_name, search_name, date_of_birth, sex, gender, address_line1,"
                " address_line2, town, postcode, phone, case_summary) VALUES (1, :t, :t, 1,"
                " '9990000018', 'Sam', 'Example', 'example sam', '2016-03-03', '', '', '', '',"
                " '', '', '', '')"
            ),
            {"t": stamp},
        )
        for rid, state, chase_by, by_hand in [
            (1, "awaiting_outcome", "2026-12-01", 0),
            (2, "outcome_received", "2026-12-02", 0),
            (3, "outcome_received", "2026-12-03", 1),
        ]:
            conn.execute(
                text(
                    "INSERT INTO referral (id, created_at, updated_at, version, person_id,"
                    " referral_type, state, agency, external_reference, reason, drafted_at,"
                    " chase_by, chase_by_overridden, outcome_type, outcome_notes,"
                    " escalation_pending, created_by) VALUES (:id, :t, :t, 1, 1, 'MASH',"
                    " :state, '', '', 'x', :t, :chase, :hand, '', '', 0, '')"
                ),
                {"id": rid, "t": stamp, "state": state, "chase": chase_by, "hand": by_hand},
            )
        # Two chases of referral 1, the last at 23:30 UTC in summer: the next UK day.
        for chased_at in ("2026-06-30 09:00:00.000000", "2026-07-01 23:30:00.000000"):
            conn.execute(
                text(
                    "INSERT INTO referral_chase (created_at, updated_at, version, referral_id,"
                    " chased_at, by, method, to_whom, note) VALUES (:t, :t, 1, 1, :at, 'c',"
                    " 'phone', '', '')"
                ),
                {"t": stamp, "at": chased_at},
            )
    upgrade(engine)
    with session_scope(engine, "t") as s:
        rows = {r.id: (r.last_chased_on, r.chase_by) for r in s.exec(select(Referral))}
    engine.dispose()
    assert rows == {
        1: (date(2026, 7, 2), date(2026, 12, 1)),
        2: (None, None),
        3: (None, date(2026, 12, 3)),
    }


def test_the_strategy_discussion_is_a_uk_noon_day_not_a_timestamp():
    """Stored as a date: what the coordinator typed, whatever the machine's zone."""
    referral = Referral(
        person_id=1,
        referral_type="MASH",
        state="outcome_received",
        drafted_at=datetime(2027, 1, 4, 12, tzinfo=UK),
        outcome_type="initial_cp_conference",
        outcome_received_at=datetime(2027, 1, 8, 12, tzinfo=UK),
        strategy_discussion_on=date(2027, 1, 6),
    )
    assert ref.follow_on_for(referral).conference_due == date(2027, 1, 27)


# -- properties ------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))


@given(DAYS)
def test_initial_conference_is_the_fifteenth_working_day_after(strategy):
    due = ref.initial_conference_due(strategy)
    assert due > strategy and is_working_day(due)
    assert working_days_between(strategy, due) == 15


@given(DAYS)
def test_reviews_fall_three_then_six_calendar_months_on(held):
    first = ref.next_review_conference_due("initial_cp", held)
    later = ref.next_review_conference_due("review_cp", held)
    assert 89 <= (first - held).days <= 92
    assert 181 <= (later - held).days <= 184
    for due in (first, later):  # the same day of the month, or the month's last day
        assert due.day == held.day or (due + timedelta(days=1)).day == 1
