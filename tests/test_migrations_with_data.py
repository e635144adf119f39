"""Upgrading a database that holds homecare data from before migration 0003 to the head.

Migrations 0003 and 0004 fill new columns from existing rows with the app's own code
(``services.rota.week_hours.backfill``, ``clock.to_local``, ``services.safe_text``). That
code moves on with the schema: if it ever reads a column added by a later migration, an
upgrade from an old practice's file fails half-way. This test keeps them honest: rows
written at revision 0002 (by reflecting the tables as they were then, not the models of
today) upgrade to the head with their weekly hours backfilled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from coordinator_tui.db import create_db_engine, open_database, resolve_target, upgrade


def _filled(column: sa.Column, given: dict) -> object:
    """A value for a column the test does not care about: its given value, else
    something of its type when it may not be empty."""
    if column.name in given:
        return given[column.name]
    if column.nullable or column.primary_key or column.server_default is not None:
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        return 1 if column.name == "version" else 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 5, 9, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 5)
    if isinstance(kind, sa.Time):
        return time(9, 0)
    return "x"


def _insert(connection: sa.Connection, meta: sa.MetaData, table: str, **given: object) -> None:
    reflected = meta.tables[table]
    values = {c.name: _filled(c, given) for c in reflected.columns}
    connection.execute(
        sa.insert(reflected).values({k: v for k, v in values.items() if v is not None})
    )


def test_homecare_rows_written_at_0002_upgrade_to_head_with_week_hours(tmp_path):
    path = tmp_path / "old.db"
    engine = create_db_engine(resolve_target(str(path)))
    upgrade(engine, "0002")
    meta = sa.MetaData()
    with engine.begin() as connection:
        meta.reflect(connection)
        _insert(connection, meta, "carer", id=1, name="Carer One", transport_mode="car")
        _insert(connection, meta, "customer", id=1, name="Customer One")
        _insert(
            connection,
            meta,
            "visit",
            id=1,
            customer_id=1,
            visit_date=date(2026, 1, 5),
            start_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
            end_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
            carers_required=1,
            status="planned",
        )
        _insert(connection, meta, "visit_assignment", id=1, visit_id=1, carer_id=1)
    engine.dispose()

    opened = open_database(str(path))
    try:
        assert opened.upgraded_from == "0002"
        with opened.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT carer_id, week_start FROM carer_week_hours")
            ).all()
        assert [(carer, str(week)) for carer, week in rows] == [(1, "2026-01-05")]
    finally:
        opened.engine.dispose()
