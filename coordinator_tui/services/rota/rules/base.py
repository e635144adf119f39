"""The rule registry, and what a rule reads.

A rule is one function that names its regulation (``@rule(scope, source, *codes)``) and
returns the problems it finds. There are three scopes, each with what it is given:

- ``visit``: one carer on one visit, ``check(carer, visit, customer, ctx)``; cached per
  (carer, visit), so a change re-checks only the visits it moved;
- ``carer``: one carer's week, ``check(week)`` with a :class:`CarerWeek` (the visits of the
  week, the shifts with the days either side, the working time, the limits by day);
- ``staffing``: one visit and the carers on it, ``check(visit, carers, customer, ctx)``.

``ctx`` is the :class:`~coordinator_tui.services.rota.validate.RotaState`: its ``mark``
turns a soft problem into an accepted one where a rationale is recorded. A new rule is one
function here and one table of cases in the tests; ``RULES`` lists them all (the README's
rules table is checked against it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from coordinator_tui.clock import UK
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.shifts import Shift, night_minutes
from coordinator_tui.services.rota.wtr import NIGHT_WORKER_MINUTES, NIGHT_WORKER_SHARE, WtrLimits

if TYPE_CHECKING:
    from coordinator_tui.services.rota.snapshot import SCarer, SCustomer, SVisit, WeekSnapshot

NONE: tuple[Problem, ...] = ()


@dataclass(frozen=True, eq=False)
class Rule:
    """One rule: where it looks, the codes it reports, its source, how it is read. Each
    is registered once, so it is compared and hashed by identity (a carer's set of visit
    rules keys a cache: hashing ten fields a rule was a cost per carer)."""

    name: str
    scope: str  # visit | carer | staffing
    codes: tuple[str, ...]
    source: str
    reading: str
    check: Callable
    applies: Callable | None = None  # visit rules: (carer, ctx) -> whether to run at all
    # visit rules: (customer_id, customer, ctx) -> whether it can find anything on this
    # customer's visits, and whether it reads only a visit's required skills (none: nothing)
    for_customer: Callable | None = None
    needs_skills: bool = False
    # visit rules: (carer, days, ctx) -> the carer's visits it can find anything on, of
    # ``days`` (date -> that day's visits by start): the full check's bulk gate
    sift: Callable | None = None
    # visit rules: a hard code when ``sift`` keeps exactly the visits the rule finds a
    # problem on, one of this code each (the solver then need not ask the rule itself)
    exact: str | None = None


RULES: list[Rule] = []


def rule(
    scope: str,
    source: str,
    *codes: str,
    applies: Callable | None = None,
    for_customer: Callable | None = None,
    needs_skills: bool = False,
    sift: Callable | None = None,
    exact: str | None = None,
) -> Callable[[Callable], Callable]:
    """Register a rule function; its docstring's first paragraph is how it is read.
    ``applies`` (visit rules) says once per carer whether the rule can find anything for
    them, so a full check of a large week does not call it for every visit; likewise
    ``for_customer`` once per customer, and ``needs_skills`` that a visit requiring no
    skill gives it nothing to find (issue 23 §1: a large week has 12,000 carer-visits).
    ``sift(carer, days, ctx)`` is the same in bulk for the full check: of one carer's
    visits by day, those the rule can find anything on, worked out once for the carer
    (their windows, their valid skills) and visit by visit without a call, so the rule is
    called only where it may fire (whatever days it is given, it keeps every visit among
    them that the rule finds something on; it may keep more).
    Each must be a cheap necessary condition: where it says no, the rule finds nothing.
    ``exact``: the sift is also sufficient, for any carer and days: each visit it keeps
    has exactly one problem, of this (hard) code, so the solver's pair table (issue 23:
    1.5 million pairs at ten times) takes the sift's word without asking the rule."""

    def register(check: Callable) -> Callable:
        doc = (check.__doc__ or "").strip().split("\n\n")[0]
        RULES.append(
            Rule(
                check.__name__,
                scope,
                codes,
                source,
                " ".join(doc.split()),
                check,
                applies,
                for_customer,
                needs_skills,
                sift,
                exact,
            )
        )
        return check

    return register


