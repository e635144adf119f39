"""Every export is in the audit trail (issue 12 section 5): minutes, chronologies, record
entries (files and clipboard) and invitations record who exported what, when, and to
which kind of file; never the content or the path."""

from __future__ import annotations

import json

import pytest
from pilot_helpers import wait_for
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui.app import make_app
from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Person
from coordinator_tui.services import chronology
from coordinator_tui.services.meetings import MeetingError, invites, minutes

DECEMBER = 5  # planned
NOVEMBER = 4  # finished


def exports(engine) -> list[tuple[str, str, int | None, dict]]:
    with session_scope(engine, "read") as s:
        rows = s.exec(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
        return [(e.actor, e.table_name, e.row_id, json.loads(e.changes)) for e in rows]


def test_minutes_export_is_audited(small_demo_engine, tmp_path):
    with session_scope(small_demo_engine, "j.bloggs") as s:
        minutes.export_minutes(s, NOVEMBER, "md", tmp_path / "m.md")
        minutes.export_minutes(s, NOVEMBER, "docx", tmp_path / "m.docx")
    assert exports(small_demo_engine) == [
        ("j.bloggs", "meeting", NOVEMBER, {"export": "minutes", "files": 1, "formats": ["md"]}),
        ("j.bloggs", "meeting", NOVEMBER, {"export": "minutes", "files": 1, "formats": ["docx"]}),
    ]


def test_a_failed_export_leaves_no_record(small_demo_engine, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(MeetingError), session_scope(small_demo_engine, "j.bloggs") as s:
        minutes.export_minutes(s, NOVEMBER, "md", folder)
    assert exports(small_demo_engine) == []


def test_record_entries_export_is_audited_without_identifiers(small_demo_engine, tmp_path):
    with session_scope(small_demo_engine, "j.bloggs") as s:
        written = minutes.write_record_entries(s, NOVEMBER, tmp_path / "entries")
        people = s.exec(select(Person.nhs_number, Person.family_name)).all()
    ((actor, table, row_id, changes),) = exports(small_demo_engine)
    assert (actor, table, row_id) == ("j.bloggs", "meeting", NOVEMBER)
    assert changes == {"export": "record entries", "files": len(written), "formats": ["txt"]}
    text = json.dumps(changes)
    assert not any(nhs in text or family in text for nhs, family in people)


def test_chronology_export_is_audited(small_demo_engine, tmp_path):
    with session_scope(small_demo_engine, "j.bloggs") as s:
        person_id = s.exec(select(Person.id)).first()
        items = chronology.chronology(s, person_id)
        chronology.export_chronology(tmp_path, "SMITH, Ann", person_id, items, session=s)
    assert exports(small_demo_engine) == [
        (
            "j.bloggs",
            "person",
            person_id,
            {"export": "chronology", "files": 2, "formats": ["md", "csv"]},
        )
    ]


def test_invitation_files_are_audited(small_demo_engine, tmp_path):
    with session_scope(small_demo_engine, "j.bloggs") as s:
        invites.write_ics(s, DECEMBER, tmp_path / "i.ics")
        invites.write_email(s, DECEMBER, tmp_path / "i.txt")
    assert [(t, r, c["export"], c["formats"]) for _, t, r, c in exports(small_demo_engine)] == [
        ("meeting", DECEMBER, "invitation", ["ics"]),
        ("meeting", DECEMBER, "invitation", ["txt"]),
    ]
    assert (tmp_path / "i.txt").read_text(encoding="utf-8").startswith("Subject: ")


def test_an_invitation_the_trail_cannot_record_leaves_no_file(
    small_demo_engine, tmp_path, monkeypatch
):
    """The trail is written first: when it cannot be (a locked database), no invitation
    file is left on disk that the trail does not know of."""
    from coordinator_tui.services.errors import DatabaseUnavailableError

    def locked(*_args, **_kw):
        raise DatabaseUnavailableError("the database is locked: nothing was saved")

    monkeypatch.setattr(invites, "record_export", locked)
    for write, name in ((invites.write_ics, "i.ics"), (invites.write_email, "i.txt")):
        with (
            pytest.raises(DatabaseUnavailableError),
            session_scope(small_demo_engine, "j.bloggs") as s,
        ):
            write(s, DECEMBER, tmp_path / name)
        assert not (tmp_path / name).exists()
    assert exports(small_demo_engine) == []


def test_invitation_from_the_command_line_is_audited(small_demo_path, small_demo_engine, tmp_path):
    result = CliRunner().invoke(
        cli_app,
        ["meeting", "invite", str(DECEMBER), "--out", str(tmp_path / "i.ics")]
        + ["--db", str(small_demo_path)],
    )
    assert result.exit_code == 0, result.output
    assert [c["formats"] for *_, c in exports(small_demo_engine)] == [["ics"], ["printed"]]


def test_unknown_export_kind_is_a_programming_error(engine):
    from coordinator_tui.audit import record_export

    with pytest.raises(ValueError), session_scope(engine, "t") as s:
        record_export(s, "everything", "person", 1, "csv")


async def test_person_record_export_key_is_audited(demo_settings, small_demo_engine):
    """``E`` on a person record writes the files and the audit event in one go."""
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        person_id = app.screen.person_id
        await pilot.press("E")
        await wait_for(pilot, lambda: bool(exports(small_demo_engine)))
    ((actor, table, row_id, changes),) = exports(small_demo_engine)
    assert (actor, table, row_id, changes["export"]) == (
        "test.user",
        "person",
        person_id,
        "chronology",
    )
    assert sorted(p.suffix for p in demo_settings.export_dir.iterdir()) == [".csv", ".md"]
