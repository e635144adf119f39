"""Visits generated from templates: idempotent, carers rolled forward unless absent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import func, select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Absence,
    CarePackage,
    Carer,
    Customer,
    Visit,
    VisitAssignment,
    VisitTemplate,
)
from coordinator_tui.services.visit_generation import (
    VisitGenerationError,
    generate_week,
    week_start_of,
)

MONDAY = date(2026, 11, 30)


@pytest.fixture
def package(engine):
    """One customer with a weekday morning double-up and a Saturday lunch visit; two carers
    did last week's weekday visits."""
    with session_scope(engine, "setup") as s:
        customer = Customer(name="Customer One", lat=53.6, lon=-2.15)
        carers = [Carer(name="Carer A"), Carer(name="Carer B")]
        s.add_all([customer, *carers])
        s.flush()
        pkg = CarePackage(customer_id=customer.id, start_date=date(2026, 1, 1))
        s.add(pkg)
        s.flush()
        morning = VisitTemplate(
            package_id=pkg.id,
            weekdays="1111100",
            window_start=time(8, 0),
            window_end=time(9, 0),
            duration_minutes=45,
            carers_required=2,
            required_skills="HOIST",
        )
        saturday = VisitTemplate(
            package_id=pkg.id,
            weekdays="0000010",
            window_start=time(12, 0),
            window_end=time(13, 0),
        )
        s.add_all([morning, saturday])
        s.flush()
        for offset in range(5):  # last week's mornings, both carers
            day = MONDAY - timedelta(days=7 - offset)
            visit = Visit(
                template_id=morning.id,
                customer_id=customer.id,
                visit_date=day,
                start_at=datetime.combine(day, time(8), tzinfo=UK),
                end_at=datetime.combine(day, time(8, 45), tzinfo=UK),
                carers_required=2,
            )
            s.add(visit)
            s.flush()
            for slot, carer in enumerate(carers, start=1):
                s.add(VisitAssignment(visit_id=visit.id, carer_id=carer.id, slot=slot))
        # Carer B is off sick on Wednesday and Thursday of the new week.
        s.add(
            Absence(
                carer_id=carers[1].id,
                start_date=MONDAY + timedelta(days=2),
                end_date=MONDAY + timedelta(days=3),
            )
        )
        return {"morning": morning.id, "saturday": saturday.id, "carers": [c.id for c in carers]}


def visits_in_week(engine, monday: date) -> list[Visit]:
    with session_scope(engine, "t") as s:
        return list(
            s.exec(
                select(Visit)
                .where(Visit.visit_date.between(monday, monday + timedelta(days=6)))
                .order_by(Visit.visit_date, Visit.start_at)
            )
        )


def test_generate_rolls_carers_forward_and_is_idempotent(engine, package):
    with session_scope(engine, "c") as s:
        result = generate_week(s, MONDAY + timedelta(days=3))  # any day of the week
    assert result.week_start == MONDAY
    assert (result.created, result.already_there) == (6, 0)
    # Mon, Tue, Fri keep both carers; Wed, Thu lose Carer B (absent); Saturday is new.
    assert result.carers_rolled_forward == 3 * 2 + 2 * 1
    assert result.left_unassigned == 2 + 1
    visits = visits_in_week(engine, MONDAY)
    assert [v.visit_date.weekday() for v in visits] == [0, 1, 2, 3, 4, 5]
    first = visits[0]
    assert first.start_at.astimezone(UK).time() == time(8, 0)
    assert first.end_at - first.start_at == timedelta(minutes=45)
    assert first.required_skills == "HOIST" and first.carers_required == 2
    with session_scope(engine, "t") as s:
        wednesday = s.exec(
            select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == visits[2].id)
        ).all()
    assert wednesday == [package["carers"][0]]
    assert "6 visits created" in result.summary()

    with session_scope(engine, "c") as s:
        again = generate_week(s, MONDAY)
    assert (again.created, again.already_there) == (0, 6)
    assert len(visits_in_week(engine, MONDAY)) == 6


