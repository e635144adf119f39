"""Import carers, customers and visits from CSV files (``coordinator-tui rota import``).

All or nothing: every row is checked first and one bad row rejects the whole file, with
the row numbers (as a spreadsheet shows them: the header is row 1) and the reasons, and
nothing is written. ``dry_run`` checks and counts without writing. Formats are in the
README; samples ship in ``data/`` (``sample_carers.csv`` and friends).

Carers and customers are matched by name: a name already in the database is updated,
a new name is added. Visits name their customer, who must already exist; a visit whose
end time is earlier than its start ends the next day (a night visit crossing midnight).

A broken file is refused in one line per problem, never with a traceback and never by
guessing: a NUL byte (not a text file), a quote left open (it would swallow the rows
after it into one value), a column named twice, a value over the csv module's field
limit. A date of birth must be a calendar date with its full year: ``+3d``, ``fri`` or
``3/12`` mean a different day depending on when the file is read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Carer,
    CarerSkill,
    Customer,
    CustomerCarerPreference,
    Skill,
    Visit,
)
from coordinator_tui.services.dates import DateParseError, parse_date
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.safe_text import clean_text

KINDS = ("carers", "customers", "visits")
COLUMNS = {
    "carers": (
        "name",
        "gender",
        "date_of_birth",
        "transport_mode",
        "home_postcode",
        "home_lat",
        "home_lon",
        "contracted_hours",
        "wtr_opt_out",
        "skills",
        "night_worker",
        "split_shift_exempt",
        "special_hazards",
        "young_night_contract",
    ),
    "customers": (
        "name",
        "address",
        "postcode",
        "lat",
        "lon",
        "preferred_gender",
        "language",
        "lone_working_risk",
        "access_notes",
        "preferred_carers",
        "excluded_carers",
    ),
    "visits": ("customer", "date", "start", "end", "carers_required", "required_skills", "tasks"),
}
REQUIRED = {
    "carers": ("name",),
    "customers": ("name", "lat", "lon"),
    "visits": ("customer", "date", "start", "end"),
}
# Columns whose value may run over several lines in a spreadsheet cell; any other value
# that does was swallowed by a quote left open.
MULTI_LINE = frozenset({"address", "access_notes", "tasks"})
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}
MAX_ERRORS_SHOWN = 20


class RotaImportError(CoordinatorError):
    """The file was rejected; ``problems`` lists each bad row and why."""

    def __init__(self, kind: str, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = f"{kind} file rejected, nothing imported:\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(text)
        self.problems = problems


@dataclass
class ImportResult:
    kind: str
    added: int = 0
    updated: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return f"{self.kind}: {self.added:,} {verb} added, {self.updated:,} {verb} updated" + (
            " (dry run: nothing written)" if self.dry_run else ""
        )


class _RowError(ValueError):
    pass


def _bool(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise _RowError(f"{column} must be yes or no, not '{text}'")


def _float(text: str, column: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _RowError(f"{column} must be a number, not '{text}'") from None
    if not low <= value <= high:
        raise _RowError(f"{column} must be between {low:g} and {high:g}")
    return value


def _date(text: str, column: str) -> date:
    try:
        return parse_date(text.strip())
    except DateParseError as exc:
        raise _RowError(f"{column}: {exc}") from None


# Another day to read a date against: a date of birth that reads differently against it
# depends on when it is read (relative, a day name, no year).
_ELSEWHEN = date(2001, 6, 15)
_FULL_YEAR = re.compile(r"\d{4}")


def _birth_date(text: str, column: str, today: date) -> date:
    value = _date(text, column)
    try:
        elsewhen = parse_date(text.strip(), today=_ELSEWHEN)
    except DateParseError:
        elsewhen = None
    if elsewhen != value:
        raise _RowError(
            f"{column} must be a calendar date such as 14/03/1988, not '{text}' "
            "(a date counted from today, or one without its year)"
        )
    if not _FULL_YEAR.search(text):
        raise _RowError(f"{column}: write the year in full (14/03/1988), not '{text}'")
    if value > today:
        raise _RowError(f"{column} {uk_date(value)} is in the future")
    return value


def _time(text: str, column: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise _RowError(f"{column} must be a time like 08:30, not '{text}'") from None


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _csv_problem(row: int, line: int, error: csv.Error) -> str:
    """One line for what the csv module could not read, with the row it began on."""
    text = str(error)
    if "field larger than field limit" in text:
        return (
            f"row {row}: a value is longer than the {csv.field_size_limit():,} characters "
            "a CSV value may hold (is a quote left open?)"
        )
    if "unexpected end of data" in text:
        return (
            f'row {row} (line {line}): a quote (") is opened and never closed, so every '
            "line after it would be read into one value"
        )
    if "expected after" in text:
        return (
            f'row {row}: a quote (") ends in the middle of a value: put the whole value '
            'in quotes and double any quote inside it ("")'
        )
    return f"row {row}: not readable as CSV ({text})"


def read_rows(text: str, kind: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their spreadsheet row numbers (a row is a record, however many
    lines its quoted values take); refuses a wrong header and a file the csv module would
    misread (see the module docstring)."""
    if kind not in KINDS:
        raise RotaImportError(kind, [f"unknown kind '{kind}': one of {', '.join(KINDS)}"])
    text = text.lstrip("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise RotaImportError(
            kind,
            [
                f"line {line}: the file holds a NUL byte, so it is not a text CSV file "
                "(save it from the spreadsheet as CSV UTF-8)"
            ],
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise RotaImportError(kind, [_csv_problem(1, 1, exc)]) from None
    missing = [c for c in REQUIRED[kind] if c not in header]
    unknown = [c for c in header if c and c not in COLUMNS[kind]]
    twice = sorted({c for c in header if c and header.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(
            f"row 1: unknown column(s) {', '.join(unknown)} (expected: {', '.join(COLUMNS[kind])})"
        )
    if twice:
        problems.append(f"row 1: column(s) {', '.join(twice)} named more than once")
    if "" in header:
        problems.append(f"row 1: column {header.index('') + 1} has no name")
    if problems:
        raise RotaImportError(kind, problems)
    rows = []
    number = 1
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RotaImportError(kind, [_csv_problem(number + 1, first_line, exc)]) from None
        number += 1
        if len(values) > len(header):
            raise RotaImportError(kind, [f"row {number}: more values than columns"])
        raw = dict(zip(header, values, strict=False))
        if reader.line_num > first_line:
            _check_line_breaks(kind, number, header, raw)
        # Control codes go as the file is read, so every check sees what would be stored.
        row = {
            name: clean_text(value, multiline=name in MULTI_LINE).strip()
            for name, value in raw.items()
        }
        if any(row.values()):
            rows.append((number, row))
    if not rows:
        raise RotaImportError(kind, ["the file has no data rows"])
    return rows


def _check_line_breaks(kind: str, number: int, header: list[str], row: dict[str, str]) -> None:
    """A value over several lines is a quote left open (it swallowed the rows after it)
    unless its column takes several lines and no line of it looks like a row of its own."""
    for column, value in row.items():
        if "\n" not in value and "\r" not in value:
            continue
        lines = value.splitlines()[1:]
        if column not in MULTI_LINE or any(line.count(",") >= len(header) - 1 for line in lines):
            raise RotaImportError(
                kind,
                [
                    f"row {number}: the {column} value runs over {len(lines) + 1} lines: "
                    'a quote (") opened in it is not closed where the value ends'
                ],
            )


def import_csv(
    session: Session, kind: str, text: str, *, today: date, dry_run: bool = False
) -> ImportResult:
    """Check every row, then (unless ``dry_run``) write them all in the caller's session.
    ``today`` (default: today in the UK) is when a date of birth must not be after."""
    rows = read_rows(text, kind)
    result = ImportResult(kind, dry_run=dry_run)
    if kind == "carers":
        problems = _carers(session, rows, result, today)
    else:
        handler = {"customers": _customers, "visits": _visits}[kind]
        problems = handler(session, rows, result)
    if problems:
        session.rollback()
        raise RotaImportError(kind, problems)
    if dry_run:
        session.rollback()
    else:
        session.flush()
    return result


def _check_rows(
    kind: str, rows: list[tuple[int, dict[str, str]]], parse: Callable[[dict[str, str]], Any]
) -> tuple[list[tuple[int, Any]], list[str]]:
    parsed, problems = [], []
    seen: dict[str, int] = {}
    for number, row in rows:
        try:
            for column in REQUIRED[kind]:
                if not row.get(column):
                    raise _RowError(f"{column} is required")
            key = row.get("name")
            if key is not None:
                if key.lower() in seen:
                    raise _RowError(f"'{key}' is also on row {seen[key.lower()]}")
                seen[key.lower()] = number
            parsed.append((number, parse(row)))
        except _RowError as exc:
            problems.append(f"row {number}: {exc}")
    return parsed, problems


def _upsert_by_name(session: Session, model, existing: dict, values: dict, result: ImportResult):
    """The row named ``values["name"]`` updated, or added when the name is new."""
    row = existing.get(values["name"].lower())
    if row is None:
        row = existing[values["name"].lower()] = model(**values)
        session.add(row)
        session.flush()
        result.added += 1
    else:
        for name, value in values.items():
            setattr(row, name, value)
        result.updated += 1
    return row


def _carers(session: Session, rows, result: ImportResult, today: date) -> list[str]:
    skills = {code.upper(): sid for sid, code in session.execute(select(Skill.id, Skill.code))}

    def parse(row: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {"name": row["name"][:120]}
        if row.get("gender"):
            values["gender"] = row["gender"].lower()[:20]
        if row.get("date_of_birth"):
            values["date_of_birth"] = _birth_date(row["date_of_birth"], "date_of_birth", today)
        if row.get("transport_mode"):
            mode = row["transport_mode"].lower()
            if mode not in ("walk", "drive"):
                raise _RowError(f"transport_mode must be walk or drive, not '{mode}'")
            values["transport_mode"] = mode
        if row.get("home_postcode"):
            values["home_postcode"] = row["home_postcode"].upper()[:10]
        if row.get("home_lat"):
            values["home_lat"] = _float(row["home_lat"], "home_lat", 49.0, 61.0)
        if row.get("home_lon"):
            values["home_lon"] = _float(row["home_lon"], "home_lon", -9.0, 2.5)
        if row.get("contracted_hours"):
            values["contracted_hours"] = _float(row["contracted_hours"], "contracted_hours", 0, 60)
        if "wtr_opt_out" in row:
            values["wtr_opt_out"] = _bool(row["wtr_opt_out"], "wtr_opt_out")
        # Working Time Regulations as the agency records them (services/rota/carer_wtr.py):
        # a night worker yes or no, or blank/"infer" for the checker to infer (reg 2).
        if "night_worker" in row:
            text = row["night_worker"].strip().lower()
            infer = text in ("", "infer", "inferred")
            values["night_worker"] = None if infer else _bool(text, "night_worker")
        for flag in ("split_shift_exempt", "special_hazards", "young_night_contract"):
            if flag in row:
                values[flag] = _bool(row[flag], flag)
        held = []
        for item in _names(row.get("skills", "")):
            code, _, expiry = item.partition(":")
            if code.strip().upper() not in skills:
                raise _RowError(f"unknown skill '{code.strip()}' (known: {', '.join(skills)})")
            expires = _date(expiry, f"expiry of {code.strip()}") if expiry.strip() else None
            held.append((skills[code.strip().upper()], expires))
        return {"values": values, "skills": held}

    parsed, problems = _check_rows("carers", rows, parse)
    if problems:
        return problems
    existing = {c.name.lower(): c for c in session.scalars(select(Carer))}
    for _, item in parsed:
        carer = _upsert_by_name(session, Carer, existing, item["values"], result)
        held = {
            s.skill_id: s
            for s in session.scalars(select(CarerSkill).where(CarerSkill.carer_id == carer.id))
        }
        for skill_id, expires in item["skills"]:
            if skill_id in held:
                held[skill_id].expires_on = expires
            else:
                session.add(CarerSkill(carer_id=carer.id, skill_id=skill_id, expires_on=expires))
    return []


def _customers(session: Session, rows, result: ImportResult) -> list[str]:
    carers = {name.lower(): cid for cid, name in session.execute(select(Carer.id, Carer.name))}

    def carer_ids(text: str, column: str) -> list[int]:
        ids = []
        for name in _names(text):
            if name.lower() not in carers:
                raise _RowError(f"{column}: no carer called '{name}'")
            ids.append(carers[name.lower()])
        return ids

    def parse(row: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": row["name"][:120],
            "lat": _float(row["lat"], "lat", 49.0, 61.0),
            "lon": _float(row["lon"], "lon", -9.0, 2.5),
        }
        for column, limit in (("address", 200), ("language", 40), ("access_notes", 300)):
            if row.get(column):
                values[column] = row[column][:limit]
        if row.get("postcode"):
            values["postcode"] = row["postcode"].upper()[:10]
        if row.get("preferred_gender"):
            gender = row["preferred_gender"].lower()
            if gender not in ("female", "male"):
                raise _RowError(f"preferred_gender must be female, male or blank, not '{gender}'")
            values["preferred_gender"] = gender
        if "lone_working_risk" in row:
            values["lone_working_risk"] = _bool(row["lone_working_risk"], "lone_working_risk")
        preferred = carer_ids(row.get("preferred_carers", ""), "preferred_carers")
        excluded = carer_ids(row.get("excluded_carers", ""), "excluded_carers")
        if set(preferred) & set(excluded):
            raise _RowError("a carer cannot be both preferred and excluded")
        return {"values": values, "preferred": preferred, "excluded": excluded}

    parsed, problems = _check_rows("customers", rows, parse)
    if problems:
        return problems
    existing = {c.name.lower(): c for c in session.scalars(select(Customer))}
    for _, item in parsed:
        customer = _upsert_by_name(session, Customer, existing, item["values"], result)
        prefs = {
            p.carer_id: p
            for p in session.scalars(
                select(CustomerCarerPreference).where(
                    CustomerCarerPreference.customer_id == customer.id
                )
            )
        }
        for kind in ("preferred", "excluded"):
            for carer_id in item[kind]:
                if carer_id in prefs:
                    prefs[carer_id].kind = kind
                else:
                    session.add(
                        CustomerCarerPreference(
                            customer_id=customer.id, carer_id=carer_id, kind=kind
                        )
                    )
    return []


def _visits(session: Session, rows, result: ImportResult) -> list[str]:
    names: dict[str, list[int]] = {}
    for cid, name in session.execute(select(Customer.id, Customer.name)):
        names.setdefault(name.lower(), []).append(cid)
    skills = {code.upper() for code in session.scalars(select(Skill.code))}

    def parse(row: dict[str, str]) -> dict[str, Any]:
        matches = names.get(row["customer"].lower(), [])
        if not matches:
            raise _RowError(f"no customer called '{row['customer']}'")
        if len(matches) > 1:
            raise _RowError(f"{len(matches)} customers are called '{row['customer']}'")
        day = _date(row["date"], "date")
        start, end = _time(row["start"], "start"), _time(row["end"], "end")
        if end == start:
            raise _RowError("end must differ from start")
        required = int(_float(row.get("carers_required") or "1", "carers_required", 1, 2))
        needed = [code.upper() for code in _names(row.get("required_skills", ""))]
        unknown = [code for code in needed if code not in skills]
        if unknown:
            raise _RowError(f"unknown skill(s) {', '.join(unknown)}")
        # An end before the start is the next day's (a night visit, 22:00 to 07:00); both
        # are UK wall-clock times, whatever a clock change in between does to the length.
        ends_on = day + timedelta(days=1) if end < start else day
        return {
            "customer_id": matches[0],
            "visit_date": day,
            "start_at": datetime.combine(day, start, tzinfo=UK),
            "end_at": datetime.combine(ends_on, end, tzinfo=UK),
            "carers_required": required,
            "required_skills": ",".join(needed),
            "tasks": row.get("tasks", "")[:300],
        }

    parsed, problems = _check_rows("visits", rows, parse)
    if problems:
        return problems
    for _, values in parsed:
        session.add(Visit(**values))
        result.added += 1
    if parsed:
        first = min(v["visit_date"] for _, v in parsed)
        last = max(v["visit_date"] for _, v in parsed)
        if last - first > timedelta(days=6):
            result.notes.append(f"visits span {uk_date(first)} to {uk_date(last)}")
    return []
