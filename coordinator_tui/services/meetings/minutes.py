"""Minutes: a clinical-record entry per person discussed, and the meeting record.

The entry for each person is filled from ``data/meeting_record_entry.txt`` (a practice
can put its own beside its database) and holds only that person's information: any
name, NHS number or date of birth of another person on the agenda, or of the person's
relatives, that was typed into the notes, decisions or actions is replaced by
``[another person]`` before the entry is offered for pasting.

The meeting record (attendance, items, decisions, actions) is exported as Markdown and
as a Word document (python-docx). The minutes go to everyone who attended, external
professionals among them, so they hold only the items discussed: what was carried
forward to the next meeting, not triaged or dropped is given as a count, never by name
(a proposal nobody discussed, a MARAC victim among them, is not shared with the whole
meeting). The coordinator's own INTERNAL version (``internal=True``) lists those items
too, and says INTERNAL in its heading and in its file name. Both hold patient details,
so the files are created readable by the owner only.

An entry for a person on a register kept from online record access (MARAC: the
category's ``hide_from_online_access`` in ``data/register_categories.json``), or
discussed because of a MARAC referral, starts with the instruction to hide it from the
patient's online record access.

A line of the notes, a decision or an action flagged ``[confidential]``, ``[third party]``
or ``[not for disclosure]`` (``services.meetings.confidential``) is withheld from the
minutes for circulation, written out with its flag in the INTERNAL version, and marked in
the record entry (which then starts with the instruction to hide it from online access;
a "not for disclosure" line is withheld from the entry too).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Template

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coordinator_tui.audit import record_export
from coordinator_tui.clock import to_local
from coordinator_tui.formatting import nhs_number, person_label
from coordinator_tui.models import (
    Action,
    AgendaItem,
    Decision,
    Meeting,
    MinuteNote,
    Person,
    PersonLink,
    Staff,
    TriageStatus,
)
from coordinator_tui.services.dates import format_date, format_date_short
from coordinator_tui.services.exporting import ExportSink, export_sink
from coordinator_tui.services.meetings import MeetingError, confidential
from coordinator_tui.services.meetings.invites import person_identifiers
from coordinator_tui.services.meetings.series import attendees, load_meeting
from coordinator_tui.services.meetings.triage import PRIORITY_LABEL

TEMPLATE_FILE = "meeting_record_entry.txt"
OTHER_PERSON = "[another person]"
FORMATS = ("md", "docx")
INTERNAL_MARK = "INTERNAL"
INTERNAL_BANNER = (
    "INTERNAL: for the safeguarding coordinator only, not for circulation. It lists every "
    "item carried forward, not triaged or dropped, with the people they are about."
)
HIDE_ONLINE = (
    "CONFIDENTIAL: hide this entry from the patient's online record access "
    "(third-party and MARAC information)."
)


def load_template() -> Template:
    """The entry template: the practice's own file if it has one, else the shipped one."""
    from coordinator_tui.services.reference import practice_dir

    folder = practice_dir()
    if folder is not None and (folder / TEMPLATE_FILE).is_file():
        return Template((folder / TEMPLATE_FILE).read_text(encoding="utf-8"))
    try:
        text = resources.files("coordinator_tui.refdata").joinpath(TEMPLATE_FILE).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        text = (Path(__file__).resolve().parents[3] / "data" / TEMPLATE_FILE).read_text("utf-8")
    return Template(text)


# -- the meeting record -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordAction:
    owner: str
    due: date | None
    description: str
    status: str


@dataclass
class RecordItem:
    number: int
    item_id: int
    person_id: int | None
    title: str
    reason: str
    priority: int
    presenter: str
    notes: str
    decisions: list[str] = field(default_factory=list)
    actions: list[RecordAction] = field(default_factory=list)


