"""Issue 12 §2: "saves run off the UI thread (a worker) so the screen stays live", on every
screen family (the registers' own test is in test_save_when_locked.py).

Each test holds a real SQLite write lock (another connection's ``BEGIN IMMEDIATE``) while
the app's connections wait up to 20 s for it: the save key is pressed, the dialog repaints
with "Saving…" (it could not if the UI thread were the one waiting), nothing is written
yet; the lock released, the save lands and the dialog closes. A save a colleague beat
(a conflict) keeps the dialog and the text, and says who changed what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest
from one_key_write_steps import write_lock
from pilot_helpers import wait_for
from sqlmodel import select
from textual.widgets import Input

from coordinator_tui import db
from coordinator_tui.app import make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    Absence,
    Action,
    Person,
    ProcessUpdate,
    ReferralChase,
)
from coordinator_tui.models.governance import GovernanceSettings
from coordinator_tui.screens.dialog_base import DialogBase
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.services.chronology import update_case_summary
from coordinator_tui.services.governance.agency import agency_settings, save_agency_settings

TUESDAY = date(2026, 11, 24)


@pytest.fixture
def slow_engine(small_demo_path, monkeypatch):
    """The small demo, its connections waiting up to 20 s for a lock: each test holds one
    and lets it go itself once it has seen the screen stay live."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 20_000)
    opened = open_database(str(small_demo_path))
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture
def app(demo_settings, slow_engine):
    return make_app(demo_settings, slow_engine)


def error_line(form: DialogBase) -> str:
    return str(form.query_one("#form-error").render())


async def open_dialog(pilot, app, *keys: str) -> DialogBase:
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(app.screen, DialogBase) and app.screen.focused)
    return app.screen


async def save_while_locked(
    pilot, app, db_path, form: DialogBase, written: Callable[[], bool]
) -> None:
    """``ctrl+s`` while another connection holds the write lock: the dialog says Saving…
    and the app answers while the write waits in its worker; nothing is written until the
    lock goes, then the save lands and the dialog closes."""
    with write_lock(db_path):
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Saving" in error_line(form))
        assert form.saving and app.screen is form and app.is_running
        for _ in range(5):  # the event loop goes on turning while the write waits
            await pilot.pause()
        assert form.saving and form.is_attached
        assert not written()
    await wait_for(pilot, lambda: not form.is_attached, timeout=25)
    await wait_for(pilot, written)
    await app.workers.wait_for_complete()  # the reload after the save, before the app ends
    await pilot.pause()


def count(engine, model, *where) -> int:
    with session_scope(engine, "t") as s:
        return len(s.exec(select(model).where(*where)).all())


# -- meetings ---------------------------------------------------------------------------------


async def test_meetings_an_action_done_while_the_database_is_locked(app, slow_engine, db_path_of):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MeetingsScreen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded)
        await pilot.press("t")
        await wait_for(pilot, lambda: screen.view == "actions" and screen.shown_actions)
        target = screen.current_action()
        form = await open_dialog(pilot, app, "d")
        await pilot.press(*"Seen in clinic")

        def done() -> bool:
            with session_scope(slow_engine, "t") as s:
                return s.get(Action, target.id).outcome == "Seen in clinic"

        await save_while_locked(pilot, app, db_path_of, form, done)
        await wait_for(pilot, lambda: app.screen is screen)


# -- governance -------------------------------------------------------------------------------


@pytest.fixture
def agency_saved(slow_engine) -> None:
    """The agency's settings saved once, so they carry a version a colleague can beat."""
    with session_scope(slow_engine, "setup") as s:
        save_agency_settings(
            s, None, agency_name="Riverside Care", candour_limit_days=10, response_months=6
        )


def agency_name(engine) -> str:
    with session_scope(engine, "t") as s:
        return s.exec(select(GovernanceSettings)).one().agency_name


async def open_agency(pilot, app) -> FormDialog:
    await pilot.press("6")
    await wait_for(
        pilot, lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded
    )
    form = await open_dialog(pilot, app, "G")
    await pilot.press("end", *" Ltd")
    return form


async def test_governance_settings_saved_while_the_database_is_locked(
    app, slow_engine, db_path_of, agency_saved
):
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_agency(pilot, app)
        await save_while_locked(
            pilot,
            app,
            db_path_of,
            form,
            lambda: agency_name(slow_engine) == "Riverside Care Ltd",
        )


