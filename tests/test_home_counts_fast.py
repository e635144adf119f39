"""Home's counts before the database layer is loaded (issue 23 §3: time to useful data).

``services.home_counts`` reads Home's counts from the SQLite file with the stdlib's
``sqlite3`` while SQLAlchemy and the tables are still importing; Home then reads them
again through the ORM (``services.dashboard``). These tests hold the two to the same
numbers (every count, several days and times of day, each kind of role, the agency's own
visit definitions, a meeting in progress), say where the fast path steps aside (no file,
an encrypted file, a schema about to be upgraded, nobody signed in), and drive the app as
the command line starts it: the counts on screen before the database is open, keys typed
then still working, nothing audited for reading aggregates, neither SQLAlchemy nor psycopg
imported. ``tests/test_home_counts_pg.py`` does the same on PostgreSQL (psycopg).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import DEMO_TODAY
from hypothesis import given, settings
from hypothesis import strategies as st
from pilot_helpers import wait_for
from sqlalchemy import func, select
from test_encryption import plain_demo  # noqa: F401 (a fixture)

from coordinator_tui.clock import UK
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    OPEN_REFERRAL_STATES,
    ActionStatus,
    AuditEvent,
    ConcernStatus,
    EntryStatus,
    Meeting,
    MeetingStatus,
    VisitStatus,
)
from coordinator_tui.preflight import head_revision
from coordinator_tui.services import access, home_counts
from coordinator_tui.services.dashboard import AWAITING_OUTCOME_STATES, dashboard_counts
from coordinator_tui.services.governance.agency import AgencySettings
from coordinator_tui.services.governance.visits import classify
from coordinator_tui.services.home_counts import quick_dashboard_counts

PRINCIPALS = {
    "demo": access.demo_principal("t", display_name=""),
    "safeguarding_lead": access.make_principal("lead", ["safeguarding_lead"]),
    "homecare_coordinator": access.make_principal("hc", ["homecare_coordinator"]),
}
DAYS = [DEMO_TODAY + timedelta(days=offset) for offset in (-9, -2, 0, 1, 3)]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


def _full(engine, principal, day: date, now: datetime | None):
    with session_scope(engine, principal) as session:
        return dashboard_counts(session, day, 14, now=now)


def _quick(path: Path, principal, day: date, now: datetime | None):
    return quick_dashboard_counts(path, head_revision(), day, 14, now, principal)


def test_the_stored_values_are_the_models():
    """The fast path spells the statuses out (it imports no models): the same values."""
    assert home_counts.ACTIVE == EntryStatus.ACTIVE
    assert home_counts.UNTRIAGED == ConcernStatus.UNTRIAGED
    assert tuple(AWAITING_OUTCOME_STATES) == home_counts.AWAITING_OUTCOME_STATES
    assert tuple(OPEN_REFERRAL_STATES) == home_counts.OPEN_REFERRAL_STATES
    assert home_counts.OPEN == ActionStatus.OPEN
    assert (home_counts.MEETING_PLANNED, home_counts.MEETING_IN_PROGRESS) == (
        MeetingStatus.PLANNED,
        MeetingStatus.IN_PROGRESS,
    )
    assert (home_counts.VISIT_PLANNED, home_counts.VISIT_DONE) == (
        VisitStatus.PLANNED,
        VisitStatus.DONE,
    )
    assert (home_counts.VISIT_MISSED, home_counts.VISIT_CANCELLED) == (
        VisitStatus.MISSED,
        VisitStatus.CANCELLED,
    )
    defaults = AgencySettings()
    assert (
        defaults.late_minutes,
        defaults.missed_after,
    ) == (home_counts.LATE_MINUTES, home_counts.MISSED_AFTER)


@pytest.mark.parametrize("role", sorted(PRINCIPALS))
def test_the_fast_counts_are_the_orm_counts_on_the_demo(small_demo_path, small_demo_engine, role):
    """Every count, for each kind of role (a homecare coordinator's hide the registers),
    on days before, at and after the demo's, judged at 09:30, 23:30 and with no time
    given (23:59 on the day): the visits missed or not checked in move with the time."""
    assert_quick_is_full(small_demo_path, small_demo_engine, role, _quick)


def assert_quick_is_full(where, engine, role: str, quick) -> None:  # noqa: ANN001
    """``quick(where, principal, day, now)`` gives the ORM's counts for ``role`` on days
    before, at and after the demo's, at 09:30, 23:30 and with no time given, and the demo
    makes the counts worth comparing (on SQLite here, on PostgreSQL in
    ``test_home_counts_pg``)."""
    principal = PRINCIPALS[role]
    seen = set()
    for day in DAYS:
        for now in (None, _at(day, 9, 30), _at(day, 23, 30)):
            full = _full(engine, principal, day, now)
            assert quick(where, principal, day, now) == full, (day, now)
            seen.add(full.visits_missed_today)
    full = _full(engine, principal, DEMO_TODAY, None)
    if role == "homecare_coordinator":
        assert full.hidden == home_counts.SAFEGUARDING_COUNTS
    else:
        assert full.reviews_overdue and full.referrals_awaiting_outcome and full.next_meeting
        assert full.reviews_due_soon and full.actions_open
    assert full.incidents_awaiting_triage and full.complaints_to_acknowledge
    assert len(seen) > 1  # the demo's visits do tell the times apart


def test_a_meeting_in_progress_and_the_agencys_own_definitions(small_demo_path, small_demo_engine):
    """The meeting Home shows first, and the agency's late tolerance and missed hour
    (``governance_settings``) read by both paths."""
    from coordinator_tui.models.governance import GovernanceSettings

    with session_scope(small_demo_engine, "t") as s:
        meeting = s.scalars(
            select(Meeting).where(Meeting.status == "planned").order_by(Meeting.starts_at)
        ).first()
        meeting.status = MeetingStatus.IN_PROGRESS
        row = s.scalars(select(GovernanceSettings)).first()
        if row is None:
            row = GovernanceSettings(agency_name="Test")
            s.add(row)
        row.late_minutes, row.missed_after = 10, time(18, 30)
    principal = PRINCIPALS["demo"]
    for now in (None, _at(DEMO_TODAY, 8, 5), _at(DEMO_TODAY, 18, 29), _at(DEMO_TODAY, 18, 30)):
        full = _full(small_demo_engine, principal, DEMO_TODAY, now)
        assert full.meeting_in_progress is not None
        assert _quick(small_demo_path, principal, DEMO_TODAY, now) == full, now


@settings(max_examples=300, deadline=None)
@given(
    start_minutes=st.integers(0, 2 * 24 * 60),
    actual_offset=st.one_of(st.none(), st.integers(-60, 240)),
    status=st.sampled_from(list(VisitStatus)),
    now_minutes=st.integers(-60, 3 * 24 * 60),
    late_minutes=st.integers(0, 120),
    missed_after=st.times(),
)
def test_missed_or_unchecked_is_classify_with_the_overdue_check_in(
    start_minutes, actual_offset, status, now_minutes, late_minutes, missed_after
):
    """The fast path's rule for "Visits missed or not checked in today" is
    ``classify``'s missed or ``day_visits``' overdue check-in, at any moment (a summer
    day too, where the UK is an hour off UTC)."""
    base = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    planned = base + timedelta(minutes=start_minutes)
    actual = None if actual_offset is None else planned + timedelta(minutes=actual_offset)
    now = base + timedelta(minutes=now_minutes)
    agency = AgencySettings(late_minutes=late_minutes, missed_after=missed_after)
    state = classify(planned, planned + timedelta(minutes=30), actual, None, status, now, agency)
    overdue = (
        actual is None
        and status == VisitStatus.PLANNED
        and not state.missed
        and now > planned + timedelta(minutes=late_minutes)
    )
    fast = home_counts.missed_or_unchecked(planned, actual, status, now, late_minutes, missed_after)
    assert fast == (state.missed or overdue)


# -- where the fast path steps aside -------------------------------------------------------


def test_no_file_or_nobody_signed_in_give_none(small_demo_path, tmp_path):
    principal = PRINCIPALS["demo"]
    assert _quick(tmp_path / "missing.db", principal, DEMO_TODAY, None) is None
    assert _quick(None, principal, DEMO_TODAY, None) is None  # in memory: no file
    assert _quick(small_demo_path, None, DEMO_TODAY, None) is None
    assert quick_dashboard_counts(small_demo_path, "", DEMO_TODAY, 14, None, principal) is None


def test_an_encrypted_looking_or_foreign_file_gives_none(tmp_path):
    for name, data in (("cipher.db", bytes(range(256)) * 8), ("empty.db", b"")):
        path = tmp_path / name
        path.write_bytes(data)
        assert _quick(path, PRINCIPALS["demo"], DEMO_TODAY, None) is None


def test_a_database_about_to_be_upgraded_gives_none(small_demo_path):
    """An older schema revision: the app upgrades it first, so the counts wait for it."""
    with sqlite3.connect(small_demo_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    assert _quick(small_demo_path, PRINCIPALS["demo"], DEMO_TODAY, None) is None


def test_a_missing_table_gives_none_not_an_error(tmp_path):
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.execute("INSERT INTO alembic_version VALUES (?)", (head_revision(),))
    assert _quick(path, PRINCIPALS["demo"], DEMO_TODAY, None) is None


def test_an_encrypted_database_takes_the_full_path(request):
    """An SQLCipher file (issue 17 §5): the stdlib cannot read it, so Home waits for the
    ORM's counts, as before."""
    pytest.importorskip("sqlcipher3")
    from coordinator_tui import keyslots
    from tests.test_encryption import encrypt

    path = request.getfixturevalue("plain_demo")[0]  # the small demo with an administrator
    encrypt(path)
    try:
        assert _quick(path, PRINCIPALS["demo"], DEMO_TODAY, None) is None
    finally:
        keyslots.forget()


# -- the app, started as the command line starts it ----------------------------------------


def _pinned(demo_settings):
    demo_settings.now = time(10, 0)  # both reads judge today's visits at the same moment
    return demo_settings


def _count_lines(app) -> list[str]:
    from textual.widgets import OptionList

    options = app.screen.query_one("#home-counts", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def _audit_rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]


async def test_home_shows_the_counts_before_the_database_is_open(demo_settings, small_demo_path):
    """The app opening its own database (as ``coordinator-tui demo`` does): Home's counts
    are on screen while the database is still held back, the same numbers the ORM then
    reads, and only the ORM's read marks the screen loaded."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.home import HomeScreen

    settings = _pinned(demo_settings)
    audited = _audit_rows(small_demo_path)
    app = make_app(settings)
    open_database = app.open_database
    app.open_database = lambda: None  # held back: what Home shows without it
    loaded: list[str] = []
    screen_loaded = app.screen_loaded
    app.screen_loaded = lambda screen: (loaded.append(screen.MODE), screen_loaded(screen))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts_read", "") == "quick")
        home = app.screen
        assert isinstance(home, HomeScreen) and app.engine is None and loaded == []
        quick, quick_lines = home.counts, _count_lines(app)
        assert any("Register reviews overdue" in line and "…" not in line for line in quick_lines)
        assert f"{quick.reviews_overdue:,}" in quick_lines[0]
        await pilot.press("r")  # refresh before the database is open: nothing breaks
        open_database()
        await wait_for(pilot, lambda: home.counts_read == "database")
        assert loaded == ["home"]
        assert home.counts == quick and _count_lines(app) == quick_lines
        with session_scope(app.engine, app.principal) as session:
            assert home.counts == dashboard_counts(
                session, settings.current_date(), 14, now=settings.current_moment()
            )
    # Counts are aggregates: neither read writes an audit row (a person's record does).
    assert _audit_rows(small_demo_path) == audited


async def test_enter_typed_before_the_counts_opens_the_list(demo_settings):
    """``j`` and ``enter`` typed as the app starts, before any count is in: Registers
    opens on the view behind the second line (due soon) once the database opens."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.registers.queue import RegistersScreen

    app = make_app(_pinned(demo_settings))
    open_database = app.open_database
    app.open_database = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: app.current_mode == "registers")
        open_database()
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RegistersScreen)
                and app.screen.choice["status"] == "due"
                and app.engine is not None
            ),
        )


