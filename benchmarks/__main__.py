"""``python -m benchmarks``: run the benchmarks, print a table, write JSON.

Run from the repository root. Progress goes to stderr, the table to stdout, and the JSON to
``benchmarks/results/latest.json`` (and to ``--json PATH`` as well, if given). Exit code 0
when every run succeeded and met its target, 1 when a run failed (non-zero exit, timeout,
nothing painted), 3 when a target was missed (``--no-strict``: 0 then, for exploring).

Each benchmark (at each scale, on SQLite and on PostgreSQL) is measured in a fresh Python
process (``benchmarks._child``), started after any database build has finished and
``os.sync()`` has written it out: no figure is taken in a process that has just built the
ten-times database, or after another benchmark's imports, heap and caches. Its progress is
passed on to stderr; a child that crashes or runs past ``--child-timeout`` is a failed run,
reported with its last lines. A calibration (``common.calibration_workload``: a fixed
pure-Python CPU workload, median of 5 by ``process_time``) is timed at the start and end of
the run, written to the JSON (``machine.calibration``) and printed above the table: the
machine's speed, by which figures from other days are compared.

``--scale 10`` runs every benchmark on the large demo AND on the ten-times database
(``results/large-x10.db``), printing both (issue 23 §4). Each benchmark's figures carry the
machine's load average before and after it; when the 1-minute load is above one per core
the benchmark is measured again (``--repeat-when-busy``, default once) and the quieter run
kept, both written to the JSON. The same goes for the machine's speed, which the load
average does not see (this 2-core machine is shared: the calibration's median swings from
about 50 to 90 ms within minutes at a load under 1): each benchmark is timed between two
calibrations, written beside its figures, and when either is more than ``SLOW_FACTOR``
times the quickest calibration of the run so far the benchmark counts as run on a slow
machine and is measured again the same way; the run kept is the one on the quieter, then
quicker, machine.

``--pg URL [--rtt-ms N]`` (issue 23 §5) also runs each benchmark that opens the app's
screens on PostgreSQL: the large demo is seeded once into the database ``URL`` names (created
if the server lacks it; the same rows as ``large.db``: same seed, same demo date), and the
app reaches it through ``benchmarks.pg_delay``, a local proxy adding N ms (default 2) to
every round trip. Each such benchmark runs on SQLite and then at once on PostgreSQL, so the
two are measured under the same load, and a second table prints them side by side with
their targets. A benchmark that cannot run there says why (``PG_NOT_RUN``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.common import (
    CALIBRATION_REPEATS,
    DEFAULT_JSON,
    REPO_ROOT,
    X10_BUILD_TARGET_S,
    BenchmarkError,
    Result,
    calibrate,
    calibration_text,
    console,
    db_label,
    ensure_large_db,
    ensure_pg_demo,
    load_average,
    load_is_high,
    machine_info,
)

BENCHMARKS = (
    "startup",
    "demo_build",
    "rota_validate",
    "lists",
    "terminal",
    "people",
    "coding_audit",
    "solver",
    "governance",
    "serve_load",
    "encryption",
)
MIN_RUNS = 5
PG_NOT_RUN = {
    "demo_build": "builds SQLite files; the PostgreSQL seeding is timed once as pg.seed",
    "terminal": "VisiData reads a CSV of the rows, not a database, and the typing figures "
    "read none",
    "people": "VisiData reads a CSV file: the comparison is a SQLite file against it",
    "coding_audit": "saves its findings into a copy of the SQLite file",
    "solver": "plans in memory from a snapshot: no screen opens; its read is rota.load",
    "encryption": "SQLCipher encrypts a SQLite file; PostgreSQL's encryption is the "
    "server's (TLS and disk), not the app's",
}
"""Benchmarks that do not run with ``--pg``, and why (printed, never skipped silently)."""

CALLS = {
    "startup": "benchmarks.startup:run",
    "demo_build": "benchmarks.demo_build:run",
    "rota_validate": "benchmarks.rota_validate:run",
    "solver": "benchmarks.solver:run",
    "lists": "benchmarks.lists:run",
    "governance": "benchmarks.governance:run",
    "serve_load": "benchmarks.serve_load:run",
    "encryption": "benchmarks.encryption:run",
    "people": "benchmarks.people_app:run",
    "coding_audit": "benchmarks.coding_audit:run",
    "terminal": "benchmarks.terminal:run",
}
"""Each benchmark's ``run`` function, called in a fresh child process (``benchmarks._child``)."""
CHILD_TIMEOUT_S = 3 * 3600.0
"""How long one benchmark's child may run before it is stopped and counted as failed."""
STDERR_TAIL_LINES = 15


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
        default=True,
        help="exit with code 3 if any target is missed (the default)",
    )
    parser.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="exit 0 even when a target is missed (exploring, not judging)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        choices=(1, 10),
        default=1,
        help="10: every benchmark at the large demo's size AND at ten times it",
    )
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="also run each benchmark that opens the app's screens on this PostgreSQL "
        "database (seeded once with the large demo; created if missing), side by side",
    )
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=2.0,
        metavar="N",
        help="with --pg: milliseconds added to every round trip by a local proxy (2)",
    )
    parser.add_argument(
        "--child-timeout",
        type=float,
        default=CHILD_TIMEOUT_S,
        metavar="S",
        help="seconds one benchmark's process may run before it is stopped and counted "
        f"as failed (default {CHILD_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--repeat-when-busy",
        type=int,
        default=1,
        metavar="N",
        help="measure a benchmark again up to N times when the load was high (default 1)",
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
    table.add_column("load", justify="right")
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
            _load_text(result.extra.get("load_average")),
            "[green]yes[/]" if result.passed else "[bold red]NO[/]",
        )
    return table


