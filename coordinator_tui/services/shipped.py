"""The reference files shipped with the app (``data/``, installed as
``coordinator_tui.refdata``), read with nothing else imported.

Apart from ``services.reference`` (which imports every table, about 0.7 s) so that what runs
before the app's first frame can read one: the role catalogue behind the demo user's
sign-in (``services.access.catalogue``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_text(name: str) -> str:
    """A reference file's text as shipped: from the installed package
    (``coordinator_tui.refdata``), or from the source tree's ``data/`` when the code runs
    from a checkout (the tests run the checkout even when the package is installed)."""
    try:
        return resources.files("coordinator_tui.refdata").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parents[2] / "data" / name).read_text("utf-8")
