"""``coordinator-tui governance incidents|complaints|letter`` on the small demo with the
governance demo added: output, JSON, the letter file (owner-only, audited), one-line errors,
and no Textual imported."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest
from conftest import DEMO_TODAY
from sqlalchemy import select
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.demo.governance import has_governance_demo, seed_governance
from coordinator_tui.models import AuditEvent
from coordinator_tui.models.governance import CandourRecord

runner = CliRunner()


@pytest.fixture
def db(small_demo_path, monkeypatch) -> str:
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", DEMO_TODAY.isoformat())
    opened = open_database(str(small_demo_path))
    with session_scope(opened.engine, "demo-seed") as session:
        if not has_governance_demo(session):
            seed_governance(session, today=DEMO_TODAY)
    opened.engine.dispose()
    return str(small_demo_path)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_incidents_open_and_overdue(db):
    every = invoke("governance", "incidents", "--db", db)
    opened = invoke("governance", "incidents", "--open", "--db", db)
    overdue = invoke("governance", "incidents", "--overdue", "--db", db)
    for result in (every, opened, overdue):
        assert result.exit_code == 0, result.output
    assert len(every.stdout.splitlines()) > len(opened.stdout.splitlines())
    assert "closed" not in opened.stdout
    lines = overdue.stdout.splitlines()
    assert lines and all("OVERDUE" in line for line in lines)


def test_incidents_json(db):
    result = invoke("governance", "incidents", "--open", "--json", "--db", db)
    rows = json.loads(result.stdout)
    assert rows and {"id", "kind", "harm", "candour", "candour_due", "overdue_actions"} <= set(
        rows[0]
    )
    assert any(r["candour"] == "open" for r in rows)


def test_complaints_overdue_and_json(db):
    result = invoke("governance", "complaints", "--overdue", "--db", db)
    assert result.exit_code == 0 and "LATE" in result.stdout
    rows = json.loads(invoke("governance", "complaints", "--open", "--json", "--db", db).stdout)
    assert {r["stage"] for r in rows} >= {"to acknowledge", "investigating"}
    assert all(r["status"] == "open" for r in rows)


@pytest.mark.parametrize("suffix", ["docx", "txt"])
def test_candour_letter_written_owner_only_and_audited(db, tmp_path, suffix):
    opened = open_database(db)
    with session_scope(opened.engine, "t") as s:
        incident_id = s.scalars(
            select(CandourRecord.incident_id).where(CandourRecord.status == "complete")
        ).first()
    out = tmp_path / f"letter.{suffix}"
    result = invoke(
        "governance", "letter", "candour", str(incident_id), "--out", str(out), "--db", db
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    if suffix == "txt":
        text = out.read_text()
        assert text.startswith("Brookside Home Care (demo)") and "Regulation 20" in text
    else:
        assert out.read_bytes()[:2] == b"PK"
    with session_scope(opened.engine, "t") as s:
        exports = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    opened.engine.dispose()
    assert [(e.table_name, e.row_id) for e in exports] == [("incident", incident_id)]


def test_complaint_letter_names_the_ombudsman(db, tmp_path):
    rows = json.loads(invoke("governance", "complaints", "--json", "--db", db).stdout)
    closed = next(r for r in rows if r["status"] == "closed")
    out = tmp_path / "reply.txt"
    invoke("governance", "letter", "complaint", str(closed["id"]), "--out", str(out), "--db", db)
    assert "Ombudsman" in out.read_text()


def test_unknown_record_and_not_notifiable_are_one_line(db, tmp_path):
    from sqlalchemy import select

    from coordinator_tui.models.governance import Incident

    opened = open_database(db)
    with session_scope(opened.engine, "t") as session:  # an incident with no candour record
        plain = session.scalar(
            select(Incident.id).where(Incident.notifiable.is_(False)).order_by(Incident.id)
        )
    opened.engine.dispose()
    for args, words in (
        (("candour", "99999"), "no longer exists"),
        (("candour", str(plain)), "no Duty of Candour record"),
    ):
        result = runner.invoke(
            app, ["governance", "letter", *args, "--out", str(tmp_path / "x.txt"), "--db", db]
        )
        assert result.exit_code == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and words in lines[0], result.stderr


def test_governance_commands_do_not_import_textual(db):
    code = (
        "import sys; from coordinator_tui.cli import main\n"
        "try:\n    main(['governance', 'incidents', '--open', '--db', sys.argv[1]])\n"
        "except SystemExit:\n    pass\n"
        "print('TEXTUAL' if any(m == 'textual' or m.startswith('textual.') "
        "for m in sys.modules) else 'CLEAN')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, db], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "CLEAN", result.stderr
