"""Home's "Meeting actions open/overdue" count the meetings' tracker only: governance's
incident actions share the action table and are counted on Governance ("actions late")."""

from __future__ import annotations

from datetime import timedelta

from conftest import DEMO_TODAY
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, ActionStatus
from coordinator_tui.models.governance import Incident, IncidentAction
from coordinator_tui.services.dashboard import dashboard_counts


def _open(s, *where) -> int:
    return s.scalar(select(func.count(Action.id)).where(Action.status == ActionStatus.OPEN, *where))


def test_the_demo_counts_leave_out_incident_actions(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        counts = dashboard_counts(s, DEMO_TODAY)
        incident = Action.id.in_(select(IncidentAction.action_id))
        # The governance demo leaves open incident actions, some overdue: not counted.
        assert _open(s, incident) > 0 and _open(s, incident, Action.due_date < DEMO_TODAY) > 0
        assert counts.actions_open == _open(s, ~incident)
        assert counts.actions_overdue == _open(s, ~incident, Action.due_date < DEMO_TODAY)


def test_an_overdue_incident_action_moves_nothing_a_meeting_action_does(small_demo_engine):
    late = DEMO_TODAY - timedelta(days=3)
    with session_scope(small_demo_engine, "t") as s:
        before = dashboard_counts(s, DEMO_TODAY)
        incident_id = s.scalar(select(Incident.id).order_by(Incident.id).limit(1))
        action = Action(description="Check the bed rails", due_date=late)
        s.add(action)
        s.flush()
        s.add(IncidentAction(incident_id=incident_id, action_id=action.id))
        s.flush()
        after_incident = dashboard_counts(s, DEMO_TODAY)
        s.add(Action(description="Chase the GP letter", due_date=late))
        s.flush()
        after_meeting = dashboard_counts(s, DEMO_TODAY)
    assert (after_incident.actions_open, after_incident.actions_overdue) == (
        before.actions_open,
        before.actions_overdue,
    )
    assert (after_meeting.actions_open, after_meeting.actions_overdue) == (
        before.actions_open + 1,
        before.actions_overdue + 1,
    )
