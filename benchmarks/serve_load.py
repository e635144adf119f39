"""Twenty browser tabs at once on ``coordinator-tui serve`` (issue 20 §3).

``coordinator-tui serve`` (textual-serve) runs one app process per browser tab. This
benchmark serves a copy of the large demo on a free localhost port and opens ``--tabs``
(default 20) tabs at once in ONE headless Chromium (Debian's ``/usr/bin/chromium``, driven
by Playwright's async Python API, each tab in its own browser context as separate users
would be): real tabs, with xterm.js drawing the terminal, not websocket clients.

Each tab, all of them at the same time:

1. waits for its sign-in (its own app process started and the database opened); then all
   tabs wait for each other, so typing is timed with every session running;
2. types the user name, one key at a time (``typing``: each key until the letter is drawn),
   then the password, and signs in (``sign_in``: enter to Home drawn; an Argon2id check);
3. presses ``2`` (``queue``: to the review queue drawn with its rows);
4. ``--rounds`` times: ``pagedown`` (to the queue's rows drawn moved), ``enter`` (to the
   person record drawn: "Case summary"), ``escape`` (back to the queue drawn).

Memory per session is read once every tab has opened its records: the resident set
(``VmRSS``) and the proportional set (``Pss``, shared pages split between the processes
sharing them, a fairer "what one more tab costs") of each tab's app process, from /proc,
and the server's own.

How a key is timed
------------------
In the page, not from Python: a capturing ``keydown`` listener on the document notes
``performance.now()`` when the browser takes the key, and the xterm.js terminal's
``onRender`` (rows drawn to the page's canvas) checks its screen buffer; the key's latency
is from that keydown to the first render whose text shows what the step waits for. So the
figure is key to pixels in the tab: the browser's key handling, the websocket,
textual-serve, the app, and xterm.js drawing; not Playwright's own round trips. Between
steps a tab waits until its screen has been still for 300 ms (untimed), as a person reads
before the next key. The same flow with one tab alone is the baseline.

Targets: the usual limits of response time (Nielsen): a typed letter within 0.1 s (feels
instant) and a move between screens within 1 s (keeps the flow of thought), at the 95th
percentile over all tabs' keys.

The machine is shared (2 cores here): the load average before and after is recorded and
printed. Not in pytest. Standalone: ``python -m benchmarks.serve_load [--tabs N]
[--rounds N] [--db PATH]``, or ``python -m benchmarks --only serve_load``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO_ROOT,
    BenchmarkError,
    Result,
    bench_env,
    console,
    ensure_large_db,
    load_average,
)

TABS = 20
ROUNDS = 5
CHROMIUM = Path("/usr/bin/chromium")
USERNAME = "browser.tester"
PASSWORD = "Lantern-orchard-57-quietly"
VIEWPORT = {"width": 1280, "height": 800}
TYPING_TARGET_S = 0.1
NAVIGATION_TARGET_S = 1.0
START_TIMEOUT_MS = 600_000  # twenty app processes starting at once on two cores
STEP_TIMEOUT_MS = 120_000
QUIET_MS = 300

KEEP_TERMINAL = "const t=new w(e,{ping:r});"
"""textual-serve's script, where it makes its terminal: the page keeps it for the probe."""

