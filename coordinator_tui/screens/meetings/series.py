"""Meeting series: every series with its repeat rule in words and the next date it meets.

``n`` a new series: name, practice (blank: PCN-wide), the repeat rule in plain words
("first Tuesday monthly", "last Friday of the month", "every other Wednesday", "15th
monthly"; an RRULE such as ``FREQ=MONTHLY;BYDAY=1TU`` works too), the first date, start
time, length and place. The next three dates show under the rule as you type; a rule
that cannot be read says why and nothing is saved. Saving creates the series and its
meetings of the next three months. ``x`` stops the highlighted series making meetings
(its meetings already made stay) or starts it again. ``esc`` goes back.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.date_input import DateInput
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.series import SeriesRow

COLUMNS = [
    Column("State", 8),
    Column("Series"),
    Column("Practice", 9, show_from=90),
    Column("Repeats"),
    Column("Time", 11),
    Column("Next", 16),
]


def series_line(row: SeriesRow) -> Row:
    return Row(
        row.id,
        (
            Text("active") if row.active else Text("stopped", style="dim"),
            row.name,
            row.practice,
            row.rule,
            f"{row.start_time:%H:%M} {row.duration_minutes}m",
            f"{row.next_day:%a %d %b %Y}" if row.next_day else "—",
        ),
        style="" if row.active else "dim",
    )


class SeriesDialog(FormDialog):
    """The new-series form: a FormDialog with the rule's next dates shown as you type."""

    CSS_PATH = ["../form_dialog.tcss", "meetings.tcss"]

    def __init__(self, practices: list[tuple[int, str]], today: date, save: Any) -> None:
        super().__init__(
            "New meeting series",
            [
                Field("name", "Name", value="Safeguarding meeting", required=True),
                Field(
                    "practice",
                    "Practice (blank: PCN-wide)",
                    "select",
                    options=tuple((name, pid) for pid, name in practices),
                ),
                Field(
                    "rule",
                    "Repeats",
                    required=True,
                    placeholder="e.g. first Tuesday monthly, every other Wednesday",
                ),
                Field("first", "From (first date it may meet)", "date", value=today),
                Field("time", "Start time", value="12:30", required=True),
                Field("minutes", "Length in minutes", value="60", required=True),
                Field("location", "Where", placeholder="e.g. Meeting room 1 / Teams"),
            ],
            today,
            "Its meetings of the next three months are created when it is saved.",
            save=save,
        )

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if widget.id == "f-rule":
                yield Static("", id="rule-preview", markup=False)

    def on_mount(self) -> None:
        self.show_preview()

    def preview(self) -> tuple[str, bool]:
        """The next three dates the rule gives (✓), or why it cannot be read (✗)."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.series import describe_rule, parse_clock
        from coordinator_tui.services.meetings.series import preview_rule as dates

        text = self.query_one("#f-rule", Input).value.strip()
        if not text:
            return "Type how it repeats, e.g. first Tuesday monthly", False
        first = self.query_one("#f-first", DateInput).value or self.today
        try:
            at = parse_clock(self.query_one("#f-time", Input).value)
        except CoordinatorError:
            from datetime import time

            at = time(12, 30)
        try:
            found = dates(text, at, first_on=first, count=3)
            words = describe_rule(text)
        except CoordinatorError as exc:
            return f"✗ {exc}", False
        days = ", ".join(
            f"{o.day:%a} {o.day.day} {o.day:%b %Y}"
            + (f" (bank holiday: {o.bank_holiday})" if o.bank_holiday else "")
            for o in found
        )
        return f"✓ {words}: {days}", True

    @on(Input.Changed)
    @on(DateInput.Changed)
    def show_preview(self) -> None:
        if not self.is_mounted:
            return
        line, ok = self.preview()
        preview = self.query_one("#rule-preview", Static)
        preview.update(line)
        preview.set_class(not ok, "-invalid")


class SeriesScreen(BackgroundWrites, CoordinatorScreen[None]):
    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    SAVING_LINE = "#series-head"  # "Saving…" while a restart waits on the database
    BINDINGS = [
        Binding("escape", "back", "Back", id="series.back"),
        Binding("n", "new", "New series", id="series.new"),
        Binding("x", "toggle_active", "Stop/restart", id="series.toggle"),
        Binding("f5", "reload", "Reload", show=False, id="series.reload"),
    ]

    def __init__(self, new: bool = False) -> None:
        super().__init__()
        self.rows: list[SeriesRow] = []
        self.loaded = False
        self.open_form = new
        self.created = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Meeting series", id="series-head")
        yield LazyTable(COLUMNS, empty_text="No series yet: n adds one.", id="series-list")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Meeting series"
        self.query_one(LazyTable).focus()
        self.load()
        if self.open_form:
            self.action_new()

    def load(self) -> None:
        """Read the series (a read: on the UI thread) and show them."""
        from coordinator_tui.services.meetings.series import list_series

        with self.coordinator.session() as session:
            rows = list_series(session, today=self.today)
        self.show(rows)

    def show(self, rows: list[SeriesRow], keep: int | None = None) -> None:
        """The series listed, the cursor on ``keep`` (a series id) if given."""
        self.rows = rows
        active = sum(1 for r in rows if r.active)
        self.query_one("#series-head", Static).update(
            Text.assemble(
                ("Meeting series", "bold"), f" · {active} active · {len(rows) - active} stopped"
            )
        )
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(rows, series_line))
        keys = [r.id for r in rows]
        if keep in keys:
            table.cursor_row = keys.index(keep)
        self.loaded = True

    def current(self) -> SeriesRow | None:
        index = self.query_one(LazyTable).cursor_row
        return self.rows[index] if self.rows else None

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.series import (
            create_series,
            materialise,
            parse_clock,
        )
        from coordinator_tui.services.registers import filter_options

        with self.coordinator.session() as session:
            practices = filter_options(session).practices

        def write(values: dict[str, Any]) -> tuple[int, int]:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            minutes = values["minutes"]
            if not str(minutes).isdigit():
                raise CoordinatorError("Length: a whole number of minutes")
            at = parse_clock(values["time"])
            with self.coordinator.session() as session:
                series = create_series(
                    session,
                    name=values["name"],
                    rule=values["rule"],
                    start_time=at,
                    first_on=values["first"] or self.today,
                    duration_minutes=int(minutes),
                    location=values["location"],
                    practice_id=values["practice"] or None,
                )
                made = materialise(session, series.id, today=self.today)
                return len(made), series.id

        def then(_values: dict[str, Any], result: tuple[int, int]) -> None:
            created, series_id = result
            self.created += created
            self.notify(
                f"Series added: {created} meeting{'s' if created != 1 else ''} "
                "created for the next three months"
            )
            self.load()
            keys = [r.id for r in self.rows]
            if series_id in keys:
                self.query_one(LazyTable).cursor_row = keys.index(series_id)

        save = BackgroundSave(write, then)
        self.app.push_screen(SeriesDialog(practices, self.today, save))

    def action_toggle_active(self) -> None:
        """``x``: stop the highlighted series (asks first) or start it again (one key,
        written in a worker thread: ``BackgroundWrites``)."""
        from coordinator_tui.services.meetings.series import list_series, set_series_active

        row = self.current()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        today = self.today

        def write(active: bool) -> list[SeriesRow]:
            with self.coordinator.session() as session:
                set_series_active(session, row.id, active)
            with self.coordinator.session() as session:
                return list_series(session, today=today)

        def then(active: bool, rows: list[SeriesRow]) -> None:
            self.notify(f"{row.name}: {'restarted' if active else 'stopped'}", timeout=3)
            self.show(rows, keep=row.id)

        if not row.active:  # a restart needs no dialog: one small write on the key
            self.write_in_background(lambda: write(True), lambda rows: then(True, rows))
            return
        self.app.push_screen(
            FormDialog(
                "Stop the series? (ctrl+s/f2 stops it)",
                [],
                self.today,
                f"{row.name} ({row.rule}) makes no more meetings. The {row.meetings} "
                "meetings it has made stay: cancel any not wanted one by one.",
                save=BackgroundSave(
                    lambda _values: write(False), lambda _values, rows: then(False, rows)
                ),
            )
        )
