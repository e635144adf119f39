"""The date widget shows what it understood as you type."""

from __future__ import annotations

from datetime import date

from textual.app import App, ComposeResult

from coordinator_tui.widgets.date_input import DateInput


class DateApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[date | None] = []

    def compose(self) -> ComposeResult:
        yield DateInput(today=date(2026, 11, 23), id="when")

    def on_date_input_changed(self, event: DateInput.Changed) -> None:
        self.changes.append(event.value)


def status(app: DateApp) -> str:
    return str(app.query_one(".date-status").render())


async def test_shows_resolved_date_and_errors():
    app = DateApp()
    async with app.run_test() as pilot:
        widget = app.query_one(DateInput)
        await pilot.press(*"3/12")
        await pilot.pause()
        assert "Thu 3 Dec 2026" in status(app)
        assert widget.value == date(2026, 12, 3)
        assert app.changes[-1] == date(2026, 12, 3)
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"31/11")
        await pilot.pause()
        assert widget.value is None
        assert "✗" in status(app) and "30 days" in status(app)
        assert widget.has_class("-invalid")
        widget.set_date(date(2027, 1, 4))
        await pilot.pause()
        assert widget.value == date(2027, 1, 4)
        assert "Mon 4 Jan 2027" in status(app)
