"""Invitations: an iCalendar file per meeting and a plain-text e-mail body.

An invitation leaves the practice, so it carries no patient identifiers (DESIGN.md
section 5). It is built only from fields that cannot hold a person: the meeting's title
and place, its time, and the staff invited; the agenda appears only as counts and item
numbers, with each item's priority, time and presenter (a member of staff). The title and
place are typed by staff, so before anything is built they are checked against every
person in the database (:func:`person_in_text`), and an invitation whose title or place
holds a person's family name, initial and family name, full name, NHS number (any
spacing) or date of birth (short forms too) is refused, saying which and why. Nothing is
blanked out and sent: a half-redacted title still says too much.

Every invitation written is recorded in the audit trail (who, when, which meeting, which
kind of file; not the content).

The calendar event has a stable UID per meeting (so a re-sent invitation updates the
event in the recipient's calendar rather than adding a second one) and a SEQUENCE that
follows the meeting's version.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.audit import record_export
from coordinator_tui.clock import to_local
from coordinator_tui.formatting import names_label, nhs_number, uk_date
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
            names_label(family, given),
            f"{family} {given}",
            nhs,
            nhs_number(nhs),
            uk_date(dob),
            dob.isoformat(),
            f"{dob.day} {MONTH_NAMES[dob.month - 1]} {dob.year}",
            f"{dob.day} {MONTH_NAMES[dob.month - 1][:3]} {dob.year}",
        ]
    return [text for text in found if text.strip()]


# -- a person named in the title or place -------------------------------------------------


class InvitationRefused(MeetingError):
    """The title or place names a person: no invitation is built or written."""


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_MONTHS += ("september", "october", "november", "december")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Capitalised words a title holds for the date, never for a person ("May 2027", "Day 2"
# is not among them: "Day" is a family name and is refused alone). A person called May is
# still found as "J May", "Jane May" or "MAY, Jane".
_CALENDAR_WORDS = frozenset(
    [*_MONTHS, *_DAYS, *(w[:3] for w in _MONTHS + _DAYS), "sept", "tues", "thur", "thurs"]
)
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "la", "le", "da", "di", "du", "del"})
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_DIGIT_GAP = re.compile(r"[\s\-\u2013.]{0,3}")
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_FORMS = (
    # (pattern, which groups hold day, month, year)
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), (3, 2, 1)),
    (re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)"), (1, 2, 3)),
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}}){_ORDINAL}[\s\-]*{_MONTH_NAME},?[\s\-]*(\d{{4}}|\d{{2}})(?!\d)",
            re.IGNORECASE,
        ),
        (1, 2, 3),
    ),
    (
        re.compile(
            rf"\b{_MONTH_NAME}\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}}|\d{{2}})(?!\d)",
            re.IGNORECASE,
        ),
        (2, 1, 3),
    ),
)
_MONTH_NUMBER = {name[:3]: number for number, name in enumerate(_MONTHS, start=1)}


@dataclass(frozen=True)
class PersonMention:
    """Where a typed field names a person: the text as written, and which identifier."""

    text: str
    kind: str


def _spellings(word: str) -> set[str]:
    """The ways a name is commonly stored: as typed, Title, UPPER, lower, McName, MacName
    and "van der Berg". Matched against the indexed column, so no row is read for a word
    that is nobody's name."""
    lower = " ".join(word.lower().split())
    forms = {word, lower, lower.upper(), lower.title(), lower.capitalize()}
    for prefix in ("mc", "mac"):
        if lower.startswith(prefix) and len(lower) > len(prefix) + 1:
            forms.add(prefix.capitalize() + lower[len(prefix) :].title())
    parts = lower.title().split(" ")
    if len(parts) > 1:
        forms.add(" ".join(p.lower() if p.lower() in _PARTICLES else p for p in parts))
    return forms


