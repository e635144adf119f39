"""Every write through the app's session leaves exactly one audit event per changed row,
in the same transaction; a rolled-back write leaves none."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import func, select

from coordinator_tui import audit
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent, Person, Practice
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.safe_text import clean_text, has_controls, visible


def _count(engine) -> int:
    with session_scope(engine, "t") as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _person(**overrides) -> Person:
    values = dict(
        nhs_number="9990000018",
        given_name="Ada",
        family_name="Example",
        search_name="example ada",
        date_of_birth=date(1990, 5, 1),
    )
    values.update(overrides)
    return Person(**values)


def exercise_audit(engine) -> None:
    """Insert, update, delete and roll back; check the trail after each."""
    with session_scope(engine, "alice") as session:
        practice = Practice(ods_code="A1", name="Alpha", short_name="A")
        session.add(practice)
        session.flush()
        session.add(_person(practice_id=practice.id))
    with session_scope(engine, "alice") as session:
        events = audit.events_for(session, "person")
        assert [e.action for e in events] == ["insert"]
        assert events[0].actor == "alice"
        assert json.loads(events[0].changes)["nhs_number"] == [None, "9990000018"]
        assert len(audit.events_for(session, "practice")) == 1

    with session_scope(engine, "bob") as session:
        person = session.exec(select(Person)).one()
        person.family_name = "Changed"
        person.postcode = "GL1 1AA"
        untouched = session.exec(select(Practice)).one()
        untouched.name = untouched.name  # no real change: no event
    with session_scope(engine, "bob") as session:
        person = session.exec(select(Person)).one()
        events = audit.events_for(session, "person", person.id)
        assert [e.action for e in events] == ["insert", "update"]
        assert events[1].actor == "bob"
        assert json.loads(events[1].changes) == {
            "family_name": ["Example", "Changed"],
            "postcode": ["", "GL1 1AA"],
        }
        assert len(audit.events_for(session, "practice")) == 1
        assert person.version == 2

    before = _count(engine)
    with pytest.raises(RuntimeError), session_scope(engine, "carol") as session:
        person = session.exec(select(Person)).one()
        person.given_name = "Rolled"
        session.add(Practice(ods_code="B2", name="Beta", short_name="B"))
        session.flush()
        raise RuntimeError("crash mid-transaction")
    assert _count(engine) == before

    with session_scope(engine, "dave") as session:
        session.delete(session.exec(select(Person)).one())
    with session_scope(engine, "dave") as session:
        events = audit.events_for(session, "person")
        assert [e.action for e in events] == ["insert", "update", "delete"]
        assert json.loads(events[-1].changes)["family_name"] == ["Changed", None]


def test_audit_trail_sqlite(engine):
    exercise_audit(engine)


@pytest.mark.postgres
def test_audit_trail_postgres(pg_url):
    opened = open_database(pg_url)
    try:
        exercise_audit(opened.engine)
    finally:
        opened.engine.dispose()


def test_stale_update_is_refused(engine):
    """A stale write is refused (the unit of work ends in a ConflictError the screen
    shows in one line) and the colleague's change stays."""
    with session_scope(engine, "a") as session:
        session.add(Practice(ods_code="C3", name="Gamma", short_name="G"))
    first = session_scope(engine, "a")
    s1 = first.__enter__()
    p1 = s1.exec(select(Practice)).one()
    with session_scope(engine, "b") as s2:
        s2.exec(select(Practice)).one().name = "Changed by b"
    p1.name = "Changed by a"
    with pytest.raises(ConflictError) as caught:
        first.__exit__(None, None, None)
    assert isinstance(caught.value.__cause__, StaleDataError)
    with session_scope(engine, "x") as session:
        assert session.exec(select(Practice.name)).one() == "Changed by b"


def test_note_records_bulk_writes(engine):
    with session_scope(engine, "seed") as session:
        audit.record_note(session, "person", "demo seed", rows=10)
    with session_scope(engine, "x") as session:
        (event,) = audit.events_for(session, "person")
        assert event.action == "note"
        assert json.loads(event.changes) == {"note": "demo seed", "rows": 10}


# -- writes that bypass the unit of work (issue 12 section 5) --------------------------------


def _people(engine, count: int = 3) -> list[int]:
    with session_scope(engine, "setup") as session:
        people = [
            _person(nhs_number=f"99900001{i:02d}", family_name=f"Bulk{i}") for i in range(count)
        ]
        session.add_all(people)
        session.flush()
        return [p.id for p in people]


def _events(engine, actor: str) -> list[tuple[str, str, int | None, dict]]:
    with session_scope(engine, "read") as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.id)
        ).all()
        return [(e.action, e.table_name, e.row_id, json.loads(e.changes)) for e in rows]


