"""Home's counts before the database layer is loaded, on PostgreSQL (issue 23 §3 and §5).

``services.home_counts`` reads Home's counts from PostgreSQL with psycopg while SQLAlchemy
and the tables are still importing, with the statements it sends to an SQLite file (dates
and moments bound as ``date`` and aware UTC ``datetime``). These tests hold the two reads
to the same numbers on the small demo (every role, several days and times of day, the
day's boundaries on a summer day, when the UK is an hour off UTC), say where the fast path
steps aside (a schema about to be upgraded, no server, a server that does not answer, a
refused password, no such database: None, quickly, nothing printed), check the session is
read only and the statements go in one round trip, and drive the app: the counts on
screen before the database is open, without SQLAlchemy imported.

The URL's conversion runs everywhere; the rest needs ``COORDINATOR_TUI_TEST_PG_URL``: the
small demo is seeded once into a database of its own and each test reads a copy of it
(``CREATE DATABASE ... TEMPLATE``), dropped after.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time as clock
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from conftest import DEMO_TODAY, PG_ENV, _pg_base_url
from pilot_helpers import shown_text, wait_for
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from test_home_counts_fast import (
    NOT_BEFORE_THE_COUNTS,
    PRINCIPALS,
    QUICK_START,
    _at,
    _count_lines,
    _full,
    assert_quick_is_full,
)

from coordinator_tui.clock import UK, start_of_day
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent, Meeting, MeetingStatus, Visit, VisitStatus
from coordinator_tui.preflight import head_revision
from coordinator_tui.services import home_counts
from coordinator_tui.services.home_counts import (
    CONNECT_TIMEOUT_S,
    postgres_conninfo,
    quick_dashboard_counts,
)

SUMMER_DAY = date(2030, 6, 17)
"""A day after all the demo's meetings and visits, in British Summer Time (UTC+1): a
moment bound or read in the wrong zone moves by an hour, across midnight and the check-in."""


def _quick(url: str, principal, day: date, now: datetime | None):
    return quick_dashboard_counts(url, head_revision(), day, 14, now, principal)


def _admin():
    return create_engine(_pg_base_url(), isolation_level="AUTOCOMMIT")


def _url_of(name: str) -> str:
    return make_url(_pg_base_url()).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def _pg_demo_template() -> Iterator[str]:
    """The small demo seeded once on the server, in a database of its own (dropped after)."""
    from coordinator_tui.demo.seed import seed_demo

    admin = _admin()
    name = f"ctui_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down or unreachable
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ENV} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} is not reachable: {exc}")
    try:
        opened = open_database(_url_of(name))
        try:
            seed_demo(opened.engine, size="small", seed=1, today=DEMO_TODAY)
        finally:
            opened.engine.dispose()
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_demo_url(_pg_demo_template: str) -> Iterator[str]:
    """A private copy of the small demo on PostgreSQL."""
    admin = _admin()
    name = f"ctui_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_demo_template}"'))
    try:
        yield _url_of(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_demo_engine(pg_demo_url: str) -> Iterator:
    opened = open_database(pg_demo_url, migrate=False)
    yield opened.engine
    opened.engine.dispose()


# -- the URL -------------------------------------------------------------------------------


def test_the_url_becomes_libpqs_connection_string():
    """The driver part dropped; user, password (percent-decoded, as SQLAlchemy decodes it),
    host, port, database and query parameters kept; the timeouts and the read-only
    session added, after any options the URL gives."""
    from psycopg.conninfo import conninfo_to_dict

    url = (
        "postgresql+psycopg://coord:p%40ss%20w@db.example:6543/pcn?sslmode=require"
        "&options=-c%20search_path%3Dcare"
    )
    assert conninfo_to_dict(postgres_conninfo(url)) == {
        "user": "coord",
        "password": "p@ss w",
        "host": "db.example",
        "port": "6543",
        "dbname": "pcn",
        "sslmode": "require",
        "connect_timeout": str(CONNECT_TIMEOUT_S),
        "options": "-c search_path=care -c default_transaction_read_only=on"
        f" -c statement_timeout={home_counts.STATEMENT_TIMEOUT_MS}",
    }
    socket_dir = conninfo_to_dict(postgres_conninfo("postgresql+psycopg://me@/pcn?host=/run/pg"))
    assert (socket_dir["host"], socket_dir["dbname"], socket_dir["user"]) == (
        "/run/pg",
        "pcn",
        "me",
    )


def test_only_a_postgresql_url_or_a_path_is_read(tmp_path):
    """Another kind of URL (here, the in-memory SQLite one) is not this path's."""
    for database in ("sqlite://", "mysql://x@y/z", str(tmp_path / "demo.db")):
        assert _quick(database, PRINCIPALS["demo"], DEMO_TODAY, None) is None


