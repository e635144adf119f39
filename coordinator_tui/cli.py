"""The ``coordinator-tui`` command line (typer).

Import hygiene matters here: ``--help`` and every headless command must not import
Textual (``tests/test_import_hygiene.py`` checks), and the database layer (SQLAlchemy,
SQLModel, Alembic) is imported inside the commands that need it. Every error a user can
cause is one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from coordinator_tui import __version__, crash

_PASS_THROUGH = (
    typer.Exit,
    typer.Abort,
    # Typer 0.2x ships its own copy of click (click itself is not installed with it): its
    # usage errors (a bad option value) derive from this, and must reach typer's one-line
    # usage message and exit code 2, not the crash report.
    typer.TyperException,
)


class _Commands(TyperGroup):
    """Every command runs inside :meth:`invoke`: an error a command did not turn into its
    own one line becomes one here, and never a traceback (which would show SQL parameters
    or a value: a person's details). Errors meant for the user (a refused database, a
    settings file, a database that is busy, gone or damaged) are their one line, exit 2;
    anything else is a bug, written to the redacted crash report (``crash``), exit 1."""

    def invoke(self, ctx: typer.Context) -> object:
        from coordinator_tui.preflight import DatabaseOpenError
        from coordinator_tui.settings import SettingsError

        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except (DatabaseOpenError, SettingsError) as exc:
            fail(str(exc))
        except Exception as exc:
            message = crash.user_message(exc)
            if message is not None:
                fail(message)
            typer.echo(crash.report_unexpected(exc, context="a command"), err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="coordinator-tui",
    help="Keyboard-driven terminal app for UK safeguarding and homecare care coordinators.",
    no_args_is_help=False,
    add_completion=False,
    cls=_Commands,
    # A traceback would print values (typer's pretty one, every local variable): errors
    # are routed to one line or the redacted crash report instead (_Commands).
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(
    help="Database maintenance: upgrade the schema, check integrity, verify the audit trail."
)
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="COORDINATOR_TUI_DB",
        help="SQLite file path or SQLAlchemy URL (postgresql+psycopg://...). "
        "Default: coordinator.db in your user data folder.",
        show_default=False,
    ),
]


class DemoSize(StrEnum):
    small = "small"
    large = "large"


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    typer.echo(f"coordinator-tui: {message}", err=True)
    raise typer.Exit(code)


def _settings(db: str | None):
    from coordinator_tui.settings import SettingsError, load_settings

    try:
        settings = load_settings(db)
    except SettingsError as exc:
        fail(str(exc))
    crash.set_database(settings.db)
    return settings


def _open(db: str, *, migrate: bool = True):
    from coordinator_tui.db import DatabaseOpenError, open_database

    try:
        return open_database(db, migrate=migrate)
    except DatabaseOpenError as exc:
        fail(str(exc))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"coordinator-tui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Open the app (same as ``run``) when no command is given."""
    if ctx.invoked_subcommand is None:
        run(db)


def _launch(db: str, start: str = "home") -> None:
    """Open the interactive app on ``db`` after the cheap checks that need no heavy imports."""
    from coordinator_tui.launch import LaunchError, open_app

    try:
        code = open_app(db, start)
    except LaunchError as exc:
        fail(str(exc), exc.code)
    if code:
        raise typer.Exit(code)


@app.command()
def run(db: DbOption = None) -> None:
    """Open the app on your database (created and migrated if needed)."""
    settings = _settings(db)
    _launch(settings.db)


@app.command()
def people(db: DbOption = None) -> None:
    """Open the app on the list of every person (find someone at once; 1 goes Home)."""
    settings = _settings(db)
    _launch(settings.db, start="people")


