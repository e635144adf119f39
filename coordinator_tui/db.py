"""Opening the database: URL resolution, safety checks, pragmas, migrations, sessions.

One entry point, :func:`open_database`, is used by the app, the CLI and the tests. It
refuses (with :class:`DatabaseOpenError`, one line, the file untouched) a file that is not
an SQLite database, a device, a damaged file, a database written by a newer version of the
app, a half-done upgrade, and a path that cannot be written; it upgrades an older database
after taking a backup copy beside it.

What survives a kill (``tests/test_db_kill.py`` kills real processes to check):

- a new SQLite database is built in a temporary file beside its place and moved there
  only when complete, so a first run killed part way leaves no file, or a whole one;
- every upgrade runs in one transaction (SQLite too: its DDL is transactional once the
  driver's own transaction handling is set aside, :func:`create_db_engine` with
  ``schema_work``), so a kill leaves the old schema or the new one, never a mix;
- a file half-upgraded by an older version of the app is recognised, and the message
  names the backup taken before that upgrade and the command that restores it.
"""

from __future__ import annotations

import glob
import os
import re
import select
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import Session, create_engine

from coordinator_tui import audit, keyslots
from coordinator_tui.preflight import (
    DatabaseOpenError,
    DatabaseTarget,
    check_driver,
    check_revision_known,
    check_sqlite_file,
    check_sqlite_path,
    damaged_message,
    head_revision,
    is_damage,
    only_our_tables,
    resolve_target,
)
from coordinator_tui.services.errors import from_database_error
from coordinator_tui.services.rota import week_hours

if TYPE_CHECKING:
    from alembic.config import Config

    from coordinator_tui.services.access import Principal

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
    "release_memory",
    "resolve_target",
    "restore_sqlite",
    "session_scope",
    "upgrade",
]

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 32 * 1024
"""SQLite's page cache per connection (filled only as pages are read, so a connection that
reads little stays small). The default 2 MB is small beside a PCN's person table (about
17 MB for 100,000 people): lists read it again from the OS each time."""
PG_LOCK_TIMEOUT_MS = 5000
"""PostgreSQL: the longest a statement waits for a row or table locked by another
session before it gives up (SQLSTATE 55P03). A save then fails in 5 s with one line
("another user or window is saving"), like SQLite's busy timeout, instead of hanging the
screen on a colleague's open transaction."""
PG_STATEMENT_TIMEOUT_MS = 10000
"""PostgreSQL: the longest any one statement may run (SQLSTATE 57014). Nothing the app
asks should take more than a second or so; this only ends a statement stuck behind
something unexpected. Schema upgrades run without it (an index on a large table may
take longer), but still with the lock timeout."""
POOL_SIZE = 2
"""SQLite: connections the pool keeps between uses (more are opened while more threads read
at once, and closed when handed back). Each kept connection keeps its page cache, so five
(SQLAlchemy's default) kept up to five copies of the same pages (issue 23 §1: 70 MiB of
page caches at ten times the data); two serve the UI's read and one background read."""
STALE_TEMP_SECONDS = 600
"""A temporary new database older than this is one a killed first run left behind."""


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # negative: in KiB
    cursor.close()


def _sqlite_schema_work(dbapi_connection, _record) -> None:
    """Schema changes: the driver opens no transactions of its own (SQLAlchemy's "BEGIN"
    below does, so DDL is inside it), and foreign keys are checked once at the end
    (``PRAGMA foreign_key_check``), as SQLite's own procedure for altering tables says:
    a table rebuilt by a batch operation is dropped and re-created mid-transaction."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _begin_immediate(connection) -> None:
    # IMMEDIATE: take the write lock at the start (waiting the busy timeout for a save in
    # progress elsewhere), so the upgrade cannot fail half way for want of it.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(target: DatabaseTarget, *, schema_work: bool = False) -> Engine:
    """An engine with the house settings (SQLite: WAL, foreign keys, full sync, busy wait,
    a 32 MB page cache; PostgreSQL: lock and statement timeouts on every connection).

    ``schema_work``: an engine for migrations, whose transactions hold DDL too (SQLite:
    the pysqlite recipe of SQLAlchemy's documentation, "Enabling Non-Legacy SQLite
    Transactional Modes"; PostgreSQL: no statement timeout)."""
    try:
        if target.is_sqlite:
            connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            if target.path is not None and keyslots.is_encrypted(target.path):
                engine = _cipher_engine(target.path, connect_args)
            else:
                engine = create_engine(
                    target.url, connect_args=connect_args, **_sqlite_pool(target)
                )
            event.listen(engine, "connect", _set_sqlite_pragmas)
            if schema_work:
                event.listen(engine, "connect", _sqlite_schema_work)
                event.listen(engine, "begin", _begin_immediate)
            return engine
        statement_ms = 0 if schema_work else PG_STATEMENT_TIMEOUT_MS
        engine = create_engine(
            target.url,
            connect_args={
                # libpq's startup options: set on the server for the whole session,
                # before the first statement, for every connection of the pool.
                "options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} "
                f"-c statement_timeout={statement_ms}"
            },
        )
        _install_pg_round_trips(engine, lazy_transactions=not schema_work)
        return engine
    except NoSuchModuleError as exc:
        raise DatabaseOpenError(f"unknown database URL scheme in {target.display}") from exc
    except ImportError as exc:
        raise DatabaseOpenError(
            f"the database driver for {target.display} is not installed ({exc.name})"
        ) from exc


# -- PostgreSQL: round trips (issue 23 §5) ------------------------------------------------

PING_AFTER_IDLE_S = 30.0
"""PostgreSQL: a pooled connection idle longer than this is pinged (``SELECT 1``) before
use, as a firewall or a server restart may have cut it silently meanwhile. One used more
recently is not: a screen's reads pay no extra round trip (2 ms each on a PCN's network)."""
_IDLE_SINCE = "coordinator_idle_since"
"""The pool record's ``info`` key: ``time.monotonic()`` when the connection was last
returned to the pool (or made)."""
_WRITE_WORDS = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|MERGE|INTO|LOCK|FOR\s+(?:KEY\s+)?SHARE)\b"
    r"|pg_advisory|set_config|nextval|setval",
    re.IGNORECASE,
)


