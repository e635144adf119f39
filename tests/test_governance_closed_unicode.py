"""The closed incidents' filter (Governance ``X``, read a page at a time with the filter in
SQL: ``incidents.closed_incidents_page``) matches names whatever their case, beyond ASCII:
SQLite's own ``lower()`` folds ASCII only, so ``élodie`` did not find ``ÉLODIE``. On SQLite
the filter folds with Python's ``str.casefold`` registered as ``casefold``; on PostgreSQL
with ``lower()``, Unicode-aware on a UTF-8 database. The same table runs on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import DEMO_TODAY

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Carer, Customer
from coordinator_tui.services.governance import incidents as inc

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

PEOPLE = {
    # name stored: (customer, carer)
    "élodie": ("ÉLODIE BÉRANGER", "Zoë Ørsted"),
    "zoë": ("Ana Núñez", "ZOË ØRSTED"),
    "strauß": ("Grete STRAUSS", "Jörg Strauß"),
}


def _seed(engine) -> dict[str, int]:
    """One closed incident for each customer/carer pair of ``PEOPLE``; their ids by key."""
    ids: dict[str, int] = {}
    with session_scope(engine, "t") as s:
        for key, (customer_name, carer_name) in PEOPLE.items():
            customer, carer = Customer(name=customer_name), Carer(name=carer_name)
            s.add_all([customer, carer])
            s.flush()
            incident = inc.log_incident(
                s,
                occurred_at=NOW - timedelta(hours=2),
                found_at=NOW - timedelta(hours=1),
                kind="fall",
                severity="low",
                description="Slipped in the kitchen",
                customer_id=customer.id,
                carer_id=carer.id,
                by="t",
                now=NOW,
            )
            incident.status = inc.CLOSED  # closed for the test: the filter is what is tried
            incident.closed_at = NOW
            s.flush()
            ids[key] = incident.id
    return ids


# (typed, the keys of PEOPLE whose incident it finds); the text typed in any case.
CASES = [
    ("élodie", {"élodie"}),  # a lower-case word, the name stored in capitals
    ("ÉLODIE", {"élodie"}),
    ("Élodie BÉRANGER", {"élodie"}),  # every word must be found
    ("ørsted", {"élodie", "zoë"}),  # the carer's name, in either case
    ("zoË", {"élodie", "zoë"}),
    ("núñez", {"zoë"}),
    ("NÚÑEZ", {"zoë"}),
    ("jörg", {"strauß"}),
    ("STRAUß", {"strauß"}),  # ß kept by lower() and casefold() alike
    ("elodie", set()),  # accents are letters, not case: no match without them
]


def _found(engine, typed: str, ids: dict[str, int]) -> set[str]:
    with session_scope(engine, "t") as s:
        page = inc.closed_incidents_page(s, DEMO_TODAY, text=typed, with_total=True)
    by_id = {incident_id: key for key, incident_id in ids.items()}
    found = {by_id[r.id] for r in page.rows if r.id in by_id}
    assert page.total == len(page.rows)  # the count made with the same filter
    return found


@pytest.mark.parametrize(("typed", "expected"), CASES)
def test_sqlite_filter_folds_unicode_case(engine, typed, expected):
    ids = _seed(engine)
    assert _found(engine, typed, ids) == expected


def test_sqlite_folds_fully_with_casefold(engine):
    """On SQLite ``casefold`` folds ß to ss: ``strasse`` finds Strauß's carer and
    Grete STRAUSS alike (one incident, both names hers)."""
    ids = _seed(engine)
    assert _found(engine, "strauss", ids) == {"strauß"}
    assert _found(engine, "STRAUSS jörg", ids) == {"strauß"}


@pytest.mark.postgres
def test_postgres_filter_folds_unicode_case(pg_url):
    opened = open_database(pg_url)
    try:
        ids = _seed(opened.engine)
        for typed, expected in CASES:
            assert _found(opened.engine, typed, ids) == expected, typed
    finally:
        opened.engine.dispose()
