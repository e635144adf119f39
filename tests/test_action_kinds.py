"""The shared action tracker, each action under its own tracker's activity (issue 17).

The ``action`` table holds the safeguarding side's actions (meetings, referral outcomes,
coding corrections, process updates), an incident's actions (Governance) and the rota's
cover tasks (Plan C, escalated to the registered manager). Found in use: a safeguarding
administrator, who may not see the homecare agency's incidents or customers, read them
in the meetings' tracker ("Incident 46: Update the care plan", "Cover needed: <customer>
<time>"); a homecare coordinator, who added them, could not chase or close them; and
Home's "Meeting actions overdue" (7) disagreed with the tracker's own count (11).
"""

from __future__ import annotations

import pytest
from action_helpers import as_cover_task
from conftest import DEMO_TODAY
from sqlalchemy import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, ActionStatus
from coordinator_tui.models.governance import Incident, IncidentAction
from coordinator_tui.models.rota import AbsenceCover
from coordinator_tui.services import access
from coordinator_tui.services.access import NotPermittedError
from coordinator_tui.services.dashboard import dashboard_counts
from coordinator_tui.services.meetings import actions as act

LATE = DEMO_TODAY.replace(day=DEMO_TODAY.day - 3)


def _principal(*roles: str) -> access.Principal:
    return access.make_principal("tester", list(roles))


@pytest.fixture
def kinds(small_demo_engine):
    """One overdue action of each tracker: a meeting's, an incident's, a cover task."""
    with session_scope(small_demo_engine, "operator") as s:
        meeting = Action(description="Chase the GP letter", due_date=LATE)
        incident_action = Action(description="Incident: check the bed rails", due_date=LATE)
        cover = Action(owner_label="Manager", description="Cover needed: test", due_date=LATE)
        s.add_all([meeting, incident_action, cover])
        s.flush()
        incident_id = s.scalar(select(Incident.id).order_by(Incident.id).limit(1))
        s.add(IncidentAction(incident_id=incident_id, action_id=incident_action.id))
        as_cover_task(s, cover)
        return {"meeting": meeting.id, "incident": incident_action.id, "cover": cover.id}


def _listed(engine, principal, **kwargs) -> dict[int, str]:
    with session_scope(engine, principal) as s:
        return {row.id: row.kind for row in act.open_actions(s, today=DEMO_TODAY, **kwargs)}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        # roles.json: meetings only; meetings and governance; governance and rota
        (("safeguarding_administrator",), {"meeting"}),
        (("safeguarding_lead",), {"meeting", "incident"}),
        (("homecare_coordinator",), {"incident", "cover"}),
        (("safeguarding_lead", "homecare_coordinator"), {"meeting", "incident", "cover"}),
    ],
)
def test_each_role_reads_the_trackers_its_activities_allow(
    small_demo_engine, kinds, roles, expected
):
    listed = _listed(small_demo_engine, _principal(*roles), kinds=tuple(act.KINDS))
    ours = {kind for kind, action_id in kinds.items() if action_id in listed}
    assert ours == expected
    assert all(listed[kinds[kind]] == kind for kind in ours)


def test_a_safeguarding_administrator_reads_nothing_of_the_homecare_agency(
    small_demo_engine, kinds
):
    listed = _listed(
        small_demo_engine, _principal("safeguarding_administrator"), kinds=tuple(act.KINDS)
    )
    with session_scope(small_demo_engine, "operator") as s:
        homecare = set(s.scalars(select(IncidentAction.action_id))) | set(
            s.scalars(select(AbsenceCover.task_id).where(AbsenceCover.task_id.is_not(None)))
        )
    assert homecare and not homecare & set(listed)


def test_a_role_with_no_tracker_is_refused(small_demo_engine):
    auditor = _principal("read_only_auditor")  # roles.json: no meetings, governance or rota
    with (
        session_scope(small_demo_engine, auditor) as s,
        pytest.raises(NotPermittedError, match="Not permitted"),
    ):
        act.open_actions(s, today=DEMO_TODAY, kinds=tuple(act.KINDS))