@app.command("seed-demo")
def seed_demo_command(
    db: DbOption = None,
    size: Annotated[DemoSize, typer.Option(help="small: 2,000 people; large: 100,000.")] = (
        DemoSize.small
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed builds the same data.")] = 1,
) -> None:
    """Build a synthetic demo dataset (no real person) in a new or empty database."""
    if not db:
        fail("seed-demo needs --db PATH (it will not write demo data into your real database)")
    today = _settings(db).current_date()  # COORDINATOR_TUI_TODAY, as the app will show
    opened = _open(db)
    from coordinator_tui.services.demo import seed_demo

    try:
        summary = seed_demo(opened.engine, size=size.value, seed=seed, today=today)
    except ValueError as exc:
        fail(str(exc))
    finally:
        opened.engine.dispose()
    typer.echo(
        f"Seeded {size.value} demo into {opened.target.display} "
        f"in {summary.elapsed_seconds:.1f} s: {summary.describe()}"
    )


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build the demo (default: a temporary folder)."),
    ] = None,
    size: Annotated[DemoSize, typer.Option(help="small or large demo data.")] = DemoSize.small,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Build a fresh demo database and open the app on it (a temporary one is removed
    when you quit; the lines before and after the app say where it is)."""
    workdir = None
    if db is None:
        workdir = tempfile.mkdtemp(prefix="coordinator-tui-demo-")
        db = str(Path(workdir) / "demo.db")
    try:
        today = _settings(db).current_date()
        if workdir is not None:
            crash.set_database(None)  # a report must outlive the temporary folder
        opened = _open(db)
        from coordinator_tui.services.demo import seed_demo

        where = opened.target.display
        kept = "temporary: removed when you quit" if workdir else "kept after you quit"
        try:
            typer.echo(f"Building the {size.value} demo database in {where} ({kept})...", err=True)
            seed_demo(opened.engine, size=size.value, seed=seed, today=today)
        except ValueError:
            pass  # already seeded (an existing --db): open it as it is
        finally:
            opened.engine.dispose()
        _launch(db)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
            typer.echo(f"Removed the temporary demo database {Path(workdir) / 'demo.db'}", err=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Upgrade the schema to this version of the app (backs up an SQLite file first)."""
    settings = _settings(db)
    opened = _open(settings.db)
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
    settings = _settings(db)
    from coordinator_tui.db import check_database

    opened = _open(settings.db, migrate=False)
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
    settings = _settings(db)
    from coordinator_tui.db import verify_audit_chain

    opened = _open(settings.db, migrate=False)
    try:
        report = verify_audit_chain(opened.engine)
    finally:
        opened.engine.dispose()
    typer.echo(report.line if report.ok else f"audit chain {report.line}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="Where to write the backup copy.")],
    db: DbOption = None,
) -> None:
    """Copy the database to PATH while it may be in use (SQLite online backup)."""
    settings = _settings(db)
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


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A backup made with 'coordinator-tui backup'.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing database.")] = False,
) -> None:
    """Restore a backup into the database location (refuses to overwrite without --force)."""
    settings = _settings(db)
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


# -- rota -------------------------------------------------------------------------------

rota_app = typer.Typer(
    help="Homecare rota: generate a week's visits, check them against the rules, import CSV."
)
app.add_typer(rota_app, name="rota")


class ImportKind(StrEnum):
    carers = "carers"
    customers = "customers"
    visits = "visits"


def _open_for_work(db: str | None):
    """Open the database and bring reference data (and a practice's own files) in."""
    settings = _settings(db)
    opened = _open(settings.db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        apply_reference_data,
        use_practice_dir,
    )

    use_practice_dir(opened.target.path.parent if opened.target.path else None)
    try:
        with session_scope(opened.engine, settings.user) as session:
            apply_reference_data(session)
    except ReferenceDataError as exc:
        opened.engine.dispose()
        fail(str(exc))
    return settings, opened


def _week(text: str):
    from coordinator_tui.services.dates import DateParseError, parse_date

    try:
        return parse_date(text)
    except DateParseError as exc:
        fail(f"--week: {exc}")


