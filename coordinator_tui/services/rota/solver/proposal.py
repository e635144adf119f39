"""A solve's result as the coordinator sees it: what changes, the measures before and
after, the places left empty and why, and why each carer was chosen.

Kinds of change, per visit:
- ``new``: a carer put in an empty place (nobody taken off);
- ``moved``: the visit's carers changed (someone taken off, someone else on);
- ``removed``: a carer taken off and the place left empty (they broke a hard rule and
  nobody could take it);
- ``time``: the visit moved in time, carers unchanged: within its template's window, or
  (Build) back into the window from a start recorded outside it. A carer change with a
  move is ``new`` or ``moved`` with ``start`` and ``start_before`` differing; either way
  ``Change.time_note`` says why in words.

The number of changes (what Repair keeps low) counts the carer places taken from someone
who had them, and each visit moved in time: filling an empty place is not a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from coordinator_tui.services.rota.measures import measures
from coordinator_tui.services.rota.rules.base import clock
from coordinator_tui.services.rota.solver.engine import SolveResult
from coordinator_tui.services.rota.solver.model import Job
from coordinator_tui.services.rota.solver.verify import Unstaffed
from coordinator_tui.services.rota.validate import RotaState

NEW, MOVED, REMOVED, TIME = "new", "moved", "removed", "time"
# What a proposal does to a carer's day (``Proposal.cell_marks``).
GAINS, LOSES, BOTH, RETIMED = "gains", "loses", "both", "retimed"


@dataclass(frozen=True)
class Figures:
    """The week's measures, as the grid shows them."""

    travel: int  # minutes between visits
    continuity: float | None  # share of carer-visits by regular carers
    unassigned: int  # visits short of a carer
    over_contract: int  # minutes over contracts, all carers
    hard: int  # hard problems
    soft: int  # soft problems not accepted

    def to_dict(self) -> dict:
        return {
            "travel_minutes": self.travel,
            "continuity": round(self.continuity, 4) if self.continuity is not None else None,
            "unassigned_visits": self.unassigned,
            "over_contract_minutes": self.over_contract,
            "hard_problems": self.hard,
            "soft_problems": self.soft,
        }


def figures(state: RotaState) -> Figures:
    found = measures(state)
    problems = state.problems()
    hard = sum(1 for p in problems if p.is_hard)
    return Figures(
        found.total_travel_minutes,
        found.overall_continuity,
        found.unassigned_visits,
        sum(h.over_contract for h in found.hours),
        hard,
        sum(1 for p in problems if not p.is_hard and not p.accepted),
    )


@dataclass(frozen=True)
class Change:
    """One visit whose carers or time the proposal changes."""

    visit_id: int
    customer_id: int
    day: date
    start: int  # epoch minutes, as proposed
    kind: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    start_before: int
    # The care package's window, (earliest start, latest end) in epoch minutes, when the
    # visit moved in time (None otherwise, or when it has no template's window).
    window: tuple[int, int] | None = None
    recorded_outside: bool = False  # its start before lay outside that window (Build)

    @property
    def retimed(self) -> bool:
        return self.start != self.start_before

    @property
    def back_into_window(self) -> bool:
        """Moved from a start recorded outside its window into it (Build)."""
        return self.retimed and self.recorded_outside

    @property
    def time_note(self) -> str:
        """Why the visit moved, in words ("" when it did not)."""
        if not self.retimed:
            return ""
        moved = f"moved from {clock(self.start_before)[4:]} to {clock(self.start)[4:]}"
        if self.window is None:
            return moved
        window = f"{clock(self.window[0])[4:]}-{clock(self.window[1])[4:]}"
        if self.back_into_window:
            return (
                f"{moved}: back into its care package's window {window} (it was recorded "
                "outside it), where its carer can take it"
            )
        return f"{moved} within its care package's window {window}, when its carer is free"

    @property
    def taken_off(self) -> tuple[int, ...]:
        return tuple(c for c in self.before if c not in self.after)

    @property
    def put_on(self) -> tuple[int, ...]:
        return tuple(c for c in self.after if c not in self.before)

    def to_dict(self) -> dict:
        found = {
            "visit_id": self.visit_id,
            "customer_id": self.customer_id,
            "day": self.day.isoformat(),
            "start": clock(self.start)[4:],
            "kind": self.kind,
            "before": list(self.before),
            "after": list(self.after),
        }
        if self.retimed:
            found["start_before"] = clock(self.start_before)[4:]
            found["back_into_window"] = self.back_into_window
            if self.window is not None:
                found["window"] = [clock(self.window[0])[4:], clock(self.window[1])[4:]]
            found["why_moved"] = self.time_note
        return found


