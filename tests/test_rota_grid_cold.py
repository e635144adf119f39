"""The Rota grid opened cold (issue 23 §1): its first screenful of carers is read on its own
(``services/rota/grid_pages.first_page``) and painted before the whole week is read and
checked; the problem symbols and weekly hours are marked ``…`` until the checked week
replaces the page. What the page shows must be what the checked week shows for the same
cells, and keys typed while the week is checked act once it is on screen."""

from __future__ import annotations

import gc
import threading
from datetime import date, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from rich.text import Text
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Absence, Carer, Visit, VisitStatus
from coordinator_tui.screens.rota import carer_form
from coordinator_tui.screens.rota import grid as grid_screen
from coordinator_tui.screens.rota.carer_day import CarerDayScreen
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.services.rota.grid import RotaWeek
from coordinator_tui.services.rota.grid_pages import first_page
from coordinator_tui.widgets.cell_grid import CellGrid
from coordinator_tui.widgets.lazy_table import LazyTable

MONDAY = date(2026, 11, 23)  # the small demo's week (DEMO_TODAY)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """05:00 on the demo's Monday (as the other rota tests): nothing over or missed yet."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")


def _cells_of(rota: RotaWeek, carer_id: int) -> list[tuple[int, int, bool, int]]:
    cells, _worst = rota.row(carer_id)
    return [(c.visits, c.minutes, c.absent, c.shadows) for c in cells]


# -- the page read against the checked week ---------------------------------------------


@pytest.mark.parametrize("weeks_on", [-1, 0, 1])
def test_first_page_is_what_the_checked_week_shows(small_demo_engine, weeks_on):
    """Every carer the page lists, in the grid's order, with each day's visits, visit
    minutes, absence and shadows and the week's contract as the checked week has them."""
    _page_matches_the_checked_week(small_demo_engine, MONDAY + timedelta(weeks=weeks_on))


@pytest.mark.postgres
def test_first_page_on_postgresql_is_what_the_checked_week_shows(pg_url):
    """The same on PostgreSQL: minutes from ``extract(epoch ...)``, the kinds of rows in
    one ``UNION ALL`` with typed NULLs, the inactive carers' flag in a ``CASE``."""
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    try:
        seed_demo(opened.engine, size="small", seed=1, today=MONDAY)
        _page_matches_the_checked_week(opened.engine, MONDAY)
    finally:
        opened.engine.dispose()


def _page_matches_the_checked_week(engine, monday: date) -> None:
    with session_scope(engine, "t") as session:
        rota = RotaWeek.load(session, monday)
        page = first_page(session, monday, 1000)
    assert page.monday == rota.monday and page.days == rota.days
    assert [r.carer_id for r in page.rows] == [c.id for c in rota.carers]
    assert page.carer_count == len(rota.carers)
    assert page.visit_count == len(rota.state.snap.visits)
    assert page.longest_name == max(len(c.name) for c in rota.carers)
    for row in page.rows:
        assert row.name == rota.carer_name(row.carer_id)
        shown = [(c.visits, c.minutes, c.absent, c.shadows) for c in row.cells]
        assert shown == _cells_of(rota, row.carer_id), row.name
        assert row.due_minutes == rota.due_minutes(row.carer_id), row.name


def test_first_page_with_an_absence_an_inactive_carer_and_a_cancelled_visit(
    small_demo_engine,
):
    """The edges: an absence over two days (the contract less those days), a carer made
    inactive who is still on a visit this week (listed) and one who is not (left out), a
    cancelled visit (not counted), and a page smaller than the list (the first by name)."""
    with session_scope(small_demo_engine, "t") as session:
        rota = RotaWeek.load(session, MONDAY)
        on_visit = next(c for c in rota.carers if rota.state.cells.get(c.id))
        idle = [c for c in rota.carers if not rota.state.cells.get(c.id)]
        session.add(
            Absence(
                carer_id=on_visit.id,
                start_date=MONDAY + timedelta(days=1),
                end_date=MONDAY + timedelta(days=2),
                kind="sickness",
            )
        )
        session.get(Carer, on_visit.id).active = False
        if idle:
            session.get(Carer, idle[0].id).active = False
        visit_id = next(iter(rota.state.snap.visits))
        session.get(Visit, visit_id).status = VisitStatus.CANCELLED
        session.flush()
        checked = RotaWeek.load(session, MONDAY)
        page = first_page(session, MONDAY, 1000)
        small = first_page(session, MONDAY, 3)
        session.rollback()
    assert on_visit.id in [r.carer_id for r in page.rows]
    if idle:
        assert idle[0].id not in [r.carer_id for r in page.rows]
    assert [r.carer_id for r in page.rows] == [c.id for c in checked.carers]
    assert page.visit_count == len(checked.state.snap.visits) == len(rota.state.snap.visits) - 1
    for row in page.rows:
        shown = [(c.visits, c.minutes, c.absent, c.shadows) for c in row.cells]
        assert shown == _cells_of(checked, row.carer_id), row.name
        assert row.due_minutes == checked.due_minutes(row.carer_id), row.name
    assert small.rows == page.rows[:3] and small.carer_count == page.carer_count


