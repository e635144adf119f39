"""The app's memory after the sections are prepared (issue 23 §1: 150 MiB at ten times the
large demo): SQLite's page cache per connection, a bounded pool reusing its most recent
connection, the sections prepared one read at a time, and the memory those reads left
given back once they are done (``db.release_memory``)."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from pilot_helpers import wait_for
from sqlalchemy import text

import coordinator_tui.app as app_module
import coordinator_tui.db as db
from coordinator_tui.app import BUILT_SECTIONS, RELEASES, make_app
from coordinator_tui.preflight import DatabaseTarget, resolve_target

SHRINK = "PRAGMA shrink_memory"


def traced_engine(db_path: Path):
    """A new engine on the (migrated) file with every statement each connection runs
    recorded against that connection (SQLite's own trace: it sees the statements
    ``release_memory`` sends to the driver directly, past SQLAlchemy's events)."""
    from sqlalchemy import event

    engine = db.create_db_engine(resolve_target(str(db_path)))
    traced: list[tuple[int, str]] = []

    def trace(dbapi_connection: sqlite3.Connection, _record) -> None:
        key = id(dbapi_connection)
        dbapi_connection.set_trace_callback(lambda statement: traced.append((key, statement)))

    event.listen(engine, "connect", trace)
    return engine, traced


def test_every_connection_has_the_page_cache_size(opened):
    """Each pooled connection, the second and third opened at once too, gets the cache
    size (negative: KiB), not SQLite's default 2 MB."""
    held = [opened.engine.raw_connection() for _ in range(3)]
    try:
        sizes = [c.driver_connection.execute("PRAGMA cache_size").fetchone()[0] for c in held]
    finally:
        for connection in held:
            connection.close()
    assert sizes == [-db.CACHE_KIB] * 3


def test_the_pool_keeps_at_most_pool_size_connections(opened):
    """More connections open while more threads read at once; handed back, only
    POOL_SIZE are kept (each kept one keeps its page cache)."""
    held = [opened.engine.raw_connection() for _ in range(db.POOL_SIZE + 3)]
    for connection in held:
        connection.close()
    assert opened.engine.pool.checkedin() == db.POOL_SIZE


def test_reads_one_after_another_reuse_the_most_recent_connection(opened):
    """LIFO: the connection handed back last (its cache warm) serves the next read; FIFO
    went round every kept connection, each filling its cache with the same pages."""
    held = [opened.engine.raw_connection() for _ in range(db.POOL_SIZE)]
    ids = [id(c.driver_connection) for c in held]
    for connection in held:
        connection.close()  # the last closed is the most recent
    seen = []
    for _ in range(3):
        with opened.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            seen.append(id(conn.connection.driver_connection))
    assert seen == [ids[-1]] * 3


def test_an_in_memory_database_keeps_sqlalchemys_own_pool():
    engine = db.create_db_engine(DatabaseTarget("sqlite://", None))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert db.release_memory(engine)["caches"] in (True, False)  # no error
    finally:
        engine.dispose()


def test_release_frees_the_idle_connections_caches_not_one_in_use(opened, db_path):
    engine, traced = traced_engine(db_path)
    try:
        busy = engine.raw_connection()
        idle = engine.raw_connection()
        idle_id, busy_id = id(idle.driver_connection), id(busy.driver_connection)
        idle.close()  # back in the pool
        done = db.release_memory(engine)
        assert done["caches"] is True
        shrunk = {key for key, statement in traced if statement == SHRINK}
        assert shrunk == {idle_id}
        assert busy_id not in shrunk  # a read in progress is not touched
        busy.close()
        # Nothing holds on: the pool is as it was, both connections idle and usable.
        assert engine.pool.checkedin() == 2
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_release_from_another_thread_while_the_pool_is_used(opened, db_path):
    """Workers read while the release runs in its own: every read still answers."""
    engine, _traced = traced_engine(db_path)
    errors: list[BaseException] = []

    def reads() -> None:
        try:
            for _ in range(50):
                with engine.connect() as conn:
                    conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reads) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(20):
            db.release_memory(engine)
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert engine.pool.checkedin() <= db.POOL_SIZE
    finally:
        engine.dispose()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_malloc_trim_is_called_where_glibc_has_it(monkeypatch):
    calls: list[int] = []
    real = db._malloc_trim_function()
    if real is None:
        pytest.skip("this C library has no malloc_trim (not glibc)")
    monkeypatch.setattr(db, "_malloc_trim_function", lambda: lambda pad: calls.append(pad) or 1)
    assert db.release_memory(None) == {"caches": False, "trimmed": True}
    assert calls == [0]
    assert real(0) in (0, 1)  # the real call runs and returns


def test_no_malloc_trim_is_harmless(monkeypatch):
    """macOS, Windows, musl: nothing to call; the caches are still freed."""
    monkeypatch.setattr(db, "_malloc_trim_function", lambda: None)
    assert db.release_memory(None) == {"caches": False, "trimmed": False}


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_malloc_trim_is_not_looked_for_off_linux(monkeypatch, platform):
    db._malloc_trim_function.cache_clear()
    monkeypatch.setattr(sys, "platform", platform)
    try:
        assert db._malloc_trim_function() is None
        assert db.malloc_trim() is False
    finally:
        monkeypatch.undo()
        db._malloc_trim_function.cache_clear()


def test_a_c_library_without_malloc_trim(monkeypatch):
    import ctypes

    class NoTrim:
        def __init__(self, *_args) -> None:
            pass

        def __getattr__(self, name: str):
            raise AttributeError(name)

    db._malloc_trim_function.cache_clear()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", NoTrim)
    try:
        assert db._malloc_trim_function() is None
    finally:
        monkeypatch.undo()
        db._malloc_trim_function.cache_clear()


