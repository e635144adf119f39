"""``coordinator-tui rota solve``: the proposal printed or as JSON, applied as one audited
change, ``--dry-run`` writing nothing (issue 19 section 3)."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent, Visit, VisitAssignment
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.validate import check_week

runner = CliRunner()
MONDAY = date(2026, 11, 23)  # the demo's week (tests pin the demo to this date)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    """The demo's Monday is today: every visit of the week is still to come."""
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", MONDAY.isoformat())


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path) -> tuple[int, int, list[tuple]]:
    opened = open_database(str(path), migrate=False)
    try:
        with session_scope(opened.engine, "t") as session:
            audit = session.scalar(select(func.count()).select_from(AuditEvent))
            visits = session.scalar(select(func.count()).select_from(Visit))
            carers = list(
                session.execute(
                    select(
                        VisitAssignment.visit_id, VisitAssignment.slot, VisitAssignment.carer_id
                    ).order_by(VisitAssignment.visit_id, VisitAssignment.slot)
                )
            )
            return audit, visits, carers
    finally:
        opened.engine.dispose()


def hard_problems(path) -> list[P.Problem]:
    opened = open_database(str(path), migrate=False)
    try:
        with session_scope(opened.engine, "t") as session:
            return [p for p in check_week(session, MONDAY) if p.is_hard]
    finally:
        opened.engine.dispose()


def test_dry_run_writes_nothing_and_json_has_its_shape(small_demo_path):
    before = rows(small_demo_path)
    result = invoke(
        "rota",
        "solve",
        "--week",
        "2026-11-25",
        "--db",
        str(small_demo_path),
        "--seconds",
        "1",
        "--dry-run",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert rows(small_demo_path) == before
    assert document["dry_run"] is True and document["applied"] is False
    assert document["week"] == "2026-11-23" and document["mode"] == "fill"
    assert (
        set(document["before"])
        == set(document["after"])
        == {
            "travel_minutes",
            "continuity",
            "unassigned_visits",
            "over_contract_minutes",
            "hard_problems",
            "soft_problems",
        }
    )
    assert document["changes"], "the demo week has empty places and an absence"
    for change in document["changes"]:
        assert change["kind"] in ("new", "moved", "removed", "time")
        assert set(change) >= {"visit_id", "customer_id", "day", "start", "before", "after"}
    for item in document["unstaffed"]:
        assert item["reason"] and item["reasons"]
    assert document["stats"]["engine"]
    assert all(str(c) in document["carers"] for ch in document["changes"] for c in ch["after"])


def test_dry_run_of_a_build_creates_no_visits(tmp_path, small_demo_path):
    digest_before = digest(small_demo_path)
    result = invoke(
        "rota",
        "solve",
        "--week",
        "2026-12-07",
        "--db",
        str(small_demo_path),
        "--replan",
        "--seconds",
        "1",
        "--dry-run",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["mode"] == "replan" and document["visits_created"] > 0
    assert document["after"]["unassigned_visits"] < document["visits_created"]
    assert digest(small_demo_path) == digest_before


def test_solve_applies_one_audited_change_with_no_hard_problem_of_its_own(small_demo_path):
    audit_before, visits_before, _ = rows(small_demo_path)
    result = invoke(
        "rota", "solve", "--week", "23/11/2026", "--db", str(small_demo_path), "--seconds", "2"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Week of Mon 23 Nov 2026 (fill): ")
    assert "applied as one audited change" in lines[0]
    audit_after, visits_after, _ = rows(small_demo_path)
    assert visits_after == visits_before and audit_after > audit_before
    left = hard_problems(small_demo_path)
    unstaffed = [p for p in left if p.code == P.UNSTAFFED]
    assert [p for p in left if p.code != P.UNSTAFFED] == []
    assert len([line for line in lines if line.startswith("UNSTAFFED")]) == len(unstaffed)


def test_repair_reports_the_changes(small_demo_path):
    result = invoke(
        "rota",
        "solve",
        "--week",
        "23/11/2026",
        "--db",
        str(small_demo_path),
        "--repair",
        "--seconds",
        "1",
        "--dry-run",
        "--json",
    )
    document = json.loads(result.stdout)
    assert document["mode"] == "repair"
    assert document["changed_places"] >= 1  # the absent carer's visits at least
    assert document["after"]["hard_problems"] < document["before"]["hard_problems"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "not a day"), "--week"),
        (("--week", "2026-11-23", "--day", "2026-12-25"), "is not in the week"),
    ],
)
def test_bad_input_is_one_line(small_demo_path, args, message):
    result = runner.invoke(app, ["rota", "solve", *args, "--db", str(small_demo_path)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_bad_weights_in_settings_are_one_line(small_demo_path, tmp_path, monkeypatch):
    settings = tmp_path / "settings.toml"
    settings.write_text("[solver]\ncontinuity = 'high'\n", encoding="utf-8")
    monkeypatch.setenv("COORDINATOR_TUI_CONFIG", str(settings))
    result = runner.invoke(
        app, ["rota", "solve", "--week", "2026-11-23", "--db", str(small_demo_path)]
    )
    assert result.exit_code == 2
    assert "'continuity' must be a number" in result.stderr
