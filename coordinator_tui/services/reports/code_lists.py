"""The safeguarding code lists the coding audit reads, and the clinical system's rule for
who is on a list.

``data/code_lists.json`` ships curated, versioned lists (there is no offline SNOMED CT
package): for each register, the concepts that put someone on it and the "no longer"
concepts that take them off, each with its SCTID, term, source and date. A practice
extends them with its own ``code_lists.json`` beside the database (as with the other
reference files, ``services.reference``): a list with the same id gains the practice's
codes, ``"replace": true`` replaces it, a new id adds a list. Every SCTID is checked (digits,
Verhoeff check digit, a concept's partition), so a mistyped code is refused with the file
and the entry named rather than silently never matching.

Membership (:func:`membership`) is the clinical system's rule: someone is on a list when
their latest "on" code has no later "off" code; the coded episode starts at the first "on"
code after the last "off" code before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from coordinator_tui.services.reference import (
    ReferenceDataError,
    _read,
    _read_shipped,
    load_register_categories,
    practice_dir,
)

CODE_LISTS_FILE = "code_lists.json"

# Verhoeff's tables (SNOMED CT's check digit).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_SCTID = re.compile(r"[1-9]\d{5,17}")
# The partition identifier (the two digits before the check digit): 00 a concept in the
# international release, 10 a concept in an extension (the UK's, for most of these).
CONCEPT_PARTITIONS = ("00", "10")


def verhoeff_ok(digits: str) -> bool:
    """Whether ``digits`` ends with a correct Verhoeff check digit."""
    check = 0
    for index, char in enumerate(reversed(digits)):
        check = _D[check][_P[index % 8][ord(char) - 48]]
    return check == 0


def sctid_problem(text: str) -> str | None:
    """Why ``text`` is not a SNOMED CT concept id (None when it is one)."""
    if not _SCTID.fullmatch(text):
        return "a SNOMED CT id is 6 to 18 digits, not starting with 0"
    if not verhoeff_ok(text):
        return "its check digit is wrong (mistyped?)"
    if text[-3:-1] not in CONCEPT_PARTITIONS:
        return "it is not a concept id (a description or relationship id?)"
    return None


@dataclass(frozen=True)
class Code:
    """One SNOMED CT concept of a list."""

    sctid: str
    term: str
    source: str
    added: date
    list_id: str
    on: bool  # True: puts someone on the list; False: a "no longer" code


@dataclass(frozen=True)
class CodeList:
    """The codes of one register (or of the family-member list)."""

    id: str
    name: str
    registers: tuple[str, ...]
    add_to: str
    on: tuple[Code, ...]
    off: tuple[Code, ...]
    family_of: str = ""
    looked_after: bool = False
    note: str = ""
    from_practice: bool = False

    @property
    def audited(self) -> bool:
        """A list with no "on" code cannot be checked against the clinical system."""
        return bool(self.on)


@dataclass(frozen=True)
class CodeLists:
    """Every list, by id, and every code, by SCTID; ``version`` says which files."""

    lists: tuple[CodeList, ...]
    version: str
    by_code: dict[str, Code] = field(default_factory=dict)

    def get(self, list_id: str) -> CodeList | None:
        return next((item for item in self.lists if item.id == list_id), None)

    @property
    def audited(self) -> tuple[CodeList, ...]:
        return tuple(item for item in self.lists if item.audited)

    @property
    def not_audited(self) -> tuple[CodeList, ...]:
        return tuple(item for item in self.lists if not item.audited)


def _text(label: str, where: str, entry: dict[str, Any], name: str, required: bool = True) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ReferenceDataError(f"{label}: {where} needs '{name}' (text)")
    return value.strip()


def _codes(
    label: str, list_id: str, raw: Any, on: bool, default_source: str = ""
) -> tuple[Code, ...]:
    side = "on" if on else "off"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ReferenceDataError(f"{label}: list {list_id} '{side}' must be a list of codes")
    codes = []
    for index, entry in enumerate(raw):
        where = f"list {list_id} '{side}' code {index + 1}"
        if not isinstance(entry, dict):
            raise ReferenceDataError(f"{label}: {where} must be an object with sctid and term")
        sctid = str(entry.get("sctid", "")).strip()
        problem = sctid_problem(sctid)
        if problem:
            raise ReferenceDataError(f"{label}: {where} ({sctid or 'no sctid'}): {problem}")
        term = _text(label, where, entry, "term")
        source = str(entry.get("source") or default_source).strip()
        if not source:
            raise ReferenceDataError(f"{label}: {where} needs 'source' (where the code is from)")
        try:
            added = date.fromisoformat(_text(label, where, entry, "date"))
        except ValueError:
            raise ReferenceDataError(f"{label}: {where} 'date' must be YYYY-MM-DD") from None
        codes.append(Code(sctid, term, source, added, list_id, on))
    return tuple(codes)


def _parse_lists(label: str, data: Any, *, from_practice: bool) -> list[CodeList]:
    entries = data.get("lists") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ReferenceDataError(f"{label}: needs a list 'lists'")
    lists = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ReferenceDataError(f"{label}: entry {index + 1} must be an object")
        list_id = _text(label, f"entry {index + 1}", entry, "id")
        registers = entry.get("registers", [])
        if not isinstance(registers, list) or not all(isinstance(r, str) for r in registers):
            raise ReferenceDataError(f"{label}: list {list_id} 'registers' must be register codes")
        lists.append(
            CodeList(
                id=list_id,
                name=_text(label, f"list {list_id}", entry, "name", required=not from_practice)
                or list_id,
                registers=tuple(registers),
                add_to=str(entry.get("add_to") or (registers[0] if registers else "")),
                on=_codes(label, list_id, entry.get("on", []), True),
                off=_codes(label, list_id, entry.get("off", []), False),
                family_of=str(entry.get("family_of", "")),
                looked_after=bool(entry.get("looked_after", False)),
                note=str(entry.get("note", "")),
                from_practice=from_practice,
            )
        )
        if entry.get("replace") is not None and not isinstance(entry.get("replace"), bool):
            raise ReferenceDataError(f"{label}: list {list_id} 'replace' must be true or false")
    return lists


def _merge(shipped: list[CodeList], practice: list[CodeList], replace: set[str]) -> list[CodeList]:
    """The shipped lists extended by the practice's (see the module docstring)."""
    merged = {item.id: item for item in shipped}
    for own in practice:
        base = merged.get(own.id)
        if base is None or own.id in replace:
            merged[own.id] = own
            continue
        merged[own.id] = CodeList(
            id=base.id,
            name=own.name if own.name != own.id else base.name,
            registers=own.registers or base.registers,
            add_to=own.add_to or base.add_to,
            on=base.on + tuple(c for c in own.on if c.sctid not in {b.sctid for b in base.on}),
            off=base.off + tuple(c for c in own.off if c.sctid not in {b.sctid for b in base.off}),
            family_of=own.family_of or base.family_of,
            looked_after=own.looked_after or base.looked_after,
            note=own.note or base.note,
            from_practice=True,
        )
    return list(merged.values())


