"""Opening databases: where they live, how they are protected, what is refused."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from coordinator_tui.db import (
    DatabaseOpenError,
    create_db_engine,
    open_database,
    resolve_target,
    session_scope,
    upgrade,
)
from coordinator_tui.models import Person, Practice
from coordinator_tui.preflight import head_revision, known_revisions
from coordinator_tui.settings import load_settings


class TestLocation:
    def test_default_database_is_private_in_user_data_dir(self, tmp_path, monkeypatch):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        settings = load_settings()
        assert settings.db.startswith(str(tmp_path / "xdg"))
        opened = open_database(settings.db)
        opened.engine.dispose()
        path = opened.target.path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    def test_environment_variable_and_option_precedence(self, tmp_path, monkeypatch):
        monkeypatch.setenv("COORDINATOR_TUI_DB", str(tmp_path / "env.db"))
        assert load_settings().db == str(tmp_path / "env.db")
        assert load_settings(str(tmp_path / "opt.db")).db == str(tmp_path / "opt.db")

    def test_url_forms(self, tmp_path):
        assert resolve_target(str(tmp_path / "a.db")).path == tmp_path / "a.db"
        assert resolve_target(f"sqlite:///{tmp_path}/b.db").path == tmp_path / "b.db"
        pg = resolve_target("postgresql://u:secret@localhost/db")
        assert pg.url.startswith("postgresql+psycopg://")
        assert "secret" not in pg.display


class TestPragmas:
    def test_sqlite_pragmas(self, engine):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -32 * 1024

    def test_foreign_keys_enforced(self, engine):
        with pytest.raises(IntegrityError), session_scope(engine, "t") as session:
            session.add(
                Person(
                    nhs_number="9990000018",
                    given_name="A",
                    family_name="B",
                    date_of_birth=date(2000, 1, 1),
                    practice_id=999,
                )
            )


class TestRefusals:
    """Each refusal is one line and leaves the file exactly as it was."""

    def test_not_a_database(self, tmp_path):
        path = tmp_path / "notes.db"
        path.write_bytes(b"this is a shopping list, not a database\n")
        before = path.read_bytes()
        with pytest.raises(DatabaseOpenError, match="not a Coordinator TUI database"):
            open_database(str(path))
        assert path.read_bytes() == before

    def test_other_sqlite_database(self, tmp_path):
        path = tmp_path / "other.db"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE stuff (x)")
        conn.commit()
        conn.close()
        before = path.read_bytes()
        with pytest.raises(DatabaseOpenError, match="other tables"):
            open_database(str(path))
        assert path.read_bytes() == before

    def test_newer_schema(self, db_path):
        open_database(str(db_path)).engine.dispose()
        conn = sqlite3.connect(db_path)
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
        conn.close()
        before = db_path.read_bytes()
        with pytest.raises(DatabaseOpenError, match="newer version"):
            open_database(str(db_path))
        assert db_path.read_bytes() == before

    @pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
    def test_unwritable_folder(self, tmp_path):
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        with pytest.raises(DatabaseOpenError, match="permission denied"):
            open_database(str(folder / "x.db"))

    def test_uncreatable_folder(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("x")
        with pytest.raises(DatabaseOpenError, match="Cannot create folder"):
            open_database(str(blocker / "sub" / "x.db"))

    def test_folder_instead_of_file(self, tmp_path):
        with pytest.raises(DatabaseOpenError, match="is a folder"):
            open_database(str(tmp_path))


class TestMigrations:
    def test_models_match_migrations(self, engine):
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []

    def test_revisions_form_one_chain(self):
        revisions = known_revisions()
        assert head_revision() in revisions
        assert sum(1 for parent in revisions.values() if parent is None) == 1

    def test_upgrade_from_first_revision_keeps_data_and_backs_up(self, db_path):
        engine = create_db_engine(resolve_target(str(db_path)))
        upgrade(engine, "0001")
        with session_scope(engine, "t") as session:
            session.add(Practice(ods_code="Y00001", name="Old Surgery", short_name="Old"))
        engine.dispose()

        opened = open_database(str(db_path))
        try:
            assert opened.upgraded_from == "0001"
            assert opened.revision == head_revision()
            assert opened.backup_path is not None and opened.backup_path.exists()
            assert stat.S_IMODE(opened.backup_path.stat().st_mode) == 0o600
            with session_scope(opened.engine, "t") as session:
                names = session.exec(select(Practice.name)).all()
            assert names == ["Old Surgery"]
            backup = sqlite3.connect(opened.backup_path)
            assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
            backup.close()
        finally:
            opened.engine.dispose()


@pytest.mark.postgres
class TestPostgres:
    def test_migrations_and_schema_on_postgres(self, pg_url):
        opened = open_database(pg_url)
        try:
            assert opened.revision == head_revision()
            with opened.engine.connect() as conn:
                assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == head_revision()
        finally:
            opened.engine.dispose()

    def test_upgrade_from_first_revision_on_postgres(self, pg_url):
        engine = create_db_engine(resolve_target(pg_url))
        upgrade(engine, "0001")
        with session_scope(engine, "t") as session:
            session.add(Practice(ods_code="Y00002", name="PG Surgery", short_name="PG"))
        engine.dispose()
        opened = open_database(pg_url)
        try:
            assert opened.upgraded_from == "0001"
            with session_scope(opened.engine, "t") as session:
                assert session.exec(select(Practice.name)).all() == ["PG Surgery"]
        finally:
            opened.engine.dispose()


class TestNeverChangesAModeItShouldNot:
    """Issue 12 section 3: the mode of a path that is not a database this app created is
    never changed (it made /dev/null 0600 when run as root)."""

    def test_new_database_is_private_and_leaves_no_temporary(self, tmp_path):
        path = tmp_path / "new.db"
        open_database(str(path)).engine.dispose()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]

    def test_existing_empty_private_file_is_used_in_place(self, tmp_path):
        path = tmp_path / "empty.db"
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        inode = path.stat().st_ino
        opened = open_database(str(path))
        opened.engine.dispose()
        assert opened.created and opened.revision == head_revision()
        assert path.stat().st_ino == inode  # the same file, not a replacement
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    @pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
    def test_existing_empty_file_others_can_read_is_refused_not_chmod_ed(self, tmp_path):
        path = tmp_path / "shared.db"
        path.touch()
        os.chmod(path, 0o644)
        with pytest.raises(DatabaseOpenError, match="other users can read"):
            open_database(str(path))
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert path.stat().st_size == 0

    @pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
    def test_device_is_refused_and_left_alone(self):
        before = os.stat("/dev/null")
        with pytest.raises(DatabaseOpenError, match="not a regular file"):
            open_database("/dev/null")
        after = os.stat("/dev/null")
        assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
    def test_pipe_is_refused_without_waiting_on_it(self, tmp_path):
        pipe = tmp_path / "pipe.db"
        os.mkfifo(pipe, 0o644)
        with pytest.raises(DatabaseOpenError, match="not a regular file"):
            open_database(str(pipe))
        assert stat.S_IMODE(pipe.stat().st_mode) == 0o644

    @pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
    def test_own_database_copied_with_a_loose_mode_is_made_private(self, db_path):
        open_database(str(db_path)).engine.dispose()
        os.chmod(db_path, 0o644)
        open_database(str(db_path)).engine.dispose()
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600

    def test_temporaries_left_by_a_killed_first_run_are_cleared(self, tmp_path):
        from coordinator_tui.db import STALE_TEMP_SECONDS

        old = tmp_path / ".x.db.abc123.creating"
        old.write_bytes(b"")
        past = old.stat().st_mtime - STALE_TEMP_SECONDS - 60
        os.utime(old, (past, past))
        recent = tmp_path / ".x.db.def456.creating"  # maybe another process at work now
        recent.write_bytes(b"")
        open_database(str(tmp_path / "x.db")).engine.dispose()
        assert not old.exists() and recent.exists()


def _database_at(path, revision: str = "0001") -> None:
    engine = create_db_engine(resolve_target(str(path)))
    upgrade(engine, revision)
    with session_scope(engine, "t") as session:
        session.add(Practice(ods_code="Y00001", name="Old Surgery", short_name="Old"))
    engine.dispose()


def _tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    return names - {"alembic_version"}


class TestUpgradeIsOneTransaction:
    def test_an_upgrade_failing_half_way_leaves_the_old_schema_and_no_backup(self, db_path):
        """SQLite DDL is transactional once the driver's own transaction handling is set
        aside: an error (or a kill, tests/test_db_kill.py) part way undoes all of it."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        from coordinator_tui.db import tables_at_revision

        _database_at(db_path)
        seen = []

        def fail_on_the_twentieth(conn, cursor, statement, *args):
            seen.append(statement)
            if len(seen) == 20:
                raise RuntimeError("disk pulled out")

        event.listen(Engine, "before_cursor_execute", fail_on_the_twentieth)
        try:
            with pytest.raises(RuntimeError, match="disk pulled out"):
                open_database(str(db_path))
        finally:
            event.remove(Engine, "before_cursor_execute", fail_on_the_twentieth)
        assert any(s.lstrip().upper().startswith("CREATE") for s in seen)
        assert _tables(db_path) == tables_at_revision("0001")
        conn = sqlite3.connect(db_path)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        conn.close()
        assert list(db_path.parent.glob("*.bak")) == []
        opened = open_database(str(db_path))  # and the next try upgrades it
        opened.engine.dispose()
        assert opened.upgraded_from == "0001"


