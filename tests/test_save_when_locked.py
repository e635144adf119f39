"""Issue 12 §2: a save that meets a locked database leaves the app running, keeps what was
typed, says in one line what happened, and saves when tried again."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from pilot_helpers import wait_for
from sqlmodel import select

from coordinator_tui import db
from coordinator_tui.app import make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
)
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.settings import load_settings

TODAY = date(2026, 11, 23)


@pytest.fixture
def quick_engine(db_path, monkeypatch):
    """A database whose connections wait 0.2 s for a lock, not 5 s: the test holds one."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    opened = open_database(str(db_path))
    with session_scope(opened.engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        cpp = RegisterCategory(code="CPP", name="Child Protection Plan", age_band="child")
        s.add_all([practice, cpp])
        s.flush()
        person = Person(
            nhs_number="9990000301",
            given_name="Kid",
            family_name="Locke",
            search_name="locke kid",
            date_of_birth=date(2015, 1, 1),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        s.add(
            RegisterEntry(
                person_id=person.id,
                category_id=cpp.id,
                practice_id=practice.id,
                start_date=date(2026, 1, 1),
                next_review_due=TODAY - timedelta(days=2),
            )
        )
    yield opened.engine
    opened.engine.dispose()


def reviews(engine) -> list[str]:
    with session_scope(engine, "t") as s:
        return [r.note for r in s.exec(select(RegisterReview))]


async def test_a_review_saved_while_the_database_is_locked_is_kept_and_saved_again(
    quick_engine, db_path
):
    settings = load_settings(str(db_path))
    settings.today = TODAY
    app = make_app(settings, quick_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        form = app.screen
        await pilot.press(*"seen with mum")

        # Another process takes the write lock and keeps it.
        locker = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        try:
            locker.execute("BEGIN IMMEDIATE")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "locked" in str(form.query_one("#form-error").render()))
            # Still running, the same dialog, the note as typed; nothing written.
            assert app.is_running and app.return_code is None
            assert app.screen is form
            assert form.query_one("#f-note").value == "seen with mum"
            error = str(form.query_one("#form-error").render())
            assert error.count("\n") == 0 and "try again" in error
            assert reviews(quick_engine) == []
        finally:
            locker.execute("ROLLBACK")
            locker.close()

        # The lock is gone: the same key saves.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not form.is_attached)
    assert reviews(quick_engine) == ["seen with mum"]


@pytest.fixture
def slow_engine(db_path, monkeypatch, quick_engine):
    """The same database, its connections now waiting up to 20 s for a lock: the test
    holds one, and releases it itself once it has seen the screen stay live."""
    quick_engine.dispose()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 20_000)
    opened = open_database(str(db_path))
    yield opened.engine
    opened.engine.dispose()


async def test_the_screen_stays_live_while_a_save_waits_on_a_lock(slow_engine, db_path):
    """Issue 12 §2: "saves run off the UI thread (a worker) so the screen stays live". A
    save meets a lock held elsewhere: the dialog says Saving… and the app goes on
    answering (a key typed meanwhile is held for after the save, not typed into the
    note, and a second ctrl+s does not save twice); the lock released, the save lands."""
    settings = load_settings(str(db_path))
    settings.today = TODAY
    app = make_app(settings, slow_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        form = app.screen
        await pilot.press(*"seen at school")

        locker = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        try:
            locker.execute("BEGIN IMMEDIATE")
            await pilot.press("ctrl+s")
            # The UI thread is free: the dialog repaints with the progress line while
            # the write waits in its worker (a save on the UI thread could not show it).
            await wait_for(pilot, lambda: "Saving" in str(form.query_one("#form-error").render()))
            assert form.saving and form.is_attached
            await pilot.press("z", "ctrl+s")  # typed while saving: held, not in the note
            for _ in range(5):
                await pilot.pause()
            assert form.query_one("#f-note").value == "seen at school"
            assert reviews(slow_engine) == []
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        await wait_for(pilot, lambda: not form.is_attached, timeout=25)
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
    assert reviews(slow_engine) == ["seen at school"]
