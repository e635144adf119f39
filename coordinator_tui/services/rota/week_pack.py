"""What a rota week reads kept packed, so a week opened again reads a few blobs.

At ten times the demo a week reads 29,000 rows (its visits and three days of context,
17,400; the 16 weeks' kept hours, 4,800; carers' skills, availability and customers'
preferences, 4,600), and Python's database driver spends about 0.1 µs a value making
them into tuples whatever the query (issue 23 §1: the load's target is 50 ms). So
``snapshot.load_week`` keeps them in ``rota_pack``
(:class:`~coordinator_tui.models.rota.RotaPack`), one pack a *scope*:

- a day (``2026-12-07``): its visits and the carers on them, as ``_visit_rows`` reads them;
- a week's kept hours (``hours:2026-11-30``): its ``CarerWeekHours`` rows;
- ``reference``: every carer's skills and availability and every customer's preferences.

Each pack is labelled with its scope's generation: a counter that database triggers
(migration 0016) bump on every insert, update or delete of a row the scope holds, however
it is written (the app, a bulk load, SQL typed by hand). A pack is used only while its
label equals its scope's generation now, its ``format`` is this module's, and every
trigger is in the database; any other scope is read from its rows and packed again.

Safe by construction rather than by care:
- the generations are read before (or with) the rows: a pack's label is never newer than
  its rows, so a pack can look stale when it is not, never the other way round;
- a unit of work that has written reads no pack and writes none (its own changes are not
  yet anyone else's, and may be rolled back);
- writing a pack is best effort, on a connection of its own that waits for no lock: a
  database that is busy, read-only or full leaves the pack stale, and the load is done.

On PostgreSQL two units of work writing rows of the same scope queue on its generation
row until the first commits (milliseconds; the app's saves are short); two writing the
same two days in opposite orders could deadlock, which the server breaks by failing one,
whose save then says it was not saved, what was typed kept (a test makes the deadlock).

A pack holds ids, epoch minutes, status, skill and preference codes and the kept hours:
nothing naming or describing a person (names, addresses and notes are read each time).
It is not a record, so it is not audited.
"""

from __future__ import annotations

import logging
import struct
import sys
from array import array
from collections.abc import Iterable
from datetime import date
from functools import cache

from sqlalchemy import bindparam, literal_column, select, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from coordinator_tui.models import RotaPack, RotaPackGeneration

log = logging.getLogger(__name__)

FORMAT = 2
"""The payload's layout (and the meaning of its ``code`` column); a pack of another format
is stale. Change it whenever ``snapshot._visit_rows``' columns change."""

EVERYTHING = "*"
"""The scope whose generation every pack is also labelled with: bumped where the
database cannot say which days changed (PostgreSQL's ``TRUNCATE``)."""

REFERENCE_TABLES = ("carer_skill", "skill", "carer_availability", "customer_carer_preference")
SQLITE_TRIGGERS = (
    "rota_pack_visit_insert",
    "rota_pack_visit_update",
    "rota_pack_visit_delete",
    "rota_pack_assignment_insert",
    "rota_pack_assignment_update",
    "rota_pack_assignment_delete",
    "rota_pack_hours_insert",
    "rota_pack_hours_update",
    "rota_pack_hours_delete",
    *(
        f"rota_pack_{table}_{event}"
        for table in REFERENCE_TABLES
        for event in ("insert", "update", "delete")
    ),
)
POSTGRESQL_TRIGGERS = (
    "rota_pack_visit",
    "rota_pack_visit_truncate",
    "rota_pack_assignment",
    "rota_pack_assignment_truncate",
    "rota_pack_hours",
    "rota_pack_hours_truncate",
    *(f"rota_pack_{table}" for table in REFERENCE_TABLES),
)
"""The triggers migration 0016 makes (the same lists as there; a test checks it)."""

_NULL_INT = -(2**63)  # an integer column's None
_NULL_TEXT = "\x1e"  # a text column's None
_SEPARATOR = "\x1f"  # between a text column's values
_HEADER = struct.Struct("<IB")  # rows, columns; then each column: kind, length, data
_COLUMN = struct.Struct("<cI")
_GENERATION_SHIFT = 40

DAY_KINDS = "iiiiiti"
"""A day's rows (``snapshot._visit_rows`` with the day taken out of ``code``): id,
customer, start, end, code, skills, carer."""
HOURS_KINDS = "iiift"
"""A week's kept hours (``snapshot._kept_rows`` with the weeks back taken out of
``code``): carer, code, shifts, hours, customers."""
REFERENCE_KINDS = "iiiitt"
"""The reference rows of the kinds kept packed (``snapshot._PACKED_KINDS``): kind and the
columns they use, ``i1, i2, i3, t1, t2``."""
REFERENCE = "reference"


