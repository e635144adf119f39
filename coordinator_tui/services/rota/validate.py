"""The rota rules, checked over a whole week or again after one change.

:class:`RotaState` holds a :class:`WeekSnapshot` and the current assignments, and caches
the problems in three layers, so that a change re-checks only what it can affect:

- per carer and day: the visit rules (absent, unavailable, excluded, skills, preferred
  gender), overlaps, travel time, and the day's WTR rules (rest break, young worker's 8 h,
  a working day too long to leave the daily rest in the same 24 hours);
- per carer and week, from the day summaries: daily rest between days, weekly rest, the
  17-week average, the young worker's 40 h, hours over contract, carer new to customer;
- per visit: a double-up with one carer, a visit short of carers, preferred carers, lone
  working.

Assigning or unassigning one visit re-checks the days of that visit for the carers
involved, their weeks (seven cached day summaries each) and the visit itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from coordinator_tui.services.clock import UK
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    WeekSnapshot,
    load_week,
    local_midnight,
)
from coordinator_tui.services.rota.timeline import DaySummary
from coordinator_tui.services.rota.wtr import ADULT, YOUNG, YOUNG_WORKER_AGE, WtrLimits

DAY_MINUTES = 24 * 60


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


@dataclass(frozen=True, slots=True)
class _Day:
    summary: DaySummary | None
    problems: tuple[Problem, ...]
    first_visit: int | None
    last_visit: int | None


_EMPTY_DAY = _Day(None, (), None, None)


class RotaState:
    """A week's rota being checked and changed in memory (the database is not touched)."""

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
        self._days: dict[tuple[int, date], _Day] = {}
        self._weeks: dict[int, tuple[Problem, ...]] = {}
        self._visits: dict[int, tuple[Problem, ...]] = {}
        self.fortnight_start = local_midnight(snapshot.monday - timedelta(days=7))
        source = snapshot.assignments if assignments is None else assignments
        for visit_id, carers in source.items():
            if visit_id in snapshot.visits:
                carers = tuple(carers)
                if carers:
                    self.carers_of[visit_id] = carers
                    for carer_id in set(carers):
                        self.cells[carer_id].setdefault(snapshot.visits[visit_id].day, []).append(
                            visit_id
                        )
        order = {v: (visit.start, v) for v, visit in snapshot.visits.items()}
        for days in self.cells.values():
            for cell in days.values():
                cell.sort(key=order.__getitem__)
        self.validate_all()

    # -- reading ----------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Every current problem, by day, carer and code."""
        found: list[Problem] = []
        for result in self._days.values():
            found.extend(result.problems)
        for items in self._weeks.values():
            found.extend(items)
        for items in self._visits.values():
            found.extend(items)
        found.sort(key=_order)
        return found

    def problems_for(self, carer_id: int, day: date | None = None) -> list[Problem]:
        """A carer's problems (on ``day``), including those of the visits they are on."""
        days = [day] if day is not None else list(self.cells.get(carer_id, {}))
        found: list[Problem] = []
        for one in days:
            found.extend(self._days.get((carer_id, one), _EMPTY_DAY).problems)
            for visit_id in self.cells.get(carer_id, {}).get(one, ()):
                found.extend(
                    p for p in self._visits.get(visit_id, ()) if p.carer_id in (None, carer_id)
                )
        found.extend(
            p for p in self._weeks.get(carer_id, ()) if day is None or p.day in (None, day)
        )
        found.sort(key=_order)
        return found

    def visit_problems(self, visit_id: int) -> list[Problem]:
        """The problems naming ``visit_id``, for the visit's carers and the visit itself."""
        visit = self.snap.visits[visit_id]
        found = list(self._visits.get(visit_id, ()))
        for carer_id in set(self.carers_of.get(visit_id, ())):
            found.extend(
                p
                for p in self._days.get((carer_id, visit.day), _EMPTY_DAY).problems
                if visit_id in p.visit_ids
            )
            found.extend(p for p in self._weeks.get(carer_id, ()) if visit_id in p.visit_ids)
        return found

    def day_summary(self, carer_id: int, day: date) -> DaySummary | None:
        return self._days.get((carer_id, day), _EMPTY_DAY).summary

    def day_visits(self, carer_id: int, day: date) -> list[int]:
        return list(self.cells.get(carer_id, {}).get(day, ()))

    def week_work(self, carer_id: int) -> int:
        """Minutes of working time in the week (visits and travel between them)."""
        total = 0
        for day in self.cells.get(carer_id, {}):
            summary = self._days.get((carer_id, day), _EMPTY_DAY).summary
            if summary is not None:
                total += summary.work
        return total

    def short_of(self, visit_id: int) -> int:
        visit = self.snap.visits[visit_id]
        return max(visit.carers_required - len(set(self.carers_of.get(visit_id, ()))), 0)

    def travel(self, from_customer: int, to_customer: int, mode: str) -> int:
        """Minutes between two customers' homes by ``mode`` (memoised)."""
        return self._table.minutes(from_customer, to_customer, mode)

    # -- changing -------------------------------------------------------------------------

    def validate_all(self) -> list[Problem]:
        """Check the whole week from scratch."""
        self._days.clear()
        self._weeks.clear()
        self._visits.clear()
        for carer_id, days in self.cells.items():
            for day in days:
                self._days[(carer_id, day)] = self._check_day(carer_id, day)
            self._weeks[carer_id] = self._check_week(carer_id)
        for visit_id in self.snap.visits:
            self._visits[visit_id] = self._check_visit(visit_id)
        return self.problems()

    def set_carers(self, visit_id: int, carers: Iterable[int]) -> Recheck:
        """Put ``carers`` (by slot) on a visit and re-check only what that can affect."""
        return self.change({visit_id: tuple(carers)})

    def change(self, new: Mapping[int, tuple[int, ...]]) -> Recheck:
        """Several visits' carers at once (a swap), re-checked incrementally."""
        touched: set[tuple[int, date]] = set()
        for visit_id, carers in new.items():
            day = self.snap.visits[visit_id].day
            for carer_id in set(self.carers_of.get(visit_id, ())) | set(carers):
                touched.add((carer_id, day))
        carers_touched = {carer_id for carer_id, _ in touched}
        before = self._collect(touched, carers_touched, new)
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
        for key in touched:
            if self.cells.get(key[0], {}).get(key[1]):
                self._days[key] = self._check_day(*key)
            else:
                self._days.pop(key, None)
        for carer_id in carers_touched:
            self._weeks[carer_id] = self._check_week(carer_id)
        for visit_id in new:
            self._visits[visit_id] = self._check_visit(visit_id)
        return Recheck(before, self._collect(touched, carers_touched, new))

    def what_if(self, new: Mapping[int, tuple[int, ...]]) -> Recheck:
        """The effect of a change, without keeping it."""
        old = {visit_id: self.carers_of.get(visit_id, ()) for visit_id in new}
        result = self.change(new)
        self.change(old)
        return result

    def accept(self, code: str, visit_id: int, carer_id: int | None) -> None:
        """Mark a soft problem accepted (its rationale is recorded by the caller)."""
        self.acceptances.add((code, visit_id, carer_id))
        self.carer_acceptances.add((code, carer_id))
        visit = self.snap.visits[visit_id]
        touched = {(c, visit.day) for c in set(self.carers_of.get(visit_id, ()))}
        for key in touched:
            self._days[key] = self._check_day(*key)
        for one in {c for c, _ in touched} | ({carer_id} if carer_id is not None else set()):
            if one in self.cells:
                self._weeks[one] = self._check_week(one)
        self._visits[visit_id] = self._check_visit(visit_id)

    def _collect(
        self, touched: set[tuple[int, date]], carers: set[int], visits: Iterable[int]
    ) -> tuple[Problem, ...]:
        found: list[Problem] = []
        for key in touched:
            found.extend(self._days.get(key, _EMPTY_DAY).problems)
        for carer_id in carers:
            found.extend(self._weeks.get(carer_id, ()))
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

    def _mark(self, problem: Problem) -> Problem:
        if not self.acceptances or problem.severity != P.SOFT:
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

    def _check_day(self, carer_id: int, day: date) -> _Day:
        vids = self.cells.get(carer_id, {}).get(day)
        if not vids:
            return _EMPTY_DAY
        snap = self.snap
        carer = snap.carers.get(carer_id) or SCarer(
            carer_id, name=f"carer {carer_id}", active=False
        )
        visits = [snap.visits[v] for v in vids]
        found: list[Problem] = []
        add = found.append
        absent = day in carer.absent_days
        windows = carer.availability.get(day.weekday(), ()) if carer.availability else None
        customers = snap.customers
        held = carer.skills
        gender = carer.gender.lower()
        for visit in visits:
            vid = visit.id
            customer = customers.get(visit.customer_id)
            if absent:
                add(
                    P.make(
                        P.ABSENT, f"{carer.name} is absent on {day:%a %d %b}", carer_id, (vid,), day
                    )
                )
            elif not carer.active:
                add(
                    P.make(
                        P.UNAVAILABLE, f"{carer.name} is not an active carer", carer_id, (vid,), day
                    )
                )
            elif windows is not None:
                low_end = visit.local_start
                high_end = low_end + visit.end - visit.start
                for low, high in windows:
                    if low <= low_end and high_end <= high:
                        break
                else:
                    add(
                        P.make(
                            P.UNAVAILABLE,
                            f"{carer.name} is not available {clock(visit.start)}-"
                            f"{clock(visit.end)[4:]}",
                            carer_id,
                            (vid,),
                            day,
                        )
                    )
            if visit.skills:
                for code in visit.skills:
                    if code not in held:
                        add(
                            P.make(
                                P.SKILL_MISSING,
                                f"{carer.name} does not hold {code}",
                                carer_id,
                                (vid,),
                                day,
                            )
                        )
                        continue
                    expires = held[code]
                    if expires is not None and expires <= day:
                        add(
                            P.make(
                                P.SKILL_EXPIRED,
                                f"{carer.name}'s {code} expired on {expires:%d %b %Y}",
                                carer_id,
                                (vid,),
                                day,
                            )
                        )
            if customer is None:
                continue
            if customer.excluded and carer_id in customer.excluded:
                add(
                    P.make(
                        P.EXCLUDED,
                        f"{customer.name} has excluded {carer.name}",
                        carer_id,
                        (vid,),
                        day,
                    )
                )
            wanted = customer.preferred_gender
            if wanted and wanted.lower() != gender:
                add(
                    self._mark(
                        P.make(
                            P.PREFERRED_GENDER,
                            f"{customer.name} prefers a {wanted} carer",
                            carer_id,
                            (vid,),
                            day,
                        )
                    )
                )
        # The sequence: overlaps, travel, working time.
        mode = carer.transport_mode
        prev = visits[0]
        first, end = prev.start, prev.end
        work = end - first
        longest_free = 0
        travel_total = 0
        for visit in visits[1:]:
            if visit.start < end:
                add(
                    P.make(
                        P.OVERLAP,
                        f"{carer.name}: visits overlap at {clock(visit.start)}",
                        carer_id,
                        (prev.id, visit.id),
                        day,
                    )
                )
                if visit.end > end:
                    work += visit.end - end
                    end, prev = visit.end, visit
                continue
            gap = visit.start - end
            need = self.travel(prev.customer_id, visit.customer_id, mode)
            if gap < need:
                add(
                    P.make(
                        P.TRAVEL_TIME,
                        f"{carer.name}: {hm(gap)} to travel {clock(end)}-{clock(visit.start)[4:]}"
                        f", {mode} needs {hm(need)}",
                        carer_id,
                        (prev.id, visit.id),
                        day,
                    )
                )
                need = gap
            travel_total += need
            if gap - need > longest_free:
                longest_free = gap - need
            work += need + visit.end - visit.start
            end, prev = visit.end, visit
        summary = DaySummary(first, end, work, travel_total, longest_free)
        limits = self.limits(carer, day)
        if work > limits.break_after and longest_free < limits.break_length:
            add(
                P.make(
                    P.WTR_BREAK,
                    f"{carer.name}: {hm(work)} working day with no {limits.break_length}-minute "
                    f"break (needed over {hm(limits.break_after)})",
                    carer_id,
                    (),
                    day,
                )
            )
        if limits.daily_max is not None and work > limits.daily_max:
            add(
                P.make(
                    P.WTR_YOUNG_DAY,
                    f"{carer.name} (under 18): {hm(work)} working time, "
                    f"limit {hm(limits.daily_max)}",
                    carer_id,
                    (),
                    day,
                )
            )
        if summary.span > DAY_MINUTES - limits.daily_rest:
            add(
                P.make(
                    P.WTR_DAILY_REST,
                    f"{carer.name}: working day {clock(first)}-{clock(end)[4:]} leaves less than "
                    f"{hm(limits.daily_rest)} rest in 24 hours",
                    carer_id,
                    (visits[0].id, prev.id),
                    day,
                )
            )
        return _Day(summary, tuple(found), visits[0].id, prev.id)

    def _check_week(self, carer_id: int) -> tuple[Problem, ...]:
        snap = self.snap
        days = self.cells.get(carer_id)
        if not days:
            return ()
        carer = snap.carers.get(carer_id) or SCarer(
            carer_id, name=f"carer {carer_id}", active=False
        )
        found: list[Problem] = []
        add = found.append
        worked = sorted(
            (day, self._days[(carer_id, day)]) for day in days if (carer_id, day) in self._days
        )
        total = sum(result.summary.work for _, result in worked if result.summary)

        # Daily rest between consecutive working days (the week before included).
        previous = snap.previous_days.get(carer_id, ())
        last_end = previous[-1].last_end if previous else None
        last_visit: int | None = None
        for day, result in worked:
            summary = result.summary
            if summary is None:
                continue
            if last_end is not None:
                rest = summary.first_start - last_end
                limits = self.limits(carer, day)
                if rest < limits.daily_rest:
                    ids = (last_visit, result.first_visit) if last_visit else (result.first_visit,)
                    add(
                        P.make(
                            P.WTR_DAILY_REST,
                            f"{carer.name}: {hm(rest)} rest before {clock(summary.first_start)}"
                            f" (at least {hm(limits.daily_rest)} required)",
                            carer_id,
                            tuple(v for v in ids if v is not None),
                            day,
                        )
                    )
            last_end, last_visit = summary.last_end, result.last_visit

        # Weekly rest in the week (midnight Sunday/Monday to the next), or over 14 days.
        spans = [result.summary for _, result in worked if result.summary]
        week_limits = self.limits(carer, snap.monday)
        if spans and not _rest_ok(spans, snap.week_start, snap.week_end, week_limits.weekly_rest):
            ok, why = False, ""
            if week_limits.fortnight_alternative:
                history = snap.history.get(carer_id, ())
                last_week = history[0] if history else None
                if previous or not last_week:
                    ok = _fortnight_ok(
                        list(previous) + spans,
                        self.fortnight_start,
                        snap.week_end,
                        week_limits.weekly_rest,
                    )
                else:
                    why = " (last week's times are not known)"
            if not ok:
                also = " nor 2 x 24h or 48h in 14 days" if week_limits.fortnight_alternative else ""
                add(
                    P.make(
                        P.WTR_WEEKLY_REST,
                        f"{carer.name}: no {hm(week_limits.weekly_rest)} uninterrupted rest "
                        f"this week{also}{why}",
                        carer_id,
                    )
                )

        # Weekly hours: the young worker's 40 h, the adult's 17-week average.
        if week_limits.weekly_max is not None and total > week_limits.weekly_max:
            add(
                P.make(
                    P.WTR_YOUNG_WEEK,
                    f"{carer.name} (under 18): {hm(total)} this week, limit "
                    f"{hm(week_limits.weekly_max)}",
                    carer_id,
                )
            )
        if week_limits.average_weekly_max is not None and not carer.wtr_opt_out:
            history = snap.history.get(carer_id, ())
            weeks = 1
            earlier = 0
            for back, minutes in enumerate(history[: week_limits.reference_weeks - 1], start=1):
                if minutes is not None:
                    weeks = back + 1
                    earlier += minutes
            if total + earlier > week_limits.average_weekly_max * weeks:
                average = (total + earlier) / weeks
                add(
                    P.make(
                        P.WTR_AVERAGE_48H,
                        f"{carer.name}: average {average / 60:.1f}h a week over {weeks} week(s) "
                        f"(this week {hm(total)}), limit 48h; no opt-out",
                        carer_id,
                    )
                )
        if carer.contracted_minutes and total > carer.contracted_minutes:
            add(
                self._mark(
                    P.make(
                        P.OVER_CONTRACT,
                        f"{carer.name}: {hm(total)} this week, "
                        f"contracted {hm(carer.contracted_minutes)}",
                        carer_id,
                    )
                )
            )

        # Continuity: the first visit this week to a customer the carer has not seen before
        # and the customer has not asked for (a preferred carer is one of their regulars,
        # as the continuity measure counts them).
        seen: set[int] = set()
        known = snap.known_pairs
        for day in sorted(days):
            for visit_id in days[day]:
                customer_id = snap.visits[visit_id].customer_id
                if customer_id in seen:
                    continue
                seen.add(customer_id)
                customer = snap.customers.get(customer_id)
                if (carer_id, customer_id) not in known and not (
                    customer and carer_id in customer.preferred
                ):
                    add(
                        self._mark(
                            P.make(
                                P.NEW_TO_CUSTOMER,
                                f"{carer.name} has not visited "
                                f"{customer.name if customer else customer_id} before",
                                carer_id,
                                (visit_id,),
                                day,
                            )
                        )
                    )
        return tuple(found)

    def _check_visit(self, visit_id: int) -> tuple[Problem, ...]:
        visit = self.snap.visits[visit_id]
        carers = self.carers_of.get(visit_id, ())
        customer = self.snap.customers.get(visit.customer_id)
        if (
            len(carers) == visit.carers_required == 1
            and customer is not None
            and not customer.lone_working_risk
            and (not customer.preferred or carers[0] in customer.preferred)
        ):
            return ()  # the common case, answered without building anything
        distinct = set(carers)
        found: list[Problem] = []
        name = customer.name if customer else f"customer {visit.customer_id}"
        if len(distinct) < len(carers):
            twice = next(c for c in distinct if carers.count(c) > 1)
            found.append(
                P.make(
                    P.DOUBLE_UP_SAME_CARER,
                    f"{name}: double-up needs two different carers",
                    twice,
                    (visit_id,),
                    visit.day,
                )
            )
        if len(distinct) < visit.carers_required:
            found.append(
                P.make(
                    P.UNSTAFFED,
                    f"{name} {clock(visit.start)}: {len(distinct)} of "
                    f"{visit.carers_required} carer(s)",
                    None,
                    (visit_id,),
                    visit.day,
                )
            )
        if customer is not None and carers:
            if customer.preferred and not distinct & customer.preferred:
                found.append(
                    self._mark(
                        P.make(
                            P.PREFERRED_CARER,
                            f"{name}: none of the preferred carers",
                            carers[0],
                            (visit_id,),
                            visit.day,
                        )
                    )
                )
            if customer.lone_working_risk and len(distinct) == 1:
                found.append(
                    self._mark(
                        P.make(
                            P.LONE_WORKING,
                            f"{name}: lone-working risk with one carer",
                            carers[0],
                            (visit_id,),
                            visit.day,
                        )
                    )
                )
        return tuple(found)


