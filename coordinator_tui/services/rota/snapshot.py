"""One rota week loaded from the session into plain frozen dataclasses.

Validation, ranking and measures then run without the ORM. Times are whole minutes since
the Unix epoch (UTC), so durations are right across the clock changes; ``local_start`` is
the UK wall-clock minute of the day, for availability patterns.

Besides the week itself a snapshot holds what the rules look back (and forward) at:
- the visits of the last two days before and of the day after, per carer (``previous``
  and ``following``): shifts run across the week's edges;
- hours worked in each of the 16 weeks before (the 17-week WTR averages) and last week's
  rests of a day or more (the 14-day weekly rest), from ``CarerWeekHours`` (kept up to date
  as visits change, ``week_hours``), so opening a week does not re-read 16 weeks of visits;
- days of leave in the 17 weeks (reg 4(6)-(7) leaves them out of the average), and the
  night shifts worked in the 16 weeks before (to infer who is a night worker, reg 2);
- the (carer, customer) pairs seen in those 16 weeks (continuity), from the same rows'
  ``customers`` (issue 23 §1: nothing before the week's two days of context is read
  from the visits, so the load does not grow with the history);
- the soft problems accepted with a rationale (``ProblemAcceptance``);
- the agency's night time (``WorkingTimeSettings``).

The visits of the week and its context days are read from each day's pack
(``week_pack``) when the database has not changed that day since the pack was written,
and from the visits otherwise (then packed again): a week opened again reads ten blobs,
not 17,000 rows at ten times the demo.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from operator import attrgetter

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.collector import paused_collection
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
from coordinator_tui.services.rota import week_pack
from coordinator_tui.services.rota.shifts import rests_from_text, spans_from, week_figures
from coordinator_tui.services.rota.travel import DEFAULT_TRAVEL, TravelConfig, TravelTable
from coordinator_tui.services.rota.week_hours import SOURCE_VISITS
from coordinator_tui.services.rota.wtr import (
    ADULT,
    DAY,
    NIGHT_START_DEFAULT,
    REFERENCE_PERIOD_EXCLUDED,
    YOUNG,
    YOUNG_WORKER_AGE,
)

HISTORY_WEEKS = 16  # with the week itself, the 17-week reference period
CONTEXT_DAYS = 2  # last week's visits read as shifts: a shift can run on into this week
EXTENSIONS: list = []
"""Functions ``(session, snapshot)`` that add what a rule module reads with the week (a
rule module registers its own, e.g. the shadow requirements of ``rules/care_staff.py``)."""


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


def _plain_day_midnight(day: date) -> int | None:
    """UK midnight starting ``day`` when the day has 24 hours (no clock change), so a
    wall-clock minute is that many minutes after it; None on a clock-change day."""
    midnight = local_midnight(day)
    if local_midnight(day + timedelta(days=1)) - midnight != DAY:
        return None
    return midnight


def _plain(column):
    """A timestamp column read as SQLAlchemy's plain ``DateTime``: naive UTC on SQLite,
    aware on PostgreSQL, both fine for :func:`epoch_minutes`. It skips SQLModel's
    per-value timezone handling of the ~25,000 visit times of a large week's 16-week
    history (about 10 ms of a 60-70 ms load)."""
    return type_coerce(column, DateTime())


_MINUTE_SHIFT = 2_000_000_000
"""Minutes added before SQL's integer division (which truncates toward zero) and taken
off after, so it floors as Python's ``//`` does for any time from the year 0 on."""


def _epoch_minutes_sql(column, flavour: str):
    """A timestamp column as whole minutes since the Unix epoch, worked out by the database
    (SQLite stores naive UTC text; PostgreSQL a ``timestamptz``): no timestamp is parsed or
    divided in Python. Floored, as :func:`epoch_minutes` floors. ``unixepoch`` (SQLite
    3.38) is ``strftime('%s')`` as an integer without the text between (a third cheaper)."""
    if flavour == "postgresql":
        seconds = cast(func.floor(func.extract("epoch", column)), BigInteger)
    elif flavour == "sqlite-unixepoch":
        seconds = func.unixepoch(column)
    else:
        seconds = cast(func.strftime("%s", column), Integer)
    shifted = (
        (seconds + literal_column(str(60 * _MINUTE_SHIFT)))
        .self_group()
        .op("/")(literal_column("60"))
    )
    return shifted - literal_column(str(_MINUTE_SHIFT))  # integer division (not numeric)


def _days_after(column, monday, flavour: str):
    """A date column as the number of days after ``monday`` (a bound ``Date``): a small
    integer, which Python keeps one copy of, where the day's text was a new string each
    row to parse or look up (the week's rows run to 17,000 at x10)."""
    if flavour == "postgresql":
        return cast(column - monday, Integer)
    return cast(func.julianday(column) - func.julianday(monday), Integer)


def _minute_of_day_sql(column):
    """A time of day (stored as ``HH:MM[:SS...]`` text on SQLite, cast to it on
    PostgreSQL) as minutes since midnight, as :func:`_minute_of` reads it."""
    text = cast(column, String)
    return cast(func.substr(text, 1, 2), Integer) * 60 + cast(func.substr(text, 4, 2), Integer)


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
_CARER_MORE = 8  # a carer's second row
_LAST_WEEK = 9  # last week's first start, last end and rests (``CarerWeekHours``)
"""The kinds of row ``_reference_rows`` reads."""
_PACKED_KINDS = frozenset({_SKILL, _AVAILABLE, _PREFERENCE})
"""The reference rows kept packed (``week_pack.REFERENCE``): name nobody, and change
rarely; the rest (names, the week's absences and acceptances) are read each time."""


