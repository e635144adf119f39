"""Safeguarding concerns raised by clinicians and staff: quick intake, one-key triage.

Triage outcomes: no further action (a reason is required), refer (creates a draft
referral), add to a register (creates the register entry), or discuss at the next
meeting (the agenda builder proposes it). Each is audited through the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Concern,
    ConcernStatus,
    Person,
    Referral,
    ReferralEvent,
    ReferralState,
    utcnow,
)
from coordinator_tui.services import access, errors
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reference import ConcernCategorySpec, load_concern_categories
from coordinator_tui.services.registers import RegisterError, add_registration

REFERRAL_TYPES = ("MASH", "MARAC", "MARF", "S42", "EARLY_HELP", "OTHER")


class ConcernError(CoordinatorError):
    """Bad input for a concern; the message is for the coordinator."""


class ConcernConflictError(ConcernError, errors.ConflictError):
    """The concern changed since the list was loaded: nothing was overwritten."""


def concern_categories() -> list[ConcernCategorySpec]:
    """What a concern can be about, from the reference file (the practice's own beside
    its database, else the shipped one): Working Together's four categories, the Care Act
    2014 guidance's ten (14.17), FGM, Prevent and child exploitation."""
    return load_concern_categories()


def category_labels() -> dict[str, str]:
    """Concern category code -> the name a coordinator reads."""
    return {spec.code: spec.name for spec in concern_categories()}


@dataclass(frozen=True)
class ConcernRow:
    """An untriaged concern as the Registers screen lists it."""

    id: int
    version: int
    person_id: int
    given_name: str
    family_name: str
    raised_on: date
    raised_by: str
    category: str
    details: str


def log_concern(
    session: Session,
    *,
    person_id: int | None,
    raised_by: str,
    raised_by_role: str,
    raised_on: date | None,
    category: str,
    details: str,
    today: date,
) -> Concern:
    """Record a concern; every field is checked before anything is written."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    raised_by, details = raised_by.strip(), details.strip()
    if person_id is None or session.get(Person, person_id) is None:
        raise ConcernError("Pick the person the concern is about")
    if not raised_by:
        raise ConcernError("Say who raised the concern")
    if raised_on is None:
        raise ConcernError("Give the date the concern was raised")
    if raised_on > today:
        raise ConcernError("A concern cannot be raised in the future")
    if category not in category_labels():
        raise ConcernError("Pick a category: type a few letters of it and press enter")
    if not details:
        raise ConcernError("Describe the concern")
    person = session.get(Person, person_id)
    concern = Concern(
        person_id=person_id,
        practice_id=person.practice_id if person else None,
        raised_by=raised_by[:120],
        raised_by_role=raised_by_role.strip()[:60],
        raised_on=raised_on,
        category=category,
        details=details,
    )
    session.add(concern)
    session.flush()
    return concern


def untriaged(session: Session) -> list[ConcernRow]:
    """Concerns awaiting triage, oldest first."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    rows = session.execute(
        select(
            Concern.id,
            Concern.version,
            Concern.person_id,
            Person.given_name,
            Person.family_name,
            Concern.raised_on,
            Concern.raised_by,
            Concern.category,
            Concern.details,
        )
        .join(Person, Person.id == Concern.person_id)
        .where(Concern.status == ConcernStatus.UNTRIAGED)
        .order_by(Concern.raised_on, Concern.id)
    ).all()
    return [ConcernRow(*row) for row in rows]


def _load(session: Session, concern_id: int, expected_version: int) -> Concern:
    concern = session.get(Concern, concern_id)
    if concern is not None and concern.status != ConcernStatus.UNTRIAGED:
        # Said before the version, which the triage moved on: who triaged it says more.
        by = f" by {concern.triaged_by}" if concern.triaged_by else ""
        raise ConcernError(f"This concern has already been triaged{by}: press F5 to reload")
    errors.check_version(
        session,
        concern,
        "concern",
        expected_version,
        missing=ConcernError,
        conflict=ConcernConflictError,
    )
    assert concern is not None
    return concern


def _close(concern: Concern, status: ConcernStatus, reason: str, by: str) -> None:
    concern.status = status
    concern.triage_reason = reason[:500]
    concern.triaged_at = utcnow()
    concern.triaged_by = by


def triage_no_further_action(
    session: Session, concern_id: int, expected_version: int, *, reason: str, by: str
) -> Concern:
    access.require(session, access.EDIT_REGISTER)  # issue 17
    reason = reason.strip()
    if not reason:
        raise ConcernError("No further action needs a reason")
    concern = _load(session, concern_id, expected_version)
    _close(concern, ConcernStatus.NO_FURTHER_ACTION, reason, by)
    session.flush()
    return concern


def triage_refer(
    session: Session, concern_id: int, expected_version: int, *, referral_type: str, by: str
) -> Referral:
    """Create a draft referral from the concern (the referrals screen takes it on)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    if referral_type not in REFERRAL_TYPES:
        raise ConcernError(f"Referral type must be one of: {', '.join(REFERRAL_TYPES)}")
    concern = _load(session, concern_id, expected_version)
    now = utcnow()
    referral = Referral(
        person_id=concern.person_id,
        practice_id=concern.practice_id,
        concern_id=concern.id,
        referral_type=referral_type,
        state=ReferralState.DRAFTED,
        reason=concern.details,
        drafted_at=now,
        created_by=by,
    )
    session.add(referral)
    session.flush()
    session.add(
        ReferralEvent(referral_id=referral.id, at=now, by=by, to_state=ReferralState.DRAFTED)
    )
    _close(concern, ConcernStatus.REFERRED, f"{referral_type} referral drafted", by)
    session.flush()
    return referral


def triage_register(
    session: Session,
    concern_id: int,
    expected_version: int,
    *,
    category_id: int,
    today: date,
    by: str,
    risk_level: str = "medium",
) -> int:
    """Add the person to a register; returns the new entry's id."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    concern = _load(session, concern_id, expected_version)
    try:
        token = add_registration(
            session,
            person_id=concern.person_id,
            category_id=category_id,
            start_date=today,
            today=today,
            by=by,
            risk_level=risk_level,
        )
    except RegisterError as exc:
        raise ConcernError(str(exc)) from exc
    _close(concern, ConcernStatus.REGISTERED, "added to a register", by)
    session.flush()
    return token.entry_id


def triage_for_meeting(
    session: Session, concern_id: int, expected_version: int, *, by: str, note: str = ""
) -> Concern:
    """Mark for discussion at the next safeguarding meeting."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    concern = _load(session, concern_id, expected_version)
    _close(concern, ConcernStatus.FOR_MEETING, note.strip() or "for discussion", by)
    session.flush()
    return concern
