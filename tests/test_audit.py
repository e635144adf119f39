"""Every write through the app's session leaves exactly one audit event per changed row,
in the same transaction; a rolled-back write leaves none."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import func, select

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent, Person, Practice
from coordinator_tui.services import audit


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
    with session_scope(engine, "a") as session:
        session.add(Practice(ods_code="C3", name="Gamma", short_name="G"))
    first = session_scope(engine, "a")
    s1 = first.__enter__()
    p1 = s1.exec(select(Practice)).one()
    with session_scope(engine, "b") as s2:
        s2.exec(select(Practice)).one().name = "Changed by b"
    p1.name = "Changed by a"
    with pytest.raises(StaleDataError):
        first.__exit__(None, None, None)
    with session_scope(engine, "x") as session:
        assert session.exec(select(Practice.name)).one() == "Changed by b"


def test_note_records_bulk_writes(engine):
    with session_scope(engine, "seed") as session:
        audit.record_note(session, "person", "demo seed", rows=10)
    with session_scope(engine, "x") as session:
        (event,) = audit.events_for(session, "person")
        assert event.action == "note"
        assert json.loads(event.changes) == {"note": "demo seed", "rows": 10}