_WINDOW_SHIFT = 8192
"""An availability row's window is ``start * 8192 + end`` (minutes of the day, each
under 100 * 60 + 100 whatever the stored text's hours)."""


def _minute_of(text: str) -> int:
    """A stored time of day (``HH:MM[:SS...]``, as either database gives it as text) as
    minutes since midnight."""
    return int(text[:2]) * 60 + int(text[3:5])


_MONDAY = bindparam("monday", type_=Date)
_SUNDAY = bindparam("sunday", type_=Date)
_FIRST_DAY = bindparam("first_day", type_=Date)  # of the 16 weeks before
_LAST_MONDAY = bindparam("last_monday", type_=Date)


def _reference_rows(flavour: str, with_packed: bool = True):
    """One statement for what the week reads besides its visits and kept weeks: rows of
    one shape, ``(kind, i1, i2, i3, f1, f2, t1, t2, t3)``, each kind filling the columns
    it needs (integers, floats and text in their own, so PostgreSQL's UNION sees one type
    a column; dates as text, parsed once each; the carer's yes/no fields as bits of one
    integer, the recorded night worker apart as it may be unknown). Nine columns, not
    twelve (issue 23 §1: each value a row costs the driver about 0.1 µs, 6,500 rows at
    x10): the carer, the one kind that needs more, comes as two rows.

    - carer: id, flags (opt-out 1, active 2, split-shift exempt 4, special hazards 8,
      young night contract 16), night worker; home lat, lon; name, gender, date of
      birth; and the carer's second row: id; contracted hours; transport mode;
    - customer: id, lone-working risk; lat, lon; name, preferred gender;
    - skill: carer; code, expires on; availability: carer, weekday, start and end as
      minutes of the day (``start * 8192 + end``);
    - absence (touching the 17 weeks): carer; start, end, kind;
    - preference: customer, carer; kind; acceptance (of the week's visits): visit,
      carer; code; night time: its start (the settings' first row);
    - last week's kept row (``CarerWeekHours``, where its first start and last end are
      known): carer, first start, last end (epoch minutes); long rests.

    Bound parameters ``sunday``, ``first_day``, ``last_monday`` and ``monday``."""
    int_, text, real = Integer, String, Float

    def row(kind: int, *columns):
        typed = [literal_column(str(kind))]
        for value, type_ in zip(columns, (int_,) * 3 + (real,) * 2 + (text,) * 3, strict=True):
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
    window = _minute_of_day_sql(CarerAvailability.start_time) * literal_column(
        str(_WINDOW_SHIFT)
    ) + _minute_of_day_sql(CarerAvailability.end_time)
    first_settings = select(func.min(WorkingTimeSettings.id)).scalar_subquery()
    parts = [
        select(
            *row(
                _CARER,
                Carer.id,
                flags,
                cast(Carer.night_worker, Integer),
                cast(Carer.home_lat, Float),
                cast(Carer.home_lon, Float),
                Carer.name,
                Carer.gender,
                cast(Carer.date_of_birth, String),
            )
        ),
        select(
            *row(
                _CARER_MORE,
                Carer.id,
                None,
                None,
                cast(Carer.contracted_hours, Float),
                None,
                Carer.transport_mode,
                None,
                None,
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
                Customer.name,
                Customer.preferred_gender,
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
                Skill.code,
                cast(CarerSkill.expires_on, String),
                None,
            )
        ).select_from(CarerSkill.__table__.join(Skill.__table__, Skill.id == CarerSkill.skill_id)),
        select(
            *row(
                _AVAILABLE,
                CarerAvailability.carer_id,
                CarerAvailability.weekday,
                window,
                None,
                None,
                None,
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
                cast(Absence.start_date, String),
                cast(Absence.end_date, String),
                Absence.kind,
            )
        ).where(Absence.start_date <= _SUNDAY, Absence.end_date >= _FIRST_DAY),
        select(
            *row(
                _PREFERENCE,
                CustomerCarerPreference.customer_id,
                CustomerCarerPreference.carer_id,
                None,
                None,
                None,
                CustomerCarerPreference.kind,
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
                ProblemAcceptance.code,
                None,
                None,
            )
        )
        .select_from(
            ProblemAcceptance.__table__.join(
                Visit.__table__, Visit.id == ProblemAcceptance.visit_id
            )
        )
        .where(Visit.visit_date.between(_MONDAY, _SUNDAY)),
        select(
            *row(
                _NIGHT,
                None,
                None,
                None,
                None,
                None,
                cast(WorkingTimeSettings.night_start, String),
                None,
                None,
            )
        ).where(WorkingTimeSettings.id == first_settings),
        select(
            *row(
                _LAST_WEEK,
                CarerWeekHours.carer_id,
                _epoch_minutes_sql(CarerWeekHours.first_start, flavour),
                _epoch_minutes_sql(CarerWeekHours.last_end, flavour),
                None,
                None,
                CarerWeekHours.long_rests,
                None,
                None,
            )
        ).where(
            CarerWeekHours.week_start >= _LAST_MONDAY,
            CarerWeekHours.week_start < _MONDAY,
            CarerWeekHours.first_start.is_not(None),
            CarerWeekHours.last_end.is_not(None),
        ),
    ]
    kinds = (
        _CARER,
        _CARER_MORE,
        _CUSTOMER,
        _SKILL,
        _AVAILABLE,
        _ABSENT,
        _PREFERENCE,
        _ACCEPTED,
        _NIGHT,
        _LAST_WEEK,
    )  # the parts' kinds, in their order above
    if not with_packed:  # those kinds come from their pack (``week_pack.REFERENCE``)
        parts = [part for kind, part in zip(kinds, parts, strict=True) if kind not in _PACKED_KINDS]
    return union_all(*parts)


