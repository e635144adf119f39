"""An incident's Duty of Candour record (SI 2014/2936 reg 20), element by element.

Each element of reg 20(2)-(4) is a line: ✓ recorded (with what), ✗ missing. ``enter``
records the highlighted element (then the cursor moves to the next one missing), ``u``
records that the person could not be contacted or declined, with the attempts (reg 20(5)),
``c`` marks the record complete (refused, naming each element missing), ``l`` drafts the
written notification (Word and text, owner-only), ``esc`` goes back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

COLUMNS = [
    Column("", 2),
    Column("Element", 34),
    Column("Recorded"),
    Column("Source", 20, show_from=110),
]


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return uk_date(value)
    text = " ".join(str(value or "").split())
    return text


def element_rows(record: Any) -> list[Row]:
    """One line per element: done or missing, and what is recorded."""
    from coordinator_tui.services.governance.candour import ELEMENTS, OPTIONS, UNABLE_ELEMENT

    rows = []
    for element in (*ELEMENTS, UNABLE_ELEMENT):
        done = element.done(record)
        values = []
        for f in element.fields:
            value = getattr(record, f.name)
            if f.kind == "select" and value:
                value = OPTIONS[f.name].get(value, value)
            if value not in (None, ""):
                values.append(_shown(value))
        if element.code == "unable" and not done:
            mark: Text | str = Text("·", style="dim")
        else:
            mark = Text("✓", style="bold green") if done else Text("✗", style="bold red")
        rows.append(Row(element.code, (mark, element.label, " · ".join(values), element.source)))
    return rows


class CandourScreen(BackgroundWrites, CoordinatorScreen):
    CSS_PATH = "governance.tcss"
    SAVING_LINE = "#candour-missing"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="candour.back"),
        Binding("enter", "record", "Record", priority=True, id="candour.record"),
        Binding("u", "unable", "Not contactable", id="candour.unable"),
        Binding("c", "complete", "Complete", id="candour.complete"),
        Binding("l", "letter", "Letter", id="candour.letter"),
        Binding("f5", "reload", "Reload", show=False, id="candour.reload"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.record: Any = None
        self.loaded = False
        self.last_letters: list[Any] = []
        self._move_to_missing = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="candour-body"):
            yield Static("Loading…", id="candour-summary")
            yield LazyTable(COLUMNS, id="candour-elements")
            yield Static("", id="candour-missing")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Duty of Candour"
        self.query_one(LazyTable).focus()
        self.load()

    def load(self, *, hold_keys: bool = False) -> None:
        """Read the record again, off the UI thread; only the newest read asked for is
        shown (a save's reload and f5, or two saves' reloads, can overlap: the older,
        landing last, would show elements as they were). ``hold_keys`` (after a save): the
        keys typed from now on act on the record read, or on a newer read's."""
        self._read_record(self.read_asked(hold_keys=hold_keys))

    @work(thread=True, exclusive=True, group="candour")
    def _read_record(self, read: int) -> None:
        from coordinator_tui.services.governance.candour import record_for_incident
        from coordinator_tui.services.governance.incidents import incident_row

        with self.coordinator.session() as session:
            record = record_for_incident(session, self.incident_id)
            row = incident_row(session, self.incident_id, self.today)
        call_from_worker(self, self.show, read, record, row)

    def show(self, read: int, record: Any, row: Any) -> None:
        from coordinator_tui.screens.governance.actions import incident_context
        from coordinator_tui.services.governance.candour import is_overdue, missing_elements

        if not self.read_landed(read):
            return  # overtaken by a newer read (a second save's): its record follows
        self.record = record
        self.loaded = True
        self.read_shown()  # the keys typed while a save's reload ran act on this record
        if record is None or row is None:
            self.query_one("#candour-summary", Static).update("No Duty of Candour record.")
            return
        table = self.query_one(LazyTable)
        table.set_source(
            ListSource(element_rows(record)),
            keep_key=table.current_row.key if table.current_row else None,
        )
        missing = missing_elements(record)
        late = is_overdue(record, self.today)
        if record.status == "complete":
            completed = uk_date(record.completed_on) if record.completed_on else ""
            state = Text(f"COMPLETE {completed} ({record.completed_by})", style="bold green")
        elif record.status == "open" and (record.notified_on or not missing):
            done = (
                f"notified in person {uk_date(record.notified_on)}"
                if record.notified_on
                else "could not be contacted or declined (reg 20(5))"
            )
            rest = (
                f"{8 - len(missing)} of 8 elements recorded" if missing else "c marks it complete"
            )
            state = Text(f"open · {done} · {rest}")
        elif record.status == "open":
            state = Text.assemble(
                "open · notify in person by ",
                (uk_date(record.due_on), "bold red" if late else "bold"),
                (" LATE" if late else "", "bold red"),
            )
        else:
            state = Text("not required: triage found the incident not notifiable")
        self.query_one("#candour-summary", Static).update(
            Text.assemble(incident_context(row), "\n", "Duty of Candour: ", state)
        )
        self.query_one("#candour-missing", Static).update(
            Text("Still missing: " + "; ".join(missing), style="yellow")
            if missing and record.status == "open"
            else ""
        )
        if self._move_to_missing:
            self._move_to_missing = False
            codes = [r.key for r in table.source.rows(0, len(table.source))]
            from coordinator_tui.services.governance.candour import ELEMENTS

            for element in ELEMENTS:
                if not element.done(record):
                    table.cursor_row = codes.index(element.code)
                    break

    def action_reload(self) -> None:
        self.load()

    def _edit(self, code: str) -> None:
        from coordinator_tui.services.governance.candour import (
            ELEMENT_BY_CODE,
            OPTIONS,
            element_values,
            record_element,
        )

        record = self.record
        if record is None:
            self.notify("The record is still loading", severity="warning")
            return
        if record.status == "complete":
            self.notify("This candour record is complete", severity="warning")
            return
        spec = ELEMENT_BY_CODE[code]
        current = element_values(record, code)
        user = self.coordinator.settings.user
        fields = []
        for f in spec.fields:
            value = current.get(f.name)
            if f.kind == "date" and value is None:
                value = self.today
            if f.kind == "select" and not value:
                value = None  # a required select then starts on its first choice
            if f.name in ("notified_by", "apology_by") and not value:
                value = record.notified_by or user
            options = tuple((label, key) for key, label in OPTIONS.get(f.name, {}).items())
            fields.append(
                Field(f.name, f.label, f.kind, value=value, options=options, required=f.required)
            )
        record_id, version, today = record.id, record.version, self.today

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                record_element(session, record_id, version, code, values, today=today)

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify(f"Recorded: {spec.label.lower()}", timeout=3)
            self._move_to_missing = True
            # Keys typed now are meant for the record as saved, with the cursor on the
            # next missing element: held until the reload lands, as after ``c``.
            self.load(hold_keys=True)

        save = BackgroundSave(write, then)

        self.app.push_screen(
            FormDialog(
                spec.label, fields, self.today, f"Duty of Candour · {spec.source}", save=save
            )
        )

    def action_record(self) -> None:
        row = self.query_one(LazyTable).current_row
        if row is not None:
            self._edit(row.key)

    def action_unable(self) -> None:
        self._edit("unable")

    def action_complete(self) -> None:
        """``c``: mark the record complete, in a worker thread (``BackgroundWrites``: the
        screen stays live while the database waits, "Saving…" in the line under the
        elements). Refused while an element is missing: the line names each one, and
        nothing changes."""
        from coordinator_tui.services.governance.candour import complete_candour

        record = self.record
        if record is None:
            return
        coordinator, user, today = self.coordinator, self.coordinator.settings.user, self.today
        record_id, version = record.id, record.version

        def write() -> None:
            with coordinator.session() as session:
                complete_candour(session, record_id, version, by=user, today=today)

        def then(_result: None) -> None:
            self.notify("Duty of Candour record complete")
            self.load(hold_keys=True)

        def refused(error: CoordinatorError) -> None:
            self.query_one("#candour-missing", Static).update(Text(str(error), style="bold red"))
            self.notify(str(error), severity="error", timeout=10)

        self.write_in_background(write, then, refused=refused)

    def action_letter(self) -> None:
        """``l``: the written notification (Word and text, owner-only), in a worker thread
        (``actions.draft_letter``, as the list's ``l``)."""
        from coordinator_tui.screens.governance.actions import draft_letter

        draft_letter(self, "candour", self.incident_id)
