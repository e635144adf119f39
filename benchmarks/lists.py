"""Lists on the large demo, in process (``App.run_test``, 120x40), each against a bare app.

Issue 3 section 8 and issue 4 section 7:

- ``lists.queue_open``: ``2`` on Home to the review queue's first paint with its rows
  (target: at most 100 ms beyond the bare app doing the same mode switch);
- ``lists.queue_filter_key``: one keystroke in the queue's ``/`` filter to the repaint of
  the filtered rows (target: 30 ms);
- ``lists.queue_page_down`` and ``lists.queue_end``: ``pagedown`` in the queue (five a run)
  and ``end`` to the last entry, each to the paint of the row it lands on (issue 23: the
  queue reads a page at a time, so a key that goes beyond what is read reads the next);
- ``lists.person_open``: ``enter`` on a queue entry to the person record painted with the
  person's data (target: 100 ms);
- ``lists.referrals_open``: ``3`` to the Referrals list painted with its rows, the section
  opened cold (issue 4: under 100 ms), and ``lists.referrals_open_prepared`` the same once
  the app has prepared the section in the background.

A mode switch cannot paint much before 70 ms here, in the bare app as in this one:
``App.switch_mode`` holds every frame back for 50 ms (``delay_update``), and the repaint
when it lets go waits for the new screen's first update tick (1/60 s).

Baselines, run alternately with the app in the same process: ``lists.bare.switch`` (a
trivial app switching mode, on the same key, to a screen with one 40-row DataTable),
``lists.bare.key_input`` (a key typed into a focused Input) and ``lists.bare.push_screen``
(``enter`` pushing a screen with one Static).

How "painted" is detected
-------------------------
A Textual screen paints by building a compositor update and handing it to
``App._display`` (``Screen._compositor_refresh``); under the headless test driver that
method writes nothing. ``FrameProbe`` wraps ``App._display`` on the app instance: for each
frame it renders the update to the terminal escape sequences a real terminal would get
(``CompositorUpdate.render_segments``, so that cost is counted too), then asks the
benchmark's ``ready()`` whether the app's state holds what the step waits for (say, the
Registers screen is current and its queue is loaded). ``ready()`` returns the text that
must be in that frame (a formatted NHS number of the first row, the person's name, the
typed filter): the step is painted at the first frame, after the key, whose rendered
text contains it. State alone is not enough: a frame can go out between a widget
changing and the handler that repaints the rows, and a state flag says nothing of
whether the rows reached the screen.

Keys go in as the driver delivers them (``Driver.send_message(events.Key)``) and the
clock starts just before; nothing waits in Pilot's 20 ms idle steps (DESIGN.md section 6).
Each run is a fresh app (modes keep their screens, so a second ``2`` would find the queue
already loaded) on one shared engine, after one untimed warm-up run; the garbage
collector is run before each timed step. Not counted: writing the bytes to a real
terminal (see ``benchmarks.terminal`` for end-to-end figures in tmux).

Standalone: ``python -m benchmarks.lists [--runs N] [--db PATH] [--strict]``, or
``python -m benchmarks --only lists``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from benchmarks.common import (
    RESULTS_DIR,
    BenchmarkError,
    Result,
    console,
    standalone_main,
)

SIZE = (120, 40)
STEP_TIMEOUT_S = 20.0
QUEUE_BEYOND_BARE_S = 0.100
FILTER_KEY_S = 0.030
PERSON_OPEN_S = 0.100
REFERRALS_OPEN_S = 0.100  # issue 4
PERSON_OPENS_PER_RUN = 3
PAGE_KEY_S = 0.030  # issue 23: paging must not grow with the list
PAGE_DOWNS_PER_RUN = 5

_ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(\x07|\x1b\\)?|\x1b.")

# A key as the terminal driver would deliver it: (key name, character).
KEYS: dict[str, tuple[str, str | None]] = {
    "/": ("slash", "/"),
    " ": ("space", " "),
    "enter": ("enter", "\r"),
    "escape": ("escape", "\x1b"),
    "down": ("down", None),
}

Ready = Callable[[], str | None]


def plain(text: str) -> str:
    """Terminal output without escape sequences."""
    return _ANSI.sub("", text)


class FrameProbe:
    """Wraps ``App._display`` to time the first frame that shows what a step waits for."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.frames = 0
        self._original = app._display
        self._ready: Ready | None = None
        self._event: asyncio.Event | None = None
        self.painted_at = 0.0
        self.last_text = ""
        app._display = self._display  # type: ignore[method-assign]

    def _display(self, screen: Screen, renderable: Any) -> None:
        self._original(screen, renderable)
        app = self.app
        if renderable is None or app._batch_count or not app._running or app._closed:
            return
        render = getattr(renderable, "render_segments", None)
        if render is not None:
            text = render(app.console)
        else:  # not a compositor update (not used by full-screen apps)
            text = "".join(s.text for s in app.console.render(renderable))
        self.frames += 1
        if self._ready is None or self._event is None:
            return
        marker = self._ready()
        if marker is None:
            return
        shown = plain(text)
        self.last_text = shown
        if marker in shown:
            self.painted_at = time.perf_counter()
            self._ready = None
            self._event.set()

    async def key_to_paint(self, key: str, ready: Ready, what: str) -> float:
        """Deliver ``key`` and wait for the first frame for which ``ready()`` names text
        that the frame shows; seconds from the key to that frame."""
        name, char = KEYS.get(key, (key, key if len(key) == 1 else None))
        event = events.Key(name, char)
        event.set_sender(self.app)
        self._event = asyncio.Event()
        self._ready = ready
        gc.collect()
        start = time.perf_counter()
        self.app._driver.send_message(event)  # type: ignore[union-attr]
        try:
            await asyncio.wait_for(self._event.wait(), STEP_TIMEOUT_S)
        except TimeoutError:
            self._ready = None
            marker = ready()
            raise BenchmarkError(
                f"{what}: nothing painted within {STEP_TIMEOUT_S:.0f} s of key {key!r} "
                f"(state ready: {marker is not None}, expected text {marker!r}; last frame: "
                f"{' '.join(self.last_text.split())[-300:]!r})"
            ) from None
        return self.painted_at - start


