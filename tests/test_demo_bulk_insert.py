"""The demo's rows written on SQLite straight to the driver (``demo.seed.bulk_insert``)
are stored exactly as SQLAlchemy's core ``insert()`` stores them: the small demo built
both ways holds the same rows, value for value (text, numbers, dates, datetimes, JSON,
NULLs, and SQLite's type of each), in every table. And ``_years_before`` is
``relativedelta(years=...)``."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert

from coordinator_tui.db import open_database
from coordinator_tui.demo import seed as demo_seed

TODAY = date(2026, 11, 23)
# What differs from build to build: the audit trail's own rows (time, chain) and each
# row's created_at and updated_at (the moment of the build).
VARIES = {"audit_event"}
MOMENTS = ("created_at", "updated_at")
NOW_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def _build(path, monkeypatch, core: bool) -> None:
    if core:

        def through_core(conn, model, rows):
            for start in range(0, len(rows), demo_seed.CHUNK):
                conn.execute(insert(model), rows[start : start + demo_seed.CHUNK])

        monkeypatch.setattr(demo_seed, "bulk_insert", through_core)
    else:
        monkeypatch.undo()
    opened = open_database(str(path))
    try:
        demo_seed.seed_demo(opened.engine, size="small", seed=1, today=TODAY)
    finally:
        opened.engine.dispose()


def _masked(value: object) -> object:
    """A moment of the build itself (a row stamped "now" on this day, to the microsecond,
    as the demo's own times are not) read as ``<now>``: it differs between two builds."""
    today = datetime.now(UTC).date().isoformat()
    stamped = isinstance(value, str) and bool(NOW_STAMP.match(value))
    if stamped and value.startswith(today) and not value.endswith("000000"):
        return "<now>"
    return value


def _tables(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        found = {}
        for name in names:
            if name in VARIES:
                continue
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            kept = ", ".join(f'"{c}", typeof("{c}")' for c in columns if c not in MOMENTS)
            rows = conn.execute(f'SELECT {kept} FROM "{name}" ORDER BY rowid').fetchall()
            found[name] = [tuple(_masked(value) for value in row) for row in rows]
        return found
    finally:
        conn.close()


def test_the_demo_written_to_the_driver_is_the_demo_written_by_core_insert(tmp_path, monkeypatch):
    core, fast = tmp_path / "core.db", tmp_path / "fast.db"
    _build(core, monkeypatch, core=True)
    _build(fast, monkeypatch, core=False)
    by_core, by_driver = _tables(core), _tables(fast)
    assert by_core.keys() == by_driver.keys()
    assert sum(len(rows) for rows in by_core.values()) > 10_000
    for name, rows in by_core.items():
        assert by_driver[name] == rows, name


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=80),
)
def test_years_before_is_relativedelta(day: date, years: int):
    assert demo_seed._years_before(day, years) == day - relativedelta(years=years)
