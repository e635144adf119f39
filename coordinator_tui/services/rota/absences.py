"""A carer's absences corrected or removed, and the cover they caused put back.

An absence is marked with ``plan_b.mark_absent``; this module edits and removes it. Each
takes the version the screen saw, so a colleague's change since is refused with the shared
conflict message (nothing is overwritten). Every write goes through the session (audited).

Removing an absence (entered for the wrong carer, or the carer came in after all), or
shortening it, leaves the visits Plan B gave to others with those others. The coordinator
is offered to put the carer back on them: ``undo_cover`` does so for each visit still
covered as Plan B left it, not yet started, where the carer's return breaks no hard rule;
the rest stay as they are, each with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Absence,
    AbsenceCover,
    Action,
    ActionStatus,
    Carer,
    Visit,
    VisitAssignment,
)
from coordinator_tui.services import access
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.meetings.actions import cancel_cover_task
from coordinator_tui.services.rota.assign import (
    RotaConflictError,
    RotaError,
    apply_change,
    state_for,
)
from coordinator_tui.services.rota.plan_b import check_absence
from coordinator_tui.services.rota.snapshot import epoch_minutes, week_monday
from coordinator_tui.services.rota.validate import RotaState

KIND_NAMES = {"sickness": "Sickness", "leave": "Leave", "training": "Training", "other": "Other"}


@dataclass(frozen=True)
class AbsenceView:
    """One absence as a screen shows it; ``version`` goes back with an edit."""

    id: int
    version: int
    carer_id: int
    start: date
    end: date
    kind: str
    note: str

    def describe(self) -> str:
        """``sickness 01/12/2026 to 03/12/2026`` (or one date)."""
        dates = uk_date(self.start)
        if self.end != self.start:
            dates += f" to {uk_date(self.end)}"
        return f"{self.kind} {dates}"


@dataclass(frozen=True)
class CoverView:
    """A visit the absence changed, as it stands now."""

    id: int
    version: int
    visit_id: int
    day: date
    start: datetime  # aware, UTC as stored
    absent_carer_id: int
    carer_id: int | None  # who covers it (None: Plan C)
    action: str
    in_place: bool  # the visit's carers still as the cover left them
    task_id: int | None = None  # the manager's task, when escalated


@dataclass
class UndoResult:
    """What ``undo_cover`` did: visits the carer is back on, and those left, with why."""

    restored: list[int] = field(default_factory=list)
    kept: list[tuple[int, str]] = field(default_factory=list)


def _view(row: Absence) -> AbsenceView:
    assert row.id is not None
    return AbsenceView(
        row.id, row.version, row.carer_id, row.start_date, row.end_date, row.kind, row.note
    )


def absences_for(session: Session, carer_id: int, first: date, last: date) -> list[AbsenceView]:
    """The carer's absences overlapping ``first`` to ``last``, earliest first."""
    rows = session.scalars(
        select(Absence)
        .where(Absence.carer_id == carer_id, Absence.start_date <= last, Absence.end_date >= first)
        .order_by(Absence.start_date, Absence.id)
    )
    return [_view(row) for row in rows]


def absence_on(session: Session, carer_id: int, day: date) -> AbsenceView | None:
    """The carer's absence covering ``day``, if any."""
    found = absences_for(session, carer_id, day, day)
    return found[0] if found else None


def _load(session: Session, absence_id: int, version: int) -> Absence:
    row = session.get(Absence, absence_id)
    # Gone: who deleted it and when, from the audit trail, as for a change.
    check_version(
        session,
        row,
        "absence",
        version,
        missing=RotaConflictError,
        conflict=RotaConflictError,
        row_id=absence_id,
    )
    assert row is not None
    return row


def cover_of(session: Session, absence_id: int) -> list[CoverView]:
    """Every visit the absence's Plan B touched, by start, each saying whether its
    carers are still as the cover left them."""
    rows = session.execute(
        select(AbsenceCover, Visit.visit_date, Visit.start_at)
        .join(Visit, Visit.id == AbsenceCover.visit_id)
        .where(AbsenceCover.absence_id == absence_id)
        .order_by(Visit.start_at, Visit.id)
    ).all()
    if not rows:
        return []
    carers: dict[int, set[int]] = {}
    for visit_id, carer_id in session.execute(
        select(VisitAssignment.visit_id, VisitAssignment.carer_id).where(
            VisitAssignment.visit_id.in_([row[0].visit_id for row in rows])
        )
    ):
        carers.setdefault(visit_id, set()).add(carer_id)
    found = []
    for cover, day, start in rows:
        on = carers.get(cover.visit_id, set())
        in_place = cover.absent_carer_id not in on and (
            cover.carer_id in on if cover.carer_id is not None else True
        )
        found.append(
            CoverView(
                cover.id,
                cover.version,
                cover.visit_id,
                day,
                start,
                cover.absent_carer_id,
                cover.carer_id,
                cover.action,
                in_place,
                cover.task_id,
            )
        )
    return found


