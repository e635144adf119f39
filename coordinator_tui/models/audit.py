"""The audit trail: one row per inserted, updated, deleted or read row, written in the same
transaction as the change (see ``coordinator_tui.audit``).

The rows form a hash chain: each carries ``prev_hash`` (the ``row_hash`` of the row before
it in id order, :data:`GENESIS` for the first) and ``row_hash``, the SHA-256 of its own
content and ``prev_hash`` (:func:`chain_hash`). Editing a row, deleting one or slipping one
in breaks the chain at that point, which ``coordinator-tui db verify`` reports. Anything
that writes audit rows must go through ``services.audit`` (a row written any other way has
no hash and is reported as such).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlmodel import Field, Index, SQLModel

from coordinator_tui.models.base import utcnow

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row of the chain."""


def _moment(at: datetime | str) -> str:
    """``at`` as both databases give it back: UTC, no zone, to the microsecond.

    SQLite returns the naive UTC value it was given; PostgreSQL an aware one in the
    session's zone. Both come to the same text here, so a hash taken when writing matches
    the one taken when reading back, on either database."""
    if isinstance(at, str):  # a driver that hands back the stored text
        at = datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def chain_hash(
    prev_hash: str,
    at: datetime | str,
    actor: str,
    action: str,
    table_name: str,
    row_id: int | None,
    changes: str,
) -> str:
    """SHA-256 (hex) of one audit row's content and the hash of the row before it.

    The content is encoded as a JSON list, so no two different rows share an encoding
    (a field cannot run into the next). Never change this: every stored hash depends on
    it (the migration that chained the existing rows uses it too)."""
    content = json.dumps(
        [prev_hash, _moment(at), actor, action, table_name, row_id, changes],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class AuditEvent(SQLModel, table=True):
    """Who changed (or read, or exported) what, when. ``changes`` is JSON:
    {field: [old, new]} for a change, a short note otherwise, never a read's content.

    Not ``Editable``: audit rows are never edited, and auditing them would recurse. On
    PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of this table (migration
    0007); on SQLite the chain shows any edit.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_table_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=60, index=True)
    action: str = Field(max_length=10)  # insert | update | delete | note | export | read
    table_name: str = Field(max_length=60)
    row_id: int | None = Field(default=None)
    changes: str = Field(default="{}")
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)
