"""Encryption at rest for an SQLite database (issue 17 §5): the key file beside it.

An encrypted database is an SQLCipher file opened with a random 256-bit *data key*
(SQLCipher's raw-key form, ``x'…'``, so no key derivation runs on each connection and an
encrypted database opens as fast as a plain one). The data key itself is never stored:
the key file ``coordinator.db.keys`` beside the database holds one *slot* per account,
the data key wrapped by a key derived from that account's password (Argon2id, a new salt
each time a slot is written). Adding, removing or re-wrapping an account's slot touches
only the key file, never the data.

Wrapping (standard library and argon2-cffi only): Argon2id(password, salt) gives 64
bytes; the first 32 are XORed with the data key (a one-time pad: each slot's salt is new,
so each pad is too), the last 32 key an HMAC-SHA256 over the slot, checked before the
pad is used, so a wrong password is told apart from a damaged slot, in well under a
second. The key file also holds a fingerprint of the data key, checked after unwrapping.

Which file is encrypted is read from the disk, not from a setting: a database file whose
first bytes are not SQLite's header *and* that has a key file beside it. A file that
starts with SQLite's header is plain, whatever key file lies beside it: that is what a
conversion killed half way leaves (``db encrypt`` writes the key file before it swaps
the database in, ``db decrypt`` swaps the database before it removes the key file), so
every state a kill can leave opens.

The file's SQLCipher format settings (:data:`CIPHER_SETTINGS`: page size, HMAC and
KDF algorithms) are recorded in the key file too, and set on every connection to it, so
a database encrypted with older settings (:data:`LEGACY_CIPHER_SETTINGS`, a key file
without them) still opens, whatever SQLCipher's defaults become.

The data key of a database opened in this process is held in memory
(:func:`remember`), for the engine to give SQLCipher on each new connection; it is never
written anywhere, nor put in a database URL string.

Nothing here imports the database layer or Textual; ``sqlcipher3`` is imported only when
an encrypted database is opened or converted (:func:`cipher_module`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from coordinator_tui.preflight import SQLITE_HEADER, DatabaseOpenError

KEYS_SUFFIX = ".keys"
FORMAT = "coordinator-tui key file 1"
KEY_BYTES = 32
SALT_BYTES = 16
TIME_COST = 2
MEMORY_KIB = 32 * 1024
PARALLELISM = 4
"""Argon2id for wrapping (above OWASP's minimum of 19 MiB and 2 passes): about 0.15 s
on the 2-core development machine when quiet, so a wrong password is refused well inside
the 1 s §5 asks (1.5 s measured at a load of 20 with the earlier 3 passes), while each
guess costs an attacker the same. Stored in each slot, so a change only affects slots
written after it."""
LEGACY_CIPHER_SETTINGS: dict[str, Any] = {
    "cipher_page_size": 4096,
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
}
"""What a database encrypted before the settings were recorded has: SQLCipher 4's
defaults (a key file with no ``cipher_settings`` means these)."""

CIPHER_SETTINGS: dict[str, Any] = {
    "cipher_page_size": 4096,
    "cipher_hmac_algorithm": "HMAC_SHA256",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
}
"""The SQLCipher format of a database encrypted (or re-keyed) now. Each is part of the
file's format: a connection must set the same to read it, so they are written in the
key file and set on every connection (:func:`cipher_pragmas`).

* ``cipher_page_size`` 4096: the plain database's page size, so a page read costs the
  same I/O on both (8192 and 16384 measured no better on the large demo's lists).
  No security meaning: each page is encrypted on its own either way.
* ``cipher_hmac_algorithm`` HMAC-SHA256 (SQLCipher 4's default is HMAC-SHA512; both
  are SQLCipher options): each page is checked against its tag, keyed from the data
  key, before it is used, so a page changed on disk, by accident or on purpose, is
  refused ("file is not a database"). Forging a tag without the key is as hard with
  SHA-256 as with SHA-512 in practice (a 256-bit tag; at least 128-bit security against
  any known attack, the level AES-256 itself is rated at against the best ones); the
  longer tag adds nothing an attacker can use. It is several times cheaper per page on
  CPUs with SHA instructions (measured: about 0.4 against 2.6 us a 4 KiB page),
  paid on each page read into a connection's page cache. HMAC stays ON
  (``cipher_use_hmac``): without it a changed page would be decrypted into garbage
  silently, as nothing else checks the pages as they are read.
* ``cipher_kdf_algorithm`` PBKDF2-HMAC-SHA512 (SQLCipher 4's default): with a raw key it
  only derives the page HMAC's key from the data key (two iterations, per connection),
  so it costs nothing to keep; pinned here so a new SQLCipher default cannot make an
  existing file unreadable.

Not format settings, so not recorded: the page cache (the plain database's 32 MB, set
by ``db._set_sqlite_pragmas`` on both), ``temp_store`` (MEMORY, set with these:
sorts and temporary tables never reach the disk, where SQLCipher would have to encrypt
them too), ``cipher_memory_security`` (SQLCipher 4.12's default, OFF, left as it is:
ON wipes and locks every buffer SQLCipher frees, against a dump of the process's
memory, which the data key held in memory makes moot) and ``mmap_size`` (SQLCipher
ignores it: pages must be decrypted into the cache)."""

_CIPHER_CHOICES: dict[str, tuple[Any, ...]] = {
    "cipher_page_size": (1024, 2048, 4096, 8192, 16384, 32768, 65536),
    "cipher_hmac_algorithm": ("HMAC_SHA1", "HMAC_SHA256", "HMAC_SHA512"),
    "cipher_kdf_algorithm": ("PBKDF2_HMAC_SHA1", "PBKDF2_HMAC_SHA256", "PBKDF2_HMAC_SHA512"),
}
"""The only values a key file may give (they are written into PRAGMA statements)."""

INSTALL_HINT = "pip install 'coordinator-tui[encryption]'"
NOT_RECOGNISED = "User name or password not recognised"


class EncryptionError(DatabaseOpenError):
    """An encrypted database that cannot be opened or converted (one line for the user)."""


class WrongKeyError(EncryptionError):
    """The password does not open this account's slot, or the account has none."""


class EncryptionUnavailable(EncryptionError):
    """The SQLCipher driver is not installed on this machine."""


def cipher_module() -> ModuleType:
    """``sqlcipher3`` (the ``sqlcipher3-binary`` wheel), or one line saying how to get it."""
    try:
        import sqlcipher3
    except ImportError:
        raise EncryptionUnavailable(
            f"encryption needs SQLCipher, not installed here ({INSTALL_HINT}); if no wheel "
            "exists for this computer, use the plain database on an encrypted disk "
            "(BitLocker, FileVault, LUKS: see the README's Practice PC section)"
        ) from None
    return sqlcipher3


def available() -> bool:
    try:
        cipher_module()
    except EncryptionUnavailable:
        return False
    return True


# -- which file is encrypted ---------------------------------------------------------------


def keys_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + KEYS_SUFFIX)


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER))
    except OSError:
        return b""


