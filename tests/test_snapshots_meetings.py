"""The look of the meeting screens at 80x24 and 120x40 (pytest-textual-snapshot): the
Meetings list, pre-meeting triage and live minuting, on the small demo pinned to
DEMO_TODAY.

After an intended change of look: ``pytest tests/test_snapshots_meetings.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.services.meetings.minuting import start_meeting

SIZES = [(80, 24), (120, 40)]
DECEMBER = 5  # the demo's next meeting, first in the list


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


def _name(app) -> str:
    return app.screen.__class__.__name__


class TestMeetings:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_triage(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("4")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: _name(app) == "MeetingTriageScreen" and app.screen.loaded,
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_triage_proposed_filtered_marked(
        self, snap_compare, demo_settings, small_demo_engine, size
    ):
        """p (what fits the time, most at risk first), a filter and two marks (issue 22)."""
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("4")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: _name(app) == "MeetingTriageScreen" and app.screen.loaded,
            )
            await pilot.press("p")
            await _wait(pilot, lambda: app.screen.held_back > 0 and app.screen.loaded)
            await pilot.press("slash", *"referral", "enter", "space", "space")
            await pilot.pause()
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_minuting(self, snap_compare, demo_settings, small_demo_engine, size):
        with session_scope(small_demo_engine, "setup") as session:
            start_meeting(session, DECEMBER)
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("4")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: (
                    _name(app) == "MinutingScreen"
                    and app.screen.loaded
                    and app.screen.facts is not None
                ),
            )
            await pilot.press("ctrl+l", *"HV +2w chase school nurse re attendance")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    def test_action_tracker(self, snap_compare, demo_settings, small_demo_engine):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("4")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("t")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
