"""Entry point: open the app straight away, or hand the command line to the typer CLI.

Opening the app is what a coordinator does many times a day, so ``coordinator-tui`` and
``coordinator-tui [run] [--db X]`` skip importing typer and building the command tree
(about 60 ms, a tenth of the start-up budget: issue 2 asks for the first frame within
1.5 times a bare Textual app). Anything else, ``--help`` included, goes to ``cli.py``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coordinator_tui.services.access import Principal

DB_ENV = "COORDINATOR_TUI_DB"


class LaunchError(Exception):
    """Something to tell the coordinator in one line before the app could open."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def plain_run_db(argv: Sequence[str]) -> tuple[bool, str | None]:
    """``(True, db)`` when ``argv`` only asks to open the app: ``[run] [--db X | --db=X]``.

    ``db`` is None when not given (the environment variable or the settings decide).
    Anything else, including an empty ``--db=`` or an unknown option, is ``(False, None)``
    so that typer parses it and gives its usual messages."""
    args = list(argv)
    if args and args[0] == "run":
        args = args[1:]
    if not args:
        return True, None
    if len(args) == 2 and args[0] == "--db" and args[1] and not args[1].startswith("-"):
        return True, args[1]
    if len(args) == 1 and args[0].startswith("--db=") and len(args[0]) > len("--db="):
        return True, args[0][len("--db=") :]
    return False, None


def open_app(
    db: str | None, start: str = "home", demo: bool = False, principal: Principal | None = None
) -> int:
    """Check the database cheaply, run the app, and return its exit code. ``demo``: the
    ``demo`` command's demo user is signed in automatically (and the header says so);
    otherwise the app opens on its sign-in screen, unless ``principal`` is given (an
    encrypted database, unlocked and signed in on the terminal before the app opens).

    Raises ``LaunchError`` for a settings file or database that cannot be used, and for
    a failure the app met while opening the database (its message, exit code 2).

    The cyclic garbage collector is off while the app starts (issue 23 §2): the imports
    and the first screen allocate enough to run it about 120 times before the people
    list's first row, a full collection among them (tens of milliseconds), over objects
    nearly all of which live as long as the app. The app turns it back on once its
    database is open (its imports done) or after ``app.GC_HOLD_S``, and it is on again
    when this returns."""
    gc.disable()
    try:
        return _open_app(db, start, demo, principal)
    finally:
        gc.enable()


def _open_app(db: str | None, start: str, demo: bool, principal: Principal | None) -> int:
    from coordinator_tui import crash
    from coordinator_tui.preflight import DatabaseOpenError, preflight
    from coordinator_tui.settings import SettingsError, load_settings

    try:
        settings = load_settings(db or os.environ.get(DB_ENV) or None)
        crash.set_database(settings.db)
        preflight(settings.db)
    except (SettingsError, DatabaseOpenError) as exc:
        raise LaunchError(str(exc)) from None
    early = None
    if start == "people":  # its first frame on the terminal now, if it can be the app's
        from coordinator_tui.screens.registers import people_frame as early_paint

        early = early_paint.paint_early(settings.db, settings.theme, principal, demo)
    try:
        check_theme(settings.theme)
        from coordinator_tui.app import make_app

        if demo:
            from coordinator_tui.services.access import demo_principal

            principal = demo_principal()
        application = make_app(settings, start=start, principal=principal)
        if early is not None:  # the early paint entered the alternate screen already
            application.driver_class = early_paint.keep_screen(application.driver_class)
    except BaseException:
        if early is not None:
            early_paint.undo()
        raise
    application.run()
    code = application.return_code or 0
    if code and application.fatal_message:
        raise LaunchError(application.fatal_message, code)
    return code


def check_theme(theme: str) -> None:
    """Refuse, before the app opens, a theme Textual does not have (it would stop the app
    with an error on its first frame)."""
    from textual.theme import BUILTIN_THEMES

    if theme not in BUILTIN_THEMES:
        names = ", ".join(sorted(BUILTIN_THEMES))
        raise LaunchError(f"settings file: theme '{theme}' is not one of {names}")


def safe_console_streams(streams: Sequence[object] | None = None) -> None:
    """Output that cannot be encoded is replaced, never an error: on Windows a command's
    output redirected to a file, or a console left on a legacy code page (cp1252, cp850),
    has no "✓" or "⚑", and a line of a report must not end the command with a traceback.
    A UTF-8 stream is left alone."""
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding != "utf8" and reconfigure is not None:
            reconfigure(errors="replace")


def _encrypted(db: str | None) -> bool:
    """Whether the database the app would open is an encrypted SQLite file (issue 17 §5)."""
    from coordinator_tui.keyslots import is_encrypted
    from coordinator_tui.preflight import DatabaseOpenError, resolve_target
    from coordinator_tui.settings import SettingsError, load_settings

    try:
        path = resolve_target(load_settings(db or os.environ.get(DB_ENV) or None).db).path
    except (SettingsError, DatabaseOpenError):
        return False  # open_app says what is wrong
    return path is not None and is_encrypted(path)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script and ``python -m coordinator_tui`` entry point.

    Whatever fails, the terminal gets one line: the problem for the coordinator, or for
    a bug the place of its redacted report (``crash``), never a traceback."""
    from coordinator_tui import crash

    crash.install()
    safe_console_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    start = "home"
    if args and args[0] == "people":  # the same fast path, opened on the people list
        start, args[0] = "people", "run"
    plain, db = plain_run_db(args)
    if plain and _encrypted(db):  # unlocked on the terminal first (``cli.start``)
        plain = False
    if not plain:
        from coordinator_tui.cli import main as cli_main

        cli_main(list(sys.argv[1:] if argv is None else argv))
        return
    try:
        code = open_app(db, start)
    except LaunchError as exc:
        print(f"coordinator-tui: {exc}", file=sys.stderr)
        sys.exit(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        print(crash.report_unexpected(exc, context="opening the app"), file=sys.stderr)
        sys.exit(1)
    sys.exit(code)