def label(scope_generation: int, everything_generation: int) -> int:
    """The label a pack is kept with: its scope's generation and the ``*`` one's, in one
    integer."""
    return (everything_generation << _GENERATION_SHIFT) | scope_generation


def scope_of(day: date) -> str:
    """A day's scope: its ISO date, as the triggers write it."""
    return day.isoformat()


def hours_scope(monday: date) -> str:
    """A week's kept hours' scope (``CarerWeekHours.week_start``)."""
    return f"hours:{monday.isoformat()}"


def _triggers_present(dialect_name: str):
    """A scalar subquery: 1 when every trigger is in the database, else 0."""
    if dialect_name == "postgresql":
        names = ", ".join(f"'{name}'" for name in POSTGRESQL_TRIGGERS)
        count = f"(SELECT count(*) FROM pg_trigger WHERE tgname IN ({names}))"
        expected = len(POSTGRESQL_TRIGGERS)
    else:
        names = ", ".join(f"'{name}'" for name in SQLITE_TRIGGERS)
        count = f"(SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names}))"
        expected = len(SQLITE_TRIGGERS)
    return literal_column(f"{count} = {expected}")


_SCOPES = bindparam("scopes", expanding=True)


@cache
def _statement(dialect_name: str):
    """The days' generations and their packs of this format, in one statement (one round
    trip): ``(scope, generation, payload)``, a generation row with no payload. Packs come
    only while every trigger is there. Built once per dialect, as ``snapshot``'s
    statements are (``functools`` caches)."""
    generations = select(
        RotaPackGeneration.scope,
        RotaPackGeneration.generation,
        literal_column("NULL").label("payload"),
    ).where(RotaPackGeneration.scope.in_(_SCOPES))
    packs = select(RotaPack.scope, RotaPack.generation, RotaPack.payload).where(
        RotaPack.scope.in_(_SCOPES),
        RotaPack.format == FORMAT,
        _triggers_present(dialect_name),
    )
    return union_all(generations, packs)


class Packs:
    """What :func:`read` found: the fresh scopes' columns and every scope's label now."""

    __slots__ = ("fresh", "labels")

    def __init__(self) -> None:
        self.fresh: dict[str, list] = {}  # scope -> its decoded columns (``decode``)
        self.labels: dict[str, int] = {}


def wrote(session: Session) -> bool:
    """Whether the session's unit of work has written (or has rows waiting to be): the
    unit of work's own bookkeeping, ``db.wrote_in``."""
    from coordinator_tui.db import wrote_in

    return wrote_in(session)


def read(connection, scopes: dict[str, str]) -> Packs:
    """The packs of ``scopes`` (scope -> its column kinds) still fresh, decoded, and each
    scope's label now, in one statement."""
    statement = _statement(connection.dialect.name)
    generations: dict[str, int] = {}
    payloads: dict[str, tuple[int, bytes]] = {}
    for scope, generation, payload in connection.execute(
        statement, {"scopes": [*scopes, EVERYTHING]}
    ):
        if payload is None:
            generations[scope] = generation
        else:
            payloads[scope] = (generation, bytes(payload))
    found = Packs()
    everything = generations.get(EVERYTHING, 0)
    for scope, kinds in scopes.items():
        now = found.labels[scope] = label(generations.get(scope, 0), everything)
        kept = payloads.get(scope)
        if kept is None or kept[0] != now:
            continue
        try:
            found.fresh[scope] = decode(kept[1], kinds)
        except (ValueError, IndexError, struct.error):
            log.warning("A rota pack could not be read; its rows are read from the database")
    return found


