"""Plan B and Plan C: a carer is absent, so every visit they had is covered or escalated.

``mark_absent`` records the absence; ``plan_b`` lists the visits affected with ranked
replacements (read only); ``apply_plan_b`` goes through them in time order, takes the
absent carer off and puts the best feasible replacement on, re-ranking after each so two
visits never get the same carer at the same time. What cannot be covered is Plan C, for
the coordinator to act on (``plan_c.py``: escalate, move within the window, agency).

A visit already over when Plan B runs (``now``) is left out: what happened then is a
record, not something to re-plan. Each visit Plan B touches is recorded against the
absence (``AbsenceCover``), so the cover can be listed as a call list (``call_list.py``)
and undone when the absence is removed (``absences.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import Absence, AbsenceCover, VisitStatus
from coordinator_tui.services import access
from coordinator_tui.services.rota.assign import (
    Candidate,
    ChangeResult,
    RotaError,
    apply_change,
    rank_carers,
    state_for,
)
from coordinator_tui.services.rota.snapshot import epoch_minutes, week_monday
from coordinator_tui.services.rota.validate import RotaState

ABSENCE_KINDS = ("sickness", "leave", "training", "other")
DEFAULT_RATIONALE = "Plan B: cover for an absent carer; the best available carer was chosen"


@dataclass(frozen=True)
class CoverItem:
    """One visit the absent carer had, with the carers who could take it, best first."""

    visit_id: int
    customer_id: int
    customer: str
    day: date
    start: int  # epoch minutes
    candidates: tuple[Candidate, ...]
    proposed: int | None = None  # the carer the solver's Repair puts in (solver/cover.py)

    @property
    def best(self) -> Candidate | None:
        """The replacement the solver's Repair proposes when the ranking finds them
        feasible, else the best feasible one ranked, or None (Plan C)."""
        for candidate in self.candidates:
            if candidate.carer_id == self.proposed and candidate.feasible:
                return candidate
        first = self.candidates[0] if self.candidates else None
        return first if first is not None and first.feasible else None

    @property
    def reasons(self) -> list[str]:
        """Why nobody can cover (for Plan C): one line per infeasible carer, best first."""
        return [c.reason for c in self.candidates if not c.feasible]

    def why_not(self) -> list[tuple[str, int]]:
        """Why nobody can cover, for escalating Plan C: each reason (the rule that stops
        a carer) with how many carers it stops, commonest first. Every carer counts,
        not only the best ranked: "14 busy, 6 not enough travel time, 2 absent"."""
        counts = Counter(c.hard[0].title for c in self.candidates if c.hard)
        return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


@dataclass
class PlanB:
    carer_id: int
    start: date
    end: date
    items: list[CoverItem] = field(default_factory=list)
    past: list[int] = field(default_factory=list)  # the carer's visits already over: left

    @property
    def plan_c(self) -> list[CoverItem]:
        return [item for item in self.items if item.best is None]


@dataclass
class CoverResult:
    """What ``apply_plan_b`` did."""

    covered: list[tuple[int, int]] = field(default_factory=list)  # (visit, new carer)
    plan_c: list[CoverItem] = field(default_factory=list)
    changes: list[ChangeResult] = field(default_factory=list)  # to undo them together


def check_absence(
    session: Session,
    carer_id: int,
    start: date,
    end: date,
    kind: str,
    *,
    ignore: int | None = None,
) -> None:
    """Refuse dates that end before they start, an unknown kind, or dates overlapping
    another absence of the carer (``ignore``: the absence being edited): that one is
    edited instead, so no day is counted twice."""
    if end < start:
        raise RotaError("The absence ends before it starts")
    if kind not in ABSENCE_KINDS:
        raise RotaError(f"Absence kind must be one of {', '.join(ABSENCE_KINDS)}")
    query = select(Absence.start_date, Absence.end_date, Absence.kind).where(
        Absence.carer_id == carer_id, Absence.start_date <= end, Absence.end_date >= start
    )
    if ignore is not None:
        query = query.where(Absence.id != ignore)
    other = session.execute(query.limit(1)).first()
    if other is not None:
        first, last, other_kind = other
        raise RotaError(
            f"Already absent ({other_kind}) {uk_date(first)} to {uk_date(last)}: "
            "edit that absence (e) instead"
        )


def mark_absent(
    session: Session,
    carer_id: int,
    start: date,
    end: date,
    kind: str = "sickness",
    note: str = "",
) -> Absence:
    """Record a carer's absence from ``start`` to ``end`` inclusive (audited)."""
    access.require(session, access.ROTA)  # issue 17
    check_absence(session, carer_id, start, end, kind)
    absence = Absence(carer_id=carer_id, start_date=start, end_date=end, kind=kind, note=note)
    session.add(absence)
    session.flush()
    return absence


def _weeks(start: date, end: date) -> list[date]:
    mondays = []
    monday = week_monday(start)
    while monday <= end:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def _affected(
    state: RotaState, carer_id: int, start: date, end: date, now: int | None = None
) -> list[int]:
    """The carer's planned visits in the dates, by start (with ``now``, epoch minutes,
    only those not yet over)."""
    snap = state.snap
    found = [
        visit_id
        for day, visit_ids in state.cells.get(carer_id, {}).items()
        if start <= day <= end
        for visit_id in visit_ids
        if snap.visits[visit_id].status == VisitStatus.PLANNED
        and (now is None or snap.visits[visit_id].end > now)
    ]
    return sorted(found, key=lambda v: (snap.visits[v].start, v))


