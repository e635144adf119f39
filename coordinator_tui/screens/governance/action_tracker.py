"""Actions to chase (``F`` on Governance): an incident's actions and the rota's cover tasks.

The homecare side's part of the shared action tracker (issue 17): the actions added on
an incident (``a`` on Governance) and the visits nobody could cover, escalated to the
registered manager by the rota's Plan C. Each says OVERDUE when open past its due date;
the last column says which it is (incident or cover needed). Only what your roles let
you act on is listed (incidents: governance; cover tasks: the rota); the safeguarding
meetings' actions are on Meetings (4).

On the highlighted action: ``enter`` opens its incident (an incident's action: triage,
candour, investigation and closing are there; back here with ``esc``, the list read
again), ``c`` chase (how it was chased and what was said), ``d`` done
(the outcome), ``r`` reassign (a name, initials or a role), ``e`` re-date. A colleague's
change to the same action meanwhile is refused in the form, what you typed kept: ``esc``
then ``f5`` reads it again. ``o`` orders by due date or owner, ``esc`` goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import day_datetime
from coordinator_tui.screens.action_tracking import ActionTracking, action_row, overdue_by_kind
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource

if TYPE_CHECKING:
    from coordinator_tui.services.governance.incidents import IncidentRow
    from coordinator_tui.services.meetings.actions import ActionRow

ORDERS = ("due", "owner")
COLUMNS = [
    Column("Status", 7),
    Column("Due", 8),
    Column("Owner", 16),
    Column("Action"),
    Column("Person", 20, show_from=100),
    Column("Kind", 12),
]
ROW_ACTIONS = {"chase", "done", "reassign", "redate"}


class ActionTrackerScreen(ActionTracking, CoordinatorScreen):
    CSS_PATH = "action_tracker.tcss"
    HELP = __doc__ or ""
    ACTIONS_TABLE = "#tracker-actions"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="action_tracker.back"),
        # not in the footer: the table's own ``enter`` is first in the focus chain there,
        # so the detail line names it instead (on an incident's action only)
        Binding(
            "enter",
            "open_incident",
            "Incident",
            show=False,
            priority=True,
            id="action_tracker.open",
        ),
        Binding("c", "chase", "Chase", id="action_tracker.chase"),
        Binding("d", "done", "Done", id="action_tracker.done"),
        Binding("r", "reassign", "Reassign", id="action_tracker.reassign"),
        Binding("e", "redate", "Re-date", id="action_tracker.redate"),
        Binding("o", "order", "Order", id="action_tracker.order"),
        Binding("f5", "reload", "Reload", show=False, id="action_tracker.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order = "due"
        self.actions: list[ActionRow] = []
        self.shown_actions = []
        self.refusal = ""
        self.loaded = False
        self._after_load: Callable[[], None] | None = None
        self._back_from_incident = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="tracker-body"):
            yield Static("Loading actions…", id="tracker-summary")
            yield LazyTable(
                COLUMNS,
                empty_text="No open incident actions or cover tasks.",
                id="tracker-actions",
            )
            yield Static("", id="tracker-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Actions to chase"
        self.query_one(LazyTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "order":
            return not self.refusal
        if action in ROW_ACTIONS:
            return not self.refusal and bool(self.shown_actions)
        if action == "open_incident":  # a cover task has no incident: the key is not shown
            row = None if self.refusal else self.current_action()
            return row is not None and row.incident_id is not None
        return True

    def on_screen_resume(self) -> None:
        """Back from an incident (an action added, done or the incident closed there):
        the list read again. (The base class's own handler runs as well: Textual calls
        each class's handler in the method order, so it is not called here.)"""
        if self._back_from_incident:  # not after a dialog: a save reads the list itself
            self._back_from_incident = False
            self.load()

    # -- reading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="action-tracker")
    def load(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.actions import COVER, INCIDENT, open_actions

        try:
            with self.coordinator.session() as session:
                # the service lists only the kinds the user's roles allow, and refuses
                # in one line when they allow neither (issue 17)
                rows = open_actions(
                    session, today=self.today, order=self.order, kinds=(INCIDENT, COVER)
                )
        except CoordinatorError as exc:
            call_from_worker(self, self.refused, str(exc))
            return
        call_from_worker(self, self.show, rows)

    def refused(self, message: str) -> None:
        """The refusal in the summary's line; nothing of any action shown."""
        self.refusal = message
        self.actions, self.shown_actions = [], []
        self.query_one(LazyTable).display = False
        self.query_one("#tracker-detail", Static).update("")
        self.query_one("#tracker-summary", Static).update(Text(message, style="bold red"))
        self.loaded = True
        self.refresh_bindings()

    def show(self, rows: list[ActionRow]) -> None:
        today = self.today
        self.refusal = ""
        self.actions = self.shown_actions = rows
        table = self.query_one(LazyTable)
        table.display = True
        table.set_source(MappedSource(self.shown_actions, lambda a: action_row(a, today)))
        summary = Text("Incident actions and cover tasks", style="bold")
        summary.append(f" · {len(rows)} open · by {self.order} · ")
        total = sum(1 for a in rows if a.is_overdue(today))
        summary.append(f"{total} overdue", "bold red" if total else "")
        if total:
            summary.append(f" ({overdue_by_kind(rows, today)})")
        self.query_one("#tracker-summary", Static).update(summary)
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self._draw_detail()
        self.refresh_bindings()

    @on(LazyTable.RowHighlighted, "#tracker-actions")
    def _highlighted(self) -> None:
        self._draw_detail()

    @on(LazyTable.RowSelected, "#tracker-actions")
    def _selected(self) -> None:
        self.action_open_incident()

    def _draw_detail(self) -> None:
        """The highlighted action in full (the column cuts a long one short) and when it
        was last chased."""
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.meetings.actions import KIND_NAMES

        row = self.current_action()
        detail = Text()
        if row is not None:
            detail.append(row.description)
            chased = (
                f"last chased {day_datetime(to_local(row.last_chased_at))}"
                if row.last_chased_at
                else "not chased yet"
            )
            kind = KIND_NAMES.get(row.kind, row.kind)
            detail.append(f"\n{kind} · {row.owner or 'no owner'} · {chased}", style="dim")
            if row.incident_id is not None:
                detail.append(" · ", style="dim")
                detail.append("enter", style="bold")
                detail.append(f" INC-{row.incident_id}", style="dim")
        self.query_one("#tracker-detail", Static).update(detail)

    # -- keys ---------------------------------------------------------------------------

    def action_order(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_open_incident(self) -> None:
        row = self.current_action()
        if row is None or self.refusal:
            return
        if row.incident_id is None:
            self.notify("A cover task: its visit is on the rota (5), the week it falls in.")
            return
        self._read_incident(row.incident_id)

    @work(thread=True, exclusive=True, group="action-tracker-open")
    def _read_incident(self, incident_id: int) -> None:
        """The incident as Governance lists it, read off the UI thread, then opened."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.governance.incidents import incident_row

        try:
            with self.coordinator.session() as session:
                found = incident_row(session, incident_id, self.today)
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        call_from_worker(self, self._open_incident, found)

    def _open_incident(self, found: IncidentRow | None) -> None:
        if found is None:
            self.notify("That incident no longer exists.", severity="warning")
            self.load()
            return
        from coordinator_tui.screens.governance.record import IncidentScreen

        self._back_from_incident = True
        self.app.push_screen(IncidentScreen(found))
