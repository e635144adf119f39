"""Plan C: what the coordinator does with a visit nobody could cover.

Plan B records each visit it could not cover against the absence (an ``AbsenceCover``
with no carer). Each gets one of three actions, recorded on that row (audited), each
refused when the row changed since the screen read it (its version):

- ``escalate``: a task for the registered manager (an open ``Action`` in the action
  tracker, due the visit's day) saying which visit and why nobody can take it;
- ``time_options`` then ``move_visit``: the times within the visit's window (its
  template's) at which a carer could take it, and moving it there with that carer (the
  customer is then rung: the call list says so);
- ``mark_agency``: to be covered by an agency (it stays short of a carer on the rota,
  marked as handed over, and is on the call list for the agency).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, to_local
from coordinator_tui.models import AbsenceCover, Action, Customer, Visit, VisitTemplate
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.rota.assign import (
    Candidate,
    RotaConflictError,
    RotaError,
    apply_change,
    rank_carers,
    state_for,
)
from coordinator_tui.services.rota.snapshot import epoch_minutes, week_monday
from coordinator_tui.services.rota.validate import RotaState

MANAGER = "Registered manager"
ESCALATED, TIME_CHANGE, AGENCY = "escalated", "time_change", "agency"
ACTION_NAMES = {
    "": "",
    ESCALATED: "escalated to the manager",
    TIME_CHANGE: "moved to another time",
    AGENCY: "to be covered by an agency",
}
STEP_MINUTES = 5  # times offered within a window (every 5 minutes)


@dataclass(frozen=True)
class TimeOption:
    """A start time in the visit's window, and the carers who could take it then."""

    start: datetime  # UK local
    candidates: tuple[Candidate, ...]  # feasible only, best first

    @property
    def best(self) -> Candidate:
        return self.candidates[0]


def _cover(session: Session, cover_id: int, version: int) -> AbsenceCover:
    """The cover row as the screen saw it; gone or changed since is refused, naming who
    changed (or deleted) it and when (``row_id``: the trail of the row that is gone)."""
    row = session.get(AbsenceCover, cover_id)
    check_version(
        session,
        row,
        "absence_cover",
        version,
        missing=RotaConflictError,
        conflict=RotaConflictError,
        row_id=cover_id,
    )
    assert row is not None
    return row


def _describe(session: Session, visit: Visit) -> str:
    customer = session.get(Customer, visit.customer_id)
    name = customer.name if customer else "a customer"
    start, end = to_local(visit.start_at), to_local(visit.end_at)
    return f"{start:%a %d/%m %H:%M}-{end:%H:%M} {name}"


def escalate(
    session: Session,
    cover_id: int,
    version: int,
    *,
    why: str,
    today: date,
) -> Action:
    """Hand the visit to the registered manager as a task (an open action, due the visit's
    day, or today for a visit today or past), saying why nobody can cover it."""
    cover = _cover(session, cover_id, version)
    if cover.carer_id is not None:
        raise RotaError("This visit is covered: nothing to escalate")
    visit = session.get(Visit, cover.visit_id)
    if visit is None:
        raise RotaError("That visit no longer exists")
    description = f"Cover needed: {_describe(session, visit)}; nobody on the rota can take it"
    if why.strip():
        description += f" ({why.strip()})"
    task = Action(  # not linked to a person: rota cover is not a safeguarding chronology event
        owner_label=MANAGER,
        description=description[:500],
        due_date=max(visit.visit_date, today),
    )
    session.add(task)
    session.flush()
    cover.action, cover.task_id = ESCALATED, task.id
    cover.note = why.strip()[:300]
    session.flush()
    return task


def why_nobody(
    session: Session, visit_id: int, *, states: dict[date, RotaState] | None = None
) -> str:
    """Why no carer can take the visit now: each rule with how many carers it stops,
    commonest first ("busy (14), not enough travel time (6)"). ``states`` keeps the weeks
    loaded between calls (a Plan C of several visits reads its week once)."""
    day = session.scalar(select(Visit.visit_date).where(Visit.id == visit_id))
    if day is None:
        return ""
    cache = states if states is not None else {}
    monday = week_monday(day)
    if monday not in cache:
        cache[monday] = state_for(session, day)
    state = cache[monday]
    if visit_id not in state.snap.visits:
        return ""
    counts = Counter(c.hard[0].title for c in rank_carers(state, visit_id) if c.hard)
    if not counts:
        return "no active carer" if not state.snap.carers else ""
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return "ruled out by " + ", ".join(f"{title.lower()} ({n})" for title, n in ordered)


