"""Schema changes of the fifth session's work.

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each section adds its own tables, columns and indexes."""
    _upgrade_rota_flat()


def downgrade() -> None:
    """Each section removes what it added, in reverse order."""
    _downgrade_rota_flat()


# -- rota, flat with the data: continuity kept with the weekly hours (issue 23 §1) ---------


def _upgrade_rota_flat() -> None:
    """``carer_week_hours.customers``: the customers each carer visited that week, so the
    rota reads "seen in the 16 weeks before" (continuity) from the rows it already reads for
    the 17-week averages, not from 16 weeks of visits; filled here from the visits, then
    kept in step by ``services.rota.week_hours`` with the hours. An index on ``week_start``:
    those rows are one range of it (without one, every carer's every week is scanned)."""
    import sqlalchemy as sa
    from alembic import op

    from coordinator_tui.services.rota.week_hours import fill_customers

    with op.batch_alter_table("carer_week_hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customers", sa.Text(), nullable=True))
        batch_op.create_index("ix_carer_week_hours_week_start", ["week_start"], unique=False)
    fill_customers(op.get_bind())


def _downgrade_rota_flat() -> None:
    from alembic import op

    with op.batch_alter_table("carer_week_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_carer_week_hours_week_start")
        batch_op.drop_column("customers")
