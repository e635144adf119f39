"""The look of the care changes screens opened from Governance (issue 18 §1-3): medication
changes pending verification and awaiting acknowledgements, the care plan review queue,
capacity and consent, and the capacity note form, at 80x24 and 120x40.

Pinned to the demo's date (``DEMO_TODAY``) at noon on a private copy of the small demo
which holds the care changes demo (``seed_care_changes``). After an intended change of look:
``pytest tests/test_snapshots_care.py --snapshot-update``, then review the SVGs under
``tests/__snapshots__/test_snapshots_care/``.
"""

from __future__ import annotations

from datetime import time

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.screens.care.base import CareListScreen

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(CareListScreen, "wall_clock", time(12, 0))


@pytest.fixture
def care_engine(small_demo_engine):
    """The small demo, which holds the care changes demo (``seed_care_changes``) already."""
    return small_demo_engine


def _opened(app, key: str, screen: str, *then: str):
    async def run(pilot) -> None:
        await pilot.press("6")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded
        )
        await pilot.press(key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == screen and app.screen.loaded)
        for press in then:  # a view (loads again) or a form (another screen)
            await pilot.press(press)
            await wait_for(pilot, lambda: type(app.screen).__name__ != screen or app.screen.loaded)
            if type(app.screen).__name__ != screen:  # a form: its first field has the focus
                await wait_for(pilot, lambda: app.screen.focused is not None)
                for field in app.screen.query("Input"):  # a steady cursor, not a blink
                    field.cursor_blink = False
                await pilot.pause(0.3)
                await wait_for(pilot, lambda: app.screen.query_one("#form-box").scroll_y == 0)
        await pilot.pause(0.1)

    return run


class TestCareChanges:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_pending_verification(self, snap_compare, demo_settings, care_engine, size):
        app = make_app(demo_settings, care_engine)
        assert snap_compare(
            app, terminal_size=size, run_before=_opened(app, "E", "CareChangesScreen")
        )

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_awaiting_acknowledgements(self, snap_compare, demo_settings, care_engine, size):
        app = make_app(demo_settings, care_engine)
        assert snap_compare(
            app, terminal_size=size, run_before=_opened(app, "E", "CareChangesScreen", "W")
        )


class TestCareReviews:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_review_queue(self, snap_compare, demo_settings, care_engine, size):
        app = make_app(demo_settings, care_engine)
        assert snap_compare(
            app, terminal_size=size, run_before=_opened(app, "R", "CareReviewsScreen")
        )


class TestCapacity:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_capacity_and_consent(self, snap_compare, demo_settings, care_engine, size):
        app = make_app(demo_settings, care_engine)
        assert snap_compare(app, terminal_size=size, run_before=_opened(app, "Y", "CapacityScreen"))

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_capacity_note_form(self, snap_compare, demo_settings, care_engine, size):
        app = make_app(demo_settings, care_engine)
        assert snap_compare(
            app, terminal_size=size, run_before=_opened(app, "Y", "CapacityScreen", "n")
        )


def test_demo_leaves_pending_acknowledgements_on_the_rota(care_engine):
    """The demo's open changes: carers still to acknowledge on this week's rota, and on
    next week's once it is generated (its assignments are made after the change was
    verified, so they must be acknowledged too): the rota checker reports them (CQC
    Regulation 12; NICE SC1)."""
    from datetime import timedelta

    from coordinator_tui.services.rota.rules.care_changes import CHANGE_UNACK, CHANGE_UNACK_SOON
    from coordinator_tui.services.rota.validate import check_week
    from coordinator_tui.services.visit_generation import generate_week

    codes = {CHANGE_UNACK, CHANGE_UNACK_SOON}
    next_week = DEMO_TODAY + timedelta(days=7)
    with session_scope(care_engine, "t") as s:
        assert any(p.code in codes for p in check_week(s, DEMO_TODAY))
        generate_week(s, next_week)
    with session_scope(care_engine, "t") as s:
        assert any(p.code in codes for p in check_week(s, next_week))
