"""Care changes: medication changes, care plan reviews, consent, change requests, training, contacts, shadowing (issue 18).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: each section adds its own tables and columns."""


def downgrade() -> None:
    """Nothing yet."""