def _past(state: RotaState, carer_id: int, start: date, end: date, now: int | None) -> list[int]:
    if now is None:
        return []
    visits = state.snap.visits
    return sorted(
        (
            visit_id
            for day, visit_ids in state.cells.get(carer_id, {}).items()
            if start <= day <= end
            for visit_id in visit_ids
            if visits[visit_id].end <= now
        ),
        key=lambda v: (visits[v].start, v),
    )


def _minute(now: datetime | None) -> int | None:
    return epoch_minutes(now) if now is not None else None


def _repair(
    session: Session, carer_id: int, start: date, end: date, now: datetime | None, repair: bool
) -> dict[int, int | None]:
    """The solver's Repair of the absence (visit -> replacement), or nothing."""
    if not repair:
        return {}
    from coordinator_tui.services.rota.solver.cover import cover_absence

    return cover_absence(session, carer_id, start, end, now=now)


def _item(state: RotaState, visit_id: int, carer_id: int, proposed: int | None = None) -> CoverItem:
    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    return CoverItem(
        visit_id,
        visit.customer_id,
        customer.name if customer else "",
        visit.day,
        visit.start,
        tuple(rank_carers(state, visit_id, replacing=carer_id)),
        proposed,
    )


def plan_b(
    session: Session,
    carer_id: int,
    start: date,
    end: date,
    *,
    states: dict[date, RotaState] | None = None,
    now: datetime | None = None,
    repair: bool = True,
) -> PlanB:
    """The visits ``carer_id`` has from ``start`` to ``end``, each with ranked replacements;
    with ``now``, the visits already over are listed apart (``past``), not to cover.

    Each item's best is the solver's Repair of all of them together (``repair``; see
    ``solver/cover.py``), or the top of its ranking where the Repair has nobody the
    ranking finds feasible. The ranking is on the rota as it stands; ``apply_plan_b``
    re-ranks as it goes."""
    plan = PlanB(carer_id, start, end)
    minute = _minute(now)
    proposed = _repair(session, carer_id, start, end, now, repair)
    for monday in _weeks(start, end):
        state = (states or {}).get(monday) or state_for(session, monday)
        for visit_id in _affected(state, carer_id, start, end, minute):
            plan.items.append(_item(state, visit_id, carer_id, proposed.get(visit_id)))
        plan.past.extend(_past(state, carer_id, start, end, minute))
    return plan


def record_cover(
    session: Session,
    absence_id: int,
    visit_id: int,
    absent_carer_id: int,
    carer_id: int | None,
) -> AbsenceCover:
    """Note against the absence who now covers the visit (None: nobody, Plan C). Plan B
    run again for the same visit updates the note rather than adding a second one."""
    row = session.scalar(
        select(AbsenceCover).where(
            AbsenceCover.absence_id == absence_id, AbsenceCover.visit_id == visit_id
        )
    )
    if row is None:
        row = AbsenceCover(
            absence_id=absence_id,
            visit_id=visit_id,
            absent_carer_id=absent_carer_id,
            carer_id=carer_id,
        )
        session.add(row)
    else:
        row.carer_id, row.action, row.task_id, row.moved_from = carer_id, "", None, None
        row.note = ""
    session.flush()
    return row


def apply_plan_b(
    session: Session,
    carer_id: int,
    start: date,
    end: date,
    *,
    rationale: str = DEFAULT_RATIONALE,
    visit_ids: set[int] | None = None,
    states: dict[date, RotaState] | None = None,
    absence_id: int | None = None,
    now: datetime | None = None,
    repair: bool = True,
) -> CoverResult:
    """Cover the absent carer's visits (all, or ``visit_ids``) with the best feasible
    carer each; a visit nobody can take loses the absent carer and goes to Plan C.

    With ``absence_id`` each visit's outcome is recorded against the absence (the call
    list, Plan C's actions, undoing the cover); with ``now`` visits already over are
    left as they were. The carer each visit gets is the one ``plan_b`` shows: the
    Repair's (``repair``) while the ranking still finds them feasible."""
    access.require(session, access.ROTA)  # issue 17
    result = CoverResult()
    minute = _minute(now)
    proposed = _repair(session, carer_id, start, end, now, repair)
    for monday in _weeks(start, end):
        state = (states or {}).get(monday) or state_for(session, monday)
        for visit_id in _affected(state, carer_id, start, end, minute):
            if visit_ids is not None and visit_id not in visit_ids:
                continue
            item = _item(state, visit_id, carer_id, proposed.get(visit_id))
            current = state.carers_of.get(visit_id, ())
            best = item.best
            if best is None:
                remaining = tuple(c for c in current if c != carer_id)
                change = apply_change(session, state, {visit_id: remaining}, check=False)
                result.changes.append(change)
                result.plan_c.append(item)
                if absence_id is not None:
                    record_cover(session, absence_id, visit_id, carer_id, None)
                continue
            carers = tuple(best.carer_id if c == carer_id else c for c in current)
            change = apply_change(session, state, {visit_id: carers}, rationale=rationale)
            result.changes.append(change)
            result.covered.append((visit_id, best.carer_id))
            if absence_id is not None:
                record_cover(session, absence_id, visit_id, carer_id, best.carer_id)
    return result
