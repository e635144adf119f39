"""The coding audit at scale (issue 23): the reconciliation reads what the export and the
audited registers need, in a few statements, and finds exactly what it found before.

The reconciliation as it was before issue 23 is kept in ``coding_audit_reference`` only
to be compared with: same findings in the same order, same counts, on the small demo
(SQLite and PostgreSQL) and on the benchmarks' large demo when it is there."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import nhs_number
import pytest
from coding_audit_reference import reconcile_before
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import event

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.services.reports import coding_audit as ca
from coordinator_tui.services.reports.code_lists import load_code_lists

TODAY = date(2026, 11, 30)
LARGE = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "large.db"


def _export(session, today: date, rows: int) -> ca.Export:  # noqa: ANN001
    from coordinator_tui.demo.coding import demo_export

    demo = demo_export(session, today=today, rows=rows)
    return ca.read_export(demo.text, load_code_lists(), today=today)


def _assert_same_as_before(session, export: ca.Export) -> ca.Reconciliation:  # noqa: ANN001
    """The present reconciliation and the reference agree, every way it can be asked."""
    codes = load_code_lists()
    now = ca.reconcile(session, export.events, codes)
    assert now == reconcile_before(session, export.events, codes)
    assert now.findings, "the demo export plants findings"
    for kwargs in (
        {"tolerance_days": 45},
        {"practice_ids": now.practice_ids[:1]},
        {"practice_ids": []},
    ):
        assert ca.reconcile(session, export.events, codes, **kwargs) == reconcile_before(
            session, export.events, codes, **kwargs
        ), kwargs
    half = export.events[::2]  # some people coded on one list and not the other
    assert ca.reconcile(session, half, codes) == reconcile_before(session, half, codes)
    return now


def _statements(engine, work) -> int:  # noqa: ANN001
    """How many statements ``work()`` sends."""
    sent = []

    def count(*_args) -> None:  # noqa: ANN002
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_the_small_demo_gives_the_same_findings_as_before(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        result = _assert_same_as_before(s, _export(s, TODAY, 3000))
    kinds = {finding.kind for finding in result.findings}
    assert len(kinds) == len(ca.KIND_LABELS)  # every class compared, not only some


def test_the_reconciliation_is_a_few_statements_however_long_the_export(small_demo_engine):
    """Issue 23 §5: no statement per chunk of NHS numbers or per child on a plan."""
    codes = load_code_lists()
    with session_scope(small_demo_engine, "t") as s:
        events = _export(s, TODAY, 3000).events
        many = events * 20  # 60,000 events: the old code sent a statement per 900 numbers
        counts = [
            _statements(small_demo_engine, lambda e=e: ca.reconcile(s, e, codes))
            for e in (events[:50], events, many)
        ]
    assert counts[0] == counts[1] == counts[2] <= 7, counts


@pytest.mark.skipif(not LARGE.exists(), reason="the benchmarks' large demo is not built")
def test_the_large_demo_gives_the_same_findings_as_before(tmp_path):
    copy = tmp_path / "large.db"
    shutil.copyfile(LARGE, copy)  # never the shared file
    opened = open_database(str(copy))
    try:
        with session_scope(opened.engine, "t") as s:
            from sqlalchemy import func, select

            from coordinator_tui.clock import local_today
            from coordinator_tui.models import RegisterEntry

            # as the benchmark takes it: the large demo was built on its own day
            today = max(s.scalar(select(func.max(RegisterEntry.start_date))), local_today())
            _assert_same_as_before(s, _export(s, today, 50_000))
    finally:
        opened.engine.dispose()


def test_postgresql_gives_the_same_findings_as_before(pg_url):
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    try:
        seed_demo(opened.engine, size="small", seed=1, today=TODAY)
        with session_scope(opened.engine, "t") as s:
            _assert_same_as_before(s, _export(s, TODAY, 3000))
    finally:
        opened.engine.dispose()


@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=10, max_size=10),
        st.integers(0, 9_999_999).map(lambda n: f"999{n:07d}"),  # the demo's range
        st.integers(100_000_000, 3_112_999_999).map(lambda n: f"{n:010d}"),  # Scotland
        st.text(min_size=0, max_size=12),
    )
)
@example("3112999999")  # the last of the Scottish range (checked by the library)
@example("3113000006")  # the first after it (checked here)
@example("９９９０００００１８")  # full-width digits: str.isdigit says yes
def test_the_check_digit_is_the_nhs_number_librarys(digits):
    """The import's own modulus 11 check answers as ``nhs_number.is_valid`` does."""
    assert ca.nhs_number_valid(digits) == nhs_number.is_valid(digits)
