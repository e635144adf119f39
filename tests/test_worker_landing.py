"""A worker's result landing after its screen has started to go (``widgets/from_worker``).

Textual removes a dismissed screen's widgets (or, as the app quits, every screen's) before
it cancels the screen's workers. A thread worker's result handed over with
``App.call_from_thread`` in between met ``query_one`` with no widget: ``NoMatches`` in
the worker, whose failure ended the app (457bd1d: the review queue's compliance line).
These tests hold a screen's removal open at that moment (a widget whose unmount waits),
let the worker's read end then, and check the result is dropped and the app unharmed:
the two a user meets most, quitting as the app starts (Home's counts) and leaving a
person's record (``esc``) while it loads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest
from pilot_helpers import wait_for
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from coordinator_tui.app import make_app
from coordinator_tui.widgets.from_worker import call_from_worker, still_shown

WAIT_S = 20.0


class Holder(Widget):
    """Holds its screen's removal open: its own unmount waits for ``during()``, while the
    screen's other widgets are removed and the screen's workers are not yet cancelled."""

    DEFAULT_CSS = "Holder { display: none; }"

    def __init__(self, during: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.during = during

    async def on_unmount(self) -> None:
        await self.during()


async def _until(condition: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


class Gate:
    """A service function made to wait in the worker's thread until let go."""

    def __init__(self, monkeypatch, module, name: str) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        real = getattr(module, name)

        def held(*args, **kwargs):
            self.entered.set()
            assert self.released.wait(WAIT_S), "never let go"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


def _worker(app, screen, group: str) -> Worker:
    return next(w for w in app.workers if w.node is screen and w.group == group)


def _landing_while_removed(gate: Gate, gone: Widget, worker: Worker):
    """What the holder does while its screen is being removed: wait until ``gone`` (a
    widget the worker's result is shown on) has been taken off, then let the worker's
    read end and wait until the worker has finished (its result landed, or dropped)."""
    seen: dict[str, object] = {}

    async def during() -> None:
        await _until(lambda: not gone.is_attached)
        gate.released.set()
        await _until(lambda: worker.state not in (WorkerState.PENDING, WorkerState.RUNNING))
        seen["state"] = worker.state

    return during, seen


async def test_closing_while_home_reads_its_counts(demo_settings, small_demo_engine, monkeypatch):
    """The app closed as it starts, Home's counts still being read: they land after
    Home's list has gone, and are dropped (before, NoMatches failed the app's exit).

    Closed as ``run_test`` closes it, removing the screens while their workers run (as
    a section's screen is removed when another account signs in). ``ctrl+q`` in a
    terminal cancels the workers first: there the late result was already lost quietly.
    """
    import coordinator_tui.services.dashboard as dashboard

    gate = Gate(monkeypatch, dashboard, "dashboard_counts")
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, gate.entered.is_set)
        home = app.screen
        worker = _worker(app, home, "home-counts")
        during, seen = _landing_while_removed(gate, home.query_one("#home-counts"), worker)
        await home.mount(Holder(during))
    # Leaving the block closed the app; a failed worker would have been raised there.
    assert seen["state"] == WorkerState.SUCCESS
    assert app.return_code in (0, None)


async def test_leaving_a_person_while_the_record_loads(
    demo_settings, small_demo_engine, monkeypatch
):
    """``esc`` on a person's record before it has loaded: the record lands after the
    screen's widgets have gone, and is dropped; the app carries on."""
    import coordinator_tui.services.people as people
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#home-counts") and app.engine)
        await pilot.pause()
        gate = Gate(monkeypatch, people, "person_summary")
        app.push_screen(PersonScreen(1))
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        await wait_for(pilot, gate.entered.is_set)
        person = app.screen
        worker = _worker(app, person, "person")
        during, seen = _landing_while_removed(gate, person.query_one("#person-title"), worker)
        await person.mount(Holder(during))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "state" in seen)
        await wait_for(pilot, lambda: not isinstance(app.screen, PersonScreen))
        assert seen["state"] == WorkerState.SUCCESS
        assert app.is_running
        await pilot.press("2")  # the app still answers
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))


async def test_a_result_for_a_shown_screen_still_lands(demo_settings, small_demo_engine):
    """The guard drops nothing while the screen is there, and hands back what ran."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        got: list[int] = []

        def in_thread() -> bool:
            return call_from_worker(screen, got.append, 7)

        assert still_shown(screen)
        assert await asyncio.to_thread(in_thread) is True
        assert got == [7]


@pytest.mark.parametrize("how", ["exit", "detached"])
async def test_nothing_lands_once_the_node_is_gone(demo_settings, small_demo_engine, how):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        node = Widget()
        await app.screen.mount(node)
        got: list[int] = []
        if how == "detached":
            await node.remove()
            assert not still_shown(node)
            assert await asyncio.to_thread(call_from_worker, node, got.append, 1) is False
        else:
            app.exit()
            assert not still_shown(node)
        assert got == []
