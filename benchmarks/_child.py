"""One benchmark measured in a fresh Python process (issue 23 §4).

``python -m benchmarks`` runs every (benchmark, scale, SQLite or PostgreSQL) here rather
than in its own process, so no figure is taken in a process that has just built the
ten-times database, or after another benchmark's imports, heap and caches: the runner
writes a spec, starts ``python -m benchmarks._child SPEC RESULT`` and reads the results
back (``Result.to_dict`` / ``Result.from_dict``).

The spec (JSON, in a private temporary directory: a PostgreSQL URL in it carries its
password, which a command line would show to ``ps``) names the function
(``"module:function"``), the database (a SQLite file's path or a URL; none for the demo
build) and the runs. The result file holds ``{"results": [...], "error": ...}``: the
figures measured, and, when the benchmark failed, what went wrong. A ``BenchmarkError``
keeps its figures (``PartialResults``); any other exception is reported by its type, the
first line of its message and where it was raised: never a statement's parameters or a
row (SQLAlchemy's messages carry them below the first line). The runner prints it.

Progress goes to this process's stderr, which the runner passes on to the user's.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

MESSAGE_CHARS = 300


def _safe_message(exc: BaseException) -> str:
    """``exc``'s type and the first line of its message, capped (no parameters, no rows)."""
    lines = str(exc).strip().splitlines()
    first = lines[0][:MESSAGE_CHARS] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _where(exc: BaseException) -> list[str]:
    """The frames ``exc`` passed through: file, line and function (no locals, no values)."""
    return [
        f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


def call(spec: dict[str, Any]) -> list[Any]:
    """Import the spec's function and call it: ``function(db, runs)``, or ``function(runs)``
    when the spec names no database (the demo build makes its own)."""
    from benchmarks.common import is_url

    module_name, _, function_name = spec["target"].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    db = spec.get("db")
    if db is None:
        return function(spec["runs"])
    return function(db if is_url(db) else Path(db), spec["runs"])


def main(argv: list[str]) -> int:
    spec_path, result_path = Path(argv[0]), Path(argv[1])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    outcome: dict[str, Any] = {"results": [], "error": None}
    code = 0
    try:
        from benchmarks.common import BenchmarkError

        try:
            outcome["results"] = [result.to_dict() for result in call(spec)]
        except BenchmarkError as exc:
            partial = getattr(exc, "results", None) or []
            outcome["results"] = [result.to_dict() for result in partial]
            outcome["error"] = {"kind": "benchmark", "message": str(exc)}
            code = 1
    except Exception as exc:  # noqa: BLE001 - reported to the runner without the row data
        where = _where(exc)
        outcome["error"] = {"kind": "crash", "message": _safe_message(exc), "where": where}
        code = 1
    result_path.write_text(json.dumps(outcome), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
