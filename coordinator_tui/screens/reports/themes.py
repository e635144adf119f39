"""Learning themes (Reports, 7, then t): each theme's count per quarter with its
statistical process control chart (NHS "Making Data Count": an XmR chart whose
special-cause points stand out from noise), and one key from a theme to its records.

The list shows each theme's counts over the complete quarters, the running quarter so far
and ``▲``/``▼`` where the chart finds special cause variation; the chart under it is the
highlighted theme's. ``enter`` opens the theme's records; the last row, "Not yet themed",
lists the records with no theme, where ``t`` tags the highlighted one. ``m`` switches
between quarters and months; ``E`` exports the table (CSV, Excel, Word; owner-only).

In a record list: ``t`` adds a theme to the highlighted record, ``x`` takes this theme
off it, ``enter`` opens the person's record where there is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.reports.reading import ReportReading
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, MappedSource, Row
from coordinator_tui.widgets.spc_chart import SpcChart

if TYPE_CHECKING:
    from pathlib import Path

    from coordinator_tui.services.reports.themes import ThemedRecord, ThemeSeries, ThemesReport

UNTAGGED = "__untagged__"
SHOWN_PERIODS = 6


def signal_mark(series: ThemeSeries) -> Text:
    """▲ or ▼ (and the word) when the latest special-cause point is high or low."""
    special = series.chart.special_points
    if not special:
        return Text("·", style="dim")
    side = special[-1].side
    return Text("▲ high" if side != "low" else "▼ low", style="bold")


def theme_columns(report: ThemesReport) -> list[Column]:
    labels = report.labels[-SHOWN_PERIODS:]
    return [
        Column("Theme", 40),
        *(Column(label[:10], 10, justify="right", show_from=100) for label in labels[:-1]),
        *(Column(label[:10], 10, justify="right") for label in labels[-1:]),
        Column("So far", 7, justify="right"),
        Column("Total", 6, justify="right"),
        Column("SPC", 8),
    ]


def theme_rows(report: ThemesReport) -> list[Row]:
    shown = min(SHOWN_PERIODS, len(report.labels))
    rows = []
    for series in report.series:
        counts = series.counts[-shown:] if shown else ()
        rows.append(
            Row(
                series.theme,
                (
                    series.name,
                    *(str(n) for n in counts),
                    str(series.running),
                    str(series.total),
                    signal_mark(series),
                ),
                "" if series.total else "dim",
            )
        )
    rows.append(
        Row(
            UNTAGGED,
            (
                Text(f"Not yet themed: {report.untagged:,} records", style="italic"),
                *([""] * shown),
                "",
                "",
                "",
            ),
        )
    )
    return rows


class ThemesScreen(BackgroundWrites, ReportReading, CoordinatorScreen):
    """Every theme per quarter with the highlighted theme's SPC chart."""

    CSS_PATH = "kpi.tcss"
    HELP = __doc__
    SUMMARY_ID = "themes-summary"  # where a refusal is said (``ReportReading``)
    SAVING_LINE = "#themes-note"  # "Saving…" while the export waits on the database
    BINDINGS = [
        Binding("enter", "records", "Records", id="themes.records", show=True),
        Binding("m", "period", "Quarters/months", id="themes.period"),
        Binding("E", "export", "Export", id="themes.export"),
        Binding("escape", "back", "Back", id="themes.back"),
        Binding("f5", "reload", "Reload", show=False, id="themes.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.period = "quarter"
        self.report: ThemesReport | None = None
        self.loaded = False
        self.last_export: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="themes-body"):
            yield Static("Loading…", id="themes-summary")
            yield LazyTable([Column("Theme")], empty_text="Loading…", id="themes-table")
            yield SpcChart(id="themes-chart", plot_height=6)
            yield Static("", id="themes-note")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Learning themes"
        self.query_one(LazyTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="themes")
    def load(self) -> None:
        from coordinator_tui.services.reports.themes import themes_report

        today, period = self.today, self.period

        def build() -> ThemesReport:
            with self.coordinator.session() as session:
                return themes_report(session, today, period=period)

        self.read_report(build, self.show)

    def show(self, report: ThemesReport) -> None:
        self.report = report
        table = self.query_one(LazyTable)
        table.columns = theme_columns(report)
        key = table.current_row.key if table.current_row is not None else None
        table.set_source(ListSource(theme_rows(report)), keep_key=key)
        table.refresh()
        span = f"{report.labels[0]} to {report.labels[-1]}" if report.labels else "no complete"
        self.query_one("#themes-summary", Static).update(
            Text.assemble(
                (f"Learning themes per {report.period}", "bold"),
                f": {span} ({len(report.labels)} complete); {report.running_label} so far "
                "beside the chart, not on it.\n",
                (
                    "SPC as NHS Making Data Count: ▲▼ special cause (outside the limits, 7 on "
                    "one side of the mean, 7 rising or falling, 2 of 3 near a limit).",
                    "dim",
                ),
            )
        )
        self.show_chart()
        self.loaded = True

    def highlighted(self) -> ThemeSeries | None:
        row = self.query_one(LazyTable).current_row
        if self.report is None or row is None or row.key == UNTAGGED:
            return None
        return self.report.get(row.key)

    @on(LazyTable.RowHighlighted, "#themes-table")
    def show_chart(self) -> None:
        series = self.highlighted()
        chart = self.query_one(SpcChart)
        note = self.query_one("#themes-note", Static)
        if series is None:
            chart.show(None)
            untagged = self.report.untagged if self.report else 0
            note.update(f"{untagged:,} records carry no theme yet: enter lists them to tag.")
            return
        chart.show(series.chart)
        note.update(
            Text.assemble(
                (f"{series.name} ", "bold"),
                (f"({series.group_name}): ", "dim"),
                f"{series.chart.verdict()}; {series.running} so far in {self.report_running()}.",
            )
        )

    def report_running(self) -> str:
        return self.report.running_label if self.report else ""

    @on(LazyTable.RowSelected, "#themes-table")
    def _selected(self, event: LazyTable.RowSelected) -> None:
        self.open_records(event.row.key)

    def action_records(self) -> None:
        row = self.query_one(LazyTable).current_row
        if row is not None:
            self.open_records(row.key)

    def open_records(self, key: str) -> None:
        theme = None if key == UNTAGGED else key
        self.app.push_screen(ThemeRecordsScreen(theme, self.period), lambda _: self.load())

    def action_period(self) -> None:
        self.period = "month" if self.period == "quarter" else "quarter"
        self.load()

    def action_export(self) -> None:
        """``E``: the table as CSV, Excel and Word in the exports folder, owner-only; the
        export is in the audit trail. Written in a worker thread (``BackgroundWrites``:
        the screen live while the database waits). The password is asked again first when
        not given lately (the service refuses before anything is written); a refusal is
        one line."""
        from coordinator_tui.services.reports.kpi import FORMATS, default_path
        from coordinator_tui.services.reports.themes import export_report

        if self.report is None:
            return
        report = self.report
        folder = self.coordinator.settings.export_dir
        stem = default_path(folder, f"themes-per-{report.period}", "x").with_suffix("")

        def write() -> list[Path]:
            try:
                with self.coordinator.session() as session:
                    return [  # the paths written (a CSV from an encrypted database: .zip)
                        export_report(session, report, fmt, stem.with_suffix(f".{fmt}"))
                        for fmt in FORMATS
                    ]
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"The themes table could not be written: {exc.strerror or exc}"
                ) from exc

        def then(paths: list[Path]) -> None:
            from coordinator_tui.services.exporting import where_written

            self.last_export = paths
            self.notify(f"Exported to {where_written(paths)}", timeout=8)

        self.write_in_background(write, then)


