"""The look of requests, the training matrix and contacts (issue 18 §4-6), opened from
Governance (6) on the small demo with ``seed_care_staff`` added, at 80x24 and 120x40.

Pinned to the demo's date (``DEMO_TODAY``). After an intended change of look:
``pytest tests/test_snapshots_care_staff.py --snapshot-update``, then review the SVGs under
``tests/__snapshots__/test_snapshots_care_staff/``.
"""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def engine(small_demo_engine):
    """The small demo, which holds the care staff demo (``seed_care_staff``) already."""
    return small_demo_engine


async def _open(pilot, app, key: str, name: str) -> None:
    await pilot.press("6")
    await wait_for(
        pilot, lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded
    )
    await pilot.press(key)
    await wait_for(pilot, lambda: type(app.screen).__name__ == name and app.screen.loaded)
    await pilot.pause()


class TestCareStaff:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_requests(self, snap_compare, demo_settings, engine, size):
        app = make_app(demo_settings, engine)

        async def loaded(pilot):
            await _open(pilot, app, "Q", "RequestsScreen")

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_can_we_take_it(self, snap_compare, demo_settings, engine, size):
        """``c`` on the first open request: the answer by day (the toast with its timing
        cleared: the seconds vary), answered at 09:00 (the time is shown)."""
        from datetime import time

        demo_settings.now = time(9, 0)  # the one pinned time (Home, Governance, the rota)
        app = make_app(demo_settings, engine)

        async def loaded(pilot):
            await _open(pilot, app, "Q", "RequestsScreen")
            screen = app.screen
            first = screen.current().id
            await pilot.press("c")
            await wait_for(pilot, lambda: first in screen.capacity and screen.loaded)
            await pilot.pause()
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_training_matrix(self, snap_compare, demo_settings, engine, size):
        app = make_app(demo_settings, engine)

        async def loaded(pilot):
            await _open(pilot, app, "W", "TrainingScreen")
            await pilot.press("right", "right", "right")  # MED
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_contacts_follow_ups(self, snap_compare, demo_settings, engine, size):
        app = make_app(demo_settings, engine)

        async def loaded(pilot):
            await _open(pilot, app, "L", "ContactsScreen")

        assert snap_compare(app, terminal_size=size, run_before=loaded)
