"""A meeting starts on its day (issue 22 §1): started and finished a month early, it wrote
future-dated entries into people's chronologies. Starting it on another day asks to
confirm and moves it to today; more than a day ahead it is refused."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pilot_helpers import wait_for
from sqlalchemy import select
from textual.widgets import Static

from coordinator_tui.app import make_app
from coordinator_tui.clock import to_local
from coordinator_tui.db import session_scope
from coordinator_tui.models import ChronologyEntry, Meeting
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.meetings.triage import MeetingTriageScreen
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings.minuting import (
    add_decision,
    finish_meeting,
    minuting_items,
    plan_start,
    start_meeting,
)

DECEMBER = 5  # the small demo's next meeting: Tuesday 1 December 2026, 12:30
ON_THE_DAY = date(2026, 12, 1)


def meeting(engine) -> tuple[str, datetime]:
    with session_scope(engine, "t") as s:
        row = s.get(Meeting, DECEMBER)
        return row.status, to_local(row.starts_at)


@pytest.mark.parametrize(
    ("today", "moves"),
    [
        (date(2026, 12, 1), False),  # on its day
        (date(2026, 11, 30), True),  # the day before: moves to today once confirmed
        (date(2026, 12, 3), True),  # held late: moves to today too
    ],
)
def test_when_a_meeting_can_start(small_demo_engine, today, moves):
    with session_scope(small_demo_engine, "t") as s:
        plan = plan_start(s, DECEMBER, today=today)
    assert plan.moves is moves
    assert ("moves it to today" in plan.describe()) is moves


def test_more_than_a_day_ahead_is_refused(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        with pytest.raises(MeetingError, match="cannot start more than a day before"):
            plan_start(s, DECEMBER, today=date(2026, 11, 29))
        with pytest.raises(MeetingError, match="cannot start more than a day before"):
            start_meeting(s, DECEMBER, today=date(2026, 11, 23), move_to_today=True)
    assert meeting(small_demo_engine)[0] == "planned"


def test_starting_on_another_day_needs_the_move_and_keeps_the_time(small_demo_engine):
    today = date(2026, 12, 3)
    with session_scope(small_demo_engine, "t") as s, pytest.raises(MeetingError, match="Confirm"):
        start_meeting(s, DECEMBER, today=today)
    with session_scope(small_demo_engine, "t") as s:
        start_meeting(s, DECEMBER, today=today, move_to_today=True)
    status, starts = meeting(small_demo_engine)
    assert status == "in_progress"
    assert (starts.date(), starts.strftime("%H:%M")) == (today, "12:30")


def test_finishing_a_meeting_still_dated_ahead_dates_the_discussion_today(small_demo_engine):
    """A meeting started before the date was checked: finishing it writes nothing dated
    in the future; the meeting and its decisions are dated the day it finished."""
    today = date(2026, 11, 23)
    with session_scope(small_demo_engine, "setup") as s:
        start_meeting(s, DECEMBER)  # no date check: as an older version started it
        item = next(i for i in minuting_items(s, DECEMBER) if i.person_id is not None)
        add_decision(s, item.id, "Continue the plan")
    with session_scope(small_demo_engine, "t") as s:
        summary = finish_meeting(s, DECEMBER, today=today)
        assert summary.moved_to == today
        days = set(
            s.scalars(
                select(ChronologyEntry.occurred_on).where(
                    ChronologyEntry.source_table == "decision"
                )
            )
        )
    assert days and max(days) <= today
    assert meeting(small_demo_engine)[1].date() == today


# -- the start key on the triage screen ---------------------------------------------------


async def open_triage(pilot, app) -> MeetingTriageScreen:
    app.push_screen(MeetingTriageScreen(DECEMBER))
    await wait_for(pilot, lambda: isinstance(app.screen, MeetingTriageScreen) and app.screen.loaded)
    return app.screen


async def test_start_key_refuses_a_meeting_a_week_ahead(small_demo_engine, demo_settings):
    app = make_app(demo_settings, small_demo_engine)  # today: Monday 23 November
    async with app.run_test(size=(120, 40)) as pilot:
        triage = await open_triage(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(app._notifications))
        messages = [n.message for n in app._notifications]
        assert any("cannot start more than a day before" in m for m in messages)
        assert app.screen is triage  # no confirmation to press through
    assert meeting(small_demo_engine)[0] == "planned"


async def test_start_key_on_another_day_asks_then_moves_the_meeting(
    small_demo_engine, demo_settings
):
    demo_settings.today = date(2026, 12, 2)  # the day after the meeting's date
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        triage = await open_triage(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        context = str(app.screen.query_one("#form-context", Static).content)
        assert "dated Tue 1 Dec 2026" in context and "moves it to today" in context
        await pilot.press("f2")
        await wait_for(pilot, lambda: meeting(small_demo_engine)[0] != "planned")
        await wait_for(pilot, lambda: app.screen is not triage)
    status, starts = meeting(small_demo_engine)
    assert status == "in_progress" and starts.date() == date(2026, 12, 2)
