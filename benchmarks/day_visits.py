"""The day's visits and the call-monitoring import on a day of a large agency (issue 14).

Targets: the day's visits view (``services.governance.visits.day_visits``, what the screen
reads every minute and after each save) refreshes in under 50 ms; the import of the day's
call-monitoring export is measured (first import, then the same file again, which must
change nothing).

The database is built once with raw ``sqlite3`` inserts into a freshly migrated schema:
one day of 10,000 visits (2,500 customers, four visits each; 700 carers; an assignment
per visit). The export holds a check-in and check-out for nine in ten visits (from
``app``), a carer's note on one in twenty (some with flagged words), in the ECM layout
``Visit ID, Date, Check In, Check Out, Call Type, Notes``; a second file names the visits
by ``Service User, Care Worker, Scheduled Start`` instead.

Run by hand, not in pytest: ``python -m benchmarks.day_visits [--db PATH] [--runs N]``
(default ``/tmp/day_visits_bench/day.db``; the database is rebuilt each run, as the
import writes to it).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import sqlite3
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

VISITS = 10_000
CUSTOMERS = 2_500
CARERS = 700
DAY = date(2026, 11, 23)
VIEW_TARGET_MS = 50.0
NOTES = (
    "All well, had breakfast",
    "Bruised left arm, says she bumped it",
    "Refused medication this morning",
    "Happy and chatty",
    "Found on the floor, no injury seen",
)


def build(path: Path) -> list[tuple]:
    """The migrated database with the day's visits; returns (visit id, customer name,
    carer name, planned start) per visit."""
    from coordinator_tui.db import open_database

    if path.parent.exists():
        shutil.rmtree(path.parent)
    path.parent.mkdir(parents=True)
    opened = open_database(str(path))
    opened.engine.dispose()
    rnd = random.Random(14)
    stamp = "2026-11-01 00:00:00.000000"
    base = (stamp, stamp, 1)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.executemany(
        "INSERT INTO carer (id, created_at, updated_at, version, name, gender, transport_mode,"
        " home_postcode, home_lat, home_lon, contracted_hours, wtr_opt_out, phone, active,"
        " split_shift_exempt, special_hazards, young_night_contract)"
        " VALUES (?, ?, ?, ?, ?, '', 'drive', '', 0, 0, 37.5, 0, '', 1, 0, 0, 0)",
        [(i, *base, f"Carer {i}") for i in range(1, CARERS + 1)],
    )
    con.executemany(
        "INSERT INTO customer (id, created_at, updated_at, version, name, address, postcode,"
        " lat, lon, preferred_gender, language, cultural_notes, lone_working_risk,"
        " access_notes, active) VALUES (?, ?, ?, ?, ?, '', '', 0, 0, '', '', '', 0, '', 1)",
        [(i, *base, f"Customer {i}") for i in range(1, CUSTOMERS + 1)],
    )
    fmt = "%Y-%m-%d %H:%M:%S.000000"
    visits, assignments, plan = [], [], []
    for vid in range(1, VISITS + 1):
        customer = (vid - 1) % CUSTOMERS + 1
        hour = (7, 12, 17, 20)[(vid - 1) // CUSTOMERS]
        start = datetime(DAY.year, DAY.month, DAY.day, hour, rnd.choice((0, 15, 30)), tzinfo=UTC)
        end = start + timedelta(minutes=rnd.choice((30, 45, 60)))
        carer = rnd.randint(1, CARERS)
        visits.append(
            (vid, *base, customer, DAY.isoformat(), start.strftime(fmt), end.strftime(fmt))
        )
        assignments.append((vid, *base, vid, carer, 1))
        plan.append((vid, f"Customer {customer}", f"Carer {carer}", start, end))
    con.executemany(
        "INSERT INTO visit (id, created_at, updated_at, version, customer_id, visit_date,"
        " start_at, end_at, carers_required, required_skills, tasks, status, actual_start,"
        " actual_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, '', '', 'planned', NULL, NULL)",
        visits,
    )
    con.executemany(
        "INSERT INTO visit_assignment (id, created_at, updated_at, version, visit_id, carer_id,"
        " slot) VALUES (?, ?, ?, ?, ?, ?, ?)",
        assignments,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return plan


def export(plan: list[tuple], by_reference: bool) -> str:
    """The day's ECM export (times as UK wall clock: November is GMT)."""
    rnd = random.Random(41)
    out = io.StringIO()
    writer = csv.writer(out)
    if by_reference:
        writer.writerow(["Visit ID", "Date", "Check In", "Check Out", "Call Type", "Notes"])
    else:
        writer.writerow(
            ["Service User", "Care Worker", "Scheduled Start", "Actual Start", "Actual End"]
        )
    for vid, customer, carer, start, end in plan:
        if rnd.random() < 0.1:
            continue  # not logged: the day's view follows it up
        check_in = start + timedelta(minutes=rnd.randint(-5, 40))
        check_out = check_in + (end - start) * rnd.uniform(0.6, 1.05)
        if by_reference:
            note = rnd.choice(NOTES) if rnd.random() < 0.05 else ""
            writer.writerow(
                [vid, f"{DAY:%d/%m/%Y}", f"{check_in:%H:%M}", f"{check_out:%H:%M}", "App", note]
            )
        else:
            writer.writerow(
                [
                    customer,
                    carer,
                    f"{start:%d/%m/%Y %H:%M}",
                    f"{check_in:%d/%m/%Y %H:%M}",
                    f"{check_out:%d/%m/%Y %H:%M}",
                ]
            )
    return out.getvalue()


