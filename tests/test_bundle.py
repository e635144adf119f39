"""The one-file way (issue 20 §1): ``coordinator-tui bundle`` builds a zipapp that runs on
a Python with nothing else installed, keeps its data under the user's folders and writes
nothing beside itself.

Building takes about a minute (shiv runs pip over every dependency), so it is done once
for the module. The runs use ``python -I -S``: no site-packages, no ``PYTHON*`` variables,
so only what is inside the file can be imported (the app installed in this environment
would otherwise hide a module the bundle left out), and a clean environment (a new HOME).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator_tui import __version__
from coordinator_tui.cli.bundle import BUNDLE_NAME, shiv_command, source_root

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("shiv") is None and not os.environ.get("CI"),
    reason="shiv is not installed (pip install '.[bundle]'); CI installs it and runs this",
)


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``coordinator-tui bundle --out DIR`` run as a user runs it."""
    out = tmp_path_factory.mktemp("bundle out")  # a space in the path, on purpose
    done = subprocess.run(
        [sys.executable, "-m", "coordinator_tui", "bundle", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert f"Built {out / BUNDLE_NAME}" in done.stdout
    return out / BUNDLE_NAME


def _run_bundle(bundle: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the file as ``python coordinator-tui.pyz ARGS`` with a clean environment: only a
    HOME of its own (where shiv unpacks and platformdirs keeps the data) and a PATH."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-I", "-S", str(bundle), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=300,
    )


def test_bundle_runs_headless_commands_with_a_clean_environment(
    bundle_file: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home of a user"
    home.mkdir()
    beside = sorted(p.name for p in bundle_file.parent.iterdir())

    version = _run_bundle(bundle_file, home, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"coordinator-tui {__version__}"

    db = tmp_path / "a folder with spaces" / "practice.db"
    made = _run_bundle(bundle_file, home, "db", "upgrade", "--db", str(db))
    assert made.returncode == 0, made.stderr
    checked = _run_bundle(bundle_file, home, "db", "check", "--db", str(db))
    assert checked.returncode == 0, checked.stderr
    assert "integrity: ok" in checked.stdout
    assert "(current)" in checked.stdout

    # No --db: the database goes under the user's data folder (platformdirs), as installed.
    default = _run_bundle(bundle_file, home, "db", "upgrade")
    assert default.returncode == 0, default.stderr
    assert (home / ".local" / "share" / "coordinator-tui" / "coordinator.db").is_file()
    # shiv unpacked into the user's own folder; nothing was written beside the file.
    assert (home / ".shiv").is_dir()
    assert sorted(p.name for p in bundle_file.parent.iterdir()) == beside


def test_bundle_refuses_a_bad_database_in_one_line(bundle_file: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bad = tmp_path / "notes.db"
    bad.write_text("not a database", encoding="utf-8")
    done = _run_bundle(bundle_file, home, "db", "check", "--db", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "not a Coordinator TUI database" in done.stderr


def test_windows_bundle_asks_pip_for_windows_wheels_only(tmp_path: Path) -> None:
    """A Windows file can be built on Linux: pip is told the platform and to build none."""
    root = source_root()
    assert root is not None
    command = shiv_command(root, tmp_path / BUNDLE_NAME, platform="win_amd64")
    assert command[command.index("--platform") + 1] == "win_amd64"
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.11"
    assert command[command.index("--entry-point") + 1] == "coordinator_tui.launch:main"
