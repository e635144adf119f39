"""Pre-meeting triage: every proposal for a meeting, decided one key each.

``p`` proposes items from what happened since the last meeting (each says why). On the
highlighted item: ``i`` include, ``d`` defer to the next meeting, ``x`` drop (asks why),
``r`` back to proposed; ``1`` ``2`` ``3`` priority (urgent, high, routine); ``m`` minutes
allotted (``+``/``-`` five more or less); ``e`` presenter. ``a`` adds an item by hand,
``enter`` opens the person, ``v`` the meeting's attendees (invite, add a professional,
remove, attendance). The list is in agenda order (priority, then the kind of
reason), and the time planned against the meeting's length is always shown above it.
``s`` starts the meeting (triage then closes: anything not triaged is deferred) and
opens live minuting. ``esc`` goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.agenda import AgendaRow
    from coordinator_tui.services.meetings.triage import TriageTotals

PRIORITY = {1: "1 urgent", 2: "2 high", 3: "3 routine"}
STATE = {
    "included": ("✓ in", "bold"),
    "proposed": ("? new", ""),
    "deferred": ("→ later", "dim"),
    "dropped": ("✗ drop", "dim strike"),
}
COLUMNS = [
    Column("State", 7),
    Column("Priority", 9),
    Column("Min", 3, justify="right"),
    Column("Item"),
    Column("Why proposed"),
    Column("Presenter", 16, show_from=110),
]


def agenda_line(row: AgendaRow) -> Row:
    word, style = STATE.get(row.triage_status, (row.triage_status, ""))
    why = row.source_label + (f": {row.reason}" if row.reason else "")
    return Row(
        row.id,
        (
            Text(word, style=style),
            Text(PRIORITY.get(row.priority, str(row.priority)), style="bold red")
            if row.priority == 1
            else PRIORITY.get(row.priority, str(row.priority)),
            str(row.minutes_allotted),
            row.title,
            why,
            row.presenter,
        ),
        style="dim" if row.triage_status in ("deferred", "dropped") else "",
    )


def totals_text(totals: TriageTotals) -> Text:
    """Counts by state and the time planned against the meeting's length (never colour
    alone: running over says "over")."""
    p = totals.by_priority
    text = Text()
    text.append(f"Included {totals.included}", "bold")
    text.append(f" ({p.get(1, 0)} urgent, {p.get(2, 0)} high, {p.get(3, 0)} routine)")
    text.append(f" · to triage {totals.proposed}", "bold" if totals.proposed else "")
    text.append(f" · deferred {totals.deferred} · dropped {totals.dropped} · ")
    text.append(totals.describe(), "bold" if totals.fits else "bold red")
    return text


class MeetingTriageScreen(CoordinatorScreen[str | None]):
    # Dismisses with "started" when the meeting was started from here. (No class
    # docstring: HELP below takes the module's, which ``?`` shows.)
    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("escape", "back", "Back", id="triage.back"),
        Binding("p", "propose", "Propose", id="triage.propose"),
        Binding("i", "include", "Include", id="triage.include"),
        Binding("d", "defer", "Defer", id="triage.defer"),
        Binding("x", "drop", "Drop", id="triage.drop"),
        Binding("r", "reopen", "Reopen", show=False, id="triage.reopen"),
        Binding("1", "priority(1)", "Urgent", show=False, id="triage.priority_1"),
        Binding("2", "priority(2)", "High", show=False, id="triage.priority_2"),
        Binding("3", "priority(3)", "Routine", show=False, id="triage.priority_3"),
        Binding("m", "minutes", "Minutes", id="triage.minutes"),
        Binding("plus,equals_sign", "nudge(5)", "+5 min", show=False, id="triage.more"),
        Binding("minus", "nudge(-5)", "-5 min", show=False, id="triage.less"),
        Binding("e", "presenter", "Presenter", id="triage.presenter"),
        Binding("a", "add", "Add item", id="triage.add"),
        Binding("s", "start", "Start meeting", id="triage.start"),
        Binding("v", "attendees", "Attendees", id="triage.attendees"),
        Binding("f5", "reload", "Reload", show=False, id="triage.reload"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.rows: list[AgendaRow] = []
        self.totals: TriageTotals | None = None
        self.status = ""
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the agenda…", id="triage-head")
        yield Static("", id="triage-totals")
        yield LazyTable(COLUMNS, empty_text="No items yet: p proposes them.", id="triage-items")
        yield Static("", id="triage-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Triage"
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="triage")
    def load(self) -> None:
        with self.coordinator.session() as session:
            loaded = self._fetch(session)
        self.app.call_from_thread(self.show, *loaded)

    def _fetch(self, session: Any) -> tuple[tuple, list[AgendaRow], TriageTotals]:
        """The meeting's head line, its items in agenda order and the totals."""
        from coordinator_tui.services.meetings.agenda import agenda_rows
        from coordinator_tui.services.meetings.series import load_meeting
        from coordinator_tui.services.meetings.triage import sort_key, totals

        meeting = load_meeting(session, self.meeting_id)
        head = (meeting.title, meeting.starts_at, meeting.duration_minutes, meeting.status)
        rows = sorted(agenda_rows(session, self.meeting_id), key=sort_key)
        return head, rows, totals(session, self.meeting_id)

    def show(self, head: tuple, rows: list[AgendaRow], figures: TriageTotals) -> None:
        from coordinator_tui.services.clock import to_local

        title, starts_at, length, status = head
        self.status = status
        self.rows, self.totals = rows, figures
        when = to_local(starts_at)
        state = "" if status == "planned" else f" · {status.replace('_', ' ').upper()}: read only"
        self.query_one("#triage-head", Static).update(
            Text.assemble((title, "bold"), f" · {when:%a %d %b %Y %H:%M} · {length} min{state}")
        )
        self.query_one("#triage-totals", Static).update(totals_text(figures))
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(rows, agenda_line))
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.show_detail()

    def current(self) -> AgendaRow | None:
        index = self.query_one(LazyTable).cursor_row
        return self.rows[index] if self.rows else None

    @on(LazyTable.RowHighlighted, "#triage-items")
    def show_detail(self) -> None:
        row = self.current()
        detail = self.query_one("#triage-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text()
        text.append(f"{row.source_label}: ", "bold")
        text.append(row.reason or "—")
        if row.deferred_from_item_id:
            text.append(" · deferred from an earlier meeting", "italic")
        if row.drop_reason:
            label = "dropped" if row.triage_status == "dropped" else "note"
            text.append(f" · {label}: {row.drop_reason}")
        if row.presenter:
            text.append(f" · presented by {row.presenter}")
        detail.update(text)

    # -- writing ------------------------------------------------------------------------

    def write(self, change: Callable[[Any, AgendaRow], Any], *, move_on: bool) -> str | None:
        """Apply ``change`` to the highlighted item through the services; then reload and
        move to the next item (``move_on``) or stay with this one. Returns an error."""
        from coordinator_tui.services.meetings import MeetingError

        row = self.current()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return "Nothing highlighted"
        index = self.query_one(LazyTable).cursor_row
        following = self.rows[index + 1].id if index + 1 < len(self.rows) else None
        try:
            with self.coordinator.session() as session:
                change(session, row)
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return str(exc)
        # Reloaded here, not in a worker: the next key (coordinators triage at typing
        # speed) must act on the fresh rows and versions, never on the ones just changed.
        with self.coordinator.session() as session:
            loaded = self._fetch(session)
        self.show(*loaded)
        self._go_to(following if move_on else row.id, index)
        return None

    def _go_to(self, key: int | None, index: int) -> None:
        keys = [r.id for r in self.rows]
        table = self.query_one(LazyTable)
        if key in keys:
            table.cursor_row = keys.index(key)
        elif keys:
            table.cursor_row = min(index, len(keys) - 1)

    def _form(self, title: str, fields: list[Field], change: Callable[[Any, AgendaRow, dict], Any]):
        row = self.current()
        if row is None:
            return

        def save(values: dict[str, Any]) -> str | None:
            return self.write(lambda s, r: change(s, r, values), move_on=False)

        self.app.push_screen(FormDialog(title, fields, self.today, row.title, save=save))

    def action_include(self) -> None:
        from coordinator_tui.services.meetings.triage import include

        self.write(lambda s, r: include(s, r.id, r.version), move_on=True)

    def action_defer(self) -> None:
        from coordinator_tui.services.meetings.triage import defer

        self.write(lambda s, r: defer(s, r.id, r.version), move_on=True)

    def action_reopen(self) -> None:
        from coordinator_tui.services.meetings.triage import reopen

        self.write(lambda s, r: reopen(s, r.id, r.version), move_on=True)

    def action_drop(self) -> None:
        from coordinator_tui.services.meetings.triage import drop

        row = self.current()
        if row is None:
            return

        def save(values: dict[str, Any]) -> str | None:
            return self.write(
                lambda s, r: drop(s, r.id, r.version, reason=values["why"]), move_on=True
            )

        self.app.push_screen(
            FormDialog(
                "Drop the item",
                [Field("why", "Why", required=True, placeholder="e.g. covered by item 3")],
                self.today,
                row.title,
                save=save,
            )
        )

    def action_priority(self, priority: int) -> None:
        from coordinator_tui.services.meetings.triage import update_item

        self.write(lambda s, r: update_item(s, r.id, r.version, priority=priority), move_on=False)

    def action_nudge(self, step: int) -> None:
        from coordinator_tui.services.meetings.triage import MAX_MINUTES, update_item

        row = self.current()
        if row is None:
            return
        minutes = min(max(row.minutes_allotted + step, 1), MAX_MINUTES)
        self.write(lambda s, r: update_item(s, r.id, r.version, minutes=minutes), move_on=False)

    def action_minutes(self) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.triage import update_item

        row = self.current()

        def change(session: Any, r: AgendaRow, values: dict) -> None:
            text = values["minutes"]
            if not text.isdigit():
                raise MeetingError("Minutes: a whole number")
            update_item(session, r.id, r.version, minutes=int(text))

        self._form(
            "Minutes allotted",
            [Field("minutes", "Minutes", value=row.minutes_allotted if row else 5, required=True)],
            change,
        )

    def action_presenter(self) -> None:
        from coordinator_tui.services.meetings.series import professionals
        from coordinator_tui.services.meetings.triage import update_item

        with self.coordinator.session() as session:
            people = professionals(session)
        self._form(
            "Who presents the item",
            [
                Field(
                    "staff",
                    "Presenter (blank: nobody)",
                    "select",
                    options=tuple((p.label, p.staff_id) for p in people),
                )
            ],
            lambda s, r, v: update_item(
                s,
                r.id,
                r.version,
                presenter_staff_id=v["staff"],
                clear_presenter=v["staff"] is None,
            ),
        )

    def action_add(self) -> None:
        from coordinator_tui.screens.meeting_dialogs import ManualItemDialog
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.agenda import add_manual_item

        def save(values: dict[str, Any]) -> str | None:
            try:
                with self.coordinator.session() as session:
                    item = add_manual_item(session, self.meeting_id, **values)
                    item_id = item.id
            except MeetingError as exc:
                return str(exc)
            self._after_load = lambda: self._go_to(item_id, 0)
            self.load()
            return None

        self.app.push_screen(ManualItemDialog(save))

    def action_propose(self) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.agenda import propose_agenda

        try:
            with self.coordinator.session() as session:
                result = propose_agenda(session, self.meeting_id, today=self.today)
                added = len(result.added)
                since = result.window.since
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return
        already = f" ({result.already_there} already on it)" if result.already_there else ""
        self.notify(f"{added} items proposed from what happened since {since:%d/%m/%Y}{already}")
        self.load()

    def action_start(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minuting import plan_start, start_meeting

        figures = self.totals
        waiting = figures.proposed if figures else 0
        # A meeting starts on its day: on another day it moves to today (said below, so
        # the confirmation is the coordinator's agreement); far ahead it is refused.
        try:
            with self.coordinator.session() as session:
                plan = plan_start(session, self.meeting_id, today=self.today)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return

        def save(_: dict[str, Any]) -> str | None:
            try:
                with self.coordinator.session() as session:
                    start_meeting(
                        session, self.meeting_id, today=self.today, move_to_today=plan.moves
                    )
            except CoordinatorError as exc:
                return str(exc)
            return None

        context = f"{plan.describe()} " if plan.moves else ""
        context += "Triage closes once the meeting starts."
        if waiting:
            context += f" The {waiting} items not triaged are deferred to the next meeting."
        self.app.push_screen(
            FormDialog("Start the meeting? (ctrl+s/f2 starts)", [], self.today, context, save=save),
            lambda values: self.dismiss("started") if values is not None else None,
        )

    def action_reload(self) -> None:
        self.load()

    def action_attendees(self) -> None:
        from coordinator_tui.screens.meeting_attendees import AttendeesScreen

        self.app.push_screen(AttendeesScreen(self.meeting_id))

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LazyTable.RowSelected, "#triage-items")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        row = self.rows[event.index]
        if row.person_id is not None:
            self.coordinator.open_person(row.person_id)
        else:
            self.notify("This item is not about one person")
