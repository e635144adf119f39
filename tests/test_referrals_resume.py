"""The Referrals section opened cold is resumed twice by Textual (``App._init_mode`` and
then ``App.switch_mode`` each post ``ScreenResume``); the second re-applies no styles
(``SectionScreen._restyle_once``, issue 23). Every style it would have applied is
already in place, shown here by applying them all again after the open and finding the
screen and each widget's styles unchanged; a section resumed after a suspend (a referral's
own screen closed) still re-applies them."""

from __future__ import annotations

from pilot_helpers import wait_for
from textual import events
from textual.screen import Screen
from textual.widgets import Input

from coordinator_tui.app import make_app
from coordinator_tui.screens.referrals.detail import ReferralDetailScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen


def _styles(screen) -> list[tuple[str, str, str]]:
    """Each widget's computed styles (and the classes and pseudo-classes they follow)."""
    return [
        (repr(node), node.styles.css, " ".join(sorted(node.get_pseudo_classes())))
        for node in screen.walk_children(with_self=True)
    ]


async def test_the_second_resume_of_a_cold_open_changes_no_style(
    demo_settings, small_demo_engine, monkeypatch
):
    seen: list[tuple[bool, bool]] = []  # each resume's refresh_styles as sent, as left
    made, textuals = events.ScreenResume.__init__, Screen._on_screen_resume

    def sent(self, *args, **kwargs) -> None:
        made(self, *args, **kwargs)
        self.sent_styles = self.refresh_styles

    def recorded(self, event) -> None:  # Textual's handler, after the section's
        if isinstance(self, ReferralsScreen):
            seen.append((event.sent_styles, event.refresh_styles))
        textuals(self, event)

    monkeypatch.setattr(events.ScreenResume, "__init__", sent)
    monkeypatch.setattr(Screen, "_on_screen_resume", recorded)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded)
        await wait_for(pilot, lambda: bool(app.screen.figures))
        await pilot.pause()
        screen = app.screen
        # The first applies the styles, the second does not.
        assert seen == [(True, True), (True, False)]
        before, shown = _styles(screen), app.export_screenshot()

        app.update_styles(screen)  # every rule applied again, as the second resume did
        await pilot.pause()
        assert _styles(screen) == before
        assert app.export_screenshot() == shown

        # Resumed after a suspend, the section is left to Textual: a referral's screen
        # closed (Textual re-applies no styles under an opaque screen), and the section
        # switched away from and back to (it does).
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(screen.focused, Input))
        await pilot.press("escape")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralDetailScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and len(seen) == 3)
        assert seen[2][0] == seen[2][1]
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen is screen and len(seen) == 4)
        assert seen[3] == (True, True)
