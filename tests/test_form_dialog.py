# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""``enter`` in a form moves to the next field, and saves from the last one.

Found by hand in tmux: ``enter`` in any field but the last ended the app (the form asked
``Input.has_ancestor``, which Textual 8.2 does not have)."""

from __future__ import annotations

from pilot_helpers import wait_for
from sqlmodel import select
from test_registers_app import app, open_queue, seeded  # noqa: F401

from coordinator_tui.db import session_scope
from coordinator_tui.models import RegisterReview
from coordinator_tui.screens.form_dialog import FormDialog


async def test_enter_moves_on_then_saves_from_the_last_field(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        dialog = app.screen
        first = dialog.focused
        await pilot.press(*"seen", "enter")
        await wait_for(pilot, lambda: dialog.focused is not first)
        assert app.screen is dialog  # moved on, not saved yet, still running
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
    with session_scope(seeded, "t") as s:
        assert [r.note for r in s.exec(select(RegisterReview))] == ["seen"]