def add_theme_dialog(
    app: Any, kind: str, record_id: int, reference: str, on_saved: Any = None
) -> None:
    """Add a learning theme to a concern, incident, complaint or referral: one field, a
    few letters of the theme then ``enter`` and ``ctrl+s``. Used by a theme's record list
    and by the incident and complaint record screens (``T``)."""
    from coordinator_tui.services.reports.themes import load_themes, tag, themes_of

    with app.session() as session:
        existing = set(themes_of(session, kind, record_id))
    names = {t.code: t.name for t in load_themes()}
    options = tuple(
        (f"{t.name} ({t.group_name})", t.code, f"{t.name} {t.group_name} {t.code}")
        for t in load_themes()
        if t.code not in existing
    )
    has = ", ".join(names.get(code, code) for code in sorted(existing)) or "no theme yet"
    fields = [Field("theme", "Theme", "choice", options=options, required=True)]

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        settings = app.settings
        with app.session() as session:
            tag(
                session,
                kind,
                record_id,
                values["theme"],
                by=settings.user,
                now=settings.current_moment(),
            )

    def then(values: dict[str, Any], _result: Any) -> None:
        app.notify(f"{reference}: {names.get(values['theme'], '')} added")
        if on_saved is not None:
            on_saved()

    save = BackgroundSave(write, then)

    app.push_screen(
        FormDialog(
            "Add a theme", fields, app.settings.current_date(), f"{reference}: {has}", save=save
        )
    )


RECORD_COLUMNS = [
    Column("Date", 10),
    Column("Record", 15),
    Column("What", 26),
    Column("Status", 12, show_from=90),
    Column("Themes"),
]


