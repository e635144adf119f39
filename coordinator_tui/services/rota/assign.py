"""Assigning carers to visits: ranking the candidates, and changes written through the session.

Every write goes through the caller's session (an ``AppSession``, which audits each row it
flushes); the caller commits. A change is checked first on the in-memory
:class:`RotaState`: a double-up with one carer is always refused, a new hard problem is
refused unless ``allow_hard``, and a new soft problem is accepted only with a rationale,
recorded as a ``ProblemAcceptance`` row (CQC: record why a wish could not be met).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import time_on_date
from coordinator_tui.models import (
    AuditEvent,
    ProblemAcceptance,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.models.base import utcnow
from coordinator_tui.services import access
from coordinator_tui.services.errors import ConflictError, CoordinatorError, conflict_message
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.ranking import Later, judge_carers, travel_for
from coordinator_tui.services.rota.snapshot import epoch_minutes, load_week
from coordinator_tui.services.rota.travel import travel_minutes
from coordinator_tui.services.rota.validate import Recheck, RotaState

# How the feasible carers are ordered (higher first). Travel added counts one point a minute.
SCORE_CONTINUITY = 100  # has visited the customer before (or does so this week)
SCORE_PREFERRED = 60  # one of the customer's preferred carers
SCORE_GENDER = 30  # meets the customer's preferred gender (or there is none)
SCORE_PER_SOFT = 15  # taken off per new soft problem the assignment would bring


class RotaError(CoordinatorError):
    """A change that cannot be made; the message is for the coordinator."""


class RotaConflictError(RotaError, ConflictError):
    """The visit's carers changed since the rota was loaded: nothing was written."""


class HardProblemsError(RotaError):
    """The change would break a hard rule (pass ``allow_hard=True`` to override)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class RationaleRequired(RotaError):
    """The change brings soft problems: say why they are accepted (``rationale=...``)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("A reason is needed to accept: " + "; ".join(p.message for p in problems))


