"""The review queue's reload after a write, overtaken by a newer one (two writes in quick
succession): the keys typed meanwhile wait for the newer read's rows, and go as soon as
they are on screen, whichever of the two reads comes back first (the newer first: at
once, the older's rows never to be shown). The older read's rows are dropped
(``type_ahead``'s ``read_landed``); before, its hold was left counted, so the keys waited
out its time limit (about 3 s) after the newer rows were shown.

Time is controlled, not slept on: each read waits in its thread on its own event, and the
holds' time limits are caught so that a loaded machine cannot fire them mid-test."""

# ruff: noqa: F811 (the fixtures imported from one_key_write_steps)
from __future__ import annotations

import threading

import pytest
from one_key_write_steps import app_quick, quick_engine  # noqa: F401 (fixtures)
from pilot_helpers import wait_for
from test_type_ahead_write_holds import catch_hold_limits

from coordinator_tui.screens.background_write import HELD
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.services import registers
from coordinator_tui.widgets.lazy_table import LazyTable


def gate_queue_reads(monkeypatch) -> tuple[list[threading.Event], list[int]]:
    """Each reload of the queue's first page waits, in its thread, on its own event (the
    n-th on ``gates[n]``); ``started`` lists the reloads under way."""
    gates = [threading.Event(), threading.Event()]
    started: list[int] = []
    real = registers.queue_page

    def gated(session, *args, **kwargs):
        if kwargs.get("with_counts"):  # a reload's first page, not a page scrolled to
            number = len(started)
            started.append(number)
            assert threading.current_thread() is not threading.main_thread()
            assert gates[number].wait(30)
        return real(session, *args, **kwargs)

    monkeypatch.setattr(registers, "queue_page", gated)
    return gates, started


@pytest.mark.parametrize("first_back", ["older", "newer"])
async def test_keys_held_for_an_overtaken_reload_go_with_the_newer_rows(
    app_quick, quick_engine, monkeypatch, first_back
):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one(LazyTable)
        index = table.cursor_row
        limits = catch_hold_limits(monkeypatch, screen)
        gates, started = gate_queue_reads(monkeypatch)

        # two writes' reloads, the second asked for before the first is back
        screen.load_queue(index=index, hold_keys=True)
        await wait_for(pilot, lambda: started == [0])
        screen.load_queue(index=index, hold_keys=True)
        await wait_for(pilot, lambda: started == [0, 1])
        held = screen.__dict__.get(HELD)
        await pilot.press("down")
        await wait_for(pilot, lambda: [k.key for k in held] == ["down"])

        if first_back == "older":
            gates[0].set()
            for _ in range(10):
                await pilot.pause()
            # the older read alone lets nothing go: the newer's rows are not on screen yet
            assert screen.__dict__.get(HELD) is held and [k.key for k in held] == ["down"]
            assert table.cursor_row == index
        gates[1].set()
        # the newer rows let the key go at once (the older read's rows will never be shown)
        await wait_for(pilot, lambda: table.cursor_row == index + 1)
        assert screen.__dict__.get(HELD) is None
        gates[0].set()  # (newer first) the older lands late: dropped, the cursor stays
        await wait_for(pilot, lambda: not [w for w in app.workers if w.group == "registers-queue"])
        for _ in range(10):
            await pilot.pause()
        assert table.cursor_row == index + 1
        # let go by the rows, not by a time limit (caught here: none fired by itself)
        assert len(limits) == 2 and all(limit.stopped for limit in limits)


async def test_a_read_landing_as_the_app_closes_is_dropped(app_quick, quick_engine):
    """A reload still running when the app closes lands on a screen whose widgets are
    gone (CI met it: the read after a save, the test's app closing at once): its rows,
    or its refusal, are dropped, not raised into the worker (``WorkerFailed``)."""
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        screen = app.screen
        source, counts, options = screen.source, screen.counts, screen.options
        await screen.query_one(LazyTable).remove()
        screen.show_queue(source, counts, options, generation=screen._generation)
        screen.show_refusal("Another user or window is saving to the database just now.")
        assert app.is_running
