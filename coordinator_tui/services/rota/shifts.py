"""A carer's working time as shifts, the unit the Working Time Regulations are read over.

A *shift* is a run of a carer's visits joined by gaps shorter than the daily rest (11 hours,
12 under 18). So a night that crosses midnight is one shift however the calendar cuts it,
a split day (a morning run, then an evening run a few hours later) is one shift, and a gap
of 11 hours or more, even inside one calendar day, is itself a daily rest that ends one
shift and starts another. Daily rest (reg 10), the rest break (reg 12), the young worker's
daily limit (reg 5A) and night work (reg 6, 6A) are judged per shift.

Inside a shift, working time is the union of the visits plus the travel between
consecutive visits (never more than the gap it sits in, CJEU C-266/14 Tyco); the rest of a
gap is free time, where a break or a rest can go. Travel from home to the first visit of a
shift and home from the last is not counted (the agency's convention, as in
``timeline.summarise``).

Times are epoch minutes (UTC), so every duration is right across the clock changes; night
time and the young workers' restricted period are UK wall-clock periods, turned into epoch
minutes day by day (:func:`local_minute`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice

from coordinator_tui.clock import UK
from coordinator_tui.services.rota.wtr import DAY, NIGHT_LENGTH


@lru_cache(maxsize=8192)
def local_minute(day: date, minute: int) -> int:
    """Epoch minutes of UK wall-clock ``minute`` (0-1439) on ``day``.

    Memoised: night windows are asked for day after day by every shift of the week."""
    moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=UK)
    return int(moment.timestamp()) // 60


def local_date(epoch_minute: int) -> date:
    """The UK calendar date of an epoch minute."""
    return datetime.fromtimestamp(epoch_minute * 60, UK).date()


class Stop:
    """What the shift builder needs of a visit (``SVisit`` has these attributes)."""

    id: int
    customer_id: int
    day: date
    start: int
    end: int


@dataclass(slots=True, unsafe_hash=True)
class Shift:
    """One shift: its visits by start and, for each, the travel and free time before it.
    Read-only by convention, not ``frozen`` (as ``SVisit``): a frozen dataclass sets each
    field through ``object.__setattr__``, and a large week's full check makes 3,600.

    ``ends[i]`` is the latest end among the first ``i + 1`` visits (visits may overlap);
    ``need[i]`` the travel from where the carer then is to visit ``i``; ``travel_before[i]``
    the part of it that counts (never more than the gap); ``free[i]`` the free (rest) time
    left in the gap (0 for the first visit and for an overlapping one). ``tight`` lists the
    visits (by index) that start before ``ends[i - 1]`` or with a gap shorter than
    ``need[i]``: the only ones the rules on one visit after another look at.
    """

    visits: tuple  # the visits (SVisit), by start
    ends: tuple[int, ...]
    need: tuple[int, ...]
    travel_before: tuple[int, ...]
    free: tuple[int, ...]
    work: int  # minutes of working time, travel between visits included
    travel: int
    longest_free: int
    tight: tuple[int, ...] = ()

    @property
    def start(self) -> int:
        return self.visits[0].start

    @property
    def end(self) -> int:
        return self.ends[-1]

    @property
    def span(self) -> int:
        return self.end - self.start

    @property
    def day(self) -> date:
        """The day the shift starts (the day the rota shows it on)."""
        return self.visits[0].day

    def working_intervals(self) -> Iterable[tuple[int, int]]:
        """The stretches of working time: each visit, and the travel right after the
        previous one (where the carer is taken to travel)."""
        visits, ends, travel = self.visits, self.ends, self.travel_before
        for index, visit in enumerate(visits):
            if index and travel[index]:
                yield ends[index - 1], ends[index - 1] + travel[index]
            yield visit.start, visit.end


def build_shifts(
    visits: Sequence,
    leg: Callable[[int, int], int],
    daily_rest: int | Callable[[date], int],
) -> list[Shift]:
    """The shifts of ``visits`` (sorted by start). ``leg(a, b)`` is the travel in minutes
    between two customers (a dict keyed by the pair, ``TravelTable.leg``'s, is read
    without a call); ``daily_rest`` the rest that ends a shift (11 hours, 12 under 18), or
    a function of the day of the visit after the gap when that changes (an 18th birthday
    in the week).

    The figures of every visit go into lists for the whole run, each shift then taking
    its slice (a large week's full check builds 300 carers' weeks, 15,000 visits). They
    are appended to as ``list.append`` (which Python 3.11 does inline: an append looked
    up once and called was a call each, 48,000 in a full check at ten times the data)."""
    if not visits:
        return []
    fixed = daily_rest if isinstance(daily_rest, int) else None
    pairs = leg if isinstance(leg, dict) else None
    first = visits[0]
    end, place = first.end, first.customer_id
    ends, need, free = [end], [0], [0]
    tight: list[int] = []  # indices in ``visits``
    # Where the travel that counts is less than the travel needed (the gap is shorter):
    # (index, the gap). Elsewhere ``travel_before`` is ``need``, so a shift with none of
    # these shares its ``need`` tuple (nearly all: one tuple and a list append a visit
    # fewer, issue 23 §1).
    cut: list[tuple[int, int]] = []
    opens = [0]  # the index of each shift's first visit
    limit = fixed if fixed is not None else 0  # (a daily rest is never under 0)
    # Per visit only what it adds to the run's lists: each shift's working time, travel
    # and longest free stretch are worked out from its slices after (below).
    for visit in islice(visits, 1, None):  # the visit's index is ``len(ends)``
        gap = visit.start - end
        if gap >= limit and (fixed is not None or gap >= daily_rest(visit.day)):
            opens.append(len(ends))
            end, place = visit.end, visit.customer_id
            ends.append(end)
            need.append(0)
            free.append(0)
            continue
        if gap < 0:  # overlapping: only the part beyond the current end is new work
            tight.append(len(ends))
            if visit.end > end:
                end, place = visit.end, visit.customer_id
            ends.append(end)
            need.append(0)
            free.append(0)
            continue
        customer = visit.customer_id
        if customer == place:
            needed = 0
        elif pairs is not None:
            needed = pairs[(place, customer)]
        else:
            needed = leg(place, customer)
        if needed > gap:
            tight.append(len(ends))
            cut.append((len(ends), gap))
            free.append(0)
        else:
            free.append(gap - needed)
        end, place = visit.end, customer
        ends.append(end)
        need.append(needed)
    # Each shift's figures are slices of the run's as tuples (a tuple's slice is made in
    # one step, a list's would be copied twice). Its working time is its span less its
    # free time (each gap is travel, counted up to the gap, then free time; an
    # overlapping visit adds only what it runs on past the end), its travel the sum of
    # ``travel_before``, its longest free stretch the most of ``free`` (0 at the first).
    stops, all_ends, all_need = tuple(visits), tuple(ends), tuple(need)
    all_free = tuple(free)
    opens.append(len(stops))
    shifts = []
    for number in range(len(opens) - 1):
        low, high = opens[number], opens[number + 1]
        close = ()
        its_need = travel = all_need[low:high]
        if tight and tight[-1] >= low:
            inside = tight[bisect_left(tight, low) : bisect_left(tight, high)]
            close = tuple(i - low for i in inside)
            at = bisect_left(cut, (low,)) if cut and cut[-1][0] >= low else len(cut)
            if at < len(cut) and cut[at][0] < high:
                moved = list(its_need)
                for index, gap in cut[at:]:
                    if index >= high:
                        break
                    moved[index - low] = gap
                travel = tuple(moved)
        its_ends, its_free = all_ends[low:high], all_free[low:high]
        shifts.append(
            Shift(
                stops[low:high],
                its_ends,
                its_need,
                travel,
                its_free,
                its_ends[-1] - stops[low].start - sum(its_free),
                sum(travel),
                max(its_free),
                close,
            )
        )
    return shifts


def last_shift(
    visits: Sequence, daily_rest: int | Callable[[date], int]
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Where the last shift of ``visits`` (sorted by start) starts, and the spans (first
    start, last end) of the shifts before it, as :func:`build_shifts` cuts them (a gap of
    the daily rest or more from the running end), without building them: of last week's
    shifts only the last can run on into this week, and the others are read only for
    their spans (the weekly rest). 0 and none for no visits."""
    if not visits:
        return 0, ()
    fixed = daily_rest if isinstance(daily_rest, int) else None
    spans: list[tuple[int, int]] = []
    first = visits[0]
    opened, end = first.start, first.end
    at = 0
    limit = fixed if fixed is not None else 0  # (a daily rest is never under 0)
    for index in range(1, len(visits)):
        visit = visits[index]
        gap = visit.start - end
        if gap >= limit and (fixed is not None or gap >= daily_rest(visit.day)):
            spans.append((opened, end))
            at, opened, end = index, visit.start, visit.end
        else:
            ends = visit.end
            if ends > end:
                end = ends
    return at, tuple(spans)


