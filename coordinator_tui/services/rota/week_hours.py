"""Each carer's working time per week (``CarerWeekHours``), kept up to date as visits change.

The 17-week averages of the Working Time Regulations (reg 4, reg 6) look back 16 weeks.
Reading and summing 16 weeks of visits each time a rota week opens costs more than the
whole check, so the figures are kept as data: one row per carer and week with the working
minutes (travel between visits counted, as the checker counts it), the shifts and the night
shifts (for inferring who is a night worker, reg 2).

:func:`install` hooks a session class (``coordinator_tui.db`` does it for ``AppSession``):
after each flush it notes the visits and assignments written; just before the commit it
works out again the weeks of the carers they touch, through the same session (so the rows
are audited and committed, or rolled back, with the change itself). A row entered from
payroll (``source`` "recorded") for a week the app has no visits for is left alone.
:func:`backfill` fills in the weeks of visits already recorded (migration 0003).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Carer,
    CarerWeekHours,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
    WorkingTimeSettings,
    utcnow,
)
from coordinator_tui.services.rota.shifts import WeekFigures, rests_text, week_figures
from coordinator_tui.services.rota.travel import DEFAULT_TRAVEL, TravelTable
from coordinator_tui.services.rota.wtr import ADULT, NIGHT_START_DEFAULT, YOUNG, YOUNG_WORKER_AGE

SOURCE_VISITS = "visits"
SOURCE_RECORDED = "recorded"
_STALE = "coordinator_tui.week_hours"  # session.info key: what the flushes touched
_SKIPPED = (VisitStatus.CANCELLED, VisitStatus.MISSED)
EMPTY = WeekFigures(0, 0, 0, None, None, ())


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


class _Stop:
    """A visit as the shift builder reads it."""

    __slots__ = ("customer_id", "day", "end", "id", "start")

    def __init__(self, vid: int, customer_id: int, day: date, start: int, end: int) -> None:
        self.id, self.customer_id, self.day, self.start, self.end = (
            vid,
            customer_id,
            day,
            start,
            end,
        )


def _minutes(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) // 60


def _young_until(born: date | None) -> date | None:
    if born is None:
        return None
    try:
        return born.replace(year=born.year + YOUNG_WORKER_AGE)
    except ValueError:  # born on 29 February
        return date(born.year + YOUNG_WORKER_AGE, 3, 1)


def figures(runner: Any, pairs: Iterable[tuple[int, date]]) -> dict[tuple[int, date], WeekFigures]:
    """The figures of each (carer, Monday) in ``pairs``, from the visits (cancelled and
    missed ones left out). ``runner`` is a Session or a Connection."""
    return figures_and_customers(runner, pairs)[0]


def customers_text(customer_ids: Iterable[int]) -> str:
    """The ``customers`` column: distinct ids ascending, comma-separated ("" for none)."""
    return ",".join(str(c) for c in sorted(set(customer_ids)))


def customers_from_text(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


def figures_and_customers(
    runner: Any, pairs: Iterable[tuple[int, date]]
) -> tuple[dict[tuple[int, date], WeekFigures], dict[tuple[int, date], str]]:
    """:func:`figures`, and the customers each (carer, Monday) visited (``customers``)."""
    by_week: dict[date, set[int]] = defaultdict(set)
    for carer_id, monday in pairs:
        by_week[monday].add(carer_id)
    if not by_week:
        return {}, {}
    found = runner.execute(select(WorkingTimeSettings.night_start).limit(1)).scalar()
    night_start = found.hour * 60 + found.minute if found is not None else NIGHT_START_DEFAULT
    carers = {
        cid: (mode or DEFAULT_TRAVEL.default_mode, _young_until(born))
        for cid, mode, born in runner.execute(
            select(Carer.id, Carer.transport_mode, Carer.date_of_birth).where(
                Carer.id.in_({c for ids in by_week.values() for c in ids})
            )
        )
    }
    stops: dict[tuple[int, date], list[_Stop]] = defaultdict(list)
    for monday, carer_ids in by_week.items():
        for carer_id, vid, cid, vday, start_at, end_at in runner.execute(
            select(
                VisitAssignment.carer_id,
                Visit.id,
                Visit.customer_id,
                Visit.visit_date,
                Visit.start_at,
                Visit.end_at,
            )
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(
                VisitAssignment.carer_id.in_(carer_ids),
                Visit.visit_date.between(monday, monday + timedelta(days=6)),
                Visit.status.not_in(_SKIPPED),
            )
        ):
            stops[(carer_id, monday)].append(
                _Stop(vid, cid, vday, _minutes(start_at), _minutes(end_at))
            )
    places = {s.customer_id for found_stops in stops.values() for s in found_stops}
    table = TravelTable(
        {
            cid: (lat or 0.0, lon or 0.0)
            for cid, lat, lon in runner.execute(
                select(Customer.id, Customer.lat, Customer.lon).where(Customer.id.in_(places))
            )
        }
    )
    result: dict[tuple[int, date], WeekFigures] = {}
    seen: dict[tuple[int, date], str] = {}
    for monday, carer_ids in by_week.items():
        for carer_id in carer_ids:
            week_stops = sorted(stops.get((carer_id, monday), ()), key=lambda s: (s.start, s.id))
            seen[(carer_id, monday)] = customers_text(s.customer_id for s in week_stops)
            if not week_stops:
                result[(carer_id, monday)] = EMPTY
                continue
            mode, adult_from = carers.get(carer_id, (DEFAULT_TRAVEL.default_mode, None))

            def leg(a: int, b: int, mode: str = mode) -> int:
                return table.minutes(a, b, mode)

            def rest(day: date, adult_from: date | None = adult_from) -> int:
                young = adult_from is not None and day < adult_from
                return (YOUNG if young else ADULT).daily_rest

            result[(carer_id, monday)] = week_figures(
                week_stops, leg, rest, night_start, monday, monday + timedelta(days=6)
            )
    return result, seen


def refresh(session: Session, pairs: Iterable[tuple[int, date]]) -> int:
    """Work out the (carer, Monday) weeks in ``pairs`` again from their visits and write
    them through the session (audited). A week left with no visits loses its row, unless
    the row was entered from payroll. Returns the rows written or removed."""
    pairs = set(pairs)
    computed, seen = figures_and_customers(session, pairs)
    existing = {
        (row.carer_id, row.week_start): row
        for row in session.scalars(
            select(CarerWeekHours).where(
                CarerWeekHours.carer_id.in_({c for c, _ in pairs}),
                CarerWeekHours.week_start.in_({m for _, m in pairs}),
            )
        )
    }
    changed = 0
    for key, found in sorted(computed.items()):
        row = existing.get(key)
        if not found.shifts:
            if row is not None and row.source == SOURCE_VISITS:
                session.delete(row)
                changed += 1
            continue
        values = row_values(found, seen.get(key, ""))
        if row is None:
            session.add(CarerWeekHours(carer_id=key[0], week_start=key[1], **values))
            changed += 1
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed += 1
    return changed


def row_values(found: WeekFigures, customers: str | None = None) -> dict[str, Any]:
    """A row's columns for the figures of a week worked out from its visits (``customers``:
    the ``customers`` column, or None where the caller has not worked it out:
    :func:`fill_customers` does then)."""
    return dict(
        hours=round(found.minutes / 60, 4),
        source=SOURCE_VISITS,
        shifts=found.shifts,
        night_shifts=found.night_shifts,
        first_start=_moment(found.first_start),
        last_end=_moment(found.last_end),
        long_rests=rests_text(found.long_rests),
        customers=customers,
    )


def visited(runner: Any, *where: Any) -> dict[tuple[int, date], set[int]]:
    """(carer, Monday) -> the customers of their visits matching ``where`` (cancelled and
    missed ones left out), one grouped query."""
    found: dict[tuple[int, date], set[int]] = defaultdict(set)
    for carer_id, day, customer_id in runner.execute(
        select(VisitAssignment.carer_id, Visit.visit_date, Visit.customer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(*where, Visit.status.not_in(_SKIPPED))
        .distinct()
    ):
        found[(carer_id, monday_of(day))].add(customer_id)
    return found


def fill_customers(runner: Any) -> int:
    """Every row's ``customers`` worked out from the visits (migration 0014; the demo's
    seeding, which writes its rows before its visits). Written as plain updates on
    ``runner``'s connection: a one-off fill, like :func:`backfill`. Returns the rows."""
    seen = visited(runner)
    rows = [
        {"row_id": row_id, "text": customers_text(seen.get((carer_id, week), ()))}
        for row_id, carer_id, week in runner.execute(
            select(CarerWeekHours.id, CarerWeekHours.carer_id, CarerWeekHours.week_start)
        )
    ]
    if rows:
        table = CarerWeekHours.__table__
        runner.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(customers=bindparam("text")),
            rows,
        )
    return len(rows)


