"""Issue 23 §5: the review queue's ``end`` (its last page, read backwards by key) in one
statement that reads the keys apart from the rows.

The segments of the queue's order read ``register_entry`` alone (the person too, for
typed text), and the page's rows are joined once to the hundred keys found: PostgreSQL
planned eight segments with four joins each for longer than it ran them. These tests hold
that the rows are the same as before, in the same order, on SQLite and on PostgreSQL: the
last page is the tail of the whole ordered list (the tests' oracle, the old plain query),
the first page its head, and a page read on from a key across segments what follows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import DEMO_TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from queue_oracle import review_queue
from sqlalchemy import event
from sqlalchemy.engine import Engine

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.services import registers as reg

_SLOW = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_TEXT = st.sampled_from(["", "a", "e ", "ma", "9", "99 9", "/0", "1/", "zq"]) | st.text(
    alphabet="abelmnorst/0129 ", max_size=3
)


@st.composite
def _filters(draw: st.DrawFn, options: reg.FilterOptions) -> reg.QueueFilter:
    """A random view of the queue: practice, register, lead, risk, view and horizon."""
    view = draw(st.sampled_from(["due", "overdue", "escalated"]))
    return reg.QueueFilter(
        practice_id=draw(st.none() | st.sampled_from([p for p, _ in options.practices])),
        category_id=draw(st.none() | st.sampled_from([c for c, _ in options.categories])),
        lead_staff_id=draw(st.none() | st.sampled_from([x for x, _ in options.leads])),
        risk_level=draw(st.sampled_from([None, "high", "medium", "low"])),
        escalated_only=view == "escalated",
        horizon_days=-1 if view == "overdue" else draw(st.integers(0, 400)),
    )


def _check_ends(engine: Engine, data: st.DataObject) -> None:
    """One random view, text and page size: the last page is the list's tail, the first
    its head, and a page read on from a row in the middle is what follows that row."""
    with session_scope(engine, "t") as s:
        filters = data.draw(_filters(reg.filter_options(s)))
        text = data.draw(_TEXT)
        limit = data.draw(st.integers(1, 120))
        full = reg.filter_by_text(review_queue(s, DEMO_TODAY, filters), text)
        last = reg.queue_page(s, DEMO_TODAY, filters, text=text, backward=True, limit=limit)
        first = reg.queue_page(s, DEMO_TODAY, filters, text=text, limit=limit)
        assert last.rows == full[-limit:] if full else last.rows == []
        assert first.rows == full[:limit]
        assert len(last.keys) == len(last.rows) and last.keys == sorted(last.keys)
        if len(first.rows) > 1:
            start = data.draw(st.integers(0, len(first.rows) - 1))
            on = reg.queue_page(
                s, DEMO_TODAY, filters, text=text, key=first.keys[start], limit=limit
            )
            assert on.rows == full[start + 1 : start + 1 + limit]
        if len(last.rows) > 1:
            stop = data.draw(st.integers(0, len(last.rows) - 1))
            back = reg.queue_page(
                s, DEMO_TODAY, filters, text=text, key=last.keys[stop], backward=True, limit=limit
            )
            before = len(full) - len(last.rows) + stop
            assert back.rows == full[max(before - limit, 0) : before]


@_SLOW
@given(data=st.data())
def test_queue_end_is_the_tail_of_the_full_list_sqlite(small_demo_engine, data):
    _check_ends(small_demo_engine, data)


@pytest.fixture
def pg_demo_engine(pg_url: str) -> Iterator[Engine]:
    """The small demo in a new PostgreSQL database, the same seed and date as SQLite's."""
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    seed_demo(opened.engine, size="small", seed=1, today=DEMO_TODAY)
    try:
        yield opened.engine
    finally:
        opened.engine.dispose()


@pytest.mark.postgres
@_SLOW
@given(data=st.data())
def test_queue_end_is_the_tail_of_the_full_list_postgres(pg_demo_engine, data):
    _check_ends(pg_demo_engine, data)


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


@pytest.mark.parametrize("text", ["", "ma"])
def test_queue_end_is_one_statement_joining_once(small_demo_engine, text):
    """``end`` is one statement; its segments name the person only to match typed text,
    and the rows' joins (category, practice, lead) appear once, outside the segments."""
    seen = _statements(small_demo_engine)
    with session_scope(small_demo_engine, "t") as s:
        seen.clear()
        page = reg.queue_page(s, DEMO_TODAY, reg.QueueFilter(), text=text, backward=True)
    assert page.rows
    (sql,) = seen
    assert len(re.findall(r"JOIN register_category", sql)) == 1
    segments = sql.count("UNION ALL") + 1
    assert segments > 1
    assert len(re.findall(r"JOIN person\b", sql)) == 1 + (segments if text else 0)