# -- night time -------------------------------------------------------------------------


def night_windows(first: int, last: int, night_start: int) -> list[tuple[int, int]]:
    """The night-time periods (epoch minutes) touching ``first``..``last``: 7 wall-clock
    hours from ``night_start`` (a minute of the day, 22:00 to midnight) each night."""
    begin = night_start + (DAY if night_start == 0 else 0)  # "midnight" is the next day
    finish = begin + NIGHT_LENGTH
    return period_windows(first, last, begin, finish)


def period_windows(first: int, last: int, opens: int, closes: int) -> list[tuple[int, int]]:
    """Nightly wall-clock periods from ``opens`` to ``closes`` (minutes from the midnight
    starting a day; past 1440 is the next day) touching ``first``..``last``."""
    if closes <= opens:
        closes += DAY
    windows = []
    day = local_date(first) - timedelta(days=1)
    stop = local_date(last)
    while day <= stop:
        windows.append(
            (
                local_minute(day + timedelta(days=opens // DAY), opens % DAY),
                local_minute(day + timedelta(days=closes // DAY), closes % DAY),
            )
        )
        day += timedelta(days=1)
    return windows


def overlap(intervals: Iterable[tuple[int, int]], windows: list[tuple[int, int]]) -> int:
    """Minutes of ``intervals`` inside ``windows``."""
    total = 0
    for start, end in intervals:
        for opens, closes in windows:
            low, high = max(start, opens), min(end, closes)
            if high > low:
                total += high - low
    return total


def night_minutes(shift: Shift, night_start: int) -> int:
    """Minutes of the shift's working time (travel included) in night time (reg 2)."""
    windows = night_windows(shift.start, shift.end, night_start)
    return overlap(shift.working_intervals(), windows)


def week_work(shifts: Iterable[Shift], in_week: Callable[[object], bool]) -> int:
    """Working minutes of the visits ``in_week`` accepts, with the travel between two such
    visits of one shift (a shift across the week's edge counts its own week's part)."""
    total = 0
    for shift in shifts:
        visits, ends, travel = shift.visits, shift.ends, shift.travel_before
        inside_first, inside_last = in_week(visits[0]), in_week(visits[-1])
        if inside_first and inside_last:
            total += shift.work  # wholly in the week (visits are dated by their start)
            continue
        if not inside_first and not inside_last and len(visits) < 3:
            continue
        for index, visit in enumerate(visits):
            if not in_week(visit):
                continue
            if index and in_week(visits[index - 1]):
                before = ends[index - 1]
                total += travel[index] + max(visit.end - max(visit.start, before), 0)
            else:
                total += visit.end - visit.start
    return total


@dataclass(frozen=True)
class WeekFigures:
    """What ``CarerWeekHours`` keeps for one carer's week."""

    minutes: int  # working time, travel between visits counted
    shifts: int  # shifts starting in the week
    night_shifts: int  # of which with 3 hours or more in night time (reg 2)
    first_start: int | None  # epoch minutes of the week's first visit...
    last_end: int | None  # ... and of the end of its last
    long_rests: tuple[tuple[int, int], ...]  # rests of 24 hours or more between them


LONG_REST = 24 * 60


def week_figures(
    visits: Sequence,
    leg: Callable[[int, int], int],
    daily_rest: int | Callable[[date], int],
    night_start: int,
    first: date,
    last: date,
) -> WeekFigures:
    """The figures of the visits dated ``first`` to ``last`` (sorted by start). A night
    shift has 3 hours or more in night time (reg 2); a shift counts in the week it starts;
    the long rests are what the 14-day weekly rest (reg 11(2)) reads of a past week."""
    from coordinator_tui.services.rota.wtr import NIGHT_WORKER_MINUTES

    shifts = build_shifts(visits, leg, daily_rest)

    def inside(visit) -> bool:
        return first <= visit.day <= last

    minutes = week_work(shifts, inside)
    counted = [s for s in shifts if inside(s.visits[0])]
    nights = sum(1 for s in counted if night_minutes(s, night_start) >= NIGHT_WORKER_MINUTES)
    mine = [v for v in visits if inside(v)]
    rests: list[tuple[int, int]] = []
    end = None
    for visit in mine:
        if end is not None and visit.start - end >= LONG_REST:
            rests.append((end, visit.start))
        end = visit.end if end is None else max(end, visit.end)
    return WeekFigures(
        minutes,
        len(counted),
        nights,
        mine[0].start if mine else None,
        end,
        tuple(rests),
    )


def spans_from(
    first_start: int | None, last_end: int | None, long_rests: Iterable[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """A week's work as spans between its long rests (the inverse of ``long_rests``)."""
    if first_start is None or last_end is None:
        return ()
    spans, cursor = [], first_start
    for start, end in sorted(long_rests):
        spans.append((cursor, start))
        cursor = end
    spans.append((cursor, last_end))
    return tuple(spans)


def rests_text(rests: Iterable[tuple[int, int]]) -> str:
    """Long rests as kept in ``CarerWeekHours.long_rests``: "start-end" epoch minutes."""
    return " ".join(f"{start}-{end}" for start, end in rests)


def rests_from_text(text: str) -> tuple[tuple[int, int], ...]:
    found = []
    for part in (text or "").split():
        start, _, end = part.partition("-")
        if start.isdigit() and end.isdigit():
            found.append((int(start), int(end)))
    return tuple(found)
