"""Statistical process control as NHS England's "Making Data Count" does it: the XmR chart
(an individuals chart with its moving ranges) and the rules that say a point is special
cause variation rather than noise.

Source: NHS England / NHS Improvement, *Making Data Count* (2017) and *Making Data Count:
strengthening your decisions* (2019), https://www.england.nhs.uk/ourwork/qual-clin-lead/
making-data-count/, as implemented by the NHS-R community's ``NHSRplotthedots`` package
(the reference implementation of the programme's "plot the dots" logic):

* the centre line is the mean of the values; the moving range of a point is its absolute
  difference from the point before; the process limits are the mean plus and minus
  2.66 times the mean moving range (2.66 = 3 / d2, d2 = 1.128 for ranges of two);
* a point is special cause variation when
  - it is outside the process limits ("astronomical" point),
  - it is one of a run of 7 or more points all above, or all below, the mean (a shift;
    a point on the mean breaks the run),
  - it is one of a run of 7 or more points each higher than the last, or each lower (a
    trend; an equal value breaks it),
  - it is one of two out of three consecutive points, on the same side of the mean, in
    the outer third of the space between the mean and a limit (close to a limit).
* Limits worked out from fewer than 15 points are provisional (the programme advises
  at least 15, ideally 20): :attr:`XmR.provisional` says so and the screen shows it.

Pure functions over numbers: no database, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LIMIT = 2.66  # 3 / 1.128: three sigma estimated from the mean moving range
NEAR = LIMIT * 2 / 3  # the outer third between the mean and a limit starts here
RUN = 7  # a shift: this many consecutive points on one side of the mean
TREND = 7  # a trend: this many consecutive points each higher (or lower) than the last
MIN_POINTS = 15  # fewer: the limits are provisional

SIGNALS = {
    "outside": "outside the process limits",
    "shift": f"{RUN} or more in a row on one side of the mean",
    "trend": f"{TREND} or more in a row rising or falling",
    "near": "2 of 3 in a row close to a limit",
}


@dataclass(frozen=True)
class SpcPoint:
    """One value on the chart: ``signals`` the special-cause rules it is part of (empty:
    common cause); ``side`` ``high`` or ``low`` for a special-cause point."""

    label: str
    value: float
    signals: tuple[str, ...] = ()
    side: str = ""

    @property
    def special(self) -> bool:
        return bool(self.signals)


@dataclass(frozen=True)
class XmR:
    """An XmR chart: the centre line, the process limits and every point classified."""

    points: tuple[SpcPoint, ...]
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    near_upper: float
    near_lower: float

    @property
    def provisional(self) -> bool:
        """Limits from fewer than :data:`MIN_POINTS` points: read with caution."""
        return len(self.points) < MIN_POINTS

    @property
    def special_points(self) -> tuple[SpcPoint, ...]:
        return tuple(p for p in self.points if p.special)

    def verdict(self) -> str:
        """In words: which special causes the chart shows, or common cause only."""
        if not self.points:
            return "no data"
        found = [SIGNALS[s] for s in SIGNALS if any(s in p.signals for p in self.points)]
        if not found:
            return "common cause variation only"
        latest = self.points[-1]
        words = "special cause: " + "; ".join(found)
        if latest.special:
            words += f" (latest point {'high' if latest.side == 'high' else 'low'})"
        return words


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def _runs(flags: Sequence[int], length: int) -> set[int]:
    """Indexes of every point in a run of ``length`` or more equal non-zero flags."""
    marked: set[int] = set()
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start] != 0 and i - start >= length:
                marked.update(range(start, i))
            start = i
    return marked


def xmr(values: Sequence[float], labels: Sequence[str] | None = None) -> XmR:
    """The XmR chart of ``values`` in time order, each point with the Making Data Count
    rules it is part of."""
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(values))]
    if len(labels) != len(values):
        raise ValueError("one label per value")
    n = len(values)
    if n == 0:
        return XmR((), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    mean = sum(values) / n
    ranges = [abs(values[i] - values[i - 1]) for i in range(1, n)]
    mr = sum(ranges) / len(ranges) if ranges else 0.0
    upper, lower = mean + LIMIT * mr, mean - LIMIT * mr
    near_upper, near_lower = mean + NEAR * mr, mean - NEAR * mr
    sides = [_side(v, mean) for v in values]
    signals: list[list[str]] = [[] for _ in values]

    for i, v in enumerate(values):
        if v > upper or v < lower:
            signals[i].append("outside")
    for i in _runs(sides, RUN):
        signals[i].append("shift")
    # A trend of TREND points is TREND - 1 steps in one direction; a step's direction is
    # given to both of its points.
    steps = [_side(values[i], values[i - 1]) for i in range(1, n)]
    for step in _runs(steps, TREND - 1):
        for i in (step, step + 1):
            if "trend" not in signals[i]:
                signals[i].append("trend")
    near = [not (v > upper or v < lower) and (v > near_upper or v < near_lower) for v in values]
    for start in range(max(n - 2, 0)):
        window = range(start, start + 3)
        same_side = abs(sum(sides[i] for i in window)) == 3
        if same_side and sum(near[i] for i in window) >= 2:
            for i in window:
                if near[i] and "near" not in signals[i]:
                    signals[i].append("near")

    points = tuple(
        SpcPoint(
            label,
            float(value),
            tuple(s for s in SIGNALS if s in signals[i]),
            ("high" if sides[i] > 0 else "low" if sides[i] < 0 else "") if signals[i] else "",
        )
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    )
    return XmR(points, mean, mr, upper, lower, near_upper, near_lower)
