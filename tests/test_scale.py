"""Data builder limits and the ten-times database (issue 23 §6 and §4).

The demo's NHS numbers come from the 999 test range (never a real person's number), which
holds 909,091 valid numbers; asking for more must stop at once with one line rather than
loop for ever. The range is monkeypatched small here so the limit is reached in a test.
"""

from __future__ import annotations

import nhs_number
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from coordinator_tui import models as m
from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import session_scope
from coordinator_tui.demo import seed
from coordinator_tui.demo.seed import DemoTooLarge, demo_nhs_numbers, seed_demo


def _valid_in(serials: range) -> int:
    count = 0
    for serial in serials:
        check = nhs_number.calculate_checksum(f"999{serial:06d}")
        count += check is not None and check < 10
    return count


def test_the_999_range_holds_909091_valid_numbers():
    """The figure the error message and the docstring quote (10 of every 11 stems)."""
    assert _valid_in(range(0, 11_000)) == 10_000
    assert len(seed.DEMO_NHS_SERIALS) == 1_000_000
    # 1,000,000 stems: 90,909 whole runs of 11 (10 valid each) and 1 stem more, valid.
    assert 90_909 * 10 + _valid_in(range(999_999, 1_000_000)) == 909_091


def test_numbers_within_the_range_are_valid_and_distinct():
    numbers = demo_nhs_numbers(500)
    assert len(set(numbers)) == 500
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)


def test_asking_for_more_than_the_range_holds_stops_with_one_line(monkeypatch):
    monkeypatch.setattr(seed, "DEMO_NHS_SERIALS", range(100))
    holds = _valid_in(range(100))
    assert len(demo_nhs_numbers(holds)) == holds  # exactly the range: fine
    with pytest.raises(DemoTooLarge) as caught:
        demo_nhs_numbers(holds + 1)
    message = str(caught.value)
    assert "\n" not in message
    assert f"holds {holds:,} valid numbers" in message and f"{holds + 1:,} people" in message


def test_seeding_past_the_range_writes_nothing(monkeypatch, opened):
    monkeypatch.setattr(seed, "DEMO_NHS_SERIALS", range(1000))  # 909 numbers, 2,000 people
    with pytest.raises(DemoTooLarge, match="999 test range"):
        seed_demo(opened.engine, "small", seed=1)
    with session_scope(opened.engine, "t") as session:
        assert session.scalar(select(func.count()).select_from(m.Person)) == 0


def test_seed_demo_command_says_so_in_one_line(monkeypatch, db_path):
    monkeypatch.setattr(seed, "DEMO_NHS_SERIALS", range(1000))
    result = CliRunner().invoke(cli_app, ["seed-demo", "--db", str(db_path)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "999 test range" in lines[0], result.output
    assert "Traceback" not in result.output


def test_the_ten_times_size_is_what_the_issue_names():
    """9x people, 10x registers and referrals, 300 carers, 5.5x the visits (by customers,
    the same calls a day and weeks), and within the 999 range."""
    large, x10 = seed.SIZES["large"], seed.SIZES["x10"]
    assert x10["people"] == 9 * large["people"] <= 909_091
    assert x10["entries"] == 10 * large["entries"]
    assert x10["referrals"] == 10 * large["referrals"]
    assert x10["carers"] == 300
    assert x10["visit_rate"] == large["visit_rate"] and x10["weeks"] == large["weeks"]
    assert x10["customers"] == 5.5 * large["customers"]


def test_benchmarks_fail_on_a_missed_target_by_default_and_take_scale_10():
    """``python -m benchmarks`` exits non-zero on a missed target unless told not to, and
    ``--scale 10`` asks for both sizes (parsing only: benchmarks never run in pytest)."""
    from benchmarks.__main__ import parse_args

    assert parse_args([]).strict is True
    assert parse_args(["--no-strict"]).strict is False
    assert parse_args([]).scale == 1
    assert parse_args(["--scale", "10"]).scale == 10
    with pytest.raises(SystemExit):
        parse_args(["--scale", "3"])


def test_benchmark_figures_carry_the_load_average(monkeypatch):
    from benchmarks import common
    from benchmarks.__main__ import _load_text

    monkeypatch.setattr(common.os, "cpu_count", lambda: 2)
    assert common.load_is_high([2.5, 1.0, 1.0]) and not common.load_is_high([1.9, 5.0, 5.0])
    assert not common.load_is_high(None)
    assert _load_text({"before": [3.21, 1, 1], "after": [4.0, 1, 1]}) == "3.2->4.0"
    assert _load_text(None) == "-"
    assert common.scaled_db(10).name == "large-x10.db" and common.scaled_db(1).name == "large.db"


def test_what_if_leaves_the_rota_state_exactly_as_before(small_demo_engine):
    """``RotaState.what_if`` takes a change back without re-checking (ranking carers asks
    it once per carer, issue 23 §1): after each of many what-ifs every check result, cell
    and assignment is what it was, and the answer is the one a kept change gives."""
    import copy
    import random

    from conftest import DEMO_TODAY

    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota.assign import rank_carers
    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.validate import RotaState

    with session_scope(small_demo_engine, "t") as session:
        snap = load_week(session, DEMO_TODAY)
    state = RotaState(snap)
    state.problems()

    def caches(s: RotaState) -> tuple:
        return (
            dict(s._on_visit),
            dict(s._carers),
            dict(s._visits),
            copy.deepcopy(s.cells),
            dict(s.carers_of),
        )

    before = caches(state)
    problems = state.problems()
    rnd = random.Random(23)
    carers = sorted(c.id for c in snap.carers.values() if c.active)
    for visit_id in rnd.sample(sorted(snap.visits), 40):
        current = state.carers_of.get(visit_id, ())
        new = (*current[:-1], rnd.choice(carers)) if current else (rnd.choice(carers),)
        if len(set(new)) != len(new):
            continue
        answer = state.what_if({visit_id: new})
        assert caches(state) == before
        assert state.problems() == problems
        kept = RotaState(snap, dict(state.carers_of))
        kept.problems()
        expected = kept.change({visit_id: new})
        assert set(answer.added_hard) == set(expected.added_hard)
        assert set(answer.added_soft) == set(expected.added_soft)
    short = [v for v in sorted(snap.visits) if state.short_of(v)]
    assert short, "the demo week has visits short of carers"
    rank_carers(state, short[0])
    assert caches(state) == before and state.problems() == problems