# -- the screen: first screenful, then the checked week -----------------------------------


@pytest.fixture
def held_check(monkeypatch):
    """The whole week's load waits until the test lets it go: the page is on screen alone
    for as long as the test looks at it (no race with the check)."""
    go = threading.Event()
    original = RotaWeek.load.__func__

    def load(cls, session, day):
        assert go.wait(60), "the test never let the check go"
        return original(cls, session, day)

    monkeypatch.setattr(RotaWeek, "load", classmethod(load))
    monkeypatch.setattr(grid_screen, "PAGE_ROWS", 4)  # a page shorter than the list
    # keys wait for the checked week, however slow the machine (not the 3 s limit)
    monkeypatch.setattr(grid_screen, "BUSY_HOLD_LIMIT_S", 60.0)
    yield go
    go.set()


def _row_text(grid: CellGrid, row: int) -> list[str]:
    return [grid.cell_text(row, column) for column in range(len(grid.columns))]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_cold_open_shows_the_first_carers_then_the_checked_week(
    demo_settings, small_demo_engine, held_check, monkeypatch, size
):
    held_check_go = held_check
    with session_scope(small_demo_engine, "t") as session:
        page = first_page(session, MONDAY, 4)
        visits = session.exec(
            select(func.count())
            .select_from(Visit)
            .where(
                Visit.visit_date.between(MONDAY, MONDAY + timedelta(days=6)),
                Visit.status != VisitStatus.CANCELLED,
            )
        ).one()
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=size) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.page)
        screen = app.screen
        grid = screen.query_one("#rota-grid", CellGrid)
        await pilot.pause()
        # The first screenful: the first carers by name, their days, marked as coming.
        assert grid.row_count == 4 and not screen.loaded and screen.rota is None
        names = [grid.cell_text(row, 0) for row in range(4)]
        assert names == [r.name for r in page.rows]
        busy = next(r for r in range(4) if any(c.visits for c in page.rows[r].cells))
        cells = _row_text(grid, busy)
        day = next(d for d, c in enumerate(page.rows[busy].cells) if c.visits)
        contract = f"…/{round(page.rows[busy].due_minutes / 60, 1):g}"
        assert cells[day + 1].startswith("… ")
        assert cells[-1].startswith("… ") and cells[-1].endswith(contract)
        summary = shown_text(screen.query_one("#rota-summary"), size[0])
        assert f"{page.carer_count} carers · {visits:,} visits" in summary
        assert "checking the week…" in summary and "hard" not in summary
        legend = shown_text(screen.query_one("#rota-legend"), size[0])
        assert legend.startswith("… being checked")
        panel = screen.query_one("#rota-unassigned", LazyTable)
        assert panel.empty_text == ""  # not "every visit has its carers" before it is known
        # Keys typed now wait for the checked week: down twice, then ``c`` (the carer's
        # working time), which needs the checked week to know the carer.
        asked: list[int] = []
        monkeypatch.setattr(
            carer_form, "open_carer_working_time", lambda _screen, carer: asked.append(carer)
        )
        start_row, start_column = grid.cursor
        await pilot.press("down", "down", "c")
        await pilot.pause()
        assert grid.cursor == (start_row, start_column) and not asked
        held_check_go.set()
        await wait_for(pilot, lambda: bool(asked))
        # They landed on the checked week, in the order typed: two rows down, then c.
        rota = screen.rota
        assert screen.loaded and rota is not None and screen.page is None
        assert grid.row_count == len(rota.carers) > 4
        assert grid.cursor == (start_row + 2, start_column)
        assert asked == [rota.carers[start_row + 2].id]
        await pilot.press("enter")  # the carer's day opens on the checked week
        await wait_for(pilot, lambda: isinstance(app.screen, CarerDayScreen))
        assert app.screen.carer_id == rota.carers[start_row + 2].id
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # The checked week: symbols instead of …, the counts and the unassigned list.
        assert all("…" not in "".join(_row_text(grid, r)[1:]) for r in range(4))
        summary = shown_text(screen.query_one("#rota-summary"), size[0])
        hard, soft = rota.counts()
        assert f"✖ {hard:,} hard" in summary and f"▲ {soft:,} soft" in summary
        assert "checking" not in summary
        assert not shown_text(screen.query_one("#rota-legend"), size[0]).startswith("…")
        assert panel.empty_text == "Every visit this week has its carers."
        assert len(panel.source) == len(rota.unassigned())
        for row in range(4):  # nothing the page showed changed but what was marked
            assert grid.cell_text(row, 0) == page.rows[row].name
            for number, cell in enumerate(page.rows[row].cells):
                now = grid.cell_text(row, number + 1)
                if cell.visits:
                    assert now[2:].startswith(f"{cell.visits:>2}"[: len(now) - 2]), now


