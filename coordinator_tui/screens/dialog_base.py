"""What every form dialog does alike, whoever wrote it.

- ``esc`` on a form holding something typed or chosen asks before throwing it away
  (``y`` discards, ``n`` or ``esc`` goes back to the form with everything kept). A form
  left as it opened closes at once, as before.
- A save the database or a colleague refuses (a conflict, a locked or lost database: any
  :class:`~coordinator_tui.services.errors.CoordinatorError`) keeps the dialog open with
  what was typed and one line saying why, so the same ``ctrl+s`` can simply be tried
  again. Nothing ends the app.

- A save given as a :class:`BackgroundSave` writes in a worker thread
  (:meth:`DialogBase.save_in_background`): while the database waits on a lock held
  elsewhere (up to its busy or lock timeout: 5 s), the screen stays live and says
  "Saving…", the keys typed meanwhile wait for the save (``TypeAhead``), and a second
  ``ctrl+s`` does not save twice. What the calling screen does after the save (a
  notification, a reload) runs on the UI thread once the write is made.

A dialog gets these by taking :class:`DialogBase` in place of ``TypeAhead`` in its bases
(it is a ``TypeAhead``): its own ``action_cancel`` and ``action_save`` are wrapped when the
class is made, so a dialog needs no other change.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from coordinator_tui.screens.type_ahead import SAVING_HOLD, TypeAhead
from coordinator_tui.services.errors import ConflictError, CoordinatorError

_WRAPPED = "_dialog_base_wrapped"
_CONFIRMED = "_dialog_base_discard_confirmed"
_PRISTINE = "_dialog_base_pristine"
_SAVING = "_dialog_base_saving"
FORM_DIALOG_CSS = Path(__file__).parent / "form_dialog.tcss"
_VALUES: Any = object()  # ``submit``'s default result: the values collected


@dataclass(frozen=True)
class BackgroundSave:
    """A dialog's save in two parts, so the database is never waited on by the UI thread.

    ``write(values)`` runs in a worker thread: it opens its own unit of work, calls the
    service and returns what ``then`` needs; a refusal is a ``CoordinatorError`` (a
    conflict, a locked, busy or lost database), shown in the dialog with what was typed
    kept. It must not touch a widget. ``then(values, result)`` runs on the UI thread once
    the write is made and the dialog has closed: notify, reload, move the cursor on."""

    write: Callable[[dict[str, Any]], Any]
    then: Callable[[dict[str, Any], Any], None] | None = None


class DiscardDialog(TypeAhead, ModalScreen[bool]):
    """Discard what was typed? ``y`` yes, ``n``/``esc``/``enter`` no (the safe answer is
    the easy one).

    ``y`` closes this question and then the form in the same step (``on_discard``), so
    keys typed straight after it reach the screen beneath the form, never the form."""

    CSS_PATH = FORM_DIALOG_CSS  # absolute: subclasses in the domain folders inherit it
    BINDINGS = [
        Binding("y", "answer(True)", "Discard", id="discard.yes"),
        Binding("n,escape,enter", "answer(False)", "Keep editing", id="discard.no"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard-box") as box:
            box.border_title = "Discard?"
            yield Static("Discard what you typed in this form?")
            yield Static("y discard  ·  n or esc keep editing", id="discard-keys")

    def __init__(self, on_discard: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self.on_discard = on_discard

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)  # off the stack at once: the form is on top again
        if discard and self.on_discard is not None:
            result = self.on_discard()
            if inspect.isawaitable(result):
                self.app.call_later(lambda: result)


def form_state(screen: Any) -> tuple[Any, ...]:
    """Everything a coordinator can type or choose in ``screen``'s fields, in order: text
    fields (date fields and pickers' search boxes among them), text areas, selects, check
    boxes, and the person or choice a picker holds."""
    from textual.widgets import Checkbox, Input, Select, TextArea

    from coordinator_tui.widgets.person_picker import ChoicePicker, PersonPicker

    state: list[Any] = []
    for widget in screen.query("Input, TextArea, Select, Checkbox, PersonPicker, ChoicePicker"):
        if isinstance(widget, Input):
            state.append(widget.value)
        elif isinstance(widget, TextArea):
            state.append(widget.text)
        elif isinstance(widget, Select | Checkbox):
            state.append(widget.value)
        elif isinstance(widget, PersonPicker):
            state.append(widget.person.id if widget.person else None)
        elif isinstance(widget, ChoicePicker):
            state.append(widget.value)
    return tuple(state)


def _guard_cancel(method: Callable[..., Any]) -> Callable[..., Any]:
    """``action_cancel`` that asks first when the form holds something new."""

    def go_ahead(dialog: DialogBase) -> bool:
        return bool(dialog.__dict__.get(_CONFIRMED)) or not dialog.has_unsaved_input()

    def ask(dialog: DialogBase, then: Callable[[], Any]) -> None:
        def discard() -> Any:
            dialog.__dict__[_CONFIRMED] = True
            return then()

        dialog.app.push_screen(DiscardDialog(discard))

    if inspect.iscoroutinefunction(method):

        @wraps(method)
        async def cancel_async(self: DialogBase, *args: Any, **kwargs: Any) -> Any:
            if go_ahead(self):
                return await method(self, *args, **kwargs)
            ask(self, lambda: method(self, *args, **kwargs))
            return None

        setattr(cancel_async, _WRAPPED, True)
        return cancel_async

    @wraps(method)
    def cancel(self: DialogBase, *args: Any, **kwargs: Any) -> Any:
        if go_ahead(self):
            return method(self, *args, **kwargs)
        ask(self, lambda: method(self, *args, **kwargs))
        return None

    setattr(cancel, _WRAPPED, True)
    return cancel


def _guard_save(method: Callable[..., Any]) -> Callable[..., Any]:
    """``action_save`` whose refusal (a ``CoordinatorError`` from the service, the
    caller's save callback or the unit of work) is shown in the dialog, which stays open."""
    if inspect.iscoroutinefunction(method):

        @wraps(method)
        async def save_async(self: DialogBase, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except CoordinatorError as exc:
                self.show_error(str(exc))
                return None

        setattr(save_async, _WRAPPED, True)
        return save_async

    @wraps(method)
    def save(self: DialogBase, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except CoordinatorError as exc:
            self.show_error(str(exc))
            return None

    setattr(save, _WRAPPED, True)
    return save


class DialogBase(TypeAhead):
    """Mixin for a form dialog, in place of ``TypeAhead`` (before ``ModalScreen``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, guard in (("action_cancel", _guard_cancel), ("action_save", _guard_save)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, _WRAPPED, False):
                setattr(cls, name, guard(method))

    def on_mount(self) -> None:
        # After the dialog's own on_mount (which may fill fields in) and before any key
        # reaches a field (keys are held until a field has the focus: ``TypeAhead``).
        self.__dict__[_PRISTINE] = form_state(self)

    def has_unsaved_input(self) -> bool:
        """Whether anything was typed or chosen since the dialog opened."""
        pristine = self.__dict__.get(_PRISTINE)
        return pristine is not None and form_state(self) != pristine

    @property
    def saving(self) -> bool:
        """A background save is under way (``save_in_background``)."""
        return bool(self.__dict__.get(_SAVING))

    def submit(
        self,
        save: BackgroundSave | Callable[[dict[str, Any]], str | None] | None,
        values: dict[str, Any],
        *,
        result: Any = _VALUES,
    ) -> None:
        """Save what the form collected, the one way every form dialog does it.

        ``save`` a :class:`BackgroundSave`: written in a worker thread
        (:meth:`save_in_background`), the dialog closing with ``values`` once it is
        made. A plain callable: run here on the UI thread, returning an error message
        (shown in the error line, the dialog kept open with what was typed) or None.
        No ``save``: nothing to write here, the caller writes what is returned. Then the
        dialog closes with ``result`` (``values`` unless the dialog returns something
        else, such as ``True``). A ``CoordinatorError`` a plain callable raises reaches
        the wrapped ``action_save``, which shows it the same way."""
        if isinstance(save, BackgroundSave):
            self.save_in_background(save, values)
            return
        if save is not None:
            problem = save(values)
            if problem:
                self.show_error(problem)
                return
        self.dismiss(values if result is _VALUES else result)  # type: ignore[attr-defined]

    def save_in_background(self, save: BackgroundSave, values: dict[str, Any]) -> None:
        """Write ``values`` with ``save.write`` in a worker thread, the screen live
        meanwhile; then close the dialog with ``values`` and run ``save.then``. A refusal
        keeps the dialog open with one line and what was typed.

        Keys read while the write is under way are held (``TypeAhead``) and read again
        once it is done: after a save they reach what is on top once the dialog has
        closed, after a refusal the dialog again. A second save key meanwhile is held
        like any other, so it cannot save twice."""
        if self.saving:
            return
        self.__dict__[_SAVING] = True
        self.__dict__[SAVING_HOLD] = []
        self.show_status("Saving…")
        self.run_worker(  # type: ignore[attr-defined]
            self._write_then_close(save, values), group="dialog-save", exclusive=True
        )

    async def _write_then_close(self, save: BackgroundSave, values: dict[str, Any]) -> None:
        saved = False
        try:
            result = await asyncio.to_thread(save.write, values)
            saved = True
        except CoordinatorError as exc:
            self.show_error(str(exc))
            if isinstance(exc, ConflictError):  # who changed what: longer than the line
                self.notify(str(exc), severity="error", timeout=10)  # type: ignore[attr-defined]
        finally:
            self.__dict__[_SAVING] = False
            held = self.__dict__.pop(SAVING_HOLD, None) or []
        if saved:
            self.dismiss(values)  # type: ignore[attr-defined]
            if save.then is not None:
                save.then(values, result)
        app: Any = self.app  # type: ignore[attr-defined]
        for key in held:
            app.post_message(events.Key(key.key, key.character))

    def show_status(self, message: str) -> None:
        """A line of progress in the error line's place (nothing if the form has none)."""
        from textual.css.query import NoMatches

        with contextlib.suppress(NoMatches):
            self.query_one("#form-error", Static).update(message)  # type: ignore[attr-defined]

    def show_error(self, message: str) -> None:
        """One line in the dialog's error line (``#form-error``), else a notification."""
        from textual.css.query import NoMatches

        try:
            line = self.query_one("#form-error", Static)  # type: ignore[attr-defined]
            line.update(f"✗ {message}")
            # Below the fold of a tall form at 80x24: scrolled to once the new text is laid
            # out, so a message that wraps shows every line, not only its first.
            self.call_after_refresh(line.scroll_visible, animate=False)  # type: ignore[attr-defined]
        except NoMatches:
            self.notify(message, severity="error", timeout=8)  # type: ignore[attr-defined]
