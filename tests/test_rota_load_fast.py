"""The rota week's fast read (issue 23 §1: 50 ms at ten times the data) gives exactly the
week the reader it replaced gave: every field of the ``WeekSnapshot``, with the same
types and the same order of every dict, on the small demo, on odd data (hypothesis:
double-ups saved with their slots out of order, the clock-change days 29 March and
25 October 2026, visits past midnight or dated other than the day they start, carers
with no kept weeks, cancelled and missed visits, times with seconds) and on PostgreSQL.

The old reader is kept in ``tests/rota_snapshot_reference.py`` (not in the app)."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from coordinator_tui.clock import UK
from coordinator_tui.db import new_session, open_database, session_scope
from coordinator_tui.models import (
    Absence,
    Carer,
    CarerAvailability,
    CarerSkill,
    CarerWeekHours,
    Customer,
    CustomerCarerPreference,
    ProblemAcceptance,
    Skill,
    Visit,
    VisitAssignment,
    VisitStatus,
    WorkingTimeSettings,
)
from coordinator_tui.services.rota import snapshot as snapshot_module
from coordinator_tui.services.rota.snapshot import load_week
from coordinator_tui.services.rota.week_hours import SOURCE_VISITS
from tests.rota_snapshot_reference import reference_load_week

DEMO_MONDAY = date(2026, 11, 23)  # conftest.DEMO_TODAY's week


def first_difference(old: object, new: object, path: str = "week") -> str | None:
    """Where ``new`` first differs from ``old``: its type, a dict's keys or their order, a
    sequence's length, a set's members (and their types), or a value."""
    if type(old) is not type(new):
        return f"{path}: {type(old).__name__} {old!r} != {type(new).__name__} {new!r}"
    if dataclasses.is_dataclass(old):
        for f in dataclasses.fields(old):
            found = first_difference(getattr(old, f.name), getattr(new, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if isinstance(old, dict):
        if list(old) != list(new):
            return f"{path}: keys or their order differ ({len(old)} / {len(new)})"
        for key, value in old.items():
            found = first_difference(value, new[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(old, list | tuple):
        if len(old) != len(new):
            return f"{path}: {len(old)} items != {len(new)}"
        for n, (a, b) in enumerate(zip(old, new, strict=True)):
            found = first_difference(a, b, f"{path}[{n}]")
            if found:
                return found
        return None
    if isinstance(old, set | frozenset):
        if old != new:
            return f"{path}: {sorted(map(repr, old ^ new))[:5]} in one only"
        same = {member: member for member in new}
        for member in old:
            found = first_difference(member, same[member], f"{path}{{{member!r}}}")
            if found:
                return found
        return None
    if old != new:
        return f"{path}: {old!r} != {new!r}"
    return None


def assert_same_week(session, monday: date, ordered: bool = True) -> snapshot_module.WeekSnapshot:
    """The week as the reference loader reads it. ``ordered=False``: dicts' keys in any
    order (PostgreSQL gives the reference's rows, read with no ORDER BY, in no set order;
    the loader orders its by day, start and id). Both read at one moment (the unit of
    work's, pinned here if not set): the open care changes' ``now`` is that minute, and
    two reads either side of a minute's turn differed (found under load)."""
    from coordinator_tui.clock import MOMENT_KEY, moment_of

    session.info.setdefault(MOMENT_KEY, moment_of(session.info))
    old = reference_load_week(session, monday)
    new = load_week(session, monday)
    if not ordered:
        old = _keys_sorted(old)
        new = _keys_sorted(new)
    assert first_difference(old, new) is None
    assert old == new
    return new


def _keys_sorted(value: object) -> object:
    """``value`` with every dict (a dataclass's fields too) in the order of its keys."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _keys_sorted(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if isinstance(getattr(value, f.name), dict)
        }
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, dict):
        return {key: _keys_sorted(value[key]) for key in sorted(value, key=repr)}
    return value


# -- the demo -------------------------------------------------------------------------


@pytest.mark.parametrize("weeks", [-2, -1, 0, 1, 2, 10])
def test_the_demo_weeks_read_as_before(small_demo_engine, weeks):
    """The demo's week, the weeks either side (last week's kept rows, the context days),
    and a week with no visits at all."""
    with session_scope(small_demo_engine, "t") as session:
        found = assert_same_week(session, DEMO_MONDAY + timedelta(weeks=weeks))
    if weeks == 0:
        assert found.visits and found.assignments and found.previous and found.history
        assert any(len(carers) > 1 for carers in found.assignments.values())


def test_an_older_sqlite_reads_the_times_with_strftime(small_demo_engine, monkeypatch):
    """SQLite before 3.38 has no ``unixepoch``: the times come from ``strftime('%s')``,
    the same minutes."""
    monkeypatch.setattr(snapshot_module, "_flavour", lambda dialect: "sqlite")
    sent: list[str] = []
    event.listen(small_demo_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with session_scope(small_demo_engine, "t") as session:
        assert assert_same_week(session, DEMO_MONDAY).visits
    assert any("strftime" in sql for sql in sent)
    assert not any("unixepoch" in sql for sql in sent)


def test_the_load_sends_three_statements_of_its_own(small_demo_engine, monkeypatch):
    """What is kept packed (``week_pack``: the days, the kept weeks, the reference rows
    that name nobody) and the reference rows read each time (names, the week's absences
    and acceptances): each through SQLAlchemy (its events see them, as the round-trip
    counts do). The week's first open also reads the visits of its days (with their
    context) and the kept weeks, and writes the packs on a connection of its own (the
    busy timeout off, the insert, the long-past days' packs deleted, the timeout back)."""
    import coordinator_tui.services.rota.rules  # noqa: F401 - registers its reads first

    monkeypatch.setattr(snapshot_module, "EXTENSIONS", [])
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_rest) -> None:
        sent.append(statement)

    event.listen(small_demo_engine, "before_cursor_execute", record)
    try:
        for _ in ("first", "again"):
            with session_scope(small_demo_engine, "t") as session:
                load_week(session, DEMO_MONDAY)
    finally:
        event.remove(small_demo_engine, "before_cursor_execute", record)
    assert len(sent) == 4 + 4 + 2, sent
    assert "FROM visit LEFT OUTER JOIN visit_assignment" in sent[2]
    assert "FROM carer_week_hours" in sent[3]
    assert "INSERT INTO rota_pack" in sent[5]
    assert sent[6].startswith("DELETE FROM rota_pack ")
    again = sent[8:]
    assert not any("visit_assignment" in statement for statement in again), again
    assert not any("FROM carer_availability" in statement for statement in again), again
    assert not any("carer_week_hours.customers" in statement for statement in again), again


