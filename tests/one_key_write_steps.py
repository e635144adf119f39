"""The steps every "one-key write off the UI thread" test takes (issue 12 §2), in one place:
the database held by another connection (``write_lock``), or any write held back
(``blocked_by``); a key pressed while it is held (``press_while_locked``,
``press_while_blocked``); a key refused past a short busy timeout
(``refused_while_locked``); and the fixtures for the small demo opened with a long or a
short busy timeout (``slow_engine``/``app_slow``, ``quick_engine``/``app_quick``).

A test module that uses the fixtures imports them by name (pytest finds fixtures in a
module's namespace); ``# ruff: noqa: F811`` at its top keeps ruff from calling the test
arguments redefinitions.

The "while held" steps assert the same four things everywhere: the screen says Saving… (in
its line, or a notification) and answers while the write waits in its worker; a key typed
meanwhile is held (not lost, not acted on early); nothing is in the database yet; once the
write is let go it lands and the screen stops writing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from pilot_helpers import shown_text, wait_for

from coordinator_tui import db
from coordinator_tui.app import make_app
from coordinator_tui.db import open_database
from coordinator_tui.screens.background_write import HELD

# -- the database held elsewhere -----------------------------------------------------------


@contextmanager
def write_lock(path) -> Iterator[None]:
    """Another process's write lock on the database (``BEGIN IMMEDIATE``) until the block
    ends: a real lock, so the app's connection waits in SQLite's busy handler."""
    locker = sqlite3.connect(path, isolation_level=None, timeout=0)
    locker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


@contextmanager
def blocked_by(gate: threading.Event) -> Iterator[None]:
    """A write held back by ``gate`` (a service patched to wait on it) until the block
    ends: for a write that a lock cannot hold back in a test (it runs after a dialog)."""
    try:
        yield
    finally:
        gate.set()


def notes(app) -> str:
    """Every notification the app is showing, in one line."""
    return " | ".join(n.message for n in app._notifications)


def held_keys(app, hold: str = HELD) -> list[str]:
    """The keys the current screen is holding for its write (``hold`` names which hold:
    a one-key write's, or a dialog's save ``SAVING_HOLD``)."""
    return [k.key for k in app.screen.__dict__.get(hold) or []]


# -- a key pressed while the write is held ---------------------------------------------------


async def press_while_blocked(
    pilot,
    app,
    screen,
    blocker: AbstractContextManager,
    keys: tuple[str, ...],
    written: Callable[[], bool],
    *,
    line: str | None,
    held: tuple[str, ...] = (),
    writing: Callable[[], bool] | None = None,
    hold: str = HELD,
    on_top: bool = False,
    width: int = 120,
) -> None:
    """``keys`` pressed while ``blocker`` holds the write back: ``screen`` says Saving… (in
    its widget ``line``, else a notification) and answers while the write waits in its
    worker; ``held`` keys typed meanwhile wait on the screen; nothing is written until the
    blocker goes, then the write lands. ``writing`` says the write is under way (the
    screen's ``writing`` unless given: a dialog's is ``saving``). The keys are held by the
    screen on top (a carer's day over the grid that writes), which is ``screen`` itself
    when ``on_top``."""
    writing = writing or (lambda: screen.writing)
    with blocker:
        await pilot.press(*keys)
        await wait_for(pilot, lambda: writing() and (app.screen is screen or not on_top))
        if line is not None:
            await wait_for(pilot, lambda: "Saving" in shown_text(screen.query_one(line), width))
        else:
            await wait_for(pilot, lambda: "Saving" in notes(app))
        await pilot.press(*held)
        for _ in range(5):  # the event loop goes on turning while the write waits
            await pilot.pause()
        assert writing() and app.is_running
        assert app.screen is screen or not on_top
        assert held_keys(app, hold) == list(held)
        assert not written()
    await wait_for(pilot, lambda: written() and not writing(), timeout=25)


async def press_while_locked(
    pilot,
    app,
    screen,
    path,
    keys: tuple[str, ...],
    written: Callable[[], bool],
    *,
    line: str | None,
    held: tuple[str, ...] = (),
    writing: Callable[[], bool] | None = None,
    hold: str = HELD,
    on_top: bool = False,
) -> None:
    """``press_while_blocked`` with another connection holding the database's write lock."""
    await press_while_blocked(
        pilot,
        app,
        screen,
        write_lock(path),
        keys,
        written,
        line=line,
        held=held,
        writing=writing,
        hold=hold,
        on_top=on_top,
    )


# -- a key refused past the busy timeout -----------------------------------------------------


async def refused_while_locked(
    pilot,
    app,
    screen,
    path,
    keys: tuple[str, ...],
    *,
    said: Callable[[], bool] | None = None,
    writing: Callable[[], bool] | None = None,
    hold: str = HELD,
    watch_writing: bool = True,
) -> None:
    """``keys`` pressed while the lock is held past the busy timeout: refused in one line
    (a notification saying "it is locked", unless ``said`` names where else), the screen
    no longer writing and holding no keys. ``watch_writing`` False does not wait to see
    the write under way first (a dialog's save may give up before a pause sees it)."""
    writing = writing or (lambda: screen.writing)
    said = said or (lambda: "it is locked" in notes(app))
    with write_lock(path):
        await pilot.press(*keys)
        if watch_writing:
            await wait_for(pilot, writing)
        await wait_for(pilot, said, timeout=15)
    assert not writing()
    assert app.screen.__dict__.get(hold) is None  # nothing left holding the keyboard


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def slow_engine(small_demo_path, monkeypatch):
    """The small demo, its connections waiting up to 20 s for a lock: each test holds one
    and lets it go itself once it has seen the screen stay live."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 20_000)
    opened = open_database(str(small_demo_path))
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture
def quick_engine(small_demo_path, monkeypatch):
    """The small demo, its connections giving up on a lock after 0.3 s: a refusal."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    opened = open_database(str(small_demo_path))
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture
def db_file(small_demo_path):
    """The database file the lock is taken on."""
    return small_demo_path


@pytest.fixture
def app_slow(demo_settings, slow_engine):
    return make_app(demo_settings, slow_engine)


@pytest.fixture
def app_quick(demo_settings, quick_engine):
    return make_app(demo_settings, quick_engine)
