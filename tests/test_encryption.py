"""Encryption at rest (issue 17 §5): ``db encrypt`` / ``db decrypt``, the key file's
slots, a wrong password, backups and restores staying encrypted, the app opening an
encrypted database, and no person's name readable in the file on disk.

Kills during a conversion are in ``tests/test_encryption_kill.py``."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import func, select
from typer.testing import CliRunner

from coordinator_tui import keyslots
from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Person
from coordinator_tui.models.accounts import Account
from coordinator_tui.services import accounts

pytest.importorskip("sqlcipher3")

ADMIN = "ann.admin"
PASSWORD = "copper lantern meadow"


@pytest.fixture(autouse=True)
def _no_key_left_in_memory():
    """Each test unlocks what it opens: no key carried from one test to the next."""
    keyslots.forget()
    yield
    keyslots.forget()


def add_account(engine, username: str, password: str, roles: list[str]) -> None:
    """An account that has chosen its own password (as after its first sign-in)."""
    with session_scope(engine, "setup") as s:
        account_id = accounts.create_account(
            s, username, username.title(), password, roles, datetime.now(UTC)
        )
        s.get(Account, account_id).must_change_password = False


@pytest.fixture
def plain_demo(small_demo_path: Path) -> tuple[Path, str, int]:
    """The small demo with an administrator; a person's family name, and how many people."""
    opened = open_database(str(small_demo_path))
    try:
        add_account(opened.engine, ADMIN, PASSWORD, ["administrator", "safeguarding_lead"])
        with session_scope(opened.engine, "read") as s:
            person = s.exec(select(Person).order_by(Person.id)).first()
            name = person.family_name  # stored whole in its column, so findable in the bytes
            people = s.exec(select(func.count()).select_from(Person)).one()
    finally:
        opened.engine.dispose()
    return small_demo_path, name, people


def cli(*args: str, password: str | None = PASSWORD, user: str | None = ADMIN, env=None):
    """Run the command line as ``user`` (the password from the environment)."""
    environment = {"COORDINATOR_TUI_PASSWORD": password} if password is not None else {}
    environment.update(env or {})
    head = ["--user", user] if user else []
    return CliRunner().invoke(cli_app, [*head, *args], env=environment)


def people_in(path: Path) -> int:
    opened = open_database(str(path))
    try:
        with session_scope(opened.engine, "read") as s:
            return s.exec(select(func.count()).select_from(Person)).one()
    finally:
        opened.engine.dispose()


def readable(path: Path, text: str) -> bool:
    """Whether ``text`` can be read in the file's bytes (or its write-ahead log)."""
    needle = text.encode("utf-8")
    files = [path, path.with_name(path.name + "-wal")]
    return any(f.exists() and needle in f.read_bytes() for f in files)


def encrypt(path: Path) -> None:
    result = cli("db", "encrypt", "--db", str(path))
    assert result.exit_code == 0, result.output
    keyslots.forget()


# -- converting ------------------------------------------------------------------------------


