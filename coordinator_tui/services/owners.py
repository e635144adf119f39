"""Who owns an action: one list of roles and one parser, used everywhere an owner is typed.

An owner is typed in three places: a meeting's one-line action (``HV +2w chase school
nurse``), the action tracker's reassign, and the action a referral outcome calls for. All
three read it here, so ``PM`` means the practice manager in each of them and a word that
means nobody is refused in each of them with the same message.

The roles come from ``data/owner_roles.json`` (a practice may put its own beside its
database): each has a code typed in an action line (``PM``, ``DSL``, ``IDVA``, ``HV``...),
the name recorded when nobody single holds it, and aliases (``practice manager``,
``CPN``...). An owner is read, in order, as:

1. a staff member's full name (``Hannah Vale``);
2. initials (someone at the meeting before anyone else); when the initials are also a
   role's code, the preview warns and the role's name gives the role;
3. a role by code, name or alias: its one holder at the meeting, else its one holder on
   the staff list, else the role itself (recorded by its name, with a warning);
4. a unique part of a staff member's name (``Vale``).

Anything else is a problem, never a guess. Nothing here raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import MeetingAttendee, Staff

ROLES_FILE = "owner_roles.json"
MAX_LABEL = 60
MAX_OWNER_WORDS = 4
_PUNCTUATION = ":,;."


@dataclass(frozen=True)
class OwnerRole:
    """One role an action can go to."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    external: bool = False
    source: str = ""

    def words(self) -> tuple[str, ...]:
        """Everything that names the role, normalised."""
        return tuple(_norm(text) for text in (self.code, self.name, *self.aliases))


def _norm(text: str) -> str:
    return " ".join(text.strip().strip(_PUNCTUATION).casefold().split())


def _load(override_dir: Path | None) -> tuple[OwnerRole, ...]:
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        _check_unique,
        _entries,
        _field,
        _read,
    )

    label, data = _read(ROLES_FILE, override_dir)
    roles = []
    for index, entry in enumerate(_entries(label, data, "roles")):
        aliases = entry.get("aliases", []) if isinstance(entry, dict) else []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ReferenceDataError(f"{label}: entry {index + 1} 'aliases' must be a list")
        code = _field(label, index, entry, "code", str).strip().upper()
        name = _field(label, index, entry, "name", str).strip()
        if not re.fullmatch(r"[A-Z0-9]{1,12}", code) or not name:
            raise ReferenceDataError(
                f"{label}: entry {index + 1} needs a code of letters and digits and a name"
            )
        roles.append(
            OwnerRole(
                code,
                name[:MAX_LABEL],
                tuple(a.strip() for a in aliases if a.strip()),
                bool(entry.get("external", False)),
                str(entry.get("source", "")),
            )
        )
    _check_unique(label, [role.code for role in roles])
    seen: dict[str, str] = {}
    for role in roles:
        for word in set(role.words()):
            if seen.setdefault(word, role.code) != role.code:
                raise ReferenceDataError(
                    f"{label}: '{word}' names both {seen[word]} and {role.code}"
                )
    return tuple(roles)


@lru_cache(maxsize=4)
def _cached(override_dir: Path | None) -> tuple[OwnerRole, ...]:
    return _load(override_dir)


def owner_roles() -> tuple[OwnerRole, ...]:
    """The roles (the practice's own file beside its database, else the shipped one)."""
    from coordinator_tui.services.reference import practice_dir

    folder = practice_dir()
    if folder is not None and not (folder / ROLES_FILE).is_file():
        folder = None
    return _cached(folder)


def role_for(text: str, roles: tuple[OwnerRole, ...] | None = None) -> OwnerRole | None:
    """The role ``text`` names by code, name or alias (whole words, any case), if any."""
    key = _norm(text)
    if not key:
        return None
    for role in roles if roles is not None else owner_roles():
        if key in role.words():
            return role
    return None


def role_codes() -> str:
    """The codes as a hint: "PM, SGL, DSL, ..."."""
    return ", ".join(role.code for role in owner_roles())


def external_roles() -> tuple[str, ...]:
    """Role names offered for a new external professional at a meeting."""
    return tuple(role.name for role in owner_roles() if role.external)


# -- the people an action can go to -------------------------------------------------------


@dataclass(frozen=True)
class OwnerCandidate:
    staff_id: int
    name: str
    initials: str
    role: str
    at_meeting: bool


@dataclass(frozen=True)
class OwnerDirectory:
    """Who an action can be given to: the meeting's attendees first, then the staff list."""

    people: tuple[OwnerCandidate, ...] = ()


def owner_directory(session: Session, meeting_id: int | None = None) -> OwnerDirectory:
    """Active staff and professionals, marked when invited to ``meeting_id``."""
    attending: set[int] = set()
    if meeting_id is not None:
        attending = set(
            session.scalars(
                select(MeetingAttendee.staff_id).where(MeetingAttendee.meeting_id == meeting_id)
            )
        )
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.initials, Staff.role)
        .where(Staff.active.is_(True))
        .order_by(Staff.id)
    ).all()
    return OwnerDirectory(
        tuple(
            OwnerCandidate(sid, name, initials or "", role or "", sid in attending)
            for sid, name, initials, role in rows
        )
    )


