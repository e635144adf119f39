"""What every command of the ``coordinator-tui`` command line shares: the ``--db`` option,
one-line failures, signing in, opening the database for work, and running one unit of work.

Signing in (issue 17): one mechanism for every command, here, not per command. The
account is named before the command, ``coordinator-tui --user NAME COMMAND ...`` (or
``COORDINATOR_TUI_ACCOUNT``); its password is asked for with the input hidden, or read
from ``COORDINATOR_TUI_PASSWORD`` for automation (and a TOTP code from the prompt or
``COORDINATOR_TUI_TOTP``). :func:`open_for_work` and :func:`run_job` then sign in with
``services.accounts.sign_in`` (failures counted and audited as in the app), and the unit
of work acts for that account: the audit trail names it and ``access.require`` checks its
roles. A database with accounts refuses a command run without ``--user``; a database with
none yet (a new one, a demo) is worked on by the operating-system user who owns the file
(``access.operator_principal``), as before accounts existed. An encrypted database
(``keyslots``) is unlocked with the same name and password before it is opened
(:func:`open_or_fail`), so ``--user`` is needed for every command on one.

Import hygiene: nothing here imports Textual or the database layer at module level
(``tests/test_import_hygiene.py`` checks that ``--help`` stays light).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
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


ACCOUNT_ENV = "COORDINATOR_TUI_ACCOUNT"
PASSWORD_ENV = "COORDINATOR_TUI_PASSWORD"
CODE_ENV = "COORDINATOR_TUI_TOTP"

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        envvar=ACCOUNT_ENV,
        help="Sign in as this account (before the command: coordinator-tui --user NAME "
        f"COMMAND). The password is asked for, hidden, or read from {PASSWORD_ENV}.",
        show_default=False,
    ),
]


@dataclass
class _SignIn:
    """Who this run of the command line signs in as (set by the root callback)."""

    username: str | None = None
    password: str | None = None


_sign_in = _SignIn()


def set_sign_in(username: str | None) -> None:
    """The ``--user`` given to this run (the root callback calls it on every run)."""
    _sign_in.username = username.strip() if username and username.strip() else None
    _sign_in.password = None


def _ask(prompt: str, env: str) -> str:
    """A secret from ``env``, else typed at a hidden prompt; one line if neither can be."""
    if env in os.environ:
        return os.environ[env]
    try:
        return typer.prompt(prompt, hide_input=True, default="", show_default=False)
    except (typer.Abort, EOFError):
        fail(f"no {prompt.lower()} given: type it when asked, or set {env}")


EXPORT_PASSWORD_ENV = "COORDINATOR_TUI_EXPORT_PASSWORD"
"""The export password of a command writing a file from an encrypted database."""


def export_password() -> str:
    """The password a command's export from an encrypted database is encrypted with
    (``services.exporting``): from ``COORDINATOR_TUI_EXPORT_PASSWORD``, else typed twice at
    a hidden prompt when there is a terminal, else refused in one line. Asked only when a
    command actually exports from an encrypted database; held in memory for this run.
    The same rules as an account's password, and not the sign-in one: the recipient is
    told it (by phone, not in the e-mail that carries the file)."""
    import sys

    from coordinator_tui.services.accounts import password_problem

    given = os.environ.get(EXPORT_PASSWORD_ENV)
    if given is None:
        if not sys.stdin.isatty():
            fail(
                "exports from an encrypted database are encrypted: set "
                f"{EXPORT_PASSWORD_ENV} (or run the command at a terminal to be asked)"
            )
        try:
            given = typer.prompt(
                "Export password (tell the recipient it another way)",
                hide_input=True,
                confirmation_prompt="Export password again",
            )
        except (typer.Abort, EOFError):
            fail(f"no export password given: type it when asked, or set {EXPORT_PASSWORD_ENV}")
    problem = password_problem(given)
    if problem:
        fail(f"export password: {problem}")
    if _sign_in.password is not None and given == _sign_in.password:
        fail("the export password must not be your sign-in password: choose another")
    return given


def credentials() -> tuple[str, str] | None:
    """The account name and password for this run (asked once), or None without --user."""
    if _sign_in.username is None:
        return None
    if _sign_in.password is None:
        _sign_in.password = _ask(f"Password for {_sign_in.username}", PASSWORD_ENV)
    return _sign_in.username, _sign_in.password


def unlock_if_encrypted(db: str) -> None:
    """An encrypted SQLite database's key, unwrapped with this run's name and password
    (``keyslots.unlock``) and held in memory; a wrong one is one line, under a second."""
    from coordinator_tui import keyslots
    from coordinator_tui.preflight import resolve_target

    path = resolve_target(db).path
    if path is None or not keyslots.is_encrypted(path) or keyslots.key_for(path) is not None:
        return
    given = credentials()
    if given is None:
        fail(f"{path} is encrypted: sign in to open it (coordinator-tui --user NAME COMMAND ...)")
    try:
        keyslots.unlock(path, *given)
    except keyslots.EncryptionError as exc:
        fail(str(exc))


def sign_in(engine: Any, settings: Any, *, allow_temporary: bool = False) -> Any:
    """The principal this run acts for: the ``--user`` account signed in with its
    password (and code), or, on a database with no accounts yet, the operator. Refused in
    one line: a wrong name or password (counted, audited), a disabled account, a
    temporary password not yet changed, a database with accounts and no ``--user``."""
    from datetime import UTC, datetime

    from coordinator_tui.db import session_scope
    from coordinator_tui.services import accounts
    from coordinator_tui.services.access import Principal, operator_principal

    given = credentials()
    nobody = Principal(username=accounts.NOT_SIGNED_IN, kind="anonymous")

    def unit_of_work() -> Any:
        return session_scope(engine, nobody)

    outcome = None
    if given is None:
        with unit_of_work() as session:
            if accounts.account_count(session) == 0:
                return operator_principal(settings.user)
    else:
        # Each check in its own unit of work, committed before a refusal: a failure is
        # counted and audited; a sign-in of the same account elsewhere at the same moment
        # is checked again rather than refused as a conflict.
        now = datetime.now(UTC)
        outcome = accounts.sign_in_again_on_a_race(
            unit_of_work, given[0], given[1], now, os.environ.get(CODE_ENV, "")
        )
        if outcome.needs_code:
            code = _ask("Code from your authenticator app", CODE_ENV)
            outcome = accounts.sign_in_again_on_a_race(unit_of_work, given[0], given[1], now, code)
    if outcome is None:
        fail(
            "this database has accounts: sign in with coordinator-tui --user NAME COMMAND "
            f"(the password is asked for, or read from {PASSWORD_ENV})"
        )
    if outcome.principal is None:
        fail(outcome.message)
    if outcome.principal.must_change_password and not allow_temporary:
        fail("your password is temporary: sign in to the app once to choose your own")
    return outcome.principal


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


def refuse_missing_database(db: str) -> None:
    """One line, and nothing created, when ``db`` names an SQLite file that does not exist.

    Every command opens its database through :func:`open_or_fail`, which asks this
    unless the command is one that starts a database (``create=True``: ``db upgrade``,
    ``seed-demo``, ``demo``, ``serve``, as the app itself does). A mistyped ``--db`` must
    not be answered from a new, empty database ("No open actions.") left behind as a
    stray file. A URL with no file (PostgreSQL, ``sqlite://`` in memory) is left alone."""
    from coordinator_tui.preflight import DatabaseOpenError, resolve_target

    try:
        path = resolve_target(db).path
    except DatabaseOpenError:
        return  # an unknown URL: open_database words it
    if path is not None and not path.exists() and not path.is_symlink():
        fail(
            f"no database at {path}: check --db (coordinator-tui db upgrade --db PATH "
            "starts a new one)"
        )


def open_or_fail(db: str, *, migrate: bool = True, create: bool = False):
    """Open the database (unlocking an encrypted one first), or one line. A missing SQLite
    file is refused (:func:`refuse_missing_database`) unless ``create``: only the
    commands that start a database pass it."""
    if not create:
        refuse_missing_database(db)
    unlock_if_encrypted(db)  # before the database layer's imports: the prompt comes at once
    from coordinator_tui.db import DatabaseOpenError, open_database

    try:
        return open_database(db, migrate=migrate)
    except DatabaseOpenError as exc:
        fail(str(exc))


def open_for_work(db: str | None):
    """Open the database, sign in (``opened.principal``: the unit of work's actor), and
    bring reference data (and a practice's own files) in. A missing SQLite file is
    refused in one line (:func:`open_or_fail`)."""
    settings = load_settings_or_fail(db)
    opened = open_or_fail(settings.db)
    try:
        opened.principal = sign_in(opened.engine, settings)
    except BaseException:
        opened.engine.dispose()
        raise
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        apply_reference_data,
        use_practice_dir,
    )

    use_practice_dir(opened.target.path.parent if opened.target.path else None)
    try:
        with session_scope(opened.engine, opened.principal) as session:
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
    """Run ``job(session, today)`` (``job(session, today, user)`` with ``with_user``: the
    signed-in account's username) in one unit of work on the database, signed in
    (:func:`sign_in`), after reference data is applied. A refusal the user can
    act on (any ``CoordinatorError``, a practice file that does not parse, a file that
    cannot be written) is one line and exit 2; the database is disposed of either way."""
    settings, opened = open_for_work(db)
    from coordinator_tui.clock import MOMENT_KEY
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.exporting import EXPORT_PASSWORD_KEY, ExportPassword
    from coordinator_tui.services.reference import ReferenceDataError

    args: tuple[Any, ...] = (settings.current_date(),)
    if with_user:
        args += (opened.principal.username,)
    try:
        with session_scope(opened.engine, opened.principal) as session:
            session.info[MOMENT_KEY] = settings.current_moment()
            # Asked for only if the job exports from an encrypted database.
            session.info[EXPORT_PASSWORD_KEY] = ExportPassword(export_password)
            return job(session, *args)
    except (CoordinatorError, ReferenceDataError, OSError) as exc:
        fail(str(exc))
    finally:
        opened.engine.dispose()


