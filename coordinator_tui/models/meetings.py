"""Safeguarding meetings: series, meetings, attendees, agenda items, minutes, actions."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlmodel import Field, Index

from coordinator_tui.models.base import Editable


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class TriageStatus(StrEnum):
    PROPOSED = "proposed"
    INCLUDED = "included"
    DEFERRED = "deferred"
    DROPPED = "dropped"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class MeetingSeries(Editable, table=True):
    """A recurring meeting, e.g. first Tuesday of each month at 12:30 for 60 minutes.

    ``rrule`` holds an RFC 5545 RRULE string read with python-dateutil.
    """

    __tablename__ = "meeting_series"

    name: str = Field(max_length=120)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    rrule: str = Field(default="", max_length=200)
    start_time: time = Field(default=time(12, 30))
    duration_minutes: int = Field(default=60)
    location: str = Field(default="", max_length=200)
    organiser_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    active: bool = Field(default=True)


class Meeting(Editable, table=True):
    """One meeting, from a series or one-off."""

    series_id: int | None = Field(default=None, foreign_key="meeting_series.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    title: str = Field(max_length=160)
    starts_at: datetime = Field(index=True)
    duration_minutes: int = Field(default=60)
    location: str = Field(default="", max_length=200)
    status: str = Field(default=MeetingStatus.PLANNED, max_length=20, index=True)
    started_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)


class MeetingAttendee(Editable, table=True):
    """A person invited to a meeting and whether they came."""

    __tablename__ = "meeting_attendee"

    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    attendance: str = Field(default="invited", max_length=20)  # invited|present|apologies|absent


class AgendaItem(Editable, table=True):
    """An item proposed for, triaged into, and discussed at a meeting."""

    __tablename__ = "agenda_item"
    __table_args__ = (Index("ix_agenda_item_meeting_order", "meeting_id", "priority", "position"),)

    meeting_id: int = Field(foreign_key="meeting.id")
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    title: str = Field(max_length=200)
    source_kind: str = Field(default="manual", max_length=30)
    source_id: int | None = Field(default=None)
    reason: str = Field(default="", max_length=300)
    triage_status: str = Field(default=TriageStatus.PROPOSED, max_length=20, index=True)
    drop_reason: str = Field(default="", max_length=300)
    priority: int = Field(default=3)  # 1 urgent, 2 high, 3 routine
    minutes_allotted: int = Field(default=5)
    presenter_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    position: int = Field(default=0)
    deferred_from_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    discussed: bool = Field(default=False)
    # Why the item is on this meeting again, when it was carried forward from an earlier
    # one (deferred at triage, or included but not reached): "" for a new proposal.
    carried_note: str = Field(default="", max_length=300)


class MinuteNote(Editable, table=True):
    """The notes typed for one agenda item (one row per item, saved as you type)."""

    __tablename__ = "minute_note"

    agenda_item_id: int = Field(foreign_key="agenda_item.id", unique=True, index=True)
    text: str = Field(default="")
    saved_at: datetime | None = Field(default=None)


class Decision(Editable, table=True):
    """A decision recorded against an agenda item."""

    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    text: str


class Action(Editable, table=True):
    """An action from a meeting (or from a referral outcome), chased until done."""

    __table_args__ = (Index("ix_action_status_due", "status", "due_date"),)

    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    owner_staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    owner_label: str = Field(default="", max_length=60)
    description: str
    due_date: date | None = Field(default=None)
    status: str = Field(default=ActionStatus.OPEN, max_length=20)
    completed_at: datetime | None = Field(default=None)
    outcome: str = Field(default="", max_length=500)
    last_chased_at: datetime | None = Field(default=None)


class ActionChase(Editable, table=True):
    """A chase of an action's owner."""

    __tablename__ = "action_chase"

    action_id: int = Field(foreign_key="action.id", index=True)
    chased_at: datetime
    by: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=500)
