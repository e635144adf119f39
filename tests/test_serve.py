"""The browser way (issue 20 §2): ``coordinator-tui serve`` with textual-serve.

The listening rules are unit-tested; the browser test serves the app on a free localhost
port, opens it in a headless Chromium (Debian's package, driven by Playwright's Python API
with ``executable_path``: no browser download), signs in with an account made in the test
database by ``services.accounts``, presses 2 and reads the review queue off the browser's
terminal, and keeps a screenshot. The server, the browser, their skips and teardown are
``tests/serve_fixtures.py``'s (shared with ``test_serve_lock`` and
``test_serve_encrypted``).
"""

# ruff: noqa: F811 (the fixtures imported from serve_fixtures)

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from serve_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD,
    make_account,
    serve,
    serve_missing,
    skip_unless,
    terminal_page,
)

from coordinator_tui.serve import (
    ServeError,
    app_command,
    check_listen,
    is_loopback,
    public_url_for,
)
from coordinator_tui.settings import ServeSettings, SettingsError, load_settings

# --- listening rules ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "127.0.0.2"])
def test_localhost_needs_nothing(host: str) -> None:
    assert is_loopback(host)
    assert check_listen(host, ServeSettings()) is None


@pytest.mark.parametrize(
    ("serve", "why"),
    [
        (ServeSettings(), "only localhost"),
        (ServeSettings(allow_remote=True), "without TLS"),
        (ServeSettings(behind_proxy=True), "only localhost"),
        (ServeSettings(allow_remote=True, tls_certificate="/nowhere.pem"), "together"),
        (
            ServeSettings(allow_remote=True, tls_certificate="/no.pem", tls_key="/no.key"),
            "does not exist",
        ),
    ],
)
def test_beyond_localhost_is_refused_unless_the_settings_say_how(
    serve: ServeSettings, why: str
) -> None:
    with pytest.raises(ServeError, match=why):
        check_listen("0.0.0.0", serve)


def test_beyond_localhost_behind_the_pcns_proxy() -> None:
    assert check_listen("10.1.2.3", ServeSettings(allow_remote=True, behind_proxy=True)) is None


def test_serve_settings_from_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[serve]\nallow_remote = true\nbehind_proxy = true\nmax_tabs = 3\n")
    serve = load_settings(str(tmp_path / "x.db"), config_path=path).serve
    assert serve == ServeSettings(allow_remote=True, behind_proxy=True, max_tabs=3)
    for bad in ("max_tabs = 0", "max_tabs = true", "allow_remote = 'yes'", "port = 80"):
        path.write_text(f"[serve]\n{bad}\n")
        with pytest.raises(SettingsError, match=r"\[serve\]"):
            load_settings(str(tmp_path / "x.db"), config_path=path)


def test_each_tab_runs_the_app_at_its_sign_in(tmp_path: Path) -> None:
    command = app_command(str(tmp_path / "a folder" / "x.db"))
    assert " run --db " in command
    assert "demo" not in command
    assert "'" in command  # the path with a space is quoted for the shell


