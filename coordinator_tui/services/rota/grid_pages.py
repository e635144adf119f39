"""The rota grid's first screenful, read before the week is loaded and checked.

Opening the Rota cold reads the whole week into a snapshot (``snapshot.load_week``) and
checks every rule over it (``RotaState``): at ten times the large demo (300 carers,
10,500 visits in the week) that is half a second and more, most of it for rows far below
the screen. :func:`first_page` reads only what the first ``rows`` carers' cells show
without the rules: who they are (the grid's order: by name, then id; active, or on a
visit this week), their visits and visit minutes each day, their days of absence and the
visits they shadow, and the week's totals for the summary line. The screen shows that
page at once, its problem symbols and weekly working time marked as being checked, and
replaces it with the checked week (``grid.RotaWeek``) when that is ready (issue 23 §1).

Every figure here is the one the checked week shows for the same cell (the same visits:
the week's, not cancelled; a carer counted once on a visit; minutes between the start and
end minute; shadows of any status, as ``care.shadowing.load_into`` reads them), so
nothing on the first screenful changes when the checks land but the symbols and the
week's column (``tests/test_rota_grid_cold.py`` compares them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import (
    Date,
    Integer,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Absence,
    Carer,
    CarerAvailability,
    Visit,
    VisitAssignment,
    VisitShadow,
    VisitStatus,
)
from coordinator_tui.services import access
from coordinator_tui.services.rota.measures import due_minutes
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    _epoch_minutes_sql,
    _flavour,
    week_monday,
)


@dataclass(frozen=True)
class PageCell:
    """One carer's day as the first page knows it: no problems checked yet."""

    visits: int
    minutes: int  # visit time (travel not included)
    absent: bool
    shadows: int = 0


@dataclass(frozen=True)
class PageRow:
    carer_id: int
    name: str
    cells: tuple[PageCell, ...]  # Monday to Sunday
    due_minutes: int  # the contract for the week, less the working days of absence


@dataclass
class FirstPage:
    """The first ``rows`` carers of the week's grid and the week's totals."""

    monday: date
    rows: list[PageRow]
    carer_count: int  # every carer the grid will list
    visit_count: int  # the week's visits, cancelled ones left out
    longest_name: int = 0  # of every carer listed (the name column's width)
    days: list[date] = field(init=False)

    def __post_init__(self) -> None:
        self.days = [self.monday + timedelta(days=offset) for offset in range(7)]


