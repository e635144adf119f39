"""Schema changes of the eleventh session's work.

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each section adds its own tables, columns and indexes."""
    _upgrade_rota_packs()


def downgrade() -> None:
    """Each section removes what it added, in reverse order."""
    _downgrade_rota_packs()


# -- rota weeks kept packed by day, invalidated by triggers (issue 23 §1) ---------------------

# The triggers' names. ``services.rota.week_pack`` trusts a pack only while every one of
# them is in the database (a later migration that rebuilds ``visit`` or
# ``visit_assignment`` would drop them); keep the two lists the same
# (``tests/test_rota_week_pack.py`` checks it).
SQLITE_TRIGGERS = (
    "rota_pack_visit_insert",
    "rota_pack_visit_update",
    "rota_pack_visit_delete",
    "rota_pack_assignment_insert",
    "rota_pack_assignment_update",
    "rota_pack_assignment_delete",
)
POSTGRESQL_TRIGGERS = (
    "rota_pack_visit",
    "rota_pack_visit_truncate",
    "rota_pack_assignment",
    "rota_pack_assignment_truncate",
)

# The visit columns a rota week reads: a change to any other (tasks, times recorded on the
# day) leaves the day's pack as it was.
_VISIT_COLUMNS = (
    "visit_date, start_at, end_at, status, carers_required, required_skills, customer_id"
)
_ASSIGNMENT_COLUMNS = "visit_id, carer_id, slot"


def _sqlite_touch(day: str, where: str = "") -> str:
    """One day's generation bumped (made 1 if it had no row) inside a SQLite trigger."""
    condition = f" WHERE {where}" if where else " WHERE 1"
    return (
        "INSERT INTO rota_pack_generation (scope, generation) "
        f"SELECT substr({day}, 1, 10), 1{condition} "
        "ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;"
    )


def _sqlite_touch_visit(visit_id: str) -> str:
    """The day of visit ``visit_id`` bumped (none if the visit is gone)."""
    return (
        "INSERT INTO rota_pack_generation (scope, generation) "
        f"SELECT substr(visit_date, 1, 10), 1 FROM visit WHERE id = {visit_id} "
        "ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;"
    )


def _upgrade_rota_packs() -> None:
    """``rota_pack_generation``, ``rota_pack`` and the triggers that keep the first in step
    with the visits (``models.rota.RotaPack``): a rota week whose days have not changed
    since it was last opened is read from a few packed rows, not 17,000 at ten times the
    demo. Triggers, not the app's flush hooks, so a visit written any way at all (a bulk
    load, SQL typed by hand, another version of the app) makes its day's pack stale."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "rota_pack_generation",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "rota_pack",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgresql_triggers()
        return
    statements = {
        "rota_pack_visit_insert": ("AFTER INSERT ON visit", _sqlite_touch("NEW.visit_date")),
        "rota_pack_visit_update": (
            f"AFTER UPDATE OF {_VISIT_COLUMNS} ON visit",
            _sqlite_touch("OLD.visit_date")
            + _sqlite_touch(
                "NEW.visit_date", "substr(NEW.visit_date, 1, 10) != substr(OLD.visit_date, 1, 10)"
            ),
        ),
        "rota_pack_visit_delete": ("AFTER DELETE ON visit", _sqlite_touch("OLD.visit_date")),
        "rota_pack_assignment_insert": (
            "AFTER INSERT ON visit_assignment",
            _sqlite_touch_visit("NEW.visit_id"),
        ),
        "rota_pack_assignment_update": (
            f"AFTER UPDATE OF {_ASSIGNMENT_COLUMNS} ON visit_assignment",
            _sqlite_touch_visit("OLD.visit_id") + _sqlite_touch_visit("NEW.visit_id"),
        ),
        "rota_pack_assignment_delete": (
            "AFTER DELETE ON visit_assignment",
            _sqlite_touch_visit("OLD.visit_id"),
        ),
    }
    assert tuple(statements) == SQLITE_TRIGGERS
    for name, (when, body) in statements.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


def _postgresql_triggers() -> None:
    """The same on PostgreSQL: one row trigger a table, and a statement trigger for
    ``TRUNCATE`` (which fires no row trigger) that bumps the generation every pack is
    also labelled with (scope ``*``)."""
    from alembic import op

    op.execute(
        """
        CREATE FUNCTION rota_pack_touch(changed text) RETURNS void LANGUAGE sql AS $$
            INSERT INTO rota_pack_generation (scope, generation) VALUES (changed, 1)
            ON CONFLICT (scope) DO UPDATE SET generation = rota_pack_generation.generation + 1
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION rota_pack_visit_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM rota_pack_touch(to_char(OLD.visit_date, 'YYYY-MM-DD'));
            END IF;
            IF TG_OP = 'INSERT'
                    OR (TG_OP = 'UPDATE' AND NEW.visit_date IS DISTINCT FROM OLD.visit_date) THEN
                PERFORM rota_pack_touch(to_char(NEW.visit_date, 'YYYY-MM-DD'));
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION rota_pack_assignment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM rota_pack_touch(to_char(v.visit_date, 'YYYY-MM-DD'))
                FROM visit v WHERE v.id = OLD.visit_id;
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.visit_id <> OLD.visit_id) THEN
                PERFORM rota_pack_touch(to_char(v.visit_date, 'YYYY-MM-DD'))
                FROM visit v WHERE v.id = NEW.visit_id;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION rota_pack_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM rota_pack_touch('*');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER rota_pack_visit AFTER INSERT OR DELETE OR UPDATE OF {_VISIT_COLUMNS} "
        "ON visit FOR EACH ROW EXECUTE PROCEDURE rota_pack_visit_changed()"
    )
    op.execute(
        "CREATE TRIGGER rota_pack_visit_truncate AFTER TRUNCATE ON visit "
        "FOR EACH STATEMENT EXECUTE PROCEDURE rota_pack_cleared()"
    )
    op.execute(
        "CREATE TRIGGER rota_pack_assignment AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_ASSIGNMENT_COLUMNS} ON visit_assignment "
        "FOR EACH ROW EXECUTE PROCEDURE rota_pack_assignment_changed()"
    )
    op.execute(
        "CREATE TRIGGER rota_pack_assignment_truncate AFTER TRUNCATE ON visit_assignment "
        "FOR EACH STATEMENT EXECUTE PROCEDURE rota_pack_cleared()"
    )


def _downgrade_rota_packs() -> None:
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        for name, table in (
            ("rota_pack_assignment_truncate", "visit_assignment"),
            ("rota_pack_assignment", "visit_assignment"),
            ("rota_pack_visit_truncate", "visit"),
            ("rota_pack_visit", "visit"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in (
            "rota_pack_cleared()",
            "rota_pack_assignment_changed()",
            "rota_pack_visit_changed()",
            "rota_pack_touch(text)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for name in reversed(SQLITE_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("rota_pack")
    op.drop_table("rota_pack_generation")
