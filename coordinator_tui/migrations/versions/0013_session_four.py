"""Schema changes of the fourth session's work.

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each section adds its own tables, columns and indexes."""
    _upgrade_lists()


def downgrade() -> None:
    """Each section removes what it added, in reverse order."""
    _downgrade_lists()


# -- lists: the review queue's health assessments late, an indexed count (issue 23) --------


def _upgrade_lists() -> None:
    """``register_entry.health_assessment_due``: a looked-after child's next health
    assessment counted from the latest one recorded since entering care (NULL with none
    recorded: the schedule then shows the next one to come, never a late one). Stored and
    indexed so the queue's "health assessments late" is one index range count, not a
    per-row computation; filled here for the rows already there, then kept in step by
    ``services.registers`` on every write that changes what it is counted from."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_assessment_due", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_register_entry_health_assessment_due", ["health_assessment_due"], unique=False
        )
    _fill_health_assessment_due(op.get_bind())


def _fill_health_assessment_due(bind: "sa.Connection") -> None:  # noqa: F821 - imported late
    """Each looked-after entry with an assessment recorded since entering care: the review
    after the latest (``rules.lac_review_health_assessment_due``, the rule the app uses)."""
    from datetime import date

    import sqlalchemy as sa

    from coordinator_tui.services.rules import LAC_REGISTERS, lac_review_health_assessment_due

    found = bind.execute(
        sa.text(
            "SELECT e.id, max(c.occurred_on), p.date_of_birth"
            " FROM register_entry e"
            " JOIN register_category k ON k.id = e.category_id"
            " JOIN person p ON p.id = e.person_id"
            " JOIN chronology_entry c ON c.person_id = e.person_id"
            " WHERE k.code IN :codes AND e.start_date IS NOT NULL"
            " AND c.kind = 'health_assessment' AND c.occurred_on >= e.start_date"
            " GROUP BY e.id, p.date_of_birth"
        ).bindparams(sa.bindparam("codes", expanding=True)),
        {"codes": list(LAC_REGISTERS)},
    ).all()

    def day(value: object) -> date:  # SQLite hands back its ISO text
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

    changes = [
        {"id": entry_id, "due": lac_review_health_assessment_due(day(latest), day(born))}
        for entry_id, latest, born in found
    ]
    if changes:
        bind.execute(
            sa.text(
                "UPDATE register_entry SET health_assessment_due = :due WHERE id = :id"
            ).bindparams(sa.bindparam("due", type_=sa.Date())),
            changes,
        )


def _downgrade_lists() -> None:
    from alembic import op

    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_register_entry_health_assessment_due")
        batch_op.drop_column("health_assessment_due")