@dataclass
class Proposal:
    """A solve's result, ready to show, print or apply."""

    monday: date
    mode: str
    day: date | None
    result: SolveResult
    changes: list[Change]
    before: Figures
    after: Figures
    unstaffed: list[Unstaffed]
    carer_names: dict[int, str] = field(default_factory=dict)

    @property
    def changed_places(self) -> int:
        """Carer places taken from someone, and visits moved in time: Repair's count."""
        return sum(len(c.taken_off) for c in self.changes) + sum(
            1 for c in self.changes if c.start != c.start_before
        )

    @property
    def filled_places(self) -> int:
        return sum(len(c.put_on) for c in self.changes)

    @property
    def hard_left(self) -> list:
        """Hard problems other than empty places: the solver's are bugs; these are in
        what it had to keep (visits started)."""
        return self.result.checked.left

    def visits_for(self, *, carer: int | None = None, day: date | None = None) -> list[int]:
        """The changed visits a partial acceptance takes: those of ``carer`` (before or
        after) or on ``day``."""
        found = []
        for change in self.changes:
            if carer is not None and carer not in change.before and carer not in change.after:
                continue
            if day is not None and change.day != day:
                continue
            found.append(change.visit_id)
        return found

    def cell_marks(self, skip: Iterable[int] = ()) -> dict[tuple[int, date], str]:
        """What the proposal does to each carer's day, for drawing the diff on the rota
        grid: (carer, day) -> ``GAINS`` (put on a visit), ``LOSES`` (taken off one),
        ``BOTH``, or ``RETIMED`` (a visit of theirs moved in time). ``skip``: visits whose
        changes were accepted (or are otherwise not to be drawn)."""
        left = set(skip)
        marks: dict[tuple[int, date], str] = {}

        def add(carer_id: int, day: date, mark: str) -> None:
            was = marks.get((carer_id, day))
            if was is None or was == RETIMED:
                marks[(carer_id, day)] = mark
            elif was != mark and mark != RETIMED:
                marks[(carer_id, day)] = BOTH

        for change in self.changes:
            if change.visit_id in left:
                continue
            for carer_id in change.put_on:
                add(carer_id, change.day, GAINS)
            for carer_id in change.taken_off:
                add(carer_id, change.day, LOSES)
            if change.start != change.start_before:
                for carer_id in change.after:
                    add(carer_id, change.day, RETIMED)
        return marks

    def cell_changes(self, carer_id: int, day: date, skip: Iterable[int] = ()) -> list[Change]:
        """The changes of ``carer_id``'s ``day`` (put on, taken off or moved), by start."""
        left = set(skip)
        return sorted(
            (
                c
                for c in self.changes
                if c.visit_id not in left
                and c.day == day
                and (carer_id in c.before or carer_id in c.after)
            ),
            key=lambda c: (c.start, c.visit_id),
        )

    def to_dict(self) -> dict:
        names = self.carer_names
        return {
            "week": self.monday.isoformat(),
            "day": self.day.isoformat() if self.day else None,
            "mode": self.mode,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "changed_places": self.changed_places,
            "filled_places": self.filled_places,
            "changes": [c.to_dict() for c in self.changes],
            "unstaffed": [
                {
                    "visit_id": u.visit_id,
                    "day": self.result.model.snap.visits[u.visit_id].day.isoformat(),
                    "start": clock(self.result.model.snap.visits[u.visit_id].start)[4:],
                    "short": u.short,
                    "reason": u.reason,
                    "reasons": [{"why": why, "carers": n} for why, n in u.reasons],
                }
                for u in self.unstaffed
            ],
            "hard_problems_left": [p.to_dict() for p in self.hard_left],
            "carers": {str(c): names[c] for c in sorted(self._carers_named()) if c in names},
            "stats": self.result.stats.to_dict(),
        }

    def _carers_named(self) -> set[int]:
        found: set[int] = set()
        for change in self.changes:
            found.update(change.before)
            found.update(change.after)
        return found


def make_proposal(result: SolveResult) -> Proposal:
    """The diff between the week before and the solver's plan, with the measures."""
    model = result.model
    snap = model.snap
    checked = result.checked
    changes: list[Change] = []
    for visit_id, job in model.jobs.items():
        before = model.before.get(visit_id, ())
        after = checked.after.get(visit_id, ())
        start = checked.starts.get(visit_id, job.start)
        if set(before) == set(after) and start == job.start:
            continue
        if start != job.start and set(before) == set(after):
            kind = TIME
        elif not set(before) - set(after):
            kind = NEW
        elif not set(after) - set(before):
            kind = REMOVED
        else:
            kind = MOVED
        # A visit moves only within its window (or, in Build, into it), so a move has one.
        window = (job.earliest, job.latest + job.minutes) if start != job.start else None
        changes.append(
            Change(
                visit_id,
                job.customer_id,
                job.day,
                start,
                kind,
                before,
                after,
                job.start,
                window,
                start != job.start and job.outside_window,
            )
        )
    changes.sort(key=lambda c: (c.start, c.visit_id))
    return Proposal(
        snap.monday,
        model.scope.mode,
        model.scope.day,
        result,
        changes,
        figures(result.before),
        figures(checked.state),
        checked.unstaffed,
        {c.id: c.name for c in snap.carers.values()},
    )


