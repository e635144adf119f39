"""Construction and local search over a :class:`Plan`.

1. Construction: the jobs in time order (double-ups first at the same minute), each place
   given to the carer whose week gains the fewest points; candidates are tried cheapest
   first (regulars before strangers) and the look stops as soon as no later candidate can
   do better. A visit nobody can take at its time is tried at other times in its
   template's window, nearest first.
2. Local search by simulated annealing until the time is up, the search stalls (then it
   cools down to the end temperature over a last stretch first) or it is
   stopped: move a place to another carer; swap two carers' visits of a day; swap the rest
   of two carers' days from a visit on (a 2-opt* "tail exchange", which is how runs are
   rebuilt); and, while places are empty, take a carer's clashing visits off to make room
   and find those visits other carers. The best plan seen is kept.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable

from coordinator_tui.services.rota.solver.model import REPLAN, Job
from coordinator_tui.services.rota.solver.plan import (
    CUSTOMER,
    DAY_NO,
    END,
    FIXED,
    START,
    VISIT,
    Move,
    Plan,
)

TIME_STEP = 5  # minutes between the times tried in a visit's window
STALL_SECONDS = 12.0  # stop once the best has not improved for this long (and ...)
STALL_SHARE = 0.25  # ... for this share of the time used so far: then a cool-down of
COOL_SECONDS = 8.0  # at most this long to the end temperature, and stop
SEGMENTS = (60, 120, 180, 240)  # minutes of day two carers exchange in a segment swap
RETIME_CANDIDATES = 8  # carers busy at a visit's time asked whether another time fits
RETIME_REACH = 240  # minutes either side of a window whose visits give a start to try
CLASH_MARGIN = 45  # minutes either side: a regular's visits this close are in the way


def _order(job: Job) -> tuple:
    return (job.day, job.start, -job.required, len(job.candidates), job.visit_id)


def place(plan: Plan, job: Job, *, commit: bool = True) -> Move | None:
    """Give the job one more carer, the cheapest for the objective; at another time in
    its window when no carer can take it at its own (a single visit with no carer kept)."""
    current = plan.carers_on[job.visit_id]
    start = plan.start_of[job.visit_id]
    best = _best_at(plan, job, current, start)
    movable = job.movable and not current and job.need == 1 and not job.pinned
    if movable:  # a carer busy then may take it a little later or earlier in its window
        tried = 0
        for carer_id in job.candidates:
            if tried >= RETIME_CANDIDATES:
                break
            if not plan.stops[carer_id] or plan.fits(carer_id, job, start):
                continue
            tried += 1
            when = retime(plan, carer_id, job, start)
            if when is None or plan.soft_at(job, carer_id, when) is None:
                continue
            move = plan.propose({job.visit_id: ((carer_id,), when)})
            if move is not None and (best is None or move.delta < best.delta):
                best = move
    if best is None and movable:
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
    found = set(range(job.earliest, job.latest + 1, TIME_STEP)) | {job.latest, job.start}
    return sorted(found, key=lambda t: (abs(t - job.start), t))


def seed_usual(plan: Plan, should_stop: Callable[[], bool]) -> int:
    """In fill and repair, the usual carers put back where the week allows it: the
    carers the visit had (fewest changes), then last week's carers of the same call (the
    roll-forward ``rota generate`` does, but each checked). Not in Build: measured on the
    demo weeks, a first plan seeded from last week stalls the search in a worse place
    (more travel, no better continuity) than the greedy one. Returns the places seeded."""
    seeded = 0
    replan = plan.model.scope.mode == REPLAN
    for job in sorted(plan.model.jobs.values(), key=_order):
        if should_stop():
            break
        usual = () if replan else job.original + job.last_week
        if not usual:
            continue
        visit_id = job.visit_id
        for carer_id in dict.fromkeys(usual):
            current = plan.carers_on[visit_id]
            if len(current) >= job.need:
                break
            if carer_id in current or carer_id not in job.cost:
                continue
            if not plan.fits(carer_id, job, job.start):
                continue
            move = plan.propose({visit_id: ((*current, carer_id), job.start)})
            if move is not None:
                plan.commit(move)
                seeded += 1
    return seeded


def retime(plan: Plan, carer_id: int, job: Job, start: int) -> int | None:
    """The start in the job's window nearest ``start`` at which it fits between the
    carer's visits: straight after one of them (with the travel) or just in time before
    one, or the window's ends; or the start it was recorded at, when that lies outside
    the window (Build: ``Job.allows``). None when no such start fits."""
    stops = plan.stops[carer_id]
    low, high = job.earliest, job.latest
    mode = plan.model.carers[carer_id].mode
    legs = plan.table.minutes
    customer = job.customer_id
    times = {low, high, job.start}
    first = bisect_left(stops, low - RETIME_REACH, key=lambda stop: stop[START])
    for stop in stops[first:]:
        if stop[START] > high + job.minutes + RETIME_REACH:
            break
        leg = legs(stop[CUSTOMER], customer, mode) if stop[CUSTOMER] != customer else 0
        times.add(stop[END] + leg)
        back = legs(customer, stop[CUSTOMER], mode) if stop[CUSTOMER] != customer else 0
        times.add(stop[START] - back - job.minutes)
    for when in sorted((t for t in times if job.allows(t)), key=lambda t: (abs(t - start), t)):
        if when != start and plan.fits(carer_id, job, when):
            return when
    return None


def construct(plan: Plan, should_stop: Callable[[], bool]) -> None:
    """A first plan: the usual carers where they still fit (``seed_usual``), then every job
    in time order, each place left to its cheapest carer."""
    seed_usual(plan, should_stop)
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
        self.short: list[Job] = []
        self.short_until = 0

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
        max_iterations: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Anneal until ``deadline`` on ``clock`` (wall time, or CPU time for a figure
        that does not depend on the machine's load), ``max_iterations`` moves, a stall
        (then a cool-down of ``COOL_SECONDS`` first), or ``should_stop``; the best plan
        seen is left in the plan. With ``max_iterations`` the temperature follows the move
        count and no stall is judged on the clock, so the same plan comes out however fast
        the clock runs (``deadline`` a safety net)."""
        moves: tuple[Callable[[], Move | None], ...] = (
            self._relocate,
            self._swap,
            self._tail,
            self._segment,
            self._chain,
            self._vacate,
        )
        weights: tuple[float, ...] = (0.25, 0.2, 0.15, 0.15, 0.2, 0.05)
        if not self.with_choice:
            # Every visit has one carer who may take it at most: the only choice left is
            # which visit goes without when two want that carer at once.
            if not any(len(self.plan.carers_on[j.visit_id]) < j.need for j in self.jobs):
                return
            moves, weights = (self._vacate,), (1.0,)
        rnd = self.rnd
        began = clock()
        span = max(deadline - began, 1e-3)
        last_best = began
        next_report = began + 0.25
        temperature = start_temperature
        cooling: tuple[float, float, float] | None = None  # (from, temperature, span)
        while True:
            self.iterations += 1
            if max_iterations is not None and self.iterations > max_iterations:
                break
            if self.iterations & 63 == 0:
                now = clock()
                if now >= deadline or should_stop():
                    break
                used = now - began
                if (
                    max_iterations is None  # (bounded by moves, the count ends it)
                    and cooling is None
                    and now - last_best > max(STALL_SECONDS, STALL_SHARE * used)
                ):
                    # Stalled while still warm: cool down from here over a last stretch
                    # and stop, rather than stop warm (the best is found as it cools).
                    deadline = min(deadline, now + COOL_SECONDS)
                    cooling = (now, temperature, max(deadline - now, 1e-3))
                if cooling is not None:
                    cool_from, cool_temperature, cool_span = cooling
                    temperature = cool_temperature * (end_temperature / cool_temperature) ** (
                        min((now - cool_from) / cool_span, 1.0)
                    )
                else:
                    fraction = (
                        used / span if max_iterations is None else self.iterations / max_iterations
                    )
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
                last_best = clock()
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
            if job.pinned or len(new) > 1 or not job.movable:
                return None
            start = retime(plan, carer_id, job, start)
            if start is None or plan.soft_at(job, carer_id, start) is None:
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

    def _segment(self) -> Move | None:
        """Two carers swap their visits of a stretch of a day (one to four hours from a
        visit on): a CROSS exchange, which the tail exchange misses when the rest of the
        days do not fit the other carer."""
        plan = self.plan
        rnd = self.rnd
        job = rnd.choice(self.with_choice)
        current = plan.carers_on[job.visit_id]
        if not current:
            return None
        mine = rnd.choice(current)
        other = self._pick_candidate(job, current)
        if other is None:
            return None
        cut = plan.start_of[job.visit_id]
        return segment_swap(plan, mine, other, cut, cut + rnd.choice(SEGMENTS), job)

    def _vacate(self) -> Move | None:
        """An empty place given to a carer busy then, who leaves the visit in the way
        empty instead. Which visit goes without is then the objective's choice: no other
        move empties a place, so without this the visit left empty is whichever the
        first plan left, however much continuity or travel that costs round it."""
        plan = self.plan
        if not self.short or self.iterations >= self.short_until:
            self.short = [
                j for j in self.jobs if len(plan.carers_on[j.visit_id]) < j.need and j.candidates
            ]
            self.short_until = self.iterations + 2000
            if not self.short:
                return None
        job = self.rnd.choice(self.short)
        return vacate(plan, job, self._pick_candidate(job, plan.carers_on[job.visit_id]))

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


