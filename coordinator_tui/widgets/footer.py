"""The footer: the keys that work now, drawn as one or two lines by one widget.

Textual's ``Footer`` is a container of one widget per key, recomposed whenever the
bindings change; opening a screen changes them several times in a row (the old screen
suspended, the focus set, the screen resumed). On a section screen its ten to fourteen key
widgets were half the widgets of the screen and their styling and rebuilding a large part
of the time to open it (issues 3, 4 and 6 set targets for opening screens). This footer
looks the same but is a single widget that re-renders its text.

At 80 columns one line holds five or six keys, and Textual's footer cut the rest: a
meeting's Start, Finish, Attendance and Export were simply not there (issue 22). This one
takes a second line when the keys do not fit in one, and when they do not fit in two it
drops the gaps between them first; only then is a key left off, and the keys left off are
the last ones: a screen lists its most used keys first in ``BINDINGS`` (that order is the
footer's priority), and ``?`` shows them all.
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
    from textual.geometry import Size
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
        height: auto;
        max-height: 2;
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

    MAX_LINES = 2

    def __init__(self) -> None:
        super().__init__()
        self._queued = False
        self._keys: list[tuple[int, int, int, str]] = []  # (line, start, end, key) for clicks
        self._height = 1  # lines last laid out for
        self._owners: dict[str, object] = {}  # action -> the node whose binding it is

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
        if self.is_attached and self._lines_needed(self.size.width) != self._height:
            self.refresh(layout=True)  # one line more or less: the screen above resizes
        else:
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._height = self._lines_needed(width)
        return self._height

    def _lines_needed(self, width: int) -> int:
        """Two lines when the screen's own keys do not fit in one; the app's keys (quit,
        help) never take a second line by themselves: they are shown where there is room."""
        if width <= 0:
            return 1
        shown, palette = self._shown()
        app = self.app
        widths = [
            self._key_width(binding, compact=False)
            for binding, _ in shown
            if self._owners.get(binding.action) is not app
        ]
        right = self._palette_width(palette)
        return 1 if sum(widths) <= max(width - right, 0) else self.MAX_LINES

    def _shown(self) -> tuple[list[tuple[Binding, bool]], tuple[Binding, bool] | None]:
        """The keys to show (first binding per action) and the palette key, if any."""
        active = self.screen.active_bindings
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else ""
        seen: set[str] = set()
        shown: list[tuple[Binding, bool]] = []
        self._owners = {}
        for node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, enabled))
                self._owners[binding.action] = node
        palette = None
        if palette_key and palette_key in active:
            _node, binding, enabled, _tooltip = active[palette_key]
            palette = (binding, enabled)
        return shown, palette

    def _key_width(self, binding: Binding, *, compact: bool) -> int:
        key = self.app.get_key_display(binding)
        return cell_len(key) + cell_len(binding.description) + (2 if compact else 3)

    def _palette_width(self, palette: tuple[Binding, bool] | None) -> int:
        if palette is None:
            return 0
        binding = palette[0]
        return 3 + cell_len(self.app.get_key_display(binding)) + cell_len(binding.description)

    def _key_text(
        self,
        binding: Binding,
        enabled: bool,
        key_style: Style,
        desc_style: Style,
        *,
        compact: bool = False,
    ) -> Text:
        key = self.app.get_key_display(binding)
        key = f"{key} " if compact else f" {key} "
        text = Text.assemble((key, key_style), (f"{binding.description} ", desc_style))
        if not enabled:
            text.stylize(Style(dim=True))
        return text

    def _layout(
        self, parts: list[Text], first_room: int, last_room: int, lines: int
    ) -> tuple[list[list[int]], int]:
        """Indexes of ``parts`` on each line, in order, filling a line before the next;
        and how many did not fit. The last line leaves room for the palette key."""
        rows: list[list[int]] = [[] for _ in range(lines)]
        line, used = 0, 0
        for index, part in enumerate(parts):
            while True:
                room = last_room if line == lines - 1 else first_room
                if used + part.cell_len <= room:
                    rows[line].append(index)
                    used += part.cell_len
                    break
                if line == lines - 1:
                    return rows, len(parts) - index
                line, used = line + 1, 0
        return rows, 0

    def render(self) -> Text:
        width = self.size.width
        lines = max(min(self.size.height, self.MAX_LINES), 1)
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
        parts = [self._key_text(b, e, key_style, desc_style) for b, e in shown]
        rows, left_off = self._layout(parts, width, room, lines)
        if left_off and lines > 1:  # tighter: drop the gaps around the keys
            parts = [self._key_text(b, e, key_style, desc_style, compact=True) for b, e in shown]
            rows, left_off = self._layout(parts, width, room, lines)
        self._keys = []
        out = Text(no_wrap=True, overflow="crop", end="")
        for number, indexes in enumerate(rows):
            line = Text(no_wrap=True, overflow="crop", end="")
            for index in indexes:
                start = line.cell_len
                line.append_text(parts[index])
                self._keys.append((number, start, line.cell_len, shown[index][0].key))
            if number == len(rows) - 1 and palette is not None:
                line.append(" " * (room - line.cell_len))
                start = line.cell_len + 1
                self._keys.append((number, start, start + right.cell_len - 1, palette[0].key))
                line.append_text(right)
            if number:
                out.append("\n")
            out.append_text(line)
        return out

    def on_click(self, event: events.Click) -> None:
        for line, start, end, key in self._keys:
            if line == event.y and start <= event.x < end:
                event.stop()
                self.app.simulate_key(key.split(",")[0])
                return
