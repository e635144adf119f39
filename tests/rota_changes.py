"""One change to a rota's visits, saved as the app saves them: what the property tests of
the rota's kept data (``test_rota_flat``: the weekly hours and continuity;
``test_rota_week_pack``: the packed days) apply in random sequences, so both exercise the
same writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from coordinator_tui.models import Visit, VisitAssignment, VisitStatus

KINDS = ("add", "reassign", "unassign", "cancel", "move", "customer")


def apply_change(
    session,  # noqa: ANN001
    kind: str,
    *,
    begin: datetime,
    minutes: int,
    carer_id: int,
    customer_id: int,
    pick: int,
    shift: timedelta,
) -> None:
    """``kind`` of :data:`KINDS`: ``add`` a visit at ``begin`` (aware) lasting ``minutes``
    to ``customer_id`` with ``carer_id`` on it (also what any kind does when there is no
    visit yet); else on the ``pick``-th visit (by id, wrapping): ``reassign`` its first
    carer to ``carer_id``, ``unassign`` them, ``cancel`` it, ``move`` it by ``shift`` (its
    day with it) or give it to ``customer_id`` (``customer``)."""
    visits = session.scalars(select(Visit).order_by(Visit.id)).all()
    if kind == "add" or not visits:
        visit = Visit(
            customer_id=customer_id,
            visit_date=begin.date(),
            start_at=begin,
            end_at=begin + timedelta(minutes=minutes),
            status=VisitStatus.PLANNED,
        )
        session.add(visit)
        session.flush()
        session.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=1))
        return
    visit = visits[pick % len(visits)]
    on = session.scalars(select(VisitAssignment).where(VisitAssignment.visit_id == visit.id)).all()
    if kind == "reassign" and on:
        on[0].carer_id = carer_id
    elif kind == "unassign" and on:
        session.delete(on[0])
    elif kind == "cancel":
        visit.status = VisitStatus.CANCELLED
    elif kind == "move":
        visit.visit_date += shift
        visit.start_at += shift
        visit.end_at += shift
    elif kind == "customer":
        visit.customer_id = customer_id
