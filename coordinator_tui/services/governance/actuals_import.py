"""The call-monitoring import (issue 14 §4): the actual times of visits from an electronic
call monitoring (ECM) system's CSV export (``coordinator-tui visits import-actuals``).

A row names its visit either by our visit number (``visit_id``: the reference the ECM
system holds when it is fed from this rota) or by the customer, the planned start (a
date and a time, or one date-and-time) and, where the customer has two visits then, the
carer. It gives the check-in and check-out (a time on the row's date, or a date and
time), where they came from (``source``: the ECM system's method, app, IVR telephony,
NFC tag; the words an ECM system uses for times typed or amended by the office are
stored as ``typed``, which the KPI pack's call logging does not count) and the carer's
note. Column names are recognised in any case or spacing as ECM systems export them
(``Visit ID``, ``Service User``, ``Care Worker``, ``Scheduled Start``, ``Check In``,
``Clock Out``, ``Call Type``, ``Notes``...).

All or nothing, like the rota import, with its CSV hygiene: a NUL byte, a quote left
open, a column named twice or a value over the field limit refuses the file in one line
naming the row; any bad row refuses the file, one line per row, and nothing is written.
Importing the same file again changes nothing (each visit is written only where the file
says something new), so a re-export of a whole month can be imported over the last one.
Every change goes through the session (audited), and the import itself is a note in the
audit trail (how many rows, no names).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, to_local
from coordinator_tui.formatting import uk_date, uk_time
from coordinator_tui.models import Carer, Customer, Visit, VisitAssignment, VisitStatus, utcnow
from coordinator_tui.models.governance import VisitRecord
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.safe_text import clean_text

MAX_ERRORS_SHOWN = 20
NOTE_MAX = 2000
DEFAULT_SOURCE = "ecm"
TYPED_WORDS = frozenset(
    {"typed", "manual", "manually", "office", "amended", "edited", "override", "adjusted"}
)
"""Sources that say the office typed or changed the time: stored as ``typed``."""

FIELDS = (
    "visit_id",
    "customer",
    "carer",
    "date",
    "planned_start",
    "actual_start",
    "actual_end",
    "source",
    "note",
)
FIELD_NAMES = {
    "visit_id": "the visit reference",
    "customer": "the customer",
    "carer": "the carer",
    "date": "the visit's date",
    "planned_start": "the planned start",
    "actual_start": "the actual start (check-in)",
    "actual_end": "the actual end (check-out)",
    "source": "the source",
    "note": "the carer's note",
}
ALIASES: dict[str, frozenset[str]] = {
    "visit_id": frozenset(
        {
            "visitid",
            "visit",
            "visitref",
            "visitreference",
            "visitno",
            "visitnumber",
            "callid",
            "bookingid",
            "scheduleid",
            "rotavisitid",
        }
    ),
    "customer": frozenset(
        {
            "customer",
            "customername",
            "serviceuser",
            "serviceusername",
            "client",
            "clientname",
            "su",
            "suname",
        }
    ),
    "carer": frozenset(
        {"carer", "carername", "careworker", "careworkername", "staff", "staffname", "worker"}
    ),
    "date": frozenset({"date", "visitdate", "planneddate", "scheduleddate", "calldate"}),
    "planned_start": frozenset(
        {
            "plannedstart",
            "plannedtime",
            "plannedstarttime",
            "scheduledstart",
            "scheduledtime",
            "scheduledstarttime",
            "rotastart",
            "rotatime",
            "start",
        }
    ),
    "actual_start": frozenset(
        {
            "actualstart",
            "actualstarttime",
            "checkin",
            "checkintime",
            "clockin",
            "clockintime",
            "login",
            "logintime",
            "timein",
            "arrived",
            "arrival",
        }
    ),
    "actual_end": frozenset(
        {
            "actualend",
            "actualendtime",
            "checkout",
            "checkouttime",
            "clockout",
            "clockouttime",
            "logout",
            "logouttime",
            "timeout",
            "departed",
            "departure",
            "left",
        }
    ),
    "source": frozenset(
        {"source", "method", "calltype", "checkinmethod", "monitoringmethod", "logtype", "device"}
    ),
    "note": frozenset(
        {
            "note",
            "notes",
            "carernote",
            "carernotes",
            "visitnote",
            "visitnotes",
            "comment",
            "comments",
        }
    ),
}
DATETIME_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
)
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
TIME_FORMATS = ("%H:%M", "%H:%M:%S")


class ActualsImportError(GovernanceError):
    """The file was refused, nothing imported; ``problems`` lists each bad row."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        head = "call-monitoring file refused, nothing imported:"
        text = f"{head} {shown[0]}" if len(problems) == 1 else f"{head}\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(text)
        self.problems = problems


