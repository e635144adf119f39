"""Complaints under SI 2009/309, and compliments.

A complaint is logged with its clocks (``clocks``): acknowledgement due 3 working days
after receipt, the response period 6 months unless the agency sets another, extended only
with a reason and the day the complainant was told. Every step is a typed entry on its
timeline (``complaint_step``): acknowledged (with the offer to discuss handling and the
response period), discussion, investigation, extension, response sent, closed with its
outcome and learning. An oral complaint resolved by the next working day leaves the
formal process (reg 8(1)(b)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import Carer, Customer, Visit
from coordinator_tui.models.governance import Complaint, ComplaintStep, Compliment
from coordinator_tui.services import access
from coordinator_tui.services.governance import GovernanceError, check_version
from coordinator_tui.services.governance.agency import agency_settings
from coordinator_tui.services.governance.clocks import (
    acknowledge_due,
    oral_resolution_deadline,
    outside_time_limit,
    response_due,
)
from coordinator_tui.services.governance.terms import (
    COMPLAINT_CHANNELS,
    COMPLAINT_OUTCOMES,
    COMPLAINT_STEPS,
    ORAL_CHANNELS,
)

OPEN, CLOSED, RESOLVED = "open", "closed", "resolved"
VIEWS: dict[str, str] = {
    "open": "Open complaints",
    "acknowledge": "Complaints to acknowledge",
    "overdue": "Complaints overdue",
    "closed": "Closed complaints",
}
TIMELINE_STEPS = ("discussion", "investigation", "note")
"""The steps typed freely on the timeline; the others have their own action."""


class ComplaintClosureRefused(GovernanceError):
    """Closing was refused; ``missing`` names what the complaint still needs."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Cannot close yet: still needs " + "; ".join(missing))


def _check_day(value: date | None, what: str, today: date, *, not_before: date | None = None):
    if value is None:
        raise GovernanceError(f"Give the date {what}")
    if value > today:
        raise GovernanceError(f"The date {what} is in the future")
    if not_before is not None and value < not_before:
        raise GovernanceError(f"The date {what} is before the complaint was received")