PROBE_JS = """() => {
  if (window.__bench) return true;
  const holder = window.__coordinatorTerminal;
  if (!holder || !holder.terminal) return false;
  const term = holder.terminal;
  const state = {t0: null, armed: false, want: null, resolve: null, lastRender: 0};
  const screen = () => {
    const buffer = term.buffer.active;
    const lines = [];
    for (let i = 0; i < term.rows; i++) {
      const line = buffer.getLine(buffer.viewportY + i);
      lines.push(line ? line.translateToString(true) : "");
    }
    return lines.join("\\n");
  };
  const check = () => {
    if (!state.resolve || state.t0 === null) return;
    const now = performance.now();
    if (state.want(screen())) {
      const done = state.resolve;
      state.resolve = null;
      done(now - state.t0);
    }
  };
  document.addEventListener("keydown", () => {
    if (state.armed && state.t0 === null) state.t0 = performance.now();
  }, true);
  term.onRender(() => { state.lastRender = performance.now(); check(); });
  window.__bench = {
    screen,
    size: () => [term.cols, term.rows],
    arm: (text, absent, differs) => {
      const before = screen();
      state.t0 = null;
      state.armed = true;
      state.want = (s) => (!text || s.includes(text)) && (!absent || !s.includes(absent))
        && (!differs || s !== before);
      state.done = new Promise((resolve) => { state.resolve = resolve; });
      return true;
    },
    wait: () => { check(); return state.done; },
    quiet: (ms) => new Promise((resolve) => {
      const tick = () => {
        if (performance.now() - state.lastRender >= ms) resolve(true);
        else setTimeout(tick, 25);
      };
      tick();
    }),
  };
  return true;
}"""


@dataclass
class TabFigures:
    """One tab's key latencies (seconds), by step."""

    index: int
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, step: str, seconds: float) -> None:
        self.samples.setdefault(step, []).append(seconds)

    def keys(self, steps: tuple[str, ...]) -> list[float]:
        return [s for step in steps for s in self.samples.get(step, [])]


TYPING = ("typing",)
NAVIGATION = ("queue", "page_down", "record", "back")


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile, interpolated within the samples (never beyond them)."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- the database and the server ----------------------------------------------------------


def username(index: int) -> str:
    """Tab ``index``'s account: one each, as twenty coordinators would have (one account
    signing in from two tabs at the same moment: the second is refused as a conflict on the
    account's row, "someone else changed this record")."""
    return f"{USERNAME}{index:02d}"