@rota_app.command("generate")
def rota_generate(
    week: Annotated[str, typer.Option(help="Any day of the week, e.g. 2026-11-30 or 30/11.")],
    db: DbOption = None,
    no_roll_forward: Annotated[
        bool, typer.Option("--no-roll-forward", help="Leave every visit unassigned.")
    ] = False,
) -> None:
    """Create the week's visits from the care packages' visit templates (idempotent)."""
    day = _week(week)
    settings, opened = _open_for_work(db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.visit_generation import VisitGenerationError, generate_week

    try:
        with session_scope(opened.engine, settings.user) as session:
            result = generate_week(session, day, roll_forward=not no_roll_forward)
    except VisitGenerationError as exc:
        fail(str(exc))
    finally:
        opened.engine.dispose()
    typer.echo(result.summary())


@rota_app.command("import")
def rota_import(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="A CSV file in the format of the README.")],
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; write nothing.")
    ] = False,
) -> None:
    """Import carers, customers or visits from CSV: one bad row rejects the whole file."""
    try:
        text = file.expanduser().read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    settings, opened = _open_for_work(db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota_import import RotaImportError, import_csv

    try:
        with session_scope(opened.engine, settings.user) as session:
            result = import_csv(session, kind.value, text, dry_run=dry_run)
    except RotaImportError as exc:
        typer.echo(f"coordinator-tui: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        opened.engine.dispose()
    typer.echo(result.summary())
    for note in result.notes:
        typer.echo(f"note: {note}")


@rota_app.command("check")
def rota_check(
    week: Annotated[str, typer.Option(help="Any day of the week, e.g. 2026-11-23 or 23/11.")],
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: the week's figures and problems.")
    ] = False,
) -> None:
    """Check the week's rota against every rule and print every problem (exit 1 if hard)."""
    import json

    day = _week(week)
    settings = _settings(db)
    opened = _open(settings.db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.validate import validate_week

    try:
        with session_scope(opened.engine, settings.user) as session:
            snapshot = load_week(session, day)
    finally:
        opened.engine.dispose()
    problems = validate_week(snapshot)
    names = {carer.id: carer.name for carer in snapshot.carers.values()}
    hard = sum(1 for p in problems if p.is_hard)
    accepted = sum(1 for p in problems if p.accepted)
    counts = {"hard": hard, "soft": len(problems) - hard - accepted, "accepted": accepted}
    if as_json:
        document = {
            "week": snapshot.monday.isoformat(),
            "visits": len(snapshot.visits),
            "carers": len(snapshot.carers),
            "counts": counts,
            "problems": [
                {**p.to_dict(), "carer": names.get(p.carer_id) if p.carer_id else None}
                for p in problems
            ],
        }
        typer.echo(json.dumps(document, indent=1, ensure_ascii=False))
    else:
        typer.echo(
            f"Week of {snapshot.monday:%a %d %b %Y}: {len(snapshot.visits)} visits, "
            f"{counts['hard']} hard, {counts['soft']} soft, {counts['accepted']} accepted"
        )
        for p in problems:
            severity = "accepted" if p.accepted else p.severity.upper()
            carer = f"{names.get(p.carer_id, '?')} ({p.carer_id})" if p.carer_id else "-"
            visits = ",".join(map(str, p.visit_ids)) or "-"
            when = f"{p.day:%a %d %b}" if p.day else "week"
            typer.echo(
                f"{severity:<8} {p.code:<16} {when:<10} {carer:<26} {visits:<12} {p.message}"
            )
    if hard:
        raise typer.Exit(1)


# -- meetings (coordinator_tui/cli_meetings.py) ------------------------------------------

from coordinator_tui.cli_meetings import register as _register_meetings  # noqa: E402

_register_meetings(app)
from coordinator_tui.cli_governance import register as _register_governance  # noqa: E402

_register_governance(app)

# -- rota solve (coordinator_tui/cli_rota_solve.py) --------------------------------------

from coordinator_tui.cli_rota_solve import register as _register_rota_solve  # noqa: E402

_register_rota_solve(rota_app)
from coordinator_tui.cli_reports import register as _register_reports  # noqa: E402

_register_reports(app)


def main(argv: list[str] | None = None) -> None:
    """The typer CLI on ``argv`` (default: the process's arguments)."""
    crash.install()
    try:
        app(args=argv, prog_name="coordinator-tui")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # outside any command (parsing, typer itself)
        print(crash.report_unexpected(exc, context="the command line"), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
