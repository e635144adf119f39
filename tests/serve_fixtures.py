"""What the ``coordinator-tui serve`` tests share (issue 20 §2): a free port, the server
started on a database and waited for, a headless Chromium page showing the tab's terminal,
and their teardown, in one place for ``test_serve``, ``test_serve_lock`` and
``test_serve_encrypted``.

The browser is Debian's Chromium driven by Playwright's Python API with
``executable_path`` (no browser download). A test needing it skips, saying why, when the
browser, Playwright or textual-serve is missing; in CI (``CI`` set) a missing one is a
failure, as ``.ci/run`` installs all three.

xterm.js draws the terminal on a canvas, so the page's DOM holds no text: the page is
served textual-serve's own script with one statement added that keeps the terminal object
where a test can read its screen buffer (``window.__coordinatorTerminal``).

A test module uses the fixtures (``serve``, ``terminal_page``) by importing them by name,
with ``# ruff: noqa: F811`` at its top (pytest finds fixtures in the module's namespace).
Ask for ``serve`` before ``terminal_page``: fixtures are torn down in reverse, so the
browser closes before the server stops."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
USERNAME = "browser.tester"
PASSWORD = "Lantern-orchard-57-quietly"

KEEP_TERMINAL = "const t=new w(e,{ping:r});"
"""The statement in textual-serve's script that makes the terminal object (``t``)."""

SCREEN_JS = """() => {
  const term = window.__coordinatorTerminal && window.__coordinatorTerminal.terminal;
  if (!term) return "";
  const buffer = term.buffer.active;
  const lines = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""
"""The terminal's screen as the tab shows it, one line of text per row."""


# --- what is missing -----------------------------------------------------------------------


def serve_missing() -> str | None:
    """Why ``serve`` cannot run here, or None."""
    if importlib.util.find_spec("textual_serve") is None:
        return "textual-serve is not installed (pip install '.[serve]')"
    return None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if missing := serve_missing():
        return missing
    if importlib.util.find_spec("playwright") is None:
        return "Playwright's Python package is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM} (apt-get install chromium)"
    return None


def skip_unless(missing: str | None) -> None:
    """Skip saying ``missing`` (a failure in CI, which installs everything); nothing if
    nothing is missing."""
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the serve tests' needs: {missing}")
        pytest.skip(missing)


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    """A localhost port nothing is listening on (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_account(db: Path) -> None:
    """The first administrator (``USERNAME``/``PASSWORD``) in ``db``, as an owner makes it."""
    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.services import accounts

    opened = open_database(str(db))
    try:
        with session_scope(opened.engine, "test") as session:
            accounts.create_first_administrator(
                session, USERNAME, "Browser Tester", PASSWORD, datetime.now(UTC)
            )
    finally:
        opened.engine.dispose()


@dataclass
class Server:
    """One ``coordinator-tui serve`` process listening on ``port``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://localhost:{self.port}/"

    def wait_listening(self, limit: float = 120) -> None:
        """Until the server takes connections; its own words if it stopped instead."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve stopped: {self.said()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"serve did not listen on {self.port} within {limit} s")

    def said(self) -> str:
        """What the server wrote (its stderr, or its log file)."""
        if self.log is not None:
            return self.log.read_text(errors="replace")
        return self.process.stderr.read().decode() if self.process.stderr else ""

    def stop(self) -> None:
        """Stop the server and wait for it (again: nothing)."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start ``coordinator-tui serve --db DB --port (free)`` and wait until it listens:
    ``serve(db, config=settings_path, env={...}, drop_env=(...), log=path)``. ``env`` is
    added to this process's environment, ``drop_env`` names taken out of it; with ``log``
    the server's stdout and stderr go to that file, else its stderr is kept for the error
    when it stops early. Every server started is stopped when the test ends."""
    skip_unless(serve_missing())
    started: list[Server] = []

    def start(
        db: Path,
        *,
        config: Path,
        env: dict[str, str] | None = None,
        drop_env: tuple[str, ...] = (),
        log: Path | None = None,
    ) -> Server:
        environment = {key: value for key, value in os.environ.items() if key not in drop_env}
        environment.update(COORDINATOR_TUI_CONFIG=str(config), **(env or {}))
        port = free_port()
        command = [sys.executable, "-m", "coordinator_tui", "serve", "--db", str(db)]
        command += ["--port", str(port)]
        log_file = log.open("wb") if log is not None else None
        process = subprocess.Popen(
            command,
            stdout=log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log_file else subprocess.PIPE,
            env=environment,
        )
        server = Server(process, port, log, log_file)
        started.append(server)
        server.wait_listening()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


# --- the browser -----------------------------------------------------------------------------


class TerminalPage:
    """A headless Chromium tab whose terminal a test reads (``screen``) and waits on
    (``screen_shows``); ``page`` is Playwright's page for keys and screenshots."""

    def __init__(self, page: Any, shots: Path) -> None:
        self.page = page
        self.shots = shots

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def screen(self) -> str:
        """The terminal's screen now."""
        return self.page.evaluate(SCREEN_JS)

    def screen_shows(
        self, check: str, timeout_ms: int = 90_000, without: str = "", blank: bool = False
    ) -> str:
        """The screen once it shows ``check`` and not ``without`` (``blank``: once every
        line of it is empty), polled by the page; on a time-out, a screenshot
        (``timed-out.png``) and what it shows instead."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        if blank:
            condition = "s.length > 0 && s.trim() === ''"
        else:
            condition = f"s.includes({check!r})"
            if without:
                condition += f" && !s.includes({without!r})"
        try:
            self.page.wait_for_function(
                f"() => {{ const s = ({SCREEN_JS})(); return {condition}; }}",
                timeout=timeout_ms,
            )
        except PlaywrightTimeout:
            self.page.screenshot(path=str(self.shots / "timed-out.png"))
            raise AssertionError(
                f"no {check or 'blank page'!r} in the browser within {timeout_ms} ms; "
                "it shows:\n" + self.screen()
            ) from None
        return self.screen()

    def focus_terminal(self) -> None:
        """Keys typed from now go to the terminal."""
        self.page.locator(".xterm-helper-textarea").focus()

    def sign_in(self, password: str, username: str = USERNAME) -> None:
        """Type the name and password into the tab's sign-in form, each field's text seen
        on the screen before ``enter``: a key is only pressed once the one before it has
        reached the app."""
        self.focus_terminal()
        self.page.keyboard.type(username)
        self.screen_shows(username)
        self.page.keyboard.press("Enter")
        self.type_password(password)

    def type_password(self, password: str) -> None:
        """The password typed (seen as bullets) and ``enter``."""
        self.page.keyboard.type(password)
        self.screen_shows("•" * len(password))
        self.page.keyboard.press("Enter")


@pytest.fixture
def terminal_page(tmp_path: Path) -> Iterator[TerminalPage]:
    """A page of a headless Chromium (1280x800) that keeps the terminal object for the
    test; skips saying why when the browser is missing. The browser is closed after."""
    skip_unless(browser_missing())
    from playwright.sync_api import sync_playwright

    def keep_terminal(route) -> None:  # type: ignore[no-untyped-def]
        script = route.fetch().text()
        assert KEEP_TERMINAL in script, "textual-serve's script changed"
        script = script.replace(KEEP_TERMINAL, KEEP_TERMINAL + "window.__coordinatorTerminal=t;")
        route.fulfill(body=script, content_type="application/javascript")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/static/js/textual.js", keep_terminal)
            yield TerminalPage(page, tmp_path)
        finally:
            browser.close()