def _moment(epoch_minute: int | None) -> datetime | None:
    return None if epoch_minute is None else datetime.fromtimestamp(epoch_minute * 60, UTC)


def backfill(connection: Connection) -> int:
    """Rows for every (carer, week) with visits and no row yet (migration 0003): written on
    the migration's connection. Returns the rows added."""
    have = set(
        tuple(row)
        for row in connection.execute(select(CarerWeekHours.carer_id, CarerWeekHours.week_start))
    )
    pairs = {
        (carer_id, monday_of(day))
        for carer_id, day in connection.execute(
            select(VisitAssignment.carer_id, Visit.visit_date)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.status.not_in(_SKIPPED))
            .distinct()
        )
    } - have
    computed = figures(connection, pairs)
    now = utcnow()
    rows = [
        dict(
            created_at=now,
            updated_at=now,
            version=1,
            carer_id=carer_id,
            week_start=monday,
            # No ``customers`` here: this runs in migration 0003, before the column
            # (0014, which fills it with :func:`fill_customers`).
            **{k: v for k, v in row_values(found).items() if k != "customers"},
        )
        for (carer_id, monday), found in sorted(computed.items())
        if found.shifts
    ]
    if rows:
        connection.execute(insert(CarerWeekHours), rows)
    return len(rows)


