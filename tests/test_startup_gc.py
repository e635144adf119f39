"""The cyclic garbage collector is held off while the app starts (issue 23 §2: it ran
about 120 times before the people list's first row, a full collection among them), and
is on again once the database is open (what the start made frozen out of later
collections), after ``GC_HOLD_S`` at the latest, and when the app has ended."""

from __future__ import annotations

import gc

import pytest
from pilot_helpers import wait_for

from coordinator_tui import launch


@pytest.fixture
def collector_restored():
    yield
    gc.enable()
    gc.unfreeze()


class _FakeApp:
    return_code = 0
    fatal_message = None
    seen: list[bool] = []

    def run(self) -> None:
        self.seen.append(gc.isenabled())


def test_open_app_holds_the_collector_off_while_the_app_runs(
    monkeypatch, demo_settings, collector_restored
):
    import coordinator_tui.app as app_module

    _FakeApp.seen = []
    monkeypatch.setattr(app_module, "make_app", lambda *a, **k: _FakeApp())
    assert gc.isenabled()
    assert launch.open_app(demo_settings.db, start="people", demo=True) == 0
    assert _FakeApp.seen == [False]
    assert gc.isenabled()


def test_open_app_turns_it_back_on_when_the_app_fails(
    monkeypatch, demo_settings, collector_restored
):
    import coordinator_tui.app as app_module

    def broken(*_a, **_k):
        raise RuntimeError("the app could not be made")

    monkeypatch.setattr(app_module, "make_app", broken)
    with pytest.raises(RuntimeError):
        launch.open_app(demo_settings.db)
    assert gc.isenabled()


async def test_the_app_turns_it_back_on_once_the_database_is_open(
    demo_settings, collector_restored
):
    from coordinator_tui.app import PeopleFirstApp

    app = PeopleFirstApp(demo_settings)  # no engine: it opens the database itself
    open_database = app.open_database
    app.open_database = lambda: None
    gc.disable()  # as launch.open_app leaves it
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.total > 0)  # the first rows, collector off
        assert not gc.isenabled()
        frozen = gc.get_freeze_count()
        open_database()
        await wait_for(pilot, lambda: app.engine is not None)
        assert gc.isenabled()
        # What the start made is kept out of later collections, so the first one after
        # does not walk it all at once (a pause a key pressed then waited for).
        assert gc.get_freeze_count() > frozen


def test_the_collector_is_frozen_only_when_it_was_held_off(collector_restored):
    from coordinator_tui.app import collector_back_on

    frozen = gc.get_freeze_count()
    collector_back_on()  # on already (tests, or after the database opened): nothing frozen
    assert gc.isenabled() and gc.get_freeze_count() == frozen
