"""A real SIGKILL during ``db encrypt`` and ``db decrypt`` (issue 17 §5).

Each run is a fresh ``coordinator-tui --user ADMIN db encrypt|decrypt|rekey`` process that kills
itself with SIGKILL at a chosen point: with the converted copy written but its
transaction not committed, after the copy is checked but before the key file is written,
after the key file but before the swap, and right after the swap. Whatever the point,
the database must open afterwards (plain, or encrypted with the administrator's
password) with every person it held, and the conversion must run again to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from test_encryption import ADMIN, PASSWORD, cli, people_in, plain_demo  # noqa: F401
from typer.testing import CliRunner

from coordinator_tui import keyslots
from coordinator_tui.cli import app as cli_app

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX"),
    pytest.mark.usefixtures("_no_key_left"),
]
pytest.importorskip("sqlcipher3")

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys

    where, db, command = sys.argv[1], sys.argv[2], sys.argv[3]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    import coordinator_tui.db as db_module
    from coordinator_tui import keyslots

    if where == "before-commit":  # the copy written into the new file, not committed
        connect = keyslots.connect

        class Dying:
            def __init__(self, conn):
                self.conn = conn

            def execute(self, sql, *args):
                if sql == "COMMIT":
                    die()
                return self.conn.execute(sql, *args)

            def __getattr__(self, name):
                return getattr(self.conn, name)

        keyslots.connect = lambda *a, **k: Dying(connect(*a, **k))
    if where == "before-keys":  # the copy checked; no key file yet
        keyslots.write_keys = lambda *a, **k: die()
    if where == "after-keys":  # the key file written beside the plain file
        write_keys = keyslots.write_keys

        def write_then_die(*args, **kwargs):
            write_keys(*args, **kwargs)
            die()

        keyslots.write_keys = write_then_die
    if where == "after-swap":  # the new file in place; nothing after it done
        move = db_module._move_into_place

        def move_then_die(*args, **kwargs):
            move(*args, **kwargs)
            die()

        db_module._move_into_place = move_then_die
    from coordinator_tui.cli import main

    main(["--user", sys.argv[4], "db", command, "--db", db])
    """
)


@pytest.fixture
def _no_key_left():
    keyslots.forget()
    yield
    keyslots.forget()


def killed(where: str, path, command: str) -> None:
    env = {**os.environ, "COORDINATOR_TUI_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, where, str(path), command, ADMIN],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def opens_whole(path, people: int) -> bool:
    """The database opens (unlocked first if encrypted) with every person; True if
    encrypted."""
    encrypted = keyslots.is_encrypted(path)
    if encrypted:
        keyslots.unlock(path, ADMIN, PASSWORD)
    assert people_in(path) == people
    keyslots.forget()
    return encrypted


ENCRYPT_POINTS = {
    "before-commit": False,
    "before-keys": False,
    "after-keys": False,
    "after-swap": True,
}


@pytest.mark.parametrize("where", list(ENCRYPT_POINTS))
def test_killed_while_encrypting(plain_demo, where):  # noqa: F811
    path, name, people = plain_demo
    killed(where, path, "encrypt")
    assert opens_whole(path, people) is ENCRYPT_POINTS[where]
    if not ENCRYPT_POINTS[where]:  # still plain: running it again finishes the job
        again = cli("db", "encrypt", "--db", str(path))
        assert again.exit_code == 0, again.output
        keyslots.forget()
        assert opens_whole(path, people) is True
    assert name.encode() not in path.read_bytes()
    assert not list(path.parent.glob(f".{path.name}.encrypting*"))


DECRYPT_POINTS = {"before-commit": True, "after-swap": False}


@pytest.mark.parametrize("where", list(DECRYPT_POINTS))
def test_killed_while_decrypting(plain_demo, where):  # noqa: F811
    path, _name, people = plain_demo
    assert cli("db", "encrypt", "--no-plain-backup", "--db", str(path)).exit_code == 0
    keyslots.forget()
    killed(where, path, "decrypt")
    assert opens_whole(path, people) is DECRYPT_POINTS[where]


REKEY_POINTS = {"after-keys": "old", "after-swap": "new"}


@pytest.mark.parametrize("where", list(REKEY_POINTS))
def test_killed_while_rekeying(plain_demo, where):  # noqa: F811
    """Killed with the new key's slot pending (before the swap: the old key still opens
    it, the pending slot is dropped) or after the swap (the administrator's password
    finishes the re-key; another account is told it was cut short, in one line)."""
    path, _name, people = plain_demo
    assert cli("db", "encrypt", "--no-plain-backup", "--db", str(path)).exit_code == 0
    other = CliRunner().invoke(
        cli_app,
        ["--user", ADMIN, "user", "add", "bob.b", "--db", str(path), "--role", "care_supervisor"],
        input="violet anchor pebble\nviolet anchor pebble\n",
        env={"COORDINATOR_TUI_PASSWORD": PASSWORD},
    )
    assert other.exit_code == 0, other.output
    keyslots.forget()
    before = keyslots.read_keys(path).fingerprint
    killed(where, path, "rekey")
    assert keyslots.read_keys(path).pending is not None
    if REKEY_POINTS[where] == "new":
        with pytest.raises(keyslots.EncryptionError, match="was cut short"):
            keyslots.unlock(path, "bob.b", "violet anchor pebble")
    assert opens_whole(path, people)
    keys = keyslots.read_keys(path)
    assert keys.pending is None
    assert (keys.fingerprint == before) is (REKEY_POINTS[where] == "old")