def exercise_bulk_statements(engine) -> None:
    """update(), delete(), insert() and text() run through the session are each audited
    per row (or, for text(), with its table and row count), in the same transaction."""
    ids = _people(engine)
    with session_scope(engine, "bulk.update") as session:
        result = session.execute(
            update(Person).where(Person.id.in_(ids[:2])).values(town="Gloucester")
        )
        assert result.rowcount == 2
    assert _events(engine, "bulk.update") == [
        ("update", "person", ids[0], {"town": ["", "Gloucester"]}),
        ("update", "person", ids[1], {"town": ["", "Gloucester"]}),
    ]
    with session_scope(engine, "read") as session:
        versions = dict(session.exec(select(Person.id, Person.version)).all())
    # The optimistic lock moved on, as a flush moves it: a screen holding version 1 of
    # these rows is refused rather than overwriting the bulk change.
    assert [versions[i] for i in ids] == [2, 2, 1]

    with session_scope(engine, "bulk.delete") as session:
        session.execute(delete(Person).where(Person.id == ids[2]))
    ((action, table, row_id, changes),) = _events(engine, "bulk.delete")
    assert (action, table, row_id) == ("delete", "person", ids[2])
    assert changes["family_name"] == ["Bulk2", None]

    with session_scope(engine, "bulk.insert") as session:
        session.execute(
            insert(Practice),
            [dict(ods_code=f"P{i}", name=f"Practice {i}", short_name=f"P{i}") for i in range(2)],
        )
    inserted = _events(engine, "bulk.insert")
    assert [(a, t) for a, t, _, _ in inserted] == [("insert", "practice")] * 2
    assert all(row_id is not None for _, _, row_id, _ in inserted)
    assert sorted(c["ods_code"][1] for *_, c in inserted) == ["P0", "P1"]

    with session_scope(engine, "bulk.text") as session:
        session.execute(
            text("UPDATE practice SET name = 'Renamed' WHERE ods_code = :c"), {"c": "P0"}
        )
        session.execute(text("SELECT count(*) FROM practice"))  # a read: not audited
    assert _events(engine, "bulk.text") == [
        ("update", "practice", None, {"rows": 1, "statement": "text"})
    ]

    # Rolled back: the bulk change and its audit rows go together.
    before = _count(engine)
    with pytest.raises(RuntimeError), session_scope(engine, "bulk.rollback") as session:
        session.execute(update(Person).values(town="Nowhere"))
        raise RuntimeError("crash mid-transaction")
    assert _count(engine) == before


def test_bulk_statements_are_audited_sqlite(engine):
    exercise_bulk_statements(engine)


@pytest.mark.postgres
def test_bulk_statements_are_audited_postgres(pg_url):
    opened = open_database(pg_url)
    try:
        exercise_bulk_statements(opened.engine)
    finally:
        opened.engine.dispose()


def test_bulk_update_by_primary_key_is_audited(engine):
    ids = _people(engine, 2)
    with session_scope(engine, "by.key") as session:
        session.execute(
            update(Person),
            [
                {"id": ids[0], "phone": "01234", "version": 1},
                {"id": ids[1], "phone": "05678", "version": 1},
            ],
        )
    assert _events(engine, "by.key") == [
        ("update", "person", ids[0], {"phone": ["", "01234"]}),
        ("update", "person", ids[1], {"phone": ["", "05678"]}),
    ]


def test_a_bulk_update_refuses_the_screen_that_read_before_it(engine):
    (pid,) = _people(engine, 1)
    screen = session_scope(engine, "screen")
    held = screen.__enter__()
    person = held.get(Person, pid)
    with session_scope(engine, "bulk") as session:
        session.execute(update(Person).where(Person.id == pid).values(phone="999"))
    person.phone = "111"
    with pytest.raises(ConflictError):
        screen.__exit__(None, None, None)
    with session_scope(engine, "read") as session:
        assert session.get(Person, pid).phone == "999"


# -- control characters never stored (issue 12 section 6) ------------------------------------

HOSTILE = "Ada\x1b]0;pwned\x07 \x9b31m"


