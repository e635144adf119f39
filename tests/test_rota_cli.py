"""``coordinator-tui rota check --week DATE [--json]``: every problem of the week, as text
or JSON, the same as the validator finds; exit 1 with a hard problem; no Textual import."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import session_scope
from coordinator_tui.services.rota.validate import check_week

runner = CliRunner()
MONDAY = date(2026, 11, 23)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def expected(small_demo_path):
    from coordinator_tui.db import open_database

    opened = open_database(str(small_demo_path))
    try:
        with session_scope(opened.engine, "t") as session:
            return check_week(session, MONDAY)
    finally:
        opened.engine.dispose()


def test_check_prints_every_problem(small_demo_path):
    problems = expected(small_demo_path)
    assert any(p.is_hard for p in problems) and any(not p.is_hard for p in problems)
    result = invoke("rota", "check", "--week", "25/11/2026", "--db", str(small_demo_path))
    assert result.exit_code == 1  # the demo week has hard problems
    lines = result.stdout.splitlines()
    hard = sum(1 for p in problems if p.is_hard)
    assert lines[0].startswith("Week of Mon 23 Nov 2026: ")
    assert f"{hard} hard" in lines[0]
    body = lines[1:]
    assert len(body) == len(problems)
    for line, problem in zip(body, problems, strict=True):
        assert line.split()[0] == ("accepted" if problem.accepted else problem.severity.upper())
        assert line.split()[1] == problem.code
        assert line.endswith(problem.message)
        if problem.visit_ids:
            assert ",".join(map(str, problem.visit_ids)) in line
        if problem.carer_id:
            assert f"({problem.carer_id})" in line


def test_check_json(small_demo_path):
    problems = expected(small_demo_path)
    result = invoke("rota", "check", "--week", "2026-11-23", "--db", str(small_demo_path), "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["week"] == "2026-11-23"
    assert document["visits"] > 500
    assert document["counts"]["hard"] == sum(1 for p in problems if p.is_hard)
    assert len(document["problems"]) == len(problems)
    first = document["problems"][0]
    assert set(first) >= {"code", "severity", "carer_id", "carer", "visit_ids", "message", "day"}
    assert [p["code"] for p in document["problems"]] == [p.code for p in problems]
    named = next(p for p in document["problems"] if p["carer_id"])
    assert named["carer"]


def test_check_empty_week_and_bad_date(small_demo_path):
    result = invoke("rota", "check", "--week", "2027-03-01", "--db", str(small_demo_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Week of Mon 01 Mar 2027: 0 visits, 0 hard, 0 soft, 0 accepted"
    ]
    bad = invoke("rota", "check", "--week", "31/11/2026", "--db", str(small_demo_path))
    assert bad.exit_code == 2
    assert "--week" in bad.stderr and "Traceback" not in bad.output


def test_check_does_not_import_textual(small_demo_path):
    probe = (
        "import sys\n"
        "from coordinator_tui.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TEXTUAL_LOADED' if 'textual' in sys.modules else 'TEXTUAL_NOT_LOADED')\n"
    )
    args = ["rota", "check", "--week", "2026-11-23", "--db", str(small_demo_path), "--json"]
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
    ).stdout
    assert "TEXTUAL_NOT_LOADED" in out
