"""The people list read straight from an SQLite file with the stdlib ``sqlite3`` module.

The app opens its database in a worker after the first frame, and importing SQLAlchemy
and the models takes about half a second; a plain text viewer shows a CSV of 100,000
rows in about a third of a second (issue 3 asks the people list to be no slower). So
when the list is opened before the database is ready, its rows come from here: one
read-only connection, the same rows in the same order as ``services.people.people_page``
(family then given name, by the ``search_name`` index). Once the database is open the
list switches to the usual session-backed pages. Read only: nothing here writes.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

from coordinator_tui.services.person_hit import PersonHit

_PAGE = (
    "SELECT id, nhs_number, given_name, family_name, date_of_birth, postcode "
    "FROM person ORDER BY search_name, id LIMIT ? OFFSET ?"
)


class QuickPeople:
    """Every person, in browse order, from a read-only connection to an SQLite file."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()  # pages may be read from a worker and the UI

    @classmethod
    def open(cls, path: Path | None) -> QuickPeople | None:
        """A reader for the SQLite file at ``path``, or None when there is none yet or it
        cannot be read this way (the list then waits for the database to open)."""
        if path is None or not path.is_file():
            return None
        try:
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            connection.execute(_PAGE, (1, 0)).fetchall()  # the table and columns are there
        except sqlite3.Error:
            return None
        return cls(connection)

    def count(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT count(*) FROM person").fetchone()[0])

    def page(self, offset: int, limit: int) -> list[PersonHit]:
        """``limit`` people from ``offset``; an unreadable date of birth fails loudly
        rather than showing a wrong one."""
        with self._lock:
            rows = self._connection.execute(_PAGE, (limit, offset)).fetchall()
        return [
            PersonHit(pid, nhs, given, family, date.fromisoformat(str(born)[:10]), postcode or "")
            for pid, nhs, given, family, born, postcode in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._connection.close()