def test_postgresql_has_no_page_caches_to_free(pg_url):
    engine = db.create_db_engine(resolve_target(pg_url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert db.release_memory(engine)["caches"] is False
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


# -- the app: the sections prepared one read at a time, then the memory given back ----------


@pytest.fixture
def preparing_app(demo_settings, small_demo_engine, monkeypatch):
    demo_settings.prepare_sections = True
    # Wait for each section's data however loaded the machine is (no timing decides).
    monkeypatch.setattr(app_module, "PREPARE_WAIT_S", 600.0)
    monkeypatch.setattr(app_module, "RELEASE_AGAIN_S", 0.2)
    return make_app(demo_settings, small_demo_engine)


async def test_sections_prepared_one_after_another(preparing_app, monkeypatch):
    """Each section is built once the one built before it has its data on screen."""
    app = preparing_app
    built: list[tuple[str, set[str]]] = []
    real_build = app_module.build_mode

    def build(target, mode: str) -> None:
        built.append((mode, set(target._modes_loaded)))
        real_build(target, mode)

    monkeypatch.setattr(app_module, "build_mode", build)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.memory_releases >= 1, timeout=60)
        assert [mode for mode, _ in built] == list(BUILT_SECTIONS)
        for (before, _), (mode, loaded) in zip(built, built[1:], strict=False):
            assert before in loaded, f"{mode} built before {before} had its data"


async def test_memory_given_back_once_every_section_has_its_data(
    preparing_app, small_demo_engine, monkeypatch
):
    app = preparing_app
    calls: list[tuple[object, set[str], bool]] = []

    def release(engine) -> dict[str, bool]:
        built = all(app._screen_stacks.get(mode) for mode in BUILT_SECTIONS)
        calls.append((engine, set(app._modes_loaded), built))
        return {"caches": True, "trimmed": False}

    monkeypatch.setattr(db, "release_memory", release)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.memory_releases >= RELEASES, timeout=60)
        await pilot.pause(0.5)
        assert len(calls) == RELEASES  # once at the end, once more a little later; no more
        engine, loaded, built = calls[0]
        assert engine is small_demo_engine
        assert built and set(BUILT_SECTIONS) <= loaded
        assert app.memory_released == {"caches": True, "trimmed": False}
        assert app.current_mode == "home"  # nothing moved on screen


async def test_no_preparation_nothing_given_back(demo_settings, small_demo_engine, monkeypatch):
    """Without background preparation (tests, benchmarks' cold paths) nothing runs."""
    calls: list[object] = []
    monkeypatch.setattr(db, "release_memory", lambda engine: calls.append(engine) or {})
    demo_settings.prepare_sections = False
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "home" in app._modes_loaded, timeout=30)
        await pilot.press("2")
        await wait_for(pilot, lambda: "registers" in app._modes_loaded, timeout=30)
        await app.workers.wait_for_complete()
        assert calls == [] and app.memory_releases == 0


async def test_memory_given_back_again_once_a_pause_after_the_start(preparing_app, monkeypatch):
    """Left open all day: after RELEASE_IDLE_S without a key or click what the reads since
    cached is given back, once a pause; a key starts a new pause."""
    app = preparing_app
    monkeypatch.setattr(db, "release_memory", lambda engine: {"caches": True, "trimmed": False})
    now = [1000.0]
    app.idle_clock = lambda: now[0]
    app.last_input = now[0] - app_module.RELEASE_QUIET_S  # no key since the start

    def memory_workers() -> int:
        return sum(1 for w in app.workers if w.group == "memory" and not w.is_finished)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.memory_releases >= RELEASES, timeout=60)
        await wait_for(pilot, lambda: not app._reads_under_way(), timeout=30)
        app.release_if_idle()  # not idle long enough yet
        assert memory_workers() == 0 and app.memory_releases == RELEASES
        now[0] += app_module.RELEASE_IDLE_S
        app.release_if_idle()
        await wait_for(pilot, lambda: app.memory_releases == RELEASES + 1, timeout=30)
        await wait_for(pilot, lambda: memory_workers() == 0, timeout=30)
        now[0] += app_module.RELEASE_IDLE_S
        app.release_if_idle()  # the same pause: given back already
        assert memory_workers() == 0 and app.memory_releases == RELEASES + 1
        await pilot.press("down")  # a key: a new pause begins
        assert app.last_input == now[0]
        now[0] += app_module.RELEASE_IDLE_S
        app.release_if_idle()
        await wait_for(pilot, lambda: app.memory_releases == RELEASES + 2, timeout=30)
        assert not app.locked


async def test_memory_given_back_only_in_a_pause_of_keys(preparing_app, monkeypatch):
    """Pages given back are faulted in again when next used: never while keys come."""
    app = preparing_app
    monkeypatch.setattr(db, "release_memory", lambda engine: {"caches": True, "trimmed": False})
    now = [1000.0]
    app.idle_clock = lambda: now[0]
    app.last_input = now[0]  # a key just now, and the clock stands still

    def prepared() -> bool:
        return set(BUILT_SECTIONS) <= app._modes_loaded and not app._reads_under_way()

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, prepared, timeout=60)
        for _ in range(4):  # the release's checks come round every PREPARE_DELAY_S
            await pilot.pause(app_module.PREPARE_DELAY_S)
        assert app.memory_releases == 0
        now[0] += app_module.RELEASE_QUIET_S
        await wait_for(pilot, lambda: app.memory_releases >= 1, timeout=30)
