"""Crash reports that hold no person's details, and the one place Textual's own crash
output is replaced.

Whatever goes wrong, what reaches the terminal or a file must not hold a person's name,
NHS number, date of birth or notes. Python's and Textual's tracebacks do: Textual prints
every frame's local variables (the note being typed, the row being saved), SQLAlchemy's
exception text quotes the SQL parameters, and any exception message may hold a value.

So an unexpected error is written to a *redacted* report: the exception's type (and the
types of the exceptions chained to it), then the file, line and function of each frame.
No local variables, no argument values, no exception message. The report is a new file
readable by its owner only (0600) beside the database (or in the user data folder for a
PostgreSQL database), and one line on the terminal says where it is.

Three ways in, one report:

- the app: :class:`coordinator_tui.app.CoordinatorApp` hands Textual's unhandled
  exception (``App._handle_exception``, private Textual API: all of it is used here and
  nowhere else, and ``tests/test_crash.py`` fails loudly if Textual changes it) to
  :func:`handle_app_exception`; a failed worker of the app is reported by
  :func:`report_failed_worker`;
- the command line: ``cli.py`` routes any error a command did not expect to
  :func:`report_unexpected`;
- anything else (a thread, an error before the app or the CLI started): :func:`install`
  sets Python's exception hooks to the same report.

Nothing here imports Textual or SQLAlchemy at module level: the CLI and the first frame
import this module.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from coordinator_tui import __version__

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

__all__ = [
    "REPORT_PREFIX",
    "crash_line",
    "format_report",
    "handle_app_exception",
    "install",
    "report_dir",
    "report_failed_worker",
    "report_unexpected",
    "set_database",
    "user_message",
    "write_report",
]

REPORT_PREFIX = "coordinator-tui-crash-"
_database: str | None = None


def set_database(db: str | None) -> None:
    """Name the database in use, so that reports are written beside it."""
    global _database
    _database = db


def report_dir(db: str | None = None) -> Path:
    """Where reports go: the folder of the SQLite database, else the user data folder."""
    db = db if db is not None else _database
    if db:
        try:
            from coordinator_tui.preflight import resolve_target

            path = resolve_target(db).path
        except Exception:  # an unusable --db: still report somewhere private
            path = None
        if path is not None:
            return path.parent
    from coordinator_tui.settings import user_data_dir

    return user_data_dir()


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during, oldest first (as Python
    prints them)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not other for other in seen):
        seen.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return list(reversed(seen))


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _driver_code(exc: BaseException) -> str | None:
    """The database driver's error code (an SQLSTATE or SQLite's error name): a code, never
    a value, and often what tells a locked database from a damaged one."""
    orig = getattr(exc, "orig", None)
    for source in (orig, exc):
        for attribute in ("sqlstate", "sqlite_errorname"):
            code = getattr(source, attribute, None)
            if isinstance(code, str) and code.replace("_", "").isalnum():
                return code
    return None


def _frames(tb: TracebackType | None) -> list[str]:
    return [
        f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)
    ]


def format_report(exc: BaseException, *, context: str = "") -> str:
    """The redacted report: types, files, lines, function names. Never a value."""
    from platform import python_version

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"Coordinator TUI {__version__} crash report, {now}",
        f"Python {python_version()} on {sys.platform}",
        "This report holds no local variables, values or exception messages, so no "
        "person's details: only the kind of error and where in the code it happened.",
    ]
    if context:
        lines.append(f"while: {context}")
    for index, item in enumerate(_chain(exc)):
        if index:
            lines.append("which led to:")
        lines.append(f"exception: {_type_name(item)}")
        code = _driver_code(item)
        if code:
            lines.append(f"database code: {code}")
        lines.append("traceback (most recent call last):")
        lines.extend(_frames(item.__traceback__) or ["  (no frames)"])
    return "\n".join(lines) + "\n"


def write_report(exc: BaseException, *, context: str = "", db: str | None = None) -> Path | None:
    """Write the report to a new owner-only file; its path, or None if it could not be
    written (the one line then says so: the error is not hidden)."""
    text = format_report(exc, context=context)
    folder = report_dir(db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for attempt in range(100):
            suffix = f"-{attempt}" if attempt else ""
            path = folder / f"{REPORT_PREFIX}{stamp}-{os.getpid()}{suffix}.txt"
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
    except OSError:
        return None
    return None


def crash_line(exc: BaseException, path: Path | None) -> str:
    """The one line for the terminal: what kind of error, and where the report is."""
    where = (
        f"a report without personal details is at {path}"
        if path is not None
        else "no report could be written"
    )
    return f"coordinator-tui: stopped by an unexpected error ({type(exc).__name__}); {where}"


def report_unexpected(exc: BaseException, *, context: str = "", db: str | None = None) -> str:
    """Write the report for ``exc`` and return the one line to print."""
    return crash_line(exc, write_report(exc, context=context, db=db))


def user_message(exc: BaseException) -> str | None:
    """The coordinator's one line for an error that is not a bug: a refused action, a
    conflict, a database that is busy, gone or damaged. None for anything else."""
    from coordinator_tui.services.errors import CoordinatorError

    if isinstance(exc, CoordinatorError):
        return str(exc)
    if "sqlalchemy" in sys.modules:
        from coordinator_tui.services.errors import from_database_error

        translated = from_database_error(exc)
        if translated is not None:
            return str(translated)
    return None


# -- the app (private Textual API: called through coordinator_tui.textual_private) --------

TEXTUAL_PRIVATE = (
    "_handle_exception",
    "_fatal_error",
    "_return_code",
    "_exception",
    "_exception_event",
)
"""What of Textual's private ``App`` this module relies on (checked by tests/test_crash.py)."""