def test_a_driver_error_while_reading_is_sqlalchemys(small_demo_engine, monkeypatch):
    """A failure while the rows are read (a damaged page shows there on SQLite) comes out
    as SQLAlchemy's ``DBAPIError``, which the app turns into its one-line message."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    class Failing:
        def __init__(self, cursor) -> None:
            self.cursor = cursor

        def fetchmany(self, size: int) -> list:
            raise sqlite3.DatabaseError("database disk image is malformed")

    real = snapshot_module._chunks

    def chunks(result):
        result.cursor = Failing(result.cursor)
        return real(result)

    monkeypatch.setattr(snapshot_module, "_chunks", chunks)
    session = new_session(small_demo_engine, "t")
    try:
        with pytest.raises(DBAPIError) as caught:
            load_week(session, DEMO_MONDAY)
    finally:
        session.close()
    assert "malformed" in str(caught.value.orig)


def test_the_demo_week_reads_as_before_on_sqlcipher(small_demo_path):
    """An encrypted database (SQLCipher's own SQLite, its version read from the driver
    for ``unixepoch``) gives the same week."""
    pytest.importorskip("sqlcipher3")
    from coordinator_tui import keyslots
    from coordinator_tui.db import encrypt_sqlite
    from coordinator_tui.models.accounts import Account
    from coordinator_tui.services import accounts

    opened = open_database(str(small_demo_path))
    try:
        with session_scope(opened.engine, "setup") as session:
            account = accounts.create_account(
                session,
                "ann.admin",
                "Ann Admin",
                "copper lantern meadow",
                ["administrator"],
                datetime(2026, 11, 23, 9, tzinfo=UK),
            )
            session.get(Account, account).must_change_password = False
    finally:
        opened.engine.dispose()
    keyslots.forget()
    try:
        encrypt_sqlite(small_demo_path, "ann.admin", "copper lantern meadow", keep_plain=False)
        opened = open_database(str(small_demo_path), migrate=False)
        try:
            assert opened.engine.dialect.driver == "pysqlcipher"
            with session_scope(opened.engine, "t") as session:
                assert assert_same_week(session, DEMO_MONDAY).visits
        finally:
            opened.engine.dispose()
    finally:
        keyslots.forget()


# -- odd data (hypothesis) ------------------------------------------------------------

WEEKS = [date(2026, 3, 23), date(2026, 3, 30), date(2026, 10, 19), date(2026, 10, 26)]
"""Weeks holding, or just after, a clock change (29 March: BST starts; 25 October: it
ends), so the week and its context days run across one."""

VISIT = st.fixed_dictionaries(
    {
        # from the week's Monday: the context days (-2, -1, 7) often, and days not read
        "day": st.sampled_from([-3, -2, -2, -1, -1, 0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 8]),
        "dated": st.sampled_from([0, 0, 0, -1, 1]),  # dated the day before or after it starts
        "hour": st.integers(0, 23),
        "minute": st.sampled_from([0, 15, 30, 59]),
        "second": st.sampled_from([0, 0, 0, 30, 59]),
        "micro": st.sampled_from([0, 0, 999_999]),
        "minutes": st.sampled_from([1, 30, 45, 90, 240, 600]),  # 600 runs past midnight
        "status": st.sampled_from(list(VisitStatus)),
        "required": st.integers(1, 3),
        "skills": st.sampled_from(["", "", "HOIST", "med, hoist", "PEG,MED,"]),
        "customer": st.integers(1, 4),
        # (slot, carer) saved in this order: a double-up's slots out of order
        "carers": st.lists(
            st.tuples(st.integers(1, 3), st.integers(1, 5)),
            max_size=3,
            unique_by=lambda taken: taken[0],
        ),
    }
)

KEPT = st.fixed_dictionaries(
    {
        "carer": st.integers(1, 5),
        "weeks_back": st.integers(1, 17),  # 17: before the 16 weeks, not read
        "hours": st.sampled_from([0.0, 0.125, 0.375, 7.5, 12.34, 37.525]),  # x.5 minutes
        "shifts": st.integers(0, 6),
        "nights": st.integers(0, 3),
        "span": st.booleans(),
        "customers": st.sampled_from([None, "", "1", "1,3", "2,4"]),
        "source": st.sampled_from([SOURCE_VISITS, "recorded"]),
    }
)

WORLD = st.fixed_dictionaries(
    {
        "monday": st.sampled_from(WEEKS),
        "visits": st.lists(VISIT, min_size=6, max_size=18),
        "kept": st.lists(KEPT, max_size=12, unique_by=lambda k: (k["carer"], k["weeks_back"])),
        "absences": st.lists(
            st.tuples(
                st.integers(1, 5),
                st.integers(-130, 10),
                st.integers(0, 20),
                st.sampled_from(["sickness", "annual_leave", "leave"]),
            ),
            max_size=3,
        ),
        "windows": st.lists(
            st.tuples(st.integers(1, 5), st.integers(0, 6), st.integers(0, 23), st.integers(0, 24)),
            max_size=4,
        ),
        "night_start": st.sampled_from([None, time(22, 0), time(23, 30)]),
    }
)


def _build(session, world: dict) -> None:
    """The world's rows, written through the session (flushed, not committed)."""
    monday: date = world["monday"]
    people = [
        Carer(
            name=f"Carer {n}",
            gender=["", "female", "male"][n % 3],
            date_of_birth=[None, date(1980, 2, 29), date(2009, 1, 1)][n % 3],
            transport_mode=["drive", "walk"][n % 2],
            home_lat=53.5 + n / 100,
            home_lon=-2.2,
            contracted_hours=[0.0, 37.5, 22.125][n % 3],
            wtr_opt_out=n == 2,
            active=n != 4,
            split_shift_exempt=n == 3,
            night_worker=[None, True, False][n % 3],
            special_hazards=n == 5,
            young_night_contract=n == 1,
        )
        for n in range(1, 6)
    ]
    places = [
        Customer(
            name=f"Customer {n}",
            lat=53.6 + n / 50,
            lon=-2.16,
            preferred_gender=["", "female"][n % 2],
            lone_working_risk=n == 2,
        )
        for n in range(1, 5)
    ]
    skills = [Skill(code="HOIST", name="Hoist"), Skill(code="med", name="Medication")]
    session.add_all([*people, *places, *skills])
    session.flush()
    # The world's numbers 1... to the rows' ids (PostgreSQL's sequences do not roll back).
    carer = {n: row.id for n, row in enumerate(people, 1)}
    customer = {n: row.id for n, row in enumerate(places, 1)}
    skill = {n: row.id for n, row in enumerate(skills, 1)}
    session.add_all(
        [
            CarerSkill(carer_id=carer[1], skill_id=skill[1], expires_on=monday + timedelta(3)),
            CarerSkill(carer_id=carer[1], skill_id=skill[2]),
            CarerSkill(carer_id=carer[3], skill_id=skill[2], expires_on=monday - timedelta(9)),
            CustomerCarerPreference(customer_id=customer[1], carer_id=carer[2], kind="preferred"),
            CustomerCarerPreference(customer_id=customer[1], carer_id=carer[3], kind="excluded"),
            CustomerCarerPreference(customer_id=customer[3], carer_id=carer[2], kind="preferred"),
        ]
    )
    if world["night_start"] is not None:
        session.add(WorkingTimeSettings(night_start=world["night_start"]))
    for carer_id, weekday, start, end in world["windows"]:
        session.add(
            CarerAvailability(
                carer_id=carer[carer_id],
                weekday=weekday,
                start_time=time(start),
                end_time=time(0) if end == 24 else time(end, 30),
            )
        )
    for carer_id, start, days, kind in world["absences"]:
        first = monday + timedelta(days=start)
        session.add(
            Absence(
                carer_id=carer[carer_id],
                start_date=first,
                end_date=first + timedelta(days=days),
                kind=kind,
            )
        )
    for spec in world["visits"]:
        starts_on = monday + timedelta(days=spec["day"])
        begin = datetime.combine(
            starts_on, time(spec["hour"], spec["minute"], spec["second"], spec["micro"]), tzinfo=UK
        )
        visit = Visit(
            customer_id=customer[spec["customer"]],
            visit_date=starts_on + timedelta(days=spec["dated"]),
            start_at=begin,
            end_at=begin + timedelta(minutes=spec["minutes"]),
            status=spec["status"],
            carers_required=spec["required"],
            required_skills=spec["skills"],
        )
        session.add(visit)
        session.flush()
        for slot, carer_id in spec["carers"]:  # one flush each: saved in this order
            session.add(VisitAssignment(visit_id=visit.id, carer_id=carer[carer_id], slot=slot))
            session.flush()
        if spec["carers"] and spec["status"] == VisitStatus.PLANNED:
            session.add(
                ProblemAcceptance(
                    code="SKILL_MISSING",
                    visit_id=visit.id,
                    carer_id=carer[spec["carers"][0][1]],
                    rationale="t",
                    accepted_at=datetime(2026, 1, 1, tzinfo=UK),
                )
            )
    session.flush()
    # The kept weeks: replace whatever the visits' saves kept for those (carer, week)s.
    for spec in world["kept"]:
        week = monday - timedelta(weeks=spec["weeks_back"])
        found = session.scalars(
            select(CarerWeekHours).where(
                CarerWeekHours.carer_id == carer[spec["carer"]], CarerWeekHours.week_start == week
            )
        ).one_or_none() or CarerWeekHours(carer_id=carer[spec["carer"]], week_start=week)
        found.hours = spec["hours"]
        found.shifts = spec["shifts"]
        found.night_shifts = spec["nights"]
        found.source = spec["source"]
        found.customers = (
            spec["customers"]
            if not spec["customers"]
            else ",".join(str(customer[int(n)]) for n in spec["customers"].split(","))
        )
        if spec["span"]:
            found.first_start = datetime.combine(week, time(7, 5), tzinfo=UK)
            found.last_end = datetime.combine(week + timedelta(days=6), time(22, 59, 59), tzinfo=UK)
            found.long_rests = f"{found.first_start.timestamp() // 60 + 600:.0f}-29930000"
        session.add(found)
    session.flush()