def test_serve_refuses_a_public_address_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "COORDINATOR_TUI_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "coordinator_tui", "serve", "--db", str(tmp_path / "x.db")]
        + ["--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if importlib.util.find_spec("textual_serve") is None:
        assert "pip install 'coordinator-tui[serve]'" in done.stderr
        return
    assert done.returncode == 2
    assert "only localhost" in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("host", "tls", "given", "url"),
    [
        ("localhost", False, None, "http://localhost:8000"),
        ("localhost", True, None, "https://localhost:8000"),
        ("coordinator.pcn.example", True, None, "https://coordinator.pcn.example:8000"),
        ("0.0.0.0", False, "https://coordinator.pcn.example/", "https://coordinator.pcn.example"),
        ("127.0.0.1", False, "http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_the_address_browsers_are_given(host: str, tls: bool, given: str | None, url: str) -> None:
    assert public_url_for(host, 8000, tls, given) == url


@pytest.mark.parametrize(("host", "given"), [("0.0.0.0", None), ("::", None), ("x", "ftp://x")])
def test_an_address_browsers_cannot_use_is_refused(host: str, given: str | None) -> None:
    """Listening on every address, the page would send each tab's websocket to
    ws://0.0.0.0, which is the browser's own machine: the address must be named."""
    with pytest.raises(ServeError, match="--public-url"):
        public_url_for(host, 8000, False, given)


def test_serve_on_every_address_behind_a_proxy_needs_the_public_url(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("[serve]\nallow_remote = true\nbehind_proxy = true\n")
    env = {**os.environ, "COORDINATOR_TUI_CONFIG": str(settings)}
    done = subprocess.run(
        [sys.executable, "-m", "coordinator_tui", "serve", "--db", str(tmp_path / "x.db")]
        + ["--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if importlib.util.find_spec("textual_serve") is None:
        assert "pip install 'coordinator-tui[serve]'" in done.stderr
        return
    assert done.returncode == 2
    assert "--public-url" in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert not (tmp_path / "x.db").exists()


async def test_behind_a_proxy_the_page_sends_the_tab_to_the_proxys_wss(tmp_path: Path) -> None:
    skip_unless(serve_missing())
    from aiohttp.test_utils import TestClient, TestServer

    from coordinator_tui.serve import make_server

    serve = ServeSettings(allow_remote=True, behind_proxy=True)
    server = make_server(
        str(tmp_path / "x.db"), "0.0.0.0", 0, serve, None, "https://coordinator.pcn.example"
    )
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    try:
        page = await (await client.get("/")).text()
    finally:
        await client.close()
    assert "wss://coordinator.pcn.example/ws" in page
    assert "0.0.0.0" not in page


# --- a real browser ----------------------------------------------------------------------


def _app_processes(server_pid: int) -> list[int]:
    """The server's descendants running the app (``... run --db ...``), read from /proc."""
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
    return found


def test_a_browser_signs_in_and_opens_registers(serve, terminal_page, tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    make_account(db)
    server = serve(
        db,
        config=tmp_path / "no-settings.toml",
        env={"COORDINATOR_TUI_PREPARE_SECTIONS": "0"},
    )
    tab = terminal_page
    tab.goto(server.url())
    # Ready: the database opened (the sign-in shown meanwhile is replaced by the one that
    # takes keys).
    first = tab.screen_shows("enter sign in", without="Opening the database")
    assert "NHS" not in first  # nothing of anyone before sign-in
    tab.sign_in(PASSWORD)
    tab.screen_shows("Registers")
    tab.page.keyboard.press("2")
    queue = tab.screen_shows("Review queue")
    assert "Nothing due for review" in queue
    tab.page.screenshot(path=str(tmp_path / "registers.png"))
    assert (tmp_path / "registers.png").stat().st_size > 10_000
    assert "Sign in" not in queue
    assert len(_app_processes(server.pid)) == 1  # this tab's app
    tab.page.close()  # the tab closes: its app process ends
    deadline = time.monotonic() + 60
    while _app_processes(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _app_processes(server.pid) == []


async def test_one_tab_more_than_max_tabs_gets_a_page_saying_so_and_no_process(
    tmp_path: Path,
) -> None:
    skip_unless(serve_missing())
    from aiohttp import WSMsgType
    from aiohttp.test_utils import TestClient, TestServer

    from coordinator_tui.serve import make_server

    server = make_server(str(tmp_path / "x.db"), "localhost", 0, ServeSettings(max_tabs=2), None)
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    try:
        assert (await client.get("/")).status == 200
        server.open_tabs = 2  # two tabs open
        full = await client.get("/")
        assert full.status == 503
        assert "all 2 tabs are in use" in await full.text()
        socket = await client.ws_connect("/ws")
        closed = await socket.receive()
        assert closed.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert server.open_tabs == 2  # no app process was started for it
    finally:
        await client.close()


# --- TLS served by the app itself ---------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate and key for localhost (the cryptography package, which
    argon2 and psycopg's dependencies install anyway)."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_named_tls_files_give_a_context_beyond_localhost(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    cert, key = _self_signed(tmp_path)
    serve = ServeSettings(allow_remote=True, tls_certificate=str(cert), tls_key=str(key))
    context = check_listen("0.0.0.0", serve)
    assert context is not None
    assert context.minimum_version.name == "TLSv1_2"
    key.write_text("not a key")
    with pytest.raises(ServeError, match="cannot use the TLS certificate"):
        check_listen("0.0.0.0", serve)


def test_serve_with_the_settings_tls_files_answers_https_only(serve, tmp_path: Path) -> None:
    """The server started by ``coordinator-tui serve`` with ``[serve]`` naming a certificate
    and key answers HTTPS (its page says so: wss:// for the tab's websocket) and nothing
    in plain HTTP."""
    pytest.importorskip("cryptography")
    import ssl
    import urllib.error
    import urllib.request

    cert, key = _self_signed(tmp_path)
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[serve]\ntls_certificate = "{cert}"\ntls_key = "{key}"\n')
    server = serve(tmp_path / "x.db", config=settings)
    trusting = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(server.url("https"), context=trusting) as page:
        body = page.read().decode()
    assert page.status == 200
    assert f"wss://localhost:{server.port}/ws" in body
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(server.url(), timeout=30).read()
