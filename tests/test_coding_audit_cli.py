"""``coordinator-tui report coding-demo`` and ``report coding-audit`` on the small demo."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from coordinator_tui.cli import app

runner = CliRunner()


@pytest.fixture
def db(small_demo_path, monkeypatch) -> str:
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-23")
    return str(small_demo_path)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_demo_export_then_audit_in_json(db, tmp_path):
    out = tmp_path / "export.csv"
    result = invoke("report", "coding-demo", str(out), "--db", db, "--style", "systmone")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds NHS numbers
    assert "planted: 12 coded_not_registered" in result.stdout
    result = invoke("report", "coding-audit", str(out), "--json", "--db", db)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["system"] == "SystmOne" and document["run"] == 1
    assert document["counts"] == {
        "coded_not_registered": 12,
        "registered_not_coded": 8,
        "dates_disagree": 8,
        "family_not_coded": 8,
        "lac_not_coded": 8,
    }
    assert len(document["findings"]) == 44
    first = document["findings"][0]
    assert {"practice", "kind", "list", "nhs_number", "name", "detail", "status"} <= set(first)


def test_text_output_and_a_dry_run_keeps_nothing(db, tmp_path):
    out = tmp_path / "export.csv"
    invoke("report", "coding-demo", str(out), "--db", db)
    result = invoke("report", "coding-audit", str(out), "--dry-run", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Coding audit of export.csv (EMIS Web):")
    assert "Findings: 44 (not kept (dry run))" in result.stdout
    assert "  dates disagree                     8" in lines
    again = json.loads(invoke("report", "coding-audit", str(out), "--json", "--db", db).stdout)
    assert again["run"] == 1  # the dry run kept no run


def test_a_refused_file_is_one_line_per_problem(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("NHS Number,Code,Date\n9990000018,342191000000101,31/02/2026\n")
    result = invoke("report", "coding-audit", str(bad), "--db", db)
    assert result.exit_code == 2
    assert "row 2: date '31/02/2026' is not a calendar date" in result.stderr
    assert "Traceback" not in result.output
    missing = invoke("report", "coding-audit", str(tmp_path / "none.csv"), "--db", db)
    assert missing.exit_code == 2 and "cannot read export" in missing.stderr


def test_an_overwritten_export_becomes_owner_only(tmp_path):
    """A world-readable file named as the output is made owner-only as it is written
    (it will hold NHS numbers); the mode given to open() applies only to new files."""
    import os
    import stat

    from coordinator_tui.cli.reports import _write_private

    target = tmp_path / "export.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    _write_private(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text() == "new"
