"""A section opened cold (issue 23 §1): Textual holds every frame for 50 ms while it
switches mode (``App.delay_update``) and lays the new screen out meanwhile; the frame it
would draw then is thrown away, so a section screen draws none while frames are held
(``SectionScreen._compositor_refresh``) and is drawn whole when they are let go. And the
cold open's second ``ScreenResume`` applies no styles again (``_restyle_once``): every
style is in place, shown by applying them all again and finding nothing changed."""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for
from textual._compositor import Compositor
from textual.screen import Screen

from coordinator_tui.app import make_app
from coordinator_tui.screens.rota.grid import RotaScreen


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")


def _styles(screen) -> list[tuple[str, str, str]]:
    return [
        (repr(node), node.styles.css, " ".join(sorted(node.get_pseudo_classes())))
        for node in screen.walk_children(with_self=True)
    ]


async def test_the_rota_opened_cold_draws_no_frame_while_frames_are_held(
    demo_settings, small_demo_engine, monkeypatch
):
    drawn: list[bool] = []  # for each frame of the Rota drawn: whether frames were held
    resumed: list[bool] = []  # each resume's refresh_styles as Textual's handler has it
    render, textuals = Compositor.render_update, Screen._on_screen_resume
    app = make_app(demo_settings, small_demo_engine)

    def recorded_render(self, *args, **kwargs):
        if isinstance(app.screen, RotaScreen) and self is app.screen._compositor:
            drawn.append(bool(app._batch_count))
        return render(self, *args, **kwargs)

    def recorded_resume(self, event) -> None:
        if isinstance(self, RotaScreen):
            resumed.append(event.refresh_styles)
        textuals(self, event)

    monkeypatch.setattr(Compositor, "render_update", recorded_render)
    monkeypatch.setattr(Screen, "_on_screen_resume", recorded_resume)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        await pilot.pause()
        screen = app.screen
        assert drawn and True not in drawn  # frames drawn, none while held
        assert resumed == [True, False]  # the second resume restyled nothing
        before, shown = _styles(screen), app.export_screenshot()
        app.update_styles(screen)  # every rule applied again, as the second resume did
        await pilot.pause()
        assert _styles(screen) == before
        assert app.export_screenshot() == shown

        # Switched away and back (a suspend between): Textual restyles as ever.
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen is screen and len(resumed) == 3)
        assert resumed[2] is True


async def test_a_frame_held_back_is_drawn_when_frames_are_let_go(demo_settings, small_demo_engine):
    """A layout during ``batch_update`` asks for the whole screen; once the batch ends
    the screen is drawn on the next look (the Referrals filter ends its batches so)."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        await pilot.pause()
        screen = app.screen
        shown = app.export_screenshot()
        frames: list[object] = []
        render = screen._compositor.render_update

        def counted(*args, **kwargs):
            update = render(*args, **kwargs)
            frames.append(update)
            return update

        screen._compositor.render_update = counted
        with app.batch_update():
            screen._refresh_layout(app.size)  # a layout while held, as at a cold open
            await pilot.pause()
            assert frames == []
        screen.check_idle()
        await wait_for(pilot, lambda: bool(frames))
        assert [type(f).__name__ for f in frames] == ["LayoutUpdate"]  # drawn whole
        assert app.export_screenshot() == shown
