"""Demo build: time ``seed_demo`` into a fresh, migrated temporary SQLite database.

In-process (``coordinator_tui.demo.seed.seed_demo``), timing the seeding only, not the
creation and migration of the empty database. One untimed small build comes first so that
imports (Faker and its locale data, SQLAlchemy, the models) are not charged to the first
timed run. The small demo is timed 3 times; the large one once by default (it takes tens of
seconds), or ``--runs-demo N`` times.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import LARGE_SEED, Result, build_demo_database, console

SMALL_RUNS = 3


def _build_fresh(size: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="coordinator-bench-") as tmp:
        return build_demo_database(Path(tmp) / f"demo-{size}.db", size, LARGE_SEED)


def run(large_runs: int = 1) -> list[Result]:
    console.print("[bold]demo_build[/]: warm-up small build (not counted)")
    warmup_s, _ = _build_fresh("small")
    small: list[float] = []
    small_summary = ""
    for index in range(SMALL_RUNS):
        elapsed, small_summary = _build_fresh("small")
        small.append(elapsed)
        console.print(f"  small {index + 1}/{SMALL_RUNS}: {elapsed:.2f} s")
    large: list[float] = []
    large_summary = ""
    for index in range(large_runs):
        console.print(f"  large {index + 1}/{large_runs}: building (tens of seconds)...")
        elapsed, large_summary = _build_fresh("large")
        large.append(elapsed)
        console.print(f"  large {index + 1}/{large_runs}: {elapsed:.2f} s")
    return [
        Result(
            "demo_build.small",
            small,
            target="info",
            passed=True,
            description="seed_demo(size='small', seed=1) into a fresh migrated SQLite file",
            extra={"warmup_s": round(warmup_s, 6), "summary": small_summary},
        ),
        Result(
            "demo_build.large",
            large,
            target="info",
            passed=True,
            description="seed_demo(size='large', seed=1) into a fresh migrated SQLite file",
            extra={"summary": large_summary},
        ),
    ]
