"""The app's memory after opening the review queue (issue 23 §1: 150 MiB at ten times the
large demo).

A fresh Python process per run (``--child``), so nothing this process imported or cached
counts: the app is made as ``coordinator-tui demo`` makes it (the demo user signed in, the
sections prepared in the background after Home shows its counts) and run headless at
120x40 (``App.run_test``: no terminal driver, which holds a few kilobytes). Home shows its
counts, ``2`` opens the review queue, and the resident set (``VmRSS`` in
``/proc/self/status``) is read:

- ``memory.queue``: once the queue's first rows are painted;
- ``memory.settled``: once every section the app prepares in the background (Referrals,
  Meetings, Rota, Governance, Reports) has been built, the app has given back what those
  reads left (``app.RELEASES`` times: ``db.release_memory``) and its workers have finished,
  after a garbage collection: what the process holds while the coordinator works.

``--trace N`` runs one child under ``tracemalloc`` and prints the N source lines holding
the most memory when settled (slower; for finding what holds it, not a figure).

Standalone only: ``python -m benchmarks.app_memory [--scale 10 | --db PATH] [--runs N]
[--trace N]``. The figures print with the 1-minute load average before and after each.
Before and after a change, back to back: the older package first on ``PYTHONPATH`` (say
``git archive REV coordinator_tui | tar -x -C /tmp/old``, then, outside the checkout,
``PYTHONPATH=/tmp/old:CHECKOUT python -m benchmarks.app_memory``); an app without the
memory release is measured when its preparation ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

TARGET_MIB = 150.0
SIZE = (120, 40)
SETTLE_TIMEOUT_S = 180.0


def rss_mib() -> dict[str, float]:
    """This process's resident set now and at its peak, in MiB (Linux ``/proc``)."""
    found: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return {"rss": round(found.get("VmRSS", 0.0), 1), "peak": round(found.get("VmHWM", 0.0), 1)}


async def _measure(db: str, today: date, trace: int) -> dict[str, Any]:
    """One app through Home, ``2`` and the background preparation; the memory figures."""
    import gc

    import coordinator_tui.app as app_module
    from benchmarks.common import signed_in_app
    from coordinator_tui.app import BUILT_SECTIONS
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings
    from coordinator_tui.textual_private import mode_built

    if os.environ.get("APP_MEMORY_CACHE_KIB"):  # an experiment: SQLite's page cache size
        import coordinator_tui.db as db_module

        db_module.CACHE_KIB = int(os.environ["APP_MEMORY_CACHE_KIB"])
    opened = open_database(db, migrate=False)
    settings = load_settings(db)
    settings.today = today
    settings.prepare_sections = True
    app = signed_in_app(settings, opened.engine)
    loaded: set[str] = set()
    original = app.screen_loaded

    def screen_loaded(screen: Any) -> None:
        loaded.add(getattr(screen, "MODE", "") or screen.__class__.__name__)
        original(screen)

    app.screen_loaded = screen_loaded  # type: ignore[method-assign]
    figures: dict[str, Any] = {}

    async def until(condition: Any, what: str) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: not within {SETTLE_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.05)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: "home" in loaded, "Home's counts")
            await pilot.press("2")

            def queue_painted() -> bool:
                screen = app.screen
                return screen.__class__.__name__ == "RegistersScreen" and bool(
                    getattr(screen, "loaded", False) and getattr(screen, "shown_rows", None)
                )

            await until(queue_painted, "the review queue")
            await pilot.pause()
            figures["queue"] = rss_mib()
            figures["queue_rows"] = len(getattr(app.screen, "rows", ()) or ())

            def prepared() -> bool:
                return all(mode_built(app, mode) for mode in BUILT_SECTIONS)

            await until(prepared, "the sections prepared in the background")
            # The app gives back what the preparation's reads left once the last section
            # has its data, and again a little later (``db.release_memory``): settled is
            # after the last of these.
            await until(
                lambda: getattr(app, "memory_releases", 0) >= getattr(app_module, "RELEASES", 0),
                "the memory given back after the preparation",
            )
            figures["released"] = dict(getattr(app, "memory_released", None) or {})
            for _ in range(3):  # a worker may start another read when its first lands
                await app.workers.wait_for_complete()
                await pilot.pause(0.3)
            gc.collect()
            figures["settled"] = rss_mib()
            figures["pool"] = opened.engine.pool.status()
            if trace:
                import tracemalloc

                snapshot = tracemalloc.take_snapshot()
                top = snapshot.statistics("lineno")[:trace]
                figures["trace_total_mib"] = round(
                    sum(s.size for s in snapshot.statistics("filename")) / 2**20, 1
                )
                figures["trace"] = [
                    f"{s.size / 2**20:7.1f} MiB {s.count:>8} blocks  {s.traceback[0]}" for s in top
                ]
                by_file = snapshot.statistics("filename")[:trace]
                figures["trace_files"] = [
                    f"{s.size / 2**20:7.1f} MiB  {s.traceback[0].filename}" for s in by_file
                ]
    finally:
        opened.engine.dispose()
    return figures


