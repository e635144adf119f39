"""A date field that shows the date it understood as you type.

Every date field in the app uses this widget and ``services.dates.parse_date``: typing
"3/12" shows "Thu 3 Dec 2026" beside the field; typing "31/11" shows why that is not a
date. The status is words and a symbol, not colour alone.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from coordinator_tui.services.dates import describe, format_date


class DateInput(Vertical):
    """An ``Input`` for UK date shorthand with a live "resolved as" line under it."""

    DEFAULT_CSS = """
    DateInput {
        height: auto;
    }
    DateInput > .date-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    DateInput.-invalid > .date-status {
        color: $error;
    }
    """

    class Changed(Message):
        """The typed text changed; ``value`` is the date it means, or None."""

        def __init__(self, date_input: DateInput, value: date | None) -> None:
            super().__init__()
            self.date_input = date_input
            self.value = value

        @property
        def control(self) -> DateInput:
            return self.date_input

    class Submitted(Changed):
        """``enter`` on a valid date."""

    def __init__(
        self,
        value: str = "",
        *,
        placeholder: str = "e.g. today, +2w, fri, 3/12",
        today: date | None = None,
        required: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._initial = value
        self._placeholder = placeholder
        self.today = today
        self.required = required
        self._value: date | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Input(value=self._initial, placeholder=self._placeholder, compact=True)
        yield Static("", classes="date-status")

    def on_mount(self) -> None:
        self._resolve(self._initial)

    @property
    def value(self) -> date | None:
        """The date typed, or None when empty or not a date."""
        return self._value

    @property
    def text(self) -> str:
        return self.query_one(Input).value

    @property
    def is_valid(self) -> bool:
        return self._value is not None or (not self.text.strip() and not self.required)

    def set_date(self, value: date | None) -> None:
        self.query_one(Input).value = value.strftime("%d/%m/%Y") if value else ""

    def _resolve(self, text: str) -> date | None:
        value, message = describe(text, self.today)
        self._value = value
        self.error = "" if value or not text.strip() else message
        status = self.query_one(".date-status", Static)
        if value is not None:
            status.update(f"✓ {format_date(value)}")
        elif text.strip():
            status.update(f"✗ {message}")
        else:
            status.update("required" if self.required else "")
        self.set_class(bool(self.error), "-invalid")
        return value

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, self._resolve(event.value)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self._value is not None:
            self.post_message(self.Submitted(self, self._value))
        # let the submit bubble on (forms move to the next field or save)