def rules_for(scope: str) -> tuple[Callable, ...]:
    return tuple(r.check for r in RULES if r.scope == scope)


def visit_rules_for(carer: SCarer, ctx) -> tuple[Callable, ...]:
    """The visit rules that can apply to ``carer`` this week."""
    return tuple(r.check for r in visit_rules_of(carer, ctx))


_VISIT_RULES: list = [None, ()]  # the rules registered (how many, the last), their visit rules


def visit_rules_of(carer: SCarer, ctx) -> tuple[Rule, ...]:
    """The same as rules, for :class:`VisitChecks` to narrow further. Asked per carer
    (300 at ten times the data) of the visit rules alone, picked out of ``RULES`` again
    only when a rule is registered."""
    if _VISIT_RULES[0] != (len(RULES), RULES[-1] if RULES else None):
        _VISIT_RULES[:] = [
            (len(RULES), RULES[-1] if RULES else None),
            tuple(r for r in RULES if r.scope == "visit"),
        ]
    return tuple([r for r in _VISIT_RULES[1] if r.applies is None or r.applies(carer, ctx)])


def sifted(
    rule: Rule,
    carer: SCarer,
    days: dict[date, list[SVisit]],
    ctx,  # noqa: ANN001
    everything: Iterable[SVisit] | None = None,
) -> Iterable[SVisit]:
    """Of ``days`` (date -> that day's visits), the visits ``rule`` may find anything on
    for ``carer``: its ``sift``'s, or all of them for a rule without one (``everything``:
    the same visits as one list, when the caller has it)."""
    if rule.sift is not None:
        return rule.sift(carer, days, ctx)
    if everything is not None:
        return everything
    return [visit for day in days.values() for visit in day]


def to_ask(
    rule: Rule,
    carer: SCarer,
    days: dict[date, list[SVisit]],
    ctx,  # noqa: ANN001
    everything: Iterable[SVisit] | None = None,
    settled: Mapping[int, tuple] | None = None,
) -> Iterable[tuple[SVisit, SCustomer | None]]:
    """(visit, its customer) for each visit of ``days`` the rule is to be asked about for
    ``carer``: its bulk ``sift`` (:func:`sifted`), then its ``needs_skills`` and
    ``for_customer`` gates, in ``sifted``'s order. The one loop of the full check
    (``RotaState._check_all``) and the solver's pair table (``PairCheck.table``), which
    must ask the rules alike; ``ctx`` is the :class:`RotaState` (its ``snap.customers``).
    ``settled`` (the pair table's): visit id -> (a hard problem's title or None, ...); a
    visit with a hard problem already is left out before the gates, as the solver asks
    no more of a pair once one rule has ruled it out (at ten times the data, 38,000 of the
    table's visits: gated first, they cost it 3-12%).

    It is called for every carer and rule (1,800 times in a full check at ten times the
    data) and most sifts keep nothing: then it returns at once, without a generator (one
    each cost 1.4-1.8 ms of the check's 80). Otherwise the pairs come one at a time (a
    list of them kept more objects alive for the garbage collector to walk)."""
    sift = rule.sift  # ``sifted``, inline (a call fewer each time)
    if sift is not None:
        visits = sift(carer, days, ctx)
    elif everything is not None:
        visits = everything
    else:
        visits = [visit for day in days.values() for visit in day]
    if not visits:
        return ()
    return _gated(rule, visits, ctx, settled)


_UNSETTLED = (None,)


