"""Working-time data read from and kept in the database: ``CarerWeekHours`` follows the
visits as they are saved (WTR reg 4, 6: the 17-week averages read one row a week), a week
loads with what the rules look back and forward at, and ``rota check --json`` reports the
new problem codes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Absence,
    Carer,
    CarerWeekHours,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
    WorkingTimeSettings,
)
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota import week_hours
from coordinator_tui.services.rota.snapshot import load_week
from coordinator_tui.services.rota.validate import check_week

MONDAY = date(2026, 11, 23)
LAST_MONDAY = MONDAY - timedelta(weeks=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


@pytest.fixture
def world(engine):
    """One carer (a 17-year-old on request), two customers next door to each other."""
    with session_scope(engine, "t") as s:
        carer = Carer(name="Ann Carer", gender="female", date_of_birth=date(1980, 1, 1))
        young = Carer(name="Yan Young", gender="male", date_of_birth=date(2009, 6, 1))
        s.add_all([carer, young])
        s.add_all(
            [
                Customer(name="Cath One", lat=53.61, lon=-2.16),
                Customer(name="Cora Two", lat=53.61, lon=-2.16),
            ]
        )
    return engine


def add_visit(
    engine, day: date, start: tuple[int, int], minutes: int, carer_id: int | None = 1
) -> int:
    """A visit at customer 1 with ``carer_id`` on it, saved through the session."""
    with session_scope(engine, "t") as s:
        begin = at(day, *start)
        visit = Visit(
            customer_id=1,
            visit_date=day,
            start_at=begin,
            end_at=begin + timedelta(minutes=minutes),
            status=VisitStatus.PLANNED,
        )
        s.add(visit)
        s.flush()
        if carer_id is not None:
            s.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=1))
        return visit.id


def rows(engine) -> dict[tuple[int, date], CarerWeekHours]:
    with session_scope(engine, "t") as s:
        return {(r.carer_id, r.week_start): r for r in s.scalars(select(CarerWeekHours))}


# -- kept as the visits are saved --------------------------------------------------------------


def test_saving_a_visit_keeps_the_week_hours(world):
    add_visit(world, LAST_MONDAY, (8, 0), 90)
    add_visit(world, LAST_MONDAY + timedelta(days=1), (22, 0), 6 * 60)  # a night, to 04:00
    row = rows(world)[(1, LAST_MONDAY)]
    assert (row.hours, row.source, row.shifts, row.night_shifts) == (7.5, "visits", 2, 1)
    assert row.first_start == at(LAST_MONDAY, 8, 0).astimezone(UTC)


def test_moving_and_unassigning_follow(world):
    visit_id = add_visit(world, LAST_MONDAY, (8, 0), 60)
    with session_scope(world, "t") as s:  # moved to the week after: both weeks change
        visit = s.get(Visit, visit_id)
        visit.visit_date = MONDAY
        visit.start_at, visit.end_at = at(MONDAY, 8, 0), at(MONDAY, 10, 0)
    kept = rows(world)
    assert (1, LAST_MONDAY) not in kept and kept[(1, MONDAY)].hours == 2.0
    with session_scope(world, "t") as s:
        s.delete(s.scalars(select(VisitAssignment)).one())
    assert (1, MONDAY) not in rows(world)


def test_a_rolled_back_change_leaves_the_rows_alone(world):
    add_visit(world, LAST_MONDAY, (8, 0), 60)
    with pytest.raises(RuntimeError), session_scope(world, "t") as s:
        s.add(VisitAssignment(visit_id=1, carer_id=2, slot=2))
        s.flush()
        raise RuntimeError("cancelled")
    assert set(rows(world)) == {(1, LAST_MONDAY)}


def test_a_row_from_payroll_is_kept_for_a_week_without_visits(world):
    with session_scope(world, "t") as s:
        s.add(CarerWeekHours(carer_id=1, week_start=LAST_MONDAY - timedelta(weeks=3), hours=41))
    add_visit(world, LAST_MONDAY, (8, 0), 60)
    kept = rows(world)
    assert kept[(1, LAST_MONDAY - timedelta(weeks=3))].source == "recorded"


def test_backfill_fills_weeks_with_visits_and_keeps_recorded_rows(world):
    add_visit(world, LAST_MONDAY, (8, 0), 60)
    with session_scope(world, "t") as s:
        for row in s.scalars(select(CarerWeekHours)):
            s.delete(row)  # as before this version: visits, no rows
        s.add(CarerWeekHours(carer_id=1, week_start=MONDAY, hours=30))
    add_visit(world, MONDAY, (8, 0), 60, carer_id=None)  # no carer: no row
    with session_scope(world, "t") as s:
        for row in s.scalars(select(CarerWeekHours).where(CarerWeekHours.week_start < MONDAY)):
            s.delete(row)
    with world.begin() as connection:
        assert week_hours.backfill(connection) == 1
    kept = rows(world)
    assert kept[(1, LAST_MONDAY)].hours == 1.0 and kept[(1, MONDAY)].hours == 30


# -- what a week loads ----------------------------------------------------------------------


def test_load_week_reads_history_context_leave_and_night_time(world):
    add_visit(world, LAST_MONDAY + timedelta(days=6), (21, 0), 60)  # last Sunday
    add_visit(world, LAST_MONDAY + timedelta(days=2), (8, 0), 60)  # last Wednesday
    add_visit(world, MONDAY, (8, 0), 60)
    add_visit(world, MONDAY + timedelta(days=7), (6, 0), 60)  # next Monday
    with session_scope(world, "t") as s:
        s.add(CarerWeekHours(carer_id=1, week_start=MONDAY - timedelta(weeks=5), hours=40))
        s.add(Absence(carer_id=1, start_date=LAST_MONDAY, end_date=LAST_MONDAY, kind="leave"))
        s.add(Absence(carer_id=1, start_date=MONDAY, end_date=MONDAY, kind="sickness"))
        s.add(
            Absence(
                carer_id=1,
                start_date=MONDAY + timedelta(days=1),
                end_date=MONDAY + timedelta(days=1),
                kind="training",
            )
        )
        s.add(WorkingTimeSettings(night_start=time(22, 0)))
    with session_scope(world, "t") as s:
        snap = load_week(s, MONDAY)
    assert snap.history[1][0] == 120 and snap.history[1][4] == 40 * 60
    assert [v.day.weekday() for v in snap.previous[1]] == [6]  # only the last two days
    assert [v.day for v in snap.following[1]] == [MONDAY + timedelta(days=7)]
    assert len(snap.previous_spans[1]) == 2  # Wed and Sun, more than a day apart
    assert snap.leave_days[1][:2] == (1, 1)  # sickness this week, leave last week
    assert snap.night_start == 22 * 60


# -- the command line -------------------------------------------------------------------------


def test_rota_check_json_reports_the_new_codes(world, db_path):
    """A 17-year-old on a 22:30 call (reg 6A) and an adult's night to 05:30 then a visit at
    14:00 (reg 10: 8h30 of rest in the 24 hours)."""
    add_visit(world, MONDAY, (22, 30), 60, carer_id=2)
    add_visit(world, MONDAY + timedelta(days=1), (21, 30), 8 * 60)
    add_visit(world, MONDAY + timedelta(days=2), (14, 0), 60)
    with session_scope(world, "t") as s:
        problems = check_week(s, MONDAY)
    result = CliRunner().invoke(
        app, ["rota", "check", "--week", "2026-11-23", "--db", str(db_path), "--json"]
    )
    document = json.loads(result.stdout)
    codes = {p["code"] for p in document["problems"]}
    assert {P.WTR_YOUNG_NIGHT, P.WTR_DAILY_REST} <= codes
    assert codes == {p.code for p in problems}
    assert result.exit_code == 1  # the daily rest is a hard problem
