"""Dates typed the way UK coordinators type them, and working-day arithmetic.

One parser for every date field in the app, so "3/12" means the same thing everywhere:

* ``today``, ``tomorrow``, ``yesterday`` (and ``tod``, ``tom``, ``yest``);
* relative ``+3d``, ``-1w``, ``+2m``, ``+1y`` and ``+5wd`` (working days);
* weekday names, ``fri``, ``friday`` or ``next fri``: the next one strictly after today,
  so "next fri" typed on a Thursday is tomorrow and typed on a Friday is a week on (the
  field shows the date and how far off it is, "Fri 27 Nov 2026 · tomorrow", so the user
  sees which Friday was meant; ``+8d`` or the date itself names another);
* ``3/12``, ``3/12/26``, ``03/12/2026`` (also ``.`` or ``-`` between the parts);
* ``3 Dec``, ``3rd December 2026``, ``Dec 3 2026`` and ISO ``2026-12-03``;
* any of those after a day name, ``Thu 3 Dec 2026`` (as shown back), if the day agrees.

Numeric dates are always day first, as written in the UK. A two-digit year takes the
century the field expects (``expects``): a date of birth or an event that happened
(:data:`PAST`) the most recent year not after today, so "3/12/99" is 1999 and "3/12/26"
typed on 23 November 2026 is 1926; a due date (:data:`DUE`, and any field that does not
say) 20yy. With no year, a past date is the latest on or before today ("25/12" typed in
November is last Christmas), a due date's within the 3 months gone or the 9 to come
("3/1" typed in December is next January; "25/11" typed on 6 December the one just
gone). ``dateutil.parser`` is not used because it guesses (month first, fuzzy
matching); a wrong guess here would put a child protection review in the wrong month, so
the grammar is small, explicit and strict, and anything it cannot read is an error that
says why.

Working days exclude weekends and England and Wales bank holidays (``holidays`` package,
subdivision ENG, substitute days included): statutory timescales such as Working
Together's "decision within one working day" of a referral, or complaint acknowledgements
"within 3 working days", are counted in working days, not calendar days.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from coordinator_tui.clock import local_today
from coordinator_tui.services.errors import CoordinatorError

# English names spelt out (not ``calendar.month_name``): those follow the process locale,
# and a coordinator's "3 Dec" must not stop working on a machine set to Welsh or French.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

MONTHS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    MONTHS[_name.lower()] = MONTHS[_name[:3].lower()] = _number
MONTHS["sept"] = 9

WEEKDAYS: dict[str, int] = {}
for _number, _name in enumerate(DAY_NAMES):
    WEEKDAYS[_name.lower()] = WEEKDAYS[_name[:3].lower()] = _number
WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

# The years a typed date may fall in. Anything outside is a typo (or "+99999d"), and the
# bound keeps every calculation far away from ``date.max`` and its OverflowError.
MIN_YEAR = 1900
MAX_YEAR = 2200

HINT = "try today, +3d, fri, 3/12, 3 Dec 2026"

PAST = "past"
"""A field for a date that has happened: a date of birth, an event (``expects``)."""
DUE = "due"
"""A field for a date to come: a due date, a meeting (``expects``; also the default)."""
EXPECTS_HINT = {PAST: "a past date: 3/12/99 is 1999", DUE: "a due date: 3/12/27 is 2027"}
UNITS = "d (days), w (weeks), m (months), y (years) or wd (working days)"

_TODAY = {"today", "tod", "now"}
_TOMORROW = {"tomorrow", "tom", "tmrw"}
_YESTERDAY = {"yesterday", "yest", "yday"}

_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*(wd|d|w|m|y)$")
_NO_UNIT = re.compile(r"^[+-]\s*\d+$")
_NO_NUMBER = re.compile(r"^[+-]\s*(wd|d|w|m|y)$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,4})(?:[/.\-](\d{1,4}))?$")
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"^(\d{{1,2}}){_ORDINAL}\s*([a-z]+)\.?,?(?:\s+(\d{{1,4}}))?$")
_MONTH_DAY = re.compile(rf"^([a-z]+)\.?\s+(\d{{1,2}}){_ORDINAL},?(?:\s+(\d{{1,4}}))?$")


class DateParseError(CoordinatorError):
    """The text is not a date; the message says why, in words a coordinator can act on."""


def parse_date(text: str, today: date | None = None, expects: str = DUE) -> date:
    """Read a UK-style date (see the module docstring for what is accepted).

    ``today`` anchors the relative forms and supplies the year when none is typed; it
    defaults to today's date in the UK. ``expects`` (:data:`PAST` or :data:`DUE`) picks
    the century of a two-digit year. Case and surrounding spaces are ignored.

    Raises :class:`DateParseError`, and nothing else, for any text that is not a date:
    forms can show ``str(error)`` to the user as it is.
    """
    today = today or local_today()
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise DateParseError("Enter a date")
    try:
        result = _parse(raw, today, expects=expects)
        if result is None:
            raise DateParseError(f"Could not read '{_quote(text)}' as a date: {HINT}")
    except DateParseError:
        raise
    except (OverflowError, ValueError) as exc:
        # Date arithmetic that left the representable range: "+99999999d" and friends.
        raise DateParseError(f"'{_quote(text)}' is too far away to be a date") from exc
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise DateParseError(
            f"'{_quote(text)}' is too far away: {format_date(result)} is outside "
            f"{MIN_YEAR} to {MAX_YEAR}"
        )
    return result


def _quote(text: str, limit: int = 30) -> str:
    """The user's text trimmed for an error message (a pasted essay stays readable)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse(raw: str, today: date, day_name_allowed: bool = True, expects: str = DUE) -> date | None:
    """The date ``raw`` (normalised: lower case, single spaces) means, or None if no form fits.

    ``day_name_allowed`` admits one leading day name ("thu 3 dec"), never a chain of them.
    """
    if raw in _TODAY:
        return today
    if raw in _TOMORROW:
        return today + timedelta(days=1)
    if raw in _YESTERDAY:
        return today - timedelta(days=1)

    match = _RELATIVE.match(raw)
    if match:
        return _relative(today, match.group(1), match.group(2), match.group(3))
    if _NO_UNIT.match(raw):
        raise DateParseError(f"Add a unit after the number: {UNITS}, e.g. +3d")
    if _NO_NUMBER.match(raw):
        raise DateParseError("Put a number before the unit, e.g. +3d or -2w")

    weekday = raw.removeprefix("next ").strip()
    if weekday in WEEKDAYS:
        # Strictly after today: on a Monday, "mon" is next week's Monday, never today.
        ahead = (WEEKDAYS[weekday] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)

    first, _, rest = raw.partition(" ")
    if day_name_allowed and rest and first.rstrip(",.") in WEEKDAYS:
        # "Thu 3 Dec 2026", as format_date shows it: the day name must agree with the date.
        result = _parse(rest, today, day_name_allowed=False, expects=expects)
        named = WEEKDAYS[first.rstrip(",.")]
        if result is not None and result.weekday() != named:
            raise DateParseError(
                f"{format_date_short(result)} is a {DAY_NAMES[result.weekday()]}, "
                f"not a {DAY_NAMES[named]}"
            )
        return result

    match = _ISO.match(raw)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _make(year, month, day)

    match = _NUMERIC.match(raw)
    if match:
        day_text, month_text, year_text = match.groups()
        if len(day_text) > 2 or len(month_text) > 2:
            raise DateParseError(
                f"Could not read '{raw}' as a date: write day/month/year, e.g. 3/12/2026"
            )
        return _dated(year_text, int(month_text), int(day_text), today, expects)

    match = _DAY_MONTH.match(raw)
    if match:
        day_text, month_name, year_text = match.groups()
        if month_name in ("d", "w", "m", "y", "wd") and year_text is None:
            raise DateParseError(f"Put + or - before a relative date, e.g. +{raw} or -{raw}")
        return _dated(year_text, _month(month_name), int(day_text), today, expects)

    match = _MONTH_DAY.match(raw)
    if match and match.group(1) in MONTHS:
        month_name, day_text, year_text = match.groups()
        return _dated(year_text, _month(month_name), int(day_text), today, expects)

    return None


