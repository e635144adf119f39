"""Accounts, roles and sign-in (issue 17).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: each section adds its own tables and columns."""


def downgrade() -> None:
    """Nothing yet."""
