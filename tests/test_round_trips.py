"""Round trips to PostgreSQL (issue 23 §5): a PCN shares one server over its network,
0.5-2 ms a round trip, so each screen open must cost a fixed, small number of them,
whatever the size of the data, and no transaction may pay round trips beyond its
statements that it does not need.

Counted through ``benchmarks.pg_delay``'s proxy (every request the app sends after the
server answered is one round trip: statements, ``BEGIN``, ``COMMIT``, the pool's ping)
and with SQLAlchemy's ``before_cursor_execute`` (statements). Needs
``COORDINATOR_TUI_TEST_PG_URL`` (``.ci/pg_start.sh``); skipped without it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from coordinator_tui import db as db_module
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Person

DEMO_TODAY = date(2026, 11, 23)

BUDGET = {
    "queue": 6,  # first page, counts, filter options, compliance (2), untriaged concerns
    "queue_pagedown": 2,  # five pagedowns from the top: the pages after the first, by key
    "queue_end": 2,  # the last page read backwards by key
    "queue_filter": 1,  # the page's rows by id (the search list is read at `/`)
    "person": 8,  # the person, the rest of the record in one (13 before 2026-12-07: 7
    # reads), the audit table's columns (once an engine), then the audited view: BEGIN,
    # lock, last hash, INSERT, COMMIT
    "referrals": 3,  # first page with its counts (one statement), the figures (2)
    "meetings": 4,  # meetings, agenda minutes summed, past meetings, actions: not one per meeting
    "rota": 12,  # the week's read, 7 (``ROTA_WEEK_STATEMENTS``; 16, then 8 before), the grid's
    "governance": 2,
}
"""The most round trips each step may take (``benchmarks.pg_delay.OPENS``), measured
2026-12-06 (before: queue 17, person 26, Referrals 10, Meetings 7, rota 21, Governance 5; a
transaction paid the pool's ping, BEGIN and COMMIT). At 2 ms a round trip the rota waits 26
ms of its 150 ms on the network (36 until the week's read went from 16 statements to 8,
2026-12-06), the person record 26 ms of its 100 ms."""

WHO_DEPENDS = {"person": 1}
"""Steps whose reads depend on whom they show, by at most this many statements: the
person record reads what was shared only about a person something was shared about
(the demo's people have none)."""

AUDITED = {"person"}
"""Steps that write (the person record's view is audited): their ``BEGIN`` and ``COMMIT``
are the only round trips allowed beyond their statements."""

BIGGER = dict(
    people=6000,
    entries=900,
    referrals=600,
    meetings=18,
    concerns=120,
    carers=75,
    customers=240,
    weeks=1,
    visit_rate=125,
)
"""Three times the small demo (the rota: three times the carers and customers)."""


def _counter(engine) -> list[int]:
    """Statements sent on ``engine`` from now on: ``counter[0]``."""
    seen = [0]

    def count(*_args) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    return seen


@pytest.fixture
def second_pg_url(pg_url: str) -> Iterator[str]:
    """Another brand-new database on the same server, dropped after the test."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"ctui_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(url: str, size: str) -> None:
    from coordinator_tui.demo.seed import seed_demo

    opened = open_database(url)
    try:
        seed_demo(opened.engine, size=size, seed=1, today=DEMO_TODAY)
    finally:
        opened.engine.dispose()


@pytest.mark.postgres
async def test_each_open_takes_few_round_trips_and_as_many_at_three_times_the_data(
    pg_url: str, second_pg_url: str, monkeypatch
) -> None:
    """Every screen open and queue key (``OPENS``) within its budget of round trips, the
    same number on the small demo and on three times it (no query per row; the person
    record's differ only by whom it shows), and a read pays nothing but its statements (no
    ping, no BEGIN, no COMMIT)."""
    from benchmarks.pg_delay import OPENS, open_round_trips
    from coordinator_tui.demo import governance, seed

    monkeypatch.setitem(seed.SIZES, "rt_x3", BIGGER)
    monkeypatch.setitem(governance.SIZES, "rt_x3", (180, 72, 36))
    _seed(pg_url, "small")
    _seed(second_pg_url, "rt_x3")
    small = await open_round_trips(pg_url, DEMO_TODAY)
    bigger = await open_round_trips(second_pg_url, DEMO_TODAY)

    assert list(small) == [name for name, _, _ in OPENS] == list(BUDGET)
    for name, budget in BUDGET.items():
        trips = small[name]["round_trips"]
        assert trips <= budget, f"{name}: {trips} round trips, budget {budget}"
        assert bigger[name]["round_trips"] <= budget, f"{name}: {bigger[name]}"
        slack = WHO_DEPENDS.get(name, 0)
        assert abs(bigger[name]["round_trips"] - trips) <= slack, f"{name} grows with the data"
        extra = 2 if name in AUDITED else 0  # BEGIN and COMMIT of the audited view
        assert trips == small[name]["statements"] + extra, f"{name}: {small[name]}"


@pytest.mark.postgres
def test_a_read_sends_only_its_statements_and_a_connection_idle_long_is_pinged(
    pg_url: str, monkeypatch
) -> None:
    """A unit of work that reads: its statements, nothing else (the pool's ping, BEGIN and
    COMMIT were three more round trips each). A connection idle past
    ``PING_AFTER_IDLE_S`` is pinged first: one more."""
    from benchmarks.pg_delay import counting_proxy

    open_database(pg_url).engine.dispose()  # the schema, directly
    with counting_proxy(pg_url) as (through, trips):
        opened = open_database(through, migrate=False)
        statements = _counter(opened.engine)
        try:

            def read(n: int) -> tuple[int, int]:
                # Statements of their own: psycopg prepares one sent five times on a
                # connection, a round trip once, which would blur the count here.
                trips_before, statements_before = trips.count, statements[0]
                with session_scope(opened.engine, "test.user") as session:
                    session.scalar(text(f"SELECT count(*) FROM person WHERE id > {n}"))
                    session.scalar(text(f"SELECT count(*) FROM person WHERE id < {n}"))
                return trips.count - trips_before, statements[0] - statements_before

            assert read(1) == (2, 2)
            assert read(2) == (2, 2)
            monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
            assert read(3) == (3, 2)
        finally:
            opened.engine.dispose()


@pytest.mark.postgres
def test_a_write_is_one_transaction_and_rolls_back_whole(pg_url: str) -> None:
    """Reads first (outside a transaction), then writes: BEGIN before the first write,
    COMMIT at the end; a failure after a write leaves nothing, audit rows included."""
    from benchmarks.pg_delay import counting_proxy
    from coordinator_tui.models import AuditEvent

    open_database(pg_url).engine.dispose()
    with counting_proxy(pg_url) as (through, trips):
        opened = open_database(through, migrate=False)
        engine = opened.engine
        statements = _counter(engine)
        try:
            with session_scope(engine, "test.user") as session:  # the audit chain's columns
                session.add(_person("9990000018"))
            audits = _count(engine, AuditEvent)
            trips_before, statements_before = trips.count, statements[0]
            with session_scope(engine, "test.user") as session:
                assert session.scalar(select(func.count()).select_from(Person)) == 1
                session.add(_person("9990000026"))
            # BEGIN and COMMIT around the writes; none before the read
            assert trips.count - trips_before == statements[0] - statements_before + 2
            assert _count(engine, Person) == 2 and _count(engine, AuditEvent) > audits

            audits = _count(engine, AuditEvent)
            with pytest.raises(RuntimeError), session_scope(engine, "test.user") as session:
                session.scalar(select(func.count()).select_from(Person))
                session.add(_person("9990000034"))
                session.flush()
                raise RuntimeError("after the write")
            assert _count(engine, Person) == 2
            assert _count(engine, AuditEvent) == audits
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_a_locking_read_holds_its_lock_to_the_end_of_the_unit(pg_url: str) -> None:
    """``FOR UPDATE`` starts the transaction: the row stays locked until the unit ends
    (outside a transaction the lock would be let go at once)."""
    from coordinator_tui.services.errors import CoordinatorError

    opened = open_database(pg_url)
    other = open_database(pg_url)
    try:
        with session_scope(opened.engine, "test.user") as session:
            session.add(_person("9990000018"))
        with session_scope(opened.engine, "test.user") as session:
            session.execute(select(Person).with_for_update()).scalars().all()
            with (
                pytest.raises(CoordinatorError),
                session_scope(other.engine, "test.user") as elsewhere,
            ):
                elsewhere.execute(select(Person).with_for_update(nowait=True)).all()
        with session_scope(other.engine, "test.user") as elsewhere:  # let go at the end
            assert len(elsewhere.execute(select(Person).with_for_update(nowait=True)).all()) == 1
    finally:
        opened.engine.dispose()
        other.engine.dispose()


@pytest.mark.postgres
def test_reads_go_on_after_the_server_ends_the_connection(pg_url: str) -> None:
    """A server restart (or an administrator) ends the pooled connection moments after
    it was used: the next read, not pinged for idleness, still sees the server's goodbye
    on the socket, pings, and runs on a new connection instead of failing."""
    opened = open_database(pg_url)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with session_scope(opened.engine, "test.user") as session:
            first = session.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            deadline = time.monotonic() + 60
            while conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
            ):
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.05)
        with session_scope(opened.engine, "test.user") as session:
            second = session.scalar(text("SELECT pg_backend_pid()"))
            assert session.scalar(select(func.count()).select_from(Person)) == 0
        assert second != first
    finally:
        opened.engine.dispose()
        admin.dispose()


@pytest.mark.parametrize(
    ("statement", "plain_read"),
    [
        ("SELECT person.id FROM person WHERE person.updated_at > %(a)s", True),
        ("  select 1", True),
        ("WITH x AS (SELECT 1) SELECT * FROM x", True),
        ("SELECT person.id FROM person FOR UPDATE", False),
        ("SELECT person.id FROM person FOR NO KEY UPDATE", False),
        ("SELECT person.id FROM person FOR SHARE", False),
        ("SELECT person.id FROM person FOR KEY SHARE", False),
        ("SELECT pg_advisory_xact_lock(%(k)s)", False),
        ("SELECT set_config('x', 'y', true)", False),
        ("SELECT nextval('person_id_seq')", False),
        ("SELECT * INTO copy FROM person", False),
        ("WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved", False),
        ("INSERT INTO audit_event (at) VALUES (%(at)s)", False),
        ("UPDATE person SET version = 2", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("SET statement_timeout = 0", False),
    ],
)
def test_which_statements_run_outside_a_transaction(statement: str, plain_read: bool) -> None:
    """Only a plain read runs outside a transaction; a write, a lock, a savepoint or a
    setting starts one (``db._plain_read``)."""
    assert db_module._plain_read(statement) is plain_read


def _person(nhs: str) -> Person:
    return Person(
        nhs_number=nhs, given_name="Test", family_name="Person", date_of_birth=date(1990, 1, 1)
    )


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


ROTA_WEEK_STATEMENTS = 7
"""The statements reading a rota week (``snapshot.load_week``, what the grid's open
waits on) opened before and unchanged since: what is kept packed (``week_pack``: the
days' visits with their context, the 16 weeks' kept hours, the reference rows that name
nobody), the reference rows read each time, and the rule modules' own reads (open care
changes 3, shadowing 2). 16 until 2026-12-06, 8 until 2026-12-07."""
ROTA_FIRST_OPEN_STATEMENTS = ROTA_WEEK_STATEMENTS + 2 + 4
"""The same week opened for the first time (or with each of its days and kept weeks
changed since): the visits and the kept weeks read as well, and the packs written on a
connection of their own (SQLite: the busy timeout set to 0, the insert, the packs of
long-past days deleted, the timeout put back)."""


def test_a_rota_week_is_read_in_a_fixed_few_statements(tmp_path, monkeypatch) -> None:
    """The week's read takes the same few statements on the small demo and on three times
    it, the first time and after (SQLite, so it runs everywhere; on PostgreSQL each is one
    round trip, counted with the grid's open above)."""
    from coordinator_tui.demo import governance, seed
    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.validate import RotaState  # registers the rules' reads

    monkeypatch.setitem(seed.SIZES, "rt_x3", BIGGER)
    monkeypatch.setitem(governance.SIZES, "rt_x3", (180, 72, 36))
    counts = {}
    for size in ("small", "rt_x3"):
        path = tmp_path / f"{size}.db"
        _seed(str(path), size)
        opened = open_database(str(path))
        try:
            seen = _counter(opened.engine)
            for attempt in ("first", "again"):
                with session_scope(opened.engine, "t") as session:
                    before = seen[0]
                    state = RotaState(load_week(session, DEMO_TODAY))
                    counts[size, attempt] = (seen[0] - before, len(state.snap.visits))
        finally:
            opened.engine.dispose()
    assert counts["small", "first"][1] < counts["rt_x3", "first"][1]  # the bigger week is bigger
    first = {counts[size, "first"][0] for size in ("small", "rt_x3")}
    again = {counts[size, "again"][0] for size in ("small", "rt_x3")}
    assert first == {ROTA_FIRST_OPEN_STATEMENTS}, counts
    assert again == {ROTA_WEEK_STATEMENTS}, counts
