"""Reference data: register categories and referral types, read from ``data/``.

The files ship inside the package (``coordinator_tui.refdata``). A practice can override
either by putting a file of the same name beside its database; a broken file is refused
with a message naming the file and the entry, never half-read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import RegisterCategory, Skill

CATEGORIES_FILE = "register_categories.json"
REFERRAL_TYPES_FILE = "referral_types.json"
SKILLS_FILE = "skills.json"
AGE_BANDS = ("child", "adult", "any")


_practice_dir: Path | None = None


def use_practice_dir(path: Path | None) -> None:
    """Read reference files from ``path`` first: the folder holding the practice's
    database, where a practice keeps its own ``register_categories.json`` or
    ``referral_types.json``. Set once when the database is opened."""
    global _practice_dir
    _practice_dir = path


def practice_dir() -> Path | None:
    return _practice_dir


class ReferenceDataError(ValueError):
    """A reference file is missing, not JSON, or has a bad entry."""


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    age_band: str
    review_interval_days: int
    snomed_on: str
    snomed_off: str
    hide_from_online_access: bool
    sort_order: int
    source: str


@dataclass(frozen=True)
class ReferralTypeSpec:
    code: str
    name: str
    expected_response_working_days: int
    source: str
    meets: str = ""  # RFC 5545 RRULE of the panel's meetings (MARAC), if it has them


def _read(name: str, override_dir: Path | None) -> tuple[str, Any]:
    override_dir = override_dir if override_dir is not None else _practice_dir
    if override_dir is not None and (override_dir / name).is_file():
        path = override_dir / name
        label, text = str(path), path.read_text(encoding="utf-8")
    else:
        try:
            text = resources.files("coordinator_tui.refdata").joinpath(name).read_text("utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            text = (Path(__file__).resolve().parents[2] / "data" / name).read_text("utf-8")
        label = name
    try:
        return label, json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{label}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def _entries(label: str, data: Any, key: str) -> list[dict[str, Any]]:
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ReferenceDataError(f"{label}: needs a non-empty list '{key}'")
    return entries


def _field(label: str, index: int, entry: Any, name: str, kind: type) -> Any:
    if not isinstance(entry, dict) or name not in entry:
        raise ReferenceDataError(f"{label}: entry {index + 1} has no '{name}'")
    value = entry[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ReferenceDataError(f"{label}: entry {index + 1} '{name}' must be a whole number")
    if kind is not int and not isinstance(value, kind):
        raise ReferenceDataError(f"{label}: entry {index + 1} '{name}' must be {kind.__name__}")
    return value


def _check_unique(label: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ReferenceDataError(f"{label}: code '{code}' appears twice")
        seen.add(code)


def load_register_categories(override_dir: Path | None = None) -> list[CategorySpec]:
    """The register categories, validated."""
    label, data = _read(CATEGORIES_FILE, override_dir)
    specs = []
    for index, entry in enumerate(_entries(label, data, "categories")):
        spec = CategorySpec(
            code=_field(label, index, entry, "code", str),
            name=_field(label, index, entry, "name", str),
            age_band=_field(label, index, entry, "age_band", str),
            review_interval_days=_field(label, index, entry, "review_interval_days", int),
            snomed_on=str(entry.get("snomed_on", "")),
            snomed_off=str(entry.get("snomed_off", "")),
            hide_from_online_access=bool(entry.get("hide_from_online_access", False)),
            sort_order=int(entry.get("sort_order", index)),
            source=str(entry.get("source", "")),
        )
        if spec.age_band not in AGE_BANDS:
            raise ReferenceDataError(
                f"{label}: entry {index + 1} age_band must be one of {', '.join(AGE_BANDS)}"
            )
        if spec.review_interval_days <= 0:
            raise ReferenceDataError(f"{label}: entry {index + 1} review interval must be > 0")
        specs.append(spec)
    _check_unique(label, [spec.code for spec in specs])
    return specs


def load_referral_types(override_dir: Path | None = None) -> list[ReferralTypeSpec]:
    """The referral types with their expected response in working days, validated."""
    label, data = _read(REFERRAL_TYPES_FILE, override_dir)
    specs = []
    for index, entry in enumerate(_entries(label, data, "types")):
        spec = ReferralTypeSpec(
            code=_field(label, index, entry, "code", str),
            name=_field(label, index, entry, "name", str),
            expected_response_working_days=_field(
                label, index, entry, "expected_response_working_days", int
            ),
            source=str(entry.get("source", "")),
            meets=str(entry.get("meets", "")),
        )
        if spec.meets:
            from dateutil.rrule import rrulestr

            try:
                rrulestr(spec.meets)
            except (ValueError, TypeError) as exc:
                raise ReferenceDataError(
                    f"{label}: entry {index + 1} 'meets' is not a recurrence rule ({exc})"
                ) from exc
        if spec.expected_response_working_days < 0:
            raise ReferenceDataError(f"{label}: entry {index + 1} response days must be >= 0")
        specs.append(spec)
    _check_unique(label, [spec.code for spec in specs])
    return specs


def sync_register_categories(session: Session, specs: list[CategorySpec]) -> list[RegisterCategory]:
    """Insert or update the categories by code (audited through the session)."""
    existing = {row.code: row for row in session.scalars(select(RegisterCategory))}
    rows = []
    for spec in specs:
        row = existing.get(spec.code) or RegisterCategory(
            code=spec.code, name=spec.name, age_band=spec.age_band
        )
        for name in (
            "name",
            "age_band",
            "review_interval_days",
            "snomed_on",
            "snomed_off",
            "hide_from_online_access",
            "sort_order",
        ):
            if getattr(row, name) != getattr(spec, name):
                setattr(row, name, getattr(spec, name))
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def load_skills(override_dir: Path | None = None) -> list[tuple[str, str]]:
    """The homecare skills and competencies as (code, name), validated."""
    label, data = _read(SKILLS_FILE, override_dir)
    skills = [
        (
            _field(label, index, entry, "code", str).strip().upper(),
            _field(label, index, entry, "name", str),
        )
        for index, entry in enumerate(_entries(label, data, "skills"))
    ]
    _check_unique(label, [code for code, _ in skills])
    return skills


def sync_skills(session: Session, skills: list[tuple[str, str]]) -> dict[str, int]:
    """Insert new skills and rename changed ones by code; returns code -> id."""
    existing = {row.code: row for row in session.scalars(select(Skill))}
    for code, name in skills:
        row = existing.get(code)
        if row is None:
            row = existing[code] = Skill(code=code, name=name)
            session.add(row)
        elif row.name != name:
            row.name = name
    session.flush()
    return {code: row.id for code, row in existing.items()}


def apply_reference_data(session: Session) -> None:
    """Bring the database's register categories in line with the reference files (the
    practice's own beside the database, else the shipped ones) and check the referral
    types file, so a bad file is reported when the app starts rather than mid-task."""
    sync_register_categories(session, load_register_categories())
    sync_skills(session, load_skills())
    load_referral_types()
