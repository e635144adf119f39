"""Indexes and stored figures for paging by key at ten times the data (issue 23).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: each section adds its own tables and columns."""


def downgrade() -> None:
    """Nothing yet."""
