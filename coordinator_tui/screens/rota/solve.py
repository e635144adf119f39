"""The solver's proposal (``s`` on the Rota grid fills the week, ``S`` the highlighted day).

The solver runs in a worker thread, the line at the top showing how far it has got;
``x`` stops it and keeps the best plan found so far. Then the proposal: the measures
before and after (travel, continuity, visits unassigned, hours over contract, problems),
and every change as a diff, ``+`` a carer put in an empty place, ``→`` carers changed,
``−`` a carer taken off (they broke a hard rule and nobody could take the place), ``⏱``
a visit moved in time (its new time in yellow, the old one before the carers, why on the
line below: Build may put a visit recorded outside its care package's window back into
it; fill and repair keep every visit's time), with the visits nobody can take and why.
Nothing is written until a change is accepted: ``A`` accepts all of it as one audited
change, ``c`` the highlighted carer's changes, ``d`` the highlighted day's (a part that
would break a rule on its own is refused).
``u`` on the grid undoes what was accepted, in one step. ``e`` (or ``enter``) explains
the highlighted change: the carer chosen against the next best two, the objective's
parts for each (continuity, travel, wishes, hours, changes). ``m`` solves again in the
next mode: fill (keep what is there), repair (re-plan the days with problems, fewest
changes), build (the week afresh). ``esc`` goes back to the grid, where the changes
not accepted stay marked on the carers' days (``+`` a visit put on, ``−`` one taken
off, ``±`` both, ``~`` a visit of theirs moved in time) until ``s`` shows them again to
accept, or ``X`` discards them.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Static

from coordinator_tui.clock import moment_of
from coordinator_tui.screens.rota.presentation import help_text
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.rota.assign import ChangeResult
    from coordinator_tui.services.rota.solver import Explanation, Progress, Proposal

SOLVE_SECONDS = 30.0  # the search's time in the app (x stops it sooner)
SHORT_HEIGHT = 32  # below this many lines the measures take one line
MODES = ("fill", "repair", "replan")
MODE_WORDS = {"fill": "Fill", "repair": "Repair", "replan": "Build"}
KIND_MARKS = {
    "new": ("+", "green"),
    "moved": ("→", "yellow"),
    "removed": ("−", "bold red"),
    "time": ("⏱", "yellow"),
}
CHANGE_COLUMNS = [
    Column("", 1),
    Column("Day", 6),
    Column("Time", 5),
    Column("Customer", 20),
    Column("Before", 22, show_from=70),
    Column("After"),
]


def local_text(epoch_minute: int, form: str) -> str:
    from coordinator_tui.services.rota.grid import local

    return f"{local(epoch_minute):{form}}"


def measures_line(proposal: Proposal) -> Text:
    """Before and after on one line, for a short screen."""
    before, after = proposal.before, proposal.after

    def share(value: float | None) -> str:
        return f"{value:.1%}" if value is not None else "–"

    parts = [
        ("Continuity", share(before.continuity), share(after.continuity)),
        ("unassigned", f"{before.unassigned}", f"{after.unassigned}"),
        ("travel", f"{before.travel / 60:,.1f}h", f"{after.travel / 60:,.1f}h"),
        (
            "over contract",
            f"{before.over_contract / 60:,.1f}h",
            f"{after.over_contract / 60:,.1f}h",
        ),
        ("hard", f"{before.hard}", f"{after.hard}"),
        ("soft", f"{before.soft}", f"{after.soft}"),
    ]
    text = Text()
    for index, (name, old, new) in enumerate(parts):
        text.append(" · " if index else "")
        text.append(f"{name} {old}→")
        text.append(new, style="bold" if new != old else "")
    return text


def measures_table(proposal: Proposal) -> Table:
    """Before and after, side by side, with the change in each."""
    before, after = proposal.before, proposal.after
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    table.add_column("Measure")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")

    def share(value: float | None) -> str:
        return f"{value:.1%}" if value is not None else "–"

    rows = [
        ("Continuity", share(before.continuity), share(after.continuity)),
        ("Unassigned visits", f"{before.unassigned}", f"{after.unassigned}"),
        ("Travel", f"{before.travel / 60:,.1f}h", f"{after.travel / 60:,.1f}h"),
        (
            "Over contract",
            f"{before.over_contract / 60:,.1f}h",
            f"{after.over_contract / 60:,.1f}h",
        ),
        ("Hard problems", f"{before.hard}", f"{after.hard}"),
        ("Soft to accept", f"{before.soft}", f"{after.soft}"),
    ]
    for name, old, new in rows:
        table.add_row(name, old, Text(new, style="bold" if new != old else ""))
    return table


class SolveScreen(Screen["ChangeResult | None"]):
    """Returns what was accepted (one change to undo), or None."""

    CSS_PATH = "rota_solve.tcss"
    HELP = help_text(__doc__)
    BINDINGS = [
        Binding("escape", "back", "Back", id="rota_solve.back"),
        Binding("A", "accept_all", "Accept all", id="rota_solve.accept_all"),
        Binding("c", "accept_carer", "Accept carer", id="rota_solve.accept_carer"),
        Binding("d", "accept_day", "Accept day", id="rota_solve.accept_day"),
        Binding("e,enter", "explain", "Explain", id="rota_solve.explain"),
        Binding("x", "stop", "Stop", id="rota_solve.stop"),
        Binding("m", "mode", "Mode", id="rota_solve.mode"),
    ]

    def __init__(
        self,
        monday: date,
        day: date | None = None,
        mode: str = "fill",
        *,
        proposal: Proposal | None = None,
        done: set[int] | None = None,
    ) -> None:
        """``proposal`` (with ``done``, the visits already accepted): a proposal left
        pending on the grid, shown again to accept rather than solved afresh."""
        super().__init__()
        self.monday = monday
        self.day = day
        self.mode = proposal.mode if proposal is not None else mode
        self.proposal: Proposal | None = None
        self.reopened = proposal
        self.accepted: list[ChangeResult] = []
        self.done: set[int] = set(done or ())  # visits whose changes were accepted
        self.stop_event = threading.Event()
        self.solving = False
        self.applying = False
        self.progress_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="solve-body"):
            yield Static("", id="solve-title")
            yield Static("", id="solve-progress")
            yield Static("", id="solve-measures")
            yield LazyTable(CHANGE_COLUMNS, empty_text="No changes yet.", id="solve-changes")
            yield Static("", id="solve-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Rota solver"
        self.query_one("#solve-changes", LazyTable).focus()
        if self.reopened is not None:
            self._draw_title()
            self.show(self.reopened)
        else:
            self.start()

    def pending(self) -> tuple[Proposal, set[int]] | None:
        """The proposal with changes neither accepted nor dropped, and the visits
        accepted: the grid marks the rest until they are accepted or discarded."""
        if self.proposal is None or self.solving or not self._open_changes():
            return None
        return self.proposal, set(self.done)

    # -- solving -------------------------------------------------------------------------

    def start(self) -> None:
        self.proposal = None
        self.stop_event = threading.Event()
        self.solving = True
        self.query_one("#solve-changes", LazyTable).set_source(ListSource([]))
        self.query_one("#solve-measures", Static).update("")
        self.query_one("#solve-detail", Static).update("")
        self._draw_title()
        self._set_progress("Reading the week…")
        self.solve(self.stop_event)

    @work(thread=True, exclusive=True, group="rota-solve")
    def solve(self, stop: threading.Event) -> None:
        """In a thread: read the week, solve, make the proposal (nothing is written)."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.rota import solver
        from coordinator_tui.services.rota.snapshot import epoch_minutes

        app: Any = self.app
        try:
            weights = solver.load_weights()
            with app.session() as session:
                # The unit of work's moment, as the grid's: "within 2 hours" (read by the
                # week's loader) and what is over (the scope) at the one moment.
                now = epoch_minutes(moment_of(session.info))
                loaded = solver.load_problem(session, self.monday)
        except CoordinatorError as exc:
            call_from_worker(self, self._failed, str(exc))
            return
        # Build may move a visit in time (within its window, or back into it from a start
        # recorded outside it); fill and repair keep every visit's time as recorded.
        scope = solver.Scope(
            mode=self.mode, day=self.day, now=now, move_times=self.mode == "replan"
        )

        def progress(report: Progress) -> None:
            call_from_worker(self, self._progress, report)

        proposal = solver.propose_loaded(
            loaded, scope, weights, seconds=SOLVE_SECONDS, stop=stop, progress=progress
        )
        call_from_worker(self, self._solved, stop, proposal)

    def _solved(self, stop: threading.Event, proposal: Proposal) -> None:
        if stop is not self.stop_event or not self.is_attached:
            return  # a solve given up for another mode, or the screen has gone
        self.show(proposal)

    def _failed(self, message: str) -> None:
        self.solving = False
        self._set_progress(Text(f"✖ {message}", style="bold red"))

    def _progress(self, report: Progress) -> None:
        if not self.solving:
            return
        words = {
            "model": "Reading the rules for every carer and visit",
            "first plan": "First plan made, improving it",
            "improving": "Improving",
            "checking": "Checking the plan with the rota checker",
            "done": "Checked",
        }.get(report.phase, report.phase)
        text = Text.assemble(
            ("⟳ ", "bold"),
            f"{words} · {report.elapsed:.1f} s of up to {SOLVE_SECONDS:.0f} s",
            f" · {report.short} place(s) empty" if report.phase != "model" else "",
            (" · x stops and keeps the best so far", "dim"),
        )
        self._set_progress(text)

    def _set_progress(self, text: str | Text) -> None:
        self.progress_text = str(text)
        self.query_one("#solve-progress", Static).update(text)

    def action_stop(self) -> None:
        if self.solving:
            self.stop_event.set()
            self._set_progress("Stopping: the best plan so far is being checked…")

    def action_mode(self) -> None:
        """Solve again in the next mode (what is not accepted yet is dropped)."""
        if self.applying:
            return
        self.stop_event.set()
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self.start()

    # -- the proposal ----------------------------------------------------------------------

    def show(self, proposal: Proposal) -> None:
        self.solving = False
        self.proposal = proposal
        stats = proposal.result.stats
        stopped = " (stopped: the best so far)" if stats.stopped else ""
        self._set_progress(
            Text.assemble(
                ("✓ ", "green"),
                f"Solved in {stats.seconds:.1f} s{stopped}: {proposal.filled_places} place(s) "
                f"filled, {proposal.changed_places} changed",
                (f", {len(proposal.unstaffed)} visit(s) nobody can take", "bold red")
                if proposal.unstaffed
                else "",
                (" · A accepts all, c a carer's, d a day's, e explains", "dim"),
            )
        )
        self._draw_measures()
        self._draw_changes()

    def _draw_measures(self) -> None:
        if self.proposal is None:
            return
        short = self.size.height < SHORT_HEIGHT
        self.query_one("#solve-measures", Static).update(
            measures_line(self.proposal) if short else measures_table(self.proposal)
        )

    def on_resize(self) -> None:
        self._draw_measures()

    def _draw_title(self) -> None:
        where = f"{self.day:%a %d %b} only" if self.day else f"week of {self.monday:%a %d %b %Y}"
        self.query_one("#solve-title", Static).update(
            Text.assemble((MODE_WORDS[self.mode], "bold"), f" · {where} · m: next mode")
        )

    def _rows(self) -> list[Row]:
        proposal = self.proposal
        assert proposal is not None
        names = proposal.carer_names
        customers = proposal.result.model.snap.customers
        snap = proposal.result.model.snap

        def who(carers: tuple[int, ...]) -> str:
            return ", ".join(names.get(c, str(c)) for c in carers) or "–"

        rows: list[Row] = []
        for change in proposal.changes:
            if change.visit_id in self.done:
                continue
            mark, style = KIND_MARKS[change.kind]
            customer = customers.get(change.customer_id)
            before = who(change.before)
            if change.retimed:  # the time it had: the Time column shows the new one
                before = f"{local_text(change.start_before, '%H:%M')} {before}"
            rows.append(
                Row(
                    change.visit_id,
                    (
                        Text(mark, style=style),
                        local_text(change.start, "%a %d"),
                        Text(
                            local_text(change.start, "%H:%M"),
                            style="bold yellow" if change.retimed else "",
                        ),
                        customer.name if customer else str(change.customer_id),
                        before,
                        Text(who(change.after), style="bold"),
                    ),
                )
            )
        for item in proposal.unstaffed:
            visit = snap.visits[item.visit_id]
            customer = customers.get(visit.customer_id)
            rows.append(
                Row(
                    ("unstaffed", item.visit_id),
                    (
                        Text("✖", style="bold red"),
                        local_text(visit.start, "%a %d"),
                        local_text(visit.start, "%H:%M"),
                        customer.name if customer else str(visit.customer_id),
                        "nobody can take it",
                        Text(item.reason, style="red"),
                    ),
                )
            )
        return rows

    def _draw_changes(self) -> None:
        table = self.query_one("#solve-changes", LazyTable)
        current = table.current_row
        table.set_source(ListSource(self._rows()), keep_key=current.key if current else None)
        self._draw_detail()

    @on(LazyTable.RowHighlighted, "#solve-changes")
    def _draw_detail(self) -> None:
        """Under the list: the highlighted change in words."""
        detail = self.query_one("#solve-detail", Static)
        change = self._current_change()
        if change is None or self.proposal is None:
            row = self.query_one("#solve-changes", LazyTable).current_row
            if row is not None and isinstance(row.key, tuple) and self.proposal is not None:
                item = next(u for u in self.proposal.unstaffed if u.visit_id == row.key[1])
                detail.update(Text(f"✖ Nobody can take it: {item.reason}", style="red"))
            else:
                detail.update("")
            return
        names = self.proposal.carer_names
        words = {
            "new": "put in an empty place",
            "moved": "carers changed",
            "removed": "taken off (a hard rule), the place left empty",
            "time": change.time_note,
        }[change.kind]
        on = ", ".join(names.get(c, str(c)) for c in change.put_on)
        off = ", ".join(names.get(c, str(c)) for c in change.taken_off)
        detail.update(
            Text.assemble(
                (f"{local_text(change.start, '%a %d %b %H:%M')}: {words}", "bold"),
                f" · on: {on}" if on else "",
                f" · off: {off}" if off else "",
                (f" · {change.time_note}", "yellow")
                if change.retimed and change.kind != "time"
                else "",
                (" · e explains", "dim") if change.put_on or change.retimed else "",
            )
        )

    def _current_change(self):
        row = self.query_one("#solve-changes", LazyTable).current_row
        if row is None or self.proposal is None or isinstance(row.key, tuple):
            return None
        return next((c for c in self.proposal.changes if c.visit_id == row.key), None)

    # -- accepting -----------------------------------------------------------------------

    def _open_changes(self) -> list:
        assert self.proposal is not None
        return [c for c in self.proposal.changes if c.visit_id not in self.done]

    def action_accept_all(self) -> None:
        if self.proposal is None or self.applying:
            return
        self._accept(None, "all the proposal's changes")

    def action_accept_carer(self) -> None:
        change = self._current_change()
        if change is None:
            return
        carer = (change.put_on or change.taken_off or change.after)[0]
        proposal = self.proposal
        assert proposal is not None
        visits = [v for v in proposal.visits_for(carer=carer) if v not in self.done]
        name = proposal.carer_names.get(carer, str(carer))
        self._accept(visits, f"{name}'s changes")

    def action_accept_day(self) -> None:
        change = self._current_change()
        if change is None:
            return
        proposal = self.proposal
        assert proposal is not None
        visits = [v for v in proposal.visits_for(day=change.day) if v not in self.done]
        self._accept(visits, f"the changes of {change.day:%a %d %b}")

    def _accept(self, visits: list[int] | None, what: str) -> None:
        if self.proposal is None or self.applying or self.solving:
            return
        open_ids = {c.visit_id for c in self._open_changes()}
        if not open_ids:
            self.notify("Nothing left to accept", severity="warning")
            return
        chosen = sorted(open_ids if visits is None else set(visits) & open_ids)
        whole = visits is None and not self.done
        self.applying = True
        self._set_progress(f"Writing {what}…")
        self.apply(chosen, None if whole else chosen, what)

    @work(thread=True, exclusive=True, group="rota-solve-apply")
    def apply(self, chosen: list[int], part: list[int] | None, what: str) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.rota.solver import apply_proposal

        app: Any = self.app
        assert self.proposal is not None
        try:
            with app.session() as session:
                result = apply_proposal(session, self.proposal, part)
        except CoordinatorError as exc:
            call_from_worker(self, self._refused, str(exc))
            return
        call_from_worker(self, self._applied, result, chosen, what)

    def _refused(self, message: str) -> None:
        self.applying = False
        self._set_progress(Text(f"✖ Not accepted: {message}", style="bold red"))
        self.notify(message, severity="error", timeout=8)

    def _applied(self, result: ChangeResult, chosen: list[int], what: str) -> None:
        self.applying = False
        self.accepted.append(result)
        self.done.update(chosen)
        left = len(self._open_changes())
        self.notify(f"Accepted {what}: u on the grid undoes it", timeout=5)
        self._set_progress(
            Text.assemble(
                ("✓ ", "green"),
                f"Accepted {what} ({len(chosen)} visit(s))",
                f" · {left} change(s) left" if left else " · nothing left: esc back to the grid",
            )
        )
        self._draw_changes()
        if not left:
            self.action_back()

    def action_back(self) -> None:
        from coordinator_tui.services.rota.assign import combine

        if self.applying:
            self.notify("Writing the changes: a moment", severity="warning")
            return
        self.solving = False
        self.stop_event.set()
        self.dismiss(combine(self.accepted))

    # -- explaining ----------------------------------------------------------------------

    def action_explain(self) -> None:
        from coordinator_tui.services.rota.solver import explain

        change = self._current_change()
        if change is None or self.proposal is None:
            return
        if not change.put_on:
            if change.retimed:
                self.notify(f"The visit {change.time_note}", timeout=8)
            else:
                self.notify("A carer taken off: the rule they broke is in the line below")
            return
        found = explain(self.proposal.result, change.visit_id, change.put_on[0])
        customer = self.proposal.result.model.snap.customers.get(change.customer_id)
        title = (
            f"{customer.name if customer else change.customer_id} "
            f"{local_text(change.start, '%a %d %b %H:%M')}"
        )
        if change.retimed:
            title += f"\nThe visit {change.time_note}."
        self.app.push_screen(ExplainDialog(title, found))