def is_encrypted(db_path: Path) -> bool:
    """A non-empty file that is not plain SQLite, with a key file beside it."""
    header = _header(db_path)
    return bool(header) and header != SQLITE_HEADER and keys_path(db_path).is_file()


# -- the data key held in memory -----------------------------------------------------------

_OPEN_KEYS: dict[Path, bytes] = {}


def _norm(path: Path) -> Path:
    return Path(os.path.realpath(path))


def remember(db_path: Path, key: bytes) -> None:
    """Hold ``key`` for ``db_path`` in this process (for new connections)."""
    _OPEN_KEYS[_norm(db_path)] = key


def key_for(db_path: Path) -> bytes | None:
    return _OPEN_KEYS.get(_norm(db_path))


def forget(db_path: Path | None = None) -> None:
    """Drop one database's key from memory (``None``: every one)."""
    if db_path is None:
        _OPEN_KEYS.clear()
    else:
        _OPEN_KEYS.pop(_norm(db_path), None)


def pragma_key(key: bytes) -> str:
    """SQLCipher's raw-key literal, for ``PRAGMA key`` or ``ATTACH … KEY``."""
    return f"\"x'{key.hex()}'\""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def fingerprint(key: bytes) -> str:
    """Names a data key without revealing it (a domain-separated SHA-256, 16 bytes)."""
    return hashlib.sha256(b"coordinator-tui data key\x00" + key).hexdigest()[:32]


# -- slots ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(password: str, salt: bytes, time_cost: int, memory_kib: int, parallelism: int):
    from argon2.low_level import Type, hash_secret_raw

    out = hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=2 * KEY_BYTES,
        type=Type.ID,
    )
    return out[:KEY_BYTES], out[KEY_BYTES:]


