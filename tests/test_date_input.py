"""The date widget shows what it understood as you type, in words, and says why not."""

from __future__ import annotations

from datetime import date

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from coordinator_tui.widgets.date_input import DateInput

TODAY = date(2026, 11, 23)  # a Monday


class DateApp(App[None]):
    """One DateInput, recording every message it posts."""

    def __init__(self, value: str = "", required: bool = False) -> None:
        super().__init__()
        self.value = value
        self.required = required
        self.changes: list[date | None] = []
        self.submitted: list[date] = []

    def compose(self) -> ComposeResult:
        yield DateInput(value=self.value, today=TODAY, required=self.required, id="when")

    def on_mount(self) -> None:
        self.query_one(DateInput).focus()

    def on_date_input_changed(self, event: DateInput.Changed) -> None:
        assert event.control is self.query_one(DateInput)
        self.changes.append(event.value)

    def on_date_input_submitted(self, event: DateInput.Submitted) -> None:
        self.submitted.append(event.value)


def status(app: App) -> str:
    return str(app.query_one(".date-status", Static).render())


async def clear(pilot) -> None:
    """Delete the field's text with keys, as a user would."""
    field = pilot.app.query_one(Input)
    await pilot.press("end", *["backspace"] * len(field.value))
    assert field.value == ""


async def test_typing_shows_the_resolved_date() -> None:
    app = DateApp()
    async with app.run_test() as pilot:
        widget = app.query_one(DateInput)
        assert isinstance(app.focused, Input)  # focus() lands on the text field
        assert status(app) == ""
        assert widget.value is None and widget.is_valid  # empty and optional
        await pilot.press(*"3/12")
        await pilot.pause()
        assert "Thu 3 Dec 2026" in status(app)
        assert status(app).startswith("✓")
        assert widget.value == date(2026, 12, 3)
        assert widget.is_valid and widget.error == ""
        assert not widget.has_class("-invalid")
        assert widget.text == "3/12"


async def test_impossible_date_shows_why_in_words() -> None:
    app = DateApp()
    async with app.run_test() as pilot:
        widget = app.query_one(DateInput)
        await pilot.press(*"31/11")
        await pilot.pause()
        assert widget.value is None
        assert not widget.is_valid
        assert status(app) == "✗ 31/11 is not a date: November has 30 days"
        assert widget.error == "31/11 is not a date: November has 30 days"
        assert widget.has_class("-invalid")
        await clear(pilot)
        await pilot.press(*"+2w")
        await pilot.pause()
        assert widget.value == date(2026, 12, 7)
        assert "Mon 7 Dec 2026" in status(app)
        assert not widget.has_class("-invalid")


async def test_changed_is_posted_on_each_edit() -> None:
    app = DateApp()
    async with app.run_test() as pilot:
        await pilot.press(*"fri")
        await pilot.pause()
        assert app.changes[-3:] == [None, None, date(2026, 11, 27)]  # "f", "fr", "fri"
        await pilot.press("backspace")
        await pilot.pause()
        assert app.changes[-1] is None


async def test_submitted_only_when_valid() -> None:
    app = DateApp()
    async with app.run_test() as pilot:
        await pilot.press(*"31/11", "enter")
        await pilot.pause()
        assert app.submitted == []
        await clear(pilot)
        await pilot.press(*"tomorrow", "enter")
        await pilot.pause()
        assert app.submitted == [date(2026, 11, 24)]


async def test_initial_value_and_set_date() -> None:
    app = DateApp(value="25/12/2026")
    async with app.run_test() as pilot:
        widget = app.query_one(DateInput)
        await pilot.pause()
        assert widget.value == date(2026, 12, 25)
        assert "Fri 25 Dec 2026" in status(app)
        assert "bank holiday" in status(app)  # said in words, not only colour
        widget.set_date(date(2027, 1, 4))
        assert widget.value == date(2027, 1, 4)  # at once, not after the next message
        await pilot.pause()
        assert app.query_one(Input).value == "04/01/2027"
        assert "Mon 4 Jan 2027" in status(app)
        widget.set_date(None)
        await pilot.pause()
        assert widget.value is None and widget.text == ""
        assert status(app) == ""


async def test_required_empty_field_is_invalid() -> None:
    app = DateApp(required=True)
    async with app.run_test() as pilot:
        widget = app.query_one(DateInput)
        await pilot.pause()
        assert not widget.is_valid
        assert "Required" in status(app)
        await pilot.press(*"today")
        await pilot.pause()
        assert widget.is_valid and widget.value == TODAY


def test_value_is_readable_before_mount() -> None:
    widget = DateInput(value="3 Dec 2026", today=TODAY)
    assert widget.value == date(2026, 12, 3)
    assert widget.text == "3 Dec 2026"
    widget.set_date(date(2027, 3, 26))
    assert widget.value == date(2027, 3, 26)
    assert DateInput(value="31/11", today=TODAY).error.endswith("November has 30 days")
