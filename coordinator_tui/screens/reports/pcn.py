"""The PCN safeguarding report (Reports, 7, then p): per practice and PCN total for a
period, as the table a PCN meeting reads.

``[`` and ``]`` move a month back or on, ``p`` chooses any period; ``n`` shows the small
numbers (1 to 4, ``*`` by default in anything that may leave the practice; the settings
file's ``show_small_numbers`` starts with them shown); ``E`` writes the report as CSV,
Excel (a sheet per section) and Word to the exports folder, owner-only, with the same
figures as on screen. Each section's definitions show under the table. ``s`` opens the
information sharing report for the same period (its disclosures, requests and decisions
without consent, one by one), ``c`` the coding audit (its open findings, each with its
one-key action).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.reports.reading import ReportReading
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reports.pcn import TOTAL, PcnReport, cell_text
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row


def previous_month(today: date) -> tuple[date, date]:
    """The last whole calendar month before ``today``'s: the usual PCN reporting period."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def shift_month(date_from: date, months: int) -> tuple[date, date]:
    """The calendar month ``months`` after the one ``date_from`` is in."""
    index = date_from.year * 12 + date_from.month - 1 + months
    start = date(index // 12, index % 12 + 1, 1)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def columns_for(report: PcnReport, width: int) -> list[Column]:
    """The label, then a right-aligned column per practice and the total: as wide as
    their names on a wide screen, at most 8 cells (names cut) under 100 columns, so the
    labels keep room."""
    widest = 10 if width >= 100 else 8
    widths = [min(max(len(name), 6), widest) for name in report.columns[:-1]]
    widths.append(len(TOTAL))  # "PCN total" whole on any screen
    return [
        Column(""),
        *(
            Column(name, width, justify="right")
            for name, width in zip(report.columns, widths, strict=True)
        ),
    ]


def table_rows(report: PcnReport, show_small: bool) -> list[Row]:
    """A title row per section, an item row when the item changes, then a row per
    measure with its figures (``*`` for 1 to 4 unless ``show_small``)."""
    blank = ("",) * len(report.columns)
    rows: list[Row] = []
    for section in report.sections:
        rows.append(Row(("section", section.key), (Text(section.title.upper()), *blank), "bold"))
        item = None
        for figure in section.figures:
            if figure.item != item:
                item = figure.item
                rows.append(Row(("item", section.key, item), (f" {item}", *blank)))
            cells = tuple(cell_text(v) for v in figure.cells(show_small))
            rows.append(
                Row(("figure", section.key, item, figure.measure), (f"   {figure.measure}", *cells))
            )
    return rows


class PcnReportScreen(ReportReading, CoordinatorScreen):
    """The PCN report for a period, per practice and PCN total."""

    CSS_PATH = "pcn.tcss"
    HELP = __doc__
    SUMMARY_ID = "pcn-summary"  # where a refusal is said (``ReportReading``)
    BINDINGS = [
        Binding("left_square_bracket", "month(-1)", "Month before", id="pcn.previous"),
        Binding("right_square_bracket", "month(1)", "Month after", id="pcn.next"),
        Binding("p", "period", "Period", id="pcn.period"),
        Binding("n", "small", "Small numbers", id="pcn.small"),
        Binding("E", "export", "Export", id="pcn.export"),
        Binding("s", "sharing", "Sharing report", id="pcn.sharing"),
        Binding("c", "coding", "Coding audit", id="pcn.coding"),
        Binding("escape", "back", "Back", id="pcn.back"),
        Binding("f5", "reload", "Reload", show=False, id="pcn.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # Set on mount from the coordinator's pinned today (never the machine's date).
        self.date_from: date
        self.date_to: date
        self.show_small = False
        self.report: PcnReport | None = None
        self.loaded = False
        self.last_export: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="pcn-body"):
            yield Static("Loading…", id="pcn-summary")
            yield LazyTable([Column("")], empty_text="Loading…", id="pcn-table")
            yield Static("", id="pcn-note")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "PCN report"
        self.date_from, self.date_to = previous_month(self.today)
        self.show_small = self.coordinator.settings.show_small_numbers
        self.query_one(LazyTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_sharing(self) -> None:
        """``s``: the sharing record behind the Information sharing figures, same period."""
        from coordinator_tui.screens.reports.sharing import SharingReportScreen

        self.app.push_screen(SharingReportScreen(self.date_from, self.date_to))

    def action_coding(self) -> None:
        """``c``: the coding audit behind the open findings, each with its action."""
        from coordinator_tui.screens.reports.coding_audit import CodingAuditScreen

        self.app.push_screen(CodingAuditScreen(), lambda _: self.load())

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="pcn-report")
    def load(self) -> None:
        from coordinator_tui.services.reports.pcn import pcn_report

        date_from, date_to, today = self.date_from, self.date_to, self.today

        def build() -> PcnReport:
            with self.coordinator.session() as session:
                return pcn_report(session, date_from, date_to, today)

        self.read_report(build, self.show)

    def show(self, report: PcnReport) -> None:
        self.report = report
        table = self.query_one(LazyTable)
        table.columns = columns_for(report, self.size.width)
        key = table.current_row.key if table.current_row is not None else None
        table.set_source(ListSource(table_rows(report, self.show_small)), keep_key=key)
        table.refresh()
        self.show_summary()
        self.show_note()
        self.loaded = True

    def on_resize(self) -> None:
        if self.report is not None:
            table = self.query_one(LazyTable)
            table.columns = columns_for(self.report, self.size.width)
            table.refresh()

    def show_summary(self) -> None:
        report = self.report
        if report is None:
            return
        small = (
            ("Small numbers shown: for use inside the practice only (n hides them).", "bold")
            if self.show_small
            else ("Counts of 1 to 4 shown as * (n shows them for internal use).", "dim")
        )
        self.query_one("#pcn-summary", Static).update(
            Text.assemble(
                (report.title(), "bold"),
                f"  {report.period_text()}",
                (f" (figures as of {uk_date(report.as_of)})", "dim")
                if report.as_of != report.date_to
                else "",
                "\n",
                small,
            )
        )

    @on(LazyTable.RowHighlighted, "#pcn-table")
    def show_note(self) -> None:
        report = self.report
        row = self.query_one(LazyTable).current_row
        note = self.query_one("#pcn-note", Static)
        if report is None or row is None:
            note.update("")
            return
        section = report.section(row.key[1])
        note.update(Text.assemble((f"{section.title}: ", "bold"), section.note))

    def action_month(self, months: int) -> None:
        self.date_from, self.date_to = shift_month(self.date_from, months)
        self.load()

    def action_period(self) -> None:
        def chosen(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.date_from, self.date_to = values["from"], values["to"]
            self.load()

        def check(values: dict[str, Any]) -> str | None:
            from coordinator_tui.services.reports.pcn import check_period

            try:
                check_period(values["from"], values["to"])
            except CoordinatorError as exc:
                return str(exc)
            return None

        fields = [
            Field("from", "From", "date", value=self.date_from, required=True),
            Field("to", "To", "date", value=self.date_to, required=True),
        ]
        self.app.push_screen(FormDialog("Period", fields, self.today, save=check), chosen)

    def action_small(self) -> None:
        self.show_small = not self.show_small
        if self.report is not None:
            table = self.query_one(LazyTable)
            key = table.current_row.key if table.current_row is not None else None
            table.set_source(ListSource(table_rows(self.report, self.show_small)), keep_key=key)
            self.show_summary()

    def action_export(self) -> None:
        """``E``: CSV, Excel and Word in the exports folder (owner-only), the figures as
        on screen (small numbers as shown now); the export is in the audit trail."""
        if self.report is None:
            return
        self.export_files(self.report, self.show_small)

    @work(thread=True, exclusive=True, group="pcn-export")
    def export_files(self, report: PcnReport, show_small: bool) -> None:
        """The files written off the UI thread (Word takes a moment for a long pack)."""
        from coordinator_tui.services.reports.pcn import export_all

        try:
            with self.coordinator.session() as session:
                paths = export_all(
                    session,
                    report,
                    self.coordinator.settings.export_dir,
                    show_small=show_small,
                )
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.exported, paths)

    def exported(self, paths: list[Path]) -> None:
        self.last_export = paths
        from coordinator_tui.services.exporting import where_written

        self.notify(f"Exported to {where_written(paths)}", timeout=8)
