"""Keys held for a one-key write are let go by the write's end only (``type_ahead``,
``background_write``), for every screen that reloads after a save: a reload's time limit
left from an earlier save must not let them act on rows the write is about to change.

Time is controlled, not slept on: the screen's hold time limits are caught as they are
set (``set_timer`` wrapped) and fired by the test when it chooses, and the second write
waits on a ``threading.Event`` the test sets."""

# ruff: noqa: F811 (the fixtures imported from test_one_key_writes_off_ui_thread)
from __future__ import annotations

import threading
from functools import partial
from typing import Any

from pilot_helpers import wait_for
from test_one_key_writes_governance import an_incident, highlight, open_governance, status
from test_one_key_writes_off_ui_thread import (  # noqa: F401 (fixtures)
    active,
    app_slow,
    db_file,
    open_series,
    slow_engine,
    stop_a_series,
)

from coordinator_tui.screens.background_write import HELD
from coordinator_tui.screens.type_ahead import HeldKeys, PassesStrayKeys
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.services.meetings import series as series_service
from coordinator_tui.widgets.lazy_table import OPEN_HOLD_S


class FakeTimer:
    """A hold's time limit the test fires itself (``fire``), stopped or not."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def fire(self) -> None:
        self.callback()


def catch_hold_limits(monkeypatch, screen) -> list[FakeTimer]:
    """The screen's hold time limits, caught instead of scheduled; other timers run."""
    caught: list[FakeTimer] = []
    real = screen.set_timer

    def set_timer(delay: float, callback: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(callback, partial) and callback.func.__name__ == "_hold_limit_reached":
            caught.append(FakeTimer(callback))
            return caught[-1]
        return real(delay, callback, *args, **kwargs)

    monkeypatch.setattr(screen, "set_timer", set_timer)
    return caught


def hold_back_closing(monkeypatch, held_back: int) -> tuple[threading.Event, list[int]]:
    """Closing incident ``held_back`` waits, in its worker thread, until the event is
    set; every incident closed is listed in the order asked."""
    gate = threading.Event()
    calls: list[int] = []
    close = inc.close_incident

    def gated_close(session, incident_id, *args, **kwargs):
        calls.append(incident_id)
        if incident_id == held_back:
            assert threading.current_thread() is not threading.main_thread()
            assert gate.wait(30)
        return close(session, incident_id, *args, **kwargs)

    monkeypatch.setattr(inc, "close_incident", gated_close)
    return gate, calls


async def test_an_earlier_saves_time_limit_does_not_let_a_later_writes_keys_go(
    app_slow, slow_engine, monkeypatch
):
    """``x`` closes incident A (save 1: the list reloads, its keys held with a time
    limit). ``x`` on incident B (save 2) is held back; ``X`` and ``C`` typed meanwhile are
    held. Save 1's time limit firing then lets nothing go: the view is unchanged and both
    keys still held. Save 2 let through, B closes, the list reloads, then ``X`` and ``C``
    act in the order typed (the complaints view last)."""
    first = an_incident(slow_engine)
    second = an_incident(slow_engine)
    gate, calls = hold_back_closing(monkeypatch, second)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        limits = catch_hold_limits(monkeypatch, screen)

        # save 1, with its reload
        await highlight(pilot, screen, first)
        await pilot.press("x")
        await wait_for(pilot, lambda: status(slow_engine, first) == "closed")
        await wait_for(pilot, lambda: len(limits) == 1 and not screen.writing)
        await wait_for(pilot, lambda: screen.loaded and screen.__dict__.get(HELD) is None)
        save_1_limit = limits[0]
        assert save_1_limit.stopped  # the reload landed: its limit is stopped

        # save 2, held back, keys typed meanwhile
        await highlight(pilot, screen, second)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.writing and calls == [first, second])
        await pilot.press("X", "C")
        await wait_for(pilot, lambda: len(screen.__dict__.get(HELD) or []) == 2)
        held = screen.__dict__[HELD]
        assert isinstance(held, HeldKeys) and held.writing

        # save 1's limit fires (as a timer already due when it was stopped would)
        save_1_limit.fire()
        for _ in range(5):
            await pilot.pause()
        assert screen.__dict__.get(HELD) is held and [k.key for k in held] == ["X", "C"]
        assert screen.view.code == "open" and screen.writing
        assert status(slow_engine, second) == "open"

        # save 2 lands: the reload it asks for holds the keys, then they act in order
        seen: list[str] = []
        load_shown = type(screen).keys_loaded

        def keys_loaded(self: PassesStrayKeys) -> None:
            seen.append(f"loaded, B {status(slow_engine, second)}, view {self.view.code}")
            load_shown(self)

        monkeypatch.setattr(type(screen), "keys_loaded", keys_loaded)
        gate.set()
        await wait_for(pilot, lambda: not screen.writing, timeout=25)
        await wait_for(
            pilot, lambda: screen.view.area == "complaints" and screen.loaded, timeout=25
        )
        assert status(slow_engine, second) == "closed"
        # the first release after the write is the reload's, on the open view, B closed
        assert seen[0] == "loaded, B closed, view open"
        assert screen.__dict__.get(HELD) is None  # nothing left holding the keyboard


