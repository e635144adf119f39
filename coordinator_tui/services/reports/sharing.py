"""Information sharing: each disclosure of a person's information, and each request to us,
with its lawful basis and the consent decision (issue 15 section 2).

A disclosure records to whom (organisation, role, person), what (the categories shared,
never a copy), why, how it was sent, the lawful basis (a UK GDPR article 6 basis and an
article 9 condition: a GP record's information is health data, special category; with
the Data Protection Act 2018 condition that article 9(2)(g) needs) and consent: sought
and given, not sought with the reason (it would place someone at risk, prejudice the
prevention or detection of a crime), or overridden with the reason and who decided.
Anything less is refused with one line saying what is missing. A request records who
asked, what for, the decision (shared, refused or pending) with its reason and who took
it; a request answered by sharing is a disclosure and needs the same basis.

Two confidentiality flags keep a record out of online record access (MARAC, third-party
information: set by itself when third-party information was shared or the person is on a
register hidden from online access) and away from anyone outside the safeguarding team;
both are carried into the chronology's text (and so its exports) and the report's CSV.

The report (:func:`sharing_rows`, :func:`sharing_summary`) lists sharing per period and
per recipient, and the decisions taken without consent, for the Caldicott guardian.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import names_label, uk_date
from coordinator_tui.models import (
    EntryStatus,
    Meeting,
    Person,
    Referral,
    RegisterCategory,
    RegisterEntry,
    SharingRecord,
)
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.reports import ReportsConflictError, ReportsError

# UK GDPR article 6(1): the lawful bases, as a coordinator chooses between them.
ARTICLE6: dict[str, str] = {
    "6(1)(a)": "consent",
    "6(1)(c)": "legal obligation (e.g. Children Act 2004 s11, Care Act 2014 s42 and s45)",
    "6(1)(d)": "vital interests (someone's life is at risk)",
    "6(1)(e)": "public task (the practice's NHS functions, a statutory enquiry)",
    "6(1)(f)": "legitimate interests (not for a public authority's own tasks)",
}
# UK GDPR article 9(2): the conditions for special category (health) data.
ARTICLE9: dict[str, str] = {
    "9(2)(a)": "explicit consent",
    "9(2)(b)": "social protection law (DPA 2018 Sch 1 para 1)",
    "9(2)(c)": "vital interests, the person unable to consent",
    "9(2)(f)": "legal claims or courts",
    "9(2)(g)": "substantial public interest (with a DPA 2018 condition)",
    "9(2)(h)": "health or social care (DPA 2018 Sch 1 para 2)",
}
# Data Protection Act 2018 conditions. The safeguarding condition is Sch 1 para 18 for
# processing under the UK GDPR (a practice sharing with social care); Sch 8 para 4 is the
# same condition for law-enforcement processing (DPA 2018 Part 3, a competent authority).
DPA_CONDITIONS: dict[str, str] = {
    "sch1-18": "safeguarding of children and of individuals at risk (Sch 1 para 18)",
    "sch1-10": "preventing or detecting unlawful acts (Sch 1 para 10)",
    "sch1-2": "health or social care purposes (Sch 1 para 2)",
    "sch8-4": "safeguarding, law-enforcement processing (Sch 8 para 4, Part 3)",
}
DPA_SHORT = {
    "sch1-18": "Sch 1 para 18",
    "sch1-10": "Sch 1 para 10",
    "sch1-2": "Sch 1 para 2",
    "sch8-4": "Sch 8 para 4",
}
NEEDS_DPA_CONDITION = {"9(2)(g)": ("sch1-18", "sch1-10", "sch8-4")}
SOURCES = {
    "article6": "UK GDPR article 6(1)",
    "article9": "UK GDPR article 9(2)",
    "dpa": "Data Protection Act 2018 s10, Sch 1 Parts 1-2, Sch 8",
    "guidance": "Information sharing: advice for practitioners (DfE 2024); Caldicott "
    "principle 7: the duty to share can be as important as the duty to protect",
}
CONSENT = {
    "given": "consent sought and given",
    "not_sought": "consent not sought",
    "overridden": "consent overridden",
}
WITHOUT_CONSENT = ("not_sought", "overridden")
METHODS = {
    "secure_email": "secure e-mail",
    "phone": "phone",
    "meeting": "at a meeting",
    "letter": "letter",
    "portal": "secure portal",
    "in_person": "in person",
}
CATEGORIES = {
    "demographics": "name, address, date of birth",
    "contacts": "family and contacts",
    "health": "health (diagnoses, medication, attendance)",
    "safeguarding": "safeguarding record (registers, concerns, referrals)",
    "risk": "risk assessment",
    "third_party": "information about someone else (third party)",
    "other": "other",
}
DECISIONS = {"shared": "shared", "refused": "refused", "pending": "pending"}
DIRECTIONS = ("disclosure", "request")


def categories_text(text: str) -> str:
    """``"health, safeg"`` -> ``"health, safeguarding"``: each word a category (or the
    start of one); refuses a word that is none."""
    words = [word.strip().lower().replace(" ", "_") for word in text.replace(";", ",").split(",")]
    chosen: list[str] = []
    for word in filter(None, words):
        matches = [code for code in CATEGORIES if code == word or code.startswith(word)]
        if len(matches) != 1:
            raise ReportsError(
                f"'{word}' is not one of the categories shared: {', '.join(CATEGORIES)}"
            )
        if matches[0] not in chosen:
            chosen.append(matches[0])
    if not chosen:
        raise ReportsError(f"Say what was shared: {', '.join(CATEGORIES)}")
    return ", ".join(chosen)


@dataclass(frozen=True)
class Basis:
    """The lawful basis and consent decision of a disclosure."""

    article6: str = ""
    article9: str = ""
    dpa_condition: str = ""
    consent: str = ""
    consent_reason: str = ""
    decided_by: str = ""


def check_basis(basis: Basis) -> None:
    """Refuse a disclosure without a lawful basis, or with a consent decision that does
    not stand: one line saying what is missing."""
    if not basis.article6:
        raise ReportsError(
            "Refused: no lawful basis. Give the UK GDPR article 6 basis (e.g. 6(1)(e) "
            "public task, 6(1)(c) legal obligation)"
        )
    if basis.article6 not in ARTICLE6:
        raise ReportsError(f"Article 6 basis must be one of {', '.join(ARTICLE6)}")
    if not basis.article9:
        raise ReportsError(
            "Refused: health information is special category data. Give the article 9 "
            "condition (e.g. 9(2)(g) with DPA 2018 Sch 1 para 18 for safeguarding)"
        )
    if basis.article9 not in ARTICLE9:
        raise ReportsError(f"Article 9 condition must be one of {', '.join(ARTICLE9)}")
    if basis.dpa_condition and basis.dpa_condition not in DPA_CONDITIONS:
        raise ReportsError(f"DPA 2018 condition must be one of {', '.join(DPA_CONDITIONS)}")
    allowed = NEEDS_DPA_CONDITION.get(basis.article9)
    if allowed and basis.dpa_condition not in allowed:
        raise ReportsError(
            f"Refused: article {basis.article9} needs its DPA 2018 condition (for "
            "safeguarding, Sch 1 para 18)"
        )
    if basis.consent not in CONSENT:
        raise ReportsError(
            "Say whether consent was given, not sought (and why) or overridden (why, and "
            "who decided)"
        )
    consent_based = basis.article6 == "6(1)(a)" or basis.article9 == "9(2)(a)"
    if consent_based and basis.consent != "given":
        raise ReportsError(
            "Refused: the basis chosen is consent, but consent was not given: choose "
            "another basis or record the consent"
        )
    if basis.consent == "not_sought" and not basis.consent_reason.strip():
        raise ReportsError(
            "Refused: say why consent was not sought (it would place someone at risk, "
            "prejudice the prevention or detection of a crime, cause undue delay)"
        )
    if basis.consent == "overridden":
        if not basis.consent_reason.strip():
            raise ReportsError(
                "Refused: an override of consent needs its reason (the risk that outweighs "
                "the person's wishes)"
            )
        if not basis.decided_by.strip():
            raise ReportsError("Refused: an override of consent needs who decided it")


def _hidden_by_registers(session: Session, person_id: int) -> bool:
    """Whether the person is on a register kept from online record access (MARAC...)."""
    return bool(
        session.scalar(
            select(func.count())
            .select_from(RegisterEntry)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(
                RegisterEntry.person_id == person_id,
                RegisterEntry.status == EntryStatus.ACTIVE,
                RegisterCategory.hide_from_online_access.is_(True),
            )
        )
    )


def _context(
    session: Session, person_id: int, referral_id: int | None, meeting_id: int | None
) -> str:
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.person_id != person_id:
            raise ReportsError("That referral is not this person's")
        return "referral"
    if meeting_id is not None:
        if session.get(Meeting, meeting_id) is None:
            raise ReportsError("That meeting no longer exists")
        return "meeting"
    return "person"


@dataclass(frozen=True)
class SharingPrefill:
    """What the sharing form starts with when opened from a referral or a meeting: the
    person, to whom (the referral's agency; the meeting's other agencies), how and why,
    and the link kept on the record (``context``)."""

    person_id: int
    person: str
    organisation: str = ""
    method: str = ""
    why: str = ""
    referral_id: int | None = None
    meeting_id: int | None = None


def sharing_prefill(
    session: Session,
    person_id: int,
    *,
    referral_id: int | None = None,
    meeting_id: int | None = None,
) -> SharingPrefill:
    """The form's starting values for a disclosure from a referral or a meeting about
    ``person_id`` (the coordinator checks and changes them before saving)."""
    from coordinator_tui.formatting import person_label
    from coordinator_tui.models import MeetingAttendee, Staff

    person = session.get(Person, person_id)
    if person is None:
        raise ReportsError("That person no longer exists")
    name = person_label(person)
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.person_id != person_id:
            raise ReportsError("That referral is not this person's")
        kind = str(referral.referral_type).replace("_", " ")
        return SharingPrefill(
            person_id,
            name,
            organisation=referral.agency,
            method="secure_email",
            why=f"{kind} referral".strip(),
            referral_id=referral_id,
        )
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise ReportsError("That meeting no longer exists")
        agencies = session.scalars(
            select(Staff.organisation)
            .join(MeetingAttendee, MeetingAttendee.staff_id == Staff.id)
            .where(
                MeetingAttendee.meeting_id == meeting_id,
                Staff.is_external.is_(True),
                Staff.organisation != "",
                MeetingAttendee.attendance.in_(("invited", "present")),
            )
            .order_by(Staff.organisation)
        ).all()
        organisation = ", ".join(dict.fromkeys(agencies))[:120]
        return SharingPrefill(
            person_id,
            name,
            organisation=organisation,
            method="meeting",
            why=f"discussed at {meeting.title}"[:300] if meeting.title else "",
            meeting_id=meeting_id,
        )
    return SharingPrefill(person_id, name)


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReportsError(message)
    return value


def record_disclosure(
    session: Session,
    person_id: int,
    *,
    today: date,
    by: str,
    occurred_on: date,
    organisation: str,
    what: str,
    why: str,
    method: str,
    basis: Basis,
    role: str = "",
    recipient: str = "",
    referral_id: int | None = None,
    meeting_id: int | None = None,
    hide_from_online_access: bool = False,
    safeguarding_team_only: bool = False,
) -> SharingRecord:
    """A disclosure of the person's information by us (refused without a lawful basis,
    or with a consent decision that does not stand: :func:`check_basis`)."""
    if session.get(Person, person_id) is None:
        raise ReportsError("That person no longer exists")
    organisation = _required(organisation, "Say to whom it was shared (the organisation)")
    categories = categories_text(what)
    why = _required(why, "Say why it was shared")
    if occurred_on > today:
        raise ReportsError("The date it was shared cannot be in the future")
    check_basis(basis)
    if method not in METHODS:
        raise ReportsError(f"Say how it was sent: {', '.join(METHODS.values())}")
    context = _context(session, person_id, referral_id, meeting_id)
    record = SharingRecord(
        person_id=person_id,
        direction="disclosure",
        occurred_on=occurred_on,
        context=context,
        referral_id=referral_id,
        meeting_id=meeting_id,
        organisation=organisation[:120],
        role=role.strip()[:60],
        recipient=recipient.strip()[:120],
        what=categories[:300],
        why=why,
        method=method,
        decision="shared",
        recorded_by=by[:60],
        **_basis_values(basis),
        **_flags(session, person_id, categories, hide_from_online_access, safeguarding_team_only),
    )
    session.add(record)
    session.flush()
    return record


def _basis_values(basis: Basis) -> dict[str, Any]:
    return {
        "article6": basis.article6,
        "article9": basis.article9,
        "dpa_condition": basis.dpa_condition,
        "consent": basis.consent,
        "consent_reason": basis.consent_reason.strip(),
        "decided_by": basis.decided_by.strip()[:120],
    }


def _flags(
    session: Session, person_id: int, categories: str, hide: bool, team_only: bool
) -> dict[str, bool]:
    hide = hide or "third_party" in categories or _hidden_by_registers(session, person_id)
    return {"hide_from_online_access": hide, "safeguarding_team_only": team_only}


def record_request(
    session: Session,
    person_id: int,
    *,
    today: date,
    by: str,
    occurred_on: date,
    organisation: str,
    what: str,
    decision: str,
    decision_reason: str = "",
    decided_by: str = "",
    role: str = "",
    recipient: str = "",
    method: str = "",
    why: str = "",
    basis: Basis | None = None,
    referral_id: int | None = None,
    meeting_id: int | None = None,
    hide_from_online_access: bool = False,
    safeguarding_team_only: bool = False,
) -> SharingRecord:
    """A request to us for the person's information: who asked, what for, and the
    decision (``pending`` until taken; ``refused`` with the reason; ``shared`` with the
    lawful basis of a disclosure). ``recipient`` is the person who asked."""
    if session.get(Person, person_id) is None:
        raise ReportsError("That person no longer exists")
    organisation = _required(organisation, "Say who asked (the organisation)")
    categories = categories_text(what)
    if occurred_on > today:
        raise ReportsError("The date of the request cannot be in the future")
    record = SharingRecord(
        person_id=person_id,
        direction="request",
        occurred_on=occurred_on,
        context=_context(session, person_id, referral_id, meeting_id),
        referral_id=referral_id,
        meeting_id=meeting_id,
        organisation=organisation[:120],
        role=role.strip()[:60],
        recipient=recipient.strip()[:120],
        what=categories[:300],
        why=why.strip(),
        recorded_by=by[:60],
        **_flags(session, person_id, categories, hide_from_online_access, safeguarding_team_only),
    )
    _decide(record, decision, decision_reason, decided_by, method, basis)
    session.add(record)
    session.flush()
    return record


def _decide(
    record: SharingRecord,
    decision: str,
    reason: str,
    decided_by: str,
    method: str,
    basis: Basis | None,
) -> None:
    if decision not in DECISIONS:
        raise ReportsError("The decision is shared, refused or pending")
    record.decision = decision
    record.decision_reason = reason.strip()
    if decision == "pending":
        return
    record.decided_by = _required(decided_by, "Say who decided")[:120]
    if decision == "refused":
        _required(reason, "Refused: say why the request was refused")
        return
    if method not in METHODS:
        raise ReportsError(f"Say how it was sent: {', '.join(METHODS.values())}")
    basis = basis or Basis()
    basis = Basis(
        basis.article6,
        basis.article9,
        basis.dpa_condition,
        basis.consent,
        basis.consent_reason,
        basis.decided_by or decided_by,
    )
    check_basis(basis)
    record.method = method
    for name, value in _basis_values(basis).items():
        setattr(record, name, value)


def decide_request(
    session: Session,
    record_id: int,
    expected_version: int,
    *,
    decision: str,
    decided_by: str = "",
    reason: str = "",
    method: str = "",
    basis: Basis | None = None,
) -> SharingRecord:
    """The decision on a pending request, refused if the request changed since the screen
    read it (who changed it, when)."""
    record = session.get(SharingRecord, record_id)
    check_version(
        session,
        record,
        "sharing_record",
        expected_version,
        missing=ReportsError,
        conflict=ReportsConflictError,
        gone="That sharing record no longer exists. Press F5 to reload.",
    )
    assert record is not None
    if record.direction != "request" or record.decision != "pending":
        raise ReportsError("Only a pending request can be decided")
    _decide(record, decision, reason, decided_by, method, basis)
    session.flush()
    return record


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharingRow:
    """One disclosure or request as the report and the CLI list it."""

    id: int
    version: int
    person_id: int
    nhs_number: str
    person: str
    direction: str
    occurred_on: date
    organisation: str
    role: str
    recipient: str
    what: str
    why: str
    method: str
    article6: str
    article9: str
    dpa_condition: str
    consent: str
    consent_reason: str
    decided_by: str
    decision: str
    decision_reason: str
    hide_from_online_access: bool
    safeguarding_team_only: bool
    recorded_by: str

    @property
    def without_consent(self) -> bool:
        return self.decision == "shared" and self.consent in WITHOUT_CONSENT

    @property
    def flags(self) -> str:
        """The confidentiality flags in words (carried into every export)."""
        return flag_words(self.hide_from_online_access, self.safeguarding_team_only)

    @property
    def to_whom(self) -> str:
        return " · ".join(x for x in (self.organisation, self.role, self.recipient) if x)

    @property
    def basis(self) -> str:
        if not self.article6:
            return ""
        dpa = DPA_SHORT.get(self.dpa_condition, self.dpa_condition)
        dpa = f" + DPA 2018 {dpa}" if dpa else ""
        return f"{self.article6}, {self.article9}{dpa}"

    @property
    def consent_text(self) -> str:
        if self.decision != "shared":
            return ""
        text = CONSENT.get(self.consent, self.consent)
        if self.consent_reason:
            text += f": {self.consent_reason}"
        if self.consent == "overridden" and self.decided_by:
            text += f" (decided by {self.decided_by})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction,
            "on": self.occurred_on.isoformat(),
            "nhs_number": self.nhs_number,
            "person": self.person,
            "organisation": self.organisation,
            "role": self.role,
            "recipient": self.recipient,
            "what": self.what,
            "why": self.why,
            "method": self.method,
            "article6": self.article6,
            "article9": self.article9,
            "dpa_condition": self.dpa_condition,
            "consent": self.consent,
            "consent_reason": self.consent_reason,
            "decided_by": self.decided_by,
            "decision": self.decision,
            "decision_reason": self.decision_reason,
            "without_consent": self.without_consent,
            "hide_from_online_access": self.hide_from_online_access,
            "safeguarding_team_only": self.safeguarding_team_only,
        }

    def line(self) -> str:
        """One line for the CLI."""
        verb = "shared with" if self.direction == "disclosure" else "request from"
        decision = "" if self.direction == "disclosure" else f" [{self.decision}]"
        consent = f"; {self.consent_text}" if self.consent_text else ""
        flags = f" [{self.flags}]" if self.flags else ""
        return (
            f"{uk_date(self.occurred_on)}  {self.person} ({self.nhs_number})  {verb} "
            f"{self.to_whom}: {self.what}{decision}; {self.basis or 'no basis'}{consent}{flags}"
        )


def flag_words(hide: bool, team_only: bool) -> str:
    words = []
    if hide:
        words.append("not for online access")
    if team_only:
        words.append("safeguarding team only")
    return ", ".join(words)


def _rows_query():
    return select(
        SharingRecord.id,
        SharingRecord.version,
        SharingRecord.person_id,
        Person.nhs_number,
        Person.family_name,
        Person.given_name,
        SharingRecord.direction,
        SharingRecord.occurred_on,
        SharingRecord.organisation,
        SharingRecord.role,
        SharingRecord.recipient,
        SharingRecord.what,
        SharingRecord.why,
        SharingRecord.method,
        SharingRecord.article6,
        SharingRecord.article9,
        SharingRecord.dpa_condition,
        SharingRecord.consent,
        SharingRecord.consent_reason,
        SharingRecord.decided_by,
        SharingRecord.decision,
        SharingRecord.decision_reason,
        SharingRecord.hide_from_online_access,
        SharingRecord.safeguarding_team_only,
        SharingRecord.recorded_by,
    ).join(Person, Person.id == SharingRecord.person_id)


def _row(values: Iterable[Any]) -> SharingRow:
    values = list(values)
    family, given = values[4], values[5]
    return SharingRow(*values[:4], names_label(family, given), *values[6:])


def sharing_rows(
    session: Session,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    without_consent: bool = False,
    organisation: str | None = None,
    person_id: int | None = None,
) -> list[SharingRow]:
    """Disclosures and requests, oldest first, in the period (both ends included)."""
    stmt = _rows_query()
    if date_from is not None:
        stmt = stmt.where(SharingRecord.occurred_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(SharingRecord.occurred_on <= date_to)
    if without_consent:
        stmt = stmt.where(
            SharingRecord.decision == "shared", SharingRecord.consent.in_(WITHOUT_CONSENT)
        )
    if organisation:
        stmt = stmt.where(SharingRecord.organisation == organisation)
    if person_id is not None:
        stmt = stmt.where(SharingRecord.person_id == person_id)
    stmt = stmt.order_by(SharingRecord.occurred_on, SharingRecord.id)
    return [_row(values) for values in session.execute(stmt).all()]


@dataclass(frozen=True)
class RecipientCount:
    organisation: str
    disclosures: int
    requests: int
    refused: int
    without_consent: int


@dataclass(frozen=True)
class SharingSummary:
    """The Caldicott guardian's view of a period."""

    date_from: date | None
    date_to: date | None
    disclosures: int
    requests: int
    refused: int
    pending: int
    without_consent: int
    recipients: list[RecipientCount]


