"""How people, dates, times and NHS numbers are written, everywhere (issue 13 §2).

One module, used by screens, exports, letters and the command line alike, so the same
thing never reads two ways. A leaf: it imports nothing of the app, so any layer may use it.

- A person: ``SMITH, Ann`` (family name in capitals first, as clinical systems list them).
- A date: ``07/12/2026`` (:func:`uk_date`); where a column has no room, ``07/12/26``
  (:func:`short_date`), a choice made by the caller's width, not by habit.
- A time of day: ``09:05``; a date and time: ``07/12/2026 09:05``.
- An NHS number: ``999 123 4567``, the 3-3-4 grouping NHS guidance asks for on screen and
  paper (the digits alone are stored).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol


class Named(Protocol):
    """Anything with a person's two names (a row, a person, a hit)."""

    family_name: str
    given_name: str


def person_label(person: Named) -> str:
    """``SMITH, Ann``."""
    return f"{person.family_name.upper()}, {person.given_name}"


def names_label(family_name: str, given_name: str) -> str:
    """``SMITH, Ann`` from the two names."""
    return f"{family_name.upper()}, {given_name}"


def uk_date(value: date | datetime | None) -> str:
    """``07/12/2026``; empty for no date."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def short_date(value: date | datetime | None) -> str:
    """``07/12/26``, for a column with no room for the century; empty for no date."""
    return value.strftime("%d/%m/%y") if value is not None else ""


def uk_time(value: time | datetime | None) -> str:
    """``09:05``; empty for no time."""
    return value.strftime("%H:%M") if value is not None else ""


def uk_datetime(value: datetime | None) -> str:
    """``07/12/2026 09:05``; empty for no moment."""
    return value.strftime("%d/%m/%Y %H:%M") if value is not None else ""


def day_date(value: date | datetime | None) -> str:
    """``Mon 07/12/2026``: a date a reader places in the week; empty for no date."""
    return f"{value:%a} {uk_date(value)}" if value is not None else ""


def day_datetime(value: datetime | None) -> str:
    """``Mon 07/12/2026 09:05``; empty for no moment."""
    return f"{value:%a} {uk_datetime(value)}" if value is not None else ""


def time_on_date(value: datetime | None) -> str:
    """``09:05 on 07/12/2026``, as a sentence says when something happened."""
    return f"{uk_time(value)} on {uk_date(value)}" if value is not None else ""


def nhs_number(digits: str) -> str:
    """``999 123 4567`` from the ten digits; anything else is returned as it is."""
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits
