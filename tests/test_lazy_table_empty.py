"""A LazyTable with no rows shows its empty text below its header, whatever its height
rule: the carer picker and the Reports list are ``height: auto``, and an auto table was
sized to its header alone, so "No carer by that name." and "Loading…" were never drawn."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row


class _Tables(App):
    CSS = "#auto { height: auto; } #fixed { height: 6; }"

    def compose(self) -> ComposeResult:
        yield LazyTable([Column("Name", 20)], empty_text="Nothing here.", id="auto")
        yield LazyTable([Column("Name", 20)], empty_text="None yet.", id="fixed")


def _shown(app: App) -> str:
    """The lines each table draws in the height it was given."""
    return "\n".join(
        table.render_line(y).text
        for table in app.query(LazyTable)
        for y in range(table.size.height)
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_an_empty_table_shows_its_empty_text_at_any_height(size) -> None:
    app = _Tables()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        auto = app.query_one("#auto", LazyTable)
        assert auto.size.height == 2  # the header and the empty text
        shown = _shown(app)
        assert "Nothing here." in shown and "None yet." in shown
        auto.set_source(ListSource([Row(n, (f"Carer {n}",)) for n in range(3)]))
        await pilot.pause()
        assert auto.size.height == 4  # the header and three rows
        assert "Nothing here." not in _shown(app)
