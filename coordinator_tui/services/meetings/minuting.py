"""Live minuting: start the meeting, notes per item, decisions, one-line actions, finish.

Notes are one row per agenda item, upserted cheaply (nothing is written when the text
has not changed), so the screen can save on every item change and every few seconds
while typing, each time in its own short ``session_scope`` so that the save is committed;
a meeting reopened after a crash then shows the last save.

An action is typed in one line, ``HV +2w chase school nurse re attendance``: the owner
(read by ``services/owners.py``, as everywhere: a name, initials, or a role from
``data/owner_roles.json`` such as PM, DSL, IDVA, HV, SW, GP), an optional due date in
the shorthand of ``services/dates.py`` (``+2w``, ``fri``, ``3/12``, ``3 Dec``), then the
text. :func:`parse_action_line` turns it into an :class:`ActionPreview` to show before
saving; it never raises, whatever is typed.

Two people may minute the same item (two windows, or a PCN sharing one database): each
save carries the text its editor started from, and text added by both is merged, while
anything else is refused with both versions for the coordinator to choose from
(``services/text_merge.py``); :func:`other_minute_takers` says who else is minuting.

A meeting starts on its day: started on another day it moves to today (the screen asks
first), and more than a day before its date it cannot start, so nothing discussed is
dated in the future in anyone's chronology.

Finishing the meeting marks each included item that has notes, a decision or an action
as discussed (the person's chronology shows the discussion and its actions from then
on, assembled on read by ``services/chronology.py``) and writes each decision into the
person's chronology as an entry pointing back at the decision. Included items with
nothing recorded were not reached: they are deferred to the next meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coordinator_tui import audit
from coordinator_tui.clock import UK, to_local
from coordinator_tui.formatting import person_label, uk_date
from coordinator_tui.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AuditEvent,
    ChronologyEntry,
    Decision,
    EntryStatus,
    Meeting,
    MeetingStatus,
    MinuteNote,
    Person,
    Referral,
    RegisterCategory,
    RegisterEntry,
    Staff,
    TriageStatus,
    utcnow,
)
from coordinator_tui.services.dates import DateParseError, format_date, parse_date
from coordinator_tui.services.meetings import MeetingConflictError, MeetingError
from coordinator_tui.services.meetings.series import load_meeting
from coordinator_tui.services.meetings.triage import renumber
from coordinator_tui.services.owners import (  # one owner parser for every screen
    OwnerDirectory,
    match_owner_words,
    owner_directory,
)
from coordinator_tui.services.text_merge import (
    TextConflict,
    TextConflictError,
    last_change,
    reconcile,
)

ACTION_HINT = "owner, due date, text: e.g. HV +2w chase school nurse re attendance"
MAX_DESCRIPTION = 1000


# -- starting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartPlan:
    """What starting a meeting today does to its date (see :func:`plan_start`)."""

    meeting_day: date
    today: date

    @property
    def moves(self) -> bool:
        """Started on another day than its date: the meeting moves to today."""
        return self.meeting_day != self.today

    def describe(self) -> str:
        """One line for the confirmation ("" when the meeting is today)."""
        if not self.moves:
            return ""
        return (
            f"This meeting is dated {format_date(self.meeting_day)}: starting it now moves "
            f"it to today, {format_date(self.today)} (same time)."
        )


def plan_start(session: Session, meeting_id: int, *, today: date) -> StartPlan:
    """Whether the meeting can start today, and whether its date moves to today.

    Refused (:class:`MeetingError`) more than a day before its date: minutes, decisions
    and actions would be written into people's chronologies dated in the future. From the
    day before, or any day after, it can start once the coordinator agrees to move it to
    today (a meeting brought forward a day, or held late)."""
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError(f"This meeting is {meeting.status.replace('_', ' ')}")
    day = to_local(meeting.starts_at).date()
    if (day - today).days > 1:
        raise MeetingError(
            f"This meeting is on {format_date(day)}: it cannot start more than a day "
            "before its date (move the meeting first)"
        )
    return StartPlan(day, today)


def _on_day(moment: datetime, day: date) -> datetime:
    """``moment``'s UK wall-clock time on ``day``, in UTC."""
    local = to_local(moment)
    return datetime.combine(day, local.time(), tzinfo=UK).astimezone(UTC)