async def test_a_reload_landing_during_a_write_does_not_let_its_keys_go(
    app_slow, slow_engine, monkeypatch
):
    """A reload asked for before the write (a dialog's save) that lands while the write is
    under way lets nothing go; its time limit, caught, is stopped by the write (which
    sets one again if a reload is still to land at its end)."""
    incident_id = an_incident(slow_engine)
    gate, _calls = hold_back_closing(monkeypatch, incident_id)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        limits = catch_hold_limits(monkeypatch, screen)
        await highlight(pilot, screen, incident_id)
        screen.hold_keys_until_loaded()  # a reload asked for, not landed yet
        (reload_limit,) = limits
        screen.action_close()  # x, started as a dialog's save starts a write (keys held)
        await wait_for(pilot, lambda: screen.writing)
        assert reload_limit.stopped
        await pilot.press("X")
        await wait_for(pilot, lambda: len(screen.__dict__.get(HELD) or []) == 1)
        screen.keys_loaded()  # the reload lands
        reload_limit.fire()  # and its limit fires anyway
        for _ in range(5):
            await pilot.pause()
        assert [k.key for k in screen.__dict__.get(HELD) or []] == ["X"]
        assert screen.view.code == "open"
        gate.set()
        await wait_for(pilot, lambda: screen.view.code == "closed" and screen.loaded, timeout=25)
        assert status(slow_engine, incident_id) == "closed"
        assert screen.__dict__.get(HELD) is None


async def test_the_same_on_another_screen_a_series_restarted(app_slow, slow_engine, monkeypatch):
    """The shared mechanism, on Meetings' series (``x`` restarts a stopped series, no
    reload of its own): ``enter``'s short hold (the lazy table's, until what it opens is
    on top) let go, its limit still pending; ``x`` held back; ``up`` typed meanwhile is
    held when that old limit fires, and moves the cursor once the restart has landed."""
    series_id = stop_a_series(slow_engine)
    gate = threading.Event()
    restart = series_service.set_series_active

    def gated_restart(*args, **kwargs):
        assert gate.wait(30)
        return restart(*args, **kwargs)

    monkeypatch.setattr(series_service, "set_series_active", gated_restart)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_series(pilot, app, series_id)
        limits = catch_hold_limits(monkeypatch, screen)
        screen.hold_keys_until_loaded(limit=OPEN_HOLD_S)  # as enter on a row does
        screen.keys_loaded()  # what it opened came and went
        (open_limit,) = limits
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.writing)
        await pilot.press("up")
        await wait_for(pilot, lambda: len(screen.__dict__.get(HELD) or []) == 1)
        index = table.cursor_row
        open_limit.fire()
        for _ in range(5):
            await pilot.pause()
        assert [k.key for k in screen.__dict__.get(HELD) or []] == ["up"]
        assert table.cursor_row == index and not active(slow_engine, series_id)
        gate.set()
        await wait_for(pilot, lambda: not screen.writing and active(slow_engine, series_id))
        keys = [r.id for r in screen.rows]
        await wait_for(pilot, lambda: table.cursor_row == max(keys.index(series_id) - 1, 0))
        assert screen.__dict__.get(HELD) is None
