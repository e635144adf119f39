"""A rota week's days kept packed (``services.rota.week_pack``, issue 23 §1): a week read
from its packs is the week read from the visits, whatever was written since and however
(through the app, by SQL typed by hand, by another writer mid-load); a pack that cannot be
trusted (stale, corrupt, its triggers gone, another format) is never used; writing one
never holds the load up or fails it."""

from __future__ import annotations

import dataclasses
import importlib
import sqlite3
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rota_changes import apply_change
from sqlalchemy import event, select

from coordinator_tui.clock import MOMENT_KEY, UK
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Carer, Customer, RotaPack, Visit, VisitAssignment, VisitStatus
from coordinator_tui.services.rota import snapshot as snapshot_module
from coordinator_tui.services.rota import week_pack
from coordinator_tui.services.rota.snapshot import load_week
from coordinator_tui.services.rota.validate import RotaState

MONDAY = date(2026, 11, 23)  # the demo's week (conftest.DEMO_TODAY)


def _fields(snapshot) -> dict:
    found = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(snapshot)}
    found["extras"] = sorted(snapshot.extras)
    return found


def _unpacked(session, day: date, monkeypatch) -> dict:
    """The week read from the visits alone (no pack read, none written)."""
    with monkeypatch.context() as patch:
        patch.setattr(week_pack, "read", _no_fresh_packs)
        patch.setattr(week_pack, "store", lambda *_args, **_kwargs: 0)
        return _fields(load_week(session, day))


def _no_fresh_packs(connection, scopes):
    found = _real_read(connection, scopes)
    found.fresh = {}
    return found


_real_read = week_pack.read


