"""The rota rules, checked over a whole week or again after one change.

The rules themselves live in ``rules/`` (one function per rule, each naming its
regulation). :class:`RotaState` holds a :class:`WeekSnapshot` and the current assignments
and caches the problems in three layers, so that a change re-checks only what it can
affect:

- per carer and visit: the ``visit`` rules (absent, unavailable, skills, excluded,
  preferred gender, a young worker at night);
- per carer: the ``carer`` rules over the carer's week as shifts (``shifts.py``): overlaps
  and travel, daily rest, breaks and the young worker's daily limit per shift, night work,
  weekly rest, the 48-hour average, hours over contract, carer new to customer;
- per visit: the ``staffing`` rules (double-up with one carer, short of carers, preferred
  carers, lone working).

Assigning or unassigning one visit re-checks that visit's (carer, visit) pairs, the weeks
of the carers involved (a few dozen visits each) and the visit itself.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain

from sqlalchemy.orm import Session

from coordinator_tui.clock import MOMENT_KEY
from coordinator_tui.collector import paused_collection
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.rules import RULES, CarerWeek, rules_for
from coordinator_tui.services.rota.rules.base import (
    VisitChecks,
    clear_caches,
    clock,
    hm,
    to_ask,
    visit_rules_of,
)
from coordinator_tui.services.rota.shifts import Shift, build_shifts, last_shift, week_work
from coordinator_tui.services.rota.snapshot import SCarer, SVisit, WeekSnapshot, load_week
from coordinator_tui.services.rota.timeline import DaySummary, summarise
from coordinator_tui.services.rota.wtr import ADULT, YOUNG, YOUNG_WORKER_AGE, WtrLimits

__all__ = [
    "Recheck",
    "RotaState",
    "check_week",
    "clear_caches",
    "clock",
    "hm",
    "validate_week",
]

CARER_RULES = rules_for("carer")
STAFFING_RULES = rules_for("staffing")
_PER_SHIFT = ("daily_rest", "rest_break", "young_daily_limit", "overlap", "travel_time")
_SHIFT_RULES = tuple(
    (r.check, r.name in _PER_SHIFT)
    for r in RULES
    if r.scope == "carer" and r.name in (*_PER_SHIFT, "night_average", "night_hazard")
)
"""The carer rules ``shift_clash`` runs, in the order the full check runs them, each with
whether it judges shift by shift (a problem of one shift reads nothing of another)."""
assert [r.name for r in RULES if r.scope == "carer"][: len(_SHIFT_RULES)] == [
    f.__name__ for f, _ in _SHIFT_RULES
], "shift_clash names the first reasons: its rules must come first"


@dataclass(frozen=True)
class Recheck:
    """What one change did to the problems of the carers and visits it touched."""

    before: tuple[Problem, ...]
    after: tuple[Problem, ...]

    @property
    def added(self) -> list[Problem]:
        old = {p.key for p in self.before}
        return [p for p in self.after if p.key not in old]

    @property
    def removed(self) -> list[Problem]:
        new = {p.key for p in self.after}
        return [p for p in self.before if p.key not in new]

    @property
    def added_hard(self) -> list[Problem]:
        return [p for p in self.added if p.is_hard]

    @property
    def added_soft(self) -> list[Problem]:
        return [p for p in self.added if not p.is_hard]


@dataclass(slots=True)
class _Carer:
    """A carer's checked week and its problems. Read-only by convention, not ``frozen``
    (as ``SVisit``): a frozen dataclass sets each field through ``object.__setattr__``."""

    week: CarerWeek | None
    problems: tuple[Problem, ...]


_NO_CARER = _Carer(None, ())
_NOISY = object()  # ``_alone_quietly``: a customer whose one-carer visits run the rules
_ABSENT = object()  # a cache key that held nothing (``what_if`` puts it back so)
_CACHES = (
    "_adult_from",
    "_rests",
    "_on_visit",
    "_carers",
    "_visits",
    "_summaries",
    "_previous",
    "_visit_rules",
)
"""RotaState's caches of check results: dicts whose values are replaced, never changed."""