def start_meeting(
    session: Session,
    meeting_id: int,
    *,
    today: date | None = None,
    move_to_today: bool = False,
    now: datetime | None = None,
) -> Meeting:
    """Open the meeting for minuting: triage closes, the agenda is numbered, and any
    proposal nobody triaged is deferred to the next meeting rather than lost.

    ``today`` (the coordinator's) applies :func:`plan_start`: a meeting dated another day
    starts only with ``move_to_today`` (the coordinator confirmed), and then moves to
    today. Without ``today`` (scripts and tests replaying past meetings) the date is not
    checked."""
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError(f"This meeting is {meeting.status.replace('_', ' ')}")
    if today is not None:
        plan = plan_start(session, meeting_id, today=today)
        if plan.moves:
            if not move_to_today:
                raise MeetingError(plan.describe() + " Confirm to start it.")
            meeting.starts_at = _on_day(meeting.starts_at, today)
    for item in session.scalars(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id,
            AgendaItem.triage_status == TriageStatus.PROPOSED,
        )
    ):
        item.triage_status = TriageStatus.DEFERRED
        item.drop_reason = "not triaged before the meeting"
    renumber(session, meeting_id)
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.started_at = now or utcnow()
    session.flush()
    return meeting


def _item_in_progress(session: Session, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise MeetingError("That agenda item no longer exists")
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.IN_PROGRESS:
        raise MeetingError("Start the meeting before minuting it")
    return item


# -- notes and decisions --------------------------------------------------------------------


NOTES = "the notes of this item"


def save_notes(
    session: Session,
    item_id: int,
    text: str,
    *,
    base: str | None = None,
    now: datetime | None = None,
) -> MinuteNote:
    """Save the item's notes; unchanged text writes nothing (safe to call every second).

    ``base`` is the text the editor started from (the notes it last read or saved). If
    someone else saved the notes meanwhile, what both added to the end is merged (the
    note returned holds the merged text, for the editor to show), and anything else
    raises :class:`TextConflictError` with both versions, writing nothing: notes are
    never overwritten unseen. A save racing another to the same row is refused by the
    version check (``ConflictError`` from the unit of work) and can simply be tried again.
    ``base=None`` (scripts, tests) writes ``text`` as it is."""
    note = session.scalar(select(MinuteNote).where(MinuteNote.agenda_item_id == item_id))
    stored = note.text if note is not None else ""
    if base is not None and stored != base:
        merged = reconcile(base, text, stored)
        if merged is None:
            by, at = last_change(session, "minute_note", note.id if note else None)
            raise TextConflictError(TextConflict(NOTES, base, text, stored, by, at))
        text = merged
    if note is not None and note.text == text:
        return note
    _item_in_progress(session, item_id)
    if note is None:
        note = MinuteNote(agenda_item_id=item_id, text=text)
        session.add(note)
    note.text = text
    note.saved_at = now or utcnow()
    try:
        session.flush()
    except IntegrityError as exc:  # another window created this item's notes just now
        raise MeetingConflictError(
            "Someone else started these notes at the same moment: nothing was "
            "overwritten; saving again"
        ) from exc
    return note


def other_minute_takers(
    session: Session,
    meeting_id: int,
    *,
    me: str,
    now: datetime | None = None,
    within: timedelta = timedelta(minutes=5),
) -> list[tuple[str, datetime]]:
    """Who else saved notes of this meeting in the last few minutes, latest first, with
    when (from the audit trail: no table of who has a screen open is needed)."""
    since = (now or utcnow()) - within
    notes = (
        select(MinuteNote.id)
        .join(AgendaItem, AgendaItem.id == MinuteNote.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting_id)
    )
    last = func.max(AuditEvent.at)
    rows = session.execute(
        select(AuditEvent.actor, last)
        .where(
            AuditEvent.table_name == "minute_note",
            AuditEvent.row_id.in_(notes),
            AuditEvent.actor != me,
            AuditEvent.at >= since,
        )
        .group_by(AuditEvent.actor)
        .order_by(last.desc())
    ).all()
    return [(actor, at) for actor, at in rows]


def notes_for(session: Session, item_id: int) -> str:
    """The item's notes as last saved ("" if none)."""
    return session.scalar(select(MinuteNote.text).where(MinuteNote.agenda_item_id == item_id)) or ""


def add_decision(session: Session, item_id: int, text: str) -> Decision:
    text = text.strip()
    if not text:
        raise MeetingError("Write the decision")
    _item_in_progress(session, item_id)
    decision = Decision(agenda_item_id=item_id, text=text)
    session.add(decision)
    session.flush()
    return decision


def remove_decision(session: Session, decision_id: int) -> None:
    decision = session.get(Decision, decision_id)
    if decision is None:
        return
    _item_in_progress(session, decision.agenda_item_id)
    session.delete(decision)
    session.flush()


# -- one-line actions -------------------------------------------------------------------


@dataclass(frozen=True)
class ActionPreview:
    """What a typed action line will save, shown before it is saved."""

    line: str
    owner_staff_id: int | None = None
    owner_label: str = ""
    due: date | None = None
    description: str = ""
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """One line for the preview: "Jo Bloggs · due Tue 8 Dec 2026 · chase school nurse"."""
        if self.problems:
            return "; ".join(self.problems)
        due = f"due {format_date(self.due)}" if self.due else "no due date"
        parts = [self.owner_label or "—", due, self.description]
        return " · ".join(parts) + (f"  ({'; '.join(self.warnings)})" if self.warnings else "")


def parse_action_line(line: str, owners: OwnerDirectory, *, today: date) -> ActionPreview:
    """Read ``OWNER [DUE] TEXT``; never raises (anything unreadable is a problem in the
    preview). See the module docstring."""
    words = line.split()
    if not words:
        return ActionPreview(line, problems=(f"Type the action: {ACTION_HINT}",))
    match, used = match_owner_words(words, owners)
    owner, label = match.staff, match.label
    problems = [match.problem] if match.problem else []
    warnings = [match.warning] if match.warning else []
    rest = words[used:]
    due: date | None = None
    for size in (3, 2, 1):
        if len(rest) < size:
            continue
        candidate = " ".join(rest[:size])
        if len(candidate) > 40:
            continue
        try:
            due = parse_date(candidate, today)
        except DateParseError:
            continue
        rest = rest[size:]
        break
    description = " ".join(rest)
    if not description:
        problems.append("Say what the action is after the owner and due date")
    elif len(description) > MAX_DESCRIPTION:
        problems.append(f"Keep the action under {MAX_DESCRIPTION} characters")
    if due is None:
        warnings.append("no due date")
    elif due < today:
        problems.append(f"The due date {format_date(due)} is in the past")
    return ActionPreview(
        line,
        owner.staff_id if owner else None,
        label,
        due,
        description,
        tuple(problems),
        tuple(warnings),
    )


def add_action(
    session: Session,
    item_id: int,
    *,
    description: str,
    owner_staff_id: int | None = None,
    owner_label: str = "",
    due: date | None = None,
    today: date,
) -> Action:
    """An action from an agenda item (the person follows from the item)."""
    description = description.strip()
    if not description:
        raise MeetingError("Say what the action is")
    if owner_staff_id is None and not owner_label.strip():
        raise MeetingError("Say who owns the action")
    if due is not None and due < today:
        raise MeetingError("The action cannot be due in the past")
    item = _item_in_progress(session, item_id)
    if owner_staff_id is not None:
        staff = session.get(Staff, owner_staff_id)
        if staff is None:
            raise MeetingError("Unknown owner")
        owner_label = owner_label.strip() or staff.name
    action = Action(
        meeting_id=item.meeting_id,
        agenda_item_id=item.id,
        person_id=item.person_id,
        owner_staff_id=owner_staff_id,
        owner_label=owner_label.strip()[:60],
        description=description[:MAX_DESCRIPTION],
        due_date=due,
    )
    session.add(action)
    session.flush()
    return action


def save_action(session: Session, item_id: int, preview: ActionPreview, *, today: date) -> Action:
    """Save a previewed action line (refused while the preview shows a problem)."""
    if not preview.ok:
        raise MeetingError("; ".join(preview.problems))
    return add_action(
        session,
        item_id,
        description=preview.description,
        owner_staff_id=preview.owner_staff_id,
        owner_label=preview.owner_label,
        due=preview.due,
        today=today,
    )


def add_action_line(session: Session, item_id: int, line: str, *, today: date) -> Action:
    """Parse and save in one go (the CLI and tests; the screen previews first)."""
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise MeetingError("That agenda item no longer exists")
    preview = parse_action_line(line, owner_directory(session, item.meeting_id), today=today)
    return save_action(session, item_id, preview, today=today)


# -- key facts --------------------------------------------------------------------------


@dataclass(frozen=True)
class LastReferral:
    referral_type: str
    state: str
    drafted_on: date
    chase_by: date | None
    overdue: bool
    outcome_type: str


@dataclass(frozen=True)
class OpenAction:
    id: int
    description: str
    owner: str
    due: date | None
    overdue: bool


@dataclass
class KeyFacts:
    """What sits beside the notes while a person is discussed."""

    person_id: int
    display_name: str
    nhs_number: str
    date_of_birth: date
    registers: list[str] = field(default_factory=list)
    last_referral: LastReferral | None = None
    open_actions: list[OpenAction] = field(default_factory=list)


def key_facts(session: Session, person_id: int, *, today: date) -> KeyFacts:
    """Current registers, the latest referral and its state, the open actions."""
    person = session.get(Person, person_id)
    if person is None:
        raise MeetingError("That person no longer exists")
    facts = KeyFacts(
        person.id,
        person_label(person),
        person.nhs_number,
        person.date_of_birth,
    )
    for name, risk, due in session.execute(
        select(RegisterCategory.name, RegisterEntry.risk_level, RegisterEntry.next_review_due)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.person_id == person_id, RegisterEntry.status == EntryStatus.ACTIVE)
        .order_by(RegisterCategory.sort_order, RegisterCategory.name)
    ):
        review = (
            f", review {'overdue ' if due and due < today else ''}{uk_date(due)}" if due else ""
        )
        facts.registers.append(f"{name} ({risk} risk{review})")
    referral = session.scalar(
        select(Referral)
        .where(Referral.person_id == person_id)
        .order_by(Referral.drafted_at.desc(), Referral.id.desc())
        .limit(1)
    )
    if referral is not None:
        facts.last_referral = LastReferral(
            referral.referral_type,
            referral.state,
            to_local(referral.drafted_at).date(),
            referral.chase_by,
            referral.chase_by is not None
            and referral.chase_by < today
            and referral.state not in ("closed", "withdrawn"),
            referral.outcome_type,
        )
    for action_id, description, label, staff_name, due in session.execute(
        select(Action.id, Action.description, Action.owner_label, Staff.name, Action.due_date)
        .outerjoin(Staff, Staff.id == Action.owner_staff_id)
        .where(Action.person_id == person_id, Action.status == ActionStatus.OPEN)
        .order_by(Action.due_date, Action.id)
    ):
        facts.open_actions.append(
            OpenAction(
                action_id,
                description,
                staff_name or label or "—",
                due,
                due is not None and due < today,
            )
        )
    return facts


