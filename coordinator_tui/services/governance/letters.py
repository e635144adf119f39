"""Letters drafted from the records: the Duty of Candour written notification (reg 20(4))
and a complaint's response (SI 2009/309 reg 14), as Word (python-docx) and plain text.

A letter is a draft for the coordinator to check and sign: it holds what the record holds,
in the order the regulation asks for, and says plainly where something is not recorded
yet. Files are written readable by their owner only, and each export is in the audit
trail (who, when, which letter, which kind of file; never the content or the path).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from coordinator_tui.audit import record_export
from coordinator_tui.clock import to_local
from coordinator_tui.models import Customer
from coordinator_tui.models.governance import Complaint, Incident
from coordinator_tui.services.dates import format_date
from coordinator_tui.services.exporting import ExportSink, export_sink
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance.agency import agency_settings
from coordinator_tui.services.governance.candour import record_for_incident
from coordinator_tui.services.governance.terms import (
    COMPLAINT_OUTCOMES,
    INCIDENT_KINDS,
    OMBUDSMEN,
    label,
    ombudsman_for,
)

KINDS = ("candour", "complaint")
FORMATS = ("docx", "txt")
NOT_RECORDED = "[not recorded yet: complete the record before sending]"


@dataclass
class Letter:
    """A letter as headed paragraphs: drawn as text or as a Word document."""

    agency: str
    dated: date
    to: str
    address: list[str]
    subject: str
    salutation: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    closing: str = "Yours sincerely"
    signatory: str = ""

    def text(self) -> str:
        lines = [self.agency, "", format_date(self.dated), "", self.to, *self.address, ""]
        lines += [f"Re: {self.subject}", "", self.salutation, ""]
        for heading, body in self.sections:
            if heading:
                lines.append(heading)
            lines += [body, ""]
        lines += [self.closing, "", "", self.signatory, f"For {self.agency}"]
        return "\n".join(lines).rstrip() + "\n"

    def docx(self) -> bytes:
        from docx import Document

        document = Document()
        document.add_heading(self.agency, level=1)
        document.add_paragraph(format_date(self.dated))
        document.add_paragraph("\n".join([self.to, *self.address]))
        subject = document.add_paragraph()
        subject.add_run(f"Re: {self.subject}").bold = True
        document.add_paragraph(self.salutation)
        for heading, body in self.sections:
            if heading:
                document.add_heading(heading, level=2)
            for paragraph in body.split("\n\n"):
                document.add_paragraph(paragraph)
        document.add_paragraph(self.closing)
        document.add_paragraph("\n\n" + self.signatory)
        document.add_paragraph(f"For {self.agency}")
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def _address(customer: Customer | None) -> list[str]:
    if customer is None:
        return []
    return [line for line in (customer.address, customer.postcode) if line]


def candour_letter(session: Session, incident_id: int, today: date) -> Letter:
    """The written notification that follows the one in person (reg 20(4)): the true
    account, the enquiries, their results so far, and the apology."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise GovernanceError("That incident no longer exists")
    record = record_for_incident(session, incident_id)
    if record is None or record.status == "not_required":
        raise GovernanceError("This incident has no Duty of Candour record: triage it notifiable")
    customer = session.get(Customer, incident.customer_id) if incident.customer_id else None
    settings = agency_settings(session)
    who = record.relevant_person or (customer.name if customer else "")
    about = customer.name if customer else "the person we care for"
    happened = to_local(incident.occurred_at)
    kind = label(INCIDENT_KINDS, incident.kind).lower()
    meeting = (
        f"When we spoke on {format_date(record.notified_on)}"
        + (f" ({record.notified_by} for {settings.agency_name})" if record.notified_by else "")
        + f", we told you about the {kind} on {format_date(happened.date())} involving "
        f"{about}. We write now, as the law asks of us (the Duty of Candour, Regulation 20 "
        "of the Health and Social Care Act 2008 (Regulated Activities) Regulations 2014), to "
        "set out in writing what we told you."
        if record.notified_on
        else f"We write about the {kind} on {format_date(happened.date())} involving {about} "
        "(the Duty of Candour, Regulation 20 of the Health and Social Care Act 2008 "
        "(Regulated Activities) Regulations 2014)."
    )
    sections = [
        ("", meeting),
        ("What happened", record.account or NOT_RECORDED),
        (
            "Our apology",
            f"We are truly sorry that this happened to {about}, and for the distress it has "
            "caused." + ("" if record.apology_on else f" {NOT_RECORDED}"),
        ),
        ("What we are doing to find out more", record.enquiries or NOT_RECORDED),
        (
            "What our enquiries have found",
            record.results
            or "Our enquiries are not finished; we will write to you again with what they find.",
        ),
        ("Support", record.support_offered or NOT_RECORDED),
        (
            "",
            "If you have any questions, or would like to meet us, please contact us. You may "
            "also raise a complaint, and we will handle it under our complaints procedure.",
        ),
    ]
    return Letter(
        settings.agency_name,
        today,
        who,
        _address(customer) if not record.relation else [],
        f"{label(INCIDENT_KINDS, incident.kind)} on {format_date(happened.date())} "
        f"(our reference INC-{incident.id})",
        f"Dear {who}" if who else "Dear Sir or Madam",
        sections,
        signatory=record.notified_by,
    )