async def settle(app: App, pilot: Any) -> None:
    """Let workers finish and the screen go idle (untimed, between steps)."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def fmt_nhs(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


# -- the bare baseline --------------------------------------------------------------------


class BareHome(Screen):
    def compose(self) -> ComposeResult:
        yield Static("Bare home")


class BareList(Screen):
    """One Input (shown on ``/``) over one 40-row DataTable."""

    BINDINGS = [Binding("slash", "filter", "Filter")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter", id="bare-filter")
        yield DataTable(id="bare-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "NHS number", "Born")
        table.add_rows(
            (f"PERSON{n:03d}, Bare", f"999 000 {n:04d}", "01/01/2000") for n in range(40)
        )
        table.focus()

    def action_filter(self) -> None:
        self.query_one(Input).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(BareDetail(event.cursor_row))


class BareDetail(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        yield Static(f"Bare detail of PERSON{self.row:03d}")


class BareListApp(App[None]):
    """The baseline: the same keys on the most trivial screens Textual can offer."""

    MODES = {"home": BareHome, "list": BareList, "other": BareList}
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("2", "switch_mode('list')", "List"),
        Binding("3", "switch_mode('other')", "Other"),
    ]


async def bare_run(
    timings: dict[str, list[float]], filter_text: str, opens: int = PERSON_OPENS_PER_RUN
) -> None:
    app = BareListApp()
    async with app.run_test(size=SIZE) as pilot:
        probe = FrameProbe(app)
        await settle(app, pilot)

        def list_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, BareList) and screen.query_one(DataTable).row_count:
                return "PERSON000, Bare"
            return None

        timings["switch"].append(await probe.key_to_paint("2", list_ready, "bare switch"))
        await settle(app, pilot)

        def detail_ready() -> str | None:
            return "Bare detail of" if isinstance(app.screen, BareDetail) else None

        for _ in range(opens):
            timings["push"].append(await probe.key_to_paint("enter", detail_ready, "bare push"))
            await settle(app, pilot)
            await pilot.press("escape", "down")
            await settle(app, pilot)

        await pilot.press("slash")
        await settle(app, pilot)
        box = app.screen.query_one(Input)
        for end in range(1, len(filter_text) + 1):
            prefix = filter_text[:end]

            def typed(prefix: str = prefix) -> str | None:
                return prefix if box.value == prefix else None

            timings["key"].append(await probe.key_to_paint(filter_text[end - 1], typed, "bare key"))
            await settle(app, pilot)


# -- the app ------------------------------------------------------------------------------


@contextmanager
def bench_settings_env():
    """The app's settings as ``bench_env`` gives a child process: defaults only."""
    saved = {k: os.environ.get(k) for k in ("COORDINATOR_TUI_CONFIG", "COORDINATOR_TUI_USER")}
    os.environ["COORDINATOR_TUI_CONFIG"] = str(RESULTS_DIR / "no-settings.toml")
    os.environ["COORDINATOR_TUI_USER"] = "bench"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def demo_date(db_path: Path | str) -> date:
    """The ``today`` the demo was built for: ``benchmarks.common.demo_date`` (the app's own
    database layer, so a PostgreSQL URL works as a SQLite file does; issue 23 §5)."""
    from benchmarks.common import demo_date as read_demo_date

    return read_demo_date(db_path)


