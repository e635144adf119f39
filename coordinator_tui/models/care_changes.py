"""Care changes that must reach the carer who walks in next (issue 18 §1-3).

- ``medication_change``: a medication or clinical change received from a GP, pharmacy,
  hospital or family, checked by a second person (two-person check), then cascaded: every
  carer rostered to the customer must acknowledge it (``care_change_ack``);
- ``care_plan_review``: the care plan reviews done, snoozed, or raised early by an event
  (the reviews due are worked out from these and the packages' start dates);
- ``capacity_assessment``: a Mental Capacity Act 2005 assessment for one decision, with
  the best-interests record where capacity is lacking;
- ``care_consent``: consent to care and to information sharing, as recorded;
- ``care_settings``: the agency's review interval (one row; none: the defaults).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, UniqueConstraint

from coordinator_tui.models.base import Editable


class MedicationChange(Editable, table=True):
    """A medication or clinical change for a customer: logged, verified by a second person,
    the care plan updated, cascaded to carers.

    ``status``: ``received`` (pending verification), ``verified`` (open: carers to
    acknowledge, the care plan to update), ``done``. ``verification``: ``in_person`` (the
    verifier saved it themselves) or ``phone`` (a verifier named by the user who saved it,
    ``verification_recorded_by``, when only one person uses the app)."""

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
    # --- issue 18 §1 ---
    kind: str = Field(default="medication", max_length=20)  # medication | clinical
    from_whom: str = Field(default="", max_length=120)
    document_ref: str = Field(default="", max_length=120)
    logged_by: str = Field(default="", max_length=60)
    verification: str = Field(default="", max_length=20)  # in_person | phone
    verification_recorded_by: str = Field(default="", max_length=60)
    care_plan_updated_by: str = Field(default="", max_length=60)
    closed_at: datetime | None = Field(default=None)


class ChangeAcknowledgement(Editable, table=True):
    """A carer's acknowledgement of a change (read it, by phone, in the office)."""

    __tablename__ = "care_change_ack"
    __table_args__ = (UniqueConstraint("change_id", "carer_id"),)

    change_id: int = Field(foreign_key="medication_change.id", index=True)
    carer_id: int = Field(foreign_key="carer.id", index=True)
    acknowledged_at: datetime
    method: str = Field(default="phone", max_length=20)  # phone | in_person | app
    recorded_by: str = Field(default="", max_length=60)


class CarePlanReview(Editable, table=True):
    """One event in a customer's care plan reviews.

    ``status``: ``done`` (a review held: ``outcome``, the ``next_due`` agreed), ``snoozed``
    (a review due put off to ``snoozed_until`` with the reason) or ``raised`` (an early
    review asked for by the coordinator: new equipment, a hospital discharge, a change of
    need). ``trigger`` and ``ref`` say which review a snooze is about (``scheduled`` for
    the regular one, else the event and its reference, e.g. ``incident``/``INC-4``)."""

    __tablename__ = "care_plan_review"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(max_length=20, index=True)
    trigger: str = Field(default="scheduled", max_length=30)
    ref: str = Field(default="", max_length=40)
    event_on: date  # done on, snoozed on, raised on
    due_on: date | None = Field(default=None)
    snoozed_until: date | None = Field(default=None)
    outcome: str = Field(default="")
    next_due: date | None = Field(default=None)
    reason: str = Field(default="", max_length=300)
    by: str = Field(default="", max_length=60)


class CapacityAssessment(Editable, table=True):
    """A mental capacity assessment for one decision (Mental Capacity Act 2005 ss1-4).

    The functional test's four elements (s3(1)) each hold ``can`` or ``cannot``; the
    outcome is ``has_capacity`` or ``lacks_capacity``. A lacking outcome holds the
    impairment (s2(1)), the best-interests checklist (s4: who was consulted, the person's
    wishes and feelings, the least restrictive option, s1(6)) and any lasting power of
    attorney or deputy."""

    __tablename__ = "capacity_assessment"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    decision: str = Field(max_length=300)
    assessed_on: date
    assessed_by: str = Field(max_length=120)
    presumption: str = Field(default="")
    support_given: str = Field(default="")
    impairment: str = Field(default="")
    understand: str = Field(default="", max_length=10)
    understand_note: str = Field(default="")
    retain: str = Field(default="", max_length=10)
    retain_note: str = Field(default="")
    use_weigh: str = Field(default="", max_length=10)
    use_weigh_note: str = Field(default="")
    communicate: str = Field(default="", max_length=10)
    communicate_note: str = Field(default="")
    outcome: str = Field(max_length=20)
    consulted: str = Field(default="")
    wishes: str = Field(default="")
    least_restrictive: str = Field(default="")
    attorney: str = Field(default="", max_length=30)  # none | lpa_health | lpa_property | deputy
    attorney_detail: str = Field(default="", max_length=200)
    best_interests_decision: str = Field(default="")
    recorded_by: str = Field(default="", max_length=60)


class CareConsent(Editable, table=True):
    """Consent as recorded: to care, or to sharing information. ``given``: ``yes``,
    ``no``, or ``best_interests`` (the person lacks capacity for it: a capacity note)."""

    __tablename__ = "care_consent"
    __table_args__ = (UniqueConstraint("customer_id", "kind"),)

    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=20)  # care | sharing
    given: str = Field(max_length=20)
    recorded_on: date
    note: str = Field(default="", max_length=300)
    assessment_id: int | None = Field(default=None, foreign_key="capacity_assessment.id")
    by: str = Field(default="", max_length=60)


class CareSettings(Editable, table=True):
    """The agency's care plan review interval (one row; none: the defaults)."""

    __tablename__ = "care_settings"

    review_interval_months: int = Field(default=12)
    early_review_days: int = Field(default=14)
