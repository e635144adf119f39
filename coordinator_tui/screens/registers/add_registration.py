"""Put a person on a register: ``a`` on Registers (the person picked by name, NHS number
or date of birth) and ``a`` on a person's record (that person already picked). The
register is chosen by typing a few letters of its code, name or other terms ("cic" finds
LAC/CiC)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.dialog_base import BackgroundSave, DialogBase
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.person_hit import PersonHit
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import Choice, ChoicePicker, PersonPicker

if TYPE_CHECKING:
    from coordinator_tui.services.registers import RegisterChoice, Undo


class AddRegistrationDialog(DialogBase, ModalScreen[dict[str, Any] | None]):
    """Collects person, register, risk, lead and start date; the screen saves them."""

    CSS_PATH = "../form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        categories: list[RegisterChoice] | list[tuple[int, str]],
        staff: list[tuple[int, str]],
        today: date,
        save: Callable[[dict[str, Any]], str | None] | BackgroundSave,
        *,
        person: PersonHit | None = None,
    ) -> None:
        """``categories``: the registers (``register_choices``, or (id, name) pairs);
        ``person``: already picked (opened from the person's record)."""
        super().__init__()
        self.categories = [
            Choice(c[1], c[0]) if isinstance(c, tuple) else Choice(c.label, c.id, c.search_text)
            for c in categories
        ]
        self.staff = staff
        self.today = today
        self.save = save
        self.person = person

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box") as box:
            box.border_title = "Add a registration"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Person *", classes="form-label")
            yield PersonPicker(id="f-person", person=self.person)
            yield Label("Register * (type a few letters, enter takes it)", classes="form-label")
            yield ChoicePicker(self.categories, id="f-category")
            yield Label("Risk *", classes="form-label")
            yield Select(
                [("High", "high"), ("Medium", "medium"), ("Low", "low")],
                value="medium",
                allow_blank=False,
                id="f-risk",
                compact=True,
            )
            yield Label("Lead", classes="form-label")
            yield Select([(name, sid) for sid, name in self.staff], id="f-lead", compact=True)
            yield Label("Start date *", classes="form-label")
            yield DateInput(
                value=uk_date(self.today),
                id="f-start",
                today=self.today,
                expects=PAST,
            )
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        picker = self.query_one(ChoicePicker) if self.person else self.query_one(PersonPicker)
        picker.query_one(Input).focus()

    def action_save(self) -> None:
        person = self.query_one(PersonPicker).person
        category = self.query_one(ChoicePicker).value
        start = self.query_one("#f-start", DateInput)
        lead = self.query_one("#f-lead", Select).value
        if person is None:
            self.show_error("Pick a person: type a name, NHS number or date of birth")
            return
        if category is None:
            self.show_error("Pick a register: type a few letters of it and press enter")
            return
        if start.value is None:
            self.show_error("Give a valid start date")
            return
        values = {
            "person": person,
            "category": category,
            "risk": self.query_one("#f-risk", Select).value,
            "lead": None if lead is Select.NULL else lead,
            "start": start.value,
        }
        self.submit(self.save, values)

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_add_registration(
    app: Any,
    *,
    person: PersonHit | None = None,
    on_saved: Callable[[Undo, str], None] | None = None,
) -> None:
    """Push the dialog; saving adds the registration (audited) and says who and where.

    ``on_saved(token, message)`` gets the undo token and what to tell the coordinator
    (shown as a notification when there is no ``on_saved``). Any
    refusal (a duplicate, a busy database) keeps the dialog open with what was chosen."""
    from coordinator_tui.services.registers import add_registration, all_staff, register_choices

    today = app.settings.current_date()
    user = app.settings.user
    with app.session() as session:
        staff = all_staff(session)
        choices = register_choices(session)
    names = {choice.id: choice.name for choice in choices}

    def write(values: dict[str, Any]) -> Undo:
        # In the dialog's worker thread; a refusal (a duplicate, a busy database) is
        # shown in the form, what was chosen kept.
        with app.session() as session:
            return add_registration(
                session,
                person_id=values["person"].id,
                category_id=values["category"],
                start_date=values["start"],
                today=today,
                by=user,
                risk_level=values["risk"],
                lead_staff_id=values["lead"],
            )

    def then(values: dict[str, Any], token: Undo) -> None:
        message = (
            f"Added {values['person'].display_name} to the {names[values['category']]} "
            f"register from {uk_date(values['start'])}"
        )
        if on_saved is not None:
            on_saved(token, message)
        else:
            app.notify(message, timeout=4)

    save = BackgroundSave(write, then)
    app.push_screen(AddRegistrationDialog(choices, staff, today, save, person=person))
