"""Shared helpers: paths, statistics, results, machine info and the large demo database."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LARGE_DB = RESULTS_DIR / "large.db"
X10_DB = RESULTS_DIR / "large-x10.db"
"""The ten-times database (``--scale 10``, issue 23 §4): the ``x10`` demo size, 900,000
people, 100,000 register entries, 50,000 referrals, 300 carers, about 9,000 visits a week."""
X10_BUILD_TARGET_S = 90.0
HIGH_LOAD_PER_CORE = 1.0
"""A 1-minute load average above this many per core counts as a busy machine: the
figures are marked, and ``python -m benchmarks`` measures that benchmark again."""
DEFAULT_JSON = RESULTS_DIR / "latest.json"
PYCACHE_DIR = RESULTS_DIR / "pycache"
LARGE_SEED = 1

# Progress and errors go to stderr so the table on stdout stays clean.
console = Console(stderr=True, highlight=False, soft_wrap=True)


class BenchmarkError(RuntimeError):
    """A run failed (non-zero exit, timeout, no output): the figures would be meaningless."""


@dataclass
class Result:
    """One line of the results table and one object in the JSON."""

    name: str
    samples_s: list[float]
    target: str
    passed: bool
    baseline_median_s: float | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    @property
    def min_s(self) -> float:
        return min(self.samples_s)

    @property
    def max_s(self) -> float:
        return max(self.samples_s)

    @property
    def runs(self) -> int:
        return len(self.samples_s)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_median_s:
            return None
        return self.median_s / self.baseline_median_s

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "description": self.description,
            "median_s": round(self.median_s, 6),
            "min_s": round(self.min_s, 6),
            "max_s": round(self.max_s, 6),
            "runs": self.runs,
            "baseline_median_s": (
                round(self.baseline_median_s, 6) if self.baseline_median_s is not None else None
            ),
            "ratio": round(ratio, 4) if ratio is not None else None,
            "target": self.target,
            "pass": self.passed,
            "samples_s": [round(s, 6) for s in self.samples_s],
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The inverse of ``to_dict`` (a child process hands its results back this way):
        the derived figures (median, min, max, runs, ratio) are computed again from the
        samples, and every key that is not a field is ``extra``, as ``to_dict`` spread it."""
        rest = {key: value for key, value in data.items() if key not in _DERIVED_KEYS}
        return cls(
            name=rest.pop("name"),
            samples_s=[float(sample) for sample in rest.pop("samples_s")],
            target=rest.pop("target"),
            passed=bool(rest.pop("pass")),
            baseline_median_s=rest.pop("baseline_median_s", None),
            description=rest.pop("description", ""),
            extra=rest,
        )


_DERIVED_KEYS = frozenset({"median_s", "min_s", "max_s", "runs", "ratio"})
"""``Result.to_dict``'s keys computed from the samples, not stored."""


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages, rounded (None where unknown)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def load_is_high(load: list[float] | None) -> bool:
    """Whether the 1-minute load is above ``HIGH_LOAD_PER_CORE`` per core."""
    return bool(load) and load[0] > HIGH_LOAD_PER_CORE * (os.cpu_count() or 1)


def calibration_workload() -> int:
    """A fixed pure-Python CPU workload (about 50-100 ms): building a dict of tuples and
    strings, sorting it, and a small sort loop. Deterministic, no I/O, no imports.

    Why: the machines these benchmarks run on differ from day to day (one session's ran the
    same code 1.4-1.6 times slower than the one before: the large demo built in 10.5 s
    against 6.6 s), so two days' figures can only be compared through a yardstick timed on
    each: ``calibrate`` times this at the start and end of every ``python -m benchmarks``
    run and the JSON and the table carry it. Changing this function changes the yardstick:
    old and new calibrations are then not comparable."""
    table: dict[int, tuple[int, str, int]] = {}
    for i in range(45_000):
        key = (i * 7919) % 45_007
        table[key] = (key % 97, f"r{key}", i)
    ordered = sorted(table.values())
    check = ordered[0][2] + ordered[-1][2]
    for rounds in range(20):
        block = [((j * 31 + rounds) % 1009, j) for j in range(2_000)]
        block.sort()
        check += block[rounds][1]
    return check


CALIBRATION_REPEATS = 5


