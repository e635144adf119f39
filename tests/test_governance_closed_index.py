"""The Governance closed incidents read by key (issue 23) walk ``ix_incident_closed_keyset``
(status, closed_at, occurred_at, id: the page query's WHERE and ORDER BY), so a page is
one index range however many incidents have closed, with no sort of every closed row.

The statements ``closed_incidents_page`` sends are caught as they go to SQLite and asked
again with ``EXPLAIN QUERY PLAN``: the first page, the next (after a key, forward) and one
back from the bottom (``end``)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DEMO_TODAY
from sqlalchemy import event, inspect

from coordinator_tui.db import session_scope
from coordinator_tui.models.governance import Incident
from coordinator_tui.services.governance import incidents as inc

INDEX = "ix_incident_closed_keyset"


@pytest.fixture
def governance_engine(small_demo_engine):
    """The small demo with the governance demo in it (incidents closed across a year)."""
    from coordinator_tui.demo.governance import has_governance_demo, seed_governance

    with session_scope(small_demo_engine, "demo-seed") as s:
        if not has_governance_demo(s):
            seed_governance(s, today=DEMO_TODAY)
    return small_demo_engine


def _page_statements(engine, read) -> list[tuple[str, Any]]:
    """The statements ``read()`` sends that read the page's rows (not its count)."""
    sent: list[tuple[str, Any]] = []

    def caught(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "ORDER BY" in statement and "FROM incident" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", caught)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", caught)
    return sent


def _plan(engine, statement: str, parameters: Any) -> list[str]:
    raw = engine.raw_connection()
    try:
        rows = raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    finally:
        raw.close()
    return [row[-1] for row in rows]


def test_the_model_and_the_database_have_the_index(governance_engine):
    assert INDEX in {i.name for i in Incident.__table__.indexes}
    columns = {
        i["name"]: i["column_names"] for i in inspect(governance_engine).get_indexes("incident")
    }
    assert columns[INDEX] == ["status", "closed_at", "occurred_at", "id"]


def test_every_page_walks_the_index_with_no_sort(governance_engine):
    engine = governance_engine
    with session_scope(engine, "t") as s:
        first = inc.closed_incidents_page(s, DEMO_TODAY, limit=7)
        assert len(first.rows) == 7

        def pages() -> None:
            inc.closed_incidents_page(s, DEMO_TODAY, limit=7)
            inc.closed_incidents_page(s, DEMO_TODAY, key=first.keys[-1], limit=7)
            inc.closed_incidents_page(s, DEMO_TODAY, backward=True, limit=7)

        sent = _page_statements(engine, pages)
    assert len(sent) == 3
    for statement, parameters in sent:
        plan = _plan(engine, statement, parameters)
        assert any(INDEX in step for step in plan), plan
        assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
