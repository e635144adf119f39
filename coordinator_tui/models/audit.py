"""The audit trail: one row per inserted, updated or deleted row, written in the same
transaction as the change (see ``coordinator_tui.services.audit``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from coordinator_tui.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, when. ``changes`` is JSON: {field: [old, new]}.

    Not ``Editable``: audit rows are never edited, and auditing them would recurse.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_table_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=60, index=True)
    action: str = Field(max_length=10)  # insert | update | delete | note
    table_name: str = Field(max_length=60)
    row_id: int | None = Field(default=None)
    changes: str = Field(default="{}")
