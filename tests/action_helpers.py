"""Test data for the shared action tracker's kinds (``services.meetings.actions.KINDS``)."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.models import Absence, Action, Visit
from coordinator_tui.models.rota import AbsenceCover


def as_cover_task(session, task: Action) -> None:  # noqa: ANN001 - a Session
    """Make ``task`` (flushed) a cover task: what the rota's Plan C escalates to the
    registered manager when nobody can cover a visit, the demo's first absence's
    (``absence_cover.task_id``) on a visit no absence has touched."""
    absence = session.scalars(select(Absence).order_by(Absence.id).limit(1)).one()
    visit_id = session.scalar(
        select(Visit.id)
        .where(Visit.id.not_in(select(AbsenceCover.visit_id)))
        .order_by(Visit.id)
        .limit(1)
    )
    session.add(
        AbsenceCover(
            absence_id=absence.id,
            visit_id=visit_id,
            absent_carer_id=absence.carer_id,
            action="escalated",
            task_id=task.id,
        )
    )
    session.flush()
