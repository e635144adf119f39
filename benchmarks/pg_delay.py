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
import time
from collections.abc import Iterator

from sqlalchemy.engine import make_url

CHUNK = 65536
READY_PREFIX = "listening "
START_TIMEOUT_S = 30.0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
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
) -> asyncio.Server:
    """Start the proxy; the server's socket tells the port it listens on."""

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_w.close()
            return
        _no_delay(client_w)
        _no_delay(server_w)
        await asyncio.gather(
            _pipe(client_r, server_w, 0.0),  # client -> server: as it comes
            _pipe(server_r, client_w, rtt_s),  # server -> client: the whole round trip
            return_exceptions=True,
        )

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
