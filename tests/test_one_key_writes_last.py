# ruff: noqa: F811  (pytest fixtures imported from one_key_write_steps)
"""Issue 12 §2, "saves run off the UI thread (a worker) so the screen stays live", for the
last one-key writes (``screens/background_write.py``) and the account form
(``screens/dialog_base.py``): an account disabled (``d``) and added, a record entry copied
(``c``) and the entries written (``w``), a decision and an action recorded while minuting
(``enter`` on their lines), and the sharing report exported (``E``).

As in ``one_key_write_steps``: another connection holds a real SQLite write lock
(``BEGIN IMMEDIATE``) while the app's connections wait up to 20 s. The key is pressed;
the screen says "Saving…" (it could not if the UI thread were the one waiting); a key
typed meanwhile is held; nothing is written. The lock released, the write lands and the
held key acts after it. Then the same key with a lock held past a short busy timeout:
refused in one line, the database and the screen as they were, and the screen takes keys
again."""

from __future__ import annotations

import pytest
from one_key_write_steps import (
    app_quick,  # noqa: F401 (fixtures)
    app_slow,  # noqa: F401
    db_file,  # noqa: F401
    notes,
    press_while_locked,
    quick_engine,  # noqa: F401
    refused_while_locked,
    slow_engine,  # noqa: F401
)
from pilot_helpers import shown_text, wait_for
from sqlmodel import select
from test_one_key_writes_more import exports
from textual.widgets import DataTable, Input, TextArea

from coordinator_tui.db import session_scope
from coordinator_tui.models import Account
from coordinator_tui.screens.type_ahead import SAVING_HOLD
from coordinator_tui.services import accounts

DECEMBER = 5  # the small demo's next meeting
NOVEMBER = 4  # the small demo's finished meeting


# -- accounts: d (disable), the account form's save --------------------------------------------


def add_colleague(engine, username: str = "jo.lead") -> int:
    from test_accounts_app import add_account

    return add_account(engine, username)


def is_active(engine, account_id: int) -> bool:
    with session_scope(engine, "t") as s:
        return s.get(Account, account_id).active


def account_named(engine, username: str) -> Account | None:
    with session_scope(engine, "t") as s:
        found = accounts.find_account(s, username)
        if found is not None:
            s.expunge(found)
        return found


async def open_users(pilot, app, username: str | None = None):
    """The users screen, its cursor on ``username`` (else on the first row)."""
    from coordinator_tui.screens.accounts.users import UsersScreen

    await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
    app.open_users()
    await wait_for(pilot, lambda: isinstance(app.screen, UsersScreen) and app.screen.rows)
    screen = app.screen
    index = [row.username for row in screen.rows].index(username) if username else 0
    screen.query_one(DataTable).move_cursor(row=index)
    await wait_for(pilot, lambda: screen.query_one(DataTable).cursor_row == index)
    return screen, index


async def test_account_disabled_while_locked(app_slow, slow_engine, db_file):
    """``d``: Saving… under the list, ``up`` held; the lock gone, the account is disabled,
    the list says so and the cursor moves up after."""
    add_colleague(slow_engine, "ann.other")
    add_colleague(slow_engine, "jo.lead")
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_users(pilot, app)
        table = screen.query_one(DataTable)
        table.move_cursor(row=1)
        await wait_for(pilot, lambda: table.cursor_row == 1)
        row = screen.rows[1]
        message = screen.query_one("#users-message")
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("d",),
            lambda: not is_active(slow_engine, row.id),
            line="#users-message",
            held=("up",),
        )
        await wait_for(pilot, lambda: f"{row.username} disabled" in shown_text(message))
        await wait_for(pilot, lambda: not screen.rows[1].active)
        await wait_for(pilot, lambda: table.cursor_row == 0)  # the held up, after


async def test_account_disable_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    """Refused in the one line under the list; the account and the list as they were; the
    same key again, the lock gone, disables it."""
    account_id = add_colleague(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen, index = await open_users(pilot, app, "jo.lead")
        message = screen.query_one("#users-message")
        await refused_while_locked(
            pilot, app, screen, db_file, ("d",), said=lambda: "locked" in shown_text(message)
        )
        assert is_active(quick_engine, account_id) and screen.rows[index].active
        await pilot.press("d")
        await wait_for(pilot, lambda: not is_active(quick_engine, account_id))


async def fill_new_account(pilot, app):
    from coordinator_tui.screens.accounts.users import AccountForm

    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, AccountForm) and app.screen.focused)
    form = app.screen
    await pilot.press(*"kim.sup", "enter", *"Kim Sup", "enter", *"care supervisor", "enter")
    await pilot.press("enter", *"blue fox river", "enter", *"blue fox river")
    await wait_for(pilot, lambda: form.values()["again"] == "blue fox river")
    return form


