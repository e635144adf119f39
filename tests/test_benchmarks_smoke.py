"""The benchmarks package builds and its CLI starts (no timing here: ``python -m benchmarks``)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

REPO_ROOT = Path(__file__).parents[1]


async def test_bare_app_builds_and_exits_after_first_frame() -> None:
    from benchmarks.bare_app import BareApp

    app = BareApp()
    async with app.run_test(size=(120, 40)) as pilot:
        assert "first frame" in str(app.query_one(Static).content)
        await pilot.pause()  # its call_after_refresh(exit) runs; the app leaves by itself
    assert app.return_code == 0


def test_benchmarks_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--runs" in result.stdout
    assert "--only" in result.stdout


def test_benchmarks_cli_offers_lists_and_terminal() -> None:
    from benchmarks.__main__ import BENCHMARKS, parse_args

    assert {"lists", "terminal"} <= set(BENCHMARKS)
    assert parse_args(["--only", "lists", "--only", "terminal"]).only == ["lists", "terminal"]


async def test_lists_bare_baseline_paints() -> None:
    """The frame probe sees the bare app's switch, push and keystroke paint."""
    from benchmarks.lists import bare_run

    timings: dict[str, list[float]] = {"switch": [], "push": [], "key": []}
    await bare_run(timings, "ab", opens=1)
    assert len(timings["switch"]) == 1
    assert len(timings["push"]) == 1
    assert len(timings["key"]) == 2
    assert all(0 < t < 20 for samples in timings.values() for t in samples)


async def test_lists_app_steps_paint_on_the_small_demo(demo_settings, small_demo_engine) -> None:
    """Every step of ``benchmarks.lists`` finds what it waits for in the real app."""
    from benchmarks.lists import app_run

    keys = ("queue_open", "person_open", "filter_key", "filter_first_key", "referrals_open")
    timings: dict[str, list[float]] = {k: [] for k in keys}
    info: dict = {}
    await app_run(demo_settings, small_demo_engine, timings, info, opens=1, keys_per_needle=1)
    assert len(timings["queue_open"]) == 1
    assert len(timings["person_open"]) == 1
    assert len(timings["filter_key"]) == sum(len(n) for n in info["filter_needles"])
    assert len(timings["referrals_open"]) == 1
    assert info["queue_rows"] > 0 and info["referral_rows"] > 0


async def test_people_app_opens_on_the_people_list(demo_settings, small_demo_engine) -> None:
    from pilot_helpers import wait_for

    from coordinator_tui.app import PeopleFirstApp
    from coordinator_tui.screens.registers.people import PeopleScreen

    app = PeopleFirstApp(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PeopleScreen) and app.screen.loaded)
        assert app.screen.total > 0


async def test_typing_apps_take_a_date() -> None:
    from textual.widgets import Input

    from benchmarks.typing_apps import TypingApp
    from coordinator_tui.widgets.date_input import DateInput

    for kind in ("input", "date"):
        app = TypingApp(kind)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press(*"3/12")
            assert app.query_one(Input).value == "3/12"
            if kind == "date":
                assert app.query_one(DateInput).value is not None


def test_people_csv_export_matches_the_list_order(small_demo_path, tmp_path) -> None:
    from benchmarks.terminal import export_people_csv

    target = tmp_path / "people.csv"
    first_nhs, count = export_people_csv(small_demo_path, target)
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Name", "NHS number", "Born", "Postcode"]
    assert len(rows) == count + 1
    assert rows[1][1] == first_nhs