class _Reasons:
    """``Candidate.hard``: the tuple of problems, or a ``ranking.Later`` (a carer surely
    ruled out, their problems not yet worked out) turned into that tuple when first read.
    Comparing, hashing and printing a candidate read it, so they see the tuple."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, candidate: object, owner: type | None = None) -> tuple[Problem, ...]:
        if candidate is None:
            return ()  # the field's default
        found = candidate.__dict__[self._slot]
        if type(found) is Later:
            found = candidate.__dict__[self._slot] = found()
        return found

    def __set__(self, candidate: object, value: tuple[Problem, ...] | Later) -> None:
        candidate.__dict__[self._slot] = value


@dataclass(unsafe_hash=True)
class Candidate:
    """One carer for a visit, as the ranking shows them. Read-only by convention, not
    ``frozen`` (as ``SVisit``): a frozen dataclass sets each field through
    ``object.__setattr__``, and a ranking makes one per carer (300 at ten times the demo,
    issue 23 §1); it hashes as a frozen one does.

    ``hard`` may be given as a ``ranking.Later``: the ranking then only knows the carer
    is ruled out, and the problems are worked out when ``hard`` (or ``reason``) is first
    read; they are the same whenever that is (issue 23 §1: most carers of a large week
    are ruled out, and a ranking shows a screenful of reasons)."""

    carer_id: int
    name: str
    feasible: bool
    score: int
    travel_added: int  # minutes
    continuity: bool
    preferred: bool
    gender_ok: bool
    hard: tuple[Problem, ...] = _Reasons()  # type: ignore[assignment]  # why not (new hard problems)
    soft: tuple[Problem, ...] = ()  # what would need a rationale

    def __getstate__(self) -> dict:
        self.hard  # noqa: B018  (worked out: a pickle holds the problems, not the work)
        return self.__dict__

    @property
    def reason(self) -> str:
        """The first reason this carer cannot take the visit ("" when feasible)."""
        return self.hard[0].message if self.hard else ""


@dataclass
class ChangeResult:
    """What a change did: carers per visit before and after, and the re-check."""

    before: dict[int, tuple[int, ...]]
    after: dict[int, tuple[int, ...]]
    recheck: Recheck
    accepted: list[Problem] = field(default_factory=list)
    # visit -> (start before, start after), epoch minutes: visits the change moved in time
    # (the solver's Build puts a visit back into its window), which ``undo`` moves back
    starts: dict[int, tuple[int, int]] = field(default_factory=dict)


def state_for(session: Session, day: date) -> RotaState:
    """The rota of the week holding ``day``, loaded and validated."""
    return RotaState(load_week(session, day))


def _regulars(state: RotaState, visit_id: int) -> set[int]:
    """Carers with continuity for this visit's customer: preferred by them, seen before,
    or on their visits this week."""
    snap = state.snap
    customer_id = snap.visits[visit_id].customer_id
    found = set(snap.carers_seen(customer_id))
    customer = snap.customers.get(customer_id)
    if customer is not None:
        found.update(customer.preferred)
    carers_of = state.carers_of
    for other_id in snap.visits_of(customer_id):
        if other_id != visit_id:
            found.update(carers_of.get(other_id, ()))
    return found


def travel_added(state: RotaState, visit_id: int, carer_id: int) -> int:
    """Minutes of travel the carer's day gains by taking this visit (from home if the day
    is otherwise empty)."""
    snap = state.snap
    visit = snap.visits[visit_id]
    carer = snap.carers[carer_id]
    mode = carer.transport_mode
    before = after = None
    for other_id in state.day_visits(carer_id, visit.day):
        if other_id == visit_id:
            continue
        other = snap.visits[other_id]
        if other.end <= visit.start:
            before = other
        elif other.start >= visit.end and after is None:
            after = other
    customer = visit.customer_id
    if before is None and after is None:
        place = snap.customers.get(customer)
        if place is None:
            return 0
        return travel_minutes(carer.lat, carer.lon, place.lat, place.lon, mode, snap.travel)
    added = 0
    if before is not None:
        added += state.travel(before.customer_id, customer, mode)
    if after is not None:
        added += state.travel(customer, after.customer_id, mode)
    if before is not None and after is not None:
        added -= state.travel(before.customer_id, after.customer_id, mode)
    return added


def rank_carers(
    state: RotaState,
    visit_id: int,
    *,
    replacing: int | None = None,
    only: Collection[int] | None = None,
) -> list[Candidate]:
    """Every active carer not already on the visit, feasible ones first by score, then the
    infeasible ones with their reasons. ``replacing`` is a carer to take off the visit;
    ``only`` ranks just those carers (a caller that has already ruled the others out).

    Each carer is judged as a what-if of the change would judge them, in three steps
    (``ranking.judge_carers``, issue 23 §1: 300 carers in under 10 ms): a carer that a
    rule of the visit itself rules out (absent, not available then, lacking a skill,
    excluded by the customer) carries those reasons only, the first being the one the
    full check would name first; of the rest, a carer whose shift the visit would break
    a rule of (overlap, travel, daily rest, break, night work: the visit spliced into
    their kept shifts) carries those problems, the first again the one the full check
    names first; the carers left get the what-if's new problems, worked out from the
    splice (the rules over their week, the visit's staffing) rather than by checking
    their week and those of the visit's carers again."""
    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    current = tuple(c for c in state.carers_of.get(visit_id, ()) if c != replacing)
    regulars = _regulars(state, visit_id)
    preferred_of = customer.preferred if customer is not None else frozenset()
    wanted = customer.preferred_gender.lower() if customer and customer.preferred_gender else ""
    carers = [
        carer
        for carer in snap.carers.values()
        if carer.active
        and carer.id not in current
        and carer.id != replacing
        and (only is None or carer.id in only)
    ]
    ranked: list[Candidate] = []
    travel_added_by = travel_for(state, visit)
    for carer, hard, soft in judge_carers(state, visit_id, carers, current, replacing):
        carer_id = carer.id
        preferred = carer_id in preferred_of
        gender_ok = not wanted or wanted == carer.gender.lower()
        continuity = carer_id in regulars
        travel = travel_added_by(carer)
        score = (
            SCORE_CONTINUITY * continuity
            + SCORE_PREFERRED * preferred
            + SCORE_GENDER * gender_ok
            - SCORE_PER_SOFT * len(soft)
            - travel
        )
        ranked.append(
            Candidate(
                carer_id,
                carer.name,
                not hard,
                score,
                travel,
                continuity,
                preferred,
                gender_ok,
                hard,
                soft,
            )
        )
    ranked.sort(key=lambda c: (not c.feasible, -c.score, c.travel_added, c.name, c.carer_id))
    return ranked


# -- writing ---------------------------------------------------------------------------------


def _write_carers(session: Session, visit_id: int, carers: tuple[int, ...]) -> None:
    """Make the visit's assignment rows say ``carers`` (slot 1, 2...), changing rows in
    place where a slot keeps existing so the audit trail reads "carer X -> Y"."""
    rows = {
        row.slot: row
        for row in session.scalars(
            select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)
        )
    }
    wanted = dict(enumerate(carers, start=1))
    for slot, row in rows.items():
        if slot not in wanted:
            session.delete(row)
        elif row.carer_id != wanted[slot]:
            row.carer_id = wanted[slot]
    session.flush()
    for slot, carer_id in wanted.items():
        if slot not in rows:
            session.add(VisitAssignment(visit_id=visit_id, carer_id=carer_id, slot=slot))
    session.flush()


