"""The Home dashboard's counts: what needs the coordinator's attention today.

Each count is one narrow ``SELECT count(*)`` over indexed columns, so the whole
dashboard costs a few milliseconds even on the large demo (100,000 people). Home shows
the same counts read with the stdlib's ``sqlite3`` first, while this module's imports
(SQLAlchemy and the tables) are still loading (``services.home_counts``, issue 23 §3):
a change to a count here is made there too (``tests/test_home_counts_fast.py``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, start_of_day
from coordinator_tui.models import (
    OPEN_REFERRAL_STATES,
    Action,
    ActionStatus,
    Concern,
    ConcernStatus,
    EntryStatus,
    Meeting,
    MeetingStatus,
    Referral,
    ReferralState,
    RegisterEntry,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.services.home_counts import (
    SAFEGUARDING_COUNTS,
    DashboardCounts,
    NextMeeting,
    week_bounds,
)

AWAITING_OUTCOME_STATES = (
    ReferralState.SENT,
    ReferralState.ACKNOWLEDGED,
    ReferralState.AWAITING_OUTCOME,
)

__all__ = [
    "SAFEGUARDING_COUNTS",
    "DashboardCounts",
    "NextMeeting",
    "dashboard_counts",
    "unassigned_visits_condition",
    "week_bounds",
]


def _count(session: Session, model, *conditions) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def unassigned_visits_condition(start: date, end: date):
    """Visits in [start, end] still planned with fewer carers than they need."""
    assigned = (
        select(func.count(VisitAssignment.id))
        .where(VisitAssignment.visit_id == Visit.id)
        .scalar_subquery()
    )
    return and_(
        Visit.visit_date >= start,
        Visit.visit_date <= end,
        Visit.status == VisitStatus.PLANNED,
        assigned < Visit.carers_required,
    )


def _escalated():
    """Entries escalated, as ids from the ``escalated_at`` index: a few hundred, where the
    plain ``escalated_at IS NOT NULL`` beside ``status = 'active'`` had SQLite walk every
    active entry by the status index (250 ms at ten times the large demo, 1 ms so)."""
    return RegisterEntry.id.in_(
        select(RegisterEntry.id).where(RegisterEntry.escalated_at.is_not(None))
    )


def _open_meeting_actions() -> tuple:
    """Open actions of the meetings' tracker: the action table is shared with governance,
    whose incident actions (``incident_action``) Governance counts as its own ("actions
    late"), and with the rota's cover tasks (``absence_cover.task_id``); Home's meeting
    lines leave both out, as the meetings' tracker lists them (``actions.of_kinds``)."""
    from coordinator_tui.services.meetings.actions import MEETING, of_kinds

    return (Action.status == ActionStatus.OPEN, of_kinds((MEETING,)))


def dashboard_counts(
    session: Session,
    today: date,
    horizon_days: int = 14,
    now: datetime | None = None,
) -> DashboardCounts:
    """Compute the Home counts for ``today`` (defaults to the local date); ``now`` is the
    moment today's visits are judged at (the screen passes the wall-clock time; noon on
    ``today`` otherwise, so a script's counts do not depend on when it runs)."""
    from coordinator_tui.services import access

    principal = access.current_principal(session)
    if principal is not None and not principal.can(access.VIEW_REGISTER):
        return _without_registers(session, today, horizon_days, now)
    horizon = today + timedelta(days=horizon_days)
    active = RegisterEntry.status == EntryStatus.ACTIVE
    monday, sunday = week_bounds(today)
    meeting_row = session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at)
        .where(Meeting.starts_at >= start_of_day(today), Meeting.status == MeetingStatus.PLANNED)
        .order_by(Meeting.starts_at)
        .limit(1)
    ).first()
    in_progress = session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at)
        .where(Meeting.status == MeetingStatus.IN_PROGRESS)
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    ).first()
    return DashboardCounts(
        today=today,
        horizon_days=horizon_days,
        reviews_overdue=_count(
            session, RegisterEntry, active, RegisterEntry.next_review_due < today
        ),
        reviews_due_soon=_count(
            session,
            RegisterEntry,
            active,
            RegisterEntry.next_review_due >= today,
            RegisterEntry.next_review_due <= horizon,
        ),
        escalations=_count(session, RegisterEntry, active, _escalated()),
        untriaged_concerns=_count(session, Concern, Concern.status == ConcernStatus.UNTRIAGED),
        referrals_awaiting_outcome=_count(
            session, Referral, Referral.state.in_(AWAITING_OUTCOME_STATES)
        ),
        referrals_overdue=_count(
            session, Referral, Referral.state.in_(OPEN_REFERRAL_STATES), Referral.chase_by < today
        ),
        actions_open=_count(session, Action, *_open_meeting_actions()),
        actions_overdue=_count(session, Action, *_open_meeting_actions(), Action.due_date < today),
        unassigned_visits_week=_count(session, Visit, unassigned_visits_condition(monday, sunday)),
        next_meeting=NextMeeting(*meeting_row) if meeting_row else None,
        meeting_in_progress=NextMeeting(*in_progress) if in_progress else None,
        **_governance(session, today, now),
    )


def _without_registers(
    session: Session, today: date, horizon_days: int, now: datetime | None
) -> DashboardCounts:
    """Home for a role that may not view the registers: the homecare counts only, the
    safeguarding ones not counted (and no safeguarding meeting named)."""
    monday, sunday = week_bounds(today)
    zero = dict.fromkeys(SAFEGUARDING_COUNTS, 0)
    return DashboardCounts(
        today=today,
        horizon_days=horizon_days,
        unassigned_visits_week=_count(session, Visit, unassigned_visits_condition(monday, sunday)),
        next_meeting=None,
        hidden=SAFEGUARDING_COUNTS,
        **zero,
        **_governance(session, today, now),
    )


def _governance(session: Session, today: date, now: datetime | None) -> dict[str, int]:
    """Home's governance counts, from the governance services' own definitions."""
    from coordinator_tui.services.governance.incidents import governance_counts
    from coordinator_tui.services.governance.visits import day_visits

    counts = governance_counts(session, today)
    moment = now or datetime.combine(today, time(23, 59), tzinfo=UK)
    missed = sum(
        1
        for visit in day_visits(session, today, moment)
        if visit.state.missed or visit.overdue_check_in
    )
    return {
        "incidents_awaiting_triage": counts.awaiting_triage,
        "candour_overdue": counts.candour_overdue,
        "complaints_to_acknowledge": counts.complaints_to_acknowledge,
        "incident_actions_overdue": counts.incident_actions_overdue,
        "visits_missed_today": missed,
    }
