"""The referral dialogs beyond the plain form: ``n`` on Referrals drafts a referral for a
person picked by name, NHS number or DOB; the follow-on of an outcome.

What the type needs is asked for only when that type is chosen: the DASH score and the
MARAC date (the area's next MARAC, from the reference file) for MARAC; the Section 42
three-part test for an adult Section 42 concern. Imported by the actions that open these
dialogs, not when the Referrals section opens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from coordinator_tui.screens.dialog_base import BackgroundSave, DialogBase
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import PersonPicker

S42_TEST = (
    ("s42-needs", "Has care and support needs"),
    ("s42-abuse", "Is experiencing, or at risk of, abuse or neglect"),
    ("s42-unable", "Cannot protect themselves because of those needs"),
)


class FollowOnDialog(FormDialog):
    """The follow-on of an outcome: a form whose context line says, as the strategy
    discussion date is typed, when the initial conference counted from it is due."""

    def __init__(
        self, *args: Any, heading: str, plan_for: Callable[[date | None], Any], **kwargs: Any
    ) -> None:
        """``heading`` is the first context line; ``plan_for(strategy_date)`` the
        follow-on (its ``text`` the second line)."""
        super().__init__(*args, **kwargs)
        self.heading = heading
        self.plan_for = plan_for

    @on(DateInput.Changed, "#f-strategy")
    def strategy_typed(self, event: DateInput.Changed) -> None:
        plan = self.plan_for(event.value)
        self.query_one("#form-context", Static).update(f"{self.heading}\n{plan.text}")


class NewReferralDialog(DialogBase, ModalScreen[bool]):
    """Person, type, agency, reason and what the type needs; the caller saves."""

    CSS_PATH = "../form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        types: list[tuple[str, str]],
        save: Callable[[dict[str, Any]], str | None] | BackgroundSave,
        today: date,
        next_marac: date | None = None,
    ) -> None:
        super().__init__()
        self.types = types
        self.save = save
        self.today = today
        self.next_marac = next_marac

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
            with Vertical(id="f-marac", classes="-hidden"):
                yield Label("DASH score * (14 or more ticks is high risk)", classes="form-label")
                yield Input(placeholder="0-24", id="f-dash", compact=True, type="integer")
                yield Static("", id="f-dash-risk")
                yield Label("MARAC date (the area's next MARAC)", classes="form-label")
                yield DateInput(id="f-marac-date", today=self.today)
            with Vertical(id="f-s42", classes="-hidden"):
                yield Label("Section 42 three-part test (space ticks)", classes="form-label")
                for ident, label in S42_TEST:
                    yield Checkbox(label, id=f"f-{ident}", compact=True)
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one(PersonPicker).query_one(Input).focus()
        if self.next_marac:
            self.query_one("#f-marac-date", DateInput).set_date(self.next_marac)

    @on(Select.Changed, "#f-type")
    def type_chosen(self, event: Select.Changed) -> None:
        self.query_one("#f-marac").set_class(event.value != "MARAC", "-hidden")
        self.query_one("#f-s42").set_class(event.value != "S42", "-hidden")

    @on(Input.Changed, "#f-dash")
    def dash_typed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        risk = ""
        if text.isdigit():
            score = int(text)
            risk = (
                "High risk: refer to MARAC"
                if score >= 14
                else "Below 14: MARAC on professional judgement or escalation"
            )
        self.query_one("#f-dash-risk", Static).update(risk)

    def action_save(self) -> None:
        person = self.query_one(PersonPicker).person
        kind = self.query_one("#f-type", Select).value
        kind = "" if kind is Select.NULL else str(kind)
        values: dict[str, Any] = {
            "person_id": person.id if person else None,
            "referral_type": kind,
            "agency": self.query_one("#f-agency", Input).value,
            "reason": self.query_one("#f-reason", Input).value,
        }
        if kind == "MARAC":
            dash = self.query_one("#f-dash", Input).value.strip()
            values["dash_score"] = int(dash) if dash.lstrip("-").isdigit() else None
            marac_date = self.query_one("#f-marac-date", DateInput)
            if not marac_date.is_valid:
                self.show_error(marac_date.error or "The MARAC date is not a date")
                return
            values["marac_date"] = marac_date.value
        if kind == "S42":
            values["s42_test"] = tuple(
                self.query_one(f"#f-{ident}", Checkbox).value for ident, _ in S42_TEST
            )
        self.submit(self.save, values, result=True)

    def action_cancel(self) -> None:
        self.dismiss(False)
