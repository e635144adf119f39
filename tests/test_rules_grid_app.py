"""The working-time rules on the Rota grid, by Pilot: a split day with 11 hours between its
halves shows no hard problem (reg 10), a night across midnight shows on the day it starts
with no problem, a real daily-rest breach is still shown, a split-shift carer under the
reg 22(1)(c) exemption shows compensatory rest accepted, and a week of leave left out of
the 48-hour average (reg 4(6)-(7)) shows the breach it used to hide."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from pilot_helpers import wait_for
from test_rota_app import grid_text, open_rota

from coordinator_tui.app import make_app
from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Absence,
    Carer,
    CarerWeekHours,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.services.rota import problems as P
from coordinator_tui.settings import NOW_ENV

MONDAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


def _visit(s, carer_id: int, day: date, start: tuple[int, int], minutes: int) -> None:
    begin = datetime.combine(day, time(*start), tzinfo=UK)
    visit = Visit(
        customer_id=1,
        visit_date=day,
        start_at=begin,
        end_at=begin + timedelta(minutes=minutes),
        status=VisitStatus.PLANNED,
    )
    s.add(visit)
    s.flush()
    s.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=1))


@pytest.fixture
def week(engine, db_path):
    """Five carers, one customer, the week of Monday 23 November 2026."""
    from coordinator_tui.settings import load_settings

    tue, wed = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    with session_scope(engine, "t") as s:
        s.add(Customer(name="Cath Customer", lat=53.61, lon=-2.16))
        names = ("Ada Split", "Ben Breach", "Eve Exempt", "Lea Leave", "Nia Night")
        carers = [Carer(name=n, date_of_birth=date(1980, 1, 1)) for n in names]
        carers[2].split_shift_exempt = True
        s.add_all(carers)
        s.flush()
        ada, ben, eve, lea, nia = (c.id for c in carers)
        _visit(s, ada, MONDAY, (7, 0), 60)  # a split day: 11 h between its halves
        _visit(s, ada, MONDAY, (19, 0), 180)
        _visit(s, ben, MONDAY, (19, 0), 60)  # 10h59 before a full day: a real breach
        _visit(s, ben, tue, (6, 59), 8 * 60)
        _visit(s, eve, MONDAY, (7, 0), 4 * 60)  # a morning run and an evening run to 22:00
        _visit(s, eve, MONDAY, (16, 0), 6 * 60)
        _visit(s, nia, MONDAY, (22, 0), 6 * 60)  # nights, 22:00 to 04:00
        _visit(s, nia, tue, (22, 0), 6 * 60)
        for day in range(5):  # 10 h a day, a half-hour break: 50 h this week
            _visit(s, lea, MONDAY + timedelta(days=day), (8, 0), 5 * 60)
            _visit(s, lea, MONDAY + timedelta(days=day), (13, 30), 5 * 60)
        last_monday = MONDAY - timedelta(weeks=1)
        for carer_id in (ada, ben, eve, nia):  # all have visited the customer before
            _visit(s, carer_id, MONDAY - timedelta(weeks=3), (10, 0), 30)
        s.add(
            Absence(
                carer_id=lea,
                start_date=last_monday,
                end_date=MONDAY - timedelta(days=1),
                kind="leave",
            )
        )
        for back in range(2, 17):
            start = MONDAY - timedelta(weeks=back)
            s.add(CarerWeekHours(carer_id=lea, week_start=start, hours=50))
        s.add(CarerWeekHours(carer_id=lea, week_start=last_monday, hours=0))
    settings = load_settings(str(db_path))
    settings.today = MONDAY
    return settings, dict(ada=ada, ben=ben, eve=eve, lea=lea, nia=nia), (tue, wed)


async def test_working_time_on_the_grid(engine, week):
    settings, ids, (tue, _wed) = week
    app = make_app(settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rota(pilot, app)
        rota = screen.rota

        def codes(carer: str, day: date | None) -> set[str]:
            """The working-time problems of a cell (everyone here is new to the customer)."""
            return {
                p.code for p in rota.cell_problems(ids[carer], day) if p.code != P.NEW_TO_CUSTOMER
            }

        # The split day: two shifts, nothing hard on the cell (was a daily-rest breach).
        assert not [p for p in rota.cell_problems(ids["ada"], MONDAY) if p.is_hard]
        assert "✖" not in grid_text(screen, ids["ada"], MONDAY)
        # A real breach is still shown, on the day the short rest ends.
        assert P.WTR_DAILY_REST in codes("ben", tue)
        await wait_for(pilot, lambda: "✖" in grid_text(screen, ids["ben"], tue))
        # The exempt split-shift carer: compensatory rest, accepted, instead of a breach.
        shown = rota.cell_problems(ids["eve"], MONDAY)
        assert [p.code for p in shown] == [P.WTR_COMPENSATORY_REST] and shown[0].accepted
        assert "✓" in grid_text(screen, ids["eve"], MONDAY)
        # The night shows on Monday, the day it starts, as one 6-hour shift: no problem.
        assert rota.state.day_visits(ids["nia"], MONDAY)
        assert not codes("nia", MONDAY) and not codes("nia", tue)
        # Last week's annual leave is left out of the 17-week average: 50 h a week is a
        # breach (averaged in as 0 h it was 47.1 h and hidden), shown for the week.
        (average,) = [
            p for p in rota.cell_problems(ids["lea"], None) if p.code == P.WTR_AVERAGE_48H
        ]
        assert "7 day(s) of leave left out" in average.message
