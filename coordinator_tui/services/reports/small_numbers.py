"""Small-number suppression for counts in reports that may leave the practice.

NHS statistical disclosure control (NHS Digital's "Disclosure control" guidance for
published statistics, and the Hospital Episode Statistics Analysis Guide's rule used by
most NHS outputs) suppresses counts between 1 and 4: in a small practice or PCN a count
of 1 to 4 can point at identifiable people ("the one child looked after at the
Riverside surgery"). Zero is shown (it discloses nothing about a person) and 5 or more
is shown. The suppressed count is written as ``*``, the usual NHS marker.

Suppression is the default for anything exported; a coordinator can show the real
figures for internal use (``Settings.show_small_numbers``, or ``show_small=True``), and
the report says which it is.

Both the PCN report and the homecare KPI pack use this module, so one rule decides what
a reader outside the practice sees. Totals are suppressed by the same rule but are
computed from the real figures (a total never reveals a suppressed cell unless it is
itself 1 to 4, which is then suppressed too).

A row of parts and their total (the practices and the PCN total) gets secondary
suppression too (:func:`suppress_row`): when only one part is withheld and the total is
shown, that part could be found by subtracting the others from the total, so the
smallest other non-zero part is withheld as well (the usual complement to primary
suppression in NHS Digital's disclosure control).

Only whole counts are suppressed: a median, percentile or percentage built from a
suppressed count is suppressed too (:func:`suppress_derived`), since with one or two
records a median is a person's own figure.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "SMALL_MAX",
    "SMALL_MIN",
    "SUPPRESSED",
    "is_small",
    "suppress",
    "suppress_derived",
    "suppress_row",
]

SMALL_MIN = 1
SMALL_MAX = 4
SUPPRESSED = "*"


def is_small(value: int | None) -> bool:
    """True for a count of 1 to 4 (the counts NHS small-number practice withholds)."""
    return value is not None and SMALL_MIN <= value <= SMALL_MAX


def suppress(value: int | None, *, show_small: bool) -> str | int | None:
    """``value`` as a report may show it: ``"*"`` for 1 to 4 unless ``show_small``;
    0, 5 and above, and None (not recorded) unchanged."""
    if not show_small and is_small(value):
        return SUPPRESSED
    return value


def suppress_derived(
    value: float | int | None, base: int | None, *, show_small: bool
) -> str | float | int | None:
    """A figure derived from ``base`` records (a median of 3 referrals' days, a share of
    4 visits): ``"*"`` when ``base`` is 1 to 4 unless ``show_small``, else ``value``."""
    if not show_small and is_small(base):
        return SUPPRESSED
    return value


def suppress_row(
    parts: Sequence[int | None], total: int | None, *, show_small: bool
) -> list[str | int | None]:
    """``parts`` then ``total`` as a report may show them: 1 to 4 as ``*``, and when that
    leaves exactly one part withheld beside a shown total, the smallest other non-zero
    part withheld too (so no withheld count can be worked out by subtraction)."""
    if show_small:
        return [*parts, total]
    cells = [suppress(value, show_small=False) for value in parts]
    total_cell = suppress(total, show_small=False)
    hidden = [i for i, cell in enumerate(cells) if cell == SUPPRESSED]
    if len(hidden) == 1 and total_cell != SUPPRESSED:
        others = [(value, i) for i, value in enumerate(parts) if i not in hidden and value]
        if others:
            cells[min(others)[1]] = SUPPRESSED
    return [*cells, total_cell]
