"""``python -m benchmarks``: run the benchmarks, print a table, write JSON.

Run from the repository root. Progress goes to stderr, the table to stdout, and the JSON to
``benchmarks/results/latest.json`` (and to ``--json PATH`` as well, if given). Exit code 0
when every run succeeded, 1 when a run failed (non-zero exit, timeout, nothing painted),
3 with ``--strict`` when a target was missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.common import (
    DEFAULT_JSON,
    BenchmarkError,
    Result,
    console,
    ensure_large_db,
    machine_info,
)

BENCHMARKS = (
    "startup",
    "demo_build",
    "rota_validate",
    "lists",
    "terminal",
    "coding_audit",
    "solver",
)
MIN_RUNS = 5


def _runs(value: str) -> int:
    number = int(value)
    if number < MIN_RUNS:
        raise argparse.ArgumentTypeError(f"at least {MIN_RUNS} runs (a median needs them)")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Coordinator TUI benchmarks: start-up against a bare Textual app, and "
        "demo database builds. Prints a table and writes JSON.",
    )
    parser.add_argument(
        "--runs",
        type=_runs,
        default=7,
        metavar="N",
        help=f"timed runs per start-up variant (default 7, minimum {MIN_RUNS})",
    )
    parser.add_argument(
        "--runs-demo",
        type=_positive,
        default=1,
        metavar="N",
        help="times to build the large demo (default 1: it takes tens of seconds)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help=f"also write the JSON results here (always written to {DEFAULT_JSON.name})",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild benchmarks/results/large.db even if it is present and at head",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit with code 3 if any target is missed",
    )
    return parser.parse_args(argv)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.1f} ms"  # key and paint latencies are milliseconds
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def results_table(results: list[Result]) -> Table:
    table = Table(title="Coordinator TUI benchmarks", title_justify="left")
    table.add_column("benchmark", no_wrap=True)
    table.add_column("median", justify="right")
    table.add_column("min", justify="right")
    table.add_column("max", justify="right")
    table.add_column("runs", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target")
    table.add_column("pass", justify="center")
    for result in results:
        ratio = result.ratio
        table.add_row(
            result.name,
            _seconds(result.median_s),
            _seconds(result.min_s),
            _seconds(result.max_s),
            str(result.runs),
            _seconds(result.baseline_median_s),
            f"{ratio:.2f}x" if ratio is not None else "-",
            result.target,
            "[green]yes[/]" if result.passed else "[bold red]NO[/]",
        )
    return table


def write_json(document: dict[str, Any], paths: list[Path]) -> None:
    text = json.dumps(document, indent=2) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        console.print(f"JSON written to {path}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    selected = args.only or list(BENCHMARKS)
    started = time.perf_counter()
    document: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": machine_info(),
        "settings": {"runs": args.runs, "runs_demo": args.runs_demo, "only": selected},
        "results": [],
        "errors": [],
    }
    results: list[Result] = []
    for name in selected:
        try:
            if name == "startup":
                from benchmarks import startup

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                results += startup.run(Path(document["large_db"]["path"]), args.runs)
            elif name == "demo_build":
                from benchmarks import demo_build

                results += demo_build.run(args.runs_demo)
            elif name == "rota_validate":
                from benchmarks import rota_validate

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                results += rota_validate.run(Path(document["large_db"]["path"]), args.runs)
            elif name == "solver":
                from benchmarks import solver

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                results += solver.run(Path(document["large_db"]["path"]), args.runs)
            elif name == "lists":
                from benchmarks import lists

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                results += lists.run(Path(document["large_db"]["path"]), args.runs)
            elif name == "coding_audit":
                from benchmarks import coding_audit

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                results += coding_audit.run(Path(document["large_db"]["path"]), args.runs)
            elif name == "terminal":
                from benchmarks import terminal

                document["large_db"] = ensure_large_db(rebuild=args.rebuild)
                try:
                    results += terminal.run(Path(document["large_db"]["path"]), args.runs)
                except terminal.PartialResults as exc:
                    results += exc.results  # the figures that were measured still count
                    raise
        except BenchmarkError as exc:
            console.print(f"[bold red]{name} FAILED:[/] {exc}")
            document["errors"].append({"benchmark": name, "error": str(exc)})
    document["results"] = [result.to_dict() for result in results]
    document["total_seconds"] = round(time.perf_counter() - started, 3)

    if results:
        # Wide enough for every column when stdout is a file or a pipe.
        out = Console() if sys.stdout.isatty() else Console(width=120)
        out.print(results_table(results))
    write_json(document, [DEFAULT_JSON] + ([args.json] if args.json else []))
    if document["errors"]:
        console.print(f"[bold red]{len(document['errors'])} benchmark(s) failed[/]")
        return 1
    if args.strict and not all(result.passed for result in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
