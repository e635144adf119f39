"""The problem the solver works on, built from the checker's own week snapshot.

Everything here is read from a :class:`WeekSnapshot` (``snapshot.load_week``) and decided
with the checker's own code, so the solver and the checker cannot disagree about what a
carer may do:

- who may take a visit at all: the checker's ``visit`` rules (absence, availability, an
  inactive carer, skills and their expiry, a customer's exclusion) run for every carer and
  visit; a hard problem rules the pair out, a soft one (preferred gender, a young worker
  at night) becomes a cost;
- what is fixed: the visits either side of the week, visits already started (``now``),
  and, in ``fill``, every assignment the checker finds nothing wrong with;
- the regular carers of a customer as the continuity measure counts them (preferred, or
  seen in the 16 weeks before: ``measures.regular_carers``);
- the working-time limits by the checker's figures (``wtr.ADULT``/``YOUNG``, the 48-hour
  average over the weeks on record, leave left out).

What happens over a carer's week (travel, daily and weekly rest, breaks, weekly hours) is
judged by ``plan.Plan`` as the solver goes, and the finished plan is run through the
checker itself (``verify``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from coordinator_tui.models import VisitStatus
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.measures import due_minutes
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.rules.base import (
    sifted,
    to_ask,
    visit_rules_for,
    visit_rules_of,
)
from coordinator_tui.services.rota.snapshot import SCarer, SVisit, WeekSnapshot
from coordinator_tui.services.rota.solver.weights import DEFAULT_WEIGHTS, Weights
from coordinator_tui.services.rota.travel import travel_minutes
from coordinator_tui.services.rota.validate import RotaState
from coordinator_tui.services.rota.wtr import ADULT, DAY, YOUNG, WtrLimits

FILL = "fill"  # staff the empty places; keep every assignment nothing is wrong with
REPAIR = "repair"  # re-plan the days with problems (an absence), as few changes as possible
REPLAN = "replan"  # plan the whole week (or day) afresh: Build
MODES = (FILL, REPAIR, REPLAN)

# A stop on a carer's timeline: (start, end, customer, visit, fixed, day ordinal, in week).
Stop = tuple[int, int, int, int, bool, int, bool]


@dataclass(frozen=True)
class Scope:
    """What the solver may change."""

    mode: str = FILL
    day: date | None = None  # only this day's visits (None: the whole week)
    days: frozenset[date] | None = None  # repair: the days to re-plan (None: those with problems)
    now: int | None = None  # epoch minutes: a visit starting before this is left as it is
    move_times: bool = True  # a visit may move within its template's window
    visits: frozenset[int] | None = None  # only these visits may change (None: any)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")


@dataclass(frozen=True, slots=True)
class Job:
    """A visit with carer places for the solver to fill."""

    visit_id: int
    customer_id: int
    day: date
    start: int  # planned start, epoch minutes
    minutes: int
    earliest: int  # the start may move from ``earliest`` to ``latest`` (template window;
    # in Build ``start`` may lie outside it, and stays allowed: ``allows``)
    latest: int
    required: int
    pinned: tuple[int, ...]  # carers kept on it
    original: tuple[int, ...]  # every carer on it before the solver ran
    candidates: tuple[int, ...]  # carers who may take it, cheapest first
    cost: Mapping[int, float]  # carer -> the static part of the cost of them on it
    excluded: Mapping[int, str]  # carer -> why not (the checker's first hard problem title)
    last_week: tuple[int, ...] = ()  # the carers of this call the week before

    @property
    def need(self) -> int:
        return max(self.required - len(self.pinned), 0)

    @property
    def outside_window(self) -> bool:
        """Recorded at a start outside its template's window (only Build gives such a job
        a window: see ``build_model``)."""
        return not self.earliest <= self.start <= self.latest

    @property
    def movable(self) -> bool:
        """Another start is allowed: the window has room, or the visit was recorded
        outside it (Build may put it back in)."""
        return self.earliest < self.latest or self.outside_window

    def allows(self, start: int) -> bool:
        """A start the job may take: one in its window, or the start it was recorded at."""
        return self.earliest <= start <= self.latest or start == self.start

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass(frozen=True, slots=True)
class CarerInfo:
    """What the solver needs of a carer, the limits worked out once."""

    id: int
    mode: str
    limits: WtrLimits
    max_span: int  # a shift longer than this leaves no daily rest (reg 10)
    week_cap: int | None  # most working minutes this week (reg 4 average, reg 5A)
    contract: int
    due: int  # the contract less days of absence
    home: tuple[float, float] | None
    regular: frozenset[int]  # customers this carer is a regular of
    week_blocked: bool = False  # already over a weekly limit with what is fixed


@dataclass
class Model:
    """Everything one solve needs, read once."""

    snap: WeekSnapshot
    scope: Scope
    weights: Weights
    jobs: dict[int, Job]
    carers: dict[int, CarerInfo]
    fixed: dict[int, list[Stop]]  # carer -> stops the solver may not change, by start
    before: dict[int, tuple[int, ...]]  # every visit of the week -> its carers before
    freed: dict[int, tuple[int, ...]]  # visit -> carers taken off it (broke a hard rule)
    regulars: dict[int, frozenset[int]]  # customer -> regular carers
    day_ordinal: dict[int, int] = field(default_factory=dict)  # visit -> day ordinal
    _home: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def week_start(self) -> int:
        return self.snap.week_start

    @property
    def week_end(self) -> int:
        return self.snap.week_end

    def leg(self, a: int, b: int, mode: str) -> int:
        return self.snap.travel_table.minutes(a, b, mode)

    def home_leg(self, carer_id: int, customer_id: int) -> int:
        """Minutes from the carer's home to the customer (0 where either is not placed)."""
        key = (carer_id, customer_id)
        found = self._home.get(key)
        if found is None:
            info = self.carers.get(carer_id)
            customer = self.snap.customers.get(customer_id)
            if info is None or info.home is None or customer is None or not customer.lat:
                found = 0
            else:
                found = travel_minutes(
                    info.home[0],
                    info.home[1],
                    customer.lat,
                    customer.lon,
                    info.mode,
                    self.snap.travel,
                )
            self._home[key] = found
        return found


