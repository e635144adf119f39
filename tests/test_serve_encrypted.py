"""``coordinator-tui serve`` on an encrypted database (issue 17 §5 with issue 20 §2).

The server never holds the key: each browser tab runs ``coordinator-tui run --db X`` in
its own process, which has no terminal to ask on, so the app's sign-in form takes the
account's name and password, unwraps the data key with them, opens the database and signs
in. The test types them in a headless Chromium (a wrong password first: refused, nothing
opened), sees Home say "(encrypted)" and the review queue, and then looks for the key, in
hex as SQLCipher is given it, and the password in the page served, on the tab's screens
and in everything the server wrote to its log: none may be there. The server and the
browser, their skips and teardown, are ``tests/serve_fixtures.py``'s."""

# ruff: noqa: F811 (the fixtures imported from serve_fixtures)

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from serve_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD,
    USERNAME,
    make_account,
    serve,
    terminal_page,
)

from coordinator_tui import keyslots


@pytest.fixture(autouse=True)
def _no_key_left_in_memory():
    keyslots.forget()
    yield
    keyslots.forget()


def _encrypted_db(tmp_path: Path) -> tuple[Path, str]:
    """A database with one administrator, encrypted as ``db encrypt`` does; its key in hex
    (what must never be seen anywhere)."""
    from coordinator_tui.db import encrypt_sqlite

    db = tmp_path / "served.db"
    make_account(db)
    encrypt_sqlite(db, USERNAME, PASSWORD, keep_plain=False)
    key = keyslots.key_for(db)
    assert key is not None and keyslots.is_encrypted(db)
    keyslots.forget()
    return db, key.hex()


def test_an_encrypted_database_served_opens_with_the_password_typed_in_the_tab(
    serve, terminal_page, tmp_path: Path
) -> None:
    pytest.importorskip("sqlcipher3")
    db, key_hex = _encrypted_db(tmp_path)
    log = tmp_path / "serve.log"
    server = serve(
        db,
        config=tmp_path / "no-settings.toml",
        env={"COORDINATOR_TUI_PREPARE_SECTIONS": "0"},
        drop_env=("COORDINATOR_TUI_PASSWORD", "COORDINATOR_TUI_USER"),
        log=log,
    )
    with urllib.request.urlopen(server.url(), timeout=60) as response:
        served_page = response.read().decode()
    tab = terminal_page
    tab.goto(server.url())
    first = tab.screen_shows("enter sign in")
    assert "NHS" not in first  # nothing of anyone before sign-in

    # A wrong password: refused on the form, nothing opened.
    tab.sign_in("not the password at all")
    refused = tab.screen_shows("not recognised")
    assert "NHS" not in refused and "Registers" not in refused
    screens = [first, refused]

    # The right one: the key is unwrapped, the database opens, signed in.
    tab.type_password(PASSWORD)
    screens.append(tab.screen_shows("(encrypted)"))  # Home says what it opened
    tab.page.keyboard.press("2")
    screens.append(tab.screen_shows("Review queue"))
    assert "Nothing due for review" in screens[-1]
    page_html = tab.page.content()
    tab.page.close()
    server.stop()  # all it will write is in its log
    logged = log.read_text(errors="replace")
    for seen in (served_page, page_html, logged, *screens):
        assert key_hex not in seen.lower()
        assert PASSWORD not in seen
    assert "x'" not in logged  # SQLCipher's raw-key literal
