"""Helpers for Pilot tests: wait for data to arrive, read what a widget shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (workers load data in threads). The
    cap is generous: on a CI machine at load 70, a save and its toast took over 10 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


def shown_text(static, width: int = 120) -> str:
    """The plain text a Static shows, whatever it was given (str, Text, a Rich table)."""
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(static.content)
    return console.export_text()
