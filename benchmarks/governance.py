"""Governance (section 6) on the large demo, in process (``App.run_test``, 120x40), against
a bare app in the same run (issue 14, "Done when").

- ``governance.section_open``: ``6`` on Home to the Governance section painted with its
  first incident (the section opened cold, not prepared in the background), on the large
  demo holding at least 5,000 incidents (target: as Registers, at most 100 ms beyond the
  bare app doing the same mode switch);
- ``governance.today_refresh``: on the day's visits (``V``, "today"), ``f5`` to the view
  painted again from a fresh read (what the screen does every minute and after each save;
  target: under 50 ms);
- beside the two timed steps, the process's CPU time from the key to the paint (every
  thread; ``cpu_median_s`` in the JSON): what the step costs the app apart from waiting
  for a busy machine's cores (the wall clock is what is judged);
- ``governance.today_read``: the read alone, outside the app (``day_visits`` and the
  section's counts in one session, as the screen's worker does them; information).

Baselines, run alternately with the app in the same process: ``governance.bare.switch``, a
trivial app switching mode to a screen with one 40-row DataTable (``benchmarks.lists``),
and ``governance.bare.refresh``, a trivial screen whose ``f5`` builds 40 rows (a
screenful) in a worker thread and puts them in a DataTable (the same round trip as the
day's visits, without a database: on a busy machine the ratio says more than the
milliseconds). How a paint is detected, and why a mode switch cannot paint much before
70 ms: see ``benchmarks.lists``.

The database: the large demo (``benchmarks/results/large.db``, built once by
``python -m benchmarks``); when it holds fewer than 5,000 incidents, a copy
(``results/governance.db``) is topped up to 5,000 through the governance service
(``log_incident``, each on one of the demo's synthetic customers and carers), so the
large demo itself is left as the other benchmarks expect it. The day's visits are taken at
noon on the demo's day (so the figures do not depend on the hour the benchmark runs).

Standalone: ``python -m benchmarks.governance [--runs N] [--db PATH] [--strict]``, or
``python -m benchmarks --only governance``. Not part of pytest.
"""

from __future__ import annotations

import asyncio
import gc
import random
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from benchmarks.common import (
    RESULTS_DIR,
    BenchmarkError,
    Database,
    Result,
    console,
    count_rows,
    db_label,
    is_url,
    standalone_main,
)
from benchmarks.lists import (
    KEYS,
    SIZE,
    STEP_TIMEOUT_S,
    BareListApp,
    FrameProbe,
    bench_settings_env,
    demo_date,
    settle,
)

INCIDENTS = 5_000
OPEN_BEYOND_BARE_S = 0.100  # as the Registers queue (issue 14: "the same targets")
TODAY_REFRESH_S = 0.050
NOON = clock_time(12, 0)
TOPPED_UP_DB = RESULTS_DIR / "governance.db"
KINDS = ("fall", "medication", "missed_visit", "injury", "behaviour", "property", "other")
HARM = ("none", "low", "moderate")


def _count(db_path: Database, table: str) -> int:
    """Rows of ``table`` through the app's database layer (a SQLite file or a URL)."""
    from coordinator_tui.models import Complaint, Incident

    return count_rows(db_path, {"incident": Incident, "complaint": Complaint}[table])