async def test_account_form_saves_in_a_worker_while_locked(app_slow, slow_engine, db_file):
    """``ctrl+s`` in the new account form: the form says Saving… and stays live, a key
    typed meanwhile waits; no account until the lock goes; then the form closes, the list
    shows the account, and the held ``down`` moves the list's cursor."""
    add_colleague(slow_engine)  # two rows with kim.sup, for the held down
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_users(pilot, app)
        table = screen.query_one(DataTable)
        form = await fill_new_account(pilot, app)
        await press_while_locked(
            pilot,
            app,
            form,
            db_file,
            ("ctrl+s",),
            lambda: account_named(slow_engine, "kim.sup") is not None,
            line="#form-error",
            held=("down",),
            writing=lambda: form.saving,
            hold=SAVING_HOLD,
            on_top=True,
        )
        await wait_for(pilot, lambda: app.screen is screen, timeout=25)
        await wait_for(pilot, lambda: "kim.sup" in [row.username for row in screen.rows])
        assert "kim.sup added" in shown_text(screen.query_one("#users-message"))
        assert account_named(slow_engine, "kim.sup").must_change_password
        await wait_for(pilot, lambda: table.cursor_row == 1)  # the held down, on the list


async def test_account_form_refused_past_the_busy_timeout_keeps_what_was_typed(
    app_quick, quick_engine, db_file
):
    """A locked database: one line in the form, the form open with every field as typed,
    no account; ``ctrl+s`` again, the lock gone, saves it."""
    add_colleague(quick_engine)  # a row to list (the demo has no accounts)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_users(pilot, app)
        form = await fill_new_account(pilot, app)
        typed = form.values()
        error = form.query_one("#form-error")
        await refused_while_locked(
            pilot,
            app,
            form,
            db_file,
            ("ctrl+s",),
            said=lambda: "locked" in shown_text(error, width=70),
            writing=lambda: form.saving,
            hold=SAVING_HOLD,
            watch_writing=False,
        )
        assert "✗" in shown_text(error, width=70)
        assert app.screen is form and form.values() == typed
        assert account_named(quick_engine, "kim.sup") is None
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        assert account_named(quick_engine, "kim.sup") is not None


