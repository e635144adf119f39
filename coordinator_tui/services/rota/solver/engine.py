"""``solve``: model, first plan, local search, the checker's verdict; in a worker thread.

Thread safety: the solver reads the snapshot it is given and never writes to it (it works
on its own copy, with its own travel memo), holds no database session and touches no
global state, so a screen may run it in a worker thread while the grid keeps using the
original. ``stop`` (a ``threading.Event``) ends the search at the next check, about every
64 moves; the best plan seen so far is then checked and returned. ``progress`` is called
from the solver's thread (a screen posts it on to the interface thread).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from coordinator_tui.services.rota.snapshot import WeekSnapshot
from coordinator_tui.services.rota.solver.matrix import (
    MatrixTravelTable,
    TravelMatrix,
    customer_places,
)
from coordinator_tui.services.rota.solver.model import Model, PairCheck, Scope, build_model
from coordinator_tui.services.rota.solver.plan import Plan
from coordinator_tui.services.rota.solver.search import Search, construct, usual_carer_pass
from coordinator_tui.services.rota.solver.verify import Checked, check_plan
from coordinator_tui.services.rota.solver.weights import DEFAULT_WEIGHTS, Weights
from coordinator_tui.services.rota.validate import RotaState

ENGINE = "construction + simulated annealing over the checker's rules, checked by the checker"
DEFAULT_SECONDS = 30.0


@dataclass(frozen=True)
class Progress:
    """Where a solve has got to (sent about four times a second)."""

    phase: str  # "model" | "first plan" | "improving" | "checking" | "done"
    elapsed: float  # seconds since the solve began
    fraction: float  # of the time allowed
    cost: float  # the plan's points
    short: int  # carer places still empty
    iterations: int


@dataclass(frozen=True)
class SolveStats:
    engine: str
    seconds: float  # the whole solve
    model_seconds: float
    first_plan_seconds: float  # to the first plan (construction done)
    iterations: int
    accepted: int
    cost_first: float
    cost_final: float
    short_first: int
    stopped: bool  # stopped by the caller (the best plan so far was kept)

    def to_dict(self) -> dict:
        return {
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
            "model_seconds": round(self.model_seconds, 3),
            "first_plan_seconds": round(self.first_plan_seconds, 3),
            "iterations": self.iterations,
            "accepted": self.accepted,
            "cost_first": round(self.cost_first, 1),
            "cost_final": round(self.cost_final, 1),
            "short_first": self.short_first,
            "stopped": self.stopped,
        }


@dataclass
class SolveResult:
    """What a solve found: the model, the plan, and the checker's verdict on it."""

    model: Model
    plan: Plan
    checked: Checked
    stats: SolveStats
    before: RotaState  # the week as it was, checked

    @property
    def after(self) -> dict[int, tuple[int, ...]]:
        return self.checked.after

    @property
    def state(self) -> RotaState:
        return self.checked.state


