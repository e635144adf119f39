"""Home's counts read straight from the database, before SQLAlchemy is imported: an SQLite
file with the stdlib's ``sqlite3``, a PostgreSQL database with psycopg.

Issue 23 §3: Home's counts within 2.5x a bare Textual app's first frame. The app opens its
database in a worker after the first frame, and before the counts could be read that
worker imported SQLAlchemy, SQLModel and the 73 tables (about 0.7 s of CPU, far more on a
loaded machine); the counts themselves take a few milliseconds. So when Home opens before
the database is ready, its counts come from here first: one read-only connection, the same
statements ``services.dashboard.dashboard_counts`` builds (the SQL SQLAlchemy emits for
them, with the same bound values), and the same rule for a visit missed or not checked in
(``services.governance.visits.classify`` and ``day_visits``' overdue check-in). Home then
reads them again through the ORM once the database is open, which is the one that counts
(``tests/test_home_counts_fast.py`` checks both give the same numbers, on each database).

One set of statements serves both databases (``_STATEMENTS``, with named parameters
``:name``). What differs is a ``_Dialect``: how a parameter is written (psycopg's
``%(name)s``), how a date and a moment are bound (SQLite: the text SQLAlchemy stores there,
ISO dates and UTC ``"%Y-%m-%d %H:%M:%S.%f"``; PostgreSQL: a ``date`` and an aware UTC
``datetime`` for its ``timestamp with time zone`` columns, as SQLModel's ``UTCDateTime``
binds them), and how the one transaction (one snapshot for every count) begins. On
PostgreSQL the session is read only (``default_transaction_read_only``, and the
transaction says ``READ ONLY``), with a short connect and statement timeout, and the
statements go in one pipeline: one round trip after the connection's (issue 23 §5).

Only an SQLite file, not encrypted, or a ``postgresql+psycopg://`` URL (as
``preflight.resolve_target`` spells it), already at the schema this app knows
(``alembic_version`` against the head read from the migration files: no Alembic). Anything
else (an SQLCipher file, a database about to be upgraded or created, a server that does
not answer within ``CONNECT_TIMEOUT_S``, a refused password) returns None and Home waits
for the full path as before; nothing is printed or logged (an error's text may hold the
URL). Read only: nothing here writes, and counts are aggregates, audited by neither path
(``audit.record_read`` is for a person's record).

No SQLAlchemy and no models here (that is the point): the stored values of the statuses
are spelt out below, and a test holds them to the models' enums. psycopg (about 0.15 s of
CPU to import) is imported for a PostgreSQL URL only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coordinator_tui.clock import UK, start_of_day, to_local

if TYPE_CHECKING:
    from coordinator_tui.services.access import Principal

# Stored values (the models' StrEnums; tests/test_home_counts_fast.py compares them).
ACTIVE = "active"  # EntryStatus.ACTIVE
UNTRIAGED = "untriaged"  # ConcernStatus.UNTRIAGED
AWAITING_OUTCOME_STATES = ("sent", "acknowledged", "awaiting_outcome")
OPEN_REFERRAL_STATES = ("drafted", "sent", "acknowledged", "awaiting_outcome", "outcome_received")
OPEN = "open"  # ActionStatus.OPEN; incidents', candour records' and complaints' "open"
MEETING_PLANNED, MEETING_IN_PROGRESS = "planned", "in_progress"  # MeetingStatus
VISIT_PLANNED, VISIT_DONE = "planned", "done"  # VisitStatus
VISIT_MISSED, VISIT_CANCELLED = "missed", "cancelled"
LATE_MINUTES, MISSED_AFTER = 30, time(23, 0)  # governance.agency.AgencySettings' defaults

SQLITE_HEADER = b"SQLite format 3\x00"  # an SQLCipher file has none: the full path
POSTGRES_URL = "postgresql+psycopg://"  # preflight.resolve_target's spelling of every PG URL
CONNECT_TIMEOUT_S = 2
"""PostgreSQL: the longest the connection may take (libpq's least). The ORM's own
connection is on its way meanwhile: a server slow to answer costs this path, not Home."""
STATEMENT_TIMEOUT_MS = 2000
"""PostgreSQL: the longest a statement may run (a table locked by a schema upgrade)."""
_SESSION_OPTIONS = (
    f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
)
"""libpq's startup options: set by the server for the session, before any statement."""
_STORED_MOMENT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME text, UTC


@dataclass(frozen=True)
class NextMeeting:
    id: int
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class DashboardCounts:
    """Everything Home shows. ``today`` is the date the counts were computed for. Here,
    not in ``services.dashboard``, so that Home can hold counts read before SQLAlchemy is
    imported (``quick_dashboard_counts``)."""

    today: date
    horizon_days: int
    reviews_overdue: int
    reviews_due_soon: int
    escalations: int
    untriaged_concerns: int
    referrals_awaiting_outcome: int
    referrals_overdue: int
    actions_open: int
    actions_overdue: int
    unassigned_visits_week: int
    next_meeting: NextMeeting | None
    meeting_in_progress: NextMeeting | None = None
    """A meeting started and not yet finished: Home shows it first, to resume minuting."""
    incidents_awaiting_triage: int = 0
    candour_overdue: int = 0
    complaints_to_acknowledge: int = 0
    visits_missed_today: int = 0
    incident_actions_overdue: int = 0
    """Governance (issue 14 §5): incidents to triage, Duty of Candour records past the
    agency's limit, complaints still to acknowledge, today's visits missed or with no
    check-in past the agency's tolerance, and incidents' actions open past their due
    date (the homecare side's own, which Home's meeting lines leave out: issue 17)."""
    hidden: frozenset[str] = frozenset()
    """Counts not shown to this role (issue 17 §2: homecare users see customers, not the
    safeguarding registers): zero here, and Home says they are not for the role."""


SAFEGUARDING_COUNTS = frozenset(
    {
        "reviews_overdue",
        "reviews_due_soon",
        "escalations",
        "untriaged_concerns",
        "referrals_awaiting_outcome",
        "referrals_overdue",
        "actions_open",
        "actions_overdue",
    }
)
"""Home's counts of the safeguarding registers, referrals and meetings (``view_register``)."""


def week_bounds(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing ``day`` (rota weeks start on Monday)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


# -- the statements (as SQLAlchemy emits dashboard_counts'), for both databases ----------

_REVISION = "SELECT version_num FROM alembic_version"
_MEETING = "SELECT id, title, starts_at FROM meeting WHERE "
_NEXT_MEETING = (
    _MEETING + "starts_at >= :day_start AND status = :meeting_planned ORDER BY starts_at LIMIT 1"
)
_IN_PROGRESS = _MEETING + "status = :in_progress ORDER BY starts_at DESC LIMIT 1"
# The meetings' tracker: not an incident's action nor a cover task (``actions.of_kinds``)
_NOT_INCIDENT_ACTION = (
    "id NOT IN (SELECT action_id FROM incident_action)"
    " AND id NOT IN (SELECT task_id FROM absence_cover WHERE task_id IS NOT NULL)"
)
_SAFEGUARDING = f"""SELECT
 (SELECT count(*) FROM register_entry WHERE status = :active AND next_review_due < :today),
 (SELECT count(*) FROM register_entry
   WHERE status = :active AND next_review_due >= :today AND next_review_due <= :horizon),
 (SELECT count(*) FROM register_entry WHERE status = :active
   AND id IN (SELECT id FROM register_entry WHERE escalated_at IS NOT NULL)),
 (SELECT count(*) FROM concern WHERE status = :untriaged),
 (SELECT count(*) FROM referral WHERE state IN ({{awaiting}})),
 (SELECT count(*) FROM referral WHERE state IN ({{open_states}}) AND chase_by < :today),
 (SELECT count(*) FROM action WHERE status = :open AND {_NOT_INCIDENT_ACTION}),
 (SELECT count(*) FROM action
   WHERE status = :open AND {_NOT_INCIDENT_ACTION} AND due_date < :today)"""
_SAFEGUARDING = _SAFEGUARDING.format(
    awaiting=", ".join(f"'{state}'" for state in AWAITING_OUTCOME_STATES),
    open_states=", ".join(f"'{state}'" for state in OPEN_REFERRAL_STATES),
)
_UNASSIGNED = """SELECT count(*) FROM visit
 WHERE visit_date >= :monday AND visit_date <= :sunday AND status = :planned
 AND (SELECT count(visit_assignment.id) FROM visit_assignment
      WHERE visit_assignment.visit_id = visit.id) < visit.carers_required"""
_GOVERNANCE = """SELECT
 (SELECT count(id) FROM incident WHERE status = :open AND triaged_at IS NULL),
 (SELECT count(id) FROM candour_record
   WHERE status = :open AND due_on < :today AND notified_on IS NULL
   AND (unable = '' OR contact_attempts = '')),
 (SELECT count(id) FROM complaint WHERE status = :open AND acknowledged_on IS NULL),
 (SELECT count(action.id) FROM action
   JOIN incident_action ON incident_action.action_id = action.id
   WHERE action.status = :open AND action.due_date < :today)"""
_AGENCY = "SELECT late_minutes, missed_after FROM governance_settings ORDER BY id LIMIT 1"
_DAY_VISITS = """SELECT visit.start_at, visit.actual_start, visit.status
 FROM visit JOIN customer ON customer.id = visit.customer_id
 WHERE visit.visit_date = :today AND visit.status != :cancelled"""

_STATEMENTS = {
    "revision": _REVISION,
    "unassigned": _UNASSIGNED,
    "governance": _GOVERNANCE,
    "agency": _AGENCY,
    "day_visits": _DAY_VISITS,
    "safeguarding": _SAFEGUARDING,
    "next_meeting": _NEXT_MEETING,
    "in_progress": _IN_PROGRESS,
}
"""Every statement of a read, in the order sent; the last three only for a role that may
view the registers (``SAFEGUARDING_STATEMENTS``)."""
SAFEGUARDING_STATEMENTS = ("safeguarding", "next_meeting", "in_progress")
_NAMED = re.compile(r":(\w+)")


def _sqlite_moment(moment: datetime) -> str:
    """An aware moment as SQLAlchemy binds it on SQLite: UTC text."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(_STORED_MOMENT)


def _utc(moment: datetime) -> datetime:
    """An aware moment as SQLModel's ``UTCDateTime`` binds it: in UTC."""
    return moment.astimezone(UTC)


def _as_is(day: date) -> date:
    return day


@dataclass(frozen=True)
class _Dialect:
    """What the two databases do differently with the same statements."""

    begin: str
    """The read's one transaction (one snapshot for every count, as one session reads)."""
    day: Callable[[date], object]
    moment: Callable[[datetime], object]
    pyformat: bool
    """psycopg's ``%(name)s`` for each ``:name`` (sqlite3 takes ``:name`` itself)."""

    def sql(self, statement: str) -> str:
        """``statement`` as this database's driver takes it (a literal ``%`` doubled)."""
        if not self.pyformat:
            return statement
        return _NAMED.sub(r"%(\1)s", statement.replace("%", "%%"))


SQLITE = _Dialect(begin="BEGIN", day=date.isoformat, moment=_sqlite_moment, pyformat=False)
POSTGRES = _Dialect(
    begin="BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    day=_as_is,
    moment=_utc,
    pyformat=True,
)


def _values(dialect: _Dialect, today: date, horizon_days: int) -> dict[str, object]:
    """Every statement's parameters, bound as ``dialect`` binds them."""
    monday, sunday = week_bounds(today)
    return {
        "today": dialect.day(today),
        "horizon": dialect.day(today + timedelta(days=horizon_days)),
        "monday": dialect.day(monday),
        "sunday": dialect.day(sunday),
        "day_start": dialect.moment(start_of_day(today)),
        "active": ACTIVE,
        "untriaged": UNTRIAGED,
        "open": OPEN,
        "planned": VISIT_PLANNED,
        "cancelled": VISIT_CANCELLED,
        "meeting_planned": MEETING_PLANNED,
        "in_progress": MEETING_IN_PROGRESS,
    }


def _moment(stored: object) -> datetime | None:
    """A stored moment as SQLModel's ``UTCDateTime`` returns it: aware, in UTC (SQLite
    gives UTC text without an offset, PostgreSQL an aware ``datetime``)."""
    if stored is None:
        return None
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)


def missed_or_unchecked(
    planned_start: datetime,
    actual_start: datetime | None,
    status: str,
    now: datetime,
    late_minutes: int = LATE_MINUTES,
    missed_after: time = MISSED_AFTER,
) -> bool:
    """Home's "missed or not checked in today" for one visit: ``classify``'s missed, or
    ``day_visits``' overdue check-in (planned, not started, past the late tolerance)."""
    if status == VISIT_MISSED:
        return True
    if actual_start is not None:
        return False
    cutoff = datetime.combine(to_local(planned_start).date(), missed_after, tzinfo=UK)
    if status != VISIT_DONE and now >= cutoff:
        return True  # missed: not started by the agency's hour on its day
    return status == VISIT_PLANNED and now > planned_start + timedelta(minutes=late_minutes)


Rows = dict[str, list[tuple[Any, ...]]]
"""Each statement's rows, by its name in ``_STATEMENTS``."""


def quick_dashboard_counts(
    database: Path | str | None,
    head: str,
    today: date,
    horizon_days: int = 14,
    now: datetime | None = None,
    principal: Principal | None = None,
) -> DashboardCounts | None:
    """Home's counts as ``principal`` may see them, from ``database``: an SQLite file's
    path, or a ``postgresql+psycopg://`` URL (``preflight.resolve_target``'s ``path`` or
    ``url``). None when this path cannot give them (no such file, encrypted, another kind
    of URL, no answer, not at schema revision ``head``, unreadable): Home then waits for
    ``dashboard_counts``."""
    if database is None or principal is None or not head:
        return None
    names = [
        name
        for name in _STATEMENTS
        if name not in SAFEGUARDING_STATEMENTS or _sees_registers(principal)
    ]
    if isinstance(database, Path):
        rows = _sqlite_rows(database, names, today, horizon_days)
    elif database.startswith(POSTGRES_URL):
        rows = _postgres_rows(database, names, today, horizon_days)
    else:
        return None
    if rows is None:
        return None
    # The schema revision is read in the same snapshot as the counts (one round trip on
    # PostgreSQL): counts of another schema are dropped (a statement it cannot run gave
    # None above). The database is about to be upgraded: its columns may differ.
    revision = rows["revision"]
    if not revision or revision[0][0] != head:
        return None
    try:
        return _counts(rows, today, horizon_days, now)
    except ValueError:  # a stored value this app did not write: the full path says
        return None


def _sees_registers(principal: Principal) -> bool:
    from coordinator_tui.services.access import VIEW_REGISTER

    return principal.can(VIEW_REGISTER)


def _sqlite_rows(path: Path, names: Iterable[str], today: date, horizon_days: int) -> Rows | None:
    """The statements' rows from the SQLite file at ``path``, read only (``mode=ro``)."""
    try:
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
        # A writer holding the file (no WAL) makes this wait at most a second, then the
        # full path, which waits its own way, shows the counts.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (OSError, sqlite3.Error):
        return None
    values = _values(SQLITE, today, horizon_days)
    try:
        with connection:
            connection.execute(SQLITE.begin)
            return {
                name: connection.execute(_STATEMENTS[name], values).fetchall() for name in names
            }
    except sqlite3.Error:  # a table missing or changed: the full path says
        return None
    finally:
        connection.close()


def postgres_conninfo(url: str) -> str:
    """libpq's connection string for a ``postgresql+psycopg://`` URL: the driver part
    dropped, the rest taken by libpq as its own URI (user, password, host, port, database
    and query parameters such as ``sslmode``), with this path's timeouts and read-only
    session added (to any ``options`` the URL gives)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    uri = "postgresql://" + url.removeprefix(POSTGRES_URL)
    given = conninfo_to_dict(uri).get("options")
    options = f"{given} {_SESSION_OPTIONS}" if given else _SESSION_OPTIONS
    return make_conninfo(uri, connect_timeout=CONNECT_TIMEOUT_S, options=options)


def _postgres_rows(url: str, names: Iterable[str], today: date, horizon_days: int) -> Rows | None:
    """The statements' rows from PostgreSQL: one connection, one read-only transaction,
    every statement in one pipeline (one round trip), the connection closed after (its
    transaction, which wrote nothing, ends with it)."""
    try:
        import psycopg
    except ImportError:
        return None
    values = _values(POSTGRES, today, horizon_days)
    try:
        connection = psycopg.connect(postgres_conninfo(url), autocommit=True)
    except (psycopg.Error, OSError, ValueError):  # no answer, refused, no such database
        return None
    try:
        with connection.pipeline():
            connection.execute(POSTGRES.begin)
            cursors = {
                name: connection.execute(POSTGRES.sql(_STATEMENTS[name]), values) for name in names
            }
        return {name: cursor.fetchall() for name, cursor in cursors.items()}
    except (psycopg.Error, OSError, ValueError):  # a table missing or changed, a timeout
        return None
    finally:
        connection.close()


def _counts(rows: Rows, today: date, horizon_days: int, now: datetime | None) -> DashboardCounts:
    """The counts from the statements' rows (the safeguarding ones hidden when the role
    may not view the registers: their statements were not sent)."""
    (unassigned,) = rows["unassigned"][0]
    governance = _governance(rows, today, now)
    if "safeguarding" not in rows:
        return DashboardCounts(
            today=today,
            horizon_days=horizon_days,
            unassigned_visits_week=int(unassigned or 0),
            next_meeting=None,
            hidden=SAFEGUARDING_COUNTS,
            **dict.fromkeys(SAFEGUARDING_COUNTS, 0),
            **governance,
        )
    return DashboardCounts(
        today,
        horizon_days,
        *(int(value or 0) for value in rows["safeguarding"][0]),
        unassigned_visits_week=int(unassigned or 0),
        next_meeting=_meeting(rows["next_meeting"]),
        meeting_in_progress=_meeting(rows["in_progress"]),
        **governance,
    )


def _meeting(rows: list[tuple[Any, ...]]) -> NextMeeting | None:
    if not rows:
        return None
    meeting_id, title, starts_at = rows[0]
    starts = _moment(starts_at)
    assert starts is not None  # a meeting's start is NOT NULL
    return NextMeeting(int(meeting_id), str(title), starts)


def _governance(rows: Rows, today: date, now: datetime | None) -> dict[str, int]:
    """As ``dashboard._governance``: ``governance_counts``' four that Home shows, and
    today's visits missed or not checked in (judged at ``now``, else 23:59 on ``today``)."""
    triage, candour, to_acknowledge, actions = rows["governance"][0]
    late_minutes, missed_after = LATE_MINUTES, MISSED_AFTER
    if rows["agency"]:
        minutes, after = rows["agency"][0]
        # SQLite stores the hour as text, PostgreSQL as a ``time``: both read back alike.
        late_minutes, missed_after = int(minutes), time.fromisoformat(str(after))
    moment = now or datetime.combine(today, time(23, 59), tzinfo=UK)
    missed = 0
    for start_at, actual_start, status in rows["day_visits"]:
        planned = _moment(start_at)
        assert planned is not None  # a visit's start is NOT NULL
        if missed_or_unchecked(
            planned, _moment(actual_start), status, moment, late_minutes, missed_after
        ):
            missed += 1
    return {
        "incidents_awaiting_triage": int(triage or 0),
        "candour_overdue": int(candour or 0),
        "complaints_to_acknowledge": int(to_acknowledge or 0),
        "incident_actions_overdue": int(actions or 0),
        "visits_missed_today": missed,
    }
