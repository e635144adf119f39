"""The solver's vacate move, multi-start and budget clock (issue 19 §4: the small demo
week's travel and a figure that does not depend on the machine's load).

Each move is tested on a week where it must improve the plan, and on one where taking it
would break a rule the checker enforces (the move must then not be offered at all).
"""

from __future__ import annotations

import itertools

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.solver import FILL, REPLAN, Scope, solve
from coordinator_tui.services.rota.solver.model import build_model
from coordinator_tui.services.rota.solver.plan import Plan
from coordinator_tui.services.rota.solver.search import vacate
from coordinator_tui.services.rota.validate import RotaState
from tests.test_solver import Week, at, checked


def _plan(week: Week, mode: str = REPLAN, wrong: dict[int, tuple[int, ...]] | None = None):
    snap = week.snapshot()
    model = build_model(snap, Scope(mode=mode))
    plan = Plan(model)
    if wrong:
        move = plan.propose({v: (c, model.jobs[v].start) for v, c in wrong.items()})
        assert move is not None
        plan.commit(move)
    return snap, model, plan


def _hard(snap, plan) -> list[P.Problem]:
    after = {v: plan.carers_on.get(v, ()) for v in snap.visits}
    return [p for p in RotaState(snap, after).problems() if p.is_hard and p.code != P.UNSTAFFED]


def one_carer_two_calls(stranger_first: bool = False) -> Week:
    """One carer, two customers wanting a visit at 08:00: the carer is a regular of
    customer 10 only. Someone must go without; it should be the stranger's call.
    ``stranger_first``: the stranger's call is 99, which the first plan (visits in time
    order, then by id) staffs first, leaving the regular's call empty."""
    week = Week()
    week.carer(1)
    week.customer(10)
    week.customer(11, km=0.5)
    week.known.add((1, 10))
    week.visit(100, 10, 0, 8)
    week.visit(99 if stranger_first else 101, 11, 0, 8)
    return week


class TestVacate:
    def test_the_regulars_call_is_kept_and_the_strangers_left_empty(self):
        snap, model, plan = _plan(one_carer_two_calls(), wrong={101: (1,)})
        move = vacate(plan, model.jobs[100], 1)
        assert move is not None and move.delta < 0  # a stranger (and a new pair) saved
        plan.commit(move)
        assert plan.carers_on[100] == (1,) and plan.carers_on[101] == ()
        assert _hard(snap, plan) == []

    def test_the_search_finds_it_from_the_wrong_first_plan(self):
        snap = one_carer_two_calls(stranger_first=True).snapshot()
        _snap, _model, first = _plan(one_carer_two_calls(stranger_first=True))
        from coordinator_tui.services.rota.solver.search import construct

        construct(first, lambda: False)
        assert first.carers_on[99] == (1,)  # the first plan gives the carer the stranger
        result = solve(snap, Scope(mode=REPLAN), iterations=2000)
        assert result.after[100] == (1,) and not result.after.get(99)
        assert checked(result) == []
        assert [u.visit_id for u in result.checked.unstaffed] == [99]

    def test_not_offered_when_the_carer_could_not_travel_on_in_time(self):
        """Taking the 08:00 call 30 km away would leave 50 minutes to reach the 09:20
        visit (about 90 needed by car): the move is refused, not taken."""
        week = Week()
        week.carer(1)
        week.customer(10, km=30)
        week.customer(11)
        week.customer(12, km=0.2)
        week.known.add((1, 10))
        week.visit(100, 10, 0, 8)
        week.visit(101, 11, 0, 8)
        week.visit(102, 12, 0, 9, 20)
        snap, model, plan = _plan(week, wrong={101: (1,), 102: (1,)})
        assert vacate(plan, model.jobs[100], 1) is None
        assert _hard(snap, plan) == []

    def test_not_offered_over_a_visit_kept_as_it_was(self):
        week = one_carer_two_calls()
        week.assignments[101] = (1,)  # a fill keeps what the checker finds nothing wrong with
        _snap, model, plan = _plan(week, mode=FILL)
        assert vacate(plan, model.jobs[100], 1) is None

    def test_not_offered_for_a_visit_with_no_empty_place_or_a_carer_on_it(self):
        _snap, model, plan = _plan(one_carer_two_calls(), wrong={100: (1,)})
        assert vacate(plan, model.jobs[100], 1) is None
        assert vacate(plan, model.jobs[101], None) is None


def busy_week() -> Week:
    week = Week()
    for carer in range(1, 5):
        week.carer(carer)
    for index in range(8):
        customer = week.customer(10 + index, km=index * 2)
        week.known.add((1 + index % 4, customer))
    for index in range(24):
        week.visit(100 + index, 10 + (index * 3) % 8, index % 3, 8 + index % 6)
    return week


class TestMultiStart:
    def test_more_searches_never_give_a_worse_plan(self):
        """The first of three searches is the single search (same seed, same moves), and
        the best of the three is kept."""
        one = solve(busy_week().snapshot(), Scope(), seconds=30, iterations=1500)
        three = solve(busy_week().snapshot(), Scope(), seconds=30, iterations=4500, restarts=3)
        assert three.plan.total <= one.plan.total + 1e-6
        assert checked(one) == [] and checked(three) == []
        assert three.stats.iterations > one.stats.iterations

    def test_the_same_plan_each_time(self):
        plans = [
            solve(busy_week().snapshot(), Scope(), seconds=30, iterations=1500, restarts=3).after
            for _ in range(2)
        ]
        assert plans[0] == plans[1]


class TestClock:
    def test_the_budget_is_counted_on_the_clock_given(self):
        """A CPU-time budget (``clock=time.process_time``) is read through ``clock``: a
        clock that races ahead ends the search after a few checks, whatever the wall
        time."""
        ticks = itertools.count()
        calls = []

        def clock() -> float:
            calls.append(1)
            return float(next(ticks))

        result = solve(busy_week().snapshot(), Scope(), seconds=3.0, clock=clock)
        assert calls
        assert result.stats.iterations < 64 * 10
        assert checked(result) == []

    def test_start_times_are_left_alone_by_the_clock(self):
        result = solve(one_carer_two_calls().snapshot(), Scope(), seconds=0.2)
        assert result.model.jobs[100].start == at(0, 8)

    def test_a_search_that_stalls_warm_cools_down_before_it_stops(self, monkeypatch):
        """Stopping on a stall while the temperature is still high keeps a plan found
        warm; the search cools down over ``COOL_SECONDS`` first. Same seed, same clock
        (one second a reading, so the stall comes early): the cooled search goes on past
        the point where the warm one stopped and ends no worse."""
        from coordinator_tui.services.rota.solver import search as S

        def run(cool: float) -> S.Search:
            monkeypatch.setattr(S, "COOL_SECONDS", cool)
            _snap, _model, plan = _plan(busy_week())
            S.construct(plan, lambda: False)
            ticks = itertools.count()
            found = S.Search(plan, seed=1)
            found.run(1000.0, lambda: False, clock=lambda: float(next(ticks)))
            return found

        warm, cooled = run(0.0), run(8.0)
        assert warm.iterations < 64 * 200  # it stopped on the stall, far from the deadline
        assert cooled.iterations > warm.iterations + 64 * 4
        assert cooled.best_total <= warm.best_total + 1e-9
