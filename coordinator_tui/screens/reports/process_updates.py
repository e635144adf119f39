"""Process updates (Reports, 7, then u): what changed in a safeguarding process, sent to
the practices' safeguarding administrators, with who has acknowledged it and who came to
the briefing.

On the list, ``n`` records and sends a new update (each administrator gets an action in
the tracker, due by the acknowledgement date: an overdue one is chased like any action)
and ``enter`` opens its recipients, where ``a`` records an acknowledgement (today), ``b``
attendance at the briefing, ``x`` absence from it, and ``c`` a chase of the highlighted
administrator (a note, as in the action tracker).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
from coordinator_tui.services.reports.process_updates import RecipientRow, UpdateRow
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

UPDATE_COLUMNS = [
    Column("From", 10),
    Column("Update"),
    Column("Practices", 20, show_from=100),
    Column("Ack by", 10),
    Column("Acknowledged", 13),
    Column("Overdue", 8),
    Column("Briefing", 9, show_from=90),
]
RECIPIENT_COLUMNS = [
    Column("Administrator"),
    Column("Practice", 12),
    Column("Due", 10),
    Column("Acknowledged", 14),
    Column("Briefing", 12),
]


def update_row(row: UpdateRow) -> Row:
    overdue = Text(f"{row.overdue}", style="bold red") if row.overdue else "0"
    return Row(
        row,
        (
            uk_date(row.effective_from),
            row.title,
            row.practices,
            uk_date(row.acknowledge_by),
            f"{row.acknowledged} of {row.recipients}",
            overdue,
            f"{row.attended} came" if row.briefing_on else "none",
        ),
    )


def recipient_row(row: RecipientRow, today) -> Row:
    if row.acknowledged_on:
        ack: Any = uk_date(row.acknowledged_on)
    elif row.overdue(today):
        ack = Text("OVERDUE" + (" chased" if row.chased else ""), style="bold red")
    else:
        ack = "not yet"
    briefing = {True: "attended", False: "did not", None: "—"}[row.attended_briefing]
    return Row(
        row,
        (row.name, row.practice, uk_date(row.due) if row.due else "", ack, briefing),
    )


class ProcessUpdatesScreen(CoordinatorScreen):
    """Every process update with where its acknowledgements stand."""

    CSS_PATH = "reports.tcss"
    HELP = __doc__
    BINDINGS = [
        Binding("n", "new", "New update", id="updates.new"),
        Binding("escape", "back", "Back", id="updates.back"),
        Binding("f5", "reload", "Reload", show=False, id="updates.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[UpdateRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="updates-body"):
            yield Static("", id="updates-summary")
            yield LazyTable(
                UPDATE_COLUMNS, empty_text="No process updates yet: n records one.", id="updates"
            )
            yield Static("", id="updates-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Process updates"
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="updates")
    def load(self) -> None:
        from coordinator_tui.services.reports.process_updates import updates

        with self.coordinator.session() as session:
            rows = updates(session, self.today)
        call_from_worker(self, self.show, rows)

    def show(self, rows: list[UpdateRow]) -> None:
        self.rows = rows
        self.query_one(LazyTable).set_source(ListSource([update_row(r) for r in rows]))
        overdue = sum(r.overdue for r in rows)
        self.query_one("#updates-summary", Static).update(
            Text.assemble(
                (f"{len(rows)} process update{'' if len(rows) == 1 else 's'}", "bold"),
                f", {overdue} acknowledgements overdue (chased in the action tracker, 4 then A)",
            )
        )
        self.show_detail()
        self.loaded = True

    def highlighted(self) -> UpdateRow | None:
        row = self.query_one(LazyTable).current_row
        return row.key if row is not None else None

    @on(LazyTable.RowHighlighted, "#updates")
    def show_detail(self) -> None:
        row = self.highlighted()
        self.query_one("#updates-detail", Static).update(
            Text.assemble(
                (f"{row.title}: ", "bold"), f"{row.what_changed}. Follows {row.guidance}."
            )
            if row is not None
            else ""
        )

    def action_new(self) -> None:
        from coordinator_tui.services.reports.process_updates import (
            DEFAULT_ACK_DAYS,
            create_update,
        )

        today = self.today

        def write(values: dict[str, Any]) -> str:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                update = create_update(
                    session,
                    today=today,
                    by=self.coordinator.settings.user,
                    title=values["title"],
                    what_changed=values["what"],
                    effective_from=values["from"],
                    guidance=values["guidance"],
                    practices=values["practices"],
                    acknowledge_by=values["ack_by"],
                    briefing_on=values["briefing"],
                )
                return update.title

        def then(_values: dict[str, Any], title: str) -> None:
            self.notify(f"'{title}' sent: each administrator has it to acknowledge")
            self.load()

        save = BackgroundSave(write, then)

        fields = [
            Field("title", "Title", required=True),
            Field("what", "What changed", required=True),
            Field("from", "From", "date", value=today, required=True),
            Field("guidance", "The guidance it follows", required=True),
            Field("practices", "Practices (names or ODS codes; blank: every practice)"),
            Field("ack_by", "Acknowledge by", "date", value=today + timedelta(DEFAULT_ACK_DAYS)),
            Field("briefing", "Briefing on (if any)", "date"),
        ]
        self.app.push_screen(FormDialog("New process update", fields, today, save=save))

    @on(LazyTable.RowSelected, "#updates")
    def open_update(self, event: LazyTable.RowSelected) -> None:
        self.app.push_screen(RecipientsScreen(event.row.key), lambda _: self.load())

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)


class RecipientsScreen(BackgroundWrites, CoordinatorScreen):
    """The administrators one update went to."""

    CSS_PATH = "reports.tcss"
    HELP = __doc__
    SAVING_LINE = "#recipients-summary"  # "Saving…" while a one-key write waits
    BINDINGS = [
        Binding("a", "acknowledged", "Acknowledged", id="recipients.ack"),
        Binding("b", "briefing(True)", "Attended briefing", id="recipients.attended"),
        Binding("x", "briefing(False)", "Did not attend", id="recipients.absent"),
        Binding("c", "chase", "Chase", id="recipients.chase"),
        Binding("escape", "back", "Back", id="recipients.back"),
    ]

    def __init__(self, update: UpdateRow) -> None:
        super().__init__()
        self.update_row = update
        self.rows: list[RecipientRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="updates-body"):
            yield Static("", id="recipients-summary")
            yield LazyTable(RECIPIENT_COLUMNS, empty_text="Sent to nobody.", id="recipients")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.update_row.title
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="recipients")
    def load(self) -> None:
        call_from_worker(self, self.show, self._fetch())

    def _fetch(self) -> list[RecipientRow]:
        """The update's recipients, in a worker thread."""
        from coordinator_tui.services.reports.process_updates import recipients

        with self.coordinator.session() as session:
            return recipients(session, self.update_row.id)

    def show(self, rows: list[RecipientRow], index: int | None = None) -> None:
        """Draw ``rows``, the cursor on row ``index`` (else where it was)."""
        self.rows = rows
        today = self.today
        table = self.query_one(LazyTable)
        index = table.cursor_row if index is None else index
        table.set_source(ListSource([recipient_row(r, today) for r in rows]))
        table.cursor_row = min(index, max(len(rows) - 1, 0))
        update = self.update_row
        briefing = f"; briefing {uk_date(update.briefing_on)}" if update.briefing_on else ""
        self.query_one("#recipients-summary", Static).update(
            Text.assemble(
                (update.title, "bold"),
                f" (from {uk_date(update.effective_from)}, {update.practices}{briefing}): "
                f"{sum(1 for r in rows if r.acknowledged_on)} of {len(rows)} acknowledged",
            )
        )
        self.loaded = True

    def highlighted(self) -> RecipientRow | None:
        row = self.query_one(LazyTable).current_row
        return row.key if row is not None else None

    def _save(self, job, done: str) -> None:
        """One key's write (``job(session, row)``) on the highlighted administrator, in a
        worker thread with the recipients read again there (``BackgroundWrites``: the
        screen live while the database waits, the keys typed meanwhile acting on the
        fresh rows); then the cursor moves on to the next. A refusal (a colleague's
        change first, the database busy) is one line and changes nothing."""
        row = self.highlighted()
        if row is None:
            return
        following = self.query_one(LazyTable).cursor_row + 1

        def write() -> list[RecipientRow]:
            with self.coordinator.session() as session:
                job(session, row)
            return self._fetch()

        def then(rows: list[RecipientRow]) -> None:
            self.notify(f"{row.name}: {done}")
            self.show(rows, following)

        self.write_in_background(write, then)

    def action_acknowledged(self) -> None:
        from coordinator_tui.services.reports.process_updates import acknowledge

        today = self.today
        self._save(
            lambda s, row: acknowledge(s, row.id, row.version, on=today, today=today),
            "acknowledged",
        )

    def action_briefing(self, attended: bool) -> None:
        from coordinator_tui.services.reports.process_updates import record_briefing

        self._save(
            lambda s, row: record_briefing(s, row.id, row.version, attended=attended),
            "attended the briefing" if attended else "did not attend the briefing",
        )

    def action_chase(self) -> None:
        from coordinator_tui.services.meetings.actions import chase

        row = self.highlighted()
        if row is None or row.action_id is None or row.acknowledged_on:
            return

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                chase(
                    session,
                    row.action_id,  # type: ignore[arg-type]
                    note=values["note"],
                    by=self.coordinator.settings.user,
                )

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify(f"{row.name}: chased")
            self.load()

        save = BackgroundSave(write, then)

        fields = [Field("note", "How it was chased and what was said", required=True)]
        self.app.push_screen(
            FormDialog("Chase the acknowledgement", fields, self.today, row.name, save=save)
        )

    def action_back(self) -> None:
        self.dismiss(None)
