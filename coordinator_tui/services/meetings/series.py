"""Meeting series with recurrence, one-off meetings, attendees and attendance.

A series keeps an RFC 5545 recurrence rule read with python-dateutil (``FREQ=MONTHLY;
BYDAY=1TU`` is the first Tuesday of each month) and a wall-clock start time in UK local
time, so a 12:30 meeting stays at 12:30 across the change to and from British Summer Time.
Rules created here carry their first date (``DTSTART:20261201`` on the line before the
``RRULE``) so that fortnightly or two-monthly rules count from a fixed day; rules without
one (as the demo writes them) are anchored on the day the series was created.

What the rule language does at month ends is kept, not patched: ``BYMONTHDAY=31`` skips
months of 30 days or fewer, ``BYDAY=5TU`` happens only in months with five Tuesdays, and
``BYMONTHDAY=-1`` / ``BYDAY=-1TU`` are the last day / last Tuesday. Bank holidays are left
to the coordinator: an occurrence on one is flagged (:attr:`Occurrence.bank_holiday`) and
the meeting is moved with :func:`move_meeting`; materialising never recreates an
occurrence whose meeting was moved by up to :data:`MOVE_WINDOW_DAYS` days, or cancelled.

The schema has no attendee list per series: new meetings of a series invite the people
invited to its latest meeting (and the organiser).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, to_local
from coordinator_tui.models import (
    AgendaItem,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    MeetingStatus,
    Practice,
    Staff,
    TriageStatus,
    utcnow,
)
from coordinator_tui.services import access
from coordinator_tui.services.dates import MONTH_NAMES, bank_holiday_name
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.meetings import MeetingConflictError, MeetingError

ATTENDANCE = ("invited", "present", "apologies", "absent")
MOVE_WINDOW_DAYS = 3
ALLOWED_FREQUENCIES = ("WEEKLY", "MONTHLY", "YEARLY")
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TITLES = {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sister", "nurse"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- recurrence ---------------------------------------------------------------------------


def make_rule(
    frequency: str = "MONTHLY",
    *,
    weekday: str | None = None,
    nth: int | None = None,
    monthday: int | None = None,
    interval: int = 1,
) -> str:
    """An RRULE from form fields: ``make_rule(weekday="TU", nth=1)`` is the first Tuesday
    of each month; ``nth=-1`` the last; ``monthday=31`` the 31st (months without one are
    skipped); ``make_rule("WEEKLY", weekday="WE", interval=2)`` every other Wednesday."""
    frequency = frequency.upper()
    if frequency not in ALLOWED_FREQUENCIES:
        raise MeetingError(f"Repeat weekly, monthly or yearly, not '{frequency.lower()}'")
    if interval < 1 or interval > 24:
        raise MeetingError("The interval is a whole number from 1 to 24")
    parts = [f"FREQ={frequency}"]
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    if weekday is not None:
        code = weekday.upper()[:2]
        if code not in WEEKDAY_CODES:
            raise MeetingError(f"'{weekday}' is not a day of the week")
        if nth is not None:
            if nth == 0 or not -5 <= nth <= 5:
                raise MeetingError("Which one of the month: 1 to 5, or -1 for the last")
            code = f"{nth}{code}"
        parts.append(f"BYDAY={code}")
    elif nth is not None:
        raise MeetingError("Give the day of the week for 'first', 'second' or 'last'")
    if monthday is not None:
        if monthday == 0 or not -31 <= monthday <= 31:
            raise MeetingError("A day of the month is 1 to 31, or -1 for the last day")
        parts.append(f"BYMONTHDAY={monthday}")
    return ";".join(parts)


def _split(rule_text: str) -> tuple[str | None, str]:
    """(DTSTART line value or None, the RRULE body without its ``RRULE:`` prefix)."""
    start, body = None, ""
    for line in rule_text.replace("\\n", "\n").splitlines():
        line = line.strip()
        if line.upper().startswith("DTSTART"):
            start = line.partition(":")[2]
        elif line:
            body = line.removeprefix("RRULE:").removeprefix("rrule:")
    if body and "FREQ" not in body.upper():
        body = rule_from_words(body)
    return start, body


_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip
_NUMBERS = {"two": 2, "three": 3, "four": 4, "six": 6}
_DAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
    "friday": "FR", "saturday": "SA", "sunday": "SU",
}  # fmt: skip
_FREQUENCY_WORDS = {
    "weekly": "WEEKLY", "week": "WEEKLY", "weeks": "WEEKLY",
    "monthly": "MONTHLY", "month": "MONTHLY", "months": "MONTHLY",
    "yearly": "YEARLY", "annually": "YEARLY", "year": "YEARLY", "years": "YEARLY",
}  # fmt: skip
_FILLER = {"of", "the", "each", "every", "on", "a", "in", "at", "and", "repeat", "repeats"}
RULE_EXAMPLES = (
    "first Tuesday monthly, last Friday of the month, every other Wednesday, 15th monthly"
)


def _day_code(word: str) -> str | None:
    word = word.rstrip("s")  # "Tuesdays"
    for name, code in _DAYS.items():
        if len(word) >= 3 and name.startswith(word):
            return code
    return None


def rule_from_words(text: str) -> str:
    """An RRULE from plain words: "first Tuesday monthly" (``FREQ=MONTHLY;BYDAY=1TU``),
    "last Friday of the month", "every other Wednesday" / "fortnightly on Wednesday",
    "every 2 months on the second Thursday", "15th of each month", "last day of the month",
    "weekly on Monday". Raises :class:`MeetingError` naming the word it could not read."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    if not words:
        raise MeetingError(f"Give the repeat rule, e.g. {RULE_EXAMPLES}")
    frequency: str | None = None
    interval, weekday, nth, monthday = 1, None, None, None
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _FILLER:
            pass
        elif word == "other":
            interval = 2
        elif word in ("fortnightly", "fortnight"):
            frequency, interval = "WEEKLY", 2
        elif word in _FREQUENCY_WORDS:
            frequency = _FREQUENCY_WORDS[word]
        elif (word.isdigit() or word in _NUMBERS) and following in _FREQUENCY_WORDS:
            interval = int(word) if word.isdigit() else _NUMBERS[word]
        elif word in _ORDINALS and _day_code(following):
            nth = _ORDINALS[word]
        elif word in _ORDINALS and following == "day":
            monthday = _ORDINALS[word]
            index += 1
        elif re.fullmatch(r"\d{1,2}(st|nd|rd|th)?", word):
            monthday = int(re.match(r"\d+", word).group())  # type: ignore[union-attr]
        elif _day_code(word):
            if weekday is not None:
                raise MeetingError("Give one day of the week")
            weekday = _day_code(word)
        elif word in _ORDINALS and following:
            raise MeetingError(f"'{following}' is not a day of the week: e.g. {RULE_EXAMPLES}")
        else:
            raise MeetingError(f"Could not read '{word}' in the repeat rule: try {RULE_EXAMPLES}")
        index += 1
    if frequency is None:
        frequency = "WEEKLY" if weekday is not None and nth is None else "MONTHLY"
    if frequency == "WEEKLY" and (nth is not None or monthday is not None):
        raise MeetingError("'First', 'last' or a day of the month repeat monthly, not weekly")
    if frequency == "MONTHLY" and weekday is not None and nth is None:
        raise MeetingError("Which one of the month: e.g. 'first Tuesday monthly'")
    if weekday is not None and monthday is not None:
        raise MeetingError("Give a day of the week or a day of the month, not both")
    return make_rule(frequency, weekday=weekday, nth=nth, monthday=monthday, interval=interval)


