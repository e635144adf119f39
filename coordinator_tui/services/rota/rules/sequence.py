"""Rules about one visit after another in a carer's shift: no overlap, time to get there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import CarerWeek, clock, hm, rule

if TYPE_CHECKING:
    from coordinator_tui.services.rota.shifts import Shift
    from coordinator_tui.services.rota.snapshot import SVisit


def _pairs(week: CarerWeek) -> list[tuple]:
    """Each visit of a shift that starts before the running end (visits may overlap) or
    with a gap shorter than the travel from where the carer then is (``Shift.tight``: the
    only visits either rule here can fire on), with the one before it that holds that
    end, the end and the travel needed; a pair is listed when its later visit is in this
    week. Worked out once per week (both rules here read it)."""
    found = week.memo.get("pairs")
    if found is not None:
        return found
    found = []
    first, last = week.first_day, week.last_day
    for shift in week.week_shifts():
        if not shift.tight:
            continue
        visits, ends, need = shift.visits, shift.ends, shift.need
        for index in shift.tight:
            visit = visits[index]
            if first <= visit.day <= last:
                found.append((_holder(shift, index), visit, ends[index - 1], need[index]))
    week.memo["pairs"] = found
    return found


def _holder(shift: Shift, index: int) -> SVisit:
    """The visit before ``index`` that holds the shift's running end: the last one that
    did not start inside the visits before it, or ended after them all."""
    visits, ends = shift.visits, shift.ends
    for before in range(index - 1, 0, -1):
        visit = visits[before]
        if visit.start >= ends[before - 1] or visit.end > ends[before - 1]:
            return visit
    return visits[0]


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
