"""The coding audit: our safeguarding registers against the clinical system's codes.

1. **Import** (:func:`read_export`) the CSV export of a SystmOne or EMIS Web search, one row
   per coded event: NHS number, SNOMED CT concept id, date, and optionally the term and the
   practice's ODS code. The usual column names of both systems are recognised
   (:data:`ALIASES`); any other export is read through a small mapping file (JSON: our
   field -> the file's column). All or nothing, as the rota importer: every row is checked
   and one bad row rejects the file, in one line per problem with the row number as a
   spreadsheet shows it; a NUL byte, a quote left open, a column named twice or a value
   over the csv module's limit is refused. No NHS number is quoted in a message.
2. **Reconcile** (:func:`reconcile`) per practice, both ways, by the clinical system's rule
   (``code_lists.membership``): coded but not on our register; on our register but not
   coded, or coded off; start dates that disagree; family members of a child on a child
   protection plan without the family-member code; looked-after children without the
   looked-after code. Each class is found once per person and list (once per register
   entry for "not coded"), never twice: a looked-after child without the code is that
   finding, not also "on our register but not coded".
3. **Act** on a finding with one key: add to our register with the code's date
   (:func:`add_to_register`), end ours (:func:`end_ours`), take the code's date
   (:func:`use_coded_date`), or mark the code to be corrected in the clinical system
   (:func:`mark_for_correction`): an action in the shared tracker, chased like a meeting's.
   Each takes the finding's version as the screen saw it (and the register entry's, as
   the audit saw it), so nothing a colleague did meanwhile is overwritten; every write
   goes through the audited session.

The clinical system's events are not stored: a run keeps its counts and its findings.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import nhs_number
from sqlalchemy import ARRAY, any_, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from coordinator_tui.collector import paused_collection
from coordinator_tui.formatting import person_label, uk_date
from coordinator_tui.models import (
    Action,
    ActionStatus,
    CodingAuditRun,
    CodingFinding,
    EntryStatus,
    FindingKind,
    FindingStatus,
    Person,
    PersonLink,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
    utcnow,
)
from coordinator_tui.services import access
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.reports import ReportsConflictError, ReportsError
from coordinator_tui.services.reports.code_lists import (
    CodeList,
    CodeLists,
    membership,
)
from coordinator_tui.services.rota_import import _csv_problem as csv_problem

FIELDS = ("nhs_number", "code", "date", "term", "practice")
REQUIRED = ("nhs_number", "code", "date")
FIELD_NAMES = {
    "nhs_number": "the NHS number",
    "code": "the SNOMED CT concept id",
    "date": "the date of the coded event",
    "term": "the term",
    "practice": "the practice's ODS code",
}
# Column names as SystmOne and EMIS Web searches commonly export them, compared lower-case
# without spaces or punctuation ("NHS Number", "nhs_number" and "NHS no." are one name).
ALIASES: dict[str, frozenset[str]] = {
    "nhs_number": frozenset(
        {"nhsnumber", "nhsno", "nhs", "patientnhsnumber", "patientdetailsnhsnumber"}
    ),
    "code": frozenset(
        {
            "snomedctconceptid",
            "snomedconceptid",
            "conceptid",
            "snomedctcode",
            "snomedcode",
            "snomedct",
            "snomed",
            "code",
            "clinicalcode",
            "sctid",
            "snomedid",
        }
    ),
    "date": frozenset(
        {
            "date",
            "effectivedate",
            "eventdate",
            "dateofevent",
            "recordeddate",
            "daterecorded",
            "codedate",
            "entrydate",
            "consultationdate",
        }
    ),
    "term": frozenset(
        {
            "term",
            "description",
            "codeterm",
            "rubric",
            "codedescription",
            "preferredterm",
            "displayterm",
            "clinicalterm",
        }
    ),
    "practice": frozenset(
        {
            "odscode",
            "ods",
            "practicecode",
            "practiceodscode",
            "organisationcode",
            "orgcode",
            "nationalpracticecode",
        }
    ),
}
# Column names only one system's exports use: they say which system the file came from.
SYSTEM_MARKERS = (
    ("EMIS Web", frozenset({"effectivedate", "snomedctconceptid", "codeterm", "displayterm"})),
    ("SystmOne", frozenset({"rubric", "clinicalcode", "daterecorded", "recordeddate"})),
)
HEADER_SEARCH_ROWS = 10  # an export may start with lines naming the search and when it ran
MAX_ERRORS_SHOWN = 20

KIND_LABELS = {
    FindingKind.CODED_NOT_REGISTERED: "coded, not on our register",
    FindingKind.REGISTERED_NOT_CODED: "on our register, not coded",
    FindingKind.DATES_DISAGREE: "dates disagree",
    FindingKind.FAMILY_NOT_CODED: "family member not coded",
    FindingKind.LAC_NOT_CODED: "looked-after child not coded",
}
STATUS_LABELS = {
    FindingStatus.OPEN: "open",
    FindingStatus.ADDED: "added to our register",
    FindingStatus.ENDED: "ours ended",
    FindingStatus.REDATED: "our date set to the code's",
    FindingStatus.CORRECTION: "code to be corrected",
}
# Which one-key actions fit which finding.
ACTIONS = {
    FindingKind.CODED_NOT_REGISTERED: ("add", "correct"),
    FindingKind.REGISTERED_NOT_CODED: ("end", "correct"),
    FindingKind.DATES_DISAGREE: ("date", "correct"),
    FindingKind.FAMILY_NOT_CODED: ("correct",),
    FindingKind.LAC_NOT_CODED: ("end", "correct"),
}
CORRECTION_DAYS = 14  # the correction task's default due date, days from today
DEFAULT_CORRECTION_OWNER = "ADMIN"  # owner_roles.json: the safeguarding administrator


class CodingImportError(ReportsError):
    """The export was refused, nothing imported; ``problems`` lists each bad row."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = "export refused, nothing imported:\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(text)
        self.problems = problems


