"""Pre-meeting triage: include, defer or drop each proposal; priority, time and presenter.

Each item is included (priority 1 urgent, 2 high, 3 routine; minutes allotted; who
presents it), deferred to the next meeting (the agenda builder carries it forward with
its history) or dropped (a reason is required). Everything stays editable until the
meeting starts, and then nothing does.

The agenda orders by priority, then by the kind of reason (:data:`REASON_ORDER`: an
escalation before a conference before a referral...), then by the reason's text, then by
when the item was added; :func:`totals` gives the time planned against the meeting's
length, which the triage screen always shows.

A deferred item comes back on the next meeting of its run as *carried forward*
(``agenda.carry_forward``), with its priority and the note of why. Reopening, including
or dropping an item already carried forward takes it back off that next meeting (while
the next meeting has not started), so it is never on two agendas. The bulk forms
(:func:`defer_many`, :func:`drop_many`) act on many items in one unit of work: all or
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Staff,
    TriageStatus,
)
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.meetings import MeetingConflictError, MeetingError
from coordinator_tui.services.meetings.agenda import AgendaRow, agenda_rows

PRIORITY_LABEL = {1: "urgent", 2: "high", 3: "routine"}
REASON_ORDER = (
    "escalation",
    "conference",
    "referral_overdue",
    "concern",
    "register_start",
    "referral_waiting",
    "review_overdue",
    "register_end",
    "action",
    "manual",
)
MAX_MINUTES = 240
# The notes minuting writes on items it defers (services/meetings/minuting.py): an item
# nobody triaged before the meeting is proposed afresh next time if still relevant; an
# item included but not reached is carried forward.
UNTRIAGED_NOTE = "not triaged before the meeting"
NOT_REACHED_NOTE = "not reached at the meeting"
CANCELLED_NOTE = "the meeting was cancelled"


def _reason_rank(source_kind: str) -> int:
    return REASON_ORDER.index(source_kind) if source_kind in REASON_ORDER else len(REASON_ORDER)


def sort_key(row: AgendaRow) -> tuple:
    """Priority, then kind of reason, then reason text, then id (stable for equal rows)."""
    return (row.priority, _reason_rank(row.source_kind), row.reason.lower(), row.id)


def _load(session: Session, item_id: int, expected_version: int | None) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise MeetingError("That agenda item no longer exists")
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("Triage is closed: the meeting has started")
    check_version(
        session,
        item,
        "agenda_item",
        expected_version,
        missing=MeetingError,
        conflict=MeetingConflictError,
    )
    return item


def _take_back(session: Session, item: AgendaItem) -> None:
    """An item deferred here and already carried forward to the next meeting is being
    decided here after all: take the carried copy off the next meeting (refused once
    that meeting has started, when the copy belongs to its record)."""
    for copy in session.scalars(
        select(AgendaItem).where(AgendaItem.deferred_from_item_id == item.id)
    ):
        later = session.get(Meeting, copy.meeting_id)
        if later is not None and later.status != MeetingStatus.PLANNED:
            raise MeetingError(
                f"Already carried forward to {later.title}, which has started: decide it there"
            )
        _take_back(session, copy)
        session.delete(copy)
    session.flush()


def _check(priority: int | None, minutes: int | None) -> None:
    if priority is not None and priority not in PRIORITY_LABEL:
        raise MeetingError("Priority is 1 (urgent), 2 (high) or 3 (routine)")
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise MeetingError(f"Allot between 1 and {MAX_MINUTES} minutes")


def _presenter(session: Session, staff_id: int | None) -> None:
    if staff_id is not None and session.get(Staff, staff_id) is None:
        raise MeetingError("Unknown presenter")


def include(
    session: Session,
    item_id: int,
    expected_version: int | None = None,
    *,
    priority: int | None = None,
    minutes: int | None = None,
    presenter_staff_id: int | None = None,
) -> AgendaItem:
    """Put the item on the agenda (with any of priority, minutes, presenter)."""
    _check(priority, minutes)
    _presenter(session, presenter_staff_id)
    item = _load(session, item_id, expected_version)
    if item.triage_status == TriageStatus.DEFERRED:
        _take_back(session, item)
    item.triage_status = TriageStatus.INCLUDED
    item.drop_reason = ""
    if priority is not None:
        item.priority = priority
    if minutes is not None:
        item.minutes_allotted = minutes
    if presenter_staff_id is not None:
        item.presenter_staff_id = presenter_staff_id
    session.flush()
    return item


def defer(
    session: Session, item_id: int, expected_version: int | None = None, *, note: str = ""
) -> AgendaItem:
    """Defer to the next meeting: the builder proposes it there with its history."""
    item = _load(session, item_id, expected_version)
    item.triage_status = TriageStatus.DEFERRED
    item.drop_reason = note.strip()[:300]
    session.flush()
    return item


def drop(
    session: Session, item_id: int, expected_version: int | None = None, *, reason: str
) -> AgendaItem:
    """Take the item off (a reason is required, e.g. "covered by item 3")."""
    reason = reason.strip()
    if not reason:
        raise MeetingError("Say why the item is dropped")
    item = _load(session, item_id, expected_version)
    if item.triage_status == TriageStatus.DEFERRED:
        _take_back(session, item)
    item.triage_status = TriageStatus.DROPPED
    item.drop_reason = reason[:300]
    session.flush()
    return item


def defer_many(
    session: Session, items: list[tuple[int, int | None]], *, note: str = ""
) -> list[AgendaItem]:
    """Defer every (item id, version seen) in one go: all are deferred, or none (one
    changed by someone else refuses the lot, saying which)."""
    if not items:
        raise MeetingError("No items to defer")
    return [defer(session, item_id, version, note=note) for item_id, version in items]


def drop_many(
    session: Session, items: list[tuple[int, int | None]], *, reason: str
) -> list[AgendaItem]:
    """Drop every (item id, version seen) with one reason, all or none."""
    if not items:
        raise MeetingError("No items to drop")
    if not reason.strip():
        raise MeetingError("Say why the items are dropped")
    return [drop(session, item_id, version, reason=reason) for item_id, version in items]


def reopen(session: Session, item_id: int, expected_version: int | None = None) -> AgendaItem:
    """Back to proposed (undo an include, defer or drop)."""
    item = _load(session, item_id, expected_version)
    if item.triage_status == TriageStatus.DEFERRED:
        _take_back(session, item)
    item.triage_status = TriageStatus.PROPOSED
    item.drop_reason = ""
    session.flush()
    return item


def update_item(
    session: Session,
    item_id: int,
    expected_version: int | None = None,
    *,
    priority: int | None = None,
    minutes: int | None = None,
    presenter_staff_id: int | None = None,
    clear_presenter: bool = False,
) -> AgendaItem:
    """Change priority, minutes or presenter without changing the triage decision."""
    _check(priority, minutes)
    _presenter(session, presenter_staff_id)
    item = _load(session, item_id, expected_version)
    if priority is not None:
        item.priority = priority
    if minutes is not None:
        item.minutes_allotted = minutes
    if clear_presenter:
        item.presenter_staff_id = None
    elif presenter_staff_id is not None:
        item.presenter_staff_id = presenter_staff_id
    session.flush()
    return item


def ordered_agenda(session: Session, meeting_id: int) -> list[AgendaRow]:
    """The included items in agenda order (see the module docstring)."""
    rows = agenda_rows(session, meeting_id, statuses=(TriageStatus.INCLUDED,))
    return sorted(rows, key=sort_key)


def renumber(session: Session, meeting_id: int) -> list[AgendaRow]:
    """Write the agenda order into ``position`` (1, 2, 3... then the rest after them), so
    item numbers in the invitation, the minutes and the screen all agree."""
    ordered = ordered_agenda(session, meeting_id)
    included = {row.id for row in ordered}
    rest = [row for row in agenda_rows(session, meeting_id) if row.id not in included]
    items = {
        item.id: item
        for item in session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
    }
    for number, row in enumerate([*ordered, *rest], start=1):
        item = items[row.id]
        if item.position != number:
            item.position = number
    session.flush()
    return ordered_agenda(session, meeting_id)


@dataclass(frozen=True)
class TriageTotals:
    """Counts per triage state, planned minutes against the meeting's length."""

    proposed: int
    included: int
    deferred: int
    dropped: int
    by_priority: dict[int, int]
    minutes_planned: int
    meeting_minutes: int
    carried: int = 0  # of the included, carried forward from an earlier meeting

    @property
    def minutes_free(self) -> int:
        """Minutes of the meeting not yet planned (0 when full or over)."""
        return max(self.meeting_minutes - self.minutes_planned, 0)

    @property
    def minutes_over(self) -> int:
        """How far the plan runs past the meeting's end (0 when it fits)."""
        return max(self.minutes_planned - self.meeting_minutes, 0)

    @property
    def fits(self) -> bool:
        return self.minutes_planned <= self.meeting_minutes

    def describe(self) -> str:
        """ "35 of 60 min planned" / "75 of 60 min planned: 15 over"."""
        text = f"{self.minutes_planned} of {self.meeting_minutes} min planned"
        return text if self.fits else f"{text}: {self.minutes_over} over"


