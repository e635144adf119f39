"""The UK date shorthand and working days, table-driven, plus property tests."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.services.dates import (
    DateParseError,
    add_interval,
    add_working_days,
    describe,
    format_date,
    is_working_day,
    parse_date,
    working_days_between,
)

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 23)),
        ("  Today ", date(2026, 11, 23)),
        ("tomorrow", date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 22)),
        ("+3d", date(2026, 11, 26)),
        ("-1w", date(2026, 11, 16)),
        ("+2w", date(2026, 12, 7)),
        ("+1m", date(2026, 12, 23)),
        ("-2m", date(2026, 9, 23)),
        ("+1y", date(2027, 11, 23)),
        ("+1wd", date(2026, 11, 24)),
        ("+5wd", date(2026, 11, 30)),
        ("mon", date(2026, 11, 30)),  # the next Monday, never today
        ("monday", date(2026, 11, 30)),
        ("fri", date(2026, 11, 27)),
        ("next tuesday", date(2026, 11, 24)),
        ("3/12", date(2026, 12, 3)),
        ("3/12/26", date(2026, 12, 3)),
        ("03/12/2026", date(2026, 12, 3)),
        ("3-12-2026", date(2026, 12, 3)),
        ("3.12.2026", date(2026, 12, 3)),
        ("3 Dec", date(2026, 12, 3)),
        ("3 December 2026", date(2026, 12, 3)),
        ("3rd Dec 2026", date(2026, 12, 3)),
        ("Dec 3 2026", date(2026, 12, 3)),
        ("2026-12-03", date(2026, 12, 3)),
        ("1/2/2027", date(2027, 2, 1)),  # day first: 1 February, never 2 January
        ("29/2/2028", date(2028, 2, 29)),  # leap year
        ("31/12", date(2026, 12, 31)),
    ],
)
def test_shorthand(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
    ],
)
def test_month_ends_clamp(start, months, expected):
    assert add_interval(start, months=months) == expected
    assert parse_date("+1m", date(2026, 1, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/11", "November has 30 days"),
        ("31/11/2026", "November has 30 days"),
        ("29/2/2027", "not a leap year"),
        ("29/02/2100", "not a leap year"),
        ("13/13", "no month 13"),
        ("0/1", "no day 0"),
        ("32/1", "January has 31 days"),
        ("", "Enter a date"),
        ("   ", "Enter a date"),
        ("abc", "Could not read"),
        ("+d", "Put a number before the unit"),
        ("31 Sept", "September has 30 days"),
        ("+999999y", "too far"),
    ],
)
def test_bad_input_says_why(text, message):
    with pytest.raises(DateParseError, match=message):
        parse_date(text, TODAY)


def test_describe_for_widgets():
    assert describe("3/12", TODAY) == (date(2026, 12, 3), "Thu 3 Dec 2026")
    assert describe("", TODAY) == (None, "")
    value, message = describe("31/11", TODAY)
    assert value is None and "30 days" in message
    assert format_date(date(2026, 12, 3)) == "Thu 3 Dec 2026"


# England and Wales bank holidays, from gov.uk: Christmas 2026 falls on a Friday, so
# Boxing Day is substituted to Monday 28 December; Easter 2027 is 26-29 March.
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), False),
        (date(2026, 12, 26), False),  # Saturday
        (date(2026, 12, 28), False),  # Boxing Day substitute
        (date(2026, 12, 29), True),
        (date(2027, 3, 26), False),  # Good Friday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 5, 3), False),  # early May bank holiday
        (date(2027, 5, 4), True),
    ],
)
def test_bank_holidays(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 23), 1, date(2026, 11, 24)),  # Mon -> Tue
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Fri -> Mon over the weekend
        (date(2026, 11, 28), 0, date(2026, 11, 30)),  # Saturday counts from Monday
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # over Christmas and Boxing Day
        (date(2026, 12, 23), 3, date(2026, 12, 30)),  # complaint acknowledgement
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # over Easter
        (date(2027, 4, 30), 1, date(2027, 5, 4)),  # over the early May bank holiday
        (date(2026, 12, 1), 15, date(2026, 12, 22)),  # initial conference deadline
        (date(2026, 12, 29), -1, date(2026, 12, 24)),
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_days_between():
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5
    assert working_days_between(date(2026, 11, 30), date(2026, 11, 23)) == 0


@given(st.text(max_size=40))
def test_never_raises_anything_else_on_any_text(text):
    with contextlib.suppress(DateParseError):
        parse_date(text, TODAY)


@given(
    st.one_of(
        st.from_regex(r"\A[+-]?\d{0,12}(d|w|m|y|wd)?\Z"),
        st.from_regex(r"\A\d{1,4}[/.-]\d{1,4}([/.-]\d{1,6})?\Z"),
        st.from_regex(r"\A\d{1,3}(st|nd|rd|th)? [A-Za-z]{3,9}( \d{1,5})?\Z"),
    )
)
def test_never_raises_anything_else_on_date_like_junk(text):
    try:
        value = parse_date(text, TODAY)
    except DateParseError:
        return
    assert isinstance(value, date)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_round_trip_uk_format(value):
    assert parse_date(value.strftime("%d/%m/%Y"), TODAY) == value
    assert parse_date(value.isoformat(), TODAY) == value
