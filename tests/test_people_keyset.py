"""The people list read by key (issue 23): ``End`` and the next page cost the same at ten
times the people, because each read is one range of the ``search_name`` index walked from
a key, not an OFFSET that walks every row before the page.

Service unit tests (``services.people.people_by_key``, and the stdlib reader used before
the database opens), the End read's query plan and its cost counted in SQLite virtual
machine steps at two sizes, the list's page source (``KeyedPages``), and the list driven
as a coordinator does (``End`` in the app, on screen and against the database).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import wait_for
from sqlalchemy import event
from test_people_search import insert_people

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.demo.seed import demo_nhs_numbers
from coordinator_tui.screens.registers.people import KeyedPages
from coordinator_tui.services.people import count_people, people_by_key, people_page
from coordinator_tui.services.people_quick import QuickPeople

SMALL, LARGE = 2_000, 20_000


def _build(path: Path, people: int) -> Any:
    """``people`` people, 80 distinct names (so many share one: the id breaks the tie),
    ids in an order unrelated to the names'."""
    opened = open_database(str(path))
    numbers = demo_nhs_numbers(people)
    insert_people(opened.engine, numbers, order=lambda i: (i * 7919) % people)
    return opened.engine


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> Iterator[dict[int, tuple[Any, Path]]]:
    """Two databases, ``SMALL`` and ten times as many people: engine and path of each."""
    built = {}
    for people in (SMALL, LARGE):
        path = tmp_path_factory.mktemp("keyset") / f"people-{people}.db"
        built[people] = (_build(path, people), path)
    yield built
    for engine, _path in built.values():
        engine.dispose()


def _hits(rows: list[tuple[Any, Any]]) -> list[Any]:
    return [hit for _key, hit in rows]


# -- the service ------------------------------------------------------------------------------


def test_pages_by_key_are_the_list_by_position(lists):
    """Read on from each page's last key, and back from each page's first, the whole list
    comes out as it is by position, ties (one name, many people) in id order."""
    engine, _path = lists[SMALL]
    with session_scope(engine, "t") as session:
        everyone = people_page(session, 0, SMALL + 10)
        assert len(everyone) == SMALL
        forward: list[Any] = []
        key = None
        while page := people_by_key(session, key, limit=37):
            forward += _hits(page)
            key = page[-1][0]
        assert forward == everyone
        backward: list[Any] = []
        key = None
        while page := people_by_key(session, key, backward=True, limit=41):
            backward[:0] = _hits(page)
            key = page[0][0]
        assert backward == everyone
        middle = people_by_key(session, None, offset=1000, limit=5)
        assert _hits(middle) == everyone[1000:1005]
        assert _hits(people_by_key(session, middle[0][0], limit=3)) == everyone[1001:1004]
        assert (
            _hits(people_by_key(session, middle[0][0], backward=True, limit=3))
            == (everyone[997:1000])
        )
        assert _hits(people_by_key(session, None, backward=True, limit=7)) == everyone[-7:]


def test_pages_by_key_with_a_filter(lists):
    engine, _path = lists[SMALL]
    with session_scope(engine, "t") as session:
        total = count_people(session, "jones o")
        matching = people_page(session, 0, SMALL, "jones o")
        assert len(matching) == total > 0
        first = people_by_key(session, None, limit=10, text="jones o")
        assert _hits(first) == matching[:10]
        assert (
            _hits(people_by_key(session, first[-1][0], limit=10, text="jones o"))
            == (matching[10:20])
        )
        assert (
            _hits(people_by_key(session, None, backward=True, limit=4, text="jones o"))
            == (matching[-4:])
        )


def test_the_quick_reader_reads_the_same_pages_by_the_same_keys(lists):
    engine, path = lists[SMALL]
    quick = QuickPeople.open(path)
    assert quick is not None
    try:
        with session_scope(engine, "t") as session:
            for key, backward, offset in [
                (None, False, 0),
                (None, True, 0),
                (None, False, 700),
                (("jones isla", 5), False, 0),
                (("jones isla", 5), True, 0),
            ]:
                assert quick.by_key(key, backward=backward, offset=offset, limit=30) == (
                    people_by_key(session, key, backward=backward, offset=offset, limit=30)
                )
    finally:
        quick.close()


def _statements(engine: Any, call: Any) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) that ``call(session)`` sends."""
    seen: list[tuple[str, Any]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(engine, "t") as session:
            call(session)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return [(s, p) for s, p in seen if "FROM person" in s]


def _plan(path: Path, statement: str, parameters: Any) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    finally:
        connection.close()


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(dict(key=None, backward=True), id="end"),
        pytest.param(dict(key=("smith mia", 17), backward=False), id="next page"),
        pytest.param(dict(key=("smith mia", 17), backward=True), id="page above"),
        pytest.param(dict(key=None, backward=False), id="top"),
    ],
)
def test_each_read_by_key_walks_the_name_index_without_sorting(lists, read):
    """The statement the service sends for ``End`` (and the other reads by key): the
    ``search_name`` index in order, no temporary B-tree (a sort of every row) and no scan
    of the table."""
    engine, path = lists[LARGE]
    sent = _statements(engine, lambda session: people_by_key(session, limit=60, **read))
    assert len(sent) == 1
    plan = _plan(path, *sent[0])
    assert any("ix_person_search_name" in line for line in plan), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan
    assert not any(line.startswith("SCAN person") and "INDEX" not in line for line in plan), plan


def _steps(path: Path, statement: str, parameters: Any) -> int:
    """SQLite virtual machine steps (in hundreds) to run ``statement`` to its last row."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0

    connection.set_progress_handler(tick, 100)
    try:
        connection.execute(statement, parameters).fetchall()
    finally:
        connection.close()
    return counted[0]


