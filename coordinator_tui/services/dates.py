"""Dates typed the way UK coordinators type them, and working-day arithmetic.

One parser for every date field in the app: ``today``, ``tomorrow``, ``yesterday``,
``+3d``, ``-1w``, ``+2m``, ``+1y``, ``+5wd`` (working days), weekday names (the next one
after today), ``3/12``, ``3/12/26``, ``03/12/2026`` (day first, as in the UK: never
American order), ``3 Dec``, ``3rd December 2026``, ``Dec 3 2026`` and ISO ``2026-12-03``.

Working days exclude weekends and England and Wales bank holidays (``holidays`` package,
subdivision ENG): statutory timescales such as Working Together's "decision within one
working day" and complaint acknowledgements "within 3 working days" count them.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
WEEKDAYS = {
    name.lower(): number
    for number in range(7)
    for name in (calendar.day_name[number], calendar.day_abbr[number])
}
WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_RELATIVE = re.compile(r"^([+-])\s*(\d{1,6})\s*(wd|d|w|m|y)$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{2}|\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{2}|\d{4}))?$")
HINT = "try today, +3d, fri, 3/12, 3 Dec 2026"


class DateParseError(ValueError):
    """The text is not a date; the message says why, in words a coordinator can act on."""


def _make(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise DateParseError(f"There is no month {month}")
    if year < 1900 or year > 2200:
        raise DateParseError(f"{year} is out of range")
    last = calendar.monthrange(year, month)[1]
    if day < 1 or day > last:
        name = calendar.month_name[month]
        if month == 2 and day == 29:
            raise DateParseError(f"29 February {year} does not exist: {year} is not a leap year")
        raise DateParseError(f"{day}/{month} is not a date: {name} has {last} days")
    return date(year, month, day)


def _year(text: str | None, today: date) -> int:
    if text is None:
        return today.year
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_date(text: str, today: date | None = None) -> date:
    """Read a UK-style date. Raises only :class:`DateParseError`."""
    today = today or date.today()
    raw = " ".join(str(text).strip().lower().split())
    if not raw:
        raise DateParseError("Enter a date")
    try:
        return _parse(raw, today)
    except DateParseError:
        raise
    except (OverflowError, ValueError) as exc:
        raise DateParseError(f"'{text}' is too far away to be a date") from exc


def _parse(raw: str, today: date) -> date:
    if raw in ("today", "tod", "now", "t"):
        return today
    if raw in ("tomorrow", "tom", "tmrw"):
        return today + timedelta(days=1)
    if raw in ("yesterday", "yest", "yday"):
        return today - timedelta(days=1)
    match = _RELATIVE.match(raw)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        amount, unit = sign * int(match.group(2)), match.group(3)
        if unit == "d":
            return today + timedelta(days=amount)
        if unit == "w":
            return today + timedelta(weeks=amount)
        if unit == "m":
            return today + relativedelta(months=amount)
        if unit == "y":
            return today + relativedelta(years=amount)
        return add_working_days(today, amount)
    weekday = raw.removeprefix("next ").strip()
    if weekday in WEEKDAYS:
        ahead = (WEEKDAYS[weekday] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    match = _ISO.match(raw)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC.match(raw)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        return _make(_year(match.group(3), today), month, day)
    match = _DAY_MONTH.match(raw)
    if match and match.group(2) in MONTHS:
        return _make(_year(match.group(3), today), MONTHS[match.group(2)], int(match.group(1)))
    match = _MONTH_DAY.match(raw)
    if match and match.group(1) in MONTHS:
        return _make(_year(match.group(3), today), MONTHS[match.group(1)], int(match.group(2)))
    raise DateParseError(f"Could not read '{raw}' as a date: {HINT}")


def format_date(value: date) -> str:
    """Long form for display beside an input: "Thu 3 Dec 2026"."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def format_date_short(value: date | None) -> str:
    """Short form for tables: "03/12/2026" (empty for no date)."""
    return value.strftime("%d/%m/%Y") if value else ""


def describe(text: str, today: date | None = None) -> tuple[date | None, str]:
    """(date, "Thu 3 Dec 2026") or (None, error message); empty text gives (None, "")."""
    if not text.strip():
        return None, ""
    try:
        value = parse_date(text, today)
    except DateParseError as exc:
        return None, str(exc)
    return value, format_date(value)


# -- working days ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(value: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return value.weekday() < 5 and value not in _bank_holidays(value.year)


def next_working_day(value: date) -> date:
    """The first working day after ``value``."""
    value += timedelta(days=1)
    while not is_working_day(value):
        value += timedelta(days=1)
    return value


def add_working_days(start: date, days: int) -> date:
    """``days`` working days after (or before, if negative) ``start``.

    Zero gives ``start`` itself when it is a working day, else the next working day: a
    referral received on a Saturday is "day zero" on the Monday.
    """
    if days == 0:
        return start if is_working_day(start) else next_working_day(start)
    step = 1 if days > 0 else -1
    remaining, value = abs(days), start
    while remaining:
        value += timedelta(days=step)
        if is_working_day(value):
            remaining -= 1
    return value


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count, value = 0, start
    while value < end:
        value += timedelta(days=1)
        if is_working_day(value):
            count += 1
    return count


def add_interval(value: date, *, days: int = 0, weeks: int = 0, months: int = 0) -> date:
    """Review intervals: calendar arithmetic, month ends clamped (31 Jan + 1 month = 28 Feb)."""
    return value + relativedelta(days=days, weeks=weeks, months=months)