def test_the_statements_are_the_sqlites_with_psycopgs_placeholders():
    """One text for both databases: PostgreSQL's differs by its placeholders alone."""
    for statement in home_counts._STATEMENTS.values():
        converted = home_counts.POSTGRES.sql(statement)
        assert home_counts.SQLITE.sql(statement) == statement
        names = home_counts._NAMED.findall(statement)
        assert all(f"%({name})s" in converted for name in names)
        assert home_counts._NAMED.sub("", converted) == converted  # no ":name" left
        again = converted
        for name in names:
            again = again.replace(f"%({name})s", f":{name}")
        assert again == statement


# -- the same numbers as the ORM's ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("role", sorted(PRINCIPALS))
def test_the_fast_counts_are_the_orm_counts_on_postgresql(pg_demo_url, pg_demo_engine, role):
    """Every count, for each kind of role, on days before, at and after the demo's, judged
    at 09:30, 23:30 and with no time given (23:59 on the day)."""
    assert_quick_is_full(pg_demo_url, pg_demo_engine, role, _quick)


@pytest.mark.postgres
def test_the_days_boundaries_on_a_summer_day(pg_demo_url, pg_demo_engine):
    """Moments bound and read back in UTC: a meeting at midnight (23:00 UTC the day
    before) is the day's next meeting, one a second before it is not; a visit at 09:00
    not checked in is not overdue at 09:29 and is at 09:31 (30 minutes' tolerance), and
    missed from 23:00; a meeting in progress shows first. Read in the server's UTC and in
    a session set to the UK's zone alike."""
    midnight = start_of_day(SUMMER_DAY)
    with session_scope(pg_demo_engine, "t") as s:
        meetings = s.scalars(select(Meeting).order_by(Meeting.id).limit(3)).all()
        at_midnight, before, in_progress = meetings
        at_midnight.starts_at, at_midnight.status = midnight, MeetingStatus.PLANNED
        before.starts_at, before.status = midnight - timedelta(seconds=1), MeetingStatus.PLANNED
        in_progress.status = MeetingStatus.IN_PROGRESS
        in_progress.starts_at = midnight + timedelta(hours=10)
        visit = s.scalars(
            select(Visit).where(Visit.status == VisitStatus.PLANNED).order_by(Visit.id)
        ).first()
        visit.visit_date = SUMMER_DAY
        visit.start_at = datetime.combine(SUMMER_DAY, time(9, 0), tzinfo=UK)
        visit.end_at = visit.start_at + timedelta(minutes=30)
        visit.actual_start = visit.actual_end = None
        ids = at_midnight.id, in_progress.id
    principal = PRINCIPALS["demo"]
    # The server's zone for the session is the UK's: moments come back in BST, not UTC.
    in_london = f"{pg_demo_url}?options=-c%20TimeZone%3DEurope/London"
    missed = {}
    for now in (None, _at(SUMMER_DAY, 9, 29), _at(SUMMER_DAY, 9, 31), _at(SUMMER_DAY, 23, 0)):
        full = _full(pg_demo_engine, principal, SUMMER_DAY, now)
        assert _quick(pg_demo_url, principal, SUMMER_DAY, now) == full, now
        assert _quick(in_london, principal, SUMMER_DAY, now) == full, now
        assert (full.next_meeting.id, full.meeting_in_progress.id) == ids
        assert full.next_meeting.starts_at == midnight
        missed[now and now.time()] = full.visits_missed_today
    assert missed == {None: 1, time(9, 29): 0, time(9, 31): 1, time(23, 0): 1}
    next_day = SUMMER_DAY + timedelta(days=1)
    full = _full(pg_demo_engine, principal, next_day, None)
    assert _quick(pg_demo_url, principal, next_day, None) == full
    assert full.next_meeting is None or full.next_meeting.id != ids[0]