def test_tmux_control_sees_typing_in_a_real_terminal() -> None:
    """One short typing round in tmux (skipped where tmux is not installed)."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    from benchmarks import terminal

    tmux = terminal.TmuxControl()
    try:
        samples = terminal._type_run(tmux, f"bench-smoke-{tmux.socket}", "input")
    finally:
        tmux.close()
    assert len(samples) == len(terminal.TYPED)
    assert all(0 < s < terminal.KEY_TIMEOUT_S for s in samples)


# -- PostgreSQL side by side (issue 23 §5) ---------------------------------------------------


def test_benchmarks_cli_takes_a_postgresql_url() -> None:
    from benchmarks.__main__ import PG_NOT_RUN, parse_args

    url = "postgresql+psycopg://bench@127.0.0.1:5432/bench"
    args = parse_args(["--pg", url, "--rtt-ms", "2", "--only", "lists"])
    assert (args.pg, args.rtt_ms, args.only) == (url, 2.0, ["lists"])
    assert parse_args([]).pg is None
    # A benchmark that cannot run there says why (never skipped silently).
    assert {"encryption", "terminal", "demo_build"} <= set(PG_NOT_RUN)
    assert all(reason for reason in PG_NOT_RUN.values())


def test_side_by_side_table_pairs_each_figure_with_its_postgresql_twin() -> None:
    from rich.console import Console

    from benchmarks.__main__ import side_by_side
    from benchmarks.common import Result

    results = [
        Result("lists.queue_open", [0.09, 0.1, 0.11], target="<= bare + 100 ms", passed=True),
        Result("pg lists.queue_open", [0.2, 0.21, 0.3], target="<= bare + 100 ms", passed=False),
        Result("startup.bare", [0.3], target="baseline", passed=True),  # no twin: left out
    ]
    console = Console(width=160, record=True)
    console.print(side_by_side(results, 2.0, {"encryption": "SQLCipher encrypts a file"}))
    text = console.export_text()
    assert "+2 ms a round trip" in text
    row = next(line for line in text.splitlines() if "lists.queue_open" in line)
    assert "100.0 ms" in row and "210.0 ms" in row and "+110.0 ms" in row and "NO" in row
    assert "startup.bare" not in text
    assert "not run" in text and "SQLCipher encrypts a file" in text


def test_demo_date_reads_through_the_app_layer(small_demo_path) -> None:
    """No sqlite3 of its own: the same call reads a SQLite file or a PostgreSQL URL. The
    date is the day the demo was built for, which its seeding note says, not the day it
    was seeded (a copy seeded after midnight for the day before was refused)."""
    from conftest import DEMO_TODAY

    from benchmarks.common import demo_date

    assert demo_date(small_demo_path) == DEMO_TODAY
    assert demo_date(str(small_demo_path)) == DEMO_TODAY


def test_demo_date_of_an_older_demo_is_the_day_it_was_seeded(small_demo_path) -> None:
    """A demo seeded before its notes said the day: the first seeding note's own time."""
    import json
    import sqlite3
    from datetime import UTC, datetime

    from benchmarks.common import demo_date
    from coordinator_tui.clock import to_local

    conn = sqlite3.connect(small_demo_path)
    with conn:
        for event_id, changes in conn.execute(
            "SELECT id, changes FROM audit_event WHERE actor = 'demo-seed' AND action = 'note'"
        ).fetchall():
            details = json.loads(changes)
            details.pop("today", None)
            conn.execute(
                "UPDATE audit_event SET changes = ? WHERE id = ?", (json.dumps(details), event_id)
            )
    (at,) = conn.execute("SELECT min(at) FROM audit_event WHERE actor = 'demo-seed'").fetchone()
    conn.close()
    expected = to_local(datetime.fromisoformat(at).replace(tzinfo=UTC)).date()
    assert demo_date(small_demo_path) == expected


def test_delaying_proxy_adds_the_round_trip(pg_url) -> None:
    """``SELECT 1`` through the proxy takes at least the delay (it is a lower bound: the
    whole delay is held on the server -> client direction, once a round trip)."""
    import time

    from sqlalchemy import create_engine, text

    from benchmarks.pg_delay import proxied

    delay_ms = 40
    with proxied(pg_url, delay_ms) as through:
        assert through != pg_url
        engine = create_engine(through)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))  # connect and warm the statement
                for _ in range(3):
                    start = time.perf_counter()
                    assert conn.execute(text("SELECT 1")).scalar() == 1
                    assert time.perf_counter() - start >= delay_ms / 1000
        finally:
            engine.dispose()


def test_postgresql_demo_seeded_once_and_benchmarks_run_through_the_proxy(
    pg_url, small_demo_path
) -> None:
    """The demo seeded into PostgreSQL once (reused after), Governance's incidents topped up
    in place there, and the rota benchmark run against it through the proxy, in a child
    process as ``python -m benchmarks`` runs it (the child reaches the parent's proxy)."""
    from benchmarks import governance
    from benchmarks.__main__ import run_in_child
    from benchmarks.common import count_rows, demo_date, ensure_pg_demo
    from benchmarks.pg_delay import proxied
    from coordinator_tui.models import Incident, Person

    first = ensure_pg_demo(pg_url, small_demo_path, size="small")
    assert first["built_now"] is True
    assert count_rows(pg_url, Person) == count_rows(small_demo_path, Person)
    assert ensure_pg_demo(pg_url, small_demo_path, size="small")["built_now"] is False
    assert demo_date(pg_url) == demo_date(small_demo_path)

    have = count_rows(pg_url, Incident)
    db, info = governance.with_incidents(pg_url, wanted=have + 2)
    assert db == pg_url and info["incidents"] == have + 2
    assert count_rows(pg_url, Incident) == have + 2

    with proxied(pg_url, 0) as through:
        results = run_in_child("benchmarks.rota_validate:run", through, 1)
    names = {result.name for result in results}
    assert {"rota.load", "rota.grid_open"} <= names


