"""Reports (issue 15): coding audit runs and their findings, and the sharing record.

A coding audit run is one import of the clinical system's coded events; the events
themselves are not kept (they are the clinical system's), only the run's counts and its
findings, each with the one-key action taken on it. What was shared with whom is one
``sharing_record`` per disclosure or request, with its lawful basis and the consent
decision; it never holds a copy of what was shared, only its categories.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, Index, UniqueConstraint

from coordinator_tui.models.base import Editable


class FindingKind(StrEnum):
    """The mismatch classes of the coding audit."""

    CODED_NOT_REGISTERED = "coded_not_registered"
    REGISTERED_NOT_CODED = "registered_not_coded"
    DATES_DISAGREE = "dates_disagree"
    FAMILY_NOT_CODED = "family_not_coded"
    LAC_NOT_CODED = "lac_not_coded"


class FindingStatus(StrEnum):
    OPEN = "open"
    ADDED = "added"  # added to our register with the code's date
    ENDED = "ended"  # our registration ended
    REDATED = "redated"  # our start date set to the code's
    CORRECTION = "correction"  # the clinical system's code to be corrected (an action)


class CodingAuditRun(Editable, table=True):
    """One import of a SystmOne or EMIS export, reconciled against our registers."""

    __tablename__ = "coding_audit_run"

    imported_at: datetime = Field(index=True)
    imported_by: str = Field(default="", max_length=60)
    file_name: str = Field(default="", max_length=200)
    system: str = Field(default="", max_length=40)
    code_lists_version: str = Field(default="", max_length=120)
    rows: int = Field(default=0)
    coded_rows: int = Field(default=0)  # rows whose code is in a list
    people_coded: int = Field(default=0)
    unknown_people: int = Field(default=0)  # NHS numbers not in our records
    practice_ids: str = Field(default="", max_length=200)  # the practices reconciled
    findings: int = Field(default=0)
    not_audited: str = Field(default="", max_length=300)  # registers with no codes


class CodingFinding(Editable, table=True):
    """One mismatch between our registers and the clinical system's codes."""

    __tablename__ = "coding_finding"
    __table_args__ = (Index("ix_coding_finding_run_order", "run_id", "practice_id", "kind"),)

    run_id: int = Field(foreign_key="coding_audit_run.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id")
    kind: str = Field(max_length=30)
    list_id: str = Field(max_length=30)
    entry_id: int | None = Field(default=None, foreign_key="register_entry.id")
    entry_version: int | None = Field(default=None)  # the entry as the audit saw it
    our_start: date | None = Field(default=None)
    coded_since: date | None = Field(default=None)
    coded_off_on: date | None = Field(default=None)
    code: str = Field(default="", max_length=20)
    detail: str = Field(default="", max_length=300)
    status: str = Field(default=FindingStatus.OPEN, max_length=20, index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id")
    resolved_at: datetime | None = Field(default=None)
    resolved_by: str = Field(default="", max_length=60)


class SharingRecord(Editable, table=True):
    """A disclosure of a person's information by us, or a request to us for it.

    ``direction``: ``disclosure`` (we shared) or ``request`` (someone asked us; the
    ``decision`` is ``shared``, ``refused`` or ``pending``). The lawful basis is a UK GDPR
    article 6 basis and an article 9 condition (health data is special category), with
    the Data Protection Act 2018 condition where article 9(2)(g) needs one. ``consent``:
    ``given`` (sought and given), ``not_sought`` (with the reason), ``overridden`` (sought,
    refused or withdrawn, shared anyway: the reason and who decided). ``what`` holds the
    categories shared, never a copy. The two flags keep the entry out of online record
    access and away from anyone outside the safeguarding team."""

    __tablename__ = "sharing_record"
    __table_args__ = (Index("ix_sharing_record_on", "occurred_on", "person_id"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    direction: str = Field(default="disclosure", max_length=12)
    occurred_on: date
    context: str = Field(default="person", max_length=12)  # person | referral | meeting
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    organisation: str = Field(default="", max_length=120, index=True)
    role: str = Field(default="", max_length=60)
    recipient: str = Field(default="", max_length=120)
    what: str = Field(default="", max_length=300)
    why: str = Field(default="")
    article6: str = Field(default="", max_length=12)
    article9: str = Field(default="", max_length=12)
    dpa_condition: str = Field(default="", max_length=30)
    consent: str = Field(default="", max_length=12, index=True)
    consent_reason: str = Field(default="")
    decided_by: str = Field(default="", max_length=120)
    method: str = Field(default="", max_length=20)
    decision: str = Field(default="shared", max_length=10)
    decision_reason: str = Field(default="")
    hide_from_online_access: bool = Field(default=False)
    safeguarding_team_only: bool = Field(default=False)
    recorded_by: str = Field(default="", max_length=60)


class ProcessUpdate(Editable, table=True):
    """A change to a safeguarding process, sent to the practices' safeguarding
    administrators to read and acknowledge (issue 15 section 3).

    ``practice_ids``: the practices it applies to (comma-separated ids; "" for every
    practice of the PCN). Each administrator it was sent to is a
    ``process_update_recipient`` whose acknowledgement is an action in the shared tracker
    (due ``acknowledge_by``), so an overdue one is chased like any action."""

    __tablename__ = "process_update"

    title: str = Field(max_length=160)
    what_changed: str = Field(default="")
    effective_from: date = Field(index=True)
    guidance: str = Field(default="", max_length=300)
    practice_ids: str = Field(default="", max_length=200)
    acknowledge_by: date
    briefing_on: date | None = Field(default=None)
    created_by: str = Field(default="", max_length=60)


class ProcessUpdateRecipient(Editable, table=True):
    """One administrator a process update was sent to: the acknowledgement (its action)
    and whether they attended the briefing (None: not recorded yet)."""

    __tablename__ = "process_update_recipient"
    __table_args__ = (UniqueConstraint("update_id", "staff_id"),)

    update_id: int = Field(foreign_key="process_update.id", index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id")
    acknowledged_on: date | None = Field(default=None)
    attended_briefing: bool | None = Field(default=None)