# -- reading the export -------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_mapping(text: str, label: str = "mapping file") -> dict[str, str]:
    """A mapping file: a JSON object from our field names (``nhs_number``, ``code``,
    ``date``, ``term``, ``practice``) to the export's column names."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportsError(f"{label}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict):
        raise ReportsError(f"{label}: a JSON object from our fields to the file's columns")
    mapping = {}
    for key, value in data.items():
        if key == "about":
            continue
        if key not in FIELDS:
            raise ReportsError(f"{label}: unknown field '{key}' (fields: {', '.join(FIELDS)})")
        if not isinstance(value, str) or not value.strip():
            raise ReportsError(f"{label}: '{key}' must name a column of the export")
        mapping[key] = value.strip()
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise ReportsError(f"{label}: no column given for {', '.join(missing)}")
    return mapping


class CodedEvent(NamedTuple):
    """One coded event of the export that belongs to a code list (a tuple: an export
    makes 100,000 of them, a frozen dataclass costs five times as much to make)."""

    row: int
    nhs_number: str
    code: str
    on: date
    practice: str = ""


@dataclass
class Export:
    """What the import read: the events of the lists' codes, and the file's counts."""

    events: list[CodedEvent]
    rows: int
    system: str
    columns: dict[str, str]
    other_codes: int = 0


_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})" + _TIME)
_DMONY = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})[ -](\d{2,4})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


class _RowError(ValueError):
    pass


def parse_event_date(text: str) -> date:
    """A coded event's date as the clinical systems export it: ``30/11/2026``,
    ``30-Nov-2026``, ``30 November 2026``, ``2026-11-30``, ``20261130``, with or without a
    time after it. Day first; the year in full (a two-digit year could be either century)."""
    value = text.strip()
    match = _ISO.fullmatch(value) or _COMPACT.fullmatch(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) != 4:
            raise _RowError(f"date '{value[:30]}': write the year in full (30/11/2026)")
    elif match := _DMONY.fullmatch(value):
        month = _MONTHS.get(match.group(2).lower(), 0)
        if not month:
            raise _RowError(f"date '{value[:30]}': '{match.group(2)}' is not a month")
        if len(match.group(3)) != 4:
            raise _RowError(f"date '{value[:30]}': write the year in full (30 Nov 2026)")
        day, year = int(match.group(1)), int(match.group(3))
    else:
        raise _RowError(f"date '{value[:30]}' is not a date such as 30/11/2026")
    try:
        return date(year, month, day)
    except ValueError:
        raise _RowError(f"date '{value[:30]}' is not a calendar date") from None


_LAST_CHI = "3112999999"  # nhs_number's Scotland range ends here: its numbers hold a date


def nhs_number_valid(digits: str) -> bool:
    """``nhs_number.is_valid`` of ten digits, the modulus 11 check done here for numbers
    outside the Scottish CHI range (which the library also checks for a date of birth):
    an export names 100,000 people and the library takes 4-5 microseconds a number.

    The sum is ``services.nhs_numbers.check_digit``'s, written out again here: calling
    it cost about 10 ms more per 137,800 numbers (the ten-times export), where the
    audit's margin under 2 s is 40-140 ms (measured 2026-12-07).
    ``tests/test_nhs_numbers.py`` checks the two agree, and both against the library."""
    if not digits.isascii() or len(digits) != 10 or not digits.isdigit():
        return nhs_number.is_valid(digits)
    if digits <= _LAST_CHI:  # ten ASCII digits compare as their numbers do
        return nhs_number.is_valid(digits)
    d = digits.encode()  # the digits' codes: 48 for "0"; the weights 10..2 sum to 54
    total = (
        10 * d[0] + 9 * d[1] + 8 * d[2] + 7 * d[3] + 6 * d[4] + 5 * d[5] + 4 * d[6]
        + 3 * d[7] + 2 * d[8] - 48 * 54
    )  # fmt: skip
    check = 11 - total % 11
    return (0 if check == 11 else check) == d[9] - 48


def _nhs(text: str) -> str:
    digits = text.replace(" ", "").replace("-", "")
    if not digits:
        raise _RowError("the NHS number is empty")
    if len(digits) != 10 or not digits.isdigit():
        raise _RowError("the NHS number is not 10 digits")
    if not nhs_number_valid(digits):
        raise _RowError("the NHS number fails its check digit")
    return digits


def _find_columns(
    header: list[str], mapping: dict[str, str] | None
) -> tuple[dict[str, int], list[str]]:
    """Our field -> the column's index, and the problems that stop the header being read."""
    names = [name.strip() for name in header]
    problems = []
    if mapping is not None:
        found = {}
        for key, column in mapping.items():
            matches = [i for i, name in enumerate(names) if _norm(name) == _norm(column)]
            if not matches:
                problems.append(f"no column '{column}' (the mapping file's {key})")
            elif len(matches) > 1:
                problems.append(f"column '{column}' is named more than once")
            else:
                found[key] = matches[0]
        return found, problems
    found = {}
    for key in FIELDS:
        matches = [i for i, name in enumerate(names) if _norm(name) in ALIASES[key]]
        if len(matches) > 1:
            problems.append(
                f"{len(matches)} columns could be {FIELD_NAMES[key]} "
                f"({', '.join(names[i] for i in matches)}): give a mapping file"
            )
        elif matches:
            found[key] = matches[0]
    for key in REQUIRED:
        if key not in found and not any(key in p for p in problems):
            problems.append(f"no column for {FIELD_NAMES[key]}")
    return found, problems


def _system(header: list[str], mapping: dict[str, str] | None) -> str:
    if mapping is not None:
        return "mapped columns"
    names = {_norm(name) for name in header}
    for system, markers in SYSTEM_MARKERS:
        if names & markers:
            return system
    return "recognised columns"


