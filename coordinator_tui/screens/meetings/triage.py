"""Pre-meeting triage: every proposal for a meeting, decided one key each.

``p`` proposes items from what happened since the last meeting, most at risk first and
only as many as fit the meeting's time (each says why); ``P`` proposes the rest held
back. Items deferred or not reached at the last meeting are already there, carried
forward (``↻ carried``, with the note of why), not among the new ones. On the highlighted
item: ``i`` include, ``d`` defer to the next meeting, ``x`` drop (asks why), ``r`` back
to proposed; ``1`` ``2`` ``3`` priority (urgent, high, routine); ``m`` minutes allotted
(``+``/``-`` five more or less); ``e`` presenter. ``space`` marks an item (``*`` marks
every item shown): ``i``, ``d`` and ``x`` then act on all the marked items at once, after
one confirmation. ``/`` filters the list as you type (name, reason, state: "new",
"carried", "urgent"...); ``esc`` clears the filter, then the marks, then goes back.
``a`` adds an item by hand, ``enter`` opens the person, ``v`` the meeting's attendees
(invite, add a professional, remove, attendance). The list is in agenda order
(priority, then the kind of reason), and the time planned against the meeting's length
is always shown above it. ``s`` starts the meeting (triage then closes: anything not
triaged is deferred) and opens live minuting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.filter_input import FilterInput
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.agenda import AgendaRow
    from coordinator_tui.services.meetings.triage import TriageTotals

PRIORITY = {1: "1 urgent", 2: "2 high", 3: "3 routine"}
STATE = {
    "included": ("✓ in", "bold"),
    "carried": ("↻ carried", "bold"),
    "proposed": ("? new", ""),
    "deferred": ("→ later", "dim"),
    "dropped": ("✗ drop", "dim strike"),
}
MARK = "●"
COLUMNS = [
    Column("State", 11),
    Column("Priority", 9),
    Column("Min", 3, justify="right"),
    Column("Item"),
    Column("Why proposed"),
    Column("Presenter", 16, show_from=110),
]


def state_key(row: AgendaRow) -> str:
    """The row's state as the list shows it: a carried-forward item is not just "in"."""
    if row.triage_status == "included" and row.carried:
        return "carried"
    return row.triage_status


