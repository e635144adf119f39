"""A real SIGKILL while the database is being created or upgraded (issue 12 section 3).

Each run is a fresh ``coordinator-tui db upgrade`` process that kills itself with SIGKILL
at a chosen point: before the Nth SQL statement it sends (counted by an engine event, so
the point is the same on every machine), after the upgrade committed but before the new
file is moved into place, or right after the backup. Whatever the point, the database
must open afterwards, at the newest schema, with the data it held.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.db import (
    create_db_engine,
    open_database,
    resolve_target,
    session_scope,
    upgrade,
)
from coordinator_tui.models import Practice
from coordinator_tui.preflight import head_revision

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    where, db = sys.argv[1], sys.argv[2]
    count = 0

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(Engine, "before_cursor_execute")
    def count_statements(*args):
        global count
        count += 1
        if where.isdigit() and count == int(where):
            die()

    import coordinator_tui.db as db_module

    if where == "move":  # the new database is complete, not yet in place
        def link(*args):
            die()
        db_module.os.link = link
    if where == "after-backup":  # the backup is taken, the upgrade not started
        real_upgrade = db_module.upgrade
        def upgrade(engine, revision="head"):
            die()
        db_module.upgrade = upgrade

    from coordinator_tui.cli import main
    try:
        main(["db", "upgrade", "--db", db])
    finally:
        print("statements", count, flush=True)
    """
)


def _run(where: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COORDINATOR_TUI_DB"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, where, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _statements(db: Path) -> int:
    done = _run("count", db)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def _kill_points(total: int) -> list[str]:
    """The first statement, evenly spread ones, the last one: enough to land inside
    table creation, index creation, batch rebuilds and the version stamp."""
    spread = {1, total // 4, total // 2, (3 * total) // 4, total}
    return [str(n) for n in sorted(n for n in spread if n >= 1)]


def _assert_opens_at_head(db: Path) -> None:
    opened = open_database(str(db))
    try:
        assert opened.revision == head_revision()
    finally:
        opened.engine.dispose()


def test_kill_during_first_creation(tmp_path):
    """A first run killed at any point leaves no file, or a whole one: never a file
    that "is not a Coordinator TUI database" for ever after."""
    total = _statements(tmp_path / "count.db")
    assert total > 50
    for where in [*_kill_points(total), "move"]:
        db = tmp_path / f"new-{where}.db"
        done = _run(where, db)
        assert done.returncode == -signal.SIGKILL, (where, done.stderr)
        if db.exists():  # killed after the move: it must be complete
            conn = sqlite3.connect(db)
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
                head_revision(),
            )
            conn.close()
        _assert_opens_at_head(db)


def _old_database(path: Path) -> None:
    """A database at the first schema revision holding one practice."""
    engine = create_db_engine(resolve_target(str(path)))
    upgrade(engine, "0001")
    with session_scope(engine, "t") as session:
        session.add(Practice(ods_code="Y00001", name="Old Surgery", short_name="Old"))
    engine.dispose()


def test_kill_during_upgrade(tmp_path):
    """``db upgrade`` killed at any point leaves the old schema or the new one: the
    database opens afterwards (upgrading then), with its data."""
    template = tmp_path / "template.db"
    _old_database(template)
    counted = tmp_path / "count.db"
    counted.write_bytes(template.read_bytes())
    total = _statements(counted)
    assert total > 20
    for where in ["after-backup", *_kill_points(total)]:
        db = tmp_path / f"old-{where}.db"
        db.write_bytes(template.read_bytes())
        os.chmod(db, 0o600)
        done = _run(where, db)
        assert done.returncode == -signal.SIGKILL, (where, done.stderr)
        conn = sqlite3.connect(db)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        conn.close()
        assert revision in ("0001", head_revision()), where
        opened = open_database(str(db))
        try:
            assert opened.revision == head_revision()
            with session_scope(opened.engine, "t") as session:
                assert session.exec(select(Practice.name)).all() == ["Old Surgery"]
        finally:
            opened.engine.dispose()
