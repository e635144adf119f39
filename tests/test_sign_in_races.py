"""Sign-ins at the same moment, and a sign-in that meets a locked database (issue 17, found
with 20 browser tabs on one database, issue 20): the same account signing in from two tabs
is not refused as "someone else changed this record", and a refusal that is not about the
password keeps what was typed, as its line says."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from pilot_helpers import wait_for
from test_accounts_app import (  # noqa: F401
    PASSWORD,
    _nobody_signed_in,
    add_account,
    message,
    sign_in,
)
from textual.widgets import Input

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Account
from coordinator_tui.services import accounts
from coordinator_tui.services.access import Principal
from coordinator_tui.services.errors import ConflictError, DatabaseUnavailableError

NOBODY = Principal(username=accounts.NOT_SIGNED_IN, kind="anonymous")


def test_a_sign_in_of_the_same_account_meanwhile_is_checked_again_not_refused(engine):
    """Another tab's sign-in of the same account wrote its row first: this try's write
    meets a stale version (``session_scope`` raises it as a ``ConflictError``, as
    ``tests/test_errors.py`` shows). The next try reads the row afresh and signs in; the
    conflict message never reaches the person signing in."""
    add_account(engine)
    tries = []

    @contextmanager
    def unit_of_work():
        tries.append(1)
        with session_scope(engine, NOBODY) as session:
            yield session
            if len(tries) == 1:
                raise ConflictError(
                    "Refused: someone else changed this record while you were saving."
                )

    outcome = accounts.sign_in_again_on_a_race(unit_of_work, "jo.lead", PASSWORD, datetime.now(UTC))
    assert outcome.principal is not None and outcome.principal.username == "jo.lead"
    assert len(tries) == 2


def test_a_race_that_goes_on_is_refused_in_the_end(engine):
    add_account(engine)

    @contextmanager
    def unit_of_work():
        with session_scope(engine, NOBODY) as session:
            yield session
            raise ConflictError("Refused: someone else changed this record.")

    with pytest.raises(ConflictError):
        accounts.sign_in_again_on_a_race(unit_of_work, "jo.lead", PASSWORD, datetime.now(UTC))


def test_a_wrong_password_is_not_tried_again(engine):
    add_account(engine)
    tries = []

    def unit_of_work():
        tries.append(1)
        return session_scope(engine, NOBODY)

    outcome = accounts.sign_in_again_on_a_race(unit_of_work, "jo.lead", "wrong", datetime.now(UTC))
    assert outcome.principal is None and len(tries) == 1
    with session_scope(engine, "read") as s:
        assert s.get(Account, 1).failed_attempts == 1  # counted once


async def test_a_locked_database_at_sign_in_keeps_what_was_typed(
    demo_settings, small_demo_engine, monkeypatch
):
    add_account(small_demo_engine)

    real = accounts.sign_in_again_on_a_race
    calls = []

    def locked(*args, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseUnavailableError(
                "Another user or window is saving to the database just now (it is locked): "
                "nothing was saved and anything typed is kept; try again in a moment."
            )
        return real(*args, **kw)

    monkeypatch.setattr(accounts, "sign_in_again_on_a_race", locked)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await wait_for(pilot, lambda: "locked" in message(app))
        assert app.screen.query_one("#signin-password", Input).value == PASSWORD
        assert app.screen.query_one("#signin-user", Input).value == "jo.lead"
        await pilot.press("enter")  # the same key again, once the lock has gone
        await wait_for(pilot, lambda: getattr(app, "principal", None) is not None)
        assert app.principal.username == "jo.lead"


async def test_a_password_typed_in_one_burst_after_the_name_keeps_every_key(
    demo_settings, small_demo_engine
):
    """Keys queued as a terminal delivers fast typing: the name, enter and the start of
    the password at once, the rest a moment later. The password field's late focus event
    must not select what was already typed into it (the next key would replace it)."""
    from textual import events

    add_account(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)

    def burst(*keys: str) -> None:
        for key in keys:
            app.post_message(events.Key(key, key if len(key) == 1 else None))

    async with app.run_test(size=(80, 24)) as pilot:
        from coordinator_tui.screens.accounts.sign_in import SignInScreen

        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.ready)
        screen = app.screen
        burst(*"jo.lead", "enter", *PASSWORD[:5])
        password = screen.query_one("#signin-password", Input)
        await wait_for(pilot, lambda: password.value == PASSWORD[:5])
        for _ in range(5):
            await pilot.pause()
        burst(*PASSWORD[5:])
        await wait_for(pilot, lambda: password.value == PASSWORD)