async def test_round_trips_of_each_screen_open_are_counted(pg_url, small_demo_path) -> None:
    """Why an open is slower on PostgreSQL: its round trips, counted through the proxy."""
    from benchmarks.__main__ import round_trips_table
    from benchmarks.common import demo_date, ensure_pg_demo
    from benchmarks.pg_delay import OPENS, open_round_trips

    ensure_pg_demo(pg_url, small_demo_path, size="small")
    opens = await open_round_trips(pg_url, demo_date(pg_url))
    assert list(opens) == [name for name, _, _ in OPENS]
    for count in opens.values():
        # Every statement is a round trip; BEGIN, COMMIT and the pool's ping are more.
        assert count["round_trips"] >= count["statements"] >= 1
    assert "Round trips per screen open" in str(round_trips_table(opens, 2.0).title)


# -- the people list against VisiData at two sizes (issue 23 §4) -----------------------------


def test_people_numbers_past_the_valid_999_range_fail_their_check_digit(monkeypatch) -> None:
    """Past the 999 range's valid numbers (909,091 of a million serials; 909 of a thousand
    here) the builder takes numbers whose check digit fails: never anyone's."""
    import nhs_number

    from benchmarks.people_app import people_numbers
    from coordinator_tui.demo import seed

    monkeypatch.setattr(seed, "DEMO_NHS_SERIALS", range(1000))
    valid = seed.demo_nhs_numbers(909)
    with pytest.raises(seed.DemoTooLarge, match="909 valid numbers"):
        seed.demo_nhs_numbers(910)
    numbers, failing = people_numbers(set(valid[:9]), 990)
    assert len(numbers) == len(set(numbers)) == 990
    assert not set(numbers) & set(valid[:9])
    assert failing == 990 - 900
    assert all(n.startswith("999") and len(n) == 10 for n in numbers)
    assert all(nhs_number.is_valid(n) for n in numbers[:900])
    assert not any(nhs_number.is_valid(n) for n in numbers[900:])
    with pytest.raises(ValueError, match="cannot hold"):
        people_numbers(set(), 1001)


def test_people_database_topped_up_and_compared_with_visidata(small_demo_path, tmp_path) -> None:
    """The top-up builder, then one round of the app and VisiData in tmux (skipped where
    either is missing): every step finds what it waits for. No timing asserted."""
    from benchmarks.common import count_rows
    from benchmarks.people_app import build_people_db, compare, results_for
    from coordinator_tui.models import Person

    have = count_rows(small_demo_path, Person)
    bigger = tmp_path / "people-more.db"
    info = build_people_db(small_demo_path, bigger, rows=have + 40)
    assert info["built_now"] and info["people"] == have + 40 == count_rows(bigger, Person)
    assert info["failing_check_digit"] == 0
    assert build_people_db(small_demo_path, bigger, rows=have + 40)["built_now"] is False

    if shutil.which("tmux") is None or shutil.which("vd") is None:
        pytest.skip("tmux or VisiData (the bench extra) is not installed")
    from benchmarks import terminal

    tmux = terminal.TmuxControl()
    try:
        measured = compare(tmux, bigger, tmp_path / "people.csv", 1, "smoke")
    finally:
        tmux.close()
    assert measured["rows"] == have + 40
    results = results_for(measured, "smoke", None)
    assert {r.name for r in results} >= {"people.smoke.app.first_row", "people.smoke.app.end"}
    assert all(r.runs == 1 for r in results)


