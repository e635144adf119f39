"""The look of the homecare KPI pack and the learning themes (Reports, 7, then h or t) at
80x24 and 120x40, on the small demo (themes tagged by the demo tagger, seed 3).

After an intended change of look: ``pytest tests/test_snapshots_reports_kpi.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``."""

from __future__ import annotations

from datetime import date, time
from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope

SIZES = [(80, 24), (120, 40)]
TODAY = date(2026, 11, 23)
TIME_OF_DAY = "12:00"


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture
def themed(small_demo_engine):
    from coordinator_tui.services.reports.demo_themes import tag_demo_themes

    with session_scope(small_demo_engine, "demo") as s:
        tag_demo_themes(s, seed=3, today=TODAY)
    return small_demo_engine


class TestKpiAndThemes:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_kpi_pack(self, snap_compare, demo_settings, small_demo_engine, size):
        from coordinator_tui.screens.reports.kpi import KpiPackScreen

        # The pack counts as missed the visits not delivered by now: a time of day fixed,
        # or the figure changes with the clock (after 23:00 the day's late visits count).
        demo_settings.now = time.fromisoformat(TIME_OF_DAY)

        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            app.push_screen(KpiPackScreen(date(2026, 11, 1)))
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_themes(self, snap_compare, demo_settings, themed, size):
        from coordinator_tui.screens.reports.themes import ThemesScreen

        app = make_app(demo_settings, themed)

        async def loaded(pilot):
            app.push_screen(ThemesScreen())
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            app.screen.loaded = False
            await pilot.press("m")  # months: more points on the chart
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press(*["down"] * 13)  # Neglect (child): the busiest
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_theme_records(self, snap_compare, demo_settings, themed, size):
        from coordinator_tui.screens.reports.themes import ThemeRecordsScreen

        app = make_app(demo_settings, themed)

        async def loaded(pilot):
            app.push_screen(ThemeRecordsScreen("child_neglect"))
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