def _gated(
    rule: Rule,
    visits: Iterable[SVisit],
    ctx,  # noqa: ANN001
    settled: Mapping[int, tuple] | None,
) -> Iterator[tuple[SVisit, SCustomer | None]]:
    """``to_ask``'s gates over what the sift kept."""
    customers = ctx.snap.customers
    needs_skills, for_customer = rule.needs_skills, rule.for_customer
    for visit in visits:
        if needs_skills and not visit.skills:
            continue
        if settled is not None and settled.get(visit.id, _UNSETTLED)[0]:
            continue
        customer = customers.get(visit.customer_id)
        if for_customer is not None and not for_customer(visit.customer_id, customer, ctx):
            continue
        yield visit, customer


class VisitChecks:
    """A carer's visit rules narrowed per customer and by whether the visit requires a
    skill (``Rule.for_customer``, ``Rule.needs_skills``), worked out once per customer:
    a full check of a large week then calls, per carer and visit, only the rules that can
    find something there (two or three of eight). ``plain`` and ``skilled`` hold what is
    worked out so far by customer, for a caller's loop to look up without a call."""

    __slots__ = ("_ctx", "_rules", "plain", "skilled")

    def __init__(self, rules: tuple[Rule, ...], ctx) -> None:  # noqa: ANN001
        self._rules = rules
        self._ctx = ctx
        self.plain: dict[int, tuple[Callable, ...]] = {}
        self.skilled: dict[int, tuple[Callable, ...]] = {}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The carer's visit rules, in order (the full check sifts each in bulk)."""
        return self._rules

    def __call__(self, visit: SVisit, customer) -> tuple[Callable, ...]:  # noqa: ANN001
        skilled = bool(visit.skills)
        table = self.skilled if skilled else self.plain
        found = table.get(visit.customer_id)
        if found is None:
            found = table[visit.customer_id] = tuple(
                r.check
                for r in self._rules
                if (skilled or not r.needs_skills)
                and (
                    r.for_customer is None or r.for_customer(visit.customer_id, customer, self._ctx)
                )
            )
        return found


# -- text -------------------------------------------------------------------------------


def hm(minutes: int) -> str:
    """Minutes as ``10h59`` (or ``45 min``)."""
    if abs(minutes) < 60:
        return f"{minutes} min"
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}"


def clock(epoch_minute: int) -> str:
    """An epoch minute as UK wall-clock ``Tue 07:30``."""
    hour, minute = divmod(epoch_minute, 60)
    return f"{_clock_hour(hour)}:{minute:02d}"


@lru_cache(maxsize=4096)
def _clock_hour(epoch_hour: int) -> str:
    """``Tue 07`` for an epoch hour (UK offsets are whole hours, so minutes carry over)."""
    return datetime.fromtimestamp(epoch_hour * 3600, UK).strftime("%a %H")


def clear_caches() -> None:
    """Forget memoised clock formatting (benchmarks measure a cold start with it)."""
    _clock_hour.cache_clear()


_WORKED_KEYS: dict[int, tuple[str, int]] = {}  # ``CarerWeek.worked_before``'s memo keys,
# made once (as ``weekly._WEEKLY_KEYS``)


# -- a carer's week -----------------------------------------------------------------------


