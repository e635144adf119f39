"""``benchmarks.startup`` times Home's counts to their bytes on the terminal (issue 23 §3
and §4: spawn to what the user sees, not to the process's exit)."""

from __future__ import annotations

import sys

from benchmarks.common import bench_env
from benchmarks.startup import READY_MARKER, run_in_pty


def test_the_counts_marker_is_timed_when_it_reaches_the_terminal():
    script = (
        "import sys, time\n"
        "sys.stdout.write('\\x1b[1mRegister reviews overdue    \\x1b[0m\\x1b[1m  …\\n')\n"
        "sys.stdout.flush(); time.sleep(0.3)\n"
        "sys.stdout.write('Register reviews overdue    \\x1b[1;31m 1,293\\x1b[0m\\n')\n"
        "sys.stdout.flush(); time.sleep(0.3)\n"
    )
    run = run_in_pty([sys.executable, "-c", script], bench_env(), marker=READY_MARKER)
    assert run.returncode == 0
    assert run.marker_s is not None and run.first_output_s is not None
    assert run.first_output_s + 0.2 <= run.marker_s <= run.elapsed_s - 0.2


def test_no_marker_no_time():
    run = run_in_pty([sys.executable, "-c", "print('Register reviews overdue  …')"], bench_env())
    assert run.marker_s is None
