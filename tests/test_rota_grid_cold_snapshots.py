# ruff: noqa: F811  (pytest fixtures imported from test_rota_grid_cold, used as arguments)
"""The look of the Rota grid's first screenful, opened cold, while the week is still being
checked (issue 23 §1), at 80x24 and 120x40: the first carers (four here, a page shorter
than the list) with their visits and hours a day, ``…`` in the problem symbols' place and
for the week's hours, the summary and the legend saying the week is being checked, and
the unassigned list saying nothing yet. After an intended change of look:
``pytest tests/test_rota_grid_cold_snapshots.py --snapshot-update``, then review the SVGs.
"""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for
from test_rota_grid_cold import _early_morning, held_check  # noqa: F401

from coordinator_tui.app import make_app
from coordinator_tui.screens.rota.grid import RotaScreen

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_first_screenful(snap_compare, demo_settings, small_demo_engine, held_check, size):
    app = make_app(demo_settings, small_demo_engine)

    async def first_page(pilot):
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.page)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=first_page)
