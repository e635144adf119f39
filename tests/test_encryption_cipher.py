"""The encrypted database's SQLCipher format settings (issue 17 §5's speed target):
recorded in the key file and set on every connection, so a database encrypted now
(HMAC-SHA256 pages, ``keyslots.CIPHER_SETTINGS``) and one encrypted the old way
(SQLCipher 4's defaults, HMAC-SHA512, a key file that does not name them) both open,
back up, restore, decrypt and re-key; a key file's settings are never trusted into a
PRAGMA unchecked."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select
from typer.testing import CliRunner

from coordinator_tui import keyslots
from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import (
    backup_sqlite,
    decrypt_sqlite,
    encrypt_sqlite,
    open_database,
    rekey_sqlite,
    restore_sqlite,
    session_scope,
)
from coordinator_tui.models import Person
from coordinator_tui.models.accounts import Account
from coordinator_tui.services import accounts

sqlcipher3 = pytest.importorskip("sqlcipher3")

ADMIN = "ann.admin"
PASSWORD = "copper lantern meadow"


@pytest.fixture(autouse=True)
def _no_key_left_in_memory():
    keyslots.forget()
    yield
    keyslots.forget()


@pytest.fixture
def plain_demo(small_demo_path: Path) -> tuple[Path, int]:
    """The small demo with an administrator, and how many people it holds."""
    opened = open_database(str(small_demo_path))
    try:
        with session_scope(opened.engine, "setup") as s:
            account_id = accounts.create_account(
                s, ADMIN, "Ann Admin", PASSWORD, ["administrator"], datetime.now(UTC)
            )
            s.get(Account, account_id).must_change_password = False
        with session_scope(opened.engine, "read") as s:
            people = s.exec(select(func.count()).select_from(Person)).one()
    finally:
        opened.engine.dispose()
    return small_demo_path, people


def encrypted_the_old_way(path: Path) -> None:
    """What ``db encrypt`` wrote before the settings were recorded: ``sqlcipher_export``
    with SQLCipher 4's defaults, and a key file with no ``cipher_settings``."""
    key = keyslots.new_key()
    work = path.with_name(path.name + ".old-way")
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(f"ATTACH DATABASE ? AS converted KEY {keyslots.pragma_key(key)}", (str(work),))
        conn.execute("SELECT sqlcipher_export('converted')")
        conn.execute("DETACH DATABASE converted")
    finally:
        conn.close()
    keyslots.keys_path(path).write_text(
        json.dumps(
            {
                "format": keyslots.FORMAT,
                "cipher": "SQLCipher 4, raw 256-bit key",
                "fingerprint": keyslots.fingerprint(key),
                "slots": {ADMIN: keyslots.wrap(key, ADMIN, PASSWORD)},
            }
        ),
        encoding="utf-8",
    )
    work.replace(path)


def engine_settings(path: Path) -> tuple[str, int, int, int]:
    """HMAC algorithm, page size, temp_store and the people counted, on the app's engine."""
    opened = open_database(str(path), migrate=False)
    try:
        with opened.engine.connect() as conn:
            hmac = conn.execute(text("PRAGMA cipher_hmac_algorithm")).scalar()
            page = int(conn.execute(text("PRAGMA cipher_page_size")).scalar())
            temp = int(conn.execute(text("PRAGMA temp_store")).scalar())
            people = conn.execute(text("SELECT count(*) FROM person")).scalar()
        return str(hmac), page, temp, people
    finally:
        opened.engine.dispose()


def people_in_plain(path: Path) -> int:
    opened = open_database(str(path), migrate=False)
    try:
        with opened.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM person")).scalar()
    finally:
        opened.engine.dispose()


def opens_with(path: Path, key: bytes, settings: dict) -> bool:
    return keyslots.opens(path, key, settings)


# -- a database encrypted now ---------------------------------------------------------------


