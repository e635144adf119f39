"""Home's context line says the database is encrypted at rest (issue 17 §5), where it names
the database: "database demo.db (encrypted)"; a plain database's line is unchanged (the
Home snapshots show a plain one)."""

from __future__ import annotations

import pytest

from coordinator_tui import keyslots
from coordinator_tui.db import open_database
from tests.pilot_helpers import shown_text, wait_for
from tests.test_encryption import ADMIN, PASSWORD, encrypt, plain_demo  # noqa: F401

pytest.importorskip("sqlcipher3")


@pytest.fixture(autouse=True)
def _no_key_left_in_memory():
    keyslots.forget()
    yield
    keyslots.forget()


async def home_context(app) -> str:
    """The text of Home's context line once Home shows its counts."""
    from textual.widgets import Static

    from coordinator_tui.screens.home import HomeScreen

    async with app.run_test(size=(120, 40)) as pilot:

        def shown() -> bool:
            screen = app.screen
            if not isinstance(screen, HomeScreen) or screen.counts is None:
                return False
            return "database" in shown_text(screen.query_one("#home-context", Static))

        await wait_for(pilot, shown, timeout=60)
        return shown_text(app.screen.query_one("#home-context", Static))


async def test_home_says_an_encrypted_database_is_encrypted(plain_demo, demo_settings):  # noqa: F811
    from coordinator_tui.app import make_app

    path = plain_demo[0]
    encrypt(path)
    keyslots.unlock(path, ADMIN, PASSWORD)  # what signing in on the terminal does first
    line = await home_context(make_app(demo_settings))
    assert f"database {path.name} (encrypted)" in line
    assert "x'" not in line and PASSWORD not in line  # nothing of the key or password


async def test_an_app_given_an_encrypted_engine_says_so(plain_demo, demo_settings):  # noqa: F811
    """The app handed an open SQLCipher engine (as the tests and benchmarks do) names it
    from its file, not from its sqlite+pysqlcipher URL, which holds the key."""
    from coordinator_tui.app import make_app

    path = plain_demo[0]
    encrypt(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    opened = open_database(str(path), migrate=False)
    try:
        line = await home_context(make_app(demo_settings, engine=opened.engine))
    finally:
        opened.engine.dispose()
    assert f"database {path.name} (encrypted)" in line


async def test_home_names_a_plain_database_as_before(plain_demo, demo_settings):  # noqa: F811
    from coordinator_tui.app import make_app

    path = plain_demo[0]
    line = await home_context(make_app(demo_settings))
    assert f"database {path.name}" in line and "encrypted" not in line
