"""One carer's day (``enter`` on a rota cell): a timeline bar from 06:00 to 23:00, then
each visit with the gap before the next one, so overlaps and tight travel show at once."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

if TYPE_CHECKING:
    from coordinator_tui.services.rota_grid import CarerDay

DAY_START, DAY_END = 6 * 60, 23 * 60


def timeline_bar(day: CarerDay, width: int) -> Text:
    """Visits as blocks on a line scaled from 06:00 to 23:00; overlaps in red."""
    cells = [0] * width
    scale = width / (DAY_END - DAY_START)
    for stop in day.stops:
        start = stop.visit.start.hour * 60 + stop.visit.start.minute
        end = start + stop.visit.minutes
        first = max(int((start - DAY_START) * scale), 0)
        last = min(max(int((end - DAY_START) * scale), first + 1), width)
        for i in range(first, last):
            cells[i] += 1
    bar = Text("06 ")
    for count in cells:
        if count == 0:
            bar.append("·", style="dim")
        else:
            bar.append("█", style="bold red" if count > 1 else "cyan")
    bar.append(" 23")
    return bar


def stops_table(day: CarerDay) -> Table | Text:
    if not day.stops:
        return Text("No visits this day.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for column in ("Time", "Customer", "Mins", "Skills", "With", "Tasks"):
        table.add_column(column, no_wrap=column in ("Time", "Mins"))
    for stop in day.stops:
        visit = stop.visit
        table.add_row(
            f"{visit.start:%H:%M}-{visit.end:%H:%M}",
            visit.customer,
            str(visit.minutes),
            visit.required_skills.replace(",", " "),
            ", ".join(stop.co_carers),
            visit.tasks,
        )
        if stop.gap_after_minutes is not None:
            gap = stop.gap_after_minutes
            if gap < 0:
                note = Text(f"  ✗ overlaps the next visit by {-gap} min", style="bold red")
            elif gap < 5:
                note = Text(f"  ! {gap} min to travel to the next visit", style="yellow")
            else:
                note = Text(f"  ↓ {gap} min before the next visit", style="dim")
            table.add_row("", note, "", "", "", "")
    return table


class CarerDayScreen(Screen):
    """A carer's day; ``esc`` back to the grid."""

    CSS_PATH = "rota.tcss"
    HELP = __doc__ or ""
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="carer_day.back")]

    def __init__(self, carer_id: int, name: str, day: date) -> None:
        super().__init__()
        self.carer_id = carer_id
        self.carer_name = name
        self.day = day
        self.detail: CarerDay | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="carer-day"):
            yield Static(f"{self.carer_name} · {self.day:%A %d %B %Y}", id="carer-day-title")
            yield Static("Loading…", id="carer-day-bar")
            yield Static("", id="carer-day-stops")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Carer's day"
        self.load()

    @work(thread=True, exclusive=True, group="carer-day")
    def load(self) -> None:
        from coordinator_tui.services.rota_grid import carer_day

        with self.app.session() as session:  # type: ignore[attr-defined]
            detail = carer_day(session, self.carer_id, self.day)
        self.app.call_from_thread(self.show, detail)

    def show(self, detail: CarerDay | None) -> None:
        self.detail = detail
        if detail is None:
            self.query_one("#carer-day-bar", Static).update("This carer no longer exists.")
            return
        summary = Text.assemble(
            (f"{self.carer_name}", "bold"),
            f" · {self.day:%A %d %B %Y} · {len(detail.stops)} visits · ",
            f"{detail.visit_minutes / 60:.1f}h of visits over a ",
            f"{detail.span_minutes / 60:.1f}h day",
            (" · ABSENT" if detail.absent else "", "bold red"),
        )
        self.query_one("#carer-day-title", Static).update(summary)
        width = max(self.size.width - 10, 20)
        self.query_one("#carer-day-bar", Static).update(timeline_bar(detail, width))
        self.query_one("#carer-day-stops", Static).update(stops_table(detail))