def encode(rows: Iterable[tuple], kinds: str) -> bytes:
    """Rows as a pack's payload, column by column: ``kinds`` names each column's kind,
    ``i`` a 64-bit integer or None, ``f`` a float (never None), ``t`` a text or None. A
    value a column cannot hold raises ``ValueError`` (the pack is then not written)."""
    rows = list(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(kinds)
    if len(columns) != len(kinds):
        raise ValueError("rows of another shape than their kinds")
    parts = [_HEADER.pack(len(rows), len(kinds))]
    for kind, column in zip(kinds, columns, strict=True):
        if kind == "i":
            data = array("q", [_NULL_INT if value is None else value for value in column])
        elif kind == "f":
            data = array("d", column)
        elif kind == "t":
            texts = []
            for value in column:
                if value is None:
                    texts.append(_NULL_TEXT)
                elif _SEPARATOR in value or _NULL_TEXT in value:
                    raise ValueError("a text holds the pack's separators")
                else:
                    texts.append(value)
            data = _SEPARATOR.join(texts).encode("utf-8")
        else:
            raise ValueError(f"no column kind {kind!r}")
        if isinstance(data, array):
            if sys.byteorder == "big":
                data.byteswap()
            data = data.tobytes()
        parts.append(_COLUMN.pack(kind.encode(), len(data)))
        parts.append(data)
    return b"".join(parts)


def decode(payload: bytes, kinds: str) -> list:
    """A payload's columns (lists of values, None where None was kept), checked against
    ``kinds``; ``ValueError`` (or ``IndexError``, ``struct.error``) for anything that is
    not a whole pack of those kinds."""
    count, width = _HEADER.unpack_from(payload)
    if width != len(kinds):
        raise ValueError("a rota pack of other columns")
    at = _HEADER.size
    columns = []
    for kind in kinds:
        tag, size = _COLUMN.unpack_from(payload, at)
        at += _COLUMN.size
        data = payload[at : at + size]
        if tag != kind.encode() or len(data) != size:
            raise ValueError("a rota pack of other columns")
        at += size
        if kind == "t":
            texts = data.decode("utf-8").split(_SEPARATOR) if count else []
            column = [None if text == _NULL_TEXT else text for text in texts]
        else:
            numbers = array("q" if kind == "i" else "d")
            numbers.frombytes(data)
            if sys.byteorder == "big":
                numbers.byteswap()
            column = numbers.tolist()
            if kind == "i" and _NULL_INT in numbers:
                column = [None if value == _NULL_INT else value for value in column]
        if len(column) != count:
            raise ValueError("a rota pack of the wrong length")
        columns.append(column)
    if at != len(payload):
        raise ValueError("a rota pack of the wrong length")
    return columns


KEPT_DAYS = 26 * 7
"""How long before the unit of work's day a day's pack is kept (a week's kept hours,
16 weeks more: a week reads its 16 weeks before): an older one is deleted when packs are
next written, unless the week being read holds it. Deleting a pack is always safe (its
rows are read instead); without it, every week ever opened kept about 0.7 MB at ten
times the demo, for good."""
HOURS_WEEKS_READ = 16
"""The weeks before it whose kept hours a week reads (``snapshot.HISTORY_WEEKS``; a test
checks they are equal)."""


def _pruned(session: Session, keep: Iterable[str]):
    """The statement deleting the packs of days before :data:`KEPT_DAYS` ago (and of the
    kept hours of weeks 17 before that), but ``keep``: two ranges of the primary key."""
    from datetime import timedelta

    from sqlalchemy import and_, delete, or_

    from coordinator_tui.clock import moment_of

    oldest = moment_of(session.info).date() - timedelta(days=KEPT_DAYS)
    oldest_hours = oldest - timedelta(weeks=HOURS_WEEKS_READ + 1)
    scope = RotaPack.scope
    return delete(RotaPack).where(
        or_(
            and_(scope >= "0", scope < scope_of(oldest)),  # days: ISO dates sort as days
            and_(scope >= "hours:", scope < hours_scope(oldest_hours)),
        ),
        scope.not_in(sorted(set(keep))),
    )


def store(
    session: Session, packs: dict[str, tuple[int, str, list[tuple]]], keep: Iterable[str] = ()
) -> int:
    """Write ``packs`` (scope -> (label, column kinds, rows)) on a connection of the
    session's engine of its own, waiting for no lock; how many were written. Nothing is
    raised: a pack not written is read from the database's rows next time. In the same
    transaction the packs of long-past days are deleted (:data:`KEPT_DAYS`), but those
    written and ``keep`` (every scope the week being read holds)."""
    if not packs:
        return 0
    try:
        rows = [
            {"scope": scope, "generation": kept, "format": FORMAT, "payload": encode(found, kinds)}
            for scope, (kept, kinds, found) in sorted(packs.items())
        ]
    except (ValueError, TypeError, OverflowError):
        return 0
    engine = session.get_bind()
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            # wait for no lock: a writer busy now (or this session's own) means no pack
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            else:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            try:
                connection.execute(_upsert(connection.dialect.name), rows)
                connection.execute(_pruned(session, [*packs, *keep]))
                connection.commit()
            finally:
                if connection.in_transaction():
                    connection.rollback()
                if sqlite:
                    from coordinator_tui.db import BUSY_TIMEOUT_MS

                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                    connection.commit()
    except SQLAlchemyError as exc:
        log.info("Rota packs not written (%s): read from the visits", type(exc).__name__)
        return 0
    return len(rows)


def _upsert(dialect_name: str):
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(RotaPack)
    return statement.on_conflict_do_update(
        index_elements=[RotaPack.scope],
        set_={
            "generation": statement.excluded.generation,
            "format": statement.excluded.format,
            "payload": statement.excluded.payload,
        },
    )