# -- explain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One carer for a visit, with the objective's parts of having them on it."""

    carer_id: int
    name: str
    feasible: bool
    why_not: str  # the first rule against them ("" when feasible)
    points: float  # what this carer on the visit costs the plan (lower is better)
    parts: dict[str, float]  # the points by part: continuity, travel, wishes, hours, changes

    @property
    def summary(self) -> str:
        shown = ", ".join(f"{k} {v:+.0f}" for k, v in self.parts.items() if abs(v) >= 0.5)
        return shown or "no cost"


@dataclass(frozen=True)
class Explanation:
    visit_id: int
    chosen: Option
    others: tuple[Option, ...]  # the next best two (or those infeasible, with why)


def explain(result: SolveResult, visit_id: int, carer_id: int, count: int = 2) -> Explanation:
    """Why ``carer_id`` on ``visit_id``: the objective's parts for them against the next
    best ``count`` carers (each tried in their place, the rest of the plan as it is)."""
    model = result.model
    plan = result.plan
    job = model.jobs.get(visit_id)
    names = {c.id: c.name for c in model.snap.carers.values()}
    if job is None or carer_id not in plan.carers_on.get(visit_id, ()):
        raise ValueError("Only a carer the solver placed can be explained")
    chosen = _option(result, job, carer_id, carer_id, names)
    others: list[Option] = []
    for other in job.candidates:
        if other in plan.carers_on[visit_id]:
            continue
        others.append(_option(result, job, carer_id, other, names))
    for other, why in job.excluded.items():
        others.append(Option(other, names.get(other, str(other)), False, why, 0.0, {}))
    others.sort(key=lambda o: (not o.feasible, o.points, o.name))
    return Explanation(visit_id, chosen, tuple(others[:count]))


def _option(
    result: SolveResult, job: Job, placed: int, carer_id: int, names: dict[int, str]
) -> Option:
    """The plan with ``carer_id`` in ``placed``'s place on the job, priced by part."""
    plan = result.plan
    visit_id = job.visit_id
    current = plan.carers_on[visit_id]
    start = plan.start_of[visit_id]
    carers = tuple(carer_id if c == placed else c for c in current)
    name = names.get(carer_id, str(carer_id))
    if carer_id != placed and (
        not plan.fits(carer_id, job, start) or plan.propose({visit_id: (carers, start)}) is None
    ):
        added = result.state.what_if({visit_id: (*job.pinned, *carers)}).added_hard
        why = added[0].title if added else "breaks a working-time rule"
        return Option(carer_id, name, False, why, 0.0, {})
    parts = _parts(result, job, carers, start, carer_id)
    return Option(carer_id, name, True, "", sum(parts.values()), parts)


def _parts(
    result: SolveResult, job: Job, carers: tuple[int, ...], start: int, carer_id: int
) -> dict[str, float]:
    """The points of the job with ``carers``, and what taking it adds to ``carer_id``'s
    week (their week with the visit less their week without it), by part."""
    plan = result.plan
    w = plan.weights
    visit_id = job.visit_id
    job_parts = plan.job_parts(job, carers, start)
    regular = plan.model.regulars.get(job.customer_id, frozenset())
    other_call = sum(
        w.other_call for c in carers if c in regular and job.last_week and c not in job.last_week
    )
    continuity = w.continuity * job_parts.strangers + other_call
    parts = {
        "continuity": continuity,
        "wishes": job_parts.static
        - continuity
        + (w.preferred_carer if job_parts.preferred_missed else 0.0),
        "changes": w.change * job_parts.changed,
        "travel": 0.0,
        "hours": 0.0,
    }
    without = [s for s in plan.stops[carer_id] if s[3] != visit_id or s[4]]
    with_it = sorted([*without, plan.stop_for(job, start)])
    less, more = plan.carer_parts(carer_id, without), plan.carer_parts(carer_id, with_it)
    if less is not None and more is not None:
        parts["travel"] += w.travel * (more.travel - less.travel) + w.home_travel * (
            more.home - less.home
        )
        parts["hours"] += w.over_contract * (more.over - less.over) + w.under_contract * (
            more.under - less.under
        )
        parts["continuity"] += w.new_pair * (more.new_customers - less.new_customers)
        parts["wishes"] += w.weekly_rest * (more.soft - less.soft)
    return parts
