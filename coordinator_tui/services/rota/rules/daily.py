"""Rules judged per shift: daily rest, the rest break, the young worker's daily limit."""

from __future__ import annotations

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import CarerWeek, clock, hm, rule
from coordinator_tui.services.rota.shifts import Shift
from coordinator_tui.services.rota.wtr import DAY, SPLIT_MINIMUM_GAP


def _longest_rest(shift: Shift, first: int) -> tuple[int, int | None]:
    """The longest rest in the 24 hours from the start of visit ``first`` of the shift, and
    the index of the visit it ends before (None: the rest after the work in the window,
    which is cut at the window's end)."""
    visits, ends, travel, free = shift.visits, shift.ends, shift.travel_before, shift.free
    window_end = visits[first].start + DAY
    best, before = -1, None
    for index in range(first + 1, len(visits)):
        if visits[index].start >= window_end:
            tail = window_end - (ends[index - 1] + travel[index])
            if tail > best:
                best, before = tail, None
            return best, before
        if free[index] > best:
            best, before = free[index], index
    tail = window_end - shift.end
    if tail > best:
        best, before = tail, None
    return best, before


def _span(start: int, end: int) -> str:
    """``Mon 07:00-19:00``, or ``Mon 16:00-Tue 16:00`` when the work runs into the next
    day (a night shift's window is cut 24 hours on, at the same clock time: "Mon
    16:00-16:00" read as no time at all)."""
    first, last = clock(start), clock(end)
    return f"{first}-{last[4:] if last[:3] == first[:3] else last}"


@rule(
    "carer",
    "WTR 1998 reg 10; exemption reg 22(1)(c) with compensatory rest reg 24",
    P.WTR_DAILY_REST,
    P.WTR_COMPENSATORY_REST,
)
def daily_rest(week: CarerWeek) -> list:
    """The 24 hours from the start of any visit hold 11 consecutive hours of rest (12 under
    18). Shifts are joined by shorter gaps, so a gap of 11 hours or more is itself a daily
    rest and only a shift spanning more than 13 hours (12 under 18) can fall short; the
    problem names the longest rest the 24 hours had. An adult recorded as working split
    shifts under reg 22(1)(c) is shown the compensatory rest owed (reg 24) instead, on a
    shift that is split (a free stretch of an hour or more); the exemption does not reach
    a young worker's 12 hours (reg 10(2))."""
    found: dict[tuple, P.Problem] = {}
    carer = week.carer
    steady = week.steady_limits()
    for shift in week.week_shifts():
        visits = shift.visits
        if steady is not None and shift.ends[-1] - visits[0].start <= DAY - steady.daily_rest:
            continue  # (the first window below, told at once: the usual shift)
        for first in range(len(visits)):
            start = visits[first].start
            if steady is not None:
                needed = steady.daily_rest
            else:
                needed = week.limits(visits[first].day).daily_rest
            if shift.end - start <= DAY - needed:
                break  # every later window ends well after the shift: rest enough
            best, before = _longest_rest(shift, first)
            if best >= needed:
                continue
            if before is not None:
                ids, day = week.ids(visits[before - 1], visits[before]), visits[before].day
                what = f"{hm(best)} rest before {clock(visits[before].start)}"
            else:
                last = max(
                    (v for v in visits[first:] if v.start < start + DAY), key=lambda v: v.end
                )
                ids, day = week.ids(visits[first], last), visits[first].day
                what = (
                    f"working {_span(start, min(shift.end, start + DAY))} leaves "
                    f"{hm(best)} rest in the 24 hours from {clock(start)}"
                )
            if not (week.first_day <= day <= week.last_day):
                continue  # shown in the week that day belongs to
            limits = week.limits(visits[first].day)
            if (
                carer.split_shift_exempt
                and limits.weekly_rest_excludes_daily  # an adult: reg 22 names 10(1) only
                and shift.longest_free >= SPLIT_MINIMUM_GAP
            ):
                problem = P.make(
                    P.WTR_COMPENSATORY_REST,
                    f"{week.name}: split shift (reg 22(1)(c)), {what}; "
                    f"{hm(needed - max(best, 0))} compensatory rest owed (reg 24)",
                    carer.id,
                    ids,
                    day,
                    accepted=True,
                )
            else:
                problem = P.make(
                    P.WTR_DAILY_REST,
                    f"{week.name}: {what} (at least {hm(needed)} required in each 24 hours)",
                    carer.id,
                    ids,
                    day,
                )
            found.setdefault(problem.key, problem)
    return list(found.values())


@rule("carer", "WTR 1998 reg 12", P.WTR_BREAK)
def rest_break(week: CarerWeek) -> list:
    """A shift with more than 6 hours' working time (4.5 under 18), travel between visits
    counted, has a free stretch of at least 20 minutes (30 under 18) between two visits."""
    found = {}
    steady = week.steady_limits()
    for shift in week.week_shifts():
        limits = steady if steady is not None else week.limits(shift.day)
        if shift.work > limits.break_after and shift.longest_free < limits.break_length:
            day = week.shift_day(shift)
            problem = P.make(
                P.WTR_BREAK,
                f"{week.name}: {hm(shift.work)} shift from {clock(shift.start)} with no "
                f"{limits.break_length}-minute break (needed over {hm(limits.break_after)})",
                week.carer.id,
                (),
                day,
            )
            found.setdefault(problem.key, problem)
    return list(found.values())


@rule("carer", "WTR 1998 reg 5A", P.WTR_YOUNG_DAY)
def young_daily_limit(week: CarerWeek) -> list:
    """An under-18 works at most 8 hours in a shift, travel between visits counted."""
    found = {}
    steady = week.steady_limits()
    if steady is not None and steady.daily_max is None:
        return []  # an adult on every day of the week's shifts
    for shift in week.week_shifts():
        limits = week.limits(shift.day)
        if limits.daily_max is not None and shift.work > limits.daily_max:
            day = week.shift_day(shift)
            problem = P.make(
                P.WTR_YOUNG_DAY,
                f"{week.name} (under 18): {hm(shift.work)} working time from "
                f"{clock(shift.start)}, limit {hm(limits.daily_max)}",
                week.carer.id,
                (),
                day,
            )
            found.setdefault(problem.key, problem)
    return list(found.values())
