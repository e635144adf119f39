"""The command line signs in (issue 17 §2): ``coordinator-tui --user NAME COMMAND``, the
password typed at a hidden prompt or given in ``COORDINATOR_TUI_PASSWORD``; one mechanism
in ``cli/common.py`` for every command that reads or writes people's data.

A wrong password is one line and counted like the app's; the audit trail names the
account; ``access.require`` checks its roles; a database with accounts refuses a command
run without ``--user``, and one with none is worked on by the file's owner as before."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pyotp
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent
from coordinator_tui.models.accounts import Account
from coordinator_tui.services import accounts

LEAD = "lena.lead"
LEAD_PASSWORD = "harbour violet candle"
CARER = "carl.care"
CARER_PASSWORD = "pebble orchard lantern"


def add(engine, username: str, password: str, roles: list[str], *, temporary: bool = False):
    with session_scope(engine, "setup") as s:
        account_id = accounts.create_account(
            s, username, username.title(), password, roles, datetime.now(UTC)
        )
        s.get(Account, account_id).must_change_password = temporary
        return account_id


@pytest.fixture
def db(db_path):
    """A database with a safeguarding lead and a care supervisor (own passwords)."""
    opened = open_database(str(db_path))
    try:
        add(opened.engine, LEAD, LEAD_PASSWORD, ["safeguarding_lead", "administrator"])
        add(opened.engine, CARER, CARER_PASSWORD, ["care_supervisor"])
    finally:
        opened.engine.dispose()
    return str(db_path)


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(cli_app, list(args), env=env or {}, input=input)


def account(db: str, username: str) -> Account:
    opened = open_database(db)
    try:
        with session_scope(opened.engine, "read") as s:
            return accounts.find_account(s, username)
    finally:
        opened.engine.dispose()


def audit_rows(db: str) -> list[AuditEvent]:
    opened = open_database(db)
    try:
        with session_scope(opened.engine, "read") as s:
            return list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))
    finally:
        opened.engine.dispose()


def test_signed_in_from_the_environment_and_audited_as_the_account(db):
    env = {"COORDINATOR_TUI_PASSWORD": LEAD_PASSWORD}
    result = run(
        "--user",
        LEAD,
        "user",
        "roles",
        CARER,
        "--db",
        db,
        "--role",
        "homecare_coordinator",
        env=env,
    )
    assert result.exit_code == 0, result.output
    rows = audit_rows(db)
    signed = [r for r in rows if r.action == "sign-in"]
    assert signed and signed[-1].actor == LEAD
    changed = [r for r in rows if r.table_name == "account_role" and r.id > signed[-1].id]
    assert changed and {r.actor for r in changed} == {LEAD}  # never the OS login
    assert "test.user" not in {r.actor for r in rows if r.id > signed[-1].id}


def test_the_account_name_from_the_environment_too(db):
    env = {"COORDINATOR_TUI_ACCOUNT": LEAD, "COORDINATOR_TUI_PASSWORD": LEAD_PASSWORD}
    result = run("user", "list", "--db", db, env=env)
    assert result.exit_code == 0 and CARER in result.output


def test_password_typed_at_a_hidden_prompt(db):
    result = run("--user", LEAD, "user", "list", "--db", db, input=LEAD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Password for {LEAD}" in result.output
    assert LEAD_PASSWORD not in result.output  # not echoed


def test_wrong_password_is_one_line_counted_and_audited(db):
    env = {"COORDINATOR_TUI_PASSWORD": "not my password at all"}
    result = run("--user", LEAD, "user", "list", "--db", db, env=env)
    assert result.exit_code == 2
    assert result.output.strip() == "coordinator-tui: User name or password not recognised."
    assert account(db, LEAD).failed_attempts == 1  # committed before refusing
    assert audit_rows(db)[-1].action == "sign-fail"


def test_an_unknown_name_says_the_same(db):
    env = {"COORDINATOR_TUI_PASSWORD": LEAD_PASSWORD}
    result = run("--user", "nobody.here", "user", "list", "--db", db, env=env)
    assert result.exit_code == 2 and "User name or password not recognised" in result.output


def test_a_role_without_the_activity_is_refused_in_one_line(db):
    env = {"COORDINATOR_TUI_PASSWORD": CARER_PASSWORD}
    result = run("--user", CARER, "user", "list", "--db", db, env=env)
    assert result.exit_code == 2
    assert result.output.startswith("coordinator-tui: Not permitted: your roles (Care supervisor)")
    assert result.output.strip().count("\n") == 0


def test_without_user_a_database_with_accounts_is_refused(db):
    result = run("user", "list", "--db", db)
    assert result.exit_code == 2
    assert "this database has accounts: sign in with coordinator-tui --user NAME" in result.output


def test_without_accounts_the_file_owner_works_as_before(db_path):
    open_database(str(db_path)).engine.dispose()
    result = run("user", "list", "--db", str(db_path))
    assert result.exit_code == 0 and result.output == ""


def test_a_temporary_password_is_not_enough(db):
    opened = open_database(db)
    add(opened.engine, "tim.temp", "walnut ember falcon", ["care_supervisor"], temporary=True)
    opened.engine.dispose()
    env = {"COORDINATOR_TUI_PASSWORD": "walnut ember falcon"}
    result = run("--user", "tim.temp", "user", "list", "--db", db, env=env)
    assert result.exit_code == 2 and "your password is temporary" in result.output


def test_a_disabled_account_is_refused(db):
    env = {"COORDINATOR_TUI_PASSWORD": LEAD_PASSWORD}
    assert run("--user", LEAD, "user", "disable", CARER, "--db", db, env=env).exit_code == 0
    refused = run(
        "--user",
        CARER,
        "user",
        "list",
        "--db",
        db,
        env={"COORDINATOR_TUI_PASSWORD": CARER_PASSWORD},
    )
    assert refused.exit_code == 2 and "disabled" in refused.output


def test_a_totp_code_is_asked_for_when_set(db):
    secret = pyotp.random_base32()
    opened = open_database(db)
    with session_scope(opened.engine, "setup") as s:
        s.exec(select(Account).where(Account.username == LEAD)).one().totp_secret = secret
    opened.engine.dispose()
    env = {"COORDINATOR_TUI_PASSWORD": LEAD_PASSWORD}
    wrong = run("--user", LEAD, "user", "list", "--db", db, env=env, input="000000\n")
    if pyotp.TOTP(secret).verify("000000", valid_window=1):  # pragma: no cover - 1 in 10^5
        pytest.skip("the random secret's code happened to be 000000")
    assert wrong.exit_code == 2 and "not recognised" in wrong.output
    code = pyotp.TOTP(secret).now()
    right = run(
        "--user", LEAD, "user", "list", "--db", db, env={**env, "COORDINATOR_TUI_TOTP": code}
    )
    assert right.exit_code == 0, right.output


def test_the_reports_signed_in_user_is_the_account(db, tmp_path):
    """``run_job(..., with_user=True)``: the job is given the account's username."""
    from coordinator_tui.cli.common import run_job, set_sign_in

    set_sign_in(LEAD)
    try:
        os.environ["COORDINATOR_TUI_PASSWORD"] = LEAD_PASSWORD
        user = run_job(db, lambda _session, _today, user: user, with_user=True)
    finally:
        os.environ.pop("COORDINATOR_TUI_PASSWORD", None)
        set_sign_in(None)
    assert user == LEAD