@paused_collection()
def read_export(
    text: str,
    codes: CodeLists,
    *,
    today: date,
    mapping: dict[str, str] | None = None,
    practices: dict[str, int] | None = None,
) -> Export:
    """Every row checked; the events whose code is in a list returned, the rest counted.
    Refuses the whole file (:class:`CodingImportError`) on any bad row or a header it
    cannot read. ``practices``: ODS code -> practice id, to check a practice column."""
    text = text.lstrip("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise CodingImportError(
            [
                f"line {line}: the file holds a NUL byte, so it is not a text CSV file "
                "(export it from the clinical system as CSV)"
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_row = 0
    columns: dict[str, int] = {}
    best: tuple[int, list[str]] = (-1, ["row 1: the file is empty"])
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CodingImportError([csv_problem(number, reader.line_num, exc)]) from None
        columns, problems = _find_columns(values, mapping)
        if not problems:
            header, header_row = values, number
            break
        if len(columns) > best[0]:  # the row most like a header says why it is not one
            best = (len(columns), [f"row {number}: {problem}" for problem in problems])
    if header is None:
        expected = "; ".join(
            f"{FIELD_NAMES[key]} (e.g. " + ", ".join(sorted(ALIASES[key])[:3]) + ")"
            for key in REQUIRED
        )
        raise CodingImportError(
            [
                *best[1],
                f"columns looked for, in any case or spacing: {expected}; or give a mapping file",
            ]
        )
    named = [name.strip() for name in header]
    twice = sorted({name for name in named if name and named.count(name) > 1})
    if twice:
        raise CodingImportError(
            [f"row {header_row}: column(s) {', '.join(twice)} named more than once"]
        )
    index = columns
    width = len(header)
    known = codes.by_code
    dates: dict[str, date] = {}  # the file's text -> the checked value, for each column
    numbers: dict[str, str] = {}
    practice_of: dict[str, str] = {}
    events: list[CodedEvent] = []
    problems: list[str] = []
    rows = other = 0
    number = header_row
    nhs_i, code_i, date_i = index["nhs_number"], index["code"], index["date"]
    practice_i = index.get("practice")
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CodingImportError([csv_problem(number + 1, first_line, exc)]) from None
        number += 1
        if reader.line_num > first_line:
            raise CodingImportError(
                [
                    f"row {number} (line {first_line}): a value runs over "
                    f'{reader.line_num - first_line + 1} lines: a quote (") opened in it '
                    "is not closed where the value ends"
                ]
            )
        if not any(values):
            continue
        rows += 1
        if len(values) > width:
            problems.append(f"row {number}: more values than columns")
            continue
        if len(values) < width:
            values = values + [""] * (width - len(values))
        try:
            code = values[code_i].strip()
            if not code:
                raise _RowError("the code is empty")
            raw_nhs = values[nhs_i]
            nhs = numbers.get(raw_nhs)
            if nhs is None:
                nhs = numbers[raw_nhs] = _nhs(raw_nhs)
            raw_date = values[date_i]
            day = dates.get(raw_date)
            if day is None:  # each date's text read and checked once, kept if good
                if not raw_date.strip():
                    raise _RowError("the date is empty")
                day = parse_event_date(raw_date)
                if day > today:
                    raise _RowError(f"date {uk_date(day)} is in the future")
                if day.year < 1900:
                    raise _RowError(f"date {uk_date(day)} is before 1900")
                dates[raw_date] = day
            practice = ""
            if practice_i is not None:
                raw_practice = values[practice_i]
                practice = practice_of.get(raw_practice)  # type: ignore[assignment]
                if practice is None:
                    practice = raw_practice.strip().upper()
                    if practice and practices is not None and practice not in practices:
                        raise _RowError(f"practice '{practice[:12]}' is not one of ours")
                    practice_of[raw_practice] = practice
        except _RowError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if code in known:
            events.append(CodedEvent(number, nhs, code, day, practice))
        else:
            other += 1
    if problems:
        raise CodingImportError(problems)
    if not rows:
        raise CodingImportError(["the file has no data rows"])
    if not events:
        column = named[code_i]
        raise CodingImportError(
            [
                f"none of the {rows:,} rows holds a code of the code lists: is '{column}' "
                "the SNOMED CT concept id? (EMIS's own codes and Read codes are not read)"
            ]
        )
    return Export(
        events,
        rows,
        _system(header, mapping),
        {key: named[i] for key, i in index.items()},
        other,
    )


def read_import_file(path: str, what: str = "export") -> tuple[str, str]:
    """The text and file name of ``path`` (``~`` expanded), or one line saying why not."""
    from pathlib import Path

    text_path = path.strip().strip('"').strip("'")
    if not text_path:
        raise ReportsError(f"Give the path of the {what} file")
    file = Path(text_path).expanduser()
    try:
        if file.is_dir():
            raise ReportsError(f"{file} is a folder: give the {what} file in it")
        return file.read_text(encoding="utf-8-sig"), file.name
    except UnicodeDecodeError as exc:
        raise ReportsError(
            f"{file.name} is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8"
        ) from None
    except FileNotFoundError:
        raise ReportsError(f"There is no file {file}") from None
    except OSError as exc:
        raise ReportsError(f"Cannot read {file}: {exc.strerror}") from None


# -- reconciling --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A mismatch before it is saved (the screen reads saved ones as :class:`FindingRow`)."""

    person_id: int
    practice_id: int | None
    kind: str
    list_id: str
    detail: str
    code: str = ""
    entry_id: int | None = None
    entry_version: int | None = None
    our_start: date | None = None
    coded_since: date | None = None
    coded_off_on: date | None = None


@dataclass
class Reconciliation:
    """The findings and what they were read from."""

    findings: list[Finding]
    practice_ids: list[int]
    people_coded: int
    unknown_people: int
    not_audited: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KIND_LABELS, 0)
        for finding in self.findings:
            counts[finding.kind] += 1
        return counts


def _chunks(items: Sequence, size: int = 900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _day(value: date | None) -> str:
    return uk_date(value) if value else "—"


def _in_values(session: Session, column, values: Sequence):  # noqa: ANN001, ANN202
    """``column IN (values)`` as ONE bound parameter, however many values: on PostgreSQL
    ``= ANY(array)``, on SQLite a JSON array read by ``json_each``. Issue 23 §5: the
    export's 100,000+ NHS numbers are one statement, not a hundred chunks of 900 (each
    chunk's expanded parameters cost SQLAlchemy more than the lookups cost SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


class _Standing(NamedTuple):
    """``code_lists.Membership``'s fields as a tuple: a reconciliation makes one per person and
    list (over 100,000 at ten times the large demo), and a frozen dataclass costs five
    times as much to make."""

    member: bool
    since: date | None
    off_on: date | None
    code: str


@paused_collection()
def reconcile(
    session: Session,
    events: Sequence[CodedEvent],
    codes: CodeLists,
    *,
    practice_ids: Sequence[int] | None = None,
    tolerance_days: int = 0,
) -> Reconciliation:
    """Our registers against the coded events, for the practices given (else those of the
    people the export codes, or named in its practice column). See the module docstring
    for the classes; ``tolerance_days``: start dates this close count as agreeing.

    What it reads is proportional to the export and to the registers it compares
    (issue 23): the people the export names (one statement, by the indexed NHS number),
    the active entries of the audited registers in the practices audited, and for the
    family list the links and households of the children on the plan (joined in SQL)."""
    numbers = list({event.nhs_number for event in events})  # in any order: each is a probe
    people: dict[str, tuple[int, int | None]] = {}
    if numbers:
        people = {
            number: (person_id, practice_id)
            for person_id, number, practice_id in session.execute(
                select(Person.id, Person.nhs_number, Person.practice_id).where(
                    _in_values(session, Person.nhs_number, numbers)
                )
            )
        }
    if practice_ids is None:
        named = {event.practice for event in events if event.practice}
        if named:
            practice_ids = list(
                session.scalars(select(Practice.id).where(Practice.ods_code.in_(sorted(named))))
            )
        else:
            practice_ids = sorted({p for _, p in people.values() if p is not None})
    scope = set(practice_ids)

    # list -> person -> [(day, on, code)], for the people of the practices audited
    coded: dict[str, dict[int, list[tuple[date, bool, str]]]] = {
        code.list_id: {} for code in codes.by_code.values()
    }
    unknown: set[str] = set()
    # code -> (its list's people, is "on", SCTID): one look-up per event
    code_of = {
        sctid: (coded[code.list_id], code.on, code.sctid) for sctid, code in codes.by_code.items()
    }
    for _row, number, event_code, day, _practice in events:  # CodedEvent, unpacked
        found = people.get(number)
        if found is None:
            unknown.add(number)
            continue
        person_id, practice_id = found
        if practice_id not in scope:
            continue
        of_list, is_on, sctid = code_of[event_code]
        listed = of_list.get(person_id)
        if listed is None:
            of_list[person_id] = [(day, is_on, sctid)]
        else:
            listed.append((day, is_on, sctid))
    # list -> person -> standing; one event (most people's case) needs no sorting
    standing: dict[str, dict[int, _Standing]] = {}
    for list_id, of_list in coded.items():
        states = standing[list_id] = {}
        for person_id, items in of_list.items():
            if len(items) == 1:
                day, is_on, sctid = items[0]
                states[person_id] = (
                    _Standing(True, day, None, sctid)
                    if is_on
                    else _Standing(False, None, day, sctid)
                )
            else:
                state = membership(items)
                assert state is not None  # items is not empty
                states[person_id] = _Standing(state.member, state.since, state.off_on, state.code)

    # person -> their practice, for the people the export names and (below) those on the
    # registers compared: one person's practice, whichever way they were read
    practice_of: dict[int, int | None] = dict(people.values())
    audited = [item for item in codes.audited if item.registers]
    list_of_register = {register: item for item in audited for register in item.registers}
    # list -> person -> [(entry, version, start, register)], earliest start first
    entries: dict[str, dict[int, list[tuple[int, int, date, str]]]] = {
        item.id: {} for item in audited
    }
    if scope and list_of_register:
        rows = session.execute(
            select(
                RegisterEntry.id,
                RegisterEntry.version,
                RegisterEntry.person_id,
                RegisterEntry.start_date,
                RegisterCategory.code,
            )
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(
                RegisterEntry.status == EntryStatus.ACTIVE,
                RegisterCategory.code.in_(sorted(list_of_register)),
            )
            .order_by(RegisterEntry.start_date, RegisterEntry.id)
        ).all()
        # The person's practice (not the entry's) decides the scope, as for the coded:
        # known for the people the export names, read by id for the others only.
        others = sorted({row[2] for row in rows} - practice_of.keys())
        if others:
            practice_of.update(
                session.execute(
                    select(Person.id, Person.practice_id).where(
                        _in_values(session, Person.id, others)
                    )
                ).all()
            )
        of_register = {register: entries[item.id] for register, item in list_of_register.items()}
        for entry_id, version, person_id, start, register in rows:
            if practice_of.get(person_id) not in scope:
                continue
            ours = of_register[register]
            listed_entries = ours.get(person_id)
            if listed_entries is None:
                ours[person_id] = [(entry_id, version, start, register)]
            else:
                listed_entries.append((entry_id, version, start, register))

    findings: list[Finding] = []
    for item in audited:
        findings.extend(
            _compare_list(
                item,
                standing.get(item.id, {}),
                entries.get(item.id, {}),
                practice_of,
                tolerance_days,
            )
        )
    for item in codes.audited:
        if item.family_of:
            findings.extend(
                _family_findings(session, item, standing, entries, scope, list_of_register)
            )
    findings.sort(key=lambda f: (f.practice_id or 0, f.kind, f.list_id, f.person_id))
    not_audited = sorted({register for item in codes.not_audited for register in item.registers})
    people_coded = len(set().union(*coded.values()))
    return Reconciliation(findings, sorted(scope), people_coded, len(unknown), not_audited)


def _active_entries(scope: set[int], registers: Sequence[str] | dict) -> tuple:
    """The conditions on RegisterEntry joined to its Person and RegisterCategory: active,
    in the practices audited, on one of ``registers``."""
    return (
        RegisterEntry.status == EntryStatus.ACTIVE,
        Person.practice_id.in_(sorted(scope)),
        RegisterCategory.code.in_(sorted(registers)),
    )


def _compare_list(
    item: CodeList,
    standing: dict[int, _Standing],
    entries: dict[int, list[tuple[int, int, date, str]]],
    practice_of: dict[int, int | None],
    tolerance_days: int,
) -> list[Finding]:
    """The findings of one register's list, both ways (``standing`` and ``entries``: this
    list's, by person)."""
    term = {code.sctid: code.term for code in (*item.on, *item.off)}
    out: list[Finding] = []
    # In no particular order: reconcile sorts the findings by practice, class, list and
    # person, and one person's entries stay in their order (the sort is stable).
    for person_id in standing.keys() | entries.keys():
        state = standing.get(person_id)
        ours = entries.get(person_id)
        coded_on = state is not None and state.member
        if coded_on and not ours:
            out.append(
                Finding(
                    person_id,
                    practice_of.get(person_id),
                    FindingKind.CODED_NOT_REGISTERED,
                    item.id,
                    f"Coded '{term.get(state.code, state.code)}' from {_day(state.since)}; "
                    f"not on our {item.add_to} register",
                    code=state.code,
                    coded_since=state.since,
                    coded_off_on=state.off_on,
                )
            )
        elif ours and not coded_on:
            practice_id = practice_of.get(person_id)
            kind = (
                FindingKind.LAC_NOT_CODED if item.looked_after else FindingKind.REGISTERED_NOT_CODED
            )
            for entry_id, version, start, register in ours:
                if state is not None and state.off_on is not None:
                    why = f"coded off '{term.get(state.code, state.code)}' on {_day(state.off_on)}"
                else:
                    why = "no code in the clinical system"
                out.append(
                    Finding(
                        person_id,
                        practice_id,
                        kind,
                        item.id,
                        f"On our {register} register from {_day(start)}; {why}",
                        code=state.code if state is not None else "",
                        entry_id=entry_id,
                        entry_version=version,
                        our_start=start,
                        coded_off_on=state.off_on if state is not None else None,
                    )
                )
        elif ours and coded_on:
            entry_id, version, start, register = ours[0]  # the earliest start
            if state.since is not None and abs((start - state.since).days) > tolerance_days:
                out.append(
                    Finding(
                        person_id,
                        practice_of.get(person_id),
                        FindingKind.DATES_DISAGREE,
                        item.id,
                        f"Our {register} register from {_day(start)}; coded "
                        f"'{term.get(state.code, state.code)}' from {_day(state.since)}",
                        code=state.code,
                        entry_id=entry_id,
                        entry_version=version,
                        our_start=start,
                        coded_since=state.since,
                    )
                )
    return out


def _family_findings(
    session: Session,
    item: CodeList,
    standing: dict[str, dict[int, _Standing]],
    entries: dict[str, dict[int, list]],
    scope: set[int],
    list_of_register: dict[str, CodeList],
) -> list[Finding]:
    """Family and household members of the children on our ``family_of`` register who are
    not coded as such. A child on that register is flagged by their own code, not this.

    Three statements whatever the number of children (the entries :func:`reconcile` read,
    sent as one value): their links and their households' members are filtered in SQL
    (not on the plan, not coded a member), so only the findings (and the dead, or those
    of another practice) come back, and then those are read. A member linked to several
    children takes the relationship of the first link (by child, then link)."""
    parent_list = list_of_register.get(item.family_of)
    if parent_list is None:
        return []
    on_plan = entries.get(parent_list.id, {})
    if not on_plan:
        return []
    children = sorted(on_plan)  # the entries reconcile read: sent as one value
    mine = standing.get(item.id, {})
    # Not a child on the plan, not coded a member: filtered in SQL on the person id alone
    # (SQLite decides it from the index before it reads anyone's row), so that nearly only
    # the findings come back (issue 23).
    excluded = sorted(on_plan.keys() | {p for p, state in mine.items() if state.member})

    def candidate(column) -> ColumnElement[bool]:  # noqa: ANN001 - a person id column
        return ~_in_values(session, column, excluded)

    relation: dict[int, str] = {}
    for person_id, rel in session.execute(
        select(PersonLink.related_person_id, PersonLink.relationship)
        .where(
            _in_values(session, PersonLink.person_id, children),
            candidate(PersonLink.related_person_id),
        )
        .order_by(PersonLink.person_id, PersonLink.id)
    ):
        relation.setdefault(person_id, rel)
    child_households = select(Person.household_id).where(
        _in_values(session, Person.id, children), Person.household_id.is_not(None)
    )
    for person_id in session.scalars(
        select(Person.id).where(Person.household_id.in_(child_households), candidate(Person.id))
    ):
        relation.setdefault(person_id, "household")
    # Whether alive and of a practice audited: for these few only (a condition on the
    # indexed practice above would lead SQLite to read every person of the practices).
    found = {}
    if relation:
        found = {
            person_id: practice_id
            for person_id, practice_id in session.execute(
                select(Person.id, Person.practice_id).where(
                    _in_values(session, Person.id, sorted(relation)),
                    Person.date_of_death.is_(None),
                )
            )
            if practice_id in scope
        }
    out: list[Finding] = []
    code = item.on[0].sctid
    for person_id in sorted(found):
        rel, practice_id = relation[person_id], found[person_id]
        state = mine.get(person_id)
        why = (
            f"coded off on {_day(state.off_on)}"
            if state is not None and state.off_on
            else "no family-member code"
        )
        out.append(
            Finding(
                person_id,
                practice_id,
                FindingKind.FAMILY_NOT_CODED,
                item.id,
                f"Family member ({rel}) of a child on a {parent_list.name.lower()}; {why} ({code})",
                code=code,
                coded_off_on=state.off_on if state is not None else None,
            )
        )
    return out


# -- running an audit ---------------------------------------------------------------------


@dataclass
class AuditOutcome:
    """A saved run and what the import and reconciliation found."""

    run: CodingAuditRun
    export: Export
    reconciliation: Reconciliation


def practice_codes(session: Session) -> dict[str, int]:
    """ODS code -> practice id."""
    return {
        ods.upper(): pid for pid, ods in session.execute(select(Practice.id, Practice.ods_code))
    }


@paused_collection()
def run_coding_audit(
    session: Session,
    text: str,
    *,
    today: date,
    by: str,
    file_name: str = "",
    mapping_text: str | None = None,
    practice: str | None = None,
    codes: CodeLists | None = None,
    tolerance_days: int = 0,
    save: bool = True,
) -> AuditOutcome:
    """Import ``text``, reconcile it and (``save``) keep the run and its findings.

    ``practice``: reconcile this practice (ODS code or short name) only. A finding whose
    code correction is already being chased (an open action from an earlier run) is
    saved as such, so the same correction is never asked for twice."""
    from coordinator_tui.services.reports.code_lists import load_code_lists

    codes = codes or load_code_lists()
    mapping = read_mapping(mapping_text) if mapping_text is not None else None
    ods = practice_codes(session)
    export = read_export(text, codes, today=today, mapping=mapping, practices=ods)
    practice_ids = None
    if practice:
        practice_ids = [_practice_id(session, practice)]
    result = reconcile(
        session, export.events, codes, practice_ids=practice_ids, tolerance_days=tolerance_days
    )
    run = CodingAuditRun(
        imported_at=utcnow(),
        imported_by=by[:60],
        file_name=file_name[-200:],
        system=export.system,
        code_lists_version=codes.version[:120],
        rows=export.rows,
        coded_rows=len(export.events),
        people_coded=result.people_coded,
        unknown_people=result.unknown_people,
        practice_ids=",".join(map(str, result.practice_ids))[:200],
        findings=len(result.findings),
        not_audited=", ".join(result.not_audited)[:300],
    )
    if save:
        session.add(run)
        session.flush()
        chased = _open_corrections(session)
        session.add_all(
            [
                _finding_row(run.id, finding, chased.get(_key(finding)))  # type: ignore[arg-type]
                for finding in result.findings
            ]
        )
        session.flush()
    return AuditOutcome(run, export, result)


def _practice_id(session: Session, text: str) -> int:
    needle = text.strip().lower()
    for pid, ods, short, name in session.execute(
        select(Practice.id, Practice.ods_code, Practice.short_name, Practice.name)
    ):
        if needle in (ods.lower(), short.lower(), name.lower()):
            return pid
    raise ReportsError(f"No practice '{text.strip()[:40]}' (give its ODS code or short name)")


def _key(finding: Finding | CodingFinding) -> tuple[int, str, str, int | None]:
    return (finding.person_id, finding.list_id, finding.kind, finding.entry_id)


def _open_corrections(session: Session) -> dict[tuple, int]:
    """(person, list, kind, entry) -> the open correction action of an earlier run."""
    rows = session.execute(
        select(
            CodingFinding.person_id,
            CodingFinding.list_id,
            CodingFinding.kind,
            CodingFinding.entry_id,
            CodingFinding.action_id,
        )
        .join(Action, Action.id == CodingFinding.action_id)
        .where(
            CodingFinding.status == FindingStatus.CORRECTION,
            Action.status == ActionStatus.OPEN,
        )
    )
    return {tuple(row[:4]): row[4] for row in rows}


def _finding_row(run_id: int, finding: Finding, action_id: int | None) -> CodingFinding:
    return CodingFinding(
        run_id=run_id,
        person_id=finding.person_id,
        practice_id=finding.practice_id,
        kind=str(finding.kind),
        list_id=finding.list_id,
        entry_id=finding.entry_id,
        entry_version=finding.entry_version,
        our_start=finding.our_start,
        coded_since=finding.coded_since,
        coded_off_on=finding.coded_off_on,
        code=finding.code,
        detail=finding.detail[:300],
        status=FindingStatus.CORRECTION if action_id else FindingStatus.OPEN,
        action_id=action_id,
    )


# -- reading runs and findings ------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """A run as the screen heads its findings."""

    id: int
    imported_at: datetime
    imported_by: str
    file_name: str
    system: str
    code_lists_version: str
    rows: int
    coded_rows: int
    people_coded: int
    unknown_people: int
    findings: int
    not_audited: str
    practices: list[str]
    by_practice: dict[str, dict[str, int]]
    open_count: int


def latest_run_id(session: Session) -> int | None:
    access.require(session, access.REPORTS)  # issue 17
    return session.scalar(select(func.max(CodingAuditRun.id)))


def run_summary(session: Session, run_id: int) -> RunSummary | None:
    """The run's counts, its findings per practice and class, and how many are open."""
    access.require(session, access.REPORTS)  # issue 17
    run = session.get(CodingAuditRun, run_id)
    if run is None:
        return None
    names = practice_names(session)
    ids = [int(part) for part in run.practice_ids.split(",") if part]
    by_practice: dict[str, dict[str, int]] = {}
    for practice_id, kind, count in session.execute(
        select(CodingFinding.practice_id, CodingFinding.kind, func.count())
        .where(CodingFinding.run_id == run_id)
        .group_by(CodingFinding.practice_id, CodingFinding.kind)
    ):
        name = names.get(practice_id, "—")
        by_practice.setdefault(name, dict.fromkeys(KIND_LABELS, 0))[kind] = count
    open_count = session.scalar(
        select(func.count()).where(
            CodingFinding.run_id == run_id, CodingFinding.status == FindingStatus.OPEN
        )
    )
    return RunSummary(
        run.id,  # type: ignore[arg-type]
        run.imported_at,
        run.imported_by,
        run.file_name,
        run.system,
        run.code_lists_version,
        run.rows,
        run.coded_rows,
        run.people_coded,
        run.unknown_people,
        run.findings,
        run.not_audited,
        [names.get(i, "?") for i in ids],
        by_practice,
        int(open_count or 0),
    )


@dataclass(frozen=True)
class FindingRow:
    """One finding as the list shows it (narrow, read as tuples)."""

    id: int
    version: int
    person_id: int
    nhs_number: str
    given_name: str
    family_name: str
    practice: str
    kind: str
    list_id: str
    detail: str
    status: str
    action_id: int | None
    entry_id: int | None
    coded_since: date | None
    coded_off_on: date | None

    @property
    def name(self) -> str:
        return person_label(self)

    @property
    def actions(self) -> tuple[str, ...]:
        """The one-key actions that fit (none once one was taken)."""
        if self.status != FindingStatus.OPEN:
            return ()
        return ACTIONS.get(FindingKind(self.kind), ())


def _findings_query(run_id: int, kind: str | None, open_only: bool):
    stmt = (
        select(
            CodingFinding.id,
            CodingFinding.version,
            CodingFinding.person_id,
            Person.nhs_number,
            Person.given_name,
            Person.family_name,
            func.coalesce(Practice.short_name, "—"),
            CodingFinding.kind,
            CodingFinding.list_id,
            CodingFinding.detail,
            CodingFinding.status,
            CodingFinding.action_id,
            CodingFinding.entry_id,
            CodingFinding.coded_since,
            CodingFinding.coded_off_on,
        )
        .join(Person, Person.id == CodingFinding.person_id)
        .outerjoin(Practice, Practice.id == CodingFinding.practice_id)
        .where(CodingFinding.run_id == run_id)
    )
    if kind:
        stmt = stmt.where(CodingFinding.kind == kind)
    if open_only:
        stmt = stmt.where(CodingFinding.status == FindingStatus.OPEN)
    return stmt


def count_findings(
    session: Session, run_id: int, *, kind: str | None = None, open_only: bool = False
) -> int:
    access.require(session, access.REPORTS)  # issue 17
    stmt = _findings_query(run_id, kind, open_only).subquery()
    return int(session.scalar(select(func.count()).select_from(stmt)) or 0)


def findings_page(
    session: Session,
    run_id: int,
    offset: int,
    limit: int,
    *,
    kind: str | None = None,
    open_only: bool = False,
) -> list[FindingRow]:
    """A page of the run's findings: by practice, class, list, then name."""
    access.require(session, access.REPORTS)  # issue 17
    stmt = (
        _findings_query(run_id, kind, open_only)
        .order_by(
            CodingFinding.practice_id,
            CodingFinding.kind,
            CodingFinding.list_id,
            Person.family_name,
            Person.given_name,
            CodingFinding.id,
        )
        .offset(offset)
        .limit(limit)
    )
    return [FindingRow(*row) for row in session.execute(stmt).all()]


def practice_names(session: Session) -> dict[int, str]:
    """Practice id -> short name."""
    return dict(session.execute(select(Practice.id, Practice.short_name)).all())


def unsaved_rows(session: Session, findings: Sequence[Finding]) -> list[FindingRow]:
    """Findings of a run not kept (a dry run), as the list would show them (id 0)."""
    names = practice_names(session)
    people: dict[int, tuple[str, str, str]] = {}
    ids = sorted({finding.person_id for finding in findings})
    for chunk in _chunks(ids):
        for pid, number, given, family in session.execute(
            select(Person.id, Person.nhs_number, Person.given_name, Person.family_name).where(
                Person.id.in_(chunk)
            )
        ):
            people[pid] = (number, given, family)
    return [
        FindingRow(
            0,
            0,
            f.person_id,
            *people[f.person_id],
            names.get(f.practice_id, "—") if f.practice_id else "—",
            str(f.kind),
            f.list_id,
            f.detail,
            FindingStatus.OPEN,
            None,
            f.entry_id,
            f.coded_since,
            f.coded_off_on,
        )
        for f in findings
    ]


def finding_row(session: Session, finding_id: int) -> FindingRow | None:
    """One finding as the list shows it (read again after an action)."""
    access.require(session, access.REPORTS)  # issue 17
    run_id = session.scalar(select(CodingFinding.run_id).where(CodingFinding.id == finding_id))
    if run_id is None:
        return None
    row = session.execute(
        _findings_query(run_id, None, False).where(CodingFinding.id == finding_id)
    ).first()
    return FindingRow(*row) if row else None


# -- one-key actions ----------------------------------------------------------------------


def _load(session: Session, finding_id: int, expected_version: int | None) -> CodingFinding:
    finding = session.get(CodingFinding, finding_id)
    check_version(
        session,
        finding,
        "coding_finding",
        expected_version,
        missing=ReportsError,
        conflict=ReportsConflictError,
        gone="That finding no longer exists. Press F5 to reload.",
    )
    assert finding is not None
    if finding.status != FindingStatus.OPEN:
        label = STATUS_LABELS.get(FindingStatus(finding.status), finding.status)
        raise ReportsError(f"This finding is already dealt with ({label})")
    return finding


def _done(finding: CodingFinding, status: FindingStatus, by: str) -> None:
    finding.status = status
    finding.resolved_at = utcnow()
    finding.resolved_by = by[:60]


def _entry(session: Session, finding: CodingFinding) -> RegisterEntry:
    """The register entry the finding is about, as the audit saw it."""
    entry = session.get(RegisterEntry, finding.entry_id) if finding.entry_id else None
    try:
        check_version(
            session,
            entry,
            "register_entry",
            finding.entry_version,
            missing=ReportsError,
            conflict=ReportsConflictError,
            gone="That register entry no longer exists. Press F5 to reload.",
        )
    except ReportsConflictError as exc:  # the audit saw an older entry: say what to do
        raise ReportsConflictError(
            f"{exc} Import the export again to audit the entry as it is now."
        ) from None
    assert entry is not None
    return entry


def _need(finding: CodingFinding, action: str) -> None:
    if action not in ACTIONS.get(FindingKind(finding.kind), ()):
        verbs = {
            "add": "add to our register",
            "end": "end ours",
            "date": "take the code's date",
            "correct": "mark the code to be corrected",
        }
        label = KIND_LABELS[FindingKind(finding.kind)]
        raise ReportsError(f"'{verbs[action]}' does not fit this finding ({label})")


def add_to_register(
    session: Session, finding_id: int, expected_version: int, *, today: date, by: str
) -> RegisterEntry:
    """``a``: put the coded person on our register (the list's ``add_to``), from the date
    of the code. Refused if they are on it already (someone added them meanwhile)."""
    from coordinator_tui.services.registers import (
        RegisterError,
        add_registration,
        category_id_for_code,
    )
    from coordinator_tui.services.reports.code_lists import load_code_lists

    finding = _load(session, finding_id, expected_version)
    _need(finding, "add")
    code_list = load_code_lists().get(finding.list_id)
    if code_list is None or not code_list.add_to:
        raise ReportsError(f"The code list {finding.list_id} names no register to add to")
    try:
        category_id = category_id_for_code(session, code_list.add_to)
        start = min(finding.coded_since or today, today)
        token = add_registration(
            session,
            person_id=finding.person_id,
            category_id=category_id,
            start_date=start,
            today=today,
            by=by,
        )
    except RegisterError as exc:
        raise ReportsError(str(exc)) from None
    finding.entry_id = token.entry_id
    _done(finding, FindingStatus.ADDED, by)
    session.flush()
    return session.get(RegisterEntry, token.entry_id)  # type: ignore[return-value]


def end_ours(
    session: Session,
    finding_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    end_date: date | None = None,
    reason: str = "",
) -> RegisterEntry:
    """``x``: end our registration: by default from the day it was coded off (else today),
    with the reason that the clinical system does not hold the code."""
    from coordinator_tui.services.registers import RegisterError, end_registration

    finding = _load(session, finding_id, expected_version)
    _need(finding, "end")
    entry = _entry(session, finding)
    end_date = end_date or finding.coded_off_on or today
    reason = reason.strip() or (
        f"Coded off in the clinical system on {_day(finding.coded_off_on)} (coding audit)"
        if finding.coded_off_on
        else "Not coded in the clinical system (coding audit)"
    )
    try:
        end_registration(
            session, entry.id, entry.version, today=today, by=by, end_date=end_date, reason=reason
        )
    except RegisterError as exc:
        raise ReportsError(str(exc)) from None
    _done(finding, FindingStatus.ENDED, by)
    session.flush()
    return entry


def use_coded_date(
    session: Session, finding_id: int, expected_version: int, *, today: date, by: str
) -> RegisterEntry:
    """``d``: set our registration's start to the date the clinical system coded it (the
    change is kept as a review note on the entry and in the audit trail)."""
    finding = _load(session, finding_id, expected_version)
    _need(finding, "date")
    entry = _entry(session, finding)
    coded = finding.coded_since
    if coded is None or coded > today:
        raise ReportsError("The code's date is not known or is in the future")
    if entry.end_date is not None and coded > entry.end_date:
        raise ReportsError("The code's date is after our registration ended")
    before = entry.start_date
    entry.start_date = coded
    session.add(
        RegisterReview(
            entry_id=entry.id,
            reviewed_on=today,
            reviewed_by=by[:60],
            action="changed",
            note=f"start date {_day(before)} -> {_day(coded)}, as coded (coding audit)",
            due_before=entry.next_review_due,
        )
    )
    _done(finding, FindingStatus.REDATED, by)
    session.flush()
    return entry


def mark_for_correction(
    session: Session,
    finding_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    owner: str = DEFAULT_CORRECTION_OWNER,
    due: date | None = None,
    note: str = "",
) -> Action:
    """``c``: the code is to be corrected in the clinical system: an action in the shared
    tracker (owner, due date), chased and closed like a meeting's actions."""
    from coordinator_tui.services.owners import owner_directory, parse_owner

    finding = _load(session, finding_id, expected_version)
    _need(finding, "correct")
    match = parse_owner(owner.strip() or DEFAULT_CORRECTION_OWNER, owner_directory(session))
    if not match.ok:
        raise ReportsError(match.problem)
    due = due or today + timedelta(days=CORRECTION_DAYS)
    if due < today:
        raise ReportsError("The due date is in the past")
    label = KIND_LABELS[FindingKind(finding.kind)]
    description = f"Correct the clinical-system coding ({finding.list_id}: {label}): "
    description += finding.detail
    if note.strip():
        description += f". {note.strip()}"
    action = Action(
        person_id=finding.person_id,
        owner_staff_id=match.staff_id,
        owner_label=match.label[:60],
        description=description,
        due_date=due,
    )
    session.add(action)
    session.flush()
    finding.action_id = action.id
    _done(finding, FindingStatus.CORRECTION, by)
    session.flush()
    return action
