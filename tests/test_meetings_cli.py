"""``coordinator-tui meeting list|invite|minutes`` and ``coordinator-tui actions`` on the
small demo: output, JSON, files written, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AgendaItem, Person
from coordinator_tui.services.meetings.minuting import add_action_line, save_notes, start_meeting

runner = CliRunner()
DECEMBER = 5


@pytest.fixture
def db(small_demo_path, monkeypatch) -> str:
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-23")
    return str(small_demo_path)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output


class TestMeetingList:
    def test_all_newest_first(self, db):
        result = invoke("meeting", "list", "--db", db)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert "January 2027" in lines[0] and "August 2026" in lines[-1]

    def test_upcoming_json(self, db):
        result = invoke("meeting", "list", "--upcoming", "--json", "--db", db)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [r["id"] for r in rows] == [5, 6]
        assert rows[0]["status"] == "planned" and rows[0]["starts_at"].startswith("2026-12-01")
        assert {"items_included", "items_to_triage", "practice"} <= set(rows[0])


class TestInvite:
    def test_ics_and_email_without_patient_identifiers(self, db, tmp_path):
        out = tmp_path / "december.ics"
        result = invoke("meeting", "invite", str(DECEMBER), "--out", str(out), "--db", db)
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
        assert result.stdout.startswith("Subject: PCN safeguarding MDT December 2026")
        opened = open_database(db)
        with session_scope(opened.engine, "t") as s:
            on_agenda = select(AgendaItem.person_id).where(AgendaItem.meeting_id == DECEMBER)
            people = s.exec(select(Person).where(Person.id.in_(on_agenda))).all()
        opened.engine.dispose()
        assert people
        text = result.stdout + out.read_text(encoding="utf-8").replace("\r\n ", "")
        for person in people:
            for identifier in (
                person.nhs_number,
                person.family_name,
                f"{person.date_of_birth:%d/%m/%Y}",
            ):
                assert identifier not in text

    def test_email_to_a_file(self, db, tmp_path):
        email = tmp_path / "email.txt"
        result = invoke(
            "meeting",
            "invite",
            "6",
            "--out",
            str(tmp_path / "j.ics"),
            "--email",
            str(email),
            "--db",
            db,
        )
        assert result.exit_code == 0, result.output
        assert "Agenda:" in email.read_text()

    def test_unknown_meeting(self, db, tmp_path):
        result = invoke("meeting", "invite", "999", "--out", str(tmp_path / "x.ics"), "--db", db)
        one_line_error(result, "no longer exists")


class TestMinutes:
    @pytest.fixture
    def minuted(self, db) -> str:
        opened = open_database(db)
        with session_scope(opened.engine, "t") as s:
            start_meeting(s, DECEMBER)
            item = s.exec(
                select(AgendaItem)
                .where(AgendaItem.meeting_id == DECEMBER, AgendaItem.triage_status == "included")
                .order_by(AgendaItem.position)
            ).first()
            save_notes(s, item.id, "Discussed at length")
            add_action_line(s, item.id, "GP +1w book review", today=date(2026, 11, 23))
        opened.engine.dispose()
        return db

    @pytest.mark.parametrize("fmt", ["md", "docx"])
    def test_export(self, minuted, tmp_path, fmt):
        out = tmp_path / "minutes"
        result = invoke(
            "meeting", "minutes", str(DECEMBER), "--format", fmt, "--out", str(out), "--db", minuted
        )
        assert result.exit_code == 0, result.output
        written = out.with_suffix(f".{fmt}")
        assert written.exists() and oct(written.stat().st_mode & 0o777) == "0o600"
        if fmt == "md":
            assert "Discussed at length" in written.read_text()
        else:
            assert written.read_bytes()[:2] == b"PK"  # a Word file is a zip

    def test_internal_version_says_so_and_lists_what_was_not_discussed(self, minuted, tmp_path):
        out = tmp_path / "minutes.md"
        result = invoke(
            "meeting", "minutes", str(DECEMBER), "--internal", "--out", str(out), "--db", minuted
        )
        assert result.exit_code == 0, result.output
        written = tmp_path / "minutes-INTERNAL.md"
        assert result.stdout.strip() == (
            f"INTERNAL minutes (not for circulation) written to {written}"
        )
        assert not out.exists() and oct(written.stat().st_mode & 0o777) == "0o600"
        text = written.read_text()
        assert text.splitlines()[0].endswith("(INTERNAL)")
        external = invoke("meeting", "minutes", str(DECEMBER), "--out", str(out), "--db", minuted)
        assert external.exit_code == 0 and "INTERNAL" not in out.read_text()

    def test_bad_format(self, db, tmp_path):
        result = runner.invoke(
            app,
            [
                "meeting",
                "minutes",
                "5",
                "--format",
                "pdf",
                "--out",
                str(tmp_path / "m"),
                "--db",
                db,
            ],
        )
        assert result.exit_code == 2 and "Traceback" not in result.output


class TestEntries:
    def test_one_file_per_person_with_only_their_identifiers(self, db, tmp_path):
        out = tmp_path / "entries"
        result = invoke("meeting", "entries", "4", "--out", str(out), "--db", db)
        assert result.exit_code == 0, result.output
        written = [Path(line) for line in result.stdout.splitlines()]
        assert len(written) == 7 and sorted(out.iterdir()) == sorted(written)
        assert oct(out.stat().st_mode & 0o777) == "0o700"
        opened = open_database(db)
        with session_scope(opened.engine, "t") as s:
            on_agenda = select(AgendaItem.person_id).where(
                AgendaItem.meeting_id == 4, AgendaItem.triage_status == "included"
            )
            people = s.exec(select(Person).where(Person.id.in_(on_agenda))).all()
        opened.engine.dispose()
        assert len(people) == 7
        for path in written:
            assert oct(path.stat().st_mode & 0o777) == "0o600"
            text = path.read_text(encoding="utf-8")
            own = [p for p in people if path.name == f"record-entry-{p.nhs_number}.txt"]
            assert len(own) == 1 and own[0].family_name.upper() in text
            for other in people:
                if other is own[0]:
                    continue
                for identifier in (
                    other.nhs_number,
                    f"{other.nhs_number[:3]} {other.nhs_number[3:6]} {other.nhs_number[6:]}",
                    f"{other.given_name} {other.family_name}",
                    f"{other.family_name.upper()}, {other.given_name}",
                    f"{other.date_of_birth:%d/%m/%Y}",
                ):
                    assert identifier.lower() not in text.lower(), (path.name, identifier)

    def test_not_finished(self, db, tmp_path):
        result = invoke("meeting", "entries", str(DECEMBER), "--out", str(tmp_path), "--db", db)
        one_line_error(result, "once the meeting has finished")


class TestActions:
    def test_overdue_json(self, db):
        result = invoke("actions", "--overdue", "--json", "--db", db)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert rows and all(r["overdue"] for r in rows)
        assert rows == sorted(rows, key=lambda r: r["due_date"])

    def test_owner_filter_and_words(self, db):
        every = json.loads(invoke("actions", "--json", "--db", db).stdout)
        owner = every[0]["owner"]
        result = invoke("actions", "--owner", owner.split()[-1], "--db", db)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines and all(owner.split()[-1] in line for line in lines)
        assert all(("OVERDUE" in line) or (" open " in line) for line in lines)

    def test_nobody(self, db):
        result = invoke("actions", "--owner", "nobody-at-all", "--db", db)
        assert result.exit_code == 0 and "No open actions." in result.stdout

    def test_kind_lists_each_tracker(self, db):
        """The meetings' own by default; ``--kind incident`` an incident's actions, each
        with its incident; ``--kind all`` every tracker, each line naming its own."""
        default = json.loads(invoke("actions", "--json", "--db", db).stdout)
        assert default and {r["kind"] for r in default} == {"meeting"}
        incident = json.loads(invoke("actions", "--kind", "incident", "--json", "--db", db).stdout)
        assert incident and {r["kind"] for r in incident} == {"incident"}
        assert all(r["incident_id"] for r in incident)
        both = json.loads(
            invoke(
                "actions", "--kind", "meeting", "--kind", "incident", "--json", "--db", db
            ).stdout
        )
        assert {r["id"] for r in both} == {r["id"] for r in default + incident}
        every = invoke("actions", "--kind", "all", "--db", db)
        assert every.exit_code == 0, every.output
        lines = every.stdout.splitlines()
        assert any(line.endswith("(incident)") for line in lines)
        assert any(line.endswith("(safeguarding)") for line in lines)

    def test_an_unknown_kind_is_refused(self, db):
        result = invoke("actions", "--kind", "payroll", "--db", db)
        assert result.exit_code == 2 and "payroll" in result.output


def test_the_kinds_named_on_the_command_line_are_the_trackers():
    from coordinator_tui.cli.meetings import ActionKind
    from coordinator_tui.services.meetings.actions import KINDS

    assert {k.value for k in ActionKind} == {*KINDS, "all"}


@pytest.mark.parametrize(
    "args",
    [
        ["meeting", "--help"],
        ["actions", "--help"],
        ["meeting", "minutes", "--help"],
        ["meeting", "entries", "--help"],
    ],
)
def test_help(args):
    result = invoke(*args)
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_headless_commands_do_not_import_textual(db):
    probe = (
        "import sys\nfrom coordinator_tui.cli import app\n"
        "try:\n    app(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) "
        "else 'CLEAN')"
    )
    for args in (["meeting", "list", "--db", db], ["actions", "--json", "--db", db]):
        result = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
        )
        assert result.stdout.strip().endswith("CLEAN"), result.stdout + result.stderr
