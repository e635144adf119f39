"""The ``coordinator-tui`` command line (typer).

Import hygiene matters here: ``--help`` and every headless command must not import
Textual (``tests/test_import_hygiene.py`` checks), and the database layer (SQLAlchemy,
SQLModel, Alembic) is imported inside the commands that need it. Every error a user can
cause is one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from coordinator_tui import __version__, crash
from coordinator_tui.cli.common import DbOption, UserOption, fail, set_sign_in

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


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"coordinator-tui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    user: UserOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Open the app (same as ``run``) when no command is given.

    ``--user NAME`` (before the command) signs the command in as that account
    (``cli.common``: one mechanism for every command)."""
    set_sign_in(user)
    source = ctx.get_parameter_source("db")
    if ctx.invoked_subcommand is not None and source is not None and source.name == "COMMANDLINE":
        # Before a command, --db was ignored: the command read the default database (or
        # COORDINATOR_TUI_DB's) and answered from it, not from the file named.
        fail(
            f"--db goes after the command: coordinator-tui {ctx.invoked_subcommand} ... "
            "--db PATH (before a command only --user is read)"
        )
    if ctx.invoked_subcommand is None:
        from coordinator_tui.cli.start import run

        run(db)


def _register_commands() -> None:
    """Each command group is a module of this package with ``register(app)``."""
    from coordinator_tui.cli import db, governance, meetings, reports, rota, start, users

    for module in (start, db, rota, meetings, governance, reports, users):
        module.register(app)
    from coordinator_tui.cli import training  # issue 18 §5: training matrix

    training.register(app)
    from coordinator_tui.cli import care  # issue 18 §1-2: care changes and reviews

    care.register(app)
    from coordinator_tui.cli import visits  # issue 14 §4: call-monitoring import

    visits.register(app)
    from coordinator_tui.cli import bundle, serve  # issue 20: the practice PC's two ways

    bundle.register(app)
    serve.register(app)


_register_commands()


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