@pytest.fixture(scope="module")
def odd_engine():
    with tempfile.TemporaryDirectory() as folder:
        opened = open_database(str(Path(folder) / "odd.db"))
        try:
            yield opened.engine
        finally:
            opened.engine.dispose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(world=WORLD)
def test_odd_weeks_read_as_before(odd_engine, world):
    """Whatever the week holds, the fast read equals the old one field by field (the rows
    written in a transaction both readers see, then rolled back)."""
    session = new_session(odd_engine, "t")
    try:
        _build(session, world)
        assert_same_week(session, world["monday"])
    finally:
        session.rollback()
        session.close()


# -- PostgreSQL -----------------------------------------------------------------------


def test_odd_weeks_read_as_before_on_postgresql(pg_url):
    """The same comparison on PostgreSQL (epoch minutes by ``extract``, days by date
    arithmetic, the kept times as the driver gives them), on worlds drawn as above."""
    opened = open_database(pg_url)
    try:

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        @given(world=WORLD)
        def check(world: dict) -> None:
            session = new_session(opened.engine, "t")
            try:
                _build(session, world)
                assert_same_week(session, world["monday"], ordered=False)
            finally:
                session.rollback()
                session.close()

        check()
    finally:
        opened.engine.dispose()


def test_packed_codes_read_as_before(odd_engine):
    """``_visit_rows`` packs the day, the status and the carers required in one integer,
    and a week row's slot above its carer: a status none of ``_STATUS_CODES`` names (read
    as stored), no carers or hundreds required, and slots far apart still read as the
    old loader read them."""
    monday = WEEKS[0]
    world = {
        "monday": monday,
        "visits": [],
        "kept": [],
        "absences": [],
        "windows": [],
        "night_start": None,
    }
    session = new_session(odd_engine, "t")
    try:
        _build(session, world)
        carers = session.scalars(select(Carer.id).order_by(Carer.id)).all()
        customer = session.scalars(select(Customer.id)).first()
        odd = [("on hold", 0, [(70_000, carers[0]), (0, carers[1])]), ("planned", 300, [])]
        odd += [("done", 2, [(5, carers[2]), (2, carers[0]), (9, carers[1])])]
        odd += [("", 1, [(0, carers[3])]), ("missed", -1, [(1, carers[4])])]
        for day, (status, required, taken) in enumerate(odd):
            begin = datetime.combine(monday + timedelta(days=day), time(9), tzinfo=UK)
            visit = Visit(
                customer_id=customer,
                visit_date=monday + timedelta(days=day),
                start_at=begin,
                end_at=begin + timedelta(hours=1),
                status=status,
                carers_required=required,
                required_skills="HOIST",
            )
            session.add(visit)
            session.flush()
            for slot, carer_id in taken:
                session.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=slot))
                session.flush()
        found = assert_same_week(session, monday)
        assert {v.status for v in found.visits.values()} >= {"on hold", "", "planned"}
        assert sorted(len(c) for c in found.assignments.values()) == [1, 1, 2, 3]
    finally:
        session.rollback()
        session.close()
