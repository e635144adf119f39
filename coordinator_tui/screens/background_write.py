"""A write made by one key on a screen, with no dialog, off the UI thread (issue 12 §2).

Dialogs write in a worker already (``dialog_base.BackgroundSave``). This is the same for a
screen's own one-key writes: the rota's assign, unassign, swap and undo, triage's include
or defer, the coding audit's add, a series restarted, an attendee invited.

``BackgroundWrites.write_in_background(write, then)``:

- ``write()`` runs in a worker thread. It opens its own unit of work, calls the service
  and returns what ``then`` needs (the rows read again, the rota's changed week). It must
  not touch a widget, nor anything the screen draws from.
- While it runs (up to the database's busy or lock timeout when another process holds
  the lock) the screen stays live: after a moment its status line says "Saving…", and
  the keys typed meanwhile are held, then read again once the write is done and shown,
  in the order typed. So "i i i" at typing speed includes three items, each acting on the
  rows as they are after the one before, whatever the machine's speed.
- Saved: ``then(result)`` runs on the UI thread (redraw, notify, move the cursor on).
- Refused (a conflict, a hard rule, a locked, busy or lost database: any
  :class:`~coordinator_tui.services.errors.CoordinatorError`): nothing on the screen
  changes; the refusal is said in one line (``refused``, else a notification) and the
  screen takes keys again, so the same key can simply be tried again.

A second one-key write asked for while one is under way (a click: keys are held) is not
started: "Still saving" is said instead, so nothing is written twice or out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from textual.css.query import NoMatches
from textual.widgets import Static

from coordinator_tui.screens.type_ahead import HELD, PassesStrayKeys, TypeAhead

__all__ = ["HELD", "SAVING", "SAVING_AFTER_S", "BackgroundWrites"]
from coordinator_tui.services.errors import ConflictError, CoordinatorError

T = TypeVar("T")

SAVING_AFTER_S = 0.3
"""A write still under way after this long says "Saving…" (a quick one says nothing)."""
SAVING = "Saving…"
_STATE = "_background_write"


class BackgroundWrites:
    """Mixin for a screen (before ``CoordinatorScreen`` in its bases)."""

    SAVING_LINE: ClassVar[str] = ""
    """Selector of the ``Static`` that says "Saving…" while a write waits (none: a short
    notification says it)."""

    app: Any

    @property
    def writing(self) -> bool:
        """A one-key write is under way."""
        return self.__dict__.get(_STATE) is not None

    def write_in_background(
        self,
        write: Callable[[], T],
        then: Callable[[T], None] | None = None,
        *,
        refused: Callable[[CoordinatorError], None] | None = None,
    ) -> bool:
        """Run ``write`` in a worker thread, the screen live and the keys typed meanwhile
        held; then ``then(result)``, or ``refused(error)``, on the UI thread. False when a
        write is already under way (said, and nothing started)."""
        if self.writing:
            self.notify(  # type: ignore[attr-defined]
                "Still saving the last change: try again in a moment", severity="warning"
            )
            return False
        holder = self._key_holder()
        # Held until this write's end, whatever reload lands or time limit passes
        # meanwhile (a limit left from an earlier save's reload among them).
        held = holder.hold_keys_for_write()
        timer = self.set_timer(SAVING_AFTER_S, self._say_saving)  # type: ignore[attr-defined]
        self.__dict__[_STATE] = {"holder": holder, "held": held, "timer": timer, "line": None}
        self.run_worker(  # type: ignore[attr-defined]
            self._write_then_apply(write, then, refused), group="one-key-write"
        )
        return True

    def _key_holder(self) -> PassesStrayKeys:
        """The screen the keys typed meanwhile are read for: the one on top (a carer's day
        open over the rota), unless that is a dialog closing with the choice that asked for
        this write (a picker): then this screen, on top again in a moment."""
        top = self.app.screen
        if isinstance(top, PassesStrayKeys) and not isinstance(top, TypeAhead):
            return top
        return self  # type: ignore[return-value]

    def _saving_line(self) -> Static | None:
        if not self.SAVING_LINE or self.app.screen is not self:
            return None
        with contextlib.suppress(NoMatches):
            return self.query_one(self.SAVING_LINE, Static)  # type: ignore[attr-defined]
        return None

    def _say_saving(self) -> None:
        state = self.__dict__.get(_STATE)
        if state is None:
            return
        line = self._saving_line()
        if line is None:
            self.notify(SAVING, timeout=2)  # type: ignore[attr-defined]
            return
        state["line"] = (line, line.content)
        line.update(SAVING)

    async def _write_then_apply(
        self,
        write: Callable[[], T],
        then: Callable[[T], None] | None,
        refused: Callable[[CoordinatorError], None] | None,
    ) -> None:
        error: CoordinatorError | None = None
        result: Any = None
        app = self.app
        running = asyncio.ensure_future(asyncio.to_thread(write))
        try:
            # Shielded: the screen closed meanwhile cancels this worker, not the write
            # already in its thread; how it ended is then said by the app (below).
            result = await asyncio.shield(running)
        except CoordinatorError as exc:
            error = exc
        except asyncio.CancelledError:
            running.add_done_callback(lambda done: _say_after_close(app, done))
            raise
        finally:
            state = self.__dict__.pop(_STATE)
            state["timer"].stop()
            if state["line"] is not None:
                line, before = state["line"]
                if line.content == SAVING:  # nothing else has written the line since
                    line.update(before)
            holder = state["holder"]
            keys, reload_pending = holder.end_write_hold(state["held"])
        if error is None:
            if then is not None:
                then(result)
        elif refused is not None:
            refused(error)
        else:
            self.say_refused(error)
        holder.hold_again(keys, reload_pending=reload_pending)

    def say_refused(self, error: CoordinatorError) -> None:
        """The refusal in one notification (who changed what, for a conflict)."""
        timeout = 10 if isinstance(error, ConflictError) else 8
        self.notify(str(error), severity="error", timeout=timeout)  # type: ignore[attr-defined]


SAVED_AFTER_CLOSE = "Saved (the screen was closed while it saved)"


def _say_after_close(app: Any, done: asyncio.Future) -> None:
    """A write whose screen closed while it ran: it still lands (or is refused) in its
    thread, and nothing of the closed screen can show it. Said once by the app, so the
    coordinator does not do it again, or knows it did not happen."""
    if done.cancelled():
        return
    error = done.exception()
    if error is None:
        app.notify(SAVED_AFTER_CLOSE, timeout=6)
    elif isinstance(error, CoordinatorError):
        app.notify(f"Not saved: {error}", severity="error", timeout=10)
    else:  # a fault, not a refusal: its text may hold data, so it is not quoted
        app.notify("Not saved: the change failed", severity="error", timeout=10)
