"""A plan being built: each carer's timeline, its cost, and moves tried and kept.

Why not ask the checker about every move: ``RotaState.what_if`` re-checks a carer's whole
week with every rule (about a millisecond on the large demo), and a search tries hundreds
of thousands of moves. So a carer's week is judged here in one pass over their timeline
(about 50 visits with the days either side), by the checker's own reading of the
regulations (``shifts.py``, ``rules/``):

- one place at a time: no overlap, and the gap before a visit holds the travel to it
  (the checker's travel table, the carer's transport mode);
- shifts are visits joined by gaps shorter than the daily rest; a shift spanning more than
  24 hours less the daily rest leaves too little rest in the 24 hours from its start
  (reg 10: for a shift of a day or less this is exactly the checker's test); a shift with
  more than 6 hours' work (4.5 under 18) has a 20-minute free stretch (30) (reg 12); an
  under-18's shift is 8 hours at most (reg 5A);
- the week's working time (travel between visits counted) within the 48-hour average or
  the young worker's 40 hours (reg 4, 5A), and 24 hours' uninterrupted rest in the week
  (48 under 18; reg 11: the fortnight alternative is not relied on).

Anything the checker would still object to (night work, the fortnight alternative, a rule
added later) is caught when the finished plan is run through the checker (``verify``).

A problem already in what the solver may not change (visits started, assignments kept)
is not the solver's: a rule is only enforced where the timeline holds a visit the solver
placed, so a kept clash never blocks the rest of the week.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coordinator_tui.services.rota.solver.model import REPLAN, Job, Model, Stop, visit_at

START, END, CUSTOMER, VISIT, FIXED, DAY_NO, IN_WEEK = range(7)


@dataclass(frozen=True, slots=True)
class CarerParts:
    """A carer's week, as the objective counts it."""

    work: int  # working minutes this week, travel between visits counted
    travel: int  # minutes of travel between visits of a day
    home: int  # minutes from home to each day's first visit and back from the last
    new_customers: int  # customers this carer is not a regular of
    over: int  # minutes over the contract
    under: int  # minutes under the contract (less absence)
    soft: int  # 1 when the weekly rest takes in a daily rest (reg 11(7))


@dataclass(frozen=True, slots=True)
class Region:
    """A reading of some whole shifts of a carer's timeline."""

    work: int
    travel: int
    home: int
    spans: list[tuple[int, int, int]]  # each shift: (start, end, day ordinal it starts)
    strangers: dict[int, int]  # customer not a regular's -> visits this week
    solver: int  # visits the solver placed, this week


@dataclass(frozen=True, slots=True)
class Summary:
    """A carer's week as kept between moves: what the week-level rules read."""

    work: int
    travel: int
    home: int
    spans: list[tuple[int, int, int]]
    strangers: dict[int, int]
    new_customers: int
    solver: int


@dataclass(frozen=True, slots=True)
class JobParts:
    """One visit's carers, as the objective counts them."""

    short: int  # carer places left empty
    strangers: int  # carers who are not regulars of the customer
    static: float  # the static points of the carers on it (continuity, gender, soft rules)
    preferred_missed: bool  # the customer has preferred carers and none is on it
    changed: int  # carer places changed from the rota before (and a moved time)


@dataclass(slots=True)
class Move:
    """A change tried on the plan: the new carers (and start) of some jobs, the carers'
    new timelines, and what it does to the objective."""

    jobs: dict[int, tuple[tuple[int, ...], int]]  # job -> (solver's carers, start)
    stops: dict[int, list[Stop]]
    carer_costs: dict[int, tuple[float, int, Summary]]  # carer -> (points, work, week)
    job_costs: dict[int, float]
    delta: float


def _day(stop: Stop) -> int:
    return stop[DAY_NO]


def _max_rest(spans, start: int, end: int) -> int:
    """The longest rest between ``spans`` (sorted) inside ``start``..``end``."""
    best = 0
    cursor = start
    for low, high, *_ in spans:
        if high <= cursor:
            continue
        if low >= end:
            break
        if low > cursor and low - cursor > best:
            best = low - cursor
        cursor = high
    if end > cursor and end - cursor > best:
        best = end - cursor
    return best


