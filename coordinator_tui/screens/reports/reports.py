"""Reports (key 7): the reports available, each with a line on where it stands; ``enter``
opens the highlighted one (the coding audit, the information sharing report, review
compliance). Reports not built yet are listed as such and open nothing."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.services.reports.catalogue import ReportEntry
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

COLUMNS = [
    Column("Report", 22),
    Column("What it shows"),
    Column("Where it stands", 50, show_from=110),
]


def report_row(entry: ReportEntry) -> Row:
    state = entry.state if entry.built else Text(entry.state, style="dim italic")
    return Row(
        entry.key,
        (entry.title, entry.about, state),
        style="" if entry.built else "dim",
    )


class ReportsScreen(SectionScreen):
    """The list of reports."""

    MODE = "reports"
    CSS_PATH = "reports.tcss"
    HELP = (
        "Reports: the coding audit (our registers against the clinical system's codes: "
        "import a SystmOne or EMIS export, act on each finding with one key), the "
        "information sharing record (what was shared with whom, on what basis, decisions "
        "taken without consent), process updates for the safeguarding administrators and "
        "review compliance, the PCN safeguarding report, the CQC evidence pack, the homecare "
        "KPI pack and the learning themes. enter opens the highlighted report; c opens the "
        "coding audit, s the sharing report, u the process updates, p the PCN report, q the "
        "CQC evidence, h the homecare KPIs, t the learning themes and a the access report "
        "(who viewed which records, break-glass uses) from anywhere in the list."
    )
    BINDINGS = [
        Binding("enter", "open", "Open", id="reports.open", show=True),
        Binding("c", "open('coding')", "Coding audit", id="reports.coding"),
        Binding("s", "open('sharing')", "Sharing", id="reports.sharing"),
        Binding("u", "open('updates')", "Process updates", id="reports.updates"),
        Binding("p", "open('pcn')", "PCN report", id="reports.pcn"),
        Binding("q", "open('cqc')", "CQC evidence", id="reports.cqc"),
        Binding("h", "open('kpi')", "Homecare KPIs", id="reports.kpi"),
        Binding("t", "open('themes')", "Themes", id="reports.themes"),
        Binding("a", "open('access')", "Access report", id="reports.access"),
        Binding("f5", "reload", "Reload", show=False, id="reports.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[ReportEntry] = []
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="reports-body"):
            yield Static(
                "The practice's and the PCN's reports. enter opens one; each works from the "
                "same data as the rest of the app.",
                id="reports-intro",
            )
            yield LazyTable(COLUMNS, empty_text="Loading…", id="reports-list")
            yield Static("", id="reports-about")

    def on_database_ready(self) -> None:
        self.query_one(LazyTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="reports")
    def load(self) -> None:
        from coordinator_tui.services.reports.catalogue import catalogue

        with self.coordinator.session() as session:
            entries = catalogue(session, self.today)
        call_from_worker(self, self.show, entries)

    def show(self, entries: list[ReportEntry]) -> None:
        self.entries = entries
        table = self.query_one(LazyTable)
        table.set_source(ListSource([report_row(entry) for entry in entries]))
        self.show_about()
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def highlighted(self) -> ReportEntry | None:
        row = self.query_one(LazyTable).current_row
        return next((e for e in self.entries if row is not None and e.key == row.key), None)

    @on(LazyTable.RowHighlighted, "#reports-list")
    def show_about(self) -> None:
        entry = self.highlighted()
        text = Text()
        if entry is not None:
            text.append(entry.title, style="bold")
            text.append(f": {entry.about}.\n")
            text.append(entry.state[:1].upper() + entry.state[1:], style="dim")
        self.query_one("#reports-about", Static).update(text)

    @on(LazyTable.RowSelected, "#reports-list")
    def _selected(self, event: LazyTable.RowSelected) -> None:
        self.action_open(event.row.key)

    def action_open(self, key: str | None = None) -> None:
        """Open the report ``key`` (the highlighted one if none is given)."""
        if key is None:
            entry = self.highlighted()
            if entry is None:
                return
            key = entry.key
        entry = next((e for e in self.entries if e.key == key), None)
        if entry is not None and not entry.built:
            self.notify(f"{entry.title} is not built yet", severity="warning")
            return
        if key == "coding":
            from coordinator_tui.screens.reports.coding_audit import CodingAuditScreen

            self.app.push_screen(CodingAuditScreen(), lambda _: self.load())
        elif key == "sharing":
            from coordinator_tui.screens.reports.sharing import SharingReportScreen

            self.app.push_screen(SharingReportScreen(), lambda _: self.load())
        elif key == "updates":
            from coordinator_tui.screens.reports.process_updates import ProcessUpdatesScreen

            self.app.push_screen(ProcessUpdatesScreen(), lambda _: self.load())
        elif key == "pcn":
            from coordinator_tui.screens.reports.pcn import PcnReportScreen

            self.app.push_screen(PcnReportScreen())
        elif key == "cqc":
            from coordinator_tui.screens.reports.cqc import CqcEvidenceScreen

            self.app.push_screen(CqcEvidenceScreen())
        elif key == "kpi":
            from coordinator_tui.screens.reports.kpi import KpiPackScreen

            self.app.push_screen(KpiPackScreen())
        elif key == "themes":
            from coordinator_tui.screens.reports.themes import ThemesScreen

            self.app.push_screen(ThemesScreen(), lambda _: self.load())
        elif key == "access":
            from coordinator_tui.screens.reports.access import AccessReportScreen

            self.app.push_screen(AccessReportScreen())
        elif key == "compliance":
            from coordinator_tui.screens.registers.compliance import ComplianceScreen

            self.app.push_screen(ComplianceScreen())
