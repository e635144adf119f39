"""The footer at 80 columns (issue 22): a screen's keys take a second line when one line
cannot hold them, so Start, Finish, Attendance and Export are never cut; at 120 columns
one line holds them; a click on a key on either line presses it."""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.widgets.footer import Footer

DECEMBER = 5  # the demo's next planned meeting


class KeysScreen(Screen):
    BINDINGS = [
        Binding(key, f"app.press('{key}')", f"Action {n}", id=f"k{n}")
        for n, key in enumerate("abcdefghij")
    ]

    def compose(self) -> ComposeResult:
        yield Static("body", id="body")
        yield Footer()


class Keys(App):
    """A screen with ten keys, and the app's own key (quit) as every screen has."""

    BINDINGS = [Binding("ctrl+q", "quit", "Quit the application", id="quit")]

    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())

    def action_press(self, key: str) -> None:
        self.pressed.append(key)


def footer_text(app) -> str:
    return app.screen.query_one(Footer).render().plain


async def test_keys_that_do_not_fit_take_a_second_line_and_clicks_work() -> None:
    app = Keys()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        assert footer.size.height == 2
        lines = footer_text(app).split("\n")
        assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
        text = " ".join(lines)
        assert all(f"Action {n}" in text for n in range(10))
        assert app.screen.query_one("#body").region.bottom <= footer.region.y  # not under it
        # A click on a key of the second line presses that key.
        second = lines[1]
        x = second.index("j Action 9") + 1
        await pilot.click(Footer, offset=(x, 1))
        assert app.pressed == ["j"]
        await pilot.resize_terminal(200, 12)
        await wait_for(pilot, lambda: footer.size.height == 1)
        assert "\n" not in footer_text(app)
        # The screen's keys fit in one line, the app's own key does not: it is left off
        # rather than taking a second line.
        await pilot.resize_terminal(150, 12)
        await wait_for(pilot, lambda: footer.size.height == 1)
        text = footer_text(app)
        assert "Action 9" in text and "Quit the application" not in text


async def test_too_many_keys_drop_the_gaps_then_the_last_keys() -> None:
    app = Keys()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        text = footer_text(app)
        assert len(text.split("\n")) == 2
        assert "a Action 0 b" in text  # tight: no gap around the keys
        assert "Action 0" in text and "Action 9" not in text  # last left off


def shown_keys(screen) -> list[str]:
    """The descriptions of the screen's own keys that the footer should show."""
    return [
        active.binding.description
        for active in screen.active_bindings.values()
        if active.binding.show and active.node is screen
    ]


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"])
async def test_every_section_shows_all_its_keys_at_80x24(
    demo_settings, small_demo_engine, key: str
) -> None:
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await wait_for(
            pilot,
            lambda: getattr(app.screen, "MODE", "") and getattr(app.screen, "loaded", True),
        )
        await pilot.pause()
        text = footer_text(app)
        missing = [d for d in shown_keys(app.screen) if d not in text]
        assert not missing, (app.screen.__class__.__name__, missing, text)


async def test_meeting_screens_show_start_finish_attendance_export_at_80x24(
    demo_settings, small_demo_engine
) -> None:
    from coordinator_tui.screens.meetings.minuting import MinutingScreen
    from coordinator_tui.screens.meetings.triage import MeetingTriageScreen

    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, MeetingTriageScreen) and app.screen.loaded
        )
        await pilot.pause()
        text = footer_text(app)
        assert "Start" in text and "Attendees" in text
        assert not [d for d in shown_keys(app.screen) if d not in text], text
        await pilot.press("escape")
    with session_scope(small_demo_engine, "t") as s:
        from coordinator_tui.services.meetings.minuting import start_meeting

        start_meeting(s, DECEMBER)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded)
        await pilot.pause()
        text = footer_text(app)
        for word in ("Finish", "Attendance", "Export", "Action", "Decision", "Next item"):
            assert word in text, text
