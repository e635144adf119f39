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


def downgrade() -> None:
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
