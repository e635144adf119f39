"""Text stored before control characters were stripped at input is cleaned by the schema
upgrade (issue 12 §6): a name holding a terminal escape sequence can no longer set the
terminal's title from the person record, whichever widget draws it."""

from __future__ import annotations

import json
import sqlite3

from coordinator_tui.db import create_db_engine, open_database, resolve_target, upgrade

ESCAPE_NAME = "PWNED\x1b]0;pwned\x07"


def test_upgrade_cleans_control_characters_and_audits_the_count(db_path):
    engine = create_db_engine(resolve_target(str(db_path)))
    upgrade(engine, "0003")
    engine.dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO practice (created_at, updated_at, version, ods_code, name, short_name,"
            " postcode, pcn_name) VALUES ('2026-01-01', '2026-01-01', 1, 'A1', 'Alpha',"
            " 'Alpha', 'GL1 1AA', 'PCN')"
        )
        conn.execute(
            "INSERT INTO person (created_at, updated_at, version, nhs_number, given_name,"
            " family_name, search_name, date_of_birth, practice_id, case_summary, sex, gender,"
            " address_line1, address_line2, town, postcode, phone)"
            " VALUES ('2026-01-01', '2026-01-01', 1, '9990000018', 'Sam', ?, 'x',"
            " '2016-03-03', 1, ?, 'Male', 'Man', '1 High St', '', 'Gloucester', 'GL1 1AA', '')",
            (ESCAPE_NAME, "line one\r\nline two\x1b[2J"),
        )
    opened = open_database(str(db_path))
    opened.engine.dispose()
    with sqlite3.connect(db_path) as conn:
        family, summary = conn.execute("SELECT family_name, case_summary FROM person").fetchone()
        notes = conn.execute(
            "SELECT actor, changes FROM audit_event WHERE action = 'note'"
        ).fetchall()
    assert family == "PWNED]0;pwned"
    assert summary == "line one\nline two[2J"
    cleaned = [json.loads(changes)["cleaned"] for actor, changes in notes if "0004" in actor]
    assert cleaned == [{"person.case_summary": 1, "person.family_name": 1}]
    assert "pwned" not in json.dumps(cleaned)
