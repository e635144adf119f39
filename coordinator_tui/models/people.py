"""Practices, staff, app users, people and their households and family links."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, Index, UniqueConstraint

from coordinator_tui.models.base import Editable


class Practice(Editable, table=True):
    """A GP surgery of the Primary Care Network (or the homecare branch)."""

    ods_code: str = Field(max_length=10, unique=True, index=True)
    name: str = Field(max_length=120)
    short_name: str = Field(max_length=30)
    postcode: str = Field(default="", max_length=10)
    pcn_name: str = Field(default="", max_length=120)


class Staff(Editable, table=True):
    """Internal staff and external professionals who attend meetings or own actions."""

    name: str = Field(max_length=120, index=True)
    initials: str = Field(default="", max_length=8, index=True)
    role: str = Field(default="", max_length=60, index=True)
    organisation: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    is_external: bool = Field(default=False)
    is_safeguarding_lead: bool = Field(default=False)
    active: bool = Field(default=True, index=True)


class AppUser(Editable, table=True):
    """Someone who signs in to the app; the audit trail names them."""

    __tablename__ = "app_user"

    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    role: str = Field(default="coordinator", max_length=30)
    active: bool = Field(default=True)


class Household(Editable, table=True):
    """People living at one address; lets a child's record show the adults around them."""

    address: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10, index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)


class Person(Editable, table=True):
    """A registered patient (or homecare customer) the coordinator keeps watch over.

    ``nhs_number`` is stored normalised (10 digits, no spaces) and validated with the
    ``nhs-number`` package by the services. ``search_name`` is "family given" lower-cased
    so that filter-as-you-type can use an index on 100,000 people.
    """

    __table_args__ = (
        Index("ix_person_family_given", "family_name", "given_name"),
        Index("ix_person_search_name", "search_name"),
    )

    nhs_number: str = Field(max_length=10, unique=True, index=True)
    given_name: str = Field(max_length=80)
    family_name: str = Field(max_length=80)
    search_name: str = Field(default="", max_length=170)
    date_of_birth: date = Field(index=True)
    sex: str = Field(default="", max_length=20)
    gender: str = Field(default="", max_length=40)
    address_line1: str = Field(default="", max_length=120)
    address_line2: str = Field(default="", max_length=120)
    town: str = Field(default="", max_length=80)
    postcode: str = Field(default="", max_length=10, index=True)
    phone: str = Field(default="", max_length=40)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    date_of_death: date | None = Field(default=None)
    case_summary: str = Field(default="")
    case_summary_updated_at: datetime | None = Field(default=None)


class PersonLink(Editable, table=True):
    """A family or household relationship from one person to another (stored both ways)."""

    __tablename__ = "person_link"
    __table_args__ = (UniqueConstraint("person_id", "related_person_id", "relationship"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    related_person_id: int = Field(foreign_key="person.id", index=True)
    relationship: str = Field(max_length=40)  # parent, child, sibling, partner, carer, other
    lives_with: bool = Field(default=True)
    parental_responsibility: bool = Field(default=False)
