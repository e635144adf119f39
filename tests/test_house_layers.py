"""Screens and widgets present and collect; services write and decide (issue 13 §2).

Checked from the source, so a write composed in a screen cannot creep back in unseen:

- no unit of work is driven from a screen or widget: no ``add``, ``add_all``, ``commit``,
  ``delete``, ``execute``, ``exec``, ``scalar(s)``, ``get``, ``flush``, ``merge``,
  ``query`` or ``rollback`` on a session (a name bound by ``with ….session() as s``,
  ``new_session(…)``, or called ``session``). The screen hands the session to a service
  function, which does these;
- no SQL is built there: nothing imported from ``sqlalchemy`` or ``sqlmodel`` at run time
  (a ``Session`` type under ``TYPE_CHECKING`` is fine), so no ``select()``, ``update()``,
  ``delete()``, ``text()`` or ``func``;
- no table is touched there: ``coordinator_tui.models`` and ``coordinator_tui.audit`` (the
  audit trail's writer) are not imported at run time.

``ALLOWED`` lists what legitimately remains, each with why; it is kept small and exact
(file and what), so a new case is a decision, not an accident. The import-linter contracts
in ``pyproject.toml`` say the same for whole modules; this test also sees imports made
inside a function, which the linter's graph does too but a reader of a failure may not.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "coordinator_tui"
LAYERS = ("screens", "widgets")

SESSION_CALLS = {
    "add",
    "add_all",
    "commit",
    "delete",
    "execute",
    "exec",
    "scalar",
    "scalars",
    "get",
    "flush",
    "merge",
    "query",
    "rollback",
}
# Modules a screen or widget must not import at run time.
FORBIDDEN_MODULES = ("sqlalchemy", "sqlmodel", "coordinator_tui.models", "coordinator_tui.audit")

# (file relative to the repository, what the scan reports) -> why it stays.
ALLOWED: dict[tuple[str, str], str] = {}


def _sources() -> list[Path]:
    return sorted(
        path
        for layer in LAYERS
        for path in (PACKAGE / layer).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """Line numbers of statements inside ``if TYPE_CHECKING:`` (types only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                for child in node.body:
                    for sub in ast.walk(child):
                        if hasattr(sub, "lineno"):
                            lines.add(sub.lineno)
    return lines


def _called(call: ast.Call) -> str:
    """The name of the function called: ``session`` for ``self.app.session()``."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name.lower()


def _session_names(tree: ast.AST) -> set[str]:
    """Names a session is bound to: ``with x.session() as s``, ``s = new_session(...)``,
    and ``session`` wherever it appears."""
    names = {"session"}
    for node in ast.walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and "session" in _called(call)
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    names.add(item.optional_vars.id)
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and "session" in _called(node.value)
        ):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def layer_breaches(path: Path, source: str | None = None) -> list[tuple[str, str, int]]:
    """(file, what, line) for each write, query or table reach in a screen or widget."""
    text = source if source is not None else path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    relative = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    types_only = _type_checking_blocks(tree)
    sessions = _session_names(tree)
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in types_only:
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
            if isinstance(node, ast.ImportFrom) and node.module == "coordinator_tui":
                modules = [f"coordinator_tui.{alias.name}" for alias in node.names]
            for module in modules:
                if any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES):
                    found.append((relative, f"imports {module}", node.lineno))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in sessions
        ):
            found.append((relative, f"{node.func.value.id}.{node.func.attr}()", node.lineno))
    return found


@cache
def _all_breaches() -> tuple[tuple[str, str, int], ...]:
    return tuple(hit for path in _sources() for hit in layer_breaches(path))


def test_screens_and_widgets_leave_writes_and_queries_to_the_services():
    breaches = _all_breaches()
    unexpected = [hit for hit in breaches if hit[:2] not in ALLOWED]
    assert not unexpected, (
        "a screen or widget drives the database itself: call a service function with the "
        "session instead (or, if it is truly the screen's, add it to ALLOWED with why):\n"
        + "\n".join(f"{file}:{line} {what}" for file, what, line in unexpected)
    )


def test_the_allow_list_is_still_needed():
    """An allowance nothing uses any more is removed, so the list stays exact."""
    seen = {hit[:2] for hit in _all_breaches()}
    stale = [key for key in ALLOWED if key not in seen]
    assert not stale, f"no longer needed, remove from ALLOWED: {stale}"


def test_the_scan_finds_what_it_looks_for(tmp_path):
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from coordinator_tui.models import Person

class S:
    def save(self):
        from sqlmodel import select
        from coordinator_tui.models import Referral
        from coordinator_tui import audit
        with self.app.session() as unit:
            unit.add(Referral())
            unit.execute(select(Referral))
            unit.commit()
        s = new_session(engine)
        s.get(Referral, 1)
        session.delete(thing)

    def fine(self):
        with self.coordinator.session() as s:
            create_referral(s, by="me")
        {}.get("key")
        self.rows.add(1)
        shadows = shadows_between(session, day).get(visit_id, [])
        shadows.get(1)
"""
    path = tmp_path / "screen.py"
    found = sorted((what, line) for _file, what, line in layer_breaches(path, source))
    assert found == [
        ("imports coordinator_tui.audit", 11),
        ("imports coordinator_tui.models", 10),
        ("imports sqlmodel", 9),
        ("s.get()", 17),
        ("session.delete()", 18),
        ("unit.add()", 13),
        ("unit.commit()", 15),
        ("unit.execute()", 14),
    ]
