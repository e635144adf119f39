"""``LazyTable._strip``: a line padded into one strip is the strip ``crop_extend`` made."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from coordinator_tui.widgets.lazy_table import LazyTable


@pytest.mark.parametrize(
    ("widths", "width", "scroll_x"),
    [
        ([8, 11, 0, 12], 40, 0),  # narrower than the view, a hidden column: padded
        ([8, 11, 12], 34, 0),  # exactly the view
        ([8, 11, 30], 34, 0),  # wider: cut
        ([8, 11, 30], 34, 5),  # scrolled sideways
        ([8, 11, 12], 40, 3),
    ],
)
def test_one_strip_as_crop_extend_made(widths, width, scroll_x):
    style = Style(color="red")
    segments = []
    for n, w in enumerate(widths):
        if w:
            segments.append(Segment(str(n) * w + " ", style if n % 2 else None))
    expected = Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
    got = LazyTable._strip(list(segments), widths, width, scroll_x, style)
    assert list(got) == list(expected)
    assert got.cell_length == expected.cell_length == width
