"""The browser way (issue 20 §2): the app served to browser tabs with textual-serve.

Each tab that connects starts its own ``coordinator-tui run --db DB`` process (textual-serve
runs the command per websocket and ends it when the tab closes), so every tab starts at
the sign-in screen: no data reaches a browser before its user signs in, and the idle lock
and the blank key work as in a terminal. What this module adds to textual-serve:

- :func:`check_listen`: a server reachable from other machines only when the settings say
  so (``[serve] allow_remote = true``) and either name a TLS certificate and key or say the
  PCN's reverse proxy is in front (``behind_proxy = true``); localhost needs neither;
- :class:`CoordinatorServer`: at most ``[serve] max_tabs`` tabs at once (another is told
  so, in its page, and gets no process), and TLS when the settings name a certificate.
"""

from __future__ import annotations

import ipaddress
import shlex
import ssl
import sys
from pathlib import Path
from typing import Any

from coordinator_tui.settings import ServeSettings

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class ServeError(Exception):
    """The server cannot start as asked; one line for the administrator."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, serve: ServeSettings) -> ssl.SSLContext | None:
    """Refuse to listen beyond localhost unless the settings allow it and say how the
    connection is protected; return the TLS context to serve with, if any."""
    certificate, key = serve.tls_certificate, serve.tls_key
    if (certificate or key) and not (certificate and key):
        raise ServeError("[serve] names tls_certificate and tls_key together, or neither")
    context = _tls_context(certificate, key) if certificate else None
    if is_loopback(host):
        return context
    if not serve.allow_remote:
        raise ServeError(
            f"not listening on {host}: only localhost, unless the settings file's [serve] "
            "says allow_remote = true and names tls_certificate and tls_key (or behind_proxy "
            "= true for the PCN's reverse proxy)"
        )
    if context is None and not serve.behind_proxy:
        raise ServeError(
            f"not listening on {host} without TLS: name tls_certificate and tls_key in the "
            "settings file's [serve], or set behind_proxy = true if the PCN's reverse proxy "
            "serves HTTPS in front of it"
        )
    return context


def _tls_context(certificate: str, key: str) -> ssl.SSLContext:
    for path in (certificate, key):
        if not Path(path).is_file():
            raise ServeError(f"[serve] TLS file {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certificate, key)
    except (ssl.SSLError, OSError) as exc:
        raise ServeError(f"[serve] cannot use the TLS certificate {certificate}: {exc}") from None
    return context


def app_command(db: str) -> str:
    """The command each tab runs: the app on ``db``, from this same Python (a zipapp's
    too), always at its sign-in screen (``run``: never the demo's automatic sign-in)."""
    if sys.argv and sys.argv[0].endswith(".pyz"):
        program = [sys.executable, sys.argv[0]]
    else:
        program = [sys.executable, "-m", "coordinator_tui"]
    return shlex.join([*program, "run", "--db", db])


WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def public_url_for(host: str, port: int, tls: bool, public_url: str | None) -> str:
    """The address browsers open, which the page also gives them for the tab's websocket
    (``wss://`` for ``https://``). Listening on every address (``0.0.0.0``) or behind the
    PCN's reverse proxy, that is not ``HOST:PORT``: it must be named (``--public-url``)."""
    if public_url:
        if not public_url.startswith(("http://", "https://")):
            raise ServeError(f"--public-url must start with https:// or http://, not {public_url}")
        return public_url.rstrip("/")
    if host in WILDCARD_HOSTS:
        raise ServeError(
            f"listening on {host or 'every address'}, browsers need the address they reach "
            "the server by: give --public-url (e.g. https://coordinator.pcn.example, the "
            "reverse proxy's address)"
        )
    return f"{'https' if tls else 'http'}://{host}:{port}"


def make_server(
    db: str,
    host: str,
    port: int,
    serve: ServeSettings,
    context: ssl.SSLContext | None,
    public_url: str | None = None,
) -> Any:
    """A textual-serve ``Server`` for the app (imported here: only ``serve`` needs it)."""
    from aiohttp import web
    from textual_serve.server import Server

    class CoordinatorServer(Server):
        """textual-serve's server, with a limit on open tabs and TLS."""

        def __init__(self) -> None:
            super().__init__(
                app_command(db),
                host=host,
                port=port,
                title="Coordinator TUI",
                public_url=public_url_for(host, port, context is not None, public_url),
            )
            self.open_tabs = 0

        def tabs_full(self) -> bool:
            return self.open_tabs >= serve.max_tabs

        async def handle_index(self, request: web.Request) -> Any:
            if self.tabs_full():
                return web.Response(
                    status=503,
                    text=f"Coordinator TUI: all {serve.max_tabs} tabs are in use; close one "
                    "and reload this page.",
                )
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if self.tabs_full():  # a page loaded before the others filled the places
                socket = web.WebSocketResponse()
                await socket.prepare(request)
                await socket.close(message=b"all tabs in use")
                return socket
            self.open_tabs += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.open_tabs -= 1

        def serve(self, debug: bool = False) -> None:
            if context is None:
                super().serve(debug)
                return
            # textual-serve's own serve() takes no TLS context: the same, with one.
            import asyncio
            import signal

            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            try:
                loop.add_signal_handler(signal.SIGINT, self.request_exit)
                loop.add_signal_handler(signal.SIGTERM, self.request_exit)
            except NotImplementedError:  # Windows: Ctrl+C still ends it
                pass
            web.run_app(
                self._make_app(),
                host=host,
                port=port,
                ssl_context=context,
                handle_signals=False,
                loop=loop,
                print=lambda *args: None,
            )

    return CoordinatorServer()
