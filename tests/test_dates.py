"""The UK date parser and working-day arithmetic (services.dates).

``TODAY`` is Monday 23 November 2026, the date the demo and the app tests are pinned to.
Bank holidays asserted here were checked against the installed ``holidays`` package
(``country_holidays("GB", subdiv="ENG")``); ``test_bank_holiday_calendar`` keeps that
check in the suite, so a change in the package shows up there first.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.services.dates import (
    MAX_YEAR,
    MIN_YEAR,
    DateParseError,
    add_interval,
    add_working_days,
    bank_holiday_name,
    describe,
    format_date,
    format_date_short,
    is_working_day,
    next_working_day,
    parse_date,
    working_days_between,
)

TODAY = date(2026, 11, 23)
assert TODAY.weekday() == 0  # a Monday: the weekday cases below depend on it

D = date


# -- parsing ---------------------------------------------------------------------------

GOOD = [
    # words
    ("today", D(2026, 11, 23)),
    ("TODAY", D(2026, 11, 23)),
    ("  today  ", D(2026, 11, 23)),
    ("tod", D(2026, 11, 23)),
    ("tomorrow", D(2026, 11, 24)),
    ("tom", D(2026, 11, 24)),
    ("yesterday", D(2026, 11, 22)),
    ("yest", D(2026, 11, 22)),
    # relative
    ("+3d", D(2026, 11, 26)),
    ("-1d", D(2026, 11, 22)),
    ("+0d", D(2026, 11, 23)),
    ("-1w", D(2026, 11, 16)),
    ("+2w", D(2026, 12, 7)),
    ("+1m", D(2026, 12, 23)),
    ("-2m", D(2026, 9, 23)),
    ("+1y", D(2027, 11, 23)),
    ("+ 3 d", D(2026, 11, 26)),
    ("+3D", D(2026, 11, 26)),
    ("+3wd", D(2026, 11, 26)),  # Mon + 3 working days = Thu
    ("+5wd", D(2026, 11, 30)),  # a full working week: next Monday
    ("-1wd", D(2026, 11, 20)),  # the Friday before
    # weekdays: the next one strictly after today (a Monday)
    ("mon", D(2026, 11, 30)),
    ("monday", D(2026, 11, 30)),
    ("next mon", D(2026, 11, 30)),
    ("tue", D(2026, 11, 24)),
    ("tues", D(2026, 11, 24)),
    ("wed", D(2026, 11, 25)),
    ("thursday", D(2026, 11, 26)),
    ("fri", D(2026, 11, 27)),
    ("Next Friday", D(2026, 11, 27)),
    ("next tuesday", D(2026, 11, 24)),
    ("sat", D(2026, 11, 28)),
    ("sun", D(2026, 11, 29)),
    # numeric, day first
    ("3/12", D(2026, 12, 3)),
    ("3/12/26", D(2026, 12, 3)),
    ("03/12/2026", D(2026, 12, 3)),
    ("3-12-2026", D(2026, 12, 3)),
    ("3.12.2026", D(2026, 12, 3)),
    ("12/3", D(2027, 3, 12)),  # 12 March (the next: a due date), never December 3rd
    ("1/2/2027", D(2027, 2, 1)),  # 1 February, never 2 January
    ("1/2/99", D(2099, 2, 1)),  # two-digit years are 20yy
    ("29/2/2028", D(2028, 2, 29)),  # leap year
    ("29/2/28", D(2028, 2, 29)),
    ("31/12/2026", D(2026, 12, 31)),
    # month names
    ("3 Dec", D(2026, 12, 3)),
    ("3 dec 2026", D(2026, 12, 3)),
    ("3 December 2026", D(2026, 12, 3)),
    ("3rd Dec 2026", D(2026, 12, 3)),
    ("1st jan 27", D(2027, 1, 1)),
    ("22nd Sept 2027", D(2027, 9, 22)),
    ("3dec", D(2026, 12, 3)),
    ("Dec 3 2026", D(2026, 12, 3)),
    ("Dec 3rd, 2026", D(2026, 12, 3)),
    ("december 3", D(2026, 12, 3)),
    # ISO
    ("2026-12-03", D(2026, 12, 3)),
    ("2028-02-29", D(2028, 2, 29)),
    # as format_date shows it, day name included
    ("Thu 3 Dec 2026", D(2026, 12, 3)),
    ("thu, 3/12", D(2026, 12, 3)),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (D(2027, 1, 31), "+1m", D(2027, 2, 28)),  # month ends clamp, never 3 March
        (D(2028, 1, 31), "+1m", D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), "-1m", D(2026, 2, 28)),
        (D(2028, 2, 29), "+1y", D(2029, 2, 28)),
        (D(2026, 12, 28), "+1w", D(2027, 1, 4)),  # across the year end
        (D(2026, 11, 27), "fri", D(2026, 12, 4)),  # on a Friday, "fri" is next week
        (D(2027, 6, 1), "3/12", D(2027, 12, 3)),  # no year: within 9 months to come
        (D(2026, 12, 6), "3/1", D(2027, 1, 3)),  # not a due date 11 months gone
        (D(2026, 12, 6), "25/11", D(2026, 11, 25)),  # a chase already late: this year's
        (D(2026, 12, 6), "6/9", D(2026, 9, 6)),  # 91 days gone: still this year's
        (D(2026, 12, 6), "5/9", D(2027, 9, 5)),  # 92 days gone: next year's
        (D(2027, 12, 6), "29/2", D(2028, 2, 29)),  # the next leap year's
        (D(2026, 12, 6), "3 jan", D(2027, 1, 3)),  # month names alike
    ],
)
def test_parse_date_relative_to_other_days(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today=today) == expected


BAD = [
    ("31/11", "November has 30 days"),
    ("31/4/2027", "April has 30 days"),
    ("29/2/2027", "2027 is not a leap year"),
    ("29 feb 2027", "2027 is not a leap year"),
    ("2027-02-29", "2027 is not a leap year"),
    ("29/02/2100", "2100 is not a leap year"),  # centuries are leap only every 400 years
    ("31 Sept", "September has 30 days"),
    ("13/13", "no month 13"),
    ("1/13/2026", "no month 13"),
    ("0/5", "no day 0"),
    ("32/1", "January has 31 days"),
    ("", "Enter a date"),
    ("   ", "Enter a date"),
    ("abc", "Could not read 'abc'"),
    ("+d", "number before the unit"),
    ("+3", "unit after the number"),
    ("3d", r"Put \+ or - before a relative date"),
    ("3 foo 2026", "'foo' is not a month"),
    ("3/12/202", "2 or 4 digits"),
    ("1/1/1899", "out of range"),
    ("+99999999d", "too far"),
    ("+999999d", "too far"),
    ("-999999m", "too far"),
    ("+99999y", "too far"),
    ("+999999y", "too far"),
    ("+999999wd", "too far"),
    ("fri 3/12", "is a Thursday, not a Friday"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_parse_date_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DateParseError, match=message) as caught:
        parse_date(text, today=TODAY)
    assert isinstance(caught.value, ValueError)  # callers may catch ValueError too


def test_error_message_quotes_long_input_briefly() -> None:
    with pytest.raises(DateParseError) as caught:
        parse_date("x" * 500, today=TODAY)
    assert len(str(caught.value)) < 120


def test_parse_date_defaults_to_today() -> None:
    # Uses the real date: only check it is today-ish (the UK date may differ from local).
    assert abs((parse_date("today") - date.today()).days) <= 1


# -- formatting and describe -------------------------------------------------------------


def test_format_date() -> None:
    assert format_date(D(2026, 12, 3)) == "Thu 3 Dec 2026"
    assert format_date(D(2027, 3, 26)) == "Fri 26 Mar 2027"
    assert format_date_short(D(2026, 12, 3)) == "03/12/2026"
    assert format_date_short(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/12", (D(2026, 12, 3), "Thu 3 Dec 2026")),
        ("31/11", (None, "31/11 is not a date: November has 30 days")),
        ("", (None, "")),
        ("  ", (None, "")),
    ],
)
def test_describe(text: str, expected: tuple[date | None, str]) -> None:
    assert describe(text, today=TODAY) == expected


def test_describe_unreadable_text_gives_hint() -> None:
    value, message = describe("foo", today=TODAY)
    assert value is None
    assert message.startswith("Could not read 'foo' as a date: try ")


# -- working days ------------------------------------------------------------------------


def test_bank_holiday_calendar() -> None:
    """The dates the working-day cases rely on, straight from the holidays package."""
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027])
    for day in [
        D(2026, 12, 25),  # Christmas Day, a Friday
        D(2026, 12, 28),  # Boxing Day (Sat 26th) substitute, Monday
        D(2027, 3, 26),  # Good Friday
        D(2027, 3, 29),  # Easter Monday
        D(2027, 5, 3),  # early May bank holiday
    ]:
        assert day in calendar, day
    assert D(2026, 12, 25).weekday() == 4
    assert D(2026, 12, 28).weekday() == 0
    assert "Boxing Day" in (bank_holiday_name(D(2026, 12, 28)) or "")
    assert bank_holiday_name(D(2026, 12, 29)) is None


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 23), True),  # Monday
        (D(2026, 11, 27), True),  # Friday
        (D(2026, 11, 28), False),  # Saturday
        (D(2026, 11, 29), False),  # Sunday
        (D(2026, 12, 24), True),  # Christmas Eve is a working day
        (D(2026, 12, 25), False),  # Christmas Day
        (D(2026, 12, 28), False),  # Boxing Day substitute
        (D(2026, 12, 29), True),
        (D(2027, 1, 1), False),  # New Year's Day
        (D(2027, 3, 26), False),  # Good Friday
        (D(2027, 3, 29), False),  # Easter Monday
        (D(2027, 3, 30), True),
        (D(2027, 5, 3), False),  # early May bank holiday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2026, 11, 23), 1, D(2026, 11, 24)),  # Mon + 1 = Tue
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Fri + 1 = Mon (weekend skipped)
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # Sat + 1 = Mon
        (D(2026, 11, 23), 5, D(2026, 11, 30)),
        (D(2026, 11, 23), 10, D(2026, 12, 7)),
        (D(2026, 12, 1), 15, D(2026, 12, 22)),  # initial conference: 15 working days
        (D(2026, 12, 24), 1, D(2026, 12, 29)),  # over Christmas and the Boxing Day substitute
        (D(2026, 12, 23), 3, D(2026, 12, 30)),
        (D(2026, 12, 31), 1, D(2027, 1, 4)),  # New Year's Day, then the weekend
        (D(2027, 3, 25), 1, D(2027, 3, 30)),  # Easter: Good Friday and Easter Monday
        (D(2027, 4, 30), 1, D(2027, 5, 4)),  # early May bank holiday
        (D(2026, 12, 29), -1, D(2026, 12, 24)),  # backwards over Christmas
        (D(2027, 3, 30), -1, D(2027, 3, 25)),
        (D(2026, 11, 30), -1, D(2026, 11, 27)),
        # zero: the day itself if it is a working day, else the next one
        (D(2026, 11, 23), 0, D(2026, 11, 23)),
        (D(2026, 11, 28), 0, D(2026, 11, 30)),
        (D(2026, 12, 25), 0, D(2026, 12, 29)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 11, 23), D(2026, 11, 25), 2),
        (D(2026, 11, 27), D(2026, 11, 30), 1),  # Fri to Mon
        (D(2026, 11, 28), D(2026, 11, 29), 0),  # Sat to Sun
        (D(2026, 12, 24), D(2026, 12, 29), 1),  # only 29 December counts
        (D(2026, 12, 24), D(2026, 12, 31), 3),  # 29, 30, 31 December
        (D(2026, 11, 23), D(2026, 11, 30), 5),
        (D(2027, 3, 25), D(2027, 3, 30), 1),  # Easter
        (D(2027, 4, 30), D(2027, 5, 4), 1),  # early May
        (D(2026, 11, 23), D(2026, 11, 23), 0),
        (D(2026, 11, 25), D(2026, 11, 23), 0),  # end before start
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 11, 23), D(2026, 11, 24)),
        (D(2026, 11, 27), D(2026, 11, 30)),
        (D(2026, 12, 24), D(2026, 12, 29)),
        (D(2027, 3, 25), D(2027, 3, 30)),
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(day) == expected


def test_parse_working_days_over_christmas() -> None:
    assert parse_date("+1wd", today=D(2026, 12, 24)) == D(2026, 12, 29)
    assert parse_date("+3wd", today=D(2026, 12, 24)) == D(2026, 12, 31)


@pytest.mark.parametrize(
    ("start", "kwargs", "expected"),
    [
        (D(2027, 1, 31), {"months": 1}, D(2027, 2, 28)),
        (D(2028, 1, 31), {"months": 1}, D(2028, 2, 29)),
        (D(2026, 11, 23), {"months": 6}, D(2027, 5, 23)),
        (D(2026, 11, 23), {"weeks": 2}, D(2026, 12, 7)),
        (D(2026, 11, 23), {"days": 10}, D(2026, 12, 3)),
        (D(2026, 8, 31), {"months": 3, "days": 1}, D(2026, 12, 1)),
        (D(2026, 11, 23), {}, D(2026, 11, 23)),
    ],
)
def test_add_interval(start: date, kwargs: dict[str, int], expected: date) -> None:
    assert add_interval(start, **kwargs) == expected


# -- properties --------------------------------------------------------------------------


def _parses_or_explains(text: str) -> None:
    """parse_date either returns an in-range date or raises DateParseError, nothing else."""
    try:
        result = parse_date(text, today=TODAY)
    except DateParseError as exc:
        assert str(exc)
    else:
        assert isinstance(result, date)
        assert MIN_YEAR <= result.year <= MAX_YEAR


@given(st.text())
def test_parse_date_never_raises_anything_else_on_text(text: str) -> None:
    _parses_or_explains(text)


@given(st.from_regex(r"[+-]?\d{0,12}[dwmy]?", fullmatch=True))
def test_parse_date_never_raises_anything_else_on_relative_junk(text: str) -> None:
    _parses_or_explains(text)


@given(st.from_regex(r"\d{1,4}/\d{1,4}(/\d{1,6})?", fullmatch=True))
def test_parse_date_never_raises_anything_else_on_numeric_junk(text: str) -> None:
    _parses_or_explains(text)


@given(
    st.from_regex(
        r"(next |mon |fri, )?[+-]? ?\d{0,8} ?(wd|d|w|m|y|st|th|dec|sept|[-/.]\d{0,5}){0,3}",
        fullmatch=True,
    )
)
def test_parse_date_never_raises_anything_else_on_mixed_junk(text: str) -> None:
    _parses_or_explains(text)


@given(st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=D(MAX_YEAR, 12, 31)))
def test_formatted_dates_parse_back(day: date) -> None:
    assert parse_date(format_date_short(day), today=TODAY) == day
    assert parse_date(format_date(day), today=TODAY) == day
    assert parse_date(day.isoformat(), today=TODAY) == day


@given(
    st.dates(min_value=D(2025, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(min_value=1, max_value=60),
)
def test_add_working_days_agrees_with_working_days_between(start: date, days: int) -> None:
    end = add_working_days(start, days)
    assert is_working_day(end)
    assert working_days_between(start, end) == days
    back = add_working_days(end, -days)
    assert back <= start and (start - back) < timedelta(days=10)


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    span=st.integers(min_value=-10, max_value=800),
)
def test_working_days_between_matches_counting_day_by_day(start, span):
    end = start + timedelta(days=span)
    naive, value = 0, start
    while value < end:
        value += timedelta(days=1)
        naive += is_working_day(value)
    assert working_days_between(start, end) == naive
