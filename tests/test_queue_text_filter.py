"""The review queue's filter-as-you-type: the fast matcher (needle read once, search text
built once per row) agrees with the plain definition on any text typed."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.services.registers import QueueRow, filter_by_text


def reference_match(row: QueueRow, needle: str) -> bool:
    """The definition, written the slow obvious way."""
    needle = needle.strip().lower()
    if not needle:
        return True
    digits = needle.replace(" ", "")
    if digits.isdigit():
        return digits in row.nhs_number
    if any(ch.isdigit() for ch in needle) and "/" in needle:
        dob = row.date_of_birth
        return needle in f"{dob:%d/%m/%Y}" or needle in f"{dob.day}/{dob.month}/{dob:%Y}"
    names = f"{row.family_name} {row.given_name} {row.given_name} {row.family_name}".lower()
    return all(word in names for word in needle.split())


def row(index: int, given: str, family: str, nhs: str, dob: date) -> QueueRow:
    return QueueRow(
        index, 1, index, nhs, given, family, dob, "CPP", "Child Protection Plan",
        "Practice", "Lead", "high", None, None, False,
    )  # fmt: skip


ROWS = [
    row(1, "Jane", "Smith", "9990001234", date(2019, 12, 3)),
    row(2, "Jo", "O'Neil", "9990004321", date(1984, 2, 29)),
    row(3, "Sam", "Jones", "9991230000", date(2001, 11, 30)),
    row(4, "Ann-Marie", "Smithson", "9990012345", date(2012, 1, 1)),
]

TYPED = st.text(alphabet="0123456789/ smithjanoe'-", max_size=12)


@given(TYPED)
def test_fast_filter_agrees_with_the_definition(needle):
    assert filter_by_text(ROWS, needle) == [r for r in ROWS if reference_match(r, needle)]


def test_examples():
    assert [r.entry_id for r in filter_by_text(ROWS, "smith")] == [1, 4]
    assert [r.entry_id for r in filter_by_text(ROWS, "jane smith")] == [1]
    assert [r.entry_id for r in filter_by_text(ROWS, "999 000 12")] == [1]
    assert [r.entry_id for r in filter_by_text(ROWS, "3/12/2019")] == [1]
    assert [r.entry_id for r in filter_by_text(ROWS, "29/02/1984")] == [2]
    assert filter_by_text(ROWS, "") == ROWS
