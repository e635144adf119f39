"""``n`` on Referrals: draft a referral for a person picked by name, NHS number or DOB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from coordinator_tui.widgets.person_picker import PersonPicker


class NewReferralDialog(ModalScreen[bool]):
    """Person, type, agency, reason and (MARAC) the DASH score; the caller saves."""

    CSS_PATH = "form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self, types: list[tuple[str, str]], save: Callable[[dict[str, Any]], str | None]
    ) -> None:
        super().__init__()
        self.types = types
        self.save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box") as box:
            box.border_title = "New referral"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Person *", classes="form-label")
            yield PersonPicker(id="f-person")
            yield Label("Referral to *", classes="form-label")
            yield Select([(name, code) for code, name in self.types], id="f-type", compact=True)
            yield Label("Agency / team", classes="form-label")
            yield Input(placeholder="e.g. Children's MASH", id="f-agency", compact=True)
            yield Label("Reason *", classes="form-label")
            yield Input(placeholder="Why the referral is made", id="f-reason", compact=True)
            yield Label("DASH score (MARAC: 14 or more ticks is high risk)", classes="form-label")
            yield Input(placeholder="0-24", id="f-dash", compact=True, type="integer")
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one(PersonPicker).query_one(Input).focus()

    def action_save(self) -> None:
        person = self.query_one(PersonPicker).person
        kind = self.query_one("#f-type", Select).value
        dash = self.query_one("#f-dash", Input).value.strip()
        values = {
            "person_id": person.id if person else None,
            "referral_type": "" if kind is Select.NULL else kind,
            "agency": self.query_one("#f-agency", Input).value,
            "reason": self.query_one("#f-reason", Input).value,
            "dash_score": int(dash) if dash.lstrip("-").isdigit() else None,
        }
        problem = self.save(values)
        if problem:
            self.query_one("#form-error", Static).update(f"✗ {problem}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
