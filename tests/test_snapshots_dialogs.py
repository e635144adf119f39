"""The look of the dialogs the house snapshots did not yet guard (issue 13 §3), at 80x24
and 120x40: the meetings directory picker, the manual agenda item, attendance, Plan C's
time picker, the rota solver's "why this carer", the account form, the password prompt
(step-up), the export password's prompt and a care form (a medication change).

On the small demo pinned to ``DEMO_TODAY`` (Home at noon, as in
``tests/test_snapshots_house.py``). Each dialog is reached with the keys a coordinator
presses, except two whose content comes from machinery that is not the dialog's: the
time picker is given the real options Plan C works out for a demo visit (reaching it by
keys is the rota feedback test's job), and the solver's explanation is given fixed
figures (a solve is cut off by time, so its figures differ between runs).

After an intended change of look: ``pytest tests/test_snapshots_dialogs.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.services.meetings.minuting import start_meeting

SIZES = [(80, 24), (120, 40)]
IDS = [f"{w}x{h}" for w, h in SIZES]
DECEMBER = 5  # the demo's next meeting, first in the Meetings list


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture(autouse=True)
def _home_at_noon(monkeypatch):
    """Home's counts at noon of the pinned date, whatever the hour the suite runs."""
    from coordinator_tui.clock import UK
    from coordinator_tui.settings import Settings

    monkeypatch.setattr(
        Settings,
        "current_moment",
        lambda self: datetime.combine(self.current_date(), time(12, 0), tzinfo=UK),
    )


def _name(pilot) -> str:
    return type(pilot.app.screen).__name__


def _loaded(pilot) -> bool:
    screen = pilot.app.screen
    return bool(getattr(screen, "loaded", True)) and getattr(screen, "counts", True) is not None


async def _at(pilot, name: str) -> None:
    """Wait for screen ``name`` to be on top and loaded."""
    await _wait(pilot, lambda: _name(pilot) == name and _loaded(pilot))
    await pilot.pause()


async def _backdrop(pilot) -> None:
    """Registers, behind a dialog pushed by hand: its rows are fixed by the pinned date,
    where Home's visit counts move with the clock."""
    await _at(pilot, "HomeScreen")
    await pilot.press("2")
    await _wait(pilot, lambda: _name(pilot) != "HomeScreen" and _loaded(pilot))
    await pilot.pause()


async def _dialog(pilot, name: str) -> None:
    """Wait for dialog ``name`` with the focus in it; steady cursors, not a blink (in the
    screens beneath too: the minuting notes' cursor shows through the attendance)."""
    await _wait(pilot, lambda: _name(pilot) == name and pilot.app.screen.focused is not None)
    for screen in pilot.app.screen_stack:
        for field in screen.query("Input, TextArea"):
            field.cursor_blink = False
    await pilot.pause(0.1)
    await pilot.pause()


# (section key, [(key pressed, the screen it opens)], the dialog's class)
BY_KEYS = {
    "directory_picker": ("4", [("v", "AttendeesScreen"), ("i", None)], "DirectoryPicker"),
    "manual_agenda_item": (
        "4",
        [("enter", "MeetingTriageScreen"), ("a", None)],
        "ManualItemDialog",
    ),
    "care_form": ("6", [("E", "CareChangesScreen"), ("n", None)], "CareFormDialog"),
}


