"""``[`` and ``]`` on the Rota grid (issue 23 §1: flat with the data): the week stepped to
comes in two stages, as the cold open does. Its first screenful of carers is painted
first (``grid_pages.first_page``), then the whole week read and checked replaces it. The
week left is off the screen at once, keys typed after the step wait for the new week's
checks (``[`` and ``]`` aside: a week stepped past is not waited for), and a week stepped
past before its first screenful landed is never read in full."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from pilot_helpers import shown_text, wait_for

from coordinator_tui.app import make_app
from coordinator_tui.screens.rota import carer_form
from coordinator_tui.screens.rota import grid as grid_screen
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.services.rota.grid import RotaWeek
from coordinator_tui.widgets.cell_grid import CellGrid
from coordinator_tui.widgets.lazy_table import LazyTable

MONDAY = date(2026, 11, 23)  # the small demo's week (DEMO_TODAY)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """05:00 on the demo's Monday (as the other rota tests): nothing over or missed yet."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")


@pytest.fixture
def checks(monkeypatch):
    """Every whole-week load, by Monday; a load after the first waits until the test lets
    it go, so the first screenful is on screen alone for as long as the test looks."""
    loaded: list[date] = []
    go = threading.Event()
    original = RotaWeek.load.__func__

    def load(cls, session, day):
        if loaded:
            assert go.wait(60), "the test never let the check go"
        loaded.append(day - timedelta(days=day.weekday()))
        return original(cls, session, day)

    monkeypatch.setattr(RotaWeek, "load", classmethod(load))
    monkeypatch.setattr(grid_screen, "BUSY_HOLD_LIMIT_S", 60.0)  # however slow the machine
    yield loaded, go
    go.set()


async def _open_rota(app, pilot) -> RotaScreen:
    await pilot.press("5")
    await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
    return app.screen


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_next_week_shows_its_first_carers_then_its_checked_week(
    demo_settings, small_demo_engine, checks, monkeypatch, size
):
    """``]``: the next week's carers and days on screen before its checks, marked as
    coming, nothing of the week left on screen; ``c`` typed meanwhile waits for the
    checks and then acts on the carer under the cursor in the new week."""
    loaded, go = checks
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=size) as pilot:
        screen = await _open_rota(app, pilot)
        grid = screen.query_one("#rota-grid", CellGrid)
        panel = screen.query_one("#rota-unassigned", LazyTable)
        before_cursor = grid.cursor
        await pilot.press("right_square_bracket")
        nxt = MONDAY + timedelta(weeks=1)
        await wait_for(pilot, lambda: screen.page is not None and screen.page.monday == nxt)
        summary = shown_text(screen.query_one("#rota-summary"), size[0])
        assert f"Week of {nxt:%a %d %b %Y}" in summary and "checking the week…" in summary
        assert screen.rota is None and not screen.loaded
        assert f"{nxt:%a}"[:2] in grid.columns[1].label.plain  # the new week's days
        assert grid.cursor == before_cursor  # the same carer and day of the week
        assert len(panel.source) == 0  # the week left's unassigned visits are gone
        assert loaded == [MONDAY]  # the new week's check is still held back
        asked: list[int] = []
        monkeypatch.setattr(
            carer_form, "open_carer_working_time", lambda _screen, carer: asked.append(carer)
        )
        await pilot.press("down", "c")
        await pilot.pause()
        assert grid.cursor == before_cursor and not asked  # held for the checks
        go.set()
        await wait_for(pilot, lambda: bool(asked))
        rota = screen.rota
        assert rota is not None and rota.monday == nxt and screen.loaded
        assert grid.cursor == (before_cursor[0] + 1, before_cursor[1])
        assert asked == [rota.carers[before_cursor[0] + 1].id]
        assert loaded == [MONDAY, nxt]
        summary = shown_text(screen.query_one("#rota-summary"), size[0])
        assert "hard" in summary and "checking" not in summary


