# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""The review queue's footer is redrawn only when the highlighted row's own keys change.

Its footer showed the row's keys (``E`` resolve on an escalated entry, the health
assessment on a looked-after child's) by asking Textual to refresh every binding on each
cursor move: the footer was redrawn on every key, about 3 ms each (issue 23, noticed
while cutting the queue's ``end``). It is now redrawn when those keys come or go.
"""

from __future__ import annotations

from pilot_helpers import wait_for
from test_footer import footer_text
from test_registers_app import app, entry, open_queue, seeded  # noqa: F401
from textual.screen import ModalScreen

RESOLVE = "Resolve escalation"


async def test_the_footer_follows_the_row_and_is_redrawn_only_when_its_keys_change(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("e")  # the first entry escalated to the lead
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press(*"no engagement", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").escalated_at is not None)
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        await wait_for(pilot, lambda: screen.highlighted().family_name == "Family00")
        await wait_for(pilot, lambda: RESOLVE in footer_text(app))

        redraws: list[int] = []
        original = screen.refresh_bindings

        def counted() -> None:
            redraws.append(1)
            original()

        screen.refresh_bindings = counted  # type: ignore[method-assign]
        await pilot.press("down")  # onto an entry not escalated: E goes
        await wait_for(pilot, lambda: RESOLVE not in footer_text(app))
        assert len(redraws) == 1
        names = []
        for _ in range(3):  # along entries alike: nothing to redraw
            await pilot.press("down")
            await wait_for(pilot, lambda n=len(names): screen.highlighted() is not None)
            names.append(screen.highlighted().family_name)
            await pilot.pause()
        assert len(set(names)) == 3 and "Family00" not in names
        assert len(redraws) == 1
        assert RESOLVE not in footer_text(app)
        await pilot.press("home")  # back on the escalated entry: E comes back
        await wait_for(pilot, lambda: RESOLVE in footer_text(app))
        assert len(redraws) == 2