def test_db_encrypt_records_and_uses_hmac_sha256(plain_demo):
    path, people = plain_demo
    encrypt_sqlite(path, ADMIN, PASSWORD, keep_plain=False)
    key = keyslots.key_for(path)
    stored = json.loads(keyslots.keys_path(path).read_text(encoding="utf-8"))
    assert stored["cipher_settings"] == keyslots.CIPHER_SETTINGS
    assert stored["cipher_settings"]["cipher_hmac_algorithm"] == "HMAC_SHA256"
    assert engine_settings(path) == ("HMAC_SHA256", 4096, 2, people)  # 2: MEMORY
    # The settings are the file's format: SQLCipher's defaults do not read it.
    assert opens_with(path, key, keyslots.CIPHER_SETTINGS)
    assert not opens_with(path, key, keyslots.LEGACY_CIPHER_SETTINGS)


def test_a_new_database_backs_up_restores_rekeys_and_decrypts(plain_demo, tmp_path):
    path, people = plain_demo
    encrypt_sqlite(path, ADMIN, PASSWORD, keep_plain=False)
    copy = backup_sqlite(path, tmp_path / "backup.db")
    assert keyslots.read_keys(copy).cipher == keyslots.CIPHER_SETTINGS
    keyslots.unlock(copy, ADMIN, PASSWORD)
    elsewhere = tmp_path / "restored" / "coordinator.db"
    restore_sqlite(copy, elsewhere)
    assert engine_settings(elsewhere)[::3] == ("HMAC_SHA256", people)
    rekey_sqlite(path, ADMIN, PASSWORD)
    assert keyslots.read_keys(path).cipher == keyslots.CIPHER_SETTINGS
    assert engine_settings(path)[::3] == ("HMAC_SHA256", people)
    decrypt_sqlite(path)
    assert not keyslots.is_encrypted(path)
    assert people_in_plain(path) == people


# -- a database encrypted the old way (SQLCipher 4's defaults) ------------------------------


def test_a_database_encrypted_the_old_way_still_opens_with_its_own_settings(plain_demo):
    path, people = plain_demo
    encrypted_the_old_way(path)
    assert keyslots.is_encrypted(path)
    assert keyslots.read_keys(path).cipher == keyslots.LEGACY_CIPHER_SETTINGS
    key = keyslots.unlock(path, ADMIN, PASSWORD)
    assert engine_settings(path) == ("HMAC_SHA512", 4096, 2, people)
    assert not opens_with(path, key, keyslots.CIPHER_SETTINGS)


