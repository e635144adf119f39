"""Minute notes are never lost (issue 12 §1, §2, §4): two people minuting the same item,
a database that cannot take the save, and keys typed faster than the screen reads them.

Two writers are two sessions on one database (as two windows, or two PCs on a shared
PostgreSQL database): the service merges what both added and refuses anything else with
both versions; the screen merges in place, or shows both side by side to choose from,
and names who else is minuting."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from pilot_helpers import wait_for
from sqlalchemy import select
from textual import events
from textual.widgets import Static, TextArea

from coordinator_tui.app import make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import MinuteNote, utcnow
from coordinator_tui.screens.meetings.minuting import MinutingScreen
from coordinator_tui.screens.text_conflict import TextConflictScreen
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.meetings.minuting import (
    minuting_items,
    notes_for,
    other_minute_takers,
    save_notes,
    start_meeting,
)
from coordinator_tui.services.text_merge import TextConflictError

DECEMBER = 5  # the small demo's next meeting
ME = "test.user"  # the app's audit actor in tests (conftest)


def burst(app, *keys: str) -> None:
    """Keys queued all at once, as a terminal delivers fast typing: nothing in between."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


@pytest.fixture
def items(small_demo_engine) -> list[int]:
    with session_scope(small_demo_engine, "setup") as s:
        start_meeting(s, DECEMBER)
        return [item.id for item in minuting_items(s, DECEMBER)]


def stored(engine, item_id: int) -> str:
    with session_scope(engine, "t") as s:
        return notes_for(s, item_id)


def other_saves(engine, item_id: int, text: str, *, base: str, who: str = "b.jones") -> None:
    """Someone else, in another window or on another PC, saves the item's notes."""
    with session_scope(engine, who) as s:
        save_notes(s, item_id, text, base=base)


async def open_minuting(pilot, app) -> MinutingScreen:
    app.push_screen(MinutingScreen(DECEMBER))
    await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded)
    return app.screen


def editor(screen: MinutingScreen) -> str:
    return screen.query_one("#min-notes", TextArea).text


# -- the service: two writers ---------------------------------------------------------------


def test_two_writers_append_and_both_are_kept(small_demo_engine, items):
    engine, item = small_demo_engine, items[0]
    other_saves(engine, item, "Mother attended", base="", who="a.user")
    # b starts from "Mother attended" and adds a line below it ...
    other_saves(engine, item, "Mother attended\nGP to refer.", base="Mother attended")
    # ... while a, from the same text, goes on with the line it was typing.
    with session_scope(engine, "a.user") as s:
        note = save_notes(s, item, "Mother attended with partner.", base="Mother attended")
        assert note.text == "Mother attended with partner.\nGP to refer."
    assert stored(engine, item) == "Mother attended with partner.\nGP to refer."


def test_a_clash_is_refused_with_both_versions_and_who(small_demo_engine, items):
    engine, item = small_demo_engine, items[0]
    other_saves(engine, item, "Mother attended.", base="", who="a.user")
    other_saves(engine, item, "Father attended.", base="Mother attended.")
    with pytest.raises(TextConflictError) as caught, session_scope(engine, "a.user") as s:
        save_notes(s, item, "Mother attended. Plan agreed.", base="Mother attended.")
    conflict = caught.value.conflict
    assert (conflict.mine, conflict.theirs) == ("Mother attended. Plan agreed.", "Father attended.")
    assert conflict.theirs_by == "b.jones" and conflict.theirs_at is not None
    assert "b.jones changed the notes of this item" in str(caught.value)
    assert stored(engine, item) == "Father attended."  # nothing overwritten


def test_a_save_racing_another_is_refused_by_the_version(small_demo_engine, items):
    """b read the notes, a saved meanwhile, b's write is refused inside the save (the
    row's version), not written over a's; trying again then merges."""
    engine, item = small_demo_engine, items[0]
    other_saves(engine, item, "Start", base="", who="a.user")
    with pytest.raises(ConflictError), session_scope(engine, "b.jones") as b:
        copy = b.scalar(select(MinuteNote).where(MinuteNote.agenda_item_id == item))
        assert copy is not None and copy.text == "Start"  # held: b's copy of the row
        other_saves(engine, item, "Start\na's line", base="Start", who="a.user")
        save_notes(b, item, "Start\nb's line", base="Start")  # b's copy is stale
    assert stored(engine, item) == "Start\na's line"
    other_saves(engine, item, "Start\nb's line", base="Start")
    assert stored(engine, item) == "Start\na's line\nb's line"


