"""Issue 23: the queue's ``/`` filter searches a narrow list of the view read once
(``services.registers.queue_search``), not a LIKE scan of the view per key; its matches,
order and counts are the old in-memory filter's over the full query."""

from __future__ import annotations

import pytest
from conftest import DEMO_TODAY

from coordinator_tui.db import session_scope
from coordinator_tui.services import registers as reg

VIEWS = [
    reg.QueueFilter(horizon_days=365),
    reg.QueueFilter(),
    reg.QueueFilter(horizon_days=-1),
    reg.QueueFilter(escalated_only=True),
    reg.QueueFilter(risk_level="high", horizon_days=90),
]


def _needles(full: list[reg.QueueRow]) -> list[str]:
    sample = full[min(3, len(full) - 1)]
    dob = sample.date_of_birth
    return [
        "",
        sample.family_name[:3].upper(),
        f"{sample.given_name[:2]} {sample.family_name[-3:]}".lower(),
        sample.nhs_number[2:7],
        f"{sample.nhs_number[:3]} {sample.nhs_number[3:6]}",
        f"{dob.day}/{dob.month}/",
        f"{dob:%d/%m}",
        "a",
        "zzzz",
    ]


@pytest.mark.parametrize("filters", VIEWS, ids=lambda f: repr(f)[12:60])
def test_search_list_matches_the_old_filter(small_demo_engine, filters):
    """Every needle kind: the same entries in the same order, the same counts, and the
    rows read by id are the full query's rows (with their health assessments)."""
    with session_scope(small_demo_engine, "t") as s:
        full = reg.review_queue(s, DEMO_TODAY, filters)
        assert full, "the demo has entries in every view tested"
        search = reg.queue_search(s, DEMO_TODAY, filters)
        assert [e.entry_id for e in search.entries] == [r.entry_id for r in full]
        for needle in _needles(full):
            expected = reg.filter_by_text(full, needle)
            matched = search.matching(needle)
            assert [e.entry_id for e in matched] == [r.entry_id for r in expected], needle
            counts = search.counts(matched)
            assert counts == reg.queue_counts(s, DEMO_TODAY, filters, text=needle), needle
            rows = reg.queue_rows(s, DEMO_TODAY, filters, [e.entry_id for e in matched[:50]])
            assert rows == expected[:50], needle


def test_search_keys_are_the_pages_keys(small_demo_engine):
    """Each entry's key is the one ``queue_page`` gives its row: the screen reads on by it."""
    filters = reg.QueueFilter(horizon_days=365)
    with session_scope(small_demo_engine, "t") as s:
        search = reg.queue_search(s, DEMO_TODAY, filters)
        page = reg.queue_page(s, DEMO_TODAY, filters, limit=10**6)
    assert [e.key for e in search.entries] == page.keys
