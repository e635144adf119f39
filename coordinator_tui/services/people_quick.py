"""The people list read straight from an SQLite file with the stdlib ``sqlite3`` module.

The app opens its database in a worker after the first frame, and importing SQLAlchemy
and the models takes about half a second; a plain text viewer shows a CSV of 100,000
rows in about a third of a second (issue 3 asks the people list to be no slower). So
when the list is opened before the database is ready, its rows come from here: one
read-only connection, the same rows in the same order and by the same keys as
``services.people.people_by_key`` (family then given name, by the ``search_name`` index,
read on from a key, never by OFFSET but for a jump). Once the database is open the list
switches to the usual session-backed pages. Read only: nothing here writes.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

from coordinator_tui.services.person_hit import PersonHit

_COLUMNS = "id, nhs_number, given_name, family_name, date_of_birth, postcode, search_name"
_FORWARD = f"SELECT {_COLUMNS} FROM person{{where}} ORDER BY search_name, id LIMIT ? OFFSET ?"
_BACKWARD = (
    f"SELECT {_COLUMNS} FROM person{{where}} ORDER BY search_name DESC, id DESC LIMIT ? OFFSET ?"
)
_PAGE = _FORWARD.format(where="")

PersonKey = tuple[str, int]
"""``(search_name, id)``: as ``services.people.PersonKey`` (not imported: SQLAlchemy)."""


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
        """``limit`` people from position ``offset``."""
        return [hit for _key, hit in self.by_key(None, offset=offset, limit=limit)]

    def by_key(
        self, key: PersonKey | None, *, backward: bool = False, offset: int = 0, limit: int = 100
    ) -> list[tuple[PersonKey, PersonHit]]:
        """As ``services.people.people_by_key`` with no filter: after ``key`` (before it,
        ``backward``; from the top or the bottom when None), ``offset`` rows on. An
        unreadable date of birth fails loudly rather than showing a wrong one."""
        where, params = "", ()
        if key is not None:
            where, params = f" WHERE (search_name, id) {'<' if backward else '>'} (?, ?)", key
        sql = (_BACKWARD if backward else _FORWARD).format(where=where)
        with self._lock:
            rows = self._connection.execute(sql, (*params, limit, offset)).fetchall()
        if backward:
            rows.reverse()
        return [
            (
                (name, pid),
                PersonHit(
                    pid, nhs, given, family, date.fromisoformat(str(born)[:10]), postcode or ""
                ),
            )
            for pid, nhs, given, family, born, postcode, name in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._connection.close()
