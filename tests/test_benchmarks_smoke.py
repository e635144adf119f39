"""The benchmarks package builds and its CLI starts (no timing here: ``python -m benchmarks``)."""

from __future__ import annotations

import csv
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