def _relative(today: date, sign: str, digits: str, unit: str) -> date:
    if len(digits) > 6:  # more than a million days is out of range whatever the unit
        raise DateParseError(f"'{sign}{digits}{unit}' is too far away to be a date")
    amount = -int(digits) if sign == "-" else int(digits)
    if unit == "d":
        return today + timedelta(days=amount)
    if unit == "w":
        return today + timedelta(weeks=amount)
    if unit == "m":
        return today + relativedelta(months=amount)
    if unit == "y":
        return today + relativedelta(years=amount)
    # Working days: every 5 of them span at least 7 calendar days, so check that bound
    # first; the day-by-day walk below then stays in range (and cannot overflow).
    weeks, extra = divmod(abs(amount), 5)
    span = weeks * 7 + extra
    rough = today + timedelta(days=span if amount > 0 else -span)
    if not MIN_YEAR <= rough.year <= MAX_YEAR:
        raise DateParseError(f"'{sign}{digits}{unit}' is too far away to be a date")
    return add_working_days(today, amount)


def _month(name: str) -> int:
    if name not in MONTHS:
        raise DateParseError(f"'{name}' is not a month: use a name such as Dec or December")
    return MONTHS[name]


def _dated(year_text: str | None, month: int, day: int, today: date, expects: str) -> date:
    """The date typed, its year completed as the field expects (module docstring)."""
    if expects != PAST and year_text is None:
        return _nearest(month, day, today)
    if expects != PAST or (year_text is not None and len(year_text) != 2):
        return _make(_year(year_text, today), month, day)
    if year_text is None:
        year = today.year
    else:
        two = int(year_text)
        year = today.year - (today.year - two) % 100  # the latest year <= today's ending so
    if year == today.year and (month, day) > (today.month, today.day):
        year -= 100 if year_text is not None else 1  # later this year: not yet happened
    return _make(year, month, day)


