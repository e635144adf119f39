"""Plan B (``b`` on a carer in the Rota grid, after recording the absence).

Every visit the absent carer had in the dates, not yet over, is listed with the best
replacement (feasible, least travel added, best continuity, preferences met) and, under
the list, the ranked carers for the highlighted visit. ``enter`` applies the best
replacement to the highlighted visit; ``A`` applies the best to every visit in turn
(re-ranking after each, so no carer is given two visits at once). Visits already over are
left as they were.

Then the call list: each visit covered, with the new carer and the customer (and whether
the carer is new to the customer: a first visit to brief them for), for ringing round;
``x`` writes it as CSV and as Markdown to print. A visit nobody can take is Plan C, listed
there with why; on it ``m`` escalates it to the registered manager as a task, ``t``
offers the times within the visit's window when a carer is free (the visit moves and the
carer is put on it), ``g`` marks it to be covered by an agency. On a covered call one key
records how the call went (a contact with the customer, the latest shown on the list):
``y`` told, ``n`` no answer (ring again today), ``v`` left a message, ``o`` objected.
``tab`` moves between the two lists; ``esc`` goes back to the grid (``u`` there undoes Plan
B's replacements).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.rota.dialogs import candidate_text
from coordinator_tui.screens.rota.presentation import help_text
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from coordinator_tui.screens.dialog_base import BackgroundSave
    from coordinator_tui.services.rota.absences import AbsenceView
    from coordinator_tui.services.rota.assign import ChangeResult
    from coordinator_tui.services.rota.call_list import CallItem, CallList
    from coordinator_tui.services.rota.plan_b import CoverItem, PlanB

CALL_COLUMNS = [
    Column("Day", 6),
    Column("Time", 5),
    Column("Customer", 18),
    Column("Carer now", 17),
    Column("First visit", 11, show_from=100),
    Column("Call about"),
]


def clock(epoch_minute: int) -> str:
    from coordinator_tui.services.rota.grid import local

    return f"{local(epoch_minute):%a %d/%m %H:%M}"


def best_text(item: CoverItem, room: int | None = None) -> Text:
    """``✓ Ann Smith · +5 min travel · regular`` or the Plan C mark; ``+5 min`` without
    "travel" when the whole line would not fit in ``room`` columns."""
    best = item.best
    if best is None:
        return Text("✖ Plan C: nobody can take it", style="bold red")
    for travel in (" travel", ""):
        text = Text.assemble(
            ("✓ ", "green"),
            (best.name, "bold"),
            f" · +{best.travel_added} min{travel} · ",
            "regular" if best.continuity else "new to customer",
        )
        if best.soft:
            text.append(f" · ▲ {len(best.soft)} accepted (Plan B)", style="yellow")
        if room is None or text.cell_len <= room:
            break
    return text


Loaded = tuple["PlanB", "CallList", dict[int, str], dict[int, str]]
"""What the screen draws, read in a worker thread: the plan, the call list, why nobody
takes each Plan C visit, and each covered call's latest outcome."""