class TestDialogsByKeys:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    @pytest.mark.parametrize("dialog", list(BY_KEYS))
    def test_dialog(self, snap_compare, demo_settings, small_demo_engine, dialog, size):
        section, steps, name = BY_KEYS[dialog]
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _at(pilot, "HomeScreen")
            await pilot.press(section)
            await pilot.pause()
            await _wait(pilot, lambda: _name(pilot) != "HomeScreen" and _loaded(pilot))
            for key, screen in steps:
                await pilot.press(key)
                if screen is not None:
                    await _at(pilot, screen)
            await _dialog(pilot, name)

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_manual_agenda_item_refused(self, snap_compare, demo_settings, small_demo_engine, size):
        """Saved with no title: the one error line is in view at 80x24, the form kept."""
        app = make_app(demo_settings, small_demo_engine)

        async def refused(pilot):
            await _at(pilot, "HomeScreen")
            await pilot.press("4")
            await _at(pilot, "MeetingsScreen")
            await pilot.press("enter")
            await _at(pilot, "MeetingTriageScreen")
            await pilot.press("a")
            await _dialog(pilot, "ManualItemDialog")
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "✗" in str(app.screen.query_one("#form-error").render()))
            await pilot.pause(0.1)

        assert snap_compare(app, terminal_size=size, run_before=refused)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_attendance(self, snap_compare, demo_settings, small_demo_engine, size):
        """``ctrl+t`` while minuting: everyone invited, one key each."""
        with session_scope(small_demo_engine, "setup") as session:
            start_meeting(session, DECEMBER)
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _at(pilot, "HomeScreen")
            await pilot.press("4")
            await _at(pilot, "MeetingsScreen")
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: (
                    _name(pilot) == "MinutingScreen"
                    and app.screen.loaded
                    and app.screen.facts is not None
                ),
            )
            await pilot.press("ctrl+t")
            await _dialog(pilot, "AttendanceDialog")

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_account_form(self, snap_compare, demo_settings, small_demo_engine, size):
        """Users (administrators, from the palette), ``a``: a new account."""
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _at(pilot, "HomeScreen")
            app.open_users()  # what the palette's "Users" runs
            await _at(pilot, "UsersScreen")
            await pilot.press("a")
            await _dialog(pilot, "AccountForm")

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_password_prompt(self, snap_compare, demo_settings, small_demo_engine, size):
        """Exporting or printing asks for the password again (step-up)."""
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _backdrop(pilot)
            app.confirm_identity_then()  # what an export runs first
            await _dialog(pilot, "StepUpScreen")

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_export_password_prompt(self, snap_compare, demo_settings, small_demo_engine, size):
        """An encrypted database's export asks for the export password (issue 17 §5)."""
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _backdrop(pilot)
            app.ask_export_password()  # what an export with none held runs
            await _dialog(pilot, "ExportPasswordScreen")
            # Typed twice, too short: the one line says why, the typing kept (masked).
            await pilot.press(*"lantern", "enter", *"lantern", "enter")
            await _wait(
                pilot, lambda: "short" in str(app.screen.query_one("#signin-message").render())
            )

        assert snap_compare(app, terminal_size=size, run_before=opened)


class TestDialogsGiven:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_time_picker(self, snap_compare, demo_settings, small_demo_engine, size):
        """Plan C's times within a visit's window, with the carers free then."""
        from test_rota_cover import BEFORE_THE_WEEK, movable_visit, to_plan_c

        from coordinator_tui.clock import to_local
        from coordinator_tui.models import Visit
        from coordinator_tui.screens.rota.dialogs import TimePicker
        from coordinator_tui.services.rota import plan_c

        carer, visit_id = movable_visit(small_demo_engine)
        to_plan_c(small_demo_engine, carer, visit_id)
        with session_scope(small_demo_engine, "t") as s:
            options = plan_c.time_options(s, visit_id, now=BEFORE_THE_WEEK)
            first, last = plan_c.window_of(s, visit_id)
            visit = s.get(Visit, visit_id)
            title = (  # as Plan B's call list titles it (the customer's name left out)
                f"{to_local(visit.start_at):%a %d/%m %H:%M} Customer A: "
                f"window {first:%H:%M}-{last:%H:%M}"
            )
        assert options
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _backdrop(pilot)
            app.push_screen(TimePicker(title, options))
            await _dialog(pilot, "TimePicker")

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_solver_explain(self, snap_compare, demo_settings, small_demo_engine, size):
        """Why this carer: the points by part for them and the next best, and who cannot."""
        from coordinator_tui.screens.rota.solve import ExplainDialog
        from coordinator_tui.services.rota.solver.proposal import Explanation, Option

        def option(name: str, points: float, why_not: str = "", **parts: float) -> Option:
            return Option(0, name, not why_not, why_not, points, parts)

        found = Explanation(
            1,
            option("Ann Carer", 12, continuity=-20, travel=18, wishes=0, hours=10, changes=4),
            (
                option("Ben Carer", 31, continuity=0, travel=25, wishes=2, hours=0, changes=4),
                option("Cat Carer", 0, why_not="on another visit at 08:15 (double booked)"),
            ),
        )
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _backdrop(pilot)
            app.push_screen(ExplainDialog("Customer A Tue 24 Nov 08:00", found))
            await _wait(pilot, lambda: _name(pilot) == "ExplainDialog")
            await pilot.pause(0.1)

        assert snap_compare(app, terminal_size=size, run_before=opened)