def complaint_letter(session: Session, complaint_id: int, today: date) -> Letter:
    """The response to a complaint (SI 2009/309 reg 14): how it was considered, the
    conclusions, what will be done, and the right to go to the ombudsman (the LGSCO, or
    the PHSO for care funded by the NHS)."""
    from coordinator_tui.services.governance.complaints import timeline

    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise GovernanceError("That complaint no longer exists")
    customer = session.get(Customer, complaint.customer_id) if complaint.customer_id else None
    settings = agency_settings(session)
    steps = timeline(session, complaint_id)
    considered = [
        f"{format_date(s.on)}: {s.note}" for s in steps if s.kind in ("discussion", "investigation")
    ]
    ombudsman, contact = OMBUDSMEN[ombudsman_for(complaint.nhs_funded)]
    conclusion = COMPLAINT_OUTCOMES.get(complaint.outcome, "")
    sections = [
        (
            "",
            f"Thank you for your complaint, which we received on "
            f"{format_date(complaint.received_on)}"
            + (
                f" and acknowledged on {format_date(complaint.acknowledged_on)}"
                if complaint.acknowledged_on
                else ""
            )
            + ". This letter is our response.",
        ),
        ("Your complaint", complaint.summary),
        ("How we considered it", "\n\n".join(considered) or NOT_RECORDED),
        (
            "Our conclusions",
            f"Your complaint is {conclusion.lower()}." if conclusion else NOT_RECORDED,
        ),
        ("What we will do", complaint.learning or "We will write again with what we will change."),
        (
            "If you are not satisfied",
            f"If you are not satisfied with this response, you may ask {ombudsman} to "
            f"look at your complaint: {contact}. The ombudsman will usually expect you to "
            "have completed our own procedure first, and a complaint to the ombudsman should "
            "normally be made within 12 months.",
        ),
    ]
    name = complaint.complainant or "Sir or Madam"
    return Letter(
        settings.agency_name,
        today,
        complaint.complainant,
        _address(customer) if complaint.complainant_relation.lower() in ("", "self") else [],
        f"Your complaint received on {format_date(complaint.received_on)} "
        f"(our reference CMP-{complaint.id})",
        f"Dear {name}",
        sections,
        signatory=complaint.logged_by,
    )


def _write_private(sink: ExportSink, path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` readable by its owner only (0600 in a 0700 folder),
    encrypted from an encrypted database; returns the path written."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise GovernanceError(f"{path} is a folder: give a file name")
    return sink.write(path, data)


def build_letter(session: Session, kind: str, row_id: int, today: date) -> Letter:
    if kind == "candour":
        return candour_letter(session, row_id, today)
    if kind == "complaint":
        return complaint_letter(session, row_id, today)
    raise GovernanceError(f"A letter is {' or '.join(KINDS)}")


def write_letter(
    session: Session, kind: str, row_id: int, path: Path, today: date, fmt: str | None = None
) -> Path:
    """Write one letter to ``path`` as Word (``.docx``) or plain text (any other suffix,
    or ``fmt``), owner-only, and record the export in the audit trail."""
    fmt = fmt or ("docx" if Path(path).suffix.lower() == ".docx" else "txt")
    if fmt not in FORMATS:
        raise GovernanceError(f"Write a letter as {' or '.join(FORMATS)}")
    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    letter = build_letter(session, kind, row_id, today)
    table = "incident" if kind == "candour" else "complaint"
    record_export(session, "letter", table, row_id, fmt, encrypted=sink.encrypted)
    data = letter.docx() if fmt == "docx" else letter.text().encode("utf-8")
    try:
        return _write_private(sink, path, data)
    except OSError as exc:
        raise GovernanceError(f"Could not write the letter: {exc.strerror}") from exc


def write_letter_pair(
    session: Session, kind: str, row_id: int, folder: Path, today: date
) -> list[Path]:
    """Both forms of the letter into ``folder`` (the screens' ``l``): Word to send, plain
    text to paste; named by reference and date, never by the person."""
    reference = ("INC" if kind == "candour" else "CMP") + f"-{row_id}"
    stem = f"{kind}-letter-{reference}-{today:%Y%m%d}"
    return [
        write_letter(session, kind, row_id, Path(folder) / f"{stem}.{fmt}", today, fmt)
        for fmt in FORMATS
    ]


def letters_folder(database_folder: Path) -> Path:
    """Where the screens write letters: ``letters`` beside the database."""
    return Path(database_folder) / "letters"
