"""The look of key screens at 80x24 and 120x40 (pytest-textual-snapshot).

After an intended change of look: ``pytest tests/test_snapshots.py --snapshot-update``,
then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture(autouse=True)
def _home_at_noon(monkeypatch):
    """Home's "visits missed or not checked in today" is counted at the time of day on
    the pinned date: noon here (``COORDINATOR_TUI_NOW``, read into ``settings.now`` with
    the pinned date, before ``demo_settings`` is built), so the snapshot does not change
    with the hour the suite runs."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "12:00")


class TestHome:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_home(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)


class TestRegisters:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_review_queue(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("2")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    def test_person_record(self, snap_compare, demo_settings, small_demo_engine):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("2")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: (
                    getattr(app.screen, "loaded", False)
                    and app.screen.__class__.__name__ == "PersonScreen"
                ),
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


class TestReferrals:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_referrals(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("3")
            await _wait(
                pilot,
                lambda: getattr(app.screen, "loaded", False) and getattr(app.screen, "figures", []),
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_referral_with_its_conferences(
        self, snap_compare, demo_settings, small_demo_engine, size
    ):
        """A referral whose initial conference was held with a plan made: its screen
        lists the conferences and the next review due, and its keys in the footer."""
        from datetime import timedelta

        from sqlmodel import select

        from coordinator_tui.db import session_scope
        from coordinator_tui.models import CaseConference
        from coordinator_tui.screens.referrals.detail import ReferralDetailScreen
        from coordinator_tui.services import referrals as ref

        today = demo_settings.current_date()
        with session_scope(small_demo_engine, "coordinator") as s:
            conference = s.exec(select(CaseConference).order_by(CaseConference.id)).first()
            rid = conference.referral_id
            ref.record_conference_held(
                s,
                conference.id,
                conference.version,
                held_on=today - timedelta(days=7),
                plan="made",
                notes="",
                today=today,
            )
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await pilot.press("3")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            app.push_screen(ReferralDetailScreen(rid))
            await _wait(pilot, lambda: getattr(app.screen, "detail", None) is not None)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    def test_chase_dialog(self, snap_compare, demo_settings, small_demo_engine):
        """``c``: the note first, how and the next chase-by date filled in (80 columns)."""
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await pilot.press("3")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("c")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
