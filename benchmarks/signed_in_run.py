"""``python -m benchmarks.signed_in_run DB``: the app started as ``coordinator-tui run --db
DB`` starts it (``launch.open_app``: the cheap checks, then the app opening its own
database), with the demo user signed in from the start as ``coordinator-tui demo`` does.

Since sign-in (issue 17) a plain ``run`` opens on the sign-in screen, so Home never shows
its counts and the start-up benchmark's "ready" variant would wait for ever; signing in
through the screen would time a person typing a password. Nothing is seeded here (``demo``
would first try to seed the database)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from coordinator_tui.launch import open_app

    args = sys.argv[1:] if argv is None else argv
    return open_app(args[0], demo=True)


if __name__ == "__main__":
    sys.exit(main())
