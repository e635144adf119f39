"""The access report (Reports, 7, then ``a``; issue 17 §4): for the safeguarding lead,
break-glass uses with their reasons, views outside the viewer's practices, out-of-hours
bursts, bulk exports and who viewed which records, over the last 30 days (``[``/``]``
move the period by 30 days). The service checks ``audit_review``; a refusal is shown on
the screen, in place of the report."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.services.reports.access import AccessReport
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker

PERIOD_DAYS = 30
MOST_VIEWED = 50
"""Rows of the records-viewed table shown (most viewed first); the CLI's --json has all."""

STAMP = "%d/%m %H:%M"


def _section(title: str, rows: list[tuple[str, ...]], columns: tuple[str, ...]) -> Group:
    heading = Text(f"{title} ({len(rows)})", style="bold underline")
    if not rows:
        return Group(heading, Text("None.", style="dim"), Text(""))
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(
            column, no_wrap=column != columns[-1], ratio=1 if column == columns[-1] else None
        )
    for row in rows:
        table.add_row(*row)
    return Group(heading, table, Text(""))


def render_report(report: AccessReport) -> Group:
    """The report as Rich renderables: flagged things first, then the views."""
    glass = [
        (u.at.strftime(STAMP), u.actor, f"{u.table_name} {u.row_id}", f"{u.why}: {u.reason}")
        for u in report.break_glass
    ]
    outside = [
        (
            v.at.strftime(STAMP),
            v.actor,
            f"person {v.row_id}",
            "by break-glass" if v.break_glass else "WITHOUT break-glass",
        )
        for v in report.outside
    ]
    bursts = [
        (uk_date(b.day), b.actor, f"{b.reads} reads", f"{b.first:%H:%M} to {b.last:%H:%M}")
        for b in report.bursts
    ]
    bulk = [
        (uk_date(b.day), b.actor, f"{b.exports} exports, {b.files} files", ", ".join(b.kinds))
        for b in report.bulk_exports
    ]
    views = [
        (
            v.actor,
            f"{v.table_name} {v.row_id if v.row_id is not None else '-'}",
            str(v.views),
            f"last {v.last.strftime(STAMP)}",
        )
        for v in report.views[:MOST_VIEWED]
    ]
    return Group(
        _section("Break-glass uses", glass, ("When", "Who", "Record", "Why and reason")),
        _section("Views outside the viewer's practices", outside, ("When", "Who", "Record", "How")),
        _section("Out-of-hours bursts", bursts, ("Day", "Who", "Reads", "Between")),
        _section("Bulk exports", bulk, ("Day", "Who", "Exports", "What")),
        _section("Records viewed (most first)", views, ("Who", "Record", "Views", "Last")),
    )


class AccessReportScreen(CoordinatorScreen):
    """The access report for a period."""

    HELP = (
        "The access report (for the safeguarding lead): break-glass uses with the reason "
        "typed, views of records outside the viewer's practices, out-of-hours bursts of "
        "reads, bulk exports, and who viewed which records. [ and ] move the 30-day period."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="access_report.back"),
        Binding("left_square_bracket", "move(-1)", "Earlier", id="access_report.earlier"),
        Binding("right_square_bracket", "move(1)", "Later", id="access_report.later"),
        Binding("f5", "reload", "Reload", show=False, id="access_report.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.end: date | None = None
        self.report: AccessReport | None = None
        self.refusal: str | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="access-body"):
            yield Static("Loading…", id="access-title")
            yield Static("", id="access-report")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Access report"
        self.end = self.today
        self.load()

    def action_move(self, step: int) -> None:
        if self.end is not None:
            self.end += timedelta(days=PERIOD_DAYS * step)
            self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="access-report")
    def load(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.reports.access import access_report

        end = self.end or self.today
        try:
            with self.coordinator.session() as session:
                report = access_report(session, end - timedelta(days=PERIOD_DAYS - 1), end)
        except CoordinatorError as exc:
            call_from_worker(self, self.refused, str(exc))
            return
        call_from_worker(self, self.show, report)

    def refused(self, message: str) -> None:
        self.refusal = message
        self.query_one("#access-title", Static).update(Text(message, style="bold red"))
        self.loaded = True

    def show(self, report: AccessReport) -> None:
        self.report = report
        title = Text(
            f"Access report {uk_date(report.start)} to {uk_date(report.end)}", style="bold"
        )
        self.query_one("#access-title", Static).update(title)
        self.query_one("#access-report", Static).update(render_report(report))
        self.loaded = True
