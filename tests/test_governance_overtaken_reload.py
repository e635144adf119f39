"""Governance's reloads after a save, overtaken by a change of view (``O`` pressed, say,
while two saves' reloads still run): the keys typed meanwhile act as soon as the newer
view's rows are on screen, whichever read comes back first. The older reads' rows are
dropped (``read_landed``); before, their holds were left counted, so the keys waited out a
time limit (about 3 s) after the newer rows were shown. And a read that held nothing (a
view asked for before the save) no longer lets go keys held for the save's reload.

Time is controlled, not slept on: each read waits in its thread on its own event, and the
holds' time limits are caught so that a loaded machine cannot fire them mid-test."""

# ruff: noqa: F811 (the fixtures imported from one_key_write_steps)
from __future__ import annotations

import threading

import pytest
from one_key_write_steps import app_quick, quick_engine  # noqa: F401 (fixtures)
from pilot_helpers import wait_for
from test_one_key_writes_governance import an_incident, open_governance, status
from test_type_ahead_write_holds import catch_hold_limits

from coordinator_tui.screens.background_write import HELD
from coordinator_tui.screens.governance.governance import VIEWS
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.widgets.lazy_table import LazyTable


def gate_governance_reads(monkeypatch, n: int) -> tuple[list[threading.Event], list[int]]:
    """Each of the next ``n`` reads of Governance's rows waits, in its thread, on its own
    event (the k-th on ``gates[k]``; later reads go straight); ``started`` lists the
    reads under way (every view reads the counts)."""
    gates = [threading.Event() for _ in range(n)]
    started: list[int] = []
    real = inc.governance_counts

    def gated(session, *args, **kwargs):
        number = len(started)
        started.append(number)
        assert threading.current_thread() is not threading.main_thread()
        if number < n:
            assert gates[number].wait(30)
        return real(session, *args, **kwargs)

    monkeypatch.setattr(inc, "governance_counts", gated)
    return gates, started


def view_index(key: str) -> int:
    return next(i for i, v in enumerate(VIEWS) if v.key == key)


async def show_view(pilot, screen, key: str, row: int) -> None:
    """The view on ``key``, loaded, the cursor on ``row``."""
    screen.action_view(view_index(key))
    await wait_for(pilot, lambda: screen.loaded and screen.view.key == key)
    screen.query_one(LazyTable).cursor_row = row
    await pilot.pause()
    assert screen.query_one(LazyTable).cursor_row == row


async def place_in_open(pilot, screen, incident_id: int) -> int:
    """The row of ``incident_id`` among the open incidents (the cursor left on it)."""
    await show_view(pilot, screen, "O", 0)
    await wait_for(pilot, lambda: incident_id in [r.id for r in screen.shown_rows])
    row = [r.id for r in screen.shown_rows].index(incident_id)
    await show_view(pilot, screen, "O", row)
    return row


@pytest.mark.parametrize("first_back", ["older", "newer"])
async def test_keys_held_for_reloads_a_view_change_overtook_act_with_the_new_view(
    app_quick, quick_engine, monkeypatch, first_back
):
    """Two saves' reloads of the closed incidents, then the open incidents asked for; ``x``
    typed meanwhile closes the incident under the cursor as soon as the open incidents are
    on screen (the cursor kept on it), not after a time limit."""
    incident_id = an_incident(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        # the saves' reloads keep the cursor's row where their record is not in the view
        await show_view(pilot, screen, "X", await place_in_open(pilot, screen, incident_id))
        limits = catch_hold_limits(monkeypatch, screen)
        gates, started = gate_governance_reads(monkeypatch, 3)

        screen.governance_saved()  # two saves' reloads, the second before the first is back
        await wait_for(pilot, lambda: started == [0])
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0, 1])
        screen.action_view(view_index("O"))  # the view changes before either lands
        await wait_for(pilot, lambda: started == [0, 1, 2])
        held = screen.__dict__.get(HELD)
        await pilot.press("x")
        await wait_for(pilot, lambda: [k.key for k in held] == ["x"])

        if first_back == "older":  # both saves' reads land, and are dropped: not shown
            gates[0].set()
            gates[1].set()
            for _ in range(10):
                await pilot.pause()
            assert screen.__dict__.get(HELD) is held and [k.key for k in held] == ["x"]
            assert not screen.loaded and status(quick_engine, incident_id) == "open"
        gates[2].set()  # the open incidents' rows
        await wait_for(pilot, lambda: status(quick_engine, incident_id) == "closed")
        # let go by the rows, not by a time limit (caught here: none fires by itself)
        assert screen.view.key == "O" and len(limits) >= 2
        gates[0].set()
        gates[1].set()  # the older reads land late: dropped, the keys long gone
        # the close's own reload (x's hold) shows the open incidents without it
        await wait_for(pilot, lambda: not screen.writing and screen.loaded)
        await wait_for(pilot, lambda: incident_id not in [r.id for r in screen.shown_rows])
        assert screen.view.key == "O" and screen.__dict__.get(HELD) is None
        assert all(limit.stopped for limit in limits)


async def test_a_read_asked_before_a_save_does_not_let_its_keys_go(
    app_quick, quick_engine, monkeypatch
):
    """The open incidents asked for, then a save's reload (held): the first read lands
    before the save's and is dropped, so ``x`` typed meanwhile waits for the save's rows
    (before, any read landing let the keys go, on rows read before the save)."""
    incident_id = an_incident(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        await place_in_open(pilot, screen, incident_id)
        limits = catch_hold_limits(monkeypatch, screen)
        gates, started = gate_governance_reads(monkeypatch, 2)

        screen.load()  # f5, say: a read that holds no keys
        await wait_for(pilot, lambda: started == [0])
        screen.governance_saved()
        await wait_for(pilot, lambda: started == [0, 1])
        held = screen.__dict__.get(HELD)
        await pilot.press("x")
        await wait_for(pilot, lambda: [k.key for k in held] == ["x"])

        gates[0].set()
        for _ in range(10):
            await pilot.pause()
        assert screen.__dict__.get(HELD) is held and [k.key for k in held] == ["x"]
        assert status(quick_engine, incident_id) == "open"

        gates[1].set()
        await wait_for(pilot, lambda: status(quick_engine, incident_id) == "closed")
        await wait_for(pilot, lambda: not screen.writing and screen.loaded)
        await wait_for(pilot, lambda: incident_id not in [r.id for r in screen.shown_rows])
        assert screen.__dict__.get(HELD) is None and all(limit.stopped for limit in limits)