@dataclass(frozen=True)
class OwnerMatch:
    """Who a typed owner means: a staff member, or a role recorded by its name."""

    staff: OwnerCandidate | None = None
    label: str = ""
    problem: str = ""
    warning: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def staff_id(self) -> int | None:
        return self.staff.staff_id if self.staff else None


def _unique(candidates: list[OwnerCandidate]) -> OwnerCandidate | None:
    return candidates[0] if len(candidates) == 1 else None


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hint() -> str:
    return f"a name, initials or a role such as {', '.join(r.code for r in owner_roles()[:8])}"


def holders(role: OwnerRole, owners: OwnerDirectory) -> list[OwnerCandidate]:
    """The staff whose recorded role is this role (by its name, code or an alias, or a
    role text starting with its name, e.g. "Health visitor (0-19 team)")."""
    words = role.words()
    name = _norm(role.name)
    return [p for p in owners.people if _norm(p.role) in words or _norm(p.role).startswith(name)]


def _by_role(role: OwnerRole, owners: OwnerDirectory) -> OwnerMatch:
    found = holders(role, owners)
    chosen = _unique([p for p in found if p.at_meeting]) or _unique(found)
    if chosen is not None:
        return OwnerMatch(chosen, chosen.name[:MAX_LABEL])
    role_word = role.name if role.name.isupper() else role.name.lower()
    if found:
        warning = f"{len(found)} people are {role_word}: owner recorded as the role"
    else:
        warning = f"no {role_word} on the staff list: owner recorded as the role"
    return OwnerMatch(None, role.name[:MAX_LABEL], warning=warning)


def _by_name(text: str, owners: OwnerDirectory) -> OwnerCandidate | None:
    key = _norm(text)
    found = [p for p in owners.people if _norm(p.name) == key]
    return _unique([p for p in found if p.at_meeting]) or _unique(found)


def resolve_owner(token: str, owners: OwnerDirectory) -> OwnerMatch:
    """One word: initials (someone at the meeting first), else a role's code or one-word
    alias. Never raises."""
    key = token.strip().strip(_PUNCTUATION)
    if not key:
        return OwnerMatch(problem="Start with the owner's name, initials or role")
    upper = key.upper()
    role = role_for(key)
    by_initials = [p for p in owners.people if p.initials.upper() == upper]
    present = [p for p in by_initials if p.at_meeting]
    chosen = _unique(present) or _unique(by_initials)
    if chosen is not None:
        warning = ""
        if role is not None and not _norm(chosen.role).startswith(_norm(role.name)):
            warning = (
                f"{upper} is {chosen.name}'s initials; for the {role.name.lower()} "
                f"type '{role.name.lower()}'"
            )
        return OwnerMatch(chosen, chosen.name[:MAX_LABEL], warning=warning)
    if role is not None:
        return _by_role(role, owners)
    if len(by_initials) > 1:
        return OwnerMatch(
            problem=f"'{_short(key)}' matches {len(by_initials)} people: use a name or a role"
        )
    return OwnerMatch(problem=f"'{_short(key)}' is not anyone's initials or a role ({_hint()})")


def parse_owner(text: str, owners: OwnerDirectory) -> OwnerMatch:
    """Any typed owner (a form field): full name, initials, role, or a unique part of a
    name. Never raises; anything unreadable is a problem."""
    text = " ".join(text.split())
    if not text.strip(_PUNCTUATION):
        return OwnerMatch(problem=f"Say who owns the action ({_hint()})")
    person = _by_name(text, owners)
    if person is not None:
        return OwnerMatch(person, person.name[:MAX_LABEL])
    single = None
    if " " not in text:
        single = resolve_owner(text, owners)
        if single.ok:
            return single
    else:
        role = role_for(text)
        if role is not None:
            return _by_role(role, owners)
    words = _norm(text).split()
    partial = [p for p in owners.people if all(w in _norm(p.name).split() for w in words)]
    chosen = _unique([p for p in partial if p.at_meeting]) or _unique(partial)
    if chosen is not None:
        return OwnerMatch(chosen, chosen.name[:MAX_LABEL])
    if len(partial) > 1:
        return OwnerMatch(problem=f"'{_short(text)}' matches {len(partial)} people: give more")
    if single is not None:
        return single
    return OwnerMatch(problem=f"'{_short(text)}' is not anyone's name, initials or a role")


def match_owner_words(words: list[str], owners: OwnerDirectory) -> tuple[OwnerMatch, int]:
    """The owner at the start of an action line and how many words it took: a full name
    or a role's name or alias of up to four words (``practice manager +1w ...``), else
    the first word (initials or a role's code)."""
    if not words:
        return OwnerMatch(problem="Start with the owner's name, initials or role"), 0
    for size in range(min(MAX_OWNER_WORDS, len(words)), 1, -1):
        phrase = " ".join(words[:size])
        person = _by_name(phrase, owners)
        if person is not None:
            return OwnerMatch(person, person.name[:MAX_LABEL]), size
        role = role_for(phrase)
        if role is not None:
            return _by_role(role, owners), size
    return resolve_owner(words[0], owners), 1
