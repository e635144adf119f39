"""Two reloads of one screen overlapping (``type_ahead.HeldKeys``): the keys typed while
they run wait for the last of them, not the first to land. Two saves in quick succession
each ask for a reload; the first reload shows rows the second is about to change, so a
key let go then would act on them.

Time is controlled, not slept on: each reload waits in its thread on a
``threading.Event`` the test sets, and the holds' time limits are caught
(``catch_hold_limits``) so that a loaded machine cannot fire them mid-test."""

# ruff: noqa: F811 (the fixtures imported from one_key_write_steps)
from __future__ import annotations

import threading

from one_key_write_steps import app_slow, slow_engine  # noqa: F401 (fixtures)
from pilot_helpers import wait_for
from test_one_key_writes_governance import an_incident, open_governance
from test_type_ahead_write_holds import catch_hold_limits

from coordinator_tui.screens.background_write import HELD
from coordinator_tui.screens.type_ahead import HeldKeys
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.widgets.lazy_table import LazyTable


def gate_reloads(monkeypatch) -> tuple[list[threading.Event], list[int]]:
    """Each reload of the governance list waits, in its thread, on its own event (the
    n-th reload on ``gates[n]``); ``started`` counts the reloads under way."""
    gates = [threading.Event(), threading.Event()]
    started: list[int] = []
    counts = inc.governance_counts

    def gated_counts(session, today):
        number = len(started)
        started.append(number)
        assert threading.current_thread() is not threading.main_thread()
        assert gates[number].wait(30)
        return counts(session, today)

    monkeypatch.setattr(inc, "governance_counts", gated_counts)
    return gates, started


async def test_two_overlapping_reloads_hold_the_keys_until_the_second_lands(
    app_slow, slow_engine, monkeypatch
):
    """Two saves' reloads asked for one after the other, ``down`` typed meanwhile: the
    first reload landing lets nothing go (overtaken, its rows are dropped and its hold
    handed to the second: the key still held, the cursor where it was); the second
    landing lets ``down`` act, on the rows it read."""
    an_incident(slow_engine)
    an_incident(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        table = screen.query_one(LazyTable)
        assert len(screen.shown_rows) >= 2
        index = table.cursor_row
        limits = catch_hold_limits(monkeypatch, screen)
        gates, started = gate_reloads(monkeypatch)
        landed: list[bool] = []  # each read back: shown (the newest) or dropped
        read_landed = type(screen).read_landed

        def counting_read_landed(self, read: int) -> bool:
            landed.append(read_landed(self, read))
            return landed[-1]

        monkeypatch.setattr(type(screen), "read_landed", counting_read_landed)

        # two saves' reloads, the second asked for before the first has landed
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0])
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0, 1])
        held = screen.__dict__.get(HELD)
        assert isinstance(held, HeldKeys)
        await pilot.press("down")
        await wait_for(pilot, lambda: [k.key for k in held] == ["down"])

        # the first reload lands: the key waits for the second
        gates[0].set()
        await wait_for(pilot, lambda: landed == [False])
        for _ in range(5):
            await pilot.pause()
        assert screen.__dict__.get(HELD) is held and [k.key for k in held] == ["down"]
        assert table.cursor_row == index
        # both holds wait for the second reload now, each time limit still standing
        assert held.loading == 2 and len(limits) == 2
        assert not any(limit.stopped for limit in limits)

        # the second lands: the key acts, and nothing holds the keyboard any more
        gates[1].set()
        await wait_for(pilot, lambda: landed == [False, True])
        await wait_for(pilot, lambda: table.cursor_row == index + 1)
        assert screen.__dict__.get(HELD) is None
        assert all(limit.stopped for limit in limits)


async def test_a_time_limit_stands_for_its_own_reload_only(app_slow, slow_engine, monkeypatch):
    """A reload that never lands (its time limit fires) lets go only its own count: with
    another reload still awaited the key stays held; that one's limit firing too lets it
    go (a failed reload never swallows the keyboard)."""
    an_incident(slow_engine)
    an_incident(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        table = screen.query_one(LazyTable)
        index = table.cursor_row
        limits = catch_hold_limits(monkeypatch, screen)
        gates, started = gate_reloads(monkeypatch)
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0])
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0, 1])
        held = screen.__dict__[HELD]
        await pilot.press("down")
        await wait_for(pilot, lambda: [k.key for k in held] == ["down"])
        limits[0].fire()
        for _ in range(5):
            await pilot.pause()
        assert screen.__dict__.get(HELD) is held and held.loading == 1
        assert table.cursor_row == index
        limits[1].fire()
        await wait_for(pilot, lambda: table.cursor_row == index + 1)
        assert screen.__dict__.get(HELD) is None
        for gate in gates:  # the reloads end (their rows shown late, the keys long gone)
            gate.set()
        await wait_for(pilot, lambda: screen.loaded)