class _RowError(ValueError):
    pass


@dataclass(frozen=True)
class ActualRow:
    """One row as read: which visit (``visit_id``, or the customer, planned start and
    carer), and what happened (times as UK wall-clock datetimes)."""

    row: int
    visit_id: int | None
    customer: str
    carer: str
    planned: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    source: str
    note: str


@dataclass
class ActualsResult:
    """What the import did (or would do, ``dry_run``)."""

    rows: int = 0
    recorded: int = 0
    unchanged: int = 0
    no_times: int = 0
    flagged: int = 0
    replaced_missed: int = 0
    dry_run: bool = False
    columns: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        text = (
            f"{self.rows:,} rows: {self.recorded:,} visits {verb} recorded, "
            f"{self.unchanged:,} unchanged (imported before)"
        )
        if self.no_times:
            text += f", {self.no_times:,} with no check-in (left for the day's visits)"
        if self.replaced_missed:
            text += f", {self.replaced_missed:,} recorded missed before: the check-in replaces it"
        if self.flagged:
            text += f"; {self.flagged:,} carers' notes flagged for the coordinator"
        return text + (" (dry run: nothing written)" if self.dry_run else "")

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "recorded": self.recorded,
            "unchanged": self.unchanged,
            "no_times": self.no_times,
            "replaced_missed": self.replaced_missed,
            "notes_flagged": self.flagged,
            "dry_run": self.dry_run,
            "columns": self.columns,
        }


# -- reading ------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    names = [_norm(name) for name in header]
    found: dict[str, int] = {}
    problems: list[str] = []
    for key in FIELDS:
        matches = [i for i, name in enumerate(names) if name in ALIASES[key]]
        if len(matches) > 1:
            problems.append(
                f"{len(matches)} columns could be {FIELD_NAMES[key]} "
                f"({', '.join(header[i].strip() for i in matches)})"
            )
        elif matches:
            found[key] = matches[0]
    if "actual_start" not in found and not any("actual start" in p for p in problems):
        problems.append("no column for the actual start (e.g. Actual start, Check in, Clock in)")
    if "visit_id" not in found and not {"customer", "planned_start"} <= found.keys():
        problems.append(
            "no column for the visit: a visit reference (Visit ID), or the customer and the "
            "planned start (Service user, Scheduled start)"
        )
    return found, problems


def _moment(text: str, day: date | None, what: str) -> datetime:
    """A UK wall-clock moment: a date and time, or a time on ``day``."""
    value = text.strip()
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UK)
        except ValueError:
            continue
    for fmt in TIME_FORMATS:
        try:
            clock = datetime.strptime(value, fmt).time()
        except ValueError:
            continue
        if day is None:
            raise _RowError(f"{what} '{value[:20]}' is a time with no date column to place it")
        return datetime.combine(day, clock, tzinfo=UK)
    raise _RowError(
        f"{what} '{value[:20]}' is not a time (08:05) or a date and time (30/11/2026 08:05)"
    )


def _day(text: str) -> date:
    value = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise _RowError(f"date '{value[:20]}' is not a calendar date (30/11/2026 or 2026-11-30)")


def _source(text: str) -> str:
    words = clean_text(text, multiline=False).strip().lower()
    if not words:
        return DEFAULT_SOURCE
    if set(re.split(r"[^a-z]+", words)) & TYPED_WORDS:
        return "typed"
    return words[:20]