def planned_minutes(session: Session, meeting_ids: list[int]) -> dict[int, int]:
    """Minutes of included items per meeting, for many meetings in ONE query (the
    meetings list shows it for every upcoming meeting: a query each was an N+1, 30 round
    trips on a shared PostgreSQL server; issue 23 §5). A meeting with none is 0."""
    planned = dict.fromkeys(meeting_ids, 0)
    if not meeting_ids:
        return planned
    for meeting_id, minutes in session.execute(
        select(AgendaItem.meeting_id, func.coalesce(func.sum(AgendaItem.minutes_allotted), 0))
        .where(
            AgendaItem.meeting_id.in_(meeting_ids),
            AgendaItem.triage_status == TriageStatus.INCLUDED,
        )
        .group_by(AgendaItem.meeting_id)
    ):
        planned[meeting_id] = int(minutes)
    return planned


def totals(session: Session, meeting_id: int) -> TriageTotals:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError("That meeting no longer exists")
    counts = dict.fromkeys(TriageStatus, 0)
    by_priority = {1: 0, 2: 0, 3: 0}
    planned = carried = 0
    for status, priority, minutes, note in session.execute(
        select(
            AgendaItem.triage_status,
            AgendaItem.priority,
            AgendaItem.minutes_allotted,
            AgendaItem.carried_note,
        ).where(AgendaItem.meeting_id == meeting_id)
    ):
        counts[TriageStatus(status)] += 1
        if status == TriageStatus.INCLUDED:
            by_priority[priority] = by_priority.get(priority, 0) + 1
            planned += minutes
            carried += bool(note)
    return TriageTotals(
        counts[TriageStatus.PROPOSED],
        counts[TriageStatus.INCLUDED],
        counts[TriageStatus.DEFERRED],
        counts[TriageStatus.DROPPED],
        by_priority,
        planned,
        meeting.duration_minutes,
        carried,
    )
