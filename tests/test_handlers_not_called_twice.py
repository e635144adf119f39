"""No Textual handler calls its base class's handler of the same name.

Textual calls every class's own ``on_<event>`` handler in the method order (the
subclass's, then each base's), so ``super().on_mount()`` inside ``on_mount`` ran the
base's handler twice: the action tracker's ``super().on_screen_resume()`` ran the screens'
focus guard twice on every resume, and a care form's and the text-conflict dialog's
``super().on_mount()`` ran the dialogs' mount work (the form's pristine state among it)
once before the subclass had finished and again after. Found while cutting the sections'
cold opens (issue 23).
"""

from __future__ import annotations

import ast
from pathlib import Path

import coordinator_tui

PACKAGE = Path(coordinator_tui.__file__).parent


def _doubled(source: str) -> list[tuple[int, str]]:
    """(line, handler) for each ``super().on_x(...)`` inside a method named ``on_x``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)):
            continue
        if not node.name.startswith("on_"):
            continue
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == node.name
                and isinstance(call.func.value, ast.Call)
                and getattr(call.func.value.func, "id", "") == "super"
            ):
                found.append((call.lineno, node.name))
    return found


def test_the_scan_finds_a_doubled_handler() -> None:
    sample = """
class A(B):
    def on_mount(self):
        super().on_mount()
    def on_key(self, event):
        super().on_mount()
    async def on_screen_resume(self):
        await super().on_screen_resume()
"""
    assert _doubled(sample) == [(4, "on_mount"), (8, "on_screen_resume")]


KEPT = {
    "app.py:on_event": "MessagePump.on_event is the dispatcher itself, not a handler",
    "screens/text_conflict.py:on_key": (
        "it stops the keys it keeps for the notes (prevent_default), and the stray-key "
        "mark its base's handler sets must be on them first: so it calls the base first"
    ),
}


def test_no_screen_or_widget_calls_its_base_handler() -> None:
    found = [
        f"{path.relative_to(PACKAGE).as_posix()}:{line}: super().{name}()"
        for path in [
            *sorted((PACKAGE / "screens").rglob("*.py")),
            *sorted((PACKAGE / "widgets").rglob("*.py")),
            PACKAGE / "app.py",
        ]
        for line, name in _doubled(path.read_text(encoding="utf-8"))
        if f"{path.relative_to(PACKAGE).as_posix()}:{name}" not in KEPT
    ]
    assert found == []