class Plan:
    """The solver's carers on each job, with every carer's timeline and cost kept."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.weights = model.weights
        self.table = model.snap.travel_table
        self.carers_on: dict[int, tuple[int, ...]] = {v: () for v in model.jobs}
        self.start_of: dict[int, int] = {v: job.start for v, job in model.jobs.items()}
        self.stops: dict[int, list[Stop]] = {c: list(model.fixed.get(c, ())) for c in model.carers}
        self.previous_spans = {
            c: sorted(spans)
            for c, spans in (getattr(model.snap, "previous_spans", None) or {}).items()
        }
        self.carer_cost: dict[int, float] = {}
        self.carer_work: dict[int, int] = {}
        self.weeks: dict[int, Summary] = {}
        self._regions: dict[int, dict[tuple[int, int], Region]] = {}
        self._legs: dict[str, dict[tuple[int, int], int]] = {}
        self._homes: dict[int, dict[int, int]] = {}
        self._read_all()
        self.job_cost: dict[int, float] = {
            v: self.cost_of_job(job, (), job.start) for v, job in model.jobs.items()
        }
        self.total = sum(self.carer_cost.values()) + sum(self.job_cost.values())
        self._soft_at: dict[tuple[int, int, int], float | None] = {}

    def _read_all(self) -> None:
        """Every carer's week read in full (at the start, and after :meth:`restore`)."""
        self._regions.clear()
        for carer_id, stops in self.stops.items():
            region = self.read(carer_id, stops)
            if region is None:  # only kept visits, whose problems are not the solver's
                region = Region(0, 0, 0, [], {}, 0)
            week = self.weeks[carer_id] = self.summary(region)
            parts = self.finish(carer_id, week)
            self.carer_cost[carer_id] = self.points(parts) if parts is not None else 0.0
            self.carer_work[carer_id] = week.work

    # -- the objective --------------------------------------------------------------------

    def evaluate(self, carer_id: int, stops: list[Stop]) -> tuple[float, int] | None:
        """(points, working minutes) of the carer's week, or None when it breaks a rule."""
        parts = self.carer_parts(carer_id, stops)
        if parts is None:
            return None
        return self.points(parts), parts.work

    def points(self, parts: CarerParts) -> float:
        w = self.weights
        return (
            w.travel * parts.travel
            + w.home_travel * parts.home
            + w.new_pair * parts.new_customers
            + w.over_contract * parts.over
            + w.under_contract * parts.under
            + w.weekly_rest * parts.soft
        )

    def carer_parts(self, carer_id: int, stops: list[Stop]) -> CarerParts | None:
        """The carer's whole week read in one pass (see the module's docstring), or None."""
        region = self.read(carer_id, stops)
        if region is None:
            return None
        return self.finish(carer_id, self.summary(region))

    def summary(self, region: Region) -> Summary:
        """A week's summary from a reading of all of it."""
        return Summary(
            region.work,
            region.travel,
            region.home,
            sorted(region.spans),
            dict(region.strangers),
            sum(1 for count in region.strangers.values() if count > 0),
            region.solver,
        )

    def read(self, carer_id: int, stops: list[Stop]) -> Region | None:
        """One pass over ``stops`` (a whole week, or whole days bounded by daily rests):
        the shift rules (None when one is broken) and the figures the week adds up."""
        model = self.model
        info = model.carers[carer_id]
        limits = info.limits
        rest = limits.daily_rest
        max_span = info.max_span
        break_after, break_length = limits.break_after, limits.break_length
        daily_max = limits.daily_max
        minutes = self.table.minutes
        mode = info.mode
        regular = info.regular
        legs = self._legs.get(mode)
        if legs is None:
            legs = self._legs[mode] = {}
        homes = self._homes.get(carer_id)
        if homes is None:
            homes = self._homes[carer_id] = {}
        home_leg = model.home_leg
        travel = work = home = solver = 0
        spans: list[tuple[int, int, int]] = []
        strangers: dict[int, int] = {}
        first = True
        shift_start = shift_end = shift_work = shift_free = shift_day = 0
        shift_new = False
        prev_end = prev_customer = prev_day = 0
        prev_fixed = prev_week = True
        for start, end, customer, _visit, fixed, day, in_week in stops:
            if not fixed and in_week:
                solver += 1
            if first or start - prev_end >= rest:
                if not first:
                    if shift_new and (
                        shift_end - shift_start > max_span
                        or (shift_work > break_after and shift_free < break_length)
                        or (daily_max is not None and shift_work > daily_max)
                    ):
                        return None
                    spans.append((shift_start, shift_end, shift_day))
                shift_start, shift_end, shift_day = start, end, day
                shift_work, shift_free, shift_new = end - start, 0, not fixed
                if in_week:
                    work += end - start
            else:
                gap = start - prev_end
                if gap < 0:  # overlapping: only ever between two kept visits
                    if not (fixed and prev_fixed):
                        return None
                    if end > prev_end:
                        shift_work += end - prev_end
                        if in_week:
                            work += end - prev_end
                        prev_end, prev_customer = end, customer
                        shift_end = end
                    continue
                if prev_customer == customer:
                    need = 0
                else:
                    need = legs.get((prev_customer, customer))
                    if need is None:
                        need = legs[(prev_customer, customer)] = minutes(
                            prev_customer, customer, mode
                        )
                if gap < need:
                    if not (fixed and prev_fixed):
                        return None
                    need = gap
                free = gap - need
                if free > shift_free:
                    shift_free = free
                shift_work += need + end - start
                if not fixed:
                    shift_new = True
                if in_week:
                    work += end - start
                    if prev_week:
                        work += need
                        if day == prev_day:
                            travel += need
                shift_end = end
            if in_week:
                if customer not in regular:
                    strangers[customer] = strangers.get(customer, 0) + 1
                if first or day != prev_day or not prev_week:
                    leg = homes.get(customer)
                    if leg is None:
                        leg = homes[customer] = home_leg(carer_id, customer)
                    home += leg
                    if not first and prev_week:
                        leg = homes.get(prev_customer)
                        if leg is None:
                            leg = homes[prev_customer] = home_leg(carer_id, prev_customer)
                        home += leg
            first = False
            prev_end, prev_customer, prev_day = end, customer, day
            prev_fixed, prev_week = fixed, in_week
        if not first:
            if shift_new and (
                shift_end - shift_start > max_span
                or (shift_work > break_after and shift_free < break_length)
                or (daily_max is not None and shift_work > daily_max)
            ):
                return None
            spans.append((shift_start, shift_end, shift_day))
            if prev_week:
                leg = homes.get(prev_customer)
                if leg is None:
                    leg = homes[prev_customer] = home_leg(carer_id, prev_customer)
                home += leg
        return Region(work, travel, home, spans, strangers, solver)

    def finish(self, carer_id: int, week: Summary) -> CarerParts | None:
        """The week-level rules and figures: weekly rest (reg 11), the weekly limits
        (reg 4, 5A), hours against contract."""
        model = self.model
        info = model.carers[carer_id]
        limits = info.limits
        work = week.work
        soft = 0
        if work:
            spans = week.spans
            earlier = self.previous_spans.get(carer_id)
            if earlier:
                spans = sorted([*earlier, *spans])
            longest = _max_rest(spans, model.week_start, model.week_end)
            if longest < limits.weekly_rest:
                if week.solver:
                    return None
            elif (
                limits.weekly_rest_excludes_daily
                and longest < limits.weekly_rest + limits.daily_rest
            ):
                soft = 1
        if week.solver and info.week_cap is not None and work > info.week_cap:
            return None
        over = max(work - info.contract, 0) if info.contract else 0
        under = max(info.due - work, 0) if info.due else 0
        return CarerParts(work, week.travel, week.home, week.new_customers, over, under, soft)

    def change(
        self, carer_id: int, stops: list[Stop], days: set[int]
    ) -> tuple[float, int, Summary] | None:
        """The carer's week with ``stops`` for timeline, which differs from the current one
        on ``days`` (ordinals) only: the days touched are read again, widened to whole
        shifts, and the rest of the week is taken from the summary kept."""
        old = self.stops[carer_id]
        week = self.weeks[carer_id]
        rest = self.model.carers[carer_id].limits.daily_rest
        low, high = min(days), max(days)
        while True:
            wider = False
            for timeline in (old, stops):
                i0 = bisect_left(timeline, low, key=_day)
                i1 = bisect_right(timeline, high, key=_day)
                if 0 < i0 < len(timeline) and timeline[i0][START] - timeline[i0 - 1][END] < rest:
                    low = timeline[i0 - 1][DAY_NO]
                    wider = True
                if i0 < i1 < len(timeline) and timeline[i1][START] - timeline[i1 - 1][END] < rest:
                    high = timeline[i1][DAY_NO]
                    wider = True
            if not wider:
                break
        cache = self._regions.setdefault(carer_id, {})
        before = cache.get((low, high))
        if before is None:
            before = self.read(
                carer_id, old[bisect_left(old, low, key=_day) : bisect_right(old, high, key=_day)]
            )
            if before is None:  # cannot happen: the timeline kept was read as valid
                return None
            cache[(low, high)] = before
        after = self.read(
            carer_id,
            stops[bisect_left(stops, low, key=_day) : bisect_right(stops, high, key=_day)],
        )
        if after is None:
            return None
        strangers = week.strangers
        count = week.new_customers
        touched = set(before.strangers) | set(after.strangers)
        if touched:
            strangers = dict(strangers)
            for customer in touched:
                was = strangers.get(customer, 0)
                now = was - before.strangers.get(customer, 0) + after.strangers.get(customer, 0)
                strangers[customer] = now
                count += (now > 0) - (was > 0)
        spans = week.spans
        if before.spans or after.spans:
            spans = sorted([s for s in spans if not low <= s[2] <= high] + after.spans)
        summary = Summary(
            week.work - before.work + after.work,
            week.travel - before.travel + after.travel,
            week.home - before.home + after.home,
            spans,
            strangers,
            count,
            week.solver - before.solver + after.solver,
        )
        parts = self.finish(carer_id, summary)
        if parts is None:
            return None
        return self.points(parts), parts.work, summary

    def soft_at(self, job: Job, carer_id: int, start: int) -> float | None:
        """The static points of ``carer_id`` on ``job`` starting at ``start`` (None: the
        checker's visit rules rule them out at that time)."""
        if start == job.start:
            return job.cost.get(carer_id)
        key = (job.visit_id, carer_id, start)
        if key not in self._soft_at:
            from coordinator_tui.services.rota.solver.model import PairCheck

            check = getattr(self, "_pair_check", None)
            if check is None:
                check = self._pair_check = PairCheck(self.model.snap, self.weights)
            visit = visit_at(self.model.snap.visits[job.visit_id], start)
            hard, soft = check(self.model.snap.carers[carer_id], visit)
            if hard:
                self._soft_at[key] = None
            else:
                regular = self.model.regulars.get(job.customer_id, frozenset())
                if carer_id not in regular:
                    soft += self.weights.continuity
                elif job.last_week and carer_id not in job.last_week:
                    soft += self.weights.other_call
                self._soft_at[key] = soft
        return self._soft_at[key]

    def job_parts(self, job: Job, carers: tuple[int, ...], start: int) -> JobParts:
        everyone = set(job.pinned) | set(carers)
        regular = self.model.regulars.get(job.customer_id, frozenset())
        static = 0.0
        for carer_id in carers:
            points = self.soft_at(job, carer_id, start)
            static += points if points is not None else self.weights.unstaffed
        customer = self.model.snap.customers.get(job.customer_id)
        missed = bool(
            customer is not None
            and customer.preferred
            and everyone
            and not everyone & customer.preferred
        )
        changed = 0
        if self.model.scope.mode != REPLAN:
            changed = len(set(job.original) - everyone)
            if start != job.start and job.original:
                changed += 1
        return JobParts(
            job.need - len(carers),
            sum(1 for c in carers if c not in regular),
            static,
            missed,
            changed,
        )

    def cost_of_job(self, job: Job, carers: tuple[int, ...], start: int) -> float:
        parts = self.job_parts(job, carers, start)
        w = self.weights
        return (
            w.unstaffed * parts.short
            + parts.static
            + (w.preferred_carer if parts.preferred_missed else 0.0)
            + w.change * parts.changed
        )

    # -- moves ------------------------------------------------------------------------------

    def stop_for(self, job: Job, start: int) -> Stop:
        return (
            start,
            start + job.minutes,
            job.customer_id,
            job.visit_id,
            False,
            self.model.day_ordinal[job.visit_id],
            True,
        )

    def fits(self, carer_id: int, job: Job, start: int) -> bool:
        """A quick look: the carer is free from the end of the visit before (with the
        travel) to the start of the one after. Not the whole test (``propose`` is)."""
        stops = self.stops[carer_id]
        end = start + job.minutes
        lo, hi = 0, len(stops)
        while lo < hi:
            mid = (lo + hi) // 2
            if stops[mid][START] < start:
                lo = mid + 1
            else:
                hi = mid
        mode = self.model.carers[carer_id].mode
        minutes = self.table.minutes
        customer = job.customer_id
        if lo > 0:
            before = stops[lo - 1]
            need = minutes(before[CUSTOMER], customer, mode) if before[CUSTOMER] != customer else 0
            if before[END] + need > start:
                return False
        if lo < len(stops):
            after = stops[lo]
            need = minutes(customer, after[CUSTOMER], mode) if after[CUSTOMER] != customer else 0
            if end + need > after[START]:
                return False
        return True

    def propose(self, changes: Mapping[int, tuple[tuple[int, ...], int]]) -> Move | None:
        """The move giving each job of ``changes`` its (solver's carers, start), or None
        when a carer's week would break a rule or a carer may not take the job."""
        jobs = self.model.jobs
        touched: dict[int, set[int]] = {}  # carer -> jobs leaving their timeline
        arriving: dict[int, list[Stop]] = {}
        days: dict[int, set[int]] = {}  # carer -> days (ordinals) their timeline changes
        day_of = self.model.day_ordinal
        for visit_id, (carers, start) in changes.items():
            job = jobs[visit_id]
            old = self.carers_on[visit_id]
            old_start = self.start_of[visit_id]
            day = day_of[visit_id]
            for carer_id in old:
                if carer_id not in carers or start != old_start:
                    touched.setdefault(carer_id, set()).add(visit_id)
                    days.setdefault(carer_id, set()).add(day)
            for carer_id in carers:
                if carer_id not in old or start != old_start:
                    if start == job.start and carer_id not in job.cost:
                        return None
                    arriving.setdefault(carer_id, []).append(self.stop_for(job, start))
                    touched.setdefault(carer_id, set())
                    days.setdefault(carer_id, set()).add(day)
        new_stops: dict[int, list[Stop]] = {}
        carer_costs: dict[int, tuple[float, int, Summary]] = {}
        delta = 0.0
        for carer_id, leaving in touched.items():
            stops = self.stops[carer_id]
            if leaving:
                stops = [s for s in stops if s[FIXED] or s[VISIT] not in leaving]
            else:
                stops = list(stops)
            for stop in arriving.get(carer_id, ()):
                insort(stops, stop)
            found = self.change(carer_id, stops, days[carer_id])
            if found is None:
                return None
            new_stops[carer_id] = stops
            carer_costs[carer_id] = found
            delta += found[0] - self.carer_cost[carer_id]
        job_costs: dict[int, float] = {}
        for visit_id, (carers, start) in changes.items():
            cost = self.cost_of_job(jobs[visit_id], carers, start)
            job_costs[visit_id] = cost
            delta += cost - self.job_cost[visit_id]
        return Move(dict(changes), new_stops, carer_costs, job_costs, delta)

    def commit(self, move: Move) -> None:
        for visit_id, (carers, start) in move.jobs.items():
            self.carers_on[visit_id] = carers
            self.start_of[visit_id] = start
        for carer_id, stops in move.stops.items():
            self.stops[carer_id] = stops
            cost, work, week = move.carer_costs[carer_id]
            self.carer_cost[carer_id] = cost
            self.carer_work[carer_id] = work
            self.weeks[carer_id] = week
            self._regions.pop(carer_id, None)
        self.job_cost.update(move.job_costs)
        self.total += move.delta

    # -- reading ----------------------------------------------------------------------------

    def short(self) -> int:
        """Carer places still empty."""
        jobs = self.model.jobs
        return sum(jobs[v].need - len(c) for v, c in self.carers_on.items())

    def solution(self) -> tuple[dict[int, tuple[int, ...]], dict[int, int]]:
        """(job -> solver's carers, job -> start): what to keep as the best so far."""
        return dict(self.carers_on), dict(self.start_of)

    def restore(self, carers: Mapping[int, tuple[int, ...]], starts: Mapping[int, int]) -> None:
        """Put the plan back to a solution kept with :meth:`solution`."""
        model = self.model
        self.carers_on = dict(carers)
        self.start_of = dict(starts)
        stops: dict[int, list[Stop]] = {c: list(model.fixed.get(c, ())) for c in model.carers}
        for visit_id, on in self.carers_on.items():
            job = model.jobs[visit_id]
            for carer_id in on:
                stops[carer_id].append(self.stop_for(job, self.start_of[visit_id]))
        for timeline in stops.values():
            timeline.sort()
        self.stops = stops
        self._read_all()
        self.job_cost = {
            v: self.cost_of_job(job, self.carers_on[v], self.start_of[v])
            for v, job in model.jobs.items()
        }
        self.total = sum(self.carer_cost.values()) + sum(self.job_cost.values())

    def jobs_of(self, carer_id: int, day: int | None = None) -> Iterable[int]:
        """The solver's jobs on the carer's timeline (on day ordinal ``day``)."""
        for stop in self.stops[carer_id]:
            if not stop[FIXED] and (day is None or stop[DAY_NO] == day):
                yield stop[VISIT]
