"""The carer picker says so when its filter matches nobody: its list is a LazyTable of
``height: auto``, which was one line tall when empty (the header), so the empty text on
its second line was never drawn and the picker showed a blank line."""

from __future__ import annotations

import html
import re

import pytest
from pilot_helpers import wait_for
from textual.app import App

from coordinator_tui.screens.rota.dialogs import CarerPicker
from coordinator_tui.services.rota.assign import Candidate
from coordinator_tui.widgets.lazy_table import LazyTable

EMPTY = "No carer by that name."


def screen_text(app: App) -> str:
    """Everything drawn on the terminal now, as text (from the app's own screenshot)."""
    svg = app.export_screenshot()
    svg = re.sub(r"<(style|title)[^>]*>.*?</\1>", "", svg, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def candidates() -> list[Candidate]:
    names = ["Alex Carer", "Bea Carer", "Cal Carer"]  # synthetic
    return [
        Candidate(
            carer_id=number,
            name=name,
            feasible=True,
            score=10 - number,
            travel_added=5,
            continuity=False,
            preferred=False,
            gender_ok=True,
        )
        for number, name in enumerate(names, start=1)
    ]


class PickerApp(App):
    def on_mount(self) -> None:
        self.push_screen(CarerPicker("Mon 23 Nov 08:00 · a visit", candidates()))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_filter_matching_nobody_says_so(size):
    app = PickerApp()
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
        picker = app.screen
        await pilot.press(*"zzz")
        await wait_for(pilot, lambda: not picker.shown)
        table = picker.query_one("#picker-options", LazyTable)
        await wait_for(pilot, lambda: table.row_count == 0)
        await pilot.pause()
        assert EMPTY in screen_text(app)
        assert table.region.height >= 2, table.region
        # A filter matching someone again shows the rows, and no empty text.
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*"bea")
        await wait_for(pilot, lambda: len(picker.shown) == 1)
        await pilot.pause()
        text = screen_text(app)
        assert "Bea Carer" in text and EMPTY not in text