def calibrate(repeats: int = CALIBRATION_REPEATS) -> dict[str, Any]:
    """``calibration_workload``'s CPU time (``process_time``: the machine's speed rather than
    how long it waited for a core) ``repeats`` times after one untimed call, the garbage
    collector off while it runs (so a large heap in the calling process does not slow it);
    the median and the least in milliseconds, the samples, and the load average.

    CPU time is not immune to a busy machine: at a load of 5-6 on 2 cores the median
    ranged 45-89 ms between runs minutes apart (the caches and the core are shared), so
    compare calibrations taken at a low load, and read the load written beside each."""
    import gc

    calibration_workload()  # warm-up: byte code, the allocator's first arenas
    samples: list[float] = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            calibration_workload()
            samples.append(time.process_time() - start)
        finally:
            gc.enable()
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "min_ms": round(min(samples) * 1000, 2),
        "samples_ms": [round(sample * 1000, 2) for sample in samples],
        "load_average": load_average(),
    }


def scaled_db(scale: int) -> Path:
    """The benchmarks' database at ``scale`` (1: the large demo; 10: ten times it)."""
    return X10_DB if scale == 10 else LARGE_DB


def time_call(func: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call (perf_counter) and its return value."""
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the figures depend on (DESIGN.md section 6 was measured on 2 cores)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_executable": sys.executable,
        "textual_version": _version("textual"),
        "sqlalchemy_version": _version("sqlalchemy"),
        "sqlmodel_version": _version("sqlmodel"),
        "coordinator_tui_version": _version("coordinator-tui"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "load_average_at_start": load,
    }


def signed_in_app(settings: Any, engine: Any) -> Any:
    """The app as a signed-in coordinator sees it: the demo user signed in from the start
    (as ``coordinator-tui demo`` does), so a benchmark times the sections rather than
    waiting on the sign-in screen (issue 17) for ever."""
    from coordinator_tui.app import make_app
    from coordinator_tui.services.access import demo_principal

    return make_app(settings, engine, principal=demo_principal())


def bench_env(**overrides: str) -> dict[str, str]:
    """Environment for a benchmarked child process: a real-looking 120x40 xterm, and no
    developer settings, database or Textual dev switches leaking in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEXTUAL", "COORDINATOR_TUI_", "PYTHONPROFILE", "PYTHONTRACE"))
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
        # A settings file that does not exist: defaults only, whoever runs the benchmark.
        COORDINATOR_TUI_CONFIG=str(RESULTS_DIR / "no-settings.toml"),
        COORDINATOR_TUI_USER="bench",
        # Byte-code caches as an installed app has them, kept under results/ (git-ignored)
        # rather than beside the sources; the warm-up round fills them.
        PYTHONPYCACHEPREFIX=str(PYCACHE_DIR),
    )
    env.update(overrides)
    return env


# -- the large demo database ---------------------------------------------------------------


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def large_db_status(path: Path = LARGE_DB) -> str | None:
    """Why ``path`` cannot be reused (None if it can): missing, or not at head revision."""
    from coordinator_tui.preflight import DatabaseOpenError, head_revision, sqlite_revision

    if not path.is_file():
        return "missing"
    try:
        revision = sqlite_revision(path)
    except DatabaseOpenError as exc:
        return f"unreadable ({exc})"
    head = head_revision()
    if revision != head:
        return f"at revision {revision}, head is {head}"
    return None