@pytest.mark.parametrize(
    ("roles", "kind", "allowed"),
    [
        (("homecare_coordinator",), "incident", True),
        (("homecare_coordinator",), "cover", True),
        (("homecare_coordinator",), "meeting", False),
        (("safeguarding_administrator",), "incident", False),
        (("safeguarding_administrator",), "cover", False),
        (("safeguarding_administrator",), "meeting", True),
        (("care_supervisor",), "incident", True),  # governance
        (("care_supervisor",), "cover", False),  # not the rota
    ],
)
def test_each_action_is_changed_under_its_trackers_activity(
    small_demo_engine, kinds, roles, kind, allowed
):
    action_id = kinds[kind]
    with session_scope(small_demo_engine, _principal(*roles)) as s:
        if allowed:
            act.chase(s, action_id, note="Rang the owner", by="tester")
            act.redate(s, action_id, due=DEMO_TODAY, today=DEMO_TODAY)
            act.complete(s, action_id, outcome="Done and checked")
        else:
            for change in (
                lambda: act.chase(s, action_id, note="Rang", by="tester"),
                lambda: act.complete(s, action_id, outcome="Done"),
                lambda: act.cancel(s, action_id, reason="Not needed"),
                lambda: act.redate(s, action_id, due=DEMO_TODAY, today=DEMO_TODAY),
                lambda: act.reassign(s, action_id, owner="DSL"),
                lambda: act.chases(s, action_id),
            ):
                with pytest.raises(NotPermittedError):
                    change()
    with session_scope(small_demo_engine, "operator") as s:
        status = s.get(Action, action_id).status
    assert status == (ActionStatus.DONE if allowed else ActionStatus.OPEN)


def test_home_counts_the_meetings_tracker_as_it_lists_them(small_demo_engine, kinds):
    """Home's "Meeting actions open/overdue" are the meetings' own tracker's rows; the
    tracker's other kinds are an incident's and the rota's, counted apart on its screen."""
    lead = _principal("safeguarding_lead", "homecare_coordinator")
    with session_scope(small_demo_engine, lead) as s:
        counts = dashboard_counts(s, DEMO_TODAY)
        meeting_rows = act.open_actions(s, today=DEMO_TODAY)
        every_row = act.open_actions(s, today=DEMO_TODAY, kinds=tuple(act.KINDS))
        overdue = act.overdue_count(s, DEMO_TODAY)
    assert counts.actions_open == len(meeting_rows)
    assert counts.actions_overdue == overdue == sum(r.is_overdue(DEMO_TODAY) for r in meeting_rows)
    assert {r.kind for r in every_row} == {"meeting", "incident", "cover"}
    assert {r.id for r in meeting_rows} == {r.id for r in every_row if r.kind == "meeting"}


def test_the_fast_home_counts_agree(small_demo_engine, small_demo_path, kinds):
    """Home's first counts come from ``home_counts``' own SQL: the same rows left out."""
    from coordinator_tui.preflight import head_revision
    from coordinator_tui.services.home_counts import quick_dashboard_counts

    lead = _principal("safeguarding_lead")
    with session_scope(small_demo_engine, lead) as s:
        slow = dashboard_counts(s, DEMO_TODAY)
    small_demo_engine.dispose()  # the fast path reads the file itself
    fast = quick_dashboard_counts(small_demo_path, head_revision(), DEMO_TODAY, 14, None, lead)
    assert fast is not None
    assert (fast.actions_open, fast.actions_overdue) == (slow.actions_open, slow.actions_overdue)


async def test_the_tracker_on_screen_says_what_home_leaves_out(demo_settings, small_demo_engine):
    """Driven as a user: Home's "Meeting actions overdue" and the tracker's count differ
    by the incident actions the tracker also lists (the demo user may act on them), and
    the tracker says so; for a safeguarding administrator it lists none of them."""
    from pilot_helpers import shown_text, wait_for

    from coordinator_tui.app import make_app

    def line(app, selector: str) -> str:
        return " ".join(shown_text(app.screen.query_one(selector)).split())

    app = make_app(demo_settings, small_demo_engine)  # the demo user: every role
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        home_overdue = app.screen.counts.actions_overdue
        await pilot.press("4")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False), timeout=20)
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        incident = sum(
            1 for a in screen.actions if a.kind == "incident" and a.is_overdue(screen.today)
        )
        assert incident > 0
        assert screen.overdue == home_overdue + incident
        assert f"{screen.overdue} actions overdue (incl. {incident} incident)" in line(
            app, "#meetings-summary"
        )

    admin = access.make_principal("tester", ["safeguarding_administrator"], display_name="T")
    app = make_app(demo_settings, small_demo_engine, principal=admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.press("4")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False), timeout=20)
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert screen.actions and {a.kind for a in screen.actions} == {"meeting"}
        assert "incl." not in line(app, "#meetings-summary")
        assert not any("Incident" in a.description for a in screen.actions)