def filter_needles(rows: list[Any]) -> list[str]:
    """What a coordinator types: a family name prefix and an NHS number prefix with its
    space, taken from entries in the middle of the queue."""
    middle = rows[len(rows) // 2]
    other = rows[len(rows) // 3]
    return [middle.family_name.lower()[:4], fmt_nhs(other.nhs_number)[:6]]


async def app_run(
    settings: Any,
    engine: Any,
    timings: dict[str, list[float]],
    info: dict[str, Any],
    opens: int = PERSON_OPENS_PER_RUN,
    keys_per_needle: int = 99,
) -> None:
    """One fresh app through the four steps; ``opens`` and ``keys_per_needle`` shorten it
    (the smoke test)."""
    from benchmarks.common import signed_in_app
    from coordinator_tui.screens.referrals.referrals import ReferralsScreen
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen
    from coordinator_tui.widgets.lazy_table import LazyTable

    app = signed_in_app(settings, engine)
    async with app.run_test(size=SIZE) as pilot:
        probe = FrameProbe(app)
        await settle(app, pilot)

        # (a) Home -> review queue.
        def queue_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, RegistersScreen) and screen.loaded and screen.shown_rows:
                return fmt_nhs(screen.shown_rows[0].nhs_number)
            return None

        timings["queue_open"].append(await probe.key_to_paint("2", queue_ready, "queue open"))
        queue = app.screen
        assert isinstance(queue, RegistersScreen)
        info["queue_rows"] = len(queue.rows)
        await settle(app, pilot)
        table = queue.query_one("#queue", LazyTable)

        # (a2) pagedown through the queue, then end to its last entry, then back home
        # (on a queue long enough for them to move the cursor: not the smoke test's).
        def landed(before: int) -> str | None:
            index = table.cursor_row
            if index == before or index >= len(queue.shown_rows):
                return None
            return fmt_nhs(queue.shown_rows[index].nhs_number)

        paging = len(queue.shown_rows) > (PAGE_DOWNS_PER_RUN + 2) * SIZE[1]
        for _ in range(PAGE_DOWNS_PER_RUN if paging else 0):
            before = table.cursor_row
            timings.setdefault("page_down", []).append(
                await probe.key_to_paint("pagedown", lambda b=before: landed(b), "page down")
            )
            await settle(app, pilot)
        if paging:
            before = table.cursor_row
            timings.setdefault("queue_end", []).append(
                await probe.key_to_paint("end", lambda b=before: landed(b), "end of the queue")
            )
            await settle(app, pilot)
            await pilot.press("home")
            await settle(app, pilot)

        # (c) enter on an entry -> person record; back, down, again.

        def person_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, PersonScreen) and screen.loaded and screen.summary:
                return screen.summary.display_name
            return None

        for _ in range(opens):
            timings["person_open"].append(
                await probe.key_to_paint("enter", person_ready, "person open")
            )
            info["person_chronology_items"] = len(app.screen.items)  # type: ignore[attr-defined]
            await settle(app, pilot)
            await pilot.press("escape")
            await settle(app, pilot)
            table.cursor_row += 7
            await settle(app, pilot)

        # (b) the / filter, one key at a time.
        needles = [n[:keys_per_needle] for n in filter_needles(queue.rows)]
        info["filter_needles"] = needles
        box = queue.query_one("#queue-filter", Input)
        for needle in needles:
            await pilot.press("slash")
            await settle(app, pilot)
            for end in range(1, len(needle) + 1):
                prefix = needle[:end]
                before = table.source

                def filtered(prefix: str = prefix, before: Any = before) -> str | None:
                    if box.value != prefix or table.source is before:
                        return None
                    if not queue.shown_rows:
                        return "Nothing due for review."
                    return fmt_nhs(queue.shown_rows[0].nhs_number)

                elapsed = await probe.key_to_paint(needle[end - 1], filtered, "filter key")
                timings["filter_key"].append(elapsed)
                if end == 1:
                    timings["filter_first_key"].append(elapsed)
                await settle(app, pilot)
            info.setdefault("filter_rows_after", []).append(len(queue.shown_rows))
            await pilot.press("escape")  # clears the filter, back to the table
            await settle(app, pilot)

        # (d) the Referrals screen.
        def referrals_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, ReferralsScreen) and screen.loaded and screen.shown_rows:
                return fmt_nhs(screen.shown_rows[0].nhs_number)
            return None

        timings["referrals_open"].append(
            await probe.key_to_paint("3", referrals_ready, "referrals open")
        )
        info["referral_rows"] = len(app.screen.rows)  # type: ignore[attr-defined]
        await settle(app, pilot)


