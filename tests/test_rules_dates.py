"""Dates people type (issue 21 section 5): a two-digit year takes the century the field
expects, a day name says which day it means, and the date field says what it expects."""

from __future__ import annotations

from datetime import date as D

import pytest
from pilot_helpers import wait_for
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from coordinator_tui.services.dates import DUE, PAST, describe, parse_date
from coordinator_tui.widgets.date_input import DateInput

MONDAY = D(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expects", "today", "expected"),
    [
        pytest.param("3/12/99", PAST, MONDAY, D(1999, 12, 3), id="date of birth: 99 is 1999"),
        pytest.param("3/12/99", DUE, MONDAY, D(2099, 12, 3), id="due date: 99 is 2099"),
        pytest.param("3/12/26", PAST, MONDAY, D(1926, 12, 3), id="past: 3 Dec 2026 not yet"),
        pytest.param("23/11/26", PAST, MONDAY, D(2026, 11, 23), id="past: today is past"),
        pytest.param("22/11/26", PAST, MONDAY, D(2026, 11, 22), id="past: yesterday"),
        pytest.param("1/1/27", PAST, MONDAY, D(1927, 1, 1), id="past: 27 is 1927"),
        pytest.param("1/1/27", DUE, MONDAY, D(2027, 1, 1), id="due: 27 is 2027"),
        pytest.param("3 Dec 99", PAST, MONDAY, D(1999, 12, 3), id="past, month name"),
        pytest.param("Fri 3 Dec 99", PAST, MONDAY, D(1999, 12, 3), id="past, with day name"),
        pytest.param("3/12/1999", DUE, MONDAY, D(1999, 12, 3), id="four digits as typed"),
        pytest.param("25/12", PAST, MONDAY, D(2025, 12, 25), id="past, no year: last one"),
        pytest.param("25/12", DUE, MONDAY, D(2026, 12, 25), id="due, no year: this year"),
        pytest.param("29/2/28", PAST, MONDAY, D(1928, 2, 29), id="past leap day, 1928"),
    ],
)
def test_two_digit_year_by_field(text, expects, today, expected):
    assert parse_date(text, today, expects) == expected


def test_default_is_a_due_date():
    assert parse_date("3/12/99", MONDAY) == D(2099, 12, 3)


@pytest.mark.parametrize(
    ("text", "today", "expected", "shown"),
    [
        pytest.param(
            "next fri",
            D(2026, 11, 26),
            D(2026, 11, 27),
            "Fri 27 Nov 2026 · tomorrow",
            id="next fri on a Thursday: tomorrow, and it says so",
        ),
        pytest.param(
            "fri",
            D(2026, 11, 26),
            D(2026, 11, 27),
            "Fri 27 Nov 2026 · tomorrow",
            id="fri on a Thursday: the same day as next fri",
        ),
        pytest.param(
            "next fri",
            D(2026, 11, 27),
            D(2026, 12, 4),
            "Fri 4 Dec 2026 · in 7 days",
            id="next fri on a Friday: a week on, never today",
        ),
        pytest.param(
            "mon", MONDAY, D(2026, 11, 30), "Mon 30 Nov 2026 · in 7 days", id="mon on a Monday"
        ),
    ],
)
def test_day_names_say_which_day(text, today, expected, shown):
    assert describe(text, today) == (expected, shown)


def test_past_field_says_how_it_read_the_year():
    assert describe("3/12/99", MONDAY, PAST) == (D(1999, 12, 3), "Fri 3 Dec 1999 · 99 read as 1999")
    assert describe("3/12/1999", MONDAY, PAST) == (D(1999, 12, 3), "Fri 3 Dec 1999")


class _Form(App):
    def compose(self) -> ComposeResult:
        yield DateInput(id="born", today=MONDAY, expects=PAST)
        yield DateInput(id="due", today=MONDAY)


async def test_date_fields_say_what_they_expect():
    app = _Form()
    async with app.run_test() as pilot:
        born = app.query_one("#born", DateInput)
        due = app.query_one("#due", DateInput)
        assert "past date" in born.query_one(Input).placeholder
        assert "past" not in due.query_one(Input).placeholder
        born.focus()
        await pilot.press(*"3/12/99")
        await wait_for(pilot, lambda: born.value == D(1999, 12, 3))
        status = str(born.query_one(".date-status", Static).render())
        assert "Fri 3 Dec 1999" in status and "99 read as 1999" in status
        due.focus()
        await pilot.press(*"3/12/99")
        await wait_for(pilot, lambda: due.value == D(2099, 12, 3))


def test_people_search_reads_a_birth_date_as_past(small_demo_engine):
    """A date of birth typed with two digits finds the people born then (not in 2099)."""
    from sqlmodel import select

    from coordinator_tui.db import session_scope
    from coordinator_tui.models import Person
    from coordinator_tui.services.people import search_people

    with session_scope(small_demo_engine, "t") as s:
        born = s.exec(
            select(Person.date_of_birth).where(Person.date_of_birth < D(2000, 1, 1))
        ).first()
        typed = f"{born.day}/{born.month}/{born.year % 100:02d}"
        found = search_people(s, typed)
        assert found and all(p.date_of_birth == born for p in found)
