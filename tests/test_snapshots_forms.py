"""The look of the register and concern forms at 80x24 and 120x40 (issue 22 §2): concern
intake as it opens and with a category list narrowed by typing, adding a registration
with the register typed, the question esc asks over typed text, the escalated view with
its resolve key, and Home with a meeting in progress.

After an intended change of look: ``pytest tests/test_snapshots_forms.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]
IDS = [f"{w}x{h}" for w, h in SIZES]


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


async def _queue(pilot) -> None:
    await pilot.press("2")
    await _wait(pilot, lambda: getattr(pilot.app.screen, "loaded", False))


async def _dialog(pilot, name: str) -> None:
    await _wait(
        pilot,
        lambda: type(pilot.app.screen).__name__ == name and pilot.app.screen.focused is not None,
    )


@pytest.fixture(autouse=True)
def _home_at_noon(monkeypatch):
    """Home's "visits missed or not checked in today" is counted at the time of day on
    the pinned date: noon here (``COORDINATOR_TUI_NOW``, read into ``settings.now`` with
    the pinned date, before ``demo_settings`` is built), so the snapshot does not change
    with the hour the suite runs."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "12:00")


class TestForms:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_concern_intake(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _queue(pilot)
            await pilot.press("i")
            await _dialog(pilot, "ConcernIntakeDialog")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_concern_intake_typing(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def typed(pilot):
            await _queue(pilot)
            await pilot.press("i")
            await _dialog(pilot, "ConcernIntakeDialog")
            picker = app.screen.query_one("PersonPicker")
            await pilot.press(*"999 001 1109")
            await _wait(pilot, lambda: picker._hits)
            await pilot.press("enter", *"expl")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=typed)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_add_registration(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def typed(pilot):
            await _queue(pilot)
            await pilot.press("a")
            await _dialog(pilot, "AddRegistrationDialog")
            picker = app.screen.query_one("PersonPicker")
            await pilot.press(*"999 001 1109")
            await _wait(pilot, lambda: picker._hits)
            await pilot.press("enter", *"cic")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=typed)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_discard_question(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def asked(pilot):
            await _queue(pilot)
            await pilot.press("r")
            await _dialog(pilot, "FormDialog")
            await pilot.press(*"seen at home", "escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardDialog")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=asked)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_resolve_escalation(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def resolving(pilot):
            await _queue(pilot)
            screen = app.screen
            await pilot.press("S", "S")  # the escalated view
            await _wait(pilot, lambda: screen.choice["status"] == "escalated" and screen.loaded)
            await _wait(pilot, lambda: screen.shown_rows and screen.shown_rows[0].escalated)
            await pilot.press("E")
            await _dialog(pilot, "FormDialog")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=resolving)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_home_meeting_in_progress(self, snap_compare, demo_settings, small_demo_engine, size):
        from sqlmodel import select

        from coordinator_tui.db import session_scope
        from coordinator_tui.models import Meeting

        with session_scope(small_demo_engine, "t") as s:
            meeting = s.exec(
                select(Meeting).where(Meeting.status == "planned").order_by(Meeting.starts_at)
            ).first()
            meeting.status = "in_progress"
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