async def test_governance_settings_a_colleague_saved_first_keep_the_text(
    app, slow_engine, agency_saved
):
    """The conflict is found in the worker thread: the dialog stays with what was typed
    and says who changed which fields; nothing of the colleague's is overwritten."""
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_agency(pilot, app)
        with session_scope(slow_engine, "b.jones") as s:  # on another PC, meanwhile
            save_agency_settings(
                s,
                agency_settings(s).version,
                agency_name="Riverside Home Care",
                candour_limit_days=10,
                response_months=6,
            )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Refused" in error_line(form))
        line = error_line(form)
        assert "b.jones changed" in line and "agency name" in line
        assert app.screen is form and not form.saving
        assert form.query_one("#f-name", Input).value == "Riverside Care Ltd"
        assert agency_name(slow_engine) == "Riverside Home Care"


# -- registers: a person's case summary -------------------------------------------------------


async def test_person_case_summary_saved_while_the_database_is_locked(app, slow_engine, db_path_of):
    from coordinator_tui.screens.registers.person import PersonScreen

    with session_scope(slow_engine, "setup") as s:
        person_id = s.exec(select(Person.id).order_by(Person.id)).first()
        update_case_summary(s, person_id, "Known to early help.")
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(PersonScreen(person_id))
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        form = await open_dialog(pilot, app, "m")
        await pilot.press("end", *" GP aware.")

        def saved() -> bool:
            with session_scope(slow_engine, "t") as s:
                return s.get(Person, person_id).case_summary == "Known to early help. GP aware."

        await save_while_locked(pilot, app, db_path_of, form, saved)
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))


# -- referrals --------------------------------------------------------------------------------


async def test_referrals_a_chase_saved_while_the_database_is_locked(app, slow_engine, db_path_of):
    from coordinator_tui.screens.referrals.referrals import ReferralsScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded)
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.shown_rows))
        target = screen.referral_target()
        before = count(slow_engine, ReferralChase, ReferralChase.referral_id == target.id)
        form = await open_dialog(pilot, app, "c")
        await pilot.press(*"Rang the duty desk")
        await save_while_locked(
            pilot,
            app,
            db_path_of,
            form,
            lambda: (
                count(slow_engine, ReferralChase, ReferralChase.referral_id == target.id)
                == before + 1
            ),
        )


# -- reports ----------------------------------------------------------------------------------


async def test_reports_a_process_update_sent_while_the_database_is_locked(
    app, slow_engine, db_path_of
):
    from coordinator_tui.screens.reports.process_updates import ProcessUpdatesScreen
    from coordinator_tui.screens.reports.reports import ReportsScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
        await pilot.press("u")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ProcessUpdatesScreen) and app.screen.loaded
        )
        form = await open_dialog(pilot, app, "n")
        await pilot.press(*"Prevent referrals", "tab", *"Through the Channel panel form")
        await pilot.press("tab", "tab", *"Prevent duty guidance 2023")
        await save_while_locked(
            pilot,
            app,
            db_path_of,
            form,
            lambda: (
                count(slow_engine, ProcessUpdate, ProcessUpdate.title == "Prevent referrals") == 1
            ),
        )


# -- rota -------------------------------------------------------------------------------------


async def test_rota_an_absence_marked_while_the_database_is_locked(
    app, slow_engine, db_path_of, monkeypatch
):
    """``b`` on a carer's Tuesday: the absence is written in the dialog's worker; Plan B
    follows once it is."""
    from coordinator_tui.screens.rota.grid import RotaScreen
    from coordinator_tui.screens.rota.plan_b import PlanBScreen
    from coordinator_tui.widgets.cell_grid import CellGrid

    monkeypatch.setattr(app.settings, "now", time(5, 0))  # before the week
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        screen = app.screen
        state = screen.rota.state
        carer = next(c for c in screen.rota.carers if state.day_visits(c.id, TUESDAY))
        grid = screen.query_one("#rota-grid", CellGrid)
        grid.focus()
        grid.move_cursor(
            row=[c.id for c in screen.rota.carers].index(carer.id),
            column=screen.rota.days.index(TUESDAY) + 1,
        )
        await pilot.pause()
        form = await open_dialog(pilot, app, "b")
        await save_while_locked(
            pilot,
            app,
            db_path_of,
            form,
            lambda: (
                count(
                    slow_engine,
                    Absence,
                    Absence.carer_id == carer.id,
                    Absence.start_date == TUESDAY,
                )
                == 1
            ),
        )
        await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen), timeout=20)


@pytest.fixture
def db_path_of(small_demo_path):
    return small_demo_path
