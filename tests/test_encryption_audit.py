"""``db encrypt``, ``db decrypt`` and ``db rekey`` in the converted database's audit trail
(issue 17 §5 with §4's trail): who ran it, when, and what (tables and rows checked), on the
administrator's account row; never the key, the key file or a password."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from coordinator_tui import audit, keyslots
from coordinator_tui.db import open_database, session_scope, verify_audit_chain
from coordinator_tui.models.accounts import Account
from tests.test_encryption import ADMIN, PASSWORD, cli, encrypt, plain_demo  # noqa: F401

pytest.importorskip("sqlcipher3")


@pytest.fixture(autouse=True)
def _no_key_left_in_memory():
    """Each test unlocks what it opens: no key carried from one test to the next."""
    keyslots.forget()
    yield
    keyslots.forget()


def conversions(path, action: str) -> list:
    """The ``action`` events of ``path``'s trail (unlocking it as the administrator if it is
    encrypted), and whether its hash chain still verifies."""
    if keyslots.is_encrypted(path) and keyslots.key_for(path) is None:
        keyslots.unlock(path, ADMIN, PASSWORD)
    opened = open_database(str(path), migrate=False)
    try:
        with session_scope(opened.engine, "read") as s:
            admin_id = s.exec(select(Account.id).where(Account.username == ADMIN)).one()
            events = [e for e in audit.events_for(s, "account", admin_id) if e.action == action]
            s.expunge_all()
        assert verify_audit_chain(opened.engine).ok
    finally:
        opened.engine.dispose()
    return events


def assert_says_no_secret(event, path) -> None:
    """Nothing of the password, the key or the key file in the event."""
    text = json.dumps({"changes": event.changes, "actor": event.actor})
    assert PASSWORD not in text and "password" not in text.lower()
    key = keyslots.key_for(path)
    if key is not None:
        assert key.hex() not in text.lower()


@pytest.mark.parametrize(
    ("before", "command", "action"),
    [
        ("plain", "encrypt", "db-encrypt"),
        ("encrypted", "decrypt", "db-decrypt"),
        ("encrypted", "rekey", "db-rekey"),
    ],
)
def test_each_conversion_is_in_the_converted_databases_trail(plain_demo, before, command, action):  # noqa: F811
    path = plain_demo[0]
    if before == "encrypted":
        encrypt(path)
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    result = cli("db", command, "--db", str(path))
    assert result.exit_code == 0, result.output
    events = conversions(path, action)
    assert len(events) == 1
    event = events[0]
    assert event.actor == ADMIN  # who
    assert event.at.replace(tzinfo=None) >= started  # when
    changes = json.loads(event.changes) if isinstance(event.changes, str) else event.changes
    assert int(changes["tables"]) > 0 and int(changes["rows"]) > 0  # what
    assert set(changes) <= {"tables", "rows", "plain_copy_kept", "keys_voided"}  # nothing else
    assert_says_no_secret(event, path)
    assert PASSWORD not in result.output


def test_a_refused_conversion_writes_no_event(plain_demo):  # noqa: F811
    path = plain_demo[0]
    refused = cli("db", "decrypt", "--db", str(path))  # plain: nothing to decrypt
    assert refused.exit_code == 2
    assert conversions(path, "db-decrypt") == []