_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_DAY_NAMES = {code: name.capitalize() for name, code in _DAYS.items()}
_UNITS = {"WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


def describe_rule(rule_text: str) -> str:
    """Plain words for a stored rule: "first Tuesday of each month", "every other
    Wednesday"; the rule itself when it says more than the words here can."""
    _start, body = _split(rule_text or "")
    fields = dict(part.partition("=")[::2] for part in body.upper().split(";") if "=" in part)
    frequency = fields.pop("FREQ", "")
    interval = int(fields.pop("INTERVAL", "1") or 1) if fields.get("INTERVAL", "1").isdigit() else 0
    byday, bymonthday = fields.pop("BYDAY", ""), fields.pop("BYMONTHDAY", "")
    if fields or frequency not in _UNITS or interval < 1 or "," in byday + bymonthday:
        return body
    unit = _UNITS[frequency]
    every = (
        f"each {unit}" if interval == 1 else "every other " + unit if interval == 2
        else f"every {interval} {unit}s"
    )  # fmt: skip
    match = re.fullmatch(r"(-?\d)?([A-Z]{2})", byday)
    if match and match.group(1):
        which = _ORDINAL_WORDS.get(int(match.group(1)), match.group(1))
        return f"{which} {_DAY_NAMES.get(match.group(2), match.group(2))} of {every}"
    if match:
        day = _DAY_NAMES.get(match.group(2), match.group(2))
        if frequency == "WEEKLY":
            return f"every {day}" if interval == 1 else f"{day}, {every}"
        return f"{day}s, {every}"
    if bymonthday.lstrip("-").isdigit():
        number = int(bymonthday)
        day = "last day" if number == -1 else f"day {number}"
        return f"{day} of {every}"
    return (
        {"WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}[frequency]
        if interval == 1
        else every
    )


def parse_rule(rule_text: str, anchor: date) -> rrule:
    """The dateutil rule for ``rule_text``, counted from its DTSTART or from ``anchor``.

    Raises :class:`MeetingError` for anything that is not a weekly, monthly or yearly
    rule (a meeting every minute is a typo), or that never happens."""
    start, body = _split(rule_text or "")
    if not body:
        raise MeetingError("Give the repeat rule, e.g. FREQ=MONTHLY;BYDAY=1TU")
    fields = dict(
        part.partition("=")[::2] for part in body.upper().split(";") if part.strip() and "=" in part
    )
    if fields.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise MeetingError("A meeting repeats weekly, monthly or yearly (FREQ=MONTHLY...)")
    if {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(fields):
        raise MeetingError("Set the time as the series' start time, not in the rule")
    dtstart = datetime(anchor.year, anchor.month, anchor.day)
    if start:
        try:
            dtstart = datetime.strptime(start[:8], "%Y%m%d")
        except ValueError as exc:
            raise MeetingError(f"'{start}' is not a start date (YYYYMMDD)") from exc
    try:
        rule = rrulestr(body, dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise MeetingError(f"Could not read the repeat rule '{body}': {exc}") from exc
    if not isinstance(rule, rrule):  # pragma: no cover - rrulestr returns rrule for one rule
        raise MeetingError("Give one repeat rule")
    try:  # dateutil finds some impossible rules (BYDAY=9TU) only when it iterates
        first = rule.after(dtstart, inc=True)
    except (ValueError, IndexError, OverflowError) as exc:
        raise MeetingError(f"Could not read the repeat rule '{body}'") from exc
    if first is None:
        raise MeetingError("That rule never happens")
    return rule


def validate_rule(rule_text: str) -> str:
    """The rule as it will be stored (stripped), or :class:`MeetingError` saying why not."""
    parse_rule(rule_text, date(2000, 1, 1))
    return rule_text.strip()


@dataclass(frozen=True)
class Occurrence:
    """One date a series meets on, with its start in UK time and any bank holiday."""

    day: date
    starts_at: datetime  # aware, Europe/London
    bank_holiday: str | None


def _starts(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UK)


def _anchor(series: MeetingSeries) -> date:
    created = series.created_at or utcnow()
    return to_local(created).date() - timedelta(days=400)


def occurrences(
    rule_text: str,
    start_time: time,
    *,
    after: date,
    count: int = 6,
    until: date | None = None,
    anchor: date | None = None,
) -> list[Occurrence]:
    """The next ``count`` dates on or after ``after`` (none past ``until``)."""
    rule = parse_rule(rule_text, min(anchor, after) if anchor else after)
    found: list[Occurrence] = []
    moment = datetime(after.year, after.month, after.day)
    for when in rule.xafter(moment, count=count, inc=True):
        day = when.date()
        if until is not None and day > until:
            break
        found.append(Occurrence(day, _starts(day, start_time), bank_holiday_name(day)))
    return found


def next_occurrences(series: MeetingSeries, *, after: date, count: int = 6) -> list[Occurrence]:
    """The series' next ``count`` dates on or after ``after``."""
    return occurrences(
        series.rrule, series.start_time, after=after, count=count, anchor=_anchor(series)
    )


# -- series and meetings -----------------------------------------------------------------


def create_series(
    session: Session,
    *,
    name: str,
    rule: str,
    start_time: time,
    first_on: date,
    duration_minutes: int = 60,
    location: str = "",
    practice_id: int | None = None,
    organiser_staff_id: int | None = None,
) -> MeetingSeries:
    """A new series; ``practice_id`` None means PCN-wide. ``first_on`` anchors the rule."""
    access.require(session, access.MEETINGS)  # issue 17
    name = name.strip()
    if not name:
        raise MeetingError("Give the series a name")
    _check_duration(duration_minutes)
    _start, body = _split(rule)
    stored = f"DTSTART:{first_on:%Y%m%d}\nRRULE:{body}"
    parse_rule(stored, first_on)
    if len(stored) > 200:
        raise MeetingError("That repeat rule is too long (200 characters at most)")
    if practice_id is not None and session.get(Practice, practice_id) is None:
        raise MeetingError("Unknown practice")
    if organiser_staff_id is not None and session.get(Staff, organiser_staff_id) is None:
        raise MeetingError("Unknown organiser")
    series = MeetingSeries(
        name=name[:120],
        practice_id=practice_id,
        rrule=stored,
        start_time=start_time,
        duration_minutes=duration_minutes,
        location=location.strip()[:200],
        organiser_staff_id=organiser_staff_id,
    )
    session.add(series)
    session.flush()
    return series


def _check_duration(minutes: int) -> None:
    if not 5 <= minutes <= 8 * 60:
        raise MeetingError("A meeting lasts between 5 minutes and 8 hours")


def meeting_title(name: str, day: date) -> str:
    """ "PCN safeguarding MDT 1 December 2026" (no patient detail ever goes in a title)."""
    return f"{name} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"[:160]


def _series_days(session: Session, series_id: int) -> list[date]:
    return [
        to_local(moment).date()
        for moment in session.scalars(
            select(Meeting.starts_at).where(Meeting.series_id == series_id)
        )
    ]


def _latest_invite_list(session: Session, series: MeetingSeries) -> list[int]:
    latest = session.scalar(
        select(Meeting.id)
        .where(
            Meeting.series_id == series.id,
            Meeting.id.in_(select(MeetingAttendee.meeting_id)),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    staff = []
    if latest is not None:
        staff = list(
            session.scalars(
                select(MeetingAttendee.staff_id)
                .where(MeetingAttendee.meeting_id == latest)
                .order_by(MeetingAttendee.id)
            )
        )
    if series.organiser_staff_id is not None and series.organiser_staff_id not in staff:
        staff.insert(0, series.organiser_staff_id)
    return staff


def materialise(
    session: Session, series_id: int, *, today: date, horizon_days: int = 92
) -> list[Meeting]:
    """Create the series' meetings from ``today`` to ``today + horizon_days`` that do not
    exist yet; returns the new ones. Running it again creates nothing more."""
    series = session.get(MeetingSeries, series_id)
    if series is None:
        raise MeetingError("That meeting series no longer exists")
    if not series.active:
        raise MeetingError("This series is no longer active")
    existing = _series_days(session, series_id)
    invite = _latest_invite_list(session, series)
    created: list[Meeting] = []
    for occurrence in occurrences(
        series.rrule,
        series.start_time,
        after=today,
        count=500,
        until=today + timedelta(days=horizon_days),
        anchor=_anchor(series),
    ):
        if any(abs((occurrence.day - day).days) <= MOVE_WINDOW_DAYS for day in existing):
            continue
        meeting = Meeting(
            series_id=series.id,
            practice_id=series.practice_id,
            title=meeting_title(series.name, occurrence.day),
            starts_at=occurrence.starts_at.astimezone(UTC),
            duration_minutes=series.duration_minutes,
            location=series.location,
        )
        session.add(meeting)
        session.flush()
        for staff_id in invite:
            session.add(MeetingAttendee(meeting_id=meeting.id, staff_id=staff_id))
        existing.append(occurrence.day)
        created.append(meeting)
    session.flush()
    return created


def materialise_all(session: Session, *, today: date, horizon_days: int = 92) -> list[Meeting]:
    """:func:`materialise` for every active series (the Meetings screen's ``g`` and the
    CLI): the meetings of the coming ``horizon_days`` that do not exist yet."""
    created: list[Meeting] = []
    for series_id in session.scalars(
        select(MeetingSeries.id).where(MeetingSeries.active.is_(True)).order_by(MeetingSeries.id)
    ):
        created += materialise(session, series_id, today=today, horizon_days=horizon_days)
    return created


def preview_rule(
    rule_text: str, start_time: time, *, first_on: date, count: int = 3
) -> list[Occurrence]:
    """The first ``count`` dates a new series would meet on (the form's live preview):
    the rule as :func:`create_series` will store it, anchored on ``first_on``."""
    _start, body = _split(rule_text or "")
    if not body:
        raise MeetingError(f"Give the repeat rule, e.g. {RULE_EXAMPLES}")
    return occurrences(
        f"DTSTART:{first_on:%Y%m%d}\nRRULE:{body}", start_time, after=first_on, count=count
    )


@dataclass(frozen=True)
class SeriesRow:
    """One series as listed: its rule in words and its next date."""

    id: int
    name: str
    practice: str
    rule: str  # in words
    start_time: time
    duration_minutes: int
    location: str
    active: bool
    next_day: date | None
    meetings: int


def list_series(session: Session, *, today: date) -> list[SeriesRow]:
    """Every series, active ones first, by name, with the next date it meets on."""
    access.require(session, access.MEETINGS)  # issue 17
    counts = (
        select(func.count(Meeting.id))
        .where(Meeting.series_id == MeetingSeries.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(MeetingSeries, func.coalesce(Practice.short_name, "PCN"), counts)
        .outerjoin(Practice, Practice.id == MeetingSeries.practice_id)
        .order_by(MeetingSeries.active.desc(), MeetingSeries.name, MeetingSeries.id)
    ).all()
    found: list[SeriesRow] = []
    for series, practice, meetings in rows:
        next_day = None
        if series.active:
            try:
                upcoming = next_occurrences(series, after=today, count=1)
            except MeetingError:
                upcoming = []
            next_day = upcoming[0].day if upcoming else None
        found.append(
            SeriesRow(
                series.id,
                series.name,
                practice,
                describe_rule(series.rrule),
                series.start_time,
                series.duration_minutes,
                series.location,
                series.active,
                next_day,
                int(meetings or 0),
            )
        )
    return found


def set_series_active(session: Session, series_id: int, active: bool) -> MeetingSeries:
    """Stop (or restart) a series: an inactive one makes no more meetings; the meetings
    it already made stay as they are (cancel any not wanted one by one)."""
    series = session.get(MeetingSeries, series_id)
    if series is None:
        raise MeetingError("That meeting series no longer exists")
    series.active = active
    session.flush()
    return series


def _aware(moment: datetime) -> datetime:
    """A typed (naive, UK wall-clock) or aware moment as aware UTC for storage."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UK)
    return moment.astimezone(UTC)


_CLOCK = re.compile(r"^\s*(\d{1,2})(?:[:.]?(\d{2}))?\s*$")


def parse_clock(text: str) -> time:
    """A start time typed as "12:30", "12.30", "1230" or "9" (24-hour clock)."""
    match = _CLOCK.match(text or "")
    if match is None:
        raise MeetingError(f"'{text.strip()}' is not a time: type it as 12:30")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise MeetingError(f"'{text.strip()}' is not a time of day (00:00 to 23:59)")
    return time(hour, minute)


def create_meeting(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    location: str = "",
    practice_id: int | None = None,
    series_id: int | None = None,
) -> Meeting:
    """A one-off meeting (``starts_at`` naive means UK wall-clock time)."""
    access.require(session, access.MEETINGS)  # issue 17
    title = title.strip()
    if not title:
        raise MeetingError("Give the meeting a title")
    _check_duration(duration_minutes)
    if practice_id is not None and session.get(Practice, practice_id) is None:
        raise MeetingError("Unknown practice")
    meeting = Meeting(
        series_id=series_id,
        practice_id=practice_id,
        title=title[:160],
        starts_at=_aware(starts_at),
        duration_minutes=duration_minutes,
        location=location.strip()[:200],
    )
    session.add(meeting)
    session.flush()
    return meeting


def load_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError("That meeting no longer exists")
    return meeting


def move_meeting(
    session: Session, meeting_id: int, *, starts_at: datetime, duration_minutes: int | None = None
) -> Meeting:
    """Move a planned meeting (e.g. off a bank holiday); naive means UK time."""
    access.require(session, access.MEETINGS)  # issue 17
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("Only a meeting that has not started can be moved")
    if duration_minutes is not None:
        _check_duration(duration_minutes)
        meeting.duration_minutes = duration_minutes
    meeting.starts_at = _aware(starts_at)
    session.flush()
    return meeting


def cancel_meeting(session: Session, meeting_id: int) -> Meeting:
    """Cancel a planned meeting; its agenda items are deferred to the next meeting."""
    access.require(session, access.MEETINGS)  # issue 17
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("Only a meeting that has not started can be cancelled")
    from coordinator_tui.services.meetings.triage import CANCELLED_NOTE, UNTRIAGED_NOTE

    meeting.status = MeetingStatus.CANCELLED
    for item in session.scalars(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id,
            AgendaItem.triage_status.in_((TriageStatus.PROPOSED, TriageStatus.INCLUDED)),
        )
    ):
        # Included items are carried forward to the next meeting; proposals nobody
        # triaged are proposed afresh there if they still apply.
        untriaged = item.triage_status == TriageStatus.PROPOSED
        item.triage_status = TriageStatus.DEFERRED
        item.drop_reason = UNTRIAGED_NOTE if untriaged else CANCELLED_NOTE
    session.flush()
    return meeting


def same_scope(meeting: Meeting):
    """SQL condition for the meetings in the same run as ``meeting``: its series, or for a
    one-off the meetings of the same practice (or the PCN-wide ones)."""
    if meeting.series_id is not None:
        return Meeting.series_id == meeting.series_id
    if meeting.practice_id is not None:
        return Meeting.practice_id == meeting.practice_id
    return Meeting.practice_id.is_(None)


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The latest earlier meeting of the same series (or, for a one-off, of the same
    practice or PCN) that was not cancelled."""
    stmt = select(Meeting).where(
        Meeting.starts_at < meeting.starts_at,
        Meeting.status != MeetingStatus.CANCELLED,
        Meeting.id != meeting.id,
        same_scope(meeting),
    )
    return session.scalar(stmt.order_by(Meeting.starts_at.desc()).limit(1))


def following_meeting_day(session: Session, meeting: Meeting) -> date | None:
    """The day of the series' next meeting after ``meeting`` (planned or from the rule)."""
    if meeting.series_id is None:
        return None
    later = session.scalar(
        select(Meeting.starts_at)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.starts_at > meeting.starts_at,
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    if later is not None:
        return to_local(later).date()
    series = session.get(MeetingSeries, meeting.series_id)
    if series is None or not series.rrule:
        return None
    day = to_local(meeting.starts_at).date()
    try:
        upcoming = next_occurrences(series, after=day + timedelta(days=1), count=1)
    except MeetingError:
        return None
    return upcoming[0].day if upcoming else None


@dataclass(frozen=True)
class MeetingRow:
    """One meeting in a list (CLI ``meeting list`` and the Meetings screen)."""

    id: int
    title: str
    starts_at: datetime  # UK local
    duration_minutes: int
    location: str
    status: str
    series_id: int | None
    practice: str
    items_included: int
    items_proposed: int


def list_meetings(
    session: Session, *, upcoming_from: date | None = None, limit: int | None = None
) -> list[MeetingRow]:
    """Meetings by start (upcoming from a day: planned or in progress, soonest first;
    otherwise all, newest first)."""
    access.require(session, access.MEETINGS)  # issue 17
    included = (
        select(func.count(AgendaItem.id))
        .where(
            AgendaItem.meeting_id == Meeting.id,
            AgendaItem.triage_status == TriageStatus.INCLUDED,
        )
        .scalar_subquery()
    )
    proposed = (
        select(func.count(AgendaItem.id))
        .where(
            AgendaItem.meeting_id == Meeting.id,
            AgendaItem.triage_status == TriageStatus.PROPOSED,
        )
        .scalar_subquery()
    )
    stmt = select(
        Meeting.id,
        Meeting.title,
        Meeting.starts_at,
        Meeting.duration_minutes,
        Meeting.location,
        Meeting.status,
        Meeting.series_id,
        func.coalesce(Practice.short_name, "PCN"),
        included,
        proposed,
    ).outerjoin(Practice, Practice.id == Meeting.practice_id)
    if upcoming_from is not None:
        stmt = stmt.where(
            Meeting.starts_at >= datetime.combine(upcoming_from, time.min, tzinfo=UK),
            Meeting.status.in_((MeetingStatus.PLANNED, MeetingStatus.IN_PROGRESS)),
        ).order_by(Meeting.starts_at, Meeting.id)
    else:
        stmt = stmt.order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    return [
        MeetingRow(r[0], r[1], to_local(r[2]), r[3], r[4], r[5], r[6], r[7], r[8] or 0, r[9] or 0)
        for r in rows
    ]


# -- attendees ---------------------------------------------------------------------------


def initials_for(name: str) -> str:
    """ "Dr Asha Patel" -> "AP" (titles left out)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower().rstrip(".") not in _TITLES]
    return "".join(w[0].upper() for w in words)[:8]


def add_professional(
    session: Session,
    *,
    name: str,
    role: str,
    organisation: str = "",
    email: str = "",
    phone: str = "",
    initials: str | None = None,
    external: bool = True,
    practice_id: int | None = None,
) -> Staff:
    """An external professional (health visitor, school nurse, midwife, social worker,
    community mental health, district nurse...) or internal staff member who attends."""
    name, role, email = name.strip(), role.strip(), email.strip()
    if not name:
        raise MeetingError("Give the professional's name")
    if not role:
        raise MeetingError("Give their role, e.g. Health visitor")
    if email and not _EMAIL.match(email):
        raise MeetingError(f"'{email}' is not an e-mail address")
    staff = Staff(
        name=name[:120],
        initials=(initials or initials_for(name)).strip().upper()[:8],
        role=role[:60],
        organisation=organisation.strip()[:120],
        email=email[:200],
        phone=phone.strip()[:40],
        practice_id=practice_id,
        is_external=external,
    )
    session.add(staff)
    session.flush()
    return staff


def _attendee(session: Session, meeting_id: int, staff_id: int) -> MeetingAttendee | None:
    return session.scalar(
        select(MeetingAttendee).where(
            MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.staff_id == staff_id
        )
    )


def add_attendee(session: Session, meeting_id: int, staff_id: int) -> MeetingAttendee:
    """Invite someone (adding them twice is harmless)."""
    meeting = load_meeting(session, meeting_id)
    if meeting.status in (MeetingStatus.FINISHED, MeetingStatus.CANCELLED):
        raise MeetingError("This meeting is over: nobody can be invited to it now")
    if session.get(Staff, staff_id) is None:
        raise MeetingError("Unknown staff member or professional")
    attendee = _attendee(session, meeting_id, staff_id)
    if attendee is None:
        attendee = MeetingAttendee(meeting_id=meeting_id, staff_id=staff_id)
        session.add(attendee)
        session.flush()
    return attendee


def remove_attendee(session: Session, meeting_id: int, staff_id: int) -> None:
    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("Record apologies or absence instead once the meeting has started")
    attendee = _attendee(session, meeting_id, staff_id)
    if attendee is not None:
        session.delete(attendee)
        session.flush()


def set_attendance(
    session: Session, meeting_id: int, staff_id: int, attendance: str
) -> MeetingAttendee:
    """Record present, apologies or absent (someone not invited is added as they come)."""
    if attendance not in ATTENDANCE:
        raise MeetingError(f"Attendance is one of: {', '.join(ATTENDANCE)}")
    meeting = load_meeting(session, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError("This meeting was cancelled")
    if session.get(Staff, staff_id) is None:
        raise MeetingError("Unknown staff member or professional")
    attendee = _attendee(session, meeting_id, staff_id)
    if attendee is None:
        attendee = MeetingAttendee(meeting_id=meeting_id, staff_id=staff_id)
        session.add(attendee)
    attendee.attendance = attendance
    session.flush()
    return attendee


@dataclass(frozen=True)
class AttendeeRow:
    staff_id: int
    name: str
    initials: str
    role: str
    organisation: str
    email: str
    is_external: bool
    attendance: str
    version: int | None = None  # the attendance row as read (None: not invited yet)

    @property
    def label(self) -> str:
        where = f", {self.organisation}" if self.organisation else ""
        return f"{self.name} ({self.role}{where})" if self.role else self.name


def attendees(session: Session, meeting_id: int) -> list[AttendeeRow]:
    """Everyone invited, internal staff first, then by name."""
    rows = session.execute(
        select(
            Staff.id,
            Staff.name,
            Staff.initials,
            Staff.role,
            Staff.organisation,
            Staff.email,
            Staff.is_external,
            MeetingAttendee.attendance,
            MeetingAttendee.version,
        )
        .join(MeetingAttendee, MeetingAttendee.staff_id == Staff.id)
        .where(MeetingAttendee.meeting_id == meeting_id)
        .order_by(Staff.is_external, Staff.name)
    ).all()
    return [AttendeeRow(*row) for row in rows]


def professionals(session: Session, *, external: bool | None = None) -> list[AttendeeRow]:
    """Active staff and professionals who can be invited (attendance column empty)."""
    stmt = select(
        Staff.id,
        Staff.name,
        Staff.initials,
        Staff.role,
        Staff.organisation,
        Staff.email,
        Staff.is_external,
    ).where(Staff.active.is_(True))
    if external is not None:
        stmt = stmt.where(Staff.is_external.is_(external))
    return [AttendeeRow(*row, "") for row in session.execute(stmt.order_by(Staff.name)).all()]


def set_attendances(
    session: Session,
    meeting_id: int,
    changes: Mapping[int, str],
    seen: Mapping[int, int | None],
) -> list[MeetingAttendee]:
    """Record several people's attendance at once, all or nothing (the attendance
    dialog's save): every mark and every row's version is checked before any is written,
    so a bad mark or a colleague's change to one person's attendance refuses the lot and
    nothing is half-saved.

    ``changes``: {staff id: attendance}; ``seen``: {staff id: the attendance row's version
    as the screen read it (None: the screen saw them not invited)}. A row another user
    changed, removed or added since is refused with who did it and when."""
    if any(attendance not in ATTENDANCE for attendance in changes.values()):
        raise MeetingError(f"Attendance is one of: {', '.join(ATTENDANCE)}")
    meeting = load_meeting(session, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError("This meeting was cancelled")
    rows: dict[int, MeetingAttendee | None] = {}
    for staff_id in changes:
        if session.get(Staff, staff_id) is None:
            raise MeetingError("Unknown staff member or professional")
        row = _attendee(session, meeting_id, staff_id)
        check_version(
            session,
            row,
            MeetingAttendee.__tablename__,
            seen.get(staff_id),
            conflict=MeetingConflictError,
            may_be_new=True,
        )
        rows[staff_id] = row
    written: list[MeetingAttendee] = []
    for staff_id, attendance in changes.items():
        row = rows[staff_id]
        if row is None:
            row = MeetingAttendee(meeting_id=meeting_id, staff_id=staff_id)
            session.add(row)
        row.attendance = attendance
        written.append(row)
    session.flush()
    return written
