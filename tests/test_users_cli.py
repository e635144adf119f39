"""``coordinator-tui user add|disable|enable|roles|reset|list`` (issue 17 §1)."""

from __future__ import annotations

from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import session_scope
from coordinator_tui.services import accounts

runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def _choose_own_password(db: str, username: str, old: str, new: str) -> None:
    """What the app's first sign-in does: the temporary password replaced by the
    account's own (the command line refuses a temporary one)."""
    from datetime import UTC, datetime

    from coordinator_tui.db import open_database

    opened = open_database(db)
    try:
        with session_scope(opened.engine, "setup") as s:
            account = accounts.find_account(s, username)
            now = datetime.now(UTC)
            me = accounts.principal_for(s, account, now)
        with session_scope(opened.engine, me) as s:
            accounts.change_own_password(s, old, new, now)
    finally:
        opened.engine.dispose()


ANN = "Ann's own long passphrase"


def test_user_commands(db_path, monkeypatch):
    db = str(db_path)
    twice = "tea kettle owl\ntea kettle owl\n"
    missing = invoke("user", "add", "Ann.Admin", "--db", db, "--role", "administrator", input=twice)
    assert missing.exit_code == 2 and "no database at" in missing.output
    assert not db_path.exists()  # a mistyped --db makes no stray database
    assert invoke("db", "upgrade", "--db", db).exit_code == 0
    # The first account of an empty database: no one to sign in as yet (the operator).
    added = invoke("user", "add", "Ann.Admin", "--db", db, "--role", "administrator", input=twice)
    assert added.exit_code == 0 and "Added ann.admin" in added.output
    refused = invoke("user", "list", "--db", db)
    assert refused.exit_code == 2 and "sign in with coordinator-tui --user NAME" in refused.output
    _choose_own_password(db, "ann.admin", "tea kettle owl", ANN)
    monkeypatch.setenv("COORDINATOR_TUI_ACCOUNT", "ann.admin")
    monkeypatch.setenv("COORDINATOR_TUI_PASSWORD", ANN)
    weak = invoke("user", "add", "bob", "--db", db, "--role", "care supervisor",
                  input="password1234\npassword1234\n")  # fmt: skip
    assert weak.exit_code == 2 and "too common" in weak.output
    bob = invoke("user", "add", "bob", "--db", db, "--role", "Care supervisor", input=twice)
    assert bob.exit_code == 0
    roles = invoke("user", "roles", "bob", "--db", db, "--role", "homecare_coordinator")
    assert roles.output.strip() == "bob: Homecare coordinator"
    assert invoke("user", "disable", "bob", "--db", db).exit_code == 0
    last = invoke("user", "disable", "ann.admin", "--db", db)
    assert last.exit_code == 2 and "last active administrator" in last.output
    reset = invoke("user", "reset", "bob", "--db", db, input="blue fox river\nblue fox river\n")
    assert reset.exit_code == 0
    listed = invoke("user", "list", "--db", db).output
    assert "ann.admin" in listed and "DISABLED" in listed
    unknown = invoke("user", "roles", "nobody", "--db", db)
    assert unknown.exit_code == 2 and "No account nobody" in unknown.output
    from coordinator_tui.db import open_database

    opened = open_database(db)
    try:
        with session_scope(opened.engine, "read") as s:
            account = accounts.find_account(s, "bob")
            assert not account.active and account.must_change_password
            assert accounts.roles_of(s, account.id) == ["homecare_coordinator"]
    finally:
        opened.engine.dispose()
