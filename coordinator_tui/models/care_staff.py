"""Change requests, training and supervision, contacts, shadow visits (issue 18 §4-7).

- ``ChangeRequest``: a hospital discharge, new package, increase, decrease or short-notice
  call, with a timestamp per step (received, triaged, capacity answered, decided, first
  visit) so the reports can give each step's turnaround.
- ``TrainingCourse``, ``TrainingRecord``, ``CarerProfile``, ``SupervisionRecord``,
  ``StaffSettings``: the training matrix (what each role must hold, how often it is
  refreshed), when each carer last did it, and supervision, spot checks, observations and
  sign-offs by a supervisor.
- ``ContactLog``: calls, e-mails and office visits per customer, each with an outcome and
  a follow-up chased like an action; a contact may answer a rota change the customer had to
  be told of (``visit_id`` and ``topic``) or a Plan B call (``cover_id``).
- ``VisitShadow`` and ``ShadowRequirement``: a carer shadowing a visit (never counted as
  staffing, so a separate table from ``visit_assignment``), and the customers whose needs
  require a shadow visit before a carer goes alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, UniqueConstraint

from coordinator_tui.models.base import Editable


class ChangeRequest(Editable, table=True):
    """A request for care to start or change. ``visit_times`` is the requested times of
    day ("08:00,12:30,17:00,21:00"), each for ``duration_minutes``, every day from
    ``start_date`` (``weekdays`` Monday first, "1" a visit day)."""

    __tablename__ = "change_request"

    # discharge | new_package | increase | decrease | short_notice
    kind: str = Field(max_length=20, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    source: str = Field(default="", max_length=120)  # the ward, social worker, family...
    received_at: datetime
    triaged_at: datetime | None = Field(default=None)
    answered_at: datetime | None = Field(default=None)  # capacity answered ("can we take it?")
    decided_at: datetime | None = Field(default=None)
    decision: str = Field(default="", max_length=10)  # "" | accepted | declined
    decline_reason: str = Field(default="", max_length=300)
    capacity_note: str = Field(default="", max_length=300)
    first_visit_at: datetime | None = Field(default=None)
    start_date: date
    weekdays: str = Field(default="1111111", max_length=7)
    visit_times: str = Field(default="", max_length=200)
    duration_minutes: int = Field(default=30)
    carers_required: int = Field(default=1)
    required_skills: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)
    package_id: int | None = Field(default=None, foreign_key="care_package.id")
    recorded_by: str = Field(default="", max_length=60)


class TrainingCourse(Editable, table=True):
    """A piece of training a role requires. ``interval_months`` 0: done once (a Care
    Certificate standard); ``roles`` comma-separated ("" every role); ``skill_code`` a
    competency on the rota that a completion renews (its expiry moves with it)."""

    __tablename__ = "training_course"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=120)
    interval_months: int = Field(default=12)
    roles: str = Field(default="", max_length=200)
    care_certificate: bool = Field(default=False)
    skill_code: str = Field(default="", max_length=30)
    source: str = Field(default="", max_length=200)
    position: int = Field(default=0)


class TrainingRecord(Editable, table=True):
    """A carer's completion of a course (the latest one counts)."""

    __tablename__ = "training_record"

    carer_id: int = Field(foreign_key="carer.id", index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    completed_on: date
    expires_on: date | None = Field(default=None)
    recorded_by: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=300)


class CarerProfile(Editable, table=True):
    """A carer's role and start date (what training they need; a new starter's Care
    Certificate)."""

    __tablename__ = "carer_profile"
    __table_args__ = (UniqueConstraint("carer_id"),)

    carer_id: int = Field(foreign_key="carer.id", index=True)
    role: str = Field(default="care_worker", max_length=30)
    started_on: date | None = Field(default=None)


class SupervisionRecord(Editable, table=True):
    """A supervision, spot check, observation or sign-off of a carer by a supervisor.

    An observation or sign-off may be of a course (``course_id``: a sign-off records its
    completion in the matrix) and may have been made on a shadow visit (``shadow_id``)."""

    __tablename__ = "supervision_record"

    carer_id: int = Field(foreign_key="carer.id", index=True)
    kind: str = Field(max_length=20, index=True)  # supervision|spot_check|observation|sign_off
    held_on: date
    supervisor: str = Field(max_length=120)
    course_id: int | None = Field(default=None, foreign_key="training_course.id")
    shadow_id: int | None = Field(default=None, foreign_key="visit_shadow.id")
    outcome: str = Field(default="", max_length=30)
    note: str = Field(default="", max_length=500)
    recorded_by: str = Field(default="", max_length=60)


class StaffSettings(Editable, table=True):
    """The agency's supervision intervals (one row; none: the defaults)."""

    __tablename__ = "staff_settings"

    supervision_days: int = Field(default=90)
    spot_check_days: int = Field(default=180)
    due_soon_days: int = Field(default=30)


class ContactLog(Editable, table=True):
    """A call in or out, an e-mail or a visit to the office about a customer."""

    __tablename__ = "contact_log"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    at: datetime = Field(index=True)
    method: str = Field(max_length=20)  # call_in|call_out|email|office_visit|letter
    who: str = Field(default="", max_length=120)  # who we spoke to (relationship)
    said: str = Field(default="", max_length=1000)
    outcome: str = Field(default="", max_length=300)
    follow_up_on: date | None = Field(default=None, index=True)
    follow_up_done_at: datetime | None = Field(default=None)
    follow_up_note: str = Field(default="", max_length=300)
    # What the contact told the customer about: a rota change (``topic`` new_carer or
    # moved, on ``visit_id``) or a Plan B call (``cover_id``, its ``outcome`` the call's).
    topic: str = Field(default="", max_length=20, index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    cover_id: int | None = Field(default=None, foreign_key="absence_cover.id", index=True)
    recorded_by: str = Field(default="", max_length=60)


class VisitShadow(Editable, table=True):
    """A carer shadowing a visit: with the carers on it, never counted as staffing.
    ``outcome`` "" until observed: observed, signed_off or not_yet (not yet competent)."""

    __tablename__ = "visit_shadow"
    __table_args__ = (UniqueConstraint("visit_id", "carer_id"),)

    visit_id: int = Field(foreign_key="visit.id", index=True)
    carer_id: int = Field(foreign_key="carer.id", index=True)
    purpose: str = Field(default="", max_length=120)
    outcome: str = Field(default="", max_length=20)
    recorded_by: str = Field(default="", max_length=60)


class ShadowRequirement(Editable, table=True):
    """A customer whose needs (a double-up, moving and handling) require a carer to shadow
    a visit before being assigned alone, from ``from_date``."""

    __tablename__ = "shadow_requirement"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    need: str = Field(max_length=120)
    from_date: date
    active: bool = Field(default=True)
    recorded_by: str = Field(default="", max_length=60)
