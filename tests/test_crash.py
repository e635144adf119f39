"""Crashes never print or write a person's details (issue 12 section 2).

Each way an error can surface is made to fail with a person's name and NHS number in a
local variable and in the exception message: the app (an event handler, a worker), the
fast launch path, the typer command line and a stray thread. Neither may appear on
stdout, stderr or in the crash report, which must be owner-only (0600), and the terminal
gets one line naming the report.
"""

from __future__ import annotations

import inspect
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual.app import App
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerFailed

from coordinator_tui import crash
from coordinator_tui.services.errors import DatabaseUnavailableError

NAME = "Aurelia Quennell-Smythe"
NHS = "9991234567"
SECRETS = (NAME, NHS, "Quennell", "999 123 4567")


def _reports(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{crash.REPORT_PREFIX}*.txt"))


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked"
    assert "Traceback" not in text


def _assert_one_report(folder: Path, output: str) -> Path:
    reports = _reports(folder)
    assert len(reports) == 1, (reports, output)
    report = reports[0]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    body = report.read_text()
    _assert_clean(body)
    assert str(report) in output
    return report


def _run(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COORDINATOR_TUI_CONFIG": str(tmp_path / "settings.toml"),
        "COORDINATOR_TUI_USER": "test.user",
        "COORDINATOR_TUI_PREPARE_SECTIONS": "0",
    }
    env.pop("COORDINATOR_TUI_DB", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


class TestTextualPrivateApi:
    """The app's crash path replaces private Textual API (``crash.TEXTUAL_PRIVATE``): this
    fails loudly if a Textual upgrade renames or stops calling it, rather than letting
    Textual's traceback with local variables come back unnoticed."""

    def test_overridden_methods_exist_with_the_same_signatures(self):
        assert list(inspect.signature(App._handle_exception).parameters) == ["self", "error"]
        assert list(inspect.signature(App._fatal_error).parameters) == ["self"]

    def test_textual_still_routes_errors_through_handle_exception(self):
        assert "_handle_exception" in inspect.getsource(MessagePump._process_messages_loop)
        assert "_handle_exception" in inspect.getsource(Worker._run)
        assert "_fatal_error" in inspect.getsource(App._handle_exception)

    def test_private_attributes_are_there(self, tmp_path):
        from coordinator_tui.app import make_app
        from coordinator_tui.settings import load_settings

        app = make_app(load_settings(str(tmp_path / "x.db")))
        for name in crash.TEXTUAL_PRIVATE:
            assert hasattr(app, name), name
        assert hasattr(app._exception_event, "set")


class TestReport:
    def test_report_holds_types_and_places_not_values(self, tmp_path):
        def save(note: str) -> None:
            nhs_number = NHS  # noqa: F841 - a local a traceback with locals would show
            raise ValueError(f"cannot save the note for {NAME}: {note}")

        try:
            try:
                save(f"{NAME} was seen today")
            except ValueError as inner:
                raise RuntimeError(f"while saving {NHS}") from inner
        except RuntimeError as exc:
            path = crash.write_report(exc, db=str(tmp_path / "x.db"))
        assert path is not None and path.parent == tmp_path
        body = path.read_text()
        _assert_clean(body)
        assert "exception: ValueError" in body and "exception: RuntimeError" in body
        assert "in save" in body and "test_crash.py:" in body
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_report_for_postgres_goes_to_the_user_data_folder(self, tmp_path, monkeypatch):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        path = crash.write_report(KeyError(NAME), db="postgresql+psycopg://u@h/db")
        assert path is not None and path.parent == tmp_path / "xdg" / "coordinator-tui"

    def test_database_error_names_its_code_not_its_sql(self, tmp_path):
        import sqlite3

        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE person (name TEXT UNIQUE)")
        conn.execute("INSERT INTO person VALUES (?)", (NAME,))
        try:
            conn.execute(f"INSERT INTO person VALUES ('{NAME}')")
        except sqlite3.IntegrityError as exc:
            body = crash.format_report(exc)
        _assert_clean(body)
        assert "sqlite3.IntegrityError" in body


class TestApp:
    @staticmethod
    def _launch_crashing_app(tmp_path: Path, db: Path, body: str):
        """``coordinator-tui --db DB`` (the real launcher) on an app that fails as
        ``body`` says, run headless as there is no terminal here."""
        head = textwrap.dedent(
            """
            import sys
            from textual import work
            import coordinator_tui.app as app_module
            from coordinator_tui.launch import main

            class Crashing(app_module.CoordinatorApp):
                def run(self, **kwargs):
                    return super().run(headless=True)

                def on_mount(self):
                    super().on_mount()
                    self.call_after_refresh(self.start)
            """
        )
        tail = textwrap.dedent(
            """
            app_module.make_app = lambda settings, start="home", **kw: Crashing(settings, **kw)
            main(["--db", sys.argv[1]])
            """
        )
        script = head + textwrap.indent(textwrap.dedent(body), "    ") + tail
        return _run(script, tmp_path, str(db))

    def test_handler_crash_in_a_real_app_process(self, tmp_path):
        """A handler raising with a person in its locals and message: one line on the
        terminal, a clean 0600 report beside the database, exit code 1."""
        db = tmp_path / "db" / "c.db"
        done = self._launch_crashing_app(
            tmp_path,
            db,
            f"""
            def start(self):
                patient = {{"name": {NAME!r}, "nhs_number": {NHS!r}}}
                raise ValueError("could not save " + " ".join(patient.values()))
            """,
        )
        output = done.stdout + done.stderr
        _assert_clean(output)
        assert done.returncode == 1, output
        report = _assert_one_report(db.parent, output)
        assert "in start" in report.read_text()
        assert done.stderr.splitlines()[-1].startswith(
            "coordinator-tui: stopped by an unexpected error (ValueError)"
        )

    def test_worker_crash_in_a_real_app_process(self, tmp_path):
        db = tmp_path / "w.db"
        done = self._launch_crashing_app(
            tmp_path,
            db,
            f"""
            def start(self):
                self.load_person()

            @work(thread=True)
            def load_person(self):
                name, nhs_number = {NAME!r}, {NHS!r}
                raise KeyError(name + nhs_number)
            """,
        )
        output = done.stdout + done.stderr
        _assert_clean(output)
        assert done.returncode == 1, output
        report = _assert_one_report(tmp_path, output)
        assert "in load_person" in report.read_text()

    async def test_pilot_handler_crash_keeps_textual_test_behaviour(self, tmp_path):
        """Under ``run_test`` the first error is still re-raised (tests keep failing on
        errors), and what Textual would print is our one line, not a traceback."""
        from coordinator_tui.app import CoordinatorApp
        from coordinator_tui.settings import load_settings

        class Crashing(CoordinatorApp):
            def action_boom(self) -> None:
                nhs_number = NHS  # noqa: F841
                raise ValueError(NAME)

        app = Crashing(load_settings(str(tmp_path / "p.db")))
        with pytest.raises(ValueError):
            async with app.run_test() as pilot:
                await pilot.pause()
                app.call_later(app.run_action, "boom")
                for _ in range(100):
                    await pilot.pause(0.02)
        assert app.return_code == 1
        assert app._exit_renderables == []  # Textual prints nothing of its own
        line = app.fatal_message or ""
        _assert_clean(line)
        assert "a report without personal details is at" in line
        _assert_one_report(tmp_path, line)

    async def test_worker_failing_on_a_database_error_keeps_the_app(self, tmp_path):
        """A worker that fails because the database is busy is not a crash: one line, the
        app goes on, no report."""
        from coordinator_tui.app import CoordinatorApp
        from coordinator_tui.settings import load_settings

        app = CoordinatorApp(load_settings(str(tmp_path / "b.db")))
        async with app.run_test() as pilot:
            await pilot.pause()

            def busy() -> None:
                raise DatabaseUnavailableError("The database is busy: try again.")

            app.run_worker(busy, thread=True)
            for _ in range(200):
                if app._notifications:
                    break
                await pilot.pause(0.02)
            messages = [n.message for n in app._notifications]
            assert messages == ["The database is busy: try again."]
            assert app.is_running and app.return_code is None
        assert _reports(tmp_path) == []

    async def test_app_worker_that_does_not_end_the_app_is_reported(self, tmp_path):
        """``exit_on_error=False``: Textual would fail it silently; the app-level
        ``Worker.StateChanged`` handler says so in one line with the redacted report."""
        from coordinator_tui.app import CoordinatorApp
        from coordinator_tui.settings import load_settings

        app = CoordinatorApp(load_settings(str(tmp_path / "q.db")))
        async with app.run_test() as pilot:
            await pilot.pause()

            def lookup() -> None:
                person = {"name": NAME}
                raise LookupError(person["name"])

            app.run_worker(lookup, thread=True, exit_on_error=False, name="lookup")
            for _ in range(200):
                if app._notifications:
                    break
                await pilot.pause(0.02)
            (message,) = [n.message for n in app._notifications]
            _assert_clean(message)
            assert "LookupError" in message
            assert app.is_running
        _assert_one_report(tmp_path, message)

    def test_worker_failed_wrapping_is_unwrapped_for_the_report(self, tmp_path):
        try:
            raise ValueError(NAME)
        except ValueError as exc:
            failed = WorkerFailed(exc)
        assert crash.user_message(failed.error) is None


def _new_database(path: Path) -> None:
    """A new, empty database at ``path`` (as ``db upgrade`` starts one)."""
    from coordinator_tui.db import open_database

    open_database(str(path)).engine.dispose()


class TestCommandLine:
    def test_typer_command_crash(self, tmp_path):
        """An unexpected error inside a command (here the rota import, made to fail with
        a person in its locals and message): one line, exit 1, a clean 0600 report."""
        db = tmp_path / "cli.db"
        _new_database(db)  # a command refuses a missing file (only db upgrade starts one)
        csv = tmp_path / "carers.csv"
        csv.write_text("name\nsomeone\n")
        done = _run(
            f"""
            import sys
            import coordinator_tui.services.rota_import as rota_import

            def import_csv(session, kind, text, dry_run=False):
                customer = {NAME!r}
                nhs_number = {NHS!r}
                raise RuntimeError("row 2: " + customer + " " + nhs_number)

            rota_import.import_csv = import_csv
            from coordinator_tui.cli import main
            main(sys.argv[1:])
            """,
            tmp_path,
            "rota",
            "import",
            "carers",
            str(csv),
            "--db",
            str(db),
        )
        output = done.stdout + done.stderr
        _assert_clean(output)
        assert done.returncode == 1, output
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        _assert_one_report(tmp_path, output)

    def test_launch_fast_path_crash(self, tmp_path):
        done = _run(
            f"""
            import sys
            import coordinator_tui.preflight as preflight

            def boom(db):
                person = {NAME!r} + " " + {NHS!r}
                raise OSError("cannot read " + person)

            preflight.preflight = boom
            from coordinator_tui.launch import main
            main(["--db", sys.argv[1]])
            """,
            tmp_path,
            str(tmp_path / "f.db"),
        )
        output = done.stdout + done.stderr
        _assert_clean(output)
        assert done.returncode == 1, output
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        _assert_one_report(tmp_path, output)

    def test_thread_crash(self, tmp_path):
        done = _run(
            f"""
            import threading
            from coordinator_tui import crash

            crash.install()
            crash.set_database({str(tmp_path / "t.db")!r})

            def work():
                note = {NAME!r} + " disclosed " + {NHS!r}
                raise ValueError(note)

            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
            """,
            tmp_path,
        )
        output = done.stdout + done.stderr
        _assert_clean(output)
        _assert_one_report(tmp_path, output)

    def test_error_python_ignores_prints_no_value(self, tmp_path):
        """An exception in a finaliser: Python would print the object and the message."""
        done = _run(
            f"""
            from coordinator_tui import crash

            crash.install()

            class Row:
                def __del__(self):
                    raise ValueError({NAME!r} + " " + {NHS!r})

            row = Row()
            del row
            """,
            tmp_path,
        )
        _assert_clean(done.stdout + done.stderr)
        assert done.stderr.strip() == "coordinator-tui: ignored an error (ValueError)"

    def test_typer_does_not_show_locals(self):
        from coordinator_tui.cli import app

        assert app.pretty_exceptions_show_locals is False
        assert app.pretty_exceptions_enable is False

    def test_coordinator_error_in_a_command_is_one_line(self, tmp_path, monkeypatch):
        from typer.testing import CliRunner

        import coordinator_tui.services.visit_generation as generation
        from coordinator_tui.cli import app

        def busy(*args, **kwargs):
            raise DatabaseUnavailableError("The database is busy: nothing was saved.")

        monkeypatch.setattr(generation, "generate_week", busy)
        _new_database(tmp_path / "g.db")
        result = CliRunner().invoke(
            app,
            ["rota", "generate", "--week", "30/11/2026", "--db", str(tmp_path / "g.db")],
            catch_exceptions=False,
        )
        assert result.exit_code == 2
        assert result.stderr.strip() == "coordinator-tui: The database is busy: nothing was saved."
        assert _reports(tmp_path) == []


async def test_a_damaged_table_read_by_a_screen_is_a_notification(small_demo_path):
    """A screen reads a table whose page is damaged: the app says so in one line and
    keeps running; it is not a crash (no report, no traceback). Home's counts come from
    indexes alone now, so they never touch a damaged table page: Referrals (``3``) reads
    its rows, and says so on the screen (or in a notification)."""
    import html
    import re

    from pilot_helpers import wait_for
    from test_cli import _damage_table  # tests/ is on sys.path (rootdir conftest)

    from coordinator_tui.app import make_app
    from coordinator_tui.settings import load_settings

    def said() -> str:
        svg = re.sub(r"<(style|title)[^>]*>.*?</\1>", "", app.export_screenshot(), flags=re.S)
        shown = html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
        return shown + " ".join(n.message for n in app._notifications)

    _damage_table(small_demo_path, "referral")
    app = make_app(load_settings(str(small_demo_path)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await wait_for(pilot, lambda: "database file is damaged" in said(), timeout=60)
        assert said().count("database file is damaged") == 1  # one line
        # A read: nothing typed was lost, and the line does not say "nothing was saved".
        assert "it could not be read" in said() and "nothing was saved" not in said()
        assert app.is_running and app.return_code is None
    assert _reports(small_demo_path.parent) == []
