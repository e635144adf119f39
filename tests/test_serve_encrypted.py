"""``coordinator-tui serve`` on an encrypted database (issue 17 §5 with issue 20 §2).

The server never holds the key: each browser tab runs ``coordinator-tui run --db X`` in
its own process, which has no terminal to ask on, so the app's sign-in form takes the
account's name and password, unwraps the data key with them, opens the database and signs
in. The test types them in a headless Chromium (a wrong password first: refused, nothing
opened), sees Home say "(encrypted)" and the review queue, and then looks for the key, in
hex as SQLCipher is given it, and the password in the page served, on the tab's screens
and in everything the server wrote to its log: none may be there. Skips as
``tests/test_serve.py``'s browser test does."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from coordinator_tui import keyslots
from tests.test_serve import (
    CHROMIUM,
    KEEP_TERMINAL,
    PASSWORD,
    SCREEN_JS,
    USERNAME,
    _browser_missing,
    _free_port,
    _make_account,
    _wait_for_port,
)


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
    _make_account(db)
    encrypt_sqlite(db, USERNAME, PASSWORD, keep_plain=False)
    key = keyslots.key_for(db)
    assert key is not None and keyslots.is_encrypted(db)
    keyslots.forget()
    return db, key.hex()


def test_an_encrypted_database_served_opens_with_the_password_typed_in_the_tab(
    tmp_path: Path,
) -> None:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the browser test's needs: {missing}")
        pytest.skip(missing)
    pytest.importorskip("sqlcipher3")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    db, key_hex = _encrypted_db(tmp_path)
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("COORDINATOR_TUI_PASSWORD", "COORDINATOR_TUI_USER")
    }
    env.update(
        COORDINATOR_TUI_CONFIG=str(tmp_path / "no-settings.toml"),
        COORDINATOR_TUI_PREPARE_SECTIONS="0",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "coordinator_tui", "serve", "--db", str(db)]
            + ["--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_for_port(port, server)
        with urllib.request.urlopen(f"http://localhost:{port}/", timeout=60) as response:
            served_page = response.read().decode()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})

                def keep_terminal(route) -> None:  # type: ignore[no-untyped-def]
                    script = route.fetch().text()
                    assert KEEP_TERMINAL in script, "textual-serve's script changed"
                    script = script.replace(
                        KEEP_TERMINAL, KEEP_TERMINAL + "window.__coordinatorTerminal=t;"
                    )
                    route.fulfill(body=script, content_type="application/javascript")

                page.route("**/static/js/textual.js", keep_terminal)

                def screen_shows(text: str, timeout_ms: int = 90_000) -> str:
                    """The tab's screen once it shows ``text``, polled by the page."""
                    try:
                        page.wait_for_function(
                            f"() => ({SCREEN_JS})().includes({text!r})", timeout=timeout_ms
                        )
                    except PlaywrightTimeout:
                        raise AssertionError(
                            f"no {text!r} in the browser within {timeout_ms} ms; it shows:\n"
                            + page.evaluate(SCREEN_JS)
                        ) from None
                    return page.evaluate(SCREEN_JS)

                def sign_in(password: str) -> None:
                    """Type the name and password into the tab's sign-in form, each once
                    the one before it has reached the app."""
                    page.locator(".xterm-helper-textarea").focus()  # keys go to the terminal
                    page.keyboard.type(USERNAME)
                    screen_shows(USERNAME)
                    page.keyboard.press("Enter")
                    page.keyboard.type(password)
                    screen_shows("•" * len(password))
                    page.keyboard.press("Enter")

                page.goto(f"http://localhost:{port}/")
                first = screen_shows("enter sign in")
                assert "NHS" not in first  # nothing of anyone before sign-in

                # A wrong password: refused on the form, nothing opened.
                sign_in("not the password at all")
                refused = screen_shows("not recognised")
                assert "NHS" not in refused and "Registers" not in refused
                screens = [first, refused]

                # The right one: the key is unwrapped, the database opens, signed in.
                page.keyboard.type(PASSWORD)
                screen_shows("•" * len(PASSWORD))
                page.keyboard.press("Enter")
                screens.append(screen_shows("(encrypted)"))  # Home says what it opened
                page.keyboard.press("2")
                screens.append(screen_shows("Review queue"))
                assert "Nothing due for review" in screens[-1]
                page_html = page.content()
                page.close()
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = log.read_text(errors="replace")
    for seen in (served_page, page_html, logged, *screens):
        assert key_hex not in seen.lower()
        assert PASSWORD not in seen
    assert "x'" not in logged  # SQLCipher's raw-key literal
