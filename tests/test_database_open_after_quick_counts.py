"""The database's opening after Home's quick counts, on PostgreSQL (issue 23 §3, §5).

Opening the database imports SQLAlchemy and the tables in a worker; started with the first
frame it competed with Home's quick read (psycopg's import) for the interpreter's lock. On
PostgreSQL the app now starts it once the quick counts are on screen or the quick read has
given up, and at most ``quick_counts_wait_s`` after the first frame. These tests hold the
order (not the timing): the open after the quick counts, an open even when the quick read
gives None or never answers, and no wait at all where no quick read holds it (the sign-in
screen first, the people list first, an SQLite file).

The PostgreSQL tests reuse ``test_home_counts_pg``'s copy of the small demo and need
``COORDINATOR_TUI_TEST_PG_URL``; the others run on the small demo's SQLite file.
"""

# ruff: noqa: F811  (pytest finds the imported fixtures in the module's namespace)
from __future__ import annotations

import threading

import pytest
from pilot_helpers import wait_for
from test_home_counts_fast import _pinned
from test_home_counts_pg import _pg_demo_template, pg_demo_url, pg_settings  # noqa: F401 (fixtures)

from coordinator_tui.screens import home
from coordinator_tui.services import home_counts

NEVER = 600.0
"""A wait for the quick counts no test outlasts: the open can only come from their signal."""


def _recorded(app, seen: list[str]) -> None:
    """``seen`` gets "open" when the app starts opening the database, with which counts
    Home shows then ("open on quick": the quick counts are on screen)."""
    open_database = app.open_database

    def opening():
        seen.append(f"open on {_counts_read(app) or 'none'}")
        return open_database()

    app.open_database = opening


def _quick_read_recorded(monkeypatch, seen: list[str], read=None) -> None:
    """``seen`` gets what the quick read gave ("quick counts" or "quick None"), from its
    thread, before the screen is told (``read``: instead of the real read)."""
    real = home_counts.quick_dashboard_counts

    def quick(*args, **kwargs):
        counts = (read or real)(*args, **kwargs)
        seen.append("quick None" if counts is None else "quick counts")
        return counts

    monkeypatch.setattr(home_counts, "quick_dashboard_counts", quick)


def _counts_read(app) -> str:
    return getattr(app.screen_stack[0], "counts_read", "")


@pytest.mark.postgres
async def test_on_postgresql_the_database_opens_after_the_quick_counts(pg_settings, monkeypatch):
    """The quick counts first, on screen; then the open; then the ORM's counts. The quick
    read is held until the first frame is painted (in this process psycopg is imported
    already, so the read would otherwise be in before the frame, as on an SQLite file)."""
    from coordinator_tui.app import make_app

    real = home_counts.quick_dashboard_counts
    go = threading.Event()

    def after_the_first_frame(*args, **kwargs):
        go.wait(60)
        return real(*args, **kwargs)

    seen: list[str] = []
    _quick_read_recorded(monkeypatch, seen, after_the_first_frame)
    app = make_app(pg_settings)
    app.quick_counts_wait_s = NEVER
    _recorded(app, seen)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app._first_frame_painted)
            await pilot.pause()
            assert seen == []  # the first frame is up, the quick read under way: no open
            go.set()
            await wait_for(pilot, lambda: _counts_read(app) == "database", timeout=60)
    finally:
        go.set()
    assert seen == ["quick counts", "open on quick"]


@pytest.mark.postgres
async def test_a_quick_read_that_gives_up_opens_the_database(pg_settings, monkeypatch):
    """A schema revision the quick read does not know (it gives None after asking the
    server): the open starts then, not at the end of the wait, and Home shows the ORM's
    counts."""
    from coordinator_tui.app import make_app

    real = home_counts.quick_dashboard_counts

    def old_revision(target, revision, *args, **kwargs):
        return real(target, "not-the-head-revision", *args, **kwargs)

    seen: list[str] = []
    _quick_read_recorded(monkeypatch, seen, old_revision)
    app = make_app(pg_settings)
    app.quick_counts_wait_s = NEVER
    _recorded(app, seen)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _counts_read(app) == "database", timeout=60)
        assert app.engine is not None
    assert seen == ["quick None", "open on none"]


@pytest.mark.postgres
async def test_a_quick_read_that_never_answers_waits_no_longer_than_the_cap(
    pg_settings, monkeypatch
):
    """A quick read still waiting on the server: the database opens at the wait's end
    (made short here) and the ORM's counts show, the quick read still under way."""
    from coordinator_tui.app import make_app

    answer = threading.Event()

    def hung(*args, **kwargs):
        answer.wait(60)
        return None

    seen: list[str] = []
    _quick_read_recorded(monkeypatch, seen, hung)
    app = make_app(pg_settings)
    app.quick_counts_wait_s = 0.05
    _recorded(app, seen)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: _counts_read(app) == "database", timeout=60)
            assert seen == ["open on none"] and not answer.is_set()
            answer.set()
            await wait_for(pilot, lambda: seen == ["open on none", "quick None"])
            assert _counts_read(app) == "database"  # the ORM's counts stay
    finally:
        answer.set()


# -- no wait where nothing holds the open (SQLite) ------------------------------------------


async def test_on_an_sqlite_file_the_open_is_not_held(demo_settings, monkeypatch):
    """The stdlib's quick read is in with the first frame: the open never waits for it
    (the wait measured nothing gained there)."""
    from coordinator_tui.app import make_app

    held: list[bool] = []
    app = make_app(_pinned(demo_settings))
    app.quick_counts_wait_s = NEVER
    hold = app.hold_database_for_quick_counts
    app.hold_database_for_quick_counts = lambda: (held.append(True), hold())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _counts_read(app) == "database")
    assert held == []


async def test_the_sign_in_screen_first_opens_at_once(demo_settings, monkeypatch):
    """Nobody signed in: no quick read, so nothing holds the open, even were the
    database PostgreSQL."""
    from coordinator_tui.app import CoordinatorApp, make_app

    monkeypatch.setattr(CoordinatorApp, "start_principal", None)
    monkeypatch.setattr(home, "_on_postgresql", lambda db: True)
    app = make_app(_pinned(demo_settings))
    app.quick_counts_wait_s = NEVER
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None and app.screen.query("Input"))


async def test_the_people_list_first_opens_at_once(demo_settings, monkeypatch):
    """``coordinator-tui people``: no Home, so nothing holds the open, even were the
    database PostgreSQL."""
    from coordinator_tui.app import make_app

    monkeypatch.setattr(home, "_on_postgresql", lambda db: True)
    app = make_app(_pinned(demo_settings), start="people")
    app.quick_counts_wait_s = NEVER
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        assert app.current_mode == "people"


async def test_home_first_on_a_held_open_still_opens_on_sqlite(demo_settings, monkeypatch):
    """The hold itself, without a server: a Home that holds the open (as on PostgreSQL)
    over an SQLite file opens it once its quick counts are on screen."""
    from coordinator_tui.app import make_app

    monkeypatch.setattr(home, "_on_postgresql", lambda db: True)
    seen: list[str] = []
    _quick_read_recorded(monkeypatch, seen)
    app = make_app(_pinned(demo_settings))
    app.quick_counts_wait_s = NEVER
    _recorded(app, seen)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _counts_read(app) == "database")
    assert seen == ["quick counts", "open on quick"]
