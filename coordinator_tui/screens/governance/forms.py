"""The governance forms: a dialog laid out in rows (two short fields side by side, so the
incident form fits 80x24), and the incident form itself, openable from anywhere (``f4``,
the palette) or with a customer, carer or visit already filled in (the rota grid, a
customer's record).

Each form only collects; the save callback calls the service in one unit of work and a
refusal (bad input, a colleague's change, a busy database) stays in the dialog with what
was typed (``DialogBase``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog, field_widget
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError


class RowsFormDialog(FormDialog):
    """A ``FormDialog`` whose fields are laid out in rows: ``rows`` lists the fields of
    each row (one field: the whole width). Saving, errors and ``esc`` are FormDialog's."""

    # Relative to this module (FormDialog's own sheet is among the app's already).
    CSS_PATH = "governance.tcss"

    def __init__(
        self,
        title: str,
        rows: Sequence[Sequence[Field]],
        today: date,
        context: str = "",
        save: Callable[[dict[str, Any]], str | None] | BackgroundSave | None = None,
    ) -> None:
        self.rows = [list(row) for row in rows]
        super().__init__(title, [f for row in self.rows for f in row], today, context, save=save)

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box", classes="gov-form") as box:
            box.border_title = self.form_title
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            if self.context:
                yield Static(self.context, id="form-context")
            for row in self.rows:
                with Horizontal(classes="form-row"):
                    for column, field in enumerate(row, start=1):
                        with Vertical(classes="last-column" if column == len(row) else ""):
                            label = f"{field.label}{' *' if field.required else ''}"
                            yield Label(label, classes="form-label")
                            yield field_widget(field, self.today)
            yield Static("", id="form-error")


PREFILL_KEYS = (("customer_id", "customer"), ("carer_id", "carer"), ("visit_id", "visit"))


def incident_prefill_from(item: Any, where: str, **extra: Any) -> dict[str, Any]:
    """What ``f4`` fills in from a list's highlighted row (issue 14 §1: an incident logged
    from where the coordinator is): the row's customer, carer and visit where it has them
    (``customer_id``, ``carer_id``, ``visit_id``), ``extra`` (a kind), and a line saying
    where it came from. Nothing highlighted: nothing filled in."""
    if item is None:
        return {}
    found = {key: getattr(item, key, None) for key, _ in PREFILL_KEYS}
    prefill: dict[str, Any] = {key: value for key, value in found.items() if value}
    filled = [word for key, word in PREFILL_KEYS if key in prefill]
    context = f"From {where}"
    if filled:
        context += f": its {' and '.join(filled)} filled in"
    return {**prefill, **extra, "context": context}


def choices(pairs: Sequence[tuple[int, str]]) -> tuple[tuple[Any, ...], ...]:
    """(label, value) pairs for a choice field from (id, name) pairs."""
    return tuple((name, row_id) for row_id, name in pairs)


def options(table: dict[str, str], *, leave_out: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """(label, code) pairs for a select field from a terms table."""
    return tuple((label, code) for code, label in table.items() if code not in leave_out)


def open_log_incident(
    app: Any,
    *,
    customer_id: int | None = None,
    carer_id: int | None = None,
    visit_id: int | None = None,
    on_saved: Callable[[int], None] | None = None,
    kind: str | None = None,
    what: str = "",
    context: str = "",
) -> None:
    """The incident form, from anywhere: ``f4``, the palette, a list's ``n``; the rota
    grid passes the visit (its customer and carer are filled in), the day's visits a
    flagged carer's note (``what``) or a missed visit (``kind``); ``context`` says where
    it was opened from."""
    from coordinator_tui.services.governance.incidents import at_time, log_incident, people_choices
    from coordinator_tui.services.governance.terms import HARM_LEVELS, INCIDENT_KINDS

    if getattr(app, "engine", None) is None:
        app.notify("The database is still opening", severity="warning")
        return
    try:
        with app.session() as session:
            people = people_choices(session)
    except CoordinatorError as exc:
        app.notify(str(exc), severity="error")
        return
    today = app.settings.current_date()
    user = app.settings.user

    def write(values: dict[str, Any]) -> int:
        # In the dialog's worker thread (the screen live while the database waits); a
        # refusal (CoordinatorError) is shown in the form, text kept.
        occurred = at_time(values["happened_on"], values["happened_at"], "it happened")
        found = None  # found: now, unless a time is typed
        if values["found_at"]:
            found = at_time(values["found_on"], values["found_at"], "it was found")
        with app.session() as session:
            incident = log_incident(
                session,
                occurred_at=occurred,
                found_at=found,
                customer_id=values["customer"],
                carer_id=values["carer"],
                visit_id=visit_id,
                kind=values["kind"],
                severity=values["harm"],
                description=values["what"],
                immediate_action=values["immediate"],
                by=user,
            )
            return incident.id

    def then(_values: dict[str, Any], incident_id: int) -> None:
        app.notify(f"Incident INC-{incident_id} logged: awaiting triage (t)")
        if on_saved is not None:
            on_saved(incident_id)

    save = BackgroundSave(write, then)

    rows = [
        [
            Field("happened_on", "Happened on", "date", value=today, required=True, expects=PAST),
            Field("happened_at", "At (HH:MM)", required=True, placeholder="e.g. 09:30"),
            Field("found_on", "Found on", "date", value=today, expects=PAST),
            Field("found_at", "At", placeholder="blank: now"),
        ],
        [
            Field(
                "customer",
                "Customer",
                "choice",
                value=customer_id,
                options=choices(people.customers),
            ),
            Field("carer", "Carer", "choice", value=carer_id, options=choices(people.carers)),
        ],
        [
            Field(
                "kind",
                "Kind",
                "select",
                value=kind,
                required=True,
                options=options(INCIDENT_KINDS, leave_out=("late_visit",)),
            ),
            Field("harm", "Harm", "select", required=True, options=options(HARM_LEVELS)),
        ],
        [Field("what", "What happened", "lines", value=what, required=True)],
        [Field("immediate", "Immediate action taken", "lines")],
    ]
    if not context and visit_id:
        context = "Visit on the rota: its customer and carer are filled in"
    app.push_screen(RowsFormDialog("Log an incident", rows, today, context, save=save))