async def test_account_form_asks_before_throwing_away_what_was_typed(
    demo_settings, small_demo_engine
):
    """``esc`` on the form with something typed asks first (``n`` keeps it all); ``esc``
    ``y`` closes it and writes nothing; an untouched form closes at once."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.accounts.users import AccountForm
    from coordinator_tui.screens.dialog_base import DiscardDialog

    add_colleague(small_demo_engine)  # a row to list (the demo has no accounts)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _ = await open_users(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AccountForm) and app.screen.focused)
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: app.screen is screen)
        form = await fill_new_account(pilot, app)
        typed = form.values()
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is form)
        assert form.values() == typed
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen)
    assert account_named(small_demo_engine, "kim.sup") is None


async def test_account_form_passwords_that_differ_are_one_line(demo_settings, small_demo_engine):
    from coordinator_tui.app import make_app

    add_colleague(small_demo_engine)  # a row to list (the demo has no accounts)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_users(pilot, app)
        form = await fill_new_account(pilot, app)
        form.query_one("#account-again", Input).value = "blue fox rivers"
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error")
        await wait_for(pilot, lambda: "The two passwords differ" in shown_text(error, width=70))
        assert app.screen is form
    assert account_named(small_demo_engine, "kim.sup") is None


# -- record entries: c (copied, audited first), w (the files) ----------------------------------


async def open_entries(pilot, app):
    from coordinator_tui.screens.meetings.entries import RecordEntriesScreen

    app.push_screen(RecordEntriesScreen(NOVEMBER))
    await wait_for(pilot, lambda: isinstance(app.screen, RecordEntriesScreen) and app.screen.loaded)
    screen = app.screen
    assert len(screen.entries) > 1
    return screen


async def test_record_entry_copied_while_locked(app_slow, slow_engine, db_file, monkeypatch):
    """``c``: Saving… in the heading, ``down`` held; nothing reaches the clipboard until
    the audit record is made; then the entry is copied and the held ``down`` moves on."""
    from textual.app import App
    from textual.widgets import OptionList

    copied: list[str] = []
    monkeypatch.setattr(App, "copy_to_clipboard", lambda _app, text: copied.append(text))
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entries(pilot, app)
        first = screen.current()
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("c",),
            lambda: exports(slow_engine, "clipboard") == 1,
            line="#entries-head",
            held=("down",),
        )
        assert copied == [first.text]
        await wait_for(pilot, lambda: f"Entry for {first.name} copied" in notes(app))
        await wait_for(pilot, lambda: screen.query_one(OptionList).highlighted == 1)
        assert "Saving" not in shown_text(screen.query_one("#entries-head"))


async def test_record_entry_copy_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file, monkeypatch
):
    from textual.app import App

    copied: list[str] = []
    monkeypatch.setattr(App, "copy_to_clipboard", lambda _app, text: copied.append(text))
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entries(pilot, app)
        await refused_while_locked(pilot, app, screen, db_file, ("c",))
        assert "Not copied" in notes(app)
        assert copied == [] and exports(quick_engine, "clipboard") == 0  # nothing left
        await pilot.press("c")
        await wait_for(pilot, lambda: len(copied) == 1)
        assert exports(quick_engine, "clipboard") == 1


async def test_record_entries_written_while_locked(app_slow, slow_engine, db_file):
    """``w``: Saving… said, ``down`` held; then one owner-only file per person."""
    from textual.widgets import OptionList

    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entries(pilot, app)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("w",),
            lambda: exports(slow_engine, "record entries") == 1,
            line="#entries-head",
            held=("down",),
        )
        await wait_for(pilot, lambda: len(screen.written) == len(screen.entries))
        assert all(path.exists() and path.stat().st_mode & 0o077 == 0 for path in screen.written)
        assert "entries written to" in notes(app)
        await wait_for(pilot, lambda: screen.query_one(OptionList).highlighted == 1)


async def test_record_entries_write_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entries(pilot, app)
        await refused_while_locked(pilot, app, screen, db_file, ("w",))
        assert screen.written == [] and exports(quick_engine, "record entries") == 0
        assert not list(db_file.parent.rglob("*.txt"))  # no entry left beside the database
        await pilot.press("w")
        await wait_for(pilot, lambda: len(screen.written) == len(screen.entries))


# -- minuting: a decision (ctrl+r … enter), an action (ctrl+l … enter) -------------------------


@pytest.fixture
def started(slow_engine):
    from coordinator_tui.services.meetings.minuting import start_meeting

    with session_scope(slow_engine, "setup") as s:
        start_meeting(s, DECEMBER)


@pytest.fixture
def started_quick(quick_engine):
    from coordinator_tui.services.meetings.minuting import start_meeting

    with session_scope(quick_engine, "setup") as s:
        start_meeting(s, DECEMBER)


def recorded(engine, item_id: int) -> tuple[list[str], int]:
    """The item's decisions' texts and its number of actions, as stored."""
    from coordinator_tui.models import Action, Decision

    with session_scope(engine, "t") as s:
        decisions = s.exec(select(Decision.text).where(Decision.agenda_item_id == item_id)).all()
        actions = s.exec(select(Action.id).where(Action.agenda_item_id == item_id)).all()
        return list(decisions), len(actions)


async def open_minuting(pilot, app):
    from coordinator_tui.screens.meetings.minuting import MinutingScreen

    app.push_screen(MinutingScreen(DECEMBER))
    await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded)
    screen = app.screen
    await wait_for(pilot, lambda: app.focused is screen.query_one("#min-notes"))
    return screen


async def test_decision_and_action_recorded_while_locked(app_slow, slow_engine, db_file, started):
    """``enter`` on the decision line: Saving… under the lines, ``x`` typed meanwhile is
    held; the lock gone, the decision is stored and shown, the focus is back in the notes
    and the held ``x`` is typed there. The same for an action."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        item_id = screen.item.id
        notes_area = screen.query_one("#min-notes", TextArea)
        before = notes_area.text
        await pilot.press("ctrl+r", *"Continue plan")
        await wait_for(
            pilot, lambda: screen.query_one("#min-decision", Input).value == "Continue plan"
        )
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("enter",),
            lambda: recorded(slow_engine, item_id)[0] == ["Continue plan"],
            line="#min-preview",
            held=("x",),
        )
        await wait_for(pilot, lambda: len(screen.item.decisions) == 1)
        assert screen.query_one("#min-decision", Input).value == ""
        await wait_for(pilot, lambda: notes_area.text == before + "x")  # the held x, after
        assert app.focused is notes_area

        await pilot.press("ctrl+l", *"GP +2w chase SN")
        await wait_for(pilot, lambda: screen.preview is not None and screen.preview.ok)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("enter",),
            lambda: recorded(slow_engine, item_id)[1] == 1,
            line="#min-preview",
            held=("y",),
        )
        await wait_for(pilot, lambda: len(screen.item.actions) == 1)
        assert screen.query_one("#min-action", Input).value == "" and screen.preview is None
        await wait_for(pilot, lambda: notes_area.text == before + "xy")
        assert "Action added" in notes(app)


