# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""``enter`` typed in one burst after cursor moves opens the row the moves reached.

``enter`` on a list is a priority binding: the app runs it as it reads the key, while the
``down``s read before it are still queued for the list. "down down enter" typed at once
(fast typing, or keys held during a load and read again together) opened the row the
cursor was on before the ``down``s: the wrong person's record. The row is now chosen
after the keys before it (``RowCursorView.action_select``)."""

from __future__ import annotations

from pilot_helpers import wait_for
from test_registers_app import app, open_queue, seeded  # noqa: F401
from test_type_ahead import burst

from coordinator_tui.screens.registers.person import PersonScreen


async def test_down_down_enter_in_one_burst_opens_the_third_row(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        rows = screen.shown_rows
        assert len(rows) >= 3 and len({r.person_id for r in rows[:3]}) == 3
        burst(app, "down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert app.screen.person_id == rows[2].person_id


async def test_a_key_typed_after_enter_reaches_what_it_opened(app, seeded):
    """The keys after ``enter`` wait for what it opens: ``escape`` closes the record."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        burst(app, "down", "enter", "escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert screen.query_one("#queue").cursor_row == 1


async def test_enter_alone_opens_the_row_under_the_cursor(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert app.screen.person_id == screen.shown_rows[1].person_id


async def test_enter_typed_as_the_app_starts_opens_the_first_row_once_read(app, seeded):
    """``2`` and ``enter`` typed at once as the app starts: ``enter`` reaches the review
    queue while its rows are still being read, and opens the first row once they are in
    (it used to open nothing: the list had no rows yet)."""
    from coordinator_tui.screens.registers.queue import RegistersScreen

    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "2", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen), timeout=60)
        queue = next(s for s in app.screen_stack if isinstance(s, RegistersScreen))
        assert app.screen.person_id == queue.shown_rows[0].person_id


async def test_enter_on_a_list_still_read_waits_for_its_rows(app, seeded, monkeypatch):
    """``2 enter`` while the queue's first page is held back: nothing opens (no row to
    open yet) until the rows are on screen; then the first row opens, from the screen's
    own "rows are in" (``row_cursor.after_rows_in``), not a poll."""
    import threading

    from coordinator_tui.screens.registers.queue import RegistersScreen
    from coordinator_tui.services import registers

    gate = threading.Event()
    original = registers.queue_page

    def held_page(*args, **kwargs):
        assert gate.wait(60), "the test never let the read go"
        return original(*args, **kwargs)

    monkeypatch.setattr(registers, "queue_page", held_page)
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "2", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        for _ in range(5):
            await pilot.pause(0.05)
        assert isinstance(app.screen, RegistersScreen) and not app.screen.loaded
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen), timeout=60)
        queue = next(s for s in app.screen_stack if isinstance(s, RegistersScreen))
        assert app.screen.person_id == queue.shown_rows[0].person_id
