"""The errors a coordinator is shown, and the one conflict message used everywhere.

Every service error meant for the coordinator derives from :class:`CoordinatorError`, so a
screen catches that one class around a save: a refused action, a conflict with a colleague's
change, or a database that is busy or gone all leave the app running, say one line, and
keep what was typed. Database failures are turned into these errors in one place, where the
unit of work ends (:func:`coordinator_tui.db.session_scope` calls :func:`from_database_error`).

The messages never hold a person's details: a conflict names who changed which fields of
which kind of record and when, not the values; a database error names its kind, not the SQL
or its parameters.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import time_on_date

if TYPE_CHECKING:  # SQLAlchemy is imported only when a message is built: the date
    # parser and the first frame import this module and must stay light.
    from sqlalchemy.orm import Session

__all__ = [
    "ConflictError",
    "CoordinatorError",
    "DatabaseUnavailableError",
    "conflict_message",
    "from_database_error",
]


class CoordinatorError(ValueError):
    """Bad input or a refused action; the message is one line for the coordinator."""


class ConflictError(CoordinatorError):
    """The record changed since the screen read it: nothing was overwritten."""


class DatabaseUnavailableError(CoordinatorError):
    """The database could not take the save (locked, timed out, connection lost).

    Nothing was saved; what was typed is kept, and the same save can simply be tried again.
    ``retryable`` is False for a failure that trying again will not mend (a full disk, a
    read-only file)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# Table names as a coordinator says them.
_RECORD_NAMES = {
    "register_entry": "register entry",
    "referral": "referral",
    "action": "action",
    "minute_note": "notes of this item",
    "person": "person's record",
    "meeting": "meeting",
    "agenda_item": "agenda item",
    "visit": "visit",
    "visit_assignment": "visit",
    "absence": "absence",
    "concern": "concern",
}


def record_name(table_name: str) -> str:
    """What a coordinator calls a row of ``table_name`` ("referral", "register entry")."""
    return _RECORD_NAMES.get(table_name, table_name.replace("_", " "))


