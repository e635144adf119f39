"""A week-level soft problem (hours over contract) accepted with a reason stays accepted
after the week is loaded again, whichever of the carer's visits of the week the
acceptance was recorded against, and when that visit is later taken off the carer."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from test_rules_week_hours import add_visit, world  # noqa: F401

from coordinator_tui.db import session_scope
from coordinator_tui.models import Carer, VisitAssignment
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.assign import record_acceptance
from coordinator_tui.services.rota.validate import check_week

MONDAY = date(2026, 11, 23)


def over_contract(engine) -> list[P.Problem]:
    with session_scope(engine, "t") as s:
        return [p for p in check_week(s, MONDAY) if p.code == P.OVER_CONTRACT and p.carer_id == 1]


def test_over_contract_accepted_against_one_visit_stays_accepted(world):  # noqa: F811
    with session_scope(world, "t") as s:
        s.get(Carer, 1).contracted_hours = 1
    add_visit(world, MONDAY, (9, 0), 60)
    tuesday = add_visit(world, MONDAY + timedelta(days=1), (9, 0), 60)
    (problem,) = over_contract(world)
    assert not problem.accepted

    with session_scope(world, "t") as s:
        record_acceptance(s, None, problem, "covering sickness", visit_id=tuesday)
    (problem,) = over_contract(world)
    assert problem.accepted

    # Tuesday's visit is taken off the carer; a third visit keeps the week over contract.
    add_visit(world, MONDAY + timedelta(days=2), (9, 0), 60)
    with session_scope(world, "t") as s:
        for row in s.scalars(select(VisitAssignment).where(VisitAssignment.visit_id == tuesday)):
            s.delete(row)
    (problem,) = over_contract(world)
    assert problem.accepted
