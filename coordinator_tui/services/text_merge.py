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
conflict from a service to the screen that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coordinator_tui.services.errors import ConflictError

__all__ = [
    "TextConflict",
    "TextConflictError",
    "keep_both",
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


def merge_appended(base: str, mine: str, theirs: str) -> str | None:
    """Both sides only added to the end of ``base``: the base once, their addition, then
    ours, each from the start of a line. None when either side changed the base itself.

    Shared text is kept once: a side whose text is the start of the other's adds nothing
    of its own, and text both added alike (a line typed into both) is not repeated. When
    both went on with base's unfinished last line differently, both versions of that line
    are kept, theirs first."""
    if not (mine.startswith(base) and theirs.startswith(base)):
        return None
    if theirs.startswith(mine):
        return theirs
    if mine.startswith(theirs):
        return mine
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
