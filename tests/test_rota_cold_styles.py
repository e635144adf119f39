"""The Rota opened cold is styled once for its size (issue 23 §1): its height classes are
set before the screen is first styled, and its body is a plain container (a ``Vertical``
matches the forms' ``:last-of-type`` rule, which restyled the whole body after its
mount). Every style is what applying them all again gives, at a short and a tall size."""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for
from test_section_frames_held import _early_morning, _styles  # noqa: F401  (the fixture: 05:00)

from coordinator_tui.app import make_app
from coordinator_tui.screens.rota.grid import RotaScreen


@pytest.mark.parametrize(("size", "classes"), [((80, 24), {"-short"}), ((120, 40), {"-tall"})])
async def test_the_rota_opened_cold_is_styled_for_its_size(
    demo_settings, small_demo_engine, size, classes
):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=size) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        await pilot.pause()
        screen = app.screen
        assert {"-short", "-tall"} & set(screen.classes) == classes
        assert not screen.query_one("#rota-body")._has_order_style
        before, shown = _styles(screen), app.export_screenshot()
        app.update_styles(screen)
        await pilot.pause()
        assert _styles(screen) == before
        assert app.export_screenshot() == shown
