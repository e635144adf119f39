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

from coordinator_tui.db import new_session
from coordinator_tui.services import access
from coordinator_tui.services.access import NotPermittedError

SERVICES = Path(access.__file__).parent
CHECKS = {"require": None, "require_export": access.EXPORT, "open_record": access.VIEW_REGISTER}


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
        "coordinator_tui.services.registers.review_queue": "view_register",
        "coordinator_tui.services.registers.mark_reviewed": "edit_register",
        "coordinator_tui.services.referrals.referral_list": "view_register",
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
    }
    assert {name: MATRIX.get(name, ("none",))[0] for name in must} == must


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
    registers = "coordinator_tui.services.registers.review_queue"
    rota = "coordinator_tui.services.rota.assign.assign"
    report = "coordinator_tui.services.reports.access.access_report"
    assert registers not in allowed["homecare_coordinator"] | allowed["care_supervisor"]
    assert rota in allowed["homecare_coordinator"] and rota not in allowed["safeguarding_lead"]
    assert (
        report in allowed["safeguarding_lead"] and report not in allowed["safeguarding_coordinator"]
    )
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
