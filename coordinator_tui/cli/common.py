"""What every command of the ``coordinator-tui`` command line shares: the ``--db`` option,
one-line failures, opening the database for work, and running one unit of work.

Import hygiene: nothing here imports Textual or the database layer at module level
(``tests/test_import_hygiene.py`` checks that ``--help`` stays light).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from coordinator_tui import crash

T = TypeVar("T")

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


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    typer.echo(f"coordinator-tui: {message}", err=True)
    raise typer.Exit(code)


def load_settings_or_fail(db: str | None):
    from coordinator_tui.settings import SettingsError, load_settings

    try:
        settings = load_settings(db)
    except SettingsError as exc:
        fail(str(exc))
    crash.set_database(settings.db)
    return settings


def open_or_fail(db: str, *, migrate: bool = True):
    from coordinator_tui.db import DatabaseOpenError, open_database

    try:
        return open_database(db, migrate=migrate)
    except DatabaseOpenError as exc:
        fail(str(exc))


def open_for_work(db: str | None):
    """Open the database and bring reference data (and a practice's own files) in."""
    settings = load_settings_or_fail(db)
    opened = open_or_fail(settings.db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        apply_reference_data,
        use_practice_dir,
    )

    use_practice_dir(opened.target.path.parent if opened.target.path else None)
    try:
        with session_scope(opened.engine, settings.user) as session:
            apply_reference_data(session, today=settings.current_date())
    except ReferenceDataError as exc:
        opened.engine.dispose()
        fail(str(exc))
    return settings, opened


def parse_week(text: str, today, option: str = "--week"):
    """A date typed on the command line (``2026-11-30``, ``30/11``, ``+1w``), read against
    the coordinator's ``today`` (the pinned date in demos and tests), or one line."""
    from coordinator_tui.services.dates import DateParseError, parse_date

    try:
        return parse_date(text, today)
    except DateParseError as exc:
        fail(f"{option}: {exc}")


def run_job(db: str | None, job: Callable[..., T], *, with_user: bool = False) -> T:
    """Run ``job(session, today)`` (``job(session, today, user)`` with ``with_user``) in one
    unit of work on the database, after reference data is applied. A refusal the user can
    act on (any ``CoordinatorError``, a practice file that does not parse, a file that
    cannot be written) is one line and exit 2; the database is disposed of either way."""
    settings, opened = open_for_work(db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.reference import ReferenceDataError

    args: tuple[Any, ...] = (settings.current_date(),)
    if with_user:
        args += (settings.user,)
    try:
        with session_scope(opened.engine, settings.user) as session:
            return job(session, *args)
    except (CoordinatorError, ReferenceDataError, OSError) as exc:
        fail(str(exc))
    finally:
        opened.engine.dispose()
