"""The benchmarks package builds and its CLI starts (no timing here: ``python -m benchmarks``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
