"""A Rich renderable drawn once per width, for Rich tables shown in a ``Static``.

A ``Static`` holding a Rich ``Table`` renders the whole table twice on every layout:
once to count its lines (``RichVisual.get_height``) and once to draw them, and again on
the next layout at the same width (a mode switch lays a screen out anew). Laying out a
table is the costly part of showing it (a figures table of five types by five practices:
about 3 ms a render here), and its lines depend only on the width, so ``RenderOnce``
keeps the segments of the last width and hands the same ones to every pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.segment import Segment

if TYPE_CHECKING:
    from textual.app import App


class RenderOnce:
    """Wraps ``renderable``; renders it again only when the width (or the console's
    output capabilities) change. The wrapped renderable must not change afterwards:
    show a new ``RenderOnce`` for new content."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._key: tuple | None = None
        self._segments: list[Segment] = []

    def prerender(self, app: App, width: int) -> None:
        """Render now, for a ``Static`` whose content is ``width`` cells wide, with the
        options Textual measures its height with (``RichVisual.get_height``): content
        that arrives in the background is then ready before the layout that needs it."""
        options = app.console_options.update_width(width).update(highlight=False)
        self.segments(app.console, options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterable[Segment]:
        return self.segments(console, options)

    def segments(self, console: Console, options: ConsoleOptions) -> list[Segment]:
        """The renderable's segments for ``options``, rendered if the width changed."""
        # The height is left out of the key on purpose: Textual measures with no height
        # and draws with one, and a table's lines do not depend on it.
        key = (
            options.min_width,
            options.max_width,
            options.ascii_only,
            options.legacy_windows,
            options.justify,
            options.overflow,
            options.no_wrap,
            options.highlight,
            options.markup,
        )
        if key != self._key:
            self._segments = list(console.render(self.renderable, options))
            self._key = key
        return self._segments

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)
