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
    _upgrade_h7()
    _upgrade_h5()
    _upgrade_h13()


def downgrade() -> None:
    """Each section removes what it added, in reverse order."""
    _downgrade_h13()
    _downgrade_h5()
    _downgrade_h7()


# -- H7: governance (issue 14) -------------------------------------------------------------


def _upgrade_h7() -> None:
    """The complainant's own knowledge date: the complaint time limit runs 12 months from
    the event or, if later, from when the complainant knew of it (SI 2009/309 reg 12)."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_on", sa.Date(), nullable=True))


def _downgrade_h7() -> None:
    from alembic import op

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("known_on")


# -- H5: the review queue and the referrals read by key (issue 23) --------------------------


def _upgrade_h5() -> None:
    """Indexes in the lists' sort orders, so each page is one index range however long the
    list (keyset paging, ``services/keyset.py``): the review queue by status, risk, due
    date and id; the referrals by chase-by date and id (the state filtered on the way)."""
    from alembic import op

    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_register_entry_keyset",
            ["status", "risk_level", "next_review_due", "id"],
            unique=False,
        )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_keyset", ["chase_by", "id"], unique=False)


def _downgrade_h5() -> None:
    from alembic import op

    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_keyset")
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_register_entry_keyset")


# -- H13: the Governance closed incidents read by key (issue 23) ---------------------------


def _upgrade_h13() -> None:
    """An index in the closed incidents' order (``closed_incidents_page``: status, then
    closed_at, occurred_at and id), so each page is one index range however many have
    closed."""
    from alembic import op

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_closed_keyset", ["status", "closed_at", "occurred_at", "id"], unique=False
        )


def _downgrade_h13() -> None:
    from alembic import op

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_closed_keyset")
