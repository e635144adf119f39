"""Issue 23: typing in the queue's ``/`` filter reads the view's search list once, at the
first key, and each further key filters it in memory (no scan of the view per key); a
reload (after a save, F5, a change of view) reads it again, so it is never stale."""

from __future__ import annotations

from pilot_helpers import wait_for
from test_registers_app import app, open_queue, seeded  # noqa: F401 (fixtures)

from coordinator_tui.services import registers as reg


async def test_filter_reads_the_search_list_once_per_view(app, monkeypatch):  # noqa: F811
    reads: list[reg.QueueFilter] = []
    real = reg.queue_search

    def counted(session, today, filters=None):
        reads.append(filters)
        return real(session, today, filters)

    monkeypatch.setattr(reg, "queue_search", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        assert reads == []  # the queue opens without it
        await pilot.press("slash", *"family1")
        wanted = {f"Family1{i}" for i in range(10)}
        await wait_for(
            pilot,
            lambda: (
                screen.counts is not None
                and screen.counts.shown == 10
                and {r.family_name for r in screen.shown_rows} == wanted
            ),
        )
        assert len(reads) == 1  # seven keys, one read of the view
        assert (screen.counts.total, screen.counts.shown) == (25, 10)
        await pilot.press("2")  # "family12": one row, still no read
        await wait_for(pilot, lambda: [r.family_name for r in screen.shown_rows] == ["Family12"])
        assert len(reads) == 1
        await pilot.press("enter", "f5")  # back to the list; a reload reads the view again
        await wait_for(pilot, lambda: len(reads) == 2)
        await wait_for(pilot, lambda: [r.family_name for r in screen.shown_rows] == ["Family12"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(screen.shown_rows) == 25)
