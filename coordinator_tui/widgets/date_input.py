"""A date field that shows the date it understood as you type.

Every date field in the app uses this widget and ``services.dates.parse_date``: typing
"3/12" shows "✓ Thu 3 Dec 2026" under the field; typing "31/11" shows
"✗ 31/11 is not a date: November has 30 days". The status is a symbol and words, never
colour alone, so it reads the same on a monochrome terminal or to a screen reader.

Each field says which dates it expects (``expects``): ``PAST`` for a date of birth or an
event that happened ("3/12/99" is 1999, and the status says "99 read as 1999"), ``DUE``
(the default) for a date to come ("3/12/27" is 2027). A day name shows how far off it is
("fri" on a Thursday: "✓ Fri 27 Nov 2026 · tomorrow").
"""

from __future__ import annotations

from collections import deque
from datetime import date
from typing import Self

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from coordinator_tui.clock import local_today
from coordinator_tui.services.dates import (
    DUE,
    EXPECTS_HINT,
    PAST,
    bank_holiday_name,
    describe,
    format_date,
    format_date_short,
    load_bank_holidays,
)

_calendars_requested = False
"""Whether a date field has already asked for the bank-holiday calendars (once a run)."""


class DateText(Input):
    """The DateInput's text field: an ``Input`` whose text is as wide as the field while it
    fits. An ``Input`` sizes its text to the characters typed, so every key changes that
    size and asks the screen for a layout (in a dialog, the whole dialog re-arranged for
    one character; issue 23); a date fits in its field, so no key here needs one. Text
    longer than the field grows, and scrolls, as in any ``Input``."""

    @property
    def content_width(self) -> int:
        """The text's width, at least the field's (see the class)."""
        return max(super().content_width, self.scrollable_content_region.width)


