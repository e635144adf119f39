"""The homecare KPI pack (Reports, 7, then h): a month by the commissioners' usual
definitions, each measure with its figure, a bar for a share, and the note that says how
it was counted or why it is not recorded.

``[`` and ``]`` move a month back or on (the pack opens on last month); ``n`` shows the
small numbers (1 to 4, ``*`` by default in anything that may leave the agency); ``E``
writes the pack as CSV, Excel (measures, carers' hours, definitions) and Word to the
exports folder, owner-only, with the same figures as on screen. A measure resting on
actual visit times says "not recorded" when the month has none: never a zero. The
definitions are settings (the ``[kpi]`` table of the settings file).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.reports.reading import ReportReading
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

if TYPE_CHECKING:
    from pathlib import Path

    from coordinator_tui.services.reports.kpi import KpiLine, KpiPack

BAR = 10
COLUMNS = [
    Column("Measure", 46),
    Column("Figure", 24, justify="right"),
    Column("", BAR + 1, show_from=90),
    Column("How it is counted", show_from=110),
]


def bar(share: float | None) -> str:
    """A share as ten cells of █ and ░ (the figure beside it says the same in words)."""
    if share is None:
        return ""
    filled = round(max(0.0, min(share, 1.0)) * BAR)
    return "█" * filled + "░" * (BAR - filled)


def line_row(line: KpiLine, show_small: bool) -> Row:
    figure = line.value_text(show_small)
    shown = figure if line.recorded else Text(figure, style="italic")
    hidden = "*" in figure
    return Row(
        ("line", line.key),
        (f"  {line.label}", shown, "" if hidden else bar(line.share), line.note),
        "" if line.recorded else "dim",
    )


def table_rows(pack: KpiPack, show_small: bool) -> list[Row]:
    """A title row per section, a row per measure, then each carer's hours."""
    rows: list[Row] = []
    section = None
    for line in pack.lines:
        if line.section != section:
            section = line.section
            rows.append(Row(("section", section), (Text(section.upper()), "", "", ""), "bold"))
        rows.append(line_row(line, show_small))
    rows.append(
        Row(
            ("section", "hours"),
            (Text("HOURS PER CARER: DELIVERED / CONTRACTED"), "", "", ""),
            "bold",
        )
    )
    for carer in pack.carers:
        if carer.delivered is None:
            figure = f"not recorded / {carer.contracted:,.1f} h"
            share = None
        else:
            figure = f"{carer.delivered:,.1f} / {carer.contracted:,.1f} h"
            share = carer.delivered / carer.contracted if carer.contracted else None
        rows.append(
            Row(
                ("carer", carer.carer_id),
                (f"  {carer.name}", figure, bar(share), f"planned {carer.planned:,.1f} h"),
            )
        )
    return rows


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


class KpiPackScreen(BackgroundWrites, ReportReading, CoordinatorScreen):
    """The month's KPI pack."""

    CSS_PATH = "kpi.tcss"
    HELP = __doc__
    SUMMARY_ID = "kpi-summary"  # where a refusal is said (``ReportReading``)
    SAVING_LINE = "#kpi-note"  # "Saving…" while the export waits on the database
    BINDINGS = [
        Binding("left_square_bracket", "month(-1)", "Month before", id="kpi.previous"),
        Binding("right_square_bracket", "month(1)", "Month after", id="kpi.next"),
        Binding("n", "small", "Small numbers", id="kpi.small"),
        Binding("E", "export", "Export", id="kpi.export"),
        Binding("escape", "back", "Back", id="kpi.back"),
        Binding("f5", "reload", "Reload", show=False, id="kpi.reload"),
    ]

    def __init__(self, month: date | None = None) -> None:
        super().__init__()
        self.month = month
        self.show_small = False
        self.pack: KpiPack | None = None
        self.loaded = False
        self.last_export: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="kpi-body"):
            yield Static("Loading…", id="kpi-summary")
            yield LazyTable(COLUMNS, empty_text="Loading…", id="kpi-table")
            yield Static("", id="kpi-note")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Homecare KPI pack"
        if self.month is None:
            self.month = previous_month(self.today)
        self.show_small = bool(getattr(self.coordinator.settings, "show_small_numbers", False))
        self.query_one(LazyTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="kpi-pack")
    def load(self) -> None:
        from coordinator_tui.services.reports.kpi import kpi_pack

        assert self.month is not None
        settings = self.coordinator.settings
        month = self.month

        def build() -> KpiPack:
            with self.coordinator.session() as session:
                return kpi_pack(
                    session, month, now=settings.current_moment(), definitions=settings.kpi
                )

        self.read_report(build, self.show)

    def show(self, pack: KpiPack) -> None:
        self.pack = pack
        table = self.query_one(LazyTable)
        key = table.current_row.key if table.current_row is not None else None
        table.set_source(ListSource(table_rows(pack, self.show_small)), keep_key=key)
        table.refresh()
        self.show_summary()
        self.show_note()
        self.loaded = True

    def show_summary(self) -> None:
        pack = self.pack
        if pack is None:
            return
        small = (
            ("Small numbers shown: for internal use only (n hides them).", "bold")
            if self.show_small
            else ("Counts of 1 to 4 shown as * (n shows them for internal use).", "dim")
        )
        times = (
            "Actual visit times recorded."
            if pack.actuals_recorded
            else "No actual visit times recorded this month: measures that need them say so."
        )
        self.query_one("#kpi-summary", Static).update(
            Text.assemble(
                (pack.title, "bold"),
                f"  {uk_date(pack.month)} to {uk_date(pack.last_day)}. ",
                times,
                "\n",
                small,
            )
        )

    @on(LazyTable.RowHighlighted, "#kpi-table")
    def show_note(self) -> None:
        pack = self.pack
        row = self.query_one(LazyTable).current_row
        note = self.query_one("#kpi-note", Static)
        if pack is None or row is None or row.key[0] != "line":
            note.update("")
            return
        line = pack.line(row.key[1])
        note.update(
            Text.assemble(
                (f"{line.label}: ", "bold"), line.value_text(self.show_small), f". {line.note}"
            )
        )

    def action_month(self, months: int) -> None:
        from coordinator_tui.services.reports.kpi import shift_month

        assert self.month is not None
        self.month = shift_month(self.month, months)
        self.query_one("#kpi-summary", Static).update(f"Loading {self.month:%B %Y}…")
        self.load()

    def action_small(self) -> None:
        self.show_small = not self.show_small
        if self.pack is not None:
            self.show(self.pack)

    def action_export(self) -> None:
        """``E``: CSV, Excel and Word in the exports folder (owner-only), the figures as
        on screen (small numbers as shown now); the export is in the audit trail. Written
        in a worker thread (``BackgroundWrites``: the pack stays live while the database
        waits). The password is asked again first when not given lately (the service
        refuses before anything is written); a refusal is one line, nothing written."""
        from coordinator_tui.services.reports.kpi import export_all

        if self.pack is None:
            return
        pack, folder = self.pack, self.coordinator.settings.export_dir
        show_small = self.show_small

        def write() -> list[Path]:
            try:
                with self.coordinator.session() as session:
                    return export_all(session, pack, folder, show_small=show_small)
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"The KPI pack could not be written: {exc.strerror or exc}"
                ) from exc

        def then(paths: list[Path]) -> None:
            self.last_export = paths
            from coordinator_tui.services.exporting import where_written

            self.notify(f"Exported to {where_written(paths)}", timeout=8)

        self.write_in_background(write, then)
