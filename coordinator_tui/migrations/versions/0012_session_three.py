"""Schema changes of the third session's work (encryption, access guards, paging, care demo).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each section adds its own tables, columns and indexes."""


def downgrade() -> None:
    """Each section removes what it added, in reverse order."""
