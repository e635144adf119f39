"""Sign-in, the lock, the blank key, step-up and a refused role, driven as a user does
(issue 17 §1-3). Asserted on the rendered screen and in the database.

These tests start the app with nobody signed in (``CoordinatorApp.start_principal`` set
back to None): the app must ask, and show nothing of anyone until answered.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import select

from coordinator_tui.app import CoordinatorApp, make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Account, AuditEvent, Person
from coordinator_tui.services import accounts

PASSWORD = "tea kettle owl"


@pytest.fixture(autouse=True)
def _nobody_signed_in(monkeypatch) -> None:
    monkeypatch.setattr(CoordinatorApp, "start_principal", None)


def add_account(engine, username="jo.lead", roles=("safeguarding_lead",), **kw) -> int:
    kw.setdefault("all_practices", True)  # PCN-wide, as most coordinators
    with session_scope(engine, "admin.os") as s:
        account_id = accounts.create_account(
            s, username, username.title(), PASSWORD, roles, datetime.now(UTC), **kw
        )
        s.get(Account, account_id).must_change_password = False
    return account_id


def screen_text(app) -> str:
    """Everything drawn on the terminal now, as text (from the app's own screenshot)."""
    svg = app.export_screenshot()
    svg = re.sub(r"<(style|title)[^>]*>.*?</\1>", "", svg, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", "", svg)
    return html.unescape(text).replace("\xa0", " ")


def message(app) -> str:
    """The sign-in screen's one line, as drawn (whatever its width wraps it to)."""
    return " ".join(shown_text(app.screen.query_one("#signin-message")).split())


def access_events(engine) -> list[tuple[str, str, int | None, dict]]:
    with session_scope(engine, "read") as s:
        rows = s.exec(
            select(AuditEvent).where(AuditEvent.table_name == "account").order_by(AuditEvent.id)
        ).all()
        return [
            (e.actor, e.action, e.row_id, json.loads(e.changes))
            for e in rows
            if e.action not in ("insert", "update", "delete")
        ]


async def sign_in(pilot, username: str, password: str) -> None:
    from coordinator_tui.screens.accounts.sign_in import SignInScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.ready)
    await pilot.press(*username, "enter", *password, "enter")


async def home_loaded(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)


async def test_sign_in_opens_home_and_is_audited(demo_settings, small_demo_engine):
    account_id = add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert "Sign in" in shown and "Register reviews overdue" not in shown
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        assert "signed in as Jo.Lead" in screen_text(app)
        assert app.principal is not None and app.principal.account_id == account_id
        await pilot.press("ctrl+q")
    assert access_events(small_demo_engine)[-2:] == [
        ("jo.lead", "sign-in", account_id, {}),
        ("jo.lead", "sign-out", account_id, {"reason": "quit"}),
    ]


async def test_keys_do_nothing_before_sign_in(demo_settings, small_demo_engine):
    """The sections, the palette and the forms are shut until someone signs in."""
    from coordinator_tui.screens.accounts.sign_in import SignInScreen

    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.ready)
        app.set_focus(None)
        await pilot.press("2", "ctrl+p", "f4", "f12")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen) and app.current_mode == "home"
        assert app.principal is None


async def test_wrong_password_is_one_line_and_the_delay_grows(demo_settings, small_demo_engine):
    account_id = add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", "wrong wrong wrong")
        await wait_for(pilot, lambda: accounts.NOT_RECOGNISED in screen_text(app))
        assert message(app).strip() == accounts.NOT_RECOGNISED  # one line
        assert app.principal is None
        password = app.screen.query_one("#signin-password")
        assert password.value == ""  # emptied for the next try; the user name kept
        for _ in range(4):
            await pilot.press(*"wrong wrong wrong", "enter")
            await wait_for(pilot, lambda: not app.screen.busy)
        await wait_for(pilot, lambda: "Too many failed attempts: wait 5 s" in message(app))
        # the right password now is not even checked until the wait is over
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: not app.screen.busy)
        assert app.principal is None and "Too many failed attempts" in message(app)
    with session_scope(small_demo_engine, "read") as s:
        assert s.get(Account, account_id).failed_attempts == 5
    fails = [e for e in access_events(small_demo_engine) if e[1] == "sign-fail"]
    assert len(fails) == 6 and fails[-1][3] == {"reason": "waiting"}


async def test_first_start_asks_for_the_first_administrator(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.sign_in import FirstAdminScreen

    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FirstAdminScreen))
        assert "first administrator" in screen_text(app)
        # typed in one go, as fast as keys come: each enter moves on to the next field
        await pilot.press(*"ann.admin", "enter", *"Ann Admin", "enter")
        await pilot.press(*"password1234", "enter", *"password1234", "enter")
        await wait_for(pilot, lambda: "too common" in screen_text(app))
        await pilot.press(*"blue fox river", "enter", *"blue fox river", "enter")
        await home_loaded(pilot)
        assert "signed in as Ann Admin" in screen_text(app)
    with session_scope(small_demo_engine, "read") as s:
        account = s.exec(select(Account)).one()
        assert account.username == "ann.admin" and account.password_hash.startswith("$argon2id")
        assert accounts.roles_of(s, account.id) == ["administrator", "safeguarding_lead"]