@dataclass
class MeetingRecord:
    meeting_id: int
    title: str
    starts_at: datetime  # UK local
    ends_at: datetime
    location: str
    status: str
    present: list[str]
    apologies: list[str]
    absent: list[str]
    invited: list[str]
    items: list[RecordItem]
    deferred: list[tuple[str, str]]  # (title, note): carried forward to the next meeting
    dropped: list[tuple[str, str]]  # (title, reason)
    untriaged: list[tuple[str, str]] = field(default_factory=list)  # never looked at

    @property
    def actions(self) -> list[tuple[int, RecordAction]]:
        return [(item.number, action) for item in self.items for action in item.actions]

    def not_discussed(self) -> list[str]:
        """What the minutes for circulation say of the items not discussed: counts only."""
        lines = []
        if self.deferred:
            lines.append(f"Carried forward to the next meeting: {_count(len(self.deferred))}.")
        if self.untriaged:
            lines.append(
                f"Proposed but not triaged before the meeting: {_count(len(self.untriaged))}."
            )
        if self.dropped:
            lines.append(f"Not taken onto the agenda: {_count(len(self.dropped))}.")
        return lines


def _count(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def meeting_record(session: Session, meeting_id: int) -> MeetingRecord:
    """Everything the minutes say, read once."""
    meeting = load_meeting(session, meeting_id)
    start = to_local(meeting.starts_at)
    people = attendees(session, meeting_id)
    by_state: dict[str, list[str]] = {}
    for person in people:
        by_state.setdefault(person.attendance, []).append(person.label)
    items = list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    ids = [item.id for item in items]
    notes = dict(
        session.execute(
            select(MinuteNote.agenda_item_id, MinuteNote.text).where(
                MinuteNote.agenda_item_id.in_(ids)
            )
        ).all()
    )
    decisions: dict[int, list[str]] = {}
    for item_id, text in session.execute(
        select(Decision.agenda_item_id, Decision.text)
        .where(Decision.agenda_item_id.in_(ids))
        .order_by(Decision.id)
    ):
        decisions.setdefault(item_id, []).append(text)
    actions: dict[int, list[RecordAction]] = {}
    for item_id, label, staff_name, due, description, status in session.execute(
        select(
            Action.agenda_item_id,
            Action.owner_label,
            Staff.name,
            Action.due_date,
            Action.description,
            Action.status,
        )
        .outerjoin(Staff, Staff.id == Action.owner_staff_id)
        .where(Action.agenda_item_id.in_(ids))
        .order_by(Action.id)
    ):
        actions.setdefault(item_id, []).append(
            RecordAction(label or staff_name or "—", due, description, status)
        )
    presenters = dict(
        session.execute(
            select(Staff.id, Staff.name).where(
                Staff.id.in_([i.presenter_staff_id for i in items if i.presenter_staff_id])
            )
        ).all()
    )
    from coordinator_tui.services.meetings.triage import UNTRIAGED_NOTE

    record_items: list[RecordItem] = []
    deferred: list[tuple[str, str]] = []
    dropped: list[tuple[str, str]] = []
    untriaged: list[tuple[str, str]] = []
    for item in items:
        if item.triage_status == TriageStatus.INCLUDED:
            record_items.append(
                RecordItem(
                    len(record_items) + 1,
                    item.id,
                    item.person_id,
                    item.title,
                    item.reason,
                    item.priority,
                    presenters.get(item.presenter_staff_id, ""),
                    notes.get(item.id, ""),
                    decisions.get(item.id, []),
                    actions.get(item.id, []),
                )
            )
        elif item.triage_status == TriageStatus.DEFERRED and item.drop_reason == UNTRIAGED_NOTE:
            untriaged.append((item.title, item.reason))
        elif item.triage_status == TriageStatus.DEFERRED:
            deferred.append((item.title, item.drop_reason))
        elif item.triage_status == TriageStatus.DROPPED:
            dropped.append((item.title, item.drop_reason))
        elif item.triage_status == TriageStatus.PROPOSED:
            untriaged.append((item.title, item.reason))
    return MeetingRecord(
        meeting.id,
        meeting.title,
        start,
        start + timedelta(minutes=meeting.duration_minutes),
        meeting.location,
        meeting.status,
        by_state.get("present", []),
        by_state.get("apologies", []),
        by_state.get("absent", []),
        by_state.get("invited", []),
        record_items,
        deferred,
        dropped,
        untriaged,
    )


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _due(value: date | None) -> str:
    return format_date_short(value) if value else "no date"


def _title(record: MeetingRecord, internal: bool) -> str:
    return f"{record.title} ({INTERNAL_MARK})" if internal else record.title


def version(record: MeetingRecord, *, internal: bool) -> MeetingRecord:
    """The record as the minutes show it: for circulation every line flagged
    confidential, third-party or not for disclosure withheld; INTERNAL each kept with its
    flag written out."""
    change = confidential.for_internal if internal else confidential.for_circulation
    items = [
        replace(
            item,
            notes=change(item.notes),
            decisions=[change(text) for text in item.decisions],
            actions=[replace(a, description=change(a.description)) for a in item.actions],
        )
        for item in record.items
    ]
    return replace(record, items=items)


def to_markdown(record: MeetingRecord, *, internal: bool = False) -> str:
    """The meeting record as Markdown: for circulation (the items discussed; the rest
    counted; flagged lines withheld), or the coordinator's INTERNAL version listing every
    item and every flagged line, marked."""
    record = version(record, internal=internal)
    when = f"{format_date(record.starts_at.date())}, {record.starts_at:%H:%M}"
    lines = [f"# {_title(record, internal)}", ""]
    if internal:
        lines += [f"**{INTERNAL_BANNER}**", ""]
    lines += [
        f"**When:** {when} to {record.ends_at:%H:%M}  ",
        f"**Where:** {record.location or '—'}  ",
        f"**Status:** {record.status.replace('_', ' ')}",
        "",
        "## Attendance",
        "",
        f"- **Present:** {'; '.join(record.present) or '—'}",
        f"- **Apologies:** {'; '.join(record.apologies) or '—'}",
    ]
    if record.absent:
        lines.append(f"- **Absent:** {'; '.join(record.absent)}")
    if record.invited:
        lines.append(f"- **Invited, not recorded:** {'; '.join(record.invited)}")
    lines += ["", "## Items", ""]
    for item in record.items:
        lines += [f"### {item.number}. {item.title}", ""]
        meta = f"Priority {item.priority} ({PRIORITY_LABEL.get(item.priority, '?')})"
        if item.presenter:
            meta += f"; presented by {item.presenter}"
        lines += [f"*{meta}. Why: {item.reason}*", ""]
        lines += [item.notes.strip() or "_No notes._", ""]
        if item.decisions:
            lines += ["**Decisions:**", ""] + [f"- {text}" for text in item.decisions] + [""]
        if item.actions:
            lines += ["**Actions:**", ""]
            lines += [
                f"- {a.owner}, due {_due(a.due)}: {a.description} ({a.status})"
                for a in item.actions
            ]
            lines.append("")
    if not record.items:
        lines += ["_No items._", ""]
    lines += ["## Actions", ""]
    if record.actions:
        lines += ["| Item | Owner | Due | Action | Status |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {number} | {_md(a.owner)} | {_due(a.due)} | {_md(a.description)} | {a.status} |"
            for number, a in record.actions
        ]
    else:
        lines.append("_No actions._")
    if not internal:
        if record.not_discussed():
            lines += ["", "## Not discussed", ""] + [f"- {line}" for line in record.not_discussed()]
        return "\n".join(lines) + "\n"
    for heading, entries in _internal_sections(record):
        lines += ["", f"## {heading}", ""]
        lines += [f"- {title}" + (f" ({note})" if note else "") for title, note in entries]
    return "\n".join(lines) + "\n"


def _internal_sections(record: MeetingRecord) -> list[tuple[str, list[tuple[str, str]]]]:
    sections = [
        ("Carried forward to the next meeting", record.deferred),
        ("Proposed but not triaged before the meeting", record.untriaged),
        ("Dropped", record.dropped),
    ]
    return [(heading, entries) for heading, entries in sections if entries]


def to_docx_bytes(record: MeetingRecord, *, internal: bool = False) -> bytes:
    """The meeting record as a Word document (see :func:`to_markdown`)."""
    from docx import Document

    record = version(record, internal=internal)

    document = Document()
    document.core_properties.title = _title(record, internal)
    document.add_heading(_title(record, internal), level=0)
    if internal:
        document.add_paragraph().add_run(INTERNAL_BANNER).bold = True
    when = f"{format_date(record.starts_at.date())}, {record.starts_at:%H:%M}"
    document.add_paragraph(f"When: {when} to {record.ends_at:%H:%M}")
    document.add_paragraph(f"Where: {record.location or '—'}")
    document.add_heading("Attendance", level=1)
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Attendance", "Who"
    rows = [("Present", record.present), ("Apologies", record.apologies)]
    if record.absent:
        rows.append(("Absent", record.absent))
    if record.invited:
        rows.append(("Invited, not recorded", record.invited))
    for label, names in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, "; ".join(names) or "—"
    document.add_heading("Items", level=1)
    for item in record.items:
        document.add_heading(f"{item.number}. {item.title}", level=2)
        meta = f"Priority {item.priority} ({PRIORITY_LABEL.get(item.priority, '?')})"
        if item.presenter:
            meta += f"; presented by {item.presenter}"
        document.add_paragraph().add_run(f"{meta}. Why: {item.reason}").italic = True
        document.add_paragraph(item.notes.strip() or "No notes.")
        for text in item.decisions:
            document.add_paragraph(f"Decision: {text}", style="List Bullet")
        for action in item.actions:
            document.add_paragraph(
                f"Action: {action.owner}, due {_due(action.due)}: {action.description}",
                style="List Bullet",
            )
    document.add_heading("Actions", level=1)
    if record.actions:
        actions = document.add_table(rows=1, cols=5)
        actions.style = "Table Grid"
        for cell, text in zip(
            actions.rows[0].cells, ("Item", "Owner", "Due", "Action", "Status"), strict=True
        ):
            cell.text = text
        for number, action in record.actions:
            values = (
                str(number),
                action.owner,
                _due(action.due),
                action.description,
                action.status,
            )
            for cell, text in zip(actions.add_row().cells, values, strict=True):
                cell.text = text
    else:
        document.add_paragraph("No actions.")
    if not internal and record.not_discussed():
        document.add_heading("Not discussed", level=1)
        for line in record.not_discussed():
            document.add_paragraph(line, style="List Bullet")
    for heading, entries in _internal_sections(record) if internal else []:
        document.add_heading(heading, level=1)
        for title, note in entries:
            document.add_paragraph(title + (f" ({note})" if note else ""), style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _write_private(sink: ExportSink, path: Path, data: bytes) -> Path:
    """Owner-only, encrypted from an encrypted database; returns the path written."""
    path = Path(path)
    if path.is_dir():
        raise MeetingError(f"{path} is a folder: give a file name")
    return sink.write(path, data)


def internal_path(path: Path) -> Path:
    """``path`` with INTERNAL in its name (``minutes-5.md`` -> ``minutes-5-INTERNAL.md``),
    so the internal version is never sent by mistake for the one to circulate."""
    path = Path(path)
    if INTERNAL_MARK in path.name.upper():
        return path
    return path.with_name(f"{path.stem}-{INTERNAL_MARK}{path.suffix}")


def export_minutes(
    session: Session, meeting_id: int, fmt: str, path: Path, *, internal: bool = False
) -> Path:
    """Write the meeting record as ``md`` or ``docx`` to ``path`` (owner-only file): for
    circulation, or (``internal``) the INTERNAL version, whose file name says so."""
    if fmt not in FORMATS:
        raise MeetingError(f"Export as {' or '.join(FORMATS)}")
    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    record = meeting_record(session, meeting_id)
    # Audited in the same unit of work as the file is written: a failed write rolls it back.
    record_export(session, "minutes", "meeting", meeting_id, fmt, encrypted=sink.encrypted)
    if fmt == "md":
        data = to_markdown(record, internal=internal).encode("utf-8")
    else:
        data = to_docx_bytes(record, internal=internal)
    return _write_private(sink, internal_path(path) if internal else path, data)


# -- the per-person clinical-record entry ------------------------------------------------


def _others(session: Session, meeting_id: int, person: Person) -> list[str]:
    """Identifiers of everyone else on the agenda and of the person's relatives."""
    agenda = select(AgendaItem.person_id).where(
        AgendaItem.meeting_id == meeting_id, AgendaItem.person_id.is_not(None)
    )
    related = select(PersonLink.related_person_id).where(PersonLink.person_id == person.id)
    rows = session.execute(
        select(Person.given_name, Person.family_name, Person.nhs_number, Person.date_of_birth)
        .where(or_(Person.id.in_(agenda), Person.id.in_(related)))
        .where(Person.id != person.id)
    ).all()
    own = {
        text.lower()
        for text in person_identifiers(
            [(person.given_name, person.family_name, person.nhs_number, person.date_of_birth)]
        )
    }
    return [text for text in person_identifiers(rows) if text.lower() not in own]


def _scrub(text: str, identifiers: list[str]) -> str:
    for identifier in sorted(set(identifiers), key=len, reverse=True):
        text = re.sub(re.escape(identifier), OTHER_PERSON, text, flags=re.IGNORECASE)
    return text


def person_entry(
    session: Session,
    item_id: int,
    *,
    recorded_by: str = "",
    record: MeetingRecord | None = None,
) -> str:
    """The text to paste into the clinical record of the person an item was about (every
    included item about them at that meeting, in one entry). ``record`` saves reading the
    meeting again when entries are made for everyone."""
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise MeetingError("That agenda item no longer exists")
    if item.person_id is None:
        raise MeetingError("This item is not about one person")
    person = session.get(Person, item.person_id)
    if person is None:
        raise MeetingError("That person no longer exists")
    meeting = session.get(Meeting, item.meeting_id)
    if record is None or record.meeting_id != item.meeting_id:
        record = meeting_record(session, item.meeting_id)
    hidden = _others(session, item.meeting_id, person)
    entries = [i for i in record.items if i.person_id == person.id] or [
        RecordItem(0, item.id, person.id, item.title, item.reason, item.priority, "", "")
    ]
    hide = hidden_from_online_access(session, person.id, [i.item_id for i in entries])
    notes = "\n\n".join(i.notes.strip() for i in entries if i.notes.strip()) or "No notes."
    # Confidentiality flags: marked, or withheld when not for disclosure beyond the team.
    notes, flagged = confidential.for_record(notes)
    decisions = []
    for text in (text for i in entries for text in i.decisions):
        text, flag = confidential.for_record(text)
        decisions.append(text)
        flagged = flagged or flag
    actions = []
    for action in (a for i in entries for a in i.actions):
        description, flag = confidential.for_record(action.description)
        actions.append(replace(action, description=description))
        flagged = flagged or flag
    hide = hide or flagged
    values = {
        "meeting_title": _scrub(record.title, hidden),
        "meeting_date": format_date(record.starts_at.date()),
        "person_name": person_label(person),
        "nhs_number": nhs_number(person.nhs_number),
        "date_of_birth": format_date_short(person.date_of_birth),
        "reason": _scrub("; ".join(dict.fromkeys(i.reason for i in entries)), hidden),
        "notes": _scrub(notes, hidden),
        "decisions": _scrub("\n".join(f"- {d}" for d in decisions) or "None recorded.", hidden),
        "actions": _scrub(
            "\n".join(f"- {a.owner}, due {_due(a.due)}: {a.description}" for a in actions)
            or "None.",
            hidden,
        ),
        "present": "; ".join(record.present) or "—",
        "recorded_by": recorded_by or "the safeguarding coordinator",
        "meeting_id": str(meeting.id if meeting else item.meeting_id),
        "online_access": HIDE_ONLINE if hide else "",
    }
    template = load_template()
    text = template.safe_substitute(values)
    if hide and "online_access" not in template.template:
        text = f"{HIDE_ONLINE}\n\n{text}"  # first, whatever the practice's template
    return text


def hidden_from_online_access(session: Session, person_id: int, item_ids: list[int]) -> bool:
    """Whether a person's entry must be hidden from their online record access: they are
    on a register whose category says so (MARAC in the shipped reference data), or an
    item about them at this meeting came from a MARAC referral."""
    from coordinator_tui.models import Referral
    from coordinator_tui.services.people import sensitive_entry

    on_hidden_register = session.scalar(sensitive_entry(person_id).limit(1))
    if on_hidden_register is not None:
        return True
    referral_ids = list(
        session.scalars(
            select(AgendaItem.source_id).where(
                AgendaItem.id.in_(item_ids),
                AgendaItem.source_kind.in_(("referral_overdue", "referral_waiting")),
            )
        )
    )
    if not referral_ids:
        return False
    return (
        session.scalar(
            select(Referral.id)
            .where(Referral.id.in_(referral_ids), func.upper(Referral.referral_type) == "MARAC")
            .limit(1)
        )
        is not None
    )


def person_entries(session: Session, meeting_id: int, *, recorded_by: str = "") -> dict[int, str]:
    """One entry per person discussed (included items about a person), by person id."""
    entries: dict[int, str] = {}
    record = meeting_record(session, meeting_id)
    for item_id, person_id in session.execute(
        select(AgendaItem.id, AgendaItem.person_id)
        .where(
            AgendaItem.meeting_id == meeting_id,
            AgendaItem.triage_status == TriageStatus.INCLUDED,
            AgendaItem.person_id.is_not(None),
        )
        .order_by(AgendaItem.position, AgendaItem.id)
    ):
        if person_id not in entries:
            entries[person_id] = person_entry(
                session, item_id, recorded_by=recorded_by, record=record
            )
    return entries


@dataclass(frozen=True)
class PersonEntry:
    """One person discussed and the entry for their clinical record."""

    person_id: int
    name: str  # "FAMILY, Given"
    nhs_number: str
    text: str

    @property
    def hide_online(self) -> bool:
        """The entry starts with the instruction to hide it from online record access."""
        return HIDE_ONLINE in self.text


def record_entries(
    session: Session, meeting_id: int, *, recorded_by: str = ""
) -> list[PersonEntry]:
    """The entry for each person discussed at a finished meeting, in agenda order."""
    from coordinator_tui.models import MeetingStatus

    meeting = load_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.FINISHED:
        raise MeetingError("The record entries are ready once the meeting has finished")
    texts = person_entries(session, meeting_id, recorded_by=recorded_by)
    people = {
        person.id: person
        for person in session.scalars(select(Person).where(Person.id.in_(list(texts))))
    }
    return [
        PersonEntry(
            person_id,
            person_label(people[person_id]),
            people[person_id].nhs_number,
            text,
        )
        for person_id, text in texts.items()
    ]


def write_record_entries(
    session: Session, meeting_id: int, folder: Path, *, recorded_by: str = ""
) -> list[Path]:
    """One owner-only text file per person discussed, named by NHS number, in ``folder``
    (created readable by the owner only). The export is audited without identifiers."""
    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    entries = record_entries(session, meeting_id, recorded_by=recorded_by)
    if not entries:
        raise MeetingError("Nobody was discussed at this meeting: there are no entries")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise MeetingError(f"{folder} is a file: give a folder")
    # Recorded first, as a copy is: a database that cannot take the record (locked)
    # refuses before any file leaves the app; a file that cannot be written rolls it back.
    record_export(
        session,
        "record entries",
        "meeting",
        meeting_id,
        "txt",
        files=len(entries),
        encrypted=sink.encrypted,
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return [
        _write_private(
            sink, folder / f"record-entry-{entry.nhs_number}.txt", entry.text.encode("utf-8")
        )
        for entry in entries
    ]


def entries_folder(database_folder: Path, meeting_id: int, day: date) -> Path:
    """The default folder for a meeting's record entries, beside the database."""
    return Path(database_folder) / f"record-entries-meeting-{meeting_id}-{day:%Y-%m-%d}"


def record_entry_copied(session: Session, person_id: int) -> None:
    """Audit a person's record entry copied to the clipboard, before the text leaves.

    The copy itself is the terminal's (the screen does it once this has been saved), so
    the export is recorded first: who copied whose entry, and when. A refusal here (the
    database locked) means the screen does not copy."""
    record_export(session, "record entry", "person", person_id, "clipboard")
