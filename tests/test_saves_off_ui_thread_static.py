"""Issue 12 §2: "saves run off the UI thread (a worker) so the screen stays live". Every
dialog in ``coordinator_tui/screens`` is given its save as a ``BackgroundSave`` (the write
in the dialog's worker thread, the UI part after it), never as a plain callable that
writes on the UI thread. Read from the source, so the next screen cannot regress.

A plain function is still allowed where it writes nothing (a period's check: it opens no
session and calls no writer); a name passed straight through from the caller (a dialog
subclass handing ``save`` to ``FormDialog``) is checked where the caller builds it."""

from __future__ import annotations

import ast
from pathlib import Path

import coordinator_tui

SCREENS = Path(coordinator_tui.__file__).parent / "screens"
#: What writes: a unit of work opened, or a screen's own write helper called.
WRITERS = {"session", "write", "_write", "run_change", "run_action", "_attempt"}


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _is_background(value: ast.expr) -> bool:
    """``BackgroundSave(...)`` or a helper that returns one (``self.background(...)``,
    ``self._with_rationale(...)``)."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "BackgroundSave" or "background" in name.lower() or name == "_with_rationale"


def _scopes(tree: ast.Module) -> dict[ast.AST, list[ast.AST]]:
    """Each node -> the functions enclosing it, innermost last."""
    enclosing: dict[ast.AST, list[ast.AST]] = {}

    def visit(node: ast.AST, stack: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            enclosing[child] = stack
            inner = (
                stack + [child]
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else stack
            )
            visit(child, inner)

    visit(tree, [])
    return enclosing


def _problem(value: ast.expr, scopes: list[ast.AST]) -> str | None:
    """Why ``value``, given as a dialog's save, may write on the UI thread (None: fine)."""
    if _is_background(value) or (isinstance(value, ast.Constant) and value.value is None):
        return None
    if isinstance(value, ast.Lambda):
        return "a lambda"
    if not isinstance(value, ast.Name):
        return f"an expression ({ast.unparse(value)})"
    name = value.id
    for scope in reversed(scopes):
        assert isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
        if name in {a.arg for a in scope.args.args + scope.args.kwonlyargs}:
            return None  # handed through: checked where the caller builds it
        for node in ast.walk(scope):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                writes = _called_names(node) & WRITERS
                return f"function {name} writes ({', '.join(sorted(writes))})" if writes else None
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                return _problem(node.value, [])
    return f"{name}: not found"


def dialog_saves() -> list[tuple[str, int, str | None]]:
    """(file, line, problem) for every save handed to a dialog under screens/."""
    found = []
    for path in sorted(SCREENS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = _scopes(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            callee = ast.unparse(func)
            if not ("Dialog" in callee or callee in ("super().__init__", "kind", "dialog")):
                continue
            values = [k.value for k in call.keywords if k.arg == "save"]
            if "Dialog" in callee:  # the custom dialogs take it by position
                values += [
                    a
                    for a in call.args
                    if (isinstance(a, ast.Name) and a.id == "save")
                    or isinstance(a, ast.Lambda)
                    or _is_background(a)
                ]
            for value in values:
                where = str(path.relative_to(SCREENS.parent))
                found.append((where, call.lineno, _problem(value, scopes.get(call, []))))
    return found


def test_every_dialog_save_writes_in_a_worker_thread():
    saves = dialog_saves()
    assert len(saves) >= 40  # the scan sees the sites (it would pass vacuously otherwise)
    bad = [f"{where}:{line}: {problem}" for where, line, problem in saves if problem]
    assert bad == [], "a dialog save runs on the UI thread:\n" + "\n".join(bad)


def test_the_scan_catches_a_plain_callable():
    source = """
def open_form(self):
    def save(values):
        with self.coordinator.session() as session:
            write_it(session, values)
    self.app.push_screen(FormDialog("T", [], today, save=save))
    self.app.push_screen(FormDialog("T", [], today, save=lambda v: self.write(v)))
    self.app.push_screen(ManualItemDialog(BackgroundSave(write, then)))
"""
    tree = ast.parse(source)
    scopes = _scopes(tree)
    calls = [
        c for c in ast.walk(tree) if isinstance(c, ast.Call) and "Dialog" in ast.unparse(c.func)
    ]
    problems = []
    for call in calls:
        values = [k.value for k in call.keywords if k.arg == "save"] + [
            a for a in call.args if _is_background(a)
        ]
        problems += [_problem(v, scopes.get(call, [])) for v in values]
    assert problems == ["function save writes (session)", "a lambda", None]
