"""Review compliance (``V`` on Registers): per practice and register, from the same
service the reports use."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.services.registers import ComplianceRow
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def compliance_table(rows: list[ComplianceRow]) -> Table | Text:
    if not rows:
        return Text("No active register entries.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for label, justify in (
        ("Practice", "left"),
        ("Register", "left"),
        ("Active", "right"),
        ("Reviewed in interval", "right"),
        ("Reviews, last 30 days", "right"),
        ("On time", "right"),
    ):
        table.add_column(label, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        low = row.in_interval_pct is not None and row.in_interval_pct < 80
        table.add_row(
            row.practice,
            row.category,
            f"{row.active:,}",
            Text(
                f"{row.in_interval:,} ({_pct(row.in_interval_pct)})"
                + (" ⚠ below 80%" if low else ""),
                style="red" if low else "",
            ),
            f"{row.reviews_last_month:,}",
            f"{row.on_time:,} ({_pct(row.on_time_pct)})",
        )
    return table


class ComplianceScreen(CoordinatorScreen):
    """Share of active entries whose last review is within their interval, and share of
    last month's reviews done by their due date."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="compliance.back")]
    HELP = __doc__

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("Loading…", id="compliance-table")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Review compliance"
        self.load()

    @work(thread=True, exclusive=True, group="compliance")
    def load(self) -> None:
        from coordinator_tui.services.registers import review_compliance

        with self.coordinator.session() as session:
            rows = review_compliance(session, self.coordinator.settings.current_date())
        call_from_worker(self, self.show, rows)

    def show(self, rows: list[ComplianceRow]) -> None:
        self.query_one("#compliance-table", Static).update(compliance_table(rows))
