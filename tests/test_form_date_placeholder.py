# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""A form's date field shows the placeholder its screen gave, or the DateInput's own.

Found by hand: the review queue's snooze (``s``) asks for its date with the hint "+1w",
but the form built every date field without it, so the field showed the DateInput's
general "e.g. today, +2w, fri, 3/12". The rows forms (governance, and the care screens'
``CareFormDialog``, e.g. a care plan review put off) build their fields in
``governance.forms.field_widget`` (now ``form_dialog.field_widget``, FormDialog's own)
and dropped it the same way. A date field given no
placeholder still shows that default (and a past-date field its own, which names the
century a two-digit year takes).
"""

from __future__ import annotations

from datetime import date

import pytest
from pilot_helpers import wait_for
from test_registers_app import app, open_queue, seeded  # noqa: F401
from textual.app import App
from textual.widgets import Input

from coordinator_tui.app import make_app
from coordinator_tui.screens.care.base import CareFormDialog, CareListScreen
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.governance.forms import RowsFormDialog
from coordinator_tui.services.dates import DUE, PAST
from coordinator_tui.widgets.date_input import DateInput

TODAY = date(2026, 11, 23)


def _shown(field: DateInput) -> str:
    """The text the date field's input line shows on screen (its placeholder when empty)."""
    return field.query_one(Input).render_line(0).text.strip()


async def test_the_snooze_date_field_shows_the_queues_placeholder(app, seeded):
    """``s`` on the queue: the "Snooze until" field shows "+1w", the hint the queue gave."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        field = app.screen.query_one("#f-until", DateInput)
        assert field.text == ""
        assert field.query_one(Input).placeholder == "+1w"
        await wait_for(pilot, lambda: _shown(field) == "+1w")


async def test_the_care_review_put_off_shows_its_placeholder(demo_settings, small_demo_engine):
    """``6``, ``R``, ``s``: the care plan review's "Until" field (a rows form) shows "+1w"."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded,
            timeout=60,
        )
        await pilot.press("R")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, CareListScreen) and app.screen.loaded,
            timeout=60,
        )
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, CareFormDialog) and app.screen.focused)
        field = app.screen.query_one("#f-until", DateInput)
        assert field.query_one(Input).placeholder == "+1w"
        await wait_for(pilot, lambda: _shown(field) == "+1w")


class _FormApp(App[None]):
    """Just a form with date fields, no database: what the form builds from the spec."""

    def __init__(self, fields: list[Field], dialog: type[FormDialog]) -> None:
        super().__init__()
        self.fields = fields
        self.dialog = dialog

    def on_mount(self) -> None:
        if self.dialog is FormDialog:
            self.push_screen(FormDialog("Dates", self.fields, TODAY))
        else:  # a rows form: one field a row
            self.push_screen(self.dialog("Dates", [[f] for f in self.fields], TODAY))


@pytest.mark.parametrize(
    ("field", "placeholder"),
    [
        (Field("due", "Due", "date"), "e.g. today, +2w, fri, 3/12"),
        (Field("due", "Due", "date", expects=DUE), "e.g. today, +2w, fri, 3/12"),
        (Field("due", "Born", "date", expects=PAST), None),  # the PAST default, below
        (Field("due", "Until", "date", placeholder="+1w"), "+1w"),
    ],
    ids=["no placeholder", "due, no placeholder", "past, no placeholder", "given"],
)
@pytest.mark.parametrize("dialog", [FormDialog, RowsFormDialog, CareFormDialog])
async def test_a_date_field_keeps_the_default_placeholder_unless_given_one(
    field: Field, placeholder: str | None, dialog: type[FormDialog]
) -> None:
    """No placeholder in the spec: the DateInput's own default, the same as a DateInput
    made directly with that ``expects``; a placeholder in the spec replaces it."""
    if placeholder is None:
        placeholder = DateInput(expects=field.expects)._placeholder
        assert "e.g. 3/12/1999" in placeholder
    app = _FormApp([field], dialog)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, dialog) and app.screen.focused)
        shown = app.screen.query_one("#f-due", DateInput)
        assert shown.query_one(Input).placeholder == placeholder
