"""The list of every person, against VisiData, at 100,000 and at 1,000,000 rows.

As a program, ``python -m benchmarks.people_app DB`` is the real app opened straight on the
browsable list of every person: exactly ``coordinator-tui people --db DB`` (the launcher's
fast path: settings, the cheap pre-flight checks, the app opened on the people list, the
database opened in a worker after the first frame), as ``vd people.csv`` shows its rows.
Kept as a module so the benchmarks run it with the same interpreter as VisiData.

As a benchmark (``python -m benchmarks --only people``, or ``python -m
benchmarks.people_app --bench [--runs N]``; issue 23 §2 and §4), in tmux as
``benchmarks.terminal`` times it, at two sizes, the app and VisiData alternately:

- ``first_row``: launch to the first row of the list visible (its NHS number);
- ``all_rows``: launch to the whole count known (the app's "People: 1,000,000", VisiData's
  "1000000 rows" once it has parsed the file: VisiData reads every row, the app one page);
- ``end``: once both are loaded and the app is running (``END_IDLE_S`` after the count:
  the app's first frame may be painted before Textual starts), the ``End`` key to the
  last person visible.

The sizes: the large demo (``large.db``: 100,000 people and the one Governance adds), and
``results/people-1m.db``, a copy of it topped up to 1,000,000 people (built once, reused
while its schema is at head). **NHS numbers**: the demo draws valid numbers from the 999
test range, never issued to a real person, which holds only 909,091 of them
(``coordinator_tui.demo.seed.demo_nhs_numbers``: the demo stops with a clear error past
that). The top-up takes every valid 999 number the demo has not used, and for the last
90,909 people (1,000,000 less the range's valid numbers) a 999-range number whose check
digit fails (a stem with no valid number, ending 0): it can be no one's, and the list shows
it as it is. VisiData opens a CSV of the
same rows in the same order (``results/people.csv``, ``results/people-1m.csv``).

Targets: launch to first row 0.8x VisiData or better at both sizes (issue 23 §2); ``end``
flat with the data (the 1,000,000-row figure within 1.5x the 100,000-row one) and no
slower than VisiData's. Not on PostgreSQL: VisiData reads a file.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from coordinator_tui.launch import open_app

MILLION = 1_000_000
FIRST_ROW_RATIO = 0.8
END_FLAT_RATIO = 1.5
LOAD_TIMEOUT_S = 240.0
KEY_TIMEOUT_S = 30.0
END_IDLE_S = 1.5
"""From the whole count shown to ``End`` (was 0.3 s until the early paint)."""
INSERT_CHUNK = 20_000


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--bench":
        from benchmarks.common import standalone_main

        return standalone_main(
            "benchmarks.people_app --bench",
            "Every person in the list against VisiData at 100,000 and 1,000,000 rows.",
            run,
            args[1:],
        )
    if len(args) != 1:
        print("usage: python -m benchmarks.people_app DB | --bench [--runs N]", file=sys.stderr)
        return 2
    # ``coordinator-tui people --db DB`` with the demo user signed in from the start (as
    # ``coordinator-tui demo`` does): since sign-in (issue 17) a plain start shows the
    # sign-in screen, and the first row would never appear.
    return open_app(args[0], start="people", demo=True)


# -- the 1,000,000-row database ---------------------------------------------------------------


def people_numbers(have: set[str], wanted: int) -> tuple[list[str], int]:
    """``wanted`` NHS numbers in the 999 test range, none of them in ``have``: the range's
    valid numbers first (909,091 in all, as ``demo_nhs_numbers`` draws them), then numbers
    whose check digit fails: a stem for which no valid number exists (the modulus 11 check
    gives 10) with 0 appended. No valid number has such a stem, so none of these can be
    anyone's, or a demo's. Returns the numbers and how many of them fail the check."""
    import nhs_number

    from coordinator_tui.demo.seed import DEMO_NHS_SERIALS

    valid: list[str] = []
    failing: list[str] = []
    for serial in DEMO_NHS_SERIALS:
        stem = f"999{serial:06d}"
        check = nhs_number.calculate_checksum(stem)
        if check is not None and check < 10:
            if f"{stem}{check}" not in have:
                valid.append(f"{stem}{check}")
        elif check == 10:
            failing.append(f"{stem}0")
    if len(valid) >= wanted:
        return valid[:wanted], 0
    short = wanted - len(valid)
    if short > len(failing):
        raise ValueError(f"the 999 range cannot hold {wanted:,} more people")
    return valid + failing[:short], short


def build_people_db(source: Path, path: Path, rows: int = MILLION) -> dict[str, Any]:
    """A copy of ``source`` (the large demo) topped up to ``rows`` people, written with the
    demo's own column defaults in chunks; reused while at head revision with ``rows``."""
    from faker import Faker
    from sqlalchemy import func as sql_func
    from sqlalchemy import insert, select

    from benchmarks.common import _checkpoint, console, large_db_status, load_average
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import column_defaults
    from coordinator_tui.models import Person, Practice

    info: dict[str, Any] = {"path": str(path), "rows": rows}
    if large_db_status(path) is None and _people(path) == rows:
        info["built_now"] = False  # the app's own reads touch large.db: its date says little
        return info
    console.print(f"[bold]people[/]: building {path.name}, {source.name} topped up to {rows:,}")
    started, load_before = time.perf_counter(), load_average()
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    _checkpoint(source)
    shutil.copyfile(source, building)
    opened = open_database(str(building), migrate=False)
    try:
        with opened.engine.begin() as conn:
            have = set(conn.scalars(select(Person.nhs_number)))
            practices = list(conn.scalars(select(Practice.id)))
            count = conn.scalar(select(sql_func.count()).select_from(Person)) or 0
            numbers, failing = people_numbers(have, rows - count)
            rnd = random.Random(23)
            fake = Faker("en_GB")
            fake.seed_instance(23)
            given = [fake.first_name() for _ in range(600)]
            family = [fake.last_name() for _ in range(1600)]
            streets = [fake.street_name() for _ in range(1500)]
            now = datetime.now(UTC)
            defaults = column_defaults(Person, now)
            today = date.today()
            batch: list[dict[str, Any]] = []
            for number in numbers:
                surname, first = rnd.choice(family), rnd.choice(given)
                sex = rnd.choice(("Female", "Male"))
                batch.append(
                    {
                        **defaults,
                        "nhs_number": number,
                        "given_name": first,
                        "family_name": surname,
                        "search_name": f"{surname} {first}".lower(),
                        "date_of_birth": today - timedelta(days=rnd.randrange(36_500)),
                        "sex": sex,
                        "gender": "Woman" if sex == "Female" else "Man",
                        "address_line1": f"{rnd.randint(1, 200)} {rnd.choice(streets)}",
                        "town": "Gloucester",
                        "postcode": f"GL{rnd.randint(1, 4)} {rnd.randint(1, 9)}"
                        f"{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                        "practice_id": rnd.choice(practices),
                    }
                )
                if len(batch) >= INSERT_CHUNK:
                    conn.execute(insert(Person), batch)
                    batch = []
            if batch:
                conn.execute(insert(Person), batch)
        total = count + len(numbers)
    finally:
        opened.engine.dispose()
    _checkpoint(building)
    os.replace(building, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    info.update(
        built_now=True,
        build_seconds=round(time.perf_counter() - started, 1),
        people=total,
        failing_check_digit=failing,
        load_average=[load_before, load_average()],
    )
    console.print(
        f"  built in {info['build_seconds']} s: {total:,} people, {failing:,} of them with a "
        "999-range number failing the check digit (the range holds 909,091 valid ones)"
    )
    return info


def _people(db: Path) -> int:
    from benchmarks.common import count_rows
    from coordinator_tui.models import Person

    return count_rows(db, Person)


# -- the comparison in tmux -------------------------------------------------------------------


def _vd() -> Path:
    """VisiData as the ``bench`` extra installs it, run directly, as ``benchmarks.terminal``
    runs it (not pyenv's shim on ``PATH``, which added about 0.1 s to its launch)."""
    from benchmarks.terminal import ensure_visidata

    return ensure_visidata()


def _last_row_nhs(db: Path) -> str:
    """The last person in the list's order (``ORDER BY search_name, id``), as shown."""
    from sqlalchemy import select

    from benchmarks.lists import fmt_nhs
    from coordinator_tui.db import new_session, open_database
    from coordinator_tui.models import Person

    opened = open_database(str(db), migrate=False)
    try:
        session = new_session(opened.engine, "bench")
        try:
            number = session.scalar(
                select(Person.nhs_number)
                .order_by(Person.search_name.desc(), Person.id.desc())
                .limit(1)
            )
        finally:
            session.close()
    finally:
        opened.engine.dispose()
    return fmt_nhs(number or "")


def _round(
    tmux: Any,
    name: str,
    argv: list[str],
    env: dict[str, str],
    first: str,
    loaded: str,
    last: str,
) -> dict[str, float]:
    """One launch: to the first row, to the whole count shown, then ``End`` to the last."""
    from benchmarks.common import REPO_ROOT
    from benchmarks.terminal import LAUNCH_TIMEOUT_S, wait_for_screen

    start = time.perf_counter()
    tmux.new_session(name, argv, env, REPO_ROOT)
    try:
        first_s = wait_for_screen(
            tmux, name, lambda ls: any(first in x for x in ls), start, LAUNCH_TIMEOUT_S, name
        )
        all_s = wait_for_screen(
            tmux, name, lambda ls: any(loaded in x for x in ls), start, LOAD_TIMEOUT_S, name
        )
        # Idle, as a person reading the first screen, long enough for the app to be
        # running: its first frame may be on the terminal before Textual has started (the
        # early paint, issue 23 §2), and a key typed then waits for the app to read it
        # (End 0.3 s after the count measured the rest of the start-up: 0.2-0.46 s at
        # load 9, 2026-12-06). ``END_IDLE_S``.
        time.sleep(END_IDLE_S)
        key = time.perf_counter()
        tmux.cmd(f"send-keys -t {name} End")
        end_s = wait_for_screen(
            tmux, name, lambda ls: any(last in x for x in ls), key, KEY_TIMEOUT_S, f"{name} end"
        )
    finally:
        tmux.kill_session(name)
    return {"first_row": first_s, "all_rows": all_s, "end": end_s}


def compare(tmux: Any, db: Path, csv_path: Path, runs: int, label: str) -> dict[str, Any]:
    """The app and VisiData alternately on the same rows, after one untimed warm-up each."""
    from benchmarks.common import RESULTS_DIR, bench_env, console
    from benchmarks.terminal import export_people_csv

    vd = _vd()
    first, count = export_people_csv(db, csv_path)
    last = _last_row_nhs(db)
    vd_home = Path(tempfile.mkdtemp(prefix="bench-vd-home-"))
    app_argv = [sys.executable, "-m", "benchmarks.people_app", str(db)]
    vd_argv = [str(vd), "-N", str(csv_path)]
    app_env = bench_env()
    vd_env = {k: v for k, v in bench_env().items() if k != "PYTHONPYCACHEPREFIX"}
    vd_env["HOME"] = str(vd_home)  # no ~/.visidatarc, no history in the real home
    vd_env["PYTHONPYCACHEPREFIX"] = str(RESULTS_DIR / "pycache-vd")
    samples: dict[str, dict[str, list[float]]] = {
        "app": {"first_row": [], "all_rows": [], "end": []},
        "visidata": {"first_row": [], "all_rows": [], "end": []},
    }
    console.print(
        f"[bold]people[/] {label}: {count:,} rows (first {first}, last {last}); app and "
        f"VisiData, warm-up then {runs} alternating rounds"
    )
    try:
        for number in range(runs + 1):
            a = _round(
                tmux, f"bench-ppl-app-{label}-{number}", app_argv, app_env, first,
                f"People: {count:,}", last,
            )  # fmt: skip
            v = _round(
                tmux, f"bench-ppl-vd-{label}-{number}", vd_argv, vd_env, first,
                f"{count} rows", last,
            )  # fmt: skip
            if number:
                for key in samples["app"]:
                    samples["app"][key].append(a[key])
                    samples["visidata"][key].append(v[key])
            console.print(
                f"  {'warm-up' if not number else f'round {number}/{runs}'}: app first row "
                f"{a['first_row']:.3f} s, all {a['all_rows']:.3f} s, end "
                f"{a['end'] * 1000:.0f} ms; visidata {v['first_row']:.3f} s, all "
                f"{v['all_rows']:.3f} s, end {v['end'] * 1000:.0f} ms"
            )
    finally:
        shutil.rmtree(vd_home, ignore_errors=True)
    return {"samples": samples, "rows": count, "first": first, "last": last, "vd": str(vd)}


def results_for(measured: dict[str, Any], label: str, end_baseline: float | None) -> list:
    """Result lines for one size; ``end_baseline`` (the app's ``end`` at 100,000) judges
    the 1,000,000-row ``end`` flat."""
    from benchmarks.common import Result

    app, vd = measured["samples"]["app"], measured["samples"]["visidata"]
    rows = measured["rows"]
    med = {k: statistics.median(v) for k, v in app.items()}
    vd_med = {k: statistics.median(v) for k, v in vd.items()}
    end_ok = med["end"] <= vd_med["end"] or med["end"] <= 0.030
    end_target = "<= visidata (or 30 ms)"
    if end_baseline is not None:
        end_ok = end_ok and med["end"] <= END_FLAT_RATIO * end_baseline
        end_target = f"flat (<= {END_FLAT_RATIO}x at 100k)"
    shared = {"rows": rows, "size": label}
    return [
        Result(
            f"people.{label}.visidata.first_row",
            vd["first_row"],
            target="baseline",
            passed=True,
            description=f"VisiData opening the CSV of {rows:,} people: launch to first row",
            extra=shared,
        ),
        Result(
            f"people.{label}.app.first_row",
            app["first_row"],
            target=f"<= {FIRST_ROW_RATIO}x visidata",
            passed=med["first_row"] <= FIRST_ROW_RATIO * vd_med["first_row"],
            baseline_median_s=vd_med["first_row"],
            description=f"the app on its list of {rows:,} people: launch to first row",
            extra=shared,
        ),
        Result(
            f"people.{label}.visidata.all_rows",
            vd["all_rows"],
            target="baseline",
            passed=True,
            description="VisiData: launch to every row parsed (its row count final)",
            extra=shared,
        ),
        Result(
            f"people.{label}.app.all_rows",
            app["all_rows"],
            target="info",
            passed=True,
            baseline_median_s=vd_med["all_rows"],
            description="the app: launch to its count of people shown",
            extra=shared,
        ),
        Result(
            f"people.{label}.visidata.end",
            vd["end"],
            target="baseline",
            passed=True,
            description="VisiData: End to the last row visible, once loaded",
            extra=shared,
        ),
        Result(
            f"people.{label}.app.end",
            app["end"],
            target=end_target,
            passed=end_ok,
            baseline_median_s=vd_med["end"],
            description="the app: End to the last person visible, once loaded",
            extra=shared,
        ),
    ]


def run(db_path: Path, runs: int = 5) -> list:
    """Both sizes: ``db_path`` (the large demo) and its copy topped up to 1,000,000."""
    from benchmarks.common import RESULTS_DIR, BenchmarkError
    from benchmarks.terminal import TmuxControl

    if "://" in str(db_path):
        raise BenchmarkError("people: VisiData reads a file, so this runs on SQLite only")
    db_path = Path(db_path)
    million = RESULTS_DIR / "people-1m.db"
    built = build_people_db(db_path, million)
    tmux = TmuxControl()
    try:
        small = compare(tmux, db_path, RESULTS_DIR / "people.csv", runs, "100k")
        large = compare(tmux, million, RESULTS_DIR / "people-1m.csv", runs, "1m")
    finally:
        tmux.close()
    results = results_for(small, "100k", None)
    results += results_for(large, "1m", statistics.median(small["samples"]["app"]["end"]))
    for result in results:
        if result.extra.get("size") == "1m":
            result.extra["database"] = {
                k: v for k, v in built.items() if k in ("people", "failing_check_digit")
            }
    return results


if __name__ == "__main__":
    sys.exit(main())
