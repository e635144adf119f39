"""The rota's measures: continuity of carer, visits short of carers, travel, hours.

Continuity (NICE NG21: a priority) is the share of a customer's carer-visits done by their
regular carers: the customer's preferred carers and the carers who visited them in the 16
weeks before the week.

Hours against contract follow an absence: the days a carer is off do not count as worked
(a visit still on such a day is a hard problem to cover, not work the carer will do), and
the contract is scaled down by the working days lost (the days of the carer's availability
pattern, or every day when there is none), so a carer off sick for two of five days is
held to three fifths of the contract, not shown as far under it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from coordinator_tui.services.rota.snapshot import SCarer
from coordinator_tui.services.rota.validate import RotaState


@dataclass(frozen=True)
class CustomerContinuity:
    customer_id: int
    name: str
    carer_visits: int  # one per carer per visit (a double-up counts twice)
    by_regular: int

    @property
    def share(self) -> float | None:
        return self.by_regular / self.carer_visits if self.carer_visits else None


@dataclass(frozen=True)
class CarerHours:
    carer_id: int
    name: str
    worked_minutes: int  # visits and travel between them, days of absence left out
    travel_minutes: int
    contracted_minutes: int
    due_minutes: int = -1  # the contract less the working days of absence (-1: the contract)

    def __post_init__(self) -> None:
        if self.due_minutes < 0:
            object.__setattr__(self, "due_minutes", self.contracted_minutes)

    @property
    def over_contract(self) -> int:
        """Minutes over the contract (0 when within it or no contract)."""
        if not self.contracted_minutes:
            return 0
        return max(self.worked_minutes - self.contracted_minutes, 0)


def due_minutes(carer: SCarer, days: list[date]) -> int:
    """The carer's contracted minutes for the week less the working days they are absent:
    their working days are those of their availability pattern (every day without one)."""
    if not carer.contracted_minutes or not carer.absent_days:
        return carer.contracted_minutes
    working = [day for day in days if not carer.availability or day.weekday() in carer.availability]
    if not working:
        return carer.contracted_minutes
    off = sum(1 for day in working if day in carer.absent_days)
    return round(carer.contracted_minutes * (len(working) - off) / len(working))


def worked_minutes(state: RotaState, carer_id: int) -> tuple[int, int]:
    """Working time and travel in the week (minutes), days of absence left out."""
    carer = state.snap.carers.get(carer_id)
    off = carer.absent_days if carer is not None else frozenset()
    worked = travel = 0
    for day in state.cells.get(carer_id, {}):
        if day in off:
            continue
        summary = state.day_summary(carer_id, day)
        if summary is not None:
            worked += summary.work
            travel += summary.travel
    return worked, travel


@dataclass(frozen=True)
class Measures:
    continuity: list[CustomerContinuity]
    overall_continuity: float | None
    visits: int
    unassigned_visits: int  # visits short of at least one carer
    total_travel_minutes: int
    hours: list[CarerHours]


def regular_carers(state: RotaState) -> dict[int, set[int]]:
    """Customer -> their regular carers (preferred, or seen in the weeks before)."""
    regulars: dict[int, set[int]] = defaultdict(set)
    for customer in state.snap.customers.values():
        regulars[customer.id].update(customer.preferred)
    for carer_id, customer_id in state.snap.known_pairs:
        regulars[customer_id].add(carer_id)
    return regulars


def measures(state: RotaState) -> Measures:
    snap = state.snap
    regulars = regular_carers(state)
    done: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    short = 0
    carers_of = state.carers_of
    for visit_id, visit in snap.visits.items():
        # No set made for the common visit of one carer or none (10,000 a week at x10).
        carers = carers_of.get(visit_id, ())
        if len(carers) > 1:
            carers = set(carers)
        if len(carers) < visit.carers_required:
            short += 1
        counts = done[visit.customer_id]
        counts[0] += len(carers)
        if carers:
            known = regulars.get(visit.customer_id)
            if known:
                counts[1] += sum(1 for carer in carers if carer in known)
    continuity = sorted(
        (
            CustomerContinuity(
                cid, snap.customers[cid].name if cid in snap.customers else "", n, regular
            )
            for cid, (n, regular) in done.items()
        ),
        key=lambda c: (c.share if c.share is not None else 2.0, c.name),
    )
    total = sum(c.carer_visits for c in continuity)
    by_regular = sum(c.by_regular for c in continuity)
    hours: list[CarerHours] = []
    travel_total = 0
    for carer in sorted(snap.carers.values(), key=lambda c: (c.name, c.id)):
        worked, travel = worked_minutes(state, carer.id)
        travel_total += travel
        if carer.active or worked:
            hours.append(
                CarerHours(
                    carer.id,
                    carer.name,
                    worked,
                    travel,
                    carer.contracted_minutes,
                    due_minutes(carer, snap.days),
                )
            )
    return Measures(
        continuity,
        by_regular / total if total else None,
        len(snap.visits),
        short,
        travel_total,
        hours,
    )
