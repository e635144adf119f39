"""Writing a proposal: one change through the caller's (audited) session.

Every visit is checked against the rota the solver read: a visit whose carers (or time)
someone changed since is refused with the shared conflict message, and nothing is written
(the caller rolls the unit of work back). The carers are written by
``assign.apply_change`` (rows changed in place where a slot stays, so the audit trail
reads "carer X -> Y"), which returns the ``ChangeResult`` the rota screen's undo puts
back in one step; a time moved (within a template's window, or by Build back into it) is
written on the visit's row by ``assign.move_starts`` (refused when the visit's start is no
longer the one the solver read; the row's version column refuses a racing write), and
recorded in the ``ChangeResult`` so that the same undo moves it back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import VisitAssignment
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.assign import (
    ChangeResult,
    RotaConflictError,
    RotaError,
    apply_change,
    move_starts,
    visit_conflict_message,
)
from coordinator_tui.services.rota.snapshot import load_week
from coordinator_tui.services.rota.solver.proposal import Proposal
from coordinator_tui.services.rota.validate import RotaState


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
    starts = {c.visit_id: (c.start_before, c.start) for c in chosen if c.retimed}
    move_starts(session, starts)
    if state is None or starts:  # (a week in memory holds the old times: read it again)
        state = RotaState(load_week(session, proposal.monday))
    result = apply_change(session, state, {c.visit_id: c.after for c in chosen}, check=False)
    result.starts = starts
    broken = [p for p in result.recheck.added_hard if p.code != P.UNSTAFFED]
    if wanted is not None and broken:
        state.change(result.before)  # the caller's unit of work rolls the rows back
        raise SolverError(
            f"These changes alone would break a rule ({broken[0].title}: "
            f"{broken[0].message}); accept them with the others they depend on, or all"
        )
    return result
