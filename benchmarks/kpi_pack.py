"""The homecare KPI pack over a year of a large agency (issue 16 §2).

Target: the pack for a month in under 5 s on a database holding 1,000,000 visit rows
(a year of about 2,700 visits a day: 900 customers, 300 carers), with an assignment per
visit, actual times on nine in ten and a call-monitoring source on most of those.

The database is built once with raw ``sqlite3`` inserts into a freshly migrated schema
(building it is not what is measured); then ``kpi_pack`` runs for one month, cold (a new
engine) and warm, and the median of the warm runs is reported with the month's figures.

Run by hand, not in pytest: ``python -m benchmarks.kpi_pack [--db PATH] [--runs N]``
(default ``/tmp/kpi_bench/visits.db``; an existing database with 1,000,000 visits is
reused).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

VISITS = 1_000_000
CUSTOMERS = 900
CARERS = 300
FIRST_DAY = date(2025, 12, 1)
TARGET_S = 5.0


def build(path: Path) -> None:
    """A migrated database with the year of visits (one assignment each), visit records
    and a few incidents; random with a fixed seed."""
    from coordinator_tui.db import open_database

    path.parent.mkdir(parents=True, exist_ok=True)
    opened = open_database(str(path))
    opened.engine.dispose()
    rnd = random.Random(16)
    stamp = "2025-12-01 00:00:00.000000"
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=MEMORY")
    base = (stamp, stamp, 1)
    con.executemany(
        "INSERT INTO carer (id, created_at, updated_at, version, name, gender, transport_mode,"
        " home_postcode, home_lat, home_lon, contracted_hours, wtr_opt_out, phone, active,"
        " split_shift_exempt, special_hazards, young_night_contract)"
        " VALUES (?, ?, ?, ?, ?, '', 'drive', '', 0, 0, ?, 0, '', 1, 0, 0, 0)",
        [(i, *base, f"Carer {i}", rnd.choice((16.0, 24.0, 37.5))) for i in range(1, CARERS + 1)],
    )
    con.executemany(
        "INSERT INTO customer (id, created_at, updated_at, version, name, address, postcode,"
        " lat, lon, preferred_gender, language, cultural_notes, lone_working_risk,"
        " access_notes, active) VALUES (?, ?, ?, ?, ?, '', '', 0, 0, '', '', '', 0, '', 1)",
        [(i, *base, f"Customer {i}") for i in range(1, CUSTOMERS + 1)],
    )
    regulars = {c: rnd.sample(range(1, CARERS + 1), 4) for c in range(1, CUSTOMERS + 1)}
    per_day = VISITS // 365 + 1
    visits, assignments, records = [], [], []
    vid = 0
    fmt = "%Y-%m-%d %H:%M:%S.000000"
    for d in range(365):
        day = FIRST_DAY + timedelta(days=d)
        for n in range(per_day):
            vid += 1
            if vid > VISITS:
                break
            customer = (n % CUSTOMERS) + 1
            hour = (7, 12, 17, 21)[n % 4]
            start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
            end = start + timedelta(minutes=rnd.choice((15, 30, 30, 45, 60)))
            status, actual_start, actual_end = "done", None, None
            roll = rnd.random()
            if roll < 0.01:
                status = "missed"
            elif roll < 0.91:
                actual_start = start + timedelta(minutes=rnd.randint(-10, 45))
                actual_end = actual_start + (end - start) * rnd.uniform(0.6, 1.1)
            visits.append(
                (
                    vid,
                    *base,
                    customer,
                    day.isoformat(),
                    start.strftime(fmt),
                    end.strftime(fmt),
                    1,
                    "MED" if n % 5 == 0 else "",
                    "",
                    status,
                    actual_start.strftime(fmt) if actual_start else None,
                    actual_end.strftime(fmt) if actual_end else None,
                )
            )
            carer = rnd.choice(regulars[customer]) if rnd.random() < 0.8 else rnd.randint(1, CARERS)
            assignments.append((vid, *base, vid, carer, 1))
            if actual_start is not None:
                source = "monitoring" if rnd.random() < 0.85 else "typed"
                records.append((vid, *base, vid, "", source, "", ""))
        if len(visits) > 100_000 or vid >= VISITS:
            _flush(con, visits, assignments, records)
    _flush(con, visits, assignments, records)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _flush(con, visits, assignments, records) -> None:
    con.executemany(
        "INSERT INTO visit (id, created_at, updated_at, version, customer_id, visit_date,"
        " start_at, end_at, carers_required, required_skills, tasks, status, actual_start,"
        " actual_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        visits,
    )
    con.executemany(
        "INSERT INTO visit_assignment (id, created_at, updated_at, version, visit_id, carer_id,"
        " slot) VALUES (?, ?, ?, ?, ?, ?, ?)",
        assignments,
    )
    con.executemany(
        "INSERT INTO visit_record (id, created_at, updated_at, version, visit_id,"
        " missed_reason, source, note, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        records,
    )
    visits.clear()
    assignments.clear()
    records.clear()


def measure(path: Path, runs: int) -> None:
    from sqlalchemy import func, select

    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.models import Visit
    from coordinator_tui.services.reports.kpi import kpi_pack

    month = date(2026, 6, 1)
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    opened = open_database(str(path))
    with session_scope(opened.engine, "bench") as s:
        count = s.execute(select(func.count()).select_from(Visit)).scalar_one()
    opened.engine.dispose()
    print(f"visits in the database: {count:,}")
    opened = open_database(str(path))
    started = time.perf_counter()
    with session_scope(opened.engine, "bench") as s:
        pack = kpi_pack(s, month, now=now)
    cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with session_scope(opened.engine, "bench") as s:
            kpi_pack(s, month, now=now)
        times.append(time.perf_counter() - started)
    opened.engine.dispose()
    warm = statistics.median(times)
    for line in pack.lines:
        print(f"  {line.label[:50]:<50} {line.value_text():>26}")
    print(f"carers with hours: {len(pack.carers)}")
    verdict = "PASS" if max(cold, warm) < TARGET_S else "FAIL"
    print(
        f"kpi pack for {month:%B %Y}: cold {cold:.2f} s, warm median {warm:.2f} s "
        f"(of {runs}); target < {TARGET_S:.0f} s: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/kpi_bench/visits.db"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        started = time.perf_counter()
        build(args.db)
        print(f"built {args.db} in {time.perf_counter() - started:.1f} s")
    measure(args.db, args.runs)


if __name__ == "__main__":
    main()