@pytest.mark.postgres
def test_the_agencys_own_definitions(pg_demo_url, pg_demo_engine):
    """The agency's late tolerance and missed hour (a ``time`` on PostgreSQL) read by both."""
    from coordinator_tui.models.governance import GovernanceSettings

    with session_scope(pg_demo_engine, "t") as s:
        row = s.scalars(select(GovernanceSettings)).first()
        if row is None:
            row = GovernanceSettings(agency_name="Test")
            s.add(row)
        row.late_minutes, row.missed_after = 10, time(18, 30)
    principal = PRINCIPALS["demo"]
    for now in (None, _at(DEMO_TODAY, 8, 5), _at(DEMO_TODAY, 18, 29), _at(DEMO_TODAY, 18, 30)):
        full = _full(pg_demo_engine, principal, DEMO_TODAY, now)
        assert _quick(pg_demo_url, principal, DEMO_TODAY, now) == full, now


# -- read only, one round trip -------------------------------------------------------------


@pytest.mark.postgres
def test_the_session_is_read_only(pg_demo_url):
    import psycopg

    with psycopg.connect(postgres_conninfo(pg_demo_url), autocommit=True) as connection:
        assert connection.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("UPDATE alembic_version SET version_num = 'x'")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute(home_counts.POSTGRES.begin)
            connection.execute("CREATE TABLE home_counts_probe (id int)")


@pytest.mark.postgres
def test_the_statements_go_in_one_round_trip(pg_demo_url, tmp_path, monkeypatch):
    """libpq's trace of the read: every statement parsed and run before one Sync, in one
    read-only transaction, and no simple query (which would be a round trip of its own)."""
    import psycopg

    trace = tmp_path / "trace.txt"
    connect = psycopg.connect
    opened: list[object] = []

    def traced(*args, **kwargs):
        connection = connect(*args, **kwargs)
        with trace.open("w") as file:  # libpq keeps its own descriptor (dup'ed)
            connection.pgconn.trace(os.dup(file.fileno()))
        connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        opened.append(connection)
        return connection

    monkeypatch.setattr(psycopg, "connect", traced)
    assert _quick(pg_demo_url, PRINCIPALS["demo"], DEMO_TODAY, None) is not None
    assert len(opened) == 1 and opened[0].closed
    lines = trace.read_text().splitlines()
    sent = [line.split("\t", 2)[2] for line in lines if line.startswith("F\t")]
    kinds = [message.split()[0] for message in sent]
    parsed = [message for message in sent if message.startswith("Parse")]
    assert kinds.count("Sync") == 1 and "Query" not in kinds
    assert kinds.index("Sync") > max(i for i, kind in enumerate(kinds) if kind == "Execute")
    assert len(parsed) == len(home_counts._STATEMENTS) + 1
    assert "READ ONLY" in parsed[0]


# -- where the fast path steps aside: None, quickly, nothing printed -----------------------


@pytest.mark.postgres
def test_a_database_about_to_be_upgraded_gives_none(pg_demo_url, pg_demo_engine):
    with pg_demo_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert _quick(pg_demo_url, PRINCIPALS["demo"], DEMO_TODAY, None) is None


@pytest.mark.postgres
def test_no_such_database_or_a_missing_table_gives_none(pg_demo_url, pg_demo_engine):
    missing = make_url(pg_demo_url).set(database=f"ctui_none_{uuid.uuid4().hex[:8]}")
    gone = missing.render_as_string(hide_password=False)
    assert _quick(gone, PRINCIPALS["demo"], DEMO_TODAY, None) is None
    with pg_demo_engine.begin() as conn:
        conn.execute(text("DROP TABLE complaint CASCADE"))
    assert _quick(pg_demo_url, PRINCIPALS["demo"], DEMO_TODAY, None) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _serve_once(listener: socket.socket, answer) -> threading.Thread:
    def run() -> None:
        listener.settimeout(30)
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn, contextlib.suppress(OSError, ConnectionError):
            answer(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _refuse_the_password(conn: socket.socket) -> None:
    """PostgreSQL's side of a wrong password: ask for it, then FATAL 28P01."""
    while True:  # an SSL or GSS encryption request first: declined ("N")
        (length,) = struct.unpack("!I", _read(conn, 4))
        body = _read(conn, length - 4)
        if struct.unpack("!I", body[:4])[0] not in (80877103, 80877104):
            break  # the startup message
        conn.sendall(b"N")
    conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
    _read(conn, 1)
    (length,) = struct.unpack("!I", _read(conn, 4))
    _read(conn, length - 4)  # the password
    fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "coord"\0\0'
    conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)


