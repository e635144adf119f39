"""The rota's legend line: the longest wording that fits, every symbol the grid draws
explained where there is room (``◌``: shadowing, issue 18 §7, which is not staffing)."""

from __future__ import annotations

import pytest

from coordinator_tui.screens.rota.grid import legend


@pytest.mark.parametrize("width", range(20, 161))
@pytest.mark.parametrize("narrow", [False, True])
def test_the_legend_never_runs_past_its_width(width: int, narrow: bool) -> None:
    assert len(legend(narrow, width).plain) <= width


def test_a_wide_screen_explains_every_symbol_the_grid_draws() -> None:
    shown = legend(False, 118).plain  # the legend's room at 120 columns
    for symbol in ("✖", "▲", "✓", "off", "◌", "week"):
        assert symbol in shown


def test_a_narrower_screen_keeps_the_problem_symbols() -> None:
    shown = legend(True, 78).plain  # 80 columns
    for symbol in ("✖", "▲", "✓", "off"):
        assert symbol in shown