class DateInput(Vertical):
    """An ``Input`` for UK date shorthand with a live "understood as" line under it.

    ``value`` is the date typed (None when empty or not a date). Posts
    :class:`DateInput.Changed` on every edit and :class:`DateInput.Submitted` on enter
    when the text is a date; the inner ``Input.Submitted`` still bubbles, so forms can
    move to the next field or save.
    """

    # Two lines, always (``HEIGHT``): the compact field and its status, which ends in "…"
    # rather than wrapping, so neither the field's height nor a dialog's around it changes
    # while typing (issue 23: the snooze dialog jumped a line).
    DEFAULT_CSS = """
    DateInput > .date-status {
        height: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    HEIGHT = 2
    """The compact field's line and the status line under it."""

    class Changed(Message):
        """The typed text changed; ``value`` is the date it now means, or None."""

        def __init__(self, date_input: DateInput, value: date | None) -> None:
            super().__init__()
            self.date_input = date_input
            self.value = value

        @property
        def control(self) -> DateInput:
            """The DateInput that changed (so ``@on(..., "#id")`` selectors work)."""
            return self.date_input

    class Submitted(Message):
        """``enter`` was pressed while the text is a valid date."""

        def __init__(self, date_input: DateInput, value: date) -> None:
            super().__init__()
            self.date_input = date_input
            self.value = value

        @property
        def control(self) -> DateInput:
            """The DateInput that was submitted."""
            return self.date_input

    def __init__(
        self,
        value: str = "",
        *,
        placeholder: str | None = None,
        today: date | None = None,
        required: bool = False,
        expects: str = DUE,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """``today`` pins relative dates; None means the app's working date (its pinned
        ``settings.today`` when it has one, so "+2w" in the demo is two weeks from the demo's
        today), or the real UK date outside such an app.

        ``required`` makes an empty field invalid (``is_valid`` is False) and says so in
        the status line. ``expects`` (``PAST`` or ``DUE``) is the century a two-digit year
        takes; a past-date field says so in its placeholder.
        """
        super().__init__(id=id, classes=classes, disabled=disabled)
        # Fixed inline, above any stylesheet's ``height: auto`` for containers (the form
        # dialogs' ``#form-box Vertical``): the Input asks for a layout on every key (its
        # text's width changes) and Textual re-arranges its ancestors up to the first of
        # fixed size; with ``auto`` that was the whole dialog, on every key (issue 23).
        self.styles.height = self.HEIGHT
        self._text = value
        self.expects = expects
        self._understood = ""  # the date as read, "Fri 27 Nov 2026 · tomorrow"
        self._status_shown: str | None = None  # the status line's text as last shown
        self._read: deque[str] = deque()  # values the watcher read, their Changed to come
        if placeholder is None:
            placeholder = (
                f"e.g. 3/12/1999 ({EXPECTS_HINT[PAST]})"
                if expects == PAST
                else "e.g. today, +2w, fri, 3/12"
            )
        self._placeholder = placeholder
        self.today = today
        self.required = required
        self._value: date | None
        self.error: str
        """Why the text is not a date ("" when it is one, or is empty)."""
        self._value, self.error = self._understand(value)

    def compose(self) -> ComposeResult:
        yield DateText(value=self._text, placeholder=self._placeholder, compact=True)
        yield Static("", classes="date-status", markup=False)

    def on_mount(self) -> None:
        # The field's text is read as the Input's value changes (a watcher runs in the
        # key's own handling), not from its Changed message (handled later, from this
        # widget's queue): the status line's repaint then reaches the screen with the
        # typed character's, one frame for both, not a second frame a tick later.
        self.watch(self.query_one(Input), "value", self._value_changed, init=False)
        self._show()
        global _calendars_requested
        if not _calendars_requested:
            _calendars_requested = True
            self._load_calendars()

    @work(thread=True, group="date-input-calendars")
    def _load_calendars(self) -> None:
        load_bank_holidays(self.working_date() or local_today())

    # -- public API ------------------------------------------------------------------

    @property
    def value(self) -> date | None:
        """The date typed, or None when the field is empty or not a date."""
        return self._value

    @property
    def text(self) -> str:
        """The raw text in the field."""
        return self._text

    @property
    def is_valid(self) -> bool:
        """A date was typed, or the field is empty and optional."""
        if self._value is not None:
            return True
        return not self._text.strip() and not self.required

    def set_date(self, value: date | None) -> None:
        """Show ``value`` as "03/12/2026" (None clears the field); ``value`` updates now."""
        self._set_text(format_date_short(value))

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus the text field (the container itself takes no focus)."""
        if self.is_mounted:
            self.query_one(Input).focus(scroll_visible)
        return self

    # -- internals -------------------------------------------------------------------

    def working_date(self) -> date | None:
        """The date relative dates count from: ``today`` if given, else the running app's
        working date (``settings.current_date()``, which honours the pinned today), else
        None (``describe`` then takes the real UK date). Duck-typed so that the widget does
        not import the app."""
        if self.today is not None:
            return self.today
        try:
            app = self.app
        except RuntimeError:  # NoActiveAppError: built outside a running app
            return None
        current = getattr(getattr(app, "settings", None), "current_date", None)
        return current() if callable(current) else None

    def _understand(self, text: str) -> tuple[date | None, str]:
        value, message = describe(text, self.working_date(), self.expects)
        self._understood = message if value is not None else ""
        return value, ("" if value is not None else message)

    def _set_text(self, text: str) -> None:
        self._text = text
        self._value, self.error = self._understand(text)
        if self.is_mounted:
            field = self.query_one(Input)
            if field.value != text:
                field.value = text  # its watcher re-resolves to the same result
            self._show()

    def _status_line(self) -> str:
        """What the line under the field says now."""
        if self._value is not None:
            line = f"✓ {self._understood or format_date(self._value)}"
            holiday = bank_holiday_name(self._value)
            return f"{line} · bank holiday ({holiday})" if holiday else line
        if self.error:
            return f"✗ {self.error}"
        return "Required: enter a date" if self.required else ""

    def _show(self) -> None:
        """Put the status in its line: a repaint of that one line, nothing else.

        Per key this is most of what the field costs beyond a bare ``Input`` (issue 23,
        measured in the snooze dialog): so the line keeps its height (no layout of the
        dialog: ``update(layout=False)``), is not touched when its text is unchanged, and
        an error takes its colour from the text's own style rather than from a CSS class
        on the field (a class change re-applies the stylesheet to the field and its
        children). ``-invalid`` is still set, as a marker only (``update=False``)."""
        line = self._status_line()
        if line != self._status_shown:
            self._status_shown = line
            status = self.query_one(".date-status", Static)
            status.update(
                Content.styled(line, "$text-error") if self.error else Content(line),
                layout=False,
            )
        self.set_class(bool(self.error), "-invalid", update=False)

    def _value_changed(self, value: str) -> None:
        """The Input's text changed (a key, or ``set_date``): resolve it, show the status,
        tell the form."""
        self._read.append(value)
        self._take(value)

    def _take(self, value: str) -> None:
        self._text = value
        self._value, self.error = self._understand(value)
        self._show()
        self.post_message(self.Changed(self, self._value))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        # Not the Input's own event outside: forms listen for DateInput.Changed.
        event.stop()
        if self._read and self._read[0] == event.value:
            self._read.popleft()  # already read by the watcher, in order
        else:
            self._take(event.value)  # a change the watcher did not see (before mount)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        # Not stopped: forms listen for Input.Submitted to move on or save.
        if self._value is not None:
            self.post_message(self.Submitted(self, self._value))
