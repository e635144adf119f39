"""RenderOnce: the same lines as the wrapped renderable, rendered once per width."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from coordinator_tui.widgets.render_once import RenderOnce


class Counting:
    """A renderable that counts how often it is rendered."""

    def __init__(self) -> None:
        self.table = Table("Type", "PCN")
        self.table.add_row("MASH", "3 · 4.5 · 1/7")
        self.renders = 0

    def __rich_console__(self, console, options):
        self.renders += 1
        yield self.table


def lines(console: Console, renderable, width: int) -> list[str]:
    return [
        "".join(segment.text for segment in line)
        for line in console.render_lines(renderable, console.options.update_width(width))
    ]


def test_same_lines_as_the_table_rendered_once_per_width():
    console = Console(width=80, color_system=None)
    inner = Counting()
    once = RenderOnce(inner)
    assert lines(console, once, 40) == lines(console, inner.table, 40)
    assert lines(console, once, 40) == lines(console, inner.table, 40)
    assert inner.renders == 1
    # Textual measures the height with no height given and draws with one: one render.
    options = console.options.update_width(40)
    list(console.render(once, options.update(height=5)))
    assert inner.renders == 1
    assert lines(console, once, 30) == lines(console, inner.table, 30)
    assert inner.renders == 2


def test_measures_like_the_wrapped_renderable():
    from rich.measure import Measurement

    console = Console(width=80)
    table = Table("Type", "PCN")
    table.add_row("MASH", "3")
    options = console.options
    assert Measurement.get(console, options, RenderOnce(table)) == Measurement.get(
        console, options, table
    )
