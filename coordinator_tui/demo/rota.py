"""The demo's homecare rota, planned the way a coordinator builds one.

Why a module of its own: ``demo.py`` draws people and writes rows; this module decides who
goes where and when, with no database and no randomness of its own beyond the
``random.Random`` it is handed (so a seed always gives the same week).

How a week is planned, as an agency does it:

1. Customers live in a few areas of the town; each package is a set of calls in the usual
   parts of the day (:data:`BLOCKS`), some every day, some three days a week.
2. :func:`build_runs` turns each area's calls into *runs*: one carer's round for a shift
   (:data:`SHIFTS`: early, split with a proper gap, late), with each call's time chosen so
   that the travel between consecutive calls fits, measured with the validator's own
   :class:`~coordinator_tui.services.rota.travel.TravelTable`. A double-up call sits on
   two runs at the same minute. Walking runs are planned at walking speed.
3. :func:`staff_runs` gives every run a regular carer for most of the week and relief
   carers for their days off, never a late shift followed by a day shift and never more
   than six days, so daily and weekly rest hold and continuity of carer is high.
4. :func:`week_visits` lays the plan onto a real week; :func:`add_trouble` then spoils a
   few things on purpose, so the demo still shows the validator at work: one overlap, one
   journey too tight, one expired skill, a carer off sick whose visits need Plan B, and a
   few visits nobody is allocated to yet.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from coordinator_tui.services.rota.shifts import WeekFigures, local_minute, week_figures
from coordinator_tui.services.rota.travel import TravelTable
from coordinator_tui.services.rota.wtr import ADULT, NIGHT_START_DEFAULT, YOUNG

DAILY = "1111111"
WEEKDAYS = "1111100"
THREE_DAYS = ("1010100", "0101010")  # complementary, so two calls can share a slot


@dataclass(frozen=True)
class Block:
    """A part of the day for one kind of call: calls start at ``opens`` or later and end
    by ``closes`` (minutes of the UK wall-clock day)."""

    name: str
    opens: int
    closes: int


BLOCKS: dict[str, Block] = {
    "morning": Block("morning", 7 * 60, 11 * 60 + 30),
    "lunch": Block("lunch", 11 * 60 + 30, 14 * 60 + 30),
    "tea": Block("tea", 16 * 60, 18 * 60 + 30),
    "bed": Block("bed", 19 * 60, 22 * 60),
    # A night sit from 22:00 to 04:00 the next morning (minutes past 24:00: the next day).
    "night": Block("night", 22 * 60, 28 * 60),
}
BLOCK_ORDER = ("morning", "lunch", "tea", "bed", "night")


@dataclass(frozen=True)
class Shift:
    """A kind of shift: the blocks it works and the carer's availability for it.

    ``family``: "day" shifts end by 19:00, so one may follow another the next morning with
    more than 12 hours' rest; a "late" shift ends at 22:00 and must not be followed by a
    day shift the next morning (WTR reg 10); a "night" shift (22:00 to 04:00, one shift
    across midnight) is worked by night workers only, who work no day shifts.
    """

    name: str
    blocks: tuple[str, ...]
    family: str
    windows: tuple[tuple[int, int], ...]  # availability, minutes of the day


SHIFTS: dict[str, Shift] = {
    "early": Shift("early", ("morning", "lunch"), "day", ((7 * 60, 15 * 60),)),
    "split": Shift(
        "split", ("morning", "tea"), "day", ((7 * 60, 13 * 60), (15 * 60 + 30, 19 * 60))
    ),
    "late": Shift("late", ("lunch", "tea", "bed"), "late", ((11 * 60, 22 * 60 + 30),)),
    # The window runs past midnight: 22:00 to 04:30 the next morning.
    "night": Shift("night", ("night",), "night", ((22 * 60, 4 * 60 + 30),)),
}
NIGHT_SIT_EVERY = 150  # one customer in 150 (one at least) has a night sitter


@dataclass(frozen=True)
class Package:
    """A kind of care package: its calls' blocks, how often, and how long each call is."""

    blocks: tuple[str, ...]
    minutes: tuple[int, ...]
    weekly: bool = False  # three days a week rather than every day
    weekdays_only: bool = False  # Monday to Friday (family helps at weekends)
    weight: int = 1


