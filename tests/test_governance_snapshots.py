"""The look of Governance (key 6): the open incidents of the governance demo, and the Duty
of Candour record part done, at 80x24 and 120x40 (pytest-textual-snapshot).

Pinned to the demo's date (``DEMO_TODAY``) on a private copy of the small demo with the
governance demo added. After an intended change of look:
``pytest tests/test_governance_snapshots.py --snapshot-update``, then review the SVGs under
``tests/__snapshots__/test_governance_snapshots/``.
"""

from __future__ import annotations

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.demo.governance import has_governance_demo, seed_governance

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def governance_engine(small_demo_engine):
    with session_scope(small_demo_engine, "demo-seed") as session:
        if not has_governance_demo(session):
            seed_governance(session, today=DEMO_TODAY)
    return small_demo_engine


async def _open(pilot, app) -> None:
    await pilot.press("6")
    await wait_for(
        pilot,
        lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded,
    )
    await pilot.pause()


class TestGovernance:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_open_incidents(self, snap_compare, demo_settings, governance_engine, size):
        app = make_app(demo_settings, governance_engine)

        async def loaded(pilot):
            await _open(pilot, app)

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_candour_record(self, snap_compare, demo_settings, governance_engine, size):
        """``N`` notifiable, the record part done first; ``c`` opens it."""
        app = make_app(demo_settings, governance_engine)

        async def loaded(pilot):
            await _open(pilot, app)
            await pilot.press("N")
            await wait_for(
                pilot, lambda: app.screen.view.code == "notifiable" and app.screen.loaded
            )
            await pilot.press("c")
            await wait_for(
                pilot,
                lambda: type(app.screen).__name__ == "CandourScreen" and app.screen.loaded,
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_visits_today(self, snap_compare, demo_settings, governance_engine, size):
        """``V``: the day's visits at noon, those with no check-in first."""
        from datetime import time

        app = make_app(demo_settings, governance_engine)

        async def loaded(pilot):
            await _open(pilot, app)
            app.screen._wall_clock = time(12, 0)
            await pilot.press("V")
            await wait_for(pilot, lambda: app.screen.view.area == "visits" and app.screen.loaded)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
