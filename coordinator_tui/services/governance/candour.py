"""The Duty of Candour record of a notifiable safety incident (SI 2014/2936 reg 20).

A triage deciding that an incident is notifiable opens the record, with its clock: the
notification in person is due as soon as reasonably practicable, and at the latest by the
agency's own limit (default 10 working days, ``governance_settings``). Each element of
reg 20(2)-(4) is recorded on its own (who, to whom, when, what was said); the record
cannot be marked complete while one is missing, and the refusal names each. When the
relevant person cannot be contacted or declines to speak, the attempts and that decision
are the record instead (reg 20(5)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.models.governance import CandourRecord, Incident
from coordinator_tui.services.governance import GovernanceError, check_version
from coordinator_tui.services.governance.agency import agency_settings
from coordinator_tui.services.governance.clocks import candour_due

OPEN, COMPLETE, NOT_REQUIRED = "open", "complete", "not_required"
WRITTEN_METHODS: dict[str, str] = {
    "post": "By post",
    "hand": "By hand",
    "email": "By e-mail",
}
UNABLE: dict[str, str] = {
    "not_contactable": "Could not be contacted in person",
    "declined": "Declined to speak to us",
}


@dataclass(frozen=True)
class ElementField:
    """One thing recorded for an element: ``kind`` text, lines, date or select."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True


@dataclass(frozen=True)
class Element:
    """One element of the duty, the fields that record it, and where it comes from."""

    code: str
    label: str
    source: str
    fields: tuple[ElementField, ...]

    def done(self, record: CandourRecord) -> bool:
        return all(getattr(record, f.name) not in (None, "") for f in self.fields if f.required)


ELEMENTS: tuple[Element, ...] = (
    Element(
        "in_person",
        "Notified in person",
        "reg 20(2)(a), 20(3)(a)",
        (
            ElementField("relevant_person", "To whom (the person or who acts for them)"),
            ElementField("relation", "Their relation to the person", required=False),
            ElementField("notified_on", "When", "date"),
            ElementField("notified_by", "By whom (our representative)"),
        ),
    ),
    Element(
        "support",
        "Support offered",
        "reg 20(2)(b)",
        (ElementField("support_offered", "The support offered", "lines"),),
    ),
    Element(
        "account",
        "A true account of the facts known",
        "reg 20(3)(b)",
        (ElementField("account", "The facts known as at the notification", "lines"),),
    ),
    Element(
        "enquiries",
        "Advice on further enquiries",
        "reg 20(3)(c)",
        (ElementField("enquiries", "The further enquiries we believe appropriate", "lines"),),
    ),
    Element(
        "apology",
        "An apology (an expression of sorrow or regret)",
        "reg 20(3)(d), 20(7)",
        (
            ElementField("apology_on", "Given on", "date"),
            ElementField("apology_by", "By whom"),
        ),
    ),
    Element(
        "record",
        "The written record kept securely",
        "reg 20(3)(e)",
        (
            ElementField("record_kept_on", "Written up on", "date"),
            ElementField("record_location", "Where it is kept"),
        ),
    ),
    Element(
        "written",
        "The written notification sent",
        "reg 20(4)",
        (
            ElementField("written_sent_on", "Sent on", "date"),
            ElementField("written_method", "How", "select"),
        ),
    ),
    Element(
        "results",
        "The results of enquiries shared",
        "reg 20(4)(c)",
        (
            ElementField("results_shared_on", "Shared on", "date"),
            ElementField("results", "What the enquiries found", "lines"),
        ),
    ),
)
UNABLE_ELEMENT = Element(
    "unable",
    "Could not be contacted, or declined: the attempts recorded",
    "reg 20(5)",
    (
        ElementField("unable", "What happened", "select"),
        ElementField("contact_attempts", "Each attempt: when, how, by whom", "lines"),
    ),
)
MAX_LENGTHS = {
    "relevant_person": 120,
    "relation": 60,
    "notified_by": 120,
    "apology_by": 120,
    "record_location": 200,
    "written_method": 40,
    "unable": 20,
}
"""The one-line fields' column lengths (``models.governance.CandourRecord``)."""
ELEMENT_BY_CODE = {e.code: e for e in (*ELEMENTS, UNABLE_ELEMENT)}
OPTIONS: dict[str, dict[str, str]] = {"written_method": WRITTEN_METHODS, "unable": UNABLE}


class CandourIncomplete(GovernanceError):
    """The record cannot be marked complete: ``missing`` names each element."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Cannot mark complete: still missing " + "; ".join(missing))


def missing_elements(record: CandourRecord) -> list[str]:
    """The elements not recorded yet, in the order of the regulation (none when the
    reg 20(5) record of attempts stands instead)."""
    if UNABLE_ELEMENT.done(record):
        return []
    return [element.label for element in ELEMENTS if not element.done(record)]


def open_candour(session: Session, incident: Incident, today: date) -> CandourRecord:
    """The incident's candour record, opened now with its clock if it has none."""
    record = session.scalars(
        select(CandourRecord).where(CandourRecord.incident_id == incident.id)
    ).first()
    limit = agency_settings(session).candour_limit_days
    if record is None:
        record = CandourRecord(
            incident_id=incident.id,
            opened_on=today,
            due_on=candour_due(today, limit),
            status=OPEN,
        )
        session.add(record)
        session.flush()
    elif record.status == NOT_REQUIRED:
        record.status = OPEN
        record.opened_on = today
        record.due_on = candour_due(today, limit)
    return record