def _names_in(text: str) -> list[tuple[int, int, str]]:
    """Every run of one to three words (start, end, words): where a family name may be."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    found = []
    for first in range(len(words)):
        for last in range(first, min(first + 3, len(words))):
            if last > first and text[words[last - 1][1] : words[last][0]] != " ":
                break  # "van der Berg" is one name; "Smith, Jones" is two
            start, end = words[first][0], words[last][1]
            found.append((start, end, text[start:end]))
    return found


def _words_before(text: str, start: int) -> list[tuple[int, str]]:
    """The one and two words before ``start``: "J. Smith", "Jane Smith", "Mary Ann Smith"."""
    match = re.search(r"(?:([^\W\d_]+)\s)?([^\W\d_]+)\.?\s*$", text[:start])
    if match is None:
        return []
    found = [(match.start(2), match.group(2))]
    if match.group(1):
        found.append((match.start(1), f"{match.group(1)} {match.group(2)}"))
    return found


def _words_after(text: str, end: int) -> list[tuple[int, str]]:
    """The one and two words after ``end`` (past a comma): "SMITH, Jane", "Smith Mary Ann"."""
    match = re.match(r",?\s*([^\W\d_]+)(?:\s([^\W\d_]+))?", text[end:])
    if match is None:
        return []
    found = [(end + match.end(1), match.group(1))]
    if match.group(2):
        found.append((end + match.end(2), f"{match.group(1)} {match.group(2)}"))
    return found


def _has_person(session: Session, *conditions) -> bool:
    return session.scalar(select(Person.id).where(*conditions).limit(1)) is not None


def _name_mention(session: Session, text: str) -> PersonMention | None:
    spans = _names_in(text)
    if not spans:
        return None
    spellings = {span: _spellings(span[2]) for span in spans}
    asked = set().union(*spellings.values())
    known = {
        name.lower()
        for name in session.scalars(
            select(Person.family_name).where(Person.family_name.in_(asked)).distinct()
        )
    }
    family_alone = None
    for span in spans:
        start, end, written = span
        if " ".join(written.lower().split()) not in known:
            continue
        family = Person.family_name.in_(spellings[span])
        for at, words in _words_before(text, start):
            if len(words) == 1:
                initial = Person.given_name.startswith(words.upper())
                if _has_person(session, family, initial | Person.given_name.startswith(words)):
                    return PersonMention(text[at:end], "the initial and family name")
            elif _has_person(session, family, Person.given_name.in_(_spellings(words))):
                return PersonMention(text[at:end], "the name")
        for until, words in _words_after(text, end):
            if _has_person(session, family, Person.given_name.in_(_spellings(words))):
                return PersonMention(text[start:until], "the name")
        if (
            family_alone is None
            and written[:1].isupper()
            and written.lower() not in _CALENDAR_WORDS
        ):
            family_alone = PersonMention(written, "the family name")
    return family_alone


def _nhs_mention(session: Session, text: str) -> PersonMention | None:
    """Ten digits in a row, however spaced or dashed ("943 476 5919", "943 - 476 - 5919",
    "943  476  5919", "9434765919"), that are someone's NHS number."""
    digits = [m.start() for m in re.finditer(r"\d", text)]
    runs: list[list[int]] = []
    for position in digits:
        if runs and _DIGIT_GAP.fullmatch(text[runs[-1][-1] + 1 : position]):
            runs[-1].append(position)
        else:
            runs.append([position])
    windows = {}
    for run in runs:
        for first in range(len(run) - 9):
            window = run[first : first + 10]
            windows["".join(text[i] for i in window)] = text[window[0] : window[-1] + 1]
    if not windows:
        return None
    number = session.scalar(
        select(Person.nhs_number).where(Person.nhs_number.in_(list(windows))).limit(1)
    )
    return PersonMention(windows[number], "the NHS number") if number else None


def _dates_in(text: str) -> dict[date, str]:
    found: dict[date, str] = {}
    for pattern, (day_at, month_at, year_at) in _DATE_FORMS:
        for match in pattern.finditer(text):
            day, month_text, year_text = (match.group(i) for i in (day_at, month_at, year_at))
            month = (
                int(month_text)
                if month_text.isdigit()
                else _MONTH_NUMBER.get(month_text[:3].lower(), 0)
            )
            years = [int(year_text)] if len(year_text) == 4 else [1900 + int(year_text)]
            if len(year_text) == 2:
                years.append(2000 + int(year_text))
            for year in years:
                try:
                    found.setdefault(date(year, month, int(day)), match.group(0))
                except ValueError:
                    continue
    return found


