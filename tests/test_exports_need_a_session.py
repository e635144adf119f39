"""No export can be written plain from an encrypted database (issue 17 §5): how an export's
files are written (``services.exporting.export_sink``: plain, or encrypted with the export
password) is decided from its unit of work, so every export function takes the session
and none may do without it. The call list and the chronology took ``session=None`` and
then wrote plain files, whatever the database; their session is now required.

Read from the code: every service function that decides its files through
``export_sink`` has a ``session`` parameter with no default."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import coordinator_tui.services as services
from coordinator_tui.services.chronology import export_chronology
from coordinator_tui.services.rota.call_list import export_call_list


def export_functions() -> dict[str, object]:
    """``module.function`` -> function, for every function of ``services`` that calls
    ``export_sink`` (the one place an export's way of writing is decided)."""
    found: dict[str, object] = {}
    for info in pkgutil.walk_packages(services.__path__, "coordinator_tui.services."):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name == "export_sink":
                continue
            if "export_sink(" in inspect.getsource(function):
                found[f"{module.__name__}.{name}"] = function
    return found


@pytest.mark.parametrize("export", [export_call_list, export_chronology])
def test_the_call_list_and_chronology_need_their_session(export, tmp_path):
    session = inspect.signature(export).parameters["session"]
    assert session.kind is inspect.Parameter.KEYWORD_ONLY
    assert session.default is inspect.Parameter.empty
    with pytest.raises(TypeError, match="session"):
        if export is export_call_list:
            export(None, tmp_path, today=None)
        else:
            export(tmp_path, "EXAMPLE, Sam", 1, [])
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_no_export_may_do_without_its_session():
    exports = export_functions()
    assert {
        "coordinator_tui.services.chronology.export_chronology",
        "coordinator_tui.services.rota.call_list.export_call_list",
    } <= set(exports)
    optional = [
        name
        for name, function in exports.items()
        if any(
            p.name in ("session", "s") and p.default is not inspect.Parameter.empty
            for p in inspect.signature(function).parameters.values()
        )
    ]
    assert optional == [], "an export whose session may be left out could write plain files"