def candour_for_notifiable(session: Session, incident_id: int, today: date) -> CandourRecord:
    """The record of an incident found notifiable; one found notifiable before the record
    existed (an older database) has its record opened now, its clock from today."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise GovernanceError("That incident no longer exists")
    if not incident.notifiable:
        raise GovernanceError("Triage has not found this incident notifiable (t)")
    return open_candour(session, incident, today)


def _recorded(record: CandourRecord) -> list[str]:
    return [
        e.label
        for e in (*ELEMENTS, UNABLE_ELEMENT)
        if any(getattr(record, f.name) not in (None, "") for f in e.fields)
    ]


def withdraw_candour(session: Session, incident: Incident) -> None:
    """Triage now says not notifiable: an untouched record is marked not required; one
    with elements recorded stays (its evidence is not thrown away)."""
    record = session.scalars(
        select(CandourRecord).where(CandourRecord.incident_id == incident.id)
    ).first()
    if record is None or record.status == NOT_REQUIRED:
        return
    if _recorded(record):
        raise GovernanceError(
            "The Duty of Candour record already holds steps taken: it stays open, so the "
            "incident stays notifiable"
        )
    record.status = NOT_REQUIRED


def _load(session: Session, record_id: int, expected_version: int | None) -> CandourRecord:
    record = session.get(CandourRecord, record_id)
    check_version(session, record, "candour_record", expected_version)
    assert record is not None
    return record


def record_for_incident(session: Session, incident_id: int) -> CandourRecord | None:
    return session.scalars(
        select(CandourRecord).where(CandourRecord.incident_id == incident_id)
    ).first()


def record_element(
    session: Session,
    record_id: int,
    expected_version: int | None,
    element: str,
    values: dict[str, Any],
    *,
    today: date,
) -> CandourRecord:
    """Record one element (``ELEMENTS``' code, or ``unable``) from ``values``: each
    required field given, dates neither in the future nor before the incident, the
    written notification after the one in person (reg 20(4): "followed by")."""
    spec = ELEMENT_BY_CODE.get(element)
    if spec is None:
        raise GovernanceError(f"Unknown element of the duty: {element}")
    record = _load(session, record_id, expected_version)
    if record.status == COMPLETE:
        raise GovernanceError("This candour record is complete")
    incident = session.get(Incident, record.incident_id)
    happened = to_local(incident.occurred_at).date() if incident else None
    cleaned: dict[str, Any] = {}
    for f in spec.fields:
        value = values.get(f.name)
        if isinstance(value, str):
            value = value.strip()
        if f.required and value in (None, ""):
            raise GovernanceError(f"{spec.label}: {f.label.lower()} is required")
        if f.kind == "date" and value is not None:
            if not isinstance(value, date):
                raise GovernanceError(f"{f.label}: give a date")
            if value > today:
                raise GovernanceError(f"{f.label}: the date is in the future")
            if happened is not None and value < happened:
                raise GovernanceError(f"{f.label}: the date is before the incident happened")
        if f.kind == "select" and value not in OPTIONS[f.name]:
            raise GovernanceError(f"{spec.label}: pick {f.label.lower()}")
        cleaned[f.name] = value if value is not None else ("" if f.kind != "date" else None)
    if element == "written":
        if record.notified_on is None:
            raise GovernanceError(
                "Record the notification in person first: the written one follows it"
            )
        if cleaned["written_sent_on"] < record.notified_on:
            raise GovernanceError("The written notification cannot come before the one in person")
    for name, value in cleaned.items():
        if isinstance(value, str) and name in MAX_LENGTHS:
            value = value[: MAX_LENGTHS[name]]
        setattr(record, name, value)
    session.flush()
    return record


def complete_candour(
    session: Session,
    record_id: int,
    expected_version: int | None,
    *,
    by: str,
    today: date,
) -> CandourRecord:
    """Mark the record complete; refused, naming each element still missing."""
    record = _load(session, record_id, expected_version)
    if record.status == COMPLETE:
        raise GovernanceError("This candour record is complete already")
    if record.status == NOT_REQUIRED:
        raise GovernanceError("Triage found this incident not notifiable")
    missing = missing_elements(record)
    if missing:
        raise CandourIncomplete(missing)
    record.status = COMPLETE
    record.completed_on = today
    record.completed_by = by[:60]
    session.flush()
    return record


def reopen_candour(session: Session, record_id: int, expected_version: int | None) -> CandourRecord:
    """Open a completed record again (say the results of enquiries came later)."""
    record = _load(session, record_id, expected_version)
    if record.status != COMPLETE:
        raise GovernanceError("This candour record is not complete")
    record.status = OPEN
    record.completed_on = None
    record.completed_by = ""
    session.flush()
    return record


def is_overdue(record: CandourRecord, today: date) -> bool:
    """Past the agency's limit with neither the notification in person nor the
    reg 20(5) record of attempts made."""
    return (
        record.status == OPEN
        and record.due_on < today
        and record.notified_on is None
        and not UNABLE_ELEMENT.done(record)
    )


def overdue_candour_criteria(today: Any) -> tuple[Any, ...]:
    """Open records past their limit with the person not yet notified (``today``: a date
    or a bound parameter, so ``governance_counts`` builds its statement once)."""
    return (
        CandourRecord.status == OPEN,
        CandourRecord.due_on < today,
        CandourRecord.notified_on.is_(None),
        (CandourRecord.unable == "") | (CandourRecord.contact_attempts == ""),
    )


def overdue_candour_count(session: Session, today: date) -> int:
    """Open records past their limit with the person not yet notified (Home's count)."""
    stmt = select(func.count(CandourRecord.id)).where(*overdue_candour_criteria(today))
    return int(session.scalar(stmt) or 0)


def element_values(record: CandourRecord, element: str) -> dict[str, Any]:
    """What is recorded now for ``element`` (to fill its form)."""
    return {f.name: getattr(record, f.name) for f in ELEMENT_BY_CODE[element].fields}
