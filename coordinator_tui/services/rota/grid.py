"""What the Rota screen shows, read from a validated :class:`RotaState` (no second loader).

:class:`RotaWeek` is the week as loaded by ``snapshot.load_week`` and checked by
``RotaState``, plus the visits' task lists (the only thing the screen shows that the rules
do not need). Cells, the unassigned visits and a carer's day are computed from the state in
memory, so after a change (``assign``, ``unassign``, ``swap``, ``undo``) the screen redraws
the rows touched without reading the database again.

Problem levels, worst first: ``hard`` (✖), ``soft`` not yet accepted (▲), soft accepted with
a recorded rationale (✓). The symbol carries the meaning; colour only reinforces it.

At the coordinator's moment (the unit of work's, ``clock.moment_of``), a visit short of
carers whose start has passed is flagged: ``missed`` when nobody was ever on it, ``went
short`` for a double-up with one.
A visit Plan C handed on (to the manager, to an agency) says so in the unassigned list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, moment_of
from coordinator_tui.collector import paused_collection
from coordinator_tui.models import AbsenceCover, Visit, VisitStatus
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.measures import Measures, due_minutes, measures, worked_minutes
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    SVisit,
    epoch_minutes,
    load_week,
    week_monday,
)
from coordinator_tui.services.rota.timeline import DaySummary
from coordinator_tui.services.rota.validate import RotaState

HARD, SOFT, ACCEPTED = "hard", "soft", "accepted"
SYMBOLS = {HARD: "✖", SOFT: "▲", ACCEPTED: "✓", "": ""}
MISSED, WENT_SHORT = "missed", "went short"
PREPARED_ROWS = 60
"""Rows worked out with the week in the loading thread: a tall terminal's screenful."""


def level(problem: Problem | None) -> str:
    """``hard``, ``soft`` (needs a rationale), ``accepted`` or "" for no problem."""
    if problem is None:
        return ""
    if problem.is_hard:
        return HARD
    return ACCEPTED if problem.accepted else SOFT


def symbol(problem: Problem | None) -> str:
    return SYMBOLS[level(problem)]


def local(epoch_minute: int) -> datetime:
    """An epoch minute as UK wall-clock time."""
    return datetime.fromtimestamp(epoch_minute * 60, UK)


def format_hours(minutes: int) -> str:
    """Minutes as hours with one decimal, e.g. 270 -> "4.5h"."""
    return f"{minutes / 60:.1f}h"


@dataclass(frozen=True)
class Cell:
    """One carer's day in the grid."""

    visits: int
    minutes: int  # visit time (travel not included)
    absent: bool
    worst: Problem | None
    shadows: int = 0  # visits the carer shadows that day (not staffing: issue 18 §7)

    @property
    def level(self) -> str:
        return level(self.worst)


@dataclass(frozen=True)
class DayStop:
    """One visit in a carer's day, and the gap and travel to the next one."""

    visit_id: int
    start: datetime  # UK local
    end: datetime
    customer: str
    skills: str
    tasks: str
    co_carers: tuple[str, ...]
    gap_after: int | None  # minutes to the next visit's start (None for the last)
    travel_after: int | None  # minutes of travel the next visit needs
    worst: Problem | None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class CarerDay:
    carer: SCarer
    day: date
    absent: bool
    stops: list[DayStop]
    problems: list[Problem]
    summary: DaySummary | None

    @property
    def visit_minutes(self) -> int:
        return sum(stop.minutes for stop in self.stops)

    @property
    def span_minutes(self) -> int:
        return self.summary.span if self.summary else 0


