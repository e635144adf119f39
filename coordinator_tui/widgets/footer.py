"""The footer: the keys that work now, drawn as one line by one widget.

Textual's ``Footer`` is a container of one widget per key, recomposed whenever the
bindings change; opening a screen changes them several times in a row (the old screen
suspended, the focus set, the screen resumed). On a section screen its ten to fourteen key
widgets were half the widgets of the screen and their styling and rebuilding a large part
of the time to open it (issues 3, 4 and 6 set targets for opening screens). This footer
looks the same but is a single widget that re-renders one line of text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen


class Footer(Widget):
    """The bindings of the focused chain that are marked ``show``, one per action, and the
    command palette key on the right. A click on a key presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "footer--key",
        "footer--description",
        "footer--separator",
    }
    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    Footer > .footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    Footer > .footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    Footer > .footer--separator {
        color: $foreground 20%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._queued = False
        self._keys: list[tuple[int, int, str]] = []  # (start, end, key) for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # One repaint however many changes arrive before it runs.
        if self.is_attached and screen is self.screen and not self._queued:
            self._queued = True
            self.call_after_refresh(self._repaint)

    def _repaint(self) -> None:
        self._queued = False
        self.refresh()

    def _shown(self) -> tuple[list[tuple[Binding, bool]], tuple[Binding, bool] | None]:
        """The keys to show (first binding per action) and the palette key, if any."""
        active = self.screen.active_bindings
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else ""
        seen: set[str] = set()
        shown: list[tuple[Binding, bool]] = []
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, enabled))
        palette = None
        if palette_key and palette_key in active:
            _node, binding, enabled, _tooltip = active[palette_key]
            palette = (binding, enabled)
        return shown, palette

    def _key_text(
        self, binding: Binding, enabled: bool, key_style: Style, desc_style: Style
    ) -> Text:
        key = f" {self.app.get_key_display(binding)} "
        text = Text.assemble((key, key_style), (f"{binding.description} ", desc_style))
        if not enabled:
            text.stylize(Style(dim=True))
        return text

    def render(self) -> Text:
        width = self.size.width
        key_style = self.get_component_rich_style("footer--key")
        desc_style = self.get_component_rich_style("footer--description")
        shown, palette = self._shown()
        right = Text()
        if palette is not None:
            binding, enabled = palette
            right.append("▏", self.get_component_rich_style("footer--separator"))
            right.append(self.app.get_key_display(binding), key_style)
            right.append(f" {binding.description} ", desc_style)
        room = max(width - right.cell_len, 0)
        line = Text(no_wrap=True, overflow="crop")
        self._keys = []
        for binding, enabled in shown:
            part = self._key_text(binding, enabled, key_style, desc_style)
            if line.cell_len + part.cell_len > room:
                break
            start = line.cell_len
            line.append_text(part)
            self._keys.append((start, start + cell_len(part.plain), binding.key))
        if palette is not None:
            line.append(" " * (room - line.cell_len))
            start = line.cell_len + 1
            self._keys.append((start, start + right.cell_len - 1, palette[0].key))
            line.append_text(right)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key.split(",")[0])
                return