def with_incidents(db_path: Database, wanted: int = INCIDENTS) -> tuple[Database, dict[str, Any]]:
    """The database to measure: ``db_path`` when it holds ``wanted`` incidents already,
    else a copy topped up to ``wanted`` through ``log_incident`` (synthetic: the demo's
    own customers and carers, a day of the last year, kinds and harm spread). A
    PostgreSQL database (``--pg``: the benchmarks' own) is topped up in place."""
    have = _count(db_path, "incident")
    info: dict[str, Any] = {"incidents_in_demo": have}
    if have >= wanted:
        info["incidents"] = have
        return db_path, info
    if is_url(db_path):
        started = time.perf_counter()
        _top_up(str(db_path), demo_date(db_path), wanted - have)
        info.update(incidents=wanted, top_up_s=round(time.perf_counter() - started, 3))
        return db_path, info
    console.print(f"  topping up {have:,} incidents to {wanted:,} in a copy: {TOPPED_UP_DB}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{TOPPED_UP_DB}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    shutil.copyfile(db_path, TOPPED_UP_DB)
    started = time.perf_counter()
    _top_up(str(TOPPED_UP_DB), demo_date(db_path), wanted - have)
    info.update(incidents=wanted, top_up_s=round(time.perf_counter() - started, 3))
    return TOPPED_UP_DB, info


def _top_up(db: str, today: date, count: int) -> None:
    """``count`` synthetic incidents logged through the governance service."""
    from sqlalchemy import select

    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.models import Carer, Customer
    from coordinator_tui.services.access import demo_principal
    from coordinator_tui.services.governance.incidents import log_incident

    opened = open_database(db, migrate=False)
    rnd = random.Random(14)
    try:
        with session_scope(opened.engine, demo_principal()) as s:
            customers = list(s.scalars(select(Customer.id)))
            carers = list(s.scalars(select(Carer.id)))
            for _ in range(count):
                day = today - timedelta(days=rnd.randint(1, 365))
                at = datetime(day.year, day.month, day.day, rnd.randint(7, 21), tzinfo=UTC)
                log_incident(
                    s,
                    occurred_at=at,
                    found_at=at + timedelta(minutes=rnd.randint(0, 90)),
                    kind=rnd.choice(KINDS),
                    severity=rnd.choice(HARM),
                    description="Synthetic incident for the governance benchmark",
                    immediate_action="Checked and made safe",
                    customer_id=rnd.choice(customers),
                    carer_id=rnd.choice(carers),
                    by="benchmark",
                    now=at + timedelta(hours=2),
                )
    finally:
        opened.engine.dispose()


class CpuFrameProbe(FrameProbe):
    """``FrameProbe`` that also takes the process's CPU time (every thread) from the key
    to the paint: what a step costs the app, apart from waiting for a busy machine's cores
    (the wall-clock figure is the one judged)."""

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.cpu_s: list[float] = []
        self._cpu_start: float | None = None

    def _display(self, screen: Screen, renderable: Any) -> None:
        waiting = self._ready is not None
        super()._display(screen, renderable)
        if waiting and self._ready is None and self._cpu_start is not None:
            self.cpu_s.append(time.process_time() - self._cpu_start)
            self._cpu_start = None

    async def key_to_paint(self, key: str, ready: Any, what: str) -> float:
        """As ``FrameProbe.key_to_paint``, with the CPU clock started beside the wall
        clock (after the garbage collection, which is not the step's)."""
        name, char = KEYS.get(key, (key, key if len(key) == 1 else None))
        event = events.Key(name, char)
        event.set_sender(self.app)
        self._event = asyncio.Event()
        self._ready = ready
        gc.collect()
        start = time.perf_counter()
        self._cpu_start = time.process_time()
        self.app._driver.send_message(event)  # type: ignore[union-attr]
        try:
            await asyncio.wait_for(self._event.wait(), STEP_TIMEOUT_S)
        except TimeoutError:
            self._ready = None
            raise BenchmarkError(
                f"{what}: nothing painted within {STEP_TIMEOUT_S:.0f} s of key {key!r}"
            ) from None
        return self.painted_at - start


BARE_DAY_ROWS = 40  # a screenful, as the other bare screens


class BareDay(Screen):
    """The bare refresh: ``f5`` reads rows in a worker thread and puts them in a
    DataTable, as the day's visits do (without a database)."""

    BINDINGS = [Binding("f5", "reload", "Reload")]

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Static("Bare day")
        yield DataTable(id="bare-day", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Planned", "Customer", "Carer", "State")
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._read, thread=True, exclusive=True)

    def _read(self) -> None:
        rows = [
            (f"{7 + n % 15:02d}:{n % 60:02d}", f"Customer {n:03d}", f"Carer {n % 60}", "to come")
            for n in range(BARE_DAY_ROWS)
        ]
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[tuple[str, ...]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(rows)
        self.generation += 1


class BareDayApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(BareDay())


async def bare_refresh(
    timings: list[float], times: int = 3, cpu: list[float] | None = None
) -> None:
    """The bare app's ``f5``: rows read in a worker thread, the table filled, painted."""
    app = BareDayApp()
    async with app.run_test(size=SIZE) as pilot:
        probe = CpuFrameProbe(app)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, BareDay)
        for _ in range(times):
            before = screen.generation

            def ready(before: int = before) -> str | None:
                return "Customer 000" if screen.generation > before else None

            timings.append(await probe.key_to_paint("f5", ready, "bare refresh"))
            await settle(app, pilot)
        if cpu is not None:
            cpu.extend(probe.cpu_s)


async def bare_switch(timings: list[float]) -> None:
    """The bare app's mode switch to a 40-row DataTable, painted."""
    from textual.widgets import DataTable

    from benchmarks.lists import BareList

    app = BareListApp()
    async with app.run_test(size=SIZE) as pilot:
        probe = FrameProbe(app)
        await settle(app, pilot)

        def ready() -> str | None:
            screen = app.screen
            if isinstance(screen, BareList) and screen.query_one(DataTable).row_count:
                return "PERSON000, Bare"
            return None

        timings.append(await probe.key_to_paint("2", ready, "bare switch"))


async def app_run(
    settings: Any, engine: Any, timings: dict[str, list[float]], info: dict[str, Any]
) -> None:
    """One fresh app: ``6`` cold to the incidents painted; ``V`` to the day's visits;
    ``f5`` there, three times, each to the repaint of a fresh read."""
    from benchmarks.common import signed_in_app
    from coordinator_tui.screens.governance.governance import GovernanceScreen

    app = signed_in_app(settings, engine)
    async with app.run_test(size=SIZE) as pilot:
        probe = CpuFrameProbe(app)
        await settle(app, pilot)

        def section_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, GovernanceScreen) and screen.loaded and screen.shown_rows:
                return f"INC-{screen.shown_rows[0].id}"
            return None

        timings["section_open"].append(
            await probe.key_to_paint("6", section_ready, "governance open")
        )
        screen = app.screen
        assert isinstance(screen, GovernanceScreen)
        timings["section_open_cpu"].append(probe.cpu_s[-1])
        info["open_incidents_shown"] = len(screen.rows)
        await settle(app, pilot)

        screen._wall_clock = NOON  # the day's visits at noon, whatever the hour
        await pilot.press("V")
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not (screen.view.area == "visits" and screen.loaded):
            if time.monotonic() > deadline:
                raise BenchmarkError("the day's visits did not load")
            await pilot.pause(0.02)
        await settle(app, pilot)
        if not screen.shown_rows:
            raise BenchmarkError(f"no visits on the demo's day ({settings.today})")
        info["today_visits"] = len(screen.rows)

        for _ in range(3):
            before = screen.rows

            def refreshed(before: list[Any] = before) -> str | None:
                if screen.rows is before or not screen.loaded or not screen.shown_rows:
                    return None
                return screen.shown_rows[0].customer

            timings["today_refresh"].append(
                await probe.key_to_paint("f5", refreshed, "today refresh")
            )
            await settle(app, pilot)
        timings["today_refresh_cpu"].extend(probe.cpu_s[-3:])


