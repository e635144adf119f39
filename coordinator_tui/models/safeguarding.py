"""Safeguarding registers, reviews, concerns, referrals, case conferences, chronology.

Status values are plain strings in the database (portable across SQLite and PostgreSQL,
and painless to migrate); the allowed values live in the ``StrEnum`` classes below and the
services validate against them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, Index

from coordinator_tui.models.base import Editable


class RiskLevel(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EntryStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class ConcernStatus(StrEnum):
    UNTRIAGED = "untriaged"
    NO_FURTHER_ACTION = "nfa"
    REFERRED = "referred"
    REGISTERED = "registered"
    FOR_MEETING = "for_meeting"


class ReferralState(StrEnum):
    DRAFTED = "drafted"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    AWAITING_OUTCOME = "awaiting_outcome"
    OUTCOME_RECEIVED = "outcome_received"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_REFERRAL_STATES = (
    ReferralState.DRAFTED,
    ReferralState.SENT,
    ReferralState.ACKNOWLEDGED,
    ReferralState.AWAITING_OUTCOME,
    ReferralState.OUTCOME_RECEIVED,
)


class RegisterCategory(Editable, table=True):
    """A safeguarding register (CP plan, CIN, LAC, s42...), synced from ``data/``."""

    __tablename__ = "register_category"

    code: str = Field(max_length=30, unique=True, index=True)
    name: str = Field(max_length=120)
    age_band: str = Field(max_length=10)  # child | adult | any
    review_interval_days: int = Field(default=30)
    snomed_on: str = Field(default="", max_length=20)
    snomed_off: str = Field(default="", max_length=20)
    hide_from_online_access: bool = Field(default=False)
    sort_order: int = Field(default=0)
    active: bool = Field(default=True)


class RegisterEntry(Editable, table=True):
    """One person on one register, from start to end, with its review schedule."""

    __tablename__ = "register_entry"
    __table_args__ = (
        Index("ix_register_entry_queue", "status", "next_review_due"),
        Index("ix_register_entry_person_category", "person_id", "category_id"),
        # The review queue read a page at a time by key (issue 23, services/keyset.py).
        Index("ix_register_entry_keyset", "status", "risk_level", "next_review_due", "id"),
        # The queue's review compliance line, counted from the index alone (migration 0015).
        Index(
            "ix_register_entry_compliance", "status", "practice_id", "category_id", "last_reviewed"
        ),
    )

    person_id: int = Field(foreign_key="person.id", index=True)
    category_id: int = Field(foreign_key="register_category.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    start_date: date
    end_date: date | None = Field(default=None)
    end_reason: str = Field(default="", max_length=200)
    lead_staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    risk_level: str = Field(default=RiskLevel.MEDIUM, max_length=10, index=True)
    status: str = Field(default=EntryStatus.ACTIVE, max_length=20, index=True)
    next_review_due: date | None = Field(default=None, index=True)
    last_reviewed: date | None = Field(default=None)
    snoozed_until: date | None = Field(default=None)
    escalated_at: datetime | None = Field(default=None, index=True)
    escalation_reason: str = Field(default="", max_length=500)
    notes: str = Field(default="")
    # A looked-after child's latest health assessment recorded with ``h`` (the chronology
    # entry is the record the due date is counted from; this moves the entry's version).
    last_health_assessment: date | None = Field(default=None)
    # A looked-after child's next health assessment counted from the latest recorded since
    # entering care (None with none recorded: the schedule then shows one to come, never a
    # late one). Derived, kept in step by ``services.registers`` on every write to what it
    # is counted from, and indexed: the queue's "health assessments late" is a COUNT of an
    # index range, not a computation per row (issue 23; migration 0013).
    health_assessment_due: date | None = Field(default=None, index=True)


class RegisterReview(Editable, table=True):
    """What happened at each review of an entry (reviewed, snoozed, escalated, changed)."""

    __tablename__ = "register_review"
    __table_args__ = (
        # The last month's reviews for the compliance line, from the index (migration 0015).
        Index("ix_register_review_compliance", "reviewed_on", "action", "due_before", "entry_id"),
    )

    entry_id: int = Field(foreign_key="register_entry.id", index=True)
    reviewed_on: date = Field(index=True)
    reviewed_by: str = Field(default="", max_length=60)
    action: str = Field(default="reviewed", max_length=20)
    note: str = Field(default="", max_length=500)
    due_before: date | None = Field(default=None)
    next_review_due: date | None = Field(default=None)


class Concern(Editable, table=True):
    """A safeguarding concern raised by a clinician or staff member, awaiting triage."""

    person_id: int = Field(foreign_key="person.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    raised_by: str = Field(max_length=120)
    raised_by_role: str = Field(default="", max_length=60)
    raised_on: date = Field(index=True)
    category: str = Field(max_length=30, index=True)
    details: str = Field(default="")
    status: str = Field(default=ConcernStatus.UNTRIAGED, max_length=20, index=True)
    triage_reason: str = Field(default="", max_length=500)
    triaged_at: datetime | None = Field(default=None)
    triaged_by: str = Field(default="", max_length=60)


class Referral(Editable, table=True):
    """A referral to MASH, MARAC, MARF, adult social care (s42), Early Help or other.

    Each state has its own timestamp so that the figures (days from sent to outcome) can
    be computed without replaying history; the full history is in ``referral_event``.
    """

    __table_args__ = (
        Index("ix_referral_open_chase", "state", "chase_by"),
        # The referrals read a page at a time by key (issue 23, services/keyset.py).
        Index("ix_referral_keyset", "chase_by", "id"),
    )

    person_id: int = Field(foreign_key="person.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    concern_id: int | None = Field(default=None, foreign_key="concern.id")
    referral_type: str = Field(max_length=20, index=True)
    state: str = Field(default=ReferralState.DRAFTED, max_length=20, index=True)
    agency: str = Field(default="", max_length=120)
    external_reference: str = Field(default="", max_length=60)
    reason: str = Field(default="")
    drafted_at: datetime = Field(index=True)
    sent_at: datetime | None = Field(default=None, index=True)
    acknowledged_at: datetime | None = Field(default=None)
    awaiting_outcome_at: datetime | None = Field(default=None)
    outcome_received_at: datetime | None = Field(default=None)
    closed_at: datetime | None = Field(default=None)
    withdrawn_at: datetime | None = Field(default=None)
    chase_by: date | None = Field(default=None, index=True)
    chase_by_overridden: bool = Field(default=False)
    outcome_type: str = Field(default="", max_length=40, index=True)
    outcome_notes: str = Field(default="")
    escalation_pending: bool = Field(default=False, index=True)
    dash_score: int | None = Field(default=None)
    marac_date: date | None = Field(default=None)
    s42_care_and_support_needs: bool | None = Field(default=None)
    s42_experiencing_abuse: bool | None = Field(default=None)
    s42_unable_to_protect_self: bool | None = Field(default=None)
    created_by: str = Field(default="", max_length=60)
    # The initial child protection conference is due 15 working days from this date
    # (Working Together), not from the day the outcome was received.
    strategy_discussion_on: date | None = Field(default=None)
    # The coordinator's day of the last chase: the list shows it without reading chases.
    last_chased_on: date | None = Field(default=None)


class ReferralEvent(Editable, table=True):
    """One change of state of a referral: who moved it, when, from what to what."""

    __tablename__ = "referral_event"

    referral_id: int = Field(foreign_key="referral.id", index=True)
    at: datetime = Field(index=True)
    by: str = Field(default="", max_length=60)
    from_state: str = Field(default="", max_length=20)
    to_state: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)


class ReferralChase(Editable, table=True):
    """A chase of a referral: by whom, how, to whom, and the next chase-by date set."""

    __tablename__ = "referral_chase"

    referral_id: int = Field(foreign_key="referral.id", index=True)
    chased_at: datetime
    by: str = Field(default="", max_length=60)
    method: str = Field(default="phone", max_length=20)
    to_whom: str = Field(default="", max_length=120)
    note: str = Field(default="", max_length=500)
    next_chase_by: date | None = Field(default=None)


class CaseConference(Editable, table=True):
    """A strategy discussion, initial or review child protection conference, or s42 meeting."""

    __tablename__ = "case_conference"

    person_id: int = Field(foreign_key="person.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id", index=True)
    kind: str = Field(max_length=30)  # strategy | initial_cp | review_cp | s42_planning
    due_date: date = Field(index=True)
    held_on: date | None = Field(default=None)
    outcome: str = Field(default="", max_length=500)


class ChronologyEntry(Editable, table=True):
    """A dated event in a person's life as the safeguarding record sees it.

    Entries written by other features point back at their source row
    (``source_table``/``source_id``); manual entries have neither.
    """

    __tablename__ = "chronology_entry"
    __table_args__ = (Index("ix_chronology_person_date", "person_id", "occurred_on"),)

    person_id: int = Field(foreign_key="person.id")
    occurred_on: date
    source: str = Field(default="", max_length=120)
    kind: str = Field(default="note", max_length=30)
    text: str = Field(default="")
    source_table: str = Field(default="", max_length=40)
    source_id: int | None = Field(default=None)
    created_by: str = Field(default="", max_length=60)
