"""Shared fixtures: a fresh database per test, the small demo, PostgreSQL when reachable.

PostgreSQL tests use ``COORDINATOR_TUI_TEST_PG_URL`` (``.ci/run`` starts a server and sets
it). Without it they skip with the reason shown; under CI (``CI=true``) a missing server
is a failure, so the PostgreSQL path can never silently go untested there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "COORDINATOR_TUI_TEST_PG_URL"
# The demo and the app are pinned to one date so counts and snapshots never drift.
DEMO_TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch) -> None:
    """No test reads the developer's real settings or database, and the audit actor is fixed."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COORDINATOR_TUI_CONFIG", str(home / "settings.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("COORDINATOR_TUI_USER", "test.user")
    monkeypatch.delenv("COORDINATOR_TUI_DB", raising=False)
    # A developer's own sign-in, clock or pinned date must not reach the tests.
    for name in (
        "COORDINATOR_TUI_ACCOUNT",
        "COORDINATOR_TUI_PASSWORD",
        "COORDINATOR_TUI_TOTP",
        "COORDINATOR_TUI_NOW",
        "COORDINATOR_TUI_TODAY",
    ):
        monkeypatch.delenv(name, raising=False)
    # Each test drives the screens it opens; sections prepared in the background would
    # only add work (tests/test_sections_prepared.py covers that path).
    monkeypatch.setenv("COORDINATOR_TUI_PREPARE_SECTIONS", "0")


@pytest.fixture(autouse=True)
def _cursors_still_in_snapshots(request, monkeypatch) -> None:
    """In the snapshot tests a text cursor never blinks: it is drawn, as on focus.

    An ``Input`` (and a ``TextArea``) toggles its cursor every 0.5 s; a snapshot taken
    half a second after the field was focused, as happens on a loaded machine, caught it
    hidden and failed with no change of look (the house dialogs, the sharing form).
    pytest-textual-snapshot's own advice is to stop the blink; these are the toggles the
    blink timer calls (Textual 8; ``setattr`` fails loudly if Textual renames them)."""
    if not request.module.__name__.rsplit(".", 1)[-1].startswith("test_snapshots"):
        return
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture(autouse=True)
def _signed_in_at_start(monkeypatch) -> None:
    """Tests written before sign-in (issue 17) open the app signed in as the test user
    (``CoordinatorApp.start_principal``, which production code never sets); the sign-in
    tests set it back to None (``tests/test_accounts_app.py``)."""
    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.services.access import demo_principal

    monkeypatch.setattr(
        CoordinatorApp, "start_principal", lambda s: demo_principal(s.user, display_name="")
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's own SQLite database goes (not created yet)."""
    return tmp_path / "test.db"


@pytest.fixture
def opened(db_path: Path):
    """A freshly created and migrated SQLite database."""
    from coordinator_tui.db import open_database

    result = open_database(str(db_path))
    yield result
    result.engine.dispose()


@pytest.fixture
def engine(opened):
    return opened.engine


@pytest.fixture(scope="session")
def _small_demo_template(tmp_path_factory) -> Path:
    """The small demo built once per run; tests get their own copy of the file."""
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    path = tmp_path_factory.mktemp("demo") / "small.db"
    result = open_database(str(path))
    seed_demo(result.engine, size="small", seed=1, today=DEMO_TODAY)
    result.engine.dispose()
    return path


@pytest.fixture
def small_demo_path(_small_demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo database."""
    target = tmp_path / "demo.db"
    shutil.copyfile(_small_demo_template, target)
    os.chmod(target, 0o600)
    return target


@pytest.fixture
def small_demo_engine(small_demo_path: Path):
    from coordinator_tui.db import open_database

    result = open_database(str(small_demo_path))
    yield result.engine
    result.engine.dispose()


def _pg_base_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set under CI: .ci/run must start PostgreSQL")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (see .ci/pg_start.sh)")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a brand-new, empty PostgreSQL database, dropped after the test."""
    base = _pg_base_url()
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"ctui_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down or unreachable
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ENV} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} is not reachable: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def demo_settings(small_demo_path: Path):
    """Settings for an app on the small demo, pinned to DEMO_TODAY."""
    from coordinator_tui.settings import load_settings

    settings = load_settings(str(small_demo_path))
    settings.today = DEMO_TODAY
    return settings
