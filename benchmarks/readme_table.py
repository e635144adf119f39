"""The README's table of a ``python -m benchmarks`` run, in Markdown, from its JSON.

``python -m benchmarks.readme_table [PATH]`` (default ``benchmarks/results/latest.json``)
prints one row per measure: the large demo's figure and, after a ``--scale 10`` run, the
ten-times database's beside it, each with its ratio where it has a baseline, the target,
whether each size met it, and the load average around it. The README's "Measured by
``python -m benchmarks``" table is this output pasted as it is, so what the README says
is what a run printed, not figures gathered by hand from runs on different days
(issue 23, "Done when").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import DEFAULT_JSON, calibration_text

X10 = "x10 "


def _figure(result: dict[str, Any] | None) -> str:
    """The median (ms below 10 s, else s), its ratio to the baseline, the load, and the
    calibration around it (the slower of the two, in ms: the machine's speed then)."""
    if result is None:
        return "–"
    median = result["median_s"]
    text = f"{median * 1000:,.1f} ms" if median < 10 else f"{median:,.1f} s"
    if result.get("ratio") is not None:
        text += f" ({result['ratio']:.2f}x)"
    load = (result.get("load_average") or {}).get("before")
    if load:
        text += f", load {load[0]:g}"
    speed = result.get("calibration_ms")
    if speed:
        text += f", cal {max(speed['before'], speed['after']):.0f}"
    return text


def _met(result: dict[str, Any] | None) -> str:
    if result is None:
        return ""
    if str(result.get("target", "")).startswith(("info", "baseline")):
        return "info"
    return "met" if result.get("pass") else "**NOT met**"


def rows(document: dict[str, Any]) -> list[list[str]]:
    """[measure, large, met, x10, met, target] for each measure, in the run's order."""
    by_name = {r["name"]: r for r in document["results"]}
    found: list[list[str]] = []
    for name, result in by_name.items():
        if name.startswith((X10, "pg ")) or name.endswith(".x10"):
            continue
        ten = by_name.get(X10 + name)
        found.append(
            [
                f"`{name}`",
                _figure(result),
                _met(result),
                _figure(ten),
                _met(ten),
                str(result.get("target", "")),
            ]
        )
    for name, result in by_name.items():  # measured at ten times only (its build)
        if name.endswith(".x10") or (name.startswith(X10) and name[len(X10) :] not in by_name):
            found.append([f"`{name}`", "–", "", _figure(result), _met(result), result["target"]])
    return found


def markdown(document: dict[str, Any]) -> str:
    head = ["measure", "large demo", "", "ten times", "", "target"]
    calibration = calibration_text((document.get("machine") or {}).get("calibration"))
    lines = [
        f"Run {document.get('generated_at', '?')} ({document.get('total_seconds', 0) / 60:.0f}"
        f" min; `{' '.join(['python -m benchmarks', *document.get('argv', [])])}`"
        + (f"; {calibration}" if calibration else "")
        + ")",
        "",
        "| " + " | ".join(head) + " |",
        "| " + " | ".join("---" for _ in head) + " |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(document)]
    errors = document.get("errors") or []
    if errors:
        lines.append("")
        lines += [f"- **failed:** {e['benchmark']}: {e['error']}" for e in errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_JSON
    print(markdown(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
