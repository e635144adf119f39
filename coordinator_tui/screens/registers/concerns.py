"""Untriaged concerns (``C`` on Registers): triage each with one key.

``n`` no further action (reason), ``f`` refer (creates a draft referral), ``g`` add to a
register, ``m`` discuss at the next meeting, ``i`` log a new concern, ``enter`` open the
person, ``esc`` back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import person_label, uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.concerns import REFERRAL_TYPES, ConcernRow
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

COLUMNS = [
    Column("Raised", 10),
    Column("Name", 24),
    Column("Category", 16),
    Column("Raised by", 16, show_from=100),
    Column("Details"),
]


class ConcernsScreen(BackgroundWrites, CoordinatorScreen):
    """The concerns awaiting triage, oldest first."""

    CSS_PATH = "concerns.tcss"
    HELP = __doc__
    SAVING_LINE = "#concerns-summary"  # "Saving…" while a one-key triage waits on the database
    BINDINGS = [
        Binding("escape", "dismiss", "Back", id="concerns.back"),
        Binding("n", "nfa", "No further action", id="concerns.nfa"),
        Binding("f", "refer", "Refer", id="concerns.refer"),
        Binding("g", "register", "Register", id="concerns.register"),
        Binding("m", "meeting", "For meeting", id="concerns.meeting"),
        Binding("i", "intake", "New concern", id="concerns.intake"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ConcernRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="concerns-body"):
            yield Static("Concerns awaiting triage", id="concerns-summary")
            yield LazyTable(COLUMNS, empty_text="No concerns await triage.", id="concerns")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Concerns awaiting triage"
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="concerns")
    def load(self) -> None:
        call_from_worker(self, self.show, *self._fetch())

    def _fetch(self) -> tuple[list[ConcernRow], dict[str, str]]:
        """The concerns awaiting triage and the category labels, in a worker thread."""
        from coordinator_tui.services.concerns import category_labels, untriaged

        with self.coordinator.session() as session:
            rows = untriaged(session)
        return rows, category_labels()

    def show(self, rows: list[ConcernRow], labels: dict[str, str]) -> None:
        self.rows = rows
        table = self.query_one(LazyTable)
        table.set_source(
            ListSource(
                [
                    Row(
                        r.id,
                        (
                            uk_date(r.raised_on),
                            person_label(r),
                            labels.get(r.category, r.category),
                            r.raised_by,
                            r.details,
                        ),
                    )
                    for r in rows
                ]
            )
        )
        self.query_one("#concerns-summary", Static).update(
            Text.assemble(("Concerns awaiting triage: ", "bold"), f"{len(rows):,}")
        )
        self.loaded = True

    def current(self) -> ConcernRow | None:
        table = self.query_one(LazyTable)
        return self.rows[table.cursor_row] if self.rows else None

    def _triage(
        self, title: str, fields: list[Field], apply: Callable[[Any, ConcernRow, dict], Any]
    ) -> None:
        row = self.current()
        if row is None:
            return
        index = self.query_one(LazyTable).cursor_row

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread when there is a form; a refusal (refused, a
            # conflict, the database busy) is shown in it, text kept.
            with self.coordinator.session() as session:
                apply(session, row, values)

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify(f"Triaged {person_label(row)}: {title.lower()}")
            self.query_one(LazyTable).cursor_row = index
            self.load()

        context = f"{person_label(row)} · {row.details}"
        if fields:
            save = BackgroundSave(write, then)
            self.app.push_screen(FormDialog(title, fields, self.today, context, save=save))
            return

        # One key, no form: written in a worker thread and the list read again there
        # (``BackgroundWrites``: the screen live while the database waits, the keys typed
        # meanwhile acting on the list as it is after the write); a refusal is one line.
        def write_and_read() -> tuple[list[ConcernRow], dict[str, str]]:
            write({})
            return self._fetch()

        def shown(loaded: tuple[list[ConcernRow], dict[str, str]]) -> None:
            self.notify(f"Triaged {person_label(row)}: {title.lower()}")
            self.show(*loaded)
            table = self.query_one(LazyTable)
            table.cursor_row = min(index, max(len(self.rows) - 1, 0))

        self.write_in_background(write_and_read, shown)

    def action_nfa(self) -> None:
        from coordinator_tui.services.concerns import triage_no_further_action

        user = self.coordinator.settings.user
        self._triage(
            "No further action",
            [Field("reason", "Reason", required=True)],
            lambda s, r, v: triage_no_further_action(
                s, r.id, r.version, reason=v["reason"], by=user
            ),
        )

    def action_refer(self) -> None:
        from coordinator_tui.services.concerns import triage_refer

        user = self.coordinator.settings.user
        self._triage(
            "Refer",
            [
                Field(
                    "type",
                    "Referral to",
                    "select",
                    value="MASH",
                    options=tuple((t.replace("_", " "), t) for t in REFERRAL_TYPES),
                    required=True,
                )
            ],
            lambda s, r, v: triage_refer(s, r.id, r.version, referral_type=v["type"], by=user),
        )

    def action_register(self) -> None:
        from coordinator_tui.services.concerns import triage_register
        from coordinator_tui.services.registers import register_choices

        with self.coordinator.session() as session:
            registers = register_choices(session)
        user = self.coordinator.settings.user
        self._triage(
            "Add to a register",
            [
                Field(
                    "category",
                    "Register (type a few letters, enter takes it)",
                    "choice",
                    options=tuple((c.label, c.id, c.search_text) for c in registers),
                    required=True,
                ),
                Field(
                    "risk",
                    "Risk",
                    "select",
                    value="medium",
                    options=(("High", "high"), ("Medium", "medium"), ("Low", "low")),
                    required=True,
                ),
            ],
            lambda s, r, v: triage_register(
                s,
                r.id,
                r.version,
                category_id=v["category"],
                today=self.today,
                by=user,
                risk_level=v["risk"],
            ),
        )

    def action_meeting(self) -> None:
        from coordinator_tui.services.concerns import triage_for_meeting

        user = self.coordinator.settings.user
        self._triage(
            "Discuss at the next meeting",
            [],
            lambda s, r, v: triage_for_meeting(s, r.id, r.version, by=user),
        )

    def action_intake(self) -> None:
        self.coordinator.open_concern_intake(on_saved=self.load)

    @on(LazyTable.RowSelected, "#concerns")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        self.coordinator.open_person(self.rows[event.index].person_id)
