"""The Referrals list's opening read (issue 23): the first page of a view with no typed
text and its counts come in one statement (``services.referrals._opening_page``), not the
keyset page and a count apart. It must give the same rows, in the same order, with the
same keys (where the pages after it read on from) and the same counts as the two reads it
replaces, for every view and page size, an empty view included; on SQLite and on
PostgreSQL (``COORDINATOR_TUI_TEST_PG_URL``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import DEMO_TODAY

from coordinator_tui.db import session_scope
from coordinator_tui.models import Referral
from coordinator_tui.services import keyset
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.referral_terms import VIEWS

LIMITS = (1, 2, 7, 100, 10**6)


def _apart(s, view: str, today: date, limit: int) -> ref.ReferralPage:
    """The first page as ``keyset.page`` reads it, with the counts read apart: the reads
    the opening statement replaces."""
    found = keyset.page(s, ref._page_query(view, today, ""), ref._SEGMENTS, limit=limit)
    return ref.ReferralPage(
        [ref.ReferralRow._make(row) for _k, row in found],
        [k for k, _r in found],
        ref._referral_counts(s, view, today, ""),
    )


def _same_openings(engine, today: date) -> int:
    """Every view and page size read both ways; how many views had rows. Both segments
    (a chase-by date, then none) are read, and a page that ends in the first."""
    with_rows = 0
    segments: set[int] = set()
    with session_scope(engine, "t") as s:
        for view in VIEWS:
            for limit in LIMITS:
                opening = ref.referral_page(s, view, today, with_counts=True, limit=limit)
                apart = _apart(s, view, today, limit)
                assert opening.rows == apart.rows, (view, limit)
                assert opening.keys == apart.keys, (view, limit)
                assert [type(v) for k in opening.keys for v in k] == [
                    type(v) for k in apart.keys for v in k
                ], (view, limit)
                assert opening.counts == apart.counts, (view, limit)
                segments |= {k[0] for k in opening.keys}
            with_rows += bool(opening.rows)
            # Where the next page reads on from: the same rows after the opening's last key.
            if opening.rows:
                after = ref.referral_page(s, view, today, key=opening.keys[0], limit=5)
                assert after.rows == apart.rows[1:6], view
    assert segments == {0, 1}
    return with_rows


def test_the_opening_read_is_the_page_and_counts_read_apart(small_demo_engine):
    assert _same_openings(small_demo_engine, DEMO_TODAY) >= 4


def test_the_opening_read_on_other_days(small_demo_engine):
    """The statement is built once per view and day: another day is another statement
    (the overdue view and count move with the day)."""
    for today in (DEMO_TODAY - timedelta(days=40), DEMO_TODAY + timedelta(days=20)):
        _same_openings(small_demo_engine, today)


def test_an_empty_view_opens_with_no_rows_and_zero_counts(engine):
    with session_scope(engine, "t") as s:
        for view in VIEWS:
            page = ref.referral_page(s, view, DEMO_TODAY, with_counts=True)
            assert (page.rows, page.keys) == ([], [])
            assert page.counts == ref.ReferralCounts(0, 0, 0)


def test_the_opening_read_sees_a_change_not_yet_written(small_demo_engine):
    """As ``Session.execute`` would (autoflush): a referral withdrawn in the same unit of
    work, not yet flushed, has left the open view."""
    with session_scope(small_demo_engine, "t") as s:
        first = ref.referral_page(s, "open", DEMO_TODAY, with_counts=True)
        referral = s.get(Referral, first.rows[0].id)
        referral.state = "withdrawn"
        again = ref.referral_page(s, "open", DEMO_TODAY, with_counts=True)
        assert first.rows[0].id not in [r.id for r in again.rows]
        assert again.counts.total == first.counts.total - 1
        s.rollback()


def test_one_statement_opens_the_list(small_demo_engine):
    from sqlalchemy import event

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(small_demo_engine, "before_cursor_execute", count)
    try:
        with session_scope(small_demo_engine, "t") as s:
            seen.clear()
            page = ref.referral_page(s, "open", DEMO_TODAY, with_counts=True)
        assert page.rows and page.counts.total
        assert len(seen) == 1
    finally:
        event.remove(small_demo_engine, "before_cursor_execute", count)


@pytest.mark.postgres
def test_the_opening_read_on_postgres(pg_url):
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    try:
        seed_demo(opened.engine, "small", seed=1, today=DEMO_TODAY)
        assert _same_openings(opened.engine, DEMO_TODAY) >= 4
    finally:
        opened.engine.dispose()
