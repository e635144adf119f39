"""Two people saved the same free text (an item's minute notes, a case summary): keep both.

A save carries the text its editor started from (the *base*). When the text stored
meanwhile (*theirs*) is no longer the base, the save is not simply written over it:

- each side only added to the end of the base (the usual case: two coordinators minuting
  the same item): :func:`merge_appended` keeps the base once, then their additions, then
  ours, each starting on its own line, nothing duplicated;
- anything else (a line changed or removed on either side): nothing is written, and the
  coordinator is shown both versions side by side (:class:`TextConflict`) to keep theirs,
  keep mine, or keep both one after the other (:func:`keep_both`).

Either way no line either side typed is lost (``tests/test_text_merge.py`` checks this
with generated texts). The functions here are pure; :class:`TextConflictError` carries a
conflict from a service to the screen that shows it, and :func:`last_change` reads who
saved the other version from the audit trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from coordinator_tui.services.errors import ConflictError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "TextConflict",
    "TextConflictError",
    "keep_both",
    "last_change",
    "merge_appended",
    "reconcile",
]


def _line_start(text: str, end: int) -> int:
    """The start of the line ``text[end]`` is on: just after the last newline before
    ``end`` (0 if there is none)."""
    return text.rfind("\n", 0, end) + 1


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def _split_line(added: str) -> tuple[str, str]:
    """Text added after an unfinished line: what goes on with that line, and the new
    lines after it (starting with their line break)."""
    end = added.find("\n")
    return (added, "") if end < 0 else (added[:end], added[end:])


def merge_appended(base: str, mine: str, theirs: str) -> str | None:
    """Both sides only added to the end of ``base``: the base once, their addition, then
    ours, each from the start of a line. None when either side changed the base itself.

    Shared text is kept once: a side whose text is the start of the other's adds nothing
    of its own, and text both added alike (a line typed into both) is not repeated. When
    the base ends mid-line and one side went on with that line while the other started
    new lines, the line is continued in place; when both went on with it differently,
    both versions of the line are kept, theirs first."""
    if not (mine.startswith(base) and theirs.startswith(base)):
        return None
    if theirs.startswith(mine):
        return theirs
    if mine.startswith(theirs):
        return mine
    if base and not base.endswith("\n"):
        # The base ends mid-line (someone is typing it). One side going on with that line
        # while the other started new lines below it is no clash: the line as continued,
        # then their new lines, then ours.
        my_line, my_lines = _split_line(mine[len(base) :])
        their_line, their_lines = _split_line(theirs[len(base) :])
        if bool(my_line) != bool(their_line):
            return base + (my_line or their_line) + their_lines + my_lines
    # Keep the shared part (whole lines only) once, then each side's remainder.
    shared = _line_start(mine, _common_prefix(mine, theirs))
    their_part, my_part = theirs[shared:], mine[shared:]
    joint = "" if their_part.endswith("\n") else "\n"
    return mine[:shared] + their_part + joint + my_part


def keep_both(mine: str, theirs: str) -> str:
    """Theirs, then mine from the start of the next line (the coordinator's choice when
    the two cannot be merged); one of them alone when the other is empty or the same."""
    if not theirs or theirs == mine:
        return mine
    if not mine:
        return theirs
    return theirs + ("" if theirs.endswith("\n") else "\n") + mine


def reconcile(base: str, mine: str, theirs: str) -> str | None:
    """What to save for ``mine`` when the stored text is ``theirs``: ``mine`` if the
    stored text is still the base (or already ours), the merge if both only added, None
    if the coordinator has to choose."""
    if theirs in (base, mine):
        return mine
    if mine == base:
        return theirs  # we changed nothing: theirs stands
    return merge_appended(base, mine, theirs)


@dataclass(frozen=True)
class TextConflict:
    """Both sides changed the text in ways that cannot be merged: show both, let the
    coordinator choose. ``what`` names the text ("the notes of item 3", "the case
    summary"); ``theirs_by`` and ``theirs_at`` say who saved theirs and when (from the
    audit trail; empty and None when it does not say)."""

    what: str
    base: str
    mine: str
    theirs: str
    theirs_by: str = ""
    theirs_at: datetime | None = None


class TextConflictError(ConflictError):
    """Nothing was written: the text changed meanwhile in a way that cannot be merged.
    ``conflict`` holds both versions for the coordinator to choose from."""

    def __init__(self, conflict: TextConflict) -> None:
        who = conflict.theirs_by or "someone else"
        super().__init__(
            f"{who} changed {conflict.what} while you were editing: nothing was "
            "overwritten; choose which to keep"
        )
        self.conflict = conflict


def last_change(
    session: Session, table_name: str, row_id: int | None, field: str | None = None
) -> tuple[str, datetime | None]:
    """Who last changed the row (its ``field``, if given) and when, from the audit trail:
    ("", None) when it does not say. Reads the latest few changes only, however long the
    row's history (notes are saved every second while typed)."""
    if row_id is None:
        return "", None
    from sqlalchemy import select

    from coordinator_tui.models.audit import AuditEvent

    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.at, AuditEvent.changes)
        .where(AuditEvent.table_name == table_name, AuditEvent.row_id == row_id)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    )
    for actor, at, changes in rows:
        if field is None:
            return actor, at
        try:
            if field in json.loads(changes or "{}"):
                return actor, at
        except ValueError:
            continue
    return "", None
