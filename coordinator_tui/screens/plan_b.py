"""Plan B (``b`` on a carer in the Rota grid, after recording the absence).

Every visit the absent carer had in the dates is listed with the best replacement (feasible,
least travel added, best continuity, preferences met) and, under the list, the ranked
carers for the highlighted visit. ``enter`` applies the best replacement to the highlighted
visit; ``A`` applies the best to every visit in turn (re-ranking after each, so no carer is
given two visits at once). A visit nobody can take is Plan C: listed at the bottom, with
why, for the coordinator to escalate. ``esc`` goes back to the grid.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from coordinator_tui.screens.rota import help_text
from coordinator_tui.screens.rota_dialogs import candidate_text
from coordinator_tui.screens.type_ahead import PassesStrayKeys
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.services.rota.assign import ChangeResult
    from coordinator_tui.services.rota.plan_b import CoverItem, PlanB


def clock(epoch_minute: int) -> str:
    from coordinator_tui.services.rota.grid import local

    return f"{local(epoch_minute):%a %d/%m %H:%M}"


class PlanBScreen(PassesStrayKeys, Screen["ChangeResult | None"]):
    CSS_PATH = "rota.tcss"
    HELP = help_text(__doc__)
    BINDINGS = [
        Binding("escape", "back", "Back", id="plan_b.back"),
        Binding("enter", "apply_one", "Apply best", id="plan_b.apply"),
        Binding("A", "apply_all", "Apply all", id="plan_b.apply_all"),
    ]

    def __init__(self, carer_id: int, name: str, start: date, end: date, kind: str) -> None:
        super().__init__()
        self.carer_id = carer_id
        self.carer_name = name
        self.start = start
        self.end = end
        self.kind = kind
        self.plan: PlanB | None = None
        self.plan_c: dict[int, CoverItem] = {}  # visits left uncovered, by visit
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
            yield Static("", id="plan-c")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Plan B"
        table = self.query_one("#plan-b-items", DataTable)
        table.add_column("Visit", key="visit", width=15)
        table.add_column("Customer", key="customer", width=20)
        table.add_column("Best replacement", key="best", width=max(self.size.width - 47, 20))
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="plan-b")
    def load(self) -> None:
        from coordinator_tui.services.rota.plan_b import plan_b

        with self.app.session() as session:  # type: ignore[attr-defined]
            plan = plan_b(session, self.carer_id, self.start, self.end)
        self.app.call_from_thread(self.show, plan)

    @work(thread=True, exclusive=True, group="plan-b")
    def apply(self, visit_ids: set[int] | None) -> None:
        from coordinator_tui.services.rota.assign import RotaError
        from coordinator_tui.services.rota.plan_b import apply_plan_b, plan_b

        try:
            with self.app.session() as session:  # type: ignore[attr-defined]
                result = apply_plan_b(
                    session, self.carer_id, self.start, self.end, visit_ids=visit_ids
                )
        except RotaError as exc:  # changed by someone else meanwhile: nothing was saved
            self.app.call_from_thread(self.refused, str(exc))
            return
        with self.app.session() as session:  # type: ignore[attr-defined]
            plan = plan_b(session, self.carer_id, self.start, self.end)
        self.app.call_from_thread(self.applied, result, plan)

    def refused(self, message: str) -> None:
        self.notify(f"{message}. Nothing was changed; the plan is read again.", severity="error")
        self.busy = False
        if self.leave_when_done:
            self.action_back()
        else:
            self.load()

    def applied(self, result, plan: PlanB) -> None:
        self.covered += len(result.covered)
        self.changes.extend(result.changes)
        for item in result.plan_c:
            self.plan_c[item.visit_id] = item
        parts = [f"{len(result.covered)} visit(s) covered"]
        if result.plan_c:
            parts.append(f"{len(result.plan_c)} to Plan C")
        self.notify(", ".join(parts), timeout=5)
        self.show(plan)
        if self.leave_when_done:
            self.action_back()

    def show(self, plan: PlanB) -> None:
        self.plan = plan
        self.busy = False
        table = self.query_one("#plan-b-items", DataTable)
        row = table.cursor_row
        table.clear()
        for item in plan.items:
            best = item.best
            if best is None:
                cell = Text.assemble(("✖ PLAN C: nobody can take it", "bold red"))
            else:
                cell = Text.assemble(
                    ("✓ ", "green"),
                    (best.name, "bold"),
                    f" · +{best.travel_added} min travel · ",
                    "regular" if best.continuity else "new to customer",
                    (" · ▲ accepted with the Plan B reason" if best.soft else "", "yellow"),
                )
            table.add_row(clock(item.start), item.customer, cell, key=str(item.visit_id))
        if plan.items:
            table.move_cursor(row=min(row, len(plan.items) - 1))
        waiting = len(plan.items)
        title = Text.assemble(
            ("Plan B", "bold"),
            f" · {self.carer_name} absent ({self.kind}) {self.start:%a %d %b}",
            f" to {self.end:%a %d %b}" if self.end != self.start else "",
            f" · {waiting} visit(s) to cover · {self.covered} covered",
            (f" · {len(self.plan_c)} Plan C" if self.plan_c else "", "bold red"),
        )
        if waiting:
            title.append("\nenter: the best for the highlighted visit · A: the best for all", "dim")
        else:
            title.append("\nNothing left to cover: esc back to the grid", style="green")
        self.query_one("#plan-b-title", Static).update(title)
        self.show_candidates()
        self._draw_plan_c()
        self.loaded = True

    def _draw_plan_c(self) -> None:
        lines = [Text("Plan C: escalate (nobody can take these)", style="bold red")]
        width = max(self.size.width - 6, 30)
        for item in sorted(self.plan_c.values(), key=lambda i: i.start):
            why = item.why_not()
            reason = (
                "carers ruled out by "
                + ", ".join(f"{title.lower()} ({count})" for title, count in why)
                if why
                else "no active carer"
            )
            line = Text(f"✖ {clock(item.start)} {item.customer}: {reason}")
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
        self.query_one("#plan-c", Static).update(
            Text("\n").join(lines) if self.plan_c else Text("")
        )
        self.query_one("#plan-c").display = bool(self.plan_c)

    def current_item(self) -> CoverItem | None:
        if self.plan is None or not self.plan.items:
            return None
        row = self.query_one("#plan-b-items", DataTable).cursor_row
        return self.plan.items[min(row, len(self.plan.items) - 1)]

    @on(DataTable.RowHighlighted, "#plan-b-items")
    def show_candidates(self) -> None:
        item = self.current_item()
        box = self.query_one("#plan-b-candidates", Static)
        box.display = item is not None
        if item is None:
            return
        lines = [Text(f"Carers for {clock(item.start)} {item.customer}, best first:", "bold")]
        width = max(self.size.width - 4, 30)
        for candidate in item.candidates[:5]:
            line = candidate_text(candidate)
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
        box.update(Text("\n").join(lines))

    def action_apply_one(self) -> None:
        item = self.current_item()
        if item is None or self.busy:
            return
        self.busy = True
        self.apply({item.visit_id})

    def action_apply_all(self) -> None:
        if self.plan is None or not self.plan.items or self.busy:
            return
        self.busy = True
        self.apply(None)

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