# Customers needing a lot of care (several calls a day; double-ups come from these)...
HEAVY = (
    Package(("morning", "lunch", "tea", "bed"), (45, 30, 30, 30), weight=3),
    Package(("morning", "lunch", "bed"), (45, 30, 30), weight=2),
    Package(("morning", "tea", "bed"), (45, 30, 30), weight=2),
    Package(("morning", "bed"), (45, 30), weight=4),
    Package(("morning", "tea"), (45, 30), weight=2),
)
# ... and those needing a call a day or less: medication, a meal, a shower, the shopping.
LIGHT = (
    Package(("morning",), (30,), weight=4),
    Package(("bed",), (30,), weight=2),
    Package(("lunch",), (30,), weight=1),
    Package(("lunch",), (30,), weekdays_only=True, weight=1),
    Package(("tea",), (30,), weight=2),
    Package(("tea",), (30,), weekdays_only=True, weight=1),
    Package(("morning",), (45,), weekly=True, weight=3),
    Package(("lunch",), (60,), weekly=True, weight=3),
)
TASKS = {
    "morning": "Personal care, breakfast",
    "lunch": "Lunch",
    "tea": "Tea",
    "bed": "Personal care, bed",
    "night": "Night sit (turns, continence care)",
}
WEEKLY_TASKS = {"morning": "Personal care, shower", "lunch": "Shopping and domestic"}
SPECIAL_SKILL = "CATH"  # the weekly catheter-care call whose carer's training has lapsed
CONTRACTS = (16.0, 20.0, 25.0, 30.0, 37.5, 40.0, 45.0)


def _mean_calls(packages: Iterable[Package]) -> float:
    """Average calls a day of a package drawn from ``packages`` by weight."""
    packages = list(packages)
    total = sum(p.weight for p in packages)
    return sum(p.weight * len(p.blocks) * _days(p) / 7 for p in packages) / total


def _days(package: Package) -> int:
    """Days a week a package's calls happen."""
    return 3 if package.weekly else 5 if package.weekdays_only else 7


def heavy_share(calls_per_day: float) -> float:
    """The share of heavy packages that gives ``calls_per_day`` on average per customer."""
    light, heavy = _mean_calls(LIGHT), _mean_calls(HEAVY)
    return min(max((calls_per_day - light) / (heavy - light), 0.0), 1.0)


# -- the people the plan is about ------------------------------------------------------------


@dataclass
class Client:
    """A customer as the planner sees them (``index`` is also their travel-table key)."""

    index: int
    area: int
    lat: float
    lon: float
    double: bool = False  # every call needs two carers (hoist)
    starts: date = date.min  # the package's first day


@dataclass
class Worker:
    """A carer as the planner sees them. ``days``: days a week they want to work."""

    index: int
    gender: str
    area: int
    days: int
    weekends: bool
    young: bool = False
    shifts: set[str] = field(default_factory=set)
    week: dict[int, int] = field(default_factory=dict)  # weekday -> run, the usual week
    mode: str = "drive"
    night: bool = False  # works the night sits, and only those


@dataclass
class Call:
    """One recurring call of a package (a visit template), placed on runs by the planner."""

    key: int
    customer: int
    block: str
    minutes: int
    carers: int = 1
    weekdays: str = DAILY
    skills: tuple[str, ...] = ()
    tasks: str = ""
    start: int = 0  # planned minute of the day
    runs: list[int] = field(default_factory=list)  # one run per carer needed


@dataclass
class Run:
    """A carer's round for one shift in one area; the same round every day it has calls."""

    id: int
    shift: str
    area: int
    mode: str  # the travel mode the round was planned at ("walk" rounds are compact)
    calls: list[int] = field(default_factory=list)
    days: frozenset[int] = frozenset()


# -- 1. calls ----------------------------------------------------------------------------------


