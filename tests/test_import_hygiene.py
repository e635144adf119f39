"""``--help`` and the headless commands never import Textual (they must stay fast and
work where no terminal UI can run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from coordinator_tui.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL_LOADED" if loaded else "TEXTUAL_NOT_LOADED")
"""


def run_probe(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["db", "--help"], ["seed-demo", "--help"], ["demo", "--help"]],
)
def test_help_does_not_import_textual(args):
    assert "TEXTUAL_NOT_LOADED" in run_probe(*args)


def test_db_commands_do_not_import_textual(tmp_path):
    db = str(tmp_path / "h.db")
    assert "TEXTUAL_NOT_LOADED" in run_probe("db", "upgrade", "--db", db)
    assert "TEXTUAL_NOT_LOADED" in run_probe("db", "check", "--db", db)
    assert "TEXTUAL_NOT_LOADED" in run_probe("backup", str(tmp_path / "b.db"), "--db", db)