def _parse(number: int, values: list[str], index: dict[str, int]) -> ActualRow | None:
    """One data row, or None when it names no times and no note (the ECM system lists
    visits with no check-in too: the day's visits view follows those up)."""

    def get(key: str) -> str:
        i = index.get(key)
        return values[i].strip() if i is not None and i < len(values) else ""

    visit_text = get("visit_id")
    visit_id = None
    if visit_text:
        digits = visit_text.upper().removeprefix("V").removeprefix("-").strip()
        if not digits.isdigit() or len(digits) > 12:
            raise _RowError(f"visit reference '{visit_text[:20]}' is not a visit number")
        visit_id = int(digits)
    customer = clean_text(get("customer"), multiline=False).strip()
    carer = clean_text(get("carer"), multiline=False).strip()
    day = _day(get("date")) if get("date") else None
    planned = None
    if get("planned_start"):
        planned = _moment(get("planned_start"), day, "the planned start")
        day = day or planned.date()
    if visit_id is None:
        if not customer:
            raise _RowError("no visit reference and no customer")
        if planned is None:
            raise _RowError("no visit reference and no planned start")
    start_text, end_text = get("actual_start"), get("actual_end")
    note = clean_text(get("note"), multiline=True).strip()[:NOTE_MAX]
    if not start_text and not end_text and not note:
        return None
    if end_text and not start_text:
        raise _RowError("a check-out with no check-in")
    start = _moment(start_text, day, "the actual start") if start_text else None
    end = (
        _moment(end_text, day or (start.date() if start else None), "the actual end")
        if (end_text)
        else None
    )
    if start is not None and end is not None and end <= start:
        if ":" in end_text and "/" not in end_text and "-" not in end_text:
            end += timedelta(days=1)  # times only: a check-out after midnight
        else:
            raise _RowError("the check-out is not after the check-in")
    return ActualRow(
        number,
        visit_id,
        customer,
        carer,
        planned,
        start,
        end,
        _source(get("source")),
        note,
    )


def _csv_problem(row: int, line: int, error: csv.Error) -> str:
    from coordinator_tui.services.rota_import import _csv_problem as rota_csv_problem

    return rota_csv_problem(row, line, error)


