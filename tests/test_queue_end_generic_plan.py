# ruff: noqa: F811  (a pytest fixture imported from test_queue_end, used as an argument)
"""The review queue's keyset statements write the risk levels in as constants (issue 23 §5).

psycopg prepares a statement a connection has run five times, and PostgreSQL then plans
it once for any parameters (a generic plan). With the risk levels as parameters, that
plan read the whole of ``register_entry`` for the "any other risk" guard: ``end`` ran
10-12 ms on the server instead of about 1 ms (``services.registers._risk_constant``)."""

from __future__ import annotations

import pytest
from conftest import DEMO_TODAY
from queue_oracle import review_queue
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from test_queue_end import pg_demo_engine  # noqa: F401  (the fixture: the small demo on PostgreSQL)

from coordinator_tui.db import session_scope
from coordinator_tui.services import registers as reg

RISKS = set(reg.RISKS_IN_ORDER)


def _sent(engine: Engine) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    return seen


def _values(parameters: object) -> list[object]:
    if isinstance(parameters, dict):
        return list(parameters.values())
    return list(parameters) if isinstance(parameters, list | tuple) else [parameters]


@pytest.mark.parametrize("backward", [True, False])
def test_the_queue_sends_no_risk_level_as_a_parameter(small_demo_engine, backward):
    seen = _sent(small_demo_engine)
    with session_scope(small_demo_engine, "t") as s:
        seen.clear()
        page = reg.queue_page(s, DEMO_TODAY, reg.QueueFilter(), backward=backward)
    assert page.rows
    (sql, parameters) = seen[-1]
    assert not RISKS & {str(v) for v in _values(parameters)}
    for level in RISKS:
        assert f"'{level}'" in sql


def test_a_risk_filter_chosen_is_still_a_parameter(small_demo_engine):
    """The view's own risk filter (the user's choice) is bound as before."""
    seen = _sent(small_demo_engine)
    with session_scope(small_demo_engine, "t") as s:
        seen.clear()
        reg.queue_page(s, DEMO_TODAY, reg.QueueFilter(risk_level="medium"), backward=True)
    (_sql, parameters) = seen[-1]
    assert "medium" in {str(v) for v in _values(parameters)}


def test_only_letters_are_written_in_as_a_risk_level():
    with pytest.raises(ValueError):
        reg._risk_constant("high' OR 'x")


@pytest.mark.postgres
def test_end_under_a_generic_plan_is_the_tail_of_the_list(pg_demo_engine):
    """Prepared at once and planned generically (as a connection that has run ``end``
    ten times plans it): the same rows as the whole list's tail."""
    filters = reg.QueueFilter()
    with session_scope(pg_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)
        raw = s.connection().connection.dbapi_connection
        raw.prepare_threshold = 0
        s.execute(text("SET plan_cache_mode = force_generic_plan"))
        try:
            for _ in range(3):
                last = reg.queue_page(s, DEMO_TODAY, filters, backward=True, limit=40)
                assert last.rows == full[-40:]
            generic = s.execute(
                text(
                    "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
                    "WHERE statement LIKE '%UNION ALL%'"
                )
            ).scalar_one()
            assert generic >= 3
        finally:
            s.execute(text("RESET plan_cache_mode"))
            raw.prepare_threshold = 5


def test_sqlite_joins_the_keys_to_their_rows_without_lateral(small_demo_engine):
    seen = _sent(small_demo_engine)
    with session_scope(small_demo_engine, "t") as s:
        seen.clear()
        reg.queue_page(s, DEMO_TODAY, reg.QueueFilter(), backward=True)
    (sql, _parameters) = seen[-1]
    assert "LATERAL" not in sql.upper()


@pytest.mark.postgres
def test_postgres_reads_each_keys_row_by_a_fenced_lateral_subquery(pg_demo_engine):
    """One statement; the page's rows read key by key (``keyset._statement``), the same
    rows as the whole list's tail and head."""
    filters = reg.QueueFilter()
    seen = _sent(pg_demo_engine)
    with session_scope(pg_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)
        seen.clear()
        last = reg.queue_page(s, DEMO_TODAY, filters, backward=True, limit=50)
        ((sql, _parameters),) = seen  # one statement
        assert "LATERAL" in sql.upper() and "OFFSET" in sql.upper()
        first = reg.queue_page(s, DEMO_TODAY, filters, limit=50)
    assert last.rows == full[-50:]
    assert first.rows == full[:50]