def _tag(mac_key: bytes, username: str, salt: bytes, wrapped: bytes) -> bytes:
    message = b"coordinator-tui slot 1\x00" + username.encode("utf-8") + b"\x00" + salt + wrapped
    return hmac.new(mac_key, message, hashlib.sha256).digest()


def wrap(key: bytes, username: str, password: str) -> dict[str, Any]:
    """A slot: ``key`` wrapped for ``username`` by their password."""
    salt = secrets.token_bytes(SALT_BYTES)
    pad, mac_key = _derive(password, salt, TIME_COST, MEMORY_KIB, PARALLELISM)
    wrapped = bytes(a ^ b for a, b in zip(key, pad, strict=True))
    return {
        "kdf": "argon2id",
        "time_cost": TIME_COST,
        "memory_kib": MEMORY_KIB,
        "parallelism": PARALLELISM,
        "salt": _b64(salt),
        "wrapped": _b64(wrapped),
        "tag": _b64(_tag(mac_key, username, salt, wrapped)),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def unwrap(slot: dict[str, Any], username: str, password: str) -> bytes | None:
    """The data key from ``slot``, or None if the password does not open it."""
    try:
        salt = _unb64(slot["salt"])
        wrapped = _unb64(slot["wrapped"])
        tag = _unb64(slot["tag"])
        params = (int(slot["time_cost"]), int(slot["memory_kib"]), int(slot["parallelism"]))
    except (KeyError, ValueError, TypeError):
        return None
    if len(wrapped) != KEY_BYTES or not (1 <= params[0] <= 10 and 8 <= params[1] <= 1 << 20):
        return None
    pad, mac_key = _derive(password, salt, *params)
    if not hmac.compare_digest(_tag(mac_key, username, salt, wrapped), tag):
        return None
    return bytes(a ^ b for a, b in zip(wrapped, pad, strict=True))


@dataclass
class KeyFile:
    """The key file's content: the data key's fingerprint and one slot per account."""

    fingerprint: str
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    """A re-key under way (``db rekey``): the new key's fingerprint, slots and cipher
    settings, written before the re-encrypted file is swapped in, made the key file's
    own after."""
    cipher: dict[str, Any] = field(default_factory=lambda: dict(CIPHER_SETTINGS))
    """The database file's SQLCipher format (:data:`CIPHER_SETTINGS`); read from a key
    file written before they were recorded: :data:`LEGACY_CIPHER_SETTINGS`."""

    def to_json(self) -> str:
        content: dict[str, Any] = {
            "format": FORMAT,
            "cipher": "SQLCipher 4, raw 256-bit key",
            "cipher_settings": self.cipher,
            "fingerprint": self.fingerprint,
            "slots": self.slots,
        }
        if self.pending is not None:
            content["pending"] = self.pending
        return json.dumps(content, indent=2, sort_keys=True)


def read_keys(db_path: Path) -> KeyFile:
    path = keys_path(db_path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EncryptionError(
            f"{path} is missing: the encrypted database cannot be opened "
            "without it (restore it from the backup made with it)"
        ) from None
    except (OSError, ValueError) as exc:
        raise EncryptionError(f"{path} cannot be read ({type(exc).__name__})") from None
    if (
        not isinstance(raw, dict)
        or raw.get("format") != FORMAT
        or not isinstance(raw.get("slots"), dict)
    ):
        raise EncryptionError(f"{path} is not a Coordinator TUI key file")
    pending = raw.get("pending")
    if pending is not None and not (
        isinstance(pending, dict) and isinstance(pending.get("slots"), dict)
    ):
        raise EncryptionError(f"{path} is not a Coordinator TUI key file")
    try:
        cipher = checked_cipher(raw.get("cipher_settings"))
        if pending is not None:
            checked_cipher(pending.get("cipher_settings"))
    except ValueError as exc:
        raise EncryptionError(f"{path}: {exc}") from None
    return KeyFile(str(raw.get("fingerprint", "")), dict(raw["slots"]), pending, cipher)


def checked_cipher(settings: Any) -> dict[str, Any]:
    """A key file's cipher settings, each checked against :data:`_CIPHER_CHOICES`
    (``None``: written before they were recorded, :data:`LEGACY_CIPHER_SETTINGS`).
    ValueError for anything else: a newer app's settings, or a tampered file, are never
    put into a PRAGMA."""
    if settings is None:
        return dict(LEGACY_CIPHER_SETTINGS)
    if not isinstance(settings, dict) or set(settings) != set(_CIPHER_CHOICES):
        raise ValueError("its cipher settings are not ones this version knows")
    for name, value in settings.items():
        if value not in _CIPHER_CHOICES[name] or isinstance(value, bool):
            raise ValueError(f"its cipher setting {name} is not one this version knows")
    return dict(settings)


def cipher_settings(db_path: Path) -> dict[str, Any]:
    """The SQLCipher format settings of the encrypted ``db_path`` (from its key file)."""
    return read_keys(db_path).cipher


def cipher_pragmas(settings: Mapping[str, Any], schema: str | None = None) -> list[str]:
    """The statements that set ``settings`` (checked) on a keyed connection, or on the
    attached database ``schema`` (a fixed name chosen by the caller); then
    ``temp_store = MEMORY`` (see :data:`CIPHER_SETTINGS`)."""
    checked = checked_cipher(dict(settings))
    prefix = f"{schema}." if schema else ""
    statements = [f"PRAGMA {prefix}{name} = {checked[name]}" for name in _CIPHER_CHOICES]
    statements.append("PRAGMA temp_store = MEMORY")
    return statements


def write_keys(db_path: Path, keys: KeyFile, *, target: Path | None = None) -> Path:
    """Write the key file (owner-only) in one step: a temporary file, flushed, renamed."""
    final = target or keys_path(db_path)
    partial = final.with_name(f".{final.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, keys.to_json().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, final)
    _fsync_dir(final.parent)
    return final


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlock(db_path: Path, username: str, password: str) -> bytes:
    """The data key of the encrypted ``db_path`` from ``username``'s slot, held in memory
    for this process; :class:`WrongKeyError` (one line, saying nothing of which was
    wrong) if the name has no slot or the password does not open it."""
    keys = read_keys(db_path)
    name = username.strip().lower()
    if keys.pending is not None:
        return _unlock_mid_rekey(db_path, keys, name, password)
    key = _open_slot(keys.slots, keys.fingerprint, name, password)
    if key is None:
        raise WrongKeyError(f"{NOT_RECOGNISED} for the encrypted database {db_path}")
    remember(db_path, key)
    return key


def _open_slot(slots: dict[str, Any], expected: str, name: str, password: str) -> bytes | None:
    slot = slots.get(name)
    if slot is None:
        unwrap(_decoy_slot(), name, password)  # as long as a real slot takes
        return None
    key = unwrap(slot, name, password)
    if key is None or not hmac.compare_digest(fingerprint(key), str(expected)):
        return None
    return key


def opens(db_path: Path, key: bytes, settings: Mapping[str, Any]) -> bool:
    """Whether ``key`` opens the database (SQLCipher checks page 1's HMAC: instant)."""
    module = cipher_module()
    conn = connect(db_path, key, settings)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except module.DatabaseError:
        return False
    finally:
        conn.close()


def _unlock_mid_rekey(db_path: Path, keys: KeyFile, name: str, password: str) -> bytes:
    """A re-key was cut short (``db rekey`` killed): whichever key opens the file wins.
    The new one: the re-key is finished (its slots become the key file's); the old one:
    the re-key never swapped the file in, and is forgotten."""
    pending = keys.pending or {}
    new = None
    if name in pending.get("slots", {}):
        new = _open_slot(pending["slots"], pending.get("fingerprint", ""), name, password)
        if new is not None and opens(db_path, new, checked_cipher(pending.get("cipher_settings"))):
            finish_rekey(db_path, new)
            remember(db_path, new)
            return new
    old = _open_slot(keys.slots, keys.fingerprint, name, password)
    if old is not None and opens(db_path, old, keys.cipher):
        keys.pending = None
        write_keys(db_path, keys)
        remember(db_path, old)
        return old
    if old is None and new is None:
        raise WrongKeyError(f"{NOT_RECOGNISED} for the encrypted database {db_path}")
    raise EncryptionError(
        f"a re-key of {db_path} was cut short: the administrator who ran it opens it "
        "with their password, which finishes it"
    )


def finish_rekey(db_path: Path, key: bytes) -> None:
    """The re-encrypted file is in place: the pending key's slots become the key file's."""
    keys = read_keys(db_path)
    pending = keys.pending
    if pending is None or not hmac.compare_digest(
        fingerprint(key), str(pending.get("fingerprint", ""))
    ):
        return
    cipher = checked_cipher(pending.get("cipher_settings"))
    write_keys(db_path, KeyFile(fingerprint(key), dict(pending["slots"]), cipher=cipher))


_DECOY: dict[str, Any] = {}


def _decoy_slot() -> dict[str, Any]:
    if not _DECOY:
        _DECOY.update(wrap(bytes(KEY_BYTES), "decoy", "decoy"))
    return _DECOY


def set_slot(db_path: Path, key: bytes, username: str, password: str) -> None:
    """Give ``username`` (or give again, after a new password) a slot for ``key``."""
    keys = read_keys(db_path)
    if not hmac.compare_digest(fingerprint(key), keys.fingerprint):
        raise EncryptionError("the key in memory is not this database's key: not changed")
    keys.slots[username.strip().lower()] = wrap(key, username.strip().lower(), password)
    write_keys(db_path, keys)


def remove_slot(db_path: Path, username: str) -> bool:
    """Take ``username``'s slot away (a leaver); False if they had none."""
    keys = read_keys(db_path)
    if keys.slots.pop(username.strip().lower(), None) is None:
        return False
    write_keys(db_path, keys)
    return True


def connect(
    path: Path, key: bytes | None, settings: Mapping[str, Any] | None = None, **kwargs: Any
) -> Any:
    """A DB-API connection to ``path`` through SQLCipher, keyed (``None``: plain) and
    given the file's cipher ``settings`` (its key file's :attr:`KeyFile.cipher`; needed
    with a key: the wrong ones make the file unreadable), with SQLCipher's own logging
    off (it would print on the terminal under the app)."""
    module = cipher_module()
    conn = module.connect(str(path), **kwargs)
    conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        if settings is None:
            conn.close()
            raise TypeError("an encrypted database's connection needs its cipher settings")
        conn.execute(f"PRAGMA key = {pragma_key(key)}")
        for statement in cipher_pragmas(settings):
            conn.execute(statement)
    return conn


# -- slots follow passwords (set at commit) -------------------------------------------------

PENDING_KEY = "key_slots"
"""``session.info`` key of the slot changes waiting for the unit of work to commit."""


def _session_path(session: Any) -> Path | None:
    """The encrypted SQLite file a session works on, if its key is in memory."""
    try:
        url = session.get_bind().url
    except Exception:  # no bind: nothing to follow
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(str(url.database))
    if not is_encrypted(path) or key_for(path) is None:
        return None
    return path


def password_set(session: Any, username: str, password: str | None) -> None:
    """An account's password was set (``password``) or the account disabled (None): on
    an encrypted database, its slot is to be wrapped again (or removed) once the unit of
    work commits. Written only after the commit, so a rolled-back change never leaves a
    slot that a password the database does not hold opens. A plain database: nothing."""
    path = _session_path(session)
    if path is not None:
        session.info.setdefault(PENDING_KEY, []).append((path, username, password))


def signed_in(session: Any, username: str, password: str) -> None:
    """``username`` signed in with ``password`` on an encrypted database someone opened:
    an account with no key of its own yet (made before ``db encrypt``, or after a
    ``db rekey``) is given one at the commit, so that its own password opens the database
    from then on. An account that has one is left alone (no rewrapping at each sign-in)."""
    path = _session_path(session)
    if path is None:
        return
    try:
        if username.strip().lower() in read_keys(path).slots:
            return
    except EncryptionError:
        return
    session.info.setdefault(PENDING_KEY, []).append((path, username, password))


def _apply_pending(session: Any) -> None:
    for path, username, password in session.info.pop(PENDING_KEY, []):
        key = key_for(path)
        if key is None:
            continue
        if password is None:
            remove_slot(path, username)
        else:
            set_slot(path, key, username, password)


def _drop_pending(session: Any, *_args: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def install(session_class: type) -> None:
    """Apply :func:`password_set`'s changes after each commit of ``session_class``."""
    from sqlalchemy import event

    event.listen(session_class, "after_commit", _apply_pending)
    event.listen(session_class, "after_rollback", _drop_pending)
