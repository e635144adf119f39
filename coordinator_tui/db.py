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
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

from coordinator_tui.services import audit

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


class DatabaseOpenError(Exception):
    """The database cannot be opened safely; the message is one line for the user."""


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the data lives: an SQLAlchemy URL and, for SQLite files, the path."""

    url: str
    path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def display(self) -> str:
        """The location for messages, with any password hidden."""
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)


def resolve_target(db: str) -> DatabaseTarget:
    """Turn ``--db`` / ``COORDINATOR_TUI_DB`` (a path or an SQLAlchemy URL) into a target."""
    if "://" in db:
        url = make_url(db)
        if url.drivername.startswith("sqlite"):
            if not url.database or url.database == ":memory:":
                return DatabaseTarget(db, None)
            path = Path(url.database).expanduser().resolve()
            return DatabaseTarget(f"sqlite:///{path}", path)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return DatabaseTarget(url.render_as_string(hide_password=False), None)
    path = Path(db).expanduser().resolve()
    return DatabaseTarget(f"sqlite:///{path}", path)


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def create_db_engine(target: DatabaseTarget) -> Engine:
    """An engine with the house settings (SQLite: WAL, foreign keys, full sync, busy wait)."""
    if target.is_sqlite:
        engine = create_engine(
            target.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(target.url, pool_pre_ping=True)


def _check_sqlite_path(path: Path) -> bool:
    """Refuse unusable paths before SQLite touches them. Returns True if the file is new."""
    if path.exists():
        if path.is_dir():
            raise DatabaseOpenError(f"{path} is a folder, not a database file")
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise DatabaseOpenError(f"Cannot read {path}: {exc.strerror}") from exc
        if header and header != SQLITE_HEADER:
            raise DatabaseOpenError(f"{path} is not a Coordinator TUI database (not SQLite)")
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise DatabaseOpenError(f"Cannot write to {path}: permission denied")
        return not header
    parent = path.parent
    try:
        if not parent.exists():
            parent.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise DatabaseOpenError(f"Cannot create folder {parent}: {exc.strerror}") from exc
    if not os.access(parent, os.W_OK):
        raise DatabaseOpenError(f"Cannot write to {parent}: permission denied")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except OSError as exc:
        raise DatabaseOpenError(f"Cannot create {path}: {exc.strerror}") from exc
    return True


def alembic_config(connection=None) -> Config:
    """Alembic config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


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
    created = _check_sqlite_path(target.path) if target.path is not None else False
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
        if current is not None and not _known_revision(current):
            raise DatabaseOpenError(
                f"{target.display} was written by a newer version of Coordinator TUI "
                f"(schema {current}); upgrade the app to open it"
            )
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
    """A unit of work: commits on success, rolls back (audit rows too) on any error."""
    session = AppSession(engine, expire_on_commit=False)
    session.info["actor"] = actor
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def new_session(engine: Engine, actor: str) -> AppSession:
    """A long-lived session for a screen's reads; callers commit writes themselves."""
    session = AppSession(engine, expire_on_commit=False)
    session.info["actor"] = actor
    return session
