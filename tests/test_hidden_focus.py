"""No screen of the app leaves the focus on a widget that is not displayed.

Textual's auto-focus (``Screen.AUTO_FOCUS``, "*" unless a screen names one) takes the
first match whose ``focusable`` is true, and ``focusable`` looks at ``visibility``, not at
``display``: a hidden ``/`` filter box placed first was focused, and keys typed at once
went into it unseen (tests/test_queue_filter_early.py). The six screens with such a box
name their list; ``CoordinatorScreen`` guards every screen, including those to come."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from coordinator_tui.screens.base import CoordinatorScreen


class _HiddenFirst(CoordinatorScreen):
    """Named nothing for auto-focus; its first input is hidden until asked for."""

    def compose(self) -> ComposeResult:
        box = Input(id="hidden-box")
        box.display = False
        yield box
        with Vertical(id="hidden-pane") as pane:
            pane.display = False
            yield Input(id="in-hidden-pane")
        yield DataTable(id="the-list")
        yield Input(id="shown-box")


class _NamesAHiddenOne(_HiddenFirst):
    AUTO_FOCUS = "Input"


class _OnlyHidden(CoordinatorScreen):
    def compose(self) -> ComposeResult:
        box = Input(id="hidden-box")
        box.display = False
        yield box


class _Host(App[None]):
    def __init__(self, screen: CoordinatorScreen) -> None:
        super().__init__()
        self._first = screen

    def on_mount(self) -> None:
        self.push_screen(self._first)


async def test_the_first_displayed_widget_takes_the_focus_not_a_hidden_box():
    app = _Host(_HiddenFirst())
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "the-list"
        await pilot.press("a")  # typed keys go to what is seen, not into the hidden box
        assert app.screen.query_one("#hidden-box", Input).value == ""


async def test_a_named_auto_focus_matching_a_hidden_box_first_takes_the_first_shown_match():
    app = _Host(_NamesAHiddenOne())
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "shown-box"
        await pilot.press("x")
        assert app.screen.query_one("#shown-box", Input).value == "x"
        assert app.screen.query_one("#hidden-box", Input).value == ""


async def test_a_screen_with_nothing_displayed_to_focus_focuses_nothing():
    app = _Host(_OnlyHidden())
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is None


async def test_a_box_shown_by_the_screen_keeps_the_focus_it_is_given():
    """The guard only acts on a hidden focus: a box shown then focused stays focused."""
    app = _Host(_HiddenFirst())
    async with app.run_test() as pilot:
        await pilot.pause()
        box = app.screen.query_one("#hidden-box", Input)
        box.display = True
        box.focus()
        await pilot.pause()
        app.screen.post_message(events.ScreenResume())  # as coming back to it
        await pilot.pause()
        assert app.focused is box