def test_control_characters_are_stripped_at_input(engine):
    """Through the session, whatever the screen or importer: one-line columns lose every
    control (tab and line breaks become spaces), multi-line ones keep line breaks and tabs."""
    with session_scope(engine, "typist") as session:
        person = _person(
            given_name=HOSTILE, family_name="Two\nLines", case_summary="a\r\nb\x1bc\td"
        )
        session.add(person)
        session.flush()
        pid = person.id
    with session_scope(engine, "typist") as session:
        person = session.get(Person, pid)
        assert (person.given_name, person.family_name) == ("Ada]0;pwned 31m", "Two Lines")
        assert person.case_summary == "a\nbc\td"
        person.town = "Glou\x1b[2Jcester"
    with session_scope(engine, "read") as session:
        assert session.get(Person, pid).town == "Glou[2Jcester"
        trail = " ".join(e.changes for e in audit.events_for(session, "person", pid))
        assert "\\u001b" not in trail and "\\u0007" not in trail


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
@settings(max_examples=200, deadline=None)
def test_clean_text_leaves_no_control(value):
    one_line = clean_text(value, multiline=False)
    several = clean_text(value, multiline=True)
    assert not has_controls(one_line)
    assert not has_controls(several.replace("\n", "").replace("\t", ""))
    assert "\r" not in several
    printable = "".join(c for c in value if not has_controls(c))
    assert "".join(c for c in one_line if c != " ") == printable.replace(" ", "")
    assert clean_text(printable, multiline=False) == printable  # clean text is untouched
    shown = visible(value)
    assert len(shown) == len(value) and not has_controls(shown)


# -- nothing writes around the audit trail (issue 12 section 5) ------------------------------

PACKAGE = Path(__file__).parents[1] / "coordinator_tui"
SCANNED = ("services", "screens", "widgets", "cli", "demo", "audit.py", "app.py", "commands.py")
DML = {"insert", "update", "delete"}
RAW_WRITE = re.compile(
    r"^\s*(insert\s+(or\s+\w+\s+)?into|replace\s+into|update\s+\w+\s+set|delete\s+from)\b",
    re.IGNORECASE,
)
# What may write outside the session's statements, and why it is still audited.
ALLOWED = {
    ("audit.py", "dml-on-connection"): "writes the audit rows themselves",
    ("audit.py", "exec_driver_sql"): (
        "BEGIN IMMEDIATE on SQLite before the audit chain's last hash is read (a lock)"
    ),
    ("demo/seed.py", "dml-on-connection"): (
        "demo seeding: 100,000 rows with core insert() in chunks, each table recorded "
        "with audit.record_note (rows, size)"
    ),
    ("demo/seed.py", "text"): "PostgreSQL setval() of each id sequence after the seed",
    ("demo/seed.py", "exec_driver_sql"): (
        "demo seeding on SQLite: the same rows sent to the driver's executemany through "
        "each column's bind processor (demo.seed.bulk_insert; stored as core insert() "
        "stores them, tests/test_demo_bulk_insert.py), each table recorded with "
        "audit.record_note (rows, size); and the build connection's PRAGMAs (page cache, "
        "synchronous), which write no row, set and put back (tests/test_demo_build_fast.py)"
    ),
    ("demo/seed.py", "raw-sql-write"): "the INSERT statement demo.seed.bulk_insert sends",
    ("demo/seed.py", "bulk_insert"): (
        "calls of demo.seed.bulk_insert (above), not SQLAlchemy's bulk_insert_mappings"
    ),
    ("services/rota/week_hours.py", "dml-on-connection"): (
        "migration 0003 backfills the derived weekly-hours summary (computed from the "
        "audited visits) on the migration's connection, where there is no session or user"
    ),
    ("services/rota/week_pack.py", "dml-on-connection"): (
        "the rota's packs (rota_pack): derived copies of audited rows (ids, times and "
        "codes, no name), kept exact by database triggers and written on a connection of "
        "their own so a load that only reads writes nothing of the user's; not a record"
    ),
    ("services/rota/week_pack.py", "exec_driver_sql"): (
        "that connection's lock wait set to none and put back (PRAGMA busy_timeout on "
        "SQLite, SET LOCAL lock_timeout on PostgreSQL), which write no row"
    ),
    ("services/people_quick.py", "sqlite3"): (
        "the people list before the database opens: a read-only (mode=ro) connection"
    ),
    ("services/home_counts.py", "sqlite3"): (
        "Home's counts before the database opens: a read-only (mode=ro) connection"
    ),
    ("services/home_counts.py", "psycopg"): (
        "Home's counts on PostgreSQL before the database layer is imported: a session "
        "the server holds read-only (default_transaction_read_only, BEGIN ... READ ONLY; "
        "tests/test_home_counts_pg.py holds it)"
    ),
}

DRIVERS = ("sqlite3", "psycopg", "psycopg2")
"""Database drivers imported directly: a connection of their own is outside the session,
so its writes would reach no audit row."""