def solve(
    snap: WeekSnapshot,
    scope: Scope = Scope(),
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    windows: Mapping[int, tuple[int, int]] | None = None,
    last_week: Mapping[int, tuple[int, ...]] | None = None,
    seconds: float = DEFAULT_SECONDS,
    stop: threading.Event | None = None,
    progress: Callable[[Progress], None] | None = None,
    seed: int = 1,
    iterations: int | None = None,
    travel_matrix: TravelMatrix | None = None,
    postcodes: Mapping[int, str] | None = None,
    clock: Callable[[], float] = time.perf_counter,
    restarts: int = 1,
) -> SolveResult:
    """Solve the week of ``snap`` for ``scope`` within about ``seconds`` (``windows`` and
    ``last_week`` as ``load.load_problem`` reads them; see ``model.build_model``).
    ``iterations`` bounds the search by moves tried, so that the same week gives the
    same plan on every machine however loaded: the search then ends on its move count
    (no stall judged on the clock), the continuity pass runs to its end, and ``seconds``
    is only a safety net (a time limit alone ends each run at a different point).
    ``travel_matrix`` gives journeys between customers (known by ``postcodes`` or their
    place) in place of the estimate, for the search and the check alike (``matrix.py``).
    ``clock`` is what ``seconds`` is counted on: wall time by default (what a coordinator
    waits); ``time.process_time`` gives a CPU-time budget, so that a benchmark's quality
    figure does not depend on how loaded the machine is. ``restarts`` > 1 splits the
    budget into that many searches from the first plan (seeds ``seed``, ``seed + 1``...,
    each followed by the continuity pass) and keeps the best: the annealing settles in
    a different place on each seed, and on the small demo week a search has settled in
    about a third of its 8 s (a multi-start)."""
    began = time.perf_counter()
    budget_began = clock()
    deadline = budget_began + max(seconds, 0.0)
    snap = replace(snap)  # our own travel memo: the caller's snapshot is left alone
    if travel_matrix is not None:
        estimate = snap.travel_table  # the copy's own
        places = customer_places(
            {c: (customer.lat, customer.lon) for c, customer in snap.customers.items()},
            dict(postcodes or {}),
        )
        snap._table = MatrixTravelTable(estimate, travel_matrix, places)

    def should_stop() -> bool:
        return stop is not None and stop.is_set()

    def tell(phase: str, plan: Plan | None, iterations: int = 0) -> None:
        if progress is None:
            return
        now = time.perf_counter()
        progress(
            Progress(
                phase,
                now - began,
                min((now - began) / seconds, 1.0) if seconds > 0 else 1.0,
                plan.total if plan is not None else 0.0,
                plan.short() if plan is not None else 0,
                iterations,
            )
        )

    tell("model", None)
    before = RotaState(snap)
    model = build_model(
        snap, scope, weights, windows, PairCheck(snap, weights), last_week, state=before
    )
    model_done = time.perf_counter()
    plan = Plan(model)
    construct(plan, should_stop)
    first_done = time.perf_counter()
    cost_first, short_first = plan.total, plan.short()
    tell("first plan", plan)
    first = plan.solution()
    runs = max(1, restarts)
    best: tuple[dict[int, tuple[int, ...]], dict[int, int]] | None = None
    best_total = math.inf
    done = accepted = 0
    for run in range(runs):
        if run and (should_stop() or clock() >= deadline):
            break
        if run:
            plan.restore(*first)
        run_began = clock()
        run_end = (
            deadline  # each run ends on its share of the moves
            if iterations is not None
            else run_began + (deadline - run_began) / (runs - run)
        )
        search = Search(plan, seed + run)
        search.run(
            run_end,
            should_stop,
            lambda s, done=done: tell("improving", s.plan, done + s.iterations),
            max_iterations=None if iterations is None else iterations // runs,
            clock=clock,
        )
        # The continuity pass has a quarter of the run's time again (0.1 s to 5 s) at most;
        # bounded by moves, it runs to its end (one pass over the jobs), the safety net aside.
        pass_end = (
            deadline
            if iterations is not None
            else clock() + min(max(0.25 * (run_end - run_began), 0.1), 5.0)
        )
        usual_carer_pass(plan, should_stop, deadline=pass_end, clock=clock)
        done += search.iterations
        accepted += search.accepted
        if plan.total < best_total - 1e-9:
            best, best_total = plan.solution(), plan.total
    if best is not None and plan.total > best_total + 1e-9:
        plan.restore(*best)
    tell("checking", plan, done)
    checked = check_plan(model, plan)
    finished = time.perf_counter()
    tell("done", plan, done)
    stats = SolveStats(
        ENGINE,
        finished - began,
        model_done - began,
        first_done - began,
        done,
        accepted,
        cost_first,
        plan.total,
        short_first,
        should_stop(),
    )
    return SolveResult(model, plan, checked, stats, before)
