"""A TCP proxy in front of a PostgreSQL server that adds a network's round-trip time.

A PCN shares one PostgreSQL database over its own network, 0.5-2 ms a round trip (issue 23
§5); a server on the same machine answers in a few microseconds, so the benchmarks put this
proxy between the app and the server: ``python -m benchmarks --pg URL --rtt-ms 2``.

Where the delay goes: **the whole round-trip delay on the server -> client direction**,
nothing on the way in. Every exchange of the PostgreSQL protocol is a request answered by
a reply, so each round trip pays the delay exactly once, and one timer a round trip (rather
than two of half the delay) keeps the timer's own lateness out of the figure. Bytes are
held, not throttled: each chunk read from the server is written to the client ``delay``
after it arrived, in order, so a reply sent in several chunks pays the delay once, as on a
real network (latency, not bandwidth). Both sockets have Nagle's algorithm off.

Run on its own: ``python -m benchmarks.pg_delay URL --rtt-ms 2`` prints the URL to use
through it (``listening URL``) and serves until interrupted. ``proxied(url, rtt_ms)``
starts it in a child process for the length of a ``with`` block, so the proxy's work never
competes with the measured app for the interpreter's lock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import make_url

CHUNK = 65536
READY_PREFIX = "listening "
START_TIMEOUT_S = 30.0


class RoundTrips:
    """Round trips seen by the proxy: a request from the client after the server spoke
    (or the first one on a connection) starts a new one. A query is one; so are BEGIN,
    COMMIT, a pool's ping and each SET a connection makes."""

    def __init__(self) -> None:
        self.count = 0
        self.connections = 0


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay_s: float,
    on_chunk: Callable[[], None] | None = None,
) -> None:
    """Copy ``reader`` to ``writer``, each chunk written ``delay_s`` after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while True:
            chunk = await reader.read(CHUNK)
            if chunk and on_chunk is not None:
                on_chunk()
            queue.put_nowait((loop.time() + delay_s, chunk))
            if not chunk:
                break
        await sender
    except (ConnectionError, asyncio.IncompleteReadError):
        sender.cancel()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def serve(
    target_host: str,
    target_port: int,
    rtt_s: float,
    listen_host: str = "127.0.0.1",
    listen_port: int = 0,
    counter: RoundTrips | None = None,
) -> asyncio.Server:
    """Start the proxy; the server's socket tells the port it listens on."""
    trips = counter or RoundTrips()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_w.close()
            return
        _no_delay(client_w)
        _no_delay(server_w)
        trips.connections += 1
        turn = {"server_spoke": True}

        def client_sent() -> None:
            if turn["server_spoke"]:
                trips.count += 1
                turn["server_spoke"] = False

        def server_sent() -> None:
            turn["server_spoke"] = True

        try:
            await asyncio.gather(
                _pipe(client_r, server_w, 0.0, client_sent),  # client -> server: as it comes
                _pipe(server_r, client_w, rtt_s, server_sent),  # server -> client: the delay
                return_exceptions=True,
            )
        except asyncio.CancelledError:  # the proxy stopping: connections end with it
            client_w.close()
            server_w.close()

    return await asyncio.start_server(handle, listen_host, listen_port)


def proxied_url(url: str, port: int, host: str = "127.0.0.1") -> str:
    """``url`` pointed at the proxy: the same user, password and database."""
    return make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


def _target(url: str) -> tuple[str, int]:
    parsed = make_url(url)
    return parsed.host or "127.0.0.1", parsed.port or 5432


async def _main_async(url: str, rtt_ms: float, port: int) -> None:
    host, target_port = _target(url)
    server = await serve(host, target_port, rtt_ms / 1000, listen_port=port)
    listening = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"{READY_PREFIX}{proxied_url(url, listening)}", flush=True)
    async with server:
        await stop.wait()  # a clean stop: the open connections are closed with the loop


@contextlib.contextmanager
def proxied(url: str, rtt_ms: float) -> Iterator[str]:
    """The URL through a delaying proxy run in a child process, for a ``with`` block.

    ``rtt_ms`` 0 still goes through the proxy (its own cost, a few tens of microseconds a
    round trip, then shows in the figures, which is the honest comparison)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.pg_delay", url, "--rtt-ms", str(rtt_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # connections cut at the stop are not news
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith(READY_PREFIX) or not line:
                break
        if not line.startswith(READY_PREFIX):
            raise RuntimeError(f"the delaying proxy did not start (exit {proc.poll()})")
        yield line.removeprefix(READY_PREFIX).strip()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def counting_proxy(url: str, rtt_ms: float = 0.0) -> Iterator[tuple[str, RoundTrips]]:
    """The proxy in a thread of this process, for counting round trips (not for timing:
    it shares the interpreter with what it measures). Yields the URL through it and its
    ``RoundTrips``."""
    host, port = _target(url)
    trips = RoundTrips()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box: dict[str, object] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(serve(host, port, rtt_ms / 1000, counter=trips))
        box["server"] = server
        started.set()
        loop.run_forever()
        server.close()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, name="pg-delay", daemon=True)
    thread.start()
    if not started.wait(START_TIMEOUT_S):
        raise RuntimeError("the counting proxy did not start")
    server = box["server"]
    assert isinstance(server, asyncio.Server)
    try:
        yield proxied_url(url, server.sockets[0].getsockname()[1]), trips
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


PAGE_DOWNS = 5
"""``pagedown`` pressed this many times in one counted step, as ``benchmarks.lists`` does:
from the queue's top that crosses its first page (100 entries), so a page is read."""
OPENS = (
    ("queue", "2", "RegistersScreen"),
    ("queue_pagedown", "pagedown " * PAGE_DOWNS, "RegistersScreen"),
    ("queue_end", "end", "RegistersScreen"),
    ("queue_filter", "<filter key>", "RegistersScreen"),
    ("person", "enter", "PersonScreen"),
    ("referrals", "3", "ReferralsScreen"),
    ("meetings", "4", "MeetingsScreen"),
    ("rota", "5", "RotaScreen"),
    ("governance", "6", "GovernanceScreen"),
)
"""Each screen open or key counted: (name, key pressed, screen class shown when it is
done; keys apart by spaces). ``queue_pagedown`` (``PAGE_DOWNS`` presses) and
``queue_end`` each move from the first row of a queue just read (``home`` and ``f5``
between them, uncounted: no page read before is kept);
``queue_filter`` is the first key typed in its ``/`` filter (the first letter of the family
name of the entry in the middle of the page), ``/`` pressed uncounted before it."""