def log_complaint(
    session: Session,
    *,
    received_on: date | None,
    channel: str,
    complainant: str,
    relation: str,
    summary: str,
    outcome_wanted: str = "",
    customer_id: int | None = None,
    carer_id: int | None = None,
    visit_id: int | None = None,
    event_date: date | None = None,
    known_on: date | None = None,
    nhs_funded: bool = False,
    by: str,
    today: date,
) -> Complaint:
    """Record a complaint and start its clocks. ``known_on``: when the complainant
    first knew of the matter, if later than the event (the time limit then runs from it:
    reg 12(1)(b)). One received more than 12 months after both is still logged (the
    agency may consider it for good reason: reg 12(2)); ``late_note`` says so."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complainant, summary = complainant.strip(), summary.strip()
    _check_day(received_on, "it was received", today)
    assert received_on is not None
    if channel not in COMPLAINT_CHANNELS:
        raise GovernanceError("Say how the complaint came in")
    if not complainant:
        raise GovernanceError("Say who is complaining")
    if not summary:
        raise GovernanceError("Say what the complaint is about")
    if event_date is not None and event_date > received_on:
        raise GovernanceError("What is complained about cannot come after the complaint")
    if known_on is not None:
        if known_on > received_on:
            raise GovernanceError("The day they knew of it is after the complaint came in")
        if event_date is not None and known_on < event_date:
            raise GovernanceError("The complainant cannot have known of it before it happened")
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise GovernanceError("That visit no longer exists")
        customer_id = customer_id or visit.customer_id
    if customer_id is None and carer_id is None:
        raise GovernanceError("Say which customer, carer or visit it is about")
    person_id = None
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise GovernanceError("That customer no longer exists")
        person_id = customer.person_id
    if carer_id is not None and session.get(Carer, carer_id) is None:
        raise GovernanceError("That carer no longer exists")
    months = agency_settings(session).response_months
    complaint = Complaint(
        received_on=received_on,
        event_date=event_date,
        known_on=known_on,
        complainant=complainant[:120],
        complainant_relation=relation.strip()[:60],
        person_id=person_id,
        customer_id=customer_id,
        carer_id=carer_id,
        visit_id=visit_id,
        channel=channel,
        summary=summary,
        outcome_wanted=outcome_wanted.strip(),
        nhs_funded=nhs_funded,
        acknowledge_due=acknowledge_due(received_on),
        response_due=response_due(received_on, months),
        status=OPEN,
        logged_by=by[:60],
    )
    session.add(complaint)
    session.flush()
    _step(session, complaint, "received", received_on, COMPLAINT_CHANNELS[channel], by)
    return complaint


def late_note(complaint: Complaint) -> str:
    """A warning when the complaint came more than 12 months after its event and
    after the complainant first knew of it (SI 2009/309 reg 12(1))."""
    if outside_time_limit(complaint.event_date, complaint.received_on, complaint.known_on):
        since = "the complainant knew of it" if complaint.known_on else "the event"
        return (
            f"Made more than 12 months after {since} (SI 2009/309 reg 12(1)): consider it "
            "if there was good reason and it can still be investigated fairly (reg 12(2))"
        )
    return ""


def _step(
    session: Session,
    complaint: Complaint,
    kind: str,
    on: date,
    note: str,
    by: str,
    *,
    new_due: date | None = None,
    told_on: date | None = None,
) -> ComplaintStep:
    step = ComplaintStep(
        complaint_id=complaint.id,
        kind=kind,
        step_on=on,
        note=note.strip(),
        new_due=new_due,
        told_on=told_on,
        by=by[:60],
    )
    session.add(step)
    session.flush()
    return step


def _load(session: Session, complaint_id: int, expected_version: int | None) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    check_version(session, complaint, "complaint", expected_version)
    assert complaint is not None
    if complaint.status != OPEN:
        raise GovernanceError(f"This complaint is {complaint.status}")
    return complaint


def acknowledge(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    on: date | None,
    discussion_offered: bool,
    note: str = "",
    by: str,
    today: date,
) -> Complaint:
    """Acknowledge the complaint. The acknowledgement must offer to discuss how it will be
    handled and the response period (reg 13(2)): refused without that offer."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complaint = _load(session, complaint_id, expected_version)
    if complaint.acknowledged_on is not None:
        raise GovernanceError("This complaint is acknowledged already")
    _check_day(on, "it was acknowledged", today, not_before=complaint.received_on)
    assert on is not None
    if not discussion_offered:
        raise GovernanceError(
            "The acknowledgement offers to discuss how the complaint will be handled and "
            "the response period (SI 2009/309 reg 13(2))"
        )
    complaint.acknowledged_on = on
    late = on > (complaint.acknowledge_due or on)
    text = "Offered a discussion of how it will be handled and the response period"
    if late:
        text += f" (late: due {uk_date(complaint.acknowledge_due)})"
    _step(session, complaint, "acknowledged", on, f"{text}. {note}".strip(), by)
    return complaint


def add_step(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    kind: str,
    on: date | None,
    note: str,
    by: str,
    today: date,
) -> ComplaintStep:
    """A discussion, a part of the investigation, or a note, on the timeline."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if kind not in TIMELINE_STEPS:
        raise GovernanceError("Pick the kind of step: discussion, investigation or note")
    complaint = _load(session, complaint_id, expected_version)
    _check_day(on, "of the step", today, not_before=complaint.received_on)
    if not note.strip():
        raise GovernanceError("Say what happened at this step")
    assert on is not None
    return _step(session, complaint, kind, on, note, by)


def extend(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    new_due: date | None,
    reason: str,
    told_on: date | None,
    by: str,
    today: date,
) -> Complaint:
    """A longer response period: later than the one now agreed, with the reason, and the
    day the complainant was told (reg 13(7)(b): a longer period as agreed)."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complaint = _load(session, complaint_id, expected_version)
    if new_due is None:
        raise GovernanceError("Give the new response date")
    current = complaint.response_due or complaint.received_on
    if new_due <= current:
        raise GovernanceError(f"The new date must be after {uk_date(current)}")
    if not reason.strip():
        raise GovernanceError("Say why the response needs longer")
    _check_day(told_on, "the complainant was told", today, not_before=complaint.received_on)
    assert told_on is not None
    complaint.response_due = new_due
    _step(
        session,
        complaint,
        "extension",
        told_on,
        f"Response date moved from {uk_date(current)} to {uk_date(new_due)}: {reason.strip()}",
        by,
        new_due=new_due,
        told_on=told_on,
    )
    return complaint