_STATUS_CODES: tuple[str, ...] = tuple(
    status.value
    for status in (VisitStatus.PLANNED, VisitStatus.DONE, VisitStatus.MISSED, VisitStatus.CANCELLED)
)
"""A visit's status as a code in ``_visit_rows`` (its place here; 4: another text), as
the plain text the driver gave before."""
_OTHER_STATUS = len(_STATUS_CODES)
_SLOT_SHIFT = 32
"""A week row's carer is ``carer_id + slot << 32`` (``_visit_rows``)."""
_CARER_MASK = (1 << _SLOT_SHIFT) - 1


def _visit_rows(flavour: str):
    """The visits of some days, who is on them (a row a carer; a visit with none, one
    row), in one statement: ``(id, customer, start, end, code, skills, carer)``, times as
    epoch minutes. The days are the week's that ``week_pack`` has no fresh pack of, its
    two days before and the day after among them (their visits are the week's context:
    ``load_week`` keeps their assigned ones that were not missed). Ordered by day, start
    and id, the order ``ix_visit_day_start`` walks (SQLite sorts nothing: no temporary
    B-tree), so a week reads in the same order from its packs, its visits or both; a
    double-up's slots are put in order in Python. Bound parameters ``monday`` and
    ``days`` (a list).

    Seven columns where there were ten: each value a row costs the driver about 0.1 µs
    (issue 23 §1: 17,400 rows at x10), and integer arithmetic in the database far less.
    So ``code`` packs the day after Monday (the week's 0 to 6, the context's -2, -1 and 7),
    the status (a place in ``_STATUS_CODES``) and the carers required: ``status + 8 * (day
    + 2) + 128 * required``, a few dozen distinct values a week, decoded once each; the
    ``carer`` is the carer with their slot above (``carer_id + slot << 32``: ordering
    these orders by slot)."""
    day = _days_after(Visit.visit_date, _MONDAY, flavour)
    start = _epoch_minutes_sql(Visit.start_at, flavour)
    end = _epoch_minutes_sql(Visit.end_at, flavour)
    status = case(
        *(
            (Visit.status == text, literal_column(str(code)))
            for code, text in enumerate(_STATUS_CODES)
        ),
        else_=literal_column(str(_OTHER_STATUS)),
    )
    code = (
        status
        + day * literal_column("8")
        + literal_column("16")
        + Visit.carers_required * literal_column("128")
    )
    carer_slot = VisitAssignment.carer_id + cast(VisitAssignment.slot, BigInteger) * literal_column(
        str(1 << _SLOT_SHIFT)
    )
    return (
        select(
            Visit.id,
            Visit.customer_id,
            start.label("start"),
            end.label("end"),
            code.label("code"),
            Visit.required_skills,
            carer_slot.label("carer"),
        )
        .select_from(
            Visit.__table__.outerjoin(
                VisitAssignment.__table__, VisitAssignment.visit_id == Visit.id
            )
        )
        .where(
            Visit.visit_date.in_(bindparam("days", expanding=True)),
            Visit.status != VisitStatus.CANCELLED,
        )
        .order_by(Visit.visit_date, Visit.start_at, Visit.id)
    )


def _kept_rows(flavour: str):
    """The 16 weeks before, as kept in ``CarerWeekHours``: ``(carer, code, shifts, hours,
    customers)``, ``code`` packing the weeks back (1 last week), whether the row knows
    not its customers though it was worked out from the visits (a row from before the
    column: the pairs are then read from the visits), and the night shifts:
    ``back + 32 * unknown + 64 * night shifts``, a few hundred distinct values, decoded
    once each. Five columns where there were ten (issue 23 §1: each value a row costs
    the driver about 0.1 µs, 4,800 rows at x10); last week's first start, last end and
    rests come with the reference rows (``_LAST_WEEK``), 300 rows, not a column of every
    row. Bound ``first_day`` and ``monday``."""
    if flavour == "postgresql":
        days = cast(_MONDAY - CarerWeekHours.week_start, Integer)
    else:
        days = cast(func.julianday(_MONDAY) - func.julianday(CarerWeekHours.week_start), Integer)
    weeks_back = (
        (days + literal_column("6")).self_group().op("/")(literal_column("7"))
    )  # integers: floored
    unknown = case(
        (
            (CarerWeekHours.customers.is_(None)) & (CarerWeekHours.source == SOURCE_VISITS),
            literal_column("32"),
        ),
        else_=literal_column("0"),
    )
    nights = cast(func.coalesce(CarerWeekHours.night_shifts, 0), BigInteger)
    return select(
        CarerWeekHours.carer_id,
        weeks_back + unknown + nights * literal_column("64"),
        CarerWeekHours.shifts,
        CarerWeekHours.hours,
        CarerWeekHours.customers,
    ).where(CarerWeekHours.week_start >= _FIRST_DAY, CarerWeekHours.week_start < _MONDAY)


