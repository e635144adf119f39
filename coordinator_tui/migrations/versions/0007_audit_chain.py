"""The audit trail chained by hashes (issue 17 section 4).

``audit_event`` gains ``prev_hash`` and ``row_hash`` (``models.audit.chain_hash``). The
rows already there are chained here, in id order from the genesis hash, so ``db verify``
covers the whole trail from this upgrade on (what was edited before it cannot be told).
On PostgreSQL a trigger then refuses UPDATE, DELETE and TRUNCATE of the table: the app
never changes an audit row, and nobody else should.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coordinator_tui.models.audit import GENESIS, chain_hash

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAGE = 5000

_APPEND_ONLY = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% on audit_event refused)', TG_OP;
END
$$
"""


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    audit = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("table_name", sa.String()),
        sa.column("row_id", sa.Integer()),
        sa.column("changes", sa.String()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    write = (
        sa.update(audit)
        .where(audit.c.id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev"), row_hash=sa.bindparam("b_hash"))
    )
    previous, after = GENESIS, None
    while True:
        query = (
            sa.select(
                audit.c.id,
                audit.c.at,
                audit.c.actor,
                audit.c.action,
                audit.c.table_name,
                audit.c.row_id,
                audit.c.changes,
            )
            .order_by(audit.c.id)
            .limit(_PAGE)
        )
        if after is not None:
            query = query.where(audit.c.id > after)
        page = bind.execute(query).all()
        if not page:
            return
        values = []
        for row_id, at, actor, action, table_name, target, changes in page:
            digest = chain_hash(previous, at, actor, action, table_name, target, changes)
            values.append({"b_id": row_id, "b_prev": previous, "b_hash": digest})
            previous = digest
        bind.execute(write, values)
        after = page[-1][0]


def upgrade() -> None:
    # --- audit chain (issue 17 section 4) ---
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    # --- audit chain (issue 17 section 4) ---
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
