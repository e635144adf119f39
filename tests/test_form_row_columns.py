"""The rows forms' columns: each but the last has a one-cell gap after it, the last none.

The last column was picked out by ``:last-of-type``. A structural pseudo-class on a rule
keyed by ``Vertical`` marks every ``Vertical`` in the app, and Textual then restyles each
one, with everything inside it, again after every mount (``Widget.mount``'s update of
order styles): a second styling of whole screen bodies on every open (found while cutting
the rota's cold open, issue 23). The last column now carries a class instead, and no
stylesheet of the app uses a structural pseudo-class.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from pilot_helpers import wait_for
from textual.app import App
from textual.containers import Vertical

from coordinator_tui.app import CoordinatorApp
from coordinator_tui.screens.care.base import CareFormDialog
from coordinator_tui.screens.form_dialog import FORM_DIALOG_CSS, Field, FormDialog
from coordinator_tui.screens.governance.forms import RowsFormDialog

TODAY = date(2026, 11, 23)
STRUCTURAL = re.compile(r":(first-of-type|last-of-type|first-child|last-child|empty)\b")


class _RowsApp(App[None]):
    """A rows form alone: three fields side by side, then one on its own row, styled by
    the app's stylesheets (the form's rules are among them)."""

    CSS_PATH = CoordinatorApp.CSS_PATH

    def __init__(self, dialog: type[FormDialog]) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        rows = [
            [
                Field("a", "First", "text"),
                Field("b", "Second", "text"),
                Field("c", "Third", "text"),
            ],
            [Field("d", "Alone", "text")],
        ]
        self.push_screen(self.dialog("Columns", rows, TODAY))  # type: ignore[call-arg]


@pytest.mark.parametrize("dialog", [RowsFormDialog, CareFormDialog])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_last_column_of_each_row_has_no_gap_after_it(
    dialog: type[FormDialog], size: tuple[int, int]
) -> None:
    app = _RowsApp(dialog)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, dialog) and app.screen.focused)
        rows = list(app.screen.query(".form-row"))
        assert len(rows) == 2
        for row, count in zip(rows, (3, 1), strict=True):
            columns = list(row.query_children(Vertical))
            assert len(columns) == count
            gaps = [column.styles.margin.right for column in columns]
            assert gaps == [1] * (count - 1) + [0]
            # the last column reaches the row's right edge
            assert columns[-1].region.right == row.content_region.right


def test_no_stylesheet_of_the_app_uses_a_structural_pseudo_class() -> None:
    """``:first-of-type``, ``:last-of-type``, ``:first-child``, ``:last-child`` and
    ``:empty`` make Textual restyle every widget of the rule's type after each mount."""
    sheets = {*CoordinatorApp.CSS_PATH, FORM_DIALOG_CSS}
    found = [
        f"{sheet.name}:{number}: {line.strip()}"
        for sheet in sorted(sheets)
        for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), 1)
        if STRUCTURAL.search(line.split("/*")[0])
    ]
    assert found == []
