"""The rota week's reader as it was before the fast read (issue 23 §1, 2026-12-06): every
statement through SQLAlchemy's result rows, times as epoch seconds from the database. Kept
for the tests only, as the reference the fast ``snapshot.load_week`` must equal field by
field (``tests/test_rota_load_fast.py``); not used by the app."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    Integer,
    String,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import (
    Absence,
    Carer,
    CarerAvailability,
    CarerSkill,
    CarerWeekHours,
    Customer,
    CustomerCarerPreference,
    ProblemAcceptance,
    Skill,
    Visit,
    VisitAssignment,
    VisitStatus,
    WorkingTimeSettings,
)
from coordinator_tui.services import access
from coordinator_tui.services.rota import snapshot as _snapshot
from coordinator_tui.services.rota.shifts import rests_from_text, spans_from, week_figures
from coordinator_tui.services.rota.snapshot import (
    CONTEXT_DAYS,
    HISTORY_WEEKS,
    SCarer,
    SCustomer,
    SVisit,
    WeekSnapshot,
    _plain_day_midnight,
    epoch_minutes,
    seen_pairs,
    split_skills,
    week_monday,
)
from coordinator_tui.services.rota.travel import DEFAULT_TRAVEL, TravelConfig, TravelTable
from coordinator_tui.services.rota.week_hours import SOURCE_VISITS, customers_from_text
from coordinator_tui.services.rota.wtr import (
    ADULT,
    DAY,
    NIGHT_START_DEFAULT,
    REFERENCE_PERIOD_EXCLUDED,
    YOUNG,
)


def _plain(column):
    """A timestamp column read as SQLAlchemy's plain ``DateTime``: naive UTC on SQLite,
    aware on PostgreSQL, both fine for :func:`epoch_minutes`. It skips SQLModel's
    per-value timezone handling of the ~25,000 visit times of a large week's 16-week
    history (about 10 ms of a 60-70 ms load)."""
    return type_coerce(column, DateTime())


_UNSET = object()


def _epoch_seconds(column, dialect: str):
    """A timestamp column as whole seconds since the Unix epoch, worked out by the database
    (SQLite stores naive UTC text; PostgreSQL a ``timestamptz``): no timestamp is parsed in
    Python. Floored, as :func:`epoch_minutes` floors."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _text(column):
    """A date column read as the driver gives it (SQLite: ISO text; PostgreSQL: a date),
    for :class:`_DayParser`."""
    return type_coerce(column, String())


