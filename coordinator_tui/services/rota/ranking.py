"""Judging every carer for one visit, fast: what ``assign.rank_carers`` asks (issue 23 §1).

Ranking a visit at ten times the data (300 carers, 10,000 visits a week) took 20 ms: the
shift around the visit for each carer the visit's own rules leave (``shift_clash``, 40 µs
each, 180 a visit) and a what-if for each carer left after that (0.14 ms each: their week
checked again, and the weeks of the carers already on the visit, then put back). Here each
carer is judged in three steps, each giving exactly what ``rank_carers`` gave before:

1. the rules of the visit itself (absent, unavailable, a skill, excluded...): a carer
   with a hard one stops there (``RotaState.on_visit_check``'s rules);
2. the shift around the visit, as ``RotaState.shift_clash`` judges it. In the common
   cases (``_quick``: an adult, the visit a shift of its own or joining one shift of the
   week) the shift with the visit in is worked out from the shift's kept running state
   at the visit before it, and only until that state is again what it was (after that
   the shift is as it was); the sequence rules are given only the pairs of visits that
   changed, the daily rest and the break asked only where they can fall short, the night
   rules skipped by cheap necessary conditions (``_GATES``, ``_night_room``). Otherwise
   the kept shifts are spliced and the rules run as ``shift_clash`` runs them;
3. for a carer with no problem so far, the rest of the what-if worked out from that
   splice: the rules over the whole week on the spliced shifts and the week's visits with
   this one put in (the weekly-rest rules skipped where a weekly rest the visit does not
   reach stays, or the problem was there already; the continuity rule asked of the visit
   alone), and the staffing rules of the visit with the carer added. The weeks of the
   carers already on the visit are not checked again: their visits do not change.

A carer that step 2 surely rules out, told cheaply (a visit of the day overlapping this
one, ``_overlaps_on_day``, or the visit before it too close to get here from,
``_short_of_travel``), comes with a ``Later`` for their hard problems: step 2 worked out
when ``Candidate.hard`` is first read (half the carers at ten times the data, where a
ranking shows a screenful of reasons), from what a change replaces and never changes.

A problem counts as new as the what-if counts it: by its key, against the problems the
carer and the visit have now. Where step 3 cannot stand in for the what-if (a carer taken
off the visit in the same change, whose week changes too; a carer with no visits this
week, or whose daily rest changes within it at 18) ``shift_clash`` and the what-if are
asked, as before. The per-carer figures these steps read are kept on the carer's checked
week (``CarerWeek.memo``, replaced whenever the carer's visits or acceptances change), so
the next visit ranked on the same week finds them. ``tests/test_rota_rank_fast.py``
compares the ranking with the one before and with every carer what-if checked.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.rules.base import RULES, CarerWeek
from coordinator_tui.services.rota.rules.daily import daily_rest, rest_break
from coordinator_tui.services.rota.rules.sequence import overlap, travel_time
from coordinator_tui.services.rota.rules.weekly import (
    _rests,
    average_48h,
    new_to_customer,
    over_contract,
    weekly_rest,
    weekly_rest_with_daily_rest,
    young_weekly_limit,
)
from coordinator_tui.services.rota.shifts import Shift, build_shifts, week_work
from coordinator_tui.services.rota.snapshot import SCarer, SVisit
from coordinator_tui.services.rota.travel import travel_minutes
from coordinator_tui.services.rota.validate import (
    _SHIFT_RULES,
    CARER_RULES,
    STAFFING_RULES,
    RotaState,
    stop_order,
)
from coordinator_tui.services.rota.wtr import ADULT, DAY, NIGHT_AVERAGE_MAX, YOUNG

_WEEK_RULES = CARER_RULES[len(_SHIFT_RULES) :]
"""The carer rules over the whole week, after those ``shift_clash`` runs (in that order)."""
assert [f for f, _ in _SHIFT_RULES] == list(CARER_RULES[: len(_SHIFT_RULES)])

Judgement = tuple[SCarer, tuple[Problem, ...], tuple[Problem, ...]]
"""A carer, the new hard problems (why not) and the soft ones not accepted."""


def judge_carers(
    state: RotaState,
    visit_id: int,
    carers: Iterable[SCarer],
    current: tuple[int, ...],
    replacing: int | None,
) -> Iterator[Judgement]:
    """Each of ``carers`` (none on the visit) judged for ``visit_id``, the visit keeping
    ``current`` (``replacing`` taken off): the new hard problems and the new soft ones not
    accepted, as ``rank_carers`` has always given them (module docstring)."""
    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    monday, sunday = snap.monday, snap.sunday
    place = (1, visit.day, visit.start, visit.id)
    week_place = (visit.day, visit.start, visit.id)
    customer_id = visit.customer_id
    carers_state = state._carers
    checks_of = state._checks_of
    mark = state.mark
    cells, visits_by_id = state.cells, snap.visits
    per_snapshot = _per_snapshot(state)
    exact, one = _EXACT, [visit]
    staffing_before: set[tuple] | None = None
    for carer in carers:
        carer_id = carer.id
        # 1. the visit's own rules (as ``RotaState._check_on_visit``)
        first: list[Problem] = []
        parts: list = []  # each rule's problems as found, in order (for ``_first_hard``)
        sure = False  # an exact sift kept the visit: a hard problem, worded when read
        for check in checks_of(carer)(visit, customer):
            sift = exact.get(check)
            if sift is not None:
                if sift(carer, {visit.day: one}, state):
                    sure = True
                    parts.append(check)
                continue
            found = check(carer, visit, customer, state)
            if found:
                first.extend(found)
                parts.append(found)
        if sure:
            # Ruled out for sure; the rules' other problems are kept as found (they may
            # read more than the carer and the visit), in their order.
            done = [p for p in first if p.severity != P.HARD and not p.accepted]
            yield carer, Later(_first_hard, carer, visit, customer, state, parts), tuple(done)
            continue
        if first:
            ruled_out = tuple(p for p in first if p.severity == P.HARD)
            if ruled_out:
                yield (
                    carer,
                    ruled_out,
                    tuple(p for p in first if p.severity != P.HARD and not p.accepted),
                )
                continue
            soft_first = tuple(p for p in first if not p.accepted)
        else:
            soft_first = ()
        cached = carers_state.get(carer_id)
        week = cached.week if cached is not None else None
        rest = None
        if week is not None:
            rest = per_snapshot.get(("rest", carer_id), False)  # ``_fixed_rest``'s, kept
            if rest is False:
                rest = _fixed_rest(state, carer, week)
        if week is None or rest is None:
            yield _plain(state, carer, visit_id, current, first)
            continue
        # 2. the shift around the visit (as ``RotaState.shift_clash``)
        memo = week.memo
        before = memo.get("keys")
        if before is None:
            before = memo["keys"] = {p.key for p in cached.problems}
        days = cells.get(carer_id)
        if _overlaps_on_day(days, visit, visits_by_id) or _short_of_travel(
            state, week, days, visit, rest
        ):
            # Ruled out for sure: which problems, worked out when first read (a ranking
            # shows a screenful of reasons; at ten times the data half the carers are
            # here, each a splice and the rules' wording).
            yield carer, Later(_shift_hard, state, week, visit, place, rest, before), soft_first
            continue
        hard, spliced, work, made = _shift_step(state, week, visit, place, rest, before)
        if hard:
            yield carer, tuple(hard), soft_first
            continue
        if replacing is not None:
            # The carer taken off changes too (their week loses the visit): the what-if.
            yield _plain(state, carer, visit_id, current, first)
            continue
        # 3. the rest of the what-if, from the splice: the week's rules...
        visits = week.visits
        at = bisect_left(visits, week_place, key=_week_order)
        whole = CarerWeek(
            carer,
            snap,
            [*visits[:at], visit, *visits[at:]],
            spliced,
            work,
            week.limits,
            mark,
            monday,
            sunday,
            week.earlier,
        )
        if made is not None:  # the rests of the week as the weekly-rest rules read them
            whole.memo["rests"] = _rests_with(week, made.visits[0].start, made.ends[-1])
        soft = list(soft_first)
        rests_kept = _weekly_rest_kept(week, visit, rest)
        short_before = _key(P.WTR_WEEKLY_REST, carer_id) in before
        for check in _WEEK_RULES:
            if check is weekly_rest or check is weekly_rest_with_daily_rest:
                if (
                    rests_kept  # a weekly rest the visit leaves whole: nothing to find
                    # or short of it already: a visit put in only takes rest away, so
                    # each rule finds the problem it found (the same key) or, the second
                    # when the first finds one, nothing
                    or short_before
                    or (
                        check is weekly_rest_with_daily_rest
                        and _key(P.WTR_WEEKLY_REST_DAILY, carer_id) in before
                    )
                ):
                    continue
                problems = check(whole)
            elif check is new_to_customer:
                problems = _new_to_customer(week, visit, at, whole)
            elif check in _OVER_WEEK and (
                _key(_OVER_WEEK[check], carer_id) in before
                or (check is young_weekly_limit and rest == ADULT.daily_rest)
            ):
                # over already (more work only keeps it over: the same key), or an adult
                # (no young worker's week)
                continue
            else:
                problems = check(whole)
            for problem in problems:
                if problem.key in before:
                    continue
                if problem.severity == "hard":
                    hard.append(problem)
                elif not problem.accepted:
                    soft.append(problem)
        # ... and the visit's staffing with the carer on it
        if staffing_before is None:
            staffing_before = {p.key for p in state._visits.get(visit_id, ())}
        on = (*current, carer_id)
        if not (
            # ``RotaState._check_visit``'s common case, answered without the rules
            len(on) == visit.carers_required == 1
            and customer is not None
            and not customer.lone_working_risk
            and (not customer.preferred or carer_id in customer.preferred)
            and customer_id not in snap.staffing_watch
        ):
            for problem in _staffing(visit, on, customer, state):
                if problem.key in staffing_before:
                    continue
                if problem.severity == "hard":
                    hard.append(problem)
                elif not problem.accepted:
                    soft.append(problem)
        yield carer, tuple(hard), tuple(soft)


def _overlaps_on_day(days: dict | None, visit: SVisit, visits: dict) -> bool:
    """Whether the carer (not on ``visit``) has a visit of its day that overlaps it: then
    step 2 surely finds a new hard problem, an overlap naming the visit. (With the visit
    put in, either it starts before the running end of the visits before it, a pair
    ending at it, or it holds the running end and the visit after it, of its day and so
    of this week, starts before that end: a pair starting at it. Either pair is one the
    carer's problems cannot name now.)"""
    cell = days.get(visit.day) if days else None
    if not cell:
        return False
    start, end = visit.start, visit.end
    for other_id in cell:
        other = visits[other_id]
        if other.start < end and start < other.end:
            return True
    return False


def _short_of_travel(
    state: RotaState, week: CarerWeek, days: dict | None, visit: SVisit, rest: int
) -> bool:
    """Whether step 2 surely finds a new hard problem because the carer (with no visit
    of the day overlapping ``visit``, not on it) could not get there in time: the visit
    of its day before it holds the running end of its shift (it starts from the end
    before it, or starts its shift), ends less than the daily rest before the visit and
    the travel from there is longer than the gap. With the visit put in right after it,
    that pair is then the visit's own and short of travel (``travel_time``), a pair the
    carer's problems cannot name now. Where any of this is not so: False."""
    cell = days.get(visit.day) if days else None
    if not cell:
        return False
    visits = week.snap.visits
    start, visit_id = visit.start, visit.id
    last = None  # the visit of the day just before this one, by start then id
    for other_id in cell:
        other = visits[other_id]
        if other.start < start or (other.start == start and other_id < visit_id):
            last = other
        else:
            break
    if last is None or last.customer_id == visit.customer_id:
        return False
    gap = start - last.end
    if gap < 0 or gap >= rest:
        return False
    if state._table.leg(week.carer.transport_mode)(last.customer_id, visit.customer_id) <= gap:
        return False
    monday, sunday = week.first_day, week.last_day
    memo = week.memo
    firsts = memo.get("rank.first_keys")
    if firsts is None:
        firsts = memo["rank.first_keys"] = [
            stop_order(s.visits[0], monday, sunday) for s in week.shifts
        ]
    place = (1, last.day, last.start, last.id)
    index = bisect_right(firsts, place) - 1  # the shift the visit before is in
    if index < 0:
        return False
    shift = week.shifts[index]
    stops = shift.visits
    at = bisect_left(stops, place, key=lambda stop: stop_order(stop, monday, sunday))
    if at >= len(stops) or stops[at] is not last:
        return False
    return at == 0 or last.start >= shift.ends[at - 1]


class Later:
    """New hard problems known to be there, at least one, worked out when first read
    (``Candidate.hard``): ``work(*args)``, step 2's (``_shift_hard``) or step 1's
    (``_first_hard``) for one carer. Each reads only what is replaced, never changed,
    when the rota changes (the carer, the visit, the carer's checked week, the snapshot's
    travel), so the problems are the ones worked out at once would have been, whenever
    they are read."""

    __slots__ = ("_args", "_work")

    def __init__(self, work: Callable[..., tuple[Problem, ...]], *args: object) -> None:
        self._work = work
        self._args = args

    def __bool__(self) -> bool:
        return True

    def __call__(self) -> tuple[Problem, ...]:
        return self._work(*self._args)


def _shift_hard(*args: object) -> tuple[Problem, ...]:
    """Step 2's new hard problems (``_shift_step``), for ``Later``."""
    return tuple(_shift_step(*args)[0])  # type: ignore[arg-type]


def _first_hard(carer: SCarer, visit: SVisit, customer, state, parts: list) -> tuple:  # noqa: ANN001
    """Step 1's hard problems in the rules' order, for ``Later``: ``parts`` holds each
    rule's problems as found, or for a rule whose sift is exact (``Rule.exact``: it
    kept the visit, so there is one, hard) the rule itself, asked now. Those rules read
    the carer and the visit alone (absent, unavailable); the others' were kept."""
    found: list[Problem] = []
    for part in parts:
        if callable(part):
            part = part(carer, visit, customer, state)
        found.extend(p for p in part if p.severity == P.HARD)
    return tuple(found)


_EXACT = {r.check: r.sift for r in RULES if r.scope == "visit" and r.exact}
"""The visit rules whose sift says exactly whether they find a problem (one, hard), and
that read the carer and the visit alone, by rule: step 1 asks the sift, and words the
problem only when it is read (``_first_hard``)."""
assert {check.__name__ for check in _EXACT} <= {"absent", "unavailable"}


def _shift_step(
    state: RotaState,
    week: CarerWeek,
    visit: SVisit,
    place: tuple,
    rest: int,
    before: set[tuple],
) -> tuple[list[Problem], list[Shift] | None, int, Shift | None]:
    """Step 2, the shift around the visit (as ``RotaState.shift_clash``): the new hard
    problems, and where there are none the spliced shifts, the week's working time so and
    the shift the visit is in when ``_quick`` made it (for step 3). It reads the carer's
    checked week, the visit and the week's travel and night figures, none of which a
    change of the rota changes in place (``Later`` asks it after the ranking)."""
    quick = _quick(state, week, visit, place, rest, before)
    if quick is None:
        carer, snap, mark = week.carer, week.snap, state.mark
        monday, sunday = week.first_day, week.last_day
        rebuilt, spliced, work = _splice(state, week, visit, place, rest, monday, sunday)
        local = CarerWeek(carer, snap, week.visits, rebuilt, 0, week.limits, mark, monday, sunday)
        whole = CarerWeek(
            carer, snap, week.visits, spliced, work, week.limits, mark, monday, sunday, week.earlier
        )
        hard: list[Problem] = []
        for check, per_shift in _SHIFT_RULES:
            gate = _GATES.get(check.__name__)
            if gate is not None and gate(carer, rebuilt, rest):
                continue  # the rule can find nothing here (its own first test)
            for problem in check(local if per_shift else whole):
                if problem.severity == "hard" and problem.key not in before:
                    hard.append(problem)
        return hard, spliced, work, None
    if quick[0] == "clash":
        return list(quick[1]), None, 0, None
    _, spliced, work, made = quick
    return [], spliced, work, made


def _staffing(visit: SVisit, carers: tuple[int, ...], customer, state: RotaState) -> list:  # noqa: ANN001
    found: list[Problem] = []
    for check in STAFFING_RULES:
        found.extend(check(visit, carers, customer, state))
    return found


def _quick(
    state: RotaState,
    week: CarerWeek,
    visit: SVisit,
    place: tuple,
    rest: int,
    before: set[tuple],
) -> tuple | None:
    """Step 2 in its common cases, without building the carer's shifts again: an adult
    with no special hazards, whose week keeps hours to spare under the night worker's
    average with the visit in it, and the visit

    - a shift of its own (the daily rest or more from the work either side), short
      enough for the break: no rule per shift can find anything;
    - or joining one shift of this week (within it, after it by less than the daily
      rest, or before its first visit by less) and no other. The shift with the visit
      in is worked out as ``build_shifts`` would, carrying on from its running state at
      the visit before (the end, and the visit holding it, read off the shift's figures),
      each visit after it worked out anew and its old share of the work taken off, until
      the running state is again what it was. The sequence rules can then find new
      problems only in the pairs that changed: those pairs are given to them, as their
      ``_pairs`` would list them.
      The daily rest and the break are asked of the new shift where they can fall short.

    Returns ``("clash", problems)`` as ``shift_clash`` names them, ``("clear", spliced
    shifts, working time)`` as ``_splice`` gives them (for step 3), or None: not one of
    these cases (the caller splices)."""
    carer = week.carer
    if rest != ADULT.daily_rest or carer.special_hazards:
        return None
    monday, sunday = week.first_day, week.last_day
    shifts = week.shifts

    def order(stop: SVisit) -> tuple:
        return stop_order(stop, monday, sunday)

    memo = week.memo
    firsts = memo.get("rank.first_keys")  # each shift's first visit's place, once a week
    if firsts is None:
        firsts = memo["rank.first_keys"] = [order(s.visits[0]) for s in shifts]
    index = bisect_left(firsts, place) - 1
    if index >= 0 and (
        place < order(shifts[index].visits[-1]) or visit.start - shifts[index].ends[-1] < rest
    ):
        target = index  # the visit joins the shift it falls after the start of
        shift = shifts[index]
        stops, ends = shift.visits, shift.ends
        at = bisect_left(stops, place, key=order)
        end = ends[at - 1]
        if visit.start - end >= rest:
            return None
        # The visit holding the running end there: the last to start at or after the end
        # before it, or to end after it (the builder's place and the pairs' earlier visit).
        back = at - 1
        while back and stops[back].start < ends[back - 1] and stops[back].end <= ends[back - 1]:
            back -= 1
        holder = stops[back]
        where = holder.customer_id
        work = travel = longest = 0  # changes to the shift's, from the visit on
        new_ends, need, moved, free = [], [], [], []
    else:
        target = index + 1
        if target >= len(shifts) or shifts[target].visits[0].start - visit.end >= rest:
            # a shift of its own
            length = visit.end - visit.start
            if length > ADULT.break_after or length > DAY - rest:
                return None
            total = week.work + length
            if total > _night_room(state, week):
                return None
            alone = Shift(
                visits=(visit,),
                ends=(visit.end,),
                need=(0,),
                travel_before=(0,),
                free=(0,),
                work=length,
                travel=0,
                longest_free=0,
            )
            return ("clear", [*shifts[:target], alone, *shifts[target:]], total, alone)
        shift = shifts[target]  # the visit starts the next shift, which joins it
        stops, ends = shift.visits, shift.ends
        at = 0
        end, where, holder = visit.end, visit.customer_id, visit
        work, travel, longest = visit.end - visit.start, 0, 0
        new_ends, need, moved, free = [visit.end], [0], [0], [0]
    if stops[0].day < monday or stops[-1].day > sunday:
        return None  # across the week's edge: its working time is counted in part
    if (
        visit.end > ends[-1]
        and target + 1 < len(shifts)
        and shifts[target + 1].visits[0].start - visit.end < rest
    ):
        return None  # the shift after joins it too
    leg = state._table.leg(carer.transport_mode)
    needs, travel_before = shift.need, shift.travel_before
    # The pairs of visits that changed and on which a sequence rule can fire (the pairs
    # ``_pairs`` lists for them): overlapping, or with less time than the travel needs.
    overlaps: list[tuple] = []
    short: list[tuple] = []
    tight = [i for i in shift.tight if i < at] if at else []
    if at:  # the visit's own pair, after the visit holding the running end before it
        gap = visit.start - end
        if gap < 0:
            tight.append(at)
            overlaps.append((holder, visit, end, 0))
            if visit.end > end:
                work += visit.end - end
                end, where, holder = visit.end, visit.customer_id, visit
            new_ends.append(end)
            need.append(0)
            moved.append(0)
            free.append(0)
        else:
            needed = leg(where, visit.customer_id)
            if needed > gap:
                tight.append(at)
                short.append((holder, visit, end, needed))
            moving = needed if needed < gap else gap
            travel += moving
            if gap - moving > longest:
                longest = gap - moving
            work += moving + visit.end - visit.start
            end, where, holder = visit.end, visit.customer_id, visit
            new_ends.append(end)
            need.append(needed)
            moved.append(moving)
            free.append(gap - moving)
    # The shift's visits from there on (old index i, new i + 1), each worked out anew and
    # its old share of the work taken off, until the running state is again what it was
    # after one of them: from then on all is as it was.
    count = len(stops)
    was = holder if at else None  # the visit holding the end in the shift as it was
    index = at
    while index < count:
        stop = stops[index]
        start = stop.start
        gap = start - end
        if index:
            before_end = ends[index - 1]
            same = holder is was and end == before_end  # the same pair as before
            if start >= before_end:  # its old share of the work
                work -= travel_before[index] + stop.end - start
                travel -= travel_before[index]
                was = stop
            elif stop.end > before_end:
                work -= stop.end - before_end
                was = stop
        else:
            same = False
            work -= stop.end - start
            was = stop
        if gap < 0:  # overlapping: only the part beyond the running end is new work
            tight.append(index + 1)
            if not (same and needs[index] == 0):
                overlaps.append((holder, stop, end, 0))
            if stop.end > end:
                work += stop.end - end
                end, where, holder = stop.end, stop.customer_id, stop
            new_ends.append(end)
            need.append(0)
            moved.append(0)
            free.append(0)
        else:
            needed = leg(where, stop.customer_id)
            if needed > gap:
                tight.append(index + 1)
                if not (same and needs[index] == needed):
                    short.append((holder, stop, end, needed))
            moving = needed if needed < gap else gap
            travel += moving
            if gap - moving > longest:
                longest = gap - moving
            work += moving + stop.end - start
            end, where, holder = stop.end, stop.customer_id, stop
            new_ends.append(end)
            need.append(needed)
            moved.append(moving)
            free.append(gap - moving)
        index += 1
        if end == ends[index - 1] and holder is was:
            break  # in step again: the rest of the shift is as it was
    if at and at > 1:
        old_free = max(shift.free[:at])
        if old_free > longest:
            longest = old_free
    if index < count:
        new_ends.extend(ends[index:])
        need.extend(needs[index:])
        moved.extend(travel_before[index:])
        free.extend(shift.free[index:])
        tight.extend(i + 1 for i in shift.tight if i >= index)
        old_free = max(shift.free[index:])
        if old_free > longest:
            longest = old_free
        end = ends[-1]
    work += shift.work
    travel += shift.travel
    total = week.work - shift.work + work
    if total > _night_room(state, week):
        return None  # the night worker's average may be asked
    found: list[Problem] = []
    joined = None
    daily = end - (stops[0].start if at else visit.start) > DAY - rest
    breaks = work > ADULT.break_after and longest < ADULT.break_length
    if daily or breaks or overlaps or short:
        if daily or breaks:  # the rules per shift read the shift (the sequence ones, pairs)
            joined = _joined(
                shift, visit, at, new_ends, need, moved, free, work, travel, longest, tight
            )
        local = CarerWeek(
            carer,
            week.snap,
            week.visits,
            [joined] if joined else [],
            0,
            week.limits,
            week.mark,
            monday,
            sunday,
        )
        local.memo["pairs"] = overlaps + short  # the changed pairs the rules can fire on
        if daily:  # else rest enough in every 24 hours
            found.extend(
                p for p in daily_rest(local) if p.severity == "hard" and p.key not in before
            )
        if breaks:
            found.extend(p for p in rest_break(local) if p.key not in before)
        if overlaps:
            found.extend(p for p in overlap(local) if p.key not in before)
        if short:
            found.extend(p for p in travel_time(local) if p.key not in before)
    if found:
        return ("clash", tuple(found))
    if joined is None:
        joined = _joined(
            shift, visit, at, new_ends, need, moved, free, work, travel, longest, tight
        )
    return ("clear", [*shifts[:target], joined, *shifts[target + 1 :]], total, joined)


def _joined(shift, visit, at, ends, need, moved, free, work, travel, longest, tight) -> Shift:  # noqa: ANN001, PLR0913
    """The shift with the visit put in at ``at``: its figures up to there, then those
    worked out from there (``ends``... for the visit and every one after it)."""
    stops = shift.visits
    return Shift(
        visits=(*stops[:at], visit, *stops[at:]),
        ends=(*shift.ends[:at], *ends),
        need=(*shift.need[:at], *need),
        travel_before=(*shift.travel_before[:at], *moved),
        free=(*shift.free[:at], *free),
        work=work,
        travel=travel,
        longest_free=longest,
        tight=tuple(tight),
    )


def _week_order(stop: SVisit) -> tuple:
    """The order of a carer's week's visits (``CarerWeek.visits``: by day, start, id)."""
    return (stop.day, stop.start, stop.id)


def _per_snapshot(state: RotaState) -> dict:
    """Figures of a carer that depend on the week's snapshot alone (not on their visits),
    kept on the state across rankings and changes (a fork shares them: the same week)."""
    kept = getattr(state, "__dict__", None)
    if kept is None:  # no room for it: worked out each time
        return {}
    found = kept.get("_rank_memo")
    if found is None or found[0] is not state.snap:
        found = kept["_rank_memo"] = (state.snap, {})
    return found[1]


def _night_room(state: RotaState, week: CarerWeek) -> float:
    """The week's working time up to which ``night_average`` surely finds nothing: its
    own sum (the 16 weeks before, and 8 hours a day less a rest day a week), a figure of
    the carer and the snapshot, kept per snapshot."""
    memo = _per_snapshot(state)
    key = ("night", week.carer.id)
    room = memo.get(key)
    if room is None:
        carer = week.carer
        if carer.is_young_on(week.snap.monday):
            room = float("inf")
        else:
            weeks, earlier = 1, 0
            for back, minutes in enumerate(week.snap.history.get(carer.id, ())[:16], start=1):
                if minutes is not None:
                    weeks = back + 1
                    earlier += minutes
            room = NIGHT_AVERAGE_MAX * 6 * weeks - earlier
        memo[key] = room
    return room  # type: ignore[return-value]


def _short_shifts(carer: SCarer, shifts: list[Shift], rest: int) -> bool:
    """``daily_rest`` finds nothing: each shift spans no more than a day less the daily
    rest (the rule's first window then has rest enough, and so has every later one)."""
    longest = DAY - rest
    return all(s.ends[-1] - s.visits[0].start <= longest for s in shifts)


def _breaks_kept(carer: SCarer, shifts: list[Shift], rest: int) -> bool:
    """``rest_break`` finds nothing: no shift works past the limit without its break."""
    limits = ADULT if rest == ADULT.daily_rest else YOUNG
    after, length = limits.break_after, limits.break_length
    return not any(s.work > after and s.longest_free < length for s in shifts)


def _within_young_day(carer: SCarer, shifts: list[Shift], rest: int) -> bool:
    """``young_daily_limit`` finds nothing: an adult, or no shift over the young day."""
    limits = ADULT if rest == ADULT.daily_rest else YOUNG
    return limits.daily_max is None or all(s.work <= limits.daily_max for s in shifts)


def _no_hazards(carer: SCarer, shifts: list[Shift], rest: int) -> bool:
    """``night_hazard`` finds nothing: no special hazards recorded for the carer."""
    return not carer.special_hazards


_GATES: dict[str, Callable[[SCarer, list[Shift], int], bool]] = {
    "daily_rest": _short_shifts,
    "rest_break": _breaks_kept,
    "young_daily_limit": _within_young_day,
    "night_hazard": _no_hazards,
}
"""Cheap necessary conditions for the rules ``shift_clash`` runs, by rule name: where one
says True the rule finds nothing over the shifts rebuilt (or, for the night rule, the
week). With the daily rest one figure for the week (``_fixed_rest``) the limits are one
set for every day of it, told by that figure (11 hours: an adult's)."""
assert ADULT.daily_rest != YOUNG.daily_rest


def _plain(
    state: RotaState,
    carer: SCarer,
    visit_id: int,
    current: tuple[int, ...],
    first: list[Problem],
) -> Judgement:
    """The carer judged as ``rank_carers`` did before this module: the shift clash, then
    the what-if (for the cases step 3 does not cover)."""
    clash = state.shift_clash(carer.id, visit_id)
    if clash:
        return carer, clash, tuple(p for p in first if not p.is_hard and not p.accepted)
    recheck = state.what_if({visit_id: (*current, carer.id)})
    return (
        carer,
        tuple(recheck.added_hard),
        tuple(p for p in recheck.added_soft if not p.accepted),
    )


_OVER_WEEK = {
    young_weekly_limit: P.WTR_YOUNG_WEEK,
    average_48h: P.WTR_AVERAGE_48H,
    over_contract: P.OVER_CONTRACT,
}
"""The week rules on the week's working time alone, with the one problem each reports:
a visit put in only adds working time, so one found before is found again (its key)."""
assert ADULT.weekly_max is None  # an adult has no young worker's weekly limit


def _key(code: str, carer_id: int) -> tuple:
    """The key of a week-level problem of the carer (no visit, no day)."""
    return P.make(code, "", carer_id).key


def _all_rests(week: CarerWeek) -> list[tuple[int, int]]:
    """The rests of the carer's week as the weekly-rest rules work them out (from the
    shifts and last week's spans of work), kept on the week."""
    memo = week.memo
    found = memo.get("rank.all_rests")
    if found is None:
        spans = sorted(
            [
                *((s.start, s.end) for s in week.shifts),
                *week.earlier,
                *week.snap.previous_spans.get(week.carer.id, ()),
            ]
        )
        found = memo["rank.all_rests"] = _rests(spans)
    return found  # type: ignore[return-value]


def _rests_with(week: CarerWeek, low: int, high: int) -> list[tuple[int, int]]:
    """The week's rests with the work of ``low``..``high`` added: the shift the visit is
    in spans that, and covers the spans of the shifts it took in, so the rests are the
    ones before less that stretch."""
    found = []
    for start, end in _all_rests(week):
        if end <= low or start >= high:
            found.append((start, end))
            continue
        if start < low:
            found.append((start, low))
        if high < end:
            found.append((high, end))
    return found


def _weekly_rest_kept(week: CarerWeek, visit: SVisit, rest: int) -> bool:
    """Whether both weekly-rest rules surely find nothing with the visit put in: an adult
    whose week had a rest of 24 hours within it and of 35 in all (the weekly rest with
    the daily rest, reg 11(7)) that the visit does not reach into. Putting a visit in
    changes only rests it lies in (the shifts it joins fill gaps around it), so that rest
    is still there, and each rule's count finds it (``weekly._count``)."""
    if rest != ADULT.daily_rest:
        return False
    memo = week.memo
    kept = memo.get("rank.rests")
    if kept is None:
        snap = week.snap
        weekly, whole = ADULT.weekly_rest, ADULT.weekly_rest + ADULT.daily_rest
        low, high = snap.week_start, snap.week_end
        kept = memo["rank.rests"] = [
            (start, end)
            for start, end in _all_rests(week)
            if end - start >= whole and min(end, high) - max(start, low) >= weekly
        ]
    start, end = visit.start, visit.end
    return any(end <= low or start >= high for low, high in kept)


def _new_to_customer(week: CarerWeek, visit: SVisit, at: int, whole: CarerWeek) -> list[Problem]:
    """What ``new_to_customer`` finds new with the visit put in at ``at`` of the week's
    visits: at most the visit itself (the first this week to a customer not seen before);
    the others' are as they were."""
    customer_id = visit.customer_id
    if customer_id in week.snap.customers_seen_by(week.carer.id):
        return []
    if any(one.customer_id == customer_id for one in week.visits[:at]):
        return []  # an earlier visit to the customer this week is the one noted
    alone = CarerWeek(
        whole.carer,
        whole.snap,
        [visit],
        [],
        0,
        whole.limits,
        whole.mark,
        whole.first_day,
        whole.last_day,
    )
    return new_to_customer(alone)


def _fixed_rest(state: RotaState, carer: SCarer, week: CarerWeek) -> int | None:
    """The carer's daily rest this week when it is one figure (else None): a figure of
    the carer and the week's dates, kept per snapshot."""
    memo = _per_snapshot(state)
    key = ("rest", carer.id)
    rest = memo.get(key, False)
    if rest is False:
        found = state._rest(carer)
        rest = memo[key] = found if isinstance(found, int) else None
    return rest  # type: ignore[return-value]


def _splice(
    state: RotaState,
    week: CarerWeek,
    visit: SVisit,
    place: tuple,
    rest: int,
    monday: date,
    sunday: date,
) -> tuple[list[Shift], list[Shift], int]:
    """The shifts ``shift_clash`` rebuilds with ``visit`` put in, the week's shifts with
    them spliced in, and the week's working time so: built exactly as it builds them (the
    shift the visit falls in by its place, then each next one while the end moves)."""
    shifts = week.shifts
    memo = week.memo
    keys = memo.get("rank.first_keys")
    if keys is None:
        keys = memo["rank.first_keys"] = [stop_order(s.visits[0], monday, sunday) for s in shifts]
    first = max(bisect_left(keys, place) - 1, 0)
    head = shifts[first].visits
    at = bisect_left(head, place, key=lambda stop: stop_order(stop, monday, sunday))
    leg = state._table.leg(week.carer.transport_mode)
    stops = [*head[:at], visit, *head[at:]]
    last = first
    while True:
        rebuilt = build_shifts(stops, leg, rest)
        if last + 1 >= len(shifts) or rebuilt[-1].end == shifts[last].end:
            break
        last += 1  # the visit moved the end: the next shift may join this one
        stops.extend(shifts[last].visits)

    def in_week(stop: SVisit) -> bool:
        return monday <= stop.day <= sunday

    spliced = [*shifts[:first], *rebuilt, *shifts[last + 1 :]]
    work = week.work - week_work(shifts[first : last + 1], in_week) + week_work(rebuilt, in_week)
    return rebuilt, spliced, work


def travel_for(state: RotaState, visit: SVisit) -> Callable[[SCarer], int]:
    """``assign.travel_added`` for ``visit``, as a function of the carer: the same
    neighbours in the carer's day (the last ending by the visit's start, the first
    starting from its end), the same minutes (the travel table's memo per mode; the leg
    from home memoised too), with what every carer shares looked up once."""
    cells = state.cells
    visits = state.snap.visits
    day, start, end, visit_id = visit.day, visit.start, visit.end, visit.id
    customer = visit.customer_id
    place = state.snap.customers.get(customer)
    leg_of = state._table.leg

    def minutes(carer: SCarer) -> int:
        days = cells.get(carer.id)
        cell = days.get(day) if days else None
        before = after = None
        if cell:
            for other_id in cell:
                if other_id == visit_id:
                    continue
                other = visits[other_id]
                if other.end <= start:
                    before = other
                elif other.start >= end and after is None:
                    after = other
        if before is None and after is None:
            return 0 if place is None else _from_home(state, carer, place)
        leg = leg_of(carer.transport_mode)
        added = 0
        if before is not None:
            added += leg(before.customer_id, customer)
        if after is not None:
            added += leg(customer, after.customer_id)
        if before is not None and after is not None:
            added -= leg(before.customer_id, after.customer_id)
        return added

    return minutes


def _from_home(state: RotaState, carer: SCarer, place) -> int:  # noqa: ANN001
    """``travel_minutes`` from the carer's home to the customer's, memoised on the week's
    travel table (asked again for each visit the carer has nothing else around)."""
    config = state.snap.travel
    table = state._table.__dict__
    kept = table.get("_rank_home")
    if kept is None or kept[0] is not config:
        kept = table["_rank_home"] = (config, {})
    memo = kept[1]
    mode = carer.transport_mode
    key = (carer.lat, carer.lon, place.lat, place.lon, mode)
    found = memo.get(key)
    if found is None:
        found = memo[key] = travel_minutes(carer.lat, carer.lon, place.lat, place.lon, mode, config)
    return found
