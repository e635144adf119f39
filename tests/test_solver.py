"""The rota solver on small weeks built by hand (issue 19 section 1).

Every result is run through the checker: the only hard problem allowed is a place nobody
can take (UNSTAFFED), and then the solver must say why. Weeks are built as snapshots, as
``load_week`` makes them, so the checker and the solver read exactly what they would from
the database.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.clock import UK
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    SCustomer,
    SVisit,
    WeekSnapshot,
    epoch_minutes,
)
from coordinator_tui.services.rota.solver import (
    FILL,
    REPAIR,
    REPLAN,
    Scope,
    Weights,
    explain,
    make_proposal,
    solve,
)
from coordinator_tui.services.rota.solver.weights import SolverSettingsError, load_weights
from coordinator_tui.services.rota.validate import RotaState

MONDAY = date(2027, 3, 1)  # no clock change in the week
SECONDS = 0.5


def at(day: int, hour: int, minute: int = 0) -> int:
    """Epoch minutes of UK wall-clock ``hour:minute`` on the week's day ``day`` (0 Monday)."""
    moment = datetime.combine(MONDAY + timedelta(days=day), datetime.min.time(), tzinfo=UK)
    return epoch_minutes(moment + timedelta(hours=hour, minutes=minute))


class Week:
    """A week built visit by visit: customers on a line 1 km apart (about 3 minutes by
    car between neighbours)."""

    def __init__(self) -> None:
        self.carers: dict[int, SCarer] = {}
        self.customers: dict[int, SCustomer] = {}
        self.visits: dict[int, SVisit] = {}
        self.assignments: dict[int, tuple[int, ...]] = {}
        self.known: set[tuple[int, int]] = set()

    def carer(self, carer_id: int, **values) -> int:
        self.carers[carer_id] = SCarer(carer_id, name=f"Carer {carer_id}", **values)
        return carer_id

    def customer(self, customer_id: int, km: float = 0.0, **values) -> int:
        self.customers[customer_id] = SCustomer(
            customer_id, name=f"Customer {customer_id}", lat=53.6, lon=-2.15 + km / 66.0, **values
        )
        return customer_id

    def visit(
        self,
        visit_id: int,
        customer: int,
        day: int,
        hour: int,
        minute: int = 0,
        length: int = 30,
        *,
        carers: tuple[int, ...] = (),
        required: int = 1,
        skills: tuple[str, ...] = (),
    ) -> int:
        start = at(day, hour, minute)
        self.visits[visit_id] = SVisit(
            visit_id,
            customer,
            MONDAY + timedelta(days=day),
            start,
            start + length,
            hour * 60 + minute,
            required,
            tuple(sorted(skills)),
        )
        if carers:
            self.assignments[visit_id] = carers
        return visit_id

    def snapshot(self) -> WeekSnapshot:
        return WeekSnapshot(
            monday=MONDAY,
            carers=dict(self.carers),
            customers=dict(self.customers),
            visits=dict(self.visits),
            assignments=dict(self.assignments),
            known_pairs=frozenset(self.known),
        )


def checked(result) -> list[P.Problem]:
    """The checker's hard problems on the solver's plan, other than empty places."""
    state = RotaState(result.checked.snap, result.after)
    return [p for p in state.problems() if p.is_hard and p.code != P.UNSTAFFED]


def run(week: Week, mode: str = REPLAN, **options):
    seconds = options.pop("seconds", SECONDS)
    scope = Scope(mode=mode, **{k: v for k, v in options.items() if k in ("day", "now", "days")})
    extra = {k: v for k, v in options.items() if k not in ("day", "now", "days")}
    result = solve(week.snapshot(), scope, seconds=seconds, **extra)
    assert checked(result) == []
    return result


