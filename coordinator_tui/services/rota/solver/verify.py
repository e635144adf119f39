"""The finished plan run through the checker itself, mended where the checker objects.

The search judges carers' weeks by a fast reading of the rules (``plan.py``); the checker
(``validate.RotaState``) is the judge. Here the plan is checked in full: any hard problem
that names a carer the solver placed is a disagreement, mended by taking that carer off
(the later visit of a clash, or one visit at a time for a problem of the week as a
whole) and trying the emptied places again with the checker's exact ``what_if``. Hard
problems that only concern what the solver had to keep (a visit already started) are
left, and reported as such.

Places nobody can take are listed with the reasons: why each carer cannot, counted, from
the checker's visit rules (skills, absence, availability) and its ``what_if`` (busy, the
travel, working time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.snapshot import WeekSnapshot
from coordinator_tui.services.rota.solver.model import Model, visit_at
from coordinator_tui.services.rota.solver.plan import Plan
from coordinator_tui.services.rota.validate import RotaState

MEND_ROUNDS = 50
REFILL_TRIES = 25  # candidates tried with the exact check for each empty place
REASON_TRIES = 40  # candidates asked why not, per place left empty


@dataclass(frozen=True)
class Unstaffed:
    """A visit the solver could not staff in full, and why."""

    visit_id: int
    short: int
    reasons: tuple[tuple[str, int], ...]  # (why, how many carers it stops), commonest first

    @property
    def reason(self) -> str:
        """One line: "no carer holds the skill" or "12 busy, 6 travel, 2 absent"."""
        if not self.reasons:
            return "no active carer"
        return ", ".join(f"{count} {why.lower()}" for why, count in self.reasons[:4])


@dataclass
class Checked:
    """The plan as the checker sees it."""

    snap: WeekSnapshot  # the week with the solver's times
    state: RotaState  # the checker's state of the plan
    after: dict[int, tuple[int, ...]]  # every visit of the week -> carers by slot
    starts: dict[int, int]  # visits moved -> new start
    taken_off: int  # places the checker made the solver give up
    refilled: int  # of which filled again after the exact check
    left: list[Problem]  # hard problems left in what the solver had to keep
    unstaffed: list[Unstaffed]


def moved_snapshot(snap: WeekSnapshot, starts: dict[int, int]) -> WeekSnapshot:
    """The snapshot with some visits at new starts (a new travel memo is not needed)."""
    if not starts:
        return snap
    visits = dict(snap.visits)
    for visit_id, start in starts.items():
        visits[visit_id] = visit_at(visits[visit_id], start)
    moved = replace(snap, visits=visits)
    moved._table = snap.travel_table
    return moved


def check_plan(model: Model, plan: Plan) -> Checked:
    """Run the plan through the checker, mend it, and list the places left empty."""
    starts = {
        v: s for v, s in plan.start_of.items() if s != model.jobs[v].start and plan.carers_on[v]
    }
    snap = moved_snapshot(model.snap, starts)
    after = dict(model.before)
    placed: set[tuple[int, int]] = set()
    for visit_id, job in model.jobs.items():
        carers = plan.carers_on[visit_id]
        after[visit_id] = (*job.pinned, *carers)
        placed.update((c, visit_id) for c in carers)
    state = RotaState(snap, after)
    taken: list[int] = []
    for _round in range(MEND_ROUNDS):
        mine = [p for p in state.problems() if _is_mine(p, placed)]
        if not mine:
            break
        problem = mine[0]
        visit_id = _to_take_off(problem, placed, snap, state)
        if visit_id is None:
            break
        carer_id = problem.carer_id
        carers = tuple(c for c in after[visit_id] if c != carer_id)
        state.change({visit_id: carers})
        after[visit_id] = carers
        placed.discard((carer_id, visit_id))
        taken.append(visit_id)
    # The places emptied, and any the search left: the checker's exact test may allow
    # what the search's quicker reading would not (the fortnight's weekly rest, say).
    refilled = 0
    for visit_id, job in sorted(model.jobs.items(), key=lambda item: (item[1].start, item[0])):
        while len(after[visit_id]) < job.required:
            if not _refill(model, state, after, placed, visit_id):
                break
            refilled += 1
    # Sync the plan with what the checker let stand (explain reads it).
    plan.restore(
        {v: tuple(c for c in after[v] if (c, v) in placed) for v in model.jobs},
        {v: starts.get(v, model.jobs[v].start) for v in model.jobs},
    )
    starts = {v: s for v, s in starts.items() if plan.carers_on[v]}
    left = [p for p in state.problems() if p.is_hard and p.code != P.UNSTAFFED]
    unstaffed = [
        Unstaffed(v, job.need - len(plan.carers_on[v]), _reasons(model, state, after, v))
        for v, job in sorted(model.jobs.items(), key=lambda item: (item[1].start, item[0]))
        if len(plan.carers_on[v]) < job.need
    ]
    return Checked(snap, state, after, starts, len(taken), refilled, left, unstaffed)


def _is_mine(problem: Problem, placed: set[tuple[int, int]]) -> bool:
    if not problem.is_hard or problem.code == P.UNSTAFFED or problem.carer_id is None:
        return False
    if problem.visit_ids:
        return any((problem.carer_id, v) in placed for v in problem.visit_ids)
    return any(carer == problem.carer_id for carer, _ in placed)


def _to_take_off(
    problem: Problem, placed: set[tuple[int, int]], snap: WeekSnapshot, state: RotaState
) -> int | None:
    """The visit to take the problem's carer off: the last the solver placed among those
    it names; for a week-level problem, the carer's latest placed visit."""
    carer_id = problem.carer_id
    for visit_id in reversed(problem.visit_ids):
        if (carer_id, visit_id) in placed:
            return visit_id
    mine = [v for c, v in placed if c == carer_id]
    if not mine:
        return None
    return max(mine, key=lambda v: (snap.visits[v].start, v))


def _refill(
    model: Model,
    state: RotaState,
    after: dict[int, tuple[int, ...]],
    placed: set[tuple[int, int]],
    visit_id: int,
) -> int:
    """Fill a place the checker emptied with the first candidate it finds nothing
    against (cheapest first); 1 when it did."""
    job = model.jobs[visit_id]
    for carer_id in job.candidates[:REFILL_TRIES]:
        if carer_id in after[visit_id] or len(after[visit_id]) >= job.required:
            continue
        carers = (*after[visit_id], carer_id)
        if state.what_if({visit_id: carers}).added_hard:
            continue
        state.change({visit_id: carers})
        after[visit_id] = carers
        placed.add((carer_id, visit_id))
        return 1
    return 0


def _reasons(
    model: Model, state: RotaState, after: dict[int, tuple[int, ...]], visit_id: int
) -> tuple[tuple[str, int], ...]:
    """Why carers cannot take the visit: the checker's visit rules (counted for every
    active carer) and, for up to ``REASON_TRIES`` who pass them, its ``what_if``."""
    job = model.jobs[visit_id]
    counts: Counter[str] = Counter(job.excluded.values())
    current = after[visit_id]
    for carer_id in job.candidates[:REASON_TRIES]:
        if carer_id in current:
            continue
        added = state.what_if({visit_id: (*current, carer_id)}).added_hard
        hard = [p for p in added if p.code != P.UNSTAFFED]
        counts[hard[0].title if hard else "free, not tried"] += 1
    unasked = max(len(job.candidates) - REASON_TRIES, 0)
    if unasked:
        counts["not asked (more candidates)"] += unasked
    if not counts:  # nobody to ask at all: say so rather than give no reason
        counts["no other carer works that week" if current else "no carer works that week"] += 1
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))
