"""The row people lists and searches show, with no database imports.

Kept apart from ``services.people`` (which needs SQLAlchemy and the models, about half a
second to import) so that the people list can show its first rows read by the stdlib
``sqlite3`` module while SQLAlchemy is still loading (``services.people_quick``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coordinator_tui.formatting import nhs_number, person_label, uk_date


def format_nhs_number(digits: str) -> str:
    """Show an NHS number the way it is printed on letters and cards: 3 3 4."""
    if len(digits) != 10:
        return digits
    return nhs_number(digits)


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
        return person_label(self)

    @property
    def label(self) -> str:
        return (
            f"{self.display_name}  {format_nhs_number(self.nhs_number)}  "
            f"{uk_date(self.date_of_birth)}  {self.postcode}"
        )