def handle_app_exception(app: Any, error: BaseException) -> None:
    """Textual's unhandled-exception path, without the traceback and its local variables.

    A worker that failed on an error meant for the coordinator (a database that is busy,
    a conflict) is not a crash: the line is shown and the app goes on. Anything else ends
    the app as Textual would (exit code 1; ``run_test`` re-raises the first error in
    tests), but what is printed is one line naming the redacted report."""
    from textual.worker import WorkerFailed

    cause = error.error if isinstance(error, WorkerFailed) else error
    if cause is not error:
        message = user_message(cause)
        if message is not None:
            app.notify(message, title="Not done", severity="error", timeout=12)
            return
    line = report_unexpected(cause, context="running the app", db=_app_db(app))
    from coordinator_tui.textual_private import end_app_with_error

    end_app_with_error(app, error)
    # The line is printed by the launcher once the terminal is restored (``launch``), as
    # plain text: a path Rich wrapped at the terminal's width could not be copied whole.
    app.fatal_message = line.removeprefix("coordinator-tui: ")
    app.panic()  # nothing of Textual's printed; ends the app as Textual's own path would


def _app_db(app: App[Any]) -> str | None:
    settings = getattr(app, "settings", None)
    return getattr(settings, "db", None) or None


def report_failed_worker(app: App[Any], worker: Worker[Any]) -> None:
    """A worker of the app that failed without ending it (``exit_on_error=False``): say
    so in one line, with the redacted report. Workers that end the app on error
    (Textual's default) are reported by :func:`handle_app_exception` instead."""
    error = worker.error
    if error is None or worker.exit_on_error:
        return
    message = user_message(error)
    if message is None:
        path = write_report(
            error, context=f"background work '{worker.name or worker.group}'", db=_app_db(app)
        )
        message = f"Something went wrong in the background ({type(error).__name__}); " + (
            f"a report without personal details is at {path}" if path else "no report"
        )
    app.notify(message, title="Not done", severity="error", timeout=12)


# -- Python's own hooks -------------------------------------------------------------------


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.stderr.write("coordinator-tui: interrupted\n")
        return
    if exc.__traceback__ is None:
        exc.__traceback__ = tb
    sys.stderr.write(report_unexpected(exc) + "\n")


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "?"
    path = write_report(args.exc_value, context=f"thread {name}")
    sys.stderr.write(crash_line(args.exc_value, path) + "\n")


def _unraisable_hook(args: Any) -> None:
    """An error Python could not raise (a finaliser, a callback at exit). Python's default
    prints it with the object's repr, which may hold a value; it ended nothing, so one
    line naming its type is enough (no report: some are routine at exit)."""
    if args.exc_value is not None:
        sys.stderr.write(f"coordinator-tui: ignored an error ({type(args.exc_value).__name__})\n")


def install() -> None:
    """Send every error Python would print (main thread, other threads, finalisers) to
    the redacted report instead."""
    sys.excepthook = _excepthook
    threading.excepthook = _thread_hook
    sys.unraisablehook = _unraisable_hook