APP_TIMINGS = (
    "queue_open",
    "page_down",
    "queue_end",
    "person_open",
    "filter_key",
    "filter_first_key",
    "referrals_open",
)
"""What ``app_run`` times, in order (``benchmarks.encryption`` times the same, twice)."""


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


async def prepared_run(settings: Any, engine: Any, timings: dict[str, list[float]]) -> None:
    """A fresh app left to prepare its sections in the background (as it does after Home
    shows its counts), then ``2`` and ``3``: what a coordinator gets once the app has been
    open a moment."""
    from benchmarks.common import signed_in_app
    from coordinator_tui.app import BUILT_SECTIONS
    from coordinator_tui.screens.referrals.referrals import ReferralsScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    app = signed_in_app(dataclasses.replace(settings, prepare_sections=True), engine)
    async with app.run_test(size=SIZE) as pilot:
        probe = FrameProbe(app)
        deadline = time.monotonic() + STEP_TIMEOUT_S * 3
        while not all(
            app._screen_stacks.get(mode) and getattr(app._screen_stacks[mode][0], "loaded", False)
            for mode in BUILT_SECTIONS
        ):
            if time.monotonic() > deadline:
                raise BenchmarkError("the sections were not prepared in time")
            await pilot.pause(0.05)
        await settle(app, pilot)

        def queue_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, RegistersScreen) and screen.loaded and screen.shown_rows:
                return fmt_nhs(screen.shown_rows[0].nhs_number)
            return None

        def referrals_ready() -> str | None:
            screen = app.screen
            if isinstance(screen, ReferralsScreen) and screen.loaded and screen.shown_rows:
                return fmt_nhs(screen.shown_rows[0].nhs_number)
            return None

        timings["queue_open"].append(await probe.key_to_paint("2", queue_ready, "queue open"))
        await settle(app, pilot)
        timings["referrals_open"].append(
            await probe.key_to_paint("3", referrals_ready, "referrals open")
        )
        await settle(app, pilot)