@lru_cache(maxsize=8)
def _statements(flavour: str):
    """The load's statements for a database flavour (``sqlite``, ``sqlite-unixepoch``
    or ``postgresql``), built once: only their bound parameters change between loads."""
    return (
        _reference_rows(flavour),
        _reference_rows(flavour, with_packed=False),
        _visit_rows(flavour),
        _kept_rows(flavour),
    )


def _flavour(dialect) -> str:
    """Which of ``_statements``' forms the connection's database takes: SQLite's version
    is the driver's own library (Python's, or SQLCipher's), read when it connected."""
    if dialect.name != "sqlite":
        return "postgresql"
    version = getattr(dialect, "server_version_info", None) or ()
    return "sqlite-unixepoch" if tuple(version) >= (3, 38) else "sqlite"


_CHUNK = 512


def _chunks(result) -> Iterator[list[tuple]]:
    """A read-only result's rows as the driver gives them, a few hundred at a time.

    The statement runs through SQLAlchemy (compiled once, its events and error handling
    as any other); the rows are then read from the DBAPI cursor itself: the load's columns
    are plain integers, floats and text, so SQLAlchemy's row objects (a step per row,
    28,700 rows at x10, about 14% of the load) add nothing. ``fetchmany``, not a driver
    call a row as iterating does, nor every row held at once as ``fetchall`` does (17,000
    rows alive together at x10 were carried into the older generations and the collector
    then walked the whole heap). A driver error while reading is raised as SQLAlchemy's
    (``DBAPIError``), as the result's own fetch would."""
    cursor = result.cursor
    error = result.dialect.loaded_dbapi.Error
    try:
        while True:
            try:
                chunk = cursor.fetchmany(_CHUNK)
            except error as exc:
                raise DBAPIError.instance(
                    None, None, exc, error, hide_parameters=True, dialect=result.dialect
                ) from exc
            if not chunk:
                return
            yield chunk
    finally:
        result.close()


def _keeping_packed_kinds(chunks: Iterator, into: list[tuple]) -> Iterator:
    """Reference rows as they come, those of the kinds kept packed also put in ``into``
    (as ``week_pack.REFERENCE_KINDS``: kind, the three integers, the first two texts)."""
    for chunk in chunks:
        into.extend(
            (kind, i1, i2, i3, t1, t2)
            for kind, i1, i2, i3, _f1, _f2, t1, t2, _t3 in chunk
            if kind in _PACKED_KINDS
        )
        yield chunk


def _keeping_weeks(chunks: Iterator, by_week: dict[int, list[tuple]]) -> Iterator:
    """Kept rows as they come, also put in ``by_week`` by how many weeks back they are,
    that taken out of their ``code`` (``_kept_rows``): a week's pack serves any week."""
    for chunk in chunks:
        for carer, code, shifts, hours, seen in chunk:
            back = code % 32
            by_week[back].append((carer, code - back, shifts, hours, seen))
        yield chunk


@lru_cache(maxsize=1024)
def split_skills(text: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip().upper() for part in text.split(",") if part.strip()}))


@dataclass(slots=True, unsafe_hash=True)
class SVisit:
    """One visit as the rules read it. Read-only by convention, not ``frozen``: a frozen
    dataclass sets each field through ``object.__setattr__``, five times the cost, and a
    large week makes 15,000 of them (issue 23 §1). It hashes by value as a frozen one
    does; change one with ``dataclasses.replace``."""

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


@dataclass(slots=True, unsafe_hash=True)
class SCarer:
    """One carer as the rules read it. Read-only by convention, not ``frozen``, as
    :class:`SVisit` (a frozen dataclass sets each of these 17 fields through
    ``object.__setattr__``: 3 µs a carer); it hashes as a frozen one does."""

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
    split_shift_exempt: bool = False  # WTR reg 22(1)(c): compensatory rest instead of reg 10
    night_worker: bool | None = None  # WTR reg 2: recorded, or None to infer it
    special_hazards: bool = False  # WTR reg 6(7): 8 hours in any 24 with night work
    young_night_contract: bool = False  # WTR reg 6A: restricted period 23:00-07:00

    def is_young_on(self, day: date) -> bool:
        """Under 18 on ``day`` (the young-worker rules of WTR reg 5A apply)."""
        born = self.date_of_birth
        if born is None or born.year + YOUNG_WORKER_AGE < day.year:
            return False  # (18 in an earlier year: told without working out the birthday)
        try:
            adult = born.replace(year=born.year + YOUNG_WORKER_AGE)
        except ValueError:  # born on 29 February
            adult = date(born.year + YOUNG_WORKER_AGE, 3, 1)
        return day < adult


