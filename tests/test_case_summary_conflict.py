"""A person's case summary is never silently replaced (issue 12 §1): a save carries the
summary its editor started from; what two people added is merged, anything else shows
both versions to choose from; a database that cannot take the save keeps the text."""

from __future__ import annotations

import sqlite3

import pytest
from pilot_helpers import wait_for
from sqlalchemy import select
from textual.widgets import Input, Static

from coordinator_tui.app import make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Person
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.registers.person import PersonScreen
from coordinator_tui.screens.text_conflict import TextConflictScreen
from coordinator_tui.services.chronology import update_case_summary
from coordinator_tui.services.text_merge import TextConflictError

START = "Known to children's social care since 2025."


@pytest.fixture
def person_id(small_demo_engine) -> int:
    with session_scope(small_demo_engine, "setup") as s:
        person = s.scalars(select(Person).order_by(Person.id).limit(1)).one()
        update_case_summary(s, person.id, START)
        return person.id


def summary(engine, person_id: int) -> str:
    with session_scope(engine, "t") as s:
        return s.get(Person, person_id).case_summary


def other_saves(engine, person_id: int, text: str, *, base: str, who: str = "b.jones") -> None:
    with session_scope(engine, who) as s:
        update_case_summary(s, person_id, text, base=base)


# -- the service: two writers ---------------------------------------------------------------


def test_two_editors_adding_to_the_summary_are_merged(small_demo_engine, person_id):
    engine = small_demo_engine
    other_saves(engine, person_id, START + "\nSchool reports low attendance.", base=START)
    with session_scope(engine, "a.user") as s:
        person = update_case_summary(s, person_id, START + "\nGP aware.", base=START)
        assert person.case_summary == START + "\nSchool reports low attendance.\nGP aware."
    assert summary(engine, person_id) == START + "\nSchool reports low attendance.\nGP aware."


def test_a_clash_is_refused_with_both_versions(small_demo_engine, person_id):
    engine = small_demo_engine
    other_saves(engine, person_id, "Open to early help since 2026.", base=START)
    with pytest.raises(TextConflictError) as caught, session_scope(engine, "a.user") as s:
        update_case_summary(s, person_id, START + " Case closed.", base=START)
    conflict = caught.value.conflict
    assert conflict.theirs == "Open to early help since 2026."
    assert conflict.mine == START + " Case closed."
    assert conflict.theirs_by == "b.jones" and conflict.theirs_at is not None
    assert summary(engine, person_id) == "Open to early help since 2026."


def test_another_change_to_the_person_is_no_conflict(small_demo_engine, person_id):
    """The check is on the summary's own text: an address changed meanwhile is not a
    reason to refuse (or to merge) the summary."""
    engine = small_demo_engine
    with session_scope(engine, "b.jones") as s:
        s.get(Person, person_id).address_line1 = "1 New Street"
    with session_scope(engine, "a.user") as s:
        update_case_summary(s, person_id, "Rewritten summary.", base=START)
    assert summary(engine, person_id) == "Rewritten summary."


# -- the screen -------------------------------------------------------------------------


async def open_summary_editor(pilot, app, person_id: int) -> FormDialog:
    app.push_screen(PersonScreen(person_id))
    await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
    await pilot.press("m")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
    await pilot.press("end")
    return app.screen


async def test_a_summary_changed_under_the_editor_shows_both(
    small_demo_engine, demo_settings, person_id
):
    engine = small_demo_engine
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_summary_editor(pilot, app, person_id)
        await pilot.press(*" Case closed.")
        # Meanwhile, on another PC, the summary is rewritten.
        other_saves(engine, person_id, "Open to early help since 2026.", base=START)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TextConflictScreen)
                and len(app.screen.query("#conflict-intro")) == 1
            ),
        )
        intro = str(app.screen.query_one("#conflict-intro", Static).content)
        assert "b.jones saved the case summary at" in intro
        assert summary(engine, person_id) == "Open to early help since 2026."
        await pilot.press("f7")  # keep both: theirs, then mine
        # The editor is taken off after the record shows again (Textual removes a popped
        # screen's widgets in its own time): wait for both, not one then the other.
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and not form.is_attached)
    both = "Open to early help since 2026.\n" + START + " Case closed."
    assert summary(engine, person_id) == both


async def test_what_someone_else_added_is_merged_on_save(
    small_demo_engine, demo_settings, person_id
):
    engine = small_demo_engine
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_summary_editor(pilot, app, person_id)
        await pilot.press(*" GP aware.")
        other_saves(engine, person_id, START + "\nSchool reports low attendance.", base=START)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        messages = [n.message for n in app._notifications]
        assert any("with what someone else added meanwhile" in m for m in messages)
    assert summary(engine, person_id) == START + " GP aware.\nSchool reports low attendance."


async def test_a_locked_database_keeps_the_summary_typed(
    small_demo_path, demo_settings, monkeypatch, person_id
):
    import coordinator_tui.db as db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    opened = open_database(str(small_demo_path))
    engine = opened.engine
    lock = sqlite3.connect(small_demo_path, isolation_level=None)
    app = make_app(demo_settings, engine)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            form = await open_summary_editor(pilot, app, person_id)
            lock.execute("BEGIN IMMEDIATE")
            await pilot.press(*" Case closed.", "ctrl+s")
            await wait_for(pilot, lambda: "locked" in str(form.query_one("#form-error").content))
            assert app.screen is form
            assert form.query_one("#f-summary", Input).value == START + " Case closed."
            lock.execute("COMMIT")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert summary(engine, person_id) == START + " Case closed."
    finally:
        lock.close()
        engine.dispose()


def test_two_editors_on_postgres(pg_url):
    """Merge and refusal with both versions on a PCN's shared PostgreSQL database."""
    from datetime import date

    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    engine = opened.engine
    try:
        seed_demo(engine, "small", seed=1, today=date(2026, 11, 23))
        with session_scope(engine, "setup") as s:
            person = s.scalars(select(Person).order_by(Person.id).limit(1)).one()
            update_case_summary(s, person.id, START)
            person_id = person.id
        other_saves(engine, person_id, START + "\nGP aware.", base=START)
        with session_scope(engine, "a.user") as s:
            update_case_summary(s, person_id, START + "\nSchool aware.", base=START)
        assert summary(engine, person_id) == START + "\nGP aware.\nSchool aware."
        with pytest.raises(TextConflictError), session_scope(engine, "b.jones") as s:
            update_case_summary(s, person_id, "Closed.", base=START + "\nGP aware.")
        assert summary(engine, person_id) == START + "\nGP aware.\nSchool aware."
    finally:
        engine.dispose()
