"""Carers' notes flagged (issue 14 §4): the words in a carer's note on a visit that the
coordinator should see, from a reference list (``data/note_flags.json``: safeguarding and
clinical terms, each group with its source; an agency's own file beside its database
replaces it).

Flagging only draws the eye: the day's visits show the flag, and the coordinator raises a
safeguarding concern or an incident from it in one key, or records that it needs nothing
(:mod:`coordinator_tui.services.governance.visit_calls`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NOTE_FLAGS_FILE = "note_flags.json"


@dataclass(frozen=True)
class FlagList:
    """The reference list, compiled: one pattern per group."""

    groups: tuple[tuple[str, str, re.Pattern[str]], ...]  # (code, name, pattern)

    def find(self, note: str) -> list[tuple[str, str]]:
        """(group code, the word as written) for each group's terms in ``note``, in the
        note's order, each word once."""
        found: list[tuple[int, str, str]] = []
        seen: set[str] = set()
        for code, _name, pattern in self.groups:
            for match in pattern.finditer(note):
                word = match.group(0).lower()
                if word not in seen:
                    seen.add(word)
                    found.append((match.start(), code, word))
        found.sort()
        return [(code, word) for _, code, word in found]


def _pattern(terms: list[str]) -> re.Pattern[str]:
    """Each term at the start of a word, the rest of the word taken with it (``bruis``
    matches ``bruised``); a term of several words allows any spacing between them."""
    parts = []
    for term in sorted({t.strip().lower() for t in terms if t.strip()}, key=len, reverse=True):
        words = [re.escape(w) for w in term.split()]
        parts.append(r"\s+".join(words))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")[\w-]*", re.IGNORECASE)


def load_flag_list(override_dir: Path | None = None) -> FlagList:
    """The list, validated (a malformed file is a ``ReferenceDataError`` naming it)."""
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        _check_unique,
        _entries,
        _field,
        _read,
        _terms,
    )

    label, data = _read(NOTE_FLAGS_FILE, override_dir)
    groups = []
    for index, group in enumerate(_entries(label, data, "groups")):
        code = _field(label, index, group, "code", str)
        name = _field(label, index, group, "name", str)
        _field(label, index, group, "source", str)
        terms = _terms(label, index, group, "terms")
        if not terms:
            raise ReferenceDataError(f"{label}: group '{code}' has no terms")
        groups.append((code, name, _pattern(list(terms))))
    _check_unique(label, [g[0] for g in groups])
    return FlagList(tuple(groups))


@lru_cache(maxsize=1)
def _default_list(practice_dir: str) -> FlagList:
    return load_flag_list(Path(practice_dir) if practice_dir else None)


def flag_list() -> FlagList:
    """The list in use (the practice's own when it has one), read once."""
    from coordinator_tui.services.reference import practice_dir

    folder = practice_dir()
    return _default_list(str(folder) if folder else "")


def flag_words(note: str) -> str:
    """The flagged words of a note as stored (``safeguarding: bruised; clinical: fell``),
    or "" when it holds none; at most 200 characters."""
    if not note.strip():
        return ""
    by_group: dict[str, list[str]] = {}
    for code, word in flag_list().find(note):
        by_group.setdefault(code, []).append(word)
    text = "; ".join(f"{code}: {', '.join(words)}" for code, words in by_group.items())
    return text[:200]
