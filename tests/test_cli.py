"""The command line: every command, and every error a user can cause (one line, exit 2)."""

from __future__ import annotations

import sqlite3
import sys

import pytest
from typer.testing import CliRunner

from coordinator_tui import __version__
from coordinator_tui.cli import app
from coordinator_tui.db import open_database
from coordinator_tui.preflight import head_revision

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def assert_one_line_error(result, fragment: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output


class TestBasics:
    def test_version(self):
        result = invoke("--version")
        assert result.exit_code == 0
        assert __version__ in result.stdout

    @pytest.mark.parametrize(
        "command",
        [
            [],
            ["run"],
            ["people"],
            ["demo"],
            ["seed-demo"],
            ["db"],
            ["db", "upgrade"],
            ["db", "check"],
            ["backup"],
            ["restore"],
            ["rota"],
            ["rota", "generate"],
            ["rota", "import"],
        ],
    )
    def test_help_everywhere(self, command):
        result = invoke(*command, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.stdout


class TestDbCommands:
    def test_upgrade_creates_then_reports_current(self, db_path):
        result = invoke("db", "upgrade", "--db", str(db_path))
        assert result.exit_code == 0
        assert f"schema {head_revision()}" in result.stdout
        result = invoke("db", "upgrade", "--db", str(db_path))
        assert "already at schema" in result.stdout

    def test_check_prints_integrity_and_revision(self, db_path):
        invoke("db", "upgrade", "--db", str(db_path))
        result = invoke("db", "check", "--db", str(db_path))
        assert result.exit_code == 0
        assert "integrity: ok" in result.stdout
        assert f"schema revision: {head_revision()} (current)" in result.stdout

    def test_env_variable_names_the_database(self, db_path, monkeypatch):
        monkeypatch.setenv("COORDINATOR_TUI_DB", str(db_path))
        result = invoke("db", "upgrade")
        assert result.exit_code == 0
        assert db_path.exists()

    def test_check_reports_behind_without_upgrading(self, db_path):
        from coordinator_tui.db import create_db_engine, resolve_target, upgrade

        engine = create_db_engine(resolve_target(str(db_path)))
        upgrade(engine, "0001")
        engine.dispose()
        result = invoke("db", "check", "--db", str(db_path))
        assert "0001 (behind" in result.stdout
        conn = sqlite3.connect(db_path)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        conn.close()


class TestErrors:
    def test_not_a_database(self, tmp_path):
        path = tmp_path / "x.db"
        path.write_text("hello")
        for command in (["db", "check"], ["db", "upgrade"], ["seed-demo", "--size", "small"]):
            assert_one_line_error(invoke(*command, "--db", str(path)), "not a Coordinator TUI")
        assert path.read_text() == "hello"

    def test_newer_database(self, db_path):
        open_database(str(db_path)).engine.dispose()
        conn = sqlite3.connect(db_path)
        conn.execute("UPDATE alembic_version SET version_num='zzzz'")
        conn.commit()
        conn.close()
        assert_one_line_error(invoke("db", "upgrade", "--db", str(db_path)), "newer version")
        assert_one_line_error(invoke("run", "--db", str(db_path)), "newer version")

    def test_unwritable_path(self, tmp_path):
        blocker = tmp_path / "plain-file"
        blocker.write_text("x")
        assert_one_line_error(
            invoke("db", "upgrade", "--db", str(blocker / "x.db")), "Not a directory"
        )
        assert_one_line_error(
            invoke("db", "upgrade", "--db", str(blocker / "sub" / "x.db")), "Cannot create folder"
        )
        assert_one_line_error(invoke("run", "--db", str(blocker / "x.db")), "Cannot create")

    def test_unreachable_postgres(self):
        result = invoke("db", "check", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
        assert_one_line_error(result, "Cannot open")

    def test_seed_demo_needs_db(self):
        assert_one_line_error(invoke("seed-demo"), "needs --db")

    def test_bad_settings_file(self, tmp_path, monkeypatch):
        config = tmp_path / "settings.toml"
        config.write_text("this is = = not toml")
        monkeypatch.setenv("COORDINATOR_TUI_CONFIG", str(config))
        assert_one_line_error(invoke("db", "check", "--db", str(tmp_path / "a.db")), "settings")


# Every command that reads the database (and the writers that are not meant to start one).
READERS = [
    ["actions"],
    ["actions", "--kind", "all", "--json"],
    ["meeting", "list"],
    ["governance", "incidents"],
    ["governance", "complaints"],
    ["care", "changes"],
    ["care", "reviews"],
    ["training", "matrix"],
    ["report", "pcn"],
    ["report", "kpi"],
    ["report", "cqc"],
    ["report", "access"],
    ["report", "themes"],
    ["sharing", "list"],
    ["user", "list"],
    ["rota", "check", "--week", "30/11/2026"],
    ["rota", "generate", "--week", "30/11/2026"],
    ["db", "check"],
    ["db", "verify"],
]


class TestMissingDatabase:
    """A mistyped --db: a command that reads refuses the missing file in one line and
    creates nothing, where it made and migrated an empty database there and answered
    from it ("No open actions."). The commands that start a database still do."""

    @pytest.mark.parametrize("command", READERS, ids=" ".join)
    def test_a_reader_refuses_a_missing_file(self, tmp_path, command):
        path = tmp_path / "typo" / "coordinator.db"
        result = invoke(*command, "--db", str(path))
        assert_one_line_error(result, f"no database at {path}")
        assert result.stdout == ""
        assert not path.parent.exists()  # nothing made: no file, no folder
        assert list(tmp_path.iterdir()) == []

    def test_the_environment_variable_too(self, tmp_path, monkeypatch):
        path = tmp_path / "nope.db"
        monkeypatch.setenv("COORDINATOR_TUI_DB", str(path))
        assert_one_line_error(invoke("actions"), f"no database at {path}")
        assert not path.exists()

    def test_an_import_refuses_it_after_reading_its_file(self, tmp_path):
        from pathlib import Path

        carers = Path(__file__).parents[1] / "data" / "sample_carers.csv"
        path = tmp_path / "nope.db"
        result = invoke("rota", "import", "carers", str(carers), "--db", str(path))
        assert_one_line_error(result, f"no database at {path}")
        assert not path.exists()

    def test_the_commands_that_start_a_database_still_do(self, tmp_path):
        upgraded = tmp_path / "a" / "new.db"
        result = invoke("db", "upgrade", "--db", str(upgraded))
        assert result.exit_code == 0 and "Created" in result.stdout
        assert upgraded.exists()
        assert invoke("actions", "--db", str(upgraded)).stdout.strip() == "No open actions."

    @pytest.mark.parametrize(
        "command",
        [["actions"], ["rota", "check", "--week", "30/11/2026"], ["db", "check"]],
    )
    def test_db_before_the_command_is_refused(self, tmp_path, monkeypatch, command):
        """``coordinator-tui --db PATH COMMAND``: the --db was dropped, and the command
        answered from the default database (here COORDINATOR_TUI_DB's), not PATH.
        (``run`` too, which opened the app on the default database.)"""
        elsewhere = tmp_path / "default.db"
        assert invoke("db", "upgrade", "--db", str(elsewhere)).exit_code == 0
        monkeypatch.setenv("COORDINATOR_TUI_DB", str(elsewhere))
        named = tmp_path / "named.db"
        result = invoke("--db", str(named), *command)
        assert_one_line_error(result, "--db goes after the command")
        assert result.stdout == "" and not named.exists()

    def test_a_postgresql_url_is_not_a_file(self):
        result = invoke("actions", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
        assert_one_line_error(result, "Cannot open")
        assert "no database at" not in result.stderr


class TestBackupRestore:
    def test_backup_and_restore(self, db_path, tmp_path):
        invoke("db", "upgrade", "--db", str(db_path))
        backup = tmp_path / "backup.db"
        result = invoke("backup", str(backup), "--db", str(db_path))
        assert result.exit_code == 0, result.output
        assert backup.exists()

        assert_one_line_error(invoke("backup", str(backup), "--db", str(db_path)), "exists")
        assert_one_line_error(invoke("restore", str(backup), "--db", str(db_path)), "add --force")
        result = invoke("restore", str(backup), "--db", str(db_path), "--force")
        assert result.exit_code == 0, result.output
        fresh = tmp_path / "fresh.db"
        result = invoke("restore", str(backup), "--db", str(fresh))
        assert result.exit_code == 0
        assert "integrity: ok" in invoke("db", "check", "--db", str(fresh)).stdout

    def test_restore_refuses_non_database(self, tmp_path):
        junk = tmp_path / "junk.db"
        junk.write_text("junk")
        target = tmp_path / "t.db"
        assert_one_line_error(invoke("restore", str(junk), "--db", str(target)), "not a")
        assert not target.exists()

    def test_restore_missing_file(self, tmp_path):
        assert_one_line_error(
            invoke("restore", str(tmp_path / "none.db"), "--db", str(tmp_path / "t.db")),
            "does not exist",
        )

    def test_backup_missing_database(self, tmp_path):
        assert_one_line_error(
            invoke("backup", str(tmp_path / "b.db"), "--db", str(tmp_path / "none.db")),
            "does not exist",
        )

    def test_backup_postgres_refused(self, tmp_path):
        assert_one_line_error(
            invoke("backup", str(tmp_path / "b.db"), "--db", "postgresql://x@localhost/y"),
            "pg_dump",
        )


class TestRotaCommands:
    def test_generate_twice_is_idempotent(self, small_demo_path):
        first = invoke("rota", "generate", "--week", "30/11/2026", "--db", str(small_demo_path))
        assert first.exit_code == 0, first.output
        assert "Week of Mon 30 Nov 2026" in first.stdout and "0 already there" in first.stdout
        second = invoke("rota", "generate", "--week", "2026-12-02", "--db", str(small_demo_path))
        assert " 0 visits created" in second.stdout

    def test_generate_bad_week(self, db_path):
        assert_one_line_error(
            invoke("rota", "generate", "--week", "31/11/2026", "--db", str(db_path)),
            "November has 30 days",
        )

    def test_import_samples_then_a_bad_file(self, db_path, tmp_path):
        from pathlib import Path

        data = Path(__file__).parents[1] / "data"
        # A new database is started by db upgrade: an import refuses a missing file.
        assert invoke("db", "upgrade", "--db", str(db_path)).exit_code == 0
        dry = invoke(
            "rota", "import", "carers", str(data / "sample_carers.csv"), "--dry-run",
            "--db", str(db_path),
        )  # fmt: skip
        assert dry.exit_code == 0 and "would be added" in dry.stdout
        for kind in ("carers", "customers", "visits"):
            result = invoke(
                "rota", "import", kind, str(data / f"sample_{kind}.csv"), "--db", str(db_path)
            )
            assert result.exit_code == 0, result.output
            assert "were added" in result.stdout
        bad = tmp_path / "bad.csv"
        bad.write_text("customer,date,start,end\nNobody,1/12/2026,08:00,09:00\n")
        result = invoke("rota", "import", "visits", str(bad), "--db", str(db_path))
        assert result.exit_code == 2
        assert "row 2: no customer called 'Nobody'" in result.stderr
        assert "nothing imported" in result.stderr
        missing = invoke("rota", "import", "visits", str(tmp_path / "nope.csv"))
        assert_one_line_error(missing, "cannot read")

    def test_seed_demo_is_built_around_the_pinned_date(self, tmp_path, monkeypatch):
        """The demo's week (visits done before today, planned from today) is built around
        the date the app will show: COORDINATOR_TUI_TODAY when it is set."""
        monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-25")
        path = tmp_path / "demo.db"
        assert invoke("seed-demo", "--db", str(path)).exit_code == 0
        conn = sqlite3.connect(path)
        statuses = dict(
            conn.execute(
                "SELECT visit_date < '2026-11-25', group_concat(DISTINCT status) FROM visit "
                "WHERE visit_date BETWEEN '2026-11-23' AND '2026-11-29' GROUP BY 1"
            ).fetchall()
        )
        conn.close()
        # Done, or missed (the governance demo records a few past visits as missed).
        assert set(statuses[1].split(",")) <= {"done", "missed"} and "done" in statuses[1]
        assert "planned" in statuses[0].split(",")
        # Only today's first visits are done already (with the carers' notes Governance
        # reads, issue 14); nothing after today is.
        conn = sqlite3.connect(path)
        later = conn.execute(
            "SELECT count(*) FROM visit WHERE visit_date > '2026-11-25' "
            "AND visit_date <= '2026-11-29' AND status = 'done'"
        ).fetchone()[0]
        conn.close()
        assert later == 0


class TestOneLineErrors:
    """Issue 12 section 6: one line, never a traceback, for a bad URL, a missing driver,
    a settings value of the wrong type, a file not in UTF-8, a user name too long."""

    @pytest.mark.parametrize("url", ["mysql://u@localhost/db", "foo://x", "sqlite+aiosqlite:///x"])
    def test_unknown_url_scheme(self, url):
        for command in (["db", "check"], ["db", "upgrade"], ["rota", "check", "--week", "1/12"]):
            assert_one_line_error(invoke(*command, "--db", url), "unknown database URL scheme")

    def test_missing_driver(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
        result = invoke("db", "check", "--db", "postgresql://u@127.0.0.1:1/none")
        assert_one_line_error(result, "driver")
        assert "pip install" in result.stderr

    @pytest.mark.parametrize(
        ("content", "fragment"),
        [
            ('review_horizon_days = "fourteen"', "review_horizon_days"),
            ("review_horizon_days = 0", "review_horizon_days"),
            ("review_horizon_days = true", "review_horizon_days"),
            ("theme = 5", "'theme' must be text"),
            ("user = 42", "'user' must be text"),
            ("db = [1, 2]", "'db' must be text"),
            ("keymap = 3", "[keymap]"),
            ('[keymap]\n"app.quit" = 5', "[keymap]"),
        ],
    )
    def test_settings_value_of_the_wrong_type(self, tmp_path, monkeypatch, content, fragment):
        config = tmp_path / "settings.toml"
        config.write_text(content + "\n")
        monkeypatch.setenv("COORDINATOR_TUI_CONFIG", str(config))
        assert_one_line_error(invoke("db", "check", "--db", str(tmp_path / "a.db")), fragment)

    def test_settings_file_not_utf8(self, tmp_path, monkeypatch):
        config = tmp_path / "settings.toml"
        config.write_bytes('user = "Zoë"\n'.encode("latin-1"))
        monkeypatch.setenv("COORDINATOR_TUI_CONFIG", str(config))
        assert_one_line_error(invoke("db", "upgrade", "--db", str(tmp_path / "a.db")), "UTF-8")

    def test_reference_file_not_utf8(self, db_path):
        invoke("db", "upgrade", "--db", str(db_path))
        (db_path.parent / "register_categories.json").write_bytes(
            '{"categories": [{"name": "Enfant protégé"}]}'.encode("latin-1")
        )
        result = invoke("rota", "generate", "--week", "30/11/2026", "--db", str(db_path))
        assert_one_line_error(result, "not UTF-8")

    def test_user_name_longer_than_the_audit_column(self, db_path, monkeypatch):
        """Refused at start on SQLite too (PostgreSQL alone refused it, mid-save)."""
        from coordinator_tui.models.audit import AuditEvent
        from coordinator_tui.settings import USER_MAX_LENGTH

        assert AuditEvent.model_fields["actor"].metadata[0].max_length == USER_MAX_LENGTH
        monkeypatch.setenv("COORDINATOR_TUI_USER", "x" * (USER_MAX_LENGTH + 1))
        for command in (["db", "upgrade"], ["rota", "generate", "--week", "30/11/2026"]):
            assert_one_line_error(invoke(*command, "--db", str(db_path)), "at most 60")
        monkeypatch.setenv("COORDINATOR_TUI_USER", "x" * USER_MAX_LENGTH)
        assert invoke("db", "upgrade", "--db", str(db_path)).exit_code == 0

    def test_user_name_with_control_characters(self, db_path, monkeypatch):
        monkeypatch.setenv("COORDINATOR_TUI_USER", "j.bloggs\x1b]0;owned\x07")
        assert_one_line_error(invoke("db", "upgrade", "--db", str(db_path)), "control")

    def test_unknown_theme_refused_before_the_app_opens(self, tmp_path):
        config = tmp_path / "settings.toml"
        config.write_text('theme = "no-such-theme"\n')
        done = _launch(["--db", str(tmp_path / "a.db")], tmp_path, config)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "theme 'no-such-theme'" in lines[0]

    def test_fast_path_one_line_for_url_and_user(self, tmp_path):
        done = _launch(["--db", "mysql://u@localhost/db"], tmp_path)
        assert done.returncode == 2 and "unknown database URL scheme" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        done = _launch(["--db", str(tmp_path / "a.db")], tmp_path, user="y" * 61)
        assert done.returncode == 2 and "at most 60" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def _launch(args, tmp_path, config=None, user="test.user"):
    """``coordinator-tui ARGS`` in a fresh interpreter with no terminal."""
    import os
    import subprocess

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "COORDINATOR_TUI_CONFIG": str(config or tmp_path / "none.toml"),
        "COORDINATOR_TUI_USER": user,
    }
    return subprocess.run(
        [sys.executable, "-m", "coordinator_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


HOLDER = """
import sys
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Practice

opened = open_database(sys.argv[1])
with opened.engine.connect() as conn:  # the pool keeps this connection open
    conn.exec_driver_sql("SELECT count(*) FROM practice").scalar()
print("open", flush=True)
sys.stdin.readline()
with session_scope(opened.engine, "other.window") as session:
    session.add(Practice(ods_code="Y00099", name="Written After", short_name="After"))
print("written", flush=True)
opened.engine.dispose()
"""


class TestRestoreWhileInUse:
    """Issue 12 section 3: ``restore --force`` while another process has the database
    open lost every commit made after it (they went to the replaced file). It is refused
    while the database is in use; otherwise the backup is copied into the live file."""

    def test_refused_while_another_process_has_it_open(self, db_path, tmp_path):
        import subprocess

        invoke("db", "upgrade", "--db", str(db_path))
        backup = tmp_path / "backup.db"
        assert invoke("backup", str(backup), "--db", str(db_path)).exit_code == 0
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "open"
            result = invoke("restore", str(backup), "--db", str(db_path), "--force")
            assert_one_line_error(result, "is open in Coordinator TUI")
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "written"
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)
        conn = sqlite3.connect(db_path)
        names = [row[0] for row in conn.execute("SELECT name FROM practice")]
        conn.close()
        assert names == ["Written After"]  # not lost

    def test_restored_into_the_live_file(self, db_path, tmp_path):
        import os
        import stat

        invoke("db", "upgrade", "--db", str(db_path))
        backup = tmp_path / "backup.db"
        invoke("backup", str(backup), "--db", str(db_path))
        conn = sqlite3.connect(db_path)
        conn.execute(
            "INSERT INTO practice (ods_code, name, short_name, postcode, pcn_name, created_at,"
            " updated_at, version) VALUES ('Y1', 'Later', 'L', '', '', '2026-01-01',"
            " '2026-01-01', 1)"
        )
        conn.commit()
        conn.close()
        inode, mode = db_path.stat().st_ino, stat.S_IMODE(db_path.stat().st_mode)
        result = invoke("restore", str(backup), "--db", str(db_path), "--force")
        assert result.exit_code == 0, result.output
        assert "copied into the database file in place" in result.stdout
        assert db_path.stat().st_ino == inode and stat.S_IMODE(db_path.stat().st_mode) == mode
        conn = sqlite3.connect(db_path)
        assert conn.execute("SELECT count(*) FROM practice").fetchone() == (0,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()
        assert not os.path.exists(f"{db_path}-journal")
        assert "integrity: ok" in invoke("db", "check", "--db", str(db_path)).stdout

    def test_a_database_too_damaged_to_open_is_replaced(self, db_path, tmp_path):
        invoke("db", "upgrade", "--db", str(db_path))
        backup = tmp_path / "backup.db"
        invoke("backup", str(backup), "--db", str(db_path))
        db_path.write_bytes(b"\0" * 8192)
        result = invoke("restore", str(backup), "--db", str(db_path), "--force")
        assert result.exit_code == 0, result.output
        assert "integrity: ok" in invoke("db", "check", "--db", str(db_path)).stdout

    def test_a_damaged_backup_is_refused(self, db_path, tmp_path):
        invoke("db", "upgrade", "--db", str(db_path))
        backup = tmp_path / "backup.db"
        invoke("backup", str(backup), "--db", str(db_path))
        _damage_table(backup, "practice")
        before = db_path.read_bytes()
        result = invoke("restore", str(backup), "--db", str(db_path), "--force")
        assert_one_line_error(result, "is damaged")
        assert db_path.read_bytes() == before


def _damage_table(path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage, as a failing disk might."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def _damage_schema(path) -> None:
    """Overwrite the first page after its 100-byte header: SQLite can no longer read
    the list of tables."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\xa5" * (page_size - 100))


DAMAGES = {
    "schema": _damage_schema,
    "person": lambda path: _damage_table(path, "person"),
    "audit": lambda path: _damage_table(path, "audit_event"),
    "version": lambda path: _damage_table(path, "alembic_version"),
}

COMMANDS = [
    ["db", "upgrade"],
    ["seed-demo"],
    ["rota", "generate", "--week", "30/11/2026"],
    ["rota", "check", "--week", "23/11/2026"],
    ["rota", "import", "carers", "data/sample_carers.csv"],
    ["meeting", "list"],
    ["actions"],
    ["backup", "BACKUP"],
]


class TestDamagedDatabase:
    """Issue 12 section 6: a damaged database is one line on every command, never a
    traceback, and ``db check`` reports the damage."""

    @pytest.mark.parametrize("damage", sorted(DAMAGES))
    def test_every_command(self, damage, small_demo_path, tmp_path):
        from pathlib import Path

        DAMAGES[damage](small_demo_path)
        root = Path(__file__).parents[1]
        check = invoke("db", "check", "--db", str(small_demo_path))
        assert "Traceback" not in check.output
        assert check.exit_code != 0
        assert "damaged" in check.output
        for command in COMMANDS:
            args = [
                str(root / a)
                if a.startswith("data/")
                else str(tmp_path / "b.db")
                if a == "BACKUP"
                else a
                for a in command
            ]
            result = invoke(*args, "--db", str(small_demo_path))
            assert "Traceback" not in result.output, (command, result.output)
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            lines = [line for line in lines if not line.startswith("note:")]
            assert len(lines) <= 1, (command, result.stderr)
            if result.exit_code == 2:  # refused (rota check's 1 means problems found)
                assert len(lines) == 1 and lines[0].startswith("coordinator-tui: "), command
            assert "unexpected error" not in result.stderr, (command, result.stderr)
            if damage in ("schema", "version"):  # nothing can be read: every one refused
                assert result.exit_code == 2, (command, result.output)
                assert "damaged" in result.stderr, (command, result.stderr)

    def test_the_app_says_one_line_on_a_schema_it_cannot_read(self, small_demo_path, tmp_path):
        _damage_schema(small_demo_path)
        done = _launch(["--db", str(small_demo_path)], tmp_path)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "is damaged" in lines[0]


class TestDemoSaysWhere:
    """Issue 22 section 5: ``demo`` says where its temporary database is and that it is
    removed on exit, before the app opens and after."""

    def test_lines_before_and_after(self, monkeypatch):
        from pathlib import Path

        import coordinator_tui.cli.start as cli
        import coordinator_tui.demo.seed as demo

        seen: dict[str, bool] = {}
        monkeypatch.setattr(demo, "seed_demo", lambda engine, **kwargs: None)

        def launch(db, start="home", demo=False):  # demo: the demo user signs in (issue 17)
            seen["exists while open"] = Path(db).exists()
            seen["db"] = db

        monkeypatch.setattr(cli, "_launch", launch)
        result = invoke("demo")
        assert result.exit_code == 0, result.output
        path = Path(seen["db"])
        lines = result.stderr.splitlines()
        assert str(path) in lines[0] and "temporary: removed when you quit" in lines[0]
        assert lines[-1] == f"Removed the temporary demo database {path}"
        assert seen["exists while open"] and not path.parent.exists()

    def test_own_database_is_kept(self, monkeypatch, tmp_path):
        import coordinator_tui.cli.start as cli
        import coordinator_tui.demo.seed as demo

        monkeypatch.setattr(demo, "seed_demo", lambda engine, **kwargs: None)
        monkeypatch.setattr(cli, "_launch", lambda db, start="home", demo=False: None)
        result = invoke("demo", "--db", str(tmp_path / "mine.db"))
        assert result.exit_code == 0
        assert "kept after you quit" in result.stderr and "Removed" not in result.stderr
        assert (tmp_path / "mine.db").exists()


def test_every_commands_help_is_plain_words():
    """What ``--help`` prints is for the user: no reStructuredText backticks and no
    development issue numbers from the docstrings it is read from."""
    import re

    import click
    import typer

    root = typer.main.get_command(app)
    ctx = click.Context(root)

    def walk(command, path):
        if hasattr(command, "commands"):
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])
        yield path, command

    found = []
    for path, command in walk(root, []):
        texts = [command.help or "", command.short_help or ""]
        texts += [getattr(param, "help", "") or "" for param in command.params]
        found += [(" ".join(path), t) for t in texts if "``" in t or re.search(r"[Ii]ssue \d", t)]
    assert len(list(walk(root, []))) > 40
    assert found == []