def test_end_costs_the_same_at_ten_times_the_people(lists):
    """``End`` read by key takes the same work at 20,000 people as at 2,000; by OFFSET
    (as the list read before) it takes ten times as much, which is what this would see."""
    cost = {}
    for people, (engine, path) in lists.items():
        end = _statements(engine, lambda s: people_by_key(s, None, backward=True, limit=60))
        by_offset = _statements(engine, lambda s, n=people: people_page(s, n - 60, 60))
        cost[people] = (_steps(path, *end[0]), _steps(path, *by_offset[0]))
    assert cost[LARGE][0] <= cost[SMALL][0] + 2, cost
    assert cost[LARGE][1] >= 5 * cost[SMALL][1], cost  # the old way grows with the list


# -- the list's page source ---------------------------------------------------------------------


class _Fake:
    """A list of 1,000 people-like items read by key as the service reads them."""

    def __init__(self, size: int = 1_000) -> None:
        self.items = [((f"name {i // 3:04d}", i), i) for i in range(size)]  # (key, item)

    def read(self, key: Any, backward: bool, offset: int, limit: int) -> list[tuple[Any, Any]]:
        keys = [k for k, _i in self.items]
        if backward:
            stop = len(keys) if key is None else keys.index(key)
            stop -= offset
            return self.items[max(stop - limit, 0) : max(stop, 0)]
        start = 0 if key is None else keys.index(key) + 1
        return self.items[start + offset : start + offset + limit]


def _source(fake: _Fake) -> KeyedPages:
    from coordinator_tui.widgets.lazy_table import Row

    return KeyedPages(len(fake.items), fake.read, lambda item: Row(item, (str(item),)))


def test_end_reads_backwards_from_the_bottom_and_pages_read_on_by_key():
    fake = _Fake(1_001)  # a last page of one row, as 100,001 people have
    source = _source(fake)
    assert [r.key for r in source.rows(0, 5)] == [0, 1, 2, 3, 4]
    assert source.reads == ["top"]
    assert [r.key for r in source.rows(100, 230)] == list(range(100, 230))  # pagedown
    assert source.reads == ["top", "after", "after"]
    assert [r.key for r in source.rows(1_000, 1_001)] == [1_000]  # End: the cursor's row
    assert [r.key for r in source.rows(962, 1_001)] == list(range(962, 1_001))  # the screen
    assert source.reads[3:] == ["end"]  # one read: the last rows, from the bottom
    assert [r.key for r in source.rows(850, 900)] == list(range(850, 900))  # scrolling up
    assert source.reads[4:] == ["before"]
    assert source.key_of(1_000) == fake.items[-1][0]


def test_a_jump_into_the_middle_reads_by_position_then_by_key():
    fake = _Fake(5_000)
    source = _source(fake)
    assert [r.key for r in source.rows(2_505, 2_510)] == list(range(2_505, 2_510))
    assert [r.key for r in source.rows(2_590, 2_610)] == list(range(2_590, 2_610))
    assert source.reads == ["position", "after"]
    assert [r.key for r in source.rows(0, len(fake.items))] == list(range(len(fake.items)))


def test_pages_kept_are_bounded():
    fake = _Fake(20_000)
    source = _source(fake)
    for start in range(0, 20_000, 100):
        source.rows(start, start + 1)
    assert len(source._pages) <= KeyedPages.KEEP
    assert source.reads.count("position") == 0  # each page read on from the one before


# -- in the app ---------------------------------------------------------------------------------


async def _press_end_and_check(app: Any, pilot: Any, last: Any) -> None:
    from coordinator_tui.services.person_hit import format_nhs_number
    from coordinator_tui.widgets.lazy_table import LazyTable

    screen = app.screen
    table = screen.query_one(LazyTable)
    await pilot.press("end")
    await wait_for(pilot, lambda: table.cursor_row == screen.total - 1)
    await pilot.pause()
    assert table.current_row.key == last.id
    lines = [table.render_line(y).text for y in range(1, table.size.height)]
    assert any(format_nhs_number(last.nhs_number) in line for line in lines)
    assert "position" not in table.source.reads  # End and what is drawn above it, by key


async def test_end_on_the_list_shows_the_last_person_read_by_key(demo_settings, small_demo_engine):
    """A coordinator presses ``End`` on the list of every person: the last person in the
    list's order (the database's) is under the cursor and on screen, read by key, both
    while the database opens (the stdlib reader) and once it is open."""
    from coordinator_tui.app import PeopleFirstApp

    with session_scope(small_demo_engine, "t") as session:
        total = count_people(session)
        last = people_page(session, total - 1, 1)[0]
    app = PeopleFirstApp(demo_settings)
    open_database = app.open_database
    app.open_database = lambda: None  # held back: the quick reader's list first
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.total == total)
        screen = app.screen
        assert screen._quick is not None
        await _press_end_and_check(app, pilot, last)

        open_database()
        await wait_for(pilot, lambda: screen.loaded)
        assert screen._quick is None
        await pilot.press("home")
        await _press_end_and_check(app, pilot, last)
