"""Incidents (triage, investigation, Duty of Candour), complaints, compliments and
medication changes: section 6 of the app (issue 14).

An incident is logged, triaged (each decision a row of ``incident_decision``: who, when,
what was decided), investigated and closed; its actions are rows of the same ``action``
table as meetings' actions (linked by ``incident_action``), so they are chased in one
tracker. A notifiable safety incident (SI 2014/2936 reg 20) has one ``candour_record``
holding each element of reg 20(3) and 20(4). A complaint (SI 2009/309) keeps its steps
on a timeline (``complaint_step``). The agency's own limits are one row of
``governance_settings`` (none: the defaults).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Index
from sqlmodel import Field

from coordinator_tui.models.base import Editable


class Incident(Editable, table=True):
    """An incident; a notifiable safety incident starts the Duty of Candour (reg 20).

    ``occurred_at`` is when it happened, ``reported_at`` when it was found (or reported
    to the agency). ``status`` is ``open`` or ``closed``; an open incident with no
    ``triaged_at`` is awaiting triage. ``notifiable`` and ``cqc_notification`` hold the
    latest triage decisions (their history is in ``incident_decision``)."""

    __table_args__ = (
        # The closed incidents read a page at a time by key, latest closed first
        # (``incidents.closed_incidents_page``: status = closed, by closed_at, occurred_at
        # and id): each page one range of this index, however many have closed.
        Index("ix_incident_closed_keyset", "status", "closed_at", "occurred_at", "id"),
    )

    occurred_at: datetime = Field(index=True)
    reported_at: datetime
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    carer_id: int | None = Field(default=None, foreign_key="carer.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    kind: str = Field(max_length=40, index=True)  # fall, medication, missed_visit, ...
    severity: str = Field(default="low", max_length=20, index=True)  # the harm level
    description: str = Field(default="")
    notifiable: bool = Field(default=False, index=True)
    candour_notified_at: datetime | None = Field(default=None)
    candour_apology_given: bool = Field(default=False)
    candour_written_at: datetime | None = Field(default=None)
    status: str = Field(default="open", max_length=20, index=True)
    outcome: str = Field(default="")
    learning: str = Field(default="")
    # --- issue 14: logging, triage, investigation, closure ---
    immediate_action: str = Field(default="")
    logged_by: str = Field(default="", max_length=60)
    triaged_at: datetime | None = Field(default=None, index=True)
    triaged_by: str = Field(default="", max_length=60)
    notifiable_reason: str = Field(default="", max_length=40)  # the reg 20 harm threshold
    cqc_notification: str = Field(default="", max_length=40)  # the 2009 Regs reg 18 type
    commissioner_notification: bool = Field(default=False)
    cause: str = Field(default="")
    no_action_reason: str = Field(default="", max_length=300)
    closed_at: datetime | None = Field(default=None)
    closed_by: str = Field(default="", max_length=60)


class IncidentDecision(Editable, table=True):
    """One triage decision about an incident, with who made it and when.

    ``question``: notifiable (reg 20), cqc (2009 Regs reg 18), safeguarding, commissioner.
    ``answer``: yes or no; ``detail`` the threshold, notification type or whom it went to;
    ``concern_id`` the safeguarding concern a yes created."""

    __tablename__ = "incident_decision"

    incident_id: int = Field(foreign_key="incident.id", index=True)
    question: str = Field(max_length=20)
    answer: str = Field(max_length=10)
    detail: str = Field(default="", max_length=200)
    concern_id: int | None = Field(default=None, foreign_key="concern.id")
    decided_by: str = Field(max_length=60)
    decided_at: datetime


class IncidentAction(Editable, table=True):
    """An action of the shared tracker (``action``) that belongs to an incident."""

    __tablename__ = "incident_action"

    incident_id: int = Field(foreign_key="incident.id", index=True)
    action_id: int = Field(foreign_key="action.id", unique=True)


class CandourRecord(Editable, table=True):
    """The Duty of Candour for one notifiable safety incident (SI 2014/2936 reg 20).

    Each element of reg 20(2)-(4) has its own columns; ``due_on`` is the agency's limit for
    the notification in person (as soon as reasonably practicable; default 10 working
    days from the decision that it is notifiable). ``unable`` (``not_contactable`` or
    ``declined``) with ``contact_attempts`` is the reg 20(5) record instead of the steps.
    ``status``: open, complete, or not_required (triage decided it is not notifiable)."""

    __tablename__ = "candour_record"

    incident_id: int = Field(foreign_key="incident.id", unique=True)
    opened_on: date
    due_on: date = Field(index=True)
    relevant_person: str = Field(default="", max_length=120)
    relation: str = Field(default="", max_length=60)
    notified_on: date | None = Field(default=None)
    notified_by: str = Field(default="", max_length=120)
    support_offered: str = Field(default="")
    account: str = Field(default="")
    enquiries: str = Field(default="")
    apology_on: date | None = Field(default=None)
    apology_by: str = Field(default="", max_length=120)
    record_kept_on: date | None = Field(default=None)
    record_location: str = Field(default="", max_length=200)
    written_sent_on: date | None = Field(default=None)
    written_method: str = Field(default="", max_length=40)
    results_shared_on: date | None = Field(default=None)
    results: str = Field(default="")
    unable: str = Field(default="", max_length=20)
    contact_attempts: str = Field(default="")
    status: str = Field(default="open", max_length=20, index=True)
    completed_on: date | None = Field(default=None)
    completed_by: str = Field(default="", max_length=60)


class Complaint(Editable, table=True):
    """A complaint: acknowledge within 3 working days (SI 2009/309).

    ``status``: open, closed, or resolved (an oral complaint resolved by the next working
    day, outside the formal process: reg 8(1)(b)). ``response_due`` is the end of the
    response period (default 6 months, extended by agreement: ``complaint_step``)."""

    received_on: date = Field(index=True)
    event_date: date | None = Field(default=None)
    known_on: date | None = Field(default=None)
    """When the complainant first knew of the matter, if after the event: the 12-month
    time limit runs from the later of the two (SI 2009/309 reg 12(1)(b))."""
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
    # --- issue 14 ---
    complainant_relation: str = Field(default="", max_length=60)
    carer_id: int | None = Field(default=None, foreign_key="carer.id")
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    outcome_wanted: str = Field(default="")
    nhs_funded: bool = Field(default=False)
    response_sent_on: date | None = Field(default=None)
    closed_on: date | None = Field(default=None)
    logged_by: str = Field(default="", max_length=60)


class ComplaintStep(Editable, table=True):
    """A step on a complaint's timeline: acknowledged, discussion, investigation,
    extension (``new_due`` and the day the complainant was ``told_on``), response,
    closed, resolved or a note."""

    __tablename__ = "complaint_step"

    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=20)
    step_on: date
    note: str = Field(default="")
    new_due: date | None = Field(default=None)
    told_on: date | None = Field(default=None)
    by: str = Field(default="", max_length=60)


class Compliment(Editable, table=True):
    """A compliment received: the evidence counts them beside complaints."""

    received_on: date = Field(index=True)
    from_whom: str = Field(default="", max_length=120)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    carer_id: int | None = Field(default=None, foreign_key="carer.id")
    summary: str = Field(default="")
    logged_by: str = Field(default="", max_length=60)


class GovernanceSettings(Editable, table=True):
    """The agency's governance choices (one row; none: the defaults).

    ``agency_name`` heads letters; ``candour_limit_days``: working days within which the
    notification in person is due (reg 20(2) says as soon as reasonably practicable, the
    agency sets its own outer limit); ``response_months``: the complaint response period
    agreed unless another is (SI 2009/309 reg 13(7))."""

    __tablename__ = "governance_settings"

    agency_name: str = Field(default="", max_length=120)
    candour_limit_days: int = Field(default=10)
    response_months: int = Field(default=6)
    # Visits that did not happen (issue 14 §4), the commissioners' usual definitions:
    late_minutes: int = Field(default=30)  # late: started more than this after planned
    short_percent: int = Field(default=75)  # short: under this share of the planned length
    missed_after: time = Field(default=time(23, 0))  # missed: not started by then that day


class VisitRecord(Editable, table=True):
    """What happened on a visit beyond its actual times (kept on ``visit``): missed with
    its reason (no_access, refused, carer_absent, hospital, other), where the times came
    from, who recorded it."""

    __tablename__ = "visit_record"

    visit_id: int = Field(foreign_key="visit.id", unique=True)
    missed_reason: str = Field(default="", max_length=30)
    source: str = Field(default="typed", max_length=20)
    note: str = Field(default="", max_length=300)
    recorded_by: str = Field(default="", max_length=60)
    # --- issue 14 remainders: the carer's note on the visit (typed, or from the call
    # monitoring export), the reference list's words it holds (``data/note_flags.json``),
    # and what the coordinator made of them: ``note_outcome`` concern, incident or
    # no_action (with ``note_ref_id`` the concern or incident raised).
    carer_note: str = Field(default="", max_length=2000)
    note_flags: str = Field(default="", max_length=200)
    note_outcome: str = Field(default="", max_length=20)
    note_ref_id: int | None = Field(default=None)
    note_reviewed_by: str = Field(default="", max_length=60)


class SafeguardingProposal(Editable, table=True):
    """A coordinator's decision on a safeguarding concern the visits proposed (two or more
    missed visits for a customer in 7 days; a pattern of late or short ones): accepted
    (``concern_id``: the concern raised, neglect or acts of omission) or dismissed with a
    reason. Proposals themselves are worked out from the visits; only decisions are kept,
    with the visits they covered, so the same evidence is not proposed twice."""

    __tablename__ = "safeguarding_proposal"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    rule: str = Field(max_length=30)
    window_start: date
    window_end: date
    visit_ids: str = Field(default="", max_length=400)
    evidence: str = Field(default="")
    status: str = Field(max_length=20, index=True)  # accepted | dismissed
    reason: str = Field(default="", max_length=300)
    concern_id: int | None = Field(default=None, foreign_key="concern.id")
    decided_by: str = Field(max_length=60)
    decided_at: datetime
