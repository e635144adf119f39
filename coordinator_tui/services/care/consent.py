"""Capacity and consent (issue 18 §3): structured notes under the Mental Capacity Act 2005.

A note is about one decision at one time (s2(1): capacity is decision- and time-specific).
It records the presumption of capacity (s1(2)), the support given to decide (s1(3)), the
functional test (s3(1): understand, retain, use or weigh, communicate; unable to do any
one of them is unable to decide) with each element's finding, and the outcome. Where the
person lacks capacity the note must also hold the impairment of the mind or brain (s2(1)),
the best-interests checklist (s4: who was consulted, the person's wishes and feelings, the
least restrictive option, s1(6)) and whether there is a lasting power of attorney or a
deputy; a note without them is refused, naming each one missing, and nothing is written.

Consent to care and to information sharing is recorded per customer (yes, no, or decided
in their best interests with the capacity note it rests on) and shown with their notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import CarePackage, Customer
from coordinator_tui.models.care_changes import CapacityAssessment, CareConsent
from coordinator_tui.services.care import CareError, check_version, clean

ELEMENTS: dict[str, str] = {
    "understand": "understand the information",
    "retain": "retain it",
    "use_weigh": "use or weigh it",
    "communicate": "communicate the decision",
}
FINDINGS: dict[str, str] = {"can": "can", "cannot": "cannot"}
OUTCOMES: dict[str, str] = {
    "has_capacity": "has capacity for this decision",
    "lacks_capacity": "lacks capacity for this decision",
}
ATTORNEYS: dict[str, str] = {
    "none": "none known",
    "lpa_health": "LPA for health and welfare",
    "lpa_property": "LPA for property and financial affairs",
    "deputy": "Court of Protection deputy",
}
CONSENT_KINDS: dict[str, str] = {"care": "care", "sharing": "information sharing"}
CONSENT_ANSWERS: dict[str, str] = {
    "yes": "given",
    "no": "refused",
    "best_interests": "best interests (lacks capacity)",
}


class CapacityNoteIncomplete(CareError):
    """A note refused; ``missing`` names each element it still needs."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Not saved: the note still needs " + "; ".join(missing))


@dataclass
class CapacityNote:
    """What the form collects (every text trimmed by the service)."""

    customer_id: int | None
    decision: str
    assessed_on: date | None
    assessed_by: str
    presumption: str = ""
    support_given: str = ""
    findings: dict[str, str] = field(default_factory=dict)  # element -> can | cannot
    notes: dict[str, str] = field(default_factory=dict)  # element -> what showed it
    outcome: str = ""
    impairment: str = ""
    consulted: str = ""
    wishes: str = ""
    least_restrictive: str = ""
    attorney: str = ""
    attorney_detail: str = ""
    best_interests_decision: str = ""


def missing_elements(note: CapacityNote, today: date) -> list[str]:
    """Everything the note still needs, in the order the form asks for it (empty: it can
    be saved)."""
    missing: list[str] = []
    if note.customer_id is None:
        missing.append("the customer")
    if not note.decision.strip():
        missing.append("the decision in question")
    if note.assessed_on is None:
        missing.append("the date assessed")
    elif note.assessed_on > today:
        missing.append("a date assessed that is not in the future")
    if not note.assessed_by.strip():
        missing.append("who assessed")
    if not note.presumption.strip():
        missing.append("the presumption of capacity (s1(2))")
    if not note.support_given.strip():
        missing.append("the support given to decide (s1(3))")
    for key, words in ELEMENTS.items():
        if note.findings.get(key) not in FINDINGS:
            missing.append(f"the finding: can they {words} (s3(1))")
    if note.outcome not in OUTCOMES:
        missing.append("the outcome")
        return missing
    unable = [k for k in ELEMENTS if note.findings.get(k) == "cannot"]
    if note.outcome == "has_capacity" and unable:
        missing.append(
            "an outcome that agrees with the test: unable to "
            + ", ".join(ELEMENTS[k] for k in unable)
            + " is unable to decide (s3(1))"
        )
    if note.outcome == "lacks_capacity":
        if all(note.findings.get(k) == "can" for k in ELEMENTS):
            missing.append("which element of the functional test they cannot do (s3(1))")
        for value, words in (
            (note.impairment, "the impairment of, or disturbance in, the mind or brain (s2(1))"),
            (note.consulted, "who was consulted (best interests, s4(7))"),
            (note.wishes, "the person's wishes and feelings (s4(6))"),
            (note.least_restrictive, "the least restrictive option (s1(6))"),
        ):
            if not value.strip():
                missing.append(words)
        if note.attorney not in ATTORNEYS:
            missing.append("whether there is a lasting power of attorney or deputy")
        elif note.attorney != "none" and not note.attorney_detail.strip():
            missing.append("who the attorney or deputy is")
    return missing