def is_started(visit: SVisit, now: int | None) -> bool:
    """A visit done, missed, or starting before ``now``: a record, not a plan."""
    if visit.status in (VisitStatus.DONE, VisitStatus.MISSED):
        return True
    return now is not None and visit.start < now


def regular_carers(snap: WeekSnapshot) -> dict[int, frozenset[int]]:
    """Customer -> carers who count as regulars (preferred, or seen in the 16 weeks
    before), as the continuity measure and the ``new to customer`` rule count them."""
    found: dict[int, set[int]] = defaultdict(set)
    for customer in snap.customers.values():
        found[customer.id].update(customer.preferred)
    for carer_id, customer_id in snap.known_pairs:
        found[customer_id].add(carer_id)
    return {customer: frozenset(carers) for customer, carers in found.items()}


def week_cap(carer: SCarer, snap: WeekSnapshot, limits: WtrLimits) -> int | None:
    """The most working minutes this week that keeps within reg 5A (under 18: 40 hours)
    or reg 4 (the 17-week average of 48 hours, read as ``rules.weekly.average_48h`` does:
    the weeks on record, days of leave left out); None when neither applies (opted out)."""
    if limits.weekly_max is not None:
        return limits.weekly_max
    if limits.average_weekly_max is None or carer.wtr_opt_out:
        return None
    history = snap.history.get(carer.id, ())
    weeks, earlier = 1, 0
    for back, minutes in enumerate(history[: limits.reference_weeks - 1], start=1):
        if minutes is not None:
            weeks = back + 1
            earlier += minutes
    leave = sum(snap.leave_days.get(carer.id, ())[:weeks])
    days = 7 * weeks - leave
    if days <= 0:
        return None
    return max(limits.average_weekly_max * days // 7 - earlier, 0)


def broken_pairs(problems: list[Problem], snap: WeekSnapshot) -> dict[int, set[int]]:
    """Visit -> carers to take off it so the hard problems go: the carer on the visit a
    problem names (the later visit of a clash or a tight journey); for a problem of the
    carer's week as a whole (weekly rest, hours), every visit of theirs it could be."""
    found: dict[int, set[int]] = defaultdict(set)
    for problem in problems:
        if not problem.is_hard or problem.code == P.UNSTAFFED:
            continue
        if problem.code == P.DOUBLE_UP_SAME_CARER:
            for visit_id in problem.visit_ids:
                found[visit_id].add(problem.carer_id)
            continue
        if problem.carer_id is None:
            continue
        ids = [v for v in problem.visit_ids if v in snap.visits]
        if ids:
            target = ids[-1] if problem.code in (P.OVERLAP, P.TRAVEL_TIME) else None
            for visit_id in [target] if target is not None else ids:
                found[visit_id].add(problem.carer_id)
        else:  # a week-level problem: the carer's visits are all in question
            for visit_id, carers in snap.assignments.items():
                if problem.carer_id in carers:
                    found[visit_id].add(problem.carer_id)
    return found


def visit_at(visit: SVisit, start: int) -> SVisit:
    """The visit moved to ``start`` (same day and length)."""
    return replace(
        visit,
        start=start,
        end=start + visit.minutes,
        local_start=visit.local_start + start - visit.start,
    )


CLEAN: tuple[str | None, float] = (None, 0.0)  # a pair no visit rule finds anything on
_NOTHING: dict[int, tuple[str | None, float]] = {}


def _priced(
    problems: Iterable[Problem], weights: Weights, hard: str | None, soft: float
) -> tuple[str | None, float]:
    """``(hard, soft)`` after ``problems``: the first hard problem's title kept, each soft
    one not accepted priced (a carer of the gender not preferred at ``weights.gender``).
    One place for ``PairCheck``'s single calls and its bulk table, which must agree."""
    for problem in problems:
        if problem.is_hard:
            hard = hard or problem.title
        elif not problem.accepted:
            soft += weights.gender if problem.code == P.PREFERRED_GENDER else weights.soft_rule
    return hard, soft


class PairCheck:
    """The checker's ``visit`` rules for one carer on one visit: hard problems rule the
    pair out, soft ones are priced. Memoised per (carer, visit, start).

    ``table`` answers for many carers and visits at once as the full check does (each
    rule's ``sift`` in bulk, the rule asked only where it may fire: issue 23, the
    ten-times repair asked 1.5 million pairs one by one); its table is kept as the memo
    of those pairs, so a later call for one gives the same answer without the rules."""

    def __init__(self, snap: WeekSnapshot, weights: Weights) -> None:
        self.snap = snap
        self.weights = weights
        self.ctx = RotaState(snap, {})
        self._checks: dict[int, tuple] = {}  # carer -> the visit rules that apply to them
        self._memo: dict[tuple[int, int, int], tuple[str | None, float]] = {}
        # What ``table`` has answered: (visit -> the start it was asked at, the table, the
        # carers asked); a pair covered there and not in the table is ``CLEAN``.
        self._covered: list[
            tuple[dict[int, int], dict[int, dict[int, tuple[str | None, float]]], set[int]]
        ] = []

    def __call__(self, carer: SCarer, visit: SVisit) -> tuple[str | None, float]:
        """(the title of the first hard problem or None, the soft problems' points)."""
        key = (carer.id, visit.id, visit.start)
        found = self._memo.get(key)
        if found is not None:
            return found
        for starts, table, carers in self._covered:
            if carer.id in carers and starts.get(visit.id) == visit.start:
                return table.get(carer.id, _NOTHING).get(visit.id, CLEAN)
        customer = self.snap.customers.get(visit.customer_id)
        hard: str | None = None
        soft = 0.0
        checks = self._checks.get(carer.id)
        if checks is None:  # as the checker does: a rule whose ``applies`` says no is not run
            checks = self._checks[carer.id] = visit_rules_for(carer, self.ctx)
        for check in checks:
            hard, soft = _priced(check(carer, visit, customer, self.ctx), self.weights, hard, soft)
            if hard:
                break
        found = self._memo[key] = (hard, soft)
        return found

    def table(
        self, carers: Sequence[SCarer], visits: Sequence[SVisit]
    ) -> dict[int, dict[int, tuple[str | None, float]]]:
        """Carer -> visit -> what ``__call__`` gives, for every pair of ``carers`` and
        ``visits`` a rule finds anything on (a pair left out is ``CLEAN``).

        As ``validate._check_all``, through the same loop (``rules.base.to_ask``): per
        carer, rule by rule in ``__call__``'s order, the rule's ``sift`` once over the
        visits by day (each sift reads only the carer, the visits it is given and the week,
        never what the carer is on, so it holds for a visit they are not on), then the rule
        only on the visits kept, but for those its ``needs_skills`` and ``for_customer``
        pass over, and those a rule before it has ruled out (``__call__`` stops there)."""
        ctx, weights = self.ctx, self.weights
        days: dict[date, list[SVisit]] = defaultdict(list)
        for visit in visits:
            days[visit.day].append(visit)
        everything = list(visits)
        table: dict[int, dict[int, tuple[str | None, float]]] = {}
        for carer in carers:
            found: dict[int, tuple[str | None, float]] = {}
            for rule in visit_rules_of(carer, ctx):
                if rule.exact is not None:  # the sift's word is the rule's: no call
                    kept = sifted(rule, carer, days, ctx, everything)
                    title = P.TITLES.get(rule.exact, rule.exact)
                    if not found:  # the first rule to find anything (most often)
                        found = dict.fromkeys((v.id for v in kept), (title, 0.0))
                        continue
                    for visit in kept:
                        hard, soft = found.get(visit.id, CLEAN)
                        if not hard:
                            found[visit.id] = (title, soft)
                    continue
                check = rule.check
                for visit, customer in to_ask(rule, carer, days, ctx, everything, found):
                    problems = check(carer, visit, customer, ctx)
                    if not problems:
                        continue
                    hard, soft = found.get(visit.id, CLEAN)  # no hard problem yet
                    found[visit.id] = _priced(problems, weights, hard, soft)
            if found:
                table[carer.id] = found
        # The memo of these pairs, for ``__call__``: kept as the table itself (filling
        # ``_memo`` pair by pair cost a second at ten times).
        self._covered.append(({v.id: v.start for v in everything}, table, {c.id for c in carers}))
        return table

    def table_per_pair(
        self, carers: Sequence[SCarer], visits: Sequence[SVisit]
    ) -> dict[int, dict[int, tuple[str | None, float]]]:
        """``table`` asked pair by pair (``__call__``): the reference it is tested
        against, and what it replaced."""
        table: dict[int, dict[int, tuple[str | None, float]]] = {}
        for carer in carers:
            found = {}
            for visit in visits:
                result = self(carer, visit)
                if result != CLEAN:
                    found[visit.id] = result
            if found:
                table[carer.id] = found
        return table


def build_model(
    snap: WeekSnapshot,
    scope: Scope = Scope(),
    weights: Weights = DEFAULT_WEIGHTS,
    windows: Mapping[int, tuple[int, int]] | None = None,
    pair_check: PairCheck | None = None,
    last_week: Mapping[int, tuple[int, ...]] | None = None,
    state: RotaState | None = None,
) -> Model:
    """The model of ``snap`` for ``scope``. ``windows`` gives, per visit, the earliest and
    latest start its template allows (epoch minutes); a visit without one keeps its time.
    ``last_week`` gives, per visit, the carers of the same call (template and weekday) the
    week before: the customer's regulars for this very call, preferred over their other
    regulars (``Weights.other_call``). ``state``: the checker's state of ``snap`` when the
    caller has it already (the week is not validated a second time)."""
    windows = windows or {}
    last_week = last_week or {}
    regulars = regular_carers(snap)
    check = pair_check or PairCheck(snap, weights)
    now = scope.now
    before = {v: tuple(snap.assignments.get(v, ())) for v in snap.visits}

    def in_scope(visit: SVisit) -> bool:
        return (
            (scope.day is None or visit.day == scope.day)
            and (scope.visits is None or visit.id in scope.visits)
            and not is_started(visit, now)
        )

    freed: dict[int, tuple[int, ...]] = {}
    pinned: dict[int, tuple[int, ...]] = {}
    free_visits: list[int] = []
    broken: dict[int, set[int]] = {}
    if scope.mode != REPLAN:
        broken = broken_pairs((state or RotaState(snap)).problems(), snap)
    repair_days: set[date] = set()
    if scope.mode == REPAIR:
        if scope.days is not None:
            repair_days = set(scope.days)
        else:
            repair_days = {snap.visits[v].day for v in broken} | {
                v.day for v in snap.visits.values() if len(set(before[v.id])) < v.carers_required
            }
    for visit_id, visit in snap.visits.items():
        if not in_scope(visit):
            continue
        current = before[visit_id]
        if scope.mode == REPLAN or visit.day in repair_days:
            keep: tuple[int, ...] = ()
        else:
            bad = broken.get(visit_id, set())
            keep = tuple(dict.fromkeys(c for c in current if c not in bad))
            if len(keep) < len(current):
                freed[visit_id] = tuple(c for c in current if c not in keep)
        keep = keep[: visit.carers_required]
        if len(keep) < visit.carers_required:
            pinned[visit_id] = keep
            free_visits.append(visit_id)
    monday = snap.monday
    carers: dict[int, CarerInfo] = {}
    customers_of: dict[int, set[int]] = defaultdict(set)
    for customer_id, regular in regulars.items():
        for carer_id in regular:
            customers_of[carer_id].add(customer_id)
    for carer in snap.carers.values():
        limits = YOUNG if carer.is_young_on(monday) else ADULT
        carers[carer.id] = CarerInfo(
            carer.id,
            carer.transport_mode,
            limits,
            DAY - limits.daily_rest,
            week_cap(carer, snap, limits),
            carer.contracted_minutes,
            due_minutes(carer, snap.days),
            (carer.lat, carer.lon) if carer.lat or carer.lon else None,
            frozenset(customers_of.get(carer.id, ())),
        )
    # What stays on each carer's timeline whatever the solver does.
    fixed: dict[int, list[Stop]] = defaultdict(list)
    for carer_id, stops in snap.previous.items():
        fixed[carer_id].extend(
            (v.start, v.end, v.customer_id, v.id, True, v.day.toordinal(), False) for v in stops
        )
    for carer_id, stops in snap.following.items():
        fixed[carer_id].extend(
            (v.start, v.end, v.customer_id, v.id, True, v.day.toordinal(), False) for v in stops
        )
    free_set = set(free_visits)
    for visit_id, current in before.items():
        visit = snap.visits[visit_id]
        kept = pinned.get(visit_id, current) if visit_id in free_set else current
        for carer_id in dict.fromkeys(kept):
            fixed[carer_id].append(
                (
                    visit.start,
                    visit.end,
                    visit.customer_id,
                    visit_id,
                    True,
                    visit.day.toordinal(),
                    True,
                )
            )
    for stops in fixed.values():
        stops.sort()
    jobs: dict[int, Job] = {}
    active = [c for c in snap.carers.values() if c.active]
    order = sorted(free_visits, key=lambda v: (snap.visits[v].start, v))
    # Every active carer on every free visit, the rules in bulk (``PairCheck.table``):
    # per visit, the carers some rule finds anything on, in ``active``'s order.
    found_on: dict[int, list[tuple[int, str | None, float]]] = defaultdict(list)
    for carer_id, found in check.table(active, [snap.visits[v] for v in order]).items():
        for visit_id, (hard, soft) in found.items():
            found_on[visit_id].append((carer_id, hard, soft))
    continuity = weights.continuity
    strangers = dict.fromkeys((c.id for c in active), continuity)  # nothing found, no regular
    for visit_id in order:
        visit = snap.visits[visit_id]
        keep = pinned[visit_id]
        regular = regulars.get(visit.customer_id, frozenset())
        same_call = last_week.get(visit_id, ())
        other_call = weights.other_call if same_call else 0.0
        # As asking each pair: the rules' soft points, plus continuity for a carer who is
        # not a regular, or the other call's for a regular not on this very call.
        costs: dict[int, float] = dict(strangers)
        for carer_id in keep:
            costs.pop(carer_id, None)
        excluded: dict[int, str] = {}
        priced: set[int] = set()
        for carer_id, hard, soft in found_on.get(visit_id, ()):
            if carer_id in keep:
                continue
            if hard:
                excluded[carer_id] = hard
                del costs[carer_id]
                continue
            priced.add(carer_id)
            if carer_id not in regular:
                soft += continuity
            elif carer_id not in same_call:
                soft += other_call
            costs[carer_id] = soft
        for carer_id in regular:
            if carer_id in costs and carer_id not in priced:
                costs[carer_id] = 0.0 + other_call if carer_id not in same_call else 0.0
        earliest = latest = visit.start
        if scope.move_times and visit_id in windows:
            low, high = windows[visit_id]
            # A visit recorded outside its window keeps its time in fill and repair (the
            # coordinator may have moved it on purpose); in Build the care package is the
            # plan, so it may go back into the window (its recorded start stays an option:
            # ``Job.allows``).
            if low <= visit.start <= high or scope.mode == REPLAN:
                earliest, latest = low, high
        jobs[visit_id] = Job(
            visit_id,
            visit.customer_id,
            visit.day,
            visit.start,
            visit.minutes,
            earliest,
            latest,
            visit.carers_required,
            keep,
            before[visit_id],
            tuple(sorted(costs, key=lambda c: (costs[c], c))),
            costs,
            excluded,
            tuple(same_call),
        )
    return Model(
        snap,
        scope,
        weights,
        jobs,
        carers,
        dict(fixed),
        before,
        freed,
        regulars,
        {v: visit.day.toordinal() for v, visit in snap.visits.items()},
    )


def exclusion_counts(job: Job) -> list[tuple[str, int]]:
    """Why carers cannot take a job at all: each reason with how many it stops."""
    counts = Counter(job.excluded.values())
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
