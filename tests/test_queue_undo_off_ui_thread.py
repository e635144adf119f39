# ruff: noqa: F811  (pytest fixtures imported from test_one_key_writes_off_ui_thread)
"""Issue 12 §2: the review queue's ``u`` (undo the last action) writes in a worker
(``BackgroundWrites``), so the screen stays live while another process holds the lock.

As in ``test_one_key_writes_more``: a real SQLite write lock (``BEGIN IMMEDIATE``) held by
another connection while the app's connections wait up to 20 s; ``u`` says "Saving…", a
key typed meanwhile is held, nothing is written until the lock goes. Past a short busy
timeout, ``u`` is refused in one line and the action stays to be undone: ``u`` again,
the lock gone, undoes it."""

from __future__ import annotations

from pilot_helpers import wait_for
from test_one_key_writes_off_ui_thread import (
    app_quick,  # noqa: F401 (fixtures)
    app_slow,  # noqa: F401
    db_file,  # noqa: F401
    notes,
    press_while_locked,
    quick_engine,  # noqa: F401
    refused_while_locked,
    slow_engine,  # noqa: F401
)

from coordinator_tui.db import session_scope
from coordinator_tui.models import RegisterEntry
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.registers.queue import RegistersScreen


def escalated(engine, entry_id: int) -> bool:
    with session_scope(engine, "t") as s:
        return s.get(RegisterEntry, entry_id).escalated_at is not None


async def escalate_first(pilot, app) -> tuple[RegistersScreen, int]:
    """The queue open, its first entry escalated with ``e`` (the action to undo)."""
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    screen = app.screen
    await wait_for(pilot, lambda: screen.highlighted() is not None)
    target = screen.highlighted()
    assert target is not None and not target.escalated
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press(*"worried", "enter")
    await wait_for(pilot, lambda: app.screen is screen and "Escalated" in notes(app))
    await wait_for(pilot, lambda: screen.undo_stack and not screen.writing)
    return screen, target.entry_id


async def test_undo_while_locked(app_slow, slow_engine, db_file):
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, entry_id = await escalate_first(pilot, app)
        assert escalated(slow_engine, entry_id)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("u",),
            lambda: not escalated(slow_engine, entry_id),
            line=None,
            held=("down",),
        )
        await wait_for(pilot, lambda: "Undid" in notes(app))
        assert screen.undo_stack == []


async def test_undo_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen, entry_id = await escalate_first(pilot, app)
        await refused_while_locked(pilot, app, screen, db_file, ("u",))
        assert escalated(quick_engine, entry_id)  # nothing written
        assert len(screen.undo_stack) == 1  # still there to undo
        await pilot.press("u")
        await wait_for(pilot, lambda: not escalated(quick_engine, entry_id), timeout=25)
        await wait_for(pilot, lambda: screen.undo_stack == [] and not screen.writing)