@pytest.mark.parametrize("typed", ["RM", "registered manager"])
def test_a_cover_task_goes_back_to_the_registered_manager_by_role(small_demo_engine, kinds, typed):
    """Plan C gives a cover task to the registered manager; reassigned and given back by
    the role's code or name (``data/owner_roles.json``), as the safeguarding roles are."""
    homecare = _principal("homecare_coordinator")
    with session_scope(small_demo_engine, homecare) as s:
        act.reassign(s, kinds["cover"], owner="FCS")
        assert s.get(Action, kinds["cover"]).owner_label == "Field care supervisor"
        act.reassign(s, kinds["cover"], owner=typed)
        assert s.get(Action, kinds["cover"]).owner_label == "Registered manager"


@pytest.mark.parametrize("kind", ["meeting", "incident", "cover"])
def test_a_change_reads_the_action_once(small_demo_engine, kinds, kind):
    """The tracker's check of the action's kind and the change's own read are one
    statement (on a shared PostgreSQL server each is a round trip): re-dating reads the
    action with its kind, then writes it; nothing reads it a second time."""
    from test_statement_counts import counting

    action_id = kinds[kind]
    everyone = _principal("safeguarding_lead", "homecare_coordinator")
    with session_scope(small_demo_engine, everyone) as s:
        with counting(small_demo_engine) as counter:
            act.redate(s, action_id, due=DEMO_TODAY, today=DEMO_TODAY)
        reads = [st for st in counter.statements if st.lstrip().upper().startswith("SELECT")]
        assert sum("FROM action" in st for st in reads) == 1, counter.statements


def test_the_incident_behind_each_action(small_demo_engine, kinds):
    """``open_actions`` names an incident's action's incident (Governance's tracker opens
    it with ``enter``); the other kinds have none."""
    everyone = _principal("safeguarding_lead", "homecare_coordinator")
    with session_scope(small_demo_engine, everyone) as s:
        rows = {r.id: r for r in act.open_actions(s, today=DEMO_TODAY, kinds=tuple(act.KINDS))}
        linked = s.scalar(
            select(IncidentAction.incident_id).where(IncidentAction.action_id == kinds["incident"])
        )
    assert rows[kinds["incident"]].incident_id == linked is not None
    assert rows[kinds["meeting"]].incident_id is None
    assert rows[kinds["cover"]].incident_id is None


@pytest.mark.parametrize(
    ("roles", "asked", "expected"),
    [
        # roles.json: the activities each role holds, asked in several orders
        (("safeguarding_administrator",), (access.MEETINGS, access.GOVERNANCE), (access.MEETINGS,)),
        (("homecare_coordinator",), (access.MEETINGS, access.GOVERNANCE), (access.GOVERNANCE,)),
        (
            ("safeguarding_lead", "homecare_coordinator"),
            (access.GOVERNANCE, access.MEETINGS),
            (access.GOVERNANCE, access.MEETINGS),
        ),
        (("read_only_auditor",), (access.MEETINGS, access.GOVERNANCE), None),
        ((), (access.MEETINGS,), None),  # nobody signed in
    ],
)
def test_require_any_gives_the_permitted_activities_or_refuses_as_require(
    small_demo_engine, roles, asked, expected
):
    """``access.require_any``: of several activities, those the user may do, in the order
    asked; none of them: refused as ``require`` refuses the first (the tracker's
    per-kind check, which restated the principal's test itself)."""
    actor = _principal(*roles) if roles else access.Principal("", kind="anonymous")
    with session_scope(small_demo_engine, actor) as s:
        if expected is None:
            with pytest.raises(NotPermittedError) as refused:
                access.require_any(s, list(asked))
            with pytest.raises(NotPermittedError) as by_require:
                access.require(s, asked[0])
            assert str(refused.value) == str(by_require.value)
        else:
            assert access.require_any(s, list(asked)) == expected
        with pytest.raises(ValueError, match="unknown activity"):
            access.require_any(s, ["no such activity"])
