"""The CellGrid widget (the Rota's week): cell cursor by keys and mouse, rows asked for
only when drawn, the fixed first column kept in place when scrolled sideways."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from coordinator_tui.widgets.cell_grid import CellGrid, GridColumn

ROWS = 50
COLUMNS = [GridColumn("Name", 8), *(GridColumn(f"Day {d}", 6) for d in range(1, 9))]


class GridApp(App[None]):
    def __init__(self, rows: int = ROWS) -> None:
        super().__init__()
        self.rows = rows
        self.asked: list[int] = []
        self.highlighted: list[tuple[int, int]] = []
        self.selected: list[tuple[int, int]] = []
        self.version = 0

    def compose(self) -> ComposeResult:
        yield CellGrid(empty_text="No carers yet.")

    def on_mount(self) -> None:
        self.query_one(CellGrid).set_grid(COLUMNS, self.rows, self.row, cursor=(0, 1))

    def row(self, index: int) -> list[str | Text]:
        self.asked.append(index)
        cells: list[str | Text] = [f"row {index}"]
        cells += [Text(f"{index}.{c}.{self.version}", style="red") for c in range(1, 9)]
        return cells

    def on_cell_grid_cell_highlighted(self, event: CellGrid.CellHighlighted) -> None:
        self.highlighted.append((event.row, event.column))

    def on_cell_grid_cell_selected(self, event: CellGrid.CellSelected) -> None:
        self.selected.append((event.row, event.column))


def screen_text(app: App) -> str:
    return "\n".join(
        "".join(segment.text for segment in line) for line in app.screen._compositor.render_strips()
    )


async def test_keys_move_the_cell_cursor_and_enter_selects():
    app = GridApp()
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(CellGrid)
        grid.focus()
        await pilot.pause()
        # Only the rows on screen were asked for, not all fifty.
        assert max(app.asked) < 12
        await pilot.press("down", "down", "right")
        assert grid.cursor == (2, 2)
        await pilot.press("left", "left", "left")  # stops at the first column
        assert grid.cursor == (2, 0)
        await pilot.press("up", "up", "up")
        assert grid.cursor == (0, 0)
        await pilot.press("pagedown")
        assert grid.cursor_row > 5
        await pilot.press("end")
        assert grid.cursor_row == ROWS - 1 and grid.scroll_offset.y > 0
        await pilot.press("home")
        assert grid.cursor_row == 0 and grid.scroll_offset.y == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [(0, 0)]
        assert app.highlighted[-1] == (0, 0)


async def test_sideways_scroll_keeps_the_first_column():
    app = GridApp()
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(CellGrid)
        grid.focus()
        await pilot.pause()
        await pilot.press(*["right"] * 8)
        await pilot.pause()
        assert grid.cursor == (0, 8)
        assert grid.scroll_offset.x > 0
        text = screen_text(app)
        assert "row 0" in text and "Day 8" in text and "0.8.0" in text
        assert "Day 1 " not in text  # scrolled out of view, the name column stays
        # The view starts at a column's edge: no column is left half shown.
        header = text.splitlines()[0]
        assert header[9:].lstrip().startswith("Day")


async def test_refresh_rows_redraws_only_those_rows():
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = app.query_one(CellGrid)
        await pilot.pause()
        app.asked.clear()
        app.version = 1
        grid.refresh_rows([3])
        await pilot.pause()
        assert set(app.asked) == {3}
        text = screen_text(app)
        assert "3.1.1" in text and "2.1.0" in text


async def test_click_moves_the_cursor_and_double_click_selects():
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = app.query_one(CellGrid)
        await pilot.pause()
        await pilot.click(CellGrid, offset=(16, 3))  # row 2 (under the header), 2nd day
        assert grid.cursor == (2, 2)
        await pilot.click(CellGrid, offset=(2, 4), times=2)
        await pilot.pause()
        assert grid.cursor == (3, 0)
        assert app.selected[-1] == (3, 0)


async def test_empty_grid_says_so():
    app = GridApp(rows=0)
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        assert "No carers yet." in screen_text(app)
        await pilot.press("enter", "down")
        assert app.selected == []


async def test_the_cursor_stays_in_view_when_the_terminal_narrows():
    app = GridApp()
    async with app.run_test(size=(100, 12)) as pilot:
        grid = app.query_one(CellGrid)
        grid.focus()
        await pilot.press(*["right"] * 8)
        await pilot.pause()
        assert grid.scroll_offset.x == 0  # all columns fit at 100
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.pause()
        assert grid.scroll_offset.x > 0
        assert "0.8.0" in screen_text(app)


async def test_far_right_shows_whole_columns():
    """At the last column of a narrow grid, the view still starts at a column's edge."""
    app = GridApp()
    async with app.run_test(size=(37, 12)) as pilot:
        grid = app.query_one(CellGrid)
        grid.focus()
        await pilot.press(*["right"] * 8)
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert header[9:].startswith("Day ")
        assert "Day 8" in header