def test_no_roll_forward_and_package_dates(engine, package):
    with session_scope(engine, "c") as s:
        pkg = s.exec(select(CarePackage)).one()
        pkg.end_date = MONDAY + timedelta(days=1)  # ends on Tuesday
    with session_scope(engine, "c") as s:
        result = generate_week(s, MONDAY, roll_forward=False)
    assert (result.created, result.carers_rolled_forward, result.left_unassigned) == (2, 0, 2)


def test_bad_template_refused_and_nothing_written(engine, package):
    with session_scope(engine, "c") as s:
        s.get(VisitTemplate, package["saturday"]).weekdays = "12"
    with pytest.raises(VisitGenerationError, match="seven 0/1"), session_scope(engine, "c") as s:
        generate_week(s, MONDAY)
    with session_scope(engine, "t") as s:
        assert s.exec(select(func.count()).select_from(Visit)).one() == 5  # last week's only


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 30), date(2026, 11, 30)),
        (date(2026, 12, 6), date(2026, 11, 30)),
        (date(2027, 1, 1), date(2026, 12, 28)),
    ],
)
def test_week_start_of(day, monday):
    assert week_start_of(day) == monday


def test_generate_next_week_on_the_demo(small_demo_engine):
    with session_scope(small_demo_engine, "c") as s:
        result = generate_week(s, date(2026, 11, 30))
    assert result.created > 500
    assert result.left_unassigned < result.created // 4  # most visits keep their carers


def test_planned_times_roll_forward_within_the_window(engine, package):
    """Last week's Monday visit was moved to 08:40 (inside its 08:00-09:00 window): this
    Monday's starts at 08:40 too; Tuesday's, moved out of the window to 10:00, starts when
    the window opens; the clock change between weeks keeps the wall-clock time."""
    with session_scope(engine, "c") as s:
        last_week = s.exec(
            select(Visit).where(Visit.template_id == package["morning"]).order_by(Visit.visit_date)
        ).all()
        for visit, moved in zip(last_week[:2], (time(8, 40), time(10, 0)), strict=True):
            visit.start_at = datetime.combine(visit.visit_date, moved, tzinfo=UK)
            visit.end_at = visit.start_at + timedelta(minutes=45)
    with session_scope(engine, "c") as s:
        generate_week(s, MONDAY)
    visits = visits_in_week(engine, MONDAY)
    starts = [v.start_at.astimezone(UK).time() for v in visits]
    assert starts[:3] == [time(8, 40), time(8, 0), time(8, 0)]
    assert visits[0].end_at - visits[0].start_at == timedelta(minutes=45)
    with session_scope(engine, "c") as s:
        fresh = generate_week(s, MONDAY + timedelta(days=7), roll_forward=False)
    assert fresh.created == 6
    next_monday = visits_in_week(engine, MONDAY + timedelta(days=7))[0]
    assert next_monday.start_at.astimezone(UK).time() == time(8, 0)


def test_wall_clock_time_kept_across_the_clock_change(engine, package):
    """Visits at 08:40 in the last week of British Summer Time start at 08:40 (GMT) the
    week after the clocks go back, not an hour off."""
    from coordinator_tui.services.visit_generation import _last_week

    with session_scope(engine, "c") as s:
        bst_day = date(2026, 10, 19)  # Monday of the week before the change (25 Oct)
        s.add(
            Visit(
                template_id=package["morning"],
                customer_id=s.exec(select(Customer.id)).first(),
                visit_date=bst_day,
                start_at=datetime.combine(bst_day, time(8, 40), tzinfo=UK),
                end_at=datetime.combine(bst_day, time(9, 25), tzinfo=UK),
                carers_required=2,
            )
        )
    with session_scope(engine, "c") as s:
        _, times = _last_week(s, date(2026, 10, 26))
    assert times[(package["morning"], 0)] == time(8, 40)