def test_who_else_is_minuting(small_demo_engine, items):
    engine = small_demo_engine
    other_saves(engine, items[0], "Notes", base="")
    with session_scope(engine, "t") as s:
        others = other_minute_takers(s, DECEMBER, me=ME)
        assert [who for who, _ in others] == ["b.jones"]
        assert other_minute_takers(s, DECEMBER, me="b.jones") == []
        later = utcnow() + timedelta(minutes=6)
        assert other_minute_takers(s, DECEMBER, me=ME, now=later) == []


# -- the screen: keys at terminal speed (§4) ------------------------------------------------


async def test_text_typed_before_pgdn_in_one_burst_stays_with_its_item(
    small_demo_engine, demo_settings, items
):
    """The move is read before the characters typed just before it reach the editor;
    they still belong to the item they were typed in, in both directions."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        burst(app, *"abc", "pagedown", *"def", "pagedown", *"ghi", "pageup", *"jk")
        await wait_for(pilot, lambda: screen.index == 1 and editor(screen) == "defjk")
        expected = ["abc", "defjk", "ghi"]
        await wait_for(pilot, lambda: [stored(small_demo_engine, i) for i in items[:3]] == expected)
        assert screen.texts[items[1]] == "defjk"


async def test_a_burst_ending_in_escape_saves_then_leaves(small_demo_engine, demo_settings, items):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        burst(app, *"seen at home", "escape")
        await wait_for(pilot, lambda: app.screen is not screen)
    assert stored(small_demo_engine, items[0]) == "seen at home"


# -- the screen: someone else minuting the same item (§1) -------------------------------------


async def test_their_added_lines_are_merged_into_the_notes_being_typed(
    small_demo_engine, demo_settings, items
):
    engine, item = small_demo_engine, items[0]
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        await pilot.press(*"Mother attended")
        await wait_for(pilot, lambda: stored(engine, item) == "Mother attended")
        # Meanwhile, on another PC: a line added below.
        other_saves(engine, item, "Mother attended\nGP to refer.", base="Mother attended")
        await pilot.press(*" with partner")
        merged = "Mother attended with partner\nGP to refer."
        await wait_for(pilot, lambda: stored(engine, item) == merged)
        await wait_for(pilot, lambda: editor(screen) == merged)
        # The coordinator goes on typing where they were: on their line.
        await pilot.press(".")
        await wait_for(pilot, lambda: stored(engine, item) == merged.replace("partner", "partner."))
        # And is told who else is minuting.
        await wait_for(pilot, lambda: "b.jones" in str(screen.query_one("#min-reason").content))
        assert "Also minuting this meeting: b.jones" in str(
            screen.query_one("#min-reason", Static).content
        )


async def test_what_they_save_shows_while_nothing_is_typed_here(
    small_demo_engine, demo_settings, items
):
    engine, item = small_demo_engine, items[0]
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        other_saves(engine, item, "Mother attended.", base="")
        await wait_for(pilot, lambda: editor(screen) == "Mother attended.")
        other_saves(engine, item, "Mother attended.\nGP to refer.", base="Mother attended.")
        await wait_for(pilot, lambda: editor(screen) == "Mother attended.\nGP to refer.")
        await pilot.press("end", *" Agreed.")  # and typing here goes on from there
        await wait_for(
            pilot, lambda: stored(engine, item) == "Mother attended.\nGP to refer. Agreed."
        )


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("f5", "Mother attended.x"),
        ("f6", "Father attended.x"),
        ("f7", "Father attended.\nMother attended.x"),
    ],
)
async def test_a_clash_shows_both_and_keeps_the_choice(
    small_demo_engine, demo_settings, items, key, kept
):
    engine, item = small_demo_engine, items[0]
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        await pilot.press(*"Mother attended")
        await wait_for(pilot, lambda: stored(engine, item) == "Mother attended")
        other_saves(engine, item, "Father attended.", base="Mother attended")
        await pilot.press(".")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TextConflictScreen)
                and len(app.screen.query("#conflict-intro")) == 1
            ),
        )
        dialog = app.screen
        shown = str(dialog.query_one("#conflict-intro", Static).content)
        assert "b.jones saved the notes of this item at" in shown
        assert (dialog.conflict.mine, dialog.conflict.theirs) == (
            "Mother attended.",
            "Father attended.",
        )
        assert stored(engine, item) == "Father attended."  # nothing overwritten unseen
        await pilot.press("x")  # typing on, unaware: kept, added after the choice
        await pilot.press(key)
        await wait_for(pilot, lambda: app.screen is screen and stored(engine, item) == kept)
        assert editor(screen) == kept


async def test_a_save_refused_by_the_version_is_simply_made_again(
    small_demo_engine, demo_settings, items, monkeypatch
):
    """Two saves of the same row at the same moment: the loser is refused inside the save
    (the row's version) and saves again, merging; no error is shown for it."""
    import coordinator_tui.services.meetings.minuting as minuting

    calls = []

    def first_loses(session, item_id, text, **kwargs):
        calls.append(text)
        if len(calls) == 1:
            raise ConflictError("Refused: someone else changed this record while you were saving.")
        return save_notes(session, item_id, text, **kwargs)

    monkeypatch.setattr(minuting, "save_notes", first_loses)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_minuting(pilot, app)
        await pilot.press(*"Seen at home")
        await wait_for(pilot, lambda: stored(small_demo_engine, items[0]) == "Seen at home")
        assert len(calls) >= 2
        assert not any("not saved" in str(n.message) for n in app._notifications)


# -- the screen: a database that cannot take the save (§2) ----------------------------------


async def test_a_locked_database_keeps_every_character_and_retries(
    small_demo_path, demo_settings, monkeypatch, items
):
    import coordinator_tui.db as db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)  # wait 0.2 s for a lock, not 5 s
    opened = open_database(str(small_demo_path))
    engine = opened.engine
    item = items[0]
    app = make_app(demo_settings, engine)
    lock = sqlite3.connect(small_demo_path, isolation_level=None)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_minuting(pilot, app)
            notes = screen.query_one("#min-notes", TextArea)
            await pilot.press(*"abc")
            await wait_for(pilot, lambda: stored(engine, item) == "abc")

            lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            await pilot.press(*"def")
            await wait_for(pilot, lambda: notes.border_subtitle.startswith("NOT SAVED"))
            assert "the database did not take the save" in notes.border_subtitle
            # The toast is a message the app handles after the border is set: wait for it.
            await wait_for(
                pilot, lambda: any("Notes not saved" in n.message for n in app._notifications)
            )
            await pilot.press(*"ghi")  # typing goes on; nothing is cleared or reloaded
            await pilot.press("escape")  # leaving waits for the save, which fails again
            await pilot.pause(0.5)
            assert app.screen is screen and notes.text == "abcdefghi"
            assert stored(engine, item) == "abc"

            lock.execute("COMMIT")  # the other process is done
            await wait_for(pilot, lambda: stored(engine, item) == "abcdefghi")
            await wait_for(pilot, lambda: notes.border_subtitle.startswith("saved"))
            await pilot.press(*"jk", "ctrl+s")
            await wait_for(pilot, lambda: stored(engine, item) == "abcdefghijk")
            assert app.screen is screen and notes.text == "abcdefghijk"
    finally:
        lock.close()
        engine.dispose()


