"""The real app opened straight on the browsable list of every person, for
``benchmarks.terminal``: ``python -m benchmarks.people_app DB``.

The same start as ``coordinator_tui run --db DB`` (settings, the cheap pre-flight checks,
``make_app``'s app class, the database opened in a worker after the first frame), except
that it opens on the people list (``open_people``, what ``B`` on Registers and the
palette's "Browse all people" do), as ``vd people.csv`` shows its rows.
"""

from __future__ import annotations

import sys

from coordinator_tui.app import CoordinatorApp, _lazy_screen
from coordinator_tui.preflight import preflight
from coordinator_tui.settings import load_settings


class PeopleFirstApp(CoordinatorApp):
    """The coordinator app starting on the people list instead of Home, so that its first
    frame is the list: read with the stdlib ``sqlite3`` module while the database opens
    (as the list does whenever it is opened before then), then from the opened database.
    Home is not built, as a coordinator going straight to the list would not need it."""

    MODES = {**CoordinatorApp.MODES, "people": _lazy_screen("people", "PeopleScreen")}
    DEFAULT_MODE = "people"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.people_app DB", file=sys.stderr)
        return 2
    settings = load_settings(args[0])
    preflight(settings.db)
    app = PeopleFirstApp(settings)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
