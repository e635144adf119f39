"""The Rota screen by keys: the week's grid, a carer's day, moving weeks, generating."""

from __future__ import annotations

from datetime import date

from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select
from textual.widgets import DataTable

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Carer, Visit, VisitAssignment
from coordinator_tui.screens.rota import RotaScreen


async def open_rota(pilot, app) -> RotaScreen:
    await pilot.press("5")
    await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
    return app.screen


def visits_of(engine, carer_id: int, day: date) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(
            select(func.count())
            .select_from(VisitAssignment)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(VisitAssignment.carer_id == carer_id, Visit.visit_date == day)
        ).one()


async def test_grid_day_and_weeks(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rota(pilot, app)
        grid = screen.grid
        assert grid.monday == date(2026, 11, 23)
        with session_scope(small_demo_engine, "t") as s:
            assert len(grid.carers) == s.exec(select(func.count()).select_from(Carer)).one()
        summary = shown_text(screen.query_one("#rota-summary"))
        assert "Week of Mon 23 Nov 2026" in summary and "short of carers" in summary
        assert len(screen.unassigned) > 0
        assert all(v.short_of for v in screen.unassigned)

        # The first carer's Monday cell counts their visits; enter opens the day.
        table = screen.query_one("#rota-grid", DataTable)
        first = grid.carers[0]
        expected = visits_of(small_demo_engine, first.id, date(2026, 11, 23))
        cell = str(table.get_cell_at((0, 1)))
        assert cell.split()[0] == str(expected)
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        day = app.screen.detail
        assert len(day.stops) == expected
        assert [s.visit.start for s in day.stops] == sorted(s.visit.start for s in day.stops)
        assert first.name in shown_text(app.screen.query_one("#carer-day-title"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        # Next week has no visits yet; g creates them, rolled forward from this week.
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: screen.loaded and screen.grid.monday == date(2026, 11, 30))
        assert not screen.grid.visits
        assert "g creates them" in shown_text(screen.query_one("#rota-unassigned-title"))
        await pilot.press("g")
        await wait_for(pilot, lambda: screen.loaded and len(screen.grid.visits) > 500)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: screen.loaded and screen.grid.monday == date(2026, 11, 23))


async def test_rota_fits_80x24(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_rota(pilot, app)
        table = screen.query_one("#rota-grid", DataTable)
        assert table.size.height >= 5  # rows of carers still visible above the panel
        await pilot.press(*["down"] * 30)
        await pilot.pause()
        assert table.cursor_row == len(screen.grid.carers) - 1  # down to the last carer
        assert table.scroll_offset.y > 0  # scrolled to keep it in view