class PlanBScreen(BackgroundWrites, CoordinatorScreen["ChangeResult | None"]):
    CSS_PATH = "rota.tcss"
    HELP = help_text(__doc__)
    SAVING_LINE = "#call-detail"  # "Saving…" while a call's outcome or the export waits
    BINDINGS = [
        Binding("escape", "back", "Back", id="plan_b.back"),
        Binding("enter", "apply_one", "Apply best", id="plan_b.apply"),
        Binding("A", "apply_all", "Apply all", id="plan_b.apply_all"),
        Binding("x", "export", "Export call list", id="plan_b.export"),
        Binding("m", "escalate", "To manager", id="plan_b.escalate"),
        Binding("t", "time_change", "Time change", id="plan_b.time_change"),
        Binding("g", "agency", "Agency", id="plan_b.agency"),
        # Each call's outcome, one key (issue 18 §6): a contact logged with the customer.
        Binding("y", "call('told')", "Told", show=False, id="plan_b.call_told"),
        Binding("n", "call('no_answer')", "No answer", show=False, id="plan_b.call_no_answer"),
        Binding("v", "call('message')", "Message", show=False, id="plan_b.call_message"),
        Binding("o", "call('objected')", "Objected", show=False, id="plan_b.call_objected"),
        Binding("tab,shift+tab", "switch", "Switch list", show=False, id="plan_b.switch"),
    ]

    def __init__(self, absence: AbsenceView, name: str) -> None:
        super().__init__()
        self.absence = absence
        self.carer_id = absence.carer_id
        self.carer_name = name
        self.start = absence.start
        self.end = absence.end
        self.kind = absence.kind
        self.plan: PlanB | None = None
        self.calls: CallList | None = None
        self.why: dict[int, str] = {}  # Plan C visit -> why nobody can take it
        self.outcomes: dict[int, str] = {}  # cover -> the latest call's outcome
        self.covered = 0
        self.changes: list[ChangeResult] = []  # undone together with u on the grid
        self.busy = False
        self.leave_when_done = False  # esc pressed while applying
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="plan-b"):
            yield Static("", id="plan-b-title")
            yield DataTable(id="plan-b-items", cursor_type="row", zebra_stripes=True)
            yield Static("", id="plan-b-candidates")
            yield Static("", id="call-list-title")
            yield LazyTable(CALL_COLUMNS, empty_text="Nothing covered yet.", id="call-list")
            yield Static("", id="call-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Plan B"
        table = self.query_one("#plan-b-items", DataTable)
        table.add_column("Visit", key="visit", width=15)
        table.add_column("Customer", key="customer", width=20)
        table.add_column("Best replacement", key="best")
        table.focus()
        self.load()

    # -- loading -------------------------------------------------------------------------

    def _session(self) -> Any:
        return self.coordinator.session()

    def _now(self) -> datetime:
        """The coordinator's moment (``Settings.current_moment``, the one the app's units
        of work carry): what is before it is over, and Plan B leaves it."""
        return self.coordinator.settings.current_moment()

    def _read(self) -> Loaded:
        """The visits still to cover, the call list, why nobody takes each Plan C, and
        each call's latest outcome (in a worker thread: nothing drawn is touched)."""
        from coordinator_tui.services.care.contacts import call_outcomes
        from coordinator_tui.services.rota.call_list import call_list
        from coordinator_tui.services.rota.plan_b import plan_b
        from coordinator_tui.services.rota.plan_c import why_nobody

        known = dict(self.why)
        with self._session() as session:
            plan = plan_b(session, self.carer_id, self.start, self.end, now=self._now())
            calls = call_list(session, self.absence.id)
            outcomes = call_outcomes(session, [item.cover_id for item in calls.items])
            weeks: dict = {}  # each week read once for every Plan C visit in it
            why = {
                item.visit_id: known.get(item.visit_id)
                or why_nobody(session, item.visit_id, states=weeks)
                for item in calls.plan_c
            }
        return plan, calls, why, outcomes

    @work(thread=True, exclusive=True, group="plan-b")
    def load(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError

        try:
            found = self._read()
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        call_from_worker(self, self.show, *found)

    @work(thread=True, exclusive=True, group="plan-b")
    def apply(self, visit_ids: set[int] | None) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.rota.plan_b import apply_plan_b

        try:
            with self._session() as session:
                result = apply_plan_b(
                    session,
                    self.carer_id,
                    self.start,
                    self.end,
                    visit_ids=visit_ids,
                    absence_id=self.absence.id,
                    now=self._now(),
                )
        except CoordinatorError as exc:  # changed meanwhile, or the database was busy
            call_from_worker(self, self.refused, str(exc))
            return
        found = self._read()
        call_from_worker(self, self.applied, result, *found)

    def refused(self, message: str) -> None:
        self.notify(f"{message} The plan is read again.", severity="error", timeout=8)
        self.busy = False
        if self.leave_when_done:
            self.action_back()
        else:
            self.load()

    def applied(
        self,
        result: Any,
        plan: PlanB,
        calls: CallList,
        why: dict[int, str],
        outcomes: dict[int, str],
    ) -> None:
        self.covered += len(result.covered)
        self.changes.extend(result.changes)
        parts = [f"{len(result.covered)} visit(s) covered"]
        if result.plan_c:
            parts.append(f"{len(result.plan_c)} to Plan C")
        self.notify(", ".join(parts), timeout=5)
        self.show(plan, calls, why, outcomes)
        if self.leave_when_done:
            self.action_back()

    # -- drawing -------------------------------------------------------------------------

    def show(
        self, plan: PlanB, calls: CallList, why: dict[int, str], outcomes: dict[int, str]
    ) -> None:
        self.plan, self.calls = plan, calls
        self.why.update(why)
        self.outcomes = outcomes
        self.busy = False
        table = self.query_one("#plan-b-items", DataTable)
        row = table.cursor_row
        table.clear()
        room = max(self.size.width - 43, 30)  # the visit and customer columns, the padding
        for item in plan.items:
            table.add_row(
                clock(item.start), item.customer, best_text(item, room), key=str(item.visit_id)
            )
        if plan.items:
            table.move_cursor(row=min(row, len(plan.items) - 1))
        if not plan.items:  # nothing (left) to cover: the call list is what to work on
            self.query_one("#call-list", LazyTable).focus()
        table.display = bool(plan.items)
        self.set_class(bool(plan.items), "-covering")
        self._draw_title()
        self.show_candidates()
        self._draw_calls()
        self.loaded = True

    def _draw_title(self) -> None:
        assert self.plan is not None and self.calls is not None
        waiting = len(self.plan.items)
        plan_c = self.calls.plan_c
        open_c = self.calls.open_plan_c
        title = Text.assemble(
            ("Plan B", "bold"),
            f" · {self.carer_name} absent ({self.kind}) {self.start:%a %d %b}",
            f" to {self.end:%a %d %b}" if self.end != self.start else "",
            f" · {waiting} visit(s) to cover" if waiting else "",
            f" · {len(self.calls.covered)} covered" if self.calls.items else "",
            (f" · {len(plan_c)} Plan C" if plan_c else "", "bold red"),
        )
        if self.plan.past:
            title.append(f" · {len(self.plan.past)} already over, left as they were", "dim")
        if waiting:
            title.append("\nenter: the best for the highlighted visit · A: the best for all", "dim")
        elif open_c:
            title.append(
                f"\n{len(open_c)} visit(s) nobody can cover: act on each in the list below "
                "(m manager, t time change, g agency)",
                style="bold red",
            )
        elif plan_c:
            title.append(
                f"\nEvery visit is covered or handed on ({len(plan_c)} Plan C): "
                "x exports the call list",
                style="yellow",
            )
        elif not self.calls.items:
            title.append("\nNo visits to cover in these dates: esc back to the grid", "green")
        else:
            title.append("\nNothing left to cover: x exports the call list, esc back", "green")
        self.query_one("#plan-b-title", Static).update(title)

    def _draw_calls(self) -> None:
        assert self.calls is not None
        calls = self.calls
        new = sum(1 for item in calls.covered if item.new_to_customer)
        heading = Text.assemble(
            ("Call list", "bold"),
            f": {len(calls.covered)} covered",
            f" ({new} first visit{'s' if new != 1 else ''})" if new else "",
            (f" · {len(calls.plan_c)} Plan C" if calls.plan_c else "", "bold red"),
            (" · x exports it", "dim"),
        )
        self.query_one("#call-list-title", Static).update(heading)
        table = self.query_one("#call-list", LazyTable)
        current = table.current_row
        table.set_source(
            ListSource([self._call_row(item) for item in calls.items]),
            keep_key=current.key if current else None,
        )
        self.show_call()

    def _call_row(self, item: CallItem) -> Row:
        about = Text(item.call_about())
        if not item.covered:
            if not item.action:
                about = Text("✖ Plan C: m, t or g", style="bold red")
            else:
                about.stylize("yellow")
        elif item.cover_id in self.outcomes:
            about.append(f" · ☎ {self.outcomes[item.cover_id]}", style="bold")
        return Row(
            item.cover_id,
            (
                f"{item.start:%a %d}",
                f"{item.start:%H:%M}",
                item.customer,
                Text(item.carer, style="bold") if item.carer else Text("nobody", style="red"),
                "first" if item.new_to_customer else "",
                about,
            ),
        )

    @on(LazyTable.RowHighlighted, "#call-list")
    def show_call(self) -> None:
        """Under the call list: the highlighted call in a sentence, and for Plan C why
        nobody can take it and the keys."""
        box = self.query_one("#call-detail", Static)
        item = self.current_call()
        if item is None:
            box.update("")
            return
        text = Text(item.details())
        if not item.covered and not item.action:
            why = self.why.get(item.visit_id, "")
            text = Text.assemble(
                (item.details().rstrip("."), "bold red"),
                f": {why}." if why else ".",
                "\nm escalates it to the manager · t offers another time in its window · "
                "g marks it for an agency",
            )
        elif item.covered:
            called = self.outcomes.get(item.cover_id)
            text.append(f"\nCalled: {called}." if called else "\nNot called yet.")
            text.append(" y told · n no answer · v left a message · o objected", style="dim")
        box.update(text)

    def action_call(self, outcome: str) -> None:
        """One key records the highlighted call's outcome (a contact with the customer),
        in a worker thread with the lists read again there (``BackgroundWrites``: the
        screen live while the database waits, the keys typed meanwhile acting on the
        lists as they are after it). A refusal is one line and changes nothing."""
        from coordinator_tui.services.care.contacts import CALL_OUTCOMES, record_call

        item = self.current_call()
        if item is None or not item.covered:
            self.notify("Highlight a covered visit on the call list (tab)", severity="warning")
            return
        user, now = self.coordinator.settings.user, self._now()

        def write() -> Loaded:
            with self._session() as session:
                record_call(session, item.cover_id, outcome, by=user, now=now)
            return self._read()

        def then(loaded: Loaded) -> None:
            self.notify(f"{item.customer}: {CALL_OUTCOMES[outcome]}", timeout=3)
            self.show(*loaded)

        self.write_in_background(write, then)

    def current_item(self) -> CoverItem | None:
        if self.plan is None or not self.plan.items:
            return None
        row = self.query_one("#plan-b-items", DataTable).cursor_row
        return self.plan.items[min(row, len(self.plan.items) - 1)]

    def current_call(self) -> CallItem | None:
        table = self.query_one("#call-list", LazyTable)
        row = table.current_row
        if self.calls is None or row is None:
            return None
        return next((i for i in self.calls.items if i.cover_id == row.key), None)

    @on(DataTable.RowHighlighted, "#plan-b-items")
    def show_candidates(self) -> None:
        item = self.current_item()
        box = self.query_one("#plan-b-candidates", Static)
        box.display = item is not None
        if item is None:
            return
        lines = [Text(f"Carers for {clock(item.start)} {item.customer}, best first:", "bold")]
        width = max(self.size.width - 4, 30)
        for candidate in item.candidates[:4]:
            line = candidate_text(candidate)
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
        box.update(Text("\n").join(lines))

    # -- cover ---------------------------------------------------------------------------

    def action_apply_one(self) -> None:
        item = self.current_item()
        if item is None or self.busy or not self.query_one("#plan-b-items").has_focus:
            return
        self.busy = True
        self.apply({item.visit_id})

    def action_apply_all(self) -> None:
        if self.plan is None or not self.plan.items or self.busy:
            return
        self.busy = True
        self.apply(None)

    def action_switch(self) -> None:
        items = self.query_one("#plan-b-items", DataTable)
        calls = self.query_one("#call-list", LazyTable)
        if calls.has_focus and items.display:
            items.focus()
        else:
            calls.focus()

    def action_back(self) -> None:
        """Back to the grid, handing over what was covered so ``u`` there undoes it.
        While replacements are being applied it waits for them (else their undo would
        be lost and the grid could reload before they are saved)."""
        from coordinator_tui.services.rota.assign import combine

        if self.busy:
            self.leave_when_done = True
            self.notify("Applying the replacements: back to the grid when done", timeout=3)
            return
        self.dismiss(combine(self.changes))

    @on(DataTable.RowSelected, "#plan-b-items")
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_apply_one()

    # -- the call list and Plan C --------------------------------------------------------

    def action_export(self) -> None:
        """``x``: the call list as CSV and Markdown in the exports folder (owner-only),
        the export in the audit trail, written in a worker thread (``BackgroundWrites``).
        The password is asked again first when not given lately (the service refuses
        before anything is written); a refusal is one line."""
        from coordinator_tui.services.rota.call_list import export_call_list

        if self.calls is None or not self.calls.items:
            self.notify("The call list is empty: nothing to export", severity="warning")
            return
        from coordinator_tui.services.errors import CoordinatorError

        calls, settings = self.calls, self.coordinator.settings
        folder, today = settings.export_dir, settings.current_date()

        def write() -> tuple[Path, Path]:
            try:
                with self._session() as session:  # the export is in the audit trail
                    return export_call_list(calls, folder, today=today, session=session)
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"Could not write the call list: {exc.strerror or exc}"
                ) from exc

        def then(paths: tuple[Path, Path]) -> None:
            self.notify(
                f"Call list written to {paths[0].parent}: {paths[0].name} (spreadsheet), "
                f"{paths[1].name} (to print)",
                timeout=10,
            )

        self.write_in_background(write, then)

    def _plan_c_call(self) -> CallItem | None:
        """The highlighted Plan C visit of the call list (or says why there is none)."""
        item = self.current_call() if self.query_one("#call-list").has_focus else None
        if item is None:
            open_c = self.calls.open_plan_c if self.calls else []
            if open_c and self.query_one("#call-list").has_focus is False:
                self.query_one("#call-list", LazyTable).focus()
            self.notify("Choose a Plan C visit in the call list first", severity="warning")
            return None
        if item.covered:
            self.notify("This visit is covered: Plan C actions are for the others", "warning")
            return None
        return item

    def _attempt(self, work: Any) -> Exception | None:
        """Run a save in one audited transaction: the coordinator's error, or None."""
        from coordinator_tui.services.errors import CoordinatorError

        try:
            with self._session() as session:
                work(session)
        except CoordinatorError as exc:
            return exc
        return None

    def _write(self, work: Any) -> str | None:
        """A save from a dialog: the refusal to show in it (what was typed stays), or
        None (the dialog closes and the lists are read again)."""
        error = self._attempt(work)
        return str(error) if error is not None else None

    def _background(self, save: Callable[[dict[str, Any]], str | None]) -> BackgroundSave:
        """A dialog's ``save`` (a :meth:`_write`, touching no widget) run in the dialog's
        worker thread, so the screen stays live while the database waits on a lock; its
        refusal stays in the dialog with what was typed; ``_saved`` follows on the UI
        thread (the dialog's dismiss callback)."""
        from coordinator_tui.screens.dialog_base import BackgroundSave
        from coordinator_tui.services.errors import CoordinatorError

        def write(values: dict[str, Any]) -> None:
            problem = save(values)
            if problem:
                raise CoordinatorError(problem)

        return BackgroundSave(write)

    def _saved(self, values: dict[str, Any] | None, message: str) -> None:
        if values is not None:
            self.notify(message, timeout=5)
            self.load()

    def action_escalate(self) -> None:
        """``m``: a task for the registered manager, saying why nobody can cover it."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.plan_c import escalate

        item = self._plan_c_call()
        if item is None:
            return
        today = self.coordinator.settings.current_date()

        def save(values: dict[str, Any]) -> str | None:
            return self._write(
                lambda session: escalate(
                    session, item.cover_id, item.version, why=values["why"], today=today
                )
            )

        self.app.push_screen(
            FormDialog(
                "Escalate to the registered manager",
                [Field("why", "Why nobody can cover it", value=self.why.get(item.visit_id, ""))],
                today,
                context=f"{item.start:%a %d/%m %H:%M} {item.customer}: a task for the "
                "manager in the action tracker, due that day.",
                save=self._background(save),
            ),
            lambda values: self._saved(values, "Escalated to the registered manager"),
        )

    def action_agency(self) -> None:
        """``g``: to be covered by an agency (a note: which agency, booking reference)."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.plan_c import mark_agency

        item = self._plan_c_call()
        if item is None:
            return

        def save(values: dict[str, Any]) -> str | None:
            return self._write(
                lambda session: mark_agency(
                    session, item.cover_id, item.version, note=values["note"]
                )
            )

        self.app.push_screen(
            FormDialog(
                "To be covered by an agency",
                [Field("note", "Agency and booking reference (no personal details)")],
                self.coordinator.settings.current_date(),
                context=f"{item.start:%a %d/%m %H:%M} {item.customer}",
                save=self._background(save),
            ),
            lambda values: self._saved(values, "Marked to be covered by an agency"),
        )

    def action_time_change(self) -> None:
        """``t``: the times within the visit's window at which a carer is free."""
        item = self._plan_c_call()
        if item is None or self.busy:
            return
        self.busy = True
        self.find_times(item)

    @work(thread=True, exclusive=True, group="plan-b")
    def find_times(self, item: CallItem) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.rota.plan_c import time_options, window_of

        try:
            with self._session() as session:
                window = window_of(session, item.visit_id)
                options = time_options(session, item.visit_id, now=self._now())
        except CoordinatorError as exc:
            call_from_worker(self, self.refused, str(exc))
            return
        call_from_worker(self, self.offer_times, item, window, options)

    def offer_times(self, item: CallItem, window: Any, options: list[Any]) -> None:
        from coordinator_tui.screens.rota.dialogs import TimePicker

        self.busy = False
        if window is None:
            self.notify("This visit has no window to move it within", severity="warning")
            return
        if not options:
            self.notify(
                f"No carer is free at any time from {window[0]:%H:%M} to {window[1]:%H:%M}: "
                "escalate (m) or use an agency (g)",
                severity="warning",
                timeout=8,
            )
            return
        title = (
            f"{item.start:%a %d/%m %H:%M} {item.customer}: window "
            f"{window[0]:%H:%M}-{window[1]:%H:%M}"
        )

        def picked(choice: tuple[Any, int] | None) -> None:
            if choice is not None:
                self.move(item, *choice)

        self.app.push_screen(TimePicker(title, options), picked)

    def move(self, item: CallItem, start: Any, carer_id: int) -> None:
        """Move the visit and put the carer on it, in a worker thread with the lists read
        again there (``BackgroundWrites``); a reason is asked for soft problems (the move
        is then made from that dialog, which keeps the reason if refused)."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.assign import RationaleRequired
        from coordinator_tui.services.rota.plan_c import move_visit

        moved = f"Moved to {start:%H:%M}: ring the customer"

        def write() -> Loaded:
            with self._session() as session:
                move_visit(session, item.cover_id, item.version, start=start, carer_id=carer_id)
            return self._read()

        def then(loaded: Loaded) -> None:
            self.notify(moved, timeout=5)
            self.show(*loaded)

        def refused(error: Exception) -> None:
            if not isinstance(error, RationaleRequired):
                self.notify(str(error), severity="error", timeout=8)
                return

            def save(values: dict[str, Any]) -> str | None:
                return self._write(
                    lambda session: move_visit(
                        session,
                        item.cover_id,
                        item.version,
                        start=start,
                        carer_id=carer_id,
                        rationale=values["rationale"],
                    )
                )

            self.app.push_screen(
                FormDialog(
                    "Accept with a reason",
                    [Field("rationale", "Why (recorded for CQC)", required=True)],
                    self.coordinator.settings.current_date(),
                    context=str(error),
                    save=self._background(save),
                ),
                lambda values: self._saved(values, moved),
            )

        self.write_in_background(write, then, refused=refused)
