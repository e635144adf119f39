"""Rota (key 5): carers down, the seven days of the week across.

Each cell shows the carer's visits and hours that day (``off`` when absent); the last
column their week's hours against contract. The panel below lists the visits still short
of carers. ``enter`` on a cell opens that carer's day as a timeline with the gaps between
visits; ``[`` and ``]`` move a week; ``tab`` moves between the grid and the unassigned
visits; ``g`` creates the week's visits from the care packages when it has none yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.rota_grid import GridVisit, WeekGrid

UNASSIGNED_COLUMNS = [
    Column("Day", 9),
    Column("Time", 11),
    Column("Customer"),
    Column("Needs", 8),
    Column("Skills", 12),
    Column("Tasks", 0, show_from=110),
]


def hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}h"


def grid_cell(grid: WeekGrid, carer_id: int, day: date) -> Text:
    """ "3 4.5h" for three visits, four and a half hours; "off" when absent."""
    visits = grid.cell(carer_id, day)
    if (carer_id, day) in grid.absent:
        return Text("off" if not visits else f"off! {len(visits)}", style="bold red")
    if not visits:
        return Text("·", style="dim")
    return Text(f"{len(visits)} {hours(sum(v.minutes for v in visits))}")


def week_cell(grid: WeekGrid, carer_id: int, contracted: float) -> Text:
    minutes = grid.week_minutes(carer_id)
    text = f"{hours(minutes)}/{contracted:g}"
    over = contracted and minutes / 60 > contracted
    return Text(text, style="yellow" if over else "")


def unassigned_row(visit: GridVisit) -> Row:
    needs = f"{visit.short_of} of {visit.carers_required}"
    return Row(
        visit.id,
        (
            f"{visit.day:%a %d/%m}",
            f"{visit.start:%H:%M}-{visit.end:%H:%M}",
            visit.customer,
            needs,
            visit.required_skills.replace(",", " "),
            visit.tasks,
        ),
    )


class RotaScreen(SectionScreen):
    MODE = "rota"
    CSS_PATH = "rota.tcss"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("left_square_bracket", "week(-1)", "Prev week", id="rota.prev_week"),
        Binding("right_square_bracket", "week(1)", "Next week", id="rota.next_week"),
        Binding("g", "generate", "Generate visits", id="rota.generate"),
        Binding("f5", "reload", "Reload", show=False, id="rota.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.week: date | None = None
        self.grid: WeekGrid | None = None
        self.unassigned: list[GridVisit] = []
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="rota-body"):
            yield Static("Loading the rota…", id="rota-summary")
            yield DataTable(id="rota-grid", cursor_type="cell", zebra_stripes=True)
            yield Static("", id="rota-unassigned-title")
            yield LazyTable(
                UNASSIGNED_COLUMNS,
                empty_text="Every visit this week has its carers.",
                id="rota-unassigned",
            )

    def on_database_ready(self) -> None:
        from coordinator_tui.services.visit_generation import week_start_of

        self.week = week_start_of(self.coordinator.settings.current_date())
        self.query_one("#rota-grid", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="rota")
    def load(self) -> None:
        from coordinator_tui.services.rota_grid import load_week

        assert self.week is not None
        with self.coordinator.session() as session:
            grid = load_week(session, self.week)
        self.app.call_from_thread(self.show, grid)

    def show(self, grid: WeekGrid) -> None:
        self.grid = grid
        table = self.query_one("#rota-grid", DataTable)
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        table.add_column("Carer", key="carer", width=18)
        today = self.coordinator.settings.current_date()
        for day in grid.days:
            label = f"{day:%a %d}"
            table.add_column(
                Text(label, style="bold reverse" if day == today else "bold"),
                key=day.isoformat(),
                width=9,
            )
        table.add_column("Week/contract", key="week", width=13)
        for carer in grid.carers:
            table.add_row(
                carer.name[:18],
                *(grid_cell(grid, carer.id, day) for day in grid.days),
                week_cell(grid, carer.id, carer.contracted_hours),
                key=str(carer.id),
            )
        if grid.carers:
            table.cursor_coordinate = table.validate_cursor_coordinate(cursor)
        self.unassigned = grid.unassigned()
        self.query_one("#rota-unassigned", LazyTable).set_source(
            MappedSource(self.unassigned, unassigned_row)
        )
        visits = len(grid.visits)
        minutes = sum(v.minutes * max(len(v.carer_ids), 1) for v in grid.visits.values())
        self.query_one("#rota-summary", Static).update(
            Text.assemble(
                (f"Week of {grid.monday:%a %d %b %Y}", "bold"),
                f" · {len(grid.carers)} carers · {visits:,} visits · {hours(minutes)} of care · ",
                (
                    f"{len(self.unassigned):,} short of carers",
                    "bold red" if self.unassigned else "green",
                ),
                ("   [ ] week  g generate  tab unassigned", "dim"),
            )
        )
        title = (
            f"Unassigned visits ({len(self.unassigned):,})"
            if visits
            else "No visits this week yet: g creates them from the care packages"
        )
        self.query_one("#rota-unassigned-title", Static).update(Text(title, style="bold"))
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def action_week(self, step: int) -> None:
        if self.week is None:
            return
        self.week = self.week + timedelta(weeks=step)
        self.loaded = False
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_generate(self) -> None:
        from coordinator_tui.services.visit_generation import (
            VisitGenerationError,
            generate_week,
        )

        if self.week is None:
            return
        try:
            with self.coordinator.session() as session:
                result = generate_week(session, self.week)
        except VisitGenerationError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(result.summary(), timeout=8)
        self.load()

    def current_cell(self) -> tuple[int, date] | None:
        """The carer and day under the grid's cursor (None on the name or week column)."""
        table = self.query_one("#rota-grid", DataTable)
        if self.grid is None or not self.grid.carers:
            return None
        row, column = table.cursor_coordinate
        if not 1 <= column <= 7:
            return None
        return self.grid.carers[row].id, self.grid.days[column - 1]

    @on(DataTable.CellSelected, "#rota-grid")
    def open_day(self) -> None:
        from coordinator_tui.screens.carer_day import CarerDayScreen

        cell = self.current_cell()
        if cell is None or self.grid is None:
            return
        carer_id, day = cell
        carer = next(c for c in self.grid.carers if c.id == carer_id)
        self.app.push_screen(CarerDayScreen(carer_id, carer.name, day))