class RotaState:
    """A week's rota being checked and changed in memory (the database is not touched)."""

    @paused_collection()  # the cells and the full check: bulk work making no cycles
    def __init__(
        self, snapshot: WeekSnapshot, assignments: Mapping[int, Iterable[int]] | None = None
    ) -> None:
        self.snap = snapshot
        self.acceptances: set[tuple[str, int, int | None]] = set(snapshot.acceptances)
        # Week-level soft problems (hours over contract) have no visit: an acceptance
        # recorded against any of the week's visits covers the carer for the week.
        self.carer_acceptances: set[tuple[str, int | None]] = {
            (code, carer) for code, _visit, carer in snapshot.acceptances
        }
        self.carers_of: dict[int, tuple[int, ...]] = {}
        self.cells: dict[int, dict[date, list[int]]] = defaultdict(dict)
        self._table = snapshot.travel_table
        self._adult_from: dict[int, date | None] = {}
        self._rests: dict[int, int | Callable[[date], int]] = {}  # carer -> ``_rest``
        self._on_visit: dict[tuple[int, int], tuple[Problem, ...]] = {}
        self._carers: dict[int, _Carer] = {}
        self._visits: dict[int, tuple[Problem, ...]] = {}
        self._summaries: dict[tuple[int, date], DaySummary | None] = {}
        # carer -> where their last shift before the week starts, the spans before it
        self._previous: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {}
        # carer -> their narrowed visit rules; also the rules (a tuple) -> the same
        self._visit_rules: dict[object, VisitChecks] = {}
        self._spliced: tuple | None = None  # what ``shift_clash`` built last (one use)
        # What the visit rules' ``sift`` work out once a week (who excluded whom...)
        self.memo: dict[object, object] = {}
        self._monday, self._sunday = snapshot.monday, snapshot.sunday
        # the days the shift builder may ask the daily rest for: the 8 days before, 2 after
        self._rest_days = (self._monday - timedelta(days=8), self._sunday + timedelta(days=2))
        source = snapshot.assignments if assignments is None else assignments
        visits, cells, carers_of = snapshot.visits, self.cells, self.carers_of
        # The staffing rules' quiet case (``_check_all``) told here, visit by visit as
        # they are read: the visits it is not are kept for the rules. One carer on a
        # visit needing one (nine visits in ten) is told by one look-up of the customer
        # (``_alone_quietly``); two or more by the customer's preferred carers.
        alone_of = self._alone_quietly()
        customers, watch = snapshot.customers, snapshot.staffing_watch
        noisy: list[int] = []
        # Each cell by start (then id): if the visits come so (the week is read by day,
        # start and id), so does every cell; else each is sorted after.
        ordered, last_start, last_id = True, -math.inf, 0
        # ``carers_of`` is ``source`` copied in one step after the loop, unless an entry
        # of it is left out (no such visit, no carer) or made a tuple: then ``irregular``
        # holds those, by visit (the left out as an empty tuple), for the copy to follow.
        irregular: dict[int, tuple[int, ...]] | None = None
        for visit_id, carers in source.items():
            visit = visits.get(visit_id)
            if visit is None or type(carers) is not tuple or not carers:
                if irregular is None:
                    irregular = {}
                carers = irregular[visit_id] = tuple(carers) if visit is not None else ()
                if not carers:
                    continue
            start = visit.start
            if ordered and (start < last_start or (start == last_start and visit_id < last_id)):
                ordered = False
            last_start, last_id = start, visit_id
            day = visit.day
            if len(carers) == 1:
                carer_id = carers[0]
                if visit.carers_required != 1:
                    noisy.append(visit_id)
                else:
                    preferred = alone_of.get(visit.customer_id, _NOISY)
                    if preferred is not None and (preferred is _NOISY or carer_id not in preferred):
                        noisy.append(visit_id)
                # (the visit into the carer's cell, its id then the visit, as for a
                # double-up's carers below: written out in both branches, not a helper,
                # as the full check's hottest loop makes a call a visit count: 10,500
                # visits at ten times the data)
                days = cells[carer_id]
                cell = days.get(day)
                if cell is None:
                    days[day] = [visit_id, visit]
                else:
                    cell.append(visit_id)
                    cell.append(visit)
                continue
            distinct = set(carers)
            if len(carers) != visit.carers_required or len(distinct) != len(carers):
                noisy.append(visit_id)
            else:
                customer_id = visit.customer_id
                customer = customers.get(customer_id) if customer_id not in watch else None
                if customer is None or (
                    customer.preferred and customer.preferred.isdisjoint(carers)
                ):
                    noisy.append(visit_id)
            for carer_id in distinct:
                days = cells[carer_id]
                cell = days.get(day)
                if cell is None:
                    days[day] = [visit_id, visit]
                else:
                    cell.append(visit_id)
                    cell.append(visit)
        # Each cell as read is its visits' ids and the visits, interleaved: the ids stay
        # the cell, the visits (a slice each, copied in one step) are what the full
        # check reads (``_check_all``'s ``days``), so it looks up no visit by its id.
        by_carer: dict[int, dict[date, list[SVisit]]] = {}
        for carer_id, days in cells.items():
            objects = by_carer[carer_id] = {}
            for day, cell in days.items():
                if not ordered:
                    ids = sorted(cell[::2], key=lambda v: (visits[v].start, v))
                    objects[day] = [visits[v] for v in ids]
                else:
                    ids = cell[::2]
                    objects[day] = cell[1::2]
                days[day] = ids
        if irregular is None:
            carers_of.update(source)
        else:
            for visit_id, carers in source.items():
                carers = irregular.get(visit_id, carers)
                if carers:
                    carers_of[visit_id] = carers  # type: ignore[assignment]
        noisy.extend(visits.keys() - carers_of.keys())  # and every visit with no carer
        self._check_all(noisy, by_carer)

    # -- reading ----------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Every current problem, by day, carer and code."""
        found: list[Problem] = []
        for items in self._on_visit.values():
            found.extend(items)
        for result in self._carers.values():
            found.extend(result.problems)
        for items in self._visits.values():
            found.extend(items)
        found.sort(key=_order)
        return found

    def problems_for(self, carer_id: int, day: date | None = None) -> list[Problem]:
        """A carer's problems (on ``day``), including those of the visits they are on."""
        days = [day] if day is not None else list(self.cells.get(carer_id, {}))
        found: list[Problem] = []
        for one in days:
            for visit_id in self.cells.get(carer_id, {}).get(one, ()):
                found.extend(self._on_visit.get((carer_id, visit_id), ()))
                found.extend(
                    p for p in self._visits.get(visit_id, ()) if p.carer_id in (None, carer_id)
                )
        found.extend(
            p
            for p in self._carers.get(carer_id, _NO_CARER).problems
            if day is None or p.day in (None, day)
        )
        found.sort(key=_order)
        return found

    def visit_problems(self, visit_id: int) -> list[Problem]:
        """The problems naming ``visit_id``, for the visit's carers and the visit itself."""
        found = list(self._visits.get(visit_id, ()))
        for carer_id in set(self.carers_of.get(visit_id, ())):
            found.extend(self._on_visit.get((carer_id, visit_id), ()))
            found.extend(
                p for p in self._carers.get(carer_id, _NO_CARER).problems if visit_id in p.visit_ids
            )
        return found

    def day_summary(self, carer_id: int, day: date) -> DaySummary | None:
        """The carer's calendar day: first start, last end, working and travel time of the
        visits dated that day (the grid's span and the measures' hours)."""
        key = (carer_id, day)
        if key not in self._summaries:
            visits = self.snap.visits
            mode = self._mode(carer_id)
            stops = [
                (visits[v].start, visits[v].end, visits[v].customer_id)
                for v in self.cells.get(carer_id, {}).get(day, ())
            ]
            # the mode's legs, which the shifts already asked of every pair in a row
            self._summaries[key] = summarise(stops, self._table.leg(mode))
        return self._summaries[key]

    def day_visits(self, carer_id: int, day: date) -> list[int]:
        return list(self.cells.get(carer_id, {}).get(day, ()))

    def week_work(self, carer_id: int) -> int:
        """Minutes of working time in the week (visits and travel between them)."""
        week = self._carers.get(carer_id, _NO_CARER).week
        return week.work if week is not None else 0

    def shifts(self, carer_id: int) -> list[Shift]:
        """The carer's shifts touching this week (days either side included as context)."""
        week = self._carers.get(carer_id, _NO_CARER).week
        return week.week_shifts() if week is not None else []

    def short_of(self, visit_id: int) -> int:
        visit = self.snap.visits[visit_id]
        return max(visit.carers_required - len(set(self.carers_of.get(visit_id, ()))), 0)

    def travel(self, from_customer: int, to_customer: int, mode: str) -> int:
        """Minutes between two customers' homes by ``mode`` (memoised with the shifts'
        legs, ``TravelTable.leg``: the same figures)."""
        return self._table.leg(mode)(from_customer, to_customer)

    # -- changing -------------------------------------------------------------------------

    def validate_all(self) -> list[Problem]:
        """Check the whole week from scratch."""
        self._check_all()
        return self.problems()

    @paused_collection()
    def _check_all(
        self,
        staffing: Iterable[int] | None = None,
        by_carer: Mapping[int, dict[date, list[SVisit]]] | None = None,
    ) -> None:
        """The full check, each layer kept where it found a problem (a pair or visit with
        none has no entry: every reader takes a missing one as none). The cyclic collector
        is paused for it (``collector``): at ten times the data it makes 100,000 objects,
        none in a cycle, which the collector walked again and again as they grew (5-10%
        of the check's time); it now walks them once, after.

        The visit rules are asked rule by rule over each carer's week, each only on the
        visits its ``sift`` keeps (a cheap necessary condition in bulk: of 12,000 carer-
        visits in a large week a few dozen), then the carer's week, built once; the
        staffing rules, but for the common case answered here, per visit."""
        self._on_visit.clear()
        self._carers.clear()
        self._visits.clear()
        self._summaries.clear()
        snap = self.snap
        visits = snap.visits
        on_visit, checked_carers = self._on_visit, self._carers
        visit_of = visits.__getitem__
        for carer_id, cells in self.cells.items():
            carer = self._carer(carer_id)
            if by_carer is not None:
                days = by_carer[carer_id]
            else:
                days = {day: list(map(visit_of, cell)) for day, cell in cells.items()}
            found: dict[int, list[Problem]] = {}
            for rule in self._checks_of(carer).rules:
                check = rule.check
                for visit, customer in to_ask(rule, carer, days, self):
                    problems = check(carer, visit, customer, self)
                    if problems:
                        if visit.id in found:
                            found[visit.id].extend(problems)
                        else:
                            found[visit.id] = list(problems)
            for visit_id, problems in found.items():
                on_visit[(carer_id, visit_id)] = tuple(problems)
            week_visits = list(chain.from_iterable(map(days.__getitem__, sorted(days))))
            checked_carers[carer_id] = self._check_carer(carer_id, week_visits, carer)
        # The staffing rules, but for the common cases answered here (``_staffed_quietly``,
        # inline, with what it reads of the customer told once per customer: a large week
        # has 10,000 visits and 1,650 customers): as many carers as needed at a customer
        # not watched, one of their preferred carers among them if they have any, and
        # either one carer at a customer with no lone-working risk or two or more, none
        # twice (at ten times the data 1,900 double-ups a week went to the rules).
        checked = self._visits
        if staffing is not None:  # the visits not quietly staffed, told as the rota was read
            for visit_id in staffing:
                problems = self._check_visit(visit_id)
                if problems:
                    checked[visit_id] = problems
            return
        carers_of = self.carers_of
        quiet_of = self._quiet_customers()
        for visit_id, visit in visits.items():
            carers = carers_of.get(visit_id, ())
            count = len(carers)
            if count and count == visit.carers_required:
                customer = quiet_of.get(visit.customer_id)
                if customer is not None:
                    preferred, lone = customer
                    if count == 1:
                        if not lone and (not preferred or carers[0] in preferred):
                            continue
                    elif len(set(carers)) == count and (
                        not preferred or not preferred.isdisjoint(carers)
                    ):
                        continue
            problems = self._check_visit(visit_id)
            if problems:
                checked[visit_id] = problems

    def _alone_quietly(self) -> dict[int, frozenset[int] | None | object]:
        """What the staffing rules' quiet case reads of a customer no extension's rule
        watches, for a visit needing one carer and given one: None, any carer (no lone-
        working risk, no preferred carers); their preferred carers (no lone-working risk);
        ``_NOISY`` (a lone-working risk: the rules run). A customer missing is watched
        (or unknown): the rules run too."""
        watch = self.snap.staffing_watch
        return {
            customer_id: _NOISY if customer.lone_working_risk else (customer.preferred or None)
            for customer_id, customer in self.snap.customers.items()
            if customer_id not in watch
        }

    def _quiet_customers(self) -> dict[int, tuple[frozenset[int], bool]]:
        """What the staffing rules' quiet case reads of each customer no extension's rule
        watches: their preferred carers, and whether lone working is a risk."""
        watch = self.snap.staffing_watch
        return {
            customer_id: (customer.preferred, customer.lone_working_risk)
            for customer_id, customer in self.snap.customers.items()
            if customer_id not in watch
        }

    def _checks_of(self, carer: SCarer) -> VisitChecks:
        """The carer's visit rules, narrowed per customer (built once per carer)."""
        checks = self._visit_rules.get(carer.id)
        if checks is None:
            # Shared by the carers with the same rules (a handful of sets in 300 carers),
            # so each customer is narrowed once per set, not once per carer.
            rules = visit_rules_of(carer, self)
            checks = self._visit_rules.get(rules)  # type: ignore[call-overload]
            if checks is None:
                checks = self._visit_rules[rules] = VisitChecks(rules, self)  # type: ignore[index]
            self._visit_rules[carer.id] = checks
        return checks

    def fork(self) -> RotaState:
        """A copy to change while this one is still being drawn: a screen makes its write
        on the copy in a worker thread and puts the copy in this one's place once saved
        (a refused write leaves this one as it was). The week's snapshot, the travel table
        and the cached check results are shared: they are replaced, never changed in place,
        so only the containers are copied (cheap, where a deep copy of a large week is not)."""
        twin = copy.copy(self)
        twin.acceptances = set(self.acceptances)
        twin.carer_acceptances = set(self.carer_acceptances)
        twin.carers_of = dict(self.carers_of)
        twin.cells = defaultdict(dict)
        for carer_id, days in self.cells.items():
            twin.cells[carer_id] = {day: list(visits) for day, visits in days.items()}
        for cache in _CACHES:
            setattr(twin, cache, dict(getattr(self, cache)))
        return twin

    def set_carers(self, visit_id: int, carers: Iterable[int]) -> Recheck:
        """Put ``carers`` (by slot) on a visit and re-check only what that can affect."""
        return self.change({visit_id: tuple(carers)})

    def change(self, new: Mapping[int, tuple[int, ...]]) -> Recheck:
        """Several visits' carers at once (a swap), re-checked incrementally."""
        pairs: set[tuple[int, int]] = set()
        for visit_id, carers in new.items():
            for carer_id in set(self.carers_of.get(visit_id, ())) | set(carers):
                pairs.add((carer_id, visit_id))
        carers_touched = {carer_id for carer_id, _ in pairs}
        before = self._collect(pairs, carers_touched, new)
        for visit_id, carers in new.items():
            old = set(self.carers_of.get(visit_id, ()))
            for carer_id in old - set(carers):
                self._cell_remove(carer_id, visit_id)
            for carer_id in set(carers) - old:
                self._cell_add(carer_id, visit_id)
            if carers:
                self.carers_of[visit_id] = tuple(carers)
            else:
                self.carers_of.pop(visit_id, None)
        for carer_id, visit_id in pairs:
            self._summaries.pop((carer_id, self.snap.visits[visit_id].day), None)
            on = carer_id in self.carers_of.get(visit_id, ())
            found = self._check_on_visit(carer_id, visit_id) if on else ()
            _keep(self._on_visit, (carer_id, visit_id), found)
        for carer_id in carers_touched:
            if self.cells.get(carer_id):
                self._carers[carer_id] = self._check_carer(carer_id)
            else:
                self._carers.pop(carer_id, None)
        for visit_id in new:
            _keep(self._visits, visit_id, self._check_visit(visit_id))
        return Recheck(before, self._collect(pairs, carers_touched, new))

    def what_if(self, new: Mapping[int, tuple[int, ...]]) -> Recheck:
        """The effect of a change, without keeping it.

        The change is made and checked, then taken back WITHOUT checking again: every
        check result the change replaced is put back as it was (the state is then as
        before, so they hold). Ranking carers for a visit asks this once per carer, and
        checking each carer's week twice was half its time (issue 23 §1)."""
        old = {visit_id: self.carers_of.get(visit_id, ()) for visit_id in new}
        pairs = {
            (carer_id, visit_id)
            for visit_id, carers in new.items()
            for carer_id in set(old[visit_id]) | set(carers)
        }
        visits = self.snap.visits
        saved = [
            (self._on_visit, {key: self._on_visit.get(key, _ABSENT) for key in pairs}),
            (self._carers, {c: self._carers.get(c, _ABSENT) for c, _ in pairs}),
            (self._visits, {v: self._visits.get(v, _ABSENT) for v in new}),
            (
                self._summaries,
                {
                    (c, visits[v].day): self._summaries.get((c, visits[v].day), _ABSENT)
                    for c, v in pairs
                },
            ),
        ]
        result = self.change(new)
        for visit_id, carers in new.items():
            was = old[visit_id]
            for carer_id in set(carers) - set(was):
                self._cell_remove(carer_id, visit_id)
            for carer_id in set(was) - set(carers):
                self._cell_add(carer_id, visit_id)
            if was:
                self.carers_of[visit_id] = was
            else:
                self.carers_of.pop(visit_id, None)
        for store, values in saved:
            for key, value in values.items():
                if value is _ABSENT:
                    store.pop(key, None)
                else:
                    store[key] = value
        return result

    def accept(self, code: str, visit_id: int, carer_id: int | None) -> None:
        """Mark a soft problem accepted (its rationale is recorded by the caller)."""
        self.acceptances.add((code, visit_id, carer_id))
        self.carer_acceptances.add((code, carer_id))
        on_visit = set(self.carers_of.get(visit_id, ()))
        for one in on_visit:
            _keep(self._on_visit, (one, visit_id), self._check_on_visit(one, visit_id))
        for one in on_visit | ({carer_id} if carer_id is not None else set()):
            if self.cells.get(one):
                self._carers[one] = self._check_carer(one)
        _keep(self._visits, visit_id, self._check_visit(visit_id))

    def mark(self, problem: Problem) -> Problem:
        """A soft problem marked accepted where a rationale is recorded for it: against its
        first visit (for this carer or any), or for a week-level one, against the carer."""
        if not self.acceptances or problem.severity != P.SOFT or problem.accepted:
            return problem
        if not problem.visit_ids:
            if (problem.code, problem.carer_id) in self.carer_acceptances:
                return problem._replace(accepted=True)
        else:
            visit_id = problem.visit_ids[0]
            if (problem.code, visit_id, problem.carer_id) in self.acceptances or (
                problem.code,
                visit_id,
                None,
            ) in self.acceptances:
                return problem._replace(accepted=True)
        return problem

    def _collect(
        self, pairs: set[tuple[int, int]], carers: set[int], visits: Iterable[int]
    ) -> tuple[Problem, ...]:
        found: list[Problem] = []
        for key in pairs:
            found.extend(self._on_visit.get(key, ()))
        for carer_id in carers:
            found.extend(self._carers.get(carer_id, _NO_CARER).problems)
        for visit_id in visits:
            found.extend(self._visits.get(visit_id, ()))
        return tuple(found)

    def _cell_add(self, carer_id: int, visit_id: int) -> None:
        visit = self.snap.visits[visit_id]
        cell = self.cells[carer_id].setdefault(visit.day, [])
        cell.append(visit_id)
        visits = self.snap.visits
        cell.sort(key=lambda v: (visits[v].start, v))

    def _cell_remove(self, carer_id: int, visit_id: int) -> None:
        day = self.snap.visits[visit_id].day
        cell = self.cells.get(carer_id, {}).get(day)
        if cell and visit_id in cell:
            cell.remove(visit_id)
            if not cell:
                del self.cells[carer_id][day]

    # -- the rules --------------------------------------------------------------------------

    def limits(self, carer: SCarer, day: date) -> WtrLimits:
        """Young-worker limits while the carer is under 18 on ``day``, adult ones after."""
        if carer.id not in self._adult_from:
            born = carer.date_of_birth
            adult = None
            if born is not None:
                try:
                    adult = born.replace(year=born.year + YOUNG_WORKER_AGE)
                except ValueError:  # born on 29 February
                    adult = date(born.year + YOUNG_WORKER_AGE, 3, 1)
            self._adult_from[carer.id] = adult
        adult = self._adult_from[carer.id]
        return YOUNG if adult is not None and day < adult else ADULT

    def _carer(self, carer_id: int) -> SCarer:
        return self.snap.carers.get(carer_id) or SCarer(
            carer_id, name=f"carer {carer_id}", active=False
        )

    def _mode(self, carer_id: int) -> str:
        carer = self.snap.carers.get(carer_id)
        return carer.transport_mode if carer else self.snap.travel.default_mode

    def on_visit_check(self, carer_id: int, visit_id: int) -> tuple[Problem, ...]:
        """The ``visit`` rules for ``carer_id`` on ``visit_id`` whether or not they are on
        it (they read the carer, the visit and the customer, not who else is on it): what
        ranking asks before a what-if, to rule a carer out cheaply."""
        found = self._on_visit.get((carer_id, visit_id))
        if found is not None:
            return found
        return self._check_on_visit(carer_id, visit_id)

    def shift_clash(self, carer_id: int, visit_id: int) -> tuple[Problem, ...] | None:
        """The new hard problems that the carer rules judged per shift (and the night
        worker's, which come between them) would find with the carer put on ``visit_id``,
        in the order the full check names them: what ranking asks before a what-if, to
        rule a carer out for a fraction of its cost (issue 23 §1). Empty: none of these
        (only the what-if can tell the rest); None: the carer's week is not checked yet.

        The carer's checked shifts are kept and the visit put in its place; only the
        shifts around it are built again (a shift is a run of visits joined by gaps under
        the daily rest, so the shifts before the one the visit joins are as they were, and
        so is every one after the first whose end the visit does not move). The rules per
        shift (daily rest, break, a young worker's day, overlap, travel) run over those
        shifts alone: the others' problems are the ones already found. The night rules
        read the whole week, rebuilt so with its working time. A problem counts as new as
        the what-if counts it: by its key, against the carer's problems now. The what-if
        may find more (the week-level rules): a carer ruled out here carries these."""
        cached = self._carers.get(carer_id)
        if cached is None or cached.week is None:
            return None
        week = cached.week
        visit = self.snap.visits[visit_id]
        monday, sunday = self._monday, self._sunday

        def order(stop: SVisit) -> tuple:
            return stop_order(stop, monday, sunday)

        shifts = week.shifts
        place = order(visit)
        keys = week.memo.get("first_keys")  # each shift's first visit's place, once a week
        if keys is None:
            keys = week.memo["first_keys"] = [order(s.visits[0]) for s in shifts]
        first = max(bisect_left(keys, place) - 1, 0)  # the last shift starting before it
        carer = week.carer
        leg = self._table.leg(carer.transport_mode)
        rest = self._rest(carer)
        last = first
        while True:
            stops = [v for shift in shifts[first : last + 1] for v in shift.visits]
            at = 0
            while at < len(stops) and order(stops[at]) < place:
                at += 1
            stops.insert(at, visit)
            rebuilt = build_shifts(stops, leg, rest)
            if last + 1 >= len(shifts) or rebuilt[-1].end == shifts[last].end:
                break
            last += 1  # the visit moved the end: the next shift may join this one

        def in_week(stop) -> bool:
            return monday <= stop.day <= sunday

        local = CarerWeek(
            carer, self.snap, week.visits, rebuilt, 0, week.limits, self.mark, monday, sunday
        )
        spliced = [*shifts[:first], *rebuilt, *shifts[last + 1 :]]
        work = (
            week.work - week_work(shifts[first : last + 1], in_week) + week_work(rebuilt, in_week)
        )
        # Kept for the what-if that may follow (ranking's, for a carer not ruled out):
        # ``_check_carer`` takes these shifts when the carer's week is then this one's.
        self._spliced = (week, visit, spliced, work)
        whole = None
        before = week.memo.get("keys")
        if before is None:
            before = week.memo["keys"] = {p.key for p in cached.problems}
        found: list[Problem] = []
        for check, per_shift in _SHIFT_RULES:
            if per_shift:
                problems = check(local)
            else:
                if whole is None:
                    whole = CarerWeek(
                        carer,
                        self.snap,
                        week.visits,  # not read by these rules
                        spliced,
                        work,
                        week.limits,
                        self.mark,
                        monday,
                        sunday,
                        week.earlier,
                    )
                problems = check(whole)
            found.extend(p for p in problems if p.is_hard and p.key not in before)
        return tuple(found)

    def _shifts_spliced(
        self, carer_id: int, week_visits: list[SVisit]
    ) -> tuple[list[Shift], int] | None:
        """The shifts and working time ``shift_clash`` worked out last, when the carer's
        week is now exactly the one it looked at with its visit added (else None: build
        them). Exact: ``shift_clash`` builds again every shift the visit can change."""
        spliced = self._spliced
        if spliced is None or spliced[0].carer.id != carer_id:
            return None
        self._spliced = None
        base, visit, shifts, work = spliced
        cached = self._carers.get(carer_id)
        if cached is None or cached.week is not base or len(week_visits) != len(base.visits) + 1:
            return None
        rest = [v for v in week_visits if v is not visit]  # by identity: the same objects
        if len(rest) != len(base.visits) or any(
            a is not b for a, b in zip(rest, base.visits, strict=True)
        ):
            return None
        return shifts, work

    def _check_on_visit(self, carer_id: int, visit_id: int) -> tuple[Problem, ...]:
        carer = self._carer(carer_id)
        visit = self.snap.visits[visit_id]
        customer = self.snap.customers.get(visit.customer_id)
        found: list[Problem] = []
        for check in self._checks_of(carer)(visit, customer):
            problems = check(carer, visit, customer, self)
            if problems:
                found.extend(problems)
        return tuple(found) if found else ()

    def _check_carer(
        self,
        carer_id: int,
        week_visits: list[SVisit] | None = None,
        carer: SCarer | None = None,
    ) -> _Carer:
        """The carer rules over the carer's week. The full check passes ``week_visits``
        (the week's visits by day and start), which the re-checks work out here, and the
        carer (``_carer``)."""
        days = self.cells.get(carer_id)
        if not days:
            return _NO_CARER
        snap = self.snap
        if carer is None:
            carer = self._carer(carer_id)
        if week_visits is None:
            visits = snap.visits
            week_visits = [visits[v] for day in sorted(days) for v in days[day]]
        monday, sunday = self._monday, self._sunday
        ready = self._shifts_spliced(carer_id, week_visits) if self._spliced else None
        if ready is not None:
            shifts, work = ready
            _, earlier = self._earlier(carer_id)
        else:
            leg = self._table.leg(carer.transport_mode)
            rest = self._rest(carer)
            # Of the days before, only the last shift can run on into this week: it is
            # built with the week's visits and the day after's, the shifts before it
            # only read for their spans (``CarerWeek.earlier``: the weekly rest), where
            # the rest is told (``last_shift``, once a week).
            at, earlier = self._earlier(carer_id, rest)
            stops = [*snap.previous.get(carer_id, ())[at:], *week_visits]
            stops.extend(snap.following.get(carer_id, ()))
            shifts = build_shifts(stops, leg, rest)
            # ``week_work``, its common case inline (a shift wholly in the week counts its
            # own working time: 3,600 shifts in a full check at ten times the data)
            # and a shift wholly before or after the week (its visits are by start, so
            # by day) counts none of it
            work = 0
            for shift in shifts:
                its = shift.visits
                first, last = its[0].day, its[-1].day
                if monday <= first and last <= sunday:
                    work += shift.work
                elif last >= monday and first <= sunday:
                    work += week_work((shift,), lambda v: monday <= v.day <= sunday)

        limits = self._limits_of(carer)
        week = CarerWeek(
            carer, snap, week_visits, shifts, work, limits, self.mark, monday, sunday, earlier
        )
        found: list[Problem] = []
        for check in CARER_RULES:
            found.extend(check(week))
        return _Carer(week, tuple(found))

    def _earlier(
        self, carer_id: int, rest: int | Callable[[date], int] | None = None
    ) -> tuple[int, tuple[tuple[int, int], ...]]:
        """Where the last shift of the carer's days before the week starts among them, and
        the spans of the shifts before it (``shifts.last_shift``), kept per carer."""
        found = self._previous.get(carer_id)
        if found is None:
            if rest is None:
                rest = self._rest(self._carer(carer_id))
            found = self._previous[carer_id] = last_shift(
                self.snap.previous.get(carer_id, ()), rest
            )
        return found

    def _limits_of(self, carer: SCarer) -> Callable[[date], WtrLimits]:
        """:meth:`limits` for one carer as a function of the day, with their 18th birthday
        looked up once: the rules ask it shift by shift."""
        self.limits(carer, self._monday)
        adult = self._adult_from[carer.id]
        if adult is None or adult <= self._rest_days[0]:
            # an adult on every day a week's shifts can be asked about (none is before
            # the first of ``_rest_days``): most carers, asked without a comparison
            return _adult
        return lambda day: YOUNG if day < adult else ADULT

    def _rest(self, carer: SCarer) -> int | Callable[[date], int]:
        """The carer's daily rest: one figure, unless they turn 18 around this week (kept
        per carer: the full check and ranking ask it for every carer)."""
        found = self._rests.get(carer.id)
        if found is None:
            first, last = self._rest_days
            if self._limits_of(carer) is _adult:  # an adult on all those days: most carers
                found = ADULT.daily_rest
            elif self.limits(carer, first) is self.limits(carer, last):
                found = self.limits(carer, first).daily_rest
            else:  # (the carer's limits by day, not ``self``: no cycle through it)
                limits = self._limits_of(carer)
                found = lambda day: limits(day).daily_rest  # noqa: E731
            self._rests[carer.id] = found
        return found

    def _check_visit(self, visit_id: int) -> tuple[Problem, ...]:
        visit = self.snap.visits[visit_id]
        carers = self.carers_of.get(visit_id, ())
        customer = self.snap.customers.get(visit.customer_id)
        if _staffed_quietly(visit, carers, customer, self.snap.staffing_watch):
            return ()  # the common case, answered without running the rules
        found: list[Problem] = []
        for check in STAFFING_RULES:
            found.extend(check(visit, carers, customer, self))
        return tuple(found)


