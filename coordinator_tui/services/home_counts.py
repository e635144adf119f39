"""Home's counts read straight from an SQLite file with the stdlib ``sqlite3`` module.

Issue 23 §3: Home's counts within 2.5x a bare Textual app's first frame. The app opens its
database in a worker after the first frame, and before the counts could be read that
worker imported SQLAlchemy, SQLModel and the 73 tables (about 0.7 s of CPU, far more on a
loaded machine); the counts themselves take a few milliseconds. So when Home opens before
the database is ready, its counts come from here first: one read-only connection, the same
statements ``services.dashboard.dashboard_counts`` builds (the SQL SQLAlchemy emits for
them, with the same bound values), and the same rule for a visit missed or not checked in
(``services.governance.visits.classify`` and ``day_visits``' overdue check-in). Home then
reads them again through the ORM once the database is open, which is the one that counts
(``tests/test_home_counts_fast.py`` checks both give the same numbers).

Only an SQLite file, not encrypted, already at the schema this app knows: anything else
(PostgreSQL, an SQLCipher file, a database about to be upgraded or created) returns None
and Home waits for the full path as before. Read only: nothing here writes, and counts
are aggregates, audited by neither path (``audit.record_read`` is for a person's record).

No SQLAlchemy and no models here (that is the point): the stored values of the statuses
are spelt out below, and a test holds them to the models' enums.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

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


# -- the statements (as SQLAlchemy emits dashboard_counts' on SQLite) ----------------------

_MEETING = "SELECT id, title, starts_at FROM meeting WHERE "
_NEXT_MEETING = _MEETING + "starts_at >= ? AND status = ? ORDER BY starts_at LIMIT 1"
_IN_PROGRESS = _MEETING + "status = ? ORDER BY starts_at DESC LIMIT 1"
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
 WHERE visit.visit_date = ? AND visit.status != ?"""


def _moment(stored: str | None) -> datetime | None:
    """A stored DATETIME (UTC text) as SQLAlchemy returns it: aware, in UTC."""
    if stored is None:
        return None
    return datetime.fromisoformat(str(stored)).replace(tzinfo=UTC)


def _bound(moment: datetime) -> str:
    """An aware moment as SQLAlchemy binds it on SQLite: UTC text."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(_STORED_MOMENT)


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


def quick_dashboard_counts(
    path: Path | None,
    head: str,
    today: date,
    horizon_days: int = 14,
    now: datetime | None = None,
    principal: Principal | None = None,
) -> DashboardCounts | None:
    """Home's counts from the SQLite file at ``path`` as ``principal`` may see them, or
    None when this path cannot give them (no such file, encrypted, not at schema revision
    ``head``, unreadable): Home then waits for ``dashboard_counts``."""
    if path is None or principal is None or not head:
        return None
    try:
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
        # A writer holding the file (no WAL) makes this wait at most a second, then the
        # full path, which waits its own way, shows the counts.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (OSError, sqlite3.Error):
        return None
    try:
        with connection:
            return _read(connection, head, today, horizon_days, now, principal)
    except (sqlite3.Error, ValueError):  # a table missing or changed: the full path says
        return None
    finally:
        connection.close()


def _read(
    connection: sqlite3.Connection,
    head: str,
    today: date,
    horizon_days: int,
    now: datetime | None,
    principal: Principal,
) -> DashboardCounts | None:
    from coordinator_tui.services.access import VIEW_REGISTER

    connection.execute("BEGIN")  # one snapshot for every count, as one session reads them
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None or revision[0] != head:
        return None  # the database is about to be upgraded: its columns may differ
    monday, sunday = week_bounds(today)
    values = {
        "today": today.isoformat(),
        "horizon": (today + timedelta(days=horizon_days)).isoformat(),
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
        "active": ACTIVE,
        "untriaged": UNTRIAGED,
        "open": OPEN,
        "planned": VISIT_PLANNED,
    }
    unassigned = connection.execute(_UNASSIGNED, values).fetchone()[0]
    governance = _governance(connection, values, today, now)
    if not principal.can(VIEW_REGISTER):
        return DashboardCounts(
            today=today,
            horizon_days=horizon_days,
            unassigned_visits_week=unassigned,
            next_meeting=None,
            hidden=SAFEGUARDING_COUNTS,
            **dict.fromkeys(SAFEGUARDING_COUNTS, 0),
            **governance,
        )
    counts = connection.execute(_SAFEGUARDING, values).fetchone()
    after = _bound(start_of_day(today))
    upcoming = connection.execute(_NEXT_MEETING, (after, MEETING_PLANNED)).fetchone()
    in_progress = connection.execute(_IN_PROGRESS, (MEETING_IN_PROGRESS,)).fetchone()
    return DashboardCounts(
        today,
        horizon_days,
        *(int(value or 0) for value in counts),
        unassigned_visits_week=int(unassigned or 0),
        next_meeting=_meeting(upcoming),
        meeting_in_progress=_meeting(in_progress),
        **governance,
    )


def _meeting(row: tuple | None) -> NextMeeting | None:
    if row is None:
        return None
    starts = _moment(row[2])
    assert starts is not None  # a meeting's start is NOT NULL
    return NextMeeting(int(row[0]), str(row[1]), starts)


def _governance(
    connection: sqlite3.Connection, values: dict[str, str], today: date, now: datetime | None
) -> dict[str, int]:
    """As ``dashboard._governance``: ``governance_counts``' four that Home shows, and
    today's visits missed or not checked in (judged at ``now``, else 23:59 on ``today``)."""
    triage, candour, to_acknowledge, actions = connection.execute(_GOVERNANCE, values).fetchone()
    late_minutes, missed_after = LATE_MINUTES, MISSED_AFTER
    agency = connection.execute(_AGENCY).fetchone()
    if agency is not None:
        late_minutes, missed_after = int(agency[0]), time.fromisoformat(str(agency[1]))
    moment = now or datetime.combine(today, time(23, 59), tzinfo=UK)
    missed = 0
    for start_at, actual_start, status in connection.execute(
        _DAY_VISITS, (today.isoformat(), VISIT_CANCELLED)
    ):
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
