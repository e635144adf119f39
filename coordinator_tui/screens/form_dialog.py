"""A small generic form: the one-key actions (review, snooze, escalate, end, notes...).

Each dialog only collects input and returns it (``dismiss``); the calling screen calls
the service and shows the result. ``ctrl+s`` or ``f2`` saves (``enter`` in the last field
too), ``esc`` cancels, asking first if something was typed (``DialogBase``). Bad input,
a refused save, a conflict or a busy database is reported in the dialog, what was typed
stays, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.dialog_base import FORM_DIALOG_CSS, BackgroundSave, DialogBase
from coordinator_tui.services.dates import DUE
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.person_picker import Choice, ChoicePicker


@dataclass(frozen=True)
class Field:
    """One field of a dialog. ``kind`` is text, lines (several lines: ``enter`` starts a
    new one), date, select, or choice (type a few letters of an option, ``enter`` takes
    it; an option may carry a third item, the text typing matches)."""

    key: str
    label: str
    kind: str = "text"
    value: Any = None
    options: tuple[tuple[Any, ...], ...] = ()
    required: bool = False
    placeholder: str = ""
    expects: str = DUE  # a date field: PAST for a date of birth or an event ("3/12/99")


def field_widget(field: Field, today: date) -> Widget:
    """The input for one field (id ``f-<key>``): one place that turns a ``Field`` into its
    widget, for ``FormDialog`` and the dialogs that lay the same fields out otherwise
    (the governance and care forms' rows), so a field reads the same everywhere."""
    if field.kind == "date":
        return DateInput(
            value=uk_date(field.value) if field.value else "",
            id=f"f-{field.key}",
            # The screen's own hint ("+1w" for a snooze) when it gives one; None keeps
            # the DateInput's default ("e.g. today, +2w, ...").
            placeholder=field.placeholder or None,
            today=today,
            expects=field.expects,
        )
    if field.kind == "choice":
        return ChoicePicker(
            [Choice(*option) for option in field.options], field.value, id=f"f-{field.key}"
        )
    if field.kind == "lines":
        return TextArea(
            str(field.value or ""),
            id=f"f-{field.key}",
            compact=True,
            placeholder=field.placeholder,
            classes="form-lines",
        )
    if field.kind == "select":
        return Select(
            list(field.options),
            value=field.value if field.value is not None else Select.NULL,
            allow_blank=not field.required,
            id=f"f-{field.key}",
            compact=True,
        )
    return Input(
        value=str(field.value or ""),
        placeholder=field.placeholder,
        id=f"f-{field.key}",
        compact=True,
    )


class FormDialog(DialogBase, ModalScreen[dict[str, Any] | None]):
    """A titled list of fields; returns {key: value} on save, None on cancel."""

    CSS_PATH = FORM_DIALOG_CSS  # absolute: subclasses in the domain folders inherit it
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[Field],
        today: date,
        context: str = "",
        save: Callable[[dict[str, Any]], str | None] | BackgroundSave | None = None,
    ) -> None:
        """``save``, if given, is a :class:`BackgroundSave` (the write in a worker thread,
        the screen live while the database waits) or a callable run on the UI thread with
        the values, returning an error message (the form stays open, showing it, input
        kept) or None (the form closes)."""
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.today = today
        self.context = context
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = self.form_title
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            if self.context:
                yield Static(self.context, id="form-context")
            for field in self.fields:
                label = f"{field.label}{' *' if field.required else ''}"
                yield Label(label, classes="form-label")
                yield field_widget(field, self.today)
            yield Static("", id="form-error")

    def _value(self, field: Field) -> Any:
        widget = self.query_one(f"#f-{field.key}")
        if isinstance(widget, DateInput | ChoicePicker):
            return widget.value
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, TextArea):
            return widget.text.strip()
        return widget.value.strip()  # type: ignore[union-attr]

    def collect(self) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for field in self.fields:
            widget = self.query_one(f"#f-{field.key}")
            if isinstance(widget, DateInput) and not widget.is_valid and widget.text:
                self.show_error(f"{field.label}: {widget.error}")
                widget.focus()
                return None
            value = self._value(field)
            if field.required and value in (None, ""):
                self.show_error(f"{field.label} is required")
                self._focus_field(widget)
                return None
            values[field.key] = value
        return values

    def _focus_field(self, widget: Any) -> None:
        if isinstance(widget, ChoicePicker):
            widget.query_one(Input).focus()
        else:
            widget.focus()

    async def action_save(self) -> None:
        values = self.collect()
        if values is None:
            return
        self.submit(self.save, values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    async def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        last = self.fields[-1]
        # The last field may be a compound widget (a date field holds its Input).
        if self.query_one(f"#f-{last.key}") in event.input.ancestors_with_self:
            await self.action_save()
        else:
            self.focus_next()
