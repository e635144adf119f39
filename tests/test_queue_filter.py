"""Issue 23: the queue's ``/`` filter searches a narrow list of the view read once
(``services.registers.queue_search``), not a LIKE scan of the view per key; its matches,
order and counts are the old in-memory filter's over the full query."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import DEMO_TODAY
from queue_oracle import review_queue

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
        full = review_queue(s, DEMO_TODAY, filters)
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


@pytest.mark.parametrize("typed", ["smith jo", "999 12", "3/1/20", "a1/", "jo  smi", "12a"])
def test_typing_key_by_key_is_the_old_filter_each_key(small_demo_engine, typed):
    """Each key narrows the last key's matches (text extending it, of the same kind) or
    searches the view again (a change of kind, a deletion): the same as the old filter
    after every key, backspaces too."""
    filters = reg.QueueFilter(horizon_days=365)
    with session_scope(small_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)
        search = reg.queue_search(s, DEMO_TODAY, filters)
    sequence = [typed[:n] for n in range(1, len(typed) + 1)]
    sequence += sequence[-2::-1]  # and deleted again, one key at a time
    for text in sequence:
        expected = [r.entry_id for r in reg.filter_by_text(full, text)]
        assert [e.entry_id for e in search.matching(text)] == expected, text


# -- issue 13: the queue's and the person record's decisions, in the service -----------------

TODAY = date(2026, 11, 23)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("due", "overdue"),
    [(None, False), (TODAY - D, True), (TODAY, False), (TODAY + D, False)],
)
def test_review_overdue(due, overdue):
    """A review due yesterday is overdue; due today is not yet; no date never is."""
    assert reg.review_overdue(due, TODAY) is overdue


def _row(review: date | None, ha: date | None) -> reg.QueueRow:
    return reg.QueueRow(
        1, 1, 1, "9990000001", "Kid", "Family", date(2015, 1, 1), "LAC", "Looked after",
        "Alpha", "Lead", "high", review, None, False, date(2025, 1, 1), ha,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("review", "ha", "first", "late"),
    [
        # Statutory guidance on promoting the health of looked-after children (2015),
        # paras 29-31: the assessment's own date, shown when it comes first.
        (TODAY + 5 * D, None, False, False),  # not looked after (no assessment)
        (TODAY + 5 * D, TODAY + 2 * D, True, False),  # assessment before the review
        (TODAY + 5 * D, TODAY + 5 * D, True, False),  # same day: the assessment shows
        (TODAY + 2 * D, TODAY + 5 * D, False, False),  # review first
        (None, TODAY + 5 * D, True, False),  # no review date: the assessment
        (TODAY + 5 * D, TODAY, True, False),  # due today: not late yet
        (TODAY + 5 * D, TODAY - D, True, True),  # passed: HA LATE
        (TODAY - 9 * D, TODAY - D, False, True),  # late, behind an overdue review
    ],
)
def test_health_assessment_first_and_overdue(review, ha, first, late):
    row = _row(review, ha)
    assert row.health_assessment_first() is first
    assert row.health_assessment_overdue(TODAY) is late
    assert reg.health_assessment_late(row, TODAY) is late