def _import(engine, text: str, now: datetime):
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.governance.actuals_import import import_actuals

    started = time.perf_counter()
    with session_scope(engine, "bench") as s:
        result = import_actuals(s, text, by="bench", now=now)
    return time.perf_counter() - started, result


def measure(path: Path, runs: int) -> None:
    from coordinator_tui.clock import UK
    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.services.governance.visits import day_visits

    now = datetime(DAY.year, DAY.month, DAY.day, 22, 30, tzinfo=UK)
    for by_reference in (True, False):
        started = time.perf_counter()
        plan = build(path)
        print(f"built {VISITS:,} visits in {time.perf_counter() - started:.1f} s")
        text = export(plan, by_reference)
        opened = open_database(str(path))
        engine = opened.engine
        view = []
        for _ in range(runs):
            started = time.perf_counter()
            with session_scope(engine, "bench") as s:
                rows = day_visits(s, DAY, now)
            view.append((time.perf_counter() - started) * 1000)
        layout = "Visit ID" if by_reference else "Service User + Carer + Scheduled Start"
        first, result = _import(engine, text, now)
        print(f"import by {layout}: {result.summary()}")
        again, second = _import(engine, text, now)
        assert second.recorded == 0, second.summary()
        after = []
        for _ in range(runs):
            started = time.perf_counter()
            with session_scope(engine, "bench") as s:
                rows = day_visits(s, DAY, now)
            after.append((time.perf_counter() - started) * 1000)
        engine.dispose()
        late = sum(1 for r in rows if r.state.late)
        print(
            f"  first import {first:.2f} s, the same file again {again:.2f} s "
            f"({second.unchanged:,} unchanged)"
        )
        verdict = "PASS" if statistics.median(after) < VIEW_TARGET_MS else "FAIL"
        print(
            f"  day's visits ({len(rows):,} rows, {late:,} late): before the import median "
            f"{statistics.median(view):.0f} ms, after {statistics.median(after):.0f} ms "
            f"(of {runs}); target < {VIEW_TARGET_MS:.0f} ms: {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/day_visits_bench/day.db"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    measure(args.db, args.runs)


if __name__ == "__main__":
    main()