def test_the_app_opens_an_old_database_by_the_command_line(plain_demo):
    path, _people = plain_demo
    encrypted_the_old_way(path)
    result = CliRunner().invoke(
        cli_app,
        ["--user", ADMIN, "db", "check", "--db", str(path)],
        env={"COORDINATOR_TUI_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output


def test_an_old_database_backs_up_and_restores_in_its_own_format(plain_demo, tmp_path):
    path, people = plain_demo
    encrypted_the_old_way(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    copy = backup_sqlite(path, tmp_path / "backup.db")
    assert keyslots.read_keys(copy).cipher == keyslots.LEGACY_CIPHER_SETTINGS
    keyslots.forget()
    keyslots.unlock(copy, ADMIN, PASSWORD)
    elsewhere = tmp_path / "restored" / "coordinator.db"
    restore_sqlite(copy, elsewhere)
    assert engine_settings(elsewhere)[::3] == ("HMAC_SHA512", people)


def test_rekeying_an_old_database_moves_it_to_the_new_settings(plain_demo):
    path, people = plain_demo
    encrypted_the_old_way(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    rekey_sqlite(path, ADMIN, PASSWORD)
    keys = keyslots.read_keys(path)
    assert keys.pending is None and keys.cipher == keyslots.CIPHER_SETTINGS
    keyslots.forget()
    keyslots.unlock(path, ADMIN, PASSWORD)
    assert engine_settings(path) == ("HMAC_SHA256", 4096, 2, people)


def test_an_old_database_decrypts(plain_demo):
    path, people = plain_demo
    encrypted_the_old_way(path)
    keyslots.unlock(path, ADMIN, PASSWORD)
    decrypt_sqlite(path)
    assert not keyslots.is_encrypted(path)
    assert people_in_plain(path) == people


def test_a_rekey_cut_short_by_the_old_version_finishes_with_the_old_settings(plain_demo):
    """A pending re-key written before the settings were recorded names none: the new
    file was made with SQLCipher's defaults, so those open it."""
    path, people = plain_demo
    encrypted_the_old_way(path)
    old = keyslots.unlock(path, ADMIN, PASSWORD)
    keys = keyslots.read_keys(path)
    new = keyslots.new_key()
    conn = keyslots.connect(path, old, keys.cipher, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        work = path.with_name("rekeyed.db")
        conn.execute(f"ATTACH DATABASE ? AS converted KEY {keyslots.pragma_key(new)}", (str(work),))
        conn.execute("SELECT sqlcipher_export('converted')")
        conn.execute("DETACH DATABASE converted")
    finally:
        conn.close()
    raw = json.loads(keyslots.keys_path(path).read_text(encoding="utf-8"))
    raw["pending"] = {
        "fingerprint": keyslots.fingerprint(new),
        "slots": {ADMIN: keyslots.wrap(new, ADMIN, PASSWORD)},
    }
    keyslots.keys_path(path).write_text(json.dumps(raw), encoding="utf-8")
    work.replace(path)  # killed after the swap, before the key file was finished
    keyslots.forget()
    assert keyslots.unlock(path, ADMIN, PASSWORD) == new
    assert keyslots.read_keys(path).cipher == keyslots.LEGACY_CIPHER_SETTINGS
    assert engine_settings(path)[::3] == ("HMAC_SHA512", people)


# -- the key file's settings are checked ------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {**keyslots.CIPHER_SETTINGS, "cipher_hmac_algorithm": "HMAC_SHA256; DROP TABLE person"},
        {**keyslots.CIPHER_SETTINGS, "cipher_page_size": 5000},
        {**keyslots.CIPHER_SETTINGS, "cipher_page_size": True},
        {**keyslots.CIPHER_SETTINGS, "cipher_use_hmac": "OFF"},  # never turned off
        {"cipher_hmac_algorithm": "HMAC_SHA256"},  # incomplete
        "HMAC_SHA256",
    ],
)
def test_a_key_file_with_settings_this_version_does_not_know_is_refused(plain_demo, settings):
    path, _people = plain_demo
    encrypt_sqlite(path, ADMIN, PASSWORD, keep_plain=False)
    raw = json.loads(keyslots.keys_path(path).read_text(encoding="utf-8"))
    raw["cipher_settings"] = settings
    keyslots.keys_path(path).write_text(json.dumps(raw), encoding="utf-8")
    keyslots.forget()
    with pytest.raises(keyslots.EncryptionError, match="cipher setting"):
        keyslots.unlock(path, ADMIN, PASSWORD)


def test_cipher_pragmas_name_each_setting_and_keep_temporary_data_in_memory():
    assert keyslots.cipher_pragmas(keyslots.CIPHER_SETTINGS, schema="converted") == [
        "PRAGMA converted.cipher_page_size = 4096",
        "PRAGMA converted.cipher_hmac_algorithm = HMAC_SHA256",
        "PRAGMA converted.cipher_kdf_algorithm = PBKDF2_HMAC_SHA512",
        "PRAGMA temp_store = MEMORY",
    ]


def test_a_connection_with_a_key_needs_the_settings(plain_demo):
    path, _people = plain_demo
    with pytest.raises(TypeError):
        keyslots.connect(path, keyslots.new_key())


def test_a_wrong_password_is_still_refused_in_under_a_second(plain_demo):
    path, _people = plain_demo
    encrypt_sqlite(path, ADMIN, PASSWORD, keep_plain=False)
    keyslots.forget()
    started = time.perf_counter()
    with pytest.raises(keyslots.WrongKeyError):
        keyslots.unlock(path, ADMIN, PASSWORD + " wrong")
    assert time.perf_counter() - started < 1.0
