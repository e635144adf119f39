"""The sign-in and lock screens at 80x24 and 120x40 (issue 17): nothing of anyone on them.

After an intended change of look: ``pytest tests/test_snapshots_accounts.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import CoordinatorApp, make_app
from coordinator_tui.db import session_scope
from coordinator_tui.services import accounts

SIZES = [(80, 24), (120, 40)]
LOCKED_AT = datetime(2026, 11, 23, 10, 42, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _nobody_signed_in(monkeypatch) -> None:
    monkeypatch.setattr(CoordinatorApp, "start_principal", None)
    monkeypatch.setattr("coordinator_tui.screens.accounts.sign_in._local_now", lambda: LOCKED_AT)


@pytest.fixture
def with_account(small_demo_engine):
    with session_scope(small_demo_engine, "admin.os") as s:
        accounts.create_account(
            s, "jo.lead", "Jo Lead", "tea kettle owl", ["safeguarding_lead"], LOCKED_AT,
            all_practices=True,
        )  # fmt: skip
        accounts.find_account(s, "jo.lead").must_change_password = False
    return small_demo_engine


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


class TestSignIn:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_sign_in(self, snap_compare, demo_settings, with_account, size):
        from coordinator_tui.screens.accounts.sign_in import SignInScreen

        app = make_app(demo_settings, with_account)

        async def ready(pilot):
            await _wait(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.ready)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=ready)


class TestLock:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_lock(self, snap_compare, demo_settings, with_account, size):
        from coordinator_tui.screens.accounts.sign_in import LockScreen
        from coordinator_tui.services.access import demo_principal

        app = make_app(demo_settings, with_account)

        async def locked(pilot):
            from coordinator_tui.services.accounts import find_account

            with session_scope(with_account, "read") as s:
                account = find_account(s, "jo.lead")
                principal = accounts.principal_for(s, account, LOCKED_AT)
            assert principal.kind == "account" and demo_principal().kind == "demo"
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "SignInScreen")
            app.screen.dismiss()
            app.signed_in(principal)
            await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
            app.lock("idle")
            await _wait(pilot, lambda: isinstance(app.screen, LockScreen))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=locked)