def _check(label: str, lists: Iterable[CodeList], register_codes: set[str]) -> dict[str, Code]:
    by_code: dict[str, Code] = {}
    seen_ids: set[str] = set()
    for item in lists:
        if item.id in seen_ids:
            raise ReferenceDataError(f"{label}: list {item.id} appears twice")
        seen_ids.add(item.id)
        for register in (*item.registers, *([item.add_to] if item.add_to else [])):
            if register not in register_codes:
                raise ReferenceDataError(
                    f"{label}: list {item.id} names register '{register}', which is not in "
                    "the register categories"
                )
        if item.family_of and item.family_of not in register_codes:
            raise ReferenceDataError(
                f"{label}: list {item.id} 'family_of' names an unknown register '{item.family_of}'"
            )
        for code in (*item.on, *item.off):
            other = by_code.get(code.sctid)
            if other is not None:
                where = "both puts on and takes off" if other.list_id == item.id else "is in"
                raise ReferenceDataError(
                    f"{label}: code {code.sctid} {where} list {other.list_id}"
                    + (f" and list {item.id}" if other.list_id != item.id else "")
                    + ": a code can decide one thing only"
                )
            by_code[code.sctid] = code
    return by_code


def load_code_lists(override_dir: Path | None = None) -> CodeLists:
    """The shipped lists, extended by the practice's own file if there is one, validated
    against the register categories. Raises :class:`ReferenceDataError` naming the file and
    the entry."""
    label, data = _read_shipped(CODE_LISTS_FILE)
    shipped = _parse_lists(label, data, from_practice=False)
    version = str(data.get("version", "")) if isinstance(data, dict) else ""
    folder = override_dir if override_dir is not None else practice_dir()
    lists = shipped
    if folder is not None and (folder / CODE_LISTS_FILE).is_file():
        label, own_data = _read(CODE_LISTS_FILE, folder)
        own = _parse_lists(label, own_data, from_practice=True)
        replace = {
            str(entry.get("id"))
            for entry in own_data.get("lists", [])
            if isinstance(entry, dict) and entry.get("replace") is True
        }
        lists = _merge(shipped, own, replace)
        own_version = str(own_data.get("version", "")) or "no version"
        version = f"{version} + practice file ({own_version})"
    registers = {spec.code for spec in load_register_categories(folder)}
    by_code = _check(label, lists, registers)
    return CodeLists(tuple(lists), version, by_code)


@dataclass(frozen=True)
class Membership:
    """Someone's standing on one list, by the clinical system's rule.

    ``member``: the latest "on" code has no later "off" code. ``since``: the first "on"
    code after the last "off" before it (the coded episode's start). ``off_on``: the date
    of the latest "off" code, if any (when it came after the last "on", the person was
    coded off that day). ``code``: the SCTID of the latest code that decided it."""

    member: bool
    since: date | None
    off_on: date | None
    code: str


def membership(events: Iterable[tuple[date, bool, str]]) -> Membership | None:
    """``events``: (date, is an "on" code, SCTID). None when there is none. An "on" and an
    "off" code on the same day: the "off" code wins (the clinical systems list the ending
    after the code it ends, and a coordinator would rather check than keep someone on)."""
    ordered = sorted(events, key=lambda event: (event[0], not event[1]))
    if not ordered:
        return None
    last_on = max((i for i, event in enumerate(ordered) if event[1]), default=-1)
    last_off = max((i for i, event in enumerate(ordered) if not event[1]), default=-1)
    off_on = ordered[last_off][0] if last_off >= 0 else None
    if last_on < last_off:  # no "on" code, or an "off" code after the latest one
        return Membership(False, None, off_on, ordered[last_off][2])
    since = next(day for day, is_on, _ in ordered[last_off + 1 :] if is_on)
    return Membership(True, since, off_on, ordered[last_on][2])
