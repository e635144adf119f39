"""Writing a proposal: one change through the caller's (audited) session.

Every visit is checked against the rota the solver read: a visit whose carers (or time)
someone changed since is refused with the shared conflict message, and nothing is written
(the caller rolls the unit of work back). The carers are written by
``assign.apply_change`` (rows changed in place where a slot stays, so the audit trail
reads "carer X -> Y"), which returns the ``ChangeResult`` the rota screen's undo puts
back in one step; a time moved within a template's window is written on the visit's row,
whose version column refuses a stale write.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import Visit, VisitAssignment
from coordinator_tui.services.errors import conflict_message
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.assign import (
    ChangeResult,
    RotaConflictError,
    RotaError,
    apply_change,
    visit_conflict_message,
)
from coordinator_tui.services.rota.snapshot import epoch_minutes, load_week
from coordinator_tui.services.rota.solver.proposal import Proposal
from coordinator_tui.services.rota.validate import RotaState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SolverError(RotaError):
    """A proposal that cannot be applied; the message is for the coordinator."""


def apply_proposal(
    session: Session,
    proposal: Proposal,
    visits: Iterable[int] | None = None,
    *,
    state: RotaState | None = None,
) -> ChangeResult:
    """Apply the proposal's changes (only those of ``visits`` if given: a carer's, a
    day's) as one change. A part of a proposal is refused if on its own it would break a
    hard rule (a carer put on a visit whose other visits' changes were left out), so
    every part accepted is as sound as the whole. ``state`` is the week's rota in memory
    to change with it (read afresh when not given)."""
    wanted = None if visits is None else set(visits)
    chosen = [c for c in proposal.changes if wanted is None or c.visit_id in wanted]
    if not chosen:
        raise SolverError("Nothing to apply: the proposal changes none of these visits")
    for change in chosen:
        current = tuple(
            session.scalars(
                select(VisitAssignment.carer_id)
                .where(VisitAssignment.visit_id == change.visit_id)
                .order_by(VisitAssignment.slot)
            )
        )
        if current != change.before:
            raise RotaConflictError(visit_conflict_message(session, change.visit_id))
    for change in chosen:
        if change.start == change.start_before:
            continue
        row = session.get(Visit, change.visit_id)
        if row is None or epoch_minutes(row.start_at) != change.start_before:
            raise RotaConflictError(conflict_message(session, "visit", change.visit_id))
        length = row.end_at - row.start_at
        row.start_at = _EPOCH + timedelta(minutes=change.start)
        row.end_at = row.start_at + length
    session.flush()
    if state is None:
        state = RotaState(load_week(session, proposal.monday))
    result = apply_change(session, state, {c.visit_id: c.after for c in chosen}, check=False)
    broken = [p for p in result.recheck.added_hard if p.code != P.UNSTAFFED]
    if wanted is not None and broken:
        state.change(result.before)  # the caller's unit of work rolls the rows back
        raise SolverError(
            f"These changes alone would break a rule ({broken[0].title}: "
            f"{broken[0].message}); accept them with the others they depend on, or all"
        )
    return result