def send_response(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    on: date | None,
    outcome: str,
    note: str = "",
    by: str,
    today: date,
) -> Complaint:
    """The response sent (its conclusions: upheld, partly or not upheld; the letter names
    the ombudsman, reg 14(1)(d)). Refused before the complaint is acknowledged."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complaint = _load(session, complaint_id, expected_version)
    if complaint.acknowledged_on is None:
        raise GovernanceError("Acknowledge the complaint first")
    if outcome not in COMPLAINT_OUTCOMES:
        raise GovernanceError("Pick the conclusion: upheld, partly upheld or not upheld")
    _check_day(on, "the response was sent", today, not_before=complaint.acknowledged_on)
    assert on is not None
    complaint.response_sent_on = on
    complaint.outcome = outcome
    text = f"{COMPLAINT_OUTCOMES[outcome]}; the ombudsman named in the letter. {note}".strip()
    _step(session, complaint, "response", on, text, by)
    return complaint


def closure_missing(complaint: Complaint, learning: str) -> list[str]:
    missing = []
    if complaint.acknowledged_on is None:
        missing.append("the acknowledgement")
    if complaint.response_sent_on is None:
        missing.append("the response sent")
    if complaint.outcome not in COMPLAINT_OUTCOMES:
        missing.append("the outcome")
    if not learning.strip():
        missing.append("the learning")
    return missing


def close_complaint(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    on: date | None,
    learning: str,
    by: str,
    today: date,
) -> Complaint:
    """Close the complaint with its learning; refused, naming what is missing."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complaint = _load(session, complaint_id, expected_version)
    missing = closure_missing(complaint, learning)
    if missing:
        raise ComplaintClosureRefused(missing)
    _check_day(on, "it was closed", today, not_before=complaint.response_sent_on)
    assert on is not None
    complaint.learning = learning.strip()
    complaint.status = CLOSED
    complaint.closed_on = on
    _step(session, complaint, "closed", on, complaint.learning, by)
    return complaint


def resolve_orally(
    session: Session,
    complaint_id: int,
    expected_version: int | None,
    *,
    on: date | None,
    note: str,
    by: str,
    today: date,
) -> Complaint:
    """An oral complaint resolved to the complainant's satisfaction by the next working
    day: outside the formal process (SI 2009/309 reg 8(1)(b))."""
    access.require(session, access.GOVERNANCE)  # issue 17
    complaint = _load(session, complaint_id, expected_version)
    if complaint.channel not in ORAL_CHANNELS:
        raise GovernanceError("Only a complaint made orally (phone, in person) can be resolved so")
    _check_day(on, "it was resolved", today, not_before=complaint.received_on)
    assert on is not None
    deadline = oral_resolution_deadline(complaint.received_on)
    if on > deadline:
        raise GovernanceError(
            f"Resolved after the next working day ({uk_date(deadline)}): it stays a formal "
            "complaint (SI 2009/309 reg 8(1)(b))"
        )
    if not note.strip():
        raise GovernanceError("Say how it was resolved")
    complaint.status = RESOLVED
    complaint.closed_on = on
    _step(session, complaint, "resolved", on, note, by)
    return complaint