def sharing_summary(rows: list[SharingRow], date_from=None, date_to=None) -> SharingSummary:
    """Counts of the period and per recipient (most first)."""
    per: dict[str, list[int]] = {}
    for row in rows:
        counts = per.setdefault(row.organisation, [0, 0, 0, 0])
        if row.direction == "disclosure":
            counts[0] += 1
        else:
            counts[1] += 1
            counts[2] += row.decision == "refused"
        counts[3] += row.without_consent
    recipients = [
        RecipientCount(name, *counts)
        for name, counts in sorted(per.items(), key=lambda item: (-sum(item[1][:2]), item[0]))
    ]
    return SharingSummary(
        date_from,
        date_to,
        sum(1 for r in rows if r.direction == "disclosure"),
        sum(1 for r in rows if r.direction == "request"),
        sum(1 for r in rows if r.decision == "refused"),
        sum(1 for r in rows if r.decision == "pending"),
        sum(1 for r in rows if r.without_consent),
        recipients,
    )


def sharing_csv(rows: list[SharingRow]) -> str:
    """The report as CSV (formula-safe), the confidentiality flags in their own columns."""
    from coordinator_tui.services.exporting import csv_text

    header = [
        "date",
        "direction",
        "nhs_number",
        "person",
        "organisation",
        "role",
        "recipient",
        "what",
        "why",
        "method",
        "article6",
        "article9",
        "dpa_condition",
        "consent",
        "consent_reason",
        "decided_by",
        "decision",
        "decision_reason",
        "without_consent",
        "not_for_online_access",
        "safeguarding_team_only",
    ]
    return csv_text(
        header,
        (
            [
                r.occurred_on.isoformat(),
                r.direction,
                r.nhs_number,
                r.person,
                r.organisation,
                r.role,
                r.recipient,
                r.what,
                r.why,
                r.method,
                r.article6,
                r.article9,
                r.dpa_condition,
                r.consent,
                r.consent_reason,
                r.decided_by,
                r.decision,
                r.decision_reason,
                "yes" if r.without_consent else "no",
                "yes" if r.hide_from_online_access else "no",
                "yes" if r.safeguarding_team_only else "no",
            ]
            for r in rows
        ),
    )