async def test_weeks_stepped_through_in_one_burst_land_on_the_last(
    demo_settings, small_demo_engine, checks
):
    """``]]]`` then ``[``: two weeks on, each key taken at once (not held for a week's
    checks), and the week shown is the last one named, whatever order the loads of the
    weeks passed end in."""
    loaded, go = checks
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_rota(app, pilot)
        keys = ["right_square_bracket"] * 3 + ["left_square_bracket"]
        await pilot.press(*keys)
        target = MONDAY + timedelta(weeks=2)
        assert screen.week == target  # every key acted at once
        go.set()
        await wait_for(pilot, lambda: screen.loaded and screen.rota is not None)
        await wait_for(pilot, lambda: len(loaded) >= 2 and target in loaded)
        for _ in range(5):  # the loads of the weeks passed land, and change nothing
            await pilot.pause(0.05)
        assert screen.rota.monday == target and screen.page is None
        assert f"Week of {target:%a %d %b %Y}" in shown_text(screen.query_one("#rota-summary"))


async def test_a_week_passed_before_its_first_screenful_is_not_read_in_full(
    demo_settings, small_demo_engine, checks, monkeypatch
):
    """``]`` then ``]`` again while the first step's screenful is still being read: the
    week passed is never read in full (at ten times the demo that is half a second of
    the interpreter the week named needs)."""
    from coordinator_tui.services.rota import grid_pages

    loaded, go = checks
    go.set()
    passed = MONDAY + timedelta(weeks=1)
    release = threading.Event()
    reading: list[date] = []
    original = grid_pages.first_page

    def first_page(session, week, rows):
        reading.append(week)
        if week == passed:
            assert release.wait(60)
        return original(session, week, rows)

    monkeypatch.setattr(grid_pages, "first_page", first_page)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_rota(app, pilot)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: passed in reading)
        await pilot.press("right_square_bracket")
        target = passed + timedelta(weeks=1)
        await wait_for(pilot, lambda: screen.loaded and screen.rota is not None)
        assert screen.rota.monday == target
        release.set()  # the step passed now has its screenful: it goes no further
        for _ in range(10):
            await pilot.pause(0.05)
        assert passed not in loaded and loaded[-1] == target
        assert screen.rota.monday == target and screen.page is None


async def test_a_week_that_cannot_be_read_says_so_and_lets_keys_go(
    demo_settings, small_demo_engine, monkeypatch
):
    """The next week's checks fail (a refusal, a damaged table): the summary says so with
    F5, the keys typed meanwhile are let go, and ``[`` goes back to a week that reads."""
    from coordinator_tui.services.errors import CoordinatorError

    original = RotaWeek.load.__func__
    nxt = MONDAY + timedelta(weeks=1)

    def load(cls, session, day):
        if day - timedelta(days=day.weekday()) == nxt:
            raise CoordinatorError("The database could not be read.")
        return original(cls, session, day)

    monkeypatch.setattr(RotaWeek, "load", classmethod(load))
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_rota(app, pilot)
        grid = screen.query_one("#rota-grid", CellGrid)
        summary = screen.query_one("#rota-summary")
        start = grid.cursor
        await pilot.press("right_square_bracket", "down")
        await wait_for(pilot, lambda: "could not be loaded" in shown_text(summary))
        assert "F5 tries again" in shown_text(summary)
        await wait_for(pilot, lambda: grid.cursor == (start[0] + 1, start[1]))
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: screen.loaded and screen.rota is not None)
        assert screen.rota.monday == MONDAY and "could not" not in shown_text(summary)


async def test_a_section_key_leaves_the_rota_while_its_week_is_checked(
    demo_settings, small_demo_engine, checks
):
    """``]`` then ``1``: Home at once, not after the week's checks (the section keys are
    not held for them); back on ``5`` the week stepped to is on screen once checked."""
    from coordinator_tui.screens.home import HomeScreen

    loaded, go = checks
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_rota(app, pilot)
        await pilot.press("right_square_bracket", "1")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not screen.loaded  # the week's checks are still held back
        go.set()
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        assert screen.rota.monday == MONDAY + timedelta(weeks=1)