def first_page(session: Session, day: date, rows: int) -> FirstPage:
    """The grid's first ``rows`` carers of the week holding ``day``, in its order, with
    their day cells: three narrow statements whatever the week's size or the data (a
    fixed number of round trips on a shared PostgreSQL server). Reading the rota is
    viewing customers and visits, as ``load_week`` requires."""
    access.require(session, access.VIEW_CUSTOMERS)
    # Through the session's connection (Core): the same transaction, without the ORM's
    # step per statement and per row (as ``load_week`` reads the week's visits).
    connection = session.connection()
    monday = week_monday(day)
    sunday = monday + timedelta(days=6)
    in_week = Visit.visit_date.between(monday, sunday)
    live = Visit.status != VisitStatus.CANCELLED

    # 1. Every carer (a few hundred), whether an inactive one is on a visit this week
    # (listed then too), and the week's visits for the summary line.
    # (one list for the statement, not a look-up per carer: an inactive carer's whole
    # history would be walked for a week they are not in)
    inactive = select(Carer.id).where(Carer.active.is_(False))
    on_week = Carer.id.in_(
        select(VisitAssignment.carer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(in_week, live, VisitAssignment.carer_id.in_(inactive))
    )
    week_visits = select(func.count()).select_from(Visit).where(in_week, live).scalar_subquery()
    everyone = connection.execute(
        select(
            Carer.id,
            Carer.name,
            case((Carer.active, true()), else_=on_week),
            Carer.contracted_hours,
            week_visits,
        )
    ).all()
    visit_count = everyone[0][4] if everyone else 0
    contracts = {row[0]: row[3] for row in everyone}
    # The order is Python's, as ``RotaWeek.carers`` sorts: a database collation cannot
    # put the page in another order.
    listed = sorted((name, cid) for cid, name, listed_, _hours, _n in everyone if listed_)
    page = [cid for _name, cid in listed[: max(rows, 0)]]
    names = {cid: name for name, cid in listed[: max(rows, 0)]}

    cells: dict[tuple[int, date], tuple[int, int]] = {}  # (visits, minutes)
    absent: dict[int, set[date]] = defaultdict(set)
    shadows: dict[tuple[int, date], int] = defaultdict(int)
    working_days: dict[int, set[int]] = defaultdict(set)
    flavour = _flavour(connection.dialect)
    start = _epoch_minutes_sql(Visit.start_at, flavour)
    end = _epoch_minutes_sql(Visit.end_at, flavour)
    # 2. The page's carers' days: visits and visit minutes, each visit once for a carer
    # (``DISTINCT``: on two of its places). Added up by the database: a row a carer's
    # day rather than a row a visit (2,500 at ten times the demo), and the minutes
    # worked out as the week's load does (``unixepoch`` where SQLite has it, cheaper than
    # ``strftime``): a third of the statement's time and most of the rows' in Python.
    on_visit = (
        select(
            VisitAssignment.carer_id,
            Visit.id,
            Visit.visit_date,
            (end - start).label("minutes"),
        )
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        # ``+ 0``: by the week's visits (flat with the history), not by the carers'
        # index, which walks every visit each carer ever had (60 ms against 13 at x10)
        .where(in_week, live, (VisitAssignment.carer_id + 0).in_(page))
        .distinct()
        .subquery()
    )
    for carer_id, vday, visits, minutes in connection.execute(
        select(
            on_visit.c.carer_id, on_visit.c.visit_date, func.count(), func.sum(on_visit.c.minutes)
        ).group_by(on_visit.c.carer_id, on_visit.c.visit_date)
    ):
        cells[(carer_id, vday)] = (visits, int(minutes))
    # 3. Their absences, the visits they shadow (any status, as ``care.shadowing`` reads
    # them) and their working weekdays (the contract less the days off), in one.
    no_day, no_weekday = cast(null(), Date), cast(null(), Integer)
    absence, shadow, weekday = (literal_column(f"'{kind}'") for kind in "asw")
    parts = union_all(
        select(absence, Absence.carer_id, Absence.start_date, Absence.end_date, no_weekday)
        .where(Absence.start_date <= sunday, Absence.end_date >= monday)
        .where(Absence.carer_id.in_(page)),
        select(shadow, VisitShadow.carer_id, Visit.visit_date, no_day, no_weekday)
        .join(Visit, Visit.id == VisitShadow.visit_id)
        .where(in_week, VisitShadow.carer_id.in_(page)),
        select(
            weekday, CarerAvailability.carer_id, no_day, no_day, CarerAvailability.weekday
        ).where(CarerAvailability.carer_id.in_(page)),
    )
    for kind, carer_id, first_day, last_day, weekday in connection.execute(parts):
        if kind == "a":
            current = max(first_day, monday)
            while current <= min(last_day, sunday):
                absent[carer_id].add(current)
                current += timedelta(days=1)
        elif kind == "s":
            shadows[(carer_id, first_day)] += 1
        else:
            working_days[carer_id].add(weekday)

    days = [monday + timedelta(days=offset) for offset in range(7)]
    page_rows = []
    for cid in page:
        off = absent.get(cid, set())
        row = []
        for one in days:
            visits, minutes = cells.get((cid, one), (0, 0))
            row.append(PageCell(visits, minutes, one in off, shadows.get((cid, one), 0)))
        # The contract less the days off, as the checked week works it out.
        carer = SCarer(
            cid,
            names[cid],
            contracted_minutes=round((contracts.get(cid) or 0.0) * 60),
            availability={weekday: ((0, 0),) for weekday in working_days.get(cid, ())},
            absent_days=frozenset(off),
        )
        page_rows.append(PageRow(cid, names[cid], tuple(row), due_minutes(carer, days)))
    longest = max((len(name) for name, _cid in listed), default=0)
    return FirstPage(monday, page_rows, len(listed), visit_count or 0, longest)
