"""Reference data: register categories and referral types, read from ``data/``.

The files ship inside the package (``coordinator_tui.refdata``). A practice can override
either by putting a file of the same name beside its database; a broken file is refused
with a message naming the file and the entry, never half-read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import EntryStatus, RegisterCategory, RegisterEntry, Skill
from coordinator_tui.services.shipped import shipped_text

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
    aliases: tuple[str, ...] = ()
    """Other terms the register is found by when typing ("CiC" finds LAC/CiC)."""
    replaces: tuple[str, ...] = ()
    """Codes an older database may hold for this register (``sync_register_categories``)."""

    @property
    def search_text(self) -> str:
        """What typing in a register chooser matches: code, name and aliases."""
        return " ".join((self.code, self.name, *self.aliases)).lower()


@dataclass(frozen=True)
class ConcernCategorySpec:
    """What a concern is about (Working Together; Care Act 2014 statutory guidance 14.17)."""

    code: str
    name: str
    age_band: str
    aliases: tuple[str, ...] = ()
    source: str = ""

    @property
    def search_text(self) -> str:
        return " ".join((self.name, *self.aliases)).lower()


@dataclass(frozen=True)
class ReferralTypeSpec:
    code: str
    name: str
    expected_response_working_days: int
    source: str
    meets: str = ""  # RFC 5545 RRULE of the panel's meetings (MARAC), if it has them


def _read_shipped(name: str) -> tuple[str, Any]:
    """The file as shipped, ignoring a practice's own."""
    text = shipped_text(name)
    try:
        return name, json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def _read(name: str, override_dir: Path | None) -> tuple[str, Any]:
    override_dir = override_dir if override_dir is not None else _practice_dir
    if override_dir is not None and (override_dir / name).is_file():
        path = override_dir / name
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ReferenceDataError(
                f"{label}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        except OSError as exc:
            raise ReferenceDataError(f"{label}: cannot be read ({exc.strerror})") from None
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


def _terms(label: str, index: int, entry: dict[str, Any], name: str) -> tuple[str, ...]:
    """An optional list of strings (``aliases``, ``replaces``)."""
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ReferenceDataError(f"{label}: entry {index + 1} '{name}' must be a list of words")
    return tuple(v.strip() for v in value)


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
            aliases=_terms(label, index, entry, "aliases"),
            replaces=_terms(label, index, entry, "replaces"),
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


def load_concern_categories(override_dir: Path | None = None) -> list[ConcernCategorySpec]:
    """What a concern can be about, validated: the practice's file's
    ``concern_categories`` if it has that list, else the shipped one (a practice file
    written before concerns had categories of their own still works)."""
    label, data = _read(CATEGORIES_FILE, override_dir)
    if not (isinstance(data, dict) and "concern_categories" in data):
        label, data = _read_shipped(CATEGORIES_FILE)
    specs = []
    for index, entry in enumerate(_entries(label, data, "concern_categories")):
        spec = ConcernCategorySpec(
            code=_field(label, index, entry, "code", str),
            name=_field(label, index, entry, "name", str),
            age_band=str(entry.get("age_band", "any")),
            aliases=_terms(label, index, entry, "aliases"),
            source=str(entry.get("source", "")),
        )
        if spec.age_band not in AGE_BANDS:
            raise ReferenceDataError(
                f"{label}: concern category {index + 1} age_band must be one of "
                f"{', '.join(AGE_BANDS)}"
            )
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


def sync_register_categories(
    session: Session, specs: list[CategorySpec], today: date
) -> list[RegisterCategory]:
    """Insert or update the categories by code (audited through the session).

    A category's ``replaces`` codes, when the file no longer lists them, are brought in
    first (``_take_over``): CHC becomes CFC, CIC's entries join LAC/CiC."""
    existing = {row.code: row for row in session.scalars(select(RegisterCategory))}
    listed = {spec.code for spec in specs}
    for spec in specs:
        for old_code in spec.replaces:
            old = existing.get(old_code)
            if old_code not in listed and old is not None and old.active:
                _take_over(session, existing, old_code, spec.code, today)
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
        if row.active is False:  # listed again (a practice file keeping CIC apart)
            row.active = True
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _local_today() -> date:
    from coordinator_tui.clock import local_today

    return local_today()


def _take_over(
    session: Session,
    existing: dict[str, RegisterCategory],
    old_code: str,
    new_code: str,
    today: date,
) -> None:
    """Bring the register ``old_code`` under ``new_code``, through the audited session.

    No ``new_code`` row yet: the old row is renamed (its entries keep their ids and
    history). Both exist (LAC and CIC, one legal status): the old register's entries
    move to the new one, an entry for someone already active there is ended as merged
    (a person is on a register once), and the old register is set inactive."""
    old = existing[old_code]
    new = existing.get(new_code)
    if new is None:
        old.code = new_code
        existing[new_code] = existing.pop(old_code)
        session.flush()
        return
    active_there = set(
        session.scalars(
            select(RegisterEntry.person_id).where(
                RegisterEntry.category_id == new.id, RegisterEntry.status == EntryStatus.ACTIVE
            )
        )
    )
    for entry in session.scalars(select(RegisterEntry).where(RegisterEntry.category_id == old.id)):
        if entry.status == EntryStatus.ACTIVE and entry.person_id in active_there:
            entry.status = EntryStatus.ENDED
            entry.end_date = max(today, entry.start_date)
            entry.end_reason = f"Merged into the {new_code} register"
            entry.next_review_due = None
        entry.category_id = new.id
    old.active = False
    session.flush()


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


def apply_reference_data(session: Session, today: date) -> None:
    """Bring the database's register categories in line with the reference files (the
    practice's own beside the database, else the shipped ones) and check the concern
    categories and referral types, so a bad file is reported when the app starts rather
    than mid-task."""
    sync_register_categories(session, load_register_categories(), today)
    load_concern_categories()
    sync_skills(session, load_skills())
    load_referral_types()
