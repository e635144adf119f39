"""The audit trail, written in the same transaction as the change it records.

``install(SessionClass)`` hooks three session events:
- ``before_flush`` stamps ``updated_at`` on changed rows and strips terminal control codes
  from every string written (``services.safe_text``: a name holding an escape sequence
  must never reach a screen);
- ``after_flush`` inserts one ``audit_event`` per inserted, updated or deleted row, through
  the same connection, so a rollback takes the audit rows with it;
- ``do_orm_execute`` audits the writes that bypass the unit of work: an ``update()``,
  ``delete()`` or ``insert()`` statement run through the session writes one event per row
  it touched (the same old and new values the unit of work records), and a ``text()``
  write one event with its table and row count (its values cannot be read back).

Writes on a bare connection (demo seeding, the audit rows themselves) are not seen by
the session: they call :func:`record_note`, and ``tests/test_audit.py`` fails if any other
service writes that way. Exports (minutes, chronologies, record entries, invitations) are
recorded with :func:`record_export`: who, when, what and the kind of file, never the
content or the path. Opening a person's record, a referral or a meeting's record is recorded
with :func:`record_read` (who read which row, when, never what was shown).

The trail is a hash chain (``models.audit.chain_hash``): a unit of work's rows are chained
to the last row already written, read in the same transaction as the insert and under a
lock, so two writers at once never chain to the same row. SQLite: the write lock, taken
(``BEGIN IMMEDIATE``) before the last hash is read if this transaction has not written
yet. PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``), held to
the commit. :func:`verify_chain` walks it.

The rows wait in the session (``session.info``) until it commits, and are chained and
inserted then, in one statement, as the last thing before COMMIT. So the chain's lock is
held for one SELECT, one INSERT and the COMMIT, not for the whole unit of work: taken at
the first write (as before issue 20's 20-tab run), every unit of work that wrote or
recorded a read held it while it went on reading, and under load sign-ins queued behind
record opens until the 5 s lock timeout refused them. Taking it last cannot deadlock on
PostgreSQL: whoever holds it waits for no row (it has flushed, and an audit insert
conflicts with nothing), so nobody waits for it while holding what it needs. On SQLite a
unit of work that only recorded a read now takes the write lock at its end, briefly,
instead of from the record's first line. A rollback drops the waiting rows with the rest.
"""

from __future__ import annotations

import contextlib
import json
import re
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import String, Table, TypeDecorator, event, func, insert, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from coordinator_tui.models.audit import GENESIS, AuditEvent, chain_hash
from coordinator_tui.models.base import Editable, utcnow
from coordinator_tui.services.safe_text import clean_text, has_controls

# Bookkeeping columns whose change says nothing a reader of the trail needs.
_SKIP = frozenset({"created_at", "updated_at"})
# Columns whose values never go into the trail, only that they changed (issue 17: an
# account's password hash and TOTP secret, ``models.accounts``).
SECRET_COLUMNS = frozenset({"password_hash", "totp_secret"})
# A bulk statement touching more rows than this is not narrowed to the rows read before
# it (an IN list that long is slow, and past SQLite's variable limit): it is audited from
# the same WHERE clause in the same transaction instead.
_NARROW_LIMIT = 5000
_CHUNK = 900


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _columns(obj: Editable) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _changes_for_update(obj: Editable) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _columns(obj):
        if key in _SKIP or key == "version":
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changes[key] = [_plain(old), _plain(new)]
            if key in SECRET_COLUMNS:
                changes[key] = ["(secret)" if old else None, "(changed)" if new else None]
    return changes


def _snapshot(obj: Editable, *, new: bool) -> dict[str, list[Any]]:
    values = {}
    for key in _columns(obj):
        if key in _SKIP:
            continue
        value = _plain(getattr(obj, key))
        if key in SECRET_COLUMNS and value:
            value = "(secret)"
        values[key] = [None, value] if new else [value, None]
    return values


def _actor(session: Session) -> str:
    return str(session.info.get("actor") or "unknown")


