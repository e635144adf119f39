"""Textual's ``Footer``, rebuilt only when the keys it shows change.

Opening a screen changes its bindings several times in a row (the old screen suspended,
the focus set, the screen resumed...), and Textual's footer rebuilds all its key widgets
after each change: on the Rota section that was four rebuilds, a good part of the time
to the grid's first frame. This footer queues at most one rebuild per refresh, and skips
it when the keys it would show are the ones it shows already.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """The footer of every screen: the bindings that work now."""

    _rebuild_queued = False
    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What the footer would show: each shown binding, enabled or not, and its tip."""
        return tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_queued:
            self._rebuild_queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
