"""Finding people among 100,000: by name prefix, NHS number (any spacing) and date of birth."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.demo.seed import demo_nhs_numbers
from coordinator_tui.models import Person, utcnow
from coordinator_tui.services.people import (
    InvalidNhsNumber,
    count_people,
    format_nhs_number,
    normalise_nhs_number,
    people_page,
    search_people,
)

FAMILIES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies"]
GIVEN = ["Olivia", "Amelia", "Isla", "Jack", "Harry", "Noah", "Oscar", "Mia", "Leo", "Ava"]
N = 100_000


def insert_people(engine, numbers: list[str], order=lambda i: i) -> None:
    """One person per NHS number, written with one core insert: 80 distinct names in turn
    (the ``order(i)``-th of them for row ``i``, so ids may run in another order than the
    names), a date of birth that moves a day a row."""
    now = utcnow()
    rows = []
    for i, number in enumerate(numbers):
        n = order(i)
        family, given = FAMILIES[n % 8], GIVEN[(n // 8) % 10]
        rows.append(
            dict(
                id=i + 1,
                created_at=now,
                updated_at=now,
                version=1,
                nhs_number=number,
                given_name=given,
                family_name=family,
                search_name=f"{family} {given}".lower(),
                date_of_birth=date(1940, 1, 1) + timedelta(days=i % 30000),
                sex="",
                gender="",
                address_line1="",
                address_line2="",
                town="",
                postcode="GL1 1AA",
                phone="",
                case_summary="",
            )
        )
    with session_scope(engine, "t") as s:
        s.connection().execute(insert(Person), rows)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """100,000 people written with one core insert (about a second)."""
    path = tmp_path_factory.mktemp("big") / "people.db"
    opened = open_database(str(path))
    numbers = demo_nhs_numbers(N)
    insert_people(opened.engine, numbers)
    yield opened.engine, numbers
    opened.engine.dispose()


def test_name_prefix_family_first_and_given_first(big):
    engine, _ = big
    with session_scope(engine, "t") as s:
        hits = search_people(s, "smith oli", limit=50)
        assert hits and all((h.family_name, h.given_name) == ("Smith", "Olivia") for h in hits)
        assert len(hits) == 50
        again = search_people(s, "Olivia Smith", limit=5)
        assert all((h.family_name, h.given_name) == ("Smith", "Olivia") for h in again)
        given_only = search_people(s, "amel", limit=10)
        assert given_only and all(h.given_name == "Amelia" for h in given_only)


def test_nhs_number_any_spacing_and_prefix(big):
    engine, numbers = big
    target = numbers[54321]
    with session_scope(engine, "t") as s:
        assert [h.nhs_number for h in search_people(s, format_nhs_number(target))] == [target]
        assert [h.nhs_number for h in search_people(s, target)] == [target]
        prefix = search_people(s, target[:7], limit=20)
        assert prefix and all(h.nhs_number.startswith(target[:7]) for h in prefix)


def test_date_of_birth(big):
    engine, _ = big
    with session_scope(engine, "t") as s:
        hits = search_people(s, "02/01/1940", limit=50)
        assert hits and all(h.date_of_birth == date(1940, 1, 2) for h in hits)
        assert search_people(s, "31/11/1940") == []


def test_browse_counts_and_pages(big):
    engine, _ = big
    with session_scope(engine, "t") as s:
        assert count_people(s) == N
        assert count_people(s, "smith") == N // 8
        page = people_page(s, 99_990, 20)
        assert len(page) == 10
        names = [h.search_name if hasattr(h, "search_name") else h.family_name for h in page]
        assert names == sorted(names)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_search_never_fails_on_any_text(big, text):
    engine, _ = big
    with session_scope(engine, "t") as s:
        assert isinstance(search_people(s, text, limit=5), list)


@pytest.mark.parametrize("bad", ["123", "999 000 0019", "abcdefghij", "", "99900000181"])
def test_invalid_nhs_numbers_refused(bad):
    with pytest.raises(InvalidNhsNumber):
        normalise_nhs_number(bad)


def test_valid_nhs_number_normalised():
    assert normalise_nhs_number(" 999 000 0018 ") == "9990000018"
    assert normalise_nhs_number("999-000-0018") == "9990000018"
