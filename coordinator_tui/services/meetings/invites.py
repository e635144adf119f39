"""Invitations: an iCalendar file per meeting and a plain-text e-mail body.

An invitation leaves the practice, so it carries no patient identifiers (DESIGN.md
section 5): the agenda appears only as counts and item numbers, with each item's
priority, time and presenter. The title and location are typed by staff; as a last
guard, any name, NHS number or date of birth of a person on the agenda found in them is
blanked out before anything is written.

The calendar event has a stable UID per meeting (so a re-sent invitation updates the
event in the recipient's calendar rather than adding a second one) and a SEQUENCE that
follows the meeting's version.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Person,
    Staff,
    TriageStatus,
    utcnow,
)
from coordinator_tui.services.clock import to_local
from coordinator_tui.services.dates import MONTH_NAMES, format_date
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings.series import (
    AttendeeRow,
    attendees,
    load_meeting,
    same_scope,
)
from coordinator_tui.services.meetings.triage import PRIORITY_LABEL, ordered_agenda

PRODID = "-//Coordinator TUI//Safeguarding meetings//EN"
UID_DOMAIN = "coordinator-tui.invalid"
REDACTED = "[removed]"
PARTSTAT = {"present": "ACCEPTED", "apologies": "DECLINED", "absent": "DECLINED"}


@dataclass(frozen=True)
class InviteItem:
    number: int
    priority: int
    minutes: int
    presenter: str


@dataclass(frozen=True)
class InviteSummary:
    """Everything an invitation may say about the agenda: numbers, never people."""

    items: list[InviteItem]
    awaiting_triage: int
    minutes_planned: int
    open_actions: int
    overdue_actions: int

    def counts_text(self) -> str:
        by = {p: sum(1 for i in self.items if i.priority == p) for p in PRIORITY_LABEL}
        parts = [f"{n} {PRIORITY_LABEL[p]}" for p, n in by.items() if n]
        noun = "item" if len(self.items) == 1 else "items"
        text = f"{len(self.items)} {noun}"
        return f"{text} ({', '.join(parts)})" if parts else text


def identifiers_on_agenda(session: Session, meeting_id: int) -> list[str]:
    """Every name, NHS number and date of birth (as commonly written) of a person on
    this meeting's agenda: what must never leave in an invitation."""
    rows = session.execute(
        select(
            Person.given_name, Person.family_name, Person.nhs_number, Person.date_of_birth
        ).where(
            Person.id.in_(
                select(AgendaItem.person_id).where(
                    AgendaItem.meeting_id == meeting_id, AgendaItem.person_id.is_not(None)
                )
            )
        )
    ).all()
    return person_identifiers(rows)


def person_identifiers(rows) -> list[str]:
    """Identifiers of the people in ``rows`` of (given, family, nhs_number, dob)."""
    found: list[str] = []
    for given, family, nhs, dob in rows:
        found += [
            f"{given} {family}",
            f"{family}, {given}",
            f"{family.upper()}, {given}",
            f"{family} {given}",
            nhs,
            f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
            f"{dob:%d/%m/%Y}",
            dob.isoformat(),
            f"{dob.day} {MONTH_NAMES[dob.month - 1]} {dob.year}",
            f"{dob.day} {MONTH_NAMES[dob.month - 1][:3]} {dob.year}",
        ]
    return [text for text in found if text.strip()]


def redact(text: str, identifiers: list[str]) -> str:
    """``text`` with every identifier (case-insensitive) replaced by ``[removed]``."""
    for identifier in sorted(set(identifiers), key=len, reverse=True):
        text = re.sub(re.escape(identifier), REDACTED, text, flags=re.IGNORECASE)
    return text


def invite_summary(session: Session, meeting_id: int) -> InviteSummary:
    meeting = load_meeting(session, meeting_id)
    rows = ordered_agenda(session, meeting_id)
    items = [
        InviteItem(number, row.priority, row.minutes_allotted, row.presenter)
        for number, row in enumerate(rows, start=1)
    ]
    awaiting = int(
        session.scalar(
            select(func.count(AgendaItem.id)).where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.triage_status == TriageStatus.PROPOSED,
            )
        )
        or 0
    )
    scope = select(Meeting.id).where(same_scope(meeting))
    day = to_local(meeting.starts_at).date()
    open_actions = select(func.count(Action.id)).where(
        Action.status == ActionStatus.OPEN, Action.meeting_id.in_(scope)
    )
    return InviteSummary(
        items,
        awaiting,
        sum(item.minutes for item in items),
        int(session.scalar(open_actions) or 0),
        int(session.scalar(open_actions.where(Action.due_date < day)) or 0),
    )


def _organiser(session: Session, meeting: Meeting, people: list[AttendeeRow]) -> Staff | None:
    if meeting.series_id is not None:
        series = session.get(MeetingSeries, meeting.series_id)
        if series is not None and series.organiser_staff_id is not None:
            staff = session.get(Staff, series.organiser_staff_id)
            if staff is not None:
                return staff
    for person in people:
        if "coordinator" in person.role.lower() or "lead" in person.role.lower():
            return session.get(Staff, person.staff_id)
    return None


