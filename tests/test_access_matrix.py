"""The permission matrix generated from the code (issue 17 §2): an AST scan of
``coordinator_tui/services`` finds which public service functions check which activity
(``access.require``, ``require_export``, ``open_record``), checked against the roles of
``data/roles.json``; then each guarded service call is tried as each role: refused with
:class:`NotPermittedError` exactly when the role's activities lack the one it checks.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DEMO_TODAY

from coordinator_tui.db import new_session
from coordinator_tui.services import access
from coordinator_tui.services.access import NotPermittedError

SERVICES = Path(access.__file__).parent
CHECKS = {
    "require": None,
    "require_export": access.EXPORT,
    "export_sink": access.EXPORT,  # services.exporting: require_export, then the encryption
    "open_record": access.VIEW_REGISTER,
    # The shared action tracker (services.meetings.actions): each action under its own
    # tracker's activity, the meetings' by default (an incident's and a cover task's:
    # tests/test_action_kinds.py)
    "permitted_kinds": access.MEETINGS,
    "_require_for": access.MEETINGS,
}


def _activity(call: ast.Call) -> str | None:
    """The activity a ``require``-like call checks (a constant of ``access``, or a string)."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name not in CHECKS:
        return None
    if CHECKS[name] is not None:
        return CHECKS[name]
    if len(call.args) < 2:
        return None
    arg = call.args[1]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    constant = arg.attr if isinstance(arg, ast.Attribute) else getattr(arg, "id", None)
    return getattr(access, constant, None) if constant else None