def read_actuals(text: str) -> tuple[list[ActualRow], int, dict[str, str]]:
    """The rows that say something, the number of data rows, and which column was read
    as what. Refuses (:class:`ActualsImportError`) a file the csv module would misread
    or a bad row (every bad row listed)."""
    text = text.lstrip("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ActualsImportError(
            [
                f"line {line}: the file holds a NUL byte, so it is not a text CSV file "
                "(export it from the call-monitoring system as CSV)"
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ActualsImportError([_csv_problem(1, 1, exc)]) from None
    if not header or not any(h.strip() for h in header):
        raise ActualsImportError(["row 1: the file is empty (no header row)"])
    named = [name.strip() for name in header]
    keys = [_norm(n) for n in named]
    twice = sorted({n for n, k in zip(named, keys, strict=True) if k and keys.count(k) > 1})
    if twice:
        raise ActualsImportError([f"row 1: column(s) {', '.join(twice)} named more than once"])
    index, problems = _find_columns(header)
    if problems:
        raise ActualsImportError(["row 1: " + "; ".join(problems)])
    note_i = index.get("note")
    rows: list[ActualRow] = []
    problems = []
    count = 0
    number = 1
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ActualsImportError([_csv_problem(number + 1, first_line, exc)]) from None
        number += 1
        if reader.line_num > first_line:
            multi = [i for i, v in enumerate(values) if "\n" in v or "\r" in v]
            if any(i != note_i for i in multi) or any(
                line.count(",") >= len(header) - 1 for line in values[note_i].splitlines()[1:]
            ):
                raise ActualsImportError(
                    [
                        f"row {number} (line {first_line}): a value runs over "
                        f'{reader.line_num - first_line + 1} lines: a quote (") opened in it '
                        "is not closed where the value ends"
                    ]
                )
        if not any(v.strip() for v in values):
            continue
        count += 1
        if len(values) > len(header):
            problems.append(f"row {number}: more values than columns")
            continue
        try:
            row = _parse(number, values, index)
        except _RowError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if row is not None:
            rows.append(row)
    if problems:
        raise ActualsImportError(problems)
    if not count:
        raise ActualsImportError(["the file has no data rows"])
    return rows, count, {key: named[i] for key, i in index.items()}


# -- matching and writing -----------------------------------------------------------------


def _chunks(items: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Visit:
    id: int
    customer_id: int
    customer: str
    day: date
    start: datetime
    status: str
    carers: list[str] = field(default_factory=list)


def _load_visits(session: Session, rows: list[ActualRow]) -> dict[int, _Visit]:
    """The visits the rows may name: by number, and every visit of the named customers on
    the rows' days (narrow selects)."""
    query = select(
        Visit.id,
        Visit.customer_id,
        Customer.name,
        Visit.visit_date,
        Visit.start_at,
        Visit.status,
    ).join(Customer, Customer.id == Visit.customer_id)
    found: dict[int, _Visit] = {}
    ids = sorted({r.visit_id for r in rows if r.visit_id is not None})
    for chunk in _chunks(ids):
        for row in session.execute(query.where(Visit.id.in_(chunk))):
            found[row[0]] = _Visit(*row)
    names = sorted({r.customer.lower() for r in rows if r.visit_id is None})
    days = sorted({r.planned.date() for r in rows if r.visit_id is None and r.planned})
    if names and days:
        customer_ids = []
        for part in _chunks(names):  # type: ignore[arg-type]
            customer_ids += list(
                session.scalars(select(Customer.id).where(func.lower(Customer.name).in_(part)))
            )
        low, high = days[0] - timedelta(days=1), days[-1] + timedelta(days=1)
        for chunk in _chunks(sorted(set(customer_ids))):
            for row in session.execute(
                query.where(
                    Visit.customer_id.in_(chunk),
                    Visit.visit_date >= low,
                    Visit.visit_date <= high,
                )
            ):
                found[row[0]] = _Visit(*row)
    visit_ids = sorted(found)
    for chunk in _chunks(visit_ids):
        for visit_id, name in session.execute(
            select(VisitAssignment.visit_id, Carer.name)
            .join(Carer, Carer.id == VisitAssignment.carer_id)
            .where(VisitAssignment.visit_id.in_(chunk))
            .order_by(VisitAssignment.visit_id, VisitAssignment.slot)
        ):
            found[visit_id].carers.append(name)
    return found


def _match(
    row: ActualRow,
    visits: dict[int, _Visit],
    by_customer: dict[tuple[str, datetime], list[_Visit]],
) -> _Visit:
    if row.visit_id is not None:
        visit = visits.get(row.visit_id)
        if visit is None:
            raise _RowError(f"there is no visit {row.visit_id}")
        if row.customer and row.customer.lower() != visit.customer.lower():
            raise _RowError(f"visit {row.visit_id} is another customer's")
        return visit
    assert row.planned is not None
    candidates = by_customer.get((row.customer.lower(), row.planned), [])
    if len(candidates) > 1 and row.carer:
        candidates = [v for v in candidates if row.carer.lower() in (c.lower() for c in v.carers)]
    when = f"{row.planned:%H:%M} on {uk_date(row.planned.date())}"
    if not candidates:
        raise _RowError(f"no visit of that customer planned at {when}")
    if len(candidates) > 1:
        raise _RowError(
            f"{len(candidates)} visits of that customer are planned at {when}: "
            "give the carer or the visit reference"
        )
    return candidates[0]


def import_actuals(
    session: Session,
    text: str,
    *,
    by: str,
    now: datetime,
    dry_run: bool = False,
) -> ActualsResult:
    """Check every row against the visits, then (unless ``dry_run``) record each visit's
    actual times, source and note in the caller's session; the caller commits. ``now``:
    no time may be after it."""
    from coordinator_tui.audit import record_note
    from coordinator_tui.services.governance.note_flags import flag_words

    rows, count, columns = read_actuals(text)
    result = ActualsResult(rows=count, dry_run=dry_run, columns=columns)
    visits = _load_visits(session, rows)
    by_customer: dict[tuple[str, datetime], list[_Visit]] = {}
    for visit in visits.values():
        key = (visit.customer.lower(), to_local(visit.start).replace(second=0, microsecond=0))
        by_customer.setdefault(key, []).append(visit)
    problems: list[str] = []
    seen: dict[int, int] = {}
    matched: list[tuple[ActualRow, _Visit]] = []
    for row in rows:
        try:
            visit = _match(row, visits, by_customer)
            if visit.id in seen:
                raise _RowError(f"the same visit as row {seen[visit.id]}")
            seen[visit.id] = row.row
            if visit.status == VisitStatus.CANCELLED:
                raise _RowError(f"visit {visit.id} was cancelled")
            for moment, what in ((row.actual_start, "check-in"), (row.actual_end, "check-out")):
                if moment is not None and moment > now:
                    raise _RowError(
                        f"the {what} {uk_time(moment)} {uk_date(moment)} is in the future"
                    )
            if row.actual_start is not None and abs((row.actual_start.date() - visit.day).days) > 1:
                raise _RowError(
                    f"the check-in {uk_date(row.actual_start.date())} is not on the visit's "
                    f"day ({uk_date(visit.day)})"
                )
        except _RowError as exc:
            problems.append(f"row {row.row}: {exc}")
            continue
        matched.append((row, visit))
    if problems:
        raise ActualsImportError(problems)
    result.no_times = sum(1 for row, _ in matched if row.actual_start is None)
    records: dict[int, VisitRecord] = {}
    ids = sorted(visit.id for _, visit in matched)
    for chunk in _chunks(ids):
        for record in session.scalars(select(VisitRecord).where(VisitRecord.visit_id.in_(chunk))):
            records[record.visit_id] = record
    full: dict[int, Visit] = {}
    for chunk in _chunks(ids):
        for visit_row in session.scalars(select(Visit).where(Visit.id.in_(chunk))):
            full[visit_row.id] = visit_row
    for row, visit in matched:
        record = records.get(visit.id)
        target = full[visit.id]
        flags = flag_words(row.note) if row.note else (record.note_flags if record else "")
        changed = _apply(target, record, row, flags)
        if changed:
            result.recorded += 1
            if visit.status == VisitStatus.MISSED and row.actual_start is not None:
                result.replaced_missed += 1
            if row.note and flags and (record is None or record.carer_note != row.note):
                result.flagged += 1
        else:
            result.unchanged += 1
        if dry_run or not changed:
            continue
        if row.actual_start is not None:
            target.actual_start = row.actual_start
            target.actual_end = row.actual_end
            target.status = VisitStatus.DONE if row.actual_end is not None else VisitStatus.PLANNED
        if record is None:
            record = records[visit.id] = VisitRecord(visit_id=visit.id)
            session.add(record)
        if row.actual_start is not None:
            record.missed_reason = ""
            record.source = row.source
        if row.note and row.note != record.carer_note:
            record.carer_note = row.note
            record.note_flags = flags
            record.note_outcome = ""
            record.note_ref_id = None
            record.note_reviewed_by = ""
        record.recorded_by = by[:60]
    if not dry_run:
        session.flush()
        record_note(
            session,
            "visit",
            "call-monitoring import",
            rows=result.rows,
            recorded=result.recorded,
            unchanged=result.unchanged,
        )
    return result


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b


def _apply(visit: Visit, record: VisitRecord | None, row: ActualRow, flags: str) -> bool:
    """Whether the row says something the visit does not hold yet."""
    if row.actual_start is not None:
        status = VisitStatus.DONE if row.actual_end is not None else VisitStatus.PLANNED
        if not (
            _same(visit.actual_start, row.actual_start)
            and _same(visit.actual_end, row.actual_end)
            and visit.status == status
        ):
            return True
        if record is None or record.source != row.source or record.missed_reason:
            return True
    if row.note:
        return record is None or record.carer_note != row.note
    return False


def now_for_import() -> datetime:
    """Now, for refusing times in the future (a minute's grace for clocks that differ)."""
    return utcnow() + timedelta(minutes=1)