def vacate(plan: Plan, job: Job, carer_id: int | None) -> Move | None:
    """The move putting ``carer_id`` on an empty place of ``job`` and taking them off
    their visits that day in the way (within ``CLASH_MARGIN`` minutes), which are left a
    place short. None when the job has no empty place, the carer may not take it, or
    more than two visits are in the way (or a visit kept as it was)."""
    visit_id = job.visit_id
    current = plan.carers_on[visit_id]
    start = plan.start_of[visit_id]
    if carer_id is None or carer_id in current or len(current) >= job.need:
        return None
    if plan.soft_at(job, carer_id, start) is None:
        return None
    day = plan.model.day_ordinal[visit_id]
    end = start + job.minutes
    clash = []
    for stop in plan.stops[carer_id]:
        if stop[DAY_NO] != day or stop[START] >= end + CLASH_MARGIN:
            continue
        if stop[END] <= start - CLASH_MARGIN:
            continue
        if stop[FIXED]:
            return None
        clash.append(stop[VISIT])
    if not clash or len(clash) > 2:
        return None  # nothing in the way is the relocate's move
    changes = {
        v: (tuple(c for c in plan.carers_on[v] if c != carer_id), plan.start_of[v]) for v in clash
    }
    changes[visit_id] = ((*current, carer_id), start)
    return plan.propose(changes)