def cover_to_undo(
    session: Session, absence_id: int, *, now: datetime, outside: tuple[date, date] | None = None
) -> list[CoverView]:
    """The cover that putting the carer back would undo: still in place, not yet started,
    and (``outside``: the absence's new dates) only for visits outside those dates."""
    minute = epoch_minutes(now)
    return [
        cover
        for cover in cover_of(session, absence_id)
        if cover.in_place
        and epoch_minutes(cover.start) > minute
        and (outside is None or not outside[0] <= cover.day <= outside[1])
    ]


def edit_absence(
    session: Session,
    absence_id: int,
    version: int,
    *,
    start: date,
    end: date,
    kind: str,
    note: str = "",
) -> Absence:
    """Correct an absence's dates, kind or note (refused if changed since ``version``)."""
    access.require(session, access.ROTA)  # issue 17
    row = _load(session, absence_id, version)
    check_absence(session, row.carer_id, start, end, kind, ignore=absence_id)
    row.start_date, row.end_date, row.kind, row.note = start, end, kind, note.strip()[:300]
    session.flush()
    return row


def remove_absence(
    session: Session,
    absence_id: int,
    version: int,
    *,
    put_back: bool,
    now: datetime,
) -> UndoResult:
    """Remove an absence (refused if changed since ``version``). With ``put_back`` the
    carer goes back on the visits its Plan B gave to others (``undo_cover``); either way
    the absence's record of cover goes with it."""
    access.require(session, access.ROTA)  # issue 17
    row = _load(session, absence_id, version)
    covers = cover_of(session, absence_id)
    for cover in session.scalars(select(AbsenceCover).where(AbsenceCover.absence_id == absence_id)):
        session.delete(cover)
    session.flush()
    session.delete(row)
    session.flush()  # the carer is no longer absent for the re-check below
    return _put_back(session, covers, now=now) if put_back else UndoResult()


def undo_cover(
    session: Session, absence_id: int, visit_ids: set[int], *, now: datetime
) -> UndoResult:
    """Put the absent carer back on ``visit_ids`` (after the absence was shortened: these
    visits are no longer in it). Their cover records go."""
    covers = [c for c in cover_of(session, absence_id) if c.visit_id in visit_ids]
    result = _put_back(session, covers, now=now)
    for visit_id in result.restored:
        cover = session.scalar(
            select(AbsenceCover).where(
                AbsenceCover.absence_id == absence_id, AbsenceCover.visit_id == visit_id
            )
        )
        if cover is not None:
            session.delete(cover)
    session.flush()
    return result


def _put_back(session: Session, covers: list[CoverView], *, now: datetime) -> UndoResult:
    result = UndoResult()
    minute = epoch_minutes(now)
    states: dict[date, RotaState] = {}
    names = dict(session.execute(select(Carer.id, Carer.name)).all())
    for cover in covers:
        if not cover.in_place:
            result.kept.append((cover.visit_id, "changed since Plan B"))
            continue
        if epoch_minutes(cover.start) <= minute:
            result.kept.append((cover.visit_id, "already started"))
            continue
        if cover.action == "time_change":
            result.kept.append((cover.visit_id, "moved to another time for the cover"))
            continue
        monday = week_monday(cover.day)
        if monday not in states:
            states[monday] = state_for(session, monday)
        state = states[monday]
        current = state.carers_of.get(cover.visit_id, ())
        back = cover.absent_carer_id
        if cover.carer_id is not None and cover.carer_id in current:
            carers = tuple(back if c == cover.carer_id else c for c in current)
        elif state.short_of(cover.visit_id):
            carers = (*current, back)
        else:
            result.kept.append((cover.visit_id, "has its carers"))
            continue
        hard = [p for p in state.what_if({cover.visit_id: carers}).added_hard if p.carer_id == back]
        if hard:
            who = names.get(back, "the carer")
            result.kept.append((cover.visit_id, f"{who}: {hard[0].message}"))
            continue
        try:
            apply_change(session, state, {cover.visit_id: carers}, check=False)
        except RotaError as exc:
            result.kept.append((cover.visit_id, str(exc)))
            continue
        result.restored.append(cover.visit_id)
        if cover.task_id is not None:
            _close_task(session, cover.task_id)
    return result


def _close_task(session: Session, task_id: int) -> None:
    """The manager's task for a visit the carer is back on is no longer needed."""
    task = session.get(Action, task_id)
    if task is not None and task.status == ActionStatus.OPEN:
        cancel_cover_task(session, task_id, reason="The absent carer is back on the visit")
