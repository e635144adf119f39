"""Database maintenance commands: ``db upgrade|check|verify``, ``backup`` and ``restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui.cli.common import (
    DbOption,
    fail,
    load_settings_or_fail,
    open_or_fail,
)

db_app = typer.Typer(
    help="Database maintenance: upgrade the schema, check integrity, verify the audit trail."
)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Upgrade the schema to this version of the app (backs up an SQLite file first)."""
    settings = load_settings_or_fail(db)
    opened = open_or_fail(settings.db)
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
    broken = report.audit is not None and report.audit.broken_at is not None
    if report.audit is not None:
        typer.echo(f"audit chain: {report.audit.line}")
    if report.integrity != "ok" or broken:
        raise typer.Exit(1)


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
    try:
        check_sqlite_file(target.path)
        backup_sqlite(target.path, destination)
    except (DatabaseOpenError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"Backed up {target.path} to {destination}")


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
    try:
        how = restore_sqlite(source, target.path)
    except DatabaseOpenError as exc:
        fail(str(exc))
    typer.echo(f"Restored {source} to {target.path} ({how})")


def register(app: typer.Typer) -> None:
    """Add the ``db`` group, ``backup`` and ``restore``."""
    app.add_typer(db_app, name="db")
    app.command()(backup)
    app.command()(restore)
