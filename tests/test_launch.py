"""The fast entry point: plain ``[run] [--db X]`` opens the app without typer; the rest
goes to the typer CLI unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.launch import plain_run_db


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (True, None)),
        (["run"], (True, None)),
        (["--db", "x.db"], (True, "x.db")),
        (["run", "--db", "x.db"], (True, "x.db")),
        (["--db=x.db"], (True, "x.db")),
        (["run", "--db=postgresql+psycopg://u@h/db"], (True, "postgresql+psycopg://u@h/db")),
        (["--db"], (False, None)),
        (["--db="], (False, None)),
        (["--db", "--help"], (False, None)),
        (["--help"], (False, None)),
        (["run", "--help"], (False, None)),
        (["demo"], (False, None)),
        (["--version"], (False, None)),
        (["db", "check"], (False, None)),
        (["--db", "x.db", "db", "check"], (False, None)),
        (["run", "--db", "x.db", "--help"], (False, None)),
    ],
)
def test_plain_run_is_recognised_and_nothing_else(argv, expected):
    assert plain_run_db(argv) == expected


@given(st.lists(st.text(max_size=12), max_size=5))
def test_any_command_line_is_either_plain_run_or_left_to_typer(argv):
    plain, db = plain_run_db(argv)
    if plain:
        assert db is None or (db and db in argv[-1])
        assert not any(arg in ("--help", "--version") for arg in argv)
    else:
        assert db is None


def _run_entry(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The entry point in a fresh interpreter, reporting whether typer was imported."""
    script = (
        "import sys\n"
        "from coordinator_tui.launch import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    print('typer' in sys.modules, exc.code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )


def test_fast_path_reports_a_bad_database_in_one_line_without_typer(tmp_path):
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("shopping list, not a database\n" * 50)
    before = not_a_db.read_bytes()
    done = _run_entry(["--db", str(not_a_db)], tmp_path)
    assert done.stdout.split() == ["False", "2"]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coordinator-tui: ")
    assert "Traceback" not in done.stderr
    assert not_a_db.read_bytes() == before


def test_people_takes_the_fast_path_too(tmp_path):
    """``coordinator-tui people --db X`` opens without typer, like a plain run."""
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("shopping list, not a database\n" * 50)
    done = _run_entry(["people", "--db", str(not_a_db)], tmp_path)
    assert done.stdout.split() == ["False", "2"]
    assert done.stderr.startswith("coordinator-tui: ")


def test_other_commands_still_go_to_typer(tmp_path):
    done = _run_entry(["--version"], tmp_path)
    assert "coordinator-tui" in done.stdout
    assert done.stdout.split()[-2:] == ["True", "0"]
