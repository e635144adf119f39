"""Indexes and stored figures for paging by key at ten times the data (issue 23).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each section adds its own tables and columns."""
    _rules_remainders_upgrade()
    _governance_remainders_upgrade()


def downgrade() -> None:
    _governance_remainders_downgrade()
    _rules_remainders_downgrade()


# --- rules remainders (issue 21) ---
# ``register_entry.last_health_assessment``: a looked-after child's latest health
# assessment recorded from the review queue (``h``), so recording one is a change to the
# entry (its version moves on, the audit trail names the field).


def _rules_remainders_upgrade() -> None:
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_health_assessment", sa.Date(), nullable=True))


def _rules_remainders_downgrade() -> None:
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_column("last_health_assessment")


# --- end rules remainders (issue 21) ---


# --- governance remainders (issue 14) ---
# ``visit_record`` gains the carer's note on the visit (typed, or from the call-monitoring
# export), the flagged words it holds, and what the coordinator made of them.

_NOTE_COLUMNS = (
    ("carer_note", 2000),
    ("note_flags", 200),
    ("note_outcome", 20),
    ("note_reviewed_by", 60),
)


def _governance_remainders_upgrade() -> None:
    with op.batch_alter_table("visit_record", schema=None) as batch_op:
        for name, length in _NOTE_COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch_op.add_column(sa.Column("note_ref_id", sa.Integer(), nullable=True))


def _governance_remainders_downgrade() -> None:
    with op.batch_alter_table("visit_record", schema=None) as batch_op:
        batch_op.drop_column("note_ref_id")
        for name, _length in reversed(_NOTE_COLUMNS):
            batch_op.drop_column(name)


# --- end governance remainders (issue 14) ---