class ThemeRecordsScreen(BackgroundWrites, ReportReading, CoordinatorScreen):
    """The records carrying one theme (or none yet), newest first."""

    CSS_PATH = "kpi.tcss"
    HELP = __doc__
    SUMMARY_ID = "themes-summary"  # where a refusal is said (``ReportReading``)
    SAVING_LINE = "#themes-note"  # "Saving…" while a removal waits on the database
    BINDINGS = [
        Binding("enter", "open", "Person", id="theme_records.open", show=True),
        Binding("t", "tag", "Add theme", id="theme_records.tag"),
        Binding("x", "untag", "Remove theme", id="theme_records.untag"),
        Binding("escape", "back", "Back", id="theme_records.back"),
        Binding("f5", "reload", "Reload", show=False, id="theme_records.reload"),
    ]

    def __init__(self, theme: str | None, period: str = "quarter") -> None:
        super().__init__()
        self.theme = theme
        self.period = period
        self.records: list[ThemedRecord] = []
        self.names: dict[str, str] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="themes-body"):
            yield Static("Loading…", id="themes-summary")
            yield LazyTable(RECORD_COLUMNS, empty_text="No records.", id="records-table")
            yield Static("", id="themes-note")
        yield Footer()

    def on_mount(self) -> None:
        from coordinator_tui.services.reports.themes import theme_names

        self.names = theme_names()
        self.sub_title = self.names.get(self.theme or "", "Not yet themed")
        self.query_one(LazyTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "untag":
            return self.theme is not None
        return True

    @work(thread=True, exclusive=True, group="theme-records")
    def load(self) -> None:
        self.read_report(self._fetch, self.show)

    def _fetch(self) -> list[ThemedRecord]:
        """The theme's records, in a worker thread."""
        from coordinator_tui.services.reports.themes import theme_records

        with self.coordinator.session() as session:
            return theme_records(session, self.theme, self.today, period=self.period)

    def row(self, record: ThemedRecord) -> Row:
        themes = ", ".join(self.names.get(code, code) for code in record.themes)
        return Row(
            (record.kind, record.id),
            (
                uk_date(record.on),
                record.reference,
                record.what,
                record.status.replace("_", " "),
                themes or Text("none", style="dim"),
            ),
        )

    def show(self, records: list[ThemedRecord]) -> None:
        from coordinator_tui.services.reports.themes import RECORDS_LIMIT

        self.records = records
        table = self.query_one(LazyTable)
        key = table.current_row.key if table.current_row is not None else None
        table.set_source(MappedSource(records, self.row), keep_key=key)
        table.refresh()
        title = self.names.get(self.theme or "", "Records with no theme yet")
        self.query_one("#themes-summary", Static).update(
            Text.assemble(
                (title, "bold"),
                f": {len(records):,} records, newest first. "
                if len(records) < RECORDS_LIMIT
                else f": the newest {len(records):,} records. ",
                ("t adds a theme, x removes this one, enter opens the person.", "dim")
                if self.theme
                else ("t tags the highlighted record, enter opens the person.", "dim"),
            )
        )
        self.loaded = True

    def highlighted(self) -> ThemedRecord | None:
        row = self.query_one(LazyTable).current_row
        if row is None:
            return None
        return next((r for r in self.records if (r.kind, r.id) == row.key), None)

    def action_open(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        if record.person_id is None:
            self.notify(f"{record.reference} is not linked to a person's record")
            return
        self.coordinator.open_person(record.person_id)

    @on(LazyTable.RowSelected, "#records-table")
    def _selected(self, _event: LazyTable.RowSelected) -> None:
        self.action_open()

    def action_tag(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        add_theme_dialog(self.app, record.kind, record.id, record.reference, self.load)

    def action_untag(self) -> None:
        """``x``: this theme taken off the highlighted record, in a worker thread with
        the records read again there (``BackgroundWrites``: the screen live while the
        database waits, the keys typed meanwhile acting on the list without the record).
        A refusal is one line; the list is read again (it may be out of date)."""
        from coordinator_tui.services.reports.themes import untag

        record = self.highlighted()
        theme = self.theme
        if record is None or theme is None:
            return
        index = self.query_one(LazyTable).cursor_row

        def write() -> list[ThemedRecord]:
            with self.coordinator.session() as session:
                untag(session, record.kind, record.id, theme)
            return self._fetch()

        def then(records: list[ThemedRecord]) -> None:
            self.notify(f"{record.reference}: {self.names.get(theme, '')} removed")
            self.show(records)
            table = self.query_one(LazyTable)
            table.cursor_row = min(index, max(len(records) - 1, 0))

        def refused(exc: CoordinatorError) -> None:
            self.say_refused(exc)
            self.load()

        self.write_in_background(write, then, refused=refused)

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
