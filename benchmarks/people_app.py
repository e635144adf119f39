"""The real app opened straight on the browsable list of every person, for
``benchmarks.terminal``: ``python -m benchmarks.people_app DB``.

Exactly ``coordinator-tui people --db DB`` (the launcher's fast path: settings, the cheap
pre-flight checks, the app opened on the people list, the database opened in a worker
after the first frame), as ``vd people.csv`` shows its rows. Kept as a module so the
benchmark runs it with the same interpreter as VisiData's comparison.
"""

from __future__ import annotations

import sys

from coordinator_tui.launch import main as launch_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.people_app DB", file=sys.stderr)
        return 2
    launch_main(["people", "--db", args[0]])  # exits with the app's code
    return 0


if __name__ == "__main__":
    sys.exit(main())
