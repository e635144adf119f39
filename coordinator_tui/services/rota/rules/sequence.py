"""Rules about one visit after another in a carer's shift: no overlap, time to get there."""

from __future__ import annotations

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import CarerWeek, clock, hm, rule


def _pairs(week: CarerWeek) -> list[tuple]:
    """Each visit of a shift with the one before it that holds the running end (visits may
    overlap), that end and the travel needed from there; a pair is listed when its later
    visit is in this week. Worked out once per week (both rules here read it)."""
    found = week.memo.get("pairs")
    if found is not None:
        return found
    found = []
    first, last = week.first_day, week.last_day
    for shift in week.week_shifts():
        visits, ends, need = shift.visits, shift.ends, shift.need
        holder = visits[0]
        for index in range(1, len(visits)):
            visit = visits[index]
            end = ends[index - 1]
            if first <= visit.day <= last:
                found.append((holder, visit, end, need[index]))
            if visit.start >= end or visit.end > end:
                holder = visit
    week.memo["pairs"] = found
    return found


@rule("carer", "The rota itself: one carer, one place at a time", P.OVERLAP)
def overlap(week: CarerWeek) -> list:
    """A carer's visits do not overlap in time, across midnight too."""
    found = []
    for before, visit, end, _need in _pairs(week):
        if visit.start < end:
            found.append(
                P.make(
                    P.OVERLAP,
                    f"{week.name}: visits overlap at {clock(visit.start)}",
                    week.carer.id,
                    week.ids(before, visit),
                    visit.day,
                )
            )
    return found


@rule(
    "carer",
    "Travel estimate (haversine x road factor at the carer's speed); Tyco C-266/14",
    P.TRAVEL_TIME,
)
def travel_time(week: CarerWeek) -> list:
    """The gap between two visits of a shift is at least the travel between them, by the
    carer's transport mode."""
    found = []
    mode = week.carer.transport_mode
    for before, visit, end, need in _pairs(week):
        if visit.start < end:
            continue
        gap = visit.start - end
        if gap < need:
            found.append(
                P.make(
                    P.TRAVEL_TIME,
                    f"{week.name}: {hm(gap)} to travel {clock(end)}-{clock(visit.start)[4:]}"
                    f", {mode} needs {hm(need)}",
                    week.carer.id,
                    week.ids(before, visit),
                    visit.day,
                )
            )
    return found