@dataclass(slots=True)
class CarerWeek:
    """What the ``carer`` rules read about one carer: built once per change of theirs.

    ``shifts`` are built over the week's visits and, for context, the last shift of the
    days before and the day after (visits there have ``day`` outside the week:
    :meth:`in_week`); a problem is reported on a day of the week, so one that belongs to
    another week shows there. ``earlier``: the spans (start, end) of the shifts of the
    days before that come before those (they cannot reach the week: only the weekly rest
    reads them, with the shifts' spans).
    """

    carer: SCarer
    snap: WeekSnapshot
    visits: Sequence[SVisit]  # this week's, by start
    shifts: list[Shift]
    work: int  # this week's working minutes, travel between visits included
    limits: Callable[[date], WtrLimits]
    mark: Callable[[Problem], Problem]
    first_day: date  # the week's Monday...
    last_day: date  # ... and Sunday
    earlier: tuple[tuple[int, int], ...] = ()
    _week_shifts: list[Shift] | None = None
    _night: dict[int, int] | None = None  # made when first asked (few weeks ask it)
    memo: dict[str, object] = field(default_factory=dict)  # what several rules read

    @property
    def name(self) -> str:
        return self.carer.name

    def in_week(self, visit: SVisit) -> bool:
        return self.first_day <= visit.day <= self.last_day

    def ids(self, *visits: SVisit) -> tuple[int, ...]:
        """The ids of those of ``visits`` in this week, each once, in order."""
        found: list[int] = []
        for visit in visits:
            if self.first_day <= visit.day <= self.last_day and visit.id not in found:
                found.append(visit.id)
        return tuple(found)

    def week_shifts(self) -> list[Shift]:
        """The shifts with at least one visit in this week."""
        if self._week_shifts is None:
            first, last = self.first_day, self.last_day
            # Visits of a shift are at most a day apart (gaps under 11 hours), so a shift
            # starting by Sunday and ending from Monday has a visit in the week.
            self._week_shifts = [
                s for s in self.shifts if s.visits[0].day <= last and first <= s.visits[-1].day
            ]
        return self._week_shifts

    def steady_limits(self) -> WtrLimits | None:
        """The limits on every day the week's shifts touch when they are the same on all,
        else None. They change once, young to adult, on the 18th birthday, so the first
        and the last day tell (the rules per shift then ask no day of its own)."""
        if "steady" not in self.memo:
            shifts = self.week_shifts()
            steady = None
            if shifts:
                first = self.limits(shifts[0].visits[0].day)
                if first is self.limits(shifts[-1].visits[-1].day):
                    steady = first
            self.memo["steady"] = steady
        return self.memo["steady"]  # type: ignore[return-value]

    def worked_before(self, count: int) -> tuple[int, int]:
        """Over the ``count`` weeks before this one (``snap.history``): how many weeks the
        reference period holds, this one and back to the last with a record, and the
        minutes of those earlier weeks. Kept on the week: the 48-hour average and the
        night worker's both ask it (most carers have a record every week: summed at once)."""
        key = _WORKED_KEYS.get(count)
        if key is None:
            key = _WORKED_KEYS[count] = ("worked", count)
        found = self.memo.get(key)
        if found is None:
            history = self.snap.history.get(self.carer.id, ())[:count]
            if None not in history:
                found = (len(history) + 1, sum(history))
            else:
                weeks, earlier = 1, 0
                for back, minutes in enumerate(history, start=1):
                    if minutes is not None:
                        weeks = back + 1
                        earlier += minutes
                found = (weeks, earlier)
            self.memo[key] = found
        return found  # type: ignore[return-value]

    def shift_day(self, shift: Shift) -> date:
        """The day of the shift's first visit in this week (where its problems show)."""
        return next(v.day for v in shift.visits if self.first_day <= v.day <= self.last_day)

    def night(self, shift: Shift) -> int:
        """Minutes of the shift's working time in night time (memoised per shift)."""
        key = id(shift)
        memo = self._night
        if memo is None:
            memo = self._night = {}
        found = memo.get(key)
        if found is None:
            found = memo[key] = night_minutes(shift, self.snap.night_start)
        return found

    def night_worker(self) -> tuple[bool, str]:
        """Whether the carer is a night worker (reg 2), and how that is known: recorded on
        the carer, or inferred from the last 17 weeks (a third of their shifts or more, two
        at least, with 3 hours or more in night time)."""
        recorded = self.carer.night_worker
        if recorded is not None:
            return recorded, "recorded"
        nights = sum(1 for s in self.week_shifts() if self.night(s) >= NIGHT_WORKER_MINUTES)
        shifts = len(self.week_shifts())
        earlier_nights, earlier_shifts = self.snap.night_history.get(self.carer.id, (0, 0))
        nights += earlier_nights
        shifts += earlier_shifts
        inferred = nights >= 2 and nights >= NIGHT_WORKER_SHARE * shifts
        return inferred, f"inferred: {nights} of {shifts} shifts in 17 weeks at night"
