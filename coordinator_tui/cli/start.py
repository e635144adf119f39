"""Commands that open the app: ``run`` (also the bare command), ``people``, ``demo``, and
``seed-demo`` which builds the synthetic demo data."""

from __future__ import annotations

import os
import shutil
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui import crash
from coordinator_tui.cli.common import (
    DbOption,
    fail,
    load_settings_or_fail,
    open_or_fail,
)


class DemoSize(StrEnum):
    small = "small"
    large = "large"


def _unlock_for_app(db: str):
    """An encrypted database (issue 17 §5) is unlocked before the app opens: the account's
    name (``--user``, else asked) and password (asked, hidden) unwrap its key, and the
    same sign-in is the app's, so the password is typed once. None for a plain database
    (the app's own sign-in screen asks)."""
    from coordinator_tui import keyslots
    from coordinator_tui.cli.common import credentials, set_sign_in, sign_in
    from coordinator_tui.preflight import resolve_target

    path = resolve_target(db).path
    if path is None or not keyslots.is_encrypted(path):
        return None
    if credentials() is None and "web_driver" in os.environ.get("TEXTUAL_DRIVER", ""):
        return None  # a serve tab (textual-serve's driver): no terminal to ask on; the
        # app's sign-in form takes the name and password and unlocks it
    if credentials() is None:
        try:
            set_sign_in(typer.prompt(f"{path} is encrypted. User name"))
        except (typer.Abort, EOFError):
            fail(f"{path} is encrypted: sign in to open it (coordinator-tui --user NAME)")
    credentials()  # the password asked for at once, before the slow imports
    opened = open_or_fail(db)
    try:
        principal = sign_in(opened.engine, load_settings_or_fail(db), allow_temporary=True)
    finally:
        opened.engine.dispose()
    # A temporary password (a new or reset account) opened the key; the app's sign-in
    # screen asks for it again and then for the account's own (which its slot then takes).
    return None if principal.must_change_password else principal


def _launch(db: str, start: str = "home", demo: bool = False) -> None:
    """Open the interactive app on ``db`` after the cheap checks that need no heavy imports."""
    from coordinator_tui.launch import LaunchError, open_app

    principal = None if demo else _unlock_for_app(db)
    try:
        code = open_app(db, start, demo=demo, principal=principal)
    except LaunchError as exc:
        fail(str(exc), exc.code)
    if code:
        raise typer.Exit(code)


def run(db: DbOption = None) -> None:
    """Open the app on your database (created and migrated if needed)."""
    settings = load_settings_or_fail(db)
    _launch(settings.db)


def people(db: DbOption = None) -> None:
    """Open the app on the list of every person (find someone at once; 1 goes Home)."""
    settings = load_settings_or_fail(db)
    _launch(settings.db, start="people")


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
    today = load_settings_or_fail(db).current_date()  # COORDINATOR_TUI_TODAY, as the app will show
    opened = open_or_fail(db, create=True)
    from coordinator_tui.demo.seed import seed_demo

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
        today = load_settings_or_fail(db).current_date()
        if workdir is not None:
            crash.set_database(None)  # a report must outlive the temporary folder
        opened = open_or_fail(db, create=True)
        from coordinator_tui.demo.seed import seed_demo

        where = opened.target.display
        kept = "temporary: removed when you quit" if workdir else "kept after you quit"
        try:
            typer.echo(f"Building the {size.value} demo database in {where} ({kept})...", err=True)
            seed_demo(opened.engine, size=size.value, seed=seed, today=today)
        except ValueError:
            pass  # already seeded (an existing --db): open it as it is
        finally:
            opened.engine.dispose()
        _launch(db, demo=True)  # the demo user signed in automatically (issue 17)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
            typer.echo(f"Removed the temporary demo database {Path(workdir) / 'demo.db'}", err=True)


def register(app: typer.Typer) -> None:
    """Add the commands that open the app."""
    app.command()(run)
    app.command()(people)
    app.command("seed-demo")(seed_demo_command)
    app.command()(demo)