def email_subject(session: Session, meeting_id: int) -> str:
    meeting = load_meeting(session, meeting_id)
    start = to_local(meeting.starts_at)
    title = redact(meeting.title, identifiers_on_agenda(session, meeting_id))
    prefix = "Cancelled: " if meeting.status == MeetingStatus.CANCELLED else ""
    return f"{prefix}{title}: {format_date(start.date())} {start:%H:%M}"


def email_body(session: Session, meeting_id: int) -> str:
    """The plain-text invitation: when, where, who, and the agenda as numbers only."""
    meeting = load_meeting(session, meeting_id)
    hidden = identifiers_on_agenda(session, meeting_id)
    start = to_local(meeting.starts_at)
    end = start + timedelta(minutes=meeting.duration_minutes)
    people = attendees(session, meeting_id)
    organiser = _organiser(session, meeting, people)
    summary = invite_summary(session, meeting_id)
    lines = [
        redact(meeting.title, hidden),
        "",
        f"When:  {format_date(start.date())}, {start:%H:%M} to {end:%H:%M}",
        f"Where: {redact(meeting.location, hidden) or 'to be confirmed'}",
    ]
    if meeting.status == MeetingStatus.CANCELLED:
        lines += ["", "This meeting has been cancelled."]
    lines += ["", "Invited:"]
    lines += [f"  {person.label}" for person in people] or ["  (nobody yet)"]
    lines += [
        "",
        f"Agenda: {summary.counts_text()}, {summary.minutes_planned} of "
        f"{meeting.duration_minutes} minutes planned.",
    ]
    for item in summary.items:
        presenter = f"  presented by {item.presenter}" if item.presenter else ""
        lines.append(
            f"  Item {item.number:>2}  {PRIORITY_LABEL[item.priority]:<8}"
            f"{item.minutes:>3} min{presenter}"
        )
    if summary.awaiting_triage:
        lines.append(f"  {summary.awaiting_triage} further proposals are still being triaged.")
    if summary.open_actions:
        lines.append(
            f"Open actions from earlier meetings: {summary.open_actions} "
            f"({summary.overdue_actions} overdue). Please bring updates on yours."
        )
    lines += [
        "",
        "The people to be discussed are identified only in the meeting, not in this invitation.",
    ]
    if organiser is not None:
        contact = f"{organiser.name}" + (f" <{organiser.email}>" if organiser.email else "")
        lines.append(f"Apologies and updates to {contact}.")
    return "\n".join(lines) + "\n"


def meeting_uid(meeting: Meeting) -> str:
    """Stable per meeting: the same UID every time the invitation is exported."""
    created = meeting.created_at or datetime(2000, 1, 1, tzinfo=UTC)
    return f"meeting-{meeting.id}-{created:%Y%m%d%H%M%S}@{UID_DOMAIN}"


def to_ics(session: Session, meeting_id: int, *, now: datetime | None = None) -> bytes:
    """The meeting as an iCalendar file with one event."""
    from icalendar import Calendar, Event, vCalAddress, vText

    meeting = load_meeting(session, meeting_id)
    hidden = identifiers_on_agenda(session, meeting_id)
    people = attendees(session, meeting_id)
    organiser = _organiser(session, meeting, people)
    cancelled = meeting.status == MeetingStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST" if organiser else "PUBLISH")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", max(meeting.version - 1, 0))
    event.add("dtstamp", (now or utcnow()).astimezone(UTC))
    start = to_local(meeting.starts_at)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", redact(meeting.title, hidden))
    if meeting.location:
        event.add("location", redact(meeting.location, hidden))
    event.add("description", email_body(session, meeting_id))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organiser is not None and organiser.email:
        address = vCalAddress(f"mailto:{organiser.email}")
        address.params["cn"] = vText(organiser.name)
        address.params["role"] = vText("CHAIR")
        event.add("organizer", address, encode=0)
    for person in people:
        if not person.email:
            continue
        address = vCalAddress(f"mailto:{person.email}")
        address.params["cn"] = vText(person.name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText(PARTSTAT.get(person.attendance, "NEEDS-ACTION"))
        address.params["rsvp"] = vText("TRUE")
        address.params["cutype"] = vText("INDIVIDUAL")
        event.add("attendee", address, encode=0)
    calendar.add_component(event)
    # Only the years around the meeting: the full zone history is hundreds of lines.
    calendar.add_missing_timezones(
        first_date=start.date() - timedelta(days=366), last_date=start.date() + timedelta(days=366)
    )
    return calendar.to_ical()


def write_ics(session: Session, meeting_id: int, path: Path) -> Path:
    """Write the invitation to ``path`` (it holds no patient data, so 0644 is fine)."""
    data = to_ics(session, meeting_id)
    path = Path(path)
    if path.is_dir():
        raise MeetingError(f"{path} is a folder: give a file name ending .ics")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path
