"""Opening the database: URL resolution, safety checks, pragmas, migrations, sessions.

One entry point, :func:`open_database`, is used by the app, the CLI and the tests. It
refuses (with :class:`DatabaseOpenError`, one line, the file untouched) a file that is not
an SQLite database, a database written by a newer version of the app, and a path that
cannot be written; it upgrades an older database after taking a backup copy beside it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

from coordinator_tui.preflight import (
    DatabaseOpenError,
    DatabaseTarget,
    check_revision_known,
    check_sqlite_file,
    check_sqlite_path,
    head_revision,
    resolve_target,
)
from coordinator_tui.services import audit
from coordinator_tui.services.errors import from_database_error

__all__ = [
    "AppSession",
    "DatabaseOpenError",
    "DatabaseTarget",
    "OpenedDatabase",
    "backup_sqlite",
    "create_db_engine",
    "head_revision",
    "new_session",
    "open_database",
    "resolve_target",
    "session_scope",
    "upgrade",
]

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 32 * 1024
"""SQLite's page cache per connection (filled only as pages are read, so a connection that
reads little stays small). The default 2 MB is small beside a PCN's person table (about
17 MB for 100,000 people): lists read it again from the OS each time."""


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # negative: in KiB
    cursor.close()


def create_db_engine(target: DatabaseTarget) -> Engine:
    """An engine with the house settings (SQLite: WAL, foreign keys, full sync, busy wait,
    a 32 MB page cache)."""
    if target.is_sqlite:
        engine = create_engine(
            target.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(target.url, pool_pre_ping=True)


def alembic_config(connection=None) -> Config:
    """Alembic config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_sqlite(source: Path, destination: Path) -> Path:
    """Copy a live SQLite database with the online backup API (safe while in use)."""
    if destination.exists():
        raise DatabaseOpenError(f"{destination} already exists")
    fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(destination)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    return destination


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision`` on this engine."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


@dataclass
class OpenedDatabase:
    """An engine ready for use, and what was done to get there."""

    target: DatabaseTarget
    engine: Engine
    revision: str
    upgraded_from: str | None = None
    backup_path: Path | None = None
    created: bool = False


def open_database(db: str, *, migrate: bool = True) -> OpenedDatabase:
    """Open (creating or upgrading as needed) the database named by ``db``.

    ``migrate=False`` opens without changing the schema (``db check``); a database that
    is behind is then reported but left alone.
    """
    target = resolve_target(db)
    created = check_sqlite_path(target.path) if target.path is not None else False
    engine = create_db_engine(target)
    try:
        try:
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
                current = MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise DatabaseOpenError(
                f"Cannot open {target.display}: {str(exc.orig).splitlines()[0]}"
            ) from exc
        except SQLAlchemyError as exc:
            raise DatabaseOpenError(f"Cannot open {target.display}: {exc}") from exc
        if current is None and tables - {"alembic_version"}:
            raise DatabaseOpenError(
                f"{target.display} holds other tables: not a Coordinator TUI database"
            )
        check_revision_known(current, target.display)
        head = head_revision()
        opened = OpenedDatabase(target, engine, current or "", created=created or current is None)
        if current != head and migrate:
            if current is not None and target.path is not None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                opened.backup_path = backup_sqlite(
                    target.path, target.path.with_name(f"{target.path.name}.{current}.{stamp}.bak")
                )
            upgrade(engine)
            opened.upgraded_from = current
            opened.revision = head
        if target.path is not None:
            os.chmod(target.path, 0o600)
        return opened
    except BaseException:
        engine.dispose()
        raise


class AppSession(Session):
    """The session every write goes through: it writes the audit trail as it flushes."""


audit.install(AppSession)


@contextmanager
def session_scope(engine: Engine, actor: str) -> Iterator[AppSession]:
    """A unit of work: commits on success, rolls back (audit rows too) on any error.

    A stale write (``StaleDataError``) and a database that cannot take the write (locked,
    timed out, connection lost) come out as :class:`CoordinatorError` subclasses, so the
    screen that saved says one line and keeps what was typed instead of ending the app."""
    session = AppSession(engine, expire_on_commit=False)
    session.info["actor"] = actor
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        translated = from_database_error(exc)
        if translated is not None:
            # One line for the coordinator; the driver's text (which may quote SQL
            # parameters, a person's details among them) stays out of the message.
            raise translated from exc
        raise
    finally:
        session.close()


def new_session(engine: Engine, actor: str) -> AppSession:
    """A long-lived session for a screen's reads; callers commit writes themselves."""
    session = AppSession(engine, expire_on_commit=False)
    session.info["actor"] = actor
    return session


@dataclass(frozen=True)
class CheckReport:
    """What ``db check`` prints."""

    integrity: str
    revision: str | None
    head: str


def check_database(engine: Engine) -> CheckReport:
    """Integrity (SQLite ``PRAGMA integrity_check``; PostgreSQL: a round trip) and revision."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            integrity = "ok" if rows == ["ok"] else "; ".join(rows[:5])
        else:
            conn.exec_driver_sql("SELECT 1")
            integrity = "ok"
        revision = MigrationContext.configure(conn).get_current_revision()
    return CheckReport(integrity, revision, head_revision())


def restore_sqlite(source: Path, destination: Path) -> None:
    """Replace ``destination`` with a copy of the backup ``source``, atomically.

    The backup is checked first (an SQLite file of a schema this app knows), copied to a
    temporary file beside the destination, and only then moved over it, so a failure part
    way leaves the old database as it was.
    """
    if not source.is_file():
        raise DatabaseOpenError(f"{source} does not exist")
    if check_sqlite_file(source):
        raise DatabaseOpenError(f"{source} is empty: not a backup")
    tmp = destination.with_name(f".{destination.name}.restoring")
    if tmp.exists():
        tmp.unlink()
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    backup_sqlite(source, tmp)
    for suffix in ("-wal", "-shm"):
        side = destination.with_name(destination.name + suffix)
        if side.exists():
            side.unlink()
    os.replace(tmp, destination)
