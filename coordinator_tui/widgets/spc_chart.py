"""An XmR chart drawn in the terminal with symbols, so it reads without colour: ``●`` a
common-cause point, ``▲``/``▼`` a special-cause point above/below the mean, ``─`` the
mean, ``┄`` the process limits; colour only reinforces the symbols.

The chart is the data of ``services.reports.spc.XmR``; this widget only draws it, at the
width it is given (the points spread out, or the oldest are left off when too many).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from coordinator_tui.services.reports.spc import XmR

AXIS = 10  # the left axis: "UL    12.3"
COMMON, HIGH, LOW = "●", "▲", "▼"
LEGEND = f"{COMMON} common cause  {HIGH}{LOW} special cause  ─ mean  ┄ process limits"


def render_chart(chart: XmR, width: int, height: int = 8) -> Text:
    """The chart as text lines: ``height`` rows of plot, a row of period labels and the
    legend. A lower limit under zero is drawn at zero (counts cannot be negative)."""
    text = Text(no_wrap=True, overflow="crop")
    points = list(chart.points)
    if not points:
        text.append("No periods to chart yet.", style="dim")
        return text
    space = max(width - AXIS - 1, 4)
    step = max(1, min(6, space // len(points)))
    keep = max(1, space // step)
    points = points[-keep:]
    lowest = max(0.0, min(chart.lower, *(p.value for p in points)))
    highest = max(chart.upper, *(p.value for p in points), lowest + 1)
    rows = max(height, 3)

    def row_of(value: float) -> int:
        share = (value - lowest) / (highest - lowest)
        return rows - 1 - round(share * (rows - 1))

    lines = [[" "] * (len(points) * step) for _ in range(rows)]
    styles: dict[tuple[int, int], str] = {}
    marks = {row_of(chart.upper): ("┄", "UL"), row_of(chart.mean): ("─", "mean")}
    if chart.lower >= lowest:
        marks.setdefault(row_of(max(chart.lower, lowest)), ("┄", "LL"))
    for r, (char, _) in marks.items():
        lines[r] = [char] * len(lines[r])
    for i, point in enumerate(points):
        r, c = row_of(point.value), i * step + step // 2
        symbol = COMMON if not point.special else HIGH if point.side != "low" else LOW
        lines[r][c] = symbol
        styles[(r, c)] = "bold red" if point.special else "bold"
    labels = {
        row_of(chart.upper): f"UL{chart.upper:8.1f}",
        row_of(chart.mean): f"mean{chart.mean:6.1f}",
    }
    if chart.lower >= lowest:
        labels.setdefault(row_of(chart.lower), f"LL{chart.lower:8.1f}")
    for r in range(rows):
        text.append(f"{labels.get(r, ''):<{AXIS}}│", style="dim")
        for c, char in enumerate(lines[r]):
            style = styles.get((r, c))
            text.append(char, style=style or ("dim" if char in "┄─" else ""))
        text.append("\n")
    text.append(" " * AXIS + "└" + "─" * (len(points) * step) + "\n", style="dim")
    axis = [" "] * (len(points) * step + 12)
    spacing = max(1, (7 + step - 1) // step)
    for i in range(0, len(points), spacing):
        label = points[i].label[:7]
        at = i * step
        axis[at : at + len(label)] = list(label)
    text.append(" " * (AXIS + 1) + "".join(axis).rstrip() + "\n", style="dim")
    text.append(LEGEND, style="dim")
    if chart.provisional:
        text.append(
            f"\nLimits from {len(chart.points)} points: provisional (Making Data Count "
            "advises at least 15).",
            style="dim",
        )
    return text


class SpcChart(Static):
    """Draws one XmR chart; ``show(chart)`` replaces it, a resize redraws it."""

    DEFAULT_CSS = """
    SpcChart {
        height: auto;
    }
    """

    def __init__(self, *, plot_height: int = 8, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.chart: XmR | None = None
        self.plot_height = plot_height

    def show(self, chart: XmR | None) -> None:
        self.chart = chart
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self.chart is None:
            self.update("")
            return
        width = self.size.width or 80
        # a short terminal keeps room for the list above: a flatter plot
        rows = self.plot_height if self.app.size.height >= 30 else min(self.plot_height, 3)
        self.update(render_chart(self.chart, width, rows))
