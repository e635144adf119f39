"""The start before anyone signs in (issue 17): nothing of any person is read until a
principal exists, and what is typed while the database is still opening is kept.

The app here opens its own database (no engine passed), as ``coordinator-tui`` and
``coordinator-tui people`` do, with nobody signed in (``start_principal`` set back to
None). Statements are recorded with a SQLAlchemy event listener on every engine (as
``tests/test_statement_counts.py`` counts them), and the stdlib reader the people list
uses while the database opens (``services.people_quick``) is watched too.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from pilot_helpers import wait_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from coordinator_tui.app import CoordinatorApp, make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Account
from coordinator_tui.services import accounts

PASSWORD = "tea kettle owl"

# Tables a statement may touch before anyone signs in: the schema's revision, the
# accounts (to sign in), the shipped reference data and the audit trail of the sign-in.
BEFORE_SIGN_IN = {
    "alembic_version",
    "account",
    "account_role",
    "account_practice",
    "register_category",
    "skill",
    "audit_event",
    "sqlite_master",
    "sqlite_schema",
}


@pytest.fixture(autouse=True)
def _nobody_signed_in(monkeypatch) -> None:
    monkeypatch.setattr(CoordinatorApp, "start_principal", None)


@pytest.fixture
def with_account(small_demo_path):
    """The small demo with one account (jo.lead, safeguarding lead, every practice)."""
    opened = open_database(str(small_demo_path))
    with session_scope(opened.engine, "admin.os") as s:
        account_id = accounts.create_account(
            s,
            "jo.lead",
            "Jo Lead",
            PASSWORD,
            ["safeguarding_lead"],
            datetime.now(UTC),
            all_practices=True,
        )
        s.get(Account, account_id).must_change_password = False
    opened.engine.dispose()
    return small_demo_path


class Recorder:
    """Every statement any engine sends while attached (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _seen(self, _conn, _cursor, statement, _parameters, _context, _many) -> None:
        self.statements.append(statement)

    def __enter__(self) -> Recorder:
        event.listen(Engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)


TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?([a-z_]+)", re.IGNORECASE)


def tables(statements: list[str]) -> set[str]:
    return {name.lower() for statement in statements for name in TABLE.findall(statement)}


async def test_people_first_start_reads_no_one_before_sign_in(
    demo_settings, with_account, monkeypatch
):
    """``coordinator-tui people`` with nobody signed in: the list beneath the sign-in
    screen reads nothing (no statement on a person table, the quick stdlib reader never
    opened); once signed in it loads through the guarded services."""
    from coordinator_tui.screens.accounts.sign_in import SignInScreen
    from coordinator_tui.screens.registers.people import PeopleScreen
    from coordinator_tui.services.people_quick import QuickPeople

    quick_opened: list[object] = []
    real_open = QuickPeople.open.__func__
    monkeypatch.setattr(
        QuickPeople,
        "open",
        classmethod(lambda cls, path: quick_opened.append(path) or real_open(cls, path)),
    )
    with Recorder() as recorder:
        app = make_app(demo_settings, start="people")
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, SignInScreen) and app.screen.ready,
                timeout=30,
            )
            await pilot.pause()
            before = list(recorder.statements)
            people = app.screen_stack[0]
            assert isinstance(people, PeopleScreen) and people.total == 0
            assert quick_opened == []
            assert before and tables(before) <= BEFORE_SIGN_IN, tables(before) - BEFORE_SIGN_IN
            await pilot.press(*"jo.lead", "enter", *PASSWORD, "enter")
            await wait_for(pilot, lambda: people.loaded, timeout=30)
            assert app.screen is people and people.total > 0
            assert "person" in tables(recorder.statements[len(before) :])


async def test_home_start_reads_no_one_before_sign_in(demo_settings, with_account):
    """The plain start (Home first) likewise: until someone signs in, only the accounts
    and the reference data are read."""
    from coordinator_tui.screens.accounts.sign_in import SignInScreen

    with Recorder() as recorder:
        app = make_app(demo_settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, SignInScreen) and app.screen.ready,
                timeout=30,
            )
            await pilot.pause()
            before = list(recorder.statements)
    assert before and tables(before) <= BEFORE_SIGN_IN, tables(before) - BEFORE_SIGN_IN


@pytest.mark.parametrize("enter", ["enter", "ctrl+j"])
async def test_keys_typed_while_the_database_opens_sign_in(
    demo_settings, with_account, monkeypatch, enter
):
    """The user name and password typed at once on start, while "Opening the database…"
    still shows (the open held back until they are all typed): none is lost, and the
    account signs in once the database is open. ``ctrl+j``: enter typed before the app
    put the terminal in raw mode reaches it as a line feed."""
    import coordinator_tui.db as db
    from coordinator_tui.screens.accounts.sign_in import SignInScreen
    from coordinator_tui.screens.home import HomeScreen

    gate = threading.Event()
    real_open = db.open_database

    def slow_open(*args, **kwargs):
        gate.wait(60)  # the test lets it go once every key has been typed
        return real_open(*args, **kwargs)

    monkeypatch.setattr(db, "open_database", slow_open)
    app = make_app(demo_settings)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen))
            sign_in = app.screen
            # Under load the screen had not yet given its first field the focus (its
            # ScreenResume still queued) when the first keys were read: they went to the
            # screen itself and were lost. The same moment, made certain:
            app.set_focus(None)
            await pilot.press(*"jo.lead", enter, *PASSWORD, enter)
            assert not sign_in.ready and app.engine is None  # typed while it was opening
            gate.set()
            await wait_for(pilot, lambda: app.principal is not None, timeout=30)
            assert app.principal.username == "jo.lead"
            await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), timeout=30)
    finally:
        gate.set()