# -- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRow:
    """One complaint in a list (a narrow select)."""

    id: int
    version: int
    received_on: date
    complainant: str
    customer: str
    carer: str
    channel: str
    status: str
    acknowledge_due: date | None
    acknowledged_on: date | None
    response_due: date | None
    response_sent_on: date | None
    outcome: str
    nhs_funded: bool
    customer_id: int | None = None
    carer_id: int | None = None
    visit_id: int | None = None
    """Whom and what it is about: ``f4`` on the list fills the incident form with them."""

    def acknowledge_overdue(self, today: date) -> bool:
        return (
            self.status == OPEN
            and self.acknowledged_on is None
            and self.acknowledge_due is not None
            and self.acknowledge_due < today
        )

    def response_overdue(self, today: date) -> bool:
        return (
            self.status == OPEN
            and self.response_sent_on is None
            and self.response_due is not None
            and self.response_due < today
        )

    def is_overdue(self, today: date) -> bool:
        return self.acknowledge_overdue(today) or self.response_overdue(today)

    def stage(self) -> str:
        """Where it is, in a word or two."""
        if self.status != OPEN:
            return "resolved orally" if self.status == RESOLVED else "closed"
        if self.acknowledged_on is None:
            return "to acknowledge"
        if self.response_sent_on is None:
            return "investigating"
        return "responded"


