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
    # --- data hygiene ---
    _clean_control_characters()
    # --- meetings ---
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("carried_note", sa.String(length=300), nullable=False, server_default="")
        )
    # --- registers and concerns ---
    # --- referrals ---
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strategy_discussion_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_chased_on", sa.Date(), nullable=True))
    _referrals_backfill()
    # --- rota ---
    op.create_table(
        "absence_cover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("absence_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("absent_carer_id", sa.Integer(), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("moved_from", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["absence_id"], ["absence.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.ForeignKeyConstraint(["absent_carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["action.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("absence_id", "visit_id"),
    )
    with op.batch_alter_table("absence_cover", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_absence_cover_absence_id"), ["absence_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_absence_cover_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    # --- rota ---
    with op.batch_alter_table("absence_cover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_cover_visit_id"))
        batch_op.drop_index(batch_op.f("ix_absence_cover_absence_id"))
    op.drop_table("absence_cover")
    # --- referrals ---
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("last_chased_on")
        batch_op.drop_column("strategy_discussion_on")
    # --- registers and concerns ---
    # --- meetings ---
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("carried_note")


# --- referrals ---
def _referrals_backfill() -> None:
    """Existing data to the new rules: each referral's last chase as the coordinator's
    day (UK time) it was made on, and no chase-by date on a referral whose outcome is in
    (nothing is awaited from the agency; a date set by hand is kept)."""
    from datetime import datetime

    from coordinator_tui.clock import to_local

    bind = op.get_bind()
    chase = sa.table(
        "referral_chase",
        sa.column("referral_id", sa.Integer()),
        sa.column("chased_at", sa.DateTime(timezone=True)),
    )
    referral = sa.table(
        "referral",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("chase_by", sa.Date()),
        sa.column("chase_by_overridden", sa.Boolean()),
        sa.column("last_chased_on", sa.Date()),
    )
    last = bind.execute(
        sa.select(chase.c.referral_id, sa.func.max(chase.c.chased_at)).group_by(chase.c.referral_id)
    ).all()
    for referral_id, chased_at in last:
        if isinstance(chased_at, str):  # a driver that hands back the stored text
            chased_at = datetime.fromisoformat(chased_at)
        bind.execute(
            sa.update(referral)
            .where(referral.c.id == referral_id)
            .values(last_chased_on=to_local(chased_at).date())
        )
    bind.execute(
        sa.update(referral)
        .where(referral.c.state == "outcome_received", referral.c.chase_by_overridden.is_(False))
        .values(chase_by=None)
    )


# --- data hygiene ---
def _clean_control_characters() -> None:
    """Text written before control characters were stripped at input (issue 12 §6): a
    name imported with ``ESC ] 0 ; ... BEL`` in it would set the terminal's title wherever
    a widget draws it. Every string column of every table is cleaned by the same rule as
    input (``services.safe_text.clean_text``; one-line columns as ``services.audit``
    lists them). The audit trail records how many values of which column were cleaned,
    never the values."""
    import json
    from datetime import UTC, datetime

    from coordinator_tui.audit import ONE_LINE_COLUMNS
    from coordinator_tui.services.safe_text import clean_text, has_controls

    bind = op.get_bind()
    inspector = sa.inspect(bind)
    cleaned: dict[str, int] = {}
    for table_name in inspector.get_table_names():
        if table_name in {"alembic_version", "audit_event"}:
            continue  # the trail itself is never rewritten
        columns = [
            column["name"]
            for column in inspector.get_columns(table_name)
            if isinstance(column["type"], sa.String)
        ]
        keys = [c["name"] for c in inspector.get_columns(table_name)]
        if not columns or "id" not in keys:
            continue
        table = sa.table(table_name, sa.column("id"), *(sa.column(c) for c in columns))
        for row in bind.execute(sa.select(table)).mappings():
            changes = {}
            for name in columns:
                value = row[name]
                if isinstance(value, str) and has_controls(value):
                    clean = clean_text(value, multiline=name not in ONE_LINE_COLUMNS)
                    if clean != value:
                        changes[name] = clean
                        cleaned[f"{table_name}.{name}"] = cleaned.get(f"{table_name}.{name}", 0) + 1
            if changes:
                bind.execute(sa.update(table).where(table.c.id == row["id"]).values(**changes))
    if cleaned:
        audit = sa.table(
            "audit_event",
            sa.column("at"),
            sa.column("actor"),
            sa.column("action"),
            sa.column("table_name"),
            sa.column("row_id"),
            sa.column("changes"),
        )
        bind.execute(
            sa.insert(audit).values(
                at=datetime.now(UTC),
                actor="schema upgrade 0004",
                action="note",
                table_name="*",
                row_id=None,
                changes=json.dumps(
                    {"note": "control characters removed from stored text", "cleaned": cleaned},
                    sort_keys=True,
                ),
            )
        )