def _current(session: Session, visit_id: int) -> tuple[int, ...]:
    return tuple(
        session.scalars(
            select(VisitAssignment.carer_id)
            .where(VisitAssignment.visit_id == visit_id)
            .order_by(VisitAssignment.slot)
        )
    )


def apply_change(
    session: Session,
    state: RotaState,
    new: Mapping[int, tuple[int, ...]],
    *,
    rationale: str = "",
    allow_hard: bool = False,
    check: bool = True,
) -> ChangeResult:
    """Set the carers of one or more visits, in memory and in the database.

    Refuses (``RotaError``) a double-up with one carer, more carers than the visit needs,
    an unknown carer or visit, or a database that no longer matches ``state`` (someone
    else changed the visit: reload). With ``check`` (the default) a new hard problem
    raises ``HardProblemsError`` unless ``allow_hard``, and new soft problems raise
    ``RationaleRequired`` unless ``rationale`` is given, in which case each is recorded.
    """
    snap = state.snap
    for visit_id, carers in new.items():
        visit = snap.visits.get(visit_id)
        if visit is None:
            raise RotaError(f"Visit {visit_id} is not in the week of {snap.monday:%d %b %Y}")
        if visit.status == VisitStatus.MISSED and carers:
            # Recorded as missed (Governance): over, and out of working time, so a carer
            # put on it would count here and not once the week is read again.
            raise RotaError("That visit was recorded as missed: it cannot be staffed now")
        if len(set(carers)) < len(carers):
            raise RotaError("A double-up needs two different carers")
        if len(carers) > visit.carers_required:
            raise RotaError(f"Visit {visit_id} needs {visit.carers_required} carer(s) at most")
        unknown = [c for c in carers if c not in snap.carers]
        if unknown:
            raise RotaError(f"Unknown carer {unknown[0]}")
        if _current(session, visit_id) != state.carers_of.get(visit_id, ()):
            raise RotaConflictError(visit_conflict_message(session, visit_id))
    before = {visit_id: state.carers_of.get(visit_id, ()) for visit_id in new}
    recheck = state.change(dict(new))
    soft = [p for p in recheck.added_soft if not p.accepted]
    if check:
        if recheck.added_hard and not allow_hard:
            state.change(before)
            raise HardProblemsError(recheck.added_hard)
        if soft and not rationale.strip():
            state.change(before)
            raise RationaleRequired(soft)
    accepted: list[Problem] = []
    try:
        for visit_id, carers in new.items():
            _write_carers(session, visit_id, tuple(carers))
        if rationale.strip():
            for problem in soft:
                visit_id = problem.visit_ids[0] if problem.visit_ids else next(iter(new))
                record_acceptance(session, state, problem, rationale, visit_id=visit_id)
                accepted.append(problem._replace(accepted=True))
    except BaseException:
        state.change(before)  # the caller rolls the session back; keep memory in step
        raise
    return ChangeResult(
        before, {visit_id: tuple(c) for visit_id, c in new.items()}, recheck, accepted
    )


