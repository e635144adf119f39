"""``a`` on Registers: put a person on a register (person picked by name, NHS number or
date of birth)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from coordinator_tui.screens.type_ahead import TypeAhead
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import PersonPicker


class AddRegistrationDialog(TypeAhead, ModalScreen[dict[str, Any] | None]):
    """Collects person, register, risk, lead and start date; the screen saves them."""

    CSS_PATH = "form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        categories: list[tuple[int, str]],
        staff: list[tuple[int, str]],
        today: date,
        save: Callable[[dict[str, Any]], str | None],
    ) -> None:
        super().__init__()
        self.categories = categories
        self.staff = staff
        self.today = today
        self.save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box") as box:
            box.border_title = "Add a registration"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Person *", classes="form-label")
            yield PersonPicker(id="f-person")
            yield Label("Register *", classes="form-label")
            yield Select(
                [(name, cid) for cid, name in self.categories], id="f-category", compact=True
            )
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
            yield DateInput(value=self.today.strftime("%d/%m/%Y"), id="f-start", today=self.today)
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one(PersonPicker).query_one("Input").focus()

    def action_save(self) -> None:
        error = self.query_one("#form-error", Static)
        person = self.query_one(PersonPicker).person
        category = self.query_one("#f-category", Select).value
        start = self.query_one("#f-start", DateInput)
        lead = self.query_one("#f-lead", Select).value
        if person is None:
            error.update("✗ Pick a person: type a name, NHS number or date of birth")
            return
        if category is Select.NULL:
            error.update("✗ Pick a register")
            return
        if start.value is None:
            error.update("✗ Give a valid start date")
            return
        values = {
            "person": person,
            "category": category,
            "risk": self.query_one("#f-risk", Select).value,
            "lead": None if lead is Select.NULL else lead,
            "start": start.value,
        }
        problem = self.save(values)
        if problem:
            error.update(f"✗ {problem}")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
