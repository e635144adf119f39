"""Encryption at rest on the large demo (issue 17 §5): the lists and the start-up on the
SQLCipher copy against the plain database, in the same run, run alternately.

Target (§5): each figure on the encrypted database within 15% of the plain one
(``ratio <= 1.15``), and a wrong password refused in under 1 s.

* ``encryption.lists.*``: ``benchmarks.lists.app_run`` (in process, 120x40, the frame with
  the rows painted) on the plain engine and on the encrypted engine, alternately, one
  fresh app each: Home to the review queue, ``pagedown``, ``end``, a person opened, a
  filter key, Referrals opened cold.
* ``encryption.startup.ready``: spawn to Home's counts in a pty (``benchmarks.startup``'s
  ``ready`` variant, the demo user signed in) on each file, alternately. The encrypted
  child is handed the data key (``--key-hex``: a synthetic demo's key, benchmark only) so
  the figure is SQLCipher's cost alone; the one Argon2id unwrap a sign-in adds is timed
  apart as ``encryption.unlock`` (a plain sign-in's password check is an Argon2id hash too).
* ``encryption.wrong_password``: ``keyslots.unlock`` with a wrong password, refused
  (target: under 1 s).

The encrypted copy (``<large>-encrypted.db`` and its ``.keys``) is made once from the large
demo with an administrator added, and reused while it is newer than the demo and in
today's cipher settings (``keyslots.CIPHER_SETTINGS``: HMAC-SHA256 pages). The date, the
load averages before and after, both engines' SQLite versions and the cipher settings
are in each result's ``extra`` and printed under the table.

Where the time goes (measured 6 Dec 2026): the plain database is read by Python's own
SQLite (3.40 here) and the encrypted one by the SQLite inside SQLCipher (3.51), whose
query planner treats some statements differently (the review queue's ``end`` page: an
uncorrelated EXISTS is made a per-row join, and without ``ANALYZE`` statistics it picks
``ix_register_entry_queue`` over ``ix_register_entry_keyset``), so a ratio here is
SQLCipher's engine and its cipher together. The cipher alone (the same file through
SQLCipher's engine, keyed and not) costs only for pages read into a connection's cache:
about 2.6 us a 4 KiB page with HMAC-SHA512, 0.4 us with HMAC-SHA256.

Standalone: ``python -m benchmarks.encryption [--runs N] [--db PATH]``, or
``python -m benchmarks --only encryption``.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import BenchmarkError, Result, bench_env, console, load_average

TARGET_RATIO = 1.15
WRONG_PASSWORD_TARGET_S = 1.0
ADMIN = "bench.admin"
PASSWORD = "bench lantern meadow"  # a synthetic demo's administrator, benchmark only
KEY_ENV = "COORDINATOR_TUI_BENCH_KEY_HEX"


def encrypted_copy(large_db: Path) -> Path:
    """The large demo, encrypted by ``db encrypt``'s code with ``ADMIN``'s slot (made once;
    remade when the demo is newer)."""
    from coordinator_tui import keyslots
    from coordinator_tui.db import encrypt_sqlite, open_database, session_scope
    from coordinator_tui.models.accounts import Account
    from coordinator_tui.services import accounts

    target = large_db.with_name(f"{large_db.stem}-encrypted.db")
    keys = keyslots.keys_path(target)
    if (
        target.exists()
        and keys.exists()
        and keyslots.is_encrypted(target)
        and target.stat().st_mtime > large_db.stat().st_mtime
        and keyslots.read_keys(target).cipher == keyslots.CIPHER_SETTINGS
    ):
        return target
    console.print(f"[bold]encryption[/]: making {target} from {large_db}")
    for stale in (target, keys):
        stale.unlink(missing_ok=True)
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{large_db}?mode=ro", uri=True)
    dst = sqlite3.connect(building)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    opened = open_database(str(building), migrate=False)
    try:
        with session_scope(opened.engine, "bench-setup") as s:
            account_id = accounts.create_account(
                s, ADMIN, "Bench Admin", PASSWORD, ["administrator"], datetime.now(UTC)
            )
            s.get(Account, account_id).must_change_password = False
    finally:
        opened.engine.dispose()
    building.rename(target)
    encrypt_sqlite(target, ADMIN, PASSWORD, keep_plain=False)
    keyslots.forget(target)
    return target


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


async def _lists(plain: Path, encrypted: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    from benchmarks.lists import APP_TIMINGS, app_run, bench_settings_env, demo_date
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings

    today = demo_date(plain)  # the same demo: the encrypted copy's date is the plain one's
    engines: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for name, path in (("plain", plain), ("encrypted", encrypted)):
        with bench_settings_env():
            settings[name] = load_settings(str(path))
        settings[name].today = today
        settings[name].prepare_sections = False
        engines[name] = open_database(str(path), migrate=False).engine
    timings: dict[str, dict[str, list[float]]] = {"plain": {}, "encrypted": {}}
    keys = APP_TIMINGS
    try:
        for name in engines:  # warm-up: file cache, byte code, SQLCipher's page cache
            await app_run(settings[name], engines[name], {k: [] for k in keys}, {})
            timings[name] = {k: [] for k in keys}
        for number in range(1, runs + 1):
            order = ("plain", "encrypted") if number % 2 else ("encrypted", "plain")
            for name in order:
                await app_run(settings[name], engines[name], timings[name], {})
            console.print(
                f"  lists run {number}/{runs}: queue plain "
                f"{timings['plain']['queue_open'][-1] * 1000:.1f} ms, encrypted "
                f"{timings['encrypted']['queue_open'][-1] * 1000:.1f} ms"
            )
    finally:
        for engine in engines.values():
            engine.dispose()
    return timings


def _startup(plain: Path, encrypted: Path, key: bytes, runs: int) -> dict[str, list[float]]:
    from benchmarks.startup import BENCH_EXIT_ENV, MIN_OUTPUT_BYTES, run_in_pty

    cmd = [sys.executable, "-m", "benchmarks.encryption", "--child"]
    env = bench_env(**{BENCH_EXIT_ENV: "ready"})
    variants = {
        "plain": ([*cmd, str(plain)], env),
        "encrypted": ([*cmd, str(encrypted)], {**env, KEY_ENV: key.hex()}),
    }
    samples: dict[str, list[float]] = {"plain": [], "encrypted": []}
    for number in range(runs + 1):  # round 0: warm-up
        for name, (command, environment) in variants.items():
            run = run_in_pty(command, environment)
            if run.returncode != 0 or run.output_bytes < MIN_OUTPUT_BYTES:
                raise BenchmarkError(
                    f"encryption.startup {name}: exit {run.returncode}, "
                    f"{run.output_bytes} bytes. Last output: {run.readable_tail()!r}"
                )
            if number:
                samples[name].append(run.elapsed_s)
        if number:
            console.print(
                f"  start-up round {number}/{runs}: plain {samples['plain'][-1]:.3f} s, "
                f"encrypted {samples['encrypted'][-1]:.3f} s"
            )
    return samples


def _unlock_times(encrypted: Path, runs: int) -> tuple[list[float], list[float], bytes]:
    """Right and wrong password: each a fresh ``keyslots.unlock`` (Argon2id unwrap)."""
    from coordinator_tui import keyslots

    right: list[float] = []
    wrong: list[float] = []
    key = b""
    for _ in range(runs):
        keyslots.forget(encrypted)
        start = time.perf_counter()
        key = keyslots.unlock(encrypted, ADMIN, PASSWORD)
        right.append(time.perf_counter() - start)
        keyslots.forget(encrypted)
        start = time.perf_counter()
        try:
            keyslots.unlock(encrypted, ADMIN, PASSWORD + " wrong")
        except keyslots.EncryptionError:
            wrong.append(time.perf_counter() - start)
        else:
            raise BenchmarkError("a wrong password opened the encrypted database")
    keyslots.remember(encrypted, key)
    return right, wrong, key


def run(large_db: Path, runs: int = 7) -> list[Result]:
    """Measure the encrypted copy of ``large_db`` against ``large_db`` itself."""
    from coordinator_tui import keyslots

    try:
        keyslots.cipher_module()
    except keyslots.EncryptionUnavailable as exc:
        raise BenchmarkError(f"encryption: {exc}") from None
    load_before = load_average()
    encrypted = encrypted_copy(large_db)
    right, wrong, key = _unlock_times(encrypted, runs)
    try:
        lists = asyncio.run(_lists(large_db, encrypted, runs))
    finally:
        keyslots.forget(encrypted)
    startup = _startup(large_db, encrypted, key, runs)
    load_after = load_average()
    extra = {
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "load_before": load_before,
        "load_after": load_after,
        "encrypted_db": str(encrypted),
        "cipher_settings": keyslots.read_keys(encrypted).cipher,
        "sqlite_plain": sqlite3.sqlite_version,
        "sqlite_encrypted": keyslots.cipher_module().sqlite_version,
    }
    target = f"<= {TARGET_RATIO}x plain"
    results: list[Result] = []

    def compare(name: str, plain_s: list[float], encrypted_s: list[float], what: str) -> None:
        results.append(
            Result(
                f"encryption.{name}.plain",
                plain_s,
                target="baseline",
                passed=True,
                description=f"{what}, plain large demo",
                extra=extra,
            )
        )
        ratio = _median(encrypted_s) / _median(plain_s)
        results.append(
            Result(
                f"encryption.{name}",
                encrypted_s,
                target=target,
                passed=ratio <= TARGET_RATIO,
                baseline_median_s=_median(plain_s),
                description=f"{what}, SQLCipher copy of the large demo",
                extra=extra,
            )
        )

    for key_name, what in (
        ("queue_open", "Home to the review queue painted with rows"),
        ("page_down", "pagedown in the queue to the row painted"),
        ("queue_end", "end in the queue to the last entry painted"),
        ("person_open", "a person's record opened and painted"),
        ("filter_key", "one filter keystroke to the filtered rows"),
        ("referrals_open", "Referrals opened cold, rows painted"),
    ):
        compare(f"lists.{key_name}", lists["plain"][key_name], lists["encrypted"][key_name], what)
    compare("startup.ready", startup["plain"], startup["encrypted"], "spawn to Home's counts (pty)")
    results.append(
        Result(
            "encryption.unlock",
            right,
            target="info: once per sign-in",
            passed=True,
            description="the data key unwrapped with the right password (Argon2id)",
            extra=extra,
        )
    )
    results.append(
        Result(
            "encryption.wrong_password",
            wrong,
            target=f"< {WRONG_PASSWORD_TARGET_S:.0f} s",
            passed=max(wrong) < WRONG_PASSWORD_TARGET_S,
            description="a wrong password refused (Argon2id, then the slot fails to open)",
            extra=extra,
        )
    )
    return results


def _child(db: str) -> int:
    """The start-up child: the app on ``db`` with the demo user signed in, an encrypted
    file's key taken from ``KEY_ENV`` (as a sign-in would have left it in memory)."""
    import os

    key_hex = os.environ.pop(KEY_ENV, "")
    if key_hex:
        from coordinator_tui import keyslots

        keyslots.remember(Path(db), bytes.fromhex(key_hex))
    from benchmarks.signed_in_run import main as signed_in_main

    return signed_in_main([db])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.encryption")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--child", metavar="DB", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child)
    from benchmarks.common import LARGE_DB, ensure_large_db

    db = args.db
    if db is None:
        ensure_large_db()
        db = LARGE_DB
    results = run(db.resolve(), args.runs)
    for result in results:
        ratio = f" {result.ratio:.2f}x" if result.ratio else ""
        verdict = "ok" if result.passed else "MISSED"
        print(
            f"{result.name:38} median {result.median_s * 1000:8.1f} ms{ratio:8} "
            f"{result.target:24} {verdict}"
        )
    extra = results[0].extra
    print(
        f"{extra['date']} load average before {extra['load_before']}, after "
        f"{extra['load_after']}; SQLite {extra['sqlite_plain']} (plain), "
        f"{extra['sqlite_encrypted']} (SQLCipher); cipher {extra['cipher_settings']}"
    )
    return 0 if all(r.passed for r in results) else 3


if __name__ == "__main__":
    sys.exit(main())
