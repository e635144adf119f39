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