def test_the_collector_is_spared_only_where_the_start_froze_the_heap():
    """The cold open freezes what the app holds before reading the whole week, as the
    launched app's start does, so the week's 10,000 visits do not set off a full
    collection of the app's heap; in a process whose start froze nothing (these tests)
    it leaves the collector alone, else each app's garbage would be kept for good."""
    if gc.get_freeze_count():
        pytest.skip("this process froze its heap already")
    grid_screen.spare_the_collector()
    assert gc.get_freeze_count() == 0
    try:
        gc.freeze()  # as app.collector_back_on does at the start
        frozen = gc.get_freeze_count()
        made_since = [[number] for number in range(1000)]
        grid_screen.spare_the_collector()
        assert gc.get_freeze_count() >= frozen + len(made_since)
    finally:
        gc.unfreeze()


async def test_a_check_that_fails_after_the_first_screenful_says_so_and_lets_keys_go(
    demo_settings, small_demo_engine, monkeypatch
):
    """The week cannot be read after the page was shown (a refusal, a damaged table): the
    summary says so with F5, nothing says the checks are still coming, the page's rows
    stay as read, and the keys typed meanwhile are let go (not kept for a week that is
    not coming); F5 then shows the checked week."""
    from coordinator_tui.services.errors import CoordinatorError

    failing = threading.Event()
    failing.set()
    go = threading.Event()
    original = RotaWeek.load.__func__

    def load(cls, session, day):
        if failing.is_set():
            assert go.wait(60)
            raise CoordinatorError("The database could not be read.")
        return original(cls, session, day)

    monkeypatch.setattr(RotaWeek, "load", classmethod(load))
    monkeypatch.setattr(grid_screen, "PAGE_ROWS", 4)
    monkeypatch.setattr(grid_screen, "BUSY_HOLD_LIMIT_S", 60.0)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.page)
        screen = app.screen
        grid = screen.query_one("#rota-grid", CellGrid)
        start_row, start_column = grid.cursor
        await pilot.press("down")
        await pilot.pause()
        assert grid.cursor == (start_row, start_column)  # held for the check
        go.set()
        summary = screen.query_one("#rota-summary")
        await wait_for(pilot, lambda: "could not be loaded" in shown_text(summary))
        assert "F5 tries again" in shown_text(summary)
        assert shown_text(screen.query_one("#rota-problems")).strip() == ""
        assert shown_text(screen.query_one("#rota-measures")).strip() == ""
        await wait_for(pilot, lambda: grid.cursor == (start_row + 1, start_column))
        assert not screen.loaded and grid.row_count == 4
        failing.clear()
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.loaded)
        assert screen.page is None and grid.row_count > 4
        assert "hard" in shown_text(summary) and "could not" not in shown_text(summary)


@pytest.mark.parametrize(
    "cell",
    [
        "Aaron Smith",
        Text("…  8  4.5h", style="dim"),
        Text("✖ 10 12.5h", style="bold red"),
        Text("A name far too long for its column"),
        "Tab\there and escape \x1b[31m",
        Text.assemble(("✖", "red"), " 3"),
        "",
    ],
    ids=["plain", "dim", "hard", "too-long", "controls", "spans", "empty"],
)
async def test_a_cell_drawn_the_quick_way_is_drawn_as_rich_draws_it(cell):
    """``CellGrid._render_cell`` draws a one-style cell as one padded segment (the grid's
    first paint): the same characters and styles as Rich's rendering, which the other
    cells (spans, control codes, too long) still go through."""
    from rich.segment import Segment
    from textual.app import App

    from coordinator_tui.services.safe_text import visible

    class One(App):
        def compose(self):
            yield CellGrid()

    app = One()
    async with app.run_test():
        grid = app.query_one(CellGrid)
        text = cell.copy() if isinstance(cell, Text) else Text(visible(cell))
        text.plain = visible(text.plain)
        text.no_wrap, text.overflow, text.end = True, "ellipsis", ""
        text.truncate(12, overflow="ellipsis", pad=True)
        slow = list(text.render(app.console))
        if text.style:
            own = app.console.get_style(text.style)
            slow = list(Segment.apply_style(slow, post_style=own))

        def drawn(segments):
            return [(s.text, s.style or None) for s in Segment.simplify(segments) if s.text]

        assert drawn(grid._render_cell(cell, 12)) == drawn(slow)