def mark_agency(session: Session, cover_id: int, version: int, *, note: str = "") -> None:
    """The visit is to be covered by an agency: recorded, and listed on the call list."""
    cover = _cover(session, cover_id, version)
    if cover.carer_id is not None:
        raise RotaError("This visit is covered: no agency needed")
    cover.action, cover.note = AGENCY, note.strip()[:300]
    session.flush()


def window_of(session: Session, visit_id: int) -> tuple[datetime, datetime] | None:
    """The earliest and latest start of the visit (UK local), from its template's window;
    None for a visit made without one."""
    row = session.execute(
        select(Visit.visit_date, VisitTemplate.window_start, VisitTemplate.window_end)
        .join(VisitTemplate, VisitTemplate.id == Visit.template_id)
        .where(Visit.id == visit_id)
    ).first()
    if row is None:
        return None
    day, first, last = row
    return _at(day, first), _at(day, last)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=UK)


def _moved(state: RotaState, visit_id: int, start: int) -> RotaState:
    """The rota as if the visit started at ``start`` (epoch minutes), checked afresh."""
    snap = state.snap
    visit = snap.visits[visit_id]
    local = datetime.fromtimestamp(start * 60, UK)
    moved = replace(
        visit,
        start=start,
        end=start + visit.minutes,
        local_start=local.hour * 60 + local.minute,
    )
    copy = replace(snap, visits={**snap.visits, visit_id: moved})
    return RotaState(copy, state.carers_of)


def time_options(
    session: Session, visit_id: int, *, now: datetime, step: int = STEP_MINUTES
) -> list[TimeOption]:
    """Start times within the visit's window (every ``step`` minutes, not yet past) at
    which a carer could take it without breaking a hard rule, each with those carers,
    best first. A double-up's remaining carer moves with it, so a time that breaks a
    rule for them is not offered."""
    window = window_of(session, visit_id)
    if window is None:
        return []
    day = session.scalar(select(Visit.visit_date).where(Visit.id == visit_id))
    assert day is not None
    state = state_for(session, day)
    visit = state.snap.visits[visit_id]
    staying = state.carers_of.get(visit_id, ())
    first, last = (epoch_minutes(moment.astimezone(UTC)) for moment in window)
    earliest = epoch_minutes(now) + 1
    options: list[TimeOption] = []
    start = first
    while start <= last:
        if start != visit.start and start >= earliest:
            moved = _moved(state, visit_id, start)
            blocked = any(
                p.is_hard and p.carer_id in staying and visit_id in p.visit_ids
                for p in moved.visit_problems(visit_id)
            )
            if not blocked:
                feasible = tuple(c for c in rank_carers(moved, visit_id) if c.feasible)
                if feasible:
                    options.append(TimeOption(datetime.fromtimestamp(start * 60, UK), feasible[:5]))
        start += step
    return options


def move_visit(
    session: Session,
    cover_id: int,
    version: int,
    *,
    start: datetime,
    carer_id: int,
    rationale: str = "",
) -> AbsenceCover:
    """Move the Plan C visit to ``start`` (within its window) and put ``carer_id`` on it.

    Refused when the cover record or the visit changed since they were read, when the
    time is outside the window, or when the carer cannot take it then (hard problems;
    soft ones need ``rationale``)."""
    cover = _cover(session, cover_id, version)
    if cover.carer_id is not None:
        raise RotaError("This visit is covered already")
    visit = session.get(Visit, cover.visit_id)
    if visit is None:
        raise RotaError("That visit no longer exists")
    window = window_of(session, visit.id)  # type: ignore[arg-type]
    if window is None:
        raise RotaError("This visit has no window to move it within")
    start = start.astimezone(UK)
    if not window[0] <= start <= window[1]:
        raise RotaError(
            f"Choose a start between {window[0]:%H:%M} and {window[1]:%H:%M} (the visit's window)"
        )
    old = visit.start_at
    length = visit.end_at - visit.start_at
    visit.start_at = start.astimezone(UTC)
    visit.end_at = visit.start_at + length
    session.flush()  # refused here if someone else changed the visit (its version)
    state = state_for(session, visit.visit_date)
    if not state.short_of(visit.id):  # type: ignore[arg-type]
        raise RotaError("Someone has put a carer on this visit since: press F5 to reload")
    current = state.carers_of.get(visit.id, ())  # type: ignore[arg-type]
    apply_change(
        session,
        state,
        {visit.id: (*current, carer_id)},  # type: ignore[dict-item]
        rationale=rationale,
    )
    cover.carer_id, cover.action, cover.moved_from = carer_id, TIME_CHANGE, old
    cover.note = f"moved from {to_local(old):%H:%M} to {start:%H:%M}"
    session.flush()
    return cover