async def test_a_homecare_coordinators_fast_counts_hide_the_registers(demo_settings):
    from coordinator_tui.app import make_app

    homecare = PRINCIPALS["homecare_coordinator"]
    app = make_app(_pinned(demo_settings), principal=homecare)
    app.open_database = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts_read", "") == "quick")
        first = _count_lines(app)[0]
        assert "not for your role" in first and "—" in first


async def test_without_fast_counts_home_waits_for_the_database(demo_settings, monkeypatch):
    """When the fast path steps aside (an encrypted file, a schema about to be upgraded,
    a PostgreSQL server not answering: each tested above or in test_home_counts_pg), Home
    shows "…" until the ORM's counts come, as before."""
    from coordinator_tui.app import make_app

    asked: list[Path | None] = []

    def steps_aside(path, *args, **kwargs):
        asked.append(path)
        return None

    monkeypatch.setattr(home_counts, "quick_dashboard_counts", steps_aside)
    app = make_app(_pinned(demo_settings))
    open_database = app.open_database
    app.open_database = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        await wait_for(pilot, lambda: bool(asked))
        await wait_for(pilot, lambda: all(w.is_finished for w in home.workers))
        await pilot.pause()
        assert home.counts is None and "…" in _count_lines(app)[0]
        open_database()
        await wait_for(pilot, lambda: home.counts_read == "database", timeout=60)
        assert "…" not in _count_lines(app)[0]