def side_by_side(results: list[Result], rtt_ms: float, not_run: dict[str, str]) -> Table:
    """Each figure measured on both: SQLite, and PostgreSQL through the proxy."""
    by_name = {result.name: result for result in results}
    table = Table(
        title=f"SQLite and PostgreSQL (+{rtt_ms:g} ms a round trip), medians",
        title_justify="left",
    )
    table.add_column("benchmark", no_wrap=True)
    table.add_column("SQLite", justify="right")
    table.add_column("PostgreSQL", justify="right")
    table.add_column("PG - SQLite", justify="right")
    table.add_column("target")
    table.add_column("SQLite ok", justify="center")
    table.add_column("PG ok", justify="center")
    table.add_column("PG load", justify="right")
    for result in results:
        pg = by_name.get(f"pg {result.name}")
        if result.name.startswith("pg ") or pg is None:
            continue
        table.add_row(
            result.name,
            _seconds(result.median_s),
            _seconds(pg.median_s),
            f"{(pg.median_s - result.median_s) * 1000:+.1f} ms",
            pg.target,
            "[green]yes[/]" if result.passed else "[bold red]NO[/]",
            "[green]yes[/]" if pg.passed else "[bold red]NO[/]",
            _load_text(pg.extra.get("load_average")),
        )
    for name, reason in not_run.items():
        table.add_row(name, "", "not run", "", reason, "", "", "")
    return table


def round_trips_table(opens: dict[str, dict[str, int]], rtt_ms: float) -> Table:
    """What each screen open sends to PostgreSQL: the round trips, of them the statements
    (the rest are BEGIN, COMMIT, the pool's ping and a connection's settings), and what
    the round trips alone add at ``rtt_ms``."""
    table = Table(title="Round trips per screen open on PostgreSQL", title_justify="left")
    table.add_column("open", no_wrap=True)
    table.add_column("round trips", justify="right")
    table.add_column("statements", justify="right")
    table.add_column(f"at {rtt_ms:g} ms", justify="right")
    for name, count in opens.items():
        table.add_row(
            name,
            str(count["round_trips"]),
            str(count["statements"]),
            f"{count['round_trips'] * rtt_ms:.0f} ms",
        )
    return table


def _count_round_trips(url: str) -> dict[str, dict[str, int]]:
    """Each screen open's round trips, counted (untimed) through an in-process proxy."""
    import asyncio

    from benchmarks.common import demo_date
    from benchmarks.pg_delay import open_round_trips

    console.print("Counting each screen open's round trips to PostgreSQL (untimed)...")
    try:
        return asyncio.run(open_round_trips(url, demo_date(url)))
    except Exception as exc:  # noqa: BLE001 - the timed figures stand without the count
        console.print(f"[bold red]round trips not counted:[/] {exc}")
        return {}


