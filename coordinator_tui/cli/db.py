"""Database maintenance commands: ``db upgrade|check|verify|encrypt|decrypt|rekey``, ``backup``
and ``restore``.

An encrypted database (issue 17 §5, ``coordinator_tui.keyslots``) is opened by signing in
(``coordinator-tui --user NAME db check``): ``cli.common.open_or_fail`` unlocks it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui.cli.common import (
    DbOption,
    credentials,
    fail,
    load_settings_or_fail,
    open_or_fail,
    sign_in,
    unlock_if_encrypted,
)

db_app = typer.Typer(
    help="Database maintenance: upgrade the schema, check integrity, verify the audit trail, "
    "encrypt or decrypt an SQLite file."
)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Upgrade the schema to this version of the app (backs up an SQLite file first)."""
    settings = load_settings_or_fail(db)
    opened = open_or_fail(settings.db, create=True)  # the command that starts a database
    try:
        if opened.created:
            typer.echo(f"Created {opened.target.display} at schema {opened.revision}")
        elif opened.upgraded_from:
            typer.echo(
                f"Upgraded {opened.target.display} from {opened.upgraded_from} to "
                f"{opened.revision}; backup at {opened.backup_path}"
            )
        else:
            typer.echo(f"{opened.target.display} is already at schema {opened.revision}")
    finally:
        opened.engine.dispose()


@db_app.command("check")
def db_check(db: DbOption = None) -> None:
    """Check integrity (SQLite PRAGMA integrity_check) and print the schema revision."""
    settings = load_settings_or_fail(db)
    from coordinator_tui.db import check_database

    opened = open_or_fail(settings.db, migrate=False)
    try:
        report = check_database(opened.engine)
    finally:
        opened.engine.dispose()
    typer.echo(f"database: {opened.target.display}")
    typer.echo(f"integrity: {report.integrity}")
    state = "current" if report.revision == report.head else f"behind {report.head}: run db upgrade"
    typer.echo(f"schema revision: {report.revision or 'none'} ({state})")
    if opened.target.path is not None:
        typer.echo(f"encryption: {_encryption_state(opened.target.path)}")
    broken = report.audit is not None and report.audit.broken_at is not None
    if report.audit is not None:
        typer.echo(f"audit chain: {report.audit.line}")
    if report.integrity != "ok" or broken:
        raise typer.Exit(1)


def _encryption_state(path: Path) -> str:
    """``db check``'s line on encryption at rest (issue 17 §5)."""
    from coordinator_tui import keyslots

    if not keyslots.is_encrypted(path):
        return "off (a plain SQLite file: the computer's disk encryption must protect it)"
    slots = sorted(keyslots.read_keys(path).slots)
    return f"on (SQLCipher; key file {keyslots.keys_path(path)}; keys for {', '.join(slots)})"


@db_app.command("verify")
def db_verify(db: DbOption = None) -> None:
    """Walk the audit trail's hash chain: the first broken link (an audit row changed,
    deleted or slipped in), exit 1; or 'ok, N rows' and the last hash, to note down."""
    settings = load_settings_or_fail(db)
    from coordinator_tui.db import verify_audit_chain

    opened = open_or_fail(settings.db, migrate=False)
    try:
        report = verify_audit_chain(opened.engine)
    finally:
        opened.engine.dispose()
    typer.echo(report.line if report.ok else f"audit chain {report.line}")
    if not report.ok:
        raise typer.Exit(1)