def save_capacity_note(
    session: Session, note: CapacityNote, *, by: str, today: date
) -> CapacityAssessment:
    """Save a capacity note; refused, naming every element missing, when incomplete."""
    missing = missing_elements(note, today)
    if missing:
        raise CapacityNoteIncomplete(missing)
    if session.get(Customer, note.customer_id) is None:
        raise CareError("That customer no longer exists")
    lacks = note.outcome == "lacks_capacity"
    row = CapacityAssessment(
        customer_id=note.customer_id,  # type: ignore[arg-type]
        decision=clean(note.decision, 300, what="the decision"),
        assessed_on=note.assessed_on,  # type: ignore[arg-type]
        assessed_by=clean(note.assessed_by, 120, what="who assessed"),
        presumption=clean(note.presumption),
        support_given=clean(note.support_given),
        outcome=note.outcome,
        impairment=clean(note.impairment) if lacks else "",
        consulted=clean(note.consulted) if lacks else "",
        wishes=clean(note.wishes) if lacks else "",
        least_restrictive=clean(note.least_restrictive) if lacks else "",
        attorney=note.attorney if lacks else "",
        attorney_detail=clean(note.attorney_detail, 200, what="the attorney") if lacks else "",
        best_interests_decision=clean(note.best_interests_decision) if lacks else "",
        recorded_by=by[:60],
    )
    for key in ELEMENTS:
        setattr(row, key, note.findings[key])
        setattr(row, f"{key}_note", clean(note.notes.get(key, "")))
    session.add(row)
    session.flush()
    return row


def record_consent(
    session: Session,
    customer_id: int,
    kind: str,
    expected_version: int | None,
    *,
    given: str,
    note: str = "",
    by: str,
    today: date,
) -> CareConsent:
    """Record consent to ``kind`` (care, sharing): yes, no, or best interests, which needs
    a capacity note for the customer finding they lack capacity. Refused if a colleague
    recorded it since the screen read it."""
    if session.get(Customer, customer_id) is None:
        raise CareError("That customer no longer exists")
    if kind not in CONSENT_KINDS:
        raise CareError("Say what the consent is to: care or information sharing")
    if given not in CONSENT_ANSWERS:
        raise CareError("Say whether consent was given, refused, or decided in best interests")
    assessment_id = None
    if given == "best_interests":
        latest = session.scalars(
            select(CapacityAssessment)
            .where(
                CapacityAssessment.customer_id == customer_id,
                CapacityAssessment.outcome == "lacks_capacity",
            )
            .order_by(CapacityAssessment.assessed_on.desc(), CapacityAssessment.id.desc())
            .limit(1)
        ).first()
        if latest is None:
            raise CareError(
                "A best-interests decision rests on a capacity note finding they lack "
                "capacity: record that first (n)"
            )
        assessment_id = latest.id
    row = session.scalars(
        select(CareConsent).where(CareConsent.customer_id == customer_id, CareConsent.kind == kind)
    ).first()
    if row is None:
        if expected_version is not None:
            raise CareError("That consent record was removed since you read it; press F5")
        row = CareConsent(customer_id=customer_id, kind=kind)
        session.add(row)
    else:
        check_version(session, row, "care_consent", expected_version)
    row.given = given
    row.recorded_on = today
    row.note = clean(note, 300, what="the note")
    row.assessment_id = assessment_id
    row.by = by[:60]
    session.flush()
    return row


@dataclass
class CustomerConsent:
    """A customer as the capacity and consent list shows them."""

    customer_id: int
    customer: str
    care: str = ""
    care_version: int | None = None
    sharing: str = ""
    sharing_version: int | None = None
    notes: list[CapacityAssessment] = field(default_factory=list)

    @property
    def latest(self) -> CapacityAssessment | None:
        return self.notes[0] if self.notes else None


def consent_overview(session: Session) -> list[CustomerConsent]:
    """Every active customer with a package, with their consent and capacity notes
    (latest first); those with no consent recorded first, then by name."""
    customers = {
        cid: CustomerConsent(cid, name)
        for cid, name in session.execute(
            select(Customer.id, Customer.name)
            .join(CarePackage, CarePackage.customer_id == Customer.id)
            .where(Customer.active.is_(True), CarePackage.status == "active")
            .distinct()
        )
    }
    for row in session.scalars(select(CareConsent)):
        found = customers.get(row.customer_id)
        if found is not None:
            setattr(found, row.kind, row.given)
            setattr(found, f"{row.kind}_version", row.version)
    for note in session.scalars(
        select(CapacityAssessment).order_by(
            CapacityAssessment.assessed_on.desc(), CapacityAssessment.id.desc()
        )
    ):
        found = customers.get(note.customer_id)
        if found is not None:
            found.notes.append(note)
    return sorted(customers.values(), key=lambda c: (bool(c.care and c.sharing), c.customer))


def consent_words(value: str) -> str:
    return CONSENT_ANSWERS.get(value, "not recorded")
