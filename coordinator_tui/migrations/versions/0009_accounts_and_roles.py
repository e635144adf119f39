"""Accounts, roles and sign-in (issue 17).

New tables: account (one per person who signs in: Argon2id hash, optional TOTP secret,
failed attempts, last sign-in), account_role (roles granted, as rows so every grant is
audited), account_practice (the practices an account may see). An upgraded database has
no account yet: the app asks for the first administrator on its next start.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _base() -> list[sa.Column]:
    """The columns of every editable table (``models.base.Editable``)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    # --- accounts (issue 17 §1-3) ---
    op.create_table(
        "account",
        *_base(),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("all_practices", sa.Boolean(), nullable=False),
        sa.Column("agency", sa.String(length=120), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_username"), ["username"], unique=True)
    op.create_table(
        "account_role",
        *_base(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "role", name="uq_account_role"),
    )
    with op.batch_alter_table("account_role", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_role_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "account_practice",
        *_base(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "practice_id", name="uq_account_practice"),
    )
    with op.batch_alter_table("account_practice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_practice_account_id"), ["account_id"], unique=False
        )
    # --- end accounts ---


def downgrade() -> None:
    # --- accounts ---
    op.drop_table("account_practice")
    op.drop_table("account_role")
    op.drop_table("account")
