"""The real app opened straight on the browsable list of every person, for
``benchmarks.terminal``: ``python -m benchmarks.people_app DB``.

Exactly ``coordinator-tui people --db DB`` (the launcher's fast path: settings, the cheap
pre-flight checks, the app opened on the people list, the database opened in a worker
after the first frame), as ``vd people.csv`` shows its rows. Kept as a module so the
benchmark runs it with the same interpreter as VisiData's comparison.
"""

from __future__ import annotations

import sys

from coordinator_tui.launch import open_app


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.people_app DB", file=sys.stderr)
        return 2
    # ``coordinator-tui people --db DB`` with the demo user signed in from the start (as
    # ``coordinator-tui demo`` does): since sign-in (issue 17) a plain start shows the
    # sign-in screen, and the first row would never appear.
    return open_app(args[0], start="people", demo=True)


if __name__ == "__main__":
    sys.exit(main())