def export_sharing(
    session: Session,
    folder: Path,
    rows: list[SharingRow],
    date_from: date | None,
    date_to: date | None,
) -> Path:
    """The report's rows as CSV in ``folder`` (made 0700, the file 0600: it names people),
    recorded in the audit trail in the caller's unit of work (what, when, not the file)."""
    import re

    from coordinator_tui.audit import record_export
    from coordinator_tui.models import utcnow
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    record_export(
        session, "sharing report", "sharing_record", None, "csv", encrypted=sink.encrypted
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9]", "", utcnow().isoformat())[:14]
    span = f"{date_from or date.min:%Y%m%d}-{date_to or date.max:%Y%m%d}"
    path = folder / f"sharing-{span}-{stamp}.csv"
    return sink.write(path, sharing_csv(rows))


def chronology_items(session: Session, person_id: int) -> list:
    """The person's sharing history as chronology lines, each carrying its flags."""
    from coordinator_tui.services.chronology import ChronologyItem

    items = []
    for row in sharing_rows(session, person_id=person_id):
        if row.direction == "disclosure":
            text = f"Shared with {row.to_whom}"
            text += f" ({METHODS.get(row.method, row.method)}): {row.what}. Why: {row.why}."
        else:
            text = f"Request from {row.to_whom} for {row.what}: {row.decision}"
            if row.decision_reason:
                text += f" ({row.decision_reason})"
            text += "."
        if row.decision == "shared":
            text += f" Basis {row.basis}; {row.consent_text}."
        if row.decided_by and row.decision != "pending" and row.consent != "overridden":
            text += f" Decided by {row.decided_by}."
        if row.flags:
            text += f" [{row.flags.upper()}]"
        items.append(ChronologyItem(row.occurred_on, "sharing", "Sharing", text))
    return items


def count_for_catalogue(session: Session, since: date) -> tuple[int, int, int]:
    """Disclosures, requests and decisions without consent since ``since``."""
    rows = session.execute(
        select(SharingRecord.direction, SharingRecord.decision, SharingRecord.consent).where(
            SharingRecord.occurred_on >= since
        )
    ).all()
    disclosures = sum(1 for d, _, _ in rows if d == "disclosure")
    without = sum(1 for _, dec, c in rows if dec == "shared" and c in WITHOUT_CONSENT)
    return disclosures, len(rows) - disclosures, without