# -- keeping the rows up to date --------------------------------------------------------------


def install(session_class: type[Session]) -> None:
    """Keep ``CarerWeekHours`` in step with the visits written through ``session_class``."""
    event.listen(session_class, "after_flush", _note)
    event.listen(session_class, "before_commit", _refresh_noted)
    event.listen(session_class, "after_rollback", _forget)
    event.listen(session_class, "after_commit", _forget)


def _stale(session: Session) -> dict[str, set]:
    found = session.info.get(_STALE)
    if found is None:
        found = session.info[_STALE] = {"visits": set(), "carers": set(), "dates": set()}
    return found


def _note(session: Session, _context) -> None:
    """After a flush: the visits whose assignments, times or dates were written."""
    stale = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, VisitAssignment):
            stale = stale or _stale(session)
            stale["visits"].add(obj.visit_id)
            stale["carers"].add((obj.carer_id, obj.visit_id))
            for old in inspect(obj).attrs.carer_id.history.deleted or ():
                stale["carers"].add((old, obj.visit_id))
        elif isinstance(obj, Visit):
            stale = stale or _stale(session)
            stale["visits"].add(obj.id)
            stale["dates"].add((obj.id, obj.visit_date))  # a deleted visit is not read back
            for old in inspect(obj).attrs.visit_date.history.deleted or ():
                stale["dates"].add((obj.id, old))


def _refresh_noted(session: Session) -> None:
    """Just before a commit: the weeks of the carers the noted visits touch, again."""
    session.flush()  # so changes not flushed yet are noted too
    stale = session.info.pop(_STALE, None)
    if not stale or not stale["visits"]:
        return
    visit_ids = stale["visits"]
    days: dict[int, set[date]] = defaultdict(set)
    for visit_id, day in session.execute(
        select(Visit.id, Visit.visit_date).where(Visit.id.in_(visit_ids))
    ):
        days[visit_id].add(day)
    for visit_id, day in stale["dates"]:
        days[visit_id].add(day)
    carers: dict[int, set[int]] = defaultdict(set)
    for visit_id, carer_id in session.execute(
        select(VisitAssignment.visit_id, VisitAssignment.carer_id).where(
            VisitAssignment.visit_id.in_(visit_ids)
        )
    ):
        carers[visit_id].add(carer_id)
    for carer_id, visit_id in stale["carers"]:
        carers[visit_id].add(carer_id)
    pairs = {
        (carer_id, monday_of(day))
        for visit_id, found_days in days.items()
        for day in found_days
        for carer_id in carers.get(visit_id, ())
    }
    if pairs:
        refresh(session, pairs)
    session.info.pop(_STALE, None)  # the refresh's own flush noted nothing of interest


def _forget(session: Session) -> None:
    session.info.pop(_STALE, None)