class _DayParser:
    """A stored day to a ``date``, parsed once per distinct value (a week has ten)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[object, date] = {}

    def __call__(self, raw: object) -> date:
        found = self._seen.get(raw)
        if found is None:
            found = self._seen[raw] = (
                date.fromisoformat(raw[:10]) if isinstance(raw, str) else raw  # type: ignore[assignment]
            )
        return found


_CARER, _CUSTOMER, _SKILL, _AVAILABLE, _ABSENT, _PREFERENCE, _ACCEPTED, _NIGHT = range(8)
"""The kinds of row ``_reference_rows`` reads."""


def _minute_of(text: str) -> int:
    """A stored time of day (``HH:MM[:SS...]``, as either database gives it as text) as
    minutes since midnight."""
    return int(text[:2]) * 60 + int(text[3:5])


def _reference_rows(monday: date, sunday: date, first_history_day: date):
    """One statement for what the week reads besides its visits and kept weeks: rows of
    one shape, ``(kind, i1, i2, i3, f1, f2, f3, t1, t2, t3, t4)``, each kind filling the
    columns it needs (integers, floats and text in their own, so PostgreSQL's UNION sees
    one type a column; dates and times as text, parsed once each; the carer's yes/no
    fields as bits of one integer, the recorded night worker apart as it may be unknown).

    - carer: id, flags (opt-out 1, active 2, split-shift exempt 4, special hazards 8,
      young night contract 16), night worker; home lat, lon, contracted hours; name,
      gender, date of birth, transport mode;
    - customer: id, lone-working risk; lat, lon; name, preferred gender;
    - skill: carer; code, expires on; availability: carer, weekday; start, end;
    - absence (touching the 17 weeks): carer; start, end, kind;
    - preference: customer, carer; kind; acceptance (of the week's visits): visit,
      carer; code; night time: its start (the settings' first row)."""
    int_, text, real = Integer, String, Float

    def row(kind: int, *columns):
        typed = [literal_column(str(kind))]
        for value, type_ in zip(columns, (int_,) * 3 + (real,) * 3 + (text,) * 4, strict=True):
            typed.append(cast(null(), type_) if value is None else value)
        return typed

    def flag(column, bit: int):
        return cast(column, Integer) * bit

    flags = (
        flag(Carer.wtr_opt_out, 1)
        + flag(Carer.active, 2)
        + flag(Carer.split_shift_exempt, 4)
        + flag(Carer.special_hazards, 8)
        + flag(Carer.young_night_contract, 16)
    )
    first_settings = select(func.min(WorkingTimeSettings.id)).scalar_subquery()
    return union_all(
        select(
            *row(
                _CARER,
                Carer.id,
                flags,
                cast(Carer.night_worker, Integer),
                cast(Carer.home_lat, Float),
                cast(Carer.home_lon, Float),
                cast(Carer.contracted_hours, Float),
                Carer.name,
                Carer.gender,
                cast(Carer.date_of_birth, String),
                Carer.transport_mode,
            )
        ),
        select(
            *row(
                _CUSTOMER,
                Customer.id,
                cast(Customer.lone_working_risk, Integer),
                None,
                cast(Customer.lat, Float),
                cast(Customer.lon, Float),
                None,
                Customer.name,
                Customer.preferred_gender,
                None,
                None,
            )
        ),
        select(
            *row(
                _SKILL,
                CarerSkill.carer_id,
                None,
                None,
                None,
                None,
                None,
                Skill.code,
                cast(CarerSkill.expires_on, String),
                None,
                None,
            )
        ).select_from(CarerSkill.__table__.join(Skill.__table__, Skill.id == CarerSkill.skill_id)),
        select(
            *row(
                _AVAILABLE,
                CarerAvailability.carer_id,
                CarerAvailability.weekday,
                None,
                None,
                None,
                None,
                cast(CarerAvailability.start_time, String),
                cast(CarerAvailability.end_time, String),
                None,
                None,
            )
        ),
        select(
            *row(
                _ABSENT,
                Absence.carer_id,
                None,
                None,
                None,
                None,
                None,
                cast(Absence.start_date, String),
                cast(Absence.end_date, String),
                Absence.kind,
                None,
            )
        ).where(Absence.start_date <= sunday, Absence.end_date >= first_history_day),
        select(
            *row(
                _PREFERENCE,
                CustomerCarerPreference.customer_id,
                CustomerCarerPreference.carer_id,
                None,
                None,
                None,
                None,
                CustomerCarerPreference.kind,
                None,
                None,
                None,
            )
        ),
        select(
            *row(
                _ACCEPTED,
                ProblemAcceptance.visit_id,
                ProblemAcceptance.carer_id,
                None,
                None,
                None,
                None,
                ProblemAcceptance.code,
                None,
                None,
                None,
            )
        )
        .select_from(
            ProblemAcceptance.__table__.join(
                Visit.__table__, Visit.id == ProblemAcceptance.visit_id
            )
        )
        .where(Visit.visit_date.between(monday, sunday)),
        select(
            *row(
                _NIGHT,
                None,
                None,
                None,
                None,
                None,
                None,
                cast(WorkingTimeSettings.night_start, String),
                None,
                None,
                None,
            )
        ).where(WorkingTimeSettings.id == first_settings),
    )


def _rows(result) -> Iterator:
    """A result's rows a few hundred at a time (``fetchmany``): not one driver call a row,
    as iterating a result does, nor every row held at once, as ``all()`` does (17,000 rows
    alive together at x10 were carried into the older generations and the collector then
    walked the whole heap, 70 ms of a load)."""
    for chunk in result.partitions(256):
        yield from chunk


def reference_load_week(
    session: Session, day: date, travel: TravelConfig = DEFAULT_TRAVEL
) -> WeekSnapshot:
    """The snapshot of the week holding ``day``: a handful of narrow tuple queries.

    Reading the rota is viewing customers and visits (``view_customers``, which ``rota``
    includes); changing it (``assign``...) checks ``rota`` itself."""
    access.require(session, access.VIEW_CUSTOMERS)  # issue 17
    monday = week_monday(day)
    sunday = monday + timedelta(days=6)
    first_history_day = monday - timedelta(weeks=HISTORY_WEEKS)
    last_monday = monday - timedelta(days=7)

    # Everything but the visits and the kept weeks in one statement (issue 23 §5: each
    # statement is a round trip to a shared PostgreSQL server, and the load made eleven):
    # carers, customers, skills, availability, absences, preferences, acceptances and
    # the night time, as rows of one shape (``_reference_rows``) told apart by ``kind``.
    connection = session.connection()
    dialect = connection.dialect.name
    skills_of: dict[int, dict[str, date | None]] = defaultdict(dict)
    windows: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    absent: dict[int, set[date]] = defaultdict(set)
    leave: dict[int, list[int]] = defaultdict(lambda: [0] * (HISTORY_WEEKS + 1))
    preferred: dict[int, set[int]] = defaultdict(set)
    excluded: dict[int, set[int]] = defaultdict(set)
    carer_rows: list = []
    customer_rows: list = []
    accepted: list[tuple[str, int, int | None]] = []
    night_start = NIGHT_START_DEFAULT
    day_of = _DayParser()
    for kind, i1, i2, i3, f1, f2, f3, t1, t2, t3, t4 in _rows(
        connection.execute(_reference_rows(monday, sunday, first_history_day))
    ):
        if kind == _SKILL:
            skills_of[i1][t1.upper()] = day_of(t2) if t2 else None
        elif kind == _AVAILABLE:
            low, high = _minute_of(t1), _minute_of(t2)
            if high <= low:  # runs past midnight (00:00 itself is the end of the day)
                high += DAY
            windows[i1][i2].append((low, high))
        elif kind == _ABSENT:
            current = max(day_of(t1), first_history_day)
            counted = (t3 or "").lower() in REFERENCE_PERIOD_EXCLUDED
            while current <= min(day_of(t2), sunday):
                if current >= monday:
                    absent[i1].add(current)
                if counted:
                    leave[i1][-(-(monday - current).days // 7)] += 1  # 0: this week
                current += timedelta(days=1)
        elif kind == _PREFERENCE:
            (excluded if t1 == "excluded" else preferred)[i1].add(i2)
        elif kind == _CARER:
            carer_rows.append((i1, i2, i3, f1, f2, f3, t1, t2, t3, t4))
        elif kind == _CUSTOMER:
            customer_rows.append((i1, i2, f1, f2, t1, t2))
        elif kind == _ACCEPTED:
            accepted.append((t1, i1, i2))
        elif kind == _NIGHT and t1:
            night_start = _minute_of(t1)
    carers: dict[int, SCarer] = {}
    for cid, flags, night_worker, lat, lon, hours, name, gender, born, mode in carer_rows:
        carers[cid] = SCarer(
            cid,
            name,
            gender or "",
            day_of(born) if born else None,
            mode or travel.default_mode,
            lat or 0.0,
            lon or 0.0,
            round((hours or 0.0) * 60),
            bool(flags & 1),
            bool(flags & 2),
            skills_of.get(cid, {}),
            {wd: tuple(sorted(w)) for wd, w in windows.get(cid, {}).items()},
            frozenset(absent.get(cid, ())),
            bool(flags & 4),
            None if night_worker is None else bool(night_worker),
            bool(flags & 8),
            bool(flags & 16),
        )
    customers = {
        cid: SCustomer(
            cid,
            name,
            lat or 0.0,
            lon or 0.0,
            pref_gender or "",
            frozenset(preferred.get(cid, ())),
            frozenset(excluded.get(cid, ())),
            bool(lone),
        )
        for cid, lone, lat, lon, name, pref_gender in customer_rows
    }

    # The week's visits, who is on them (by slot), and for context the assigned visits of
    # the last two days before the week and of next Monday (shifts run across the week's
    # edges). Two narrow queries with no ORDER BY (no temporary B-tree): the slots are
    # put in order here, where a visit has more than one. Times come as whole seconds
    # since the epoch from the database (``_epoch_seconds``) and days as the stored text,
    # parsed once per day: a large week is 10,000 visits, and parsing two timestamps and a
    # date per visit in Python was a third of the load (issue 23 §1).
    visits: dict[int, SVisit] = {}
    previous: dict[int, list[SVisit]] = defaultdict(list)
    following: dict[int, list[SVisit]] = defaultdict(list)
    next_monday = sunday + timedelta(days=1)
    recent = monday - timedelta(days=CONTEXT_DAYS)
    # Through the session's connection (Core): the same transaction, without the ORM's
    # per-row step for plain columns (a microsecond or two a row, 17,000 rows at x10).
    # The week's rows and the context's in one statement (``context`` 0 and 1).
    start_s, end_s = _epoch_seconds(Visit.start_at, dialect), _epoch_seconds(Visit.end_at, dialect)
    midnights: dict[date, int | None] = {}
    first_of: dict[int, tuple[int, int]] = {}  # visit -> (slot, carer) of its first row
    seen_days = day_of._seen  # the parser's own memo, read inline in the loop below
    more: dict[int, list[tuple[int, int]]] = defaultdict(list)  # a double-up's other rows
    stops: dict[int, SVisit] = {}
    week_rows = (
        select(
            literal_column("0").label("context"),
            Visit.id,
            Visit.customer_id,
            _text(Visit.visit_date).label("visit_date"),
            start_s.label("start_s"),
            end_s.label("end_s"),
            Visit.carers_required,
            Visit.required_skills,
            Visit.status,
            VisitAssignment.slot,
            VisitAssignment.carer_id,
        )
        .select_from(
            Visit.__table__.outerjoin(
                VisitAssignment.__table__, VisitAssignment.visit_id == Visit.id
            )
        )
        .where(Visit.visit_date.between(monday, sunday), Visit.status != VisitStatus.CANCELLED)
    )
    context_rows = (
        select(
            literal_column("1"),
            Visit.id,
            Visit.customer_id,
            _text(Visit.visit_date),
            start_s,
            end_s,
            cast(null(), Integer),
            cast(null(), String),
            cast(null(), String),
            cast(null(), Integer),
            VisitAssignment.carer_id,
        )
        .select_from(
            VisitAssignment.__table__.join(Visit.__table__, Visit.id == VisitAssignment.visit_id)
        )
        .where(
            or_(
                Visit.visit_date.between(recent, monday - timedelta(days=1)),
                Visit.visit_date == next_monday,
            ),
            Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
        )
    )
    for (
        context,
        vid,
        cid,
        raw_day,
        start_at,
        end_at,
        required,
        skills,
        status,
        slot,
        carer_id,
    ) in _rows(connection.execute(union_all(week_rows, context_rows))):
        if context:
            stop = stops.get(vid)
            if stop is None:
                vday = seen_days.get(raw_day) or day_of(raw_day)
                stop = stops[vid] = SVisit(vid, cid, vday, start_at // 60, end_at // 60)
            (following if stop.day == next_monday else previous)[carer_id].append(stop)
            continue
        if vid in visits:  # a double-up's second carer
            if carer_id is not None:
                more[vid].append((slot, carer_id))
            continue
        if carer_id is not None:
            first_of[vid] = (slot, carer_id)
        vday = seen_days.get(raw_day) or day_of(raw_day)  # no call for a day seen
        start = start_at // 60
        midnight = midnights.get(vday, _UNSET)
        if midnight is _UNSET:
            midnight = midnights[vday] = _plain_day_midnight(vday)
        if midnight is not None and 0 <= start - midnight < DAY:
            local_start = start - midnight
        else:  # a clock-change day, or a visit dated other than the day it starts
            local = datetime.fromtimestamp(start * 60, UK)
            local_start = local.hour * 60 + local.minute
        visits[vid] = SVisit(
            vid,
            cid,
            vday,
            start,
            end_at // 60,
            local_start,
            required or 1,
            split_skills(skills) if skills else (),
            status,
        )
    # One carer on most visits: their row is kept as it came; a double-up's are put in
    # order of slot (no list per visit: a large week has 10,000).
    assigned: dict[int, tuple[int, ...]] = {vid: (taken[1],) for vid, taken in first_of.items()}
    for vid, taken in more.items():
        first = first_of.get(vid)
        everyone = [*taken, first] if first is not None else taken
        assigned[vid] = tuple(c for _, c in sorted(everyone))
    for carer_stops in (*previous.values(), *following.values()):
        carer_stops.sort(key=lambda v: (v.start, v.id))

    # The 16 weeks before, as kept in ``CarerWeekHours`` (``week_hours``); last week's
    # rests of a day or more for the 14-day weekly rest.
    table = TravelTable({cid: (c.lat, c.lon) for cid, c in customers.items()}, travel)
    history: dict[int, list[int | None]] = defaultdict(lambda: [None] * HISTORY_WEEKS)
    nights: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    previous_spans: dict[int, tuple[tuple[int, int], ...]] = {}
    seen_texts: list[tuple[int, str]] = []
    pairs_known = True
    kept = connection.execute(
        select(
            CarerWeekHours.carer_id,
            CarerWeekHours.week_start,
            CarerWeekHours.hours,
            CarerWeekHours.shifts,
            CarerWeekHours.night_shifts,
            _plain(CarerWeekHours.first_start),
            _plain(CarerWeekHours.last_end),
            CarerWeekHours.long_rests,
            CarerWeekHours.customers,
            CarerWeekHours.source,
        ).where(CarerWeekHours.week_start >= first_history_day, CarerWeekHours.week_start < monday)
    )
    for row in _rows(kept):
        carer_id, week_start, hours, shifts, night_shifts, first, last, rests, seen, source = row
        if seen:
            seen_texts.append((carer_id, seen))
        elif seen is None and source == SOURCE_VISITS:
            pairs_known = False  # a row written before the column was kept: read the visits
        weeks_back = -(-(monday - week_start).days // 7)
        history[carer_id][weeks_back - 1] = round((hours or 0.0) * 60)
        nights[carer_id][0] += night_shifts or 0
        nights[carer_id][1] += shifts or 0
        if weeks_back == 1 and first is not None and last is not None:
            previous_spans[carer_id] = spans_from(
                epoch_minutes(first), epoch_minutes(last), rests_from_text(rests)
            )
    # Last week's visits with no row kept for them (written around the session, e.g. by
    # a bulk load; no row at all for last week: all of them): worked out from its visits.
    kept_last_week = any(weeks[0] is not None for weeks in history.values())
    missing = [cid for cid in previous if cid not in history or history[cid][0] is None]
    if missing or not kept_last_week:
        whole: dict[int, list[SVisit]] = defaultdict(list)
        for carer_id, stop in _stops(
            session,
            Visit.visit_date.between(last_monday, monday - timedelta(days=1)),
            *((VisitAssignment.carer_id.in_(missing),) if kept_last_week else ()),
        ):
            whole[carer_id].append(stop)
        for carer_id, stops in whole.items():
            seen_texts.append((carer_id, ",".join(str(stop.customer_id) for stop in stops)))
            carer = carers.get(carer_id) or SCarer(carer_id)

            def leg(a: int, b: int, mode: str = carer.transport_mode) -> int:
                return table.minutes(a, b, mode)

            def rest(day: date, carer: SCarer = carer) -> int:
                return (YOUNG if carer.is_young_on(day) else ADULT).daily_rest

            found = week_figures(
                stops, leg, rest, night_start, last_monday, monday - timedelta(days=1)
            )
            history[carer_id][0] = found.minutes
            nights[carer_id][0] += found.night_shifts
            nights[carer_id][1] += found.shifts
            previous_spans[carer_id] = spans_from(
                found.first_start, found.last_end, found.long_rests
            )
    # Continuity: the (carer, customer) pairs seen in the 16 weeks before, from the same
    # rows (``customers``, kept with the hours). Only where a row does not know them, or
    # last week has no rows at all (visits written around the session), are the 16 weeks
    # of visits read instead (issue 23 §1: the load no longer grows with the history).
    if pairs_known and kept_last_week:
        pairs = frozenset(
            (carer_id, customer_id)
            for carer_id, text in seen_texts
            for customer_id in customers_from_text(text)
        )
    else:
        pairs = seen_pairs(session, first_history_day, monday)

    acceptances = frozenset(accepted)
    snapshot = WeekSnapshot(
        monday=monday,
        carers=carers,
        customers=customers,
        visits=visits,
        assignments=assigned,
        history={cid: tuple(weeks) for cid, weeks in history.items()},
        previous={cid: tuple(stops) for cid, stops in previous.items()},
        previous_spans=previous_spans,
        following={cid: tuple(stops) for cid, stops in following.items()},
        leave_days={cid: tuple(days) for cid, days in leave.items()},
        night_history={cid: (n[0], n[1]) for cid, n in nights.items()},
        night_start=night_start,
        known_pairs=pairs,
        acceptances=acceptances,
        travel=travel,
    )
    snapshot._table = table
    # The rule modules register what they read with the week as they are imported; a
    # caller that loads a week before anything imported them (the grid's cold open, the
    # solver, a script) would otherwise get a week without it, and the checker would then
    # judge it without the shadow requirements or the open care changes.
    import coordinator_tui.services.rota.rules  # noqa: F401

    for extend in _snapshot.EXTENSIONS:
        extend(session, snapshot)
    return snapshot


def _stops(session: Session, *where) -> list[tuple[int, SVisit]]:
    """(carer, visit) for the assigned visits matching ``where`` (cancelled and missed ones
    left out), by start."""
    found = [
        (carer_id, SVisit(vid, cid, vday, epoch_minutes(start_at), epoch_minutes(end_at)))
        for carer_id, vid, cid, vday, start_at, end_at in session.execute(
            select(
                VisitAssignment.carer_id,
                Visit.id,
                Visit.customer_id,
                Visit.visit_date,
                _plain(Visit.start_at),
                _plain(Visit.end_at),
            )
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(*where, Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)))
        )
    ]
    found.sort(key=lambda pair: (pair[1].start, pair[1].id))
    return found