def _sqlalchemy_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound to sqlalchemy/sqlmodel's insert/update/delete/text."""
    names = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and (node.module.split(".")[0] in ("sqlalchemy", "sqlmodel"))
        ):
            for alias in node.names:
                if alias.name in DML | {"text"}:
                    names[alias.asname or alias.name] = alias.name
    return names


def _receiver_is_session(call: ast.Call) -> bool:
    """``session.execute(...)`` / ``s.execute(...)``, not ``conn.execute`` or
    ``session.connection().execute``: only the session's statements reach the hook."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("execute", "exec")):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call):
        return False  # session.connection().execute, engine.connect().execute
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return not any(word in name.lower() for word in ("conn", "engine", "cursor"))


def scan_source(source: str) -> list[tuple[int, str]]:
    """(line, rule) for each way ``source`` could write around the session's audit."""
    tree = ast.parse(source)
    names = _sqlalchemy_names(tree)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            for driver in DRIVERS:
                if any((m or "").split(".")[0] == driver for m in modules):
                    found.append((node.lineno, driver))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_WRITE.match(node.value)
        ):
            found.append((node.lineno, "raw-sql-write"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in ("exec_driver_sql", "executescript", "executemany") or called.startswith(
            ("bulk_save", "bulk_insert", "bulk_update")
        ):
            found.append((node.lineno, called))
            continue
        if isinstance(func, ast.Name) and names.get(func.id) == "text":
            found.append((node.lineno, "text"))
        elif isinstance(func, ast.Name) and names.get(func.id) in DML:
            # The statement (and any .where()/.values() chained on it) must be the first
            # argument of a session's execute.
            outer: ast.AST = node
            while isinstance(parents.get(outer), ast.Attribute) and isinstance(
                parents.get(parents[outer]), ast.Call
            ):
                outer = parents[parents[outer]]
            call = parents.get(outer)
            direct = isinstance(call, ast.Call) and call.args and call.args[0] is outer
            if not (direct and _receiver_is_session(call)):
                found.append((node.lineno, "dml-on-connection"))
    return found


def test_the_scan_finds_each_way_around_the_audit():
    """The scanner itself: each bypass in this sample is found, the audited forms are not."""
    sample = """
import sqlite3
from sqlalchemy import delete, insert, text, update
def f(session, conn):
    session.execute(update(T).where(T.id == 1).values(a=1))   # audited: fine
    session.execute(delete(T).where(T.id == 1))                # audited: fine
    session.connection().execute(insert(T), rows)              # 7
    conn.execute(update(T).values(a=2))                        # 8
    stmt = delete(T)                                           # 9
    session.execute(text("UPDATE t SET a = 1"))                # 10
    conn.exec_driver_sql("select 1")                           # 11
    session.bulk_insert_mappings(T, rows)                      # 12
    sqlite3.connect("x").execute("DELETE FROM t")              # 13
"""
    assert sorted(scan_source(sample)) == sorted(
        [
            (2, "sqlite3"),
            (7, "dml-on-connection"),
            (8, "dml-on-connection"),
            (9, "dml-on-connection"),
            (10, "text"),
            (10, "raw-sql-write"),
            (11, "exec_driver_sql"),
            (12, "bulk_insert_mappings"),
            (13, "raw-sql-write"),
        ]
    )


def test_the_scan_finds_a_driver_imported_directly():
    """PostgreSQL's drivers as well as SQLite's: a connection of their own would write
    outside the session and so outside the audit trail."""
    sample = """
import psycopg
from psycopg import sql
import psycopg2.extras
import sqlalchemy
"""
    assert sorted(scan_source(sample)) == [(2, "psycopg"), (3, "psycopg"), (4, "psycopg2")]


def test_no_code_writes_around_the_audit_trail():
    """Every write in services, screens, widgets and the command line goes through the
    session (the unit of work, or a statement the execute hook audits). The few that
    cannot are listed in ALLOWED with the reason they are still audited or harmless."""
    problems, used = [], set()
    for entry in SCANNED:
        base = PACKAGE / entry
        for path in sorted(base.rglob("*.py")) if base.is_dir() else [base]:
            relative = path.relative_to(PACKAGE).as_posix()
            for line, rule in scan_source(path.read_text(encoding="utf-8")):
                if (relative, rule) in ALLOWED:
                    used.add((relative, rule))
                else:
                    problems.append(f"{relative}:{line}: {rule}")
    assert problems == [], "writes around the audit trail:\n" + "\n".join(problems)
    assert used == set(ALLOWED), f"allow-list entries no longer needed: {set(ALLOWED) - used}"
    for quick in ("services/people_quick.py", "services/home_counts.py"):
        assert "mode=ro" in (PACKAGE / quick).read_text(encoding="utf-8")
