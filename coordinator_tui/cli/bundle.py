"""``bundle``: the one-file way onto a locked-down practice PC (issue 20 §1).

Builds ``coordinator-tui.pyz``, a zipapp made with shiv of the app and every dependency,
that any Python 3.11+ the user may have without admin rights runs as
``python coordinator-tui.pyz``. Nothing is written beside the file: shiv unpacks the
packages once into the user's own folder (``~/.shiv``, or ``SHIV_ROOT``), and the app keeps
its database, settings and exports under the user's folders (platformdirs), as installed.

Not every dependency is pure Python, so a zipapp holds the compiled wheels of the platform
it was built for: argon2-cffi-bindings and cffi (password hashes), lxml (python-docx's
letters), SQLAlchemy's and MarkupSafe's optional speed-ups, and psycopg-binary only when
``--postgres`` is given. ``--platform win_amd64`` asks pip for Windows wheels (each of these
publishes them), so a Windows file can be built on Linux; the file runs only on the
platform and Python minor version it was built for (``--python-version``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui import __version__
from coordinator_tui.cli.common import fail

BUNDLE_NAME = "coordinator-tui.pyz"
ENTRY_POINT = "coordinator_tui.launch:main"


def source_root() -> Path | None:
    """The project checkout this package runs from (its ``pyproject.toml``), if any: the
    zipapp is built from the source, not from whatever wheel happens to be installed."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def shiv_command(
    source: Path,
    output: Path,
    *,
    platform: str | None = None,
    python_version: str | None = None,
    postgres: bool = False,
) -> list[str]:
    """The shiv command line (shiv hands what follows its options to ``pip install``)."""
    target = f"{source}[postgres]" if postgres else str(source)
    command = [
        sys.executable,
        "-m",
        "shiv",
        "--entry-point",
        ENTRY_POINT,
        "--output-file",
        str(output),
        "--python",
        "/usr/bin/env python3",
        "--compressed",
        # Compile on the first run, once, into the unpacked copy: Python would write no
        # bytecode there itself, and every start would compile the app again (measured:
        # 2.6 s to the first frame against 1.1 s with it; the installed app 1.0 s).
        "--compile-pyc",
        "--reproducible",
        target,
        "--quiet",
    ]
    if platform:
        # pip picks wheels of another platform only when told it may not build any.
        command += ["--platform", platform, "--only-binary=:all:"]
        command += ["--python-version", python_version or "3.11"]
    elif python_version:
        command += ["--python-version", python_version, "--only-binary=:all:"]
    return command


def bundle(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write coordinator-tui.pyz into.")
    ] = Path("dist"),
    platform: Annotated[
        str | None,
        typer.Option(help="Build for another platform's wheels, e.g. win_amd64."),
    ] = None,
    python_version: Annotated[
        str | None,
        typer.Option("--python-version", help="The Python the file will run on, e.g. 3.12."),
    ] = None,
    postgres: Annotated[
        bool, typer.Option(help="Include the PostgreSQL driver (psycopg, compiled).")
    ] = False,
) -> None:
    """Build one self-contained file, coordinator-tui.pyz, run by `python coordinator-tui.pyz`
    (needs shiv: pip install 'coordinator-tui[bundle]', and a source checkout)."""
    if importlib.util.find_spec("shiv") is None:
        fail("bundle needs shiv: pip install 'coordinator-tui[bundle]'")
    source = source_root()
    if source is None:
        fail("bundle builds from a source checkout of coordinator-tui (pyproject.toml not found)")
    out.mkdir(parents=True, exist_ok=True)
    output = out / BUNDLE_NAME
    command = shiv_command(
        source, output, platform=platform, python_version=python_version, postgres=postgres
    )
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        fail(f"shiv could not build the bundle: {lines[-1] if lines else 'no message'}")
    size = output.stat().st_size / 1_000_000
    typer.echo(f"Built {output} ({size:.1f} MB, coordinator-tui {__version__})")


def register(app: typer.Typer) -> None:
    """Add ``bundle``."""
    app.command()(bundle)
