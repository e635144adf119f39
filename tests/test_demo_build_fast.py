"""The demo builder's shortcuts (issue 23 §4: the ten-times build within 90 s) give what
the slower ways they replace give, so the demo stays the same for a seed: NHS check
digits against the ``nhs_number`` package, weighted draws against ``random.choices``,
nine months on against ``relativedelta``, and a column's bind processor run once per
distinct value against once per row."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import nhs_number
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from coordinator_tui import models as m
from coordinator_tui.db import CACHE_KIB, open_database
from coordinator_tui.demo import seed as demo_seed


def _by_the_package(count: int) -> list[str]:
    """The demo's numbers as they were drawn before: the package's check digit per stem."""
    numbers = []
    for serial in demo_seed.DEMO_NHS_SERIALS:
        if len(numbers) >= count:
            break
        stem = f"999{serial:06d}"
        check = nhs_number.calculate_checksum(stem)
        if check is not None and check < 10:
            numbers.append(f"{stem}{check}")
    return numbers


def test_the_first_numbers_are_the_packages():
    numbers = demo_seed.demo_nhs_numbers(20_000)
    assert numbers == _by_the_package(20_000)
    assert all(nhs_number.is_valid(number) for number in numbers[::97])


@given(st.integers(min_value=0, max_value=999_999))
def test_any_serials_check_digit_is_the_packages(serial):
    stem = f"999{serial:06d}"
    expected = nhs_number.calculate_checksum(stem)
    check = (demo_seed._HIGH_CHECK[serial // 1000] + demo_seed._LOW_CHECK[serial % 1000]) % 11
    assert check == expected % 11


def test_the_whole_range_holds_909091_numbers():
    assert len(demo_seed.demo_nhs_numbers(909_091)) == 909_091
    with pytest.raises(demo_seed.DemoTooLarge, match="909,091 valid numbers"):
        demo_seed.demo_nhs_numbers(909_092)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=3),
        st.integers(min_value=1, max_value=100),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=0, max_value=2**32),
)
def test_a_pick_is_the_draw_random_choices_makes(weights, seed):
    demo = demo_seed._Demo.__new__(demo_seed._Demo)
    demo.rnd = random.Random(seed)
    reference = random.Random(seed)
    table = demo_seed.weighted(weights)
    for index in range(20):
        expected = reference.choices(list(weights), weights=list(weights.values()))[0]
        assert demo.pick(table if index % 2 else weights) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_nine_months_after_is_relativedeltas(day):
    assert demo_seed._nine_months_after(day) == day + relativedelta(months=9)


UK_SUMMER = datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("column", "values"),
    [
        (m.Person.__table__.c.created_at, [UK_SUMMER, UK_SUMMER.astimezone(UTC), None] * 3),
        (m.Person.__table__.c.date_of_birth, [date(2001, 2, 3), None, date(1, 1, 1)] * 2),
        (m.PersonLink.__table__.c.parental_responsibility, [True, False, 1, 0, None, True]),
        (m.CarerAvailability.__table__.c.start_time, [time(7, 0), time(7, 0), time(23, 59)]),
        (m.Carer.__table__.c.home_lat, [1, 1.0, 53.61, None]),
    ],
)
def test_a_columns_values_by_distinct_value_are_its_values_one_by_one(column, values):
    dialect = sqlite.dialect()
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    rows = [{"x": value} for value in values]
    one_by_one = [process(value) for value in values]
    got = demo_seed._column_values(
        rows, lambda row: row["x"], process, demo_seed._by_value(column.type)
    )
    assert got == one_by_one
    assert [type(v) for v in got] == [type(v) for v in one_by_one]


def test_floats_are_processed_one_by_one():
    """1 and 1.0 are equal, but SQLite stores an integer and a real: not by value."""
    assert not demo_seed._by_value(m.Carer.__table__.c.home_lat.type)
    assert demo_seed._by_value(m.Person.__table__.c.created_at.type)
    assert demo_seed._by_value(m.Person.__table__.c.date_of_birth.type)


def test_an_unhashable_value_is_processed_one_by_one():
    seen = []

    def process(value):
        seen.append(value)
        return str(value)

    rows = [{"x": [1]}, {"x": [1]}, {"x": None}]
    got = demo_seed._column_values(rows, lambda row: row["x"], process, True)
    assert got == ["[1]", "[1]", "None"]
    assert len(seen) == 3


def test_a_moment_is_stored_as_its_utc_text():
    """Equal aware moments in two zones are one key, and one stored text."""
    column = m.Person.__table__.c.created_at
    dialect = sqlite.dialect()
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    moment = datetime(2026, 7, 1, 12, tzinfo=UTC)
    rows = [{"x": moment}, {"x": moment + timedelta(0)}, {"x": UK_SUMMER}]
    got = demo_seed._column_values(rows, lambda row: row["x"], process, True)
    assert got == [process(moment)] * 3


def _settings(engine) -> list[tuple[int, int]]:
    """Each pooled connection's ``PRAGMA cache_size`` and ``synchronous``."""
    held = [engine.raw_connection() for _ in range(2)]
    try:
        return [
            (
                c.driver_connection.execute("PRAGMA cache_size").fetchone()[0],
                c.driver_connection.execute("PRAGMA synchronous").fetchone()[0],
            )
            for c in held
        ]
    finally:
        for connection in held:
            connection.close()


def test_the_build_gives_its_connection_back_as_the_app_keeps_it(tmp_path, monkeypatch):
    """The roomy page cache and the unsynced commit are for the build only: while it
    writes, its connection has them; handed back to the pool after the commit (and after
    a refused build), every connection has the app's cache size and full sync again."""
    during = []
    flush = demo_seed._Writer.flush

    def watched(self, session, order):
        conn = session.connection()
        during.append(
            (
                conn.exec_driver_sql("PRAGMA cache_size").scalar(),
                conn.exec_driver_sql("PRAGMA synchronous").scalar(),
            )
        )
        return flush(self, session, order)

    monkeypatch.setattr(demo_seed._Writer, "flush", watched)
    opened = open_database(str(tmp_path / "demo.db"))
    try:
        usual = _settings(opened.engine)
        assert usual == [(-CACHE_KIB, 2), (-CACHE_KIB, 2)]  # 2: FULL
        demo_seed.seed_demo(opened.engine, size="small", seed=3, today=date(2026, 11, 23))
        assert during == [(-demo_seed.BUILD_CACHE_KIB, 0)]  # 0: OFF
        assert _settings(opened.engine) == usual
        with pytest.raises(ValueError, match="already holds people"):
            demo_seed.seed_demo(opened.engine, size="small", seed=3, today=date(2026, 11, 23))
        assert _settings(opened.engine) == usual
        assert not opened.engine.pool.dispatch.checkin  # the build's listener is gone
    finally:
        opened.engine.dispose()
