"""The shell a coordinator meets first (issue 22 §5): the palette holds the app's own
commands and people on one line each, and help shows the app's keys before Textual's."""

from __future__ import annotations

import pytest
from pilot_helpers import shown_text, wait_for
from sqlalchemy import text
from textual.command import CommandList
from textual.widgets import Static

from coordinator_tui.app import make_app
from coordinator_tui.screens.help import HelpScreen


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def _prompts(app) -> list[str]:
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_palette_offers_no_screenshot_maximize_or_keys(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.query(CommandList).first().option_count > 0)
        prompts = " | ".join(_prompts(app))
        for textual_own in ("Screenshot", "Maximize", "Keys", "Minimize"):
            assert textual_own not in prompts
        for ours in ("Go to Registers", "Log a safeguarding concern", "Quit"):
            assert ours in prompts
        # Searching for Textual's command finds nothing of it.
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        assert not any("Screenshot" in prompt for prompt in _prompts(app))


async def test_palette_person_is_one_line_with_their_registers(app, small_demo_engine):
    with small_demo_engine.connect() as conn:
        nhs, family, code = conn.execute(
            text(
                "SELECT p.nhs_number, p.family_name, c.code FROM register_entry e "
                "JOIN person p ON p.id = e.person_id "
                "JOIN register_category c ON c.id = e.category_id "
                "WHERE e.status = 'active' ORDER BY e.id LIMIT 1"
            )
        ).one()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*nhs)
        await wait_for(
            pilot, lambda: app.screen.query_one(CommandList).option_count > 0, timeout=10
        )
        prompt = _prompts(app)[0]
        assert "\n" not in prompt
        assert family.upper() in prompt and code in prompt


async def test_help_lists_the_app_keys_before_textual_generic_ones(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        texts = [shown_text(static) for static in app.screen.query(Static)]
        whole = "\n".join(texts)
        app_keys = whole.index("Keys on this screen")
        generic = whole.find("Editing and scrolling keys")
        assert "Everywhere" in whole
        # The filter field's own keys (copy, select all...) come last, apart.
        assert generic > whole.index("Everywhere") > app_keys
        ours = whole[app_keys:generic]
        assert "Copy" not in ours and "copy" not in ours
        assert "copy" in whole[generic:].lower()


async def test_person_record_says_an_overdue_review_is_overdue(app, demo_settings):
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        row = app.screen.shown_rows[0]  # overdue first
        assert row.next_review_due < demo_settings.today
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        registrations = shown_text(app.screen.query_one("#person-registrations"))
        due = f"{row.next_review_due:%d/%m}"
        line = next(text for text in registrations.splitlines() if due in text)
        assert "OVERDUE" in line