def scan() -> dict[str, tuple[str, bool]]:
    """``module.function`` -> (the activity it checks, whether the check comes first: the
    session is the first argument and only imports or the docstring come before it)."""
    found: dict[str, tuple[str, bool]] = {}
    for path in sorted(SERVICES.rglob("*.py")):
        if path.name == "access.py" and path.parent == SERVICES:
            continue
        module = ".".join(path.relative_to(SERVICES.parent.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            for index, statement in enumerate(node.body):
                calls = [c for c in ast.walk(statement) if isinstance(c, ast.Call)]
                activity = next((a for a in map(_activity, calls) if a), None)
                if activity:
                    first = node.args.args[0].arg if node.args.args else ""
                    early = first == "session" and all(
                        isinstance(s, ast.ImportFrom | ast.Import)
                        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                        for s in node.body[:index]
                    )
                    found[f"{module}.{node.name}"] = (activity, early)
                    break
    return found


MATRIX = scan()
ROLES = sorted(access.catalogue().roles)


def test_the_scan_finds_the_guarded_services():
    """The service entry points of issue 17's list all check an activity."""
    must = {
        "coordinator_tui.services.registers.queue_page": "view_register",
        "coordinator_tui.services.registers.mark_reviewed": "edit_register",
        "coordinator_tui.services.referrals.referral_page": "view_register",
        "coordinator_tui.services.referrals.create_referral": "edit_register",
        "coordinator_tui.services.concerns.log_concern": "edit_register",
        "coordinator_tui.services.meetings.series.list_meetings": "meetings",
        "coordinator_tui.services.rota.assign.assign": "rota",
        "coordinator_tui.services.governance.incidents.incident_list": "governance",
        "coordinator_tui.services.governance.complaints.complaint_list": "governance",
        "coordinator_tui.services.care.reviews.review_queue": "view_customers",
        "coordinator_tui.services.reports.access.access_report": "audit_review",
        "coordinator_tui.services.accounts.create_account": "manage_users",
        "coordinator_tui.services.people.person_summary": "view_register",
        "coordinator_tui.services.chronology.export_chronology": "export",
        # The remaining entry points (issue 17 §2): the action tracker, the rota's week,
        # the views the Reports screens read, the palette's and the list's people search.
        **{
            f"coordinator_tui.services.meetings.actions.{name}": "meetings"
            for name in (
                "open_actions",
                "overdue_count",
                "chase",
                "chases",
                "complete",
                "cancel",
                "reassign",
                "redate",
            )
        },
        "coordinator_tui.services.meetings.actions.cancel_cover_task": "rota",
        "coordinator_tui.services.rota.snapshot.load_week": "view_customers",
        "coordinator_tui.services.reports.pcn.pcn_report": "reports",
        "coordinator_tui.services.reports.kpi.kpi_pack": "care_reports",
        "coordinator_tui.services.reports.cqc.evidence_pack": "care_reports",
        "coordinator_tui.services.reports.themes.themes_report": "reports",
        "coordinator_tui.services.reports.themes.theme_records": "reports",
        **{
            f"coordinator_tui.services.reports.coding_audit.{name}": "reports"
            for name in (
                "latest_run_id",
                "run_summary",
                "count_findings",
                "findings_page",
                "finding_row",
            )
        },
        **{
            f"coordinator_tui.services.people.{name}": "view_register"
            for name in ("search_people", "count_people", "people_page", "current_register_codes")
        },
    }
    assert {name: MATRIX.get(name, ("none",))[0] for name in must} == must
    # ...each checked first, so the role-by-role test below calls it (these two check
    # after reading what decides break-glass or the export's step-up)
    later = {"services.people.person_summary", "services.chronology.export_chronology"}
    first = [n for n in must if n.removeprefix("coordinator_tui.") not in later]
    assert [n for n in first if not MATRIX[n][1]] == []


def test_every_activity_checked_is_in_roles_json_and_someone_holds_it():
    activities = set(access.catalogue().activities)
    checked = {activity for activity, _early in MATRIX.values()}
    assert checked <= activities
    for activity in checked:
        assert any(activity in role.activities for role in access.catalogue().roles.values())


def test_the_generated_matrix_per_role():
    """What each role may call, from the scan and roles.json: a few facts of §2 checked
    against it (homecare users see customers, not the registers)."""
    allowed = {
        role: {name for name, (activity, _e) in MATRIX.items() if activity in spec.activities}
        for role, spec in access.catalogue().roles.items()
    }
    registers = "coordinator_tui.services.registers.queue_page"
    rota = "coordinator_tui.services.rota.assign.assign"
    report = "coordinator_tui.services.reports.access.access_report"
    assert registers not in allowed["homecare_coordinator"] | allowed["care_supervisor"]
    assert rota in allowed["homecare_coordinator"] and rota not in allowed["safeguarding_lead"]
    assert (
        report in allowed["safeguarding_lead"] and report not in allowed["safeguarding_coordinator"]
    )
    # A homecare coordinator reads the rota and the homecare KPIs, never the registers'
    # people or the coding audit's list of them; a care supervisor reads the rota's week
    # but does not change it.
    kpi = "coordinator_tui.services.reports.kpi.kpi_pack"
    week = "coordinator_tui.services.rota.snapshot.load_week"
    search = "coordinator_tui.services.people.search_people"
    findings = "coordinator_tui.services.reports.coding_audit.findings_page"
    assert {kpi, week} <= allowed["homecare_coordinator"]
    assert not {search, findings} & allowed["homecare_coordinator"]
    assert week in allowed["care_supervisor"] and rota not in allowed["care_supervisor"]
    assert search in allowed["read_only_auditor"] and findings in allowed["read_only_auditor"]
    actions = "coordinator_tui.services.meetings.actions.chase"
    assert actions in allowed["safeguarding_administrator"]
    assert actions not in allowed["homecare_coordinator"] | allowed["read_only_auditor"]
    assert allowed["administrator"] == {
        name for name, (a, _e) in MATRIX.items() if a in ("manage_users", "audit_review")
    }


def _call(function, session) -> None:
    """Call with the session and None for every other required argument: a refused role
    is refused before any of them is used."""
    signature = inspect.signature(function)
    args, kwargs = [session], {}
    for name, parameter in list(signature.parameters.items())[1:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = None
        elif parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            args.append(None)
    function(*args, **kwargs)


@pytest.mark.filterwarnings("ignore:fully NULL primary key")
@pytest.mark.parametrize("name", sorted(n for n, (_a, early) in MATRIX.items() if early))
def test_each_guarded_call_as_each_role(engine, name):
    module_name, function_name = name.rsplit(".", 1)
    function = getattr(importlib.import_module(module_name), function_name)
    activity = MATRIX[name][0]
    now = datetime.now(UTC)
    for role in ROLES:
        principal = access.make_principal("tester", [role], authenticated_at=now)
        session = new_session(engine, principal)
        try:
            _call(function, session)
        except NotPermittedError as exc:
            assert activity not in principal.activities, f"{role} refused {name}: {exc}"
        except Exception:  # noqa: BLE001 - allowed, then the None arguments fail
            assert activity in principal.activities, f"{role} was not refused {name}"
        else:
            assert activity in principal.activities, f"{role} was not refused {name}"
        finally:
            session.rollback()
            session.close()


def test_the_cqc_pack_names_people_only_for_roles_that_view_the_registers(small_demo_engine):
    """The pack is pseudonymised for a homecare coordinator (``person #42``); naming its
    people, safeguarding subjects among them, needs ``view_register`` too."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reports.cqc import evidence_pack, load_map

    key = load_map().statements[0].key
    today = DEMO_TODAY
    homecare = access.make_principal("hc", ["homecare_coordinator"])
    with session_scope(small_demo_engine, homecare) as s:
        assert not evidence_pack(s, key, 12, today).names
        with pytest.raises(NotPermittedError, match="view the safeguarding registers"):
            evidence_pack(s, key, 12, today, names=True)
    lead = access.make_principal("lead", ["safeguarding_lead"])
    with session_scope(small_demo_engine, lead) as s:
        assert evidence_pack(s, key, 12, today, names=True).names


def test_the_reports_list_states_what_a_role_may_not_run(small_demo_engine):
    """Reports (7) lists every report for every role; the registers' figures behind the
    coding audit's and sharing's lines are not read for a homecare coordinator."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reports.catalogue import NOT_FOR_ROLE, catalogue

    today = DEMO_TODAY
    homecare = access.make_principal("hc", ["homecare_coordinator"])
    with session_scope(small_demo_engine, homecare) as s:
        states = {entry.key: entry.state for entry in catalogue(s, today)}
    assert states["coding"] == states["sharing"] == NOT_FOR_ROLE
    lead = access.make_principal("lead", ["safeguarding_lead"])
    with session_scope(small_demo_engine, lead) as s:
        states = {entry.key: entry.state for entry in catalogue(s, today)}
    assert NOT_FOR_ROLE not in (states["coding"], states["sharing"])


def test_absence_closes_its_cover_task_with_the_rota_activity(small_demo_engine):
    """The rota's own cover task is closed by the rota (a homecare coordinator marking an
    absence over), not refused for lacking the meetings activity; a meeting's action is."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.models import Action, ActionStatus
    from coordinator_tui.services.meetings.actions import cancel, cancel_cover_task

    with session_scope(small_demo_engine, "operator") as s:
        task = Action(owner_label="Manager", description="Cover needed: test")
        s.add(task)
        s.flush()
        task_id = task.id
    homecare = access.make_principal("hc", ["homecare_coordinator"])
    with session_scope(small_demo_engine, homecare) as s, pytest.raises(NotPermittedError):
        cancel(s, task_id, reason="no longer needed")
    with session_scope(small_demo_engine, homecare) as s:
        cancel_cover_task(s, task_id, reason="The absent carer is back on the visit")
    with session_scope(small_demo_engine, "operator") as s:
        assert s.get(Action, task_id).status == ActionStatus.CANCELLED