async def open_a_person(pilot) -> str:
    """Registers, the first entry's record; returns the person's family name."""
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    app = pilot.app
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
    return app.screen.summary.family_name


async def test_idle_lock_shows_nothing_of_anyone_and_keeps_the_typing(
    demo_settings, small_demo_engine
):
    from coordinator_tui.screens.accounts.sign_in import LockScreen
    from coordinator_tui.screens.form_dialog import FormDialog

    account_id = add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        family = await open_a_person(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("tab", *"school nurse", "tab", *"Left a voicemail")
        assert family.upper() in screen_text(app)  # the record is on screen beneath
        # four minutes idle: still open; five: locked
        start = app.idle_clock()
        app.idle_clock = lambda: start + 4 * 60
        app.check_idle_lock()
        await pilot.pause()
        assert not isinstance(app.screen, LockScreen)
        app.idle_clock = lambda: start + 5 * 60 + 1
        app.check_idle_lock()
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        await pilot.pause()
        shown = screen_text(app)
        assert "Locked" in shown
        assert family.upper() not in shown and family not in shown
        assert "voicemail" not in shown and "school nurse" not in shown
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        texts = [w.value for w in form.query("Input")] + [w.text for w in form.query("TextArea")]
        assert "school nurse" in texts and "Left a voicemail" in texts
    events = access_events(small_demo_engine)
    assert ("jo.lead", "lock", account_id, {"reason": "idle"}) in events
    assert ("jo.lead", "unlock", account_id, {}) in events


@pytest.mark.parametrize("typed", ["", "12"], ids=["enter", "anything-then-enter"])
async def test_the_demo_user_unlocks_with_enter(demo_settings, small_demo_engine, typed):
    """``coordinator-tui demo``'s user has no account: an idle lock asked them for a
    password no account holds, and the only way out was to quit (found in tmux). The
    lock says enter carries on; enter (whatever was typed in the password box) goes back
    to where they were, typing kept, the lock and unlock audited."""
    from coordinator_tui.screens.accounts.sign_in import LockScreen
    from coordinator_tui.screens.form_dialog import FormDialog
    from coordinator_tui.services.access import demo_principal

    app = make_app(demo_settings, small_demo_engine, principal=demo_principal())
    async with app.run_test(size=(80, 24)) as pilot:
        await home_loaded(pilot)
        await pilot.press("f4")  # the incident form, from anywhere
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await pilot.press(*"Fell in the hall")
        start = app.idle_clock()
        app.idle_clock = lambda: start + 5 * 60 + 1
        app.check_idle_lock()
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        await wait_for(pilot, lambda: "enter to carry on" in " ".join(screen_text(app).split()))
        await pilot.press(*typed, "enter")
        await wait_for(pilot, lambda: app.screen is form)
        values = [w.value for w in form.query("Input")] + [w.text for w in form.query("TextArea")]
        assert any("Fell in the hall" in v for v in values)
        assert app.principal is not None and app.principal.kind == "demo"


async def test_blank_key_blanks_at_once_and_brings_it_back(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.sign_in import BlankScreen, LockScreen
    from coordinator_tui.screens.registers.person import PersonScreen

    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        family = await open_a_person(pilot)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, BlankScreen))
        assert family.upper() not in screen_text(app)
        assert screen_text(app).strip() in ("", app.title)  # the screenshot's window title
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert family.upper() in screen_text(app)
        # the Windows-terminal alias, then enter: the password brings it back instead
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, BlankScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))


async def test_switch_user_closes_the_previous_users_screens(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.sign_in import LockScreen

    first = add_account(small_demo_engine)
    second = add_account(small_demo_engine, "sam.lead", roles=("safeguarding_coordinator",))
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        family = await open_a_person(pilot)
        app.lock("switch user")
        await wait_for(
            pilot, lambda: isinstance(app.screen, LockScreen) and app.screen.query("#signin-user")
        )
        user = app.screen.query_one("#signin-user")
        app.screen.set_focus(user)
        user.value = ""
        await pilot.press(*"sam.lead", "enter", *PASSWORD, "enter")
        await home_loaded(pilot)
        assert app.principal.account_id == second and app.current_mode == "home"
        assert family.upper() not in screen_text(app)
        assert "signed in as Sam.Lead" in screen_text(app)
        assert len(app.screen_stack) == 1
    events = access_events(small_demo_engine)
    assert ("jo.lead", "sign-out", first, {"reason": "switch user"}) in events
    assert ("sam.lead", "sign-in", second, {}) in events


async def test_export_asks_for_the_password_again(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.sign_in import StepUpScreen

    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        await open_a_person(pilot)
        # the password was given ten minutes ago
        earlier = datetime.now(UTC) - timedelta(minutes=10)
        app.principal = replace(app.principal, authenticated_at=earlier)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, StepUpScreen))
        assert not demo_settings.export_dir.exists() or not any(demo_settings.export_dir.iterdir())
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, StepUpScreen))
        await pilot.press("E")
        await wait_for(
            pilot,
            lambda: demo_settings.export_dir.exists() and any(demo_settings.export_dir.iterdir()),
        )
    actions = [e[1] for e in access_events(small_demo_engine)]
    assert actions == ["sign-in", "step-up"]