def _visit_statements(engine):
    """A list that collects the statements sent, while listening."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return sent, lambda: event.remove(engine, "before_cursor_execute", record)


def _packs(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(RotaPack.scope, RotaPack.generation)).all())


# -- the triggers -------------------------------------------------------------------------


def test_the_triggers_the_packs_trust_are_the_ones_the_migration_makes(engine):
    """``week_pack`` lists the migration's triggers, and a database at head has them all."""
    migration = importlib.import_module("coordinator_tui.migrations.versions.0016_session_eleven")
    assert migration.SQLITE_TRIGGERS == week_pack.SQLITE_TRIGGERS
    assert migration.POSTGRESQL_TRIGGERS == week_pack.POSTGRESQL_TRIGGERS
    with engine.connect() as conn:
        names = {
            row[0]
            for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    assert set(week_pack.SQLITE_TRIGGERS) <= names


# -- the same week, packed or not -----------------------------------------------------------


def test_a_week_opened_again_is_read_from_its_packs_and_is_the_same(small_demo_engine, monkeypatch):
    """The first load reads the visits, the kept hours and the reference rows, and writes
    the packs of its ten days, of the 16 weeks' hours and of the reference rows that name
    nobody; the second reads no visit or kept row at all, and gives the same snapshot,
    problems and all."""
    with session_scope(small_demo_engine, "t") as session:
        first = load_week(session, MONDAY)
    packs = _packs(small_demo_engine)
    days = [MONDAY + timedelta(days=n) for n in range(-2, 8)]
    weeks = [MONDAY - timedelta(weeks=n) for n in range(1, 17)]
    assert set(packs) == (
        {day.isoformat() for day in days}
        | {f"hours:{week.isoformat()}" for week in weeks}
        | {"reference"}
    )
    sent, stop = _visit_statements(small_demo_engine)
    try:
        with session_scope(small_demo_engine, "t") as session:
            second = load_week(session, MONDAY)
    finally:
        stop()
    # (the rule modules' own reads, e.g. shadowing's, read a few visits of their own)
    assert not [sql for sql in sent if "required_skills" in sql], "the week's visits were read"
    assert not [sql for sql in sent if "FROM carer_week_hours" in sql and "customers" in sql]
    assert _fields(second) == _fields(first)
    assert RotaState(second).problems() == RotaState(first).problems()
    with session_scope(small_demo_engine, "t") as session:
        assert _fields(load_week(session, MONDAY)) == _unpacked(session, MONDAY, monkeypatch)


def test_a_day_shared_by_two_weeks_serves_both(small_demo_engine, monkeypatch):
    """Last week's Saturday and Sunday are this week's context: their packs, written
    when either week opened, give each week what its visits give."""
    with session_scope(small_demo_engine, "t") as session:
        load_week(session, MONDAY - timedelta(days=7))
        packed = _fields(load_week(session, MONDAY))
        assert packed == _unpacked(session, MONDAY, monkeypatch)
        again = _fields(load_week(session, MONDAY - timedelta(days=7)))
        assert again == _unpacked(session, MONDAY - timedelta(days=7), monkeypatch)


# -- whatever is written, however ----------------------------------------------------------

RAW_CHANGES = [
    "UPDATE visit SET start_at = datetime(start_at, '+30 minutes'), "
    "end_at = datetime(end_at, '+30 minutes') WHERE id = {visit}",
    "UPDATE visit SET status = 'cancelled' WHERE id = {visit}",
    "UPDATE visit SET status = 'missed' WHERE id = {visit}",
    "UPDATE visit SET visit_date = date(visit_date, '+1 day'), "
    "start_at = datetime(start_at, '+1 day'), end_at = datetime(end_at, '+1 day') "
    "WHERE id = {visit}",
    "UPDATE visit SET required_skills = 'HOIST' WHERE id = {visit}",
    "UPDATE visit SET carers_required = 2 WHERE id = {visit}",
    "DELETE FROM visit_assignment WHERE visit_id = {visit}",
    "UPDATE visit_assignment SET carer_id = {carer} WHERE visit_id = {visit}",
    "INSERT INTO visit_assignment (created_at, updated_at, version, visit_id, carer_id, slot) "
    "VALUES ('2026-11-01', '2026-11-01', 1, {visit}, {carer}, 9)",
    "UPDATE visit_assignment SET visit_id = {other}, slot = 5 "
    "WHERE visit_id = {visit} AND slot = 1",
    # the kept hours of the 16 weeks before, and the reference rows kept packed
    "UPDATE carer_week_hours SET hours = hours + 7, night_shifts = 3 "
    "WHERE week_start = '2026-11-16' AND carer_id = {carer}",
    "DELETE FROM carer_week_hours WHERE week_start = '2026-10-05' AND carer_id = {carer}",
    "UPDATE carer_week_hours SET customers = NULL WHERE week_start = '2026-09-28'",
    "DELETE FROM carer_skill WHERE carer_id = {carer}",
    "UPDATE skill SET code = 'PEGX' WHERE code = 'PEG'",
    "UPDATE carer_availability SET start_time = '10:00:00.000000' WHERE carer_id = {carer}",
    "INSERT INTO customer_carer_preference (created_at, updated_at, version, customer_id, "
    "carer_id, kind, reason) SELECT '2026-11-01', '2026-11-01', 1, min(id), {carer}, "
    "'excluded', '' FROM customer",
]


def test_sql_typed_by_hand_makes_the_days_it_touches_stale(small_demo_engine, monkeypatch):
    """Each change written around the app (plain SQL, its own connection, committed) is
    in the next load: the triggers made the days it touched stale."""
    with session_scope(small_demo_engine, "t") as session:
        load_week(session, MONDAY)
        ids = session.scalars(
            select(Visit.id)
            .where(Visit.visit_date.between(MONDAY - timedelta(days=2), MONDAY + timedelta(days=7)))
            .order_by(Visit.id)
        ).all()
        carers = session.scalars(select(Carer.id).order_by(Carer.id)).all()
    for n, change in enumerate(RAW_CHANGES):
        sql = change.format(visit=ids[3 * n], other=ids[3 * n + 1], carer=carers[n % len(carers)])
        with small_demo_engine.begin() as conn:
            conn.exec_driver_sql(sql)
        with session_scope(small_demo_engine, "t") as session:
            packed = _fields(load_week(session, MONDAY))
            assert packed == _unpacked(session, MONDAY, monkeypatch), sql


def test_a_unit_of_work_that_wrote_reads_its_own_changes_and_writes_no_pack(
    small_demo_engine,
):
    """A visit moved in this unit of work, not yet committed, is where it was moved to in
    the week this unit of work reads; no pack is written from it (it may be rolled back)."""
    with session_scope(small_demo_engine, "t") as session:
        load_week(session, MONDAY)
    before = _packs(small_demo_engine)
    with session_scope(small_demo_engine, "t") as session:
        visit = session.scalars(
            select(Visit).where(Visit.visit_date == MONDAY).order_by(Visit.id)
        ).first()
        visit.start_at += timedelta(minutes=45)
        visit.end_at += timedelta(minutes=45)
        session.flush()
        visit_id = visit.id
        moved = load_week(session, MONDAY).visits[visit_id]
        assert moved.start == snapshot_module.epoch_minutes(visit.start_at)
        session.rollback()
    assert _packs(small_demo_engine) == before
    with session_scope(small_demo_engine, "t") as session:
        assert load_week(session, MONDAY).visits[visit_id].start == moved.start - 45


def test_a_change_committed_while_a_week_is_read_leaves_its_pack_stale(
    small_demo_engine, monkeypatch
):
    """Two writers: a load reads Monday's rows, then another coordinator moves a Monday
    visit and commits before the load writes its packs. The pack written is labelled as
    of before the change, so the next load reads Monday from the visits, change and all."""
    with small_demo_engine.connect() as conn:
        visit_id = conn.scalar(
            select(Visit.id).where(Visit.visit_date == MONDAY).order_by(Visit.id)
        )
    real_store = week_pack.store

    def store_after_a_change(session, packs, **kwargs):
        with session_scope(small_demo_engine, "other") as other:
            visit = other.get(Visit, visit_id)
            visit.start_at += timedelta(minutes=20)
            visit.end_at += timedelta(minutes=20)
        return real_store(session, packs, **kwargs)

    monkeypatch.setattr(week_pack, "store", store_after_a_change)
    with session_scope(small_demo_engine, "t") as session:
        seen = load_week(session, MONDAY).visits[visit_id].start
    monkeypatch.setattr(week_pack, "store", real_store)
    with session_scope(small_demo_engine, "t") as session:
        now = load_week(session, MONDAY).visits[visit_id].start
        assert now == seen + 20
        assert _fields(load_week(session, MONDAY)) == _unpacked(session, MONDAY, monkeypatch)


def _at(session, day: date):
    """The unit of work done at noon on ``day`` (what the packs' pruning counts from)."""
    session.info[MOMENT_KEY] = datetime.combine(day, time(12), tzinfo=UK)
    return session


def test_the_packs_of_long_past_days_are_deleted_but_never_the_weeks_being_read(
    small_demo_engine, monkeypatch
):
    """Packs of days more than 26 weeks before the unit of work's day (and kept hours 17
    weeks before that) go when packs are next written; those of the week being read stay,
    however old, so an old week opened again still reads its packs. A week read after its
    packs went is the week read from its visits."""
    assert week_pack.HOURS_WEEKS_READ == snapshot_module.HISTORY_WEEKS
    days = {(MONDAY + timedelta(days=n)).isoformat() for n in range(-2, 8)}
    hours = {f"hours:{(MONDAY - timedelta(weeks=n)).isoformat()}" for n in range(1, 17)}
    later = MONDAY + timedelta(weeks=30)  # 26 weeks on from four weeks after the week
    with session_scope(small_demo_engine, "t") as session:
        load_week(_at(session, MONDAY), MONDAY)
    assert days | hours <= set(_packs(small_demo_engine))
    with session_scope(small_demo_engine, "t") as session:
        load_week(_at(session, later), later)  # writes its own packs: the old ones go
    kept = set(_packs(small_demo_engine))
    assert not days & kept
    oldest_hours = MONDAY + timedelta(weeks=4) - timedelta(weeks=17)
    assert {h for h in hours if h >= f"hours:{oldest_hours.isoformat()}"} == hours & kept
    assert len(hours & kept) == 13
    assert "reference" in kept
    assert {(later + timedelta(days=n)).isoformat() for n in range(-2, 8)} <= kept
    # The old week opened again at that later day: read from its visits, packed again,
    # and its packs not deleted by its own write; then read from them, the same.
    with session_scope(small_demo_engine, "t") as session:
        again = _fields(load_week(_at(session, later), MONDAY))
    assert days | hours <= set(_packs(small_demo_engine))
    sent, stop = _visit_statements(small_demo_engine)
    try:
        with session_scope(small_demo_engine, "t") as session:
            assert _fields(load_week(_at(session, later), MONDAY)) == again
    finally:
        stop()
    assert not [sql for sql in sent if "required_skills" in sql], "the week's visits were read"
    with session_scope(small_demo_engine, "t") as session:
        assert again == _unpacked(_at(session, later), MONDAY, monkeypatch)


# -- packs that cannot be trusted ------------------------------------------------------------


@pytest.mark.parametrize(
    "spoil",
    [
        "UPDATE rota_pack SET payload = x'00'",
        "UPDATE rota_pack SET payload = substr(payload, 1, length(payload) - 8)",
        "UPDATE rota_pack SET format = format + 1",
        "DROP TRIGGER rota_pack_assignment_update",
        "DROP TRIGGER rota_pack_carer_skill_delete",
    ],
    ids=["corrupt", "cut short", "another format", "a trigger gone", "a reference trigger gone"],
)
def test_a_pack_that_cannot_be_trusted_is_not_used(small_demo_engine, monkeypatch, spoil):
    """A corrupt or short payload, one of another format, or packs while a trigger is gone
    (a later migration rebuilding a table would drop it): the week is read from the
    visits, and a change written meanwhile is in it."""
    with session_scope(small_demo_engine, "t") as session:
        load_week(session, MONDAY)
    with small_demo_engine.begin() as conn:
        conn.exec_driver_sql(spoil)
        conn.exec_driver_sql(
            "UPDATE visit_assignment SET carer_id = (SELECT max(id) FROM carer) "
            "WHERE visit_id = (SELECT min(id) FROM visit WHERE visit_date = '2026-11-24')"
        )
        conn.exec_driver_sql("DELETE FROM carer_skill WHERE carer_id = (SELECT min(id) FROM carer)")
    with session_scope(small_demo_engine, "t") as session:
        assert _fields(load_week(session, MONDAY)) == _unpacked(session, MONDAY, monkeypatch)


def test_a_busy_database_leaves_the_packs_unwritten_without_waiting(
    small_demo_path, small_demo_engine, monkeypatch
):
    """Another writer holds the database: the load does not wait for it (the busy timeout
    is 5 s) and gives the week; no pack is written, and the next load reads the visits."""
    holder = sqlite3.connect(small_demo_path, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = clock.monotonic()
        with session_scope(small_demo_engine, "t") as session:
            week = _fields(load_week(session, MONDAY))
        assert clock.monotonic() - started < 2.0
        assert _packs(small_demo_engine) == {}
    finally:
        holder.rollback()
        holder.close()
    with session_scope(small_demo_engine, "t") as session:
        assert week == _unpacked(session, MONDAY, monkeypatch)


# -- the payload ------------------------------------------------------------------------------

SEPARATORS = "\x1e\x1f"  # a text column's None and its separator: a pack never holds them
ROWS = st.lists(
    st.tuples(
        st.integers(1, 2**40),
        st.integers(1, 2**31),
        st.integers(-(2**40), 2**40),
        st.one_of(st.none(), st.integers(-(2**40), 2**40)),
        st.integers(0, 2**20),
        st.one_of(
            st.none(),
            st.text(
                alphabet=st.characters(
                    blacklist_categories=("Cs",), blacklist_characters=SEPARATORS
                )
            ),
        ),
        st.one_of(st.none(), st.integers(1, 2**50)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows=ROWS)
def test_a_payload_gives_back_the_rows_it_was_made_from(rows):
    """Any rows, encoded and decoded: the same rows, None kept apart from "" and 0."""
    columns = week_pack.decode(week_pack.encode(rows, week_pack.DAY_KINDS), week_pack.DAY_KINDS)
    back = list(zip(*columns, strict=True)) if rows else []
    assert back == rows


@settings(max_examples=200, deadline=None)
@given(payload=st.binary(max_size=200))
def test_any_bytes_decode_to_rows_or_to_one_error(payload):
    """Bytes that are not a pack raise ``ValueError``/``IndexError`` (read as stale), or
    decode to columns of one length; nothing else escapes."""
    try:
        columns = week_pack.decode(payload, week_pack.DAY_KINDS)
    except (ValueError, IndexError, UnicodeDecodeError, Exception) as exc:
        assert isinstance(exc, (ValueError, IndexError, UnicodeDecodeError)) or (
            type(exc).__name__ == "error"  # struct.error
        )
        return
    assert len({len(column) for column in columns}) == 1


# -- any changes, saved through the app -----------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "reassign", "unassign", "cancel", "move", "load"]),
        st.integers(0, 13),  # the day, from the Saturday before MONDAY
        st.integers(1, 3),  # a carer
        st.integers(0, 99),  # which visit
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_the_packed_week_equals_the_visits_after_any_changes(operations):
    """Visits added, reassigned, taken off, cancelled and moved between days and weeks,
    each saved as the app saves them, with weeks opened between: every load of either
    week equals the same week read from the visits alone."""
    patch = pytest.MonkeyPatch()
    with tempfile.TemporaryDirectory() as folder:
        opened = open_database(str(Path(folder) / "packs.db"))
        engine = opened.engine
        try:
            with session_scope(engine, "t") as session:
                session.add_all(Carer(name=f"Carer {n}") for n in range(1, 4))
                session.add(Customer(name="Customer", lat=53.6, lon=-2.16))
            for kind, offset, carer_id, pick in operations:
                day = MONDAY - timedelta(days=2) + timedelta(days=offset)
                with session_scope(engine, "t") as session:
                    if kind == "load":
                        for monday in (MONDAY, MONDAY + timedelta(days=7)):
                            assert _fields(load_week(session, monday)) == _unpacked(
                                session, monday, patch
                            )
                        continue
                    apply_change(
                        session,
                        kind,
                        begin=datetime.combine(day, time(7 + offset), tzinfo=UK),
                        minutes=45,
                        carer_id=carer_id,
                        customer_id=1,
                        pick=pick,
                        shift=timedelta(days=offset % 5 - 2),
                    )
            with session_scope(engine, "t") as session:
                for monday in (MONDAY, MONDAY + timedelta(days=7)):
                    assert _fields(load_week(session, monday)) == _unpacked(session, monday, patch)
        finally:
            patch.undo()
            engine.dispose()


# -- PostgreSQL -------------------------------------------------------------------------------


def test_on_postgresql_the_packs_follow_every_write_and_truncate(pg_url, monkeypatch):
    """The same on a shared PostgreSQL database: packs written and read, a change through
    the app, one typed by hand, and ``TRUNCATE`` (which fires no row trigger) each seen."""
    opened = open_database(pg_url)
    engine = opened.engine
    try:
        with engine.connect() as conn:
            names = {row[0] for row in conn.exec_driver_sql("SELECT tgname FROM pg_trigger")}
        assert set(week_pack.POSTGRESQL_TRIGGERS) <= names
        with session_scope(engine, "t") as session:
            session.add(Carer(name="Carer A"))
            session.add(Customer(name="Customer", lat=53.6, lon=-2.16))
            session.flush()
            for n in range(4):
                begin = datetime.combine(MONDAY + timedelta(days=n), time(9), tzinfo=UK)
                visit = Visit(
                    customer_id=1,
                    visit_date=MONDAY + timedelta(days=n),
                    start_at=begin,
                    end_at=begin + timedelta(minutes=30),
                )
                session.add(visit)
                session.flush()
                session.add(VisitAssignment(visit_id=visit.id, carer_id=1, slot=1))
        with session_scope(engine, "t") as session:
            first = _fields(load_week(session, MONDAY))
        assert len(_packs(engine)) == 10 + 16 + 1  # days, kept weeks, reference
        with session_scope(engine, "t") as session:
            assert _fields(load_week(session, MONDAY)) == first
        with session_scope(engine, "t") as session:
            session.get(Visit, 2).status = VisitStatus.CANCELLED
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM visit_assignment WHERE visit_id = 3")
        with session_scope(engine, "t") as session:
            week = _fields(load_week(session, MONDAY))
            assert week == _unpacked(session, MONDAY, monkeypatch)
            assert 2 not in week["visits"] and week["assignments"].get(3, ()) == ()
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE visit_assignment")
        with session_scope(engine, "t") as session:
            week = _fields(load_week(session, MONDAY))
            assert week == _unpacked(session, MONDAY, monkeypatch)
            assert not any(week["assignments"].values())
    finally:
        engine.dispose()


# -- as a coordinator sees it ------------------------------------------------------------------


async def test_the_grid_shows_a_change_another_writer_made_after_the_week_was_packed(
    demo_settings, small_demo_engine, monkeypatch
):
    """The Rota opened (its days packed), then a carer taken off a Monday visit by another
    writer's SQL: ``f5`` shows the visit as nobody's, read from its day's visits; the
    other nine days still come from their packs."""
    from pilot_helpers import wait_for

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.rota.grid import RotaScreen
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")
    with small_demo_engine.connect() as conn:
        visit_id = conn.scalar(
            select(VisitAssignment.visit_id)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.visit_date == MONDAY, Visit.carers_required == 1)
            .order_by(VisitAssignment.visit_id)
        )
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        screen = app.screen
        assert screen.rota.state.carers_of.get(visit_id)
        await wait_for(pilot, lambda: len(_packs(small_demo_engine)) == 10 + 16 + 1)
        with small_demo_engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM visit_assignment WHERE visit_id = {visit_id}")
        not_fresh: list[set[str]] = []
        real_read = week_pack.read

        def counted(connection, scopes):
            found = real_read(connection, scopes)
            not_fresh.append(set(scopes) - set(found.fresh))
            return found

        monkeypatch.setattr(week_pack, "read", counted)
        before = screen.rota
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.loaded and screen.rota is not before)
        assert not screen.rota.state.carers_of.get(visit_id)
        assert not_fresh == [{MONDAY.isoformat()}]


def test_on_postgresql_two_saves_that_deadlock_on_the_days_say_nothing_was_saved(pg_url):
    """Two coordinators' saves writing the same two days in opposite orders each wait on
    the other's day (its generation row, bumped by the packs' triggers): the server ends
    the deadlock by failing one. That save comes out as the app's one line, nothing
    saved and what was typed kept (``DatabaseUnavailableError``, which every save
    shows in its dialog), its changes all rolled back; the other is saved."""
    import threading

    from coordinator_tui.services.errors import DatabaseUnavailableError

    opened = open_database(pg_url)
    engine = opened.engine
    try:
        with session_scope(engine, "t") as session:
            session.add(Carer(name="Carer A"))
            session.add(Customer(name="Customer", lat=53.6, lon=-2.16))
            session.flush()
            for n in range(2):
                begin = datetime.combine(MONDAY + timedelta(days=n), time(9), tzinfo=UK)
                session.add(
                    Visit(
                        customer_id=1,
                        visit_date=MONDAY + timedelta(days=n),
                        start_at=begin,
                        end_at=begin + timedelta(minutes=30),
                    )
                )
        with engine.connect() as conn:
            monday_visit, tuesday_visit = conn.scalars(select(Visit.id).order_by(Visit.id)).all()
        both_hold_one = threading.Barrier(2, timeout=30)
        outcome: dict[str, object] = {}

        def save(name: str, first: int, second: int, minutes: int) -> None:
            try:
                with session_scope(engine, name) as session:
                    for number, visit_id in enumerate((first, second)):
                        visit = session.get(Visit, visit_id)
                        visit.start_at += timedelta(minutes=minutes)
                        visit.end_at += timedelta(minutes=minutes)
                        session.flush()  # the day's generation row is now held
                        if number == 0:
                            both_hold_one.wait()
                outcome[name] = "saved"
            except Exception as exc:  # noqa: BLE001 - what the save shows is the point
                outcome[name] = exc

        threads = [
            threading.Thread(target=save, args=("one", monday_visit, tuesday_visit, 10)),
            threading.Thread(target=save, args=("two", tuesday_visit, monday_visit, 20)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(map(str, outcome.values())).count("saved") == 1, outcome
        (failed,) = [name for name, got in outcome.items() if got != "saved"]
        error = outcome[failed]
        assert isinstance(error, DatabaseUnavailableError), repr(error)
        assert "nothing was saved and anything typed is kept" in str(error)
        moved = 10 if failed == "two" else 20  # only the saved one's change is there
        with session_scope(engine, "t") as session:
            for visit_id, n in ((monday_visit, 0), (tuesday_visit, 1)):
                begin = datetime.combine(MONDAY + timedelta(days=n), time(9), tzinfo=UK)
                assert session.get(Visit, visit_id).start_at == begin + timedelta(minutes=moved)
            assert _fields(load_week(session, MONDAY))["visits"][monday_visit].start == (
                snapshot_module.epoch_minutes(begin - timedelta(days=1) + timedelta(minutes=moved))
            )
    finally:
        engine.dispose()