LATE_DUE_DAYS = 91
"""A due date typed with no year falls in the 3 months gone or the 9 months to come."""


def _nearest(month: int, day: int, today: date) -> date:
    """A due date typed with no year, in the year that puts it within the 3 months gone
    (a chase already late) or the 9 months to come: "3/1" typed in December is next
    January, not one 11 months gone; "25/11" typed on 6 December the one just gone; "12/3"
    typed in November next March."""
    earliest = today - timedelta(days=LATE_DUE_DAYS)
    for year in range(today.year - 1, today.year + 5):  # 29/2: up to the next leap year
        if not MIN_YEAR <= year <= MAX_YEAR or (month, day) == (2, 29) and not _leap(year):
            continue
        found = _make(year, month, day)
        if found >= earliest:
            return found
    return _make(today.year, month, day)  # no such day (31/4): its own clear error


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _year(text: str | None, today: date) -> int:
    """The year typed (two digits mean 20yy), or today's year when none is given."""
    if text is None:
        return today.year
    if len(text) == 2:
        return 2000 + int(text)
    if len(text) == 4:
        return int(text)
    raise DateParseError(f"Write the year as 2 or 4 digits, not '{text}'")


def _make(year: int, month: int, day: int) -> date:
    """A date, or a DateParseError naming exactly what is wrong with it."""
    if not 1 <= month <= 12:
        raise DateParseError(f"There is no month {month}: months run from 1 to 12")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateParseError(f"Year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})")
    if day < 1:
        raise DateParseError(f"There is no day {day}: days start at 1")
    last = _days_in_month(year, month)
    if day > last:
        name = MONTH_NAMES[month - 1]
        if month == 2 and day == 29:
            raise DateParseError(f"29/2/{year} is not a date: {year} is not a leap year")
        raise DateParseError(f"{day}/{month} is not a date: {name} has {last} days")
    return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def format_date(value: date) -> str:
    """Long form for display beside an input: "Thu 3 Dec 2026" (English, any locale)."""
    day_name = DAY_NAMES[value.weekday()][:3]
    return f"{day_name} {value.day} {MONTH_NAMES[value.month - 1][:3]} {value.year}"


