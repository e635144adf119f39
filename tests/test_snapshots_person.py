"""The person record's Registrations table at 80x24 and 120x40 (pytest-textual-snapshot).

A person on three registers, one with a health assessment due as well as its review: at
80 columns the register, status and risk stay readable (they were cut to "AC…" by the
long review line) and the review line wraps within its column.

After an intended change of look: ``pytest tests/test_snapshots_person.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from functools import partial

import pytest
from pilot_helpers import wait_for
from sqlalchemy import text

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _at_noon(monkeypatch):
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "12:00")


def most_registered(engine) -> int:
    """The person with the most registrations (lowest id among equals)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT person_id FROM register_entry GROUP BY person_id "
                "ORDER BY count(*) DESC, person_id LIMIT 1"
            )
        ).scalar_one()


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_person_registrations(snap_compare, demo_settings, small_demo_engine, size):
    person_id = most_registered(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)

    async def loaded(pilot):
        await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        app.open_person(person_id)
        await _wait(
            pilot,
            lambda: app.screen.__class__.__name__ == "PersonScreen" and app.screen.loaded,
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=loaded)