async def test_a_role_is_refused_the_record_with_a_clear_message(demo_settings, small_demo_engine):
    """A care supervisor (homecare) opening a safeguarding record: refused in the service,
    one clear line on the record's screen (not "Loading…"), and nothing of the person."""
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    add_account(small_demo_engine, "sam.care", roles=("care_supervisor",))
    app = make_app(demo_settings, small_demo_engine)
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(str(message)), notify(message, **kw))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "sam.care", PASSWORD)
        await home_loaded(pilot)
        await pilot.press("2")  # the registers' queue is refused in its service
        # ... shown as its one line on the queue's screen (issue 17), not a notification.
        await wait_for(pilot, lambda: "Not permitted" in screen_text(app))
        assert isinstance(app.screen, RegistersScreen)
        assert not any("Not permitted" in line for line in said)
        said.clear()
        with session_scope(small_demo_engine, "read") as s:
            person_id = s.exec(select(Person.id).order_by(Person.id)).first()
        app.push_screen(PersonScreen(person_id))  # as the palette's people search opens one
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        refusal = (
            "Not permitted: your roles (Care supervisor) do not allow you to view the "
            "safeguarding registers and people's records. An administrator can grant it."
        )
        await wait_for(pilot, lambda: refusal in " ".join(screen_text(app).split()))
        assert app.screen.summary is None and "Loading" not in screen_text(app)
        assert not any("Not permitted" in line for line in said)  # on the screen instead


async def test_users_screen_adds_an_account(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.users import AccountForm, UsersScreen

    add_account(small_demo_engine, "ann.admin", roles=("administrator",))
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "ann.admin", PASSWORD)
        await home_loaded(pilot)
        app.open_users()
        await wait_for(pilot, lambda: isinstance(app.screen, UsersScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AccountForm))
        await pilot.press(*"kim.sup", "enter", *"Kim Sup", "enter", *"care supervisor", "enter")
        await pilot.press("enter", *"blue fox river", "enter", *"blue fox river", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UsersScreen))
        # The save's toast names the account before the list's reload lands (under load,
        # seconds before): wait for the list's row, role and all.
        await wait_for(
            pilot, lambda: "kim.sup" in (text := screen_text(app)) and "Care supervisor" in text
        )
    with session_scope(small_demo_engine, "read") as s:
        kim = accounts.find_account(s, "kim.sup")
        assert kim is not None and kim.must_change_password
        assert accounts.roles_of(s, kim.id) == ["care_supervisor"]


async def test_users_screen_is_refused_to_others(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.users import UsersScreen

    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        assert "Users" not in [c[0] for c in app.account_commands()]
        app.open_users()
        await wait_for(pilot, lambda: isinstance(app.screen, UsersScreen))
        await wait_for(pilot, lambda: "Not permitted" in screen_text(app))
        assert "jo.lead" not in screen_text(app).split("Not permitted")[0].split("Users", 1)[-1]


async def test_demo_user_is_signed_in_and_the_header_says_so(demo_settings, small_demo_engine):
    from coordinator_tui.services.access import demo_principal

    app = make_app(demo_settings, small_demo_engine, principal=demo_principal())
    async with app.run_test(size=(120, 40)) as pilot:
        await home_loaded(pilot)
        shown = screen_text(app)
        assert "demo: signed in automatically as Demo user" in shown
        assert "signed in as Demo user (demo)" in shown


async def test_a_reset_password_is_replaced_at_sign_in(demo_settings, small_demo_engine):
    from coordinator_tui.screens.accounts.sign_in import ChangePasswordScreen

    account_id = add_account(small_demo_engine)
    with session_scope(small_demo_engine, "admin.os") as s:
        accounts.reset_password(s, account_id, "blue fox river", datetime.now(UTC))
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", "blue fox river")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangePasswordScreen))
        await pilot.press(*"blue fox river", "enter", *"green owl lake", "enter")
        await pilot.press(*"green owl lake", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ChangePasswordScreen))
        assert not app.principal.must_change_password
    with session_scope(small_demo_engine, "read") as s:
        assert not s.get(Account, account_id).must_change_password