def backup(
    path: Annotated[Path, typer.Argument(help="Where to write the backup copy.")],
    db: DbOption = None,
) -> None:
    """Copy the database to PATH while it may be in use (SQLite online backup)."""
    settings = load_settings_or_fail(db)
    from coordinator_tui.db import backup_sqlite
    from coordinator_tui.preflight import DatabaseOpenError, check_sqlite_file, resolve_target

    target = resolve_target(settings.db)
    if target.path is None:
        fail("backup works on SQLite files; for PostgreSQL use pg_dump")
    if not target.path.exists():
        fail(f"{target.path} does not exist: nothing to back up")
    destination = path.expanduser().resolve()
    if destination.exists():
        fail(f"{destination} already exists: choose a new file name")
    from coordinator_tui import keyslots

    unlock_if_encrypted(settings.db)
    try:
        check_sqlite_file(target.path)
        backup_sqlite(target.path, destination)
    except (DatabaseOpenError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"Backed up {target.path} to {destination}")
    if keyslots.is_encrypted(target.path):
        typer.echo(
            f"The backup is encrypted like the database; its key file "
            f"{keyslots.keys_path(destination)} must be kept with it (the same passwords open it)."
        )
    else:
        typer.echo("The backup is NOT encrypted (nor is the database): keep it somewhere safe.")


def restore(
    path: Annotated[Path, typer.Argument(help="A backup made with 'coordinator-tui backup'.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing database.")] = False,
) -> None:
    """Restore a backup into the database location (refuses to overwrite without --force)."""
    settings = load_settings_or_fail(db)
    from coordinator_tui.db import restore_sqlite
    from coordinator_tui.preflight import DatabaseOpenError, resolve_target

    target = resolve_target(settings.db)
    if target.path is None:
        fail("restore works on SQLite files; for PostgreSQL use pg_restore")
    source = path.expanduser().resolve()
    if not source.is_file():
        fail(f"{source} does not exist")
    if target.path.exists() and target.path.stat().st_size > 0 and not force:
        fail(f"{target.path} already exists: add --force to overwrite it")
    unlock_if_encrypted(str(source))  # an encrypted backup: its key file's slots open it
    try:
        how = restore_sqlite(source, target.path)
    except DatabaseOpenError as exc:
        fail(str(exc))
    typer.echo(f"Restored {source} to {target.path} ({how})")


def _sqlite_path(db: str | None, doing: str):
    settings = load_settings_or_fail(db)
    from coordinator_tui.preflight import resolve_target

    target = resolve_target(settings.db)
    if target.path is None:
        fail(f"{doing} works on SQLite files; for PostgreSQL, encrypt the server's disk")
    if not target.path.exists():
        fail(f"{target.path} does not exist")
    return settings, target.path


def _administrator(settings, path) -> tuple[str, str, object]:
    """Sign in (unlocking an encrypted file first) as an account that may manage users;
    its name and password, which the key file's slot is wrapped with, and its principal
    (the converted database's audit event is written as it)."""
    from coordinator_tui.services import access

    opened = open_or_fail(str(path))
    try:
        principal = sign_in(opened.engine, settings)
    finally:
        opened.engine.dispose()
    given = credentials()
    if principal.kind != "account" or given is None:
        fail(
            "an encrypted database is opened by an account's password: add an administrator "
            "(coordinator-tui user add NAME --role administrator), then run "
            "coordinator-tui --user NAME db encrypt"
        )
    if not principal.can(access.MANAGE_USERS):
        fail("Not permitted: encrypting or decrypting the database needs an administrator")
    return given[0], given[1], principal