def test_the_readme_table_puts_both_sizes_of_a_measure_side_by_side():
    """``benchmarks.readme_table``: one row a measure, the large demo's figure beside the
    ten-times one, each judged on its own; a measure taken at ten times only (its build)
    gets its own row; a failed benchmark is listed under the table."""
    from benchmarks.readme_table import markdown

    def result(name, median, passed, target="< 50 ms", ratio=None):
        return {
            "name": name,
            "median_s": median,
            "ratio": ratio,
            "target": target,
            "pass": passed,
            "load_average": {"before": [1.5, 1.0, 0.5], "after": [1.6, 1.0, 0.5]},
            "calibration_ms": {"before": 55.2, "after": 61.7},
        }

    document = {
        "generated_at": "2026-12-06T23:00:00+00:00",
        "total_seconds": 600,
        "argv": ["--scale", "10"],
        "results": [
            result("rota.load", 0.028, True),
            result("x10 rota.load", 0.127, False),
            result("startup.frame.app", 0.27, True, "<= 1.5x bare", 1.49),
            result("demo_build.x10", 61.0, True, "under 90 s"),
        ],
        "errors": [{"benchmark": "x10 terminal", "error": "tmux missing"}],
        "machine": {"calibration": {"start": {"median_ms": 81.6}, "end": {"median_ms": 83.0}}},
    }
    text = markdown(document)
    lines = text.splitlines()
    assert "`python -m benchmarks --scale 10`" in lines[0]
    assert "calibration 82 ms" in lines[0]  # the machine's speed, to compare runs by
    load = next(line for line in lines if line.startswith("| `rota.load`"))
    assert (
        "28.0 ms, load 1.5, cal 62 | met | 127.0 ms, load 1.5, cal 62 | **NOT met** | < 50 ms"
        in load
    )  # the load and the machine's speed (the slower calibration around it) by each figure
    frame = next(line for line in lines if line.startswith("| `startup.frame.app`"))
    assert "270.0 ms (1.49x)" in frame and "| – |" in frame
    build = next(line for line in lines if line.startswith("| `demo_build.x10`"))
    assert "| – |  | 61.0 s, load 1.5, cal 62 | met | under 90 s |" in build
    assert lines[-1] == "- **failed:** x10 terminal: tmux missing"


# -- each benchmark in a fresh process, and the machine's calibration (issue 23 §4) ------------

FAKE_BENCH = """
import os, sys, time
from benchmarks.common import PartialResults, Result, console

def _results(db, runs):
    return [
        Result(
            "fake.load",
            [0.001 * i for i in range(1, runs + 1)],
            target="< 1 s",
            passed=True,
            baseline_median_s=0.002,
            description="a fake benchmark",
            extra={"pid": os.getpid(), "db": str(db), "db_type": type(db).__name__,
                   "nested": {"rows": [1, 2, 3]}},
        )
    ]

def run(db, runs):
    console.print("fake: measuring")
    return _results(db, runs)

def partial(db, runs):
    raise PartialResults(_results(db, runs), "the comparison could not run")

def crash(db, runs):
    print("fake: about to fail", file=sys.stderr)
    raise ValueError("no such table: visit\\n[parameters: ('Ada Example', '9990000000')]")

def hard(db, runs):
    os._exit(7)

def slow(db, runs):
    time.sleep(60)
"""


@pytest.fixture
def fake_runner(tmp_path, monkeypatch):
    """``python -m benchmarks``'s ``main`` with ``rota_validate`` pointed at a fake benchmark
    module (importable by the child through PYTHONPATH), the large demo replaced by a path
    nothing opens, and the JSON kept in ``tmp_path``: the whole runner in about a second."""
    import os

    import benchmarks.__main__ as runner

    (tmp_path / "fake_bench.py").write_text(FAKE_BENCH, encoding="utf-8")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setattr(runner, "DEFAULT_JSON", tmp_path / "latest.json")
    fake_db = tmp_path / "large.db"
    monkeypatch.setattr(
        runner,
        "ensure_large_db",
        lambda rebuild=False, scale=1: {"path": str(fake_db), "built_now": False},
    )

    def run(function: str, *extra: str) -> tuple[int, dict]:
        monkeypatch.setitem(runner.CALLS, "rota_validate", f"fake_bench:{function}")
        argv = ["--only", "rota_validate", "--runs", "5", "--repeat-when-busy", "0", *extra]
        code = runner.main(argv)
        return code, json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))

    return run


def test_result_from_dict_inverts_to_dict() -> None:
    from benchmarks.common import Result

    result = Result(
        "x10 rota.load",
        [0.0123456, 0.02, 0.011],
        target="< 50 ms",
        passed=False,
        baseline_median_s=0.01,
        description="the week read",
        extra={"load_average": {"before": [0.5, 0.4, 0.3], "after": [0.6, 0.4, 0.3]}, "n": 2},
    )
    again = Result.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert again.samples_s == pytest.approx(result.samples_s, abs=1e-6)  # to the microsecond
    assert (again.name, again.target, again.passed) == (result.name, result.target, False)
    assert again.extra == result.extra and again.ratio == pytest.approx(result.ratio, 1e-4)


