"""A night visit on the carer's-day timeline (issue 21 §1: visits that cross midnight are
first-class everywhere; the day timeline shows the part after midnight).

A visit 22:00-07:00 belongs to the day it starts on (the grid's cell); its day's bar runs
on past midnight to 07:00 "next day", with the whole visit drawn, where it used to stop at
23:00 and show one hour of a nine-hour visit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Visit, VisitAssignment
from coordinator_tui.screens.rota.carer_day import CarerDayScreen, timeline_bar
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.settings import NOW_ENV
from coordinator_tui.widgets.cell_grid import CellGrid

MONDAY = date(2026, 11, 23)  # the demo's Monday (GMT: UK time is UTC)
EVENING = datetime(2026, 11, 23, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """05:00 on the demo's Monday, whatever the real time: nothing is over or missed."""
    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


def add_night_visit(engine) -> tuple[int, int]:
    """The test's own case: a 22:00-07:00 visit on Monday for the first carer whose
    Monday ends by 20:00, to a customer of theirs. Returns (carer id, visit id)."""
    with session_scope(engine, "t") as s:
        rows = s.exec(
            select(VisitAssignment.carer_id, Visit)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.visit_date == MONDAY)
            .order_by(VisitAssignment.carer_id, Visit.start_at)
        ).all()
        by_carer: dict[int, list[Visit]] = {}
        for carer_id, visit in rows:
            by_carer.setdefault(carer_id, []).append(visit)
        carer_id, visits = next(
            (c, v)
            for c, v in by_carer.items()
            if all(
                x.end_at.replace(tzinfo=UTC) <= datetime(2026, 11, 23, 20, tzinfo=UTC) for x in v
            )
        )
        night = Visit(
            customer_id=visits[-1].customer_id,
            visit_date=MONDAY,
            start_at=datetime(2026, 11, 23, 22, 0, tzinfo=UTC),
            end_at=datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
            tasks="night sit",
        )
        s.add(night)
        s.flush()
        s.add(VisitAssignment(visit_id=night.id, carer_id=carer_id, slot=1))
        return carer_id, night.id


async def open_carer_day(pilot, app, carer_id: int) -> CarerDayScreen:
    await pilot.press("5")
    await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
    screen = app.screen
    grid = screen.query_one("#rota-grid", CellGrid)
    grid.focus()
    grid.move_cursor(
        row=[c.id for c in screen.rota.carers].index(carer_id),
        column=screen.rota.days.index(MONDAY) + 1,
    )
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: isinstance(app.screen, CarerDayScreen) and app.screen.detail is not None
    )
    await pilot.pause()
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_night_visit_is_drawn_past_midnight(demo_settings, small_demo_engine, size):
    carer_id, visit_id = add_night_visit(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=size) as pilot:
        day = await open_carer_day(pilot, app, carer_id)
        stop = next(s for s in day.detail.stops if s.visit_id == visit_id)
        assert stop.minutes == 9 * 60  # 22:00 to 07:00 the next day, whole
        line = shown_text(day.query_one("#carer-day-bar"), width=size[0]).rstrip("\n")
        assert line.endswith(" 07 next day")
        hours = line[3 : -len(" 07 next day")]
        # 22:00 to 07:00 is the last 9 of the bar's hours: the blocks run to its end.
        span = len(hours)
        first_hour = int(line[:2])
        night_from = round((22 - first_hour) / (31 - first_hour) * span)
        assert set(hours[night_from + 1 :]) == {"█"}, hours
        # The visit's own row says its times as the customer has them.
        assert "22:00-07:00" in str(day.query_one("#carer-day-stops").get_row(str(visit_id))[1])
    # In the database it is one visit, on its start day, crossing midnight.
    with session_scope(small_demo_engine, "t") as s:
        visit = s.get(Visit, visit_id)
        assert visit.visit_date == MONDAY
        assert visit.end_at - visit.start_at == timedelta(hours=9)


def test_bar_unit():
    """The window: 06-23 for a day's work; from 05 for a visit at 05:30; to 04 "next day"
    for a night visit 23:00-04:00, drawn to the bar's end."""
    from types import SimpleNamespace as S

    def stop(start: datetime, end: datetime):
        return S(start=start, end=end, minutes=int((end - start).total_seconds() // 60))

    day = datetime(2026, 11, 23)
    daytime = S(stops=[stop(day.replace(hour=7), day.replace(hour=8))])
    line = timeline_bar(daytime, 60).plain
    assert line.startswith("06 ") and line.endswith(" 23") and len(line) == 60
    night = S(
        stops=[
            stop(day.replace(hour=5, minute=30), day.replace(hour=6, minute=30)),
            stop(day.replace(hour=23), day + timedelta(hours=28)),
        ]
    )
    line = timeline_bar(night, 60).plain
    assert line.startswith("05 ") and line.endswith("█ 04 next day") and len(line) == 60


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, demo_settings, small_demo_engine, size):
    carer_id, _ = add_night_visit(small_demo_engine)
    app = make_app(demo_settings, small_demo_engine)

    async def opened(pilot):
        await open_carer_day(pilot, app, carer_id)

    assert snap_compare(app, terminal_size=size, run_before=opened)