def _complaint_select():  # noqa: ANN202 - a Select of ComplaintRow's columns
    return (
        select(
            Complaint.id,
            Complaint.version,
            Complaint.received_on,
            Complaint.complainant,
            func.coalesce(Customer.name, ""),
            func.coalesce(Carer.name, ""),
            Complaint.channel,
            Complaint.status,
            Complaint.acknowledge_due,
            Complaint.acknowledged_on,
            Complaint.response_due,
            Complaint.response_sent_on,
            Complaint.outcome,
            Complaint.nhs_funded,
            Complaint.customer_id,
            Complaint.carer_id,
            Complaint.visit_id,
        )
        .outerjoin(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(Carer, Carer.id == Complaint.carer_id)
    )


def complaint_row(session: Session, complaint_id: int) -> ComplaintRow | None:
    """One complaint as a list shows it (its screen acts on this, with its version)."""
    row = session.execute(_complaint_select().where(Complaint.id == complaint_id)).first()
    return ComplaintRow(*row) if row else None


def complaint_texts(session: Session, complaint_id: int) -> tuple[str, str, str, str]:
    """(what it is about, the outcome wanted, the complainant's relation, the learning)."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        return ("", "", "", "")
    return (
        complaint.summary,
        complaint.outcome_wanted,
        complaint.complainant_relation,
        complaint.learning,
    )


@dataclass(frozen=True)
class ComplaintTiming:
    """What the time limit of SI 2009/309 reg 12(1) runs from, for the record's screen:
    when it happened and when the complainant knew of it (the later of the two), and the
    warning when it came more than 12 months after both ("" when not: reg 12(2) lets the
    agency consider it still, so it is said, never refused)."""

    event_date: date | None
    known_on: date | None
    late: str


def complaint_timing(session: Session, complaint_id: int) -> ComplaintTiming | None:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        return None
    return ComplaintTiming(complaint.event_date, complaint.known_on, late_note(complaint))


def complaint_list(
    session: Session, view: str, today: date, *, limit: int | None = None
) -> list[ComplaintRow]:
    """The complaints of one view (``VIEWS``)."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if view not in VIEWS:
        raise GovernanceError(f"Unknown view: choose {', '.join(VIEWS)}")
    stmt = _complaint_select()
    if view == "open":
        stmt = stmt.where(Complaint.status == OPEN).order_by(
            Complaint.received_on.desc(), Complaint.id.desc()
        )
    elif view == "acknowledge":
        stmt = stmt.where(Complaint.status == OPEN, Complaint.acknowledged_on.is_(None)).order_by(
            Complaint.acknowledge_due, Complaint.id
        )
    elif view == "overdue":
        stmt = stmt.where(
            Complaint.status == OPEN,
            or_(
                Complaint.acknowledged_on.is_(None) & (Complaint.acknowledge_due < today),
                Complaint.response_sent_on.is_(None) & (Complaint.response_due < today),
            ),
        ).order_by(Complaint.received_on, Complaint.id)
    else:
        stmt = stmt.where(Complaint.status != OPEN).order_by(
            Complaint.closed_on.desc(), Complaint.received_on.desc(), Complaint.id.desc()
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ComplaintRow(*row) for row in session.execute(stmt).all()]


def to_acknowledge_criteria() -> tuple[Any, ...]:
    """Open complaints not acknowledged yet."""
    return (Complaint.status == OPEN, Complaint.acknowledged_on.is_(None))


def overdue_criteria(today: Any) -> tuple[Any, ...]:
    """Open complaints past a due date (``today``: a date or a bound parameter)."""
    return (
        Complaint.status == OPEN,
        or_(
            Complaint.acknowledged_on.is_(None) & (Complaint.acknowledge_due < today),
            Complaint.response_sent_on.is_(None) & (Complaint.response_due < today),
        ),
    )


def complaint_counts(session: Session, today: date) -> tuple[int, int]:
    """(open complaints not acknowledged yet, open complaints past a due date)."""
    count = select(func.count(Complaint.id))
    to_acknowledge = session.scalar(count.where(*to_acknowledge_criteria()))
    overdue = session.scalar(count.where(*overdue_criteria(today)))
    return int(to_acknowledge or 0), int(overdue or 0)


@dataclass(frozen=True)
class StepLine:
    kind: str
    on: date
    note: str
    by: str
    new_due: date | None
    told_on: date | None


def timeline(session: Session, complaint_id: int) -> list[StepLine]:
    """The complaint's steps, oldest first."""
    return [
        StepLine(s.kind, s.step_on, s.note, s.by, s.new_due, s.told_on)
        for s in session.scalars(
            select(ComplaintStep)
            .where(ComplaintStep.complaint_id == complaint_id)
            .order_by(ComplaintStep.step_on, ComplaintStep.id)
        )
    ]


def step_label(kind: str) -> str:
    return COMPLAINT_STEPS.get(kind, kind)


def complaint_json(row: ComplaintRow, today: date) -> dict[str, object]:
    """One complaint for ``governance complaints --json`` (no free text)."""
    return {
        "id": row.id,
        "received_on": row.received_on.isoformat(),
        "complainant": row.complainant,
        "customer": row.customer,
        "carer": row.carer,
        "channel": row.channel,
        "status": row.status,
        "stage": row.stage(),
        "acknowledge_due": row.acknowledge_due.isoformat() if row.acknowledge_due else None,
        "acknowledged_on": row.acknowledged_on.isoformat() if row.acknowledged_on else None,
        "response_due": row.response_due.isoformat() if row.response_due else None,
        "response_sent_on": row.response_sent_on.isoformat() if row.response_sent_on else None,
        "outcome": row.outcome or None,
        "overdue": row.is_overdue(today),
    }


# -- compliments ------------------------------------------------------------------------


def log_compliment(
    session: Session,
    *,
    received_on: date | None,
    from_whom: str,
    summary: str,
    customer_id: int | None = None,
    carer_id: int | None = None,
    by: str,
    today: date,
) -> Compliment:
    """A compliment: the evidence counts them beside complaints."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if received_on is None:
        raise GovernanceError("Give the date it was received")
    if received_on > today:
        raise GovernanceError("A compliment cannot be received in the future")
    if not from_whom.strip():
        raise GovernanceError("Say who it is from")
    if not summary.strip():
        raise GovernanceError("Say what it says")
    compliment = Compliment(
        received_on=received_on,
        from_whom=from_whom.strip()[:120],
        summary=summary.strip(),
        customer_id=customer_id,
        carer_id=carer_id,
        logged_by=by[:60],
    )
    session.add(compliment)
    session.flush()
    return compliment


@dataclass(frozen=True)
class ComplimentRow:
    id: int
    received_on: date
    from_whom: str
    customer: str
    carer: str
    summary: str


def compliment_list(session: Session, *, limit: int | None = None) -> list[ComplimentRow]:
    access.require(session, access.GOVERNANCE)  # issue 17
    stmt = (
        select(
            Compliment.id,
            Compliment.received_on,
            Compliment.from_whom,
            func.coalesce(Customer.name, ""),
            func.coalesce(Carer.name, ""),
            Compliment.summary,
        )
        .outerjoin(Customer, Customer.id == Compliment.customer_id)
        .outerjoin(Carer, Carer.id == Compliment.carer_id)
        .order_by(Compliment.received_on.desc(), Compliment.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ComplimentRow(*row) for row in session.execute(stmt).all()]