def visit_conflict_message(session: Session, visit_id: int) -> str:
    """Who changed this visit's carers, and when, from the audit trail of its assignment
    rows (those on it now, and those since taken off): the shared conflict message.

    A carer changed in place is an update of a row, worded by ``conflict_message``; a
    carer put on or taken off is a row added or deleted, which that message would call
    creating or deleting the visit, so those two are worded here in the same form."""
    on_now = select(VisitAssignment.id).where(VisitAssignment.visit_id == visit_id)
    visit = int(visit_id)
    ever = select(AuditEvent.row_id).where(  # rows put on it, or taken off it, since
        AuditEvent.table_name == "visit_assignment",
        AuditEvent.changes.like(f'%"visit_id": [null, {visit}]%')
        | AuditEvent.changes.like(f'%"visit_id": [{visit}, null]%'),
    )
    event = session.execute(
        select(AuditEvent.row_id, AuditEvent.action, AuditEvent.actor, AuditEvent.at)
        .where(
            AuditEvent.table_name == "visit_assignment",
            AuditEvent.row_id.in_(on_now) | AuditEvent.row_id.in_(ever),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None or event[1] == "update":
        return conflict_message(session, "visit_assignment", event[0] if event else None)
    _row, action, actor, at = event
    what = "put a carer on" if action == "insert" else "took a carer off"
    return (
        f"Refused: {actor} {what} this visit at {time_on_date(to_local(at))} since you "
        "loaded it. Nothing was overwritten; press F5 to reload."
    )


def record_acceptance(
    session: Session,
    state: RotaState | None,
    problem: Problem,
    rationale: str,
    *,
    visit_id: int | None = None,
) -> ProblemAcceptance:
    """Accept a soft problem with the reason recorded. A week-level problem (hours over
    contract) has no visit of its own: it is recorded against ``visit_id``."""
    if problem.is_hard:
        raise RotaError(f"{problem.title} is a hard problem: it cannot be accepted")
    if not rationale.strip():
        raise RotaError("A reason is needed to accept a problem")
    visit_id = problem.visit_ids[0] if problem.visit_ids else visit_id
    if visit_id is None:
        raise RotaError("Name a visit of the week to record this acceptance against")
    row = ProblemAcceptance(
        code=problem.code,
        visit_id=visit_id,
        carer_id=problem.carer_id,
        rationale=rationale.strip()[:500],
        accepted_by=str(session.info.get("actor") or ""),
        accepted_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if state is not None:
        state.accept(problem.code, visit_id, problem.carer_id)
    return row


def assign(
    session: Session,
    visit_id: int,
    carer_id: int,
    *,
    state: RotaState | None = None,
    replacing: int | None = None,
    rationale: str = "",
    allow_hard: bool = False,
) -> ChangeResult:
    """Put a carer on a visit (in the first free place, or in place of ``replacing``)."""
    access.require(session, access.ROTA)  # issue 17
    state = state or _state_for_visit(session, visit_id)
    current = list(state.carers_of.get(visit_id, ()))
    if carer_id in current:
        raise RotaError(
            "This carer is already on the visit: a double-up needs two different carers"
        )
    if replacing is not None:
        if replacing not in current:
            raise RotaError("The carer to replace is not on this visit")
        current[current.index(replacing)] = carer_id
    else:
        current.append(carer_id)
    return apply_change(
        session, state, {visit_id: tuple(current)}, rationale=rationale, allow_hard=allow_hard
    )


def unassign(
    session: Session, visit_id: int, carer_id: int, *, state: RotaState | None = None
) -> ChangeResult:
    """Take a carer off a visit (the visit is then short of a carer: nothing to accept)."""
    access.require(session, access.ROTA)  # issue 17
    state = state or _state_for_visit(session, visit_id)
    current = state.carers_of.get(visit_id, ())
    if carer_id not in current:
        raise RotaError("This carer is not on the visit")
    remaining = tuple(c for c in current if c != carer_id)
    return apply_change(session, state, {visit_id: remaining}, check=False)


def swap(
    session: Session,
    visit_a: int,
    carer_a: int,
    visit_b: int,
    carer_b: int,
    *,
    state: RotaState | None = None,
    rationale: str = "",
    allow_hard: bool = False,
) -> ChangeResult:
    """``carer_a`` takes ``visit_b`` and ``carer_b`` takes ``visit_a``, in one change."""
    access.require(session, access.ROTA)  # issue 17
    if visit_a == visit_b:
        raise RotaError("Choose two different visits to swap")
    state = state or _state_for_visit(session, visit_a)
    if visit_b not in state.snap.visits:
        raise RotaError("Both visits must be in the same week")
    on_a, on_b = list(state.carers_of.get(visit_a, ())), list(state.carers_of.get(visit_b, ()))
    if carer_a not in on_a or carer_b not in on_b:
        raise RotaError("Each carer must be on the visit they swap away")
    on_a[on_a.index(carer_a)] = carer_b
    on_b[on_b.index(carer_b)] = carer_a
    return apply_change(
        session,
        state,
        {visit_a: tuple(on_a), visit_b: tuple(on_b)},
        rationale=rationale,
        allow_hard=allow_hard,
    )


def combine(changes: Sequence[ChangeResult]) -> ChangeResult | None:
    """Several changes as one, to undo together (Plan B covering a carer's visits): each
    visit's carers before the first change and after the last."""
    if not changes:
        return None
    before: dict[int, tuple[int, ...]] = {}
    after: dict[int, tuple[int, ...]] = {}
    for change in changes:
        for visit_id, carers in change.before.items():
            before.setdefault(visit_id, carers)
        after.update(change.after)
    return ChangeResult(
        before,
        after,
        Recheck(
            tuple(p for c in changes for p in c.recheck.before),
            tuple(p for c in changes for p in c.recheck.after),
        ),
        [p for c in changes for p in c.accepted],
        _moves(changes),
    )


def _moves(changes: Sequence[ChangeResult]) -> dict[int, tuple[int, int]]:
    """Each visit moved in time by ``changes``: its start before the first, after the last."""
    found: dict[int, tuple[int, int]] = {}
    for change in changes:
        for visit_id, (old, new) in change.starts.items():
            found[visit_id] = (found.get(visit_id, (old, new))[0], new)
    return found


def move_starts(session: Session, starts: Mapping[int, tuple[int, int]]) -> None:
    """Move visits in time through the session (audited): visit -> (the start it has now,
    the new one), epoch minutes, the length kept. A visit whose start is no longer the one
    expected (moved by someone since) is refused with the shared conflict message, and the
    row's version column refuses a write racing this one at the flush."""
    for visit_id, (was, new) in starts.items():
        row = session.get(Visit, visit_id)
        if row is None or epoch_minutes(row.start_at) != was:
            raise RotaConflictError(conflict_message(session, "visit", visit_id))
        length = row.end_at - row.start_at
        row.start_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=new)
        row.end_at = row.start_at + length
    session.flush()


def undo(session: Session, result: ChangeResult, state: RotaState) -> ChangeResult:
    """Put the visits of ``result`` back as they were (acceptances recorded stay on file).

    Visits outside ``state``'s week (Plan B over a weekend into the next week) are put
    back in their own week's rota, loaded for the purpose. Visits the change moved in time
    go back to their start first, and the week is read again with them there."""
    if result.starts:
        move_starts(session, {v: (new, old) for v, (old, new) in result.starts.items()})
        state = state_for(session, state.snap.monday)
    weeks: dict[date, RotaState] = {state.snap.monday: state}

    def week_of(visit_id: int) -> RotaState:
        for week in weeks.values():
            if visit_id in week.snap.visits:
                return week
        week = _state_for_visit(session, visit_id)
        return weeks.setdefault(week.snap.monday, week)

    owner = {visit_id: week_of(visit_id) for visit_id in result.after}
    for visit_id, carers in result.after.items():
        if owner[visit_id].carers_of.get(visit_id, ()) != carers:
            raise RotaError(f"Visit {visit_id} has changed since: cannot undo")
    undone = []
    for week in weeks.values():
        mine = {v: result.before[v] for v in result.after if owner[v] is week}
        if mine:
            undone.append(apply_change(session, week, mine, check=False))
    back = combine(undone) or ChangeResult({}, {}, Recheck((), ()))
    back.starts = {v: (new, old) for v, (old, new) in result.starts.items()}
    return back


def _state_for_visit(session: Session, visit_id: int) -> RotaState:
    day = session.scalar(select(Visit.visit_date).where(Visit.id == visit_id))
    if day is None:
        raise RotaError(f"No visit {visit_id}")
    return state_for(session, day)
