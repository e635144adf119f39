"""A week loaded before anything imported the rota's rule modules still carries what they
read with it (``snapshot.EXTENSIONS``: the open care changes, the shadow requirements).

The rule modules register those reads as they are imported; a caller that loaded a week
first (the grid's cold open, the solver, a script) got a week without them, and the
checker then judged it without the open care changes. Found by the rota-engine helper.
Run in a fresh interpreter, where nothing has imported the rules yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = r"""
import sys
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.services.rota.snapshot import load_week
from tests.conftest import DEMO_TODAY

assert "coordinator_tui.services.rota.rules" not in sys.modules
opened = open_database(sys.argv[1], migrate=False)
with session_scope(opened.engine, "test") as session:
    week = load_week(session, DEMO_TODAY)
    print("care_changes" in week.extras, len(week.extras))
"""


def test_a_week_loaded_first_has_what_the_rules_read_with_it(small_demo_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(small_demo_path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    has_changes, extras = done.stdout.split()
    assert has_changes == "True" and int(extras) >= 2