def prepare_database(source: str, folder: Path, tabs: int) -> str:
    """The database to serve, with an account per tab (the demo has none): a copy of a
    SQLite file, or a PostgreSQL database (a URL) itself, its accounts made once."""
    if "://" in source:
        served = source
    else:
        path = folder / "served.db"
        with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        served = str(path)
    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.models.accounts import Account
    from coordinator_tui.services import accounts

    now = datetime.now(UTC)
    opened = open_database(served)
    try:
        with session_scope(opened.engine, "bench") as session:
            first = accounts.find_account(session, username(1))
            admin = (
                accounts.principal_for(session, first, now)
                if first is not None
                else accounts.create_first_administrator(
                    session, username(1), "Browser Tester 1", PASSWORD, now
                )
            )
        with session_scope(opened.engine, admin) as session:
            for index in range(2, tabs + 1):
                if accounts.find_account(session, username(index)) is not None:
                    continue
                account_id = accounts.create_account(
                    session,
                    username(index),
                    f"Browser Tester {index}",
                    PASSWORD,
                    ["safeguarding_lead"],
                    now,
                    all_practices=True,
                )
                # Signed in straight to Home, not first to a new password.
                account = session.get(Account, account_id)
                assert account is not None
                account.must_change_password = False
    finally:
        opened.engine.dispose()
    return served


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: str, folder: Path, tabs: int) -> tuple[subprocess.Popen[bytes], int]:
    """``coordinator-tui serve`` on a free localhost port, allowing ``tabs`` tabs."""
    settings = folder / "settings.toml"
    settings.write_text(f"lock_after_minutes = 15\n\n[serve]\nmax_tabs = {max(tabs, 1)}\n")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "coordinator_tui", "serve", "--db", db, "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=bench_env(COORDINATOR_TUI_CONFIG=str(settings)),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchmarkError(f"serve stopped: {server.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise BenchmarkError("serve did not listen within 120 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def app_processes(server_pid: int) -> list[int]:
    """The server's descendants running the app (``... run --db ...``), from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = []
    for pid, command in commands.items():
        ancestor = parents.get(pid)
        while ancestor and ancestor != server_pid:
            ancestor = parents.get(ancestor)
        if ancestor == server_pid and "\0run\0" in command:
            found.append(pid)
    return sorted(found)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and proportional set size of a process, in MB (1 MB = 1024 kB)."""
    figures: dict[str, float] = {}
    for path, key, name in (
        (f"/proc/{pid}/status", "VmRSS:", "rss_mb"),
        (f"/proc/{pid}/smaps_rollup", "Pss:", "pss_mb"),
    ):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    figures[name] = round(int(line.split()[1]) / 1024, 1)
                    break
        except (OSError, ValueError):
            continue
    return figures


# -- the tabs -----------------------------------------------------------------------------


async def _keep_terminal(route: Any) -> None:
    response = await route.fetch()
    script = await response.text()
    if KEEP_TERMINAL not in script:
        raise BenchmarkError("textual-serve's script changed: the probe cannot find its terminal")
    script = script.replace(KEEP_TERMINAL, KEEP_TERMINAL + "window.__coordinatorTerminal=t;")
    await route.fulfill(body=script, content_type="application/javascript")


class Tab:
    """One browser tab on the served app, with the key probe installed."""

    def __init__(self, page: Any, figures: TabFigures) -> None:
        self.page = page
        self.figures = figures

    async def screen(self) -> str:
        return await self.page.evaluate("() => window.__bench ? window.__bench.screen() : ''")

    async def until(self, text: str, absent: str = "", timeout_ms: int = STEP_TIMEOUT_MS) -> None:
        """Wait (untimed) until the screen shows ``text`` and not ``absent``."""
        try:
            await self.page.wait_for_function(
                "([text, absent]) => window.__bench && window.__bench.screen().includes(text)"
                " && (!absent || !window.__bench.screen().includes(absent))",
                arg=[text, absent],
                timeout=timeout_ms,
                polling=50,
            )
        except Exception as exc:
            raise BenchmarkError(
                f"tab {self.figures.index}: no {text!r} within {timeout_ms} ms "
                f"({exc.__class__.__name__}); it shows:\n{await self.screen()}"
            ) from None

    async def timed(
        self, step: str, key: str, text: str = "", absent: str = "", differs: bool = False
    ) -> None:
        """Press ``key`` and time it to the first render showing what ``step`` waits for."""
        await self.page.evaluate(
            "([t, a, d]) => window.__bench.arm(t, a, d)", [text, absent, differs]
        )
        await self.page.keyboard.press(key)
        try:
            ms = await asyncio.wait_for(
                self.page.evaluate("() => window.__bench.wait()"), STEP_TIMEOUT_MS / 1000
            )
        except TimeoutError:
            raise BenchmarkError(
                f"tab {self.figures.index}: {step} ({key}) not drawn within "
                f"{STEP_TIMEOUT_MS} ms; it shows:\n{await self.screen()}"
            ) from None
        self.figures.add(step, ms / 1000)

    async def sign_in(self) -> None:
        """Enter on the password, timed to Home drawn. A sign-in the database refused
        (SQLite: another tab's write held the lock past its wait) is typed again, as a
        person would, counted, and the time runs on from the first enter."""
        page = self.page
        await page.evaluate("() => window.__bench.arm('Registers', 'Sign in', false)")
        await page.keyboard.press("Enter")
        waiter = asyncio.ensure_future(page.evaluate("() => window.__bench.wait()"))
        deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
        try:
            while not waiter.done():
                await asyncio.wait({waiter}, timeout=1)
                if waiter.done():
                    break
                if time.monotonic() > deadline:
                    raise BenchmarkError(
                        f"tab {self.figures.index}: not signed in within {STEP_TIMEOUT_MS} ms;"
                        f" it shows:\n{await self.screen()}"
                    )
                if "try again" in await self.screen():
                    self.figures.add("sign_in_refused", 1.0)
                    await page.keyboard.press("Control+u")  # the field, emptied
                    await page.keyboard.type(PASSWORD)
                    await self.until("•" * len(PASSWORD))
                    await page.keyboard.press("Enter")
                    await self.until("", absent="try again")
        finally:
            if not waiter.done():
                waiter.cancel()
        self.figures.add("sign_in", await waiter / 1000)

    async def quiet(self) -> None:
        await self.page.evaluate(f"() => window.__bench.quiet({QUIET_MS})")


async def _one_tab(
    browser: Any,
    url: str,
    figures: TabFigures,
    rounds: int,
    all_ready: asyncio.Barrier,
    all_done: asyncio.Barrier,
    finish: asyncio.Event,
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        await page.route("**/static/js/textual.js", _keep_terminal)
        await page.goto(url, timeout=START_TIMEOUT_MS)
        await page.wait_for_function(PROBE_JS, timeout=START_TIMEOUT_MS, polling=100)
        tab = Tab(page, figures)
        # Its own app process started and its database open: the sign-in that takes keys.
        await tab.until("enter sign in", absent="Opening the database", timeout_ms=START_TIMEOUT_MS)
        await page.locator(".xterm-helper-textarea").focus()
        await all_ready.wait()
        await tab.quiet()
        typed = ""
        for letter in username(figures.index):
            typed += letter
            await tab.timed("typing", letter, text=typed, differs=True)
            await tab.quiet()
        await page.keyboard.press("Enter")
        await page.keyboard.type(PASSWORD)
        for _ in range(3):
            try:
                await tab.until("•" * len(PASSWORD), timeout_ms=30_000)
                break
            except BenchmarkError:  # a key did not arrive: counted, and typed again
                figures.add("keys_lost", 1.0)
                await page.keyboard.press("Control+u")
                await tab.until("Password", absent="•")
                await page.keyboard.type(PASSWORD)
        else:
            raise BenchmarkError(f"tab {figures.index}: the password never arrived whole")
        await tab.sign_in()
        await tab.quiet()
        await tab.timed("queue", "2", text="OVERDUE")
        await tab.quiet()
        for _ in range(rounds):
            await tab.timed("page_down", "PageDown", text="OVERDUE", differs=True)
            await tab.quiet()
            await tab.timed("record", "Enter", text="Case summary")
            await tab.quiet()
            await tab.timed("back", "Escape", text="Review queue", absent="Case summary")
            await tab.quiet()
        figures.samples["size"] = list(await page.evaluate("() => window.__bench.size()"))
        await all_done.wait()  # memory is read with every tab open
        await finish.wait()
    finally:
        await context.close()


async def _session_run(db: str, folder: Path, tabs: int, rounds: int) -> dict[str, Any]:
    """``tabs`` tabs at once through the flow; their figures and the processes' memory."""
    from playwright.async_api import async_playwright

    server, port = start_server(db, folder, tabs)
    figures = [TabFigures(i + 1) for i in range(tabs)]
    memory: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            try:
                all_ready = asyncio.Barrier(tabs)
                all_done = asyncio.Barrier(tabs + 1)
                finish = asyncio.Event()
                url = f"http://localhost:{port}/"
                work = [
                    asyncio.create_task(
                        _one_tab(browser, url, f, rounds, all_ready, all_done, finish)
                    )
                    for f in figures
                ]

                async def read_memory() -> None:
                    await all_done.wait()
                    pids = app_processes(server.pid)
                    memory["sessions"] = [memory_mb(pid) for pid in pids]
                    memory["server"] = memory_mb(server.pid)
                    finish.set()

                reader = asyncio.create_task(read_memory())
                try:
                    await asyncio.gather(*work)
                except BaseException:
                    for task in [*work, reader]:
                        task.cancel()
                    raise
                await reader
            finally:
                await browser.close()
    finally:
        stop_server(server)
    return {"figures": figures, "memory": memory, "seconds": time.perf_counter() - started}


# -- results ------------------------------------------------------------------------------


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _per_tab(figures: list[TabFigures], memory: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    sessions = memory.get("sessions", [])
    for i, tab in enumerate(figures):
        keys = tab.keys(TYPING + NAVIGATION)
        rows.append(
            {
                "tab": tab.index,
                "keys": len(keys),
                "p50_ms": _ms(percentile(keys, 0.5)),
                "p95_ms": _ms(percentile(keys, 0.95)),
                "typing_p95_ms": _ms(percentile(tab.keys(TYPING), 0.95)),
                "navigation_p95_ms": _ms(percentile(tab.keys(NAVIGATION), 0.95)),
                "sign_in_ms": _ms(tab.keys(("sign_in",))[0]),
                "password_typed_again": len(tab.keys(("keys_lost",))),
                "sign_in_refused": len(tab.keys(("sign_in_refused",))),
                "terminal": tab.samples.get("size"),
                **(sessions[i] if i < len(sessions) else {}),
            }
        )
    return rows


def _all(figures: list[TabFigures], steps: tuple[str, ...]) -> list[float]:
    return [s for tab in figures for s in tab.keys(steps)]


def run(db_path: Path | str, runs: int = ROUNDS, tabs: int = TABS) -> list[Result]:
    """The flow with one tab alone (the baseline), then with ``tabs`` tabs at once."""
    from importlib.util import find_spec

    if find_spec("textual_serve") is None or find_spec("playwright") is None:
        raise BenchmarkError("serve_load needs pip install '.[serve]' playwright")
    if not CHROMIUM.exists():
        raise BenchmarkError(f"serve_load needs a browser at {CHROMIUM} (apt-get install chromium)")
    rounds = max(1, min(runs, 10))
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        folder = Path(tmp)
        console.print(f"serve_load: {db_path}, an account per tab...")
        db = prepare_database(str(db_path), folder, tabs)
        load_alone = [load_average()]
        console.print("serve_load: one tab alone (the baseline)...")
        alone = asyncio.run(_session_run(db, folder, 1, rounds))
        load_alone.append(load_average())
        load_many = [load_average()]
        console.print(f"serve_load: {tabs} tabs at once...")
        many = asyncio.run(_session_run(db, folder, tabs, rounds))
        load_many.append(load_average())
    sessions = many["memory"].get("sessions", [])
    if len(sessions) != tabs:
        raise BenchmarkError(f"{len(sessions)} app processes found for {tabs} open tabs")
    per_tab = _per_tab(many["figures"], many["memory"])
    rss = [s["rss_mb"] for s in sessions if "rss_mb" in s]
    pss = [s["pss_mb"] for s in sessions if "pss_mb" in s]
    extra = {
        "mode": f"{tabs} real headless Chromium tabs (one browser, a context each), Playwright",
        "database": "PostgreSQL" if "://" in str(db_path) else "SQLite (a copy)",
        "tabs": tabs,
        "rounds": rounds,
        "per_tab": per_tab,
        "alone": _per_tab(alone["figures"], alone["memory"]),
        "memory_mb": {
            "session_rss_median": statistics.median(rss) if rss else None,
            "session_rss_max": max(rss) if rss else None,
            "session_pss_median": statistics.median(pss) if pss else None,
            "session_pss_total": round(sum(pss), 1) if pss else None,
            "server": many["memory"].get("server"),
            "alone_session": (alone["memory"].get("sessions") or [None])[0],
        },
        "load_average_alone": load_alone,
        "load_average_tabs": load_many,
        "seconds": round(many["seconds"], 1),
    }
    extra["steps"] = {
        step: {
            "p50_ms": _ms(percentile(_all(many["figures"], (step,)), 0.5)),
            "p95_ms": _ms(percentile(_all(many["figures"], (step,)), 0.95)),
            "alone_p50_ms": _ms(percentile(_all(alone["figures"], (step,)), 0.5)),
            "alone_p95_ms": _ms(percentile(_all(alone["figures"], (step,)), 0.95)),
        }
        for step in (*TYPING, *NAVIGATION, "sign_in")
    }
    typing_many, typing_alone = _all(many["figures"], TYPING), _all(alone["figures"], TYPING)
    nav_many, nav_alone = _all(many["figures"], NAVIGATION), _all(alone["figures"], NAVIGATION)
    sign_in = _all(many["figures"], ("sign_in",))
    typing_p95, nav_p95 = percentile(typing_many, 0.95), percentile(nav_many, 0.95)
    results = [
        Result(
            f"serve_load.typing.{tabs}tabs",
            typing_many,
            target=f"p95 < {TYPING_TARGET_S * 1000:.0f} ms",
            passed=typing_p95 < TYPING_TARGET_S,
            baseline_median_s=statistics.median(typing_alone),
            description=f"a letter of the user name, keydown to drawn in the tab, {tabs} tabs "
            f"at once (baseline: one tab alone); p95 {_ms(typing_p95)} ms",
            extra={**extra, "p95_ms": _ms(typing_p95)},
        ),
        Result(
            f"serve_load.navigation.{tabs}tabs",
            nav_many,
            target=f"p95 < {NAVIGATION_TARGET_S * 1000:.0f} ms",
            passed=nav_p95 < NAVIGATION_TARGET_S,
            baseline_median_s=statistics.median(nav_alone),
            description="2 to the queue, pagedown, enter to a record, escape back, keydown to "
            f"drawn in the tab, {tabs} tabs at once; p95 {_ms(nav_p95)} ms",
            extra={"p95_ms": _ms(nav_p95), "tabs": tabs},
        ),
        Result(
            f"serve_load.sign_in.{tabs}tabs",
            sign_in,
            target="recorded",
            passed=True,
            baseline_median_s=statistics.median(_all(alone["figures"], ("sign_in",))),
            description="enter on the password to Home drawn (an Argon2id check each), "
            f"{tabs} tabs at once",
            extra={"tabs": tabs},
        ),
    ]
    _print_summary(extra, typing_p95, nav_p95)
    return results


def _print_summary(extra: dict[str, Any], typing_p95: float, nav_p95: float) -> None:
    console.print(f"serve_load: {extra['mode']}; load {extra['load_average_tabs']}")
    for row in extra["per_tab"]:
        console.print(
            f"  tab {row['tab']:>2}: p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms "
            f"(typing {row['typing_p95_ms']:.1f}, navigation {row['navigation_p95_ms']:.1f})  "
            f"sign-in {row['sign_in_ms']:.0f} ms  RSS {row.get('rss_mb', '-')} MB  "
            f"PSS {row.get('pss_mb', '-')} MB"
        )
    for step, figures in extra["steps"].items():
        console.print(
            f"  {step:<9}: p50 {figures['p50_ms']:8.1f} ms  p95 {figures['p95_ms']:8.1f} ms  "
            f"(one tab alone: p50 {figures['alone_p50_ms']:.1f}, p95 {figures['alone_p95_ms']:.1f})"
        )
    memory = extra["memory_mb"]
    console.print(
        f"  all tabs: typing p95 {_ms(typing_p95)} ms, navigation p95 {_ms(nav_p95)} ms; "
        f"per session RSS median {memory['session_rss_median']} MB (max "
        f"{memory['session_rss_max']}), PSS median {memory['session_pss_median']} MB; "
        f"server {memory['server']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.serve_load",
        description="Browser tabs at once on coordinator-tui serve: key-to-screen latency "
        "per tab and memory per session.",
    )
    parser.add_argument("--tabs", type=int, default=TABS, help=f"tabs at once ({TABS})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per tab ({ROUNDS})")
    parser.add_argument(
        "--db",
        help="SQLite file (copied) or PostgreSQL URL (used in place; accounts added once); "
        "default: the benchmarks' large.db",
    )
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    db = args.db or ensure_large_db()["path"]
    print(f"load average at start: {load_average()}")
    try:
        results = run(db, args.rounds, max(1, args.tabs))
    except BenchmarkError as exc:
        print(f"serve_load FAILED: {exc}")
        return 1
    for result in results:
        print(
            f"{result.name:<30} median {result.median_s * 1000:8.1f} ms  "
            f"max {result.max_s * 1000:8.1f}  keys {result.runs:>4}  "
            f"baseline {(result.baseline_median_s or 0) * 1000:7.1f}  "
            f"target {result.target:<16} {'ok' if result.passed else 'MISSED'}"
        )
    if args.json:
        import json

        args.json.write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