# -- control characters out of every string written ---------------------------------------

# The columns a person, a place or a record is named by: one line wherever they are shown
# (lists, grids, titles), so a tab or line break in them becomes a space. Every other text
# column (notes, reasons, outcomes, a repeat rule) may hold several lines and keeps its
# line breaks and tabs; their other control codes go all the same.
ONE_LINE_COLUMNS = frozenset(
    {
        "name",
        "given_name",
        "family_name",
        "search_name",
        "display_name",
        "short_name",
        "username",
        "initials",
        "title",
        "nhs_number",
        "ods_code",
        "code",
        "email",
        "phone",
        "postcode",
        "home_postcode",
        "address",
        "address_line1",
        "address_line2",
        "town",
        "location",
        "organisation",
        "role",
        "agency",
        "complainant",
    }
)

_STRING_COLUMNS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _string_columns(cls: type) -> tuple[tuple[str, bool], ...]:
    """(attribute, multi-line) for each string column of a mapped class."""
    found = _STRING_COLUMNS.get(cls)
    if found is None:
        columns = []
        for prop in inspect(cls).column_attrs:
            kind = prop.columns[0].type
            base = kind.impl_instance if isinstance(kind, TypeDecorator) else kind
            if isinstance(base, String):
                columns.append((prop.key, prop.key not in ONE_LINE_COLUMNS))
        found = _STRING_COLUMNS[cls] = tuple(columns)
    return found


def _clean_strings(obj: Any, *, changed_only: bool) -> None:
    state = inspect(obj)
    for key, multiline in _string_columns(type(obj)):
        value = state.dict.get(key)
        if not isinstance(value, str) or not has_controls(value):
            continue
        if changed_only and not state.attrs[key].history.has_changes():
            continue  # stored before this rule: left alone unless it is being edited
        setattr(obj, key, clean_text(value, multiline=multiline))


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get(CHAIN_WRITTEN_KEY) and (
        session.new
        or session.deleted
        or any(session.is_modified(obj, include_collections=False) for obj in session.dirty)
    ):
        _refuse_after_chain(session, "Rows flushed")
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Editable):
            _clean_strings(obj, changed_only=False)
    for obj in session.dirty:
        if isinstance(obj, Editable) and session.is_modified(obj, include_collections=False):
            _clean_strings(obj, changed_only=True)
            obj.updated_at = now


# -- the unit of work ----------------------------------------------------------------------


def _event(
    session: Session,
    action: str,
    table_name: str,
    row_id: int | None,
    changes: Mapping[str, Any],
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "at": at or utcnow(),
        "actor": _actor(session),
        "action": action,
        "table_name": table_name,
        "row_id": row_id,
        "changes": json.dumps(changes, default=str, sort_keys=True),
    }


CHAIN_LOCK_KEY = 0x43545549_0007
"""PostgreSQL advisory lock key of the chain ("CTUI", migration 0007): whoever holds it
is the only one appending audit rows until its transaction ends."""

# Engines whose audit table has the chain columns (a database at schema 0007 or later).
# Only a yes is kept: an older database may be upgraded while its engine lives on.
_CHAINED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _is_chained(connection: Connection) -> bool:
    """Whether this database's audit rows carry hashes (not before migration 0007: a
    database opened at an older schema, as the upgrade tests do, is written as it was)."""
    if _CHAINED.get(connection.engine):
        return True
    names = {column["name"] for column in inspect(connection).get_columns("audit_event")}
    if "row_hash" in names:
        _CHAINED[connection.engine] = True
        return True
    return False


def _lock_chain(connection: Connection) -> None:
    """Make this transaction the only one appending to the chain until it ends.

    SQLite: a transaction that has written holds the database's write lock already; one
    that has not (a read or an export recorded first) takes it now, so the last hash read
    next is still the last when the row is inserted. PostgreSQL: the advisory lock, so two
    transactions never both chain to the same row (the lock is taken again, at no cost,
    by each later flush of the same transaction)."""
    name = connection.dialect.name
    if name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
    elif name == "sqlite":
        driver = connection.connection.dbapi_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# Built once: the statement is compiled once and found in the cache on every flush.
