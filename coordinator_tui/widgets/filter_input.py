"""An ``Input`` for filter-as-you-type that tells its screen at once, in the same frame.

A plain ``Input`` posts ``Changed`` to the screen's message queue: the typed character is
painted in one frame and the filtered list in the next, one refresh interval later.
Calling the screen back from the value's watcher puts both in the same frame (issue 3:
one filter keystroke to repaint within 30 ms on the large demo).

When the screen reads the filtered rows in a thread (the review queue), the character
would still go out in a frame of its own, and the rows a frame later. Textual paints at
most one frame per refresh interval counted from the last one (``Screen``'s update timer
skips a missed beat to the one after), so the rows' frame came 17 to 33 ms after the
character's: most of a key's 38 ms (issue 23). With ``hold_paint`` the character's frame
waits for the rows (``rows_shown``), at most ``hold_paint`` seconds: both go out in one
frame, the first after an idle screen, which Textual paints at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import Any

from textual.app import ScreenStackError
from textual.timer import Timer
from textual.widgets import Input


class FilterInput(Input):
    """``on_value(text)`` runs as soon as the text changes, before ``Changed`` is posted.

    ``hold_paint`` (seconds, 0: never): when ``on_value`` returns True (it has asked for
    rows that arrive later), the app's frames are held until the screen calls
    ``rows_shown()`` or that time has passed, so the typed text and its rows are painted
    together."""

    def __init__(
        self, on_value: Callable[[str], object], *, hold_paint: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._on_value = on_value
        self.hold_paint = hold_paint
        self._held: AbstractContextManager[None] | None = None
        self._hold_limit: Timer | None = None

    def _watch_value(self, value: str) -> None:
        super()._watch_value(value)
        if self.is_mounted and self._on_value(value) is True and self.hold_paint > 0:
            self._hold_frames()

    # -- one frame for the text and its rows --------------------------------------------

    @property
    def holding(self) -> bool:
        """Whether frames are held for rows asked for (for tests)."""
        return self._held is not None

    def _hold_frames(self) -> None:
        if self._held is None:
            # ``App.batch_update`` holds every repaint until it ends; entered here and
            # left in ``rows_shown`` (or at the limit), not around a block.
            self._held = self.app.batch_update()
            self._held.__enter__()
        # The limit counts from the latest key: each key asks for newer rows. An app
        # timer, not this widget's, so that it fires even if the screen goes away.
        if self._hold_limit is not None:
            self._hold_limit.stop()
        self._hold_limit = self.app.set_timer(self.hold_paint, self.rows_shown, name="hold-paint")

    def rows_shown(self) -> None:
        """The rows asked for are in place (or are not coming): paint."""
        if self._hold_limit is not None:
            self._hold_limit.stop()
            self._hold_limit = None
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)
            # The screen held its repaint while frames were held; tell it to look again
            # (it paints at once: its refresh timer has been idle since the last frame).
            with suppress(ScreenStackError):  # the app is closing: nothing left to paint
                self.app.screen.check_idle()

    def on_unmount(self) -> None:
        self.rows_shown()  # never leave the app's frames held