PARTS = ("continuity", "travel", "wishes", "hours", "changes")


class ExplainDialog(ModalScreen[None]):
    """Why this carer: the objective's parts for them and the next best two."""

    CSS_PATH = "rota_solve.tcss"
    BINDINGS = [Binding("escape,enter,e", "close", "Close", id="rota_solve.explain_close")]

    def __init__(self, title: str, explanation: Explanation) -> None:
        super().__init__()
        self.visit_title = title
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(id="explain-box") as box:
            box.border_title = "Why this carer"
            box.border_subtitle = "points: lower is better · esc closes"
            yield Static(self.visit_title, id="explain-visit")
            yield Static(self._table(), id="explain-table")

    def _table(self) -> Group:
        """The feasible carers' points by part, then those who cannot, with why."""
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column("Carer")
        table.add_column("Points", justify="right")
        for part in PARTS:
            table.add_column(part.capitalize(), justify="right")
        found = self.explanation
        cannot: list[Text] = []
        for index, option in enumerate((found.chosen, *found.others)):
            mark = "✓ " if index == 0 else "  "
            if not option.feasible:
                cannot.append(
                    Text.assemble(("✖ ", "red"), option.name, ": ", (option.why_not, "red"))
                )
                continue
            table.add_row(
                Text(mark + option.name, style="" if index else "bold"),
                f"{option.points:.0f}",
                *(f"{option.parts.get(part, 0.0):+.0f}" for part in PARTS),
            )
        if not found.others:
            cannot.append(Text("Nobody else can take it.", style="dim"))
        return Group(table, *cannot)

    def action_close(self) -> None:
        self.dismiss(None)
