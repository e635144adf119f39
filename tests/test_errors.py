"""One conflict message everywhere, and database failures as one-line coordinator errors.

Issue 12 §1: referral, action and agenda-item conflicts say who changed what and when, as
register conflicts do; a ``StaleDataError`` raised inside the save no longer ends the app.
Issue 12 §2: a database that cannot take a save (locked past the busy timeout) gives one
line that quotes no SQL parameters, and nothing is saved.
"""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from coordinator_tui import db as dbmod
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Person, Practice, Referral
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.errors import (
    ConflictError,
    CoordinatorError,
    DatabaseUnavailableError,
    conflict_message,
    from_database_error,
)

TODAY = date(2027, 1, 15)
NAME, NHS = "Zebedee", "9990000018"


@pytest.fixture
def referral(engine) -> tuple[int, int]:
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha", short_name="Alpha")
        s.add(practice)
        s.flush()
        person = Person(
            nhs_number=NHS,
            given_name="Sam",
            family_name=NAME,
            search_name=f"{NAME.lower()} sam",
            date_of_birth=date(2016, 3, 3),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        r = ref.create_referral(
            s, person_id=person.id, referral_type="MASH", reason="Neglect", by="setup", today=TODAY
        )
        return r.id, r.version


def test_referral_conflict_names_who_changed_which_fields(engine, referral):
    rid, seen = referral
    with session_scope(engine, "colleague") as s:
        s.get(Referral, rid).reason = "Neglect and school absence"
    with pytest.raises(ConflictError) as caught, session_scope(engine, "me") as s:
        ref.advance(s, rid, seen, to_state="sent", on=TODAY, by="me", today=TODAY)
    message = str(caught.value)
    assert message.startswith("Refused: colleague changed this referral at ")
    assert "(reason)" in message and "Nothing was overwritten" in message
    # Field names, never values: the new reason text is not quoted.
    assert "school absence" not in message
    assert isinstance(caught.value, ref.ReferralError)  # screens catching either see it
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).state == "drafted"


def test_conflict_message_without_audit_history(engine):
    with session_scope(engine, "t") as s:
        message = conflict_message(s, "action", 12345)
    assert message.startswith("Refused: someone else changed this action since you loaded it")


def test_stale_write_inside_the_save_is_a_conflict_not_a_crash(engine, referral):
    rid, _ = referral
    with pytest.raises(ConflictError), session_scope(engine, "me") as s:
        mine = s.get(Referral, rid)
        # A colleague's commit lands between our read and our flush: the ORM's version
        # check raises StaleDataError at flush, which the unit of work turns into a
        # coordinator's error.
        with session_scope(engine, "colleague") as other:
            other.get(Referral, rid).reason = "changed meanwhile"
        mine.reason = "mine"
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).reason == "changed meanwhile"


def test_locked_database_is_one_line_and_saves_nothing(db_path, monkeypatch, referral, engine):
    rid, _ = referral
    engine.dispose()
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    opened = open_database(str(db_path))
    holder = sqlite3.connect(db_path, timeout=0.1)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with (
            pytest.raises(DatabaseUnavailableError) as caught,
            session_scope(opened.engine, "me") as s,
        ):
            s.get(Referral, rid).reason = f"{NAME} {NHS} secret note"
    finally:
        holder.rollback()
        holder.close()
    message = str(caught.value)
    assert "locked" in message and "nothing was saved" in message
    assert "\n" not in message
    for secret in (NAME, NHS, "secret note", "UPDATE", "referral SET"):
        assert secret not in message
    assert caught.value.retryable
    with session_scope(opened.engine, "t") as s:
        assert s.get(Referral, rid).reason == "Neglect"
    opened.engine.dispose()


def test_programming_errors_are_not_disguised():
    assert from_database_error(KeyError("x")) is None
    assert from_database_error(ValueError("x")) is None


def test_every_service_error_is_a_coordinator_error():
    from coordinator_tui.services.chronology import ChronologyError
    from coordinator_tui.services.concerns import ConcernError
    from coordinator_tui.services.dates import DateParseError
    from coordinator_tui.services.meetings import MeetingError
    from coordinator_tui.services.registers import RegisterError
    from coordinator_tui.services.rota.assign import RotaError
    from coordinator_tui.services.rota_import import RotaImportError
    from coordinator_tui.services.visit_generation import VisitGenerationError

    for cls in (
        ChronologyError,
        ConcernError,
        DateParseError,
        MeetingError,
        RegisterError,
        RotaError,
        RotaImportError,
        VisitGenerationError,
        ref.ReferralError,
    ):
        assert issubclass(cls, CoordinatorError), cls


# -- a failed read says it could not be read, not "nothing was saved" ------------------------


def _driver_error(text: str, statement: str = "SELECT 1"):
    from sqlalchemy.exc import OperationalError

    return OperationalError(statement, {}, sqlite3.OperationalError(text))


@pytest.mark.parametrize(
    ("driver_text", "words"),
    [
        ("database disk image is malformed", "The database file is damaged"),
        ("database is locked", "it is locked"),
        ("disk I/O error", "The database could not"),
    ],
)
def test_a_failed_read_and_a_failed_save_are_told_apart(driver_text, words):
    """The same driver failure reads "nothing was saved" for a save and "it could not be
    read" for a read: a coordinator opening a list has typed nothing that could be lost."""
    saving = str(from_database_error(_driver_error(driver_text), reading=False))
    reading = str(from_database_error(_driver_error(driver_text), reading=True))
    assert words in saving and words in reading
    assert "nothing was saved" in saving and "could not be read" not in saving
    assert "could not be read" in reading and "nothing was saved" not in reading
    assert "\n" not in reading


def _failing_function(engine) -> None:
    """``boom()`` in SQL raises in the driver, as a damaged page does mid-statement."""
    from sqlalchemy import event

    def boom() -> None:
        raise ValueError("no")

    @event.listens_for(engine, "connect")
    def _add(dbapi_connection, _record) -> None:
        dbapi_connection.create_function("boom", 0, boom)

    engine.dispose()  # new connections get the function


def test_session_scope_says_a_read_could_not_be_read(engine):
    from sqlalchemy import text

    _failing_function(engine)
    with pytest.raises(DatabaseUnavailableError) as caught, session_scope(engine, "me") as s:
        s.execute(text("SELECT boom()")).all()
    assert "could not be read" in str(caught.value)
    assert "nothing was saved" not in str(caught.value)


def test_session_scope_says_a_save_lost_after_a_later_read_failed(engine, referral):
    """A unit of work that wrote, then failed on a read, lost its write: the line says
    nothing was saved (the write rolled back with it)."""
    from sqlalchemy import text

    rid, _ = referral
    _failing_function(engine)
    with pytest.raises(DatabaseUnavailableError) as caught, session_scope(engine, "me") as s:
        s.get(Referral, rid).reason = "Changed"
        s.flush()
        s.execute(text("SELECT boom()")).all()
    assert "nothing was saved" in str(caught.value)
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).reason == "Neglect"