def segment_swap(
    plan: Plan, mine: int, other: int, cut: int, until: int, job: Job | None = None
) -> Move | None:
    """The move in which ``mine`` and ``other`` exchange their visits starting from
    ``cut`` to before ``until`` on the day of ``cut`` (None when one may not take one)."""
    jobs = plan.model.jobs
    day = None
    if job is not None:
        day = plan.model.day_ordinal[job.visit_id]
    changes: dict[int, tuple[tuple[int, ...], int]] = {}
    for carer_id, to in ((mine, other), (other, mine)):
        for stop in plan.stops[carer_id]:
            if stop[FIXED] or stop[START] < cut or stop[START] >= until:
                continue
            if day is not None and stop[DAY_NO] != day:
                continue
            moving = stop[VISIT]
            on = changes[moving][0] if moving in changes else plan.carers_on[moving]
            if to in on or to not in jobs[moving].cost:
                return None
            changes[moving] = (tuple(to if c == carer_id else c for c in on), plan.start_of[moving])
    if not changes:
        return None
    return plan.propose(changes)


def usual_carer_pass(
    plan: Plan,
    should_stop: Callable[[], bool],
    depth: int = 2,
    deadline: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """A last pass for continuity: every place a carer new to the customer holds is
    offered to each of the customer's regulars; a regular busy then gives up the visits
    in the way, each of which goes to one of *its* customer's regulars in turn (up to
    ``depth`` links), and the chain is kept when the plan's points do not rise. Returns
    the places given back to a regular."""
    regulars = plan.model.regulars
    jobs = plan.model.jobs
    gained = 0
    for job in sorted(jobs.values(), key=_order):
        if should_stop() or (deadline is not None and clock() > deadline):
            break
        visit_id = job.visit_id
        usual = regulars.get(job.customer_id, frozenset())
        for stranger in plan.carers_on[visit_id]:
            if stranger in usual:
                continue
            if _swap_to_regular(plan, job, stranger):
                gained += 1
                break
            before = plan.total
            saved = plan.solution()
            if _give_to_regular(plan, job, stranger, depth, set()):
                if plan.total <= before + 1e-9:
                    gained += 1
                    break
                _revert(plan, *saved)
    return gained


def _revert(plan: Plan, carers: dict[int, tuple[int, ...]], starts: dict[int, int]) -> None:
    """Put back the jobs changed since ``plan.solution()`` gave ``carers`` and ``starts``:
    one move over those jobs (a full re-read of the plan only if that were refused)."""
    changed = {
        v: (carers[v], starts[v])
        for v, on in plan.carers_on.items()
        if on != carers[v] or plan.start_of[v] != starts[v]
    }
    if not changed:
        return
    move = plan.propose(changed)
    if move is None:  # cannot happen: it was the plan a moment ago
        plan.restore(carers, starts)
        return
    plan.commit(move)


def _give_to_regular(plan: Plan, job: Job, out: int, depth: int, seen: set[int]) -> bool:
    """Put a regular of ``job``'s customer in ``out``'s place (committed), moving the
    regular's visits in the way on to their own regulars; False when none fits."""
    visit_id = job.visit_id
    start = plan.start_of[visit_id]
    current = plan.carers_on[visit_id]
    usual = plan.model.regulars.get(job.customer_id, frozenset())
    jobs = plan.model.jobs
    seen = seen | {visit_id}
    for carer_id in job.candidates:
        if carer_id not in usual or carer_id in current:
            continue
        new = tuple(carer_id if c == out else c for c in current)
        move = plan.propose({visit_id: (new, start)})
        if move is None and len(new) == 1 and not job.pinned and job.movable:
            when = retime(plan, carer_id, job, start)  # the regular, a little later or earlier
            if when is not None and plan.soft_at(job, carer_id, when) is not None:
                move = plan.propose({visit_id: (new, when)})
        if move is not None:
            plan.commit(move)
            return True
        if depth <= 0:
            continue
        end = start + job.minutes
        clash = [
            stop[VISIT]
            for stop in plan.stops[carer_id]
            if not stop[FIXED]
            and stop[DAY_NO] == plan.model.day_ordinal[visit_id]
            and stop[START] < end + CLASH_MARGIN
            and stop[START] + jobs[stop[VISIT]].minutes > start - CLASH_MARGIN
        ]
        if not clash or len(clash) > 3 or seen & set(clash):
            continue
        saved = plan.solution()
        freed = {}
        for v in clash:
            freed[v] = (tuple(c for c in plan.carers_on[v] if c != carer_id), plan.start_of[v])
        freed[visit_id] = (new, start)
        move = plan.propose(freed)
        if move is None:
            continue
        plan.commit(move)
        ok = True
        for v in clash:
            other = jobs[v]
            if not _refill_regular(plan, other, depth - 1, seen):
                ok = False
                break
        if ok:
            return True
        _revert(plan, *saved)
    return False


def _refill_regular(plan: Plan, job: Job, depth: int, seen: set[int]) -> bool:
    """Fill the empty place of ``job`` with one of its regulars (a chain of ``depth``)."""
    visit_id = job.visit_id
    usual = plan.model.regulars.get(job.customer_id, frozenset())
    start = plan.start_of[visit_id]
    for carer_id in job.candidates:
        if carer_id not in usual or carer_id in plan.carers_on[visit_id]:
            continue
        move = plan.propose({visit_id: ((*plan.carers_on[visit_id], carer_id), start)})
        if move is not None:
            plan.commit(move)
            return True
    if depth <= 0:
        return False
    # Nobody free: a stranger holding the place is no worse than before the chain began.
    return place(plan, job) is not None


def _swap_to_regular(plan: Plan, job: Job, stranger: int) -> bool:
    """The stranger and a regular of the customer exchange a stretch of the day from a
    little before this visit, kept (committed) when the plan's points do not rise."""
    usual = plan.model.regulars.get(job.customer_id, frozenset())
    start = plan.start_of[job.visit_id]
    best: Move | None = None
    for carer_id in job.candidates:
        if carer_id not in usual or carer_id in plan.carers_on[job.visit_id]:
            continue
        for back in (0, 60):
            for length in SEGMENTS:
                move = segment_swap(plan, stranger, carer_id, start - back, start + length, job)
                if (
                    move is not None
                    and move.delta <= 1e-9
                    and (best is None or move.delta < best.delta)
                ):
                    best = move
    if best is None:
        return False
    plan.commit(best)
    return True