_LAST_HASH = select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)


def _last_hash(connection: Connection) -> str:
    last = connection.execute(_LAST_HASH).first()
    return GENESIS if last is None or last[0] is None else last[0]


def _chain(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each row its place in the chain, in the order they are inserted (ids rise in
    that order: SQLite inserts an executemany in order, PostgreSQL draws each row's id
    from the sequence under the lock)."""
    _lock_chain(connection)
    previous = _last_hash(connection)
    for row in rows:
        if row["row_id"] is not None:
            row["row_id"] = int(row["row_id"])  # hashed as it will be read back
        row["prev_hash"] = previous
        previous = row["row_hash"] = chain_hash(
            previous,
            row["at"],
            row["actor"],
            row["action"],
            row["table_name"],
            row["row_id"],
            row["changes"],
        )


PENDING_KEY = "audit_pending"
"""``session.info`` key of the audit rows waiting for the commit (:func:`_before_commit`)."""

CHAIN_WRITTEN_KEY = "audit_chain_written"
"""``session.info`` key set once :func:`write_pending_now` has chained and inserted audit
rows in the unit of work: from then to its end it holds the chain's lock and writes no
more data (:func:`_refuse_after_chain`)."""


class ChainWrittenError(RuntimeError):
    """Data written in a unit of work after its audit rows were chained (after an export's
    :func:`record_export`, or after the commit's own :func:`write_pending_now`). A fault of
    the code, never of the user: the unit of work is refused whole rather than risk a
    deadlock on PostgreSQL or the new rows' audit rows being lost (see
    :func:`write_pending_now`)."""


def _refuse_after_chain(session: Session, what: str) -> None:
    if session.info.get(CHAIN_WRITTEN_KEY):
        raise ChainWrittenError(
            f"{what} after this unit of work's audit rows were chained (write_pending_now):"
            " write data before recording an export, and in before_commit before the audit"
            " trail's hook"
        )


def _chain_released(session: Session, transaction: Any = None) -> None:
    """The unit of work committed (an ``after_commit`` hook may write in the next one) or
    ended: the chain's lock went with it."""
    if transaction is None or transaction.parent is None:
        session.info.pop(CHAIN_WRITTEN_KEY, None)


def _write_events(session: Session, rows: list[dict[str, Any]], *, wrote: bool = True) -> None:
    """Keep ``rows`` for the commit, where they are chained and inserted in one go."""
    if rows:
        session.info.setdefault(PENDING_KEY, []).extend(rows)
        if wrote:
            session.info["wrote"] = True  # the app counts units of work that changed data


def pending_events(session: Session) -> list[dict[str, Any]]:
    """The audit rows this unit of work will write when it commits (oldest first)."""
    return list(session.info.get(PENDING_KEY, ()))


def _before_commit(session: Session) -> None:
    """Flush what is left, then chain and insert the unit of work's audit rows: the last
    statements before COMMIT, so the chain's lock is held only from here to the commit."""
    if session.in_nested_transaction():
        return  # a savepoint's rows wait for the outer commit
    write_pending_now(session)


def write_pending_now(session: Session) -> None:
    """Chain and insert the rows waiting so far, now, taking the chain's lock (held from
    here to the commit). For what must not happen unless it is in the trail: an export,
    whose file is written before the unit of work ends (:func:`record_export`); and the
    commit's own last statements (:func:`_before_commit`).

    The constraint, enforced: once it has written rows, the unit of work writes no more
    data, only further audit rows (a second export's :func:`record_export`, chained at
    once under the lock it holds). A flush with changes, or a write statement, raises
    :class:`ChainWrittenError` and the unit of work is refused whole. Why: (1) on
    PostgreSQL the chain's advisory lock is held to the commit, and the holder "waits for
    no row" only if it writes none: an update after it could wait on a row another
    transaction holds while that one waits for the chain at its commit (a deadlock); (2)
    after the commit's own call, nothing would chain the new rows' audit rows (they were
    lost: ``CarerWeekHours`` refreshed by a ``before_commit`` hook that ran after this
    one). So an export writes its data, then records the export, then only writes files
    (the lock is held while they are written: keep that short), and a ``before_commit``
    hook that writes is installed before the audit trail's (``db.py``)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # its after_flush adds the last rows
    rows = session.info.pop(PENDING_KEY, None)
    if not rows:
        return
    connection = session.connection()
    if _is_chained(connection):
        _chain(connection, rows)
    connection.execute(insert(AuditEvent), rows)
    session.info[CHAIN_WRITTEN_KEY] = True


def _forget_pending(session: Session, previous_transaction: Any) -> None:
    """A rollback takes the unit of work's audit rows with it, as it took its changes
    (every rollback, even of a session that never reached the database)."""
    if not previous_transaction.nested:
        session.info.pop(PENDING_KEY, None)


def _after_flush(session: Session, _context) -> None:
    rows: list[dict[str, Any]] = []
    now = utcnow()

    def add(obj: Editable, action: str, changes: dict[str, list[Any]]) -> None:
        rows.append(_event(session, action, obj.__tablename__, obj.id, changes, now))

    for obj in session.new:
        if isinstance(obj, Editable):
            add(obj, "insert", _snapshot(obj, new=True))
    for obj in session.dirty:
        if isinstance(obj, Editable) and obj not in session.deleted:
            changes = _changes_for_update(obj)
            if changes:
                add(obj, "update", changes)
    for obj in session.deleted:
        if isinstance(obj, Editable):
            add(obj, "delete", _snapshot(obj, new=False))
    _write_events(session, rows)


# -- writes that bypass the unit of work ---------------------------------------------------

_TEXT_WRITE = re.compile(
    r"^\s*(?:with\b.*?\)\s*)?(insert|update|delete|replace)\b", re.IGNORECASE | re.DOTALL
)
_TEXT_TABLE = re.compile(
    r"\b(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)"
    r"\s+(?:only\s+)?[\"`\[]?([A-Za-z_][\w.]*)",
    re.IGNORECASE,
)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _row_values(row: Mapping[str, Any], *, new: bool) -> dict[str, list[Any]]:
    """A row read back from the database, as the unit of work's insert/delete snapshot."""
    return {
        key: [None, _plain(value)] if new else [_plain(value), None]
        for key, value in row.items()
        if key not in _SKIP
    }


def _row_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [_plain(old[key]), _plain(new[key])]
        for key in old
        if key not in _SKIP and key != "version" and old[key] != new.get(key)
    }


