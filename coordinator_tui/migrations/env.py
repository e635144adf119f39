"""Alembic environment: always driven from ``coordinator_tui.db`` with an open connection.

There is no alembic.ini; ``coordinator_tui.db.alembic_config`` builds the config and puts
the connection in ``config.attributes["connection"]`` so that upgrades run inside the
app's own engine (same pragmas, same transaction rules).

The connection arrives inside a transaction that ``coordinator_tui.db.upgrade`` opened
and commits: every revision of one upgrade runs in it (Alembic adds no transaction of its
own to an external one), so a kill or an error leaves the old schema or the new one.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import coordinator_tui.models  # noqa: F401 - registers every table on the metadata

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("coordinator_tui migrations must be run through coordinator_tui.db")
    if not connection.in_transaction():
        raise RuntimeError("migrations run inside coordinator_tui.db.upgrade's one transaction")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Offline (SQL script) migrations are not supported")
run_migrations_online()