def build_demo_database(path: Path, size: str, seed: int = LARGE_SEED) -> tuple[float, str]:
    """Create ``path`` fresh, migrate it and seed the demo. Returns (seconds seeding, summary).

    The time covers ``seed_demo`` only, not creating and migrating the empty database.
    """
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    _remove_sqlite_files(path)
    opened = open_database(str(path))
    try:
        elapsed, result = time_call(lambda: seed_demo(opened.engine, size=size, seed=seed))
    finally:
        opened.engine.dispose()
    describe = getattr(result, "describe", None)
    return elapsed, describe() if callable(describe) else str(result)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the database is one self-contained file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def ensure_large_db(rebuild: bool = False, scale: int = 1) -> dict[str, Any]:
    """Make sure ``benchmarks/results/large.db`` holds the large demo at head revision
    (``scale=10``: ``large-x10.db``, the ``x10`` demo size).

    Built once (tens of seconds; the ten-times one in minutes) and reused while its schema
    is at head; ``rebuild`` forces a fresh build. It is built under a temporary name and
    renamed when complete, so an interrupted build is never mistaken for a finished one.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = scaled_db(scale)
    size = "x10" if scale == 10 else "large"
    reason = "--rebuild" if rebuild else large_db_status(path)
    info: dict[str, Any] = {"path": str(path), "size": size, "seed": LARGE_SEED}
    if reason is None:
        info["built_now"] = False
    else:
        console.print(
            f"[bold]Building the {size} demo database[/] ({reason}) into {path} "
            "- this takes a while, and is reused on later runs..."
        )
        building = path.with_name(path.name + ".building")
        load_before = load_average()
        elapsed, described = build_demo_database(building, size, LARGE_SEED)
        _checkpoint(building)
        _remove_sqlite_files(path)
        os.replace(building, path)
        _remove_sqlite_files(building)
        console.print(
            f"  built in {elapsed:.1f} s (load average {load_before} -> {load_average()}): "
            f"{described}"
        )
        info.update(
            built_now=True,
            build_seconds=round(elapsed, 3),
            summary=described,
            load_average=[load_before, load_average()],
        )
        problem = large_db_status(path)
        if problem is not None:
            raise BenchmarkError(f"the freshly built {path} is not usable: {problem}")
    info["bytes"] = path.stat().st_size
    return info


# -- a PostgreSQL database beside the SQLite file (issue 23 §5) ------------------------------

Database = Path | str
"""What a benchmark measures: the SQLite file's path, or a PostgreSQL URL (``--pg``)."""


def is_url(db: Database) -> bool:
    """Whether ``db`` is a database URL (PostgreSQL) rather than a SQLite file's path."""
    return "://" in str(db)


def db_label(db: Database) -> str:
    """``db`` for a progress line: the path, or the URL without its password."""
    if not is_url(db):
        return str(db)
    from sqlalchemy.engine import make_url

    return make_url(str(db)).render_as_string(hide_password=True)


def demo_date(db: Database) -> date:
    """The ``today`` the demo was built for (its seeding audit note, read through the app's
    own database layer, so a PostgreSQL URL works as a SQLite file does): the queue then
    holds the same entries whichever day the benchmark runs.

    The note says it (``today``) since 2026-12-08; an older one is read by when it was
    written, which is the same day only if it was seeded on the day it was built for (a
    PostgreSQL copy seeded after midnight for the day before was refused as another
    demo)."""
    from sqlalchemy import func, select

    from coordinator_tui.clock import to_local
    from coordinator_tui.db import new_session, open_database
    from coordinator_tui.models import AuditEvent

    seeding = AuditEvent.actor == "demo-seed"
    opened = open_database(str(db), migrate=False)
    try:
        session = new_session(opened.engine, "bench")
        try:
            at = session.scalar(select(func.min(AuditEvent.at)).where(seeding))
            notes = session.scalars(
                select(AuditEvent.changes)
                .where(seeding, AuditEvent.action == "note")
                .order_by(AuditEvent.id)
            ).all()
        finally:
            session.close()
    finally:
        opened.engine.dispose()
    if not at:
        raise BenchmarkError(
            f"{db_label(db)} holds no demo seeding note: build it with the benchmarks"
        )
    for note in notes:  # a few dozen: one a table
        try:
            said = json.loads(note or "{}").get("today")
        except (ValueError, AttributeError):
            continue
        if isinstance(said, str):
            return date.fromisoformat(said)
    return to_local(at).date()


def count_rows(db: Database, model: Any) -> int:
    """How many rows of ``model`` the database holds (through the app's database layer)."""
    from sqlalchemy import func, select

    from coordinator_tui.db import new_session, open_database

    opened = open_database(str(db), migrate=False)
    try:
        session = new_session(opened.engine, "bench")
        try:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            session.close()
    finally:
        opened.engine.dispose()


