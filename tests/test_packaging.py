"""What the wheel ships: every package of the source tree and the reference data.

``pyproject.toml`` lists the packages by hand (the top-level ``data/`` folder ships inside
the package as ``coordinator_tui.refdata``), so a new sub-package left out of the list
would install without it and fail only on a user's machine (CI installs the wheel)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_source_package_is_listed():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "coordinator_tui").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    missing = sorted(found - _listed_packages())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_folders_with_modules_are_packages():
    """A folder of modules without ``__init__.py`` would be left out of the wheel."""
    for folder in (ROOT / "coordinator_tui").rglob("*"):
        if folder.is_dir() and "__pycache__" not in folder.parts and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), f"{folder} has no __init__.py"


def test_reference_data_files_are_shipped():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["coordinator_tui.refdata"]
    suffixes = {pattern.removeprefix("*") for pattern in patterns}
    for path in (ROOT / "data").iterdir():
        if path.is_file() and path.suffix != ".py":
            assert path.suffix in suffixes, f"{path.name} would not ship (package-data)"
