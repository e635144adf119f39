"""The coding audit (Reports, 7, then c): import a clinical-system export by path, then
work through its findings, one key per action.

The latest run's findings are listed by practice and class, paged from the database
(``LazyTable`` over a ``PagedSource``); the highlighted finding's detail and the keys
that fit it show under the list. ``a`` adds the person to our register from the code's
date, ``x`` ends ours, ``d`` takes the code's date, ``c`` marks the code to be corrected in
the clinical system (an action in the tracker, chased like a meeting's); each moves on
to the next finding. ``[``/``]`` show one class at a time, ``o`` only the open ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date, uk_datetime
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reports.coding_audit import (
    KIND_LABELS,
    STATUS_LABELS,
    FindingRow,
    RunSummary,
)
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, PagedSource, Row

COLUMNS = [
    Column("Practice", 10),
    Column("Finding", 23),
    Column("List", 9),
    Column("Name"),
    Column("NHS number", 12, show_from=88),
    Column("Status", 15),
]
SHORT = {
    "coded_not_registered": "coded, not on ours",
    "registered_not_coded": "on ours, not coded",
    "dates_disagree": "dates disagree",
    "family_not_coded": "family member not coded",
    "lac_not_coded": "looked after, not coded",
}
STATUS_SHORT = {
    "open": "open",
    "added": "added to ours",
    "ended": "ours ended",
    "redated": "date taken",
    "correction": "to be corrected",
}
KEYS = {
    "add": "a add to our register from the code's date",
    "end": "x end ours",
    "date": "d take the code's date",
    "correct": "c code to be corrected",
}


def finding_row(row: FindingRow) -> Row:
    """A finding as a table row: the class and the status in words."""
    from coordinator_tui.services.person_hit import format_nhs_number

    status = STATUS_SHORT.get(row.status, row.status)
    return Row(
        row,
        (
            row.practice,
            SHORT.get(row.kind, row.kind),
            row.list_id,
            row.name,
            format_nhs_number(row.nhs_number),
            Text(status, style="bold") if row.status == "open" else Text(status, style="dim"),
        ),
    )


COUNT_HEADINGS = {
    "coded_not_registered": "coded only",
    "registered_not_coded": "ours only",
    "dates_disagree": "dates",
    "family_not_coded": "family",
    "lac_not_coded": "LAC",
}
SHORT_SCREEN_ROWS = 30  # below this height the counts per practice give way to the list


def practice_table(summary: RunSummary) -> Table:
    table = Table(expand=False, show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    table.add_column("Practice", style="bold")
    for label in COUNT_HEADINGS.values():
        table.add_column(label, justify="right")
    for practice in sorted(summary.by_practice):
        counts = summary.by_practice[practice]
        table.add_row(practice, *(str(counts.get(kind, 0)) for kind in SHORT))
    return table


class CodingAuditScreen(BackgroundWrites, CoordinatorScreen):
    """The latest coding audit's findings, and the import of a new export."""

    CSS_PATH = "reports.tcss"
    SAVING_LINE = "#coding-detail"  # "Saving…" while a one-key action waits on the database
    HELP = __doc__
    BINDINGS = [
        Binding("i", "import_file", "Import export", id="coding.import"),
        Binding("a", "act('add')", "Add to ours", id="coding.add"),
        Binding("x", "act('end')", "End ours", id="coding.end"),
        Binding("d", "act('date')", "Code's date", id="coding.date"),
        Binding("c", "act('correct')", "To be corrected", id="coding.correct"),
        Binding("left_square_bracket", "kind(-1)", "Class", id="coding.previous", show=False),
        Binding("right_square_bracket", "kind(1)", "Next class", id="coding.next"),
        Binding("o", "open_only", "Open only", id="coding.open_only"),
        Binding("escape", "back", "Back", id="coding.back"),
        Binding("f5", "reload", "Reload", show=False, id="coding.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run_id: int | None = None
        self.summary: RunSummary | None = None
        self.kind: str | None = None
        self.open_only = False
        self.loaded = False
        self.importing = False
        self._after_load: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="coding-body"):
            yield Static("Loading…", id="coding-summary")
            yield Static("", id="coding-practices")
            yield LazyTable(
                COLUMNS, empty_text="No findings. i imports an export.", id="coding-findings"
            )
            yield Static("", id="coding-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Coding audit"
        self.query_one(LazyTable).focus()
        self.load()

    def on_resize(self) -> None:
        """On a short terminal the findings need the room: the counts per practice go
        (each class is one ``]`` away)."""
        self.query_one("#coding-practices").display = self.size.height >= SHORT_SCREEN_ROWS

    # -- loading ------------------------------------------------------------------------

    def _source(self, run_id: int) -> PagedSource:
        from coordinator_tui.services.reports.coding_audit import count_findings, findings_page

        app, kind, open_only = self.coordinator, self.kind, self.open_only

        def fetch(offset: int, limit: int) -> list[Row]:
            with app.session() as session:
                page = findings_page(session, run_id, offset, limit, kind=kind, open_only=open_only)
            return [finding_row(row) for row in page]

        with app.session() as session:
            total = count_findings(session, run_id, kind=kind, open_only=open_only)
        return PagedSource(total, fetch, page_size=100)

    @work(thread=True, exclusive=True, group="coding")
    def load(self) -> None:
        call_from_worker(self, self.show, *self._read())

    def _read(self) -> tuple[RunSummary | None, PagedSource | None]:
        """The latest run's summary and its findings' first page (in a worker thread)."""
        from coordinator_tui.services.reports.coding_audit import latest_run_id, run_summary

        with self.coordinator.session() as session:
            run_id = latest_run_id(session)
            summary = run_summary(session, run_id) if run_id is not None else None
        source = self._source(run_id) if run_id is not None else None
        if source is not None:
            source.rows(0, 60)  # the first page read off the UI thread
        return summary, source

    def show(self, summary: RunSummary | None, source: PagedSource | None) -> None:
        self.summary = summary
        self.run_id = summary.id if summary else None
        table = self.query_one(LazyTable)
        if source is not None:
            table.set_source(source)
        self.show_summary()
        self.show_detail()
        self.refresh_bindings()
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()

    def show_summary(self) -> None:
        from coordinator_tui.clock import to_local

        summary = self.summary
        box = self.query_one("#coding-summary", Static)
        practices = self.query_one("#coding-practices", Static)
        if summary is None:
            box.update(
                Text.assemble(
                    ("No export imported yet. ", "bold"),
                    "Press i and give the path of a SystmOne or EMIS export (CSV: NHS "
                    "number, SNOMED CT concept id, date; `coordinator-tui report "
                    "coding-demo FILE` writes the demo's own).",
                )
            )
            practices.update("")
            return
        shown = f"{KIND_LABELS.get(self.kind, '')}" if self.kind else "every class"  # type: ignore[call-overload]
        filters = shown + (", open only" if self.open_only else "")
        box.update(
            Text.assemble(
                (f"Run {summary.id}: {summary.file_name or 'export'}", "bold"),
                f" ({summary.system}), {uk_datetime(to_local(summary.imported_at))} by "
                f"{summary.imported_by}. {summary.rows:,} rows, {summary.coded_rows:,} with "
                f"a listed code, {summary.people_coded:,} people coded, "
                f"{summary.unknown_people:,} NHS numbers not ours. ",
                (f"{summary.findings:,} findings, {summary.open_count:,} open", "bold"),
                f" [{filters}]",
                ("\nCode lists " + summary.code_lists_version, "dim"),
                (f"; not audited (no codes): {summary.not_audited}", "dim")
                if summary.not_audited
                else "",
            )
        )
        practices.update(practice_table(summary) if summary.by_practice else "")

    def highlighted(self) -> FindingRow | None:
        row = self.query_one(LazyTable).current_row
        return row.key if row is not None else None

    @on(LazyTable.RowHighlighted, "#coding-findings")
    def show_detail(self) -> None:
        finding = self.highlighted()
        detail = self.query_one("#coding-detail", Static)
        if finding is None:
            detail.update("")
            self.refresh_bindings()
            return
        keys = " · ".join(KEYS[action] for action in finding.actions)
        status = STATUS_LABELS.get(finding.status, finding.status)  # type: ignore[call-overload]
        detail.update(
            Text.assemble(
                (f"{finding.name}: ", "bold"),
                finding.detail,
                "\n",
                (keys + " · enter the person", "dim") if keys else (f"{status}", "dim"),
            )
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            finding = self.highlighted()
            return finding is not None and parameters[0] in finding.actions
        return True

    # -- import ---------------------------------------------------------------------------

    def action_import_file(self) -> None:
        """``i``: the export's path (and a mapping file, a practice, if need be)."""
        from coordinator_tui.services.reports.coding_audit import read_import_file

        def read(values: dict[str, Any]) -> tuple[tuple[str, str], str | None]:
            # In the dialog's worker thread: a file that cannot be read is said in the
            # form, the paths typed kept.
            export = read_import_file(values["path"])
            mapping = None
            if values.get("mapping"):
                mapping = read_import_file(values["mapping"], "mapping")[0]
            return export, mapping

        def chosen(values: dict[str, Any], files: tuple[tuple[str, str], str | None]) -> None:
            (text, name), mapping = files
            self.run_import(text, name, mapping, values.get("practice") or None)

        fields = [
            Field("path", "Export file (CSV)", required=True, placeholder="~/exports/search.csv"),
            Field("mapping", "Mapping file (JSON, for other column names)", placeholder=""),
            Field("practice", "Only this practice (ODS code or name; blank: as the file says)"),
        ]
        self.app.push_screen(
            FormDialog(
                "Import a clinical-system export",
                fields,
                self.today,
                save=BackgroundSave(read, chosen),
            )
        )

    @work(thread=True, exclusive=True, group="coding-import")
    def run_import(self, text: str, name: str, mapping: str | None, practice: str | None) -> None:
        from coordinator_tui.services.reports.coding_audit import run_coding_audit

        self.importing = True
        call_from_worker(self, self.say_importing, name)
        try:
            with self.coordinator.session() as session:
                outcome = run_coding_audit(
                    session,
                    text,
                    today=self.today,
                    by=self.coordinator.settings.user,
                    file_name=name,
                    mapping_text=mapping,
                    practice=practice,
                )
                findings = outcome.run.findings
        except CoordinatorError as exc:
            call_from_worker(self, self.refused, str(exc))
            return
        finally:
            self.importing = False
        call_from_worker(self, self.imported, name, findings)

    def say_importing(self, name: str) -> None:
        self.query_one("#coding-summary", Static).update(f"Importing {name}…")

    def refused(self, message: str) -> None:
        self.notify(message, severity="error", timeout=20)
        self.show_summary()
        self.query_one("#coding-detail", Static).update(Text(message, style="red"))

    def imported(self, name: str, findings: int) -> None:
        self.notify(f"{name} imported: {findings:,} findings")
        self.kind = None
        self._after_load = lambda: setattr(self.query_one(LazyTable), "cursor_row", 0)
        self.load()

    # -- one-key actions ------------------------------------------------------------------

    def action_act(self, action: str) -> None:
        finding = self.highlighted()
        if finding is None or action not in finding.actions:
            return
        if action == "end":
            self._end(finding)
        elif action == "correct":
            self._correct(finding)
        else:
            self.run_action(finding, action, {})

    def _end(self, finding: FindingRow) -> None:
        default = finding.coded_off_on or self.today
        reason = (
            f"Coded off in the clinical system on {uk_date(finding.coded_off_on)} (coding audit)"
            if finding.coded_off_on
            else "Not coded in the clinical system (coding audit)"
        )
        fields = [
            Field("end_date", "Ended on", "date", value=default, required=True, expects=PAST),
            Field("reason", "Reason", value=reason, required=True),
        ]
        self.app.push_screen(
            FormDialog(
                "End our registration",
                fields,
                self.today,
                f"{finding.name} · {finding.detail}",
                save=self.background(finding, "end"),
            )
        )

    def _correct(self, finding: FindingRow) -> None:
        from datetime import timedelta

        from coordinator_tui.services.reports.coding_audit import (
            CORRECTION_DAYS,
            DEFAULT_CORRECTION_OWNER,
        )

        fields = [
            Field(
                "owner",
                "Who corrects it (name, initials or role)",
                value=DEFAULT_CORRECTION_OWNER,
                required=True,
            ),
            Field(
                "due",
                "Due",
                "date",
                value=self.today + timedelta(days=CORRECTION_DAYS),
                required=True,
            ),
            Field("note", "Note for the task", placeholder="e.g. add the code dated 01/03/2026"),
        ]
        self.app.push_screen(
            FormDialog(
                "Code to be corrected in the clinical system",
                fields,
                self.today,
                f"{finding.name} · {finding.detail}",
                save=self.background(finding, "correct"),
            )
        )

    def background(self, finding: FindingRow, action: str) -> BackgroundSave:
        """A form's save of ``action``: the write in the dialog's worker thread (the
        screen live while the database waits; a refusal shown in the form, text kept),
        then what was done said and the cursor moved on, on the UI thread."""
        return BackgroundSave(
            lambda values: self.write_action(finding, action, values),
            lambda _values, done: self.after_action(done),
        )

    def run_action(self, finding: FindingRow, action: str, values: dict[str, Any]) -> None:
        """A one-key action (no form): saved through the service in a worker thread, the
        findings read again there (``BackgroundWrites``: the screen live, the keys typed
        meanwhile held for the list as it is after the save); then what was done is said
        and the cursor moves on to the next finding. A refusal is said in one line."""

        def write() -> tuple[str, tuple[RunSummary | None, PagedSource | None]]:
            return self.write_action(finding, action, values), self._read()

        def then(made: tuple[str, tuple[RunSummary | None, PagedSource | None]]) -> None:
            done, (summary, source) = made
            self.notify(done, timeout=5)
            table = self.query_one(LazyTable)
            following = self._following(table)
            self.show(summary, source)
            table.cursor_row = min(following, max(table.row_count - 1, 0))

        self.write_in_background(write, then)

    def write_action(self, finding: FindingRow, action: str, values: dict[str, Any]) -> str:
        """Save through the service in one unit of work (touching no widget: a form runs
        it in a worker thread); returns what was done. A refusal is a CoordinatorError."""
        from coordinator_tui.services.reports import coding_audit as ca

        today, by = self.today, self.coordinator.settings.user
        with self.coordinator.session() as session:
            if action == "add":
                entry = ca.add_to_register(session, finding.id, finding.version, today=today, by=by)
                done = f"{finding.name} added to our register from {uk_date(entry.start_date)}"
            elif action == "date":
                entry = ca.use_coded_date(session, finding.id, finding.version, today=today, by=by)
                done = f"{finding.name}: our start date is now {uk_date(entry.start_date)}"
            elif action == "end":
                ca.end_ours(
                    session,
                    finding.id,
                    finding.version,
                    today=today,
                    by=by,
                    end_date=values["end_date"],
                    reason=values["reason"],
                )
                done = f"{finding.name}: our registration ended"
            else:
                task = ca.mark_for_correction(
                    session,
                    finding.id,
                    finding.version,
                    today=today,
                    by=by,
                    owner=values["owner"],
                    due=values["due"],
                    note=values.get("note", ""),
                )
                done = (
                    f"{finding.name}: correction task for {task.owner_label}, due "
                    f"{uk_date(task.due_date)} (in the action tracker)"
                )
        return done

    def after_action(self, done: str) -> None:
        """After a save: say what was done and move on to the next finding."""
        self.notify(done, timeout=5)
        table = self.query_one(LazyTable)
        following = self._following(table)
        self._after_load = lambda: setattr(
            table, "cursor_row", min(following, max(table.row_count - 1, 0))
        )
        self.load()

    def _following(self, table: LazyTable) -> int:
        """The row of the next finding once the list is read again after an action: open
        only, the finding leaves the list and the next one takes its place."""
        index = table.cursor_row
        return index if self.open_only else index + 1

    # -- filters and navigation -----------------------------------------------------------

    def action_kind(self, step: int) -> None:
        kinds: list[str | None] = [None, *SHORT]
        index = kinds.index(self.kind) if self.kind in kinds else 0
        self.kind = kinds[(index + step) % len(kinds)]
        self._after_load = lambda: setattr(self.query_one(LazyTable), "cursor_row", 0)
        self.load()

    def action_open_only(self) -> None:
        self.open_only = not self.open_only
        self._after_load = lambda: setattr(self.query_one(LazyTable), "cursor_row", 0)
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LazyTable.RowSelected, "#coding-findings")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        self.coordinator.open_person(event.row.key.person_id)
