"""A travel matrix as a CSV file for the solver (issue 19 section 1: "a travel matrix may
be supplied as a CSV of minutes between postcodes or coordinates"): read, refused in one
line when broken (the rota import's CSV hygiene), and used by the search and by the
check alike. Asserted through the checker's verdict, not a choice of carer."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_solver import Week, at
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.solver import REPLAN, Scope, solve
from coordinator_tui.services.rota.solver.matrix import (
    TravelMatrix,
    TravelMatrixError,
    load_travel_matrix,
    place_key,
    read_travel_matrix,
)
from coordinator_tui.services.rota.validate import RotaState

GOOD = (
    "from,to,minutes,mode\n"
    "OL16 1AA,ol162bb,12,drive\n"
    "OL16 2BB,OL16 1AA,14,\n"
    '"53.6120,-2.1400",OL16 1AA,9,walk\n'
)


def test_postcodes_and_coordinates_either_way():
    matrix = read_travel_matrix(GOOD)
    assert len(matrix) == 3
    assert matrix.lookup("OL161AA", "OL162BB", "drive") == 12
    assert matrix.lookup("OL162BB", "OL161AA", "drive") == 14  # listed that way too
    assert matrix.lookup("OL161AA", "OL162BB", "walk") == 14  # no walk row: the other way
    assert matrix.lookup("53.6120,-2.1400", "OL161AA", "walk") == 9
    assert matrix.lookup("OL161AA", "53.6120,-2.1400", "walk") == 9  # one way only
    assert matrix.lookup("OL161AA", "M11AA", "drive") is None
    assert place_key(" ol16 1aa ") == "OL161AA"
    assert place_key("53.61, -2.14") == "53.6100,-2.1400"
    assert place_key("nowhere") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("from,to,minutes\nOL16 1AA,OL16 2BB,1\x002\n", "line 2: the file holds a NUL byte"),
        ('from,to,minutes\n"OL16 1AA,OL16 2BB,12\n', 'a quote (") is opened and never closed'),
        ("from,to\nOL16 1AA,OL16 2BB\n", "row 1: missing column(s) minutes"),
        ("from,to,minutes,speed\nOL16 1AA,OL16 2BB,3,4\n", "unknown column(s) speed"),
        ("from,to,minutes,to\n", "named more than once"),
        ("from,to,minutes\nOL16 1AA,OL16 2BB,ten\n", "row 2: minutes must be a whole number"),
        ("from,to,minutes\nOL16 1AA,OL16 2BB,12.5\n", "row 2: minutes must be a whole number"),
        ("from,to,minutes\nOL16 1AA,OL16 2BB,-1\n", "from 0 to 1440"),
        ("from,to,minutes\nOL16 1AA,OL16 2BB,nan\n", "row 2: minutes"),
        ("from,to,minutes\nOL16 1AA,Rochdale,3\n", "row 2: to must be a postcode"),
        ("from,to,minutes\n53.6,-2.1,OL16 2BB,3\n", "row 2: more values than columns"),
        ("from,to,minutes,mode\nOL16 1AA,OL16 2BB,3,bus\n", "mode must be drive or walk"),
        (
            "from,to,minutes\nOL16 1AA,OL16 2BB,3\nOL161AA,ol16 2bb,4\n",
            "row 3: the journey OL161AA to OL162BB is given twice, 3 and 4 minutes",
        ),
        ("from,to,minutes\n", "no journeys"),
        ("", "missing column(s)"),
        (
            'from,to,minutes\n"' + "x" * (csv.field_size_limit() + 5) + '",OL16 2BB,3\n',
            "longer than the",
        ),
    ],
)
def test_a_broken_file_is_refused_in_one_line(text, words):
    with pytest.raises(TravelMatrixError) as caught:
        read_travel_matrix(text)
    message = str(caught.value)
    assert words in message, message
    assert "\n" not in message and message.startswith("Travel matrix")


def test_a_file_that_is_not_text(tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_bytes(b"from,to,minutes\n\xff\xfe,OL16 2BB,3\n")
    with pytest.raises(TravelMatrixError, match="not UTF-8"):
        load_travel_matrix(path)
    with pytest.raises(TravelMatrixError, match="cannot be read"):
        load_travel_matrix(tmp_path / "missing.csv")


ALPHABET = 'from,to,minutes,mode\n\r"\x00 OL16AB1253.-;x'


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=120))
def test_any_text_is_a_matrix_or_one_line(text):
    try:
        matrix = read_travel_matrix(text)
    except TravelMatrixError as exc:
        assert "\n" not in str(exc) and "\r" not in str(exc)
    else:
        assert isinstance(matrix, TravelMatrix) and len(matrix) > 0


postcodes = st.builds(
    lambda area, district, sector, unit: f"{area}{district} {sector}{unit}",
    st.sampled_from(["OL", "M", "BL", "SK"]),
    st.integers(1, 99),
    st.integers(0, 9),
    st.sampled_from(["AA", "BD", "ZZ"]),
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.tuples(postcodes, postcodes, st.sampled_from(["", "drive", "walk"])),
        st.integers(0, 1440),
        min_size=1,
        max_size=20,
    )
)
def test_a_written_matrix_reads_back(journeys):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from", "to", "minutes", "mode"])
    for (a, b, mode), minutes in journeys.items():
        writer.writerow([a, b, minutes, mode])
    matrix = read_travel_matrix(out.getvalue())
    for (a, b, mode), minutes in journeys.items():
        assert matrix.minutes[(place_key(a), place_key(b), mode)] == minutes


def two_visits() -> Week:
    """One carer, two customers a few hundred metres apart, visits 10 minutes apart."""
    week = Week()
    week.carer(1)
    week.customer(10, km=0.0)
    week.customer(11, km=0.3)
    week.visit(100, 10, 0, 9, length=30)
    week.visit(101, 11, 0, 9, 40, length=30)
    return week


def test_the_solver_and_its_check_use_the_matrix():
    week = two_visits()
    snap = week.snapshot()
    alone = solve(snap, Scope(mode=REPLAN), seconds=0.2)
    assert alone.after[100] == (1,) and alone.after[101] == (1,)  # 10 minutes is enough
    matrix = read_travel_matrix("from,to,minutes\nOL16 1AA,OL16 2BB,25\n")
    result = solve(
        snap,
        Scope(mode=REPLAN),
        seconds=0.2,
        travel_matrix=matrix,
        postcodes={10: "OL16 1AA", 11: "ol16 2bb"},
    )
    checked = result.checked
    assert checked.snap.travel_table.minutes(10, 11, "drive") == 25
    state = RotaState(checked.snap, result.after)
    assert [p for p in state.problems() if p.is_hard and p.code != P.UNSTAFFED] == []
    # One carer cannot make a 25-minute journey in 10: one visit is left, and says why.
    assert len(checked.unstaffed) == 1
    assert snap.travel_table.minutes(10, 11, "drive") < 10  # the caller's table untouched


def test_coordinates_name_a_customer_too():
    week = two_visits()
    snap = week.snapshot()
    a, b = snap.customers[10], snap.customers[11]
    matrix = read_travel_matrix(
        f'from,to,minutes\n"{a.lat:.4f},{a.lon:.4f}","{b.lat:.4f},{b.lon:.4f}",33\n'
    )
    result = solve(snap, Scope(mode=REPLAN), seconds=0.2, travel_matrix=matrix)
    assert result.checked.snap.travel_table.minutes(11, 10, "drive") == 33
    assert at(0, 9) == snap.visits[100].start


def test_cli_takes_a_matrix_and_refuses_a_broken_one(small_demo_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-23")
    runner = CliRunner()
    broken = tmp_path / "broken.csv"
    broken.write_text("from,to,minutes\nOL16 1AA,OL16 2BB,soon\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["rota", "solve", "--week", "2026-11-23", "--db", str(small_demo_path)]
        + ["--travel", str(broken)],
    )
    assert result.exit_code == 2
    assert "Travel matrix row 2: minutes must be a whole number" in result.stderr
    assert "Traceback" not in result.output
    good = tmp_path / "matrix.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "rota",
            "solve",
            "--week",
            "2026-11-23",
            "--db",
            str(small_demo_path),
            "--travel",
            str(good),
            "--seconds",
            "0.5",
            "--dry-run",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