def child(argv: list[str]) -> int:
    """``--child DB TODAY TRACE``: measure once and print the figures as one JSON line."""
    db, today, trace = argv[0], date.fromisoformat(argv[1]), int(argv[2])
    if trace:
        import tracemalloc

        tracemalloc.start(1)
    figures = asyncio.run(_measure(db, today, trace))
    print(json.dumps(figures))
    return 0


def measure_once(db: Path, today: date, trace: int = 0) -> dict[str, Any]:
    """One child process's figures, with the load average before and after."""
    from benchmarks.common import bench_env, load_average

    before = load_average()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.app_memory", "--child", str(db), str(today), str(trace)],
        capture_output=True,
        text=True,
        env=bench_env(**{k: v for k, v in os.environ.items() if k.startswith("APP_MEMORY_")}),
        timeout=SETTLE_TIMEOUT_S * 3,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load"] = [before, load_average()]
    return figures


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["--child"]:
        return child(args_list[1:])
    from benchmarks.common import demo_date, ensure_large_db

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.app_memory",
        description="The app's resident memory after opening the review queue.",
    )
    parser.add_argument("--runs", type=int, default=3, metavar="N", help="processes (3)")
    parser.add_argument("--db", help="a SQLite file holding the demo (default: large.db)")
    parser.add_argument("--scale", type=int, choices=(1, 10), default=1)
    parser.add_argument(
        "--trace", type=int, default=0, metavar="N", help="one traced run: the top N lines"
    )
    args = parser.parse_args(args_list)
    db = Path(args.db or ensure_large_db(scale=args.scale)["path"])
    today = demo_date(db)
    if args.trace:
        figures = measure_once(db, today, args.trace)
        print(f"traced (tracemalloc): {figures['trace_total_mib']} MiB held by Python")
        print("\n".join(figures["trace_files"]))
        print("\n".join(figures["trace"]))
        print(f"rss {figures['settled']}  load {figures['load']}")
        return 0
    runs = [measure_once(db, today) for _ in range(max(args.runs, 1))]
    for key in ("queue", "settled"):
        values = [r[key]["rss"] for r in runs]
        print(
            f"memory.{key:<8} median {statistics.median(values):7.1f} MiB  "
            f"min {min(values):7.1f}  max {max(values):7.1f}  runs {len(values)}  "
            f"target < {TARGET_MIB:.0f} MiB  "
            f"{'ok' if statistics.median(values) < TARGET_MIB else 'MISSED'}"
        )
    peaks = [r["settled"]["peak"] for r in runs]
    print(f"memory.peak     median {statistics.median(peaks):7.1f} MiB  (VmHWM: the most held)")
    print(f"given back after the preparation: {[r.get('released') for r in runs][0]}")
    print(f"queue rows in memory: {runs[0].get('queue_rows')}; loads: {[r['load'] for r in runs]}")
    print(f"database: {db} ({os.path.getsize(db) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
