"""An ``Input`` for filter-as-you-type that tells its screen at once, in the same frame.

A plain ``Input`` posts ``Changed`` to the screen's message queue: the typed character is
painted in one frame and the filtered list in the next, one refresh interval later.
Calling the screen back from the value's watcher puts both in the same frame (issue 3:
one filter keystroke to repaint within 30 ms on the large demo).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Input


class FilterInput(Input):
    """``on_value(text)`` runs as soon as the text changes, before ``Changed`` is posted."""

    def __init__(self, on_value: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_value = on_value

    def _watch_value(self, value: str) -> None:
        super()._watch_value(value)
        if self.is_mounted:
            self._on_value(value)
