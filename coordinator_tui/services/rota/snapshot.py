"""One rota week loaded from the session into plain frozen dataclasses.

Validation, ranking and measures then run without the ORM. Times are whole minutes since
the Unix epoch (UTC), so durations are right across the clock changes; ``local_start`` is
the UK wall-clock minute of the day, for availability patterns.

Besides the week itself a snapshot holds what the rules look back at:
- hours worked in each of the 16 weeks before (the 17-week WTR average): a
  ``CarerWeekHours`` row where there is one, otherwise the working time of that week's
  recorded visits (travel between visits included);
- the working days of the 7 days before (daily rest across Monday, 14-day weekly rest);
- the (carer, customer) pairs seen in those 16 weeks (continuity);
- the soft problems accepted with a rationale (``ProblemAcceptance``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import DateTime, select, type_coerce
from sqlalchemy.orm import Session

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
)
from coordinator_tui.services.clock import UK
from coordinator_tui.services.rota.timeline import DaySummary, summarise
from coordinator_tui.services.rota.travel import DEFAULT_TRAVEL, TravelConfig, TravelTable
from coordinator_tui.services.rota.wtr import YOUNG_WORKER_AGE

HISTORY_WEEKS = 16  # with the week itself, the 17-week reference period


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def epoch_minutes(moment: datetime) -> int:
    """Whole minutes since the Unix epoch; a naive value is taken as UTC.

    Timedelta arithmetic rather than ``replace(tzinfo=...).timestamp()``: a large week
    converts about 7,000 times, and this is a third of the cost."""
    return (moment - (_EPOCH if moment.tzinfo is None else _EPOCH_UTC)) // _MINUTE


def local_midnight(day: date) -> int:
    """Epoch minutes of UK midnight at the start of ``day``."""
    return epoch_minutes(datetime.combine(day, time.min, tzinfo=UK))


def _plain(column):
    """A timestamp column read as SQLAlchemy's plain ``DateTime``: naive UTC on SQLite,
    aware on PostgreSQL, both fine for :func:`epoch_minutes`. It skips SQLModel's
    per-value timezone handling of the ~25,000 visit times of a large week's 16-week
    history (about 10 ms of a 60-70 ms load)."""
    return type_coerce(column, DateTime())


def split_skills(text: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip().upper() for part in text.split(",") if part.strip()}))


@dataclass(frozen=True, slots=True)
class SVisit:
    id: int
    customer_id: int
    day: date
    start: int  # epoch minutes
    end: int
    local_start: int = 0  # UK wall-clock minute of the day the visit starts
    carers_required: int = 1
    skills: tuple[str, ...] = ()  # upper-case skill codes
    status: str = VisitStatus.PLANNED

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class SCarer:
    id: int
    name: str = ""
    gender: str = ""
    date_of_birth: date | None = None
    transport_mode: str = "drive"
    lat: float = 0.0
    lon: float = 0.0
    contracted_minutes: int = 0
    wtr_opt_out: bool = False
    active: bool = True
    skills: dict[str, date | None] = field(default_factory=dict)  # code -> expires_on
    # weekday (0 Monday) -> windows of UK wall-clock minutes; empty: no pattern recorded
    availability: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    absent_days: frozenset[date] = frozenset()

    def is_young_on(self, day: date) -> bool:
        """Under 18 on ``day`` (the young-worker rules of WTR reg 5A apply)."""
        born = self.date_of_birth
        if born is None:
            return False
        try:
            adult = born.replace(year=born.year + YOUNG_WORKER_AGE)
        except ValueError:  # born on 29 February
            adult = date(born.year + YOUNG_WORKER_AGE, 3, 1)
        return day < adult


@dataclass(frozen=True, slots=True)
class SCustomer:
    id: int
    name: str = ""
    lat: float = 0.0
    lon: float = 0.0
    preferred_gender: str = ""
    preferred: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    lone_working_risk: bool = False


@dataclass
class WeekSnapshot:
    """Everything the rules need about one week (Monday to Sunday)."""

    monday: date
    carers: dict[int, SCarer]
    customers: dict[int, SCustomer]
    visits: dict[int, SVisit]
    assignments: dict[int, tuple[int, ...]]  # visit -> carers by slot
    # carer -> minutes worked in the 16 weeks before, most recent first (None: no record)
    history: dict[int, tuple[int | None, ...]] = field(default_factory=dict)
    previous_days: dict[int, tuple[DaySummary, ...]] = field(default_factory=dict)
    known_pairs: frozenset[tuple[int, int]] = frozenset()  # (carer, customer) seen before
    acceptances: frozenset[tuple[str, int, int | None]] = frozenset()  # code, visit, carer
    travel: TravelConfig = DEFAULT_TRAVEL
    week_start: int = 0  # epoch minutes of UK midnight starting Monday
    week_end: int = 0  # ... and the next Monday

    def __post_init__(self) -> None:
        self._table: TravelTable | None = None
        if not self.week_start:
            self.week_start = local_midnight(self.monday)
        if not self.week_end:
            self.week_end = local_midnight(self.monday + timedelta(days=7))

    @property
    def travel_table(self) -> TravelTable:
        """Travel minutes between customers (memoised, shared by every check of the week)."""
        if self._table is None:
            self._table = TravelTable(
                {cid: (c.lat, c.lon) for cid, c in self.customers.items()}, self.travel
            )
        return self._table

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=offset) for offset in range(7)]


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def load_week(session: Session, day: date, travel: TravelConfig = DEFAULT_TRAVEL) -> WeekSnapshot:
    """The snapshot of the week holding ``day``: a handful of narrow tuple queries."""
    monday = week_monday(day)
    sunday = monday + timedelta(days=6)
    first_history_day = monday - timedelta(weeks=HISTORY_WEEKS)

    skills_of: dict[int, dict[str, date | None]] = defaultdict(dict)
    for carer_id, code, expires in session.execute(
        select(CarerSkill.carer_id, Skill.code, CarerSkill.expires_on).join(
            Skill, Skill.id == CarerSkill.skill_id
        )
    ):
        skills_of[carer_id][code.upper()] = expires
    windows: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for carer_id, weekday, start, end in session.execute(
        select(
            CarerAvailability.carer_id,
            CarerAvailability.weekday,
            CarerAvailability.start_time,
            CarerAvailability.end_time,
        )
    ):
        windows[carer_id][weekday].append(
            (start.hour * 60 + start.minute, end.hour * 60 + end.minute or 24 * 60)
        )
    absent: dict[int, set[date]] = defaultdict(set)
    for carer_id, start_day, end_day in session.execute(
        select(Absence.carer_id, Absence.start_date, Absence.end_date).where(
            Absence.start_date <= sunday, Absence.end_date >= monday
        )
    ):
        current = max(start_day, monday)
        while current <= min(end_day, sunday):
            absent[carer_id].add(current)
            current += timedelta(days=1)
    carers: dict[int, SCarer] = {}
    for row in session.execute(
        select(
            Carer.id,
            Carer.name,
            Carer.gender,
            Carer.date_of_birth,
            Carer.transport_mode,
            Carer.home_lat,
            Carer.home_lon,
            Carer.contracted_hours,
            Carer.wtr_opt_out,
            Carer.active,
        )
    ):
        cid = row[0]
        carers[cid] = SCarer(
            cid,
            row[1],
            row[2] or "",
            row[3],
            row[4] or travel.default_mode,
            row[5] or 0.0,
            row[6] or 0.0,
            round((row[7] or 0.0) * 60),
            bool(row[8]),
            bool(row[9]),
            skills_of.get(cid, {}),
            {wd: tuple(sorted(w)) for wd, w in windows.get(cid, {}).items()},
            frozenset(absent.get(cid, ())),
        )

    preferred: dict[int, set[int]] = defaultdict(set)
    excluded: dict[int, set[int]] = defaultdict(set)
    for customer_id, carer_id, kind in session.execute(
        select(
            CustomerCarerPreference.customer_id,
            CustomerCarerPreference.carer_id,
            CustomerCarerPreference.kind,
        )
    ):
        (excluded if kind == "excluded" else preferred)[customer_id].add(carer_id)
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
        for cid, name, lat, lon, pref_gender, lone in session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.lat,
                Customer.lon,
                Customer.preferred_gender,
                Customer.lone_working_risk,
            )
        )
    }

    visits: dict[int, SVisit] = {}
    for vid, cid, vday, start_at, end_at, required, skills, status in session.execute(
        select(
            Visit.id,
            Visit.customer_id,
            Visit.visit_date,
            _plain(Visit.start_at),
            _plain(Visit.end_at),
            Visit.carers_required,
            Visit.required_skills,
            Visit.status,
        ).where(Visit.visit_date.between(monday, sunday), Visit.status != VisitStatus.CANCELLED)
    ):
        start = epoch_minutes(start_at)
        local = (start_at if start_at.tzinfo else start_at.replace(tzinfo=UTC)).astimezone(UK)
        visits[vid] = SVisit(
            vid,
            cid,
            vday,
            start,
            epoch_minutes(end_at),
            local.hour * 60 + local.minute,
            required or 1,
            split_skills(skills or ""),
            status,
        )
    assigned: dict[int, list[int]] = defaultdict(list)
    for visit_id, carer_id in session.execute(
        select(VisitAssignment.visit_id, VisitAssignment.carer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(Visit.visit_date.between(monday, sunday))
        .order_by(VisitAssignment.visit_id, VisitAssignment.slot)
    ):
        if visit_id in visits:
            assigned[visit_id].append(carer_id)

    # The 16 weeks before: worked visits per carer and day, and recorded weekly hours.
    table = TravelTable({cid: (c.lat, c.lon) for cid, c in customers.items()}, travel)
    modes = {cid: c.transport_mode for cid, c in carers.items()}
    earlier: dict[tuple[int, date], list[tuple[int, int, int]]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for carer_id, vday, start_at, end_at, cid in session.execute(
        select(
            VisitAssignment.carer_id,
            Visit.visit_date,
            _plain(Visit.start_at),
            _plain(Visit.end_at),
            Visit.customer_id,
        )
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(
            Visit.visit_date >= first_history_day,
            Visit.visit_date < monday,
            Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
        )
    ):
        earlier[(carer_id, vday)].append((epoch_minutes(start_at), epoch_minutes(end_at), cid))
        pairs.add((carer_id, cid))
    week_minutes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    previous: dict[int, list[DaySummary]] = defaultdict(list)
    for (carer_id, vday), stops in earlier.items():
        stops.sort()
        mode = modes.get(carer_id, travel.default_mode)

        def leg(a: int, b: int, mode: str = mode) -> int:
            return table.minutes(a, b, mode)

        summary = summarise(stops, leg)
        if summary is None:
            continue
        weeks_back = -(-(monday - vday).days // 7)  # 1 = the 7 days just before Monday
        week_minutes[carer_id][weeks_back] += summary.work
        if weeks_back == 1:
            previous[carer_id].append(summary)
    recorded: dict[int, dict[int, int]] = defaultdict(dict)
    for carer_id, week_start, hours in session.execute(
        select(CarerWeekHours.carer_id, CarerWeekHours.week_start, CarerWeekHours.hours).where(
            CarerWeekHours.week_start >= first_history_day, CarerWeekHours.week_start < monday
        )
    ):
        weeks_back = -(-(monday - week_start).days // 7)
        recorded[carer_id][weeks_back] = round((hours or 0.0) * 60)
    history: dict[int, tuple[int | None, ...]] = {}
    for carer_id in set(week_minutes) | set(recorded):
        own, worked = recorded.get(carer_id, {}), week_minutes.get(carer_id, {})
        history[carer_id] = tuple(
            own.get(back, worked.get(back)) for back in range(1, HISTORY_WEEKS + 1)
        )

    acceptances = frozenset(
        (code, visit_id, carer_id)
        for code, visit_id, carer_id in session.execute(
            select(ProblemAcceptance.code, ProblemAcceptance.visit_id, ProblemAcceptance.carer_id)
            .join(Visit, Visit.id == ProblemAcceptance.visit_id)
            .where(Visit.visit_date.between(monday, sunday))
        )
    )
    return WeekSnapshot(
        monday=monday,
        carers=carers,
        customers=customers,
        visits=visits,
        assignments={vid: tuple(c) for vid, c in assigned.items()},
        history=history,
        previous_days={
            cid: tuple(sorted(days, key=lambda d: d.first_start)) for cid, days in previous.items()
        },
        known_pairs=frozenset(pairs),
        acceptances=acceptances,
        travel=travel,
    )