def _load_text(load: dict[str, Any] | None) -> str:
    """The 1-minute load average before -> after the benchmark ran."""
    if not load or not load.get("before") or not load.get("after"):
        return "-"
    return f"{load['before'][0]:.1f}->{load['after'][0]:.1f}"


def _stop(proc: subprocess.Popen) -> None:
    """Stop a child started in its own session, and whatever it started there."""
    if proc.poll() is not None:
        return
    for signum, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _pass_on(stream: Any, tail: collections.deque[str]) -> None:
    """Copy the child's progress lines to the user's stderr as they come, keeping the last
    few for a failure's report."""
    for line in stream:
        tail.append(line.rstrip("\n"))
        sys.stderr.write(line)
        sys.stderr.flush()


def run_in_child(
    target: str, db: Any, runs: int, timeout_s: float = CHILD_TIMEOUT_S
) -> list[Result]:
    """``target`` (``"module:function"``) called as ``function(db, runs)`` (``function(runs)``
    when ``db`` is None) in a fresh Python process; its results, read back.

    The child has this process's environment, its own session (so a timeout or Ctrl-C
    stops it and what it started), stdout and stderr passed on to this stderr (the table
    on stdout stays clean). A child that crashes, or runs past ``timeout_s``, raises
    ``BenchmarkError`` with the last lines it printed; a benchmark that failed after
    measuring some figures raises it with them as ``results`` (they still count)."""
    with tempfile.TemporaryDirectory(prefix="coordinator-bench-") as tmp:
        spec_path, result_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec = {"target": target, "db": None if db is None else str(db), "runs": runs}
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._child", str(spec_path), str(result_path)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        reader = threading.Thread(target=_pass_on, args=(proc.stdout, tail), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(proc)
            reader.join(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        last = " | ".join(line for line in tail if line.strip())
        if timed_out:
            raise BenchmarkError(f"timed out after {timeout_s:g} s; last lines: {last or '-'}")
        try:
            outcome = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            code = proc.returncode
            ended = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise BenchmarkError(
                f"the benchmark's process {ended} and no results; last lines: {last or '-'}"
            ) from None
    results = [Result.from_dict(item) for item in outcome["results"]]
    error = outcome.get("error")
    if error:
        message = error["message"]
        if error.get("kind") == "crash":
            where = " <- ".join(reversed(error.get("where", [])[-3:])) or "?"
            message = f"{message} (at {where}); last lines: {last or '-'}"
        failure = BenchmarkError(message)
        failure.results = results  # type: ignore[attr-defined] - the figures still count
        raise failure
    return results


def _run_one(
    name: str,
    args: argparse.Namespace,
    scale: int,
    document: dict[str, Any],
    pg_url: str | None = None,
):
    """One benchmark at one scale, measured in a fresh child process (``run_in_child``):
    its results, named ``NAME`` (scale 1) or ``x10 NAME``; with ``pg_url``, on PostgreSQL
    through the delaying proxy, named ``pg NAME``. Any database build happens here first,
    and the page cache is written out (``os.sync``) before the child starts."""
    db_key = "large_db" if scale == 1 else "x10_db"

    def db() -> Any:
        if pg_url is not None:
            return pg_url
        document[db_key] = ensure_large_db(rebuild=args.rebuild, scale=scale)
        return Path(document[db_key]["path"])

    def in_child(database: Any, runs: int) -> list[Result]:
        os.sync()  # a build's dirty pages written out now, not during the measurement
        return run_in_child(CALLS[name], database, runs, args.child_timeout)

    try:
        results = _child_results(name, args, scale, document, db, in_child)
    except BenchmarkError as exc:
        _rename(getattr(exc, "results", None) or [], args, scale, pg_url)
        raise
    _rename(results, args, scale, pg_url)
    return results


def _child_results(
    name: str,
    args: argparse.Namespace,
    scale: int,
    document: dict[str, Any],
    db: Callable[[], Any],
    in_child: Callable[[Any, int], list[Result]],
) -> list[Result]:
    """The benchmark's figures: from its child process, or (the ten-times build, timed
    as the database is built here) made from the build's record."""
    results: list[Result] = []
    if name == "demo_build" and scale != 1:
        info = document.get("x10_db") or {}
        if not info.get("built_now"):  # timed: the build is the measure
            info = ensure_large_db(rebuild=True, scale=10)
            document["x10_db"] = info
        seconds = info["build_seconds"]
        results.append(
            Result(
                "demo_build.x10",
                [seconds],
                target=f"under {X10_BUILD_TARGET_S:.0f} s",
                passed=seconds < X10_BUILD_TARGET_S,
                description="seed_demo(size='x10', seed=1) into a fresh migrated SQLite "
                f"file ({info['path']})",
                extra={"summary": info["summary"]},
            )
        )
    elif name == "demo_build":
        results += in_child(None, args.runs_demo)
    elif name == "people" and scale != 1:
        console.print("people: its two sizes are 100,000 and 1,000,000 rows (--scale 1)")
    elif name == "people":
        results += in_child(db(), max(args.runs, MIN_RUNS))
    else:
        results += in_child(db(), args.runs)
    return results


def _rename(results: list[Result], args: argparse.Namespace, scale: int, pg_url: str | None):
    """``x10 `` before a figure at ten times, ``pg `` before one on PostgreSQL."""
    if scale != 1:
        for result in results:
            if not result.name.startswith("demo_build"):
                result.name = f"x10 {result.name}"
    if pg_url is not None:
        for result in results:
            result.name = f"pg {result.name}"
            result.extra["database"] = f"PostgreSQL, +{args.rtt_ms:g} ms a round trip"


def _measured(
    name: str,
    args: argparse.Namespace,
    scale: int,
    document: dict[str, Any],
    pg_url: str | None = None,
):
    """Run a benchmark, with the load average before and after; again (up to
    ``--repeat-when-busy`` times) when the machine was busy, keeping the quieter run."""
    attempts: list[tuple[list[Result], dict[str, Any]]] = []
    tries = 1 + max(0, args.repeat_when_busy)
    for attempt in range(1, tries + 1):
        before, speed_before = load_average(), _speed(document)
        try:
            results = _run_one(name, args, scale, document, pg_url)
        except BenchmarkError as exc:
            load = {"before": before, "after": load_average()}
            for result in getattr(exc, "results", None) or []:
                result.extra["load_average"] = load  # figures measured before the failure
            raise
        load = {"before": before, "after": load_average()}
        speed = {"before": speed_before, "after": _speed(document)}
        for result in results:
            result.extra["load_average"] = load
            result.extra["calibration_ms"] = speed
        attempts.append((results, {**load, "calibration_ms": speed}))
        busy = load_is_high(load["before"]) or load_is_high(load["after"])
        slow = _slow(document, speed)
        if not (busy or slow):
            break
        if name == "demo_build" or attempt == tries:
            break  # demo_build: minutes each; the load is written beside it
        label = f"pg {name}" if pg_url else name
        why = f"busy (load {load})" if busy else f"slow (calibration {speed} ms)"
        console.print(f"  {label}: the machine was {why}; measuring again")

    def quietest(attempt: tuple[list[Result], dict[str, Any]]) -> tuple[bool, float, float]:
        """Busy or not (a load above one per core), then the slower calibration around
        it, then the higher load: the run kept is the least of these."""
        around = attempt[1]
        load = max((around["before"] or [0.0])[0], (around["after"] or [0.0])[0])
        speed = around["calibration_ms"]
        return load_is_high([load]), max(speed["before"], speed["after"]), load

    chosen, _ = min(attempts, key=quietest)
    if len(attempts) > 1:
        document.setdefault("repeated", []).append(
            {
                "benchmark": name,
                "scale": scale,
                "postgresql": pg_url is not None,
                "loads": [load for _, load in attempts],
                "results": [[r.to_dict() for r in results] for results, _ in attempts],
            }
        )
    return chosen


SLOW_FACTOR = 1.25
"""A calibration this many times the run's quickest so far marks the machine slow."""


def _speed(document: dict[str, Any]) -> float:
    """The machine's speed now: the calibration's median (ms), also kept in the run's
    list of them (``machine.calibration.between``) for the quickest so far."""
    median = calibrate()["median_ms"]
    document["machine"]["calibration"].setdefault("between", []).append(median)
    return median


def _slow(document: dict[str, Any], speed: dict[str, float]) -> bool:
    """Whether either calibration around a benchmark is ``SLOW_FACTOR`` times the
    quickest of the run (its start's and every one taken between benchmarks)."""
    calibration = document["machine"]["calibration"]
    quickest = min([calibration["start"]["median_ms"], *calibration.get("between", [])])
    return max(speed["before"], speed["after"]) > SLOW_FACTOR * quickest


def _start_pg(args: argparse.Namespace, document: dict[str, Any], stack: Any) -> str:
    """Seed the large demo into ``--pg`` once (directly, not through the delay), then
    start the delaying proxy for the rest of the run; the URL through it."""
    from benchmarks.pg_delay import proxied

    document["large_db"] = ensure_large_db(rebuild=args.rebuild)
    document["pg"] = ensure_pg_demo(args.pg, Path(document["large_db"]["path"]))
    if args.scale != 1:
        console.print("--scale 10 runs on SQLite only: the PostgreSQL side is the large demo")
    url = stack.enter_context(proxied(args.pg, args.rtt_ms))
    document["pg"]["rtt_ms"] = args.rtt_ms
    document["pg"]["proxy"] = "benchmarks.pg_delay: the whole delay on server -> client"
    console.print(f"PostgreSQL through the proxy (+{args.rtt_ms:g} ms a round trip)")
    return url


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
        # A --pg URL's password is not written to the JSON.
        "argv": [
            db_label(a) if args.pg and a == args.pg else a
            for a in (sys.argv[1:] if argv is None else argv)
        ],
        "machine": machine_info(),
        "settings": {
            "runs": args.runs,
            "runs_demo": args.runs_demo,
            "only": selected,
            "scale": args.scale,
            "pg": args.pg and db_label(args.pg),
            "rtt_ms": args.rtt_ms if args.pg else None,
        },
        "results": [],
        "errors": [],
    }
    document["machine"]["calibration"] = {
        "workload": "benchmarks.common.calibration_workload: CPU time (process_time), "
        f"median of {CALIBRATION_REPEATS}, in milliseconds: lower is a faster machine",
        "start": calibrate(),
    }
    console.print(f"calibration: {document['machine']['calibration']['start']['median_ms']} ms")
    results: list[Result] = []
    scales = (1, 10) if args.scale == 10 else (1,)
    not_run: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        pg_url = _start_pg(args, document, stack) if args.pg else None
        for scale in scales:
            for name in selected:
                runs_on = [None] if scale != 1 or pg_url is None else [None, pg_url]
                if pg_url is not None and scale == 1 and name in PG_NOT_RUN:
                    not_run[name] = PG_NOT_RUN[name]
                    runs_on = [None]
                    console.print(f"[bold]{name}[/] is not run on PostgreSQL: {PG_NOT_RUN[name]}")
                for url in runs_on:
                    try:
                        results += _measured(name, args, scale, document, url)
                    except BenchmarkError as exc:
                        partial = getattr(exc, "results", None)
                        if partial:
                            results += partial
                        label = name if scale == 1 else f"x10 {name}"
                        label = f"pg {label}" if url else label
                        console.print(f"[bold red]{label} FAILED:[/] {exc}")
                        document["errors"].append({"benchmark": label, "error": str(exc)})
        if pg_url is not None:
            document["pg"]["opens"] = _count_round_trips(args.pg)
    document["machine"]["calibration"]["end"] = calibrate()
    if not_run:
        document["pg_not_run"] = not_run
    document["results"] = [result.to_dict() for result in results]
    document["total_seconds"] = round(time.perf_counter() - started, 3)

    if results:
        # Wide enough for every column when stdout is a file or a pipe.
        out = Console() if sys.stdout.isatty() else Console(width=120)
        # The calibration on one line above the table (a title would wrap to its width).
        out.print(calibration_text(document["machine"]["calibration"]), soft_wrap=True)
        out.print(results_table(results))
        if args.pg:
            out.print(side_by_side(results, args.rtt_ms, not_run))
            if document["pg"].get("opens"):
                out.print(round_trips_table(document["pg"]["opens"], args.rtt_ms))
    write_json(document, [DEFAULT_JSON] + ([args.json] if args.json else []))
    if document["errors"]:
        console.print(f"[bold red]{len(document['errors'])} benchmark(s) failed[/]")
        return 1
    if args.strict and not all(result.passed for result in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
