"""The two series helpers the Meetings screen and CLI use: every series materialised at
once (idempotent), and a start time typed by hand."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Meeting
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings.series import materialise_all, parse_clock

TODAY = date(2026, 11, 23)


def test_materialise_all_creates_the_coming_meetings_once(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        before = s.exec(select(func.count()).select_from(Meeting)).one()
        created = materialise_all(s, today=TODAY)
        # The demo's PCN series has December and January; February 2027 is new.
        assert [m.starts_at.date() for m in created] == [date(2027, 2, 2)]
        assert materialise_all(s, today=TODAY) == []
        assert s.exec(select(func.count()).select_from(Meeting)).one() == before + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12:30", time(12, 30)), ("12.30", time(12, 30)), ("1230", time(12, 30)), ("9", time(9))],
)
def test_parse_clock(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["", "noon", "24:00", "12:60", "12:3"])
def test_parse_clock_refuses(text):
    with pytest.raises(MeetingError):
        parse_clock(text)
