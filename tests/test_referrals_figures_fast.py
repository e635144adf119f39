"""The Referrals figures (issue 23): counted per type and practice id in one pass and named
after, the stamps of the referrals with an outcome read as the driver gives them and each
converted once by the column's own conversion. The same figures as every referral counted
one by one, where it matters: stamps either side of a UK midnight in summer time and in
winter, two practices with one short name, a referral with no practice, on SQLite and on
PostgreSQL (``COORDINATOR_TUI_TEST_PG_URL``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from test_referrals_service import _figures_counted_one_by_one

from coordinator_tui.db import session_scope
from coordinator_tui.models import Person, Practice, Referral
from coordinator_tui.services import referrals as ref

TODAY = date(2026, 11, 23)

# (type, practice, state, sent, outcome, chase-by): sent and outcome in UTC.
CASES = [
    # 23:30 UTC in June is 00:30 the next day in the UK (summer time): a Friday sent
    # on the Saturday, answered on the Monday.
    ("MASH", "A", "outcome_received", (2026, 6, 26, 23, 30), (2026, 6, 29, 9, 0), None),
    ("MASH", "A", "closed", (2026, 6, 26, 22, 59), (2026, 6, 29, 23, 30), None),
    # 23:30 UTC in November is 23:30 in the UK (winter time).
    ("MASH", "B", "closed", (2026, 11, 2, 23, 30), (2026, 11, 4, 23, 59), None),
    ("MASH", "A2", "closed", (2026, 11, 3, 0, 30), (2026, 11, 10, 12, 0), None),
    ("MARAC", None, "sent", (2026, 11, 1, 0, 0), None, date(2026, 11, 20)),
    ("MARAC", "B", "acknowledged", (2026, 10, 31, 23, 59), None, date(2026, 11, 30)),
    ("S42", "A", "drafted", None, None, date(2026, 11, 24)),
    # The same stamps again: converted once, counted twice.
    ("S42", "A2", "closed", (2026, 3, 28, 12, 0), (2026, 3, 30, 12, 0), None),
    ("S42", "A2", "closed", (2026, 3, 28, 12, 0), (2026, 3, 30, 12, 0), None),
    ("S42", "B", "withdrawn", (2026, 11, 22, 23, 0), None, None),
]


def _stamp(parts):
    return datetime(*parts, tzinfo=UTC) if parts else None


def _seed(engine) -> None:
    with session_scope(engine, "setup") as s:
        practices = {
            # Two practices shown by one short name: their figures are summed under it.
            "A": Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha"),
            "A2": Practice(ods_code="A2", name="Alpha Branch", short_name="Alpha"),
            "B": Practice(ods_code="B1", name="Beta Health Centre", short_name="Beta"),
        }
        s.add_all(practices.values())
        s.flush()
        for n, (kind, where, state, sent, outcome, chase) in enumerate(CASES):
            person = Person(
                nhs_number=f"99900{n:05d}",
                given_name="Kit",
                family_name=f"Case{n}",
                search_name=f"case{n} kit",
                date_of_birth=date(2016, 3, 4),
            )
            s.add(person)
            s.flush()
            s.add(
                Referral(
                    person_id=person.id,
                    practice_id=practices[where].id if where else None,
                    referral_type=kind,
                    state=state,
                    reason="test",
                    drafted_at=_stamp(sent) or datetime(2026, 11, 20, 12, tzinfo=UTC),
                    sent_at=_stamp(sent),
                    outcome_received_at=_stamp(outcome),
                    chase_by=chase,
                )
            )


def _same_figures(engine) -> list[ref.ReferralFigures]:
    with session_scope(engine, "t") as s:
        for today in (TODAY, date(2026, 11, 1), date(2026, 6, 30)):
            figures = ref.referral_figures(s, today)
            assert figures == _figures_counted_one_by_one(s, today), today
        return ref.referral_figures(s, TODAY)


def test_figures_at_midnights_and_shared_names(engine):
    _seed(engine)
    figures = {(f.referral_type, f.practice): f for f in _same_figures(engine)}
    # The summer Friday 23:30 UTC is a Saturday in the UK: one working day to Monday.
    mash_alpha = figures[("MASH", "Alpha")]
    assert mash_alpha.median_days_to_outcome is not None
    assert ("MARAC", "—") in figures  # no practice
    assert figures[("S42", "Alpha")].made_this_month == 0


@pytest.mark.postgres
def test_figures_at_midnights_and_shared_names_on_postgres(pg_url):
    from coordinator_tui.db import open_database

    opened = open_database(pg_url)
    try:
        _seed(opened.engine)
        _same_figures(opened.engine)
    finally:
        opened.engine.dispose()
