"""Textual's private API, used in one place (issue 13 §3): ``coordinator_tui.textual_private``.

These fail loudly when a Textual upgrade renames, re-signs or stops calling what the app
relies on, and when a module outside ``textual_private`` starts reaching into Textual's
private names (other than the overrides ``textual_private.OVERRIDDEN`` lists)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from coordinator_tui import textual_private

PACKAGE = Path(textual_private.__file__).parent
CLASSES = {
    "App": App,
    "MessagePump": MessagePump,
    "Screen": Screen,
    "Widget": Widget,
    "Input": Input,
}


@pytest.mark.parametrize("name", sorted(textual_private.OVERRIDDEN))
def test_every_overridden_method_is_still_textuals(name):
    owner, method = name.split(".")
    assert callable(getattr(CLASSES[owner], method, None)), f"Textual has no {name} any more"


def test_the_signatures_used():
    assert list(inspect.signature(App._check_bindings).parameters)[:3] == [
        "self",
        "key",
        "priority",
    ]
    assert list(inspect.signature(Widget._forward_event).parameters) == ["self", "event"]
    assert list(inspect.signature(Screen._forward_event).parameters) == ["self", "event"]
    assert list(inspect.signature(App._init_mode).parameters) == ["self", "mode"]
    assert list(inspect.signature(App._handle_exception).parameters) == ["self", "error"]
    assert list(inspect.signature(App._fatal_error).parameters) == ["self"]


def test_textual_still_calls_the_overrides():
    """An override Textual no longer calls would silently stop working."""
    assert "_handle_exception" in inspect.getsource(MessagePump._process_messages_loop)
    assert "_fatal_error" in inspect.getsource(App._handle_exception)
    # ``_on_key``, ``_on_focus``...: handlers found by the ``_on_<message>`` convention.
    assert 'f"_{method_name}"' in inspect.getsource(MessagePump._get_dispatch_methods)
    assert "_watch_" in inspect.getsource(__import__("textual.reactive").reactive)
    assert "_screen_stacks" in inspect.getsource(App.switch_mode)
    # A section screen's frame held back (screens/base.py): Textual lays out and then
    # draws through ``_compositor_refresh``.
    assert "_compositor_refresh" in inspect.getsource(Screen._refresh_layout)


async def test_the_attributes_set_and_read_are_there():
    from textual._context import active_app

    app = App()
    async with app.run_test():
        assert active_app.get() is app
        assert isinstance(app._css_update_count, int)
        assert isinstance(app.screen._css_update_count, int)
        assert "_default" in textual_private.modes_with_screens(app)
        assert textual_private.mode_built(app, "_default")
        assert app._return_code is None and app._exception is None
        assert hasattr(app._exception_event, "set")
        assert textual_private.being_removed(app.screen) is False
        assert textual_private.frames_held(app) is False
        with app.batch_update():
            assert textual_private.frames_held(app) is True
        screen = Screen()
        textual_private.mark_styled(screen)
        assert screen._css_update_count == app._css_update_count


CALLED_NAMES = {name.split(".")[-1] for name in textual_private.CALLED}


def _textual_private_methods() -> set[str]:
    names: set[str] = set()
    for cls in (App, Screen, Widget, Input):
        names |= {
            n
            for n in dir(cls)
            if n.startswith("_") and not n.startswith("__") and callable(getattr(cls, n, None))
        }
    return names


def test_no_other_module_reaches_into_textuals_private_api():
    """The private names ``textual_private`` calls or sets are used nowhere else, nothing
    imports ``textual._*`` but it, and every private Textual method a class of the app
    defines (an override) is one ``textual_private.OVERRIDDEN`` lists."""
    overridden = {name.split(".")[1] for name in textual_private.OVERRIDDEN}
    textual_methods = _textual_private_methods()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "textual_private.py":
            continue
        where = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual._"):
                found.append(f"{where}:{node.lineno}: from {node.module} import")
            elif isinstance(node, ast.Attribute) and node.attr in CALLED_NAMES:
                found.append(f"{where}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    is_def = isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    if is_def and item.name in textual_methods and item.name not in overridden:
                        found.append(f"{where}:{item.lineno}: overrides {item.name}")
    assert not found, "Textual private API outside textual_private:\n" + "\n".join(found)
