"""Two saves of one free text (minute notes, a case summary) never lose a line: appended
text is merged, anything else is kept for the coordinator to choose (issue 12 §1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator_tui.services.text_merge import (
    TextConflict,
    TextConflictError,
    keep_both,
    merge_appended,
    reconcile,
)

# Short lines from a small alphabet, so that generated texts share lines and prefixes
# often (the hard cases for "nothing lost, nothing duplicated").
text = st.text(alphabet="ab é\n", max_size=30)
line = st.text(alphabet="abc é", max_size=8)
lines_text = st.lists(line, max_size=5).map("\n".join)


def keeps_every_line(result: str, *sides: str, base: str = "") -> bool:
    """Every line of every side is a line of the result, in that side's order. A side's
    unfinished last line, and the base's (someone was typing it), may have been
    continued: then it starts a line of the result."""
    unfinished = base.split("\n")[-1] if base and not base.endswith("\n") else None
    return all(_keeps(result.split("\n"), side.split("\n"), unfinished) for side in sides)


def _keeps(result: list[str], side: list[str], unfinished: str | None) -> bool:
    *whole, last = side
    start = 0
    for wanted in whole:
        found = [
            i
            for i in range(start, len(result))
            if result[i] == wanted or (wanted == unfinished and result[i].startswith(wanted))
        ]
        if not found:
            return False
        start = found[0] + 1
    return any(got.startswith(last) for got in result[start:])


# -- table: what a coordinator sees ------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "merged"),
    [
        # Both added lines below the same notes: the notes once, theirs, then mine.
        ("Mother attended.\n", "Mother attended.\nPlan agreed.", "Mother attended.\nGP to refer.",
         "Mother attended.\nGP to refer.\nPlan agreed."),
        # One went on with the unfinished last line, the other added a line below it.
        ("Mother attended", "Mother attended. Plan agreed", "Mother attended\nGP to refer.",
         "Mother attended. Plan agreed\nGP to refer."),
        ("Mother attended", "Mother attended\nGP to refer.", "Mother attended. Plan agreed",
         "Mother attended. Plan agreed\nGP to refer."),
        ("a\nb", "a\nb c\nmine", "a\nb\ntheirs", "a\nb c\ntheirs\nmine"),
        # Both went on with the unfinished last line: both versions of it kept.
        ("Mother attended", "Mother attended. Plan agreed", "Mother attended with partner",
         "Mother attended with partner\nMother attended. Plan agreed"),
        # A line both typed alike is kept once.
        ("a\n", "a\nsame\nmine", "a\nsame\ntheirs", "a\nsame\ntheirs\nmine"),
        # One side is the start of the other (a window that saved less): the longer one.
        ("a", "a b", "a b c", "a b c"),
        ("a", "a b c", "a b", "a b c"),
        # Empty base: two people started the notes at once.
        ("", "mine", "theirs", "theirs\nmine"),
    ],
)  # fmt: skip
def test_appended_text_is_merged(base, mine, theirs, merged):
    assert merge_appended(base, mine, theirs) == merged


@pytest.mark.parametrize(
    ("base", "mine", "theirs"),
    [
        ("Mother attended.\n", "Father attended.\n", "Mother attended.\nPlan agreed."),
        ("Mother attended.\n", "Mother attended.\nPlan agreed.", "Nobody attended.\n"),
        ("a\nb\n", "a\n", "a\nb\nc\n"),  # a line removed on one side
    ],
)
def test_a_change_to_the_base_is_not_merged(base, mine, theirs):
    assert merge_appended(base, mine, theirs) is None
    assert reconcile(base, mine, theirs) is None


def test_reconcile_without_a_conflict():
    assert reconcile("a", "a b", "a") == "a b"  # nobody else saved: ours
    assert reconcile("a", "a b", "a b") == "a b"  # the same text is there already
    assert reconcile("a", "a", "a c") == "a c"  # we changed nothing: theirs stands


def test_keep_both_is_theirs_then_mine():
    assert keep_both("Mine.", "Theirs.") == "Theirs.\nMine."
    assert keep_both("Mine.", "Theirs.\n") == "Theirs.\nMine."
    assert keep_both("Mine.", "") == "Mine."
    assert keep_both("", "Theirs.") == "Theirs."
    assert keep_both("Same", "Same") == "Same"


def test_the_conflict_error_says_who_and_what():
    conflict = TextConflict("the notes of item 3", "a", "b", "c", "j.bloggs")
    error = TextConflictError(conflict)
    assert "j.bloggs changed the notes of item 3" in str(error)
    assert "nothing was overwritten" in str(error)
    assert error.conflict is conflict


# -- properties --------------------------------------------------------------------------


@settings(max_examples=500)
@given(base=text, mine_added=text, theirs_added=text)
def test_merging_appended_text_never_loses_a_line(base, mine_added, theirs_added):
    mine, theirs = base + mine_added, base + theirs_added
    merged = merge_appended(base, mine, theirs)
    assert merged is not None
    assert keeps_every_line(merged, mine, theirs, base=base)
    # Nothing duplicated: the base's whole lines once, each side's own part once, and
    # one line break between them.
    whole_lines = base.rfind("\n") + 1
    assert len(merged) <= len(mine) + len(theirs) - whole_lines + 1


@given(base=lines_text, mine_added=lines_text, theirs_added=lines_text)
def test_lines_added_below_the_notes_follow_them_once(base, mine_added, theirs_added):
    """Whole lines added below the notes by both sides: the notes once, then theirs, then
    mine (unless one side's lines are the start of the other's)."""
    base = base + "\n" if base else base
    mine, theirs = base + mine_added, base + theirs_added
    merged = merge_appended(base, mine, theirs)
    assert merged is not None and merged.startswith(base)
    if theirs.startswith(mine) or mine.startswith(theirs):
        assert merged in (mine, theirs)
    else:
        assert merged.count("\n") <= mine.count("\n") + theirs.count("\n") - base.count("\n") + 1


@settings(max_examples=500)
@given(base=text, mine=text, theirs=text)
def test_reconcile_keeps_every_line_or_asks(base, mine, theirs):
    result = reconcile(base, mine, theirs)
    if result is None:
        # The coordinator chooses; keeping both keeps every line of both.
        assert keeps_every_line(keep_both(mine, theirs), mine, theirs)
    elif theirs == base:
        assert result == mine  # nobody else saved: ours, whatever it is
    elif mine == base:
        assert result == theirs  # we changed nothing: theirs
    else:
        assert keeps_every_line(result, mine, theirs, base=base)


@given(mine=text, theirs=text)
def test_keep_both_never_loses_a_line(mine, theirs):
    both = keep_both(mine, theirs)
    assert keeps_every_line(both, mine, theirs)
    assert both.startswith(theirs) and both.endswith(mine)