def conflict_message(session: Session, table_name: str, row_id: int | None) -> str:
    """The one message for a refused stale write: who changed which fields, and when.

    Read from the audit trail (the last change to that row), so it says the same thing on
    every screen: "Refused: j.bloggs changed this referral at 14:02 on 03/12 (state, notes)
    since you loaded it. Nothing was overwritten; press F5 to reload." Field names only,
    never values (a value may be a person's details)."""
    from sqlalchemy import select

    from coordinator_tui.models.audit import AuditEvent

    what = record_name(table_name)
    event = None
    if row_id is not None:
        event = session.execute(
            select(AuditEvent.actor, AuditEvent.at, AuditEvent.action, AuditEvent.changes)
            .where(AuditEvent.table_name == table_name, AuditEvent.row_id == row_id)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
    if event is None:
        return (
            f"Refused: someone else changed this {what} since you loaded it. "
            "Nothing was overwritten; press F5 to reload."
        )
    actor, at, action, changes = event
    if action == "delete":
        return f"Refused: {actor} deleted this {what} at {_when(at)}. Press F5 to reload."
    try:
        names = sorted(k for k in json.loads(changes or "{}") if k not in ("id", "version"))
    except ValueError:
        names = []
    fields = ", ".join(name.replace("_", " ") for name in names) or "no fields"
    return (
        f"Refused: {actor} changed this {what} at {_when(at)} ({fields}) since you "
        "loaded it. Nothing was overwritten; press F5 to reload."
    )


def check_version(
    session: Session,
    row: object | None,
    table: str,
    expected_version: int | None,
    *,
    missing: type[CoordinatorError] = CoordinatorError,
    conflict: type[CoordinatorError] = ConflictError,
    gone: str | None = None,
    row_id: int | None = None,
    may_be_new: bool = False,
) -> None:
    """Refuse a write to ``row`` when it is gone or no longer the version the screen saw.

    The one optimistic-locking check of every edit path (``expected_version`` None: the
    screen saw no version, nothing to compare). Each domain passes its own error classes
    (``missing`` for a row that is gone, ``conflict``, a subclass of :class:`ConflictError`,
    for a stale write) so its callers keep catching what they caught.

    A row that is gone says so in one of three ways: ``gone``, where a domain says more
    (press F5); with ``row_id`` (the id the screen saw), from the audit trail like a
    conflict, naming who deleted it and when; else "That <record> no longer exists".

    ``may_be_new``: a settings row made on first save. ``expected_version`` None then
    means the screen saw no row at all, so a row another user made since is a conflict,
    and no row where the screen saw one is a conflict too; no row where the screen saw
    none passes (the caller makes it)."""
    if may_be_new:
        if row is None and expected_version is None:
            return
        if row is None or expected_version is None:
            raise conflict(conflict_message(session, table, getattr(row, "id", None)))
    if row is None:
        if gone is None and row_id is not None:
            raise missing(conflict_message(session, table, row_id))
        raise missing(gone or f"That {record_name(table)} no longer exists")
    if expected_version is not None and row.version != expected_version:  # type: ignore[attr-defined]
        raise conflict(conflict_message(session, table, row.id))  # type: ignore[attr-defined]


def _when(at: datetime) -> str:
    return time_on_date(to_local(at))


def from_database_error(exc: BaseException, *, reading: bool = False) -> CoordinatorError | None:
    """The coordinator's error for a database failure during a unit of work, or None
    when ``exc`` is not one (a programming error is left to the crash handler).

    ``reading``: the unit of work wrote nothing (a screen reading its rows), so the line
    says what could not be read rather than "nothing was saved", which would leave a
    coordinator wondering what had been typed and lost.

    The message never quotes the driver's text, which may hold SQL parameters (a name,
    an NHS number, a note)."""
    from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(exc, StaleDataError):
        return ConflictError(
            "Refused: someone else changed this record while you were saving. "
            "Nothing was overwritten; press F5 to reload."
        )
    if isinstance(exc, TimeoutError):
        return DatabaseUnavailableError(_said("The database is busy (no free connection)", reading))
    if isinstance(exc, OperationalError | DBAPIError):
        return _classify_driver_error(exc, reading)
    return None


def _said(what: str, reading: bool, then: str = "try again.") -> str:
    """``what`` went wrong, then what it means for the coordinator: nothing saved (a
    write), or the data not read (a read); then ``then`` (what to do), if anything."""
    outcome = "it could not be read" if reading else "nothing was saved"
    return f"{what}: {outcome}" + (f"; {then}" if then else ".")


def _classify_driver_error(exc: BaseException, reading: bool = False) -> CoordinatorError | None:
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    if isinstance(exc, IntegrityError):
        return None  # a constraint the service should have checked: a bug, not the database
    orig = getattr(exc, "orig", None)
    text = str(orig or "").lower()
    code = getattr(orig, "sqlstate", None) or ""
    if any(word in text for word in ("malformed", "not a database", "corrupt")):
        outcome = "it could not be read" if reading else "nothing was saved"
        return DatabaseUnavailableError(
            f"The database file is damaged: {outcome}. Run coordinator-tui db check, "
            "then restore a backup.",
            retryable=False,
        )
    if "locked" in text or "busy" in text or code in {"55P03", "40P01", "40001"}:
        if reading:
            return DatabaseUnavailableError(
                "Another user or window is saving to the database just now (it is locked): "
                "it could not be read; try again in a moment."
            )
        return DatabaseUnavailableError(
            "Another user or window is saving to the database just now (it is locked): "
            "nothing was saved and anything typed is kept; try again in a moment."
        )
    if code == "57014" or "statement timeout" in text or "canceling statement" in text:
        what = "The read" if reading else "The save"
        return DatabaseUnavailableError(_said(f"{what} waited too long for the database", reading))
    if "disk" in text and "full" in text:
        return DatabaseUnavailableError(
            _said("The disk holding the database is full", reading, ""), retryable=False
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseUnavailableError(
            _said("The database cannot be written (read-only)", reading, ""), retryable=False
        )
    if getattr(exc, "connection_invalidated", False) or code.startswith("08"):
        return DatabaseUnavailableError(_said("The connection to the database was lost", reading))
    if isinstance(exc, OperationalError):
        what = (
            "The database could not answer" if reading else "The database could not take the save"
        )
        return DatabaseUnavailableError(_said(what, reading))
    if isinstance(exc, DBAPIError) and code.startswith(("08", "53", "57")):
        return DatabaseUnavailableError(_said("The database is not available", reading))
    return None