def test_a_refused_password_gives_none_quickly_and_says_nothing(capfd):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        server = _serve_once(listener, _refuse_the_password)
        url = f"postgresql+psycopg://coord:Secret-Word-1@127.0.0.1:{port}/pcn?sslmode=disable"
        started = clock.monotonic()
        assert _quick(url, PRINCIPALS["demo"], DEMO_TODAY, None) is None
        assert clock.monotonic() - started < CONNECT_TIMEOUT_S
        server.join(10)
    out, err = capfd.readouterr()
    assert "Secret-Word-1" not in out + err and "coord" not in out + err


def test_no_server_gives_none_at_once():
    started = clock.monotonic()
    url = f"postgresql+psycopg://coord@127.0.0.1:{_free_port()}/pcn"
    assert _quick(url, PRINCIPALS["demo"], DEMO_TODAY, None) is None
    assert clock.monotonic() - started < CONNECT_TIMEOUT_S


def test_a_server_that_never_answers_gives_none_after_the_connect_timeout(capfd):
    """A server hung (or a network dropping packets): the connect timeout ends the wait;
    Home's ORM read, on its own worker, is not held by it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        hold = threading.Event()
        _serve_once(listener, lambda conn: hold.wait(30))
        url = f"postgresql+psycopg://coord:Secret-Word-1@127.0.0.1:{port}/pcn?sslmode=disable"
        started = clock.monotonic()
        try:
            assert _quick(url, PRINCIPALS["demo"], DEMO_TODAY, None) is None
        finally:
            hold.set()
        assert clock.monotonic() - started < CONNECT_TIMEOUT_S + 3
    out, err = capfd.readouterr()
    assert "Secret-Word-1" not in out + err


def test_nobody_signed_in_connects_to_nothing(monkeypatch):
    import psycopg

    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: pytest.fail("connected"))
    url = "postgresql+psycopg://coord@127.0.0.1:5432/pcn"
    assert quick_dashboard_counts(url, head_revision(), DEMO_TODAY, 14, None, None) is None


# -- the app, started as the command line starts it ----------------------------------------


@pytest.fixture
def pg_settings(pg_demo_url):
    from coordinator_tui.settings import load_settings

    settings = load_settings(pg_demo_url)
    settings.today = DEMO_TODAY
    settings.now = time(10, 0)  # both reads judge today's visits at the same moment
    return settings


@pytest.mark.postgres
async def test_home_on_postgresql_shows_the_counts_before_the_database_is_open(
    pg_settings, pg_demo_engine
):
    """As on an SQLite file: Home's counts on screen while the database is still held
    back, marked quick, the same numbers the ORM then reads, no audit row written."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.home import HomeScreen

    def audit_rows() -> int:
        with pg_demo_engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(AuditEvent))

    audited = audit_rows()
    app = make_app(pg_settings)
    open_database_later = app.open_database
    app.open_database = lambda: None  # held back: what Home shows without it
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts_read", "") == "quick")
        home = app.screen
        assert isinstance(home, HomeScreen) and app.engine is None
        quick, quick_lines = home.counts, _count_lines(app)
        assert f"{quick.reviews_overdue:,}" in quick_lines[0] and "…" not in quick_lines[0]
        where = make_url(pg_settings.db)
        context = shown_text(home.query_one("#home-context"))
        assert f"database {where.host}:{where.port}/{where.database}" in context
        open_database_later()
        await wait_for(pilot, lambda: home.counts_read == "database", timeout=60)
        assert home.counts == quick and _count_lines(app) == quick_lines
        with session_scope(app.engine, app.principal) as session:
            from coordinator_tui.services.dashboard import dashboard_counts

            assert home.counts == dashboard_counts(
                session, pg_settings.current_date(), 14, now=pg_settings.current_moment()
            )
    assert audit_rows() == audited


@pytest.mark.postgres
def test_the_fast_counts_on_postgresql_import_no_database_layer(pg_demo_url):
    """The app's start on PostgreSQL: the counts on screen with psycopg and without
    SQLAlchemy, SQLModel, pydantic or the tables."""
    done = subprocess.run(
        [sys.executable, "-c", QUICK_START, pg_demo_url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = [
        name
        for name in modules
        if any(name == gone or name.startswith(gone + ".") for gone in NOT_BEFORE_THE_COUNTS)
    ]
    assert loaded == []
    assert "psycopg" in modules and "coordinator_tui.services.home_counts" in modules
