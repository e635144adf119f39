"""Meeting series: recurrence rules table-driven, materialising meetings, attendees."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from coordinator_tui.clock import to_local
from coordinator_tui.db import session_scope
from coordinator_tui.models import Meeting, MeetingAttendee, MeetingStatus, Practice, Staff
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings import series as ser

TODAY = date(2026, 11, 24)
NOON_THIRTY = time(12, 30)


def _days(rule: str, after: date, count: int) -> list[date]:
    return [o.day for o in ser.occurrences(rule, NOON_THIRTY, after=after, count=count)]


@pytest.mark.parametrize(
    ("label", "rule", "after", "expected"),
    [
        (
            "first Tuesday of each month",
            "FREQ=MONTHLY;BYDAY=1TU",
            TODAY,
            [date(2026, 12, 1), date(2027, 1, 5), date(2027, 2, 2), date(2027, 3, 2)],
        ),
        (
            "on the day itself counts",
            "FREQ=MONTHLY;BYDAY=1TU",
            date(2026, 12, 1),
            [date(2026, 12, 1), date(2027, 1, 5)],
        ),
        (
            "the 31st skips months without one (RFC 5545), never moves to the 30th",
            "FREQ=MONTHLY;BYMONTHDAY=31",
            date(2027, 1, 1),
            [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)],
        ),
        (
            "last day of the month, leap February included",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            date(2027, 12, 1),
            [date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)],
        ),
        (
            "the 30th has no February",
            "FREQ=MONTHLY;BYMONTHDAY=30",
            date(2027, 1, 1),
            [date(2027, 1, 30), date(2027, 3, 30), date(2027, 4, 30)],
        ),
        (
            "fifth Tuesday only in months that have five",
            "FREQ=MONTHLY;BYDAY=5TU",
            TODAY,
            [date(2026, 12, 29), date(2027, 3, 30), date(2027, 6, 29), date(2027, 8, 31)],
        ),
        (
            "last Tuesday of each month",
            "FREQ=MONTHLY;BYDAY=-1TU",
            TODAY,
            [date(2026, 11, 24), date(2026, 12, 29), date(2027, 1, 26)],
        ),
        (
            "every other Wednesday counted from the series' first date",
            "DTSTART:20261202\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
            date(2026, 12, 3),
            [date(2026, 12, 16), date(2026, 12, 30), date(2027, 1, 13)],
        ),
        (
            "every two months on the second Thursday",
            "DTSTART:20261101\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=2TH",
            TODAY,
            [date(2027, 1, 14), date(2027, 3, 11), date(2027, 5, 13)],
        ),
        (
            "yearly on the first Monday of March",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=1MO",
            TODAY,
            [date(2027, 3, 1), date(2028, 3, 6)],
        ),
    ],
)
def test_recurrence_rules(label, rule, after, expected) -> None:
    assert _days(rule, after, len(expected)) == expected, label


@pytest.mark.parametrize(
    ("rule", "after", "day", "holiday"),
    [
        # Bank holidays are flagged, never moved: the coordinator decides.
        ("FREQ=MONTHLY;BYDAY=-1FR", date(2026, 12, 1), date(2026, 12, 25), "Christmas Day"),
        ("FREQ=MONTHLY;BYDAY=1MO", date(2027, 5, 1), date(2027, 5, 3), "May Day"),
        (
            "FREQ=MONTHLY;BYDAY=-1MO",
            date(2027, 8, 1),
            date(2027, 8, 30),
            "Late Summer Bank Holiday",
        ),
        ("FREQ=MONTHLY;BYDAY=1TU", TODAY, date(2026, 12, 1), None),
    ],
)
def test_bank_holidays_are_flagged_not_moved(rule, after, day, holiday) -> None:
    first = ser.occurrences(rule, NOON_THIRTY, after=after, count=1)[0]
    assert first.day == day
    assert first.bank_holiday == holiday


def test_wall_clock_time_kept_across_summer_time() -> None:
    winter, summer = ser.occurrences(
        "FREQ=MONTHLY;BYDAY=1TU", NOON_THIRTY, after=date(2027, 3, 1), count=2
    )
    assert (winter.starts_at.hour, winter.starts_at.minute) == (12, 30)
    assert (summer.starts_at.hour, summer.starts_at.minute) == (12, 30)
    assert winter.starts_at.utcoffset() == timedelta(0)
    assert summer.starts_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "nonsense",
        "FREQ=HOURLY",
        "FREQ=DAILY",
        "FREQ=MONTHLY;BYHOUR=9",
        "FREQ=MONTHLY;BYDAY=9TU",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTHDAY=40",
        "DTSTART:2026xx01\nRRULE:FREQ=MONTHLY",
    ],
)
def test_bad_rules_refused(rule) -> None:
    with pytest.raises(MeetingError):
        ser.validate_rule(rule)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(weekday="TU", nth=1), "FREQ=MONTHLY;BYDAY=1TU"),
        (dict(weekday="tuesday", nth=-1), "FREQ=MONTHLY;BYDAY=-1TU"),
        (dict(monthday=31), "FREQ=MONTHLY;BYMONTHDAY=31"),
        (dict(frequency="weekly", weekday="WE", interval=2), "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ],
)
def test_make_rule(kwargs, expected) -> None:
    assert ser.make_rule(**kwargs) == expected
    ser.validate_rule(expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(frequency="hourly"),
        dict(weekday="XX"),
        dict(weekday="TU", nth=0),
        dict(weekday="TU", nth=6),
        dict(nth=1),
        dict(monthday=32),
        dict(interval=0),
    ],
)
def test_make_rule_refuses(kwargs) -> None:
    with pytest.raises(MeetingError):
        ser.make_rule(**kwargs)


# -- series in the database ------------------------------------------------------------


@pytest.fixture
def staff(engine) -> dict[str, int]:
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        s.add(practice)
        s.flush()
        coordinator = Staff(
            name="Sam Coordinator",
            initials="SC",
            role="Safeguarding coordinator",
            email="sc@example.nhs.uk",
        )
        gp = Staff(name="Dr Gita Patel", initials="GP1", role="GP", practice_id=practice.id)
        s.add_all([coordinator, gp])
        s.flush()
        return {"practice": practice.id, "coordinator": coordinator.id, "gp": gp.id}


def test_series_materialise_is_idempotent_and_copies_invites(engine, staff) -> None:
    with session_scope(engine, "t") as s:
        series = ser.create_series(
            s,
            name="Alpha safeguarding meeting",
            rule=ser.make_rule(weekday="TU", nth=1),
            start_time=NOON_THIRTY,
            first_on=date(2026, 11, 1),
            practice_id=staff["practice"],
            organiser_staff_id=staff["coordinator"],
            location="Room 1",
        )
        assert series.rrule.startswith("DTSTART:20261101")
        created = ser.materialise(s, series.id, today=TODAY, horizon_days=92)
        assert [to_local(m.starts_at).date() for m in created] == [
            date(2026, 12, 1),
            date(2027, 1, 5),
            date(2027, 2, 2),
        ]
        assert all(to_local(m.starts_at).time() == NOON_THIRTY for m in created)
        assert created[0].title == "Alpha safeguarding meeting 1 December 2026"
        ser.add_attendee(s, created[-1].id, staff["gp"])
        assert ser.materialise(s, series.id, today=TODAY, horizon_days=92) == []
        # The January meeting moves off its date; March is created and invites the
        # people of the latest meeting (February: organiser and GP).
        ser.move_meeting(s, created[1].id, starts_at=datetime(2027, 1, 6, 12, 30))
        later = ser.materialise(s, series.id, today=TODAY, horizon_days=130)
        assert [to_local(m.starts_at).date() for m in later] == [date(2027, 3, 2)]
        invited = set(
            s.scalars(
                select(MeetingAttendee.staff_id).where(MeetingAttendee.meeting_id == later[0].id)
            )
        )
        assert invited == {staff["coordinator"], staff["gp"]}


def test_cancelled_meeting_not_recreated(engine, staff) -> None:
    with session_scope(engine, "t") as s:
        series = ser.create_series(
            s,
            name="PCN MDT",
            rule="FREQ=MONTHLY;BYDAY=1TU",
            start_time=NOON_THIRTY,
            first_on=date(2026, 11, 1),
        )
        first, *_ = ser.materialise(s, series.id, today=TODAY, horizon_days=40)
        ser.cancel_meeting(s, first.id)
        assert ser.materialise(s, series.id, today=TODAY, horizon_days=40) == []
        assert first.status == MeetingStatus.CANCELLED


def test_one_off_meeting_and_attendance(engine, staff) -> None:
    with session_scope(engine, "t") as s:
        meeting = ser.create_meeting(
            s, title="Strategy discussion", starts_at=datetime(2026, 12, 3, 9, 0), location="Teams"
        )
        assert meeting.starts_at.astimezone(UTC) == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        hv = ser.add_professional(
            s,
            name="Hannah Vale",
            role="Health visitor",
            organisation="Community health (test)",
            email="hannah.vale@example.org",
        )
        assert hv.is_external and hv.initials == "HV"
        ser.add_attendee(s, meeting.id, hv.id)
        ser.add_attendee(s, meeting.id, hv.id)  # twice is harmless
        ser.add_attendee(s, meeting.id, staff["coordinator"])
        ser.set_attendance(s, meeting.id, hv.id, "apologies")
        ser.set_attendance(s, meeting.id, staff["gp"], "present")  # came uninvited
        rows = {row.name: row for row in ser.attendees(s, meeting.id)}
        assert rows["Hannah Vale"].attendance == "apologies"
        assert rows["Hannah Vale"].label == "Hannah Vale (Health visitor, Community health (test))"
        assert rows["Dr Gita Patel"].attendance == "present"
        assert rows["Sam Coordinator"].attendance == "invited"
        with pytest.raises(MeetingError):
            ser.set_attendance(s, meeting.id, hv.id, "asleep")
        with pytest.raises(MeetingError):
            ser.add_professional(s, name="X", role="Midwife", email="not-an-email")
        with pytest.raises(MeetingError):
            ser.create_meeting(s, title=" ", starts_at=datetime(2026, 12, 3, 9, 0))


def test_list_meetings_upcoming(engine, staff) -> None:
    with session_scope(engine, "t") as s:
        ser.create_meeting(s, title="Past", starts_at=datetime(2026, 10, 1, 12, 0))
        ser.create_meeting(s, title="Soon", starts_at=datetime(2026, 12, 1, 12, 0))
        ser.create_meeting(s, title="Later", starts_at=datetime(2027, 1, 1, 12, 0))
        assert [r.title for r in ser.list_meetings(s, upcoming_from=TODAY)] == ["Soon", "Later"]
        assert [r.title for r in ser.list_meetings(s)] == ["Later", "Soon", "Past"]
        assert s.scalar(select(Meeting).where(Meeting.title == "Soon")).duration_minutes == 60


# -- the repeat rule in words (the new-series form) ---------------------------------------


@pytest.mark.parametrize(
    ("words", "rule", "described"),
    [
        ("first Tuesday monthly", "FREQ=MONTHLY;BYDAY=1TU", "first Tuesday of each month"),
        ("First Tuesday of each month", "FREQ=MONTHLY;BYDAY=1TU", "first Tuesday of each month"),
        ("last Friday of the month", "FREQ=MONTHLY;BYDAY=-1FR", "last Friday of each month"),
        ("2nd wed monthly", "FREQ=MONTHLY;BYDAY=2WE", "second Wednesday of each month"),
        ("every other Wednesday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "Wednesday, every other week"),
        (
            "fortnightly on Thursday",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
            "Thursday, every other week",
        ),
        ("every Monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        ("weekly on Mondays", "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        (
            "every 2 months on the second Thursday",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TH",
            "second Thursday of every other month",
        ),
        ("15th monthly", "FREQ=MONTHLY;BYMONTHDAY=15", "day 15 of each month"),
        ("monthly on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15", "day 15 of each month"),
        ("last day of the month", "FREQ=MONTHLY;BYMONTHDAY=-1", "last day of each month"),
        (
            "every 3 months on the 1st",
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
            "day 1 of every 3 months",
        ),
    ],
)
def test_rule_in_words(words, rule, described):
    assert ser.rule_from_words(words) == rule
    assert ser.describe_rule(rule) == described
    assert ser.describe_rule(f"DTSTART:20261201\nRRULE:{rule}") == described
    ser.validate_rule(words)  # parse_rule reads the words too


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "Give the repeat rule"),
        ("first Blursday monthly", "'blursday' is not a day of the week"),
        ("sometimes", "Could not read 'sometimes'"),
        ("first Tuesday weekly", "repeat monthly, not weekly"),
        ("Tuesday monthly", "Which one of the month"),
        ("Tuesday Wednesday", "one day of the week"),
    ],
)
def test_rule_in_words_refused(words, message):
    with pytest.raises(MeetingError, match=message):
        ser.rule_from_words(words)


def test_preview_and_series_from_words(small_demo_engine):
    first = date(2026, 11, 23)
    shown = ser.preview_rule("first Wednesday monthly", NOON_THIRTY, first_on=first)
    assert [o.day for o in shown] == [date(2026, 12, 2), date(2027, 1, 6), date(2027, 2, 3)]
    with pytest.raises(MeetingError):
        ser.preview_rule("whenever", NOON_THIRTY, first_on=first)
    with session_scope(small_demo_engine, "t") as s:
        series = ser.create_series(
            s,
            name="Huddle",
            rule="last Friday of the month",
            start_time=NOON_THIRTY,
            first_on=first,
        )
        assert series.rrule == "DTSTART:20261123\nRRULE:FREQ=MONTHLY;BYDAY=-1FR"
        listed = {row.id: row for row in ser.list_series(s, today=first)}
        assert listed[series.id].rule == "last Friday of each month"
        assert listed[series.id].next_day == date(2026, 11, 27)
        ser.set_series_active(s, series.id, False)
        assert ser.list_series(s, today=first)[-1].next_day is None
        with pytest.raises(MeetingError, match="no longer active"):
            ser.materialise(s, series.id, today=first)
