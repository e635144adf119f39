"""A grid with a cell cursor that draws only the rows on screen: the rota's week.

Textual's DataTable measures and renders every cell through Rich's console machinery:
on the Rota screen (60 carers by 9 columns) that was about half of the time from the key
to the grid on screen (DESIGN.md section 6). This Line-API widget asks its ``row``
callback for the rows in view only, renders each cell once (cached until the row is
refreshed) and builds a line from those segments. The first ``fixed_columns`` stay in
place when the grid scrolls sideways, as at 80x24 the week may not fit.

Columns are divided by a faint rule (``│``) rather than a space, so a cell's last
character never reads as part of the next cell (also when the screen is read as text, as
by a screen reader or from a screenshot, where runs of spaces between styles are lost).
A column is shown whole or not at all: at the right edge a column that does not fit is
left out, never cut, so a figure such as ``11.8h/16`` cannot show as ``11.8h/1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from coordinator_tui.services.safe_text import has_controls, visible
from coordinator_tui.widgets.row_cursor import RowCursorView

GridCell = str | Text


SEPARATOR = "│"


@dataclass(frozen=True)
class GridColumn:
    """A column: its heading and its width in cells (a rule follows each column)."""

    label: GridCell
    width: int


class CellGrid(RowCursorView):
    """Rows of cells, a header line that stays in place, and a cell cursor."""

    DEFAULT_CSS = """
    CellGrid {
        background: $surface;
        height: 1fr;
    }
    CellGrid:focus {
        background-tint: $foreground 5%;
    }
    CellGrid > .cell-grid--header {
        text-style: bold;
        background: $panel;
    }
    CellGrid > .cell-grid--fixed {
        background: $secondary-muted;
    }
    CellGrid > .cell-grid--even-row {
        background: $surface-lighten-1 50%;
    }
    CellGrid:dark > .cell-grid--even-row {
        background: $surface-darken-1 40%;
    }
    CellGrid > .cell-grid--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    CellGrid:focus > .cell-grid--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    CellGrid > .cell-grid--empty {
        color: $text-muted;
        text-style: italic;
    }
    CellGrid > .cell-grid--rule {
        color: $foreground 25%;
    }
    """

    COMPONENT_CLASSES = {
        "cell-grid--header",
        "cell-grid--fixed",
        "cell-grid--even-row",
        "cell-grid--cursor",
        "cell-grid--empty",
        "cell-grid--rule",
    }

    BINDINGS = [
        Binding("left", "cursor_left", "Left", show=False),
        Binding("right", "cursor_right", "Right", show=False),
    ]

    cursor_column: reactive[int] = reactive(0, always_update=True)

    class CellHighlighted(Message):
        """The cursor moved to (``row``, ``column``)."""

        def __init__(self, grid: CellGrid, row: int, column: int) -> None:
            super().__init__()
            self.grid = grid
            self.row = row
            self.column = column

        @property
        def control(self) -> CellGrid:
            return self.grid

    class CellSelected(CellHighlighted):
        """``enter`` (or a double click) on the cell (``row``, ``column``)."""

    def __init__(
        self,
        *,
        fixed_columns: int = 1,
        empty_text: str = "Nothing to show.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.fixed_columns = fixed_columns
        self.empty_text = empty_text
        self.columns: list[GridColumn] = []
        self._row_count = 0
        self._row: Callable[[int], Sequence[GridCell]] = lambda index: ()
        # Rendered cells, by row: one list of segment lists (no base style) per row.
        self._rendered: dict[int, list[list[Segment]]] = {}
        self._part_styles: dict[str, Style] | None = None
        # While a frame's lines are drawn: the widget's style and width, worked out once.
        self._frame: tuple[Style, int] | None = None

    # -- data ---------------------------------------------------------------------------

    def set_grid(
        self,
        columns: Sequence[GridColumn],
        row_count: int,
        row: Callable[[int], Sequence[GridCell]],
        *,
        cursor: tuple[int, int] | None = None,
    ) -> None:
        """Show ``row_count`` rows whose cells ``row(index)`` gives when drawn; put the
        cursor on ``cursor`` (kept in range) or leave it where it is."""
        self.columns = list(columns)
        self._row_count = row_count
        self._row = row
        self._rendered.clear()
        self.virtual_size = Size(self._columns_width(), row_count + 1)
        row_index, column = cursor if cursor is not None else self.cursor
        self.cursor_row, self.cursor_column = row_index, column
        self.refresh()

    def refresh_rows(self, indices: Sequence[int]) -> None:
        """The rows at ``indices`` changed: ask for their cells again when drawn."""
        for index in indices:
            self._rendered.pop(index, None)
        self.refresh()

    @property
    def row_count(self) -> int:
        return self._row_count

    @property
    def cursor(self) -> tuple[int, int]:
        return self.cursor_row, self.cursor_column

    def move_cursor(self, row: int | None = None, column: int | None = None) -> None:
        if row is not None:
            self.cursor_row = row
        if column is not None:
            self.cursor_column = column

    def cell_text(self, row: int, column: int) -> str:
        """The plain text of a cell (for tests and screen readers of the log)."""
        cells = self._row(row)
        return str(cells[column]) if column < len(cells) else ""

    # -- cursor -------------------------------------------------------------------------

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(self.columns) - 1)) if self.columns else 0

    def watch_cursor_row(self) -> None:
        self._cursor_moved()

    def watch_cursor_column(self) -> None:
        self._cursor_moved()

    def _cursor_moved(self) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.CellHighlighted(self, self.cursor_row, self.cursor_column))

    def _scroll_to_cursor(self) -> None:
        self._scroll_to_cursor_row()
        column = self.cursor_column
        if column < self.fixed_columns or not self.columns:
            return
        fixed = self._fixed_width()
        view = max(self.scrollable_content_region.width - fixed, 1)
        left = sum(c.width + 1 for c in self.columns[self.fixed_columns : column])
        right = left + self.columns[column].width + 1
        x = round(self.scroll_x)
        if left < x:
            self.scroll_to(x=left, animate=False, immediate=True)
        elif right > x + view:
            # Scroll to the first column edge that brings the cursor's column in view, so
            # that no column is left half shown on the left.
            edges = [0]
            for moving in self.columns[self.fixed_columns : column]:
                edges.append(edges[-1] + moving.width + 1)
            x = next((edge for edge in edges if edge >= right - view), left)
            need = x + view + fixed
            if need > self.virtual_size.width:
                # Room past the last column, so the view can start at that edge.
                self.virtual_size = Size(need, self.virtual_size.height)
            self.scroll_to(x=x, animate=False, immediate=True)

    def on_resize(self) -> None:
        # Back to the columns' own width (room past them is added only when needed),
        # then keep the cursor in view.
        total = self._columns_width()
        if self.virtual_size.width != total:
            self.virtual_size = Size(total, self.virtual_size.height)
        self.call_after_refresh(self._scroll_to_cursor)

    def _columns_width(self) -> int:
        """Every column and the space after it: the grid's own width."""
        return sum(c.width + 1 for c in self.columns)

    def _fixed_width(self) -> int:
        return sum(c.width + 1 for c in self.columns[: self.fixed_columns])

    def action_cursor_left(self) -> None:
        self.cursor_column -= 1

    def action_cursor_right(self) -> None:
        self.cursor_column += 1

    def select_row(self) -> None:
        if self.row_count:
            self.post_message(self.CellSelected(self, self.cursor_row, self.cursor_column))

    def on_click(self, event: events.Click) -> None:
        index = self._row_at(event.y)
        if index is None or not self.columns:
            return
        fixed = self._fixed_width()
        x = event.x if event.x < fixed else event.x + round(self.scroll_x)
        edge = 0
        for number, column in enumerate(self.columns):
            edge += column.width + 1
            if x < edge:
                self.cursor_row, self.cursor_column = index, number
                if event.chain >= 2:
                    self.action_select()
                return

    # -- drawing ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._part_styles = None  # the theme or the focus changed the component styles

    def _on_focus(self, event: events.Focus) -> None:
        self._part_styles = None

    def _on_blur(self, event: events.Blur) -> None:
        self._part_styles = None

    def _grid_part_styles(self) -> dict[str, Style]:
        if self._part_styles is None:
            self._part_styles = {
                name: self.get_component_rich_style(f"cell-grid--{name}")
                for name in ("header", "fixed", "even-row", "cursor", "empty", "rule")
            }
        return self._part_styles

    def _render_cell(self, cell: GridCell, width: int) -> list[Segment]:
        """One cell cut or padded to ``width``, as segments without a base style (applied
        per line, with the row's zebra or the cursor); the rule after it is added then."""
        # Control codes shown as symbols, never sent to the terminal (services.safe_text).
        plain = cell.plain if isinstance(cell, Text) else str(cell)
        if (
            (not isinstance(cell, Text) or not cell.spans)
            and "\n" not in plain
            and not has_controls(plain)
        ):
            # One style for the whole cell (most of the rota's): one segment, padded,
            # without Rich's line rendering (two thirds of a grid line's drawing).
            length = cell_len(plain)
            if length <= width:
                style = cell.style if isinstance(cell, Text) else ""
                own = self.app.console.get_style(style) if style else None
                return [Segment(plain + " " * (width - length), own)]
        text = cell.copy() if isinstance(cell, Text) else Text(visible(str(cell)))
        if has_controls(text.plain):
            text.plain = visible(text.plain)
        text.no_wrap, text.overflow, text.end = True, "ellipsis", ""
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = list(text.render(self.app.console))
        if text.style:  # Text.render leaves the text's own style out when it has no spans
            own = self.app.console.get_style(text.style)
            segments = list(Segment.apply_style(segments, post_style=own))
        return segments

    def _cells(self, index: int) -> list[list[Segment]]:
        found = self._rendered.get(index)
        if found is None:
            cells = self._row(index)
            found = [
                self._render_cell(cell, column.width)
                for cell, column in zip(cells, self.columns, strict=False)
            ]
            self._rendered[index] = found
        return found

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's lines, the widget's style and width worked out once for them all:
        ``rich_style`` walks every ancestor's styles, a quarter of a grid line's drawing
        (a whole frame of the Rota redraws 35 lines, issue 23 §1)."""
        self._frame = (self.rich_style, self.scrollable_content_region.width)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        if self._frame is None:
            base, width = self.rich_style, self.scrollable_content_region.width
        else:
            base, width = self._frame
        styles = self._grid_part_styles()
        fixed_width = self._fixed_width()
        if y == 0:
            style = base + styles["header"]
            cells = self._rendered.get(-1)
            if cells is None:
                cells = self._rendered[-1] = [
                    self._render_cell(column.label, column.width) for column in self.columns
                ]
            return self._line(cells, [style] * len(cells), fixed_width, width, style)
        if not self.row_count:
            if y == 1:
                style = base + styles["empty"]
                return Strip([Segment(f" {self.empty_text}", style)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        index = round(self.scroll_y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        row_style = base + styles["even-row"] if index % 2 else base
        cells = self._cells(index)
        cell_styles = [
            row_style + styles["fixed"] if number < self.fixed_columns else row_style
            for number in range(len(cells))
        ]
        if index == self.cursor_row and self.cursor_column < len(cells):
            cell_styles[self.cursor_column] = row_style + styles["cursor"]
        return self._line(cells, cell_styles, fixed_width, width, row_style)

    def _line(
        self,
        cells: list[list[Segment]],
        cell_styles: list[Style],
        fixed_width: int,
        width: int,
        fill: Style,
    ) -> Strip:
        """The fixed columns, then the others scrolled by ``scroll_x`` into the rest, each
        followed by its rule; only whole columns are drawn."""
        fixed: list[Segment] = []
        moving: list[Segment] = []
        rule = Segment(SEPARATOR, fill + self._grid_part_styles()["rule"])
        for number, (segments, style) in enumerate(zip(cells, cell_styles, strict=True)):
            target = fixed if number < self.fixed_columns else moving
            target.extend(Segment.apply_style(segments, style))
            target.append(rule)
        scroll_x = round(self.scroll_x)
        rest = max(width - fixed_width, 0)
        line = Strip(fixed).crop_extend(0, min(fixed_width, width), fill)
        if rest:
            shown = self._whole_columns(scroll_x, rest)
            moving_strip = Strip(moving).crop_extend(scroll_x, scroll_x + shown, fill)
            line = Strip.join([line, moving_strip.extend_cell_length(rest, fill)])
        return line

    def _whole_columns(self, scroll_x: int, room: int) -> int:
        """How much of ``room`` (cells, from ``scroll_x`` into the scrolling columns) the
        columns that fit whole take: a column cut at the edge is left out."""
        edge = 0
        shown = 0
        for column in self.columns[self.fixed_columns :]:
            edge += column.width + 1
            if edge - scroll_x > room:
                break
            if edge > scroll_x:
                shown = edge - scroll_x
        return shown
