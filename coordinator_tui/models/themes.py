"""Learning themes (issue 16 §4): a theme tag on a concern, an incident, a complaint or a
referral, so that the themes view can count them per quarter and show a change that
stands out from noise.

The vocabulary is reference data (``data/themes.json``: the Care Act 2014 statutory
guidance's types of abuse and neglect, the children's categories of abuse, contributing
factors); a tag holds the theme's code, so a renamed theme keeps its tags. A tag names
its record by kind and id rather than by four foreign keys, so one table serves all four
kinds and one index answers "which records carry this theme".
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Index, UniqueConstraint

from coordinator_tui.models.base import Editable

RECORD_KINDS = ("concern", "incident", "complaint", "referral")


class RecordTheme(Editable, table=True):
    """One theme on one record: ``record_kind`` one of :data:`RECORD_KINDS`,
    ``record_id`` that table's id, ``theme`` a code of ``data/themes.json``; who tagged
    it and when (the audit trail has the rest)."""

    __tablename__ = "record_theme"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", "theme", name="uq_record_theme"),
        Index("ix_record_theme_record", "record_kind", "record_id"),
    )

    record_kind: str = Field(max_length=20)
    record_id: int
    theme: str = Field(max_length=40, index=True)
    tagged_by: str = Field(default="", max_length=60)
    tagged_at: datetime