# -- the minuting view ------------------------------------------------------------------


@dataclass
class MinutingItem:
    """One agenda item with everything recorded against it so far."""

    id: int
    number: int
    person_id: int | None
    title: str
    reason: str
    priority: int
    minutes_allotted: int
    notes: str
    notes_saved_at: datetime | None
    decisions: list[tuple[int, str]]
    actions: list[Action]
    discussed: bool


def minuting_items(session: Session, meeting_id: int) -> list[MinutingItem]:
    """The included items in agenda order, with notes, decisions and actions."""
    items = list(
        session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.triage_status == TriageStatus.INCLUDED,
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    ids = [item.id for item in items]
    notes = {
        item_id: (text, saved)
        for item_id, text, saved in session.execute(
            select(MinuteNote.agenda_item_id, MinuteNote.text, MinuteNote.saved_at).where(
                MinuteNote.agenda_item_id.in_(ids)
            )
        )
    }
    decisions: dict[int, list[tuple[int, str]]] = {}
    for decision_id, item_id, text in session.execute(
        select(Decision.id, Decision.agenda_item_id, Decision.text)
        .where(Decision.agenda_item_id.in_(ids))
        .order_by(Decision.id)
    ):
        decisions.setdefault(item_id, []).append((decision_id, text))
    actions: dict[int, list[Action]] = {}
    for action in session.scalars(
        select(Action).where(Action.agenda_item_id.in_(ids)).order_by(Action.id)
    ):
        actions.setdefault(action.agenda_item_id, []).append(action)
    audit.record_read(session, "meeting", meeting_id)  # the meeting's record, opened
    return [
        MinutingItem(
            item.id,
            number,
            item.person_id,
            item.title,
            item.reason,
            item.priority,
            item.minutes_allotted,
            notes.get(item.id, ("", None))[0],
            notes.get(item.id, ("", None))[1],
            decisions.get(item.id, []),
            actions.get(item.id, []),
            item.discussed,
        )
        for number, item in enumerate(items, start=1)
    ]


# -- finishing --------------------------------------------------------------------------


@dataclass(frozen=True)
class FinishSummary:
    discussed: int
    not_reached: int
    actions: int
    decisions_in_chronology: int
    people: int
    moved_to: date | None = None
    """The day the meeting was moved to (it was still dated in the future), if it was."""


def finish_meeting(
    session: Session, meeting_id: int, *, today: date | None = None, now: datetime | None = None
) -> FinishSummary:
    """Close the meeting and write what was discussed into each person's chronology.

    With ``today`` (the coordinator's), a meeting still dated in the future (started
    before this version checked the date) is moved to today first: what is written into
    chronologies is dated the day the discussion happened, never a day to come."""
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.IN_PROGRESS:
        raise MeetingError("Only a meeting in progress can be finished")
    now = now or utcnow()
    moved_to = None
    if today is not None and to_local(meeting.starts_at).date() > today:
        meeting.starts_at = _on_day(meeting.starts_at, today)
        moved_to = today
    day = to_local(meeting.starts_at).date()
    items = list(
        session.scalars(
            select(AgendaItem).where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.triage_status == TriageStatus.INCLUDED,
            )
        )
    )
    ids = [item.id for item in items]
    with_notes = set(
        session.scalars(
            select(MinuteNote.agenda_item_id).where(
                MinuteNote.agenda_item_id.in_(ids), func.trim(MinuteNote.text) != ""
            )
        )
    )
    decisions: dict[int, list[Decision]] = {}
    for decision in session.scalars(
        select(Decision).where(Decision.agenda_item_id.in_(ids)).order_by(Decision.id)
    ):
        decisions.setdefault(decision.agenda_item_id, []).append(decision)
    with_actions = set(
        session.scalars(select(Action.agenda_item_id).where(Action.agenda_item_id.in_(ids)))
    )
    from coordinator_tui.services.meetings.confidential import for_internal

    written = set(
        session.scalars(
            select(ChronologyEntry.source_id).where(ChronologyEntry.source_table == "decision")
        )
    )
    discussed = not_reached = entries = 0
    people: set[int] = set()
    for item in items:
        if item.id in with_notes or item.id in decisions or item.id in with_actions:
            item.discussed = True
            discussed += 1
            if item.person_id is None:
                continue
            people.add(item.person_id)
            for decision in decisions.get(item.id, []):
                if decision.id in written:
                    continue
                session.add(
                    ChronologyEntry(
                        person_id=item.person_id,
                        occurred_on=day,
                        source="Meetings",
                        kind="meeting",
                        # A confidentiality flag written out, as in the INTERNAL minutes
                        text=f"Decision at {meeting.title}: {for_internal(decision.text)}",
                        source_table="decision",
                        source_id=decision.id,
                        created_by=str(session.info.get("actor") or ""),
                    )
                )
                entries += 1
        else:
            item.triage_status = TriageStatus.DEFERRED
            item.drop_reason = "not reached at the meeting"
            not_reached += 1
    actions = int(
        session.scalar(select(func.count(Action.id)).where(Action.meeting_id == meeting_id)) or 0
    )
    meeting.status = MeetingStatus.FINISHED
    meeting.finished_at = now if now.tzinfo else now.replace(tzinfo=UTC)
    session.flush()
    return FinishSummary(discussed, not_reached, actions, entries, len(people), moved_to)
