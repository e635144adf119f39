"""Import carers, customers and visits from CSV files (``coordinator-tui rota import``).

All or nothing: every row is checked first and one bad row rejects the whole file, with
the row numbers (as a spreadsheet shows them: the header is row 1) and the reasons, and
nothing is written. ``dry_run`` checks and counts without writing. Formats are in the
README; samples ship in ``data/`` (``sample_carers.csv`` and friends).

Carers and customers are matched by name: a name already in the database is updated,
a new name is added. Visits name their customer, who must already exist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Carer,
    CarerSkill,
    Customer,
    CustomerCarerPreference,
    Skill,
    Visit,
)
from coordinator_tui.services.clock import UK
from coordinator_tui.services.dates import DateParseError, parse_date
from coordinator_tui.services.errors import CoordinatorError

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


def _time(text: str, column: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise _RowError(f"{column} must be a time like 08:30, not '{text}'") from None


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def read_rows(text: str, kind: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their spreadsheet row numbers; refuses a wrong header."""
    if kind not in KINDS:
        raise RotaImportError(kind, [f"unknown kind '{kind}': one of {', '.join(KINDS)}"])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED[kind] if c not in header]
    unknown = [c for c in header if c not in COLUMNS[kind]]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"row 1: missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(
                f"row 1: unknown column(s) {', '.join(unknown)} "
                f"(expected: {', '.join(COLUMNS[kind])})"
            )
        raise RotaImportError(kind, problems)
    rows = []
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            raise RotaImportError(kind, [f"row {number}: more values than columns"])
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        if any(row.values()):
            rows.append((number, row))
    if not rows:
        raise RotaImportError(kind, ["the file has no data rows"])
    return rows


def import_csv(session: Session, kind: str, text: str, *, dry_run: bool = False) -> ImportResult:
    """Check every row, then (unless ``dry_run``) write them all in the caller's session."""
    rows = read_rows(text, kind)
    handler: Callable[[Session, list[tuple[int, dict[str, str]]], ImportResult], list[str]]
    handler = {"carers": _carers, "customers": _customers, "visits": _visits}[kind]
    result = ImportResult(kind, dry_run=dry_run)
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


def _carers(session: Session, rows, result: ImportResult) -> list[str]:
    skills = {code.upper(): sid for sid, code in session.execute(select(Skill.id, Skill.code))}

    def parse(row: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {"name": row["name"][:120]}
        if row.get("gender"):
            values["gender"] = row["gender"].lower()[:20]
        if row.get("date_of_birth"):
            values["date_of_birth"] = _date(row["date_of_birth"], "date_of_birth")
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
        if end <= start:
            raise _RowError("end must be after start")
        required = int(_float(row.get("carers_required") or "1", "carers_required", 1, 2))
        needed = [code.upper() for code in _names(row.get("required_skills", ""))]
        unknown = [code for code in needed if code not in skills]
        if unknown:
            raise _RowError(f"unknown skill(s) {', '.join(unknown)}")
        begins = datetime.combine(day, start, tzinfo=UK)
        return {
            "customer_id": matches[0],
            "visit_date": day,
            "start_at": begins,
            "end_at": begins + (datetime.combine(day, end) - datetime.combine(day, start)),
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
            result.notes.append(f"visits span {first:%d/%m/%Y} to {last:%d/%m/%Y}")
    return []