STAFFING_QUIET = (
    "double_up_same_carer",
    "unstaffed",
    "preferred_carers",
    "lone_working",
    "shadow_required",
)
"""The staffing rules :func:`_staffed_quietly` answers for (a test checks they are all)."""


def stop_order(stop: SVisit, monday: date, sunday: date) -> tuple:
    """The order ``RotaState._check_carer`` puts a carer's stops in: last week's (by
    start), this week's by day, then start and id (its cells), then the following day's
    (``shift_clash`` and ``ranking`` find a visit's place among them by it)."""
    day = stop.day
    if day < monday:
        return (0, stop.start, stop.id, day)
    if day > sunday:
        return (2, stop.start, stop.id, day)
    return (1, day, stop.start, stop.id)


def _staffed_quietly(visit: SVisit, carers: tuple[int, ...], customer, watch) -> bool:  # noqa: ANN001
    """No staffing rule can find anything on the visit, told without running them: as many
    carers as it needs, none twice (``unstaffed``, ``double_up_same_carer``), not one
    alone with a lone-working risk (``lone_working``), one of the customer's preferred
    carers if they have any (``preferred_carers``), and a customer no extension's rule
    watches (``shadow_required``: a shadow visit first)."""
    count = len(carers)
    if count < visit.carers_required or visit.customer_id in watch:
        return False
    if count > 1 and len(set(carers)) != count:
        return False
    return customer is None or (
        (count != 1 or not customer.lone_working_risk)
        and (not customer.preferred or not customer.preferred.isdisjoint(carers))
    )


def _adult(day: date) -> WtrLimits:
    """The limits of a carer with no date of birth: an adult's on every day."""
    return ADULT


def _keep(store: dict, key: object, problems: tuple[Problem, ...]) -> None:
    """Keep a pair's or visit's problems, or no entry where there are none (as the full
    check leaves it; every reader takes a missing entry as none)."""
    if problems:
        store[key] = problems
    else:
        store.pop(key, None)


def validate_week(snapshot: WeekSnapshot) -> list[Problem]:
    """Every problem of a week (builds a :class:`RotaState` and returns its problems)."""
    return RotaState(snapshot).problems()


def check_week(session: Session, day: date, now: datetime | None = None) -> list[Problem]:
    """Every problem of the week holding ``day``, read from the session
    (``rota check --week DATE``: print them, or ``[p.to_dict() for p in ...]`` as JSON),
    at ``now`` (else the unit of work's moment, ``clock.moment_of``)."""
    if now is not None:
        session.info[MOMENT_KEY] = now
    return validate_week(load_week(session, day))


def _order(problem: Problem) -> tuple:
    return (problem.day or date.min, problem.carer_id or 0, problem.code, problem.visit_ids)
