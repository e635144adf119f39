"""A rota week's visit rows kept packed by day, so a week opened again reads a few blobs.

At ten times the demo a week and its three days of context are 17,400 visit rows, and
Python's database driver spends about 35 ms making them into tuples whatever the query
(issue 23 §1: the load's target is 50 ms). So each day's rows, as ``snapshot.load_week``
reads them, are kept in ``rota_pack`` (:class:`~coordinator_tui.models.rota.RotaPack`),
labelled with the day's generation: a counter that database triggers (migration 0016)
bump on every insert, update or delete of a visit of that day or of a carer's place on
one, however it is written. A pack is used only while its label equals the day's
generation now, its ``format`` this module's, and every trigger is in the database; any
other day is read from the visits themselves and its pack written again afterwards.

Safe by construction rather than by care:
- the generations are read before (or with) the rows: a pack's label is never newer than
  its rows, so a pack can look stale when it is not, never the other way round;
- a unit of work that has written reads no pack and writes none (its own changes are not
  yet anyone else's, and may be rolled back);
- writing a pack is best effort, on a connection of its own that waits for no lock: a
  database that is busy, read-only or full leaves the pack stale, and the load is done.

A pack holds ids, epoch minutes, status and skill codes: nothing naming or describing a
person. It is not a record, so it is not audited.
"""

from __future__ import annotations

import logging
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, literal_column, select, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from coordinator_tui.models import RotaPack, RotaPackGeneration

log = logging.getLogger(__name__)

FORMAT = 1
"""The payload's layout (and the meaning of its ``code`` column); a pack of another format
is stale. Change it whenever ``snapshot._visit_rows``' columns change."""

EVERYTHING = "*"
"""The scope whose generation every pack is also labelled with: bumped where the
database cannot say which days changed (PostgreSQL's ``TRUNCATE``)."""

SQLITE_TRIGGERS = (
    "rota_pack_visit_insert",
    "rota_pack_visit_update",
    "rota_pack_visit_delete",
    "rota_pack_assignment_insert",
    "rota_pack_assignment_update",
    "rota_pack_assignment_delete",
)
POSTGRESQL_TRIGGERS = (
    "rota_pack_visit",
    "rota_pack_visit_truncate",
    "rota_pack_assignment",
    "rota_pack_assignment_truncate",
)
"""The triggers migration 0016 makes (the same lists as there; a test checks it)."""

_COLUMNS = 7  # id, customer, start, end, code, skills (an index into the names), carer
_HEADER = struct.Struct("<II")  # rows, length of the skill texts
_SEPARATOR = "\x1f"
_GENERATION_SHIFT = 40


def label(day_generation: int, everything_generation: int) -> int:
    """The label a pack of a day is kept with: the day's generation and the ``*`` one's,
    in one integer."""
    return (everything_generation << _GENERATION_SHIFT) | day_generation


def scope_of(day: date) -> str:
    """A day's scope: its ISO date, as the triggers write it."""
    return day.isoformat()


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


def _statement(dialect_name: str):
    """The days' generations and their packs of this format, in one statement (one round
    trip): ``(scope, generation, payload)``, a generation row with no payload. Packs come
    only while every trigger is there."""
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


_statements: dict[str, object] = {}


class Packs:
    """What :func:`read` found: the fresh days' rows and every day's label now."""

    __slots__ = ("fresh", "labels")

    def __init__(self) -> None:
        self.fresh: dict[date, tuple] = {}  # day -> its decoded columns (``decode``)
        self.labels: dict[date, int] = {}


def wrote(session: Session) -> bool:
    """Whether the session's unit of work has written (or has rows waiting to be)."""
    from coordinator_tui.db import WROTE_KEY

    return bool(session.info.get(WROTE_KEY) or session.new or session.dirty or session.deleted)


def read(connection, days: Sequence[date]) -> Packs:
    """The packs of ``days`` still fresh, decoded, and each day's label now."""
    name = connection.dialect.name
    statement = _statements.get(name)
    if statement is None:
        statement = _statements[name] = _statement(name)
    scopes = {scope_of(day): day for day in days}
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
    for scope, day in scopes.items():
        now = found.labels[day] = label(generations.get(scope, 0), everything)
        kept = payloads.get(scope)
        if kept is None or kept[0] != now:
            continue
        try:
            found.fresh[day] = decode(kept[1])
        except (ValueError, IndexError, UnicodeDecodeError, struct.error):
            log.warning("A rota pack could not be read; the day is read from the visits")
    return found


def encode(rows: Iterable[tuple]) -> bytes:
    """A day's rows ``(id, customer, start, end, code, skills, carer)`` (``carer`` None
    for a visit with nobody on it) as a pack's payload: a header, the distinct skill
    texts, then each column as 64-bit little-endian integers."""
    rows = list(rows)
    names: dict[str, int] = {}
    if rows:
        ids, customers, starts, ends, codes, skills, carers = zip(*rows, strict=True)
    else:
        ids = customers = starts = ends = codes = skills = carers = ()
    indexes = [names.setdefault(text or "", len(names)) for text in skills]
    if any(_SEPARATOR in text for text in names):
        raise ValueError("a skill text holds the pack's separator")
    numbers = array("q")
    for column in (ids, customers, starts, ends, codes, indexes):
        numbers.extend(column)
    numbers.extend(carer or 0 for carer in carers)
    if sys.byteorder == "big":
        numbers.byteswap()
    texts = _SEPARATOR.join(names).encode("utf-8")
    return _HEADER.pack(len(rows), len(texts)) + texts + numbers.tobytes()


def decode(payload: bytes) -> tuple:
    """A payload's columns: ``(ids, customers, starts, ends, codes, skills, carers)``,
    skills as texts and a visit with nobody on it as carer 0. Raises ``ValueError`` (or
    ``IndexError``) on anything that is not a whole pack."""
    count, size = _HEADER.unpack_from(payload)
    names = payload[_HEADER.size : _HEADER.size + size].decode("utf-8").split(_SEPARATOR)
    numbers = array("q")
    numbers.frombytes(payload[_HEADER.size + size :])
    if len(numbers) != _COLUMNS * count:
        raise ValueError("a rota pack of the wrong length")
    if sys.byteorder == "big":
        numbers.byteswap()
    columns = [numbers[n * count : (n + 1) * count] for n in range(_COLUMNS)]
    columns[5] = [names[index] for index in columns[5]]
    return tuple(columns)


def store(session: Session, packs: dict[date, tuple[int, list[tuple]]]) -> int:
    """Write ``packs`` (day -> (label, rows)) on a connection of the session's engine of
    its own, waiting for no lock; how many were written. Nothing is raised: a pack not
    written is read from the visits next time."""
    if not packs:
        return 0
    try:
        rows = [
            {"scope": scope_of(day), "generation": kept, "format": FORMAT, "payload": encode(found)}
            for day, (kept, found) in sorted(packs.items())
        ]
    except ValueError:
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
