"""Every form dialog (DialogBase): esc over typed text asks first, a refused save keeps the
dialog and the text. Driven by keys on each dialog class, whoever owns it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pilot_helpers import wait_for
from textual.app import App
from textual.widgets import Input

from coordinator_tui.screens.dialog_base import DialogBase, DiscardDialog
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.meetings.dialogs import ManualItemDialog
from coordinator_tui.screens.referrals.new_referral import NewReferralDialog
from coordinator_tui.screens.registers.add_registration import AddRegistrationDialog
from coordinator_tui.screens.registers.concern_intake import ConcernIntakeDialog
from coordinator_tui.services.errors import DatabaseUnavailableError
from coordinator_tui.widgets.person_picker import Choice, PersonPicker

TODAY = date(2026, 11, 23)
LOCKED = "Another user or window is saving to the database just now (it is locked)"


def _refuse(values: dict[str, Any]) -> str | None:
    raise DatabaseUnavailableError(LOCKED)


def _accept(values: dict[str, Any]) -> str | None:
    return None


DIALOGS = {
    "form": lambda save: FormDialog("Reviewed", [Field("note", "Note")], TODAY, save=save),
    "concern": lambda save: ConcernIntakeDialog(
        TODAY, save, "me", categories=[Choice("Neglect", "neglect")]
    ),
    "registration": lambda save: AddRegistrationDialog([(1, "Child in Need")], [], TODAY, save),
    "referral": lambda save: NewReferralDialog([("MASH", "MASH")], save, TODAY),
    "agenda item": lambda save: ManualItemDialog(save),
}


class Host(App[None]):
    """Just enough app for a dialog: settings.user for the intake's default."""

    class settings:  # noqa: N801 - the attribute the dialogs read
        user = "me"

    def __init__(self, dialog: DialogBase) -> None:
        super().__init__()
        self.dialog = dialog
        self.result: Any = "open"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, lambda result: setattr(self, "result", result))


def first_text_box(dialog: DialogBase) -> Input:
    """An empty text box outside a person picker (which would search the database)."""
    return next(
        box
        for box in dialog.query(Input)
        if box.value == "" and box.display and not isinstance(box.parent, PersonPicker)
    )


@pytest.mark.parametrize("name", DIALOGS)
async def test_esc_over_typed_text_asks_and_n_keeps_it(name):
    app = Host(DIALOGS[name](_accept))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: app.screen is dialog and dialog.focused is not None)
        box = first_text_box(dialog)
        box.focus()
        await pilot.press(*"typed")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is dialog)
        assert box.value == "typed" and app.result == "open"
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: app.result != "open")
        assert app.result in (None, False)  # the dialog's own cancel result


@pytest.mark.parametrize("name", DIALOGS)
async def test_esc_on_an_untouched_form_closes_at_once(name):
    app = Host(DIALOGS[name](_accept))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: app.screen is dialog and dialog.focused is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.result != "open")
        assert not isinstance(app.screen, DiscardDialog)


async def test_a_save_the_database_refuses_keeps_the_dialog_and_the_text():
    """The save callback's CoordinatorError (here a locked database) is shown in one line
    in the dialog, whose text stays; nothing ends the app."""
    app = Host(DIALOGS["form"](_refuse))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: app.screen is dialog and dialog.focused is not None)
        await pilot.press(*"seen at home", "ctrl+s")
        await wait_for(pilot, lambda: LOCKED in str(dialog.query_one("#form-error").render()))
        assert app.is_running and app.screen is dialog and app.result == "open"
        assert dialog.query_one("#f-note", Input).value == "seen at home"


async def test_a_refusal_with_no_error_line_is_a_notification():
    from textual.binding import Binding
    from textual.screen import ModalScreen

    class Bare(DialogBase, ModalScreen[None]):
        BINDINGS = [Binding("ctrl+s", "save", "Save")]

        def compose(self):
            yield Input(id="only")

        def action_save(self) -> None:
            raise DatabaseUnavailableError(LOCKED)

    app = Host(Bare())
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.dialog and app.dialog.focused)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(LOCKED in n.message for n in app._notifications))
        assert app.screen is app.dialog
