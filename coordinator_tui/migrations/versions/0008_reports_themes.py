"""Learning themes on concerns, incidents, complaints and referrals; report settings (issue 16).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: each section adds its own tables and columns."""


def downgrade() -> None:
    """Nothing yet."""