def today_read(engine: Any, today: date) -> float:
    """The day's visits and the section's counts, read as the screen's worker does."""
    from coordinator_tui.clock import UK
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.access import demo_principal
    from coordinator_tui.services.governance.incidents import governance_counts
    from coordinator_tui.services.governance.visits import day_visits

    now = datetime.combine(today, NOON, tzinfo=UK)
    started = time.perf_counter()
    with session_scope(engine, demo_principal()) as s:
        day_visits(s, today, now)
        governance_counts(s, today)
    return time.perf_counter() - started


async def _measure(db_path: Database, runs: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings

    db_path, info = with_incidents(db_path)
    with bench_settings_env():
        settings = load_settings(str(db_path))
    settings.today = demo_date(db_path)
    settings.prepare_sections = False  # the cold path: the section built on the key
    info.update(today=settings.today.isoformat(), size=f"{SIZE[0]}x{SIZE[1]}", db=db_label(db_path))
    info["complaints"] = _count(db_path, "complaint")
    opened = open_database(str(db_path), migrate=False)
    t: dict[str, list[float]] = {
        "bare": [],
        "bare_refresh": [],
        "bare_refresh_cpu": [],
        "section_open": [],
        "section_open_cpu": [],
        "today_refresh": [],
        "today_refresh_cpu": [],
        "today_read": [],
    }
    try:
        console.print(
            f"[bold]governance[/]: {db_label(db_path)} ({info['incidents']:,} incidents), demo "
            "date "
            f"{settings.today}; warm-up run"
        )
        await app_run(settings, opened.engine, {k: [] for k in t}, info)
        await bare_switch([])
        await bare_refresh([])
        for number in range(1, runs + 1):
            await bare_switch(t["bare"])
            await bare_refresh(t["bare_refresh"], cpu=t["bare_refresh_cpu"])
            await app_run(settings, opened.engine, t, info)
            t["today_read"].append(today_read(opened.engine, settings.today))
            console.print(
                f"  run {number}/{runs}: open {t['section_open'][-1] * 1000:.1f} ms "
                f"(bare {t['bare'][-1] * 1000:.1f}), today refresh "
                f"{statistics.median(t['today_refresh'][-3:]) * 1000:.1f} ms (bare "
                f"{statistics.median(t['bare_refresh'][-3:]) * 1000:.1f}), CPU "
                f"{statistics.median(t['today_refresh_cpu'][-3:]) * 1000:.1f} ms (bare "
                f"{statistics.median(t['bare_refresh_cpu'][-3:]) * 1000:.1f}), read "
                f"{t['today_read'][-1] * 1000:.1f} ms"
            )
    finally:
        opened.engine.dispose()
    return t, info


def run(db_path: Database, runs: int = 7) -> list[Result]:
    t, info = asyncio.run(_measure(db_path, runs))
    bare = statistics.median(t["bare"])
    opened = statistics.median(t["section_open"])
    refresh = statistics.median(t["today_refresh"])
    bare_refresh_s = statistics.median(t["bare_refresh"])
    read = statistics.median(t["today_read"])
    shared = {"today": info["today"], "incidents": info["incidents"]}
    return [
        Result(
            "governance.bare.switch",
            t["bare"],
            target="baseline",
            passed=True,
            description="bare app: key to the first paint of a mode with a 40-row DataTable",
        ),
        Result(
            "governance.section_open",
            t["section_open"],
            target=f"<= bare + {OPEN_BEYOND_BARE_S * 1000:.0f} ms",
            passed=opened - bare <= OPEN_BEYOND_BARE_S,
            baseline_median_s=bare,
            description=f"6 on Home to Governance painted with its open incidents, cold, on "
            f"the large demo with {info['incidents']:,} incidents and "
            f"{info['complaints']:,} complaints",
            extra={
                **shared,
                "beyond_bare_s": round(opened - bare, 6),
                "cpu_median_s": round(statistics.median(t["section_open_cpu"]), 6),
                "open_incidents_shown": info.get("open_incidents_shown"),
                "incidents_in_demo": info.get("incidents_in_demo"),
                "top_up_s": info.get("top_up_s"),
            },
        ),
        Result(
            "governance.bare.refresh",
            t["bare_refresh"],
            target="baseline",
            passed=True,
            description=f"bare app: f5 to {BARE_DAY_ROWS} rows read in a worker thread, put "
            "in a DataTable and painted",
        ),
        Result(
            "governance.today_refresh",
            t["today_refresh"],
            target=f"< {TODAY_REFRESH_S * 1000:.0f} ms",
            passed=refresh < TODAY_REFRESH_S,
            baseline_median_s=bare_refresh_s,
            description="f5 on the day's visits (V, 'today') to the view painted again from a "
            "fresh read (as every minute and after each save), at noon",
            extra={
                **shared,
                "today_visits": info.get("today_visits"),
                "cpu_median_s": round(statistics.median(t["today_refresh_cpu"]), 6),
                "bare_cpu_median_s": round(statistics.median(t["bare_refresh_cpu"]), 6),
            },
        ),
        Result(
            "governance.today_read",
            t["today_read"],
            target="information",
            passed=True,
            description="the day's visits and the section's counts read in one session "
            "(the screen's worker), outside the app",
            extra={**shared, "median_ms": round(read * 1000, 3)},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return standalone_main(
        "benchmarks.governance",
        "Governance (section 6) opened cold and the day's visits refreshed, in process.",
        run,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