def format_date_short(value: date | None) -> str:
    """Short form for tables: "03/12/2026" (empty for no date)."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def describe(text: str, today: date | None = None, expects: str = DUE) -> tuple[date | None, str]:
    """What a date field shows as you type.

    ``(date, "Thu 3 Dec 2026")`` when ``text`` is a date, ``(None, error message)`` when
    it is not, and ``(None, "")`` when it is empty (an empty optional field is no error).
    A day name ("fri", "next fri") also says how far off the date is ("· tomorrow",
    "· in 8 days"), so the user sees which Friday was meant; a two-digit year read as a
    past date says so ("· 99 read as 1999").
    """
    if not text.strip():
        return None, ""
    try:
        value = parse_date(text, today, expects)
    except DateParseError as exc:
        return None, str(exc)
    shown = format_date(value)
    raw = " ".join(text.strip().lower().split())
    if raw.removeprefix("next ").strip() in WEEKDAYS:
        ahead = (value - (today or local_today())).days
        shown += " · tomorrow" if ahead == 1 else f" · in {ahead} days"
    elif expects == PAST:
        two = re.search(r"(?:^|[^\d])(\d{2})$", raw)
        if two and value.year % 100 == int(two.group(1)):
            shown += f" · {two.group(1)} read as {value.year}"
    return value, shown


# -- working days ------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _bank_holidays(year: int) -> dict[date, str]:
    """England and Wales bank holidays of one year, substitute days included.

    Built once per year. ``holidays`` is imported here, not at module level, so typing a
    plain date (or running a headless command) does not pay for loading it.
    """
    import holidays

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def load_bank_holidays(around: date) -> None:
    """Build the bank-holiday calendars of ``around``'s year and its neighbours now.

    Importing ``holidays`` and building a year takes about 250 ms: date fields call this
    from a background thread when they appear, so the first date typed does not wait."""
    for year in (around.year - 1, around.year, around.year + 1):
        _bank_holidays(year)


def bank_holiday_name(value: date) -> str | None:
    """The bank holiday on ``value`` ("Boxing Day (observed)"), or None."""
    return _bank_holidays(value.year).get(value)


def is_working_day(value: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return value.weekday() < 5 and value not in _bank_holidays(value.year)


def next_working_day(value: date) -> date:
    """The first working day strictly after ``value``."""
    value += timedelta(days=1)
    while not is_working_day(value):
        value += timedelta(days=1)
    return value


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (before it, if ``days`` is negative).

    ``start`` itself is never counted, so Friday + 1 is Monday and Saturday + 1 is also
    Monday. ``days=0`` gives ``start`` when it is a working day, else the next working day:
    the first day on which work received then can actually be done.

    Invariant: ``working_days_between(start, add_working_days(start, n)) == n`` for n > 0.
    """
    if days == 0:
        return start if is_working_day(start) else next_working_day(start)
    step = timedelta(days=1 if days > 0 else -1)
    remaining, value = abs(days), start
    while remaining:
        value += step
        if is_working_day(value):
            remaining -= 1
    return value


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start).

    How many working days of a timescale have been used: a referral received on Monday
    and decided on Wednesday took 2 working days.
    """
    if end <= start:
        return 0
    # Whole weeks hold five weekdays each; walk only the leftover days, then take off the
    # bank holidays that fall on weekdays in the range (a report counts thousands).
    weeks, extra = divmod((end - start).days, 7)
    count, value = weeks * 5, start + timedelta(weeks=weeks)
    for _ in range(extra):
        value += timedelta(days=1)
        if value.weekday() < 5:
            count += 1
    for year in range(start.year, end.year + 1):
        count -= sum(1 for day in _bank_holidays(year) if start < day <= end and day.weekday() < 5)
    return count


def add_interval(value: date, *, days: int = 0, weeks: int = 0, months: int = 0) -> date:
    """Calendar intervals for reviews ("every 6 months"), month ends clamped.

    31 Jan + 1 month is 28 Feb (29 Feb in a leap year), never 3 March.
    """
    return value + relativedelta(days=days, weeks=weeks, months=months)
