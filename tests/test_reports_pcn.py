"""The PCN safeguarding report (issue 16 §1) and the small-number rule it shares."""

from __future__ import annotations

import pytest

from coordinator_tui.services.reports.small_numbers import suppress, suppress_derived


class TestSmallNumbers:
    """NHS small-number practice: 1 to 4 withheld as ``*``; 0 and 5+ shown."""

    @pytest.mark.parametrize(
        ("value", "shown"),
        [(0, 0), (1, "*"), (2, "*"), (4, "*"), (5, 5), (120, 120), (None, None)],
    )
    def test_suppressed_by_default(self, value, shown) -> None:
        assert suppress(value, show_small=False) == shown

    @pytest.mark.parametrize("value", [0, 1, 3, 4, 5, None])
    def test_shown_for_internal_use(self, value) -> None:
        assert suppress(value, show_small=True) == value

    def test_derived_figure_follows_its_base(self) -> None:
        assert suppress_derived(7.5, 3, show_small=False) == "*"
        assert suppress_derived(7.5, 5, show_small=False) == 7.5
        assert suppress_derived(7.5, 3, show_small=True) == 7.5
        assert suppress_derived(None, 0, show_small=False) is None
