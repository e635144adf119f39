"""What coordinators asked for in their first hour: meetings, registers, referrals, rota.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used by the operations below
from alembic import op  # noqa: F401 - used by the operations below

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- meetings ---
    # --- registers and concerns ---
    # --- referrals ---
    # --- rota ---
    pass


def downgrade() -> None:
    # --- rota ---
    # --- referrals ---
    # --- registers and concerns ---
    # --- meetings ---
    pass
