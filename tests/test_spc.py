"""The XmR chart and the special-cause rules of NHS England's "Making Data Count" (as
NHSRplotthedots implements them): limits mean +/- 2.66 x mean moving range; outside a
limit; a shift of 7 on one side of the mean; a trend of 7 rising or falling; 2 of 3 close
to a limit on the same side. Each case is counted by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.services.reports.spc import LIMIT, MIN_POINTS, xmr


def special(values: list[float]) -> dict[int, tuple[str, ...]]:
    return {i: p.signals for i, p in enumerate(xmr(values).points) if p.special}


class TestLimits:
    def test_hand_counted_limits(self) -> None:
        # mean 2; moving ranges 2, 2, 2 -> mean moving range 2; limits 2 +/- 5.32
        chart = xmr([1, 3, 1, 3])
        assert chart.mean == 2
        assert chart.mean_moving_range == 2
        assert chart.upper == pytest.approx(7.32)
        assert chart.lower == pytest.approx(-3.32)
        assert chart.near_upper == pytest.approx(2 + LIMIT * 2 * 2 / 3)
        assert special([1, 3, 1, 3]) == {}

    def test_constant_values_are_common_cause(self) -> None:
        # every point on the mean: no side, no range, no signal
        assert special([4] * 20) == {}
        assert xmr([4] * 20).verdict() == "common cause variation only"

    def test_few_points_are_provisional(self) -> None:
        assert xmr([1, 2, 3]).provisional
        assert not xmr([1, 2] * (MIN_POINTS // 2 + 1)).provisional

    def test_empty(self) -> None:
        chart = xmr([])
        assert chart.points == ()
        assert chart.verdict() == "no data"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # outside: mean 14.2, moving ranges sum 40 / 9, upper 14.2 + 2.66 x 4.44 = 26.02 < 40;
        # the nine points before it are all below the mean: a shift of 9
        (
            [10, 12, 11, 13, 12, 11, 10, 12, 11, 40],
            {**{i: ("shift",) for i in range(9)}, 9: ("outside",)},
        ),
        # a shift: 7 in a row above the mean (5) and 7 below; limits 5 +/- 2.54
        (
            [4, 6, 4, 6, 4] + [6] * 7 + [4] * 7 + [6, 4, 6, 4, 6],
            {i: ("shift",) for i in range(5, 19)},
        ),
        # a shift needs 7: six above and six below is nothing
        ([4, 6, 4, 6, 4] + [6] * 6 + [4] * 6 + [6, 4, 6, 4, 6], {}),
        # trend: 7 points each higher than the last (6 steps up), inside limits 4 +/- 7.98
        (
            [2, 6, 2, 6, 2, 6, 1, 2, 3, 4, 5, 6, 7, 2, 6, 2, 6],
            {i: ("trend",) for i in range(6, 13)},
        ),
        # 6 rising points are not a trend
        ([2, 6, 2, 6, 2, 6, 1, 2, 3, 4, 5, 6, 2, 6, 2, 6], {}),
        # an equal value breaks a trend
        ([2, 6, 2, 6, 2, 6, 1, 2, 3, 3, 4, 5, 6, 7, 2, 6, 2, 6], {}),
        # close to a limit: mean 0.75, mean moving range 27/23, near limit 2.83, upper 3.87;
        # 3, 1, 3 all above the mean with two of them in the outer third
        ([0, 1] * 5 + [3, 1, 3] + [1, 0] * 5 + [1], {10: ("near",), 12: ("near",)}),
    ],
)
def test_rules(values: list[float], expected: dict[int, tuple[str, ...]]) -> None:
    assert special(values) == expected


def test_two_near_points_on_opposite_sides_are_not_a_signal() -> None:
    # the same two near values, one above and one below the mean: no signal
    values = [0, 1] * 5 + [3, 1, -1.6] + [1, 0] * 5 + [1]
    chart = xmr(values)
    assert not any("near" in p.signals for p in chart.points)


def test_verdict_names_the_latest_point() -> None:
    chart = xmr([10, 12, 11, 13, 12, 11, 10, 12, 11, 40])
    assert chart.points[-1].side == "high"
    assert "latest point high" in chart.verdict()


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=0, max_size=60))
def test_any_counts(values: list[int]) -> None:
    """Any series of counts: limits around the mean, every point classified, and a point
    outside the limits always flagged."""
    chart = xmr(values)
    assert len(chart.points) == len(values)
    if values:
        assert chart.lower <= chart.mean <= chart.upper
        for point in chart.points:
            if point.value > chart.upper or point.value < chart.lower:
                assert "outside" in point.signals
