"""The one-line action parser: table-driven, and it never crashes on any text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator_tui.services.meetings.minuting import ActionPreview, parse_action_line
from coordinator_tui.services.owners import OwnerCandidate, OwnerDirectory

TODAY = date(2026, 11, 23)  # a Monday
OWNERS = OwnerDirectory(
    (
        OwnerCandidate(1, "Hannah Vale", "HV", "Health visitor", True),
        OwnerCandidate(2, "Dr Ann Jones", "AJ", "GP", True),
        OwnerCandidate(3, "Dr Alan James", "AJ", "GP", False),
        OwnerCandidate(4, "Sam Coordinator", "SC", "Safeguarding coordinator", False),
        OwnerCandidate(5, "Sue Nash", "SN1", "School nurse", False),
        OwnerCandidate(6, "Beth Brown", "BB", "Practice nurse", False),
        OwnerCandidate(7, "Bill Black", "BB", "Practice nurse", False),
    )
)


@pytest.mark.parametrize(
    ("line", "owner_id", "label", "due", "text"),
    [
        (
            "HV +2w chase school nurse re attendance",
            1,
            "Hannah Vale",
            date(2026, 12, 7),
            "chase school nurse re attendance",
        ),
        ("hv fri book joint visit", 1, "Hannah Vale", date(2026, 11, 27), "book joint visit"),
        ("AJ 3/12 review bloods", 2, "Dr Ann Jones", date(2026, 12, 3), "review bloods"),
        ("SC 3 Dec 2026 send minutes", 4, "Sam Coordinator", date(2026, 12, 3), "send minutes"),
        ("SC next fri send minutes", 4, "Sam Coordinator", date(2026, 11, 27), "send minutes"),
        ("SC +5wd update coding", 4, "Sam Coordinator", date(2026, 11, 30), "update coding"),
        ("SN chase attendance", 5, "Sue Nash", None, "chase attendance"),  # role, no date
        # Two GPs: the one at the meeting; two practice nurses, neither there: the role.
        ("GP today phone mum", 2, "Dr Ann Jones", date(2026, 11, 23), "phone mum"),
        ("PN +1w dressing", None, "Practice nurse", date(2026, 11, 30), "dressing"),
        ("SW +1m strategy meeting", None, "Social worker", date(2026, 12, 23), "strategy meeting"),
        ("MW tomorrow antenatal check", None, "Midwife", date(2026, 11, 24), "antenatal check"),
        ("SC: 3 children seen", 4, "Sam Coordinator", None, "3 children seen"),
    ],
)
def test_action_lines(line, owner_id, label, due, text) -> None:
    preview = parse_action_line(line, OWNERS, today=TODAY)
    assert preview.ok, preview.problems
    assert (preview.owner_staff_id, preview.owner_label, preview.due, preview.description) == (
        owner_id,
        label,
        due,
        text,
    )
    if due is None:
        assert "no due date" in preview.warnings
    if owner_id is None:
        assert any("owner recorded as the role" in w for w in preview.warnings)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("", "Type the action"),
        ("   ", "Type the action"),
        ("HV", "Say what the action is"),
        ("HV +2w", "Say what the action is"),
        ("ZZ +2w chase", "not anyone's initials or a role"),
        ("BB +2w chase", "matches 2 people"),
        ("HV -1d chase", "in the past"),
        ("HV 1/1/2020 chase", "in the past"),
    ],
)
def test_action_line_problems(line, problem) -> None:
    preview = parse_action_line(line, OWNERS, today=TODAY)
    assert not preview.ok
    assert any(problem in text for text in preview.problems), preview.problems
    assert preview.describe()


def test_preview_describes_what_will_be_saved() -> None:
    preview = parse_action_line("HV +2w chase school nurse", OWNERS, today=TODAY)
    assert preview.describe() == "Hannah Vale · due Mon 7 Dec 2026 · chase school nurse"


WORDS = st.sampled_from(
    [
        "HV",
        "SC",
        "AJ",
        "BB",
        "GP",
        "SW",
        "+2w",
        "-3d",
        "+99999999d",
        "fri",
        "next",
        "3/12",
        "31/2",
        "3",
        "Dec",
        "2026",
        "chase",
        "school",
        "nurse",
        "re",
        "attendance",
        "",
        "+",
        "wd",
        "29/2/27",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_crashes_on_any_text(line: str) -> None:
    preview = parse_action_line(line, OWNERS, today=TODAY)
    assert isinstance(preview, ActionPreview)
    assert preview.ok or preview.problems
    preview.describe()


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=8), st.dates(min_value=date(1901, 1, 1)))
def test_never_crashes_on_plausible_lines(words: list[str], today: date) -> None:
    preview = parse_action_line(" ".join(words), OWNERS, today=today)
    if preview.ok:
        assert preview.description
        assert preview.owner_label
        assert preview.due is None or preview.due >= today