async def test_decision_refused_past_the_busy_timeout_keeps_the_line(
    app_quick, quick_engine, db_file, started_quick
):
    """Refused in one line: nothing stored, the decision still in its line (``enter``
    again records it), the action line and its preview kept likewise."""
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_minuting(pilot, app)
        item_id = screen.item.id
        await pilot.press("ctrl+r", *"Continue plan")
        decision = screen.query_one("#min-decision", Input)
        await wait_for(pilot, lambda: decision.value == "Continue plan")
        await refused_while_locked(pilot, app, screen, db_file, ("enter",))
        assert recorded(quick_engine, item_id) == ([], 0) and screen.item.decisions == []
        assert decision.value == "Continue plan" and app.focused is decision
        app.clear_notifications()

        await pilot.press("ctrl+l", *"GP +2w chase SN")
        await wait_for(pilot, lambda: screen.preview is not None and screen.preview.ok)
        action = screen.query_one("#min-action", Input)
        await refused_while_locked(pilot, app, screen, db_file, ("enter",))
        assert recorded(quick_engine, item_id) == ([], 0)
        assert action.value == "GP +2w chase SN" and screen.preview is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: recorded(quick_engine, item_id)[1] == 1)


# -- the sharing report: E ---------------------------------------------------------------------


async def open_sharing(pilot, app):
    from test_one_key_writes_more import open_report

    from coordinator_tui.screens.reports.sharing import SharingReportScreen

    return await open_report(pilot, app, "s", SharingReportScreen)


async def test_sharing_report_exported_while_locked(app_slow, slow_engine, db_file):
    """``E``: Saving… in the detail line, ``w`` held; no audit record until the lock goes;
    then the CSV, and the held ``w`` shows the decisions without consent only, after."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sharing(pilot, app)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("E",),
            lambda: exports(slow_engine, "sharing report") == 1,
            line="#sharing-detail",
            held=("w",),
        )
        await wait_for(pilot, lambda: screen.last_export is not None)
        assert screen.last_export.exists() and screen.last_export.stat().st_mode & 0o077 == 0
        await wait_for(pilot, lambda: "Sharing report exported" in notes(app))
        await wait_for(pilot, lambda: screen.without_consent)  # the held w, after


async def test_sharing_report_export_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file, demo_settings
):
    folder = demo_settings.export_dir
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sharing(pilot, app)
        detail = shown_text(screen.query_one("#sharing-detail"))
        await refused_while_locked(pilot, app, screen, db_file, ("E",))
        assert exports(quick_engine, "sharing report") == 0 and screen.last_export is None
        assert not folder.exists() or not any(folder.iterdir())  # nothing left the app
        assert shown_text(screen.query_one("#sharing-detail")) == detail  # Saving… gone
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.last_export is not None)


async def test_sharing_export_asks_for_the_password_before_writing(
    demo_settings, small_demo_engine, monkeypatch
):
    """``E`` when the password was given ten minutes ago: the prompt comes up and the
    refusal is one line, with no file and no audit record; the password given, ``E``
    writes the export (in its worker) as before."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from test_accounts_app import PASSWORD, add_account, home_loaded, sign_in

    from coordinator_tui.app import CoordinatorApp, make_app
    from coordinator_tui.screens.accounts.sign_in import StepUpScreen

    monkeypatch.setattr(CoordinatorApp, "start_principal", None)  # signed in with a password
    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        screen = await open_sharing(pilot, app)
        app.principal = replace(
            app.principal, authenticated_at=datetime.now(UTC) - timedelta(minutes=10)
        )
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await wait_for(pilot, lambda: not screen.writing and "Confirm it is you" in notes(app))
        assert exports(small_demo_engine, "sharing report") == 0 and screen.last_export is None
        assert not demo_settings.export_dir.exists() or not any(demo_settings.export_dir.iterdir())
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.last_export is not None)
        assert exports(small_demo_engine, "sharing report") == 1


async def test_account_form_typed_in_one_burst_keeps_every_key(demo_settings, small_demo_engine):
    """Keys delivered as a terminal delivers fast typing (all queued at once): each field
    gets what was typed for it, and a key after a pause adds to the last field, never
    replacing what was typed there (no select-all on the field's late focus event)."""
    from textual import events

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.accounts.users import AccountForm

    def burst(*keys: str) -> None:
        for key in keys:
            app.post_message(events.Key(key, key if len(key) == 1 else None))

    add_colleague(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_users(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AccountForm) and app.screen.focused)
        form = app.screen
        burst(*"kim.sup", "enter", *"Kim", "enter", *"care supervisor", "enter", "enter")
        burst(*"blue fox river", "enter", *"blue fox rive")
        await wait_for(pilot, lambda: form.values()["again"] == "blue fox rive")
        for _ in range(5):
            await pilot.pause()
        burst("r")
        await wait_for(pilot, lambda: form.values()["again"] != "blue fox rive")
        assert form.values() == {
            "username": "kim.sup",
            "name": "Kim",
            "roles": "care supervisor",
            "practices": "",
            "password": "blue fox river",
            "again": "blue fox river",
        }
