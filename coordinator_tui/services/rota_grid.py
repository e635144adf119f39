"""What the rota grid shows: carers down, the seven days across, the unassigned visits,
and one carer's day as a timeline. Read-only queries; changes go through the rota services.

A week is loaded with three queries (carers, visits, assignments) and shaped in Python:
the grid needs every visit of the week anyway (counts, hours, problems per cell), and a
large week (60 carers, about 2,000 visits) loads in a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import Absence, Carer, Customer, Visit, VisitAssignment, VisitStatus
from coordinator_tui.services.clock import UK
from coordinator_tui.services.visit_generation import week_start_of


@dataclass(frozen=True)
class GridVisit:
    """A visit of the week, as the grid and the unassigned panel need it."""

    id: int
    version: int
    customer_id: int
    customer: str
    day: date
    start: datetime  # UK local time
    end: datetime
    carers_required: int
    required_skills: str
    tasks: str
    status: str
    carer_ids: tuple[int, ...] = ()

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def short_of(self) -> int:
        """How many more carers the visit needs."""
        return max(self.carers_required - len(self.carer_ids), 0)


@dataclass(frozen=True)
class GridCarer:
    id: int
    name: str
    contracted_hours: float
    transport_mode: str


@dataclass
class WeekGrid:
    """One week: carers, every visit, and per carer and day the visits they are on."""

    monday: date
    carers: list[GridCarer]
    visits: dict[int, GridVisit]
    by_cell: dict[tuple[int, date], list[int]] = field(default_factory=dict)
    absent: set[tuple[int, date]] = field(default_factory=set)

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=offset) for offset in range(7)]

    def cell(self, carer_id: int, day: date) -> list[GridVisit]:
        return [self.visits[v] for v in self.by_cell.get((carer_id, day), [])]

    def cell_minutes(self, carer_id: int, day: date) -> int:
        return sum(v.minutes for v in self.cell(carer_id, day))

    def week_minutes(self, carer_id: int) -> int:
        return sum(self.cell_minutes(carer_id, day) for day in self.days)

    def unassigned(self) -> list[GridVisit]:
        """Visits still short of carers, by day and time."""
        return sorted(
            (v for v in self.visits.values() if v.short_of and v.status != "cancelled"),
            key=lambda v: (v.start, v.customer),
        )


def load_week(session: Session, day: date) -> WeekGrid:
    """The grid of the week holding ``day``."""
    monday = week_start_of(day)
    sunday = monday + timedelta(days=6)
    carers = [
        GridCarer(*row)
        for row in session.execute(
            select(Carer.id, Carer.name, Carer.contracted_hours, Carer.transport_mode)
            .where(Carer.active.is_(True))
            .order_by(Carer.name)
        )
    ]
    assigned: dict[int, list[int]] = {}
    for visit_id, carer_id in session.execute(
        select(VisitAssignment.visit_id, VisitAssignment.carer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(Visit.visit_date.between(monday, sunday))
        .order_by(VisitAssignment.visit_id, VisitAssignment.slot)
    ):
        assigned.setdefault(visit_id, []).append(carer_id)
    visits: dict[int, GridVisit] = {}
    by_cell: dict[tuple[int, date], list[int]] = {}
    for row in session.execute(
        select(
            Visit.id,
            Visit.version,
            Visit.customer_id,
            Customer.name,
            Visit.visit_date,
            Visit.start_at,
            Visit.end_at,
            Visit.carers_required,
            Visit.required_skills,
            Visit.tasks,
            Visit.status,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.visit_date.between(monday, sunday), Visit.status != VisitStatus.CANCELLED)
        .order_by(Visit.start_at)
    ):
        (vid, version, cid, name, vday, start, end, required, skills, tasks, status) = row
        carer_ids = tuple(assigned.get(vid, ()))
        visits[vid] = GridVisit(
            vid,
            version,
            cid,
            name,
            vday,
            start.astimezone(UK),
            end.astimezone(UK),
            required,
            skills,
            tasks,
            status,
            carer_ids,
        )
        for carer_id in carer_ids:
            by_cell.setdefault((carer_id, vday), []).append(vid)
    absent: set[tuple[int, date]] = set()
    for carer_id, start_day, end_day in session.execute(
        select(Absence.carer_id, Absence.start_date, Absence.end_date).where(
            Absence.start_date <= sunday, Absence.end_date >= monday
        )
    ):
        current = max(start_day, monday)
        while current <= min(end_day, sunday):
            absent.add((carer_id, current))
            current += timedelta(days=1)
    return WeekGrid(monday, carers, visits, by_cell, absent)


def format_hours(minutes: int) -> str:
    """Minutes as hours with one decimal, e.g. 270 -> "4.5h"."""
    return f"{minutes / 60:.1f}h"


@dataclass(frozen=True)
class DayStop:
    """One visit in a carer's day and the gap before the next one."""

    visit: GridVisit
    co_carers: tuple[str, ...]
    gap_after_minutes: int | None  # None for the last visit


@dataclass
class CarerDay:
    carer: GridCarer
    day: date
    absent: bool
    stops: list[DayStop]

    @property
    def visit_minutes(self) -> int:
        return sum(stop.visit.minutes for stop in self.stops)

    @property
    def span_minutes(self) -> int:
        """From the first visit's start to the last one's end (the working day)."""
        if not self.stops:
            return 0
        first, last = self.stops[0].visit, self.stops[-1].visit
        return int((last.end - first.start).total_seconds() // 60)


def carer_day(session: Session, carer_id: int, day: date) -> CarerDay | None:
    """A carer's visits on ``day`` in time order with the gaps between them."""
    grid = load_week(session, day)
    carer = next((c for c in grid.carers if c.id == carer_id), None)
    if carer is None:
        return None
    names = {c.id: c.name for c in grid.carers}
    visits = sorted(grid.cell(carer_id, day), key=lambda v: v.start)
    stops = []
    for index, visit in enumerate(visits):
        following = visits[index + 1] if index + 1 < len(visits) else None
        gap = (
            int((following.start - visit.end).total_seconds() // 60)
            if following is not None
            else None
        )
        others = tuple(names.get(c, "?") for c in visit.carer_ids if c != carer_id)
        stops.append(DayStop(visit, others, gap))
    return CarerDay(carer, day, (carer_id, day) in grid.absent, stops)