# -- writing a report: one writer for ``report pcn``, ``report kpi`` (and any like them) -------


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    docx = "docx"


FormatOption = Annotated[
    ExportFormat | None,
    typer.Option("--format", help="csv, xlsx or docx (default: the --out extension)."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write it to this file (owner-only).")
]
SmallNumbersOption = Annotated[
    bool,
    typer.Option(
        "--show-small-numbers",
        help="Show counts of 1 to 4 (for use inside the practice only; default *).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object.")]


@dataclass(frozen=True)
class ReportOutput:
    """Where a report goes (``--out``), in which format (``--format``, else the file's
    extension, else csv), and whether counts of 1 to 4 show (``--show-small-numbers`` or
    the settings file's ``show_small_numbers``)."""

    out: Path | None
    kind: str
    show_small: bool
    database_encrypted: bool = False
    written: list[Path] = field(default_factory=list)
    """The file written (a CSV from an encrypted database gains ``.zip``)."""

    def write(self, export: Callable[[str, Path, bool], Any]) -> None:
        """``export(kind, path, show_small)`` when ``--out`` was given (a service's own
        writer: owner-only, audited as an export, encrypted from an encrypted database;
        it returns the path it wrote)."""
        if self.out is not None:
            written = export(self.kind, self.out.expanduser(), self.show_small)
            self.written[:] = [Path(written) if written is not None else self.out]

    def said_written(self, what: str) -> bool:
        """One line saying where ``what`` was written; False (nothing said) without --out."""
        if self.out is None:
            return False
        path = self.written[0] if self.written else self.out
        typer.echo(f"Wrote {what} to {path} ({self.kind})")
        if self.database_encrypted:
            typer.echo(
                "The file is encrypted with the export password (the database is "
                "encrypted): tell the recipient the password another way, by phone."
            )
        return True


def report_output(
    db: str | None, out: Path | None, fmt: ExportFormat | None, small: bool
) -> ReportOutput:
    """The options of a report command as one :class:`ReportOutput`, or one line (an
    ``--out`` file of another kind and no ``--format``)."""
    if fmt is not None:
        kind = fmt.value
    elif out is None:
        kind = "csv"
    else:
        kind = out.suffix.lower().lstrip(".")
        if kind not in {member.value for member in ExportFormat}:
            fail("--out: name a .csv, .xlsx or .docx file, or give --format")
    settings = load_settings_or_fail(db)
    show_small = small or bool(getattr(settings, "show_small_numbers", False))
    from coordinator_tui import keyslots
    from coordinator_tui.preflight import resolve_target

    path = resolve_target(settings.db).path
    return ReportOutput(out, kind, show_small, path is not None and keyslots.is_encrypted(path))


def echo_json(document: Any) -> None:
    """A command's ``--json`` output: indented, non-ASCII kept (names, "£")."""
    typer.echo(json.dumps(document, indent=1, ensure_ascii=False))
