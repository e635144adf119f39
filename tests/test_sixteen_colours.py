"""A 16-colour terminal gives a readable screen (issue 20 §1).

A terminal of 16 colours (PuTTY and conhost as often set up, ``TERM=xterm``) shows each of
the app's colours as the nearest of its 16. Text whose colour and background become the
same one of those is not there for the reader. Each screen here is drawn (the SVG
screenshot: backgrounds as rectangles, text in classes with their colours), every
character that is not blank is paired with the background under it, and both are brought
down to 16 colours as Rich does for such a terminal: none may coincide.
"""

from __future__ import annotations

import html
import re

import pytest
from rich.color import Color, ColorSystem

from coordinator_tui.app import make_app
from coordinator_tui.screens.registers.queue import RegistersScreen
from tests.pilot_helpers import wait_for

RECT = re.compile(r'<rect fill="(#[0-9a-fA-F]{6})" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"')
TEXT = re.compile(
    r'<text class="([^"]+)" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>'
)
STYLE = re.compile(r"\.([\w-]+) \{ fill: (#[0-9a-fA-F]{6})")
CELL_W, LINE_H, TOP = 12.2, 24.4, 1.5
"""Rich's SVG geometry: a cell's width, a line's height and where the first line starts."""


def _sixteen(hex_colour: str) -> int:
    """The one of 16 standard colours Rich shows ``hex_colour`` as on such a terminal."""
    standard = Color.parse(hex_colour).downgrade(ColorSystem.STANDARD)
    assert standard.number is not None
    return standard.number


def unreadable_cells(svg: str) -> list[str]:
    """Each piece of text whose colour and background are the same in 16 colours."""
    backgrounds: dict[tuple[int, int], str] = {}
    for fill, x, y, width in RECT.findall(svg):
        row = round((float(y) - TOP) / LINE_H)
        first = round(float(x) / CELL_W)
        for col in range(first, first + round(float(width) / CELL_W)):
            backgrounds[(row, col)] = fill
    colours = dict(STYLE.findall(svg))
    found = []
    for classes, x, line, raw in TEXT.findall(svg):
        fill = next((colours[c] for c in classes.split() if c in colours), None)
        if fill is None:
            continue
        text = html.unescape(raw).replace("\xa0", " ")
        first = round(float(x) / CELL_W)
        for offset, char in enumerate(text):
            if char.isspace() or "\u2500" <= char <= "\u259f":  # lines and blocks: edges
                continue
            background = backgrounds.get((int(line), first + offset))
            if background and _sixteen(fill) == _sixteen(background):
                found.append(f"line {line}: {text.strip()!r} ({fill} on {background})")
                break
    return found


def test_the_pairing_finds_text_lost_in_sixteen_colours() -> None:
    """The check itself: dark grey text on black is lost; white on blue is not."""
    rect = '<rect fill="{}" x="0" y="1.5" width="24.4" height="24.65"/>'
    style = "<style>.t-r1 {{ fill: {} }}</style>"
    text = '<text class="t-r1" x="0" y="20" textLength="24.4" clip-path="url(#t-line-0)">ab</text>'
    lost = style.format("#1a1a1a") + rect.format("#000000") + text
    kept = style.format("#ffffff") + rect.format("#0000aa") + text
    assert unreadable_cells(lost)
    assert unreadable_cells(kept) == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_home_the_queue_and_a_record_read_in_sixteen_colours(
    demo_settings, small_demo_engine, size: tuple[int, int]
) -> None:
    app = make_app(demo_settings, small_demo_engine)
    shots: dict[str, str] = {}
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.pause()
        shots["home"] = app.export_screenshot()
        await pilot.press("2")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RegistersScreen)
                and app.screen.loaded
                and bool(app.screen.shown_rows)
            ),
        )
        await pilot.pause()
        shots["queue"] = app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RegistersScreen))
        await pilot.pause()
        shots["record"] = app.export_screenshot()
    for name, svg in shots.items():
        # The pairing reads (nearly) all of the screen's text, not a corner of it.
        assert len(TEXT.findall(svg)) >= 0.9 * svg.count("<text "), name
        assert unreadable_cells(svg) == [], name