QUICK_START = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import date

    from coordinator_tui.app import make_app
    from coordinator_tui.services.access import demo_principal
    from coordinator_tui.settings import load_settings


    async def main() -> None:
        settings = load_settings(sys.argv[1])
        settings.today = date(2026, 11, 23)
        app = make_app(settings, principal=demo_principal())  # as ``coordinator-tui demo``
        app.open_database = lambda: None  # held back: what the fast counts alone import
        async with app.run_test(size=(120, 40)) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while getattr(app.screen, "counts_read", "") != "quick":
                assert loop.time() < deadline, "Home's counts never appeared"
                await pilot.pause(0.05)
        print(json.dumps(sorted(sys.modules)))


    asyncio.run(main())
    """
)

NOT_BEFORE_THE_COUNTS = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "pydantic",
    "coordinator_tui.db",
    "coordinator_tui.models",
    "coordinator_tui.services.dashboard",
)


def test_the_fast_counts_import_no_database_layer(small_demo_path):
    """What makes them fast: the counts on screen without SQLAlchemy, SQLModel, pydantic
    or the tables (about 0.7 s of CPU, after the first frame in the app's worker), and on
    an SQLite file without psycopg (PostgreSQL's fast path alone imports it)."""
    done = subprocess.run(
        [sys.executable, "-c", QUICK_START, str(small_demo_path)],
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
    assert "coordinator_tui.services.home_counts" in modules
    assert not any(name.split(".")[0] == "psycopg" for name in modules)


def test_the_orm_counts_audit_nothing(small_demo_engine):
    """Today's rule kept: reading Home's counts writes no audit row (aggregates, no
    person's record), through the ORM as through the fast path (read-only connection)."""
    with session_scope(small_demo_engine, "t") as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    _full(small_demo_engine, PRINCIPALS["demo"], DEMO_TODAY, None)
    with session_scope(small_demo_engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_fast_path_opens_read_only(small_demo_path, monkeypatch):
    uris: list[str] = []
    connect = sqlite3.connect

    def spy(database, *args, **kwargs):
        uris.append(str(database))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(home_counts.sqlite3, "connect", spy)
    assert _quick(small_demo_path, PRINCIPALS["demo"], DEMO_TODAY, None) is not None
    assert uris and all(uri.endswith("?mode=ro") for uri in uris)


def test_open_database_is_still_how_the_schema_is_checked(small_demo_path):
    """Sanity for the fixtures above: the demo copy is at the head revision."""
    opened = open_database(str(small_demo_path), migrate=False)
    try:
        assert opened.revision == head_revision()
    finally:
        opened.engine.dispose()


async def test_nobody_signed_in_reads_no_counts_before_sign_in(demo_settings, monkeypatch):
    """The plain start (the sign-in screen over Home): the fast path is not even asked
    until someone signs in (issue 17: nothing read before a principal exists)."""
    from coordinator_tui.app import CoordinatorApp, make_app
    from coordinator_tui.screens.home import HomeScreen

    monkeypatch.setattr(CoordinatorApp, "start_principal", None)
    asked: list[object] = []
    monkeypatch.setattr(home_counts, "quick_dashboard_counts", lambda *a, **k: asked.append(a))
    app = make_app(_pinned(demo_settings))
    async with app.run_test(size=(120, 40)) as pilot:
        # The database open and the first administrator's form (no account yet) up.
        await wait_for(pilot, lambda: app.engine is not None and app.screen.query("Input"))
        await pilot.pause()
        home = app.screen_stack[0]
        assert isinstance(home, HomeScreen) and app.screen is not home
        assert asked == [] and home.counts is None


def test_table_schemas_are_built_when_first_used():
    """``defer_build`` on ``Editable`` (0.35 -> 0.26 s of CPU defining the tables): a
    table's pydantic validator is built on first use, and what uses it still works (a
    row made, dumped and validated as before; a table row is never validated when made)."""
    import subprocess as sp

    probe = textwrap.dedent(
        """
        import json
        from datetime import date
        from coordinator_tui.models import Person
        before = type(Person.__pydantic_validator__).__name__
        person = Person(nhs_number="9990000018", given_name="Ann", family_name="Test",
                        date_of_birth=date(1950, 1, 2), postcode="AB1 2CD")
        dumped = person.model_dump(exclude={"id", "created_at", "updated_at"})
        again = Person.model_validate(dumped)
        print(json.dumps({"before": before, "family": again.family_name,
                          "born": str(dumped["date_of_birth"]),
                          "after": type(Person.__pydantic_validator__).__name__}))
        """
    )
    done = sp.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "before": "MockValSer",
        "family": "Test",
        "born": "1950-01-02",
        "after": "SchemaValidator",
    }


async def test_m_on_the_fast_counts_resumes_minuting_once_the_database_opens(
    demo_settings, small_demo_path
):
    """A meeting in progress shows first on the fast counts; ``m`` pressed then (twice)
    opens its minuting once, when the database is open, not a screen that cannot load."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.meetings.minuting import MinutingScreen

    with sqlite3.connect(small_demo_path) as connection:
        meeting_id = connection.execute(
            "SELECT id FROM meeting WHERE status = 'planned' ORDER BY starts_at LIMIT 1"
        ).fetchone()[0]
        connection.execute("UPDATE meeting SET status = 'in_progress' WHERE id = ?", (meeting_id,))
    app = make_app(_pinned(demo_settings))
    open_database = app.open_database
    app.open_database = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts_read", "") == "quick")
        home = app.screen
        assert home.counts.meeting_in_progress.id == meeting_id
        await pilot.press("m", "m")
        await pilot.pause()
        assert app.screen is home
        open_database()
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen))
        assert app.screen.meeting_id == meeting_id
        await wait_for(pilot, lambda: home.counts_read == "database")
        await pilot.pause(0.2)
        assert sum(isinstance(s, MinutingScreen) for s in app.screen_stack) == 1