def test_db_encrypt_converts_and_no_name_is_readable_on_disk(plain_demo):
    path, name, people = plain_demo
    assert readable(path, name)  # the check can see a name when there is one to see
    result = cli("db", "encrypt", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "Encrypted" in result.output and "NOT encrypted" in result.output  # the backup
    assert keyslots.is_encrypted(path) and not readable(path, name)
    backups = list(path.parent.glob(f"{path.name}.plain.*.bak"))
    assert len(backups) == 1 and readable(backups[0], name)  # said plainly: NOT encrypted
    assert not list(path.parent.glob(f".{path.name}.encrypting*"))  # nothing left over
    keyslots.forget()
    checked = cli("db", "check", "--db", str(path))
    assert checked.exit_code == 0, checked.output
    assert "integrity: ok" in checked.output and "audit chain: ok" in checked.output
    assert f"encryption: on (SQLCipher; key file {path}.keys; keys for {ADMIN})" in checked.output
    assert people_in(path) == people


def test_plain_backup_can_be_left_out(plain_demo):
    path, _name, _people = plain_demo
    result = cli("db", "encrypt", "--no-plain-backup", "--db", str(path))
    assert result.exit_code == 0 and "NOT encrypted" not in result.output
    assert not list(path.parent.glob("*.bak"))


def test_db_decrypt_makes_it_plain_again(plain_demo):
    path, name, people = plain_demo
    encrypt(path)
    result = cli("db", "decrypt", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "NOT encrypted now" in result.output
    assert not keyslots.is_encrypted(path) and not keyslots.keys_path(path).exists()
    assert readable(path, name)
    checked = cli("db", "check", "--db", str(path), user=None, password=None)
    assert "encryption: off" in checked.output
    assert people_in(path) == people  # plain: opens with no key


def test_encrypting_needs_an_administrator(plain_demo, small_demo_path):
    path, _name, _people = plain_demo
    opened = open_database(str(path))
    add_account(opened.engine, "carol.care", "tawny harbour kettle", ["care_supervisor"])
    opened.engine.dispose()
    result = cli(
        "db", "encrypt", "--db", str(path), user="carol.care", password="tawny harbour kettle"
    )
    assert result.exit_code == 2
    assert "needs an administrator" in result.output
    assert not keyslots.is_encrypted(path)


def test_a_database_without_accounts_is_not_encrypted(db_path):
    open_database(str(db_path)).engine.dispose()
    result = cli("db", "encrypt", "--db", str(db_path), user=None)
    assert result.exit_code == 2 and "add an administrator" in result.output
    assert not keyslots.keys_path(db_path).exists()


def test_encrypting_twice_is_refused(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    again = cli("db", "encrypt", "--db", str(path))
    assert again.exit_code == 2 and "already encrypted" in again.output


def test_a_database_in_use_is_not_converted(plain_demo):
    path, _name, _people = plain_demo
    # Another process (the app, another command) has it open. A process of its own: two
    # SQLite libraries in one process (Python's and SQLCipher's) do not see each other's
    # locks, which is also why nothing here opens one file with both at once.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        result = cli("db", "encrypt", "--db", str(path))
    finally:
        holder.communicate("", timeout=60)
    assert result.exit_code == 2 and "open in Coordinator TUI" in result.output
    assert not keyslots.is_encrypted(path)


HOLD_OPEN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("SELECT count(*) FROM person").fetchall()
print("open", flush=True)
sys.stdin.read()
conn.close()
"""


# -- opening: the key, a wrong password -----------------------------------------------------


def test_wrong_password_is_refused_in_one_line_under_a_second(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    result = cli("db", "check", "--db", str(path), password="not the password at all")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0  # one line
    assert "User name or password not recognised" in result.output
    started = time.perf_counter()
    with pytest.raises(keyslots.WrongKeyError):
        keyslots.unlock(path, ADMIN, "not the password at all")
    assert time.perf_counter() - started < 1.0
    with pytest.raises(keyslots.WrongKeyError):  # a name with no slot: the same line
        keyslots.unlock(path, "nobody.here", PASSWORD)


def test_no_sign_in_no_opening(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    result = cli("db", "check", "--db", str(path), user=None, password=None)
    assert result.exit_code == 2
    assert "is encrypted: sign in to open it" in result.output
    with pytest.raises(keyslots.EncryptionError, match="is encrypted"):
        open_database(str(path))


def test_the_key_file_holds_no_key(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    key = keyslots.key_for(path)
    raw = keyslots.keys_path(path).read_bytes()
    assert key.hex().encode() not in raw and PASSWORD.encode() not in raw
    assert keyslots.keys_path(path).stat().st_mode & 0o077 == 0


# -- slots follow the accounts ----------------------------------------------------------------


def test_slots_follow_accounts_added_reset_and_disabled(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    temporary = "violet anchor pebble\nviolet anchor pebble\n"
    added = CliRunner().invoke(
        cli_app,
        ["--user", ADMIN, "user", "add", "bob.b", "--db", str(path), "--role", "care_supervisor"],
        input=temporary,
        env={"COORDINATOR_TUI_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output
    keyslots.forget()
    keyslots.unlock(path, "bob.b", "violet anchor pebble")  # his own password opens it
    keyslots.forget()
    disabled = cli("user", "disable", "bob.b", "--db", str(path))
    assert disabled.exit_code == 0, disabled.output
    assert "bob.b" not in keyslots.read_keys(path).slots
    with pytest.raises(keyslots.WrongKeyError):
        keyslots.unlock(path, "bob.b", "violet anchor pebble")


def test_an_account_made_before_encrypting_gets_its_key_at_its_first_sign_in(plain_demo):
    path, _name, _people = plain_demo
    opened = open_database(str(path))
    add_account(opened.engine, "lee.lead", "saffron kettle harbour", ["safeguarding_lead"])
    opened.engine.dispose()
    encrypt(path)
    with pytest.raises(keyslots.WrongKeyError):  # no key of its own yet
        keyslots.unlock(path, "lee.lead", "saffron kettle harbour")
    keyslots.unlock(path, ADMIN, PASSWORD)  # the administrator opened the app ...
    opened = open_database(str(path))
    try:  # ... and Lee signs in on its sign-in screen (a quick switch of user)
        with session_scope(opened.engine, "sign-in") as s:
            outcome = accounts.sign_in(s, "lee.lead", "saffron kettle harbour", datetime.now(UTC))
            assert outcome.principal is not None
    finally:
        opened.engine.dispose()
    keyslots.forget()
    keyslots.unlock(path, "lee.lead", "saffron kettle harbour")  # now Lee's own opens it
    salt = keyslots.read_keys(path).slots["lee.lead"]["salt"]  # new at each wrapping
    opened = open_database(str(path))
    try:  # a later sign-in leaves the key as it is
        with session_scope(opened.engine, "sign-in") as s:
            accounts.sign_in(s, "lee.lead", "saffron kettle harbour", datetime.now(UTC))
    finally:
        opened.engine.dispose()
    assert keyslots.read_keys(path).slots["lee.lead"]["salt"] == salt


def test_a_password_changed_in_a_rolled_back_unit_of_work_leaves_the_slot(plain_demo):
    path, _name, _people = plain_demo
    encrypt(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    opened = open_database(str(path))
    try:
        with session_scope(opened.engine, "setup") as s:
            me = accounts.principal_for(s, accounts.find_account(s, ADMIN), datetime.now(UTC))
        with pytest.raises(RuntimeError), session_scope(opened.engine, me) as s:
            accounts.change_own_password(s, PASSWORD, "a brand new passphrase", datetime.now(UTC))
            raise RuntimeError("the save failed after")
        keyslots.forget()
        keyslots.unlock(path, ADMIN, PASSWORD)  # still the old one
        with session_scope(opened.engine, me) as s:
            accounts.change_own_password(s, PASSWORD, "a brand new passphrase", datetime.now(UTC))
    finally:
        opened.engine.dispose()
    keyslots.forget()
    keyslots.unlock(path, ADMIN, "a brand new passphrase")
    with pytest.raises(keyslots.WrongKeyError):
        keyslots.unlock(path, ADMIN, PASSWORD)


# -- backups and restores --------------------------------------------------------------------


def test_backup_of_an_encrypted_database_is_encrypted_and_restores(plain_demo, tmp_path):
    path, name, people = plain_demo
    encrypt(path)
    copy = tmp_path / "backup.db"
    result = cli("backup", str(copy), "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "The backup is encrypted" in result.output
    assert keyslots.is_encrypted(copy) and not readable(copy, name)
    elsewhere = tmp_path / "restored" / "coordinator.db"
    keyslots.forget()
    restored = cli("restore", str(copy), "--db", str(elsewhere))
    assert restored.exit_code == 0, restored.output
    assert keyslots.is_encrypted(elsewhere) and not readable(elsewhere, name)
    keyslots.forget()
    keyslots.unlock(elsewhere, ADMIN, PASSWORD)
    assert people_in(elsewhere) == people
    keyslots.forget()  # over the live encrypted database (same key), nobody using it
    again = cli("restore", str(copy), "--db", str(path), "--force")
    assert again.exit_code == 0, again.output
    keyslots.unlock(path, ADMIN, PASSWORD)
    assert people_in(path) == people


def test_backup_of_a_plain_database_says_it_is_not_encrypted(plain_demo, tmp_path):
    path, _name, _people = plain_demo
    result = cli("backup", str(tmp_path / "b.db"), "--db", str(path))
    assert result.exit_code == 0 and "NOT encrypted" in result.output


def test_a_report_written_from_an_encrypted_database_is_encrypted(plain_demo, tmp_path):
    """Every export site: tests/test_encrypted_exports.py."""
    path, _name, _people = plain_demo
    encrypt(path)
    out = tmp_path / "pcn.csv"
    env = {"COORDINATOR_TUI_EXPORT_PASSWORD": "velvet harbour lantern"}
    result = cli("report", "pcn", "--out", str(out), "--db", str(path), env=env)
    assert result.exit_code == 0, result.output
    assert "encrypted with the export password" in result.output
    written = tmp_path / "pcn.csv.zip"
    assert written.exists() and written.stat().st_mode & 0o077 == 0 and not out.exists()


# -- no SQLCipher on this computer -------------------------------------------------------------


def test_without_sqlcipher_it_says_so_and_the_plain_database_works(plain_demo, monkeypatch):
    path, _name, people = plain_demo
    monkeypatch.setitem(__import__("sys").modules, "sqlcipher3", None)
    assert not keyslots.available()
    result = cli("db", "encrypt", "--db", str(path))
    assert result.exit_code == 2
    assert "encryption needs SQLCipher" in result.output and "[encryption]" in result.output
    assert people_in(path) == people


# -- the app --------------------------------------------------------------------------------


async def test_the_app_opens_an_encrypted_database(plain_demo, demo_settings):
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.home import HomeScreen

    path, _name, _people = plain_demo
    encrypt(path)
    keyslots.unlock(path, ADMIN, PASSWORD)  # what `coordinator-tui run` asks for first
    app = make_app(demo_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if app.engine is not None and isinstance(app.screen, HomeScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, HomeScreen)
        assert app.engine.url.get_backend_name() == "sqlite"
        assert app.engine.url.drivername == "sqlite+pysqlcipher"
        assert "x'" not in str(app.engine.url)  # the key never shown


async def test_the_app_without_the_key_asks_at_its_sign_in_and_opens_nothing(
    plain_demo, demo_settings
):
    """With no key in memory (a ``serve`` tab has no terminal to be asked on), the app
    opens nothing and its sign-in form asks: a wrong password is refused there, the
    account's opens the database and signs in (``tests/test_serve_encrypted.py`` in a
    browser)."""
    from textual.widgets import Input

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.accounts.sign_in import SignInScreen
    from coordinator_tui.screens.home import HomeScreen
    from tests.pilot_helpers import wait_for

    path, _name, _people = plain_demo
    encrypt(path)
    app = make_app(demo_settings)
    app.principal = None  # as ``run`` starts: nobody signed in
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.ready)
        assert app.engine is None and not app.fatal_message
        for password, shows in (("not it at all", "not recognised"), (PASSWORD, None)):
            app.screen.query_one("#signin-user", Input).value = ADMIN
            app.screen.query_one("#signin-password", Input).value = password
            app.screen.query_one("#signin-password", Input).focus()
            await pilot.press("enter")
            if shows:
                await wait_for(
                    pilot,
                    lambda shows=shows: (
                        shows in str(app.screen.query_one("#signin-message").render())
                    ),
                )
                assert app.engine is None and keyslots.key_for(path) is None
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.engine)
        assert app.principal is not None and app.principal.username == ADMIN


# -- the wrapping itself -------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(password=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_a_slot_opens_with_its_password_only(password, other):
    key = keyslots.new_key()
    slot = keyslots.wrap(key, "someone", password)
    assert keyslots.unwrap(slot, "someone", password) == key
    if other != password:
        assert keyslots.unwrap(slot, "someone", other) is None
    assert keyslots.unwrap(slot, "someone.else", password) is None  # bound to the name
    assert keyslots.unwrap({**slot, "wrapped": "not base64!"}, "someone", password) is None


# -- `coordinator-tui run` on an encrypted database ---------------------------------------------


@pytest.fixture
def launched(monkeypatch) -> list:
    """What ``run`` would open the app with (the app itself is not started)."""
    from coordinator_tui import launch

    calls: list = []
    monkeypatch.setattr(
        launch,
        "open_app",
        lambda db, start="home", demo=False, principal=None: calls.append(principal) or 0,
    )
    return calls


def test_run_asks_name_and_password_once_and_opens_signed_in(plain_demo, launched):
    from coordinator_tui import launch

    path, _name, _people = plain_demo
    encrypt(path)
    assert launch._encrypted(str(path))  # the fast path hands it to the command line
    result = CliRunner().invoke(cli_app, ["run", "--db", str(path)], input=f"{ADMIN}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "is encrypted. User name" in result.output and PASSWORD not in result.output
    assert [p.username for p in launched] == [ADMIN]


def test_run_with_a_wrong_password_never_opens_the_app(plain_demo, launched):
    path, _name, _people = plain_demo
    encrypt(path)
    result = CliRunner().invoke(
        cli_app, ["run", "--db", str(path)], input=f"{ADMIN}\nwrong one here\n"
    )
    assert result.exit_code == 2 and "not recognised" in result.output
    assert launched == []


def test_run_with_a_temporary_password_leaves_the_app_to_ask_for_a_new_one(plain_demo, launched):
    path, _name, _people = plain_demo
    encrypt(path)
    added = CliRunner().invoke(
        cli_app,
        ["--user", ADMIN, "user", "add", "newbie", "--db", str(path), "--role", "care_supervisor"],
        input="violet anchor pebble\nviolet anchor pebble\n",
        env={"COORDINATOR_TUI_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output
    keyslots.forget()
    result = CliRunner().invoke(
        cli_app, ["--user", "newbie", "run", "--db", str(path)], input="violet anchor pebble\n"
    )
    assert result.exit_code == 0, result.output
    assert launched == [None]  # unlocked; the app's sign-in screen asks for the new password
    assert keyslots.key_for(path) is not None


def test_a_plain_database_is_not_asked_for_anything(plain_demo, launched):
    path, _name, _people = plain_demo
    result = CliRunner().invoke(cli_app, ["run", "--db", str(path)], input="")
    assert result.exit_code == 0 and result.output == ""
    assert launched == [None]


# -- a new key ----------------------------------------------------------------------------------


def add_by_cli(path: Path, username: str, password: str) -> None:
    added = CliRunner().invoke(
        cli_app,
        ["--user", ADMIN, "user", "add", username, "--db", str(path), "--role", "care_supervisor"],
        input=f"{password}\n{password}\n",
        env={"COORDINATOR_TUI_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output
    keyslots.forget()


def test_db_rekey_gives_a_new_key_and_voids_every_other_slot(plain_demo, tmp_path):
    path, name, people = plain_demo
    encrypt(path)
    add_by_cli(path, "bob.b", "violet anchor pebble")
    old_backup = tmp_path / "before.db"
    assert cli("backup", str(old_backup), "--db", str(path)).exit_code == 0
    keyslots.forget()
    before = keyslots.read_keys(path).fingerprint
    result = cli("db", "rekey", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "Their old keys are void: bob.b" in result.output
    keys = keyslots.read_keys(path)
    assert keys.fingerprint != before and set(keys.slots) == {ADMIN} and keys.pending is None
    assert not readable(path, name)
    keyslots.forget()
    with pytest.raises(keyslots.WrongKeyError):
        keyslots.unlock(path, "bob.b", "violet anchor pebble")
    keyslots.unlock(path, ADMIN, PASSWORD)
    assert people_in(path) == people
    keyslots.forget()  # the old backup keeps the old key and its own key file
    keyslots.unlock(old_backup, "bob.b", "violet anchor pebble")
    assert people_in(old_backup) == people
