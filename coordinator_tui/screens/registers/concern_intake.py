"""Quick concern intake, from everywhere (palette), ``i`` on Registers and on concerns
awaiting triage, and ``i`` on a person's record (the person already picked).

Six keys or fewer besides the text (issue 22), counted in ``tests/test_concern_intake.py``:
``i``; the name, ``enter`` takes the first match and moves on; a few letters of the
category, ``enter`` takes it and moves on; the details (several lines: ``enter`` starts
a new one); ``ctrl+s``. "Raised by" is the signed-in user and the date is today unless
changed; the role is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.dialog_base import BackgroundSave, DialogBase
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.person_hit import PersonHit
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import Choice, ChoicePicker, PersonPicker


class ConcernIntakeDialog(DialogBase, ModalScreen[dict[str, Any] | None]):
    """Collects a concern; the caller logs it with ``services.concerns.log_concern``."""

    CSS_PATH = "../form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        today: date,
        save: Callable[[dict[str, Any]], str | None] | BackgroundSave,
        raised_by: str = "",
        *,
        person: PersonHit | None = None,
        categories: list[Choice] | None = None,
    ) -> None:
        """``raised_by``: who raised it (the signed-in user when not given);
        ``person``: already picked (opened from the person's record)."""
        super().__init__()
        self.today = today
        self.save = save
        self.raised_by = raised_by
        self.person = person
        self.categories = categories
        # The person picked when save was pressed, read on the UI thread then: the save's
        # worker reads it here, never from a widget (the dialog may be gone by then).
        self.person_at_save: PersonHit | None = None

    def compose(self) -> ComposeResult:
        from coordinator_tui.services.concerns import concern_categories

        categories = self.categories or [
            Choice(spec.name, spec.code, spec.search_text) for spec in concern_categories()
        ]
        raised_by = self.raised_by or getattr(getattr(self.app, "settings", None), "user", "")
        with VerticalScroll(id="form-box") as box:
            box.border_title = "Log a safeguarding concern"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Person *", classes="form-label")
            yield PersonPicker(id="f-person", person=self.person)
            yield Label("Category * (type a few letters, enter takes it)", classes="form-label")
            yield ChoicePicker(categories, id="f-category")
            yield Label("Details * (enter starts a new line)", classes="form-label")
            yield TextArea(
                id="f-details", compact=True, placeholder="What was seen or said, by whom"
            )
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Raised by *", classes="form-label")
                    yield Input(value=raised_by, placeholder="Name", id="f-raised-by", compact=True)
                with Vertical():
                    yield Label("Role", classes="form-label")
                    yield Input(placeholder="e.g. GP", id="f-role", compact=True)
                with Vertical(classes="last-column"):
                    yield Label("Date raised *", classes="form-label")
                    yield DateInput(
                        value=uk_date(self.today),
                        id="f-date",
                        today=self.today,
                        expects=PAST,
                    )
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        if self.person is None:
            self.query_one(PersonPicker).query_one(Input).focus()
        else:
            self.query_one(ChoicePicker).query_one(Input).focus()

    def values(self) -> dict[str, Any]:
        """What the form holds, as ``log_concern`` takes it."""
        person = self.query_one(PersonPicker).person
        return {
            "person_id": person.id if person else None,
            "raised_by": self.query_one("#f-raised-by", Input).value,
            "raised_by_role": self.query_one("#f-role", Input).value,
            "raised_on": self.query_one("#f-date", DateInput).value,
            "category": self.query_one(ChoicePicker).value or "",
            "details": self.query_one("#f-details", TextArea).text,
        }

    def action_save(self) -> None:
        self.person_at_save = self.query_one(PersonPicker).person
        self.submit(self.save, self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_concern_intake(
    app: Any,
    *,
    person: PersonHit | None = None,
    on_saved: Callable[[], None] | None = None,
) -> None:
    """Push the intake dialog; saving logs the concern (audited) and says for whom.

    Any refusal (bad input, a busy database) keeps the dialog open with what was typed."""
    from coordinator_tui.services.concerns import log_concern

    today = app.settings.current_date()

    def write(values: dict[str, Any]) -> PersonHit | None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept. The
        # person picked was read on the UI thread when save was pressed: nothing here
        # touches a widget (reading the picker from here raised ``NoMatches`` in the
        # worker, ending the app, when the app closed while the save was under way).
        picked = dialog.person_at_save
        with app.session() as session:
            log_concern(session, today=today, **values)
        return picked

    def then(_values: dict[str, Any], picked: PersonHit | None) -> None:
        who = f" for {picked.display_name}" if picked else ""
        app.notify(f"Concern logged{who}: it waits for triage on Registers (C)")
        if on_saved is not None:
            on_saved()

    dialog = ConcernIntakeDialog(
        today, BackgroundSave(write, then), app.settings.user, person=person
    )
    app.push_screen(dialog)
