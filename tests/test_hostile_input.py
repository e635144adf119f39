"""Hostile and broken input (issue 12 section 6): spreadsheet formulas in exports, terminal
control codes in names, and every CSV/XLSX written through one safe writer."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import DEMO_TODAY
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


# -- control codes never reach the terminal --------------------------------------------------

PWNED = "Ev\x1b]0;pwned\x07il"
_STYLE = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]")  # the app's own colour and cursor codes


def record_output(app) -> list[str]:
    """What the app writes to the terminal, frame by frame (``_display`` renders each
    update to the escape sequences a real terminal receives)."""
    frames: list[str] = []
    display = app._display

    def recording(screen, renderable) -> None:
        display(screen, renderable)
        if hasattr(renderable, "render_segments"):
            frames.append(renderable.render_segments(app.console))

    app._display = recording
    return frames


def _seed_hostile(engine) -> None:
    """A register entry for a person whose name holds a terminal-title escape, written on
    a bare connection as another tool or an older version could have (the session would
    have stripped it: tests/test_audit.py)."""
    from datetime import timedelta

    from sqlalchemy import insert

    from coordinator_tui.db import session_scope
    from coordinator_tui.models import Person, Practice, RegisterCategory, RegisterEntry, Staff

    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        category = RegisterCategory(
            code="CPP", name="Child Protection Plan", age_band="child", review_interval_days=30
        )
        lead = Staff(name="Dr Lead", role="GP", is_safeguarding_lead=True)
        s.add_all([practice, category, lead])
        s.flush()
        person_id = (
            s.connection()
            .execute(
                insert(Person).returning(Person.id),
                {
                    "nhs_number": "9990000018",
                    "given_name": "Kid",
                    "family_name": PWNED,
                    "search_name": f"{PWNED.lower()} kid",
                    "date_of_birth": date(2015, 1, 1),
                    "practice_id": practice.id,
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                    "version": 1,
                },
            )
            .scalar_one()
        )
        s.add(
            RegisterEntry(
                person_id=person_id,
                category_id=category.id,
                practice_id=practice.id,
                start_date=date(2026, 1, 1),
                lead_staff_id=lead.id,
                risk_level="medium",
                next_review_due=DEMO_TODAY - timedelta(days=2),
            )
        )


async def test_an_escape_in_a_name_never_reaches_the_terminal(engine, db_path):
    """The review queue and the list of all people show the name with the escape and the
    bell as visible symbols; nothing the app writes to the terminal sets its title."""
    from pilot_helpers import wait_for

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.registers.people import PeopleScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen
    from coordinator_tui.settings import load_settings
    from coordinator_tui.widgets.lazy_table import LazyTable

    _seed_hostile(engine)
    settings = load_settings(str(db_path))
    settings.today = DEMO_TODAY
    app = make_app(settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        frames = record_output(app)
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        queue = app.screen.query_one(LazyTable)
        await wait_for(pilot, lambda: any("PWNED" in line for line in _lines(queue)))
        shown = next(line for line in _lines(queue) if "PWNED" in line)
        assert "EV␛]0;PWNED␇IL, Kid " in shown  # one cell per symbol: the columns hold
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, PeopleScreen) and app.screen.loaded)
        people = app.screen.query_one(LazyTable)
        await wait_for(pilot, lambda: any("pwned" in line.lower() for line in _lines(people)))
        assert any("ev␛]0;pwned␇il" in line.lower() for line in _lines(people))
        await pilot.pause()
    written = "".join(frames)
    assert "PWNED" in _STYLE.sub("", written)  # the name was drawn...
    assert "\x07" not in written and "\x1b]0;" not in written  # ...and set no title
    assert "\x1b" not in _STYLE.sub("", written).replace("\x1b]8;", "")


def _lines(table) -> list[str]:
    """The text of each line the table draws now (what its segments hold)."""
    return [
        "".join(segment.text for segment in table.render_line(y))
        for y in range(table.scrollable_content_region.height)
    ]


async def test_the_rota_grid_shows_control_codes_as_symbols():
    """The rota's CellGrid draws a carer's name or a cell holding control codes as visible
    symbols, one cell each, so the columns stay aligned and the terminal is untouched."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    from coordinator_tui.widgets.cell_grid import CellGrid, GridColumn

    columns = [GridColumn("Carer", 14), GridColumn("Mon", 8)]

    class GridApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CellGrid()

        def on_mount(self) -> None:
            self.query_one(CellGrid).set_grid(columns, 1, lambda _: [PWNED, Text("a\x1bb")])

    app = GridApp()
    async with app.run_test(size=(40, 6)) as pilot:
        frames = record_output(app)
        grid = app.query_one(CellGrid)
        grid.refresh()
        await pilot.pause()
        lines = ["".join(s.text for s in grid.render_line(y)) for y in range(2)]
    assert lines[1].startswith("Ev␛]0;pwned␇il") and "a␛b" in lines[1]
    header_mon, row_mon = lines[0].index("Mon"), lines[1].index("a␛b")
    assert header_mon == row_mon  # one cell per symbol: the day column still lines up
    written = "".join(frames)
    assert "\x07" not in written and "\x1b]0;" not in written
