"""``collector.paused_collection``: the cyclic collector off for bulk work, back as it was.

The rota week load, the coding audit and the demo build share it (issue 23); the rota
loads in a worker thread while the UI thread may run another pause, so the pauses nest
and overlap, and the collector comes back on only when the last ends."""

from __future__ import annotations

import gc
import threading

import pytest
from conftest import DEMO_TODAY

from coordinator_tui.collector import paused_collection


@pytest.fixture(autouse=True)
def _collector_on():
    was_on = gc.isenabled()
    gc.enable()
    yield
    if was_on:
        gc.enable()
    else:
        gc.disable()


def test_a_pause_turns_the_collector_off_and_back_on():
    with paused_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off():
    gc.disable()
    with paused_collection():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_pauses_resume_only_when_the_outer_one_ends():
    with paused_collection():
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_on_after_an_error():
    with pytest.raises(ValueError), paused_collection():
        raise ValueError("boom")
    assert gc.isenabled()


def test_as_a_decorator():
    seen = []

    @paused_collection()
    def work() -> int:
        seen.append(gc.isenabled())
        return 7

    assert work() == 7
    assert seen == [False]
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on():
    """A ends before B: the collector stays off until B ends (the last pause out)."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    during: list[bool] = []

    def first() -> None:
        with paused_collection():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with paused_collection():
            b_in.set()
            a_out.wait(5)
            during.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert during == [False]
    assert gc.isenabled()


def test_the_rota_week_loads_with_the_collector_paused(small_demo_engine):
    """``load_week`` runs its extensions inside the pause; it is back on after."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota import snapshot

    seen: list[bool] = []

    def watch(session, snap) -> None:
        seen.append(gc.isenabled())

    snapshot.EXTENSIONS.append(watch)
    try:
        with session_scope(small_demo_engine, "test") as session:
            snapshot.load_week(session, DEMO_TODAY)
    finally:
        snapshot.EXTENSIONS.remove(watch)
    assert seen == [False]
    assert gc.isenabled()


def test_the_grids_week_is_built_and_measured_with_the_collector_paused(
    small_demo_engine, monkeypatch
):
    """``RotaWeek.load`` (its reads after the checked week: the visits' tasks) and
    ``prepare`` (the measures, whose allocations set off a full collection of the week just
    built: 100-400 ms at ten times the demo) run with the collector paused; it is back on
    between and after."""
    from sqlalchemy import event

    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota import grid

    seen: list[tuple[str, bool]] = []
    real_measures = grid.measures

    def watched(state):
        seen.append(("measures", gc.isenabled()))
        return real_measures(state)

    def statement(_conn, _cursor, sql, *_rest) -> None:
        if "visit.tasks" in sql:
            seen.append(("tasks", gc.isenabled()))

    monkeypatch.setattr(grid, "measures", watched)
    event.listen(small_demo_engine, "before_cursor_execute", statement)
    try:
        with session_scope(small_demo_engine, "test") as session:
            week = grid.RotaWeek.load(session, DEMO_TODAY)
            seen.append(("between", gc.isenabled()))
            week.prepare()
    finally:
        event.remove(small_demo_engine, "before_cursor_execute", statement)
    assert ("between", True) in seen  # back on once the week is loaded
    inside = [entry for entry in seen if entry[0] != "between"]
    assert {name for name, _ in inside} == {"tasks", "measures"}
    assert not any(on for _, on in inside), seen
    assert gc.isenabled()