class TestHalfUpgradedDatabase:
    """A file an older version left half-upgraded (killed mid-upgrade, DDL committed one
    statement at a time) is recognised and the way back named, once."""

    def _half_upgraded(self, db_path):
        from coordinator_tui.db import backup_sqlite

        _database_at(db_path)
        good = db_path.with_name(f"{db_path.name}.0001.20261101T090000Z.bak")
        backup_sqlite(db_path, good)
        conn = sqlite3.connect(db_path)
        conn.execute("CREATE TABLE carer (id INTEGER PRIMARY KEY, name VARCHAR(120))")
        conn.execute("CREATE TABLE _alembic_tmp_person (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.close()
        # An older version also backed up the broken file on each later open.
        backup_sqlite(db_path, db_path.with_name(f"{db_path.name}.0001.20261102T090000Z.bak"))
        return good

    def test_message_names_the_backup_before_it_and_the_command(self, db_path):
        good = self._half_upgraded(db_path)
        backups = sorted(db_path.parent.glob("*.bak"))
        before = db_path.read_bytes()
        with pytest.raises(DatabaseOpenError) as info:
            open_database(str(db_path))
        message = str(info.value)
        assert "\n" not in message
        assert "half-upgraded" in message and "schema 0001" in message
        assert f"coordinator-tui restore {good} --db {db_path} --force" in message
        assert sorted(db_path.parent.glob("*.bak")) == backups  # no new backup each time
        assert db_path.read_bytes() == before

    def test_the_named_command_brings_it_back(self, db_path):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app

        good = self._half_upgraded(db_path)
        result = CliRunner().invoke(
            app, ["restore", str(good), "--db", str(db_path), "--force"], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        opened = open_database(str(db_path))
        try:
            assert opened.upgraded_from == "0001"
            with session_scope(opened.engine, "t") as session:
                assert session.exec(select(Practice.name)).all() == ["Old Surgery"]
        finally:
            opened.engine.dispose()

    def test_a_first_run_of_an_older_version_killed_part_way_is_built_again(self, db_path):
        """Only this app's tables, all empty, no schema revision: nothing to lose."""
        conn = sqlite3.connect(db_path)
        conn.execute("CREATE TABLE practice (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE audit_event (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.close()
        os.chmod(db_path, 0o600)
        opened = open_database(str(db_path))
        opened.engine.dispose()
        assert opened.revision == head_revision()


def test_preflight_reads_every_table_from_the_migrations():
    """``preflight.known_tables`` (a regex over the migration files, for the fast path)
    agrees with what the migrations really create."""
    from coordinator_tui.db import tables_at_revision
    from coordinator_tui.preflight import known_tables

    assert known_tables() == tables_at_revision(head_revision())


@pytest.mark.postgres
class TestPostgresTimeouts:
    """Issue 12 section 2: a save never hangs on a row locked elsewhere."""

    def test_every_connection_has_the_timeouts(self, pg_url):
        from coordinator_tui.db import PG_LOCK_TIMEOUT_MS, PG_STATEMENT_TIMEOUT_MS

        opened = open_database(pg_url)
        try:
            with opened.engine.connect() as conn:
                lock = conn.exec_driver_sql("SHOW lock_timeout").scalar()
                statement = conn.exec_driver_sql("SHOW statement_timeout").scalar()
        finally:
            opened.engine.dispose()
        assert lock == f"{PG_LOCK_TIMEOUT_MS // 1000}s"
        assert statement == f"{PG_STATEMENT_TIMEOUT_MS // 1000}s"

    def test_save_on_a_row_locked_elsewhere_returns_within_the_timeout(self, pg_url):
        import threading
        import time

        from sqlalchemy import create_engine

        from coordinator_tui.db import PG_LOCK_TIMEOUT_MS
        from coordinator_tui.services.errors import DatabaseUnavailableError

        opened = open_database(pg_url)
        with session_scope(opened.engine, "t") as session:
            practice = Practice(ods_code="Y00003", name="Locked Surgery", short_name="L")
            session.add(practice)
        other = create_engine(pg_url)
        outcome: dict[str, object] = {}

        def save() -> None:
            started = time.monotonic()
            try:
                with session_scope(opened.engine, "t") as session:
                    session.get(Practice, practice.id).name = "Renamed Surgery"
            except Exception as exc:  # recorded for the asserts below
                outcome["error"] = exc
            outcome["seconds"] = time.monotonic() - started

        try:
            with other.connect() as conn:
                held = conn.begin()
                conn.execute(text("SELECT id FROM practice FOR UPDATE")).all()
                saver = threading.Thread(target=save)
                saver.start()
                saver.join(timeout=PG_LOCK_TIMEOUT_MS / 1000 + 10)
                still_waiting = saver.is_alive()
                held.rollback()  # let an old-code save (no lock timeout) finish
                saver.join(timeout=30)
        finally:
            other.dispose()
            opened.engine.dispose()
        assert not still_waiting, "the save hung on the locked row"
        error = outcome.get("error")
        assert isinstance(error, DatabaseUnavailableError), error
        assert "\n" not in str(error) and "locked" in str(error)
        assert outcome["seconds"] < PG_LOCK_TIMEOUT_MS / 1000 + 3
