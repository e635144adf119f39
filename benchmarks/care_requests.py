"""``python -m benchmarks.care_requests [--db PATH] [--runs N]``: "Can we take it?" (issue 18
§4) on the large demo: a package of 4 visits a day (08:00, 12:30, 17:00, 21:00, 30 minutes)
over the 7 days from next Monday and from a Wednesday (two weeks read), for customers spread
over the demo, with the rota as it stands. Target: under 1 s.

Run by hand, not by pytest. Nothing is written (the question reads only).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

from benchmarks.common import Result, console, standalone_main

TARGET_S = 1.0
TIMES = (clock(8), clock(12, 30), clock(17), clock(21))


def run(db_path: Path, runs: int) -> list[Result]:
    from sqlalchemy import func, select

    from coordinator_tui.db import new_session, open_database
    from coordinator_tui.models import Customer, Visit
    from coordinator_tui.services.care.requests import RequestSpec, can_we_take_it

    opened = open_database(str(db_path))
    session = new_session(opened.engine, "bench")
    try:
        last = session.execute(select(func.max(Visit.visit_date))).scalar_one()
        monday = last - timedelta(days=last.weekday())  # the last planned week's Monday
        starts: list[date] = [monday, monday + timedelta(days=2)]
        customers = list(session.execute(select(Customer.id).order_by(Customer.id)).scalars())
        picked = customers[:: max(len(customers) // max(runs, 1), 1)][:runs]
        console.print(
            f"[bold]care_requests[/]: 4 visits a day for 7 days, {len(picked)} customers, "
            f"from {starts[0]:%a %d %b} and {starts[1]:%a %d %b} ({db_path})"
        )
        samples: dict[date, list[float]] = {start: [] for start in starts}
        covered: list[str] = []
        can_we_take_it(session, RequestSpec(picked[0], starts[0], TIMES))  # warm imports
        for customer_id in picked:
            for start in starts:
                began = time.perf_counter()
                answer = can_we_take_it(session, RequestSpec(customer_id, start, TIMES))
                samples[start].append(time.perf_counter() - began)
                covered.append(answer.summary())
    finally:
        session.close()
        opened.engine.dispose()
    results = []
    for start, values in samples.items():
        label = "one week" if start.weekday() == 0 else "two weeks"
        results.append(
            Result(
                f"care.can_we_take_it.{start:%a}".lower(),
                values,
                target=f"< {TARGET_S:.0f} s",
                passed=statistics.median(values) < TARGET_S,
                description=f"28 visits ranked from {start:%A} ({label} read)",
                extra={"answers": covered[:4]},
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    return standalone_main(
        "benchmarks.care_requests",
        "'Can we take it?': 4 visits a day over 7 days on the large demo.",
        run,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
