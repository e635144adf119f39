"""Hostile and broken input (issue 12 section 6): spreadsheet formulas in exports, terminal
control codes in names, and every CSV/XLSX written through one safe writer."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator_tui.services import chronology
from coordinator_tui.services.exporting import FORMULA_STARTS, csv_text, safe_cell, xlsx_bytes

PACKAGE = Path(__file__).parents[1] / "coordinator_tui"

cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(FORMULA_STARTS).flatmap(lambda c: st.text(max_size=10).map(lambda t: c + t)),
    st.integers(min_value=-(10**6), max_value=10**6),
)


def _expected(value) -> str:
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


# -- formula injection ---------------------------------------------------------------------


@given(rows=st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6))
@settings(max_examples=150, deadline=None)
def test_csv_cells_never_start_a_formula(rows):
    """Whatever the cells hold, the CSV read back has no text cell starting a formula, and
    each cell is the value itself or the value behind a single quote."""
    text = csv_text(["a", "b", "c"], rows)
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == ["a", "b", "c"]
    assert len(read) == len(rows) + 1
    for written, row in zip(read[1:], rows, strict=True):
        assert written == [_expected(value) for value in row]
        for value, cell in zip(row, written, strict=True):
            if isinstance(value, str):
                assert not cell.startswith(FORMULA_STARTS)


@given(rows=st.lists(st.lists(cells, min_size=2, max_size=2), min_size=1, max_size=5))
@settings(max_examples=40, deadline=None)
def test_xlsx_cells_are_text_never_formulas(rows):
    from openpyxl import load_workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = load_workbook(io.BytesIO(xlsx_bytes([("Sheet", ["a", "b"], rows)])))
    sheet = book["Sheet"]
    for line, row in zip(sheet.iter_rows(min_row=2), rows, strict=True):
        for cell, value in zip(line, row, strict=True):
            assert cell.data_type != "f"
            if isinstance(value, str):
                # Control codes XML cannot hold are dropped, then the cell made safe.
                kept = ILLEGAL_CHARACTERS_RE.sub("", value)
                assert (cell.value or "") == (safe_cell(kept) if kept else "")
                assert not (cell.value or "").startswith(FORMULA_STARTS)
            else:
                assert cell.value == value


def test_the_chronology_csv_is_formula_safe():
    items = [
        chronology.ChronologyItem(
            on=date(2026, 11, 3), kind="note", source="Manual", text='=HYPERLINK("http://x")'
        ),
        chronology.ChronologyItem(on=date(2026, 11, 4), kind="note", source="@sum", text="-1"),
    ]
    read = list(csv.reader(io.StringIO(chronology.to_csv(items))))
    assert read[1][3] == '\'=HYPERLINK("http://x")'
    assert read[2][2:] == ["'@sum", "'-1"]


def test_safe_cell_leaves_plain_values_alone():
    assert safe_cell("Smith") == "Smith"
    assert safe_cell(-5) == -5 and safe_cell(None) is None
    assert safe_cell("\t=1+1") == "'\t=1+1"


def test_every_csv_and_xlsx_is_written_by_the_safe_writer():
    """No module but ``services/exporting.py`` makes a csv writer or an openpyxl workbook."""
    pattern = re.compile(r"csv\.writer|DictWriter|openpyxl|xlsxwriter")
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "exporting.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