class RotaWeek:
    """A week's rota for the screen: carers (active, or on a visit this week) by name."""

    def __init__(
        self,
        state: RotaState,
        tasks: dict[int, str] | None = None,
        *,
        now: datetime | None = None,
        handed_on: dict[int, str] | None = None,
    ) -> None:
        self.state = state
        self.tasks = tasks or {}
        self.now = epoch_minutes(now) if now is not None else None
        self.handed_on = handed_on or {}  # visit -> Plan C action (escalated, agency...)
        snap = state.snap
        self.carers: list[SCarer] = sorted(
            (c for c in snap.carers.values() if c.active or c.id in state.cells),
            key=lambda c: (c.name, c.id),
        )
        # Worked out once (in the loading thread, see ``prepare``) and again only for what
        # a change touched (``forget``), so the screen's thread just draws.
        self._rows: dict[int, tuple[list[Cell], Problem | None]] = {}
        self._unassigned: list[int] | None = None
        self._measures: Measures | None = None
        self._counts: tuple[int, int] | None = None

    @classmethod
    @paused_collection()  # bulk work making few cycles: see ``prepare``
    def load(cls, session: Session, day: date) -> RotaWeek:
        """The week holding ``day``, at the unit of work's moment (``clock.moment_of``:
        the app's ``session()`` puts ``Settings.current_moment()`` there, pinned in demos
        and tests). One moment for the whole week: the care changes' two-hour rule
        (issue 18 §1, read by ``load_week``) and the missed visits read the same one, as
        ``rota check`` does."""
        monday = week_monday(day)
        snap = load_week(session, monday)
        now = moment_of(session.info)
        state = RotaState(snap)
        in_week = Visit.visit_date.between(monday, state.snap.days[-1])
        tasks = dict(
            session.execute(
                select(Visit.id, Visit.tasks).where(
                    in_week, Visit.status != VisitStatus.CANCELLED, Visit.tasks != ""
                )
            ).all()
        )
        handed_on = dict(
            session.execute(
                select(AbsenceCover.visit_id, AbsenceCover.action)
                .join(Visit, Visit.id == AbsenceCover.visit_id)
                .where(in_week, AbsenceCover.carer_id.is_(None), AbsenceCover.action != "")
            ).all()
        )
        return cls(state, tasks, now=now, handed_on=handed_on).prepare()

    @paused_collection()
    def prepare(self, rows: int | None = PREPARED_ROWS) -> RotaWeek:
        """Work out the first ``rows`` rows (None: every row), the unassigned visits, the
        counts and the measures now. The grid draws only the rows on screen, and the
        others are worked out as they scroll into view (a tenth of a millisecond each): at
        300 carers working out every row was a tenth of the cold open (issue 23 §1).

        With :meth:`load`, the cyclic collector paused (``collector``): the week just
        built is hundreds of thousands of young objects, and a collection set off by the
        measures' allocations walked them all, 100-400 ms at ten times the demo (measured
        in one process alternately: 735 ms median with it, 350 ms without)."""
        for carer in self.carers[:rows]:
            self.row(carer.id)
        self.unassigned()
        self.counts()
        self.measures()
        return self

    def forget(self, carer_ids: set[int] | None = None) -> None:
        """After a change: the rows of ``carer_ids`` (None: all) and the week's figures are
        worked out again when next asked for."""
        if carer_ids is None:
            self._rows.clear()
        for carer_id in carer_ids or ():
            self._rows.pop(carer_id, None)
        self._unassigned = self._measures = self._counts = None

    # -- the week ----------------------------------------------------------------------

    @property
    def monday(self) -> date:
        return self.state.snap.monday

    @property
    def days(self) -> list[date]:
        return self.state.snap.days

    def carer(self, carer_id: int) -> SCarer:
        return self.state.snap.carers[carer_id]

    def carer_name(self, carer_id: int | None) -> str:
        carer = self.state.snap.carers.get(carer_id) if carer_id is not None else None
        return carer.name if carer else ""

    def visit(self, visit_id: int) -> SVisit:
        return self.state.snap.visits[visit_id]

    def customer_name(self, visit_id: int) -> str:
        customer = self.state.snap.customers.get(self.visit(visit_id).customer_id)
        return customer.name if customer else ""

    def describe_visit(self, visit_id: int) -> str:
        """``Tue 24/11 07:30-08:00 Mrs A Smith`` (for dialogs and notes)."""
        visit = self.visit(visit_id)
        start, end = local(visit.start), local(visit.end)
        return f"{start:%a %d/%m %H:%M}-{end:%H:%M} {self.customer_name(visit_id)}"

    # -- cells -------------------------------------------------------------------------

    def row(self, carer_id: int) -> tuple[list[Cell], Problem | None]:
        """The carer's seven day cells, and the worst week-level problem (no day: weekly
        rest, 48-hour average, hours over contract)."""
        found = self._rows.get(carer_id)
        if found is None:
            found = self._rows[carer_id] = self._row(carer_id)
        return found

    def _row(self, carer_id: int) -> tuple[list[Cell], Problem | None]:
        by_day: dict[date | None, list[Problem]] = defaultdict(list)
        for problem in self.state.problems_for(carer_id):
            by_day[problem.day].append(problem)
        carer = self.state.snap.carers.get(carer_id)
        absent = carer.absent_days if carer else frozenset()
        visits = self.state.snap.visits
        shadowing = getattr(self.state.snap, "shadowing", {})
        cells = []
        for day in self.days:
            ids = self.state.day_visits(carer_id, day)
            cells.append(
                Cell(
                    len(ids),
                    sum(visits[v].minutes for v in ids),
                    day in absent,
                    P.worst(by_day.get(day, ())),
                    len(shadowing.get((carer_id, day), ())),
                )
            )
        return cells, P.worst(by_day.get(None, ()))

    def cell_problems(self, carer_id: int, day: date | None) -> list[Problem]:
        """The problems a cell shows (``day`` None: the week-level ones), worst first."""
        found = [p for p in self.state.problems_for(carer_id, day) if p.day == day]
        return sorted(found, key=lambda p: (level(p) != HARD, p.accepted, p.code))

    def week_minutes(self, carer_id: int) -> int:
        """Working time in the week, travel between visits included, days of absence
        left out (the carer will not work them)."""
        return worked_minutes(self.state, carer_id)[0]

    def due_minutes(self, carer_id: int) -> int:
        """The contracted minutes for the week, less the working days of absence."""
        return due_minutes(self.state.snap.carers[carer_id], self.days)

    def missed(self, visit_id: int) -> str:
        """``missed`` (nobody was on it) or ``went short`` for a visit short of carers
        whose start has passed; "" otherwise (or without ``now``)."""
        visit = self.state.snap.visits[visit_id]
        if self.now is None or visit.start > self.now or not self.state.short_of(visit_id):
            return ""
        return WENT_SHORT if self.state.carers_of.get(visit_id) else MISSED

    def missed_on(self, day: date) -> int:
        """Visits of ``day`` missed or gone short (for the day's heading)."""
        visits = self.state.snap.visits
        return sum(1 for v in self.unassigned() if visits[v].day == day and self.missed(v))

    # -- unassigned visits and measures --------------------------------------------------

    def unassigned(self) -> list[int]:
        """Visits short of carers, by start and customer."""
        if self._unassigned is None:
            state = self.state
            visits = state.snap.visits
            self._unassigned = sorted(
                (v for v in visits if state.short_of(v)),
                key=lambda v: (visits[v].start, self.customer_name(v), v),
            )
        return self._unassigned

    def counts(self) -> tuple[int, int]:
        """Hard problems, and soft ones not yet accepted, in the week."""
        if self._counts is None:
            hard = soft = 0
            for problem in self.state.problems():
                if problem.is_hard:
                    hard += 1
                elif not problem.accepted:
                    soft += 1
            self._counts = (hard, soft)
        return self._counts

    def measures(self) -> Measures:
        if self._measures is None:
            self._measures = measures(self.state)
        return self._measures

    # -- one carer's day ----------------------------------------------------------------

    def carer_day(self, carer_id: int, day: date) -> CarerDay:
        state = self.state
        snap = state.snap
        carer = snap.carers[carer_id]
        ids = state.day_visits(carer_id, day)
        stops: list[DayStop] = []
        for index, visit_id in enumerate(ids):
            visit = snap.visits[visit_id]
            following = snap.visits[ids[index + 1]] if index + 1 < len(ids) else None
            gap = travel = None
            if following is not None:
                gap = following.start - visit.end
                travel = state.travel(
                    visit.customer_id, following.customer_id, carer.transport_mode
                )
            own = [
                p
                for p in state.visit_problems(visit_id)
                if p.carer_id in (None, carer_id) and p.day in (None, day)
            ]
            stops.append(
                DayStop(
                    visit_id,
                    local(visit.start),
                    local(visit.end),
                    self.customer_name(visit_id),
                    " ".join(visit.skills),
                    self.tasks.get(visit_id, ""),
                    tuple(
                        self.carer_name(c)
                        for c in state.carers_of.get(visit_id, ())
                        if c != carer_id
                    )
                    + tuple(  # shadows, never staffing (issue 18 §7)
                        f"◌ {self.carer_name(c)}"
                        for c in getattr(snap, "shadows", {}).get(visit_id, ())
                    ),
                    gap,
                    travel,
                    P.worst(own),
                )
            )
        problems = self.cell_problems(carer_id, day) + self.cell_problems(carer_id, None)
        return CarerDay(
            carer,
            day,
            day in carer.absent_days,
            stops,
            problems,
            state.day_summary(carer_id, day),
        )
