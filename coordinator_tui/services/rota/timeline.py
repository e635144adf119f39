"""A carer's working day as a timeline: working time with travel between visits.

Working time is the union of the visit intervals plus the travel between consecutive
visits (never more than the gap it sits in); travel from home to the first visit and from
the last one home is not counted. The rest of a gap is free time, where a break can go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One working day: from the first start to the last end, in epoch minutes."""

    first_start: int
    last_end: int
    work: int  # minutes of working time, travel between visits included
    travel: int  # of which travel between visits
    longest_free: int  # longest free stretch between visits, travel taken out

    @property
    def span(self) -> int:
        return self.last_end - self.first_start


def summarise(
    stops: Sequence[tuple[int, int, int]], travel: Callable[[int, int], int]
) -> DaySummary | None:
    """``stops`` are (start, end, place) sorted by start; ``travel(a, b)`` in minutes."""
    if not stops:
        return None
    start, end, place = stops[0]
    first = start
    work = end - start
    travel_total = 0
    longest_free = 0
    for s, e, p in stops[1:]:
        if s < end:  # overlapping: only the part beyond the current end is new work
            if e > end:
                work += e - end
                end, place = e, p
            continue
        gap = s - end
        moving = min(travel(place, p), gap)
        travel_total += moving
        longest_free = max(longest_free, gap - moving)
        work += moving + (e - s)
        end, place = e, p
    return DaySummary(first, end, work, travel_total, longest_free)