def _record_conversion(path: Path, principal, action: str, **details: object) -> None:
    """Write ``action`` (``db-encrypt``, ``db-decrypt``, ``db-rekey``) into the converted
    database's own audit trail, as the administrator who ran it: who and when (the event's
    actor and time) and what (tables and rows checked, whether a plain copy was kept).
    Never the key, the key file's content or a password: the trail is read by auditors who
    must not be able to open the file with what it says."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services import accounts

    opened = open_or_fail(str(path), migrate=False)  # the key is in memory: no prompt
    try:
        with session_scope(opened.engine, principal) as session:
            accounts.record_event(session, principal, action, **details)
    finally:
        opened.engine.dispose()


@db_app.command("encrypt")
def db_encrypt(
    db: DbOption = None,
    plain_backup: Annotated[
        bool,
        typer.Option(
            "--plain-backup/--no-plain-backup",
            help="Keep the plain file as a backup beside it (it is NOT encrypted).",
        ),
    ] = True,
) -> None:
    """Encrypt the SQLite database (SQLCipher) so that only an account's password opens
    it: coordinator-tui --user ADMIN db encrypt. The app and every command then ask for
    the password before opening it. Close the app everywhere first."""
    from coordinator_tui import keyslots
    from coordinator_tui.db import DatabaseOpenError, encrypt_sqlite

    settings, path = _sqlite_path(db, "encrypt")
    if keyslots.is_encrypted(path):
        fail(f"{path} is already encrypted")
    try:
        keyslots.cipher_module()
    except keyslots.EncryptionUnavailable as exc:
        fail(str(exc))
    username, password, principal = _administrator(settings, path)
    try:
        done = encrypt_sqlite(path, username, password, keep_plain=plain_backup)
    except (DatabaseOpenError, OSError) as exc:
        fail(str(exc))
    _record_conversion(
        path,
        principal,
        "db-encrypt",
        tables=str(done.tables),
        rows=str(done.rows),
        plain_copy_kept="yes" if done.plain_backup is not None else "no",
    )
    typer.echo(
        f"Encrypted {path} ({done.tables} tables, {done.rows} rows checked); key file "
        f"{keyslots.keys_path(path)} (keep it with every backup). Opens with {username}'s "
        "password; each other account gets its own key when it first signs in to the app "
        "after someone opened it, or when an administrator resets it."
    )
    if done.plain_backup is not None:
        typer.echo(
            f"The plain file is kept at {done.plain_backup}: it is NOT encrypted. Delete it "
            "once you have checked the encrypted database opens."
        )


@db_app.command("decrypt")
def db_decrypt(db: DbOption = None) -> None:
    """Turn an encrypted database back into a plain SQLite file (coordinator-tui --user
    ADMIN db decrypt): afterwards only the computer's own protection guards it."""
    from coordinator_tui import keyslots
    from coordinator_tui.db import DatabaseOpenError, decrypt_sqlite

    settings, path = _sqlite_path(db, "decrypt")
    if not keyslots.is_encrypted(path):
        fail(f"{path} is not encrypted")
    principal = _administrator(settings, path)[2]
    try:
        done = decrypt_sqlite(path)
    except (DatabaseOpenError, OSError) as exc:
        fail(str(exc))
    _record_conversion(path, principal, "db-decrypt", tables=str(done.tables), rows=str(done.rows))
    typer.echo(
        f"Decrypted {path} ({done.tables} tables, {done.rows} rows checked): it is NOT "
        "encrypted now; backups made from now on are not either."
    )


@db_app.command("rekey")
def db_rekey(db: DbOption = None) -> None:
    """Give the encrypted database a new key (coordinator-tui --user ADMIN db rekey), for
    when a key file and a password may both have got out: every other account's key is
    void, and each is given one again by 'user reset'."""
    from coordinator_tui import keyslots
    from coordinator_tui.db import DatabaseOpenError, rekey_sqlite

    settings, path = _sqlite_path(db, "rekey")
    if not keyslots.is_encrypted(path):
        fail(f"{path} is not encrypted: use db encrypt")
    username, password, principal = _administrator(settings, path)
    others = sorted(set(keyslots.read_keys(path).slots) - {username.strip().lower()})
    try:
        done = rekey_sqlite(path, username, password)
    except (DatabaseOpenError, OSError) as exc:
        fail(str(exc))
    _record_conversion(
        path,
        principal,
        "db-rekey",
        tables=str(done.tables),
        rows=str(done.rows),
        keys_voided=str(len(others)),
    )
    typer.echo(
        f"Re-keyed {path} ({done.tables} tables, {done.rows} rows checked): a new key, "
        f"opened by {username}'s password only. Older backups keep the old key."
    )
    if others:
        typer.echo(
            f"Their old keys are void: {', '.join(others)} (each gets a new one at a sign-in "
            "to the app you opened, or by user reset)"
        )


def register(app: typer.Typer) -> None:
    """Add the ``db`` group, ``backup`` and ``restore``."""
    app.add_typer(db_app, name="db")
    app.command()(backup)
    app.command()(restore)
