"""The CQC evidence pack (issue 16 §3): what the app holds for one quality statement over
the last N months, indexed, each item with its record id and date, and the gaps.

The reference data ``data/cqc_evidence_map.json`` (a practice's own copy beside the
database replaces it) lists CQC's 34 quality statements under the five key questions,
the six evidence categories, and each kind of record the app keeps: its table, the date
that places it in time, which statements it evidences and in which categories. A kind
whose table this app does not have (yet) is named as a gap, never silently dropped.

The pack for a statement has a section per record kind mapped to it, its items newest
first: record id (``referral #123``), date, who it is about and a few words from the
record (its type and state, never free text). People are pseudonymised (``person #42``,
the record's own id, which only someone with the app can turn back into a name) unless
names are asked for.

Gaps, per kind: none ever recorded ("no supervision recorded"); none recently enough
for the kind's usual rhythm (``expect_within_days``: "no supervision recorded since May
2026"); none in the period; and the evidence categories no item in the pack covers.

Opening a pack and exporting it are recorded in the audit trail (who, when, which
statement; never the contents).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Table, func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import start_of_day, to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.services import access
from coordinator_tui.services.reports import ReportsError

MAP_FILE = "cqc_evidence_map.json"
FORMATS = ("docx", "xlsx", "csv")
MAX_MONTHS = 60


@dataclass(frozen=True)
class Statement:
    key: str
    key_question: str
    name: str

    @property
    def title(self) -> str:
        return f"{self.key_question}: {self.name}"


@dataclass(frozen=True)
class RecordKind:
    """A kind of record and what it evidences (one entry of the map's ``record_kinds``)."""

    key: str
    name: str
    table: str
    date: str
    statements: tuple[str, ...]
    categories: tuple[str, ...]
    where: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    describe: tuple[str, ...] = ()
    expect_within_days: int | None = None


@dataclass(frozen=True)
class EvidenceMap:
    version: str
    categories: dict[str, str]
    statements: tuple[Statement, ...]
    kinds: tuple[RecordKind, ...]

    def statement(self, key: str) -> Statement:
        """The statement by its key or (a unique start of) its name, any case."""
        text = key.strip().lower().replace("-", "_").replace(" ", "_")
        for statement in self.statements:
            if statement.key == text:
                return statement
        matches = [
            s
            for s in self.statements
            if s.name.lower().replace(" ", "_").startswith(text) or s.key.startswith(text)
        ]
        if len(matches) == 1:
            return matches[0]
        keys = ", ".join(s.key for s in self.statements)
        raise ReportsError(f"No quality statement '{key[:40]}': one of {keys}")

    def kinds_for(self, statement: str) -> list[RecordKind]:
        return [kind for kind in self.kinds if statement in kind.statements]


def load_map(override_dir: Path | None = None) -> EvidenceMap:
    """The evidence map, checked: every kind names known statements and categories."""
    from coordinator_tui.services.reference import ReferenceDataError, _read

    label, data = _read(MAP_FILE, override_dir)
    try:
        categories = {str(k): str(v) for k, v in data["evidence_categories"].items()}
        statements = tuple(
            Statement(str(s["key"]), str(s["key_question"]), str(s["name"]))
            for s in data["statements"]
        )
        known = {s.key for s in statements}
        kinds = []
        for index, entry in enumerate(data["record_kinds"], start=1):
            kind = RecordKind(
                key=str(entry["key"]),
                name=str(entry["name"]),
                table=str(entry["table"]),
                date=str(entry["date"]),
                statements=tuple(entry["statements"]),
                categories=tuple(entry["categories"]),
                where=dict(entry.get("where", {})),
                subject=str(entry.get("subject", "")),
                describe=tuple(entry.get("describe", ())),
                expect_within_days=entry.get("expect_within_days"),
            )
            unknown = [s for s in kind.statements if s not in known]
            unknown += [c for c in kind.categories if c not in categories]
            if unknown:
                raise ReferenceDataError(
                    f"{label}: record kind {index} ({kind.key}) names unknown {', '.join(unknown)}"
                )
            kinds.append(kind)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReferenceDataError(f"{label}: not an evidence map ({exc})") from exc
    return EvidenceMap(str(data.get("version", "")), categories, statements, tuple(kinds))


# -- the pack ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """One record in the pack: ``ref`` its index number (section.item)."""

    ref: str
    record: str
    on: date
    about: str
    summary: str


@dataclass(frozen=True)
class KindSection:
    number: int
    kind: RecordKind
    categories: tuple[str, ...]  # the categories' names
    kept: bool  # False: the app has no such records
    items: tuple[EvidenceItem, ...]
    last_on: date | None  # the latest such record up to the period's end


@dataclass(frozen=True)
class CqcPack:
    statement: Statement
    months: int
    date_from: date
    date_to: date
    names: bool
    sections: tuple[KindSection, ...]
    gaps: tuple[str, ...]
    map_version: str

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def title(self) -> str:
        return f"CQC evidence: {self.statement.title}"

    def period_text(self) -> str:
        return f"{uk_date(self.date_from)} to {uk_date(self.date_to)} ({self.months} months)"


def period_for(months: int, today: date) -> tuple[date, date]:
    """The last ``months`` months to ``today``: from the day after the same date
    ``months`` months back."""
    from dateutil.relativedelta import relativedelta

    if not 1 <= months <= MAX_MONTHS:
        raise ReportsError(f"Months must be 1 to {MAX_MONTHS}")
    return today - relativedelta(months=months) + timedelta(days=1), today


def _tables() -> dict[str, Table]:
    from sqlmodel import SQLModel

    import coordinator_tui.models  # noqa: F401 - registers every table

    return dict(SQLModel.metadata.tables)


def _words(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")[:60]


def evidence_pack(
    session: Session,
    statement_key: str,
    months: int,
    today: date,
    *,
    names: bool = False,
    evidence_map: EvidenceMap | None = None,
) -> CqcPack:
    """The pack for the statement over the last ``months`` months (see the module).

    Homecare and inspection reports (``care_reports``); with ``names`` the people the
    records are about are named, safeguarding subjects among them, so the registers'
    ``view_register`` is needed as well (without it the pack is pseudonymised)."""
    from coordinator_tui.audit import record_read

    access.require(session, access.CARE_REPORTS)  # issue 17
    if names:
        access.require(session, access.VIEW_REGISTER)

    emap = evidence_map or load_map()
    statement = emap.statement(statement_key)
    date_from, date_to = period_for(months, today)
    tables = _tables()
    sections = []
    gaps: list[str] = []
    covered: set[str] = set()
    kinds = emap.kinds_for(statement.key)
    if not kinds:
        gaps.append("No record kept in Coordinator TUI evidences this statement.")
    for number, kind in enumerate(kinds, start=1):
        table = tables.get(kind.table)
        category_names = tuple(emap.categories[c] for c in kind.categories)
        if table is None or kind.date not in table.c:
            sections.append(KindSection(number, kind, category_names, False, (), None))
            gaps.append(f"No {kind.name} kept in Coordinator TUI: bring them from elsewhere.")
            continue
        items, last_on = _items(session, table, kind, number, date_from, date_to, names)
        sections.append(KindSection(number, kind, category_names, True, tuple(items), last_on))
        if items:
            covered.update(kind.categories)
        gap = _gap(kind, items, last_on, months, today)
        if gap:
            gaps.append(gap)
    wanted = {c for kind in kinds for c in kind.categories}
    for key in emap.categories:
        if key in wanted and key not in covered:
            gaps.append(f"Nothing in the period as evidence of {emap.categories[key].lower()}.")
    record_read(session, "cqc_evidence", None)
    return CqcPack(
        statement,
        months,
        date_from,
        date_to,
        names,
        tuple(sections),
        tuple(gaps),
        emap.version,
    )


def _gap(
    kind: RecordKind, items: Sequence[EvidenceItem], last_on: date | None, months: int, today: date
) -> str:
    if last_on is None:
        return f"No {kind.name} recorded."
    if kind.expect_within_days and last_on < today - timedelta(days=kind.expect_within_days):
        return f"No {kind.name} recorded since {last_on:%B %Y}."
    if not items:
        return (
            f"No {kind.name} recorded in the last {months} months (the last on {uk_date(last_on)})."
        )
    return ""


def _items(
    session: Session,
    table: Table,
    kind: RecordKind,
    number: int,
    date_from: date,
    date_to: date,
    names: bool,
) -> tuple[list[EvidenceItem], date | None]:
    column = table.c[kind.date]
    timed = _is_timestamp(column)
    low: date | datetime = start_of_day(date_from) if timed else date_from
    high: date | datetime = start_of_day(date_to + timedelta(days=1)) if timed else date_to
    conditions = [table.c[name] == value for name, value in kind.where.items() if name in table.c]
    in_period = [column >= low, (column < high) if timed else (column <= high)]
    subject_column = _subject_column(table, kind)
    describe = [table.c[name] for name in kind.describe if name in table.c]
    columns = [table.c.id, column, *describe]
    if subject_column is not None:
        columns.append(subject_column)
    rows = session.execute(
        select(*columns).where(*conditions, *in_period).order_by(column.desc(), table.c.id.desc())
    ).all()
    last = session.scalar(
        select(func.max(column)).where(*conditions, column < high if timed else column <= high)
    )
    last_on = _day(last)
    subjects = _subject_names(
        session, kind, {row[-1] for row in rows} if subject_column is not None else set(), names
    )
    registers: dict[Any, str] = {}
    if kind.subject == "register_entry" and subject_column is not None:
        registers = _register_names(session, {row[-1] for row in rows})
    items = []
    for index, row in enumerate(rows, start=1):
        record_id, moment = row[0], row[1]
        words = [w for w in (_words(v) for v in row[2 : 2 + len(describe)]) if w]
        if registers and row[-1] in registers:
            words.insert(0, registers[row[-1]])
        about = ""
        if subject_column is not None and row[-1] is not None:
            about = subjects.get(row[-1], "")
        items.append(
            EvidenceItem(
                f"{number}.{index}",
                f"{kind.table.replace('_', ' ')} #{record_id}",
                _day(moment),
                about,
                ", ".join(words),
            )
        )
    return items, last_on


def _is_timestamp(column: Column) -> bool:
    """A timestamp column (UTC instants, compared with UK day bounds) or a date."""
    kind = getattr(column.type, "impl", column.type)  # SQLModel's UTCDateTime decorates
    return isinstance(kind, DateTime)


def _day(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_local(value).date()
    if isinstance(value, str):  # SQLite's max() of a date column comes back as text
        return date.fromisoformat(value[:10])
    return value


def _subject_column(table: Table, kind: RecordKind):
    if kind.subject == "register_entry":
        return table.c.entry_id if "entry_id" in table.c else None
    name = f"{kind.subject}_id" if kind.subject else ""
    return table.c[name] if name and name in table.c else None


def _subject_names(
    session: Session, kind: RecordKind, ids: set[Any], names: bool
) -> dict[Any, str]:
    """Who each record is about: ``person #42`` (pseudonymised) or the name if asked."""
    from coordinator_tui.models import Carer, Customer, Person, RegisterEntry

    ids.discard(None)
    if not ids:
        return {}
    label = "person" if kind.subject == "register_entry" else kind.subject
    person_of: dict[Any, Any] = {}
    if kind.subject == "register_entry":
        for chunk in _chunks(sorted(ids)):
            person_of.update(
                session.execute(
                    select(RegisterEntry.id, RegisterEntry.person_id).where(
                        RegisterEntry.id.in_(chunk)
                    )
                ).all()
            )
    else:
        person_of = {i: i for i in ids}
    if not names:
        return {i: f"{label} #{p}" for i, p in person_of.items()}
    model, columns = {
        "person": (Person, (Person.given_name, Person.family_name)),
        "customer": (Customer, (Customer.name,)),
        "carer": (Carer, (Carer.name,)),
    }[label]
    found: dict[Any, str] = {}
    for chunk in _chunks(sorted(set(person_of.values()))):
        for row in session.execute(select(model.id, *columns).where(model.id.in_(chunk))):
            found[row[0]] = " ".join(str(v) for v in row[1:] if v)
    return {i: found.get(p, f"{label} #{p}") for i, p in person_of.items()}


def _register_names(session: Session, entry_ids: set[Any]) -> dict[Any, str]:
    """The register each entry is on (a review's summary: "Child Protection Plan")."""
    from coordinator_tui.models import RegisterCategory, RegisterEntry

    entry_ids.discard(None)
    found: dict[Any, str] = {}
    for chunk in _chunks(sorted(entry_ids)):
        found.update(
            session.execute(
                select(RegisterEntry.id, RegisterCategory.name)
                .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
                .where(RegisterEntry.id.in_(chunk))
            ).all()
        )
    return found


def _chunks(values: Sequence[Any], size: int = 900):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- output -------------------------------------------------------------------------------

ITEM_HEADER = ["Ref", "Record", "Date", "About", "Summary"]
INDEX_HEADER = ["Section", "Evidence", "Categories", "Items", "Latest"]


def index_rows(pack: CqcPack) -> list[list[Any]]:
    """The index: a row per section (number, kind, categories, items, latest date)."""
    return [
        [
            s.number,
            s.kind.name[:1].upper() + s.kind.name[1:],
            ", ".join(s.categories),
            len(s.items) if s.kept else "not kept in the app",
            uk_date(s.last_on) if s.last_on else "",
        ]
        for s in pack.sections
    ]


def item_rows(section: KindSection) -> list[list[Any]]:
    return [[i.ref, i.record, uk_date(i.on), i.about, i.summary] for i in section.items]


def pack_json(pack: CqcPack) -> dict[str, Any]:
    return {
        "report": "cqc",
        "statement": pack.statement.key,
        "key_question": pack.statement.key_question,
        "name": pack.statement.name,
        "from": pack.date_from.isoformat(),
        "to": pack.date_to.isoformat(),
        "months": pack.months,
        "names": pack.names,
        "gaps": list(pack.gaps),
        "sections": [
            {
                "number": s.number,
                "kind": s.kind.key,
                "name": s.kind.name,
                "categories": list(s.categories),
                "kept": s.kept,
                "latest": s.last_on.isoformat() if s.last_on else None,
                "items": [
                    {
                        "ref": i.ref,
                        "record": i.record,
                        "date": i.on.isoformat(),
                        "about": i.about,
                        "summary": i.summary,
                    }
                    for i in s.items
                ],
            }
            for s in pack.sections
        ],
    }


def csv_document(pack: CqcPack) -> str:
    from coordinator_tui.services.exporting import csv_text

    rows = [
        [s.number, s.kind.name, "; ".join(s.categories), *row]
        for s in pack.sections
        for row in item_rows(s)
    ]
    return csv_text(["Section", "Evidence", "Categories", *ITEM_HEADER], rows)


def xlsx_document(pack: CqcPack) -> bytes:
    """An Index sheet (the period, the index, the gaps), then a sheet per section."""
    from coordinator_tui.services.exporting import xlsx_bytes

    index = [
        [pack.title(), "", "", "", ""],
        [pack.period_text(), "", "", "", ""],
        ["Names shown" if pack.names else "Names pseudonymised", "", "", "", ""],
        *index_rows(pack),
        ["Gaps", "", "", "", ""],
        *[[gap, "", "", "", ""] for gap in pack.gaps],
    ]
    sheets: list[tuple[str, Sequence[str], Any]] = [("Index", INDEX_HEADER, index)]
    for s in pack.sections:
        title = re.sub(r"[\[\]:*?/\\]", "", f"{s.number} {s.kind.name}")[:31]
        sheets.append((title, ITEM_HEADER, item_rows(s)))
    return xlsx_bytes(sheets)


def docx_document(pack: CqcPack) -> bytes:
    """A Word pack: title and period, the gaps, the index, then a numbered section per
    record kind with one line per item (paragraphs, not a table: a year of register
    reviews is thousands of lines, and a Word table that long is slow to build and read)."""
    from docx import Document

    from coordinator_tui.services.reports.pcn import xml_safe

    document = Document()
    add_line = _line_writer(document)
    document.add_heading(pack.title(), level=1)
    document.add_paragraph(
        f"{pack.period_text()}. "
        + ("Names shown." if pack.names else "People pseudonymised (person #id).")
        + f" Mapping: {pack.map_version}."
    )
    document.add_heading("Gaps", level=2)
    for gap in pack.gaps or ("None found.",):
        document.add_paragraph(xml_safe(gap), style="List Bullet")
    document.add_heading("Index", level=2)
    rows = index_rows(pack)
    table = document.add_table(rows=1, cols=len(INDEX_HEADER))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, INDEX_HEADER, strict=True):
        cell.text = text
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = xml_safe(str(value))
    for s in pack.sections:
        document.add_heading(f"{s.number}. {s.kind.name[:1].upper()}{s.kind.name[1:]}", level=2)
        document.add_paragraph(f"Evidence categories: {', '.join(s.categories)}.")
        if not s.kept:
            document.add_paragraph("Not kept in Coordinator TUI.")
            continue
        if not s.items:
            document.add_paragraph("None in the period.")
            continue
        for row in item_rows(s):
            add_line(" · ".join(str(v) for v in row if v != ""))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _line_writer(document: Any):
    """A function adding one plain paragraph (no space after) at the end of the body.

    python-docx's ``add_paragraph`` looks for the section properties among all of the
    body's children on every call, so 18,000 items took 37 s; these paragraphs are made
    as XML and put before the section properties found once."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from coordinator_tui.services.reports.pcn import xml_safe

    body = document.element.body
    section = body.sectPr  # found once: the body's last child, before which all goes

    def add(text: str) -> None:
        paragraph = OxmlElement("w:p")
        properties = OxmlElement("w:pPr")
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:after"), "0")
        properties.append(spacing)
        paragraph.append(properties)
        run = OxmlElement("w:r")
        text_element = OxmlElement("w:t")
        text_element.set(qn("xml:space"), "preserve")
        text_element.text = xml_safe(text)
        run.append(text_element)
        paragraph.append(run)
        if section is not None:
            section.addprevious(paragraph)
        else:
            body.append(paragraph)

    return add


def default_export_path(folder: Path, pack: CqcPack, fmt: str, stamp: str = "") -> Path:
    from coordinator_tui.services.reports.pcn import export_stamp

    stamp = stamp or export_stamp()
    return folder / f"cqc-{pack.statement.key}-{pack.months}m-{stamp}.{fmt}"


def export_pack(session: Session, pack: CqcPack, path: Path, fmt: str | None = None) -> Path:
    """Write the pack to ``path`` (the format from ``fmt`` or the file's extension),
    owner-only, and record the export in the audit trail (never the contents or path)."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ReportsError(f"Export as one of: {', '.join(FORMATS)} (from the file's extension)")
    if path.is_dir():
        raise ReportsError("Give a file name, not a folder, to export to")
    data: bytes | str
    if fmt == "csv":
        data = csv_document(pack)
    elif fmt == "xlsx":
        data = xlsx_document(pack)
    else:
        data = docx_document(pack)
    try:
        written = sink.write(path, data)
    except OSError as exc:
        raise ReportsError(f"Could not write the pack: {exc.strerror or exc}") from exc
    record_export(session, "cqc evidence", "report", None, fmt, encrypted=sink.encrypted)
    return written


def export_all(session: Session, pack: CqcPack, folder: Path) -> list[Path]:
    """The pack as Word, Excel and CSV in ``folder`` (one file name stem, owner-only);
    one audit event for the three files."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink
    from coordinator_tui.services.reports.pcn import export_stamp

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    stamp = export_stamp()
    writers = {"docx": docx_document, "xlsx": xlsx_document, "csv": csv_document}
    paths = []
    for fmt in FORMATS:
        path = default_export_path(folder, pack, fmt, stamp)
        try:
            paths.append(sink.write(path, writers[fmt](pack)))
        except OSError as exc:
            raise ReportsError(f"Could not write the pack: {exc.strerror or exc}") from exc
    record_export(
        session,
        "cqc evidence",
        "report",
        None,
        list(FORMATS),
        files=len(paths),
        encrypted=sink.encrypted,
    )
    return paths
