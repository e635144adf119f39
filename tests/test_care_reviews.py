"""Care plan reviews (issue 18 §2): the first review 6 to 8 weeks after the package starts,
then the agency's interval (default 12 months; Care and Support Statutory Guidance para
13.32), early reviews from events, the queue (overdue first), held and snoozed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import CarePackage, Customer, Incident, Visit
from coordinator_tui.models.care_changes import CarePlanReview
from coordinator_tui.services import rules
from coordinator_tui.services.care import CareConflictError, CareError
from coordinator_tui.services.care import reviews as R

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("start", "window"),
    [
        pytest.param(
            date(2026, 1, 31),
            (date(2026, 3, 14), date(2026, 3, 28)),
            id="Care Act guidance 13.32: 6 to 8 weeks after the start",
        ),
        pytest.param(
            date(2026, 10, 26),
            (date(2026, 12, 7), date(2026, 12, 21)),
            id="Care Act guidance 13.32: across the clock change",
        ),
    ],
)
def test_first_review_window(start, window):
    assert rules.care_plan_first_review(start) == window


@pytest.mark.parametrize(
    ("held", "months", "due"),
    [
        pytest.param(date(2026, 2, 28), 12, date(2027, 2, 28), id="13.32: 12 months on"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="leap day clamps"),
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="agency's 6 months, clamped"),
    ],
)
def test_next_review(held, months, due):
    assert rules.care_plan_next_review(held, months) == due


@pytest.fixture
def customers(engine):
    """New (package started 7 weeks ago: first review due in a week), Old (package a year
    old, reviewed 13 months ago: overdue), Quiet (reviewed last month)."""
    with session_scope(engine, "setup") as s:
        ids = {}
        for name, start in (
            ("New", TODAY - timedelta(weeks=7)),
            ("Old", date(2025, 6, 1)),
            ("Quiet", date(2025, 6, 1)),
        ):
            c = Customer(name=name)
            s.add(c)
            s.flush()
            s.add(CarePackage(customer_id=c.id, start_date=start))
            ids[name] = c.id
        s.add(
            CarePlanReview(
                customer_id=ids["Old"],
                status="done",
                event_on=date(2025, 10, 1),
                outcome="stable",
                next_due=date(2026, 10, 1),
            )
        )
        s.add(
            CarePlanReview(
                customer_id=ids["Quiet"],
                status="done",
                event_on=date(2026, 10, 20),
                outcome="stable",
                next_due=date(2027, 10, 20),
            )
        )
        return ids


def _queue(engine, **kw):
    with session_scope(engine, "t") as s:
        return R.review_queue(s, TODAY, **kw)


def test_queue_overdue_first_then_due(engine, customers):
    queue = _queue(engine)
    assert [(i.customer, i.trigger, i.is_overdue(TODAY)) for i in queue] == [
        ("Old", "scheduled", True),
        ("New", "first", False),
    ]
    assert queue[1].due == TODAY + timedelta(weeks=1)
    assert [i.customer for i in _queue(engine, overdue_only=True)] == ["Old"]


def test_events_ask_for_an_early_review(engine, customers):
    with session_scope(engine, "t") as s:
        s.add(
            Incident(
                occurred_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
                reported_at=datetime(2026, 11, 2, 11, tzinfo=UTC),
                customer_id=customers["Quiet"],
                kind="fall",
            )
        )
        for day in (5, 9):
            s.add(
                Visit(
                    customer_id=customers["Quiet"],
                    visit_date=date(2026, 11, day),
                    start_at=datetime(2026, 11, day, 9, tzinfo=UTC),
                    end_at=datetime(2026, 11, day, 9, 30, tzinfo=UTC),
                    status="missed",
                )
            )
    quiet = [i for i in _queue(engine) if i.customer == "Quiet"]
    assert [(i.trigger, i.due, i.is_overdue(TODAY)) for i in quiet] == [
        ("fall", date(2026, 11, 16), True),
        ("missed_visits", date(2026, 11, 23), False),
    ]


def test_review_held_answers_everything_due_and_sets_the_next(engine, customers):
    old = next(i for i in _queue(engine) if i.customer == "Old")
    with session_scope(engine, "coord") as s:
        proposed = R.proposed_next_review(s, TODAY)
        assert proposed == date(2027, 11, 23)
        R.record_review(
            s,
            old.customer_id,
            old.last_done_id,
            held_on=TODAY,
            outcome="Needs unchanged; daughter present",
            next_due=proposed,
            by="coord",
            today=TODAY,
        )
    assert "Old" not in [i.customer for i in _queue(engine)]
    # a second coordinator still holding the old queue is refused, naming who
    with (
        pytest.raises(CareConflictError, match="coord changed this care plan review"),
        session_scope(engine, "other") as s,
    ):
        R.record_review(
            s,
            old.customer_id,
            old.last_done_id,
            held_on=TODAY,
            outcome="x",
            next_due=proposed,
            by="other",
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"outcome": " "}, "outcome"),
        ({"next_due": TODAY}, "next review is after"),
        ({"held_on": TODAY + timedelta(days=1)}, "future"),
    ],
)
def test_bad_review_is_refused_and_writes_nothing(engine, customers, values, message):
    old = next(i for i in _queue(engine) if i.customer == "Old")
    args = {"held_on": TODAY, "outcome": "ok", "next_due": date(2027, 1, 1)} | values
    with pytest.raises(CareError, match=message), session_scope(engine, "c") as s:
        R.record_review(s, old.customer_id, old.last_done_id, by="c", today=TODAY, **args)
    with session_scope(engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(CarePlanReview)) == 2


def test_snooze_needs_a_reason_and_moves_the_due_date(engine, customers):
    old = next(i for i in _queue(engine) if i.customer == "Old")
    with pytest.raises(CareError, match="why"), session_scope(engine, "c") as s:
        R.snooze_review(s, old, until=TODAY + timedelta(days=7), reason="", by="c", today=TODAY)
    with session_scope(engine, "c") as s:
        R.snooze_review(
            s, old, until=TODAY + timedelta(days=7), reason="Family away", by="c", today=TODAY
        )
    item = next(i for i in _queue(engine) if i.customer == "Old")
    assert item.snoozed_until == TODAY + timedelta(days=7)
    assert not item.is_overdue(TODAY) and item.snooze_reason == "Family away"
    # the same snooze from a stale screen is refused
    with pytest.raises(CareConflictError), session_scope(engine, "d") as s:
        R.snooze_review(s, old, until=TODAY + timedelta(days=9), reason="x", by="d", today=TODAY)


def test_raise_early_review_by_hand(engine, customers):
    with session_scope(engine, "c") as s:
        R.raise_early_review(
            s,
            customers["Quiet"],
            trigger="equipment",
            reason="hoist delivered",
            by="c",
            today=TODAY,
        )
    quiet = [i for i in _queue(engine) if i.customer == "Quiet"]
    assert [(i.trigger, i.due) for i in quiet] == [("equipment", TODAY + timedelta(days=14))]


def test_agency_interval_setting(engine, customers):
    with session_scope(engine, "c") as s:
        R.save_review_settings(s, None, review_interval_months=6, early_review_days=7)
        assert R.proposed_next_review(s, TODAY) == date(2027, 5, 23)
    with pytest.raises(CareError, match="1 to 24 months"), session_scope(engine, "c") as s:
        R.save_review_settings(s, 1, review_interval_months=30, early_review_days=7)


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_first_review_is_6_to_8_weeks_after_any_start(start):
    """Care and Support Statutory Guidance para 13.32, for any start date (leap years and
    month ends included): the window opens at 6 weeks and closes, due, at 8."""
    opens, due = rules.care_plan_first_review(start)
    assert (opens - start).days == 42 and (due - start).days == 56


@given(
    held=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    months=st.integers(min_value=1, max_value=24),
)
def test_next_review_is_within_the_interval(held, months):
    """The next review falls on the same day of the month ``months`` on, or the month's
    last day when it has no such day: never later than the interval."""
    due = rules.care_plan_next_review(held, months)
    assert (due.year - held.year) * 12 + due.month - held.month == months
    assert due.day == held.day or (due.day < held.day and (due + timedelta(days=1)).day == 1)
