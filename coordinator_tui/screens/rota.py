"""Rota (key 5): carers down, the seven days of the week across, checked as you change it.

Each cell shows the carer's visits and hours that day and its worst problem as a symbol:
✖ a hard problem (overlap, travel, skills, absence, Working Time Regulations...), ▲ a soft
one still to accept with a reason (preferences, continuity, lone working, hours over
contract), ✓ soft problems accepted. ``off`` is a day of absence. The last column is the
week's working time (travel between visits included) against the contract. The line under
the grid lists the highlighted cell's problems; the panel below lists the visits short of
carers.

Keys: ``enter`` on a cell opens the carer's day (``x`` unassign, ``w`` swap there); ``tab``
moves to the unassigned visits, where ``a`` (or ``enter``) ranks the carers for the visit:
feasible first, scored by continuity, travel added and preferences; the others with their
reason. ``r`` accepts the cell's soft problem with a recorded reason. ``b`` marks the carer
absent (sickness, leave) and opens Plan B: replacements for every visit affected, Plan C
for what nobody can cover. ``u`` undoes the last change. ``[`` and ``]`` move a week; ``g``
creates the week's visits from the care packages when it has none yet.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import copy_context
from datetime import date, timedelta
from threading import Thread
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.widgets.cell_grid import CellGrid, GridColumn
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from coordinator_tui.services.rota.assign import ChangeResult
    from coordinator_tui.services.rota.grid import Cell, RotaWeek
    from coordinator_tui.services.rota.problems import Problem

UNASSIGNED_COLUMNS = [
    Column("Day", 9),
    Column("Time", 11),
    Column("Customer"),
    Column("Needs", 8),
    Column("Skills", 12),
    Column("Tasks", 0, show_from=110),
]

STYLES = {"hard": "bold red", "soft": "yellow", "accepted": "green", "": ""}
SYMBOLS = {"hard": "✖", "soft": "▲", "accepted": "✓", "": ""}


def help_text(doc: str | None) -> str:
    """A module docstring as help: paragraphs re-flowed, ``code`` marks dropped."""
    paragraphs = (doc or "").replace("``", "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}h"


def problem_text(problem: Problem, width: int = 0) -> Text:
    """``✖ Overlapping visits: Ann: visits overlap at Tue 07:30`` (symbol, then words)."""
    from coordinator_tui.services.rota.grid import level

    kind = level(problem)
    text = Text.assemble(
        (SYMBOLS[kind], STYLES[kind]),
        " ",
        (problem.title, "bold"),
        (" (accepted)" if problem.accepted else ""),
        ": ",
        problem.message,
    )
    if width:
        text.truncate(width, overflow="ellipsis")
    return text


def grid_cell(cell: Cell) -> Text:
    """``✖ 3 4.5h``: worst problem, visits, hours; ``off`` when absent; ``·`` when free."""
    kind = cell.level
    if cell.absent and not cell.visits:
        return Text("off", style="dim italic")
    if not cell.visits:
        return Text("·", style="dim")
    body = f"{cell.visits} {hours(cell.minutes)}" if not cell.absent else f"{cell.visits} off"
    if not kind:
        return Text(f"  {body}")
    return Text.assemble(
        (SYMBOLS[kind], STYLES[kind]), " ", (body, STYLES[kind] if kind == "hard" else "")
    )


def week_cell(minutes: int, contracted: int, worst: Problem | None) -> Text:
    from coordinator_tui.services.rota.grid import level

    kind = level(worst)
    body = f"{hours(minutes)}/{contracted / 60:g}"
    return Text.assemble((SYMBOLS[kind] or " ", STYLES[kind]), " ", body)


class RotaScreen(SectionScreen):
    MODE = "rota"
    CSS_PATH = "rota.tcss"
    HELP = help_text(__doc__)
    BINDINGS = [
        Binding("left_square_bracket", "week(-1)", "Prev week", id="rota.prev_week"),
        Binding("right_square_bracket", "week(1)", "Next week", id="rota.next_week"),
        Binding("a", "assign", "Assign", id="rota.assign"),
        Binding("r", "accept", "Accept", id="rota.accept"),
        Binding("b", "absent", "Absent/Plan B", id="rota.absent"),
        Binding("u", "undo", "Undo", id="rota.undo"),
        Binding("g", "generate", "Generate visits", id="rota.generate"),
        Binding("f5", "reload", "Reload", show=False, id="rota.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.week: date | None = None
        self.rota: RotaWeek | None = None
        self.unassigned: list[int] = []
        self.undo_stack: list[tuple[ChangeResult, str]] = []
        self.swap_mark: tuple[int, int] | None = None  # (visit, carer) chosen with w
        self.loaded = False
        self._mounted = False
        self._pending: RotaWeek | None = None
        # Start loading the week at once when the database is open: mounting the section
        # (its stylesheet, the tables) takes longer than the first frame should wait for.
        try:
            app = self.coordinator
        except Exception:  # built outside a running app
            return
        if getattr(app, "engine", None) is not None:
            today = app.settings.current_date()
            self.week = today - timedelta(days=today.weekday())
            # A plain thread starts now; a worker would wait for the event loop, which is
            # busy mounting this screen. Later loads (weeks, reloads) use the worker.
            context = copy_context()  # the thread sees the running app, as a worker does
            Thread(target=context.run, args=(self._first_load,), daemon=True).start()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="rota-body"):
            yield Static("Loading the rota…", id="rota-summary")
            yield Static("", id="rota-measures")
            yield CellGrid(id="rota-grid", empty_text="No carers yet.")
            yield Static("", id="rota-problems")
            yield Static("", id="rota-unassigned-title")
            yield LazyTable(
                UNASSIGNED_COLUMNS,
                empty_text="Every visit this week has its carers.",
                id="rota-unassigned",
            )

    def on_database_ready(self) -> None:
        self._mounted = True  # the grid has the focus already (the first focusable widget)
        if self.week is None:
            today = self.coordinator.settings.current_date()
            self.week = today - timedelta(days=today.weekday())
            self.load()
        elif self._pending is not None:
            self.show(self._pending)

    # -- loading and drawing -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="rota")
    def load(self) -> None:
        assert self.week is not None
        self._load_week(self.week)

    def _first_load(self) -> None:
        assert self.week is not None
        try:
            self._load_week(self.week)
        except Exception as exc:  # a worker would report it; this thread must say so
            self.app.call_from_thread(
                self.notify, f"The rota could not be loaded: {exc}", severity="error"
            )

    def _load_week(self, week: date) -> None:
        """In a thread: read and check the week, then show it on the app's thread."""
        from coordinator_tui.services.rota.grid import RotaWeek

        with self.coordinator.session() as session:
            rota = RotaWeek.load(session, week)
        self.app.call_from_thread(self.show, rota)

    def show(self, rota: RotaWeek) -> None:
        if rota.monday != self.week:  # a week moved away from while it was loading
            return
        if not self._mounted:  # loaded before the screen was mounted: shown once it is
            self._pending = rota
            return
        self._pending = None
        self.rota = rota
        grid = self.query_one("#rota-grid", CellGrid)
        cursor = grid.cursor
        today = self.coordinator.settings.current_date()
        columns = [
            GridColumn("Carer", 16),
            *(
                GridColumn(
                    Text(f"{day:%a %d}", style="bold reverse" if day == today else "bold"), 9
                )
                for day in rota.days
            ),
            GridColumn("Week/contr.", 12),
        ]
        if not self.loaded and cursor == (0, 0) and today in rota.days:
            cursor = (0, rota.days.index(today) + 1)  # first load: today
        grid.set_grid(columns, len(rota.carers), self._grid_row, cursor=cursor)
        self._draw_after_change(None)
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def _grid_row(self, index: int) -> list[Text]:
        """The grid's row ``index``: drawn only when on screen."""
        assert self.rota is not None
        return self._row_cells(self.rota.carers[index].id)

    def _row_cells(self, carer_id: int) -> list[Text]:
        assert self.rota is not None
        carer = self.rota.carer(carer_id)
        cells, week_worst = self.rota.row(carer_id)
        row = [
            Text(carer.name[:16]),
            *(grid_cell(cell) for cell in cells),
            week_cell(self.rota.week_minutes(carer_id), carer.contracted_minutes, week_worst),
        ]
        for text in row:  # one line each: half the drawing time of wrapped text
            text.no_wrap, text.overflow, text.end = True, "crop", ""
        return row

    def _update_rows(self, carer_ids: set[int]) -> None:
        assert self.rota is not None
        index = {carer.id: number for number, carer in enumerate(self.rota.carers)}
        self.query_one("#rota-grid", CellGrid).refresh_rows(
            [index[c] for c in carer_ids if c in index]
        )

    def _draw_after_change(self, touched: set[int] | None) -> None:
        """Redraw what a change affects: the rows of ``touched`` carers (None: all were
        just drawn), the unassigned panel, the measures and the problems line."""
        rota = self.rota
        assert rota is not None
        if touched is not None:
            rota.forget(touched)
            self._update_rows(touched)
        panel = self.query_one("#rota-unassigned", LazyTable)
        current = panel.current_row
        self.unassigned = rota.unassigned()
        panel.set_source(
            MappedSource(self.unassigned, self._unassigned_row),
            keep_key=current.key if current else None,
        )
        self._draw_summary()
        self.show_cell_problems()

    def _unassigned_row(self, visit_id: int) -> Row:
        from coordinator_tui.services.rota.grid import local

        rota = self.rota
        assert rota is not None
        visit = rota.visit(visit_id)
        start, end = local(visit.start), local(visit.end)
        return Row(
            visit_id,
            (
                f"{start:%a %d/%m}",
                f"{start:%H:%M}-{end:%H:%M}",
                rota.customer_name(visit_id),
                f"{rota.state.short_of(visit_id)} of {visit.carers_required}",
                " ".join(visit.skills),
                rota.tasks.get(visit_id, ""),
            ),
        )

    def _draw_summary(self) -> None:
        rota = self.rota
        assert rota is not None
        hard, soft = rota.counts()
        visits = len(rota.state.snap.visits)
        self.query_one("#rota-summary", Static).update(
            Text.assemble(
                (f"Week of {rota.monday:%a %d %b %Y}", "bold"),
                f" · {len(rota.carers)} carers · {visits:,} visits · ",
                (f"✖ {hard:,} hard", "bold red" if hard else "green"),
                " · ",
                (f"▲ {soft:,} soft", "yellow" if soft else "green"),
            )
        )
        figures = rota.measures()
        continuity = (
            f"{figures.overall_continuity:.0%}" if figures.overall_continuity is not None else "–"
        )
        worked = sum(h.worked_minutes for h in figures.hours)
        contracted = sum(h.contracted_minutes for h in figures.hours)
        over = sum(1 for h in figures.hours if h.over_contract)
        self.query_one("#rota-measures", Static).update(
            Text.assemble(
                ("Continuity ", "dim"),
                continuity,
                " · ",
                (f"{figures.unassigned_visits:,}", "bold red" if figures.unassigned_visits else ""),
                (" unassigned", "dim"),
                (" · travel ", "dim"),
                f"{figures.total_travel_minutes / 60:,.0f}h",
                " · ",
                f"{worked / 60:,.0f}/{contracted / 60:,.0f}h",
                (" of contract", "dim"),
                (f", {over} over" if over else "", "yellow"),
            )
        )
        title = (
            f"Unassigned visits ({len(self.unassigned):,}): a assigns"
            if visits
            else "No visits this week yet: g creates them from the care packages"
        )
        self.query_one("#rota-unassigned-title", Static).update(Text(title, style="bold"))

    # -- the cell under the cursor -----------------------------------------------------

    def current_carer(self) -> int | None:
        grid = self.query_one("#rota-grid", CellGrid)
        if self.rota is None or not self.rota.carers:
            return None
        return self.rota.carers[min(grid.cursor_row, len(self.rota.carers) - 1)].id

    def current_cell(self) -> tuple[int, date | None] | None:
        """The carer and day under the grid's cursor (day None on the name or week column)."""
        carer_id = self.current_carer()
        if carer_id is None or self.rota is None:
            return None
        column = self.query_one("#rota-grid", CellGrid).cursor_column
        return carer_id, self.rota.days[column - 1] if 1 <= column <= 7 else None

    @on(CellGrid.CellHighlighted, "#rota-grid")
    def show_cell_problems(self) -> None:
        line = self.query_one("#rota-problems", Static)
        cell = self.current_cell()
        if cell is None or self.rota is None:
            line.update("")
            return
        carer_id, day = cell
        problems = self.rota.cell_problems(carer_id, day)
        where = f"{day:%a %d %b}" if day else "the week"
        head = Text.assemble((self.rota.carer_name(carer_id), "bold"), f", {where}: ")
        if not problems:
            head.append("no problems", style="green")
            line.update(head)
            return
        hard = sum(1 for p in problems if p.is_hard)
        soft = sum(1 for p in problems if not p.is_hard and not p.accepted)
        head.append(f"✖ {hard} hard" if hard else "", style="bold red")
        head.append(" · " if hard and soft else "")
        head.append(f"▲ {soft} to accept (r)" if soft else "", style="yellow")
        if not hard and not soft:
            head.append("✓ accepted with a reason", style="green")
        width = max(self.size.width - 4, 20)
        lines = [head, *(problem_text(p, width) for p in problems[:2])]
        if len(problems) > 2:
            lines[-1] = problem_text(problems[1], width - 12)
            lines[-1].append(f"  +{len(problems) - 2} more", style="dim")
        line.update(Text("\n").join(lines))

    # -- changes -----------------------------------------------------------------------

    def run_change(
        self,
        change: Callable[[Session, str], ChangeResult],
        describe: str,
        *,
        rationale: str = "",
        after: Callable[[], None] | None = None,
    ) -> None:
        """Make a change through the services (audited, one transaction); ask for a
        reason when it brings soft problems, refuse it with the reasons when hard ones."""
        from coordinator_tui.services.rota.assign import (
            HardProblemsError,
            RationaleRequired,
            RotaError,
        )

        try:
            with self.coordinator.session() as session:
                result = change(session, rationale)
        except RationaleRequired as exc:

            def retry(reason: str) -> None:
                self.run_change(change, describe, rationale=reason, after=after)

            self.ask_rationale(exc.problems, retry)
            return
        except HardProblemsError as exc:
            self.notify(
                "\n".join(f"✖ {p.message}" for p in exc.problems[:4]),
                title="Not allowed: a hard rule",
                severity="error",
                timeout=8,
            )
            return
        except RotaError as exc:
            self.notify(str(exc), severity="error")
            return
        self.undo_stack.append((result, describe))
        self.changed(result)
        self.notify(f"{describe}: u to undo", timeout=4)
        if after is not None:
            after()

    def changed(self, result: ChangeResult) -> None:
        touched = {
            c for carers in (*result.before.values(), *result.after.values()) for c in carers
        }
        self._draw_after_change(touched)

    def write(self, work: Callable[[Session], object]) -> str | None:
        """Run a service call in one audited transaction; the reason if it was refused
        (a dialog shows it and stays open), None when saved."""
        from coordinator_tui.services.rota.assign import RotaError

        try:
            with self.coordinator.session() as session:
                work(session)
        except RotaError as exc:
            return str(exc)
        return None

    def ask_rationale(self, problems: list[Problem], then: Callable[[str], None]) -> None:
        from coordinator_tui.screens.form_dialog import Field, FormDialog

        context = "\n".join(f"▲ {p.title}: {p.message}" for p in problems[:6])

        def done(values: dict[str, Any] | None) -> None:
            if values:
                then(values["rationale"])

        self.app.push_screen(
            FormDialog(
                "Accept with a reason",
                [Field("rationale", "Why (recorded for CQC)", required=True)],
                self.coordinator.settings.current_date(),
                context=context,
            ),
            done,
        )

    def action_undo(self) -> None:
        from coordinator_tui.services.rota.assign import RotaError, undo

        if not self.undo_stack or self.rota is None:
            self.notify("Nothing to undo in this session", severity="warning")
            return
        result, describe = self.undo_stack[-1]
        state = self.rota.state
        try:
            with self.coordinator.session() as session:
                back = undo(session, result, state)
        except RotaError as exc:
            self.notify(str(exc), severity="error")
            # The database was rolled back, but an undo over two weeks may have changed
            # this week's rota in memory before the other week refused: read it again.
            self.load()
            return
        self.undo_stack.pop()
        self.changed(back)
        self.notify(f"Undone: {describe}", timeout=4)

    def assign_visit(self, visit_id: int) -> None:
        from coordinator_tui.screens.rota_dialogs import CarerPicker
        from coordinator_tui.services.rota.assign import assign, rank_carers

        rota = self.rota
        if rota is None:
            return
        state = rota.state
        if not state.short_of(visit_id):
            self.notify("This visit already has its carers", severity="warning")
            return
        candidates = rank_carers(state, visit_id)
        visit = rota.visit(visit_id)
        on = [rota.carer_name(c) for c in state.carers_of.get(visit_id, ())]
        title = rota.describe_visit(visit_id)
        if visit.carers_required > 1:
            title += f" · double-up: {', '.join(on) or 'nobody'} on it so far"

        def picked(carer_id: int | None) -> None:
            if carer_id is None:
                return
            name = rota.carer_name(carer_id)
            self.run_change(
                lambda session, why: assign(
                    session, visit_id, carer_id, state=state, rationale=why
                ),
                f"{name} assigned to {rota.describe_visit(visit_id)}",
            )

        self.app.push_screen(CarerPicker(title, candidates), picked)

    def unassign_visit(self, visit_id: int, carer_id: int, after=None) -> None:
        from coordinator_tui.services.rota.assign import unassign

        rota = self.rota
        assert rota is not None
        self.run_change(
            lambda session, _why: unassign(session, visit_id, carer_id, state=rota.state),
            f"{rota.carer_name(carer_id)} taken off {rota.describe_visit(visit_id)}",
            after=after,
        )

    def swap_visit(self, visit_id: int, carer_id: int, after=None) -> None:
        """``w``: the first press marks a visit, the second swaps the two visits' carers."""
        from coordinator_tui.services.rota.assign import swap

        rota = self.rota
        assert rota is not None
        if self.swap_mark is None or self.swap_mark[0] == visit_id:
            if self.swap_mark is not None:
                self.swap_mark = None
                self.notify("Swap cancelled")
                return
            self.swap_mark = (visit_id, carer_id)
            self.notify(
                f"Marked {rota.describe_visit(visit_id)} ({rota.carer_name(carer_id)}): "
                "press w on the visit to swap it with (another carer's day: esc, enter)",
                timeout=6,
            )
            if after is not None:
                after()
            return
        visit_a, carer_a = self.swap_mark
        if carer_a == carer_id:
            self.notify("Choose a visit of another carer to swap with", severity="warning")
            return
        self.swap_mark = None
        self.run_change(
            lambda session, why: swap(
                session, visit_a, carer_a, visit_id, carer_id, state=rota.state, rationale=why
            ),
            f"Swapped {rota.carer_name(carer_a)} and {rota.carer_name(carer_id)}",
            after=after,
        )

    # -- actions -----------------------------------------------------------------------

    def action_assign(self) -> None:
        panel = self.query_one("#rota-unassigned", LazyTable)
        row = panel.current_row
        if not panel.has_focus or row is None:
            if row is None:
                self.notify("No unassigned visits this week", severity="warning")
            else:
                panel.focus()
                self.notify("Choose a visit in the unassigned panel, then a")
            return
        self.assign_visit(row.key)

    @on(LazyTable.RowSelected, "#rota-unassigned")
    def selected_unassigned(self, event: LazyTable.RowSelected) -> None:
        if event.row is not None:
            self.assign_visit(event.row.key)

    def action_accept(self) -> None:
        cell = self.current_cell()
        if cell is None or self.rota is None:
            return
        self.accept_problem(*cell, after=None)

    def accept_problem(self, carer_id: int, day: date | None, after=None) -> None:
        """``r``: record why a soft problem of this carer (that day) is accepted."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.assign import record_acceptance

        rota = self.rota
        assert rota is not None
        problems = [
            p
            for p in rota.cell_problems(carer_id, day)
            + (rota.cell_problems(carer_id, None) if day is not None else [])
            if not p.is_hard and not p.accepted
        ]
        if not problems:
            self.notify("No soft problem to accept here", severity="warning")
            return
        visits = [v for d in rota.days for v in rota.state.day_visits(carer_id, d)]
        options = tuple((f"{p.title}: {p.message}"[:60], index) for index, p in enumerate(problems))

        def save(values: dict[str, Any]) -> str | None:
            return self.write(
                lambda session: record_acceptance(
                    session,
                    rota.state,
                    problems[values["problem"]],
                    values["rationale"],
                    visit_id=visits[0] if visits else None,
                )
            )

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self._draw_after_change({carer_id})
            self.notify("Accepted with the reason recorded", timeout=4)
            if after is not None:
                after()

        self.app.push_screen(
            FormDialog(
                "Accept a soft problem",
                [
                    Field("problem", "Problem", "select", 0, options, required=True),
                    Field("rationale", "Why it is accepted (recorded for CQC)", required=True),
                ],
                self.coordinator.settings.current_date(),
                context=f"{rota.carer_name(carer_id)}, "
                + (f"{day:%a %d %b}" if day else "this week"),
                save=save,
            ),
            done,
        )

    def action_absent(self) -> None:
        """``b``: mark the carer absent for a date range, then Plan B."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.plan_b import mark_absent

        cell = self.current_cell()
        if cell is None or self.rota is None:
            return
        carer_id, day = cell
        name = self.rota.carer_name(carer_id)
        today = self.coordinator.settings.current_date()
        first = day or max(today, self.rota.monday)

        def save(values: dict[str, Any]) -> str | None:
            return self.write(
                lambda session: mark_absent(
                    session,
                    carer_id,
                    values["start"],
                    values["end"],
                    values["kind"],
                    values["note"],
                )
            )

        def done(values: dict[str, Any] | None) -> None:
            from coordinator_tui.screens.plan_b import PlanBScreen

            if values is None:
                return

            def back(result: ChangeResult | None) -> None:
                if result is not None and result.after:
                    self.undo_stack.append((result, f"Plan B for {name}"))
                    self.notify(f"Plan B for {name}: u on the grid undoes it", timeout=4)
                self.load()

            self.app.push_screen(
                PlanBScreen(carer_id, name, values["start"], values["end"], values["kind"]),
                back,
            )

        self.app.push_screen(
            FormDialog(
                f"{name} absent",
                [
                    Field("start", "From", "date", first, required=True),
                    Field("end", "To (inclusive)", "date", first, required=True),
                    Field(
                        "kind",
                        "Reason",
                        "select",
                        "sickness",
                        (("Sickness", "sickness"), ("Leave", "leave"), ("Training", "training")),
                        required=True,
                    ),
                    Field("note", "Note (no personal details)"),
                ],
                today,
                context="Plan B follows: every visit affected, with ranked replacements.",
                save=save,
            ),
            done,
        )

    def action_week(self, step: int) -> None:
        if self.week is None:
            return
        self.week = self.week + timedelta(weeks=step)
        self.swap_mark = None
        self.loaded = False
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_generate(self) -> None:
        from coordinator_tui.services.visit_generation import (
            VisitGenerationError,
            generate_week,
        )

        if self.week is None:
            return
        try:
            with self.coordinator.session() as session:
                result = generate_week(session, self.week)
        except VisitGenerationError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(result.summary(), timeout=8)
        self.load()

    @on(CellGrid.CellSelected, "#rota-grid")
    def open_day(self) -> None:
        from coordinator_tui.screens.carer_day import CarerDayScreen

        cell = self.current_cell()
        if cell is None or cell[1] is None:
            return
        self.app.push_screen(CarerDayScreen(self, *cell))