def draw_calls(
    rnd: random.Random, clients: list[Client], calls_per_day: float, special_weekday: int
) -> list[Call]:
    """Every client's calls: heavy packages with the share that gives ``calls_per_day``;
    double-up clients get a heavy package. One light client also has a weekly catheter call
    on ``special_weekday`` (needing :data:`SPECIAL_SKILL`)."""
    share = heavy_share(calls_per_day)
    calls: list[Call] = []
    special_done = False
    nights_left = max(len(clients) // NIGHT_SIT_EVERY, 1)
    for client in clients:
        new = client.starts != date.min  # a new customer starts with a call a day or less
        heavy = client.double or (rnd.random() < share and not new)
        choices = HEAVY if heavy else LIGHT
        package = rnd.choices(choices, weights=[p.weight for p in choices])[0]
        weekdays = rnd.choice(THREE_DAYS) if package.weekly else DAILY
        if package.weekdays_only:
            weekdays = WEEKDAYS
        for block, minutes in zip(package.blocks, package.minutes, strict=True):
            medication = block in ("morning", "bed") and rnd.random() < 0.6
            skills = ("MED",) if medication else ()
            if client.double:
                skills = (*skills, "HOIST")
            tasks = (WEEKLY_TASKS if package.weekly else TASKS)[block]
            calls.append(
                Call(
                    len(calls),
                    client.index,
                    block,
                    minutes,
                    2 if client.double else 1,
                    weekdays,
                    skills,
                    tasks + (", meds" if medication else ""),
                )
            )
        if not new and not client.double and nights_left and client.index % 7 == 3:
            nights_left -= 1  # three nights a week (respite), two customers sharing a sitter
            calls.append(
                Call(
                    len(calls),
                    client.index,
                    "night",
                    360,
                    weekdays=THREE_DAYS[nights_left % 2],
                    tasks=TASKS["night"],
                )
            )
        if not special_done and not heavy and not new:
            mask = "".join("1" if day == special_weekday else "0" for day in range(7))
            calls.append(
                Call(
                    len(calls),
                    client.index,
                    "lunch",
                    30,
                    1,
                    mask,
                    (SPECIAL_SKILL,),
                    "Catheter care",
                )
            )
            special_done = True
    return calls


# -- 2. runs -----------------------------------------------------------------------------------


@dataclass
class _Slot:
    """What a run does at one time: a call, or two three-days-a-week calls on different
    days sharing the time (Monday, Wednesday, Friday at one customer; Tuesday, Thursday,
    Saturday at another). Travel to and from a slot is the longest of its members', so the
    round holds whichever of them happens on the day (the triangle inequality)."""

    calls: list[Call]

    @property
    def key(self) -> int:
        return self.calls[0].key

    @property
    def places(self) -> tuple[int, ...]:
        return tuple(call.customer for call in self.calls)

    @property
    def minutes(self) -> int:
        return max(call.minutes for call in self.calls)

    @property
    def carers(self) -> int:
        return max(call.carers for call in self.calls)


@dataclass
class _Round:
    """A run being built: where the carer may be and when they are free."""

    run: Run
    free: int = 0
    at: tuple[int, ...] = ()  # the places of the last slot (client indexes)


BREAK_MINUTES = 30  # kept between an early round's morning and lunch (WTR reg 12, under-18s)


def build_runs(calls: list[Call], clients: list[Client], table: TravelTable) -> list[Run]:
    """Plan every area's calls into runs; sets each call's ``start`` and ``runs``.

    Each area starts with the runs its busiest blocks need and gains one run of the right
    shift until every call fits. Calls that never fit are left off runs (unallocated)."""
    by_area: dict[int, list[Call]] = defaultdict(list)
    for call in calls:
        by_area[clients[call.customer].area].append(call)
    runs: list[Run] = []
    for area in sorted(by_area):
        runs.extend(_area_runs(area, by_area[area], clients, table, len(runs)))
    for run in runs:
        run.days = frozenset(
            day for day in range(7) if any(calls[key].weekdays[day] == "1" for key in run.calls)
        )
    return runs


def _slots(calls: list[Call], table: TravelTable) -> list[_Slot]:
    """A block's calls as slots: each daily call alone, part-week calls paired with the
    nearest call on the other days where there is one."""
    slots = [_Slot([call]) for call in calls if call.weekdays == DAILY]
    part = [call for call in calls if call.weekdays != DAILY]
    while part:
        call = part.pop(0)
        mask = int(call.weekdays, 2)
        others = [c for c in part if not int(c.weekdays, 2) & mask and c.carers == call.carers]
        if others:
            mate = min(
                others, key=lambda c: (table.minutes(call.customer, c.customer, "walk"), c.key)
            )
            part.remove(mate)
            slots.append(_Slot([call, mate]))
        else:
            slots.append(_Slot([call]))
    return sorted(slots, key=lambda slot: slot.key)


def _first_counts(slots: dict[str, list[_Slot]]) -> dict[str, int]:
    """Runs of each shift an area needs at first: each block's slot minutes (with some
    travel) over the block's length."""
    need = {}
    for name, block in BLOCKS.items():
        minutes = sum((slot.minutes + 6) * slot.carers for slot in slots.get(name, ()))
        need[name] = math.ceil(minutes / (block.closes - block.opens))
    need["night"] = sum(slot.carers for slot in slots.get("night", ()))  # a sit a night
    # Split rounds (a morning run, then a tea-time run) take the tea calls the late rounds
    # cannot, and those of a third of them too, with some morning calls: agencies plan
    # many of them.
    late = need["bed"]
    split = max(need["tea"] - late, 0) + late // 3
    early = max(need["morning"] - split, need["lunch"] - late, 0)
    return {"early": early, "split": split, "late": late, "night": need["night"]}


def _area_runs(
    area: int, calls: list[Call], clients: list[Client], table: TravelTable, first_id: int
) -> list[Run]:
    slots = {name: _slots([c for c in calls if c.block == name], table) for name in BLOCKS}
    counts = _first_counts(slots)
    for _ in range(40):
        runs, placed, left = _try_area(area, slots, counts, clients, table, first_id)
        if not left:
            break
        counts[_grow(left)] += 1
    for call in calls:  # a call that never fitted keeps its block's first minute, unstaffed
        call.start, call.runs = placed.get(call.key, (BLOCKS[call.block].opens, []))
    return runs


def _grow(left: set[str]) -> str:
    """The one shift to add a run of when calls were left over in the ``left`` blocks: the
    one covering most of them (a late round also takes lunch and tea calls)."""
    if "night" in left:
        return "night"
    if "bed" in left:
        return "late"
    if "tea" in left:
        return "split"
    return "early"


def _try_area(
    area: int,
    slots: dict[str, list[_Slot]],
    counts: dict[str, int],
    clients: list[Client],
    table: TravelTable,
    first_id: int,
) -> tuple[list[Run], dict[int, tuple[int, list[int]]], set[str]]:
    """One attempt with ``counts`` runs per shift: the runs, each placed call's (start,
    runs), and the blocks with calls left over."""
    rounds: list[_Round] = []
    for shift in SHIFTS:
        for _ in range(counts[shift]):
            index = len(rounds)
            mode = "walk" if index % 5 == 4 else "drive"
            rounds.append(_Round(Run(first_id + index, shift, area, mode)))
    placed: dict[int, tuple[int, list[int]]] = {}
    left: set[str] = set()
    for name in BLOCK_ORDER:
        block = BLOCKS[name]
        pending = list(slots[name])
        working = [r for r in rounds if name in SHIFTS[r.run.shift].blocks]
        if not pending:
            continue
        _seed(working, pending, clients)
        for r in working:
            if r.run.calls and name == "lunch":
                r.free += BREAK_MINUTES  # the early round's break between its blocks
            r.free = max(r.free, block.opens)
        if _fill_block(block, working, pending, table, placed):
            left.add(name)
    return [r.run for r in rounds], placed, left


def _seed(working: list[_Round], pending: list[_Slot], clients: list[Client]) -> None:
    """Rounds with no position yet start beside slots spread around the area (a sweep by
    angle), so each round takes a neighbourhood of its own."""
    fresh = [r for r in working if not r.at]
    if not fresh:
        return
    lat = sum(clients[s.places[0]].lat for s in pending) / len(pending)
    lon = sum(clients[s.places[0]].lon for s in pending) / len(pending)
    around = sorted(
        pending,
        key=lambda s: (
            math.atan2(clients[s.places[0]].lat - lat, clients[s.places[0]].lon - lon),
            s.key,
        ),
    )
    for position, r in enumerate(fresh):
        r.at = around[position * len(around) // len(fresh)].places


def _ceil5(minute: int) -> int:
    return -(-minute // 5) * 5


def _fill_block(
    block: Block,
    working: list[_Round],
    pending: list[_Slot],
    table: TravelTable,
    placed: dict[int, tuple[int, list[int]]],
) -> bool:
    """Give the block's slots to the rounds: the round free soonest takes the slot it can
    start soonest (a double-up with the partner round that can join it soonest), until no
    round can take another. True when slots are left over."""
    open_rounds = list(working)
    while open_rounds and pending:
        first = min(open_rounds, key=lambda r: (r.free, r.run.id))
        best: tuple[int, int, _Slot, _Round | None] | None = None
        for slot in pending:
            arrive = first.free + _leg(table, first, slot)
            partner, start = None, _ceil5(max(arrive, block.opens))
            if slot.carers > 1:
                partner, start = _partner(block, open_rounds, first, slot, arrive, table)
                if partner is None:
                    continue
            if start + slot.minutes > block.closes:
                continue
            cost = start - first.free + (start - partner.free if partner else 0)
            if best is None or (cost, slot.key) < (best[0], best[2].key):
                best = (cost, start, slot, partner)
        if best is None:
            open_rounds.remove(first)
            continue
        _, start, slot, partner = best
        members = [first] + ([partner] if partner else [])
        for r in members:
            r.run.calls.extend(call.key for call in slot.calls)
            r.free, r.at = start + slot.minutes, slot.places
        for call in slot.calls:
            placed[call.key] = (start, [r.run.id for r in members])
        pending.remove(slot)
    return bool(pending)


def _leg(table: TravelTable, r: _Round, slot: _Slot) -> int:
    """The longest journey from where the round may be to where the slot may be."""
    mode = r.run.mode
    return max((table.minutes(a, b, mode) for a in r.at for b in slot.places), default=0)


def _partner(
    block: Block,
    open_rounds: list[_Round],
    first: _Round,
    slot: _Slot,
    arrive: int,
    table: TravelTable,
) -> tuple[_Round | None, int]:
    """The other round that lets a double-up start soonest, and that start."""
    best: tuple[int, int, _Round] | None = None
    for other in open_rounds:
        if other is first:
            continue
        start = _ceil5(max(arrive, other.free + _leg(table, other, slot), block.opens))
        if start + slot.minutes > block.closes:
            continue
        if best is None or (start, other.run.id) < (best[0], best[2].run.id):
            best = (start, other.run.id, other)
    return (best[2], best[0]) if best else (None, 0)


# -- 3. staffing -------------------------------------------------------------------------------

Staffing = dict[tuple[int, int], int]  # (run, weekday) -> worker index


def staff_runs(runs: list[Run], workers: list[Worker]) -> Staffing:
    """The usual week: each run's regular carer on as many of its days as they work (days
    off spread over the week, weekends off for those who do not work them), then relief
    carers for the rest, preferring one who already covers the run; last, carers take a
    day or two more than they asked for where still needed (never a seventh)."""
    staff: Staffing = {}
    by_id = {run.id: run for run in runs}
    order = sorted(runs, key=lambda r: (-len(r.days) * len(r.calls), r.id))
    off_load = [0] * 7
    order.sort(key=lambda r: r.shift != "night")  # night sitters first: a team of their own
    for run in order:
        main = _best(
            [w for w in workers if not w.week and w.days >= 4 and not w.young],
            lambda w, run=run: _fit(w, run) + w.days,
        )
        if main is None:
            break
        main.night = run.shift == "night"
        for day in _main_days(main, run, off_load):
            _put(staff, main, run, day)
    for overtime in (0, 1, 2):
        for run in order:
            for day in sorted(run.days):
                if (run.id, day) not in staff:
                    relief = _relief(run, day, workers, by_id, overtime=overtime)
                    if relief is not None:
                        _put(staff, relief, run, day)
    return staff


def patch_staffing(
    staff: Staffing, runs: list[Run], workers: list[Worker], absent: set[tuple[int, int]]
) -> Staffing:
    """A week's staffing when some carers are away (``absent``: (worker, weekday)): relief
    carers take their run-days where one can, counting the days they already work."""
    if not absent:
        return staff
    week = dict(staff)
    weeks: dict[int, dict[int, int]] = {w.index: dict(w.week) for w in workers}
    by_id = {run.id: run for run in runs}
    for (run_id, day), index in sorted(staff.items()):
        if (index, day) in absent:
            del week[(run_id, day)]
            del weeks[index][day]
    for (run_id, day), index in sorted(staff.items()):
        if (index, day) not in absent:
            continue
        run = by_id[run_id]
        relief = _relief(run, day, workers, by_id, absent, weeks, overtime=1)
        if relief is not None:
            week[(run_id, day)] = relief.index
            weeks[relief.index][day] = run_id
            relief.shifts.add(run.shift)
    return week


def _put(staff: Staffing, worker: Worker, run: Run, day: int) -> None:
    worker.night = run.shift == "night"
    staff[(run.id, day)] = worker.index
    worker.week[day] = run.id
    worker.shifts.add(run.shift)


def _fit(worker: Worker, run: Run) -> int:
    """How well a carer suits a run: their own area is best (short journeys from home)."""
    return 4 if worker.area == run.area else 0


def _best(candidates: list[Worker], score: Callable[[Worker], float]) -> Worker | None:
    best: tuple[float, int, Worker] | None = None
    for worker in candidates:
        key = (score(worker), -worker.index)
        if best is None or key > best[:2]:
            best = (*key, worker)
    return best[2] if best else None


def _main_days(worker: Worker, run: Run, off_load: list[int]) -> list[int]:
    """The regular carer's days on their run: days off together where the fewest regular
    carers are off already (so relief is needed evenly), weekends off if not worked."""
    days = sorted(run.days)
    if not worker.weekends:
        days = [d for d in days if d < 5]
    keep = min(worker.days, len(days))
    if keep >= len(days):
        return days
    off = len(days) - keep
    best: tuple[int, int] | None = None
    for first in range(len(days)):
        chosen = [days[(first + i) % len(days)] for i in range(off)]
        key = (sum(off_load[d] for d in chosen), first)
        if best is None or key < best:
            best = key
    assert best is not None
    off_days = {days[(best[1] + i) % len(days)] for i in range(off)}
    for day in off_days:
        off_load[day] += 1
    return [d for d in days if d not in off_days]


def _relief(
    run: Run,
    day: int,
    workers: list[Worker],
    by_id: dict[int, Run],
    absent: set[tuple[int, int]] = frozenset(),
    weeks: dict[int, dict[int, int]] | None = None,
    overtime: int = 0,
) -> Worker | None:
    """The best free carer for a run-day: one who knows the run, then their own area and
    the customers' wishes, then the one with most days to spare."""
    best: tuple[int, int, Worker] | None = None
    for worker in workers:
        week = weeks[worker.index] if weeks is not None else worker.week
        if day in week or (worker.index, day) in absent:
            continue
        if len(week) >= min(worker.days + overtime, 6) or (day >= 5 and not worker.weekends):
            continue
        if worker.young and (run.shift in ("late", "night") or len(week) >= 5):
            continue  # an under-18 needs a 30-minute break, which the late round lacks
        if worker.night != (run.shift == "night") and (worker.night or week):
            continue  # night sitters work nights only, everyone else days only
        if worker.mode == "walk" and run.mode != "walk":
            continue  # a round planned at driving speed leaves a walker too little time
        if not _rest_ok(week, by_id, day, run.shift):
            continue
        knows = 50 if run.id in week.values() else 0
        key = (knows + 2 * _fit(worker, run) + worker.days - len(week), -worker.index)
        if best is None or key > best[:2]:
            best = (*key, worker)
    return best[2] if best else None


def _rest_ok(week: dict[int, int], by_id: dict[int, Run], day: int, shift: str) -> bool:
    """No late shift (to 22:00) followed by a day shift (from 07:00) the next morning: only
    9 hours' rest (WTR reg 10). The week repeats, so Sunday is followed by Monday."""
    if SHIFTS[shift].family == "late":
        after = week.get((day + 1) % 7)
        if not (after is None or SHIFTS[by_id[after].shift].family == "late"):
            return False
    else:
        before = week.get((day - 1) % 7)
        if not (before is None or SHIFTS[by_id[before].shift].family != "late"):
            return False
    return _weekly_rest_ok({**week, day: -1}, by_id, shift)


def _weekly_rest_ok(week: dict[int, int], by_id: dict[int, Run], shift: str) -> bool:
    """A single day off is not between a late shift (to 22:00) and a day shift (from
    07:00): 33 hours, where the weekly rest with the daily rest joined to it needs 35 (WTR
    reg 11(7)). ``week`` holds -1 for the day being added, of ``shift``."""
    if len(week) < 6:
        return True
    off = next(d for d in range(7) if d not in week)

    def family(day: int) -> str:
        run = week[day % 7]
        return SHIFTS[shift if run == -1 else by_id[run].shift].family

    return not (family(off - 1) == "late" and family(off + 1) == "day")


# -- 4. weeks ----------------------------------------------------------------------------------


@dataclass
class PlannedVisit:
    """One visit of a real week; ``carers`` are worker indexes by slot."""

    call: int
    day: date
    start: int  # minute of the UK wall-clock day
    minutes: int
    carers: list[int]

    @property
    def end(self) -> int:
        return self.start + self.minutes


def week_visits(
    monday: date, calls: list[Call], clients: list[Client], staff: Staffing
) -> list[PlannedVisit]:
    """The visits of the week starting ``monday`` (each call on its weekdays once its
    package has started), with the carers of the week's staffing."""
    visits: list[PlannedVisit] = []
    for call in calls:
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if call.weekdays[offset] != "1" or day < clients[call.customer].starts:
                continue
            carers = [staff[(run, offset)] for run in call.runs if (run, offset) in staff]
            visits.append(PlannedVisit(call.key, day, call.start, call.minutes, carers))
    visits.sort(key=lambda v: (v.day, v.start, v.call))
    return visits


def routes(visits: list[PlannedVisit]) -> dict[tuple[int, date], list[PlannedVisit]]:
    """Each carer's day: (worker, day) -> their visits by start."""
    days: dict[tuple[int, date], list[PlannedVisit]] = defaultdict(list)
    for visit in visits:
        for worker in visit.carers:
            days[(worker, visit.day)].append(visit)
    for day in days.values():
        day.sort(key=lambda v: (v.start, v.call))
    return days


def week_figures_of(
    visits: list[PlannedVisit], calls: list[Call], workers: list[Worker], table: TravelTable
) -> dict[int, WeekFigures]:
    """Each carer's figures for a week of visits (working time with the travel between
    visits, shifts, night shifts, long rests), worked out as the checker does: over shifts
    (``shifts.week_figures``), the figures ``CarerWeekHours`` keeps."""
    mine: dict[int, list[_Stop]] = defaultdict(list)
    for key, visit in enumerate(visits):
        start = local_minute(visit.day, visit.start)
        stop = _Stop(key, calls[visit.call].customer, visit.day, start, start + visit.minutes)
        for index in visit.carers:
            mine[index].append(stop)
    found: dict[int, WeekFigures] = {}
    for index, stops in mine.items():
        stops.sort(key=lambda s: (s.start, s.id))
        mode = workers[index].mode
        first = min(s.day for s in stops)
        monday = first - timedelta(days=first.weekday())

        def leg(a: int, b: int, mode: str = mode) -> int:
            return table.minutes(a, b, mode)

        rest = (YOUNG if workers[index].young else ADULT).daily_rest
        found[index] = week_figures(
            stops, leg, rest, NIGHT_START_DEFAULT, monday, monday + timedelta(days=6)
        )
    return found


def work_minutes(
    visits: list[PlannedVisit], calls: list[Call], workers: list[Worker], table: TravelTable
) -> dict[int, int]:
    """Each carer's working time in the visits (travel between visits included)."""
    return {
        index: figures.minutes
        for index, figures in week_figures_of(visits, calls, workers, table).items()
    }


@dataclass(frozen=True)
class _Stop:
    """A planned visit as the shift builder reads it."""

    id: int
    customer_id: int
    day: date
    start: int
    end: int


def contract_for(hours: float) -> float:
    """The smallest usual contract covering ``hours`` a week."""
    return next((c for c in CONTRACTS if c >= hours), CONTRACTS[-1])


def choose_modes(rnd: random.Random, workers: list[Worker], runs: list[Run]) -> None:
    """Most carers whose runs are all walking rounds walk; everyone else drives."""
    walking = {run.id for run in runs if run.mode == "walk"}
    for worker in workers:
        on = set(worker.week.values())
        worker.mode = "walk" if on and on <= walking and rnd.random() < 0.7 else "drive"


# -- 5. the weeks the demo writes ------------------------------------------------------------


@dataclass
class Plan:
    """Everything the demo writes about the rota, worked out before any row is written."""

    calls: list[Call]
    runs: list[Run]
    weeks: dict[date, list[PlannedVisit]]  # Monday -> that week's visits, earliest first
    trouble: Trouble
    usual_minutes: dict[int, int]  # worker -> working time in a usual week (contracts)
    hoist: set[int]  # workers on double-ups: trained to use a hoist
    lapsed: set[int]  # workers on the special call, whose training lapsed...
    lapsed_on: date | None  # ... on this day, before this week's call
    leave: tuple[int, date, date] | None  # a worker on leave at the start of next week
    # (worker, Monday) -> the figures of the weeks before this one, as worked
    kept: dict[tuple[int, date], WeekFigures] = field(default_factory=dict)

    def weekdays_worked(self) -> dict[int, set[int]]:
        """Worker -> the weekdays (0 Monday) they work in any of the weeks."""
        days: dict[int, set[int]] = defaultdict(set)
        for week in self.weeks.values():
            for visit in week:
                for index in visit.carers:
                    days[index].add(visit.day.weekday())
        return days

    def weeks_worked(self) -> dict[int, set[date]]:
        """Worker -> the Mondays of the weeks in which they have visits."""
        weeks: dict[int, set[date]] = defaultdict(set)
        for monday, week in self.weeks.items():
            for visit in week:
                for index in visit.carers:
                    weeks[index].add(monday)
        return weeks


def plan_weeks(
    rnd: random.Random,
    workers: list[Worker],
    clients: list[Client],
    today: date,
    calls_per_day: float,
    weeks_ahead: int,
) -> Plan:
    """The two weeks before (done, as planned: last week then has its own history of who
    visited whom), this week (with :func:`add_trouble`) and ``weeks_ahead - 1`` more. A
    regular carer is on leave at the start of next week: relief covers them in the weeks
    planned here, and ``rota generate`` leaves their visits for the coordinator."""
    monday = today - timedelta(days=today.weekday())
    special_day = min(today.weekday() + 3, 6)
    calls = draw_calls(rnd, clients, calls_per_day, special_day)
    table = TravelTable({c.index: (c.lat, c.lon) for c in clients})
    runs = build_runs(calls, clients, table)
    staff = staff_runs(runs, workers)
    choose_modes(rnd, workers, runs)

    # The special call keeps its carer, so their lapsed training shows this week.
    special = next((c for c in calls if SPECIAL_SKILL in c.skills), None)
    lapsed = {
        staff[(run, special_day)]
        for run in (special.runs if special else ())
        if (run, special_day) in staff
    }
    weeks = {
        start: week_visits(start, calls, clients, staff)
        for start in (monday - timedelta(weeks=back) for back in (2, 1, 0))
    }
    usual = [work_minutes(weeks[start], calls, workers, table) for start in sorted(weeks)[-2:]]
    kept = {
        (index, start): figures
        for start in sorted(weeks)
        if start < monday
        for index, figures in week_figures_of(weeks[start], calls, workers, table).items()
    }
    trouble = add_trouble(weeks[monday], calls, workers, table, today, lapsed)
    busy = lapsed | ({trouble.sick[0]} if trouble.sick else set())
    taker = next(
        (w.index for w in workers if len(w.week) >= 4 and not w.young and w.index not in busy),
        None,
    )
    next_monday = monday + timedelta(weeks=1)
    leave = (taker, next_monday, next_monday + timedelta(days=2)) if taker is not None else None
    for ahead in range(1, weeks_ahead):
        start = monday + timedelta(weeks=ahead)
        away = {(taker, day) for day in range(3)} if ahead == 1 and taker is not None else set()
        weeks[start] = week_visits(
            start, calls, clients, patch_staffing(staff, runs, workers, away)
        )
    return Plan(
        calls,
        runs,
        weeks,
        trouble,
        {w.index: max(minutes.get(w.index, 0) for minutes in usual) for w in workers},
        {i for week in weeks.values() for v in week if calls[v.call].carers > 1 for i in v.carers},
        lapsed,
        monday + timedelta(days=special_day - 2) if lapsed else None,
        leave,
        kept,
    )


# -- 6. what goes wrong this week --------------------------------------------------------------


@dataclass
class Trouble:
    """What :func:`add_trouble` did, for the rows that go with it."""

    sick: tuple[int, date] | None = None  # (worker, day): off sick, visits still on them
    unallocated: list[PlannedVisit] = field(default_factory=list)
    overlap: PlannedVisit | None = None
    tight: PlannedVisit | None = None


def add_trouble(
    visits: list[PlannedVisit],
    calls: list[Call],
    workers: list[Worker],
    table: TravelTable,
    today: date,
    keep: Iterable[int] = (),
) -> Trouble:
    """Spoil the week a little, on days from ``today`` where there are any: a carer off sick
    (their visits need Plan B), one visit moved so it overlaps the one before, one moved so
    the journey to it is too short, and a double-up and two single visits unallocated.
    The carers in ``keep`` are left alone (their own trouble is elsewhere)."""
    trouble = Trouble()
    days = sorted({v.day for v in visits if v.day >= today}) or sorted({v.day for v in visits})
    if not days:
        return trouble
    pick = [days[min(i, len(days) - 1)] for i in range(1, 6)]
    by_day = routes(visits)
    used: set[int] = set(keep)
    trouble.sick = _sick(by_day, days, used)
    trouble.overlap = _move(by_day, calls, workers, table, pick[1], used, overlap=True)
    trouble.tight = _move(by_day, calls, workers, table, pick[2], used, overlap=False)
    for day, double in ((pick[3], True), (pick[2], False), (pick[4], False)):
        for when in [day, *days]:  # that day, else the first day where one can be found
            visit = _unallocate(visits, calls, when, double, used)
            if visit is not None:
                trouble.unallocated.append(visit)
                break
    return trouble


def _sick(
    by_day: dict[tuple[int, date], list[PlannedVisit]], days: list[date], used: set[int]
) -> tuple[int, date] | None:
    """The carer off sick: the shortest working day (two visits at least) on ``days``,
    the soonest of equals."""
    best: tuple[int, date, int] | None = None
    for (index, day), day_visits in by_day.items():
        if day not in days or index in used or len(day_visits) < 2:
            continue
        if best is None or (len(day_visits), day, index) < best:
            best = (len(day_visits), day, index)
    if best is None:
        return None
    used.add(best[2])
    return best[2], best[1]


def _move(
    by_day: dict[tuple[int, date], list[PlannedVisit]],
    calls: list[Call],
    workers: list[Worker],
    table: TravelTable,
    day: date,
    used: set[int],
    *,
    overlap: bool,
) -> PlannedVisit | None:
    """Move one single-carer visit earlier: into the visit before it (``overlap``), or to
    leave half the journey from it. Picks the longest journey, so the move is visible."""
    best: tuple[int, int, int, PlannedVisit, PlannedVisit] | None = None
    for (index, when), day_visits in sorted(by_day.items(), key=lambda item: item[0]):
        if when != day or index in used:
            continue
        mode = workers[index].mode
        for before, after in zip(day_visits, day_visits[1:], strict=False):
            if len(before.carers) != 1 or len(after.carers) != 1 or calls[after.call].carers > 1:
                continue
            need = table.minutes(calls[before.call].customer, calls[after.call].customer, mode)
            if need < 4:
                continue
            key = (need, -index, -after.call)
            if best is None or key > best[:3]:
                best = (*key, before, after)
    if best is None:
        return None
    need, _, _, before, after = best
    after.start = before.end - 10 if overlap else before.end + need // 2
    used.add(after.carers[0])
    return after


def _unallocate(
    visits: list[PlannedVisit],
    calls: list[Call],
    day: date,
    double: bool,
    used: set[int],
) -> PlannedVisit | None:
    """Take the carers off one visit that day (a double-up, or a lunchtime single visit)
    of carers not already part of the trouble, at a customer with no other visit left
    unallocated."""
    taken = {calls[v.call].customer for v in visits if not v.carers}
    for visit in visits:
        if visit.day != day or not visit.carers or any(c in used for c in visit.carers):
            continue
        if calls[visit.call].customer in taken:
            continue
        if (len(visit.carers) == 2) != double:
            continue
        if not double and not 12 * 60 <= visit.start < 14 * 60:
            continue
        used.update(visit.carers)
        visit.carers = []
        return visit
    return None
