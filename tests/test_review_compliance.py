"""The queue's review compliance line (``services.registers.review_compliance``), counted
by the database per practice and category (issue 23 §1: at ten times the demo its
100,000 active entries and 72,000 reviews of the last month came to Python, a second of
CPU in the queue's background read). Checked against the plain count in Python, on the
small demo, on entries reviewed exactly on and a day either side of their category's
cut-off, and on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    EntryStatus,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
)
from coordinator_tui.services.registers import ComplianceRow, review_compliance

TODAY = date(2026, 11, 23)  # the small demo's day


def _counted_in_python(session, today: date) -> list[ComplianceRow]:
    """The reference: every row read and counted here, as the service once did."""
    practices = {p.id: p.short_name or "—" for p in session.exec(select(Practice))}
    categories = {c.id: c for c in session.exec(select(RegisterCategory))}
    stats: dict[tuple[str, str], list[int]] = {}
    entries = {e.id: e for e in session.exec(select(RegisterEntry))}
    for entry in entries.values():
        if entry.status != EntryStatus.ACTIVE:
            continue
        category = categories[entry.category_id]
        key = (practices.get(entry.practice_id, "—"), category.name)
        bucket = stats.setdefault(key, [0, 0, 0, 0])
        bucket[0] += 1
        cutoff = today - timedelta(days=category.review_interval_days)
        if entry.last_reviewed is not None and entry.last_reviewed >= cutoff:
            bucket[1] += 1
    for review in session.exec(select(RegisterReview)):
        if review.action != "reviewed" or review.reviewed_on < today - timedelta(days=30):
            continue
        entry = entries[review.entry_id]
        key = (practices.get(entry.practice_id, "—"), categories[entry.category_id].name)
        bucket = stats.setdefault(key, [0, 0, 0, 0])
        bucket[2] += 1
        if review.due_before is None or review.reviewed_on <= review.due_before:
            bucket[3] += 1
    return [ComplianceRow(p, c, *v) for (p, c), v in sorted(stats.items())]


def _edges(engine) -> None:
    """Entries last reviewed a day before, on, and a day after their category's cut-off,
    one with no practice, and reviews late, on time and with no due day."""
    with session_scope(engine, "t") as session:
        entries = session.exec(
            select(RegisterEntry).where(RegisterEntry.status == EntryStatus.ACTIVE).limit(4)
        ).all()
        for entry, offset in zip(entries, (-1, 0, 1, 0), strict=False):
            interval = session.get(RegisterCategory, entry.category_id).review_interval_days
            entry.last_reviewed = TODAY - timedelta(days=interval) + timedelta(days=offset)
        entries[-1].practice_id = None
        for entry, due in zip(entries, (TODAY - timedelta(days=3), TODAY, None), strict=False):
            session.add(
                RegisterReview(
                    entry_id=entry.id,
                    reviewed_on=TODAY - timedelta(days=1),
                    action="reviewed",
                    due_before=due,
                )
            )


def test_counted_by_the_database_as_counted_one_by_one(small_demo_engine):
    _edges(small_demo_engine)
    with session_scope(small_demo_engine, "t") as session:
        found = review_compliance(session, TODAY)
        assert found == _counted_in_python(session, TODAY)
        assert any(row.practice == "—" for row in found)
        assert sum(row.active for row in found) > 0 and sum(row.on_time for row in found) > 0


@pytest.mark.postgres
def test_counted_on_postgresql_as_counted_one_by_one(pg_url):
    """The cut-offs bound as dates in a ``CASE`` on the category: PostgreSQL compares
    dates, SQLite the stored ISO text."""
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(pg_url)
    try:
        seed_demo(opened.engine, size="small", seed=1, today=TODAY)
        _edges(opened.engine)
        with session_scope(opened.engine, "t") as session:
            assert review_compliance(session, TODAY) == _counted_in_python(session, TODAY)
    finally:
        opened.engine.dispose()