@dataclass(slots=True, unsafe_hash=True)
class SCustomer:
    """One customer as the rules read it. Read-only by convention, not ``frozen``, as
    :class:`SVisit`: a large week reads 1,650 of them, 1.7 µs each frozen, 0.5 not
    (issue 23 §1); it hashes as a frozen one does."""

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
    # carer -> their visits of the last days before / of the day after the week, by start
    previous: dict[int, tuple[SVisit, ...]] = field(default_factory=dict)
    following: dict[int, tuple[SVisit, ...]] = field(default_factory=dict)
    # carer -> last week's work as spans separated by rests of 24 hours or more (the 14-day
    # weekly rest); a carer missing here has them worked out from ``previous``
    previous_spans: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # carer -> days of leave (reg 4(6)) in this week, then each of the 16 weeks before
    leave_days: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # carer -> (night shifts, shifts) in the 16 weeks before (night worker, reg 2)
    night_history: dict[int, tuple[int, int]] = field(default_factory=dict)
    night_start: int = NIGHT_START_DEFAULT  # minute of the day night time starts (reg 2)
    known_pairs: frozenset[tuple[int, int]] = frozenset()  # (carer, customer) seen before
    acceptances: frozenset[tuple[str, int, int | None]] = frozenset()  # code, visit, carer
    travel: TravelConfig = DEFAULT_TRAVEL
    # customers whose visits always run the staffing rules (an extension's rule reads more
    # than the common one-carer case shows, e.g. a shadow visit required first)
    staffing_watch: frozenset[int] = frozenset()
    week_start: int = 0  # epoch minutes of UK midnight starting Monday
    week_end: int = 0  # ... and the next Monday
    # What the ``EXTENSIONS`` add (``snapshot.shadow_context = ...`` lands here): a field,
    # so a copy made with ``dataclasses.replace`` (the solver, Plan C's time change) keeps it
    extras: dict[str, object] = field(default_factory=dict)

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SNAPSHOT_FIELDS or name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.extras[name] = value

    def __getattr__(self, name: str) -> object:  # only when the usual lookup fails
        extras = self.__dict__.get("extras")
        if extras is not None and name in extras:
            return extras[name]
        raise AttributeError(name)

    def __post_init__(self) -> None:
        self._table: TravelTable | None = None
        self._seen: dict[int, frozenset[int]] | None = None
        self._by_customer: dict[int, tuple[int, ...]] | None = None
        self._seen_by: dict[int, frozenset[int]] | None = None
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

    def carers_seen(self, customer_id: int) -> frozenset[int]:
        """The carers seen at ``customer_id`` in the 16 weeks before (``known_pairs`` by
        customer, built once: ranking asks it per visit, and the pairs run to thousands)."""
        if self._seen is None:
            seen: dict[int, set[int]] = defaultdict(set)
            for carer_id, customer in self.known_pairs:
                seen[customer].add(carer_id)
            self._seen = {customer: frozenset(carers) for customer, carers in seen.items()}
        return self._seen.get(customer_id, frozenset())

    def customers_seen_by(self, carer_id: int) -> frozenset[int]:
        """The customers ``carer_id`` was seen at in the 16 weeks before (``known_pairs``
        by carer, built once: the continuity rule asks it per carer's week)."""
        if self._seen_by is None:
            seen: dict[int, set[int]] = defaultdict(set)
            for carer, customer_id in self.known_pairs:
                seen[carer].add(customer_id)
            self._seen_by = {carer: frozenset(found) for carer, found in seen.items()}
        return self._seen_by.get(carer_id, frozenset())

    def visits_of(self, customer_id: int) -> tuple[int, ...]:
        """The ids of the customer's visits this week (indexed once: ranking asks it per
        visit, and reading every visit of a large week for one customer's was O(week))."""
        if self._by_customer is None:
            found: dict[int, list[int]] = defaultdict(list)
            for visit_id, visit in self.visits.items():
                found[visit.customer_id].append(visit_id)
            self._by_customer = {customer: tuple(ids) for customer, ids in found.items()}
        return self._by_customer.get(customer_id, ())

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=offset) for offset in range(7)]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


_SNAPSHOT_FIELDS = frozenset(f.name for f in fields(WeekSnapshot))


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


_by_start = attrgetter("start", "id")  # a visit's place in a carer's day (C, no call a visit)


