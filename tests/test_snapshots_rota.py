"""The look of the Rota grid and a carer's day at 80x24 and 120x40 (pytest-textual-snapshot).

The app is pinned to the demo's date (``DEMO_TODAY``) on a private copy of the small demo, as
in ``test_snapshots.py``. After an intended change of look:
``pytest tests/test_snapshots_rota.py --snapshot-update``, then review the SVGs under
``tests/__snapshots__/test_snapshots_rota/``.
"""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


async def _open_rota(pilot, app) -> None:
    await pilot.press("5")
    await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
    await pilot.pause()


class TestRota:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_grid(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _open_rota(pilot, app)

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_carer_day(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _open_rota(pilot, app)
            # The first carer working on Monday (today): carers have days off.
            rota = app.screen.rota
            monday = rota.days[0]
            row = next(i for i, c in enumerate(rota.carers) if rota.state.day_visits(c.id, monday))
            await pilot.press(*["down"] * row)
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.screen, "detail", None) is not None)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
