"""The idle lock and the blank key in a browser tab (issue 20 §2), and keys a browser keeps.

The browser test serves a copy of the small demo with ``lock_after_minutes = 1`` (the
shortest the settings allow), signs in in Debian's headless Chromium (Playwright's Python
API; the server and the browser are ``tests/serve_fixtures.py``'s), opens the review queue
and starts a review note, then leaves the keyboard alone. Once the app has locked it by
itself, nothing of any person is in the page: not on the terminal's screen, nor anywhere
in its buffers, nor in the page's own text or title. Signing in again brings back the
dialog with the note as typed; ``f12`` and its alias ``ctrl+g`` blank the page and bring
it back. The audit trail holds the lock (reason idle) and the unlock. About two minutes,
most of it the idle minute.

Keys a browser keeps: Chromium never gives a page ctrl+w, ctrl+t, ctrl+n, ctrl+tab,
ctrl+pageup/pagedown or their shift forms (they close, open and switch tabs and windows),
so every binding on one of those has an alias a page does get.
"""

# ruff: noqa: F811 (the fixtures imported from serve_fixtures)
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from serve_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD,
    make_account,
    serve,
    terminal_page,
)
from sqlmodel import select
from textual.binding import Binding

from coordinator_tui.models.safeguarding import RegisterReview
from tests.test_key_aliases import _keys_by_action, _ui_classes

NOTE = "Seen at home with her aunt"
PERSON = re.compile(r"\b[A-Z][A-Z'-]+, [A-Z][a-z]+|999 \d{3} \d{4}")
"""A person as the queue shows one: ``SURNAME, Given`` or an NHS number (999 range)."""

EVERYTHING_JS = """() => {
  const term = window.__coordinatorTerminal.terminal;
  const lines = [];
  for (const buffer of [term.buffer.normal, term.buffer.alternate]) {
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (line) lines.push(line.translateToString(true));
    }
  }
  const textarea = document.querySelector(".xterm-helper-textarea");
  return [lines.join("\\n"), document.body.innerText, document.title,
          textarea ? textarea.value : ""].join("\\n");
}"""
"""All the page holds as text: both of the terminal's buffers whole (scrollback included),
the page's own text, its title, and the terminal's input element."""

BROWSER_KEEPS = re.compile(r"^ctrl\+(shift\+)?(w|t|n|tab|pageup|pagedown)$")


def _browser_gets(key: str) -> bool:
    """A key a page receives (the browser keeps none of it for itself) and a terminal
    passes on (an F-key, or one with no ctrl or alt)."""
    if BROWSER_KEEPS.match(key):
        return False
    return bool(re.fullmatch(r"f\d{1,2}", key)) or not re.search(r"(ctrl|alt|meta)\+", key)


def _our_keys_by_action(cls: type) -> dict[str, set[str]]:
    """The keys bound to each action of ``cls`` by this app's classes (Textual's own
    widgets' scrolling keys, ctrl+pageup and the like, have the plain keys beside them)."""
    keys: dict[str, set[str]] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("coordinator_tui"):
            continue
        for binding in klass.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                binding = Binding(*binding)
            for key in binding.key.split(","):
                keys.setdefault(binding.action, set()).add(key.strip())
    return keys


def test_every_key_a_browser_keeps_has_an_alias_a_page_gets() -> None:
    kept_seen = 0
    missing = []
    for cls in _ui_classes():
        for action, keys in _our_keys_by_action(cls).items():
            if any(BROWSER_KEEPS.match(key) for key in keys):
                kept_seen += 1
                if not any(_browser_gets(key) for key in keys):
                    missing.append(f"{cls.__module__}.{cls.__qualname__}: {action} {keys}")
    assert kept_seen > 0  # live minuting's ctrl+n and ctrl+t: the rule was checked
    assert missing == []


def test_the_blank_key_has_an_alias_a_browser_passes_on() -> None:
    from coordinator_tui.app import CoordinatorApp

    keys = _keys_by_action(CoordinatorApp)["blank"]
    assert {"f12", "ctrl+g"} <= keys
    assert not any(BROWSER_KEEPS.match(key) for key in keys)


def test_a_browser_tab_locks_when_idle_keeps_the_typing_and_blanks(
    serve, terminal_page, small_demo_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "served.db"
    shutil.copyfile(small_demo_path, db)
    make_account(db)
    settings = tmp_path / "settings.toml"
    settings.write_text("lock_after_minutes = 1\n")
    server = serve(db, config=settings, env={"COORDINATOR_TUI_PREPARE_SECTIONS": "0"})
    tab = terminal_page
    page = tab.page
    tab.goto(server.url())
    tab.screen_shows("enter sign in", without="Opening the database")
    tab.sign_in(PASSWORD)
    tab.screen_shows("Registers", without="Sign in")
    page.keyboard.press("2")
    queue = tab.screen_shows("OVERDUE")
    people = set(PERSON.findall(queue))
    assert len(people) > 10  # the queue shows people: the check below means something
    page.keyboard.press("r")  # a review of the first entry: its note typed
    tab.screen_shows("Note (optional")
    before_last_key = time.monotonic()
    page.keyboard.type(NOTE)
    tab.screen_shows(NOTE)

    # Hands off the keyboard: the app locks itself after the idle minute.
    locked = tab.screen_shows("Locked at", timeout_ms=150_000)
    # Not before a minute after the last key (sent after ``before_last_key``).
    assert time.monotonic() - before_last_key >= 59
    page.screenshot(path=str(tmp_path / "locked.png"))
    everything = page.evaluate(EVERYTHING_JS)
    assert PERSON.findall(everything) == []
    assert not [person for person in people if person in everything]
    assert NOTE not in everything
    assert "Browser Tester" in locked  # whose screen it is, nothing more

    # The same user signs in again: the dialog is back with the note as typed.
    tab.type_password(PASSWORD)
    back = tab.screen_shows(NOTE, without="Locked at")
    assert "Note (optional" in back

    # The blank key, then its alias: the page shows nothing, then all again.
    for key in ("F12", "Control+g"):
        page.keyboard.press(key)
        tab.screen_shows("", blank=True)
        everything = page.evaluate(EVERYTHING_JS)
        assert PERSON.findall(everything) == [], key
        assert NOTE not in everything, key
        page.screenshot(path=str(tmp_path / f"blank-{key}.png"))
        page.keyboard.press(key)
        tab.screen_shows(NOTE)
    server.stop()

    from coordinator_tui.audit import events_for
    from coordinator_tui.db import open_database, session_scope

    opened = open_database(str(db))
    try:
        with session_scope(opened.engine, "test") as session:
            events = [(e.action, e.changes) for e in events_for(session, "account")]
            reviews = session.exec(
                select(RegisterReview).where(RegisterReview.note.contains(NOTE))  # type: ignore[attr-defined]
            ).all()
    finally:
        opened.engine.dispose()
    actions = [action for action, _ in events]
    assert "lock" in actions and "unlock" in actions
    lock_changes = next(changes for action, changes in events if action == "lock")
    assert "idle" in lock_changes
    assert reviews == []  # a note typed but not saved stays in the form, never written
