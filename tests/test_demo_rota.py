"""The demo's rota planner (``demo/rota.py``) without a database: the runs leave
the travel the validator will ask for, the staffing keeps carers' rest, and the trouble
added to the demo week is exactly the handful promised."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from coordinator_tui.demo import rota as R
from coordinator_tui.services.rota.travel import TravelTable

TODAY = date(2026, 11, 23)  # a Monday


def people(seed: int = 3) -> tuple[list[R.Client], list[R.Worker], random.Random]:
    """40 customers in two areas (every 13th a double-up) and 18 carers, the first 17."""
    rnd = random.Random(seed)
    clients = [
        R.Client(
            index,
            index % 2,
            53.6 + index % 2 * 0.02 + rnd.gauss(0, 0.005),
            -2.16 + rnd.gauss(0, 0.0075),
            double=index % 13 == 5,
        )
        for index in range(40)
    ]
    workers = [
        R.Worker(
            index,
            "male" if index % 4 == 1 else "female",
            index % 2,
            4 if index == 0 else 5 + index % 2,
            weekends=index % 6 != 0,
            young=index == 0,
        )
        for index in range(18)
    ]
    return clients, workers, rnd


@pytest.fixture(scope="module")
def plan() -> tuple[R.Plan, list[R.Client], list[R.Worker]]:
    clients, workers, rnd = people()
    return R.plan_weeks(rnd, workers, clients, TODAY, 1.2, 2), clients, workers


def table_for(clients: list[R.Client]) -> TravelTable:
    return TravelTable({c.index: (c.lat, c.lon) for c in clients})


def test_runs_leave_the_travel_time_at_their_own_speed(plan):
    result, clients, _ = plan
    table = table_for(clients)
    calls = result.calls
    assert all(call.runs for call in calls)  # every call has a place on a run
    for run in result.runs:
        shift = R.SHIFTS[run.shift]
        for day in range(7):
            today = [calls[k] for k in run.calls if calls[k].weekdays[day] == "1"]
            today.sort(key=lambda c: c.start)
            for before, after in zip(today, today[1:], strict=False):
                gap = after.start - (before.start + before.minutes)
                assert gap >= table.minutes(before.customer, after.customer, run.mode)
            for call in today:
                block = R.BLOCKS[call.block]
                assert call.block in shift.blocks
                assert block.opens <= call.start and call.start + call.minutes <= block.closes


def test_double_ups_sit_on_two_runs_at_one_time(plan):
    result, clients, _ = plan
    doubles = [c for c in result.calls if c.carers == 2]
    assert doubles
    for call in doubles:
        assert len(set(call.runs)) == 2
        assert clients[call.customer].double


def test_staffing_keeps_rest_and_days(plan):
    result, _, workers = plan
    by_id = {run.id: run for run in result.runs}
    for worker in workers:
        days = worker.week
        assert len(days) <= 6  # a day off every week (WTR reg 11)
        for day, run_id in days.items():
            if R.SHIFTS[by_id[run_id].shift].family == "late":
                after = days.get((day + 1) % 7)
                assert after is None or R.SHIFTS[by_id[after].shift].family == "late"
        if not worker.weekends:
            assert not {5, 6} & set(days)
        if worker.young:
            assert all(by_id[run].shift != "late" for run in days.values())


def test_usual_weeks_are_fully_staffed_by_distinct_carers(plan):
    result, _, workers = plan
    last_week = result.weeks[TODAY - timedelta(weeks=1)]
    for visit in last_week:
        assert len(visit.carers) == result.calls[visit.call].carers
        assert len(set(visit.carers)) == len(visit.carers)
    seen: dict[tuple[int, date], list[R.PlannedVisit]] = defaultdict(list)
    for visit in last_week:
        for index in visit.carers:
            seen[(index, visit.day)].append(visit)
    for (index, _), day_visits in seen.items():
        assert workers[index].mode in ("walk", "drive")
        day_visits.sort(key=lambda v: v.start)
        assert all(a.end <= b.start for a, b in zip(day_visits, day_visits[1:], strict=False))


def test_this_week_has_the_promised_trouble_only(plan):
    result, _, _ = plan
    trouble = result.trouble
    assert trouble.sick is not None and trouble.sick[1] >= TODAY
    assert trouble.overlap is not None and trouble.tight is not None
    assert len(trouble.unallocated) == 3
    assert sum(len(v.carers) == 0 for v in result.weeks[TODAY]) == 3
    assert result.lapsed and result.lapsed_on is not None
    assert result.leave is not None and result.leave[1] == TODAY + timedelta(weeks=1)
    # Relief covers the leave: next week is staffed without the carer on leave.
    on_leave, first, last = result.leave
    for visit in result.weeks[first]:
        if first <= visit.day <= last:
            assert on_leave not in visit.carers


def test_same_seed_same_plan():
    def build():
        clients, workers, rnd = people(seed=11)
        result = R.plan_weeks(rnd, workers, clients, TODAY, 1.2, 1)
        return [
            (v.call, v.day, v.start, tuple(v.carers))
            for week in result.weeks.values()
            for v in week
        ]

    assert build() == build()


def test_heavy_share_gives_the_calls_asked_for():
    assert R.heavy_share(0.0) == 0.0
    assert R.heavy_share(10.0) == 1.0
    share = R.heavy_share(1.2)
    mean = share * R._mean_calls(R.HEAVY) + (1 - share) * R._mean_calls(R.LIGHT)
    assert mean == pytest.approx(1.2)


@pytest.mark.parametrize(("hours", "contract"), [(0, 16.0), (16.5, 20.0), (37.5, 37.5), (99, 45.0)])
def test_contract_for(hours, contract):
    assert R.contract_for(hours) == contract
