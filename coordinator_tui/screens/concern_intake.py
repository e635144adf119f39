"""Quick concern intake, reachable from everywhere (palette) and ``i`` on Registers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from coordinator_tui.screens.type_ahead import TypeAhead
from coordinator_tui.services.concerns import category_labels
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import PersonPicker


class ConcernIntakeDialog(TypeAhead, ModalScreen[dict[str, Any] | None]):
    """Collects a concern; the caller logs it with ``services.concerns.log_concern``."""

    CSS_PATH = "form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self, today: date, save: Callable[[dict[str, Any]], str | None], raised_by: str = ""
    ) -> None:
        super().__init__()
        self.today = today
        self.save = save
        self.raised_by = raised_by

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box") as box:
            box.border_title = "Log a safeguarding concern"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Person *", classes="form-label")
            yield PersonPicker(id="f-person")
            yield Label("Raised by *", classes="form-label")
            yield Input(value=self.raised_by, placeholder="Name", id="f-raised-by", compact=True)
            yield Label("Role", classes="form-label")
            yield Input(
                placeholder="e.g. GP, practice nurse, receptionist", id="f-role", compact=True
            )
            yield Label("Date raised *", classes="form-label")
            yield DateInput(value=self.today.strftime("%d/%m/%Y"), id="f-date", today=self.today)
            yield Label("Category *", classes="form-label")
            yield Select(
                [(label, code) for code, label in category_labels().items()],
                id="f-category",
                compact=True,
            )
            yield Label("Details *", classes="form-label")
            yield Input(placeholder="What was seen or said", id="f-details", compact=True)
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one(PersonPicker).query_one(Input).focus()

    def action_save(self) -> None:
        category = self.query_one("#f-category", Select).value
        person = self.query_one(PersonPicker).person
        date_input = self.query_one("#f-date", DateInput)
        values = {
            "person_id": person.id if person else None,
            "raised_by": self.query_one("#f-raised-by", Input).value,
            "raised_by_role": self.query_one("#f-role", Input).value,
            "raised_on": date_input.value,
            "category": "" if category is Select.NULL else category,
            "details": self.query_one("#f-details", Input).value,
        }
        problem = self.save(values)
        if problem:
            self.show_error(problem)
            return
        self.dismiss(values)

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(f"✗ {message}")

    def action_cancel(self) -> None:
        self.dismiss(None)