async def _measure(db_path: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings

    with bench_settings_env():
        settings = load_settings(str(db_path))
    settings.today = demo_date(db_path)
    settings.prepare_sections = False  # the cold path; prepared_run measures the other
    opened = open_database(str(db_path), migrate=False)
    info: dict[str, Any] = {"today": settings.today.isoformat(), "size": f"{SIZE[0]}x{SIZE[1]}"}
    keys = APP_TIMINGS
    app_t: dict[str, list[float]] = {k: [] for k in keys}
    bare_t: dict[str, list[float]] = {"switch": [], "push": [], "key": []}
    prepared_t: dict[str, list[float]] = {"queue_open": [], "referrals_open": []}
    try:
        console.print(f"[bold]lists[/]: {db_path}, demo date {settings.today}; warm-up run")
        await app_run(settings, opened.engine, {k: [] for k in keys}, info)
        bare_text = "".join(info["filter_needles"])[:8]
        await bare_run({k: [] for k in bare_t}, bare_text)
        for number in range(1, runs + 1):
            await bare_run(bare_t, bare_text)
            await app_run(settings, opened.engine, app_t, info)
            await prepared_run(settings, opened.engine, prepared_t)
            console.print(
                f"  run {number}/{runs}: queue {app_t['queue_open'][-1] * 1000:.1f} ms "
                f"(bare {bare_t['switch'][-1] * 1000:.1f}), page down "
                f"{_median(app_t['page_down'][-PAGE_DOWNS_PER_RUN:]) * 1000:.1f} ms, end "
                f"{app_t['queue_end'][-1] * 1000:.1f} ms, person "
                f"{_median(app_t['person_open'][-PERSON_OPENS_PER_RUN:]) * 1000:.1f} ms, filter "
                f"key {_median(app_t['filter_key'][-9:]) * 1000:.1f} ms, referrals "
                f"{app_t['referrals_open'][-1] * 1000:.1f} ms"
            )
    finally:
        opened.engine.dispose()
    return {
        **{f"app.{k}": v for k, v in app_t.items()},
        **{f"bare.{k}": v for k, v in bare_t.items()},
        **{f"prepared.{k}": v for k, v in prepared_t.items()},
    }, info


def run(db_path: Path, runs: int = 7) -> list[Result]:
    t, info = asyncio.run(_measure(db_path, runs))
    bare_switch = _median(t["bare.switch"])
    bare_key = _median(t["bare.key"])
    bare_push = _median(t["bare.push"])
    queue = _median(t["app.queue_open"])
    filter_key = _median(t["app.filter_key"])
    person = _median(t["app.person_open"])
    referrals = _median(t["app.referrals_open"])
    queue_prepared = _median(t["prepared.queue_open"])
    referrals_prepared = _median(t["prepared.referrals_open"])
    p95 = sorted(t["app.filter_key"])[max(int(len(t["app.filter_key"]) * 0.95) - 1, 0)]
    return [
        Result(
            "lists.bare.switch",
            t["bare.switch"],
            target="baseline",
            passed=True,
            description="bare app: key to the first paint of a mode with a 40-row DataTable",
        ),
        Result(
            "lists.queue_open",
            t["app.queue_open"],
            target=f"<= bare + {QUEUE_BEYOND_BARE_S * 1000:.0f} ms",
            passed=queue - bare_switch <= QUEUE_BEYOND_BARE_S,
            baseline_median_s=bare_switch,
            description="2 on Home to the review queue painted with its rows (large demo)",
            extra={
                "beyond_bare_s": round(queue - bare_switch, 6),
                "queue_rows": info.get("queue_rows"),
                "today": info["today"],
            },
        ),
        Result(
            "lists.queue_open_prepared",
            t["prepared.queue_open"],
            target=f"<= bare + {QUEUE_BEYOND_BARE_S * 1000:.0f} ms",
            passed=queue_prepared - bare_switch <= QUEUE_BEYOND_BARE_S,
            baseline_median_s=bare_switch,
            description="2 on Home to the review queue painted, the sections prepared in the "
            "background first (the app a moment after Home shows its counts)",
            extra={"beyond_bare_s": round(queue_prepared - bare_switch, 6)},
        ),
        Result(
            "lists.queue_page_down",
            t["app.page_down"],
            target=f"<= {PAGE_KEY_S * 1000:.0f} ms",
            passed=_median(t["app.page_down"]) <= PAGE_KEY_S,
            baseline_median_s=bare_key,
            description="pagedown in the review queue to the paint of the entry it lands on",
            extra={"p95_s": round(sorted(t["app.page_down"])[-1], 6)},
        ),
        Result(
            "lists.queue_end",
            t["app.queue_end"],
            target=f"<= {PAGE_KEY_S * 1000:.0f} ms",
            passed=_median(t["app.queue_end"]) <= PAGE_KEY_S,
            baseline_median_s=bare_key,
            description="end in the review queue to the paint of its last entry",
        ),
        Result(
            "lists.bare.key_input",
            t["bare.key"],
            target="baseline",
            passed=True,
            description="bare app: a key typed into a focused Input to its paint",
        ),
        Result(
            "lists.queue_filter_key",
            t["app.filter_key"],
            target=f"<= {FILTER_KEY_S * 1000:.0f} ms",
            passed=filter_key <= FILTER_KEY_S,
            baseline_median_s=bare_key,
            description="one key in the queue's / filter to the filtered rows painted "
            f"(typing {' and '.join(repr(n) for n in info.get('filter_needles', []))})",
            extra={
                "p95_s": round(p95, 6),
                "first_key_median_s": round(_median(t["app.filter_first_key"]), 6),
                "rows_after": info.get("filter_rows_after", [])[-2:],
            },
        ),
        Result(
            "lists.bare.push_screen",
            t["bare.push"],
            target="baseline",
            passed=True,
            description="bare app: enter pushing a screen with one Static, to its paint",
        ),
        Result(
            "lists.person_open",
            t["app.person_open"],
            target=f"<= {PERSON_OPEN_S * 1000:.0f} ms",
            passed=person <= PERSON_OPEN_S,
            baseline_median_s=bare_push,
            description="enter on a queue entry to the person record painted with its data",
            extra={"beyond_bare_s": round(person - bare_push, 6)},
        ),
        Result(
            "lists.referrals_open",
            t["app.referrals_open"],
            target=f"< {REFERRALS_OPEN_S * 1000:.0f} ms",
            passed=referrals < REFERRALS_OPEN_S,
            baseline_median_s=bare_switch,
            description="3 to the Referrals list painted with its rows (large demo), the "
            "section opened cold (not prepared in the background)",
            extra={
                "referral_rows": info.get("referral_rows"),
                "beyond_bare_s": round(referrals - bare_switch, 6),
            },
        ),
        Result(
            "lists.referrals_open_prepared",
            t["prepared.referrals_open"],
            target=f"< {REFERRALS_OPEN_S * 1000:.0f} ms",
            passed=referrals_prepared < REFERRALS_OPEN_S,
            baseline_median_s=bare_switch,
            description="3 to the Referrals list painted, the sections prepared first",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return standalone_main(
        "benchmarks.lists",
        "Review queue, filter, person record and Referrals timings, in process.",
        run,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
