"""FilterInput calls its screen back as the text changes, before ``Changed`` is handled,
so the filtered list is drawn in the same frame as the character typed."""

from __future__ import annotations

from textual.app import App, ComposeResult

from coordinator_tui.widgets.filter_input import FilterInput


class OneFilter(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.changed: list[str] = []

    def compose(self) -> ComposeResult:
        yield FilterInput(self.seen.append, id="f")

    def on_input_changed(self, event: FilterInput.Changed) -> None:
        self.changed.append(event.value)


async def test_every_change_reaches_the_callback_in_order():
    app = OneFilter()
    async with app.run_test() as pilot:
        await pilot.press(*"smi", "backspace")
        await pilot.pause()
        assert app.seen == ["s", "sm", "smi", "sm"]
        assert app.changed == app.seen  # Changed is still posted for anyone else
        app.query_one(FilterInput).value = ""
        await pilot.pause()
        assert app.seen[-1] == ""