def test_each_benchmark_runs_in_a_fresh_process_and_its_results_come_back(
    fake_runner, capsys
) -> None:
    import os

    code, document = fake_runner("run")
    assert code == 0, document["errors"]
    (result,) = document["results"]
    assert result["name"] == "fake.load"
    assert result["samples_s"] == [0.001, 0.002, 0.003, 0.004, 0.005]
    assert (result["median_s"], result["ratio"], result["pass"]) == (0.003, 1.5, True)
    assert result["pid"] != os.getpid()  # measured in a child, not in the runner
    assert result["db_type"] == "PosixPath" and result["db"].endswith("large.db")
    assert result["nested"] == {"rows": [1, 2, 3]}
    assert set(result["load_average"]) == {"before", "after"}
    captured = capsys.readouterr()
    assert "fake: measuring" in captured.err  # the child's progress reaches stderr
    header = next(line for line in captured.out.splitlines() if "calibration" in line)
    assert "compare runs from other days by it" in header


def test_the_calibration_is_in_the_json_header(fake_runner) -> None:
    from benchmarks.common import CALIBRATION_REPEATS

    _, document = fake_runner("run")
    calibration = document["machine"]["calibration"]
    assert "calibration_workload" in calibration["workload"]
    for when in ("start", "end"):
        timed = calibration[when]
        assert len(timed["samples_ms"]) == CALIBRATION_REPEATS
        assert 0 < min(timed["samples_ms"]) == timed["min_ms"] <= timed["median_ms"]
        assert timed["median_ms"] <= max(timed["samples_ms"])
        assert len(timed["load_average"]) == 3


def test_a_benchmark_run_on_a_slow_machine_is_measured_again_and_the_quicker_kept(
    fake_runner, monkeypatch, capsys
) -> None:
    """The machine's speed, which the load average does not see: each benchmark is timed
    between two calibrations (written beside its figures); one more than 1.25x the run's
    quickest marks it slow, and it is measured again, the run on the quicker machine kept
    and both written to the JSON. A quick machine measures once."""
    import benchmarks.__main__ as runner

    medians = iter([50.0, 51.0, 90.0, 50.0, 52.0, 55.0])  # start, (before, after) x 2, end

    def calibrate() -> dict:
        median = next(medians)
        return {"median_ms": median, "min_ms": median, "samples_ms": [median]}

    monkeypatch.setattr(runner, "calibrate", calibrate)
    monkeypatch.setattr(runner, "load_average", lambda: [0.2, 0.2, 0.2])
    code, document = fake_runner("run", "--repeat-when-busy", "1")
    assert code == 0, document["errors"]
    (result,) = document["results"]
    assert result["calibration_ms"] == {"before": 50.0, "after": 52.0}
    (repeat,) = document["repeated"]
    assert [load["calibration_ms"] for load in repeat["loads"]] == [
        {"before": 51.0, "after": 90.0},
        {"before": 50.0, "after": 52.0},
    ]
    assert document["machine"]["calibration"]["between"] == [51.0, 90.0, 50.0, 52.0]
    assert "the machine was slow" in capsys.readouterr().err

    medians = iter([50.0, 51.0, 60.0, 55.0])  # 60 is within 1.25x of 50: measured once
    code, document = fake_runner("run", "--repeat-when-busy", "1")
    assert code == 0 and "repeated" not in document
    assert document["results"][0]["calibration_ms"] == {"before": 51.0, "after": 60.0}


def test_a_crashing_child_is_a_failed_run_with_its_last_lines(fake_runner, capsys) -> None:
    code, document = fake_runner("crash", "--no-strict")
    assert code == 1 and document["results"] == []
    (error,) = document["errors"]
    assert error["benchmark"] == "rota_validate"
    assert "ValueError: no such table: visit" in error["error"]
    assert "fake: about to fail" in error["error"]  # the stderr tail
    assert "fake_bench.py" in error["error"]  # where it was raised
    # Only the message's first line: a statement's parameters never reach the terminal.
    assert "Ada Example" not in error["error"]
    assert "Ada Example" not in capsys.readouterr().err

    code, document = fake_runner("hard")
    assert code == 1 and "exited with code 7" in document["errors"][0]["error"]


def test_figures_measured_before_a_failure_still_count(fake_runner) -> None:
    code, document = fake_runner("partial", "--no-strict")
    assert code == 1
    assert document["errors"][0]["error"] == "the comparison could not run"
    (result,) = document["results"]
    assert result["name"] == "fake.load" and "load_average" in result


def test_a_child_past_its_timeout_is_stopped_and_failed(tmp_path, monkeypatch) -> None:
    import os
    import time

    from benchmarks.__main__ import run_in_child
    from benchmarks.common import BenchmarkError

    (tmp_path / "fake_bench.py").write_text(FAKE_BENCH, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(BenchmarkError, match="timed out after 2 s"):
        run_in_child("fake_bench:slow", "postgresql://bench:secret@127.0.0.1/bench", 5, 2)
    assert time.monotonic() - started < 20
    assert os.environ["PYTHONPATH"] == str(tmp_path)
