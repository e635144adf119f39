"""The agenda builder: what happened since the last meeting, proposed with the reason why.

:func:`propose_agenda` looks at the database for one meeting and proposes one agenda item
per source row, each in the ``proposed`` triage state with a suggested priority:

=================  ==========================================================  ========
source_kind        proposed when                                                priority
=================  ==========================================================  ========
escalation         a register entry is escalated to the safeguarding lead       1
conference         a case conference not yet held is due before the next        2
                   meeting of the series
referral_overdue   an open referral is past its chase-by date                   2
referral_waiting   a referral sent since the last meeting awaits its outcome   3
concern            a concern was triaged "discuss at the next meeting"          2
register_start     someone was added to a register since the last meeting       2 (high
                                                                                risk) or 3
register_end       a registration ended since the last meeting                  3
review_overdue     an active register entry is past its review date             3
action             an action from an earlier meeting is still open              2 overdue
                                                                                else 3
=================  ==========================================================  ========

Proposals are ranked by risk (:func:`rank`): priority, then the person's highest
register risk, then the kind of reason, then the oldest first. A 60-minute meeting cannot
discuss 150 items, so only what fits the time left on the agenda is proposed (each
proposal at its minutes allotted; urgent ones always): the rest is held back and counted,
and ``propose_agenda(..., fit_to_time=False)`` (``P`` on the triage screen) proposes it.

Items deferred at triage (``d``) or included but not reached at an earlier meeting of the
same run come back on the next one *carried forward* (:func:`carry_forward`): included,
with their priority, minutes and presenter, and ``carried_note`` saying why they are
back; they are not proposed again as new. A proposal nobody triaged before its meeting
is not carried (nobody decided it deserved the time): it is proposed afresh next time if
it still applies.

"Since the last meeting" is since the previous meeting of the series (or of the same
practice for a one-off), or the last 35 days when there is none. A practice's meeting
looks at that practice only; a PCN-wide meeting (no practice) at every practice.

Running it again adds only what is new: a source already on this meeting's agenda is not
proposed twice, and one-off sources (a concern, a registration starting or ending, a
conference) already decided at an earlier meeting are not proposed again. Ongoing
conditions (an escalation, an overdue review or referral, an open action) come back
every meeting while they last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import names_label
from coordinator_tui.models import (
    Action,
    ActionStatus,
    AgendaItem,
    CaseConference,
    Concern,
    ConcernStatus,
    EntryStatus,
    Meeting,
    MeetingStatus,
    Person,
    Referral,
    ReferralState,
    RegisterCategory,
    RegisterEntry,
    Staff,
    TriageStatus,
)
from coordinator_tui.services.dates import format_date_short
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings.series import (
    following_meeting_day,
    load_meeting,
    previous_meeting,
    same_scope,
)

LOOKBACK_DAYS = 35
NEXT_MEETING_FALLBACK_DAYS = 31
ONE_OFF_SOURCES = ("concern", "register_start", "register_end", "conference")
RISK_RANK = {"high": 0, "medium": 1, "low": 2}
SOURCE_LABEL = {
    "deferred": "Deferred",
    "escalation": "Escalation",
    "conference": "Case conference",
    "referral_overdue": "Referral overdue",
    "referral_waiting": "Referral awaiting outcome",
    "concern": "Concern",
    "register_start": "New registration",
    "register_end": "Registration ended",
    "review_overdue": "Review overdue",
    "action": "Open action",
    "manual": "Added by hand",
}
WAITING_STATES = (
    ReferralState.SENT,
    ReferralState.ACKNOWLEDGED,
    ReferralState.AWAITING_OUTCOME,
)
OPEN_STATES = (*WAITING_STATES, ReferralState.DRAFTED, ReferralState.OUTCOME_RECEIVED)


@dataclass(frozen=True)
class Proposal:
    """What the builder would add: the person, a title, the source and why."""

    source_kind: str
    source_id: int | None
    person_id: int | None
    title: str
    reason: str
    priority: int = 3
    deferred_from_item_id: int | None = None
    minutes_allotted: int = 5
    presenter_staff_id: int | None = None


@dataclass(frozen=True)
class AgendaWindow:
    """The period the builder looked at for one meeting."""

    since: date
    meeting_day: date
    next_meeting_day: date
    as_of: date  # "overdue" means before this: the day the agenda is built (or the meeting)


@dataclass
class ProposalResult:
    window: AgendaWindow
    added: list[AgendaItem]
    already_there: int
    held_back: int = 0  # ranked below what fits the meeting's time: ``fit_to_time=False``
    carried: list[AgendaItem] = field(default_factory=list)
    minutes_free: int = 0  # of the meeting, before these proposals


def _name(given: str, family: str) -> str:
    return names_label(family, given)


def window_for(session: Session, meeting: Meeting, today: date) -> AgendaWindow:
    day = to_local(meeting.starts_at).date()
    previous = previous_meeting(session, meeting)
    since = to_local(previous.starts_at).date() if previous else day - timedelta(LOOKBACK_DAYS)
    following = following_meeting_day(session, meeting)
    return AgendaWindow(
        since,
        day,
        following or day + timedelta(days=NEXT_MEETING_FALLBACK_DAYS),
        min(today, day),
    )


def _scoped(stmt, column, practice_id: int | None):
    return stmt if practice_id is None else stmt.where(column == practice_id)


def _escalations(session: Session, practice_id: int | None) -> list[Proposal]:
    stmt = (
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            Person.given_name,
            Person.family_name,
            RegisterCategory.name,
            RegisterEntry.escalated_at,
            RegisterEntry.escalation_reason,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.status == EntryStatus.ACTIVE, RegisterEntry.escalated_at.is_not(None))
        .order_by(RegisterEntry.escalated_at)
    )
    stmt = _scoped(stmt, RegisterEntry.practice_id, practice_id)
    return [
        Proposal(
            "escalation",
            entry_id,
            person_id,
            f"{_name(given, family)}: escalation ({category})",
            f"Escalated from the register queue on "
            f"{format_date_short(to_local(at).date())}: {reason or 'no reason given'}"[:300],
            1,
        )
        for entry_id, person_id, given, family, category, at, reason in session.execute(stmt)
    ]


def _conferences(session: Session, window: AgendaWindow, practice_id: int | None):
    stmt = (
        select(
            CaseConference.id,
            CaseConference.person_id,
            Person.given_name,
            Person.family_name,
            CaseConference.kind,
            CaseConference.due_date,
        )
        .join(Person, Person.id == CaseConference.person_id)
        .where(
            CaseConference.held_on.is_(None),
            CaseConference.due_date <= window.next_meeting_day,
        )
        .order_by(CaseConference.due_date)
    )
    stmt = _scoped(stmt, Person.practice_id, practice_id)
    out = []
    for conference_id, person_id, given, family, kind, due in session.execute(stmt):
        label = kind.replace("_", " ")
        when = "overdue since" if due < window.as_of else "due"
        out.append(
            Proposal(
                "conference",
                conference_id,
                person_id,
                f"{_name(given, family)}: {label} conference",
                f"Case conference ({label}) {when} {format_date_short(due)}, before the "
                f"next meeting ({format_date_short(window.next_meeting_day)})",
                2,
            )
        )
    return out


def _referrals(session: Session, window: AgendaWindow, practice_id: int | None):
    stmt = (
        select(
            Referral.id,
            Referral.person_id,
            Person.given_name,
            Person.family_name,
            Referral.referral_type,
            Referral.state,
            Referral.chase_by,
            Referral.sent_at,
            Referral.escalation_pending,
        )
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.state.in_(OPEN_STATES))
        .order_by(Referral.chase_by, Referral.id)
    )
    stmt = _scoped(stmt, Referral.practice_id, practice_id)
    out = []
    for (
        rid,
        person_id,
        given,
        family,
        kind,
        state,
        chase_by,
        sent_at,
        escalation,
    ) in session.execute(stmt):
        overdue = chase_by is not None and chase_by < window.as_of
        sent_since = sent_at is not None and to_local(sent_at).date() >= window.since
        if not overdue and not (state in WAITING_STATES and sent_since):
            continue
        name = _name(given, family)
        kind_label = kind.replace("_", " ")
        state_label = state.replace("_", " ")
        if overdue:
            reason = (
                f"{kind_label} referral {state_label}, overdue: chase-by date "
                f"{format_date_short(chase_by)} has passed"
            )
        else:
            sent = format_date_short(to_local(sent_at).date()) if sent_at else "—"
            reason = f"{kind_label} referral sent {sent}, awaiting outcome ({state_label})"
        if escalation:
            reason += "; escalation pending"
        out.append(
            Proposal(
                "referral_overdue" if overdue else "referral_waiting",
                rid,
                person_id,
                f"{name}: {kind_label} referral",
                reason[:300],
                2 if overdue or escalation else 3,
            )
        )
    return out


def _concerns(session: Session, practice_id: int | None) -> list[Proposal]:
    stmt = (
        select(
            Concern.id,
            Concern.person_id,
            Person.given_name,
            Person.family_name,
            Concern.category,
            Concern.raised_on,
            Concern.triage_reason,
        )
        .join(Person, Person.id == Concern.person_id)
        .where(Concern.status == ConcernStatus.FOR_MEETING)
        .order_by(Concern.raised_on, Concern.id)
    )
    stmt = _scoped(stmt, Concern.practice_id, practice_id)
    return [
        Proposal(
            "concern",
            concern_id,
            person_id,
            f"{_name(given, family)}: concern ({category.replace('_', ' ')})",
            f"Concern raised {format_date_short(raised_on)} marked for discussion"
            + (f": {note}" if note else ""),
            2,
        )
        for concern_id, person_id, given, family, category, raised_on, note in session.execute(stmt)
    ]


def _registers(session: Session, window: AgendaWindow, practice_id: int | None):
    base = (
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            Person.given_name,
            Person.family_name,
            RegisterCategory.name,
            RegisterEntry.start_date,
            RegisterEntry.end_date,
            RegisterEntry.end_reason,
            RegisterEntry.risk_level,
            RegisterEntry.status,
            RegisterEntry.next_review_due,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
    )
    base = _scoped(base, RegisterEntry.practice_id, practice_id)
    out: list[Proposal] = []
    starts = base.where(
        RegisterEntry.start_date >= window.since,
        RegisterEntry.start_date <= window.meeting_day,
    ).order_by(RegisterEntry.start_date, RegisterEntry.id)
    for (
        eid,
        pid,
        given,
        family,
        category,
        start,
        _end,
        _why,
        risk,
        _status,
        _due,
    ) in session.execute(starts):
        out.append(
            Proposal(
                "register_start",
                eid,
                pid,
                f"{_name(given, family)}: added to {category}",
                f"New register entry: {category} from {format_date_short(start)} "
                f"({risk} risk), since the last meeting",
                2 if risk == "high" else 3,
            )
        )
    ends = base.where(
        RegisterEntry.end_date.is_not(None),
        RegisterEntry.end_date >= window.since,
        RegisterEntry.end_date <= window.meeting_day,
    ).order_by(RegisterEntry.end_date, RegisterEntry.id)
    for (
        eid,
        pid,
        given,
        family,
        category,
        _start,
        end,
        why,
        _risk,
        _status,
        _due,
    ) in session.execute(ends):
        out.append(
            Proposal(
                "register_end",
                eid,
                pid,
                f"{_name(given, family)}: {category} ended",
                f"Registration ended {format_date_short(end)}: {why or 'no reason given'}"[:300],
                3,
            )
        )
    overdue = base.where(
        RegisterEntry.status == EntryStatus.ACTIVE,
        RegisterEntry.next_review_due < window.as_of,
    ).order_by(RegisterEntry.next_review_due, RegisterEntry.id)
    for (
        eid,
        pid,
        given,
        family,
        category,
        _start,
        _end,
        _why,
        risk,
        _status,
        due,
    ) in session.execute(overdue):
        out.append(
            Proposal(
                "review_overdue",
                eid,
                pid,
                f"{_name(given, family)}: {category} review",
                f"Review overdue since {format_date_short(due)} ({risk} risk)",
                3,
            )
        )
    return out


def _actions(session: Session, meeting: Meeting, window: AgendaWindow) -> list[Proposal]:
    stmt = (
        select(
            Action.id,
            Action.person_id,
            Action.description,
            Action.owner_label,
            Staff.name,
            Action.due_date,
            Meeting.title,
        )
        .join(Meeting, Meeting.id == Action.meeting_id)
        .outerjoin(Staff, Staff.id == Action.owner_staff_id)
        .where(
            Action.status == ActionStatus.OPEN,
            Action.meeting_id != meeting.id,
            Meeting.starts_at < meeting.starts_at,
        )
        .order_by(Action.due_date, Action.id)
    )
    stmt = stmt.where(same_scope(meeting))
    people = {
        pid: _name(given, family)
        for pid, given, family in session.execute(
            select(Person.id, Person.given_name, Person.family_name).where(
                Person.id.in_(
                    select(Action.person_id).where(
                        Action.status == ActionStatus.OPEN, Action.person_id.is_not(None)
                    )
                )
            )
        )
    }
    out = []
    for action_id, pid, description, label, staff_name, due, title in session.execute(stmt):
        owner = staff_name or label or "no owner"
        overdue = due is not None and due < window.as_of
        due_text = (
            f", {'overdue since' if overdue else 'due'} {format_date_short(due)}" if due else ""
        )
        who = people.get(pid, "General")
        out.append(
            Proposal(
                "action",
                action_id,
                pid,
                f"{who}: action for {owner}"[:200],
                f"Action from {title} still open ({owner}{due_text}): {description}"[:300],
                2 if overdue else 3,
            )
        )
    return out


def proposals_for(
    session: Session, meeting: Meeting, *, today: date
) -> tuple[AgendaWindow, list[Proposal]]:
    """Everything the builder would propose for ``meeting`` (nothing is written)."""
    window = window_for(session, meeting, today)
    practice_id = meeting.practice_id
    found = (
        _escalations(session, practice_id)
        + _conferences(session, window, practice_id)
        + _referrals(session, window, practice_id)
        + _concerns(session, practice_id)
        + _registers(session, window, practice_id)
        + _actions(session, meeting, window)
    )
    return window, rank(session, found)


def rank(session: Session, proposals: list[Proposal]) -> list[Proposal]:
    """Most at risk first: priority, then the person's highest current register risk
    (high, medium, low, none), then the kind of reason (an escalation before a conference
    before a referral...), then as found (the oldest first within each kind)."""
    from coordinator_tui.services.meetings.triage import REASON_ORDER

    people = {p.person_id for p in proposals if p.person_id is not None}
    risk: dict[int, int] = {}
    if people:
        for person_id, level in session.execute(
            select(RegisterEntry.person_id, RegisterEntry.risk_level).where(
                RegisterEntry.status == EntryStatus.ACTIVE,
                RegisterEntry.person_id.in_(people),
            )
        ):
            value = RISK_RANK.get(level, len(RISK_RANK))
            risk[person_id] = min(risk.get(person_id, value), value)

    def key(item: tuple[int, Proposal]) -> tuple:
        index, proposal = item
        kind = proposal.source_kind
        return (
            proposal.priority,
            risk.get(proposal.person_id, len(RISK_RANK)) if proposal.person_id else len(RISK_RANK),
            REASON_ORDER.index(kind) if kind in REASON_ORDER else len(REASON_ORDER),
            index,
        )

    return [proposal for _, proposal in sorted(enumerate(proposals), key=key)]


def carry_forward(session: Session, meeting_id: int) -> list[AgendaItem]:
    """Bring onto this planned meeting what earlier meetings of its run deferred to it:
    items deferred at triage (``d``), included but not reached, or on a cancelled
    meeting. Each comes back included, with its priority, minutes and presenter, and
    the note of why in ``carried_note``. An item goes to the first meeting after its own
    that has not started; one nobody triaged is not carried. Safe to run again."""
    from coordinator_tui.services.meetings.triage import UNTRIAGED_NOTE

    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        return []
    earlier = aliased(Meeting)
    between = aliased(Meeting)
    carried = select(AgendaItem.deferred_from_item_id).where(
        AgendaItem.deferred_from_item_id.is_not(None)
    )
    scope = same_scope(meeting)
    stmt = (
        select(AgendaItem, earlier.title, earlier.starts_at, earlier.status)
        .join(earlier, earlier.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.triage_status == TriageStatus.DEFERRED,
            AgendaItem.drop_reason != UNTRIAGED_NOTE,
            AgendaItem.meeting_id != meeting.id,
            earlier.starts_at < meeting.starts_at,
            earlier.id.in_(select(Meeting.id).where(scope)),
            AgendaItem.id.not_in(carried),
            ~exists().where(
                between.id.in_(select(Meeting.id).where(scope)),
                between.status == MeetingStatus.PLANNED,
                between.id != meeting.id,
                between.starts_at > earlier.starts_at,
                between.starts_at < meeting.starts_at,
            ),
        )
        .order_by(earlier.starts_at, AgendaItem.position, AgendaItem.id)
    )
    position = _last_position(session, meeting_id)
    added: list[AgendaItem] = []
    for item, title, starts_at, status in session.execute(stmt).all():
        position += 1
        copy = AgendaItem(
            meeting_id=meeting_id,
            person_id=item.person_id,
            title=item.title,
            source_kind=item.source_kind,
            source_id=item.source_id,
            reason=item.reason,
            triage_status=TriageStatus.INCLUDED,
            priority=item.priority,
            minutes_allotted=item.minutes_allotted,
            presenter_staff_id=item.presenter_staff_id,
            position=position,
            deferred_from_item_id=item.id,
            carried_note=_why_carried(item.drop_reason, title, starts_at, status),
        )
        session.add(copy)
        added.append(copy)
    session.flush()
    return added


def _why_carried(note: str, title: str, starts_at, status: str) -> str:
    from coordinator_tui.services.meetings.triage import CANCELLED_NOTE, NOT_REACHED_NOTE

    where = f"{title} ({format_date_short(to_local(starts_at).date())})"
    if note == NOT_REACHED_NOTE:
        text = f"Not reached at {where}"
    elif note == CANCELLED_NOTE or status == MeetingStatus.CANCELLED:
        text = f"{where} was cancelled"
    else:
        text = f"Deferred at the triage for {where}" + (f": {note}" if note else "")
    return text[:300]


def _last_position(session: Session, meeting_id: int) -> int:
    return (
        session.scalar(
            select(AgendaItem.position)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position.desc())
            .limit(1)
        )
        or 0
    )


def _editable(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError(
            "The agenda can be built only before the meeting starts "
            f"(it is {meeting.status.replace('_', ' ')})"
        )


def propose_agenda(
    session: Session, meeting_id: int, *, today: date, fit_to_time: bool = True
) -> ProposalResult:
    """Carry forward what earlier meetings deferred to this one, then add the builder's
    proposals not already there, most at risk first.

    ``fit_to_time``: propose only what fits the minutes still free on the agenda (the
    meeting's length less the items included or proposed; urgent proposals always), and
    count the rest as held back; False proposes everything (``P``). ``today`` is the day
    the agenda is built: a review, referral or action is overdue when its date is
    before it."""
    from coordinator_tui.services.meetings.triage import UNTRIAGED_NOTE

    meeting = load_meeting(session, meeting_id)
    _editable(meeting)
    carried = carry_forward(session, meeting_id)
    window, found = proposals_for(session, meeting, today=today)
    here = {
        (kind, source_id)
        for kind, source_id in session.execute(
            select(AgendaItem.source_kind, AgendaItem.source_id).where(
                AgendaItem.meeting_id == meeting_id
            )
        )
    }
    # One-off sources decided at another meeting (not those nobody triaged there).
    elsewhere = {
        (kind, source_id)
        for kind, source_id in session.execute(
            select(AgendaItem.source_kind, AgendaItem.source_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(
                AgendaItem.meeting_id != meeting_id,
                AgendaItem.source_kind.in_(ONE_OFF_SOURCES),
                Meeting.status != MeetingStatus.CANCELLED,
                AgendaItem.triage_status != TriageStatus.PROPOSED,
                ~(
                    (AgendaItem.triage_status == TriageStatus.DEFERRED)
                    & (AgendaItem.drop_reason == UNTRIAGED_NOTE)
                ),
            )
        )
    }
    planned = int(
        session.scalar(
            select(func.coalesce(func.sum(AgendaItem.minutes_allotted), 0)).where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.triage_status.in_((TriageStatus.INCLUDED, TriageStatus.PROPOSED)),
            )
        )
        or 0
    )
    free = max(meeting.duration_minutes - planned, 0)
    budget = free
    position = _last_position(session, meeting_id)
    added: list[AgendaItem] = []
    skipped = held_back = 0
    for proposal in found:
        key = (proposal.source_kind, proposal.source_id)
        if key in here or key in elsewhere:
            skipped += 1
            continue
        if fit_to_time and proposal.priority != 1:
            if proposal.minutes_allotted > budget:
                held_back += 1
                continue
            budget -= proposal.minutes_allotted
        position += 1
        item = AgendaItem(
            meeting_id=meeting_id,
            person_id=proposal.person_id,
            title=proposal.title[:200],
            source_kind=proposal.source_kind,
            source_id=proposal.source_id,
            reason=proposal.reason[:300],
            priority=proposal.priority,
            minutes_allotted=proposal.minutes_allotted,
            presenter_staff_id=proposal.presenter_staff_id,
            position=position,
        )
        session.add(item)
        added.append(item)
        here.add(key)
    session.flush()
    return ProposalResult(window, added, skipped, held_back, carried, free)


def add_manual_item(
    session: Session,
    meeting_id: int,
    *,
    title: str,
    reason: str,
    person_id: int | None = None,
    priority: int = 3,
    minutes_allotted: int = 5,
    presenter_staff_id: int | None = None,
) -> AgendaItem:
    """An item typed by the coordinator. Before the meeting it is proposed like the rest;
    during the meeting (any other business) it goes straight onto the agenda."""
    meeting = load_meeting(session, meeting_id)
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.IN_PROGRESS):
        raise MeetingError("This meeting is over: add the item to the next one")
    title, reason = title.strip(), reason.strip()
    if not title:
        raise MeetingError("Give the item a title")
    if not reason:
        raise MeetingError("Say why it is on the agenda")
    if priority not in (1, 2, 3):
        raise MeetingError("Priority is 1 (urgent), 2 (high) or 3 (routine)")
    if not 1 <= minutes_allotted <= 240:
        raise MeetingError("Allot between 1 and 240 minutes")
    if person_id is not None and session.get(Person, person_id) is None:
        raise MeetingError("Unknown person")
    position = _last_position(session, meeting_id)
    in_progress = meeting.status == MeetingStatus.IN_PROGRESS
    item = AgendaItem(
        meeting_id=meeting_id,
        person_id=person_id,
        title=title[:200],
        source_kind="manual",
        reason=reason[:300],
        priority=priority,
        minutes_allotted=minutes_allotted,
        presenter_staff_id=presenter_staff_id,
        position=position + 1,
        triage_status=TriageStatus.INCLUDED if in_progress else TriageStatus.PROPOSED,
    )
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class AgendaRow:
    """One agenda item as the triage and minuting screens list it."""

    id: int
    version: int
    position: int
    person_id: int | None
    title: str
    source_kind: str
    reason: str
    triage_status: str
    drop_reason: str
    priority: int
    minutes_allotted: int
    presenter: str
    deferred_from_item_id: int | None
    discussed: bool
    carried_note: str = ""  # why it is back, when carried forward from an earlier meeting

    @property
    def carried(self) -> bool:
        return bool(self.carried_note)

    @property
    def source_label(self) -> str:
        return SOURCE_LABEL.get(self.source_kind, self.source_kind.replace("_", " "))


def agenda_rows(
    session: Session, meeting_id: int, *, statuses: tuple[str, ...] | None = None
) -> list[AgendaRow]:
    """The meeting's items in position order (all triage states unless narrowed)."""
    stmt = (
        select(
            AgendaItem.id,
            AgendaItem.version,
            AgendaItem.position,
            AgendaItem.person_id,
            AgendaItem.title,
            AgendaItem.source_kind,
            AgendaItem.reason,
            AgendaItem.triage_status,
            AgendaItem.drop_reason,
            AgendaItem.priority,
            AgendaItem.minutes_allotted,
            Staff.name,
            AgendaItem.deferred_from_item_id,
            AgendaItem.discussed,
            AgendaItem.carried_note,
        )
        .outerjoin(Staff, Staff.id == AgendaItem.presenter_staff_id)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    if statuses is not None:
        stmt = stmt.where(AgendaItem.triage_status.in_(statuses))
    return [
        AgendaRow(*row[:11], row[11] or "", row[12], bool(row[13]), row[14] or "")
        for row in session.execute(stmt).all()
    ]


def item_history(session: Session, item_id: int) -> list[AgendaRow]:
    """The earlier items this one was deferred from, newest first (its history)."""
    history: list[AgendaRow] = []
    item = session.get(AgendaItem, item_id)
    seen = set()
    while item is not None and item.deferred_from_item_id and item.id not in seen:
        seen.add(item.id)
        item = session.get(AgendaItem, item.deferred_from_item_id)
        if item is None:
            break
        history += [r for r in agenda_rows(session, item.meeting_id) if r.id == item.id]
    return history
