"""Construction and local search over a :class:`Plan`.

1. Construction: the jobs in time order (double-ups first at the same minute), each place
   given to the carer whose week gains the fewest points; candidates are tried cheapest
   first (regulars before strangers) and the look stops as soon as no later candidate can
   do better. A visit nobody can take at its time is tried at other times in its
   template's window, nearest first.
2. Local search by simulated annealing until the time is up, the search stalls or it is
   stopped: move a place to another carer; swap two carers' visits of a day; swap the rest
   of two carers' days from a visit on (a 2-opt* "tail exchange", which is how runs are
   rebuilt); and, while places are empty, take a carer's clashing visits off to make room
   and find those visits other carers. The best plan seen is kept.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from coordinator_tui.services.rota.solver.model import Job
from coordinator_tui.services.rota.solver.plan import DAY_NO, FIXED, START, VISIT, Move, Plan

TIME_STEP = 5  # minutes between the times tried in a visit's window
STALL_SECONDS = 12.0  # stop once the best has not improved for this long (and ...)
STALL_SHARE = 0.25  # ... for this share of the time used so far


def _order(job: Job) -> tuple:
    return (job.day, job.start, -job.required, len(job.candidates), job.visit_id)


def place(plan: Plan, job: Job, *, commit: bool = True) -> Move | None:
    """Give the job one more carer, the cheapest for the objective; at another time in
    its window when no carer can take it at its own (a single visit with no carer kept)."""
    current = plan.carers_on[job.visit_id]
    start = plan.start_of[job.visit_id]
    best = _best_at(plan, job, current, start)
    if best is None and job.earliest < job.latest and not current and job.need == 1:
        for when in _times(job):
            if when == start:
                continue
            best = _best_at(plan, job, current, when)
            if best is not None:
                break
    if best is not None and commit:
        plan.commit(best)
    return best


def _best_at(plan: Plan, job: Job, current: tuple[int, ...], start: int) -> Move | None:
    w = plan.weights
    slack = w.under_contract * (job.minutes + 120) + w.preferred_carer + w.change + w.unstaffed
    best: Move | None = None
    for carer_id in job.candidates:
        if carer_id in current:
            continue
        static = plan.soft_at(job, carer_id, start)
        if static is None:
            continue
        if best is not None and static - slack >= best.delta:
            break  # candidates are cheapest first: nobody later can do better
        if not plan.fits(carer_id, job, start):
            continue
        move = plan.propose({job.visit_id: ((*current, carer_id), start)})
        if move is not None and (best is None or move.delta < best.delta):
            best = move
    return best


def _times(job: Job) -> list[int]:
    """The starts in the job's window, nearest its planned time first."""
    found = set(range(job.earliest, job.latest + 1, TIME_STEP)) | {job.latest}
    return sorted(found, key=lambda t: (abs(t - job.start), t))


def construct(plan: Plan, should_stop: Callable[[], bool]) -> None:
    """A first plan: every job in time order, each place to its cheapest carer."""
    for job in sorted(plan.model.jobs.values(), key=_order):
        if should_stop():
            return
        for _ in range(job.need - len(plan.carers_on[job.visit_id])):
            if place(plan, job) is None:
                break


