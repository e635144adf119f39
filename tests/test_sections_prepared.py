"""Sections prepared in the background once Home shows its counts, and sections shown
again after a change reloading what they show."""

from __future__ import annotations

import datetime

import pytest
from pilot_helpers import wait_for
from sqlmodel import select

from coordinator_tui.app import BUILT_SECTIONS, make_app
from coordinator_tui.models import Person
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.screens.registers.queue import RegistersScreen


@pytest.fixture
def app(demo_settings, small_demo_engine):
    demo_settings.prepare_sections = True
    return make_app(demo_settings, small_demo_engine)


def _prepared(app) -> bool:
    stacks = [app._screen_stacks.get(mode) for mode in BUILT_SECTIONS]
    return all(stacks) and all(getattr(stack[0], "loaded", False) for stack in stacks)


async def test_sections_are_ready_before_they_are_opened(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _prepared(app), timeout=30)
        assert app.current_mode == "home"  # nothing moved on screen
        prepared = app._screen_stacks["referrals"][0]
        await pilot.press("3")
        await pilot.pause()
        assert app.screen is prepared and prepared.loaded and prepared.rows


async def test_a_section_shown_again_reloads_after_a_change(app, small_demo_engine):
    from coordinator_tui.services.referrals import create_referral

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _prepared(app), timeout=30)
        await pilot.press("3")
        referrals = app.screen
        assert isinstance(referrals, ReferralsScreen)
        before = len(referrals.rows)
        await pilot.press("2")
        assert isinstance(app.screen, RegistersScreen)
        with app.session() as session:
            person_id = session.exec(select(Person.id).limit(1)).one()
            create_referral(
                session,
                person_id=person_id,
                referral_type="MASH",
                reason="New",
                by="t",
                today=datetime.date(2026, 11, 23),
            )
        await pilot.press("3")
        await wait_for(pilot, lambda: len(referrals.rows) == before + 1, timeout=10)


async def test_nothing_changed_nothing_reloaded(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _prepared(app), timeout=30)
        await pilot.press("3")
        referrals = app.screen
        rows = referrals.rows
        await pilot.press("2", "3")
        await pilot.pause(0.3)
        assert referrals.rows is rows  # the same list: no query ran


async def test_a_built_section_is_shown_without_textuals_frame_hold(app, monkeypatch):
    """Switching mode holds frames for 50 ms to mask a screen being built; a section built
    already (prepared or visited) is switched to without it, a new one still with it."""
    from textual.app import App

    held: list[str] = []
    real = App.delay_update

    def spy(self, delay: float = 0.05) -> None:
        held.append(self.current_mode)
        real(self, delay)

    monkeypatch.setattr(App, "delay_update", spy)
    app.settings.prepare_sections = False
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")  # built now: held
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        await pilot.press("1", "2")  # both built already: not held
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        assert held == ["home"]
