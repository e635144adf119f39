"""Working-time rules: what the rota checker needs to judge shifts, nights and leave.

- ``carer``: the agency's records under the Working Time Regulations 1998: split shifts
  under the reg 22(1)(c) exemption, night worker (reg 2; empty: inferred), special hazards
  (reg 6(7)), a young worker's contract for work after 22:00 (reg 6A);
- ``carer_week_hours``: kept as data from the visits (``source``), with the shifts, night
  shifts and long rests of the week, then filled in from the visits already recorded so the
  17-week averages read one row a week instead of 16 weeks of visits;
- ``working_time_settings``: the agency's night time (reg 2).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("carer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("split_shift_exempt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("night_worker", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("special_hazards", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "young_night_contract", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("carer_week_hours", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), nullable=False, server_default="recorded")
        )
        batch_op.add_column(sa.Column("shifts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("night_shifts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("first_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_end", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("long_rests", sa.String(length=300), nullable=False, server_default="")
        )
    op.create_table(
        "working_time_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("night_start", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _week_hours_backfill()


def downgrade() -> None:
    op.drop_table("working_time_settings")
    with op.batch_alter_table("carer_week_hours", schema=None) as batch_op:
        batch_op.drop_column("long_rests")
        batch_op.drop_column("last_end")
        batch_op.drop_column("first_start")
        batch_op.drop_column("night_shifts")
        batch_op.drop_column("shifts")
        batch_op.drop_column("source")
    with op.batch_alter_table("carer", schema=None) as batch_op:
        batch_op.drop_column("young_night_contract")
        batch_op.drop_column("special_hazards")
        batch_op.drop_column("night_worker")
        batch_op.drop_column("split_shift_exempt")


def _week_hours_backfill() -> None:
    """Each carer's weeks with visits and no row yet, worked out from the visits as the
    checker does (a row entered from payroll is kept)."""
    from coordinator_tui.services.rota.week_hours import backfill

    backfill(op.get_bind())