def _birth_date_mention(session: Session, text: str) -> PersonMention | None:
    """A date written day first ("3/12/19", "03/12/2019", "3.12.19", "3 Dec 2019",
    "3rd December 19", "Dec 3 2019", "2019-12-03") that is someone's date of birth."""
    dates = _dates_in(text)
    if not dates:
        return None
    born = session.scalar(
        select(Person.date_of_birth).where(Person.date_of_birth.in_(list(dates))).limit(1)
    )
    return PersonMention(dates[born], "the date of birth") if born else None


def person_in_text(session: Session, text: str) -> PersonMention | None:
    """The first identifier of any person in the database that ``text`` holds: a family
    name alone (written as a name, with a capital), an initial and family name, a full
    name (either order), an NHS number with any spacing, a date of birth in a short form.

    Done in the database with indexed lookups of the words, numbers and dates in the text
    (a few queries, whatever the number of people), never by reading every person."""
    if not text or not text.strip():
        return None
    return (
        _nhs_mention(session, text)
        or _birth_date_mention(session, text)
        or _name_mention(session, text)
    )


def check_invitation_fields(session: Session, meeting: Meeting) -> None:
    """Refuse (one line, saying which field and why) a title or place naming a person."""
    for label, value in (("title", meeting.title), ("place", meeting.location)):
        found = person_in_text(session, value or "")
        if found is not None:
            raise InvitationRefused(
                f"No invitation written: the meeting's {label} holds '{found.text}', "
                f"{found.kind} of a person in the database. An invitation leaves the "
                f"practice, so change the {label} to name no one."
            )


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


def _checked_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = load_meeting(session, meeting_id)
    check_invitation_fields(session, meeting)
    return meeting


def _subject(meeting: Meeting) -> str:
    start = to_local(meeting.starts_at)
    prefix = "Cancelled: " if meeting.status == MeetingStatus.CANCELLED else ""
    return f"{prefix}{meeting.title}: {format_date(start.date())} {start:%H:%M}"


def email_subject(session: Session, meeting_id: int) -> str:
    """The e-mail's subject line; refused (:class:`InvitationRefused`) if the title or
    place names a person."""
    return _subject(_checked_meeting(session, meeting_id))


def email_body(session: Session, meeting_id: int) -> str:
    """The plain-text invitation: when, where, who, and the agenda as numbers only."""
    return _body(session, _checked_meeting(session, meeting_id))


def email_text(session: Session, meeting_id: int) -> str:
    """Subject line, a blank line, then the body: the e-mail as it is printed or saved."""
    meeting = _checked_meeting(session, meeting_id)
    return f"Subject: {_subject(meeting)}\n\n" + _body(session, meeting)


def _body(session: Session, meeting: Meeting) -> str:
    start = to_local(meeting.starts_at)
    end = start + timedelta(minutes=meeting.duration_minutes)
    people = attendees(session, meeting.id)
    organiser = _organiser(session, meeting, people)
    summary = invite_summary(session, meeting.id)
    lines = [
        meeting.title,
        "",
        f"When:  {format_date(start.date())}, {start:%H:%M} to {end:%H:%M}",
        f"Where: {meeting.location or 'to be confirmed'}",
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

    meeting = _checked_meeting(session, meeting_id)
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
    event.add("summary", meeting.title)
    if meeting.location:
        event.add("location", meeting.location)
    event.add("description", _body(session, meeting))
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
    """Write the invitation to ``path`` (it holds no patient data, so 0644 is fine),
    recorded in the audit trail first: a trail that cannot be written (a locked database)
    leaves no file behind that the trail does not know of."""
    data = to_ics(session, meeting_id)
    path = Path(path)
    if path.is_dir():
        raise MeetingError(f"{path} is a folder: give a file name ending .ics")
    record_export(session, "invitation", "meeting", meeting_id, "ics")
    _write_public(path, data)
    return path


def write_email(session: Session, meeting_id: int, path: Path) -> Path:
    """Write the e-mail text (subject and body) to ``path``, audited as an export."""
    data = email_text(session, meeting_id).encode("utf-8")
    path = Path(path)
    if path.is_dir():
        raise MeetingError(f"{path} is a folder: give a file name")
    record_export(session, "invitation", "meeting", meeting_id, "txt")
    _write_public(path, data)
    return path


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