class StatementLog:
    """The statements an engine sends (``before_cursor_execute``), counted, and kept
    (their first line) when ``keep``: what a round trip was spent on."""

    def __init__(self, keep: bool = False) -> None:
        self.count = 0
        self.keep = keep
        self.lines: list[str] = []

    def seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        if self.keep:
            self.lines.append(" ".join(statement.split())[:160])


async def open_round_trips(
    url: str, today: Any, *, trace: bool = False
) -> dict[str, dict[str, Any]]:
    """Round trips and statements each screen open (and each queue key of ``OPENS``)
    costs on PostgreSQL, counted (not timed) through an in-process proxy: why an open is
    slower there than on SQLite, where a statement is a function call. ``today`` is the
    demo's date. Sections are not prepared in the background, so each open does its own
    reads; Home's counts are read first, and the app is let go idle between steps (its
    workers done), so each count is that step's alone. ``trace``: each step also lists
    its statements (``"sql"``). Round trips beyond the statements are the connection
    pool's ping, ``BEGIN`` and ``COMMIT`` (``tests/test_round_trips.py`` counts them)."""
    from sqlalchemy import event

    from benchmarks.common import signed_in_app
    from benchmarks.lists import bench_settings_env, settle
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings

    counts: dict[str, dict[str, Any]] = {}
    with counting_proxy(url) as (through, trips):
        with bench_settings_env():
            settings = load_settings(through)
        settings.today = today
        settings.prepare_sections = False
        opened = open_database(through, migrate=False)
        log = StatementLog(keep=trace)
        event.listen(opened.engine, "before_cursor_execute", log.seen)
        try:
            app = signed_in_app(settings, opened.engine)
            async with app.run_test(size=(120, 40)) as pilot:
                await _until(pilot, lambda: getattr(app.screen, "counts", None) is not None)
                await settle(app, pilot)
                for name, key, screen_name in OPENS:
                    pressed = await _before_step(app, pilot, name, key, opened.engine)
                    await settle(app, pilot)
                    trips_before, statements_before = trips.count, log.count
                    log.lines.clear()
                    await pilot.press(*pressed.split())
                    await _until(
                        pilot,
                        lambda s=screen_name: (
                            type(app.screen).__name__ == s and getattr(app.screen, "loaded", True)
                        ),
                    )
                    await settle(app, pilot)
                    counts[name] = {
                        "round_trips": trips.count - trips_before,
                        "statements": log.count - statements_before,
                    }
                    if trace:
                        counts[name]["sql"] = list(log.lines)
                    await _after_step(app, pilot, name)
        finally:
            event.remove(opened.engine, "before_cursor_execute", log.seen)
            opened.engine.dispose()
    return counts


async def _before_step(app: Any, pilot: Any, name: str, key: str, engine: Any = None) -> str:
    """Uncounted moves before a step; the key the step presses. Before the rota's open,
    its week is read once (as any earlier open of it would): the open counted is of a week
    opened before and unchanged since, whose days are read from their packs
    (``services.rota.week_pack``); a week's first open also reads its visits and writes
    the packs (``tests/test_round_trips.py`` counts that apart)."""
    if name == "rota" and engine is not None:
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.rota.snapshot import load_week

        with session_scope(engine, "bench") as session:
            load_week(session, app.settings.current_date())
    if name == "referrals":  # back from the person record to the queue
        await pilot.press("escape")
    elif name == "queue_filter":
        rows = app.screen.shown_rows
        family = rows[min(len(rows) // 2, len(rows) - 1)].family_name if rows else "a"
        await pilot.press("slash")
        return (family[:1] or "a").lower()
    return key


async def _after_step(app: Any, pilot: Any, name: str) -> None:
    """Uncounted moves after a step: back to the queue's top, the filter cleared."""
    from benchmarks.lists import settle

    if name == "queue_pagedown":
        await pilot.press("home", "f5")  # read afresh: only the first page in memory
    elif name == "queue_end":
        await pilot.press("home")
    elif name == "queue_filter":
        await pilot.press("escape")
    await settle(app, pilot)


async def _until(pilot: Any, condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Let the app run until ``condition()`` holds (its workers read in threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not reach the screen being counted")
        await pilot.pause(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pg_delay",
        description="A TCP proxy in front of PostgreSQL adding a round-trip delay "
        "(all of it on the server -> client direction).",
    )
    parser.add_argument("url", help="the PostgreSQL server's URL (host and port are used)")
    parser.add_argument("--rtt-ms", type=float, default=2.0, help="added round trip (2)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (any free)")
    args = parser.parse_args(argv)
    if args.rtt_ms < 0:
        parser.error("--rtt-ms cannot be negative")
    asyncio.run(_main_async(args.url, args.rtt_ms, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
