"""The look of the Rota grid, a carer's day, and Plan B with its call list, at 80x24 and
120x40 (pytest-textual-snapshot).

The app is pinned to the demo's date (``DEMO_TODAY``) on a private copy of the small demo, as
in ``test_snapshots.py``. After an intended change of look:
``pytest tests/test_snapshots_rota.py --snapshot-update``, then review the SVGs under
``tests/__snapshots__/test_snapshots_rota/``.
"""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """05:00 on the demo's Monday: what is over or missed does not depend on the hour the
    snapshots are taken."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


async def _open_rota(pilot, app) -> None:
    await pilot.press("5")
    await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
    await pilot.pause()


class TestRota:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_grid(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _open_rota(pilot, app)

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_carer_day(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            await _open_rota(pilot, app)
            # The first carer working on Monday (today): carers have days off.
            rota = app.screen.rota
            monday = rota.days[0]
            row = next(i for i, c in enumerate(rota.carers) if rota.state.day_visits(c.id, monday))
            await pilot.press(*["down"] * row)
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.screen, "detail", None) is not None)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_plan_b_call_list(self, snap_compare, demo_settings, small_demo_engine, size):
        """A carer off sick on Tuesday, Plan B applied to all: the call list, Plan C."""
        app = make_app(demo_settings, small_demo_engine)

        async def covered(pilot):
            await _open_rota(pilot, app)
            from coordinator_tui.services.rota.assign import rank_carers

            rota = app.screen.rota

            def plan_c(carer_id: int, day) -> int:  # visits nobody else could take
                return sum(
                    1
                    for v in rota.state.day_visits(carer_id, day)
                    if not any(c.feasible for c in rank_carers(rota.state, v, replacing=carer_id))
                )

            # The first carer and day (from Tuesday) with visits covered and some Plan C;
            # else the busiest carer of Tuesday.
            found = next(
                (
                    (row, column)
                    for column in range(2, 5)
                    for row, carer in enumerate(rota.carers)
                    if 0
                    < plan_c(carer.id, rota.days[column - 1])
                    < len(rota.state.day_visits(carer.id, rota.days[column - 1]))
                ),
                None,
            )
            if found is None:
                tuesday = rota.days[1]
                busiest = max(
                    range(len(rota.carers)),
                    key=lambda i: len(rota.state.day_visits(rota.carers[i].id, tuesday)),
                )
                found = (busiest, 2)
            row, column = found
            await pilot.press(*["down"] * row, *["right"] * (column - 1))
            await pilot.press("b")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "FormDialog")
            await pilot.press("ctrl+s")
            await wait_for(
                pilot, lambda: getattr(app.screen, "loaded", False) and hasattr(app.screen, "calls")
            )
            plan = app.screen
            await pilot.press("A")
            await wait_for(pilot, lambda: not plan.busy and not plan.plan.items, timeout=20)
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=covered)