@paused_collection()
def load_week(session: Session, day: date, travel: TravelConfig = DEFAULT_TRAVEL) -> WeekSnapshot:
    """The snapshot of the week holding ``day``: three narrow statements of its own (four
    when a day has changed since it was packed).

    Reading the rota is viewing customers and visits (``view_customers``, which ``rota``
    includes); changing it (``assign``...) checks ``rota`` itself.

    Issue 23 §1 (a 50 ms load at ten times the data: 300 carers, 10,500 visits a week):
    the days not changed since they were last read come from their packs (``week_pack``:
    a blob a day, checked against the generation the database's triggers keep); the
    statements are built once (``_statements``) and their rows read from the DBAPI
    cursor (``_chunks``); the database works out epoch minutes, days after Monday and
    minutes of the day, so Python parses nothing a row; last week's spans alone are read
    from the kept weeks. The driver costs about 0.1 µs a value whatever its type, so the
    statements send few columns: small fields packed into one integer by the database
    (``_visit_rows``' and ``_kept_rows``' codes, decoded once a distinct value), rarely
    needed ones as rows of their own (``_CARER_MORE``, ``_LAST_WEEK``). The cyclic
    collector is paused while the week is built (``collector``): its 30,000 rows and
    15,000 visits make no cycles, and a full collection in the middle walked them all."""
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
    dialect = connection.dialect
    reference_rows, reference_unpacked, visit_rows, kept_rows = _statements(_flavour(dialect))
    # What is kept packed (``week_pack``), read first: a pack's label is never newer than
    # the rows it stands for. None in a unit of work that has written (its changes may be
    # rolled back): everything is read from the rows then, and nothing packed.
    window = [monday + timedelta(days=n) for n in range(-CONTEXT_DAYS, 8)]
    kept_weeks = [monday - timedelta(weeks=n) for n in range(1, HISTORY_WEEKS + 1)]
    scopes = {week_pack.scope_of(d): week_pack.DAY_KINDS for d in window}
    scopes.update({week_pack.hours_scope(w): week_pack.HOURS_KINDS for w in kept_weeks})
    scopes[week_pack.REFERENCE] = week_pack.REFERENCE_KINDS
    packs = week_pack.read(connection, scopes) if not week_pack.wrote(session) else None
    fresh = packs.fresh if packs is not None else {}
    to_pack: dict[str, tuple[int, str, list[tuple]]] = {}  # scope -> label, kinds, rows
    skills_of: dict[int, dict[str, date | None]] = defaultdict(dict)
    windows: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    absent: dict[int, set[date]] = defaultdict(set)
    leave: dict[int, list[int]] = defaultdict(lambda: [0] * (HISTORY_WEEKS + 1))
    preferred: dict[int, set[int]] = defaultdict(set)
    excluded: dict[int, set[int]] = defaultdict(set)
    carer_rows: list = []
    last_week: list[tuple[int, int, int, str | None]] = []  # ``_LAST_WEEK`` rows
    carer_more: dict[int, tuple[float | None, str | None]] = {}
    customer_rows: list = []
    accepted: list[tuple[str, int, int | None]] = []
    night_start = NIGHT_START_DEFAULT
    day_of = _DayParser()
    packed_reference = fresh.get(week_pack.REFERENCE)
    found = connection.execute(
        reference_rows if packed_reference is None else reference_unpacked,
        {
            "monday": monday,
            "sunday": sunday,
            "first_day": first_history_day,
            "last_monday": last_monday,
        },
    )
    reference_chunks: Iterator = _chunks(found)
    if packed_reference is not None:
        kinds, ints1, ints2, ints3, texts1, texts2 = packed_reference
        nothing = [None] * len(kinds)
        packed_rows = zip(
            kinds, ints1, ints2, ints3, nothing, nothing, texts1, texts2, nothing, strict=True
        )
        reference_chunks = chain((packed_rows,), reference_chunks)
    elif packs is not None:
        reference_packed: list[tuple] = []
        to_pack[week_pack.REFERENCE] = (
            packs.labels[week_pack.REFERENCE],
            week_pack.REFERENCE_KINDS,
            reference_packed,
        )
        reference_chunks = _keeping_packed_kinds(reference_chunks, reference_packed)
    for chunk in reference_chunks:
        for kind, i1, i2, i3, f1, f2, t1, t2, t3 in chunk:
            if kind == _AVAILABLE:
                start, end = divmod(i3, _WINDOW_SHIFT)
                if end <= start:  # runs past midnight (00:00 itself is the end of the day)
                    end += DAY
                windows[i1][i2].append((start, end))
            elif kind == _CUSTOMER:  # the kinds by how many rows each has at x10
                customer_rows.append((i1, i2, f1, f2, t1, t2))
            elif kind == _PREFERENCE:
                (excluded if t1 == "excluded" else preferred)[i1].add(i2)
            elif kind == _SKILL:
                skills_of[i1][t1.upper()] = day_of(t2) if t2 else None
            elif kind == _ABSENT:
                current = max(day_of(t1), first_history_day)
                counted = (t3 or "").lower() in REFERENCE_PERIOD_EXCLUDED
                while current <= min(day_of(t2), sunday):
                    if current >= monday:
                        absent[i1].add(current)
                    if counted:
                        leave[i1][-(-(monday - current).days // 7)] += 1  # 0: this week
                    current += timedelta(days=1)
            elif kind == _CARER:
                carer_rows.append((i1, i2, i3, f1, f2, t1, t2, t3))
            elif kind == _CARER_MORE:
                carer_more[i1] = (f1, t1)
            elif kind == _LAST_WEEK:
                last_week.append((i1, i2, i3, t1))
            elif kind == _ACCEPTED:
                accepted.append((t1, i1, i2))
            elif kind == _NIGHT and t1:
                night_start = _minute_of(t1)
    carers: dict[int, SCarer] = {}
    for cid, flags, night_worker, lat, lon, name, gender, born in carer_rows:
        hours, mode = carer_more.get(cid, (None, None))
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
    no_one: frozenset[int] = frozenset()
    customers = {
        cid: SCustomer(
            cid,
            name,
            lat or 0.0,
            lon or 0.0,
            pref_gender or "",
            frozenset(preferred[cid]) if cid in preferred else no_one,
            frozenset(excluded[cid]) if cid in excluded else no_one,
            bool(lone),
        )
        for cid, lone, lat, lon, name, pref_gender in customer_rows
    }

    # The week's visits, who is on them (by slot), and for context the assigned visits of
    # the last two days before the week and of next Monday (shifts run across the week's
    # edges), in one statement (``_visit_rows``). A day comes as its offset from Monday
    # (``days[offset]``: negative offsets index from the end, the days before Monday).
    days = [monday + timedelta(days=n) for n in range(8)]
    days += [monday + timedelta(days=n) for n in range(-CONTEXT_DAYS, 0)]
    midnights = [_plain_day_midnight(d) for d in days]
    # ``code`` (``_visit_rows``) -> (in the week, day, its midnight, carers required,
    # status, day after Monday), worked out once a code.
    decoded: dict[int, tuple[bool, date, float, int, str | None, int]] = {}
    skill_sets: dict[str | None, tuple[str, ...]] = {None: (), "": ()}

    def decode(code: int) -> tuple[bool, date, float, int, str | None, int]:
        required, rest = divmod(code, 128)
        offset, status = divmod(rest, 8)
        offset -= 2
        text = _STATUS_CODES[status] if status < _OTHER_STATUS else None
        midnight = midnights[offset]
        found = decoded[code] = (
            0 <= offset <= 6,
            days[offset],
            # a clock-change day: NaN, so no visit's minute reads as within its day
            midnight if midnight is not None else math.nan,
            required or 1,
            text,
            offset,
        )
        return found

    visits: dict[int, SVisit] = {}
    previous: dict[int, list[SVisit]] = defaultdict(list)
    following: dict[int, list[SVisit]] = defaultdict(list)
    assigned: dict[int, tuple[int, ...]] = {}  # visit -> its first row's carer, at first
    first_slot: dict[int, int] = {}  # visit -> that row's carer and slot
    more: dict[int, list[int]] = defaultdict(list)  # a double-up's other rows, the same
    stops: dict[int, SVisit] = {}
    other_status: list[int] = []  # visits whose status is none of ``_STATUS_CODES``
    # A carer's ``(carer,)`` made once and shared by their visits (tuples are values): ten
    # thousand fewer objects for the collector to count and walk at x10.
    alone: dict[int, tuple[int]] = {}
    # The days' rows: from their packs where the database has not changed them since
    # (``week_pack``; not in a unit of work that has written), else from the visits, in
    # one statement for every such day (and those days' packs written again afterwards).
    # Day by day in order, each day's rows in the order the statement gives them (by
    # start, then id), whichever way they came.
    stale = [d for d in window if week_pack.scope_of(d) not in fresh]
    live: dict[int, list[tuple]] = defaultdict(list)  # a day's place in ``window`` -> rows
    if stale:
        found = connection.execute(visit_rows, {"monday": monday, "days": stale})
        for chunk in _chunks(found):
            for row in chunk:
                live[(row[4] % 128) // 8].append(row)  # the day after Monday, plus 2
    sources: list = []
    for place, kept_day in enumerate(window):
        columns = fresh.get(week_pack.scope_of(kept_day))
        if columns is None:
            sources.append(live.get(place, ()))
            continue
        ids, of_customer, starts, ends, codes, skills_texts, carers_slots = columns
        shift = 8 * place
        sources.append(
            zip(
                ids,
                of_customer,
                starts,
                ends,
                [c + shift for c in codes],
                skills_texts,
                [c or None for c in carers_slots],
                strict=True,
            )
        )
    missed_code = _STATUS_CODES.index(VisitStatus.MISSED)
    for source in sources:
        for vid, cid, start, end, code, skills, carer in source:
            known = decoded.get(code)
            in_week, vday, midnight, required, status, offset = known or decode(code)
            if not in_week:  # a day of context: its assigned visits, not missed
                if carer is None or code % 8 == missed_code:
                    continue
                stop = stops.get(vid)
                if stop is None:
                    stop = stops[vid] = SVisit(vid, cid, vday, start, end)
                (following if offset == 7 else previous)[carer & _CARER_MASK].append(stop)
                continue
            if vid in visits:  # a double-up's second carer
                if carer is not None:
                    more[vid].append(carer)
                continue
            if carer is not None:
                solo = alone.get(carer)
                if solo is None:
                    solo = alone[carer] = (carer & _CARER_MASK,)
                assigned[vid] = solo
                first_slot[vid] = carer
            local_start = start - midnight
            if not 0 <= local_start < DAY:
                # a clock-change day, or a visit dated other than the day it starts
                local = datetime.fromtimestamp(start * 60, UK)
                local_start = local.hour * 60 + local.minute
            if status is None:
                other_status.append(vid)
            needs = skill_sets.get(skills)
            if needs is None:
                needs = skill_sets[skills] = split_skills(skills)
            visits[vid] = SVisit(vid, cid, vday, start, end, local_start, required, needs, status)
    if packs is not None:
        for place, day in enumerate(window):
            scope = week_pack.scope_of(day)
            if scope not in fresh:  # its day taken out of ``code``: any week's day
                rows = [(*r[:4], r[4] - 8 * place, *r[5:]) for r in live.get(place, ())]
                to_pack[scope] = (packs.labels[scope], week_pack.DAY_KINDS, rows)
    if other_status:  # a status the code does not name (none the app writes): as stored
        for vid, text in session.execute(
            select(Visit.id, Visit.status).where(Visit.id.in_(other_status))
        ):
            visits[vid].status = text
    # One carer on most visits: their row is kept as it came; a double-up's are put in
    # order of slot (no list per visit: a large week has 10,000).
    mask = _CARER_MASK
    for vid, taken in more.items():
        first = first_slot.get(vid)
        if first is not None and len(taken) == 1:  # two carers, the usual double-up
            second = taken[0]
            if first < second:
                assigned[vid] = (first & mask, second & mask)
            else:
                assigned[vid] = (second & mask, first & mask)
            continue
        everyone = [*taken, first] if first is not None else taken
        assigned[vid] = tuple([carer & mask for carer in sorted(everyone)])
    for carer_stops in (*previous.values(), *following.values()):
        carer_stops.sort(key=_by_start)

    # The 16 weeks before, as kept in ``CarerWeekHours`` (``week_hours``); last week's
    # rests of a day or more for the 14-day weekly rest.
    table = TravelTable({cid: (c.lat, c.lon) for cid, c in customers.items()}, travel)
    history: dict[int, list[int | None]] = {}
    nights: dict[int, list[int]] = {}
    previous_spans: dict[int, tuple[tuple[int, int], ...]] = {}
    seen_texts: list[tuple[int, str]] = []
    pairs_known = True
    # ``code`` (``_kept_rows``) -> (index in the weeks, customers unknown, night shifts)
    kept_codes: dict[int, tuple[int, bool, int]] = {}
    hours_scopes = [week_pack.hours_scope(w) for w in kept_weeks]
    if all(scope in fresh for scope in hours_scopes):
        kept_chunks: Iterator = (
            zip(carer, [code + back for code in codes], shifts, hours, seen, strict=True)
            for back, (carer, codes, shifts, hours, seen) in enumerate(
                (fresh[scope] for scope in hours_scopes), start=1
            )
        )
    else:
        found = connection.execute(kept_rows, {"first_day": first_history_day, "monday": monday})
        kept_chunks = _chunks(found)
        if packs is not None:  # all 16 weeks read: each week not fresh packed again
            by_week: dict[int, list[tuple]] = defaultdict(list)
            kept_chunks = _keeping_weeks(kept_chunks, by_week)
            for back, scope in enumerate(hours_scopes, start=1):
                if scope not in fresh:
                    to_pack[scope] = (packs.labels[scope], week_pack.HOURS_KINDS, by_week[back])
    for chunk in kept_chunks:
        for carer_id, code, shifts, hours, seen in chunk:
            known = kept_codes.get(code)
            if known is None:
                night_shifts, back = divmod(code, 64)
                known = kept_codes[code] = (back % 32 - 1, back >= 32, night_shifts)
            back, unknown, night_shifts = known
            if seen:
                seen_texts.append((carer_id, seen))
            elif unknown:
                pairs_known = False  # a row from before the column was kept: read the visits
            weeks = history.get(carer_id)
            if weeks is None:
                weeks = history[carer_id] = [None] * HISTORY_WEEKS
                counts = nights[carer_id] = [0, 0]
            else:
                counts = nights[carer_id]
            weeks[back] = round((hours or 0.0) * 60)
            counts[0] += night_shifts
            counts[1] += shifts or 0
    if to_pack:
        week_pack.store(session, to_pack, keep=scopes)
    for carer_id, first, last, rests in last_week:
        previous_spans[carer_id] = spans_from(first, last, rests_from_text(rests))
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
        for carer_id, carer_stops in whole.items():
            seen_texts.append((carer_id, ",".join(str(stop.customer_id) for stop in carer_stops)))
            carer = carers.get(carer_id) or SCarer(carer_id)

            def leg(a: int, b: int, mode: str = carer.transport_mode) -> int:
                return table.minutes(a, b, mode)

            def rest(day: date, carer: SCarer = carer) -> int:
                return (YOUNG if carer.is_young_on(day) else ADULT).daily_rest

            figures = week_figures(
                carer_stops, leg, rest, night_start, last_monday, monday - timedelta(days=1)
            )
            weeks = history.get(carer_id)
            if weeks is None:
                weeks = history[carer_id] = [None] * HISTORY_WEEKS
            counts = nights.setdefault(carer_id, [0, 0])
            weeks[0] = figures.minutes
            counts[0] += figures.night_shifts
            counts[1] += figures.shifts
            previous_spans[carer_id] = spans_from(
                figures.first_start, figures.last_end, figures.long_rests
            )
    # Continuity: the (carer, customer) pairs seen in the 16 weeks before, from the same
    # rows (``customers``, kept with the hours). Only where a row does not know them, or
    # last week has no rows at all (visits written around the session), are the 16 weeks
    # of visits read instead (issue 23 §1: the load no longer grows with the history).
    if pairs_known and kept_last_week:
        # ``customers_from_text``, inline: a carer's customers gathered as text first, so
        # each is made a number and a pair once, not once a week it was seen in (4,800
        # rows of about ten at x10, mostly the same customers week after week).
        parts_of: dict[int, set[str]] = defaultdict(set)
        for carer_id, text in seen_texts:
            parts_of[carer_id].update(text.split(","))
        pairs = frozenset(
            [(carer_id, int(part)) for carer_id, parts in parts_of.items() for part in parts]
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

    for extend in EXTENSIONS:
        extend(session, snapshot)
    return snapshot


def seen_pairs(session: Session, first_day: date, before: date) -> frozenset[tuple[int, int]]:
    """The (carer, customer) pairs of the visits from ``first_day`` to the day before
    ``before`` (cancelled and missed ones left out), read from the visits themselves."""
    return frozenset(
        tuple(row)
        for row in session.execute(
            select(VisitAssignment.carer_id, Visit.customer_id)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(
                Visit.visit_date >= first_day,
                Visit.visit_date < before,
                Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
            )
            .distinct()
        )
    )


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


def night_start_of(session: Session) -> int:
    """The minute of the day the agency's night time starts (reg 2; 23:00 by default)."""
    found = session.execute(select(WorkingTimeSettings.night_start).limit(1)).scalar()
    if found is None:
        return NIGHT_START_DEFAULT
    return found.hour * 60 + found.minute