class Search:
    """Simulated annealing over the plan's moves, keeping the best plan seen."""

    def __init__(self, plan: Plan, seed: int = 1) -> None:
        self.plan = plan
        self.rnd = random.Random(seed)
        self.jobs = [plan.model.jobs[v] for v in sorted(plan.model.jobs)]
        self.with_choice = [j for j in self.jobs if len(j.candidates) > 1 or j.need > 1]
        self.iterations = 0
        self.accepted = 0
        self.best_total = plan.total
        self.best = plan.solution()
        self.at_best = True
        self.costly: list[Job] = []
        self.costly_until = 0

    def keep_if_best(self) -> None:
        if self.plan.total < self.best_total - 1e-9:
            self.best_total = self.plan.total
            self.at_best = True

    def run(
        self,
        deadline: float,
        should_stop: Callable[[], bool],
        report: Callable[[Search], None] | None = None,
        start_temperature: float = 8.0,
        end_temperature: float = 0.5,
    ) -> None:
        if not self.with_choice:
            return
        rnd = self.rnd
        began = time.perf_counter()
        span = max(deadline - began, 1e-3)
        last_best = began
        next_report = began + 0.25
        temperature = start_temperature
        moves = (self._relocate, self._swap, self._tail, self._chain)
        weights = (0.25, 0.25, 0.2, 0.3)
        while True:
            self.iterations += 1
            if self.iterations & 63 == 0:
                now = time.perf_counter()
                if now >= deadline or should_stop():
                    break
                used = now - began
                if now - last_best > max(STALL_SECONDS, STALL_SHARE * used):
                    break
                fraction = used / span
                temperature = start_temperature * (end_temperature / start_temperature) ** (
                    fraction
                )
                if report is not None and now >= next_report:
                    report(self)
                    next_report = now + 0.25
            move = rnd.choices(moves, weights)[0]()
            if move is None:
                continue
            delta = move.delta
            if delta > 1e-9 and rnd.random() >= math.exp(-delta / temperature):
                continue
            if delta > 1e-9 and self.at_best:
                self.best = self.plan.solution()  # about to leave the best: keep it
                self.at_best = False
            self.plan.commit(move)
            self.accepted += 1
            if self.plan.total < self.best_total - 1e-9:
                self.best_total = self.plan.total
                self.at_best = True
                last_best = time.perf_counter()
        if not self.at_best:
            self.plan.restore(*self.best)
        self.best = self.plan.solution()
        self.at_best = True

    # -- moves ----------------------------------------------------------------------------

    def _pick_candidate(self, job: Job, avoid: tuple[int, ...]) -> int | None:
        """A candidate of the job, regulars likelier (the list is cheapest first)."""
        candidates = job.candidates
        if not candidates:
            return None
        for _ in range(3):
            carer_id = candidates[int(len(candidates) * self.rnd.random() ** 2)]
            if carer_id not in avoid:
                return carer_id
        return None

    def _relocate(self) -> Move | None:
        """One place of a job to another carer (or an empty place to someone)."""
        plan = self.plan
        job = self.rnd.choice(self.with_choice)
        visit_id = job.visit_id
        current = plan.carers_on[visit_id]
        start = plan.start_of[visit_id]
        carer_id = self._pick_candidate(job, current)
        if carer_id is None or plan.soft_at(job, carer_id, start) is None:
            return None
        if len(current) < job.need:
            new = (*current, carer_id)
        else:
            index = self.rnd.randrange(len(current))
            new = (*current[:index], carer_id, *current[index + 1 :])
        if not plan.fits(carer_id, job, start):
            return None
        return plan.propose({visit_id: (new, start)})

    def _swap(self) -> Move | None:
        """Two carers exchange a visit each, on the same day at about the same time."""
        plan = self.plan
        rnd = self.rnd
        job = rnd.choice(self.with_choice)
        visit_id = job.visit_id
        current = plan.carers_on[visit_id]
        if not current:
            return None
        mine = rnd.choice(current)
        other = self._pick_candidate(job, current)
        if other is None:
            return None
        day = plan.model.day_ordinal[visit_id]
        start = plan.start_of[visit_id]
        jobs = plan.model.jobs
        options = [
            v
            for v in plan.jobs_of(other, day)
            if abs(plan.start_of[v] - start) <= 180
            and mine in jobs[v].cost
            and mine not in plan.carers_on[v]
        ]
        if not options:
            return None
        swap_id = rnd.choice(options)
        theirs = plan.carers_on[swap_id]
        return plan.propose(
            {
                visit_id: (tuple(other if c == mine else c for c in current), start),
                swap_id: (tuple(mine if c == other else c for c in theirs), plan.start_of[swap_id]),
            }
        )

    def _tail(self) -> Move | None:
        """Two carers swap the rest of their day from a visit on (2-opt*)."""
        plan = self.plan
        rnd = self.rnd
        job = rnd.choice(self.with_choice)
        visit_id = job.visit_id
        current = plan.carers_on[visit_id]
        if not current:
            return None
        mine = rnd.choice(current)
        other = self._pick_candidate(job, current)
        if other is None:
            return None
        day = plan.model.day_ordinal[visit_id]
        cut = plan.start_of[visit_id]
        jobs = plan.model.jobs
        changes: dict[int, tuple[tuple[int, ...], int]] = {}
        for carer_id, to in ((mine, other), (other, mine)):
            for stop in plan.stops[carer_id]:
                if stop[FIXED] or stop[DAY_NO] != day or stop[START] < cut:
                    continue
                moving = stop[VISIT]
                on = changes[moving][0] if moving in changes else plan.carers_on[moving]
                if to in on or to not in jobs[moving].cost:
                    return None
                changes[moving] = (
                    tuple(to if c == carer_id else c for c in on),
                    plan.start_of[moving],
                )
        if len(changes) < 2:
            return None
        return plan.propose(changes)

    def _chain(self) -> Move | None:
        """A costly place (empty, or a stranger or another regular on it) given to a
        cheaper candidate by taking that carer's clashing visits off and finding those
        other carers (an ejection chain); the whole is one move."""
        plan = self.plan
        rnd = self.rnd
        if not self.costly or self.iterations >= self.costly_until:
            self.costly = [
                j for j in self.jobs if plan.job_cost[j.visit_id] > 1e-9 and j.candidates
            ]
            self.costly_until = self.iterations + 2000
            if not self.costly:
                return None
        job = rnd.choice(self.costly)
        visit_id = job.visit_id
        current = plan.carers_on[visit_id]
        start = plan.start_of[visit_id]
        if len(current) < job.need:
            out, ceiling = None, plan.weights.unstaffed
        else:
            out = max(current, key=lambda c: plan.soft_at(job, c, start) or 0.0)
            ceiling = plan.soft_at(job, out, start) or 0.0
        cheaper = []
        for carer_id in job.candidates:
            points = plan.soft_at(job, carer_id, start)
            if points is None or carer_id in current:
                continue
            if points >= ceiling:
                break
            cheaper.append(carer_id)
        if not cheaper:
            return None
        carer_id = rnd.choice(cheaper[:6])
        end = start + job.minutes
        jobs = plan.model.jobs
        clash = []
        for stop in plan.stops[carer_id]:
            if stop[START] >= end + 90 or stop[START] + 600 < start:
                continue
            if stop[START] + jobs[stop[VISIT]].minutes <= start - 90 if not stop[FIXED] else False:
                continue
            if stop[FIXED]:
                if stop[START] < end and stop[START] + 1 > start - 600 and stop[1] > start:
                    return None  # a kept visit in the way: nothing to eject
                continue
            clash.append(stop[VISIT])
        if len(clash) > 3:
            return None
        new = (
            (*current, carer_id)
            if out is None
            else tuple(carer_id if c == out else c for c in current)
        )
        changes = {
            v: (tuple(c for c in plan.carers_on[v] if c != carer_id), plan.start_of[v])
            for v in clash
        }
        changes[visit_id] = (new, start)
        first = plan.propose(changes)
        if first is None:
            return None
        if not clash:
            return first
        undo = {v: (plan.carers_on[v], plan.start_of[v]) for v in changes}
        plan.commit(first)
        for v in clash:
            place(plan, jobs[v])
        redo = {v: (plan.carers_on[v], plan.start_of[v]) for v in changes}
        back = plan.propose(undo)
        if back is None:  # cannot happen: it was the plan a moment ago
            plan.restore(*self.best)
            return None
        plan.commit(back)
        return plan.propose(redo)
