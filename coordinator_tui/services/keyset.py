"""Keyset paging: read one page of a long list after (or before) the last row shown.

A list is sorted by a key that ends in a unique id. OFFSET paging re-reads every row
before the page; keyset paging starts from the key of the last row read, so with an index
on the sort columns each page costs the same wherever it is in the list (issue 23).

Some sort orders are not one index's order: the review queue puts overdue entries first,
then sorts by risk (high, medium, low: not alphabetical), then by due date. Such an order
is cut into ``Segment``s, each one range of an index in its own order (overdue and high
risk, by due date and id; then overdue and medium...). A page reads the segment it
starts in, then if that runs out the segments after it in one statement (each limited to
what is left of the page, joined by UNION ALL, sorted by segment and sort columns). The
key of a row is ``(segment number, *sort values)`` as the database computed it, so the
next page starts exactly where this one ended.

A list whose rows join other tables can give its keys apart (``Keys``): the segments
then read only the list's own table (its id and sort values), and the page's rows are
joined to the hundred keys found, once, in the same statement. PostgreSQL planned the
review queue's eight segments with their four joins each for 7-14 ms, longer than it took
to run them (issue 23 §5: ``end`` at 44 ms); SQLAlchemy built a subquery's column copies
for every column of every segment (13 ms of CPU a page, 7 with the keys apart).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

Key = tuple[Any, ...]
"""``(segment number, *sort values)``: where a row is in a segmented order."""


@dataclass(frozen=True)
class Keys:
    """How a list's keys are read apart from its rows (see the module's docstring).

    ``ids``: a select of ``id_column`` alone from the list's table with the list's filters
    (and the joins its filters need, e.g. the typed text's), no order; ``rows``: the
    list's columns with their joins but none of its filters (each row is found by id)."""

    ids: Select[Any]
    rows: Select[Any]
    id_column: ColumnElement[int]


@dataclass(frozen=True)
class Segment:
    """One stretch of a list: the rows matching ``where``, sorted by ``order`` ascending
    (the last of which is unique, e.g. the id). Every segment of a list has the same
    number of sort columns; a constant pads one that sorts on fewer."""

    where: ColumnElement[bool]
    order: tuple[ColumnElement[Any], ...]


def _constant(column: ColumnElement[Any]) -> bool:
    """Whether a sort column is a constant (a segment's padding, e.g. the one standing for
    a NULL date): the same in every row of its segment, so neither sorted nor compared.
    In an ORDER BY, SQLite does not see that a bound value is constant: it sorts every
    row of the segment in a temporary B-tree instead of reading the index in order (the
    Referrals' rows with no chase-by date: 21,000 at ten times the demo, 40 ms a page)."""
    return isinstance(column, BindParameter)


def _sorted_by(order: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The columns a segment's rows are sorted and compared by: its order less constants."""
    return [c for c in order if not _constant(c)]


def _beyond(
    order: Sequence[ColumnElement[Any]], values: Sequence[Any], backward: bool, inclusive: bool
) -> ColumnElement[bool]:
    """Rows after ``values`` in ``order`` (before, ``backward``); row values, which SQLite
    (3.15 on) and PostgreSQL both compare in order and use an index for. A constant
    column is left out: every row of the segment holds the key's value there."""
    pairs = [(c, v) for c, v in zip(order, values, strict=True) if not _constant(c)]
    left = tuple_(*(c for c, _v in pairs))
    right = tuple_(*(literal(v, type_=c.type) for c, v in pairs))
    if backward:
        return left <= right if inclusive else left < right
    return left >= right if inclusive else left > right


def page(
    session: Session,
    columns: Select[Any],
    segments: Sequence[Segment],
    *,
    key: Key | None = None,
    backward: bool = False,
    limit: int = 100,
    inclusive: bool = False,
    keys: Keys | None = None,
) -> list[tuple[Key, tuple[Any, ...]]]:
    """Up to ``limit`` rows of ``columns`` (a select from the list's table, named with
    ``select_from`` so the joins survive a change of columns, with its filters, no order)
    after ``key`` (from the top when None), or with ``backward`` the ones just before it
    (from the bottom when None), returned in list order with each row's key.
    ``inclusive`` takes the row at ``key`` too (a page that starts at a known row).

    From the top or the bottom (no ``key``: what a list opens on, or ``end``), one
    statement: every segment, each limited to the page, in one UNION ALL, so an open is
    always the same number of statements. Reading on from a key, at most two: the
    segment the page starts in (most pages end in it too), then, if that ran out, the
    segments after it together. With ``keys`` (the same rows in the same order), a
    statement over several segments reads their keys alone and joins the page's rows to
    them."""
    numbers = list(range(len(segments)))
    if backward:
        numbers.reverse()
    if key is not None:
        numbers = [n for n in numbers if (n <= key[0] if backward else n >= key[0])]
    if not numbers:
        return []
    width = len(segments[0].order)
    lateral = keys is not None and session.get_bind().dialect.name == "postgresql"
    if key is None:
        stmt = _ends(columns, segments, keys, backward, limit, inclusive, lateral)
        rows = _rows_of(session, stmt, width)
        if backward:
            rows.reverse()
        return rows
    first = _part(columns, segments, numbers[0], key, backward, inclusive, limit)
    rows = _rows(session, [first], width, backward, limit)
    left = limit - len(rows)
    if left > 0 and len(numbers) > 1:
        source = _source(columns, keys, numbers[1:])
        rest = [_part(source, segments, n, key, backward, inclusive, left) for n in numbers[1:]]
        rows += _rows(session, rest, width, backward, left, keys, lateral)
    if backward:
        rows.reverse()
    return rows


def _source(columns: Select[Any], keys: Keys | None, numbers: Sequence[int]) -> Select[Any]:
    """What the segments ``numbers`` are read from in one statement: the list's columns
    for one segment (no join to build), its ``keys.ids`` for several when it has them."""
    return keys.ids if keys is not None and len(numbers) > 1 else columns


def _part(
    columns: Select[Any],
    segments: Sequence[Segment],
    number: int,
    key: Key | None,
    backward: bool,
    inclusive: bool,
    limit: int,
) -> Select[Any]:
    """One segment's rows from ``key`` on, in its index's order, with the segment number
    and sort values as the last columns (``_seg``, ``_k0``...). ``columns`` may be a
    ``Keys.ids`` select: then the id and the key only."""
    segment = segments[number]
    stmt = columns.add_columns(
        literal(number).label("_seg"),
        *(column.label(f"_k{i}") for i, column in enumerate(segment.order)),
    ).where(segment.where)
    if key is not None and number == key[0]:
        stmt = stmt.where(_beyond(segment.order, key[1:], backward, inclusive))
    sort = _sorted_by(segment.order)
    return stmt.order_by(*(c.desc() if backward else c for c in sort)).limit(limit)


_ENDS: dict[tuple[int, int, int, bool, int, bool, bool], tuple[Any, ...]] = {}
_ENDS_KEPT = 16
_ENDS_LOCK = threading.Lock()


def _ends(
    columns: Select[Any],
    segments: Sequence[Segment],
    keys: Keys | None,
    backward: bool,
    limit: int,
    inclusive: bool,
    lateral: bool = False,
) -> Select[Any]:
    """The statement reading a list's first (or, ``backward``, last) ``limit`` rows:
    every segment limited to the page, in one UNION ALL. Kept for the same ``columns``,
    ``segments`` and ``keys`` objects (a list that keeps its view's, as the review queue
    does, ``services.registers``): building it and walking it for SQLAlchemy's cache of
    compiled statements was half the CPU of ``end`` (issue 23 §5), and a statement
    keeps its cache key. The objects are held with it, so an id is never another's."""
    cache_key = (id(columns), id(segments), id(keys), backward, limit, inclusive, lateral)
    with _ENDS_LOCK:
        found = _ENDS.get(cache_key)
    if found is not None and found[0] is columns and found[1] is segments and found[2] is keys:
        return found[3]
    numbers = list(range(len(segments)))
    if backward:
        numbers.reverse()
    width = len(segments[0].order)
    source = _source(columns, keys, numbers)
    every = [_part(source, segments, n, None, backward, inclusive, limit) for n in numbers]
    stmt = _statement(every, width, backward, limit, keys, lateral)
    with _ENDS_LOCK:  # pages are read on the UI thread and in workers
        if len(_ENDS) >= _ENDS_KEPT:
            _ENDS.pop(next(iter(_ENDS)))
        _ENDS[cache_key] = (columns, segments, keys, stmt)
    return stmt


def _rows_of(session: Session, stmt: Select[Any], width: int) -> list[tuple[Key, tuple[Any, ...]]]:
    """``stmt``'s rows as (key, row): the key is the last ``width`` + 1 columns."""
    return [(tuple(row[-width - 1 :]), tuple(row[: -width - 1])) for row in session.execute(stmt)]


def _statement(
    parts: list[Select[Any]],
    width: int,
    backward: bool,
    limit: int,
    keys: Keys | None = None,
    lateral: bool = False,
) -> Select[Any]:
    """The one statement reading the rows of ``parts`` in list order (reversed,
    ``backward``): see :func:`_rows`.

    ``lateral`` (PostgreSQL): each key's row is read by a LATERAL subquery fenced by
    ``OFFSET 0``, so the planner cannot merge it into one join problem: it reads the
    page's rows by id, key by key (a nested loop on the primary key), and plans the keys
    and a row's joins apart. As one join it hashed all of ``register_entry`` for the
    page's 61 keys at ``end``: EXPLAIN ANALYZE on the large demo, custom plans, 25 runs
    twice, planning 3.0-3.2 -> 2.4-2.5 ms, execution 3.8-4.1 -> 1.7-1.8 ms, the same
    rows (issue 23 §5). SQLite has no LATERAL; its planner loops on the keys already."""
    if len(parts) == 1:
        return parts[0]
    if keys is not None:
        found = _union_sorted(parts, width, backward, limit).subquery("k")
        sort = [found.c._seg, *(found.c[f"_k{i}"] for i in range(width))]
        found_id = list(found.c)[0]  # a ``Keys.ids`` select's one column
        if lateral:
            row = keys.rows.where(keys.id_column == found_id).offset(0).lateral("r")
            return (
                select(*row.c, *sort)
                .select_from(found)
                .join(row, true())
                .order_by(*(c.desc() if backward else c for c in sort))
            )
        return (
            keys.rows.join(found, found_id == keys.id_column)
            .add_columns(*sort)
            .order_by(*(c.desc() if backward else c for c in sort))
        )
    return _union_sorted(parts, width, backward, limit)


def _rows(
    session: Session,
    parts: list[Select[Any]],
    width: int,
    backward: bool,
    limit: int,
    keys: Keys | None = None,
    lateral: bool = False,
) -> list[tuple[Key, tuple[Any, ...]]]:
    """The rows of ``parts`` in list order (reversed, ``backward``), as (key, row).
    Several parts with ``keys``: the parts are built on ``keys.ids`` (each row its id and
    key), and the rows are joined to the ``limit`` keys they give."""
    return _rows_of(session, _statement(parts, width, backward, limit, keys, lateral), width)


def _union_sorted(parts: list[Select[Any]], width: int, backward: bool, limit: int) -> Select[Any]:
    """The first ``limit`` rows of ``parts`` together (one ``UNION ALL``), in list order."""
    both = union_all(*(part.subquery().select() for part in parts)).subquery()
    sort = [both.c._seg, *(both.c[f"_k{i}"] for i in range(width))]
    return select(both).order_by(*(c.desc() if backward else c for c in sort)).limit(limit)


def keys_of(
    session: Session,
    columns: Select[Any],
    segments: Sequence[Segment],
    id_column: ColumnElement[int],
    ids: Sequence[int],
) -> dict[int, Key]:
    """The keys of those of ``ids`` still in the list (after a save: where the entry that
    followed the one acted on is now)."""
    if not ids:
        return {}
    found: dict[int, Key] = {}
    for number, segment in enumerate(segments):
        stmt = columns.with_only_columns(id_column, *segment.order).where(
            segment.where, id_column.in_(list(ids))
        )
        for row in session.execute(stmt):
            found[row[0]] = (number, *row[1:])
    return found


def count_before(
    session: Session, columns: Select[Any], segments: Sequence[Segment], key: Key
) -> int:
    """How many rows of the list come before ``key``: the index of the row at ``key``."""
    earlier = [segment.where for segment in segments[: key[0]]]
    if key[0] < len(segments):
        here = segments[key[0]]
        earlier.append(and_(here.where, _beyond(here.order, key[1:], True, False)))
    stmt = columns.with_only_columns(func.count()).where(or_(false(), *earlier))
    return int(session.scalar(stmt) or 0)
