"""``serve``: the app in browser tabs, for a PCN's own server (issue 20 §2)."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from coordinator_tui.cli.common import (
    DbOption,
    credentials,
    fail,
    load_settings_or_fail,
    open_or_fail,
)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "localhost",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The address browsers open, when it is not http(s)://HOST:PORT: behind the "
            "PCN's reverse proxy (https://coordinator.pcn.example) or with --host 0.0.0.0."
        ),
    ] = None,
) -> None:
    """Serve the app to browser tabs (textual-serve): each tab its own app process, at the
    sign-in; localhost only unless the settings file's [serve] allows more (with TLS)."""
    if importlib.util.find_spec("textual_serve") is None:
        fail("serve needs textual-serve: pip install 'coordinator-tui[serve]'")
    from coordinator_tui.serve import ServeError, check_listen, make_server, public_url_for

    settings = load_settings_or_fail(db)
    try:
        context = check_listen(host, settings.serve)
        public_url_for(host, port, context is not None, public_url)  # before the database
    except ServeError as exc:
        fail(str(exc))
    from coordinator_tui import keyslots
    from coordinator_tui.preflight import resolve_target

    path = resolve_target(settings.db).path
    if path is None or not keyslots.is_encrypted(path) or credentials() is not None:
        # Created or upgraded once, not by each tab at once. An encrypted file (issue 17
        # §5) is opened here only with --user's password; otherwise each tab's sign-in
        # unwraps its key in that tab's own process, and this server never holds it.
        opened = open_or_fail(settings.db, create=True)  # as the app (run) does
        opened.engine.dispose()
    server = make_server(settings.db, host, port, settings.serve, context, public_url)
    typer.echo(
        f"Serving Coordinator TUI on {server.public_url} (at most {settings.serve.max_tabs} "
        "tabs; Ctrl+C stops)",
        err=True,
    )
    server.serve()


def register(app: typer.Typer) -> None:
    """Add ``serve``."""
    app.command()(serve)