# -- the same on PostgreSQL (a PCN sharing one database) ------------------------------------


def test_two_writers_on_postgres(pg_url):
    """Merge, refusal with both versions, and the version check inside the save, on
    PostgreSQL, where two PCs share the notes."""
    from datetime import date

    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    engine = opened.engine
    try:
        seed_demo(engine, "small", seed=1, today=date(2026, 11, 23))
        with session_scope(engine, "setup") as s:
            start_meeting(s, DECEMBER)
            item = minuting_items(s, DECEMBER)[0].id
        other_saves(engine, item, "Mother attended", base="", who="a.user")
        other_saves(engine, item, "Mother attended\nGP to refer.", base="Mother attended")
        other_saves(engine, item, "Mother attended alone", base="Mother attended", who="a.user")
        assert stored(engine, item) == "Mother attended alone\nGP to refer."
        with pytest.raises(TextConflictError) as caught, session_scope(engine, "b.jones") as s:
            save_notes(s, item, "Father attended", base="Mother attended\nGP to refer.")
        assert caught.value.conflict.theirs_by == "a.user"  # the last to save it
        with pytest.raises(ConflictError), session_scope(engine, "b.jones") as b:
            copy = b.scalar(select(MinuteNote).where(MinuteNote.agenda_item_id == item))
            assert copy is not None
            base = copy.text
            other_saves(engine, item, base + "\na's line", base=base, who="a.user")
            save_notes(b, item, base + "\nb's line", base=base)
        assert stored(engine, item) == "Mother attended alone\nGP to refer.\na's line"
        with session_scope(engine, "t") as s:
            assert [who for who, _ in other_minute_takers(s, DECEMBER, me=ME)] == [
                "a.user",
                "b.jones",
            ]
    finally:
        engine.dispose()