class TestFill:
    def test_every_visit_staffed_with_no_hard_problem(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        for index in range(6):
            week.customer(10 + index, km=index)
        for index in range(6):
            week.visit(100 + index, 10 + index, index % 3, 8 + index)
        result = run(week)
        assert all(len(result.after[v]) == 1 for v in week.visits)
        assert result.checked.unstaffed == []

    def test_kept_assignments_stay_and_only_empty_places_fill(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        week.customer(11, km=2)
        week.visit(100, 10, 0, 8, carers=(2,))
        week.visit(101, 11, 0, 8)
        result = run(week, FILL)
        assert result.after[100] == (2,)
        assert result.after[101] == (1,)
        proposal = make_proposal(result)
        assert [(c.visit_id, c.kind) for c in proposal.changes] == [(101, "new")]
        assert proposal.changed_places == 0 and proposal.filled_places == 1

    def test_a_day_only(self):
        week = Week()
        week.carer(1)
        week.customer(10)
        week.visit(100, 10, 0, 8)
        week.visit(101, 10, 1, 8)
        result = run(week, FILL, day=MONDAY + timedelta(days=1))
        assert result.after[100] == () and result.after[101] == (1,)


class TestDoubleUps:
    def test_two_different_carers_at_the_same_time(self):
        week = Week()
        for carer_id in (1, 2, 3):
            week.carer(carer_id)
        week.customer(10)
        week.visit(100, 10, 0, 9, required=2)
        result = run(week)
        carers = result.after[100]
        assert len(carers) == 2 and len(set(carers)) == 2

    def test_one_carer_is_half_a_double_up_with_the_reason(self):
        week = Week()
        week.carer(1)
        week.customer(10)
        week.visit(100, 10, 0, 9, required=2)
        result = run(week)
        assert result.after[100] == (1,)
        (left,) = result.checked.unstaffed
        assert left.visit_id == 100 and left.short == 1

    def test_double_up_partners_are_both_free_at_that_time(self):
        week = Week()
        for carer_id in (1, 2, 3):
            week.carer(carer_id)
        week.customer(10)
        week.customer(11, km=20)  # 40 minutes away by car
        week.visit(100, 10, 0, 9, required=2)
        week.visit(101, 11, 0, 9, 40)  # the travel from the double-up does not fit
        result = run(week)
        assert len(set(result.after[100])) == 2
        assert len(result.after[101]) == 1
        assert not set(result.after[100]) & set(result.after[101])


class TestSkills:
    def test_an_expired_skill_is_not_used(self):
        week = Week()
        day = MONDAY + timedelta(days=2)
        week.carer(1, skills={"MED": day})  # expires on the day: not valid that day
        week.carer(2, skills={"MED": day + timedelta(days=1)})
        week.customer(10)
        week.visit(100, 10, 2, 9, skills=("MED",))
        result = run(week)
        assert result.after[100] == (2,)

    def test_nobody_with_the_skill_is_listed_with_the_reason(self):
        week = Week()
        week.carer(1, skills={"MED": MONDAY})
        week.carer(2)
        week.customer(10)
        week.visit(100, 10, 2, 9, skills=("MED",))
        result = run(week)
        (left,) = result.checked.unstaffed
        assert dict(left.reasons) == {"Required skill expired": 1, "Required skill missing": 1}
        assert "required skill expired" in left.reason


class TestAvailability:
    def test_absent_and_unavailable_carers_are_not_used(self):
        week = Week()
        week.carer(1, absent_days=frozenset({MONDAY}))
        week.carer(2, availability={0: ((12 * 60, 18 * 60),)})  # afternoons only
        week.carer(3)
        week.customer(10)
        week.visit(100, 10, 0, 9)
        result = run(week)
        assert result.after[100] == (3,)

    def test_an_excluded_carer_never_visits(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10, excluded=frozenset({1}))
        week.known.add((1, 10))  # a regular, yet excluded
        week.visit(100, 10, 0, 9)
        result = run(week)
        assert result.after[100] == (2,)


class TestWorkingTime:
    def test_daily_rest_after_a_late_visit(self):
        """WTR reg 10: working 21:30 Monday to 11:30 Tuesday with 9 hours off between
        leaves no 11 hours' rest in the 24 hours from 21:30."""
        week = Week()
        week.carer(1)
        week.customer(10)
        week.visit(100, 10, 0, 21, 30, carers=(1,))
        week.visit(101, 10, 1, 7)
        week.visit(102, 10, 1, 11, carers=(1,))
        result = run(week, FILL)
        assert result.after[101] == ()
        (left,) = result.checked.unstaffed
        assert "WTR: daily rest" in dict(left.reasons)

    def test_daily_rest_chooses_another_carer(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        week.visit(100, 10, 0, 21, 30)
        week.visit(101, 10, 1, 7)
        week.visit(102, 10, 1, 11)
        result = run(week)  # asserts the checker finds no hard problem in the plan
        # One carer may take both when the checker's daily-rest reading allows it (rest
        # within the 24 hours from each start, issue 21 §1); two carers always may. The
        # solver's choice between them depends on its time limit, so only the checker's
        # verdict is asserted (it failed once in CI, asserting one of the two).
        assert all(result.after[v] for v in (100, 101, 102))

    def test_a_young_worker_keeps_to_eight_hours_a_shift(self):
        """WTR reg 5A: an under-18 works 8 hours a shift at most."""
        week = Week()
        week.carer(1, date_of_birth=MONDAY - timedelta(days=17 * 365))
        week.carer(2)
        week.customer(10)
        for hour in range(8, 18):
            week.visit(100 + hour, 10, 0, hour, length=55)
        result = run(week)
        young = [v for v, c in result.after.items() if 1 in c]
        assert sum(week.visits[v].minutes for v in young) <= 8 * 60

    def test_travel_between_visits_fits(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        week.customer(11, km=30)  # an hour away
        week.visit(100, 10, 0, 9)
        week.visit(101, 11, 0, 9, 45)
        result = run(week)
        assert result.after[100] != result.after[101]

    def test_weekly_rest_is_kept(self):
        """WTR reg 11: 24 hours' rest in the week; a carer on every day cannot have it."""
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        for day in range(7):
            week.visit(100 + day, 10, day, 12)
        result = run(week)
        assert {c for v in week.visits for c in result.after[v]} == {1, 2}


class TestContinuity:
    def test_a_regular_carer_first(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        week.known.add((2, 10))
        week.visit(100, 10, 0, 9)
        result = run(week)
        assert result.after[100] == (2,)

    def test_explain_names_the_parts_against_the_next_best(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.carer(3, absent_days=frozenset({MONDAY}))
        week.customer(10)
        week.known.add((2, 10))
        week.visit(100, 10, 0, 9)
        result = run(week)
        found = explain(result, 100, 2)
        assert found.chosen.carer_id == 2 and found.chosen.feasible
        assert [o.carer_id for o in found.others] == [1, 3]
        assert found.others[0].parts["continuity"] > found.chosen.parts["continuity"]
        assert not found.others[1].feasible and found.others[1].why_not == "Carer absent"


class TestRepair:
    def test_an_absence_is_covered_with_few_changes(self):
        week = Week()
        week.carer(1, absent_days=frozenset({MONDAY}))
        week.carer(2)
        week.carer(3)
        for index in range(4):
            week.customer(10 + index, km=index)
        week.visit(100, 10, 0, 8, carers=(1,))
        week.visit(101, 11, 0, 10, carers=(2,))
        week.visit(102, 12, 0, 12, carers=(3,))
        week.visit(103, 13, 1, 9, carers=(1,))
        result = run(week, REPAIR)
        assert 1 not in result.after[100]
        assert result.after[101] == (2,) and result.after[102] == (3,)
        assert result.after[103] == (1,)  # not the absent day: untouched
        proposal = make_proposal(result)
        assert proposal.changed_places == 1
        assert proposal.after.hard == 0

    def test_visits_already_started_are_kept_as_they_are(self):
        week = Week()
        week.carer(1, absent_days=frozenset({MONDAY}))
        week.carer(2)
        week.customer(10)
        week.visit(100, 10, 0, 8, carers=(1,))
        week.visit(101, 10, 0, 12, carers=(1,))
        result = solve(week.snapshot(), Scope(mode=REPAIR, now=at(0, 9)), seconds=SECONDS)
        assert result.after[100] == (1,)  # started: a record now, not a plan
        assert result.after[101] == (2,)
        assert [p.visit_ids for p in result.checked.left] == [(100,)]


class TestRunning:
    def test_stopping_keeps_the_plan_found_so_far(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        for index in range(8):
            week.customer(10 + index, km=index)
            week.visit(100 + index, 10 + index, index % 4, 8 + index)
        stop = threading.Event()
        seen: list[str] = []

        def progress(report) -> None:
            seen.append(report.phase)
            if report.phase == "first plan":
                stop.set()

        result = run(week, seconds=30, stop=stop, progress=progress)
        assert result.stats.stopped and result.stats.seconds < 10
        assert seen[0] == "model" and seen[-1] == "done"
        assert all(len(result.after[v]) == 1 for v in week.visits)

    def test_the_callers_snapshot_is_left_alone(self):
        week = Week()
        week.carer(1)
        week.customer(10)
        week.visit(100, 10, 0, 9)
        snap = week.snapshot()
        solve(snap, Scope(mode=REPLAN), seconds=0.1)
        assert snap.assignments == {}

    def test_moves_within_the_template_window(self):
        week = Week()
        week.carer(1)
        week.customer(10)
        week.customer(11, km=1)
        week.visit(100, 10, 0, 9, carers=(1,))
        week.visit(101, 11, 0, 9, 10)  # clashes at its time; its window runs to 10:30
        result = solve(
            week.snapshot(),
            Scope(mode=FILL),
            windows={101: (at(0, 9, 10), at(0, 10, 30))},
            seconds=SECONDS,
        )
        assert checked(result) == []
        assert result.after[101] == (1,)
        moved = result.checked.starts[101]
        assert at(0, 9, 33) <= moved <= at(0, 10, 30)
        change = make_proposal(result).changes[0]
        assert change.start == moved and change.start_before == at(0, 9, 10)


class TestWeights:
    def test_settings_table_overrides_weights(self, tmp_path):
        path = tmp_path / "settings.toml"
        path.write_text("[solver]\ncontinuity = 150\ntravel = 2\n", encoding="utf-8")
        weights = load_weights(path)
        assert weights.continuity == 150 and weights.travel == 2 and weights.gender == 30

    @pytest.mark.parametrize(
        "text", ["[solver]\nspeed = 1\n", "[solver]\ntravel = -1\n", "[solver]\ntravel = 'x'\n"]
    )
    def test_bad_weights_are_one_line(self, tmp_path, text):
        path = tmp_path / "settings.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SolverSettingsError):
            load_weights(path)

    def test_weights_change_the_choice(self):
        week = Week()
        week.carer(1)
        week.carer(2)
        week.customer(10)
        week.known.add((2, 10))
        week.visit(100, 10, 0, 9)
        result = solve(
            week.snapshot(),
            Scope(mode=REPLAN),
            Weights(continuity=0.0, under_contract=0.0),
            seconds=0.2,
        )
        assert checked(result) == []
        assert result.after[100] in ((1,), (2,))


# -- any week ---------------------------------------------------------------------------------


@st.composite
def weeks(draw) -> Week:
    """Small weeks of every shape: double-ups, skills expiring, absences, young workers,
    availability windows, excluded carers, visits late and early, some already staffed."""
    week = Week()
    carers = draw(st.integers(1, 4))
    for carer_id in range(1, carers + 1):
        values: dict = {}
        if draw(st.booleans()):
            values["skills"] = {"MED": MONDAY + timedelta(days=draw(st.integers(-1, 8)))}
        if draw(st.booleans()):
            values["absent_days"] = frozenset({MONDAY + timedelta(days=draw(st.integers(0, 6)))})
        if draw(st.integers(0, 4)) == 0:
            values["date_of_birth"] = MONDAY - timedelta(days=17 * 365)
        if draw(st.booleans()):
            low = draw(st.integers(6, 14)) * 60
            values["availability"] = {day: ((low, low + 8 * 60),) for day in range(7)}
        if draw(st.booleans()):
            values["contracted_minutes"] = draw(st.integers(1, 30)) * 60
        values["transport_mode"] = draw(st.sampled_from(("drive", "walk")))
        week.carer(carer_id, **values)
    customers = draw(st.integers(1, 5))
    for index in range(customers):
        excluded = frozenset({draw(st.integers(1, carers))}) if draw(st.booleans()) else frozenset()
        week.customer(10 + index, km=draw(st.floats(0, 8)), excluded=excluded)
        if draw(st.booleans()):
            week.known.add((draw(st.integers(1, carers)), 10 + index))
    for visit_id in range(100, 100 + draw(st.integers(1, 14))):
        required = draw(st.sampled_from((1, 1, 1, 2)))
        on = ()
        if draw(st.integers(0, 3)) == 0:
            on = (draw(st.integers(1, carers)),)
        week.visit(
            visit_id,
            10 + draw(st.integers(0, customers - 1)),
            draw(st.integers(0, 6)),
            draw(st.integers(5, 22)),
            draw(st.sampled_from((0, 15, 30, 45))),
            draw(st.sampled_from((15, 30, 45, 60, 120))),
            carers=on,
            required=required,
            skills=("MED",) if draw(st.integers(0, 3)) == 0 else (),
        )
    return week


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks(), st.sampled_from((FILL, REPAIR, REPLAN)))
def test_any_week_solves_with_no_hard_problem_but_empty_places(week, mode):
    result = solve(week.snapshot(), Scope(mode=mode), seconds=0.05)
    assert checked(result) == []  # a hard problem in the solver's plan is a bug
    placed = {(c, v) for v, carers in result.plan.carers_on.items() for c in carers}
    for problem in result.checked.left:  # left: only in what it had to keep
        assert not any((problem.carer_id, v) in placed for v in problem.visit_ids)
    for item in result.checked.unstaffed:
        assert item.reasons, "a place left empty says why"
    for carers in result.after.values():
        assert len(set(carers)) == len(carers)


def test_epoch_helper_is_utc():
    assert at(0, 0) == epoch_minutes(datetime(2027, 3, 1, tzinfo=UTC))


def test_incremental_reading_of_a_week_matches_a_full_one():
    """Moves read only the days they touch; the totals must agree with reading the
    whole week again (travel, hours, strangers, weekly rest)."""
    import random

    from coordinator_tui.services.rota.solver.model import build_model
    from coordinator_tui.services.rota.solver.plan import Plan
    from coordinator_tui.services.rota.solver.search import Search, construct

    week = Week()
    for carer_id in range(1, 5):
        week.carer(carer_id, contracted_minutes=600)
    for index in range(6):
        week.customer(10 + index, km=index * 1.5)
        week.known.add((1 + index % 4, 10 + index))
    rnd = random.Random(3)
    for visit_id in range(100, 160):
        week.visit(
            visit_id,
            10 + rnd.randrange(6),
            rnd.randrange(7),
            rnd.randrange(7, 21),
            rnd.choice((0, 30)),
            required=rnd.choice((1, 1, 2)),
        )
    plan = Plan(build_model(week.snapshot(), Scope(mode=REPLAN)))
    construct(plan, lambda: False)
    search = Search(plan, seed=5)
    moves = (search._relocate, search._swap, search._tail, search._chain)
    for _ in range(400):
        move = rnd.choice(moves)()
        if move is not None:
            plan.commit(move)
        for carer_id, stops in plan.stops.items():
            cost, work = plan.evaluate(carer_id, stops)
            assert abs(plan.carer_cost[carer_id] - cost) < 1e-6
            assert plan.carer_work[carer_id] == work
    total = sum(plan.carer_cost.values()) + sum(plan.job_cost.values())
    assert abs(plan.total - total) < 1e-6


class TestContinuityMoves:
    """The moves that keep a customer's regular carers (issue 19: continuity first)."""

    def crossed(self):
        """Two carers each on the other's customers at the same hours: no single move
        gives a place back to its regular (each regular is busy then)."""
        from coordinator_tui.services.rota.solver.model import build_model
        from coordinator_tui.services.rota.solver.plan import Plan

        week = Week()
        week.carer(1)
        week.carer(2)
        for index, regular in enumerate((1, 2, 1, 2)):
            customer = week.customer(10 + index, km=index * 0.5)
            week.known.add((regular, customer))
        week.visit(100, 10, 0, 8)
        week.visit(101, 11, 0, 8)
        week.visit(102, 12, 0, 9)
        week.visit(103, 13, 0, 9)
        snap = week.snapshot()
        model = build_model(snap, Scope(mode=REPLAN))
        plan = Plan(model)
        wrong = {100: (2,), 102: (2,), 101: (1,), 103: (1,)}
        move = plan.propose({v: (c, model.jobs[v].start) for v, c in wrong.items()})
        assert move is not None
        plan.commit(move)
        return snap, model, plan

    def strangers(self, model, plan) -> int:
        return sum(
            1
            for v, carers in plan.carers_on.items()
            for c in carers
            if c not in model.regulars[model.jobs[v].customer_id]
        )

    def test_the_usual_carer_pass_gives_places_back_to_regulars(self):
        from coordinator_tui.services.rota.solver.search import usual_carer_pass

        snap, model, plan = self.crossed()
        assert self.strangers(model, plan) == 4
        before = plan.total
        assert usual_carer_pass(plan, lambda: False) >= 1
        assert self.strangers(model, plan) == 0
        assert plan.total < before
        after = {v: plan.carers_on[v] for v in snap.visits}
        hard = [p for p in RotaState(snap, after).problems() if p.is_hard]
        assert hard == []

    def test_a_segment_swap_exchanges_a_stretch_of_two_days(self):
        from coordinator_tui.services.rota.solver.search import segment_swap

        _snap, model, plan = self.crossed()
        move = segment_swap(plan, 1, 2, at(0, 8), at(0, 10), model.jobs[100])
        assert move is not None and move.delta < 0
        plan.commit(move)
        assert self.strangers(model, plan) == 0

    def test_only_the_visits_in_scope_change(self):
        week = Week()
        week.carer(1, absent_days=frozenset({MONDAY}))
        week.carer(2)
        week.customer(10)
        week.visit(100, 10, 0, 8, carers=(1,))
        week.visit(101, 10, 0, 12, carers=(1,))
        result = solve(
            week.snapshot(), Scope(mode=REPAIR, visits=frozenset({101})), seconds=SECONDS
        )
        assert result.after[100] == (1,)  # out of scope: left, its problem reported
        assert result.after[101] == (2,)
        assert [p.visit_ids for p in result.checked.left] == [(100,)]

    def test_a_search_bounded_by_moves_gives_the_same_plan_each_time(self):
        week = Week()
        for carer in range(1, 5):
            week.carer(carer)
        for index in range(6):
            week.customer(10 + index, km=index)
        for index in range(12):
            week.visit(100 + index, 10 + index % 6, index % 3, 8 + index % 5)
        plans = [
            solve(week.snapshot(), Scope(), seconds=30, iterations=3000).after for _ in range(2)
        ]
        assert plans[0] == plans[1]