def _read_rows(session: Session, table: Table, where: Any, params: Any) -> list[dict[str, Any]]:
    query = select(*table.c)
    if where is not None:
        query = query.where(where)
    found = session.connection().execute(query, params if isinstance(params, Mapping) else {})
    return [dict(row) for row in found.mappings()]


def _read_by_id(session: Session, table: Table, ids: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        query = select(*table.c).where(table.c.id.in_(ids[start : start + _CHUNK]))
        rows.update({row["id"]: dict(row) for row in connection.execute(query).mappings()})
    return rows


def _audit_update_or_delete(state: ORMExecuteState, table: Table) -> Any:
    session, statement = state.session, state.statement
    params = state.parameters
    if "id" not in table.c:
        result = state.invoke_statement()
        note = {"statement": "bulk", "rows": getattr(result, "rowcount", None)}
        _write_events(session, [_event(session, "update", table.name, None, note)])
        return result
    if state.is_executemany:
        # Bulk UPDATE by primary key: one parameter set per row, each naming its id.
        ids = [p.get("id") for p in params if isinstance(p, Mapping)]  # type: ignore[union-attr]
        before = list(_read_by_id(session, table, [i for i in ids if i is not None]).values())
    else:
        before = _read_rows(session, table, statement.whereclause, params)
        if len(before) <= _NARROW_LIMIT:
            # Exactly the rows read are written, even if another writer adds a match now.
            statement = statement.where(table.c.id.in_([row["id"] for row in before]))
        if state.is_update and "version" in table.c and "updated_at" in table.c:
            # A bulk change moves the optimistic lock on as a flush does, so a colleague's
            # screen that read the row before it is refused rather than overwriting it.
            # (An ordered_values() statement cannot take more values: left as written.)
            with contextlib.suppress(ArgumentError):
                statement = statement.values(
                    {table.c.version: table.c.version + 1, table.c.updated_at: utcnow()}
                )
    result = state.invoke_statement(statement=statement)
    now = utcnow()
    if state.is_delete:
        events = [
            _event(session, "delete", table.name, row["id"], _row_values(row, new=False), now)
            for row in before
        ]
    else:
        after = _read_by_id(session, table, [row["id"] for row in before])
        events = []
        for row in before:
            changes = _row_changes(row, after.get(row["id"], row))
            if changes:
                events.append(_event(session, "update", table.name, row["id"], changes, now))
    _write_events(session, events)
    return result


def _audit_insert(state: ORMExecuteState, table: Table) -> Any:
    session, statement = state.session, state.statement
    dialect = session.connection().dialect
    can_return = (
        dialect.insert_executemany_returning if state.is_executemany else dialect.insert_returning
    )
    if not statement._returning and can_return:  # noqa: SLF001 - no public accessor
        # Read the rows back as written (ids and defaults included). The caller asked for
        # no rows, so it gets a result it need not read.
        frozen = state.invoke_statement(statement=statement.returning(*table.c)).freeze()
        now = utcnow()
        events = [
            _event(session, "insert", table.name, row.get("id"), _row_values(row, new=True), now)
            for row in frozen().mappings()
        ]
        _write_events(session, events)
        return frozen()
    # The caller reads its own RETURNING: audit the values it gave.
    result = state.invoke_statement()
    given = state.parameters
    sets = list(given) if isinstance(given, list | tuple) else [given or {}]
    now = utcnow()
    events = [
        _event(
            session,
            "insert",
            table.name,
            values.get("id"),
            {key: [None, _plain(value)] for key, value in values.items() if key not in _SKIP},
            now,
        )
        for values in sets
        if isinstance(values, Mapping)
    ]
    _write_events(session, events)
    return result


def _audit_text(state: ORMExecuteState, statement: TextClause) -> Any:
    sql = _COMMENTS.sub(" ", statement.text)
    verb = _TEXT_WRITE.match(sql)
    if verb is None:
        return None  # a read: run as usual
    _refuse_after_chain(state.session, "A text write statement")
    result = state.invoke_statement()
    table = _TEXT_TABLE.search(sql)
    action = "insert" if verb.group(1).lower() == "replace" else verb.group(1).lower()
    note = {"statement": "text", "rows": getattr(result, "rowcount", None)}
    name = table.group(1).split(".")[-1] if table else "unknown"
    _write_events(state.session, [_event(state.session, action, name[:60], None, note)])
    return result


def _on_orm_execute(state: ORMExecuteState) -> Any:
    """Audit a write run as a statement rather than through the unit of work.

    Returning a result tells the session the statement has been run; returning None lets
    it run as usual (every read takes that path after two attribute checks)."""
    if state.is_select:
        return None
    statement = state.statement
    if isinstance(statement, TextClause):
        return _audit_text(state, statement)
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(statement, "table", None)
    if not isinstance(table, Table) or table.name == AuditEvent.__tablename__:
        return None
    _refuse_after_chain(state.session, f"A write statement on {table.name}")
    if state.is_insert:
        return _audit_insert(state, table)
    return _audit_update_or_delete(state, table)


def install(session_class: type[Session]) -> None:
    """Attach the audit hooks to a session class (done once, in ``coordinator_tui.db``)."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _on_orm_execute)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_soft_rollback", _forget_pending)
    event.listen(session_class, "after_commit", _chain_released)
    event.listen(session_class, "after_transaction_end", _chain_released)


# -- what the session cannot see -----------------------------------------------------------


def record_note(
    session: Session, table_name: str, note: str, row_id: int | None = None, **details: Any
) -> None:
    """Audit a write that bypassed the ORM (bulk load, import): what, how many, no PII."""
    _write_events(
        session,
        [_event(session, "note", table_name, row_id, {"note": note, **details})],
        wrote=False,
    )


EXPORT_KINDS = (
    "minutes",
    "chronology",
    "record entries",
    "record entry",
    "invitation",
    "call list",
    "letter",
    "sharing report",
    "pcn report",
    "cqc evidence",
    "kpi pack",
    "themes report",
    "training matrix",
)


def record_export(
    session: Session,
    what: str,
    table_name: str,
    row_id: int | None,
    formats: str | Sequence[str],
    *,
    files: int = 1,
    encrypted: bool = False,
) -> None:
    """Record that ``what`` (one of :data:`EXPORT_KINDS`) of the ``table_name`` row
    ``row_id`` left the app: who, when, as which kind of file (``md``, ``docx``, ``csv``,
    ``ics``, ``txt``, ``clipboard``), how many files, and (``encrypted``) that they were
    encrypted with an export password (``services.exporting.ExportSink``). Never the
    content, the path (which may name a person) or the password.

    Called in the unit of work that read what was exported, before its file is written.
    The row is written now, not at the commit: the file leaves the app inside the unit of
    work, so a database that cannot take the row (locked past the busy wait) must refuse
    the export before a byte is written, not after (:func:`write_pending_now`)."""
    if what not in EXPORT_KINDS:
        raise ValueError(f"unknown export {what!r}: one of {', '.join(EXPORT_KINDS)}")
    kinds = [formats] if isinstance(formats, str) else list(formats)
    changes: dict[str, Any] = {"export": what, "formats": kinds, "files": files}
    if encrypted:
        changes["encrypted"] = True
    _write_events(session, [_event(session, "export", table_name, row_id, changes)], wrote=False)
    write_pending_now(session)


READ_TABLES = ("person", "referral", "meeting", "pcn_report", "cqc_evidence")
"""Reports viewed (no row: ``row_id`` None) are reads too: who looked at the figures, when."""


def record_read(session: Session, table_name: str, row_id: int | None) -> None:
    """Record that the signed-in user opened the ``table_name`` row ``row_id`` (a person's
    record, a referral, a meeting's record): who and when, never what was shown.

    Called by the service that loads the record for its screen, in the same unit of work,
    so the screen cannot show the record without the read being in the trail. Not counted
    as a change of data (screens do not refresh for it)."""
    if table_name not in READ_TABLES:
        raise ValueError(f"unknown read {table_name!r}: one of {', '.join(READ_TABLES)}")
    _write_events(session, [_event(session, "read", table_name, row_id, {})], wrote=False)


BREAK_GLASS_ACTION = "breakglass"
"""A record opened outside the opener's scope or sensitivity, with the reason they typed
(issue 17 §2): flagged for the lead's review in the access report."""


def record_break_glass(
    session: Session, table_name: str, row_id: int | None, *, reason: str, why: str
) -> None:
    """Record that the signed-in user opened the ``table_name`` row ``row_id`` by
    break-glass: ``why`` it needed one (outside their practices, sensitive) and the
    ``reason`` they typed. Written before the record is read, in the same unit of work."""
    if table_name not in READ_TABLES:
        raise ValueError(f"unknown read {table_name!r}: one of {', '.join(READ_TABLES)}")
    event = _event(session, BREAK_GLASS_ACTION, table_name, row_id, {"why": why, "reason": reason})
    _write_events(session, [event], wrote=False)


ACCESS_ACTIONS = (
    "sign-in",
    "sign-out",
    "sign-fail",
    "lock",
    "unlock",
    "step-up",
    "step-fail",
    "db-encrypt",
    "db-decrypt",
    "db-rekey",
)
"""Sign-in and workstation events (issue 17 §1, §3), recorded on the ``account`` row, and
the database's encryption changed by an administrator (§5: ``db encrypt|decrypt|rekey``,
on the administrator's account row; never a key or password)."""


def record_access(session: Session, action: str, account_id: int | None, **details: Any) -> None:
    """Record a sign-in, sign-out, failed sign-in, lock, unlock or step-up of the account
    ``account_id`` (None: a user name no account has). ``details``: short words (the
    reason, how it was unlocked), never a password or what was typed."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access event {action!r}: one of {', '.join(ACCESS_ACTIONS)}")
    event = _event(session, action, "account", account_id, details)
    _write_events(session, [event], wrote=False)


def events_for(session: Session, table_name: str, row_id: int | None = None) -> list[AuditEvent]:
    """The audit events of one table (and row), oldest first."""
    query = select(AuditEvent).where(AuditEvent.table_name == table_name)
    if row_id is not None:
        query = query.where(AuditEvent.row_id == row_id)
    return list(session.scalars(query.order_by(AuditEvent.id)))


# -- the chain, checked --------------------------------------------------------------------

_RECENT = 10_000  # hashes kept while walking, to tell a row slipped in from one deleted


@dataclass(frozen=True)
class ChainReport:
    """What ``db verify`` says: ``ok`` and the number of rows, or the first broken link
    (``line`` reads after "audit chain ")."""

    ok: bool
    rows: int
    line: str
    broken_at: int | None = None
    last_hash: str | None = None


def _broken(rows: int, row_id: int, why: str) -> ChainReport:
    return ChainReport(False, rows, f"broken at row #{row_id}: {why}", row_id)


def verify_chain(connection: Connection, *, batch: int = 5000) -> ChainReport:
    """Walk the audit chain in id order and report the first broken link.

    Each row's hash must be that of its content and the previous row's hash, and its
    ``prev_hash`` that previous hash. A row whose content was edited fails the first test;
    a row deleted leaves the next one pointing at a hash no longer there; a row slipped in
    (even with a hash of its own) leaves the row after it pointing past it. Gaps in the
    ids are not breaks (a rolled-back transaction leaves them).

    What it cannot see: rows cut off the end, or a chain recomputed from the edited row
    onwards by someone who can write the database. Compare the last hash it prints with
    one noted earlier (a printed report, a backup) to catch those."""
    if not _is_chained(connection):
        return ChainReport(False, 0, "not there yet (schema older than 0007: run db upgrade)")
    expected, count, last_id = GENESIS, 0, None
    recent: OrderedDict[str, str] = OrderedDict({GENESIS: "the start"})
    columns = (
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.table_name,
        AuditEvent.row_id,
        AuditEvent.changes,
        AuditEvent.prev_hash,
        AuditEvent.row_hash,
    )
    after = None
    while True:  # in pages by id: no long-lived cursor, on either database
        query = select(*columns).order_by(AuditEvent.id).limit(batch)
        if after is not None:
            query = query.where(AuditEvent.id > after)
        page = connection.execute(query).all()
        if not page:
            break
        for row_id, at, actor, action, table, target, changes, prev, digest in page:
            count += 1
            if digest is None or prev is None:
                return _broken(count, row_id, "hash missing (not written by the app)")
            if chain_hash(prev, at, actor, action, table, target, changes) != digest:
                return _broken(count, row_id, "content changed since it was written")
            if prev != expected:
                before = f"#{last_id}" if last_id is not None else "the start"
                if prev in recent:
                    return _broken(
                        count,
                        row_id,
                        f"it follows {recent[prev]}, not {before} (a row inserted after the fact)",
                    )
                between = f"between {before} and #{row_id}"
                return _broken(
                    count, row_id, f"the row it follows was deleted or rewritten ({between})"
                )
            expected, last_id = digest, row_id
            recent[digest] = f"#{row_id}"
            if len(recent) > _RECENT:
                recent.popitem(last=False)
        after = page[-1][0]
    tail = f"; last #{last_id} {expected[:16]}" if last_id is not None else ""
    return ChainReport(True, count, f"ok, {count} rows{tail}", None, expected)