def agenda_line(row: AgendaRow, marked: bool = False) -> Row:
    word, style = STATE.get(state_key(row), (row.triage_status, ""))
    why = row.source_label + (f": {row.reason}" if row.reason else "")
    state = Text(f"{MARK} " if marked else "  ", style="bold reverse" if marked else "")
    state.append(word, style=style)
    return Row(
        row.id,
        (
            state,
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


def totals_text(
    totals: TriageTotals, *, held_back: int = 0, marked: int = 0, shown: int | None = None
) -> Text:
    """Counts by state and the time planned against the meeting's length (never colour
    alone: running over says "over"); what ``p`` held back, the marks and the filter."""
    p = totals.by_priority
    text = Text()
    text.append(f"Included {totals.included}", "bold")
    carried = f"{totals.carried} carried, " if totals.carried else ""
    text.append(f" ({carried}{p.get(1, 0)} urgent, {p.get(2, 0)} high, {p.get(3, 0)} routine)")
    text.append(f" · to triage {totals.proposed}", "bold" if totals.proposed else "")
    text.append(f" · deferred {totals.deferred} · dropped {totals.dropped} · ")
    text.append(totals.describe(), "bold" if totals.fits else "bold red")
    if held_back:
        text.append(f" · {held_back} more held back: P proposes them", "italic")
    if marked:
        text.append(f" · {marked} marked", "bold reverse")
    if shown is not None:
        text.append(f" · {shown} shown by the filter", "italic")
    return text


def matches(row: AgendaRow, needle: str) -> bool:
    """The filter: every word typed is in the item's title, reason, kind, state, priority,
    presenter or carried-forward note."""
    word, _ = STATE.get(state_key(row), (row.triage_status, ""))
    haystack = " ".join(
        (
            row.title,
            row.reason,
            row.source_label,
            word,
            state_key(row),
            "new" if row.triage_status == "proposed" else "",
            PRIORITY.get(row.priority, ""),
            row.presenter,
            row.carried_note,
            row.drop_reason,
        )
    ).lower()
    return all(part in haystack for part in needle.lower().split())


class MeetingTriageScreen(BackgroundWrites, CoordinatorScreen[str | None]):
    # Dismisses with "started" when the meeting was started from here. (No class
    # docstring: HELP below takes the module's, which ``?`` shows.)
    CSS_PATH = "meetings.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box.
    AUTO_FOCUS = "#triage-items"
    HELP = __doc__ or ""
    SAVING_LINE = "#triage-detail"  # "Saving…" while a one-key write waits on the database
    # In the footer's order of priority (the most used first: at 80 columns the last
    # ones are the first to go).
    BINDINGS = [
        Binding("p", "propose", "Propose", id="triage.propose"),
        Binding("i", "include", "Include", id="triage.include"),
        Binding("d", "defer", "Defer", id="triage.defer"),
        Binding("x", "drop", "Drop", id="triage.drop"),
        Binding("s", "start", "Start meeting", id="triage.start"),
        Binding("v", "attendees", "Attendees", id="triage.attendees"),
        Binding("slash", "filter", "Filter", id="triage.filter", priority=True),
        Binding("space", "mark", "Mark", id="triage.mark"),
        Binding("P", "propose_rest", "Propose rest", id="triage.propose_rest"),
        Binding("m", "minutes", "Minutes", id="triage.minutes"),
        Binding("e", "presenter", "Presenter", id="triage.presenter"),
        Binding("a", "add", "Add item", id="triage.add"),
        Binding("escape", "back", "Back", id="triage.back"),
        Binding("asterisk", "mark_shown", "Mark all shown", show=False, id="triage.mark_all"),
        Binding("r", "reopen", "Reopen", show=False, id="triage.reopen"),
        Binding("1", "priority(1)", "Urgent", show=False, id="triage.priority_1"),
        Binding("2", "priority(2)", "High", show=False, id="triage.priority_2"),
        Binding("3", "priority(3)", "Routine", show=False, id="triage.priority_3"),
        Binding("plus,equals_sign", "nudge(5)", "+5 min", show=False, id="triage.more"),
        Binding("minus", "nudge(-5)", "-5 min", show=False, id="triage.less"),
        Binding("f5", "reload", "Reload", show=False, id="triage.reload"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.all_rows: list[AgendaRow] = []
        self.rows: list[AgendaRow] = []  # as shown: filtered
        self.marked: set[int] = set()
        self.held_back = 0
        self.totals: TriageTotals | None = None
        self.status = ""
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the agenda…", id="triage-head")
        yield Static("", id="triage-totals")
        yield FilterInput(
            lambda _: self.apply_filter(),
            placeholder="Filter: name, reason or state (new, carried, urgent...)",
            id="triage-filter",
            compact=True,
        )
        yield LazyTable(COLUMNS, empty_text="No items yet: p proposes them.", id="triage-items")
        yield Static("", id="triage-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Triage"
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="triage")
    def load(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.agenda import carry_forward

        carried = 0
        try:  # what earlier meetings deferred to this one is on it from the start
            with self.coordinator.session() as session:
                carried = len(carry_forward(session, self.meeting_id))
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        with self.coordinator.session() as session:
            loaded = self._fetch(session)
        call_from_worker(self, self.show, *loaded)
        if carried:
            self.app.call_from_thread(
                self.notify,
                f"{carried} item{'s' if carried != 1 else ''} carried forward from the "
                "last meeting (↻ carried)",
            )

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
        from coordinator_tui.clock import to_local

        title, starts_at, length, status = head
        self.status = status
        self.totals = figures
        when = to_local(starts_at)
        state = "" if status == "planned" else f" · {status.replace('_', ' ').upper()}: read only"
        self.query_one("#triage-head", Static).update(
            Text.assemble((title, "bold"), f" · {when:%a %d %b %Y %H:%M} · {length} min{state}")
        )
        self.all_rows = rows
        self.marked &= {row.id for row in rows}  # an item gone is no longer marked
        self.apply_filter()
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.show_detail()

    def apply_filter(self) -> None:
        """Show the rows the filter matches (all without one), marks and totals."""
        needle = self.query_one("#triage-filter", Input).value.strip()
        table = self.query_one(LazyTable)
        current = self.current()
        self.rows = [r for r in self.all_rows if matches(r, needle)] if needle else self.all_rows
        marked = self.marked
        table.set_source(MappedSource(self.rows, lambda r: agenda_line(r, r.id in marked)))
        if current is not None:
            self._go_to(current.id, table.cursor_row)
        self.show_totals()

    def show_totals(self) -> None:
        if self.totals is None:
            return
        needle = self.query_one("#triage-filter", Input).value.strip()
        self.query_one("#triage-totals", Static).update(
            totals_text(
                self.totals,
                held_back=self.held_back,
                marked=len(self.marked),
                shown=len(self.rows) if needle else None,
            )
        )

    def current(self) -> AgendaRow | None:
        index = self.query_one(LazyTable).cursor_row
        return self.rows[index] if self.rows and index < len(self.rows) else None

    @on(LazyTable.RowHighlighted, "#triage-items")
    def show_detail(self) -> None:
        row = self.current()
        detail = self.query_one("#triage-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text()
        if row.carried:
            text.append("↻ Carried forward: ", "bold")
            text.append(f"{row.carried_note}. ", "italic")
        text.append(f"{row.source_label}: ", "bold")
        text.append(row.reason or "—")
        if row.drop_reason:
            label = "dropped" if row.triage_status == "dropped" else "note"
            text.append(f" · {label}: {row.drop_reason}")
        if row.presenter:
            text.append(f" · presented by {row.presenter}")
        detail.update(text)

    # -- writing ------------------------------------------------------------------------

    def write(self, change: Callable[[Any, AgendaRow], Any], *, move_on: bool) -> None:
        """Apply ``change`` to the highlighted item through the services in a worker
        thread, and read the rows again there (``BackgroundWrites``: the screen live, the
        keys typed meanwhile held); then show them and move to the next item
        (``move_on``) or stay with this one. The next key (coordinators triage at typing
        speed) acts on the fresh rows and versions, never on the ones just changed. A
        refusal (a conflict, a busy database) is said in one line; nothing changes."""
        row = self.current()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        index = self.query_one(LazyTable).cursor_row
        following = self.rows[index + 1].id if index + 1 < len(self.rows) else None

        def write() -> tuple[tuple, list[AgendaRow], TriageTotals]:
            with self.coordinator.session() as session:
                change(session, row)
            with self.coordinator.session() as session:
                return self._fetch(session)

        def then(loaded: tuple[tuple, list[AgendaRow], TriageTotals]) -> None:
            self.show(*loaded)
            self._go_to(following if move_on else row.id, index)

        self.write_in_background(write, then)

    def background(
        self, change: Callable[[Any, AgendaRow, dict[str, Any]], Any], *, move_on: bool
    ) -> BackgroundSave | None:
        """A dialog's save of ``change`` on the highlighted item: the write in the
        dialog's worker thread (the screen live while the database waits on a lock; a
        refusal is shown in the form, text kept), then the reload and the move (to the
        next item with ``move_on``) on the UI thread, before any key typed meanwhile."""
        row = self.current()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return None
        index = self.query_one(LazyTable).cursor_row
        following = self.rows[index + 1].id if index + 1 < len(self.rows) else None

        def write(values: dict[str, Any]) -> tuple[tuple, list[AgendaRow], TriageTotals]:
            with self.coordinator.session() as session:
                change(session, row, values)
            with self.coordinator.session() as session:  # read again, still in the worker
                return self._fetch(session)

        def then(_values: dict[str, Any], loaded: tuple[tuple, list[AgendaRow], TriageTotals]):
            self.show(*loaded)
            self._go_to(following if move_on else row.id, index)

        return BackgroundSave(write, then)

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

        save = self.background(lambda s, r, values: change(s, r, values), move_on=False)
        if save is not None:
            self.app.push_screen(FormDialog(title, fields, self.today, row.title, save=save))

    def action_include(self) -> None:
        from coordinator_tui.services.meetings.triage import include

        if self.marked:
            self._bulk("include")
            return
        self.write(lambda s, r: include(s, r.id, r.version), move_on=True)

    def action_defer(self) -> None:
        from coordinator_tui.services.meetings.triage import defer

        if self.marked:
            self._bulk("defer")
            return
        self.write(lambda s, r: defer(s, r.id, r.version), move_on=True)

    # -- marks and the bulk actions -------------------------------------------------------

    def action_mark(self) -> None:
        """``space``: mark or unmark the highlighted item, then on to the next."""
        row = self.current()
        if row is None:
            return
        self.marked ^= {row.id}
        table = self.query_one(LazyTable)
        index = table.cursor_row
        self.apply_filter()
        table.cursor_row = min(index + 1, max(len(self.rows) - 1, 0))

    def action_mark_shown(self) -> None:
        """``*``: mark every item shown (the filter's), or unmark them if all are marked."""
        shown = {row.id for row in self.rows}
        if shown and shown <= self.marked:
            self.marked -= shown
        else:
            self.marked |= shown
        self.apply_filter()

    def _bulk(self, what: str) -> None:
        """One confirmation, then every marked item in one unit of work (all or none)."""
        from coordinator_tui.services.meetings import triage as service

        chosen = [(r.id, r.version) for r in self.all_rows if r.id in self.marked]
        count = len(chosen)
        if not count:
            self.marked.clear()
            self.apply_filter()
            return
        noun = f"{count} item{'s' if count != 1 else ''}"
        fields: list[Field] = []
        if what == "drop":
            fields = [Field("why", "Why", required=True, placeholder="e.g. not for this panel")]
            title = f"Drop the {noun} marked? (ctrl+s/f2 drops)"
        elif what == "defer":
            fields = [Field("note", "Note (optional)", placeholder="e.g. awaiting reports")]
            title = f"Defer the {noun} marked to the next meeting? (ctrl+s/f2 defers)"
        else:
            title = f"Include the {noun} marked? (ctrl+s/f2 includes)"

        def write(values: dict[str, Any]) -> tuple[tuple, list[AgendaRow], TriageTotals]:
            # In the dialog's worker thread; a refusal is shown in the form.
            with self.coordinator.session() as session:
                if what == "drop":
                    service.drop_many(session, chosen, reason=values["why"])
                elif what == "defer":
                    service.defer_many(session, chosen, note=values.get("note") or "")
                else:
                    for item_id, version in chosen:
                        service.include(session, item_id, version)
            with self.coordinator.session() as session:  # read again, still in the worker
                return self._fetch(session)

        def then(_values: dict[str, Any], loaded: tuple[tuple, list[AgendaRow], TriageTotals]):
            done = {"drop": "dropped", "defer": "deferred", "include": "included"}[what]
            self.marked.clear()
            self.notify(f"{noun.capitalize()} {done}", timeout=4)
            self.show(*loaded)

        context = "Only the marked items change; space unmarks one, esc clears the marks."
        save = BackgroundSave(write, then)
        self.app.push_screen(FormDialog(title, fields, self.today, context, save=save))

    # -- the filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#triage-filter", Input)
        box.add_class("-shown")
        self.set_focus(box)  # at once: "/smith" typed in one go all goes into the filter

    @on(Input.Submitted, "#triage-filter")
    def filter_done(self) -> None:
        self.query_one(LazyTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "/" is a priority key, so "/smith" typed in one go all lands in the filter; a
        # "/" typed in the filter itself is a character.
        return not (action == "filter" and isinstance(self.focused, Input))

    def action_reopen(self) -> None:
        from coordinator_tui.services.meetings.triage import reopen

        self.write(lambda s, r: reopen(s, r.id, r.version), move_on=True)

    def action_drop(self) -> None:
        from coordinator_tui.services.meetings.triage import drop

        if self.marked:
            self._bulk("drop")
            return
        row = self.current()
        save = self.background(
            lambda s, r, values: drop(s, r.id, r.version, reason=values["why"]), move_on=True
        )
        if row is None or save is None:
            return
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
        from coordinator_tui.screens.meetings.dialogs import ManualItemDialog
        from coordinator_tui.services.meetings.agenda import add_manual_item

        def write(values: dict[str, Any]) -> int:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                return add_manual_item(session, self.meeting_id, **values).id

        def then(_values: dict[str, Any], item_id: int) -> None:
            self._after_load = lambda: self._go_to(item_id, 0)
            self.load()

        self.app.push_screen(ManualItemDialog(BackgroundSave(write, then)))

    def action_propose(self, fit_to_time: bool = True) -> None:
        """``p``: the proposals that fit the meeting's time, most at risk first (written
        in a worker thread, the rows read again there)."""
        from coordinator_tui.services.meetings.agenda import propose_agenda

        today = self.today

        def write() -> tuple[Any, tuple[tuple, list[AgendaRow], TriageTotals]]:
            with self.coordinator.session() as session:
                result = propose_agenda(
                    session, self.meeting_id, today=today, fit_to_time=fit_to_time
                )
            with self.coordinator.session() as session:
                return result, self._fetch(session)

        def then(made: tuple[Any, tuple[tuple, list[AgendaRow], TriageTotals]]) -> None:
            result, loaded = made
            added, carried = len(result.added), len(result.carried)
            self.held_back = result.held_back
            text = f"{added} proposed from what happened since {uk_date(result.window.since)}"
            if fit_to_time:
                text += f", most at risk first, to fit the {result.minutes_free} min free"
            if result.held_back:
                text += f"; {result.held_back} more held back: P proposes them"
            if carried:
                text += f"; {carried} carried forward from the last meeting"
            if result.already_there:
                text += f" ({result.already_there} already on it)"
            self.notify(text, timeout=8)
            self.show(*loaded)
            self._go_to(None, 0)  # from the top: most at risk first

        self.write_in_background(write, then)

    def action_propose_rest(self) -> None:
        """``P``: everything the builder finds, including what ``p`` held back."""
        self.action_propose(fit_to_time=False)

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

        def write(_: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form.
            with self.coordinator.session() as session:
                start_meeting(session, self.meeting_id, today=self.today, move_to_today=plan.moves)

        save = BackgroundSave(write)

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
        from coordinator_tui.screens.meetings.attendees import AttendeesScreen

        self.app.push_screen(AttendeesScreen(self.meeting_id))

    def action_back(self) -> None:
        """``esc``: clears the filter, then the marks, then goes back."""
        box = self.query_one("#triage-filter", Input)
        if box.has_class("-shown"):
            box.value = ""
            box.remove_class("-shown")
            self.query_one(LazyTable).focus()
            self.apply_filter()
            return
        if self.marked:
            self.marked.clear()
            self.apply_filter()
            return
        self.dismiss(None)

    @on(LazyTable.RowSelected, "#triage-items")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        row = self.rows[event.index]
        if row.person_id is not None:
            self.coordinator.open_person(row.person_id)
        else:
            self.notify("This item is not about one person")
