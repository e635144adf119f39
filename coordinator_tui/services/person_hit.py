"""The row people lists and searches show, with no database imports.

Kept apart from ``services.people`` (which needs SQLAlchemy and the models, about half a
second to import) so that the people list can show its first rows read by the stdlib
``sqlite3`` module while SQLAlchemy is still loading (``services.people_quick``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def format_nhs_number(digits: str) -> str:
    """Show an NHS number the way it is printed on letters and cards: 3 3 4."""
    if len(digits) != 10:
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@dataclass(frozen=True)
class PersonHit:
    """One search result: enough to recognise the person, nothing more."""

    id: int
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"

    @property
    def label(self) -> str:
        return (
            f"{self.display_name}  {format_nhs_number(self.nhs_number)}  "
            f"{self.date_of_birth:%d/%m/%Y}  {self.postcode}"
        )
