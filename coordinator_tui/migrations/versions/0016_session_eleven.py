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


# -- rota weeks kept packed, invalidated by triggers (issue 23 §1) -----------------------------

# What each pack's scope follows (``services.rota.week_pack``): a day's visits and the
# carers on them ("2026-12-07"), a week's kept hours ("hours:2026-11-30"), and the carers'
# skills, availability and the customers' preferences ("reference").
_VISIT_COLUMNS = (
    "visit_date, start_at, end_at, status, carers_required, required_skills, customer_id"
)
_ASSIGNMENT_COLUMNS = "visit_id, carer_id, slot"
_HOURS_COLUMNS = "carer_id, week_start, hours, source, shifts, night_shifts, customers"
REFERENCE_TABLES = ("carer_skill", "skill", "carer_availability", "customer_carer_preference")

# The triggers' names. ``services.rota.week_pack`` trusts a pack only while every one of
# them is in the database (a later migration that rebuilds one of these tables would drop
# its triggers); keep the lists the same (``tests/test_rota_week_pack.py`` checks it).
SQLITE_TRIGGERS = (
    "rota_pack_visit_insert",
    "rota_pack_visit_update",
    "rota_pack_visit_delete",
    "rota_pack_assignment_insert",
    "rota_pack_assignment_update",
    "rota_pack_assignment_delete",
    "rota_pack_hours_insert",
    "rota_pack_hours_update",
    "rota_pack_hours_delete",
    *(
        f"rota_pack_{table}_{event}"
        for table in REFERENCE_TABLES
        for event in ("insert", "update", "delete")
    ),
)
POSTGRESQL_TRIGGERS = (
    "rota_pack_visit",
    "rota_pack_visit_truncate",
    "rota_pack_assignment",
    "rota_pack_assignment_truncate",
    "rota_pack_hours",
    "rota_pack_hours_truncate",
    *(f"rota_pack_{table}" for table in REFERENCE_TABLES),
)


def _sqlite_touch(scope: str, where: str = "") -> str:
    """A scope's generation bumped (made 1 if it had no row) inside a SQLite trigger;
    ``scope`` an SQL expression."""
    condition = f" WHERE {where}" if where else " WHERE 1"
    return (
        "INSERT INTO rota_pack_generation (scope, generation) "
        f"SELECT {scope}, 1{condition} "
        "ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;"
    )


def _sqlite_touch_visit(visit_id: str) -> str:
    """The day of visit ``visit_id`` bumped (none if the visit is gone)."""
    return (
        "INSERT INTO rota_pack_generation (scope, generation) "
        f"SELECT substr(visit_date, 1, 10), 1 FROM visit WHERE id = {visit_id} "
        "ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;"
    )


def _sqlite_day(column: str) -> str:
    return f"substr({column}, 1, 10)"


def _sqlite_week(column: str) -> str:
    """The scope of the kept hours of the week holding ``column``'s day: its Monday."""
    return f"'hours:' || date({column}, '-6 days', 'weekday 1')"


def _upgrade_rota_packs() -> None:
    """``rota_pack_generation``, ``rota_pack`` and the triggers that keep the first in step
    with what the packs hold (``models.rota.RotaPack``): a rota week whose days have not
    changed since it was last opened is read from a few packed rows, not 17,000 at ten
    times the demo. Triggers, not the app's flush hooks, so a row written any way at all
    (a bulk load, SQL typed by hand, another version of the app) makes its pack stale."""
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
    day, week = _sqlite_day, _sqlite_week
    statements = {
        "rota_pack_visit_insert": ("AFTER INSERT ON visit", _sqlite_touch(day("NEW.visit_date"))),
        "rota_pack_visit_update": (
            f"AFTER UPDATE OF {_VISIT_COLUMNS} ON visit",
            _sqlite_touch(day("OLD.visit_date"))
            + _sqlite_touch(
                day("NEW.visit_date"), f"{day('NEW.visit_date')} != {day('OLD.visit_date')}"
            ),
        ),
        "rota_pack_visit_delete": ("AFTER DELETE ON visit", _sqlite_touch(day("OLD.visit_date"))),
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
        "rota_pack_hours_insert": (
            "AFTER INSERT ON carer_week_hours",
            _sqlite_touch(week("NEW.week_start")),
        ),
        "rota_pack_hours_update": (
            f"AFTER UPDATE OF {_HOURS_COLUMNS} ON carer_week_hours",
            _sqlite_touch(week("OLD.week_start"))
            + _sqlite_touch(
                week("NEW.week_start"), f"{day('NEW.week_start')} != {day('OLD.week_start')}"
            ),
        ),
        "rota_pack_hours_delete": (
            "AFTER DELETE ON carer_week_hours",
            _sqlite_touch(week("OLD.week_start")),
        ),
    }
    for table in REFERENCE_TABLES:
        for event in ("insert", "update", "delete"):
            statements[f"rota_pack_{table}_{event}"] = (
                f"AFTER {event.upper()} ON {table}",
                _sqlite_touch("'reference'"),
            )
    assert tuple(statements) == SQLITE_TRIGGERS
    for name, (when, body) in statements.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


def _postgresql_triggers() -> None:
    """The same on PostgreSQL: a row trigger for the visits, the carers on them and the
    kept hours (each bumps the scopes its rows are in), a statement trigger for the
    reference tables (their scope is one), and for ``TRUNCATE`` (which fires no row
    trigger) a statement trigger that bumps the generation every pack is also labelled
    with (scope ``*``)."""
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
        CREATE FUNCTION rota_pack_hours_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM rota_pack_touch(
                    'hours:' || to_char(date_trunc('week', OLD.week_start), 'YYYY-MM-DD'));
            END IF;
            IF TG_OP = 'INSERT'
                    OR (TG_OP = 'UPDATE' AND NEW.week_start IS DISTINCT FROM OLD.week_start) THEN
                PERFORM rota_pack_touch(
                    'hours:' || to_char(date_trunc('week', NEW.week_start), 'YYYY-MM-DD'));
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION rota_pack_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM rota_pack_touch('reference');
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
    for name, table, columns, function in (
        ("rota_pack_visit", "visit", _VISIT_COLUMNS, "rota_pack_visit_changed"),
        (
            "rota_pack_assignment",
            "visit_assignment",
            _ASSIGNMENT_COLUMNS,
            "rota_pack_assignment_changed",
        ),
        ("rota_pack_hours", "carer_week_hours", _HOURS_COLUMNS, "rota_pack_hours_changed"),
    ):
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH ROW EXECUTE PROCEDURE {function}()"
        )
        op.execute(
            f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE PROCEDURE rota_pack_cleared()"
        )
    for table in REFERENCE_TABLES:
        op.execute(
            f"CREATE TRIGGER rota_pack_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE rota_pack_reference_changed()"
        )


def _downgrade_rota_packs() -> None:
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        tables = {
            "rota_pack_visit": "visit",
            "rota_pack_visit_truncate": "visit",
            "rota_pack_assignment": "visit_assignment",
            "rota_pack_assignment_truncate": "visit_assignment",
            "rota_pack_hours": "carer_week_hours",
            "rota_pack_hours_truncate": "carer_week_hours",
            **{f"rota_pack_{table}": table for table in REFERENCE_TABLES},
        }
        for name in reversed(POSTGRESQL_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {tables[name]}")
        for function in (
            "rota_pack_cleared()",
            "rota_pack_reference_changed()",
            "rota_pack_hours_changed()",
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
