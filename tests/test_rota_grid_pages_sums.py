"""The first screenful's day cells are added up by the database (``grid_pages``, issue
23 §1): each visit counted once for a carer even on two of its places, and a visit's
minutes from its start minute to its end minute (seconds left out), as the checked week
counts them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Visit, VisitAssignment, VisitStatus
from coordinator_tui.services.rota.grid import RotaWeek
from coordinator_tui.services.rota.grid_pages import first_page

MONDAY = date(2026, 11, 23)  # the small demo's week


def test_a_carer_on_two_places_of_a_visit_and_odd_seconds(small_demo_engine):
    with session_scope(small_demo_engine, "t") as session:
        visit = session.exec(
            select(Visit)
            .where(Visit.visit_date == MONDAY + timedelta(days=2))
            .where(Visit.status != VisitStatus.CANCELLED)
            .where(Visit.carers_required == 1)
        ).first()
        assert visit is not None
        place = session.exec(
            select(VisitAssignment).where(VisitAssignment.visit_id == visit.id)
        ).first()
        assert place is not None
        carer_id = place.carer_id
        visit.carers_required = 2
        start: datetime = visit.start_at
        visit.start_at = start.replace(second=40)  # 40 s in: the minute still counts
        visit.end_at = visit.end_at.replace(second=10)
        session.add(visit)
        session.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=place.slot + 1))
    with session_scope(small_demo_engine, "t") as session:
        rota = RotaWeek.load(session, MONDAY)
        page = first_page(session, MONDAY, 1000)
    row = next(r for r in page.rows if r.carer_id == carer_id)
    cells, _worst = rota.row(carer_id)
    assert [(c.visits, c.minutes) for c in row.cells] == [(c.visits, c.minutes) for c in cells]
    assert row.cells[2].visits >= 1