def _install_pg_round_trips(engine: Engine, *, lazy_transactions: bool) -> None:
    """The PostgreSQL engine's pool checks and transactions, cut to the round trips that
    matter (issue 23 §5: every transaction paid three beyond its statements, the pool's
    ping, ``BEGIN`` and ``COMMIT``):

    - **no ping on a busy connection**: :func:`_check_out` pings only a connection idle
      longer than :data:`PING_AFTER_IDLE_S`, or one whose socket has something to read
      while no request is out (a server that shut down or restarted, or an administrator's
      ``pg_terminate_backend``, has written its goodbye and closed it); a dead one is
      replaced before use, as ``pool_pre_ping`` did (``tests/test_round_trips.py``);
    - **reads outside a transaction until the first write** (``lazy_transactions``, not
      for schema work): :func:`_reads_first`."""
    event.listen(engine, "connect", _note_idle)
    event.listen(engine, "checkin", _back_in_pool)
    event.listen(engine, "checkout", _check_out_for(engine))
    if lazy_transactions:
        event.listen(engine, "begin", _reads_first)
        event.listen(engine, "before_cursor_execute", _transaction_before_write)


def _note_idle(_dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _back_in_pool(dbapi_connection, record) -> None:
    """Returned to the pool (rolled back already): idle from now, and in the driver's
    ordinary mode again (transactions), for whatever uses the raw connection next."""
    record.info[_IDLE_SINCE] = time.monotonic()
    if dbapi_connection is not None and _idle_in_driver(dbapi_connection):
        dbapi_connection.autocommit = False


def _idle_in_driver(dbapi_connection) -> bool:
    """psycopg: the connection is open and in no transaction (its mode may change)."""
    try:
        return not dbapi_connection.closed and dbapi_connection.info.transaction_status == 0
    except Exception:  # not psycopg's connection, or one already broken
        return False


def _has_unread_bytes(dbapi_connection) -> bool:
    """Whether the server wrote to a connection that asked nothing (no round trip: the
    socket polled). On an idle connection that is a server shutting down or ending the
    session (its ``FATAL`` message and the close), or, rarely, a notice: either way the
    connection is pinged before use. True when the socket cannot be polled."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True
    return bool(readable)


def _check_out_for(engine: Engine) -> Callable[..., None]:
    dialect = engine.dialect

    def _check_out(dbapi_connection, record, _proxy) -> None:
        """Ping a connection idle past :data:`PING_AFTER_IDLE_S`, or with bytes waiting
        from the server; a failed ping (or a connection the driver knows is closed) is a
        ``DisconnectionError``, on which the pool drops it and checks out a new one (up to
        three times), so the screen's read runs on a live connection."""
        if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
            raise DisconnectionError("the server closed the connection")
        idle_since = record.info.get(_IDLE_SINCE)
        idle = idle_since is None or time.monotonic() - idle_since > PING_AFTER_IDLE_S
        if idle or _has_unread_bytes(dbapi_connection):
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as exc:
                raise DisconnectionError("the connection did not answer a ping") from exc

    return _check_out


def _reads_first(conn) -> None:
    """A unit of work starts outside a transaction (psycopg's autocommit, set on the
    client: no round trip); its first statement that writes or locks starts one
    (:func:`_transaction_before_write`), which commits or rolls back as before. A unit
    that only reads then sends its statements and nothing else: no ``BEGIN``, no
    ``COMMIT`` (two of a read's three extra round trips).

    Why a read is as consistent this way: at PostgreSQL's default isolation, READ
    COMMITTED, each statement sees the data committed when *it* starts, inside a
    transaction or not, so a read outside one returns what it would have returned in one.
    What a transaction adds is kept by switching before the statement that needs it: its
    own writes seen by its later reads (every statement after the first write is inside),
    row locks (``FOR UPDATE``/``FOR SHARE``), the audit chain's ``pg_advisory_xact_lock``,
    and atomic commit of its writes. Statements that must agree with each other are made
    as one statement. This is also what the SQLite driver has always done (it begins a
    transaction only before the first write), so the app's reads behave alike on both.
    Not done when the server's default isolation is stricter than READ COMMITTED (a
    snapshot shared by a transaction's statements would be lost)."""
    if conn.dialect.default_isolation_level not in (None, "READ COMMITTED"):
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and _idle_in_driver(dbapi_connection):
        dbapi_connection.autocommit = True


@cache
def _plain_read(statement: str) -> bool:
    """A statement that only reads (a ``SELECT`` or ``WITH``, writing nothing, locking
    nothing); anything else, or in doubt, needs the transaction. Cached: the ORM sends
    the same few hundred statement strings."""
    words = statement.split(None, 1)
    head = words[0].upper() if words else ""
    return head in ("SELECT", "WITH") and _WRITE_WORDS.search(statement) is None


def _transaction_before_write(_conn, cursor, statement, _parameters, _context, _many) -> None:
    """Before a statement that writes or locks, the unit of work leaves the driver's
    autocommit: psycopg sends ``BEGIN`` with the statement's turn, and the unit's commit
    (or rollback) ends that transaction, as if it had begun at the start."""
    dbapi_connection = cursor.connection
    if dbapi_connection.autocommit and not _plain_read(statement):
        dbapi_connection.autocommit = False


def _sqlite_pool(target: DatabaseTarget) -> dict[str, Any]:
    """A file's pool: at most :data:`POOL_SIZE` kept, the most recently returned handed out
    first (LIFO), so reads one after another reuse one connection and its warm page cache
    rather than going round all of them, each filling its own cache with the same pages.
    An in-memory database keeps SQLAlchemy's own pool (one connection holds the data)."""
    if target.path is None:
        return {}
    return {"pool_size": POOL_SIZE, "pool_use_lifo": True}


def release_memory(engine: Engine | None) -> dict[str, bool]:
    """Give back what a burst of reads left behind (issue 23 §1), once the sections
    prepared in the background have their data: each SQLite connection idle in the pool
    frees its page cache (``PRAGMA shrink_memory``; the pages stay in the operating
    system's file cache, so a later read costs a copy, not a disk read), and the C
    allocator returns its free pages to the system (glibc's ``malloc_trim``: the page
    caches and the threads' reads are freed into per-thread heaps that are otherwise kept).

    Safe to call from any thread at any time: a connection in use is not touched, and on a
    platform without ``malloc_trim`` (macOS, Windows, musl) that step is skipped. Returns
    what was done, for tests and the benchmark."""
    done = {"caches": False, "trimmed": False}
    if engine is not None and engine.dialect.name == "sqlite":
        done["caches"] = _shrink_idle_connections(engine)
    done["trimmed"] = malloc_trim()
    return done


def _shrink_idle_connections(engine: Engine) -> bool:
    """``PRAGMA shrink_memory`` on the connections idle in the pool now: as many are
    checked out as are idle (a read starting meanwhile gets another, opened for it) and
    handed straight back."""
    pool = engine.pool
    idle = pool.checkedin() if hasattr(pool, "checkedin") else 0
    held = []
    try:
        for _ in range(idle):
            held.append(engine.raw_connection())
        for connection in held:
            connection.driver_connection.execute("PRAGMA shrink_memory")
    except Exception:  # noqa: BLE001 - memory is a nicety: a failure here is no error
        return False
    finally:
        for connection in held:
            connection.close()
    return bool(held)


def malloc_trim() -> bool:
    """glibc's ``malloc_trim(0)``: free pages in every heap (each thread's too) go back to
    the system. False where there is no such call (not glibc) or it gave nothing back."""
    trim = _malloc_trim_function()
    if trim is None:
        return False
    try:
        return bool(trim(0))
    except OSError:
        return False


@cache
def _malloc_trim_function() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def _cipher_engine(path: Path, connect_args: dict) -> Engine:
    """An engine on an encrypted database through SQLAlchemy's SQLCipher dialect
    (``sqlite+pysqlcipher``), keyed with the data key this process unlocked
    (``keyslots.unlock``). The key is SQLCipher's raw form, so no key derivation runs per
    connection. The URL's password is the key: SQLAlchemy hides it whenever the URL is
    shown, and nothing in the app renders it but :func:`upgrade`, which does not."""
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import QueuePool

    key = keyslots.key_for(path)
    if key is None:
        raise keyslots.EncryptionError(
            f"{path} is encrypted: sign in to open it (coordinator-tui --user NAME ...)"
        )
    keyslots.cipher_module()
    settings = keyslots.cipher_settings(path)
    url = URL.create("sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path))
    # The dialect's default pool is one connection per thread (SingletonThreadPool);
    # the app's workers share a pool like the plain database's.
    engine = create_engine(
        url, connect_args=connect_args, poolclass=QueuePool, pool_size=POOL_SIZE, pool_use_lifo=True
    )
    event.listen(engine, "connect", _cipher_settings_listener(settings))
    return engine


def _cipher_settings_listener(settings: dict) -> Callable[..., None]:
    """Sets the file's SQLCipher format settings (``keyslots.CIPHER_SETTINGS``, or the
    older ones its key file records) on each new connection. The dialect sends the key
    first (its own connect handler, which runs before an engine's listeners) and nothing
    reads a page before this runs: a page read with other settings fails its HMAC check,
    and ``tests/test_encryption_cipher.py`` opens files of both settings."""
    statements = keyslots.cipher_pragmas(settings)

    def apply(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()

    return apply


def alembic_config(connection=None) -> Config:
    """Alembic config pointing at the migrations shipped in the package.

    Alembic is imported here, only when a schema is built or upgraded: it costs about
    160 ms, and a normal start of an up-to-date database never needs it (issue 23 §3)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None if it has none)."""
    with engine.connect() as conn:
        return _recorded_revision(conn, set(inspect(conn).get_table_names()))


def _recorded_revision(conn, tables: set[str]) -> str | None:
    """``alembic_version``'s row read with the driver, as Alembic's MigrationContext reads
    it, without importing Alembic; compared with ``preflight.head_revision()`` (read from
    the migration files) to decide whether Alembic is needed at all."""
    if "alembic_version" not in tables:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def backup_sqlite(source: Path, destination: Path) -> Path:
    """Copy a live SQLite database with the online backup API (safe while in use).

    The copy is written to a temporary name and given its own only when complete, so a
    backup cut short never looks like a good one. Readable by the owner only."""
    if destination.exists():
        raise DatabaseOpenError(f"{destination} already exists")
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        key = None
        if keyslots.is_encrypted(source):
            # An encrypted database's backup is encrypted with the same key, and its key
            # file goes beside it first: the backup opens with the same passwords.
            key = keyslots.key_for(source)
            if key is None:
                raise keyslots.EncryptionError(f"{source} is encrypted: sign in to back it up")
            keys = keyslots.read_keys(source)  # the cipher settings go with it
            keyslots.write_keys(source, keys, target=keyslots.keys_path(destination))
            src = keyslots.connect(Path(f"file:{source}?mode=ro"), key, keys.cipher, uri=True)
            dst = keyslots.connect(partial, key, keys.cipher)
        else:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            dst = sqlite3.connect(partial)
        try:
            with dst:
                src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the source's mode
        finally:
            dst.close()
            src.close()
        _move_into_place(partial, destination)
    finally:
        _remove_with_sidecars(partial)
    return destination


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove_with_sidecars(path: Path) -> None:
    for item in (path, *_sidecars(path)):
        item.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_into_place(temporary: Path, final: Path, *, replace: bool = False) -> bool:
    """Give a complete file its name in one step. Without ``replace`` an existing file of
    that name is never overwritten (False is returned: someone else made it first)."""
    _fsync(temporary)
    if replace:
        os.replace(temporary, final)
    else:
        try:
            os.link(temporary, final)  # fails, atomically, if ``final`` exists
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links
            if final.exists():
                return False
            os.rename(temporary, final)
    _fsync(final.parent)
    return True


def _schema_engine(engine: Engine) -> Engine:
    """An engine for migrations on ``engine``'s database. An SQLite file is named by its
    path (an encrypted one's key is found again in memory, never read back from the URL)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return create_db_engine(resolve_target(str(url.database)), schema_work=True)
    return create_db_engine(
        resolve_target(url.render_as_string(hide_password=False)), schema_work=True
    )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision`` on this engine's database, all in ONE
    transaction: a kill or an error at any point leaves the schema as it was before.

    On SQLite the migrations run on their own connection with the driver's implicit
    transactions off, and foreign keys are checked as a whole before the commit."""
    schema = _schema_engine(engine)
    try:
        with schema.begin() as conn:
            from alembic import command

            command.upgrade(alembic_config(conn), revision)
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise DatabaseOpenError(
                        f"the upgrade would leave records in '{broken[0]}' pointing at "
                        "nothing: not done, the database is as it was"
                    )
    finally:
        schema.dispose()


@cache
def tables_at_revision(revision: str) -> frozenset[str]:
    """The tables a database at ``revision`` has (built once in memory and read off)."""
    from alembic import command

    engine = sa_create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
            return frozenset(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@dataclass
class OpenedDatabase:
    """An engine ready for use, and what was done to get there."""

    target: DatabaseTarget
    engine: Engine
    revision: str
    upgraded_from: str | None = None
    backup_path: Path | None = None
    created: bool = False
    principal: Principal | None = None
    """Who works on it: set by the command line's sign-in (``cli.common.open_for_work``)."""


def open_database(db: str, *, migrate: bool = True) -> OpenedDatabase:
    """Open (creating or upgrading as needed) the database named by ``db``.

    ``migrate=False`` opens without changing the schema (``db check``); a database that
    is behind is then reported but left alone, and a missing file is not created.
    """
    target = resolve_target(db)
    check_driver(target)
    created = False
    if target.path is not None:
        to_make = check_sqlite_path(target.path, create=migrate)
        if to_make and not target.path.exists():
            created = _create_sqlite(target.path)
    return _open(target, migrate=migrate, created=created)


def _open(target: DatabaseTarget, *, migrate: bool, created: bool) -> OpenedDatabase:
    engine = create_db_engine(target)
    try:
        current, tables = _inspect(engine, target)
        ours = tables - {"alembic_version"}
        if current is None and ours:
            if target.path is not None and _left_by_a_killed_first_run(engine, ours):
                # Only this app's tables, every one empty: an older version was killed
                # while creating it. Nothing to lose; build it again.
                engine.dispose()
                _create_sqlite(target.path, replace=True)
                return _open(target, migrate=migrate, created=True)
            raise DatabaseOpenError(
                f"{target.display} holds other tables: not a Coordinator TUI database"
            )
        check_revision_known(current, target.display)
        head = head_revision()
        opened = OpenedDatabase(target, engine, current or "", created=created or current is None)
        if current != head and migrate:
            if current is not None and target.path is not None:
                _refuse_half_upgraded(target.path, current, tables)
                opened.backup_path = backup_sqlite(
                    target.path, _free_backup_name(target.path, current)
                )
            try:
                upgrade(engine)
            except BaseException as exc:
                # The upgrade ran in one transaction: the database is as it was, and the
                # backup just taken is a copy of it. Keep no pile of identical backups.
                if opened.backup_path is not None:
                    opened.backup_path.unlink(missing_ok=True)
                if isinstance(exc, SQLAlchemyError):
                    raise _open_error(exc, target, "upgrade") from None
                raise
            opened.upgraded_from = current
            opened.revision = head
        if target.path is not None and current is not None:
            _keep_private(target.path)
        return opened
    except BaseException:
        engine.dispose()
        raise


def _free_backup_name(path: Path, revision: str) -> Path:
    """``coordinator.db.<revision>.<UTC time>.bak``, with a count after the time when an
    upgrade was tried twice in one second (a retry after a failure or a kill)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for count in range(1, 1000):
        suffix = f"-{count}" if count > 1 else ""
        candidate = path.with_name(f"{path.name}.{revision}.{stamp}{suffix}.bak")
        if not candidate.exists():
            return candidate
    raise DatabaseOpenError(f"Too many backups of {path} this second: try again")


def _inspect(engine: Engine, target: DatabaseTarget) -> tuple[str | None, set[str]]:
    """The recorded schema revision and the tables, or one line saying why not."""
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            current = _recorded_revision(conn, tables)
    except SQLAlchemyError as exc:
        raise _open_error(exc, target, "open") from None
    return current, tables


def _open_error(exc: SQLAlchemyError, target: DatabaseTarget, doing: str) -> DatabaseOpenError:
    """One line for a driver's error while opening or upgrading (never the SQL, which
    the driver's text may quote after its first line)."""
    orig = getattr(exc, "orig", None)
    detail = str(orig if orig is not None else exc).strip()
    first = (detail.splitlines() or [type(exc).__name__])[0]
    if is_damage(first):
        return DatabaseOpenError(damaged_message(target.display, first))
    translated = from_database_error(exc)
    if doing == "upgrade":
        why = str(translated) if translated is not None else first
        return DatabaseOpenError(f"Could not upgrade {target.display} (nothing was changed): {why}")
    return DatabaseOpenError(f"Cannot open {target.display}: {first}")


def _keep_private(path: Path) -> None:
    """A Coordinator TUI database of this user that others can read is made private
    again (a copy made with the wrong mode). Nothing else is ever chmod-ed: not an
    existing empty file, not a device, not somebody else's file."""
    if os.name != "posix":
        return
    info = path.stat()
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077:
        os.chmod(path, 0o600)


def _create_sqlite(path: Path, *, replace: bool = False) -> bool:
    """Build a new database in a temporary file beside ``path`` and move it into place
    when complete. False if another process made ``path`` meanwhile (then it is used)."""
    _remove_stale_temporaries(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".creating", dir=path.parent)
    os.close(fd)  # mkstemp: 0600, a name no one else has
    temporary = Path(name)
    try:
        engine = create_db_engine(DatabaseTarget(f"sqlite:///{temporary}", temporary))
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        # One self-contained file (no write-ahead log beside it) before it is moved.
        conn = sqlite3.connect(temporary)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        return _move_into_place(temporary, path, replace=replace)
    finally:
        _remove_with_sidecars(temporary)


def _remove_stale_temporaries(path: Path) -> None:
    pattern = str(path.parent / f".{glob.escape(path.name)}.*.creating*")
    for leftover in glob.glob(pattern):
        try:
            if time.time() - os.stat(leftover).st_mtime > STALE_TEMP_SECONDS:
                os.unlink(leftover)
        except OSError:
            pass


def _left_by_a_killed_first_run(engine: Engine, tables: set[str]) -> bool:
    """Only this app's tables, all empty, and no schema revision: what an older version
    left when killed while creating the database."""
    if not only_our_tables(tables):
        return False
    with engine.connect() as conn:
        return all(
            conn.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first() is None
            for table in tables
        )


def _refuse_half_upgraded(path: Path, current: str, tables: set[str]) -> None:
    """An upgrade cut short by an older version of the app left tables of a later schema
    (or a batch operation's temporary table) beside revision ``current``: upgrading again
    would fail on them. Say so, and name the backup taken before that upgrade."""
    expected = tables_at_revision(current)
    found = {t for t in tables if not t.startswith("sqlite_")} - {"alembic_version"}
    if found == expected:
        return
    backup = _backup_before(path, current, expected)
    which = f"the backup taken before it: {backup}" if backup else "your last backup"
    how = f"restore {which} with coordinator-tui restore {backup or 'BACKUP'} --db {path} --force"
    raise DatabaseOpenError(
        f"{path} was left half-upgraded by an interrupted upgrade from schema {current}; {how}"
    )


def _backup_before(path: Path, revision: str, expected: frozenset[str]) -> Path | None:
    """The newest backup at ``revision`` beside ``path`` whose tables are whole (an older
    version also backed up the half-upgraded file on each later open)."""
    pattern = str(path.parent / f"{glob.escape(path.name)}.{glob.escape(revision)}.*.bak")
    for candidate in sorted(glob.glob(pattern), reverse=True):
        try:
            conn = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
            try:
                names = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        if (
            version == (revision,)
            and {n for n in names if not n.startswith("sqlite_")} - {"alembic_version"} == expected
        ):
            return Path(candidate)
    return None


class AppSession(Session):
    """The session every write goes through: it writes the audit trail as it flushes."""


WROTE_KEY = "coordinator_wrote"
"""``session.info`` key: the unit of work has written (flushed a row of its own, or run
an INSERT, UPDATE or DELETE through the session); its failure then lost a save."""


def _own_rows_pending(session: Session) -> bool:
    """Rows of the unit of work's own (not the audit trail's) are added, changed or
    deleted in ``session``."""
    from coordinator_tui.models.audit import AuditEvent

    return any(
        not isinstance(obj, AuditEvent) for obj in (*session.new, *session.dirty, *session.deleted)
    )


def _note_flush(session: Session, _context: object, _instances: object) -> None:
    if _own_rows_pending(session):
        session.info[WROTE_KEY] = True


def _note_execute(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE_KEY] = True


def wrote_in(session: Session) -> bool:
    """Whether the session's unit of work has written rows of its own, or has some waiting
    to be flushed (``WROTE_KEY``; the audit trail's rows do not count)."""
    return bool(session.info.get(WROTE_KEY)) or _own_rows_pending(session)


def _only_read(session: Session, exc: BaseException) -> bool:
    """Whether a unit of work that failed with ``exc`` was only reading: it wrote nothing
    (``WROTE_KEY``; no row of its own pending) and what failed was a SELECT. Unsure (no
    statement known) counts as a write: "nothing was saved" is the safe thing to say."""
    if wrote_in(session):
        return False
    statement = getattr(exc, "statement", None)
    if not isinstance(statement, str):
        return False
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


# week_hours first: its before_commit writes CarerWeekHours rows, which must be flushed
# before the audit trail's before_commit chains the unit of work's rows (after it, they
# would be refused: audit.write_pending_now).
week_hours.install(AppSession)  # CarerWeekHours follows the visits (WTR 17-week averages)
audit.install(AppSession)
keyslots.install(AppSession)  # an encrypted database's key slots follow passwords
event.listen(AppSession, "before_flush", _note_flush)
event.listen(AppSession, "do_orm_execute", _note_execute)


def identify(session: Session, actor: str | Principal) -> None:
    """Who the unit of work acts for (issue 17): the signed-in ``Principal`` (the audit
    trail names its account's username; ``services.access.require`` checks its roles), or,
    given a name, a headless command's operator (``access.operator_principal``)."""
    from coordinator_tui.services.access import PRINCIPAL_KEY, Principal, operator_principal

    if isinstance(actor, Principal):
        session.info["actor"] = actor.username
        session.info[PRINCIPAL_KEY] = actor
    else:
        session.info["actor"] = actor
        session.info[PRINCIPAL_KEY] = operator_principal(actor)


@contextmanager
def session_scope(engine: Engine, actor: str | Principal) -> Iterator[AppSession]:
    """A unit of work: commits on success, rolls back (audit rows too) on any error.

    A stale write (``StaleDataError``) and a database that cannot take the write (locked,
    timed out, connection lost) come out as :class:`CoordinatorError` subclasses, so the
    screen that saved says one line and keeps what was typed instead of ending the app."""
    session = AppSession(engine, expire_on_commit=False)
    identify(session, actor)
    try:
        yield session
        session.commit()
    except BaseException as exc:
        reading = _only_read(session, exc)
        session.rollback()
        translated = from_database_error(exc, reading=reading)
        if translated is not None:
            # One line for the coordinator; the driver's text (which may quote SQL
            # parameters, a person's details among them) stays out of the message.
            raise translated from exc
        raise
    finally:
        session.close()


def new_session(engine: Engine, actor: str | Principal) -> AppSession:
    """A long-lived session for a screen's reads; callers commit writes themselves."""
    session = AppSession(engine, expire_on_commit=False)
    identify(session, actor)
    return session


@dataclass(frozen=True)
class CheckReport:
    """What ``db check`` prints."""

    integrity: str
    revision: str | None
    head: str
    audit: audit.ChainReport | None = None
    """The audit chain walked (``db verify``); None when the database could not be read."""


def check_database(engine: Engine) -> CheckReport:
    """Integrity (SQLite ``PRAGMA integrity_check``; PostgreSQL: a round trip), revision,
    and the audit chain (:func:`verify_audit_chain`).

    A file too damaged for the check to run is reported as damaged, not raised."""
    revision = None
    chain = None
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
                integrity = "ok" if rows == ["ok"] else "damaged: " + "; ".join(rows[:5])
            else:
                conn.exec_driver_sql("SELECT 1")
                integrity = "ok"
            revision = _recorded_revision(conn, set(inspect(conn).get_table_names()))
            if integrity == "ok":
                chain = audit.verify_chain(conn)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        first = (str(orig if orig is not None else exc).splitlines() or ["unreadable"])[0]
        integrity = f"damaged: {first}" if is_damage(first) else f"failed: {first}"
    return CheckReport(integrity, revision, head_revision(), chain)


def verify_audit_chain(engine: Engine) -> audit.ChainReport:
    """``db verify``: the first broken link of the audit chain, or how many rows it holds.

    A database that cannot be read is a :class:`DatabaseOpenError` (one line)."""
    try:
        with engine.connect() as conn:
            return audit.verify_chain(conn)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        first = (str(orig if orig is not None else exc).splitlines() or ["unreadable"])[0]
        raise DatabaseOpenError(f"Cannot read the audit trail: {first}") from None


class DatabaseInUseError(DatabaseOpenError):
    """Another process has the database open: a restore would lose what it writes."""


def restore_sqlite(source: Path, destination: Path) -> str:
    """Put the backup ``source`` in place of the database ``destination``.

    The backup is checked first (an SQLite file of a schema this app knows, whole). Then:

    - no database there yet: the copy is made in a temporary file and moved into place;
    - a database there: refused while any other process has it open (the app, another
      command: what they wrote after the restore would go to a replaced file and be lost).
      Otherwise the backup is copied *into the live file* through SQLite's backup API, in
      one transaction: a process that opens it meanwhile waits, then sees the restored
      data in the same file; a kill part way leaves the database as it was; the file
      keeps its mode.
    - a file SQLite cannot read at all (damaged beyond opening) is replaced whole.

    Returns which of these was done, in words for the command's output.
    """
    if not source.is_file():
        raise DatabaseOpenError(f"{source} does not exist")
    if check_sqlite_file(source):
        raise DatabaseOpenError(f"{source} is empty: not a backup")
    if keyslots.is_encrypted(source):
        return _restore_encrypted(source, destination)
    _check_backup_whole(source)
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not destination.exists():
        tmp = destination.with_name(f".{destination.name}.restoring")
        _remove_with_sidecars(tmp)
        backup_sqlite(source, tmp)
        try:
            if not _move_into_place(tmp, destination):
                raise DatabaseOpenError(f"{destination} appeared meanwhile: run restore again")
        finally:
            _remove_with_sidecars(tmp)
        return "a new file"
    mode = os.stat(destination).st_mode
    if not stat.S_ISREG(mode):
        raise DatabaseOpenError(f"{destination} is not a regular file: not restoring over it")
    if _restore_in_place(source, destination):
        return "copied into the database file in place; no other process had it open"
    tmp = destination.with_name(f".{destination.name}.restoring")
    _remove_with_sidecars(tmp)
    backup_sqlite(source, tmp)
    try:
        for side in _sidecars(destination):
            side.unlink(missing_ok=True)
        _move_into_place(tmp, destination, replace=True)
    finally:
        _remove_with_sidecars(tmp)
    return "the old file could not be opened at all, so it was replaced"


def _check_backup_whole(source: Path) -> None:
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise DatabaseOpenError(damaged_message(str(source), str(exc))) from None
    finally:
        conn.close()
    if rows != ["ok"]:
        raise DatabaseOpenError(damaged_message(str(source), rows[0] if rows else "?"))


def _restore_in_place(source: Path, destination: Path) -> bool:
    """Copy ``source`` into the live ``destination`` if no one else has it open; False
    if ``destination`` cannot be read as a database at all (to be replaced whole)."""
    conn = sqlite3.connect(destination, timeout=0, isolation_level=None)
    try:
        try:
            # In WAL mode every open connection keeps a lock that stops the journal mode
            # changing: this succeeds only when no other process has the database open.
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                mode = "wal"
            else:
                return False
        except sqlite3.DatabaseError:
            return False
        if str(mode).lower() != "delete":
            raise DatabaseInUseError(
                f"{destination} is open in Coordinator TUI (or another command) now: close "
                "it everywhere and run restore again (a restore never replaces a database "
                "in use)"
            )
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            src.backup(conn)
        finally:
            src.close()
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return True


# -- encryption at rest (issue 17 §5) -----------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """What ``db encrypt`` / ``db decrypt`` did, for the command's output."""

    path: Path
    tables: int
    rows: int
    plain_backup: Path | None = None


def _take_alone(conn, path: Path) -> None:
    """Refuse while another process has ``path`` open (its later writes would go to the
    file replaced by the conversion and be lost), and leave the database as one file (no
    write-ahead log beside it to be applied to the new one): in WAL mode every open
    connection holds a lock that stops the journal mode changing."""
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except Exception as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            mode = "wal"
        else:
            raise DatabaseOpenError(f"Cannot read {path}: {str(exc).splitlines()[0]}") from None
    if str(mode).lower() != "delete":
        raise DatabaseInUseError(
            f"{path} is open in Coordinator TUI (or another command) now: close it everywhere "
            "and run the command again (a database in use is never replaced)"
        )


def _table_counts(conn) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


@contextmanager
def _converted(
    path: Path,
    old_key: bytes | None,
    new_key: bytes | None,
    work: Path,
    *,
    old_cipher: dict | None = None,
    new_cipher: dict | None = None,
) -> Iterator[dict[str, int]]:
    """Copy ``path`` (opened with ``old_key`` and its cipher settings ``old_cipher``;
    None: plain) into the new file ``work`` (encrypted with ``new_key`` in the format
    ``new_cipher``; None: plain) with SQLCipher's ``sqlcipher_export``, and check the
    copy: integrity, and every table's row count the same as the original's.
    Yields the counts, for the caller to swap the copy in.

    ``path`` is only read, and from the start until the swap is done no one else writes
    to it: a database in use is refused, and the write lock is held (after the export,
    again at once) so that nothing saved meanwhile would be left behind in the old file.
    (Windows cannot rename over a file that is open: there it is let go just before.)"""
    _remove_with_sidecars(work)
    conn = keyslots.connect(path, old_key, old_cipher, isolation_level=None, timeout=0)
    try:
        _take_alone(conn, path)
        counts = _table_counts(conn)
        attach_key = keyslots.pragma_key(new_key) if new_key is not None else "''"
        conn.execute(f"ATTACH DATABASE ? AS converted KEY {attach_key}", (str(work),))
        if new_key is not None:  # the new file's format, before its first page is written
            for statement in keyslots.cipher_pragmas(new_cipher or {}, schema="converted"):
                conn.execute(statement)
        # The new file is flushed to disk once, whole, before it is renamed into place
        # (``_move_into_place``): no syncing table by table meanwhile.
        conn.execute("PRAGMA converted.synchronous=OFF")
        conn.execute("BEGIN IMMEDIATE")  # one read of the original, and no writer meanwhile
        conn.execute("SELECT sqlcipher_export('converted')")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE converted")
        conn.execute("BEGIN IMMEDIATE")  # still no writer, until the swap is done
        check = keyslots.connect(work, new_key, new_cipher, isolation_level=None)
        try:
            rows = [row[0] for row in check.execute("PRAGMA integrity_check")]
            copied = _table_counts(check)
            check.execute("PRAGMA journal_mode=DELETE")
        finally:
            check.close()
        if rows != ["ok"] or copied != counts:
            _remove_with_sidecars(work)
            raise DatabaseOpenError(
                f"the converted copy of {path} did not check out: nothing was changed"
            )
        os.chmod(work, 0o600)
        if os.name == "nt":  # pragma: no cover - Windows only
            conn.close()
        yield counts
    finally:
        conn.close()


def encrypt_sqlite(
    path: Path, username: str, password: str, *, keep_plain: bool = True
) -> Conversion:
    """``db encrypt``: make the plain database ``path`` an encrypted one, opened by
    ``username``'s password (a slot in the key file; others get theirs when an
    administrator adds or resets them).

    The data is copied into a new encrypted file beside it and checked; the plain file
    is kept as a backup (``keep_plain``; the command says it is not encrypted); the key
    file is written; then the new file is renamed over the old in one step. A kill at any
    point leaves either the plain database (a key file beside a plain file is ignored)
    or the encrypted one with its key file."""
    if keyslots.is_encrypted(path):
        raise keyslots.EncryptionError(f"{path} is already encrypted")
    if check_sqlite_file(path):
        raise DatabaseOpenError(f"{path} is empty: nothing to encrypt")
    keyslots.cipher_module()
    key = keyslots.new_key()
    work = path.with_name(f".{path.name}.encrypting")
    try:
        cipher = dict(keyslots.CIPHER_SETTINGS)
        with _converted(path, None, key, work, new_cipher=cipher) as counts:
            plain_backup = None
            if keep_plain:
                plain_backup = _free_backup_name(path, "plain")
                os.link(path, plain_backup)  # the same file: no copy, kept after the swap
            name = username.strip().lower()
            keys = keyslots.KeyFile(
                keyslots.fingerprint(key), {name: keyslots.wrap(key, name, password)}, cipher=cipher
            )
            keyslots.write_keys(path, keys)  # first: a key file beside a plain file is ignored
            _move_into_place(work, path, replace=True)
    finally:
        _remove_with_sidecars(work)
    keyslots.remember(path, key)
    return Conversion(path, len(counts), sum(counts.values()), plain_backup)


def decrypt_sqlite(path: Path) -> Conversion:
    """``db decrypt``: make the encrypted database ``path`` (unlocked in this process)
    plain again. The plain copy is made and checked beside it, renamed over the encrypted
    file in one step, and only then is the key file removed (a plain file beside a key
    file opens as plain), so a kill at any point leaves an openable database."""
    if not keyslots.is_encrypted(path):
        raise keyslots.EncryptionError(f"{path} is not encrypted")
    key = keyslots.key_for(path)
    if key is None:
        raise keyslots.EncryptionError(f"{path} is encrypted: sign in to decrypt it")
    work = path.with_name(f".{path.name}.decrypting")
    try:
        old_cipher = keyslots.cipher_settings(path)
        with _converted(path, key, None, work, old_cipher=old_cipher) as counts:
            _move_into_place(work, path, replace=True)
    finally:
        _remove_with_sidecars(work)
    keyslots.keys_path(path).unlink(missing_ok=True)
    keyslots.forget(path)
    return Conversion(path, len(counts), sum(counts.values()))


def _restore_encrypted(source: Path, destination: Path) -> str:
    """Restore an encrypted backup (unlocked in this process): checked whole, copied
    beside the database with its key file, then the key file and the database given
    their names, the key file first (a key file beside a plain file is ignored; beside
    the same database encrypted with the same key, as a backup of it is, it opens it).
    Refused while another process has the database open."""
    key = keyslots.key_for(source)
    if key is None:
        raise keyslots.EncryptionError(f"{source} is encrypted: sign in to restore it")
    cipher = keyslots.cipher_settings(source)
    check = keyslots.connect(Path(f"file:{source}?mode=ro"), key, cipher, uri=True)
    try:
        rows = [row[0] for row in check.execute("PRAGMA quick_check")]
    except Exception as exc:
        raise DatabaseOpenError(damaged_message(str(source), str(exc))) from None
    finally:
        check.close()
    if rows != ["ok"]:
        raise DatabaseOpenError(damaged_message(str(source), rows[0] if rows else "?"))
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if destination.exists() and destination.stat().st_size > 0:
        live_key = live_cipher = None
        if keyslots.is_encrypted(destination):
            live = keyslots.read_keys(destination)
            if live.fingerprint != keyslots.fingerprint(key):
                raise keyslots.EncryptionError(
                    f"{destination} is encrypted with another key: move it (and its key "
                    "file) away first, then restore"
                )
            live_key, live_cipher = key, live.cipher
        conn = keyslots.connect(destination, live_key, live_cipher, timeout=0, isolation_level=None)
        try:
            _take_alone(conn, destination)
        finally:
            conn.close()
    tmp = destination.with_name(f".{destination.name}.restoring")
    _remove_with_sidecars(tmp)
    keyslots.keys_path(tmp).unlink(missing_ok=True)
    backup_sqlite(source, tmp)
    try:
        os.replace(keyslots.keys_path(tmp), keyslots.keys_path(destination))
        for side in _sidecars(destination):
            side.unlink(missing_ok=True)
        _move_into_place(tmp, destination, replace=True)
    finally:
        _remove_with_sidecars(tmp)
        keyslots.keys_path(tmp).unlink(missing_ok=True)
    keyslots.remember(destination, key)
    return "the encrypted backup and its key file put in place"


def rekey_sqlite(path: Path, username: str, password: str) -> Conversion:
    """``db rekey``: a new random data key for the encrypted database ``path`` (unlocked
    in this process), for when a key file and a password may both have got out (an old
    backup and a leaver's password). Every slot of the old key is void: the new key is
    wrapped for ``username`` alone, and each other account is given a slot again by
    ``user reset``.

    The file is re-encrypted into a new one beside it and checked; the key file gets the
    new key's slot as *pending*; the new file is swapped in; then the pending slot becomes
    the key file's. A kill before the swap leaves the old key working; after it, the
    administrator's password finishes the re-key when it next opens the database
    (``keyslots.unlock``)."""
    if not keyslots.is_encrypted(path):
        raise keyslots.EncryptionError(f"{path} is not encrypted: use db encrypt")
    old = keyslots.key_for(path)
    if old is None:
        raise keyslots.EncryptionError(f"{path} is encrypted: sign in to re-key it")
    new = keyslots.new_key()
    work = path.with_name(f".{path.name}.rekeying")
    try:
        old_cipher = keyslots.cipher_settings(path)
        cipher = dict(keyslots.CIPHER_SETTINGS)  # re-encrypted in today's format
        with _converted(path, old, new, work, old_cipher=old_cipher, new_cipher=cipher) as counts:
            keys = keyslots.read_keys(path)
            name = username.strip().lower()
            keys.pending = {
                "fingerprint": keyslots.fingerprint(new),
                "slots": {name: keyslots.wrap(new, name, password)},
                "cipher_settings": cipher,
            }
            keyslots.write_keys(path, keys)
            _move_into_place(work, path, replace=True)
    finally:
        _remove_with_sidecars(work)
    keyslots.finish_rekey(path, new)
    keyslots.remember(path, new)
    return Conversion(path, len(counts), sum(counts.values()))


def reads_never_wait(engine: Engine | None) -> bool:
    """Whether a short read may run on the UI thread: a local SQLite file in WAL mode,
    whose readers never wait on a writer and pay no network round trip. A PostgreSQL
    server (over a network, behind locks of its own) is read in a worker. The screens
    ask this rather than looking at the dialect themselves."""
    return engine is not None and engine.dialect.name == "sqlite"
