"""Incidents (with Duty of Candour), complaints and medication changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from coordinator_tui.models.base import Editable


class Incident(Editable, table=True):
    """An incident; a notifiable safety incident starts the Duty of Candour (reg 20)."""

    occurred_at: datetime = Field(index=True)
    reported_at: datetime
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    carer_id: int | None = Field(default=None, foreign_key="carer.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    kind: str = Field(max_length=40, index=True)  # fall, medication, missed_visit, ...
    severity: str = Field(default="low", max_length=20, index=True)
    description: str = Field(default="")
    notifiable: bool = Field(default=False, index=True)
    candour_notified_at: datetime | None = Field(default=None)
    candour_apology_given: bool = Field(default=False)
    candour_written_at: datetime | None = Field(default=None)
    status: str = Field(default="open", max_length=20, index=True)
    outcome: str = Field(default="")
    learning: str = Field(default="")


class Complaint(Editable, table=True):
    """A complaint: acknowledge within 3 working days (SI 2009/309)."""

    received_on: date = Field(index=True)
    event_date: date | None = Field(default=None)
    complainant: str = Field(default="", max_length=120)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    channel: str = Field(default="phone", max_length=20)
    summary: str = Field(default="")
    acknowledge_due: date | None = Field(default=None, index=True)
    acknowledged_on: date | None = Field(default=None)
    response_due: date | None = Field(default=None)
    status: str = Field(default="open", max_length=20, index=True)
    outcome: str = Field(default="")
    learning: str = Field(default="")


class MedicationChange(Editable, table=True):
    """A GP or pharmacy medication change: verified, recorded, cascaded to carers."""

    __tablename__ = "medication_change"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    source: str = Field(default="GP", max_length=40)
    received_at: datetime = Field(index=True)
    description: str = Field(default="")
    verified_by: str = Field(default="", max_length=60)
    verified_at: datetime | None = Field(default=None)
    care_plan_updated_at: datetime | None = Field(default=None)
    cascaded_at: datetime | None = Field(default=None)
    status: str = Field(default="received", max_length=20, index=True)
