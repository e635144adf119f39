"""Confidentiality flags in meeting notes, decisions and actions (issue 15 section 2).

While minuting, a line (of the notes, a decision or an action's text) that starts with a
flag in square brackets is confidential in one of three ways, the same as a sharing
record's flags (``services.reports.sharing``):

- ``[confidential]`` (``[c]``): not for online record access (a MARAC disclosure, say)
  and not to leave the practice;
- ``[third party]`` (``[3p]``): information about someone else: not for online record
  access and not to leave the practice;
- ``[not for disclosure]`` (``[nfd]``): for the safeguarding team only.

Every flagged line is withheld from the minutes that circulate beyond the practice (the
external professionals get the minutes), leaving ``[withheld: ...]`` so the reader knows
something was said. The coordinator's INTERNAL version keeps the line, its flag written
out in capitals. A person's clinical-record entry keeps confidential and third-party
lines, marked, and starts with the instruction to hide it from online record access; a
"not for disclosure" line is withheld from the entry (the whole practice reads the
record, not only the safeguarding team).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """One confidentiality flag and where its text may go."""

    key: str
    label: str  # as the INTERNAL minutes and the record entry show it
    hide_online: bool  # not for the patient's online record access
    in_record: bool  # may stand in the clinical record entry


FLAGS: dict[str, Flag] = {
    "confidential": Flag("confidential", "CONFIDENTIAL", True, True),
    "third_party": Flag("third_party", "THIRD PARTY", True, True),
    "not_for_disclosure": Flag(
        "not_for_disclosure", "NOT FOR DISCLOSURE: safeguarding team only", True, False
    ),
}
ALIASES = {
    "confidential": "confidential",
    "c": "confidential",
    "third party": "third_party",
    "third-party": "third_party",
    "3p": "third_party",
    "not for disclosure": "not_for_disclosure",
    "not-for-disclosure": "not_for_disclosure",
    "nfd": "not_for_disclosure",
}
_MARK = re.compile(
    r"^(?P<indent>\s*(?:[-*]\s+)?)\[(?P<flag>"
    + "|".join(re.escape(alias) for alias in sorted(ALIASES, key=len, reverse=True))
    + r")\]\s*",
    re.IGNORECASE,
)
WITHHELD = {
    "confidential": "[withheld: confidential]",
    "third_party": "[withheld: third-party information]",
    "not_for_disclosure": "[withheld: not for disclosure]",
}


def line_flag(line: str) -> Flag | None:
    """The flag a line starts with (after any indent or list bullet), if any."""
    match = _MARK.match(line)
    return FLAGS[ALIASES[match["flag"].lower()]] if match else None


def _marked(line: str, flag: Flag) -> str:
    """The line with its flag written out in full: ``[c] x`` -> ``[CONFIDENTIAL] x``."""
    match = _MARK.match(line)
    assert match is not None
    return f"{match['indent']}[{flag.label}] {line[match.end() :]}"


def for_circulation(text: str) -> str:
    """``text`` for the minutes that leave the practice: every flagged line withheld."""
    lines = []
    for line in text.split("\n"):
        flag = line_flag(line)
        if flag is None:
            lines.append(line)
        else:
            match = _MARK.match(line)
            lines.append(f"{match['indent'] if match else ''}{WITHHELD[flag.key]}")
    return "\n".join(lines)


def for_internal(text: str) -> str:
    """``text`` for the INTERNAL minutes: every flagged line kept, its flag in capitals."""
    return "\n".join(
        _marked(line, flag) if (flag := line_flag(line)) else line for line in text.split("\n")
    )


def for_record(text: str) -> tuple[str, bool]:
    """``text`` for a clinical-record entry, and whether it holds a line kept from online
    record access: confidential and third-party lines kept and marked, a "not for
    disclosure" line withheld."""
    lines = []
    hide = False
    for line in text.split("\n"):
        flag = line_flag(line)
        if flag is None:
            lines.append(line)
        elif flag.in_record:
            lines.append(_marked(line, flag))
            hide = hide or flag.hide_online
        else:
            match = _MARK.match(line)
            lines.append(f"{match['indent'] if match else ''}{WITHHELD[flag.key]}")
    return "\n".join(lines), hide


def flagged_count(text: str) -> int:
    """How many lines of ``text`` carry a flag."""
    return sum(1 for line in text.split("\n") if line_flag(line))


CYCLE = ("confidential", "third_party", "not_for_disclosure")
TYPED = {
    "confidential": "confidential",
    "third_party": "third party",
    "not_for_disclosure": "not for disclosure",
}


def cycle_flag(line: str) -> tuple[str, Flag | None]:
    """The line with its flag moved on one (none, confidential, third party, not for
    disclosure, none again), kept after any indent or list bullet: ``f7`` while minuting."""
    match = _MARK.match(line)
    indent, rest = (match["indent"], line[match.end() :]) if match else ("", line)
    if not match:
        stripped = rest.lstrip()
        bullet = re.match(r"[-*]\s+", stripped)
        indent = rest[: len(rest) - len(stripped)] + (bullet.group(0) if bullet else "")
        rest = stripped[bullet.end() :] if bullet else stripped
    current = line_flag(line)
    position = CYCLE.index(current.key) + 1 if current else 0
    if position >= len(CYCLE):
        return f"{indent}{rest}", None
    key = CYCLE[position]
    return f"{indent}[{TYPED[key]}] {rest}", FLAGS[key]