def validate_week(snapshot: WeekSnapshot) -> list[Problem]:
    """Every problem of a week (builds a :class:`RotaState` and returns its problems)."""
    return RotaState(snapshot).problems()


def check_week(session: Session, day: date) -> list[Problem]:
    """Every problem of the week holding ``day``, read from the session
    (``rota check --week DATE``: print them, or ``[p.to_dict() for p in ...]`` as JSON)."""
    return validate_week(load_week(session, day))


def _order(problem: Problem) -> tuple:
    return (problem.day or date.min, problem.carer_id or 0, problem.code, problem.visit_ids)


def _gaps(spans: list[DaySummary], start: int, end: int) -> list[int]:
    gaps = []
    cursor = start
    for span in sorted(spans, key=lambda s: s.first_start):
        gaps.append(span.first_start - cursor)
        cursor = max(cursor, span.last_end)
    gaps.append(end - cursor)
    return gaps


def _rest_ok(spans: list[DaySummary], start: int, end: int, needed: int) -> bool:
    return max(_gaps(spans, start, end)) >= needed


def _fortnight_ok(spans: list[DaySummary], start: int, end: int, needed: int) -> bool:
    """WTR reg 11(2): two rests of ``needed`` or one of twice that in 14 days."""
    gaps = _gaps(spans, start, end)
    return max(gaps) >= 2 * needed or sum(1 for gap in gaps if gap >= needed) >= 2