def _create_pg_database(url: str) -> bool:
    """Create the database ``url`` names when the server does not have it yet (connecting
    to the server's ``postgres`` database to do it). True if it was created."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or "postgres"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # a name from the user's URL
            return True
    finally:
        admin.dispose()


def ensure_pg_demo(url: str, source: Path = LARGE_DB, size: str = "large") -> dict[str, Any]:
    """Make sure the PostgreSQL database at ``url`` holds the same demo as ``source`` (the
    SQLite file the side-by-side compares it with): created if the server lacks it,
    migrated to head, then seeded once with ``seed_demo(size, seed=1, today=<source's demo
    date>)``, the same rows as the file. Reused while its demo date is the file's; a
    database holding other people is refused rather than touched."""
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo
    from coordinator_tui.models import Person

    created = _create_pg_database(url)
    today = demo_date(source)
    opened = open_database(url)  # migrates an empty database to head
    info: dict[str, Any] = {"url": db_label(url), "size": size, "today": today.isoformat()}
    try:
        people = count_rows(url, Person)
        if people:
            try:
                have = demo_date(url)
            except BenchmarkError:
                have = None
            if have != today:
                raise BenchmarkError(
                    f"{db_label(url)} holds {people:,} people but not the {size} demo of "
                    f"{today} that {source.name} holds: give --pg an empty database (or a "
                    "new name: it is created)"
                )
            info["built_now"] = False
            return info
        console.print(
            f"[bold]Seeding the {size} demo into PostgreSQL[/] ({db_label(url)}"
            f"{', created' if created else ''}), as {source.name} holds it (demo date "
            f"{today}); once, reused on later runs..."
        )
        load_before = load_average()
        elapsed, result = time_call(
            lambda: seed_demo(opened.engine, size=size, seed=LARGE_SEED, today=today)
        )
        describe = getattr(result, "describe", None)
        described = describe() if callable(describe) else str(result)
        console.print(f"  seeded in {elapsed:.1f} s (load {load_before} -> {load_average()})")
        info.update(
            built_now=True,
            build_seconds=round(elapsed, 3),
            summary=described,
            load_average=[load_before, load_average()],
        )
        return info
    finally:
        opened.engine.dispose()


class PartialResults(BenchmarkError):
    """Some figures were measured, one comparison could not run: print them anyway."""

    def __init__(self, results: list[Result], message: str) -> None:
        super().__init__(message)
        self.results = results


def standalone_main(
    prog: str,
    description: str,
    run: Callable[[Path, int], list[Result]],
    argv: list[str] | None = None,
) -> int:
    """``python -m benchmarks.NAME [--runs N] [--db PATH] [--strict]`` for one module:
    run it on the large demo (or ``--db``) and print one line per figure.

    Exit code 0, 1 when the run failed part-way (``PartialResults``), 3 with ``--strict``
    when a target was missed."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("--runs", type=int, default=7, metavar="N", help="timed runs (7)")
    parser.add_argument(
        "--db",
        help="a SQLite file or a PostgreSQL URL holding the demo (default: the benchmarks' "
        "large.db)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        choices=(1, 10),
        default=1,
        help="10: the ten-times database (built once into results/large-x10.db)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 3 if a target is missed")
    args = parser.parse_args(argv)
    db_path: Any = args.db or ensure_large_db(scale=args.scale)["path"]
    db_path = db_path if is_url(db_path) else Path(db_path)
    print(f"load average at start: {load_average()}")
    code = 0
    try:
        results = run(db_path, max(args.runs, 1))
    except PartialResults as exc:
        results, code = exc.results, 1
    for result in results:
        print(
            f"{result.name:<26} median {result.median_s * 1000:8.2f} ms  "
            f"min {result.min_s * 1000:8.2f}  max {result.max_s * 1000:8.2f}  "
            f"runs {result.runs:>3}  target {result.target:<24} "
            f"{'ok' if result.passed else 'MISSED'}"
        )
    print(f"load average at end: {load_average()}")
    if args.strict and not all(result.passed for result in results):
        return 3
    return code


def calibration_text(calibration: dict[str, Any] | None) -> str:
    """The calibration for the table's header line: the start's median (and the end's when
    it differs by more than a tenth: the machine's speed changed during the run)."""
    if not calibration or not calibration.get("start"):
        return ""
    start = calibration["start"]["median_ms"]
    end = (calibration.get("end") or {}).get("median_ms")
    figure = f"{start:.0f} ms"
    if end is not None and abs(end - start) > 0.1 * start:
        figure = f"{start:.0f} ms at the start, {end:.0f} ms at the end"
    return f"calibration {figure} (this machine's speed; compare runs from other days by it)"
