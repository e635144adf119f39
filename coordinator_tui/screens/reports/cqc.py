"""The CQC evidence pack (Reports, 7, then q): what the app holds for one quality
statement over the last months, indexed, with the gaps.

``s`` chooses the quality statement (type a few letters), ``[`` and ``]`` step through
them in the framework's order, ``m`` sets the number of months; ``n`` shows the people's
names (pseudonymised as ``person #id`` by default); ``E`` writes the pack as Word, Excel
and CSV to the exports folder, owner-only. Which record evidences which statement is the
reference file ``data/cqc_evidence_map.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.reports.reading import ReportReading
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reference import ReferenceDataError
from coordinator_tui.services.reports.cqc import CqcPack
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

COLUMNS = [
    Column("Ref", 6),
    Column("Record", 24),
    Column("Date", 10),
    Column("About", 16, show_from=100),
    Column("Summary"),
]


def pack_rows(pack: CqcPack) -> list[Row]:
    """A title row per record kind (with its count and categories), then its items."""
    rows: list[Row] = []
    for section in pack.sections:
        name = section.kind.name[:1].upper() + section.kind.name[1:]
        count = f"{len(section.items):,} in the period" if section.kept else "not kept in the app"
        title = Text.assemble(
            (name, "bold"), (f" · {count} · {', '.join(section.categories)}", "dim")
        )
        rows.append(Row(("section", section.number), (str(section.number), "", "", "", title)))
        rows.extend(
            Row(
                ("item", item.ref),
                (item.ref, item.record, uk_date(item.on), item.about, item.summary),
            )
            for item in section.items
        )
    return rows


class CqcEvidenceScreen(ReportReading, CoordinatorScreen):
    """The evidence pack for one quality statement."""

    CSS_PATH = "cqc.tcss"
    HELP = __doc__
    SUMMARY_ID = "cqc-summary"  # where a refusal is said (``ReportReading``)
    BINDINGS = [
        Binding("s", "statement", "Statement", id="cqc.statement"),
        Binding("left_square_bracket", "step(-1)", "Previous", id="cqc.previous"),
        Binding("right_square_bracket", "step(1)", "Next", id="cqc.next"),
        Binding("m", "months", "Months", id="cqc.months"),
        Binding("n", "names", "Names", id="cqc.names"),
        Binding("E", "export", "Export", id="cqc.export"),
        Binding("escape", "back", "Back", id="cqc.back"),
        Binding("f5", "reload", "Reload", show=False, id="cqc.reload"),
    ]

    def __init__(self, statement: str = "safeguarding", months: int = 12) -> None:
        super().__init__()
        self.statement = statement
        self.months = months
        self.names = False
        self.pack: CqcPack | None = None
        self.loaded = False
        self.last_export: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="cqc-body"):
            yield Static("Loading…", id="cqc-summary")
            yield Static("", id="cqc-gaps")
            yield LazyTable(COLUMNS, empty_text="Loading…", id="cqc-table")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "CQC evidence"
        self.query_one(LazyTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="cqc-pack")
    def load(self) -> None:
        from coordinator_tui.services.reports.cqc import evidence_pack

        statement, months, today, names = self.statement, self.months, self.today, self.names

        def build() -> CqcPack:
            with self.coordinator.session() as session:
                return evidence_pack(session, statement, months, today, names=names)

        # A practice's own map of evidence (reference data) can fail to read too.
        self.read_report(build, self.show, (CoordinatorError, ReferenceDataError))

    def show(self, pack: CqcPack) -> None:
        self.pack = pack
        table = self.query_one(LazyTable)
        table.empty_text = "No record kept in the app evidences this statement."
        table.set_source(ListSource(pack_rows(pack)))
        who = "names shown (n hides them)" if pack.names else "people as person #id (n: names)"
        self.query_one("#cqc-summary", Static).update(
            Text.assemble(
                (pack.title(), "bold"),
                f"\n{pack.period_text()} · {pack.item_count:,} items · ",
                (who, "bold" if pack.names else "dim"),
            )
        )
        gaps = Text("Gaps: ", style="bold")
        gaps.append(" · ".join(pack.gaps) if pack.gaps else "none found")
        self.query_one("#cqc-gaps", Static).update(gaps)
        self.loaded = True

    def statements(self) -> list:
        """The framework's statements from the evidence map (a broken practice copy of
        the map says so and gives none)."""
        from coordinator_tui.services.reports.cqc import load_map

        try:
            return list(load_map().statements)
        except ReferenceDataError as exc:
            self.notify(str(exc), severity="error")
            return []

    def action_statement(self) -> None:
        statements = self.statements()
        if not statements:
            return
        options = tuple((s.title, s.key, f"{s.name} {s.key_question} {s.key}") for s in statements)

        def chosen(values: dict[str, Any] | None) -> None:
            if values and values.get("statement"):
                self.statement = values["statement"]
                self.load()

        fields = [
            Field(
                "statement",
                "Quality statement",
                "choice",
                value=self.statement,
                options=options,
                required=True,
            )
        ]
        self.app.push_screen(FormDialog("Quality statement", fields, self.today), chosen)

    def action_step(self, step: int) -> None:
        keys = [s.key for s in self.statements()]
        if not keys:
            return
        index = keys.index(self.statement) if self.statement in keys else 0
        self.statement = keys[(index + step) % len(keys)]
        self.load()

    def action_months(self) -> None:
        def check(values: dict[str, Any]) -> str | None:
            text = str(values.get("months") or "").strip()
            if not text.isdigit() or not 1 <= int(text) <= 60:
                return "Months: a whole number from 1 to 60"
            return None

        def chosen(values: dict[str, Any] | None) -> None:
            if values is not None:
                self.months = int(str(values["months"]).strip())
                self.load()

        fields = [Field("months", "Months back from today", value=str(self.months), required=True)]
        self.app.push_screen(FormDialog("Period", fields, self.today, save=check), chosen)

    def action_names(self) -> None:
        self.names = not self.names
        self.load()

    def action_export(self) -> None:
        """``E``: Word, Excel and CSV in the exports folder (owner-only), names as shown
        now; the export is in the audit trail."""
        if self.pack is None:
            return
        self.export_files(self.pack)

    @work(thread=True, exclusive=True, group="cqc-export")
    def export_files(self, pack: CqcPack) -> None:
        """The files written off the UI thread (Word takes a moment for a long pack)."""
        from coordinator_tui.services.reports.cqc import export_all

        try:
            with self.coordinator.session() as session:
                paths = export_all(session, pack, self.coordinator.settings.export_dir)
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.exported, paths)

    def exported(self, paths: list[Path]) -> None:
        self.last_export = paths
        from coordinator_tui.services.exporting import where_written

        self.notify(f"Exported to {where_written(paths)}", timeout=8)
