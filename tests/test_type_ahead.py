# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""Keys typed as fast as a terminal delivers them, ahead of the screen they are meant for:
``r`` then the note then ``ctrl+s`` in one burst reviews the entry with that note."""

from __future__ import annotations

from pilot_helpers import wait_for
from sqlmodel import select
from test_registers_app import app, entry, open_queue, seeded  # noqa: F401
from textual import events

from coordinator_tui.db import session_scope
from coordinator_tui.models import RegisterReview
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.type_ahead import pass_on, pass_on_stray
from coordinator_tui.widgets.lazy_table import LazyTable


def burst(app, *keys: str) -> None:
    """Keys queued all at once, as a terminal delivers fast typing: nothing in between."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_dialog_key_then_text_then_save_in_one_burst(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        first = screen.shown_rows[0].family_name
        burst(app, "r", *"seen at home", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, first).last_reviewed is not None)
        with session_scope(seeded, "t") as s:
            review = s.exec(select(RegisterReview)).one()
        assert review.note == "seen at home"
        # the dialog closed on ctrl+s, as typed (once the save's worker has handed back:
        # the row is in the database a moment before the UI thread closes the dialog)
        await wait_for(pilot, lambda: app.screen is screen)


async def test_text_typed_before_the_dialog_is_ready_lands_in_order(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        burst(app, "r", *"abc")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        dialog = app.screen
        await wait_for(pilot, lambda: dialog.query_one("#f-note").value == "abc")
        await pilot.press(*"de")  # typed later, after the held keys
        assert dialog.query_one("#f-note").value == "abcde"
        await pilot.press("escape", "y")  # esc asks before discarding typed text
        await wait_for(pilot, lambda: app.screen is screen)
        assert all(entry(seeded, r.family_name).last_reviewed is None for r in screen.shown_rows)


async def test_keys_for_the_list_still_act_on_it(app, seeded):
    """Nothing is held or passed on while the screen a key reaches is the one on top."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one(LazyTable)
        burst(app, "down", "down")
        await wait_for(pilot, lambda: table.cursor_row == 2)
        await pilot.pause()
        assert table.cursor_row == 2 and app.screen is screen


async def test_section_key_then_its_action_in_one_burst(app, seeded):
    """``2`` from Home then ``r`` and a note: the review dialog of the queue opens and
    takes the note (the keys reached Home first, which was on top when they were read)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)  # loaded once, so the second visit shows it at once
        await pilot.press("1")
        await wait_for(pilot, lambda: app.current_mode == "home")
        burst(app, "2", "r", *"ok")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        await wait_for(pilot, lambda: app.screen.query_one("#f-note").value == "ok")


async def test_keys_trickling_in_while_the_dialog_opens_keep_their_order(app, seeded):
    """Keys arriving one loop turn apart, some before and some after the note field gets
    the focus: every one lands, in order."""
    import asyncio

    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        app.post_message(events.Key("r", "r"))
        for char in "abcdefghij":
            await asyncio.sleep(0)
            app.post_message(events.Key(char, char))
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        await wait_for(pilot, lambda: app.screen.query_one("#f-note").value == "abcdefghij")


async def test_keys_after_a_save_do_not_go_into_the_saved_note(app, seeded):
    """``r a b ctrl+s r c d ctrl+s`` in one burst: two reviews, "ab" on the first entry
    and "cd" on the entry the cursor moved on to, never "abrcd". Keys typed while the
    list reloads after the first save wait for the reloaded rows (``hold_for_busy``), so
    the outcome is the same however fast the machine is (issue 22 §6: this test used to
    assert one side of a race, the reload or the next key first)."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        first, second = (row.entry_id for row in screen.shown_rows[:2])
        burst(app, "r", "a", "b", "ctrl+s", "r", "c", "d", "ctrl+s")
        await wait_for(pilot, lambda: len(_reviews(seeded)) == 2 and app.screen is screen)
        assert _reviews(seeded) == [(first, "ab"), (second, "cd")]


def _reviews(engine) -> list[tuple[int, str]]:
    with session_scope(engine, "t") as s:
        return [
            (r.entry_id, r.note) for r in s.exec(select(RegisterReview).order_by(RegisterReview.id))
        ]


async def test_escape_then_keys_go_to_the_list(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one(LazyTable)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        burst(app, *"xy", "escape", "y", "down", "down")  # "y": discard what was typed
        await wait_for(pilot, lambda: app.screen is screen and table.cursor_row == 2)
        assert _notes(seeded) == []


def _notes(engine) -> list[str]:
    with session_scope(engine, "t") as s:
        return [r.note for r in s.exec(select(RegisterReview).order_by(RegisterReview.id))]


async def test_keys_after_a_key_that_moves_the_focus_follow_it(demo_settings, small_demo_engine):
    """ "/smith" typed in one go on the people list: ``/`` moves the focus to the filter,
    and "smith" (already read for the list) lands in the filter."""
    from coordinator_tui.app import PeopleFirstApp
    from coordinator_tui.services.people import count_people

    with session_scope(small_demo_engine, "t") as s:
        expected = count_people(s, "smith")
    app = PeopleFirstApp(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        screen = app.screen
        burst(app, "slash", *"smith")
        await wait_for(pilot, lambda: screen.query_one("#people-filter").value == "smith")
        await wait_for(pilot, lambda: screen.loaded and screen.total == expected)


async def test_keys_after_enter_go_to_what_it_opens(app, seeded):
    """``enter esc`` in one burst on the queue: the record opens and ``esc`` closes it.
    Before, ``esc`` reached the list ahead of the message that opens the record, which
    then opened and stayed open (``enter`` is a priority key that holds the keys after
    it until what it opens is on top)."""
    from coordinator_tui.screens.registers.person import PersonScreen

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        opened: list[object] = []
        original = app.push_screen

        def spy(pushed, *args, **kwargs):
            opened.append(pushed)
            return original(pushed, *args, **kwargs)

        app.push_screen = spy
        burst(app, "enter", "escape")
        await wait_for(pilot, lambda: bool(opened) and app.screen is screen)
        from coordinator_tui.widgets.lazy_table import OPEN_HOLD_S

        await pilot.pause(OPEN_HOLD_S + 0.1)  # past the hold: nothing else happens
        assert app.screen is screen
        assert [type(pushed) for pushed in opened] == [PersonScreen]


async def test_a_key_replayed_as_the_app_closes_is_dropped(app):  # noqa: F811
    """A key typed while a save waited on a lock is held and replayed after the save; if
    the app is closing by then its screens are gone. The key is dropped rather than
    ending the run with ``ScreenStackError`` (CI, under load, on the locked-save test)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert app.screen_stack == []
    await app.on_event(events.Key("z", "z"))
    assert await pass_on_stray(app, events.Key("z", "z")) is False
    await pass_on(app, events.Key("z", "z"))
