"""Cheap checks on a database location, using only the standard library.

The app paints its first frame before it imports SQLAlchemy (which costs more than
Textual itself), so everything that must be refused *before* the screen opens is checked
here: an unusable path, a file that is not SQLite, a schema newer than this app knows.
``coordinator_tui.db`` calls the same functions, so the rules live in one place.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"
_REVISION_RE = re.compile(r"^revision: str = ['\"](\w+)['\"]", re.MULTILINE)
_DOWN_RE = re.compile(r"^down_revision: str \| None = ['\"]?(\w+)['\"]?", re.MULTILINE)


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
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)


SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
POSTGRES_SCHEMES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
DRIVERS = {"postgresql+psycopg": ("psycopg", "pip install 'coordinator-tui[postgres]'")}
"""Database URL schemes the app works with, and the driver module each needs."""


def resolve_target(db: str) -> DatabaseTarget:
    """Turn ``--db`` / ``COORDINATOR_TUI_DB`` (a path or an SQLAlchemy URL) into a target.

    A URL of a kind the app does not work with is refused here, in one line, before
    SQLAlchemy would print a traceback for it."""
    if "://" in db:
        scheme, rest = db.split("://", 1)
        scheme = scheme.lower()
        if scheme in SQLITE_SCHEMES:
            database = rest[1:] if rest.startswith("/") else rest
            if not database or database == ":memory:":
                return DatabaseTarget(db, None)
            path = Path(database).expanduser().resolve()
            return DatabaseTarget(f"sqlite:///{path}", path)
        scheme = POSTGRES_SCHEMES.get(scheme, scheme)
        if scheme not in DRIVERS:
            raise DatabaseOpenError(
                f"unknown database URL scheme '{scheme}': give an SQLite file path, "
                "sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
            )
        return DatabaseTarget(f"{scheme}://{rest}", None)
    path = Path(db).expanduser().resolve()
    return DatabaseTarget(f"sqlite:///{path}", path)


def check_driver(target: DatabaseTarget) -> None:
    """Refuse, in one line, a URL whose database driver is not installed."""
    scheme = target.url.split("://", 1)[0]
    if scheme not in DRIVERS:
        return
    module, install = DRIVERS[scheme]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module stubbed out in sys.modules
        found = False
    if not found:
        raise DatabaseOpenError(
            f"the database driver for {scheme} ({module}) is not installed: {install}"
        )


@cache
def known_revisions() -> dict[str, str | None]:
    """Revision id -> its parent, read from the migration files shipped with the app."""
    revisions: dict[str, str | None] = {}
    for file in VERSIONS_DIR.glob("*.py"):
        text = file.read_text(encoding="utf-8")
        match = _REVISION_RE.search(text)
        if match:
            down = _DOWN_RE.search(text)
            parent = down.group(1) if down else None
            revisions[match.group(1)] = None if parent == "None" else parent
    return revisions


_CREATE_TABLE_RE = re.compile(r"create_table\(\s*['\"](\w+)['\"]")


@cache
def known_tables() -> frozenset[str]:
    """Every table a migration shipped with the app creates, read from their files."""
    names: set[str] = set()
    for file in VERSIONS_DIR.glob("*.py"):
        names.update(_CREATE_TABLE_RE.findall(file.read_text(encoding="utf-8")))
    return frozenset(names)


def only_our_tables(tables: set[str]) -> bool:
    """Tables of this app only (a batch operation's temporary ones too): what an older
    version killed while creating the database left, with no schema revision yet."""
    return bool(tables) and all(
        name in known_tables() or name.startswith("_alembic_tmp_") for name in tables
    )


def head_revision() -> str:
    """The newest revision: the one no other revision names as its parent."""
    revisions = known_revisions()
    parents = {parent for parent in revisions.values() if parent}
    heads = [rev for rev in revisions if rev not in parents]
    return heads[0] if len(heads) == 1 else ""


def check_sqlite_file(path: Path) -> bool:
    """An existing file must be empty or an SQLite database of a schema this app knows.

    Only reads, so it also serves for read-only backups. Returns True if the file is empty.
    A folder, a device or a pipe is refused before it is opened (reading a pipe would
    wait for ever, and a device is never a database)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DatabaseOpenError(f"Cannot read {path}: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        raise DatabaseOpenError(f"{path} is a folder, not a database file")
    if not stat.S_ISREG(mode):
        raise DatabaseOpenError(f"{path} is not a regular file (a device or a pipe)")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseOpenError(f"Cannot read {path}: {exc.strerror}") from exc
    if header and header != SQLITE_HEADER:
        if path.with_name(path.name + ".keys").is_file():
            return False  # encrypted (issue 17 §5, ``keyslots``): checked once unlocked
        raise DatabaseOpenError(f"{path} is not a Coordinator TUI database (not SQLite)")
    if header:
        sqlite_revision_check(path)
    return not header


NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs"}
)
"""Linux file-system types of a network share (``/proc/mounts``' third field)."""
DRIVE_REMOTE = 4
"""``GetDriveTypeW``'s answer for a mapped network drive (Windows)."""


def is_windows() -> bool:
    """Whether this is Windows (one place, so tests can simulate it)."""
    return os.name == "nt"


def _windows_drive_type(root: str) -> int:  # pragma: no cover - Windows only
    import ctypes

    return ctypes.windll.kernel32.GetDriveTypeW(root)  # type: ignore[attr-defined]


def _mount_type(path: Path) -> str | None:
    """The file-system type of the mount holding ``path`` (Linux ``/proc/mounts``)."""
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best, kind = "", None
    text = str(path)
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = text == point or text.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def network_share(path: Path | str) -> bool:
    """Whether ``path`` is on a network share: a UNC path (``\\\\server\\share``), a
    mapped network drive (Windows), or an NFS/SMB mount (Linux). SQLite's WAL needs shared
    memory that network file systems do not give, and its locks are unreliable there."""
    text = str(path)
    if is_windows():
        text = text.replace("/", "\\")
        if text.upper().startswith("\\\\?\\UNC\\"):
            return True
        if text.startswith(("\\\\?\\", "\\\\.\\")):  # long-path forms of a local path
            text = text[4:]
        elif text.startswith("\\\\"):
            return True
        if len(text) >= 2 and text[1] == ":" and text[0].isalpha():
            return _windows_drive_type(text[:2] + "\\") == DRIVE_REMOTE
        return False
    kind = _mount_type(Path(text))
    return kind is not None and kind in NETWORK_FILE_SYSTEMS


def check_local_disk(path: Path) -> None:
    """Refuse, in one line, an SQLite database on a network share (SQLite's own advice:
    "WAL does not work over a network filesystem")."""
    if network_share(path):
        raise DatabaseOpenError(
            f"{path} is on a network share: SQLite's WAL mode needs a local disk (it would "
            "corrupt or lock up there); keep the database on this PC's disk, or use the "
            "PCN's PostgreSQL server (--db postgresql://...)"
        )


def check_sqlite_path(path: Path, *, create: bool = True) -> bool:
    """Refuse unusable paths before SQLite touches them. True if the database is still to
    be made: the file does not exist yet, or is empty.

    Nothing is created but a missing folder (0700): the database itself is built in a
    temporary file and moved into place when complete (``db.open_database``), so a run
    killed while creating it leaves no half-made file at ``path``. An existing empty file
    is used as it is, its mode untouched; it is refused if other users could read it
    (POSIX modes: on Windows a file's privacy comes from the user's profile folder, where
    the database is by default). A network share is refused (:func:`check_local_disk`)."""
    check_local_disk(path)
    if path.exists() or path.is_symlink():
        empty = check_sqlite_file(path)
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise DatabaseOpenError(f"Cannot write to {path}: permission denied")
        if empty and os.name == "posix" and path.stat().st_mode & 0o077:
            raise DatabaseOpenError(
                f"{path} is an empty file other users can read: make it private first "
                f"(chmod 600 {path}) or name a new file"
            )
        return empty
    if not create:
        raise DatabaseOpenError(f"{path} does not exist")
    parent = path.parent
    try:
        if not parent.exists():
            parent.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise DatabaseOpenError(f"Cannot create folder {parent}: {exc.strerror}") from exc
    if not parent.is_dir():
        raise DatabaseOpenError(f"Cannot create {path}: Not a directory")
    if not os.access(parent, os.W_OK):
        raise DatabaseOpenError(f"Cannot write to {parent}: permission denied")
    return True


def sqlite_revision(path: Path) -> str | None:
    """The schema revision recorded in an SQLite file, read-only; None if it has none."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseOpenError(f"Cannot open {path}: {exc}") from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in tables:
            ours = {t for t in tables if not t.startswith("sqlite_")}
            if ours and not only_our_tables(ours):
                raise DatabaseOpenError(
                    f"{path} holds other tables: not a Coordinator TUI database"
                )
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError as exc:
        if is_damage(str(exc)):
            raise DatabaseOpenError(damaged_message(str(path), str(exc))) from exc
        raise DatabaseOpenError(f"Cannot open {path}: {exc}") from exc
    finally:
        conn.close()


DAMAGE_WORDS = ("malformed", "not a database", "corrupt")
"""What SQLite says of a damaged file ("database disk image is malformed", "file is not a
database", "database corruption at line ...")."""


def is_damage(detail: str) -> bool:
    """Whether the driver's message says the database file is damaged."""
    detail = detail.lower()
    return any(word in detail for word in DAMAGE_WORDS)


def damaged_message(display: str, detail: str) -> str:
    """The one line for a database SQLite cannot read: what it said, and the way out."""
    first = (detail.splitlines() or ["unreadable"])[0]
    return (
        f"{display} is damaged (SQLite: {first}): restore a backup with "
        f"coordinator-tui restore BACKUP --db {display} --force"
    )


def check_revision_known(revision: str | None, display: str) -> None:
    """Refuse a database written by a newer version of the app."""
    if revision is not None and revision not in known_revisions():
        raise DatabaseOpenError(
            f"{display} was written by a newer version of Coordinator TUI "
            f"(schema {revision}); upgrade the app to open it"
        )


def sqlite_revision_check(path: Path) -> None:
    check_revision_known(sqlite_revision(path), str(path))


def preflight(db: str) -> DatabaseTarget:
    """Everything that can be refused without importing the database layer."""
    target = resolve_target(db)
    check_driver(target)
    if target.path is not None:
        check_sqlite_path(target.path)
    return target
