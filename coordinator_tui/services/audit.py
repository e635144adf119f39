"""The audit trail, written in the same transaction as the change it records.

``install(SessionClass)`` hooks two session events:
- ``before_flush`` stamps ``updated_at`` on changed rows;
- ``after_flush`` inserts one ``audit_event`` per inserted, updated or deleted row, through
  the same connection, so a rollback takes the audit rows with it.

Bulk writes that bypass the ORM (demo seeding) call :func:`record_note` instead.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from coordinator_tui.models.audit import AuditEvent
from coordinator_tui.models.base import Editable, utcnow

# Bookkeeping columns whose change says nothing a reader of the trail needs.
_SKIP = frozenset({"created_at", "updated_at"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _columns(obj: Editable) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _changes_for_update(obj: Editable) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _columns(obj):
        if key in _SKIP or key == "version":
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changes[key] = [_plain(old), _plain(new)]
    return changes


def _snapshot(obj: Editable, *, new: bool) -> dict[str, list[Any]]:
    values = {}
    for key in _columns(obj):
        if key in _SKIP:
            continue
        value = _plain(getattr(obj, key))
        values[key] = [None, value] if new else [value, None]
    return values


def _actor(session: Session) -> str:
    return str(session.info.get("actor") or "unknown")


def _before_flush(session: Session, _context, _instances) -> None:
    now = utcnow()
    for obj in session.dirty:
        if isinstance(obj, Editable) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now


def _after_flush(session: Session, _context) -> None:
    rows: list[dict[str, Any]] = []
    actor, now = _actor(session), utcnow()

    def add(obj: Editable, action: str, changes: dict[str, list[Any]]) -> None:
        rows.append(
            {
                "at": now,
                "actor": actor,
                "action": action,
                "table_name": obj.__tablename__,
                "row_id": obj.id,
                "changes": json.dumps(changes, default=str, sort_keys=True),
            }
        )

    for obj in session.new:
        if isinstance(obj, Editable):
            add(obj, "insert", _snapshot(obj, new=True))
    for obj in session.dirty:
        if isinstance(obj, Editable) and obj not in session.deleted:
            changes = _changes_for_update(obj)
            if changes:
                add(obj, "update", changes)
    for obj in session.deleted:
        if isinstance(obj, Editable):
            add(obj, "delete", _snapshot(obj, new=False))
    if rows:
        session.connection().execute(insert(AuditEvent), rows)
        session.info["wrote"] = True  # the app counts units of work that changed data


def install(session_class: type[Session]) -> None:
    """Attach the audit hooks to a session class (done once, in ``coordinator_tui.db``)."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)


def record_note(
    session: Session, table_name: str, note: str, row_id: int | None = None, **details: Any
) -> None:
    """Audit a write that bypassed the ORM (bulk load, import): what, how many, no PII."""
    session.connection().execute(
        insert(AuditEvent),
        [
            {
                "at": utcnow(),
                "actor": _actor(session),
                "action": "note",
                "table_name": table_name,
                "row_id": row_id,
                "changes": json.dumps({"note": note, **details}, default=str, sort_keys=True),
            }
        ],
    )


def events_for(session: Session, table_name: str, row_id: int | None = None) -> list[AuditEvent]:
    """The audit events of one table (and row), oldest first."""
    query = select(AuditEvent).where(AuditEvent.table_name == table_name)
    if row_id is not None:
        query = query.where(AuditEvent.row_id == row_id)
    return list(session.scalars(query.order_by(AuditEvent.id)))
