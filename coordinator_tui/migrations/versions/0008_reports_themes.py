"""Learning themes on concerns, incidents, complaints and referrals; report settings (issue 16).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- learning themes (issue 16 §4): record_theme ---
    op.create_table(
        "record_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("tagged_by", sa.String(length=60), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_kind", "record_id", "theme", name="uq_record_theme"),
    )
    op.create_index("ix_record_theme_theme", "record_theme", ["theme"], unique=False)
    op.create_index(
        "ix_record_theme_record", "record_theme", ["record_kind", "record_id"], unique=False
    )
    # --- end learning themes ---


def downgrade() -> None:
    # --- learning themes (issue 16 §4) ---
    op.drop_index("ix_record_theme_record", table_name="record_theme")
    op.drop_index("ix_record_theme_theme", table_name="record_theme")
    op.drop_table("record_theme")
    # --- end learning themes ---
