"""The rota rules, table-driven on hand-built week snapshots (no database).

The helpers here (``visit``, ``carer``, ``customer``, ``week``, ``found``) build the cases of
every rules test; the Working Time Regulations have their own file,
``test_rules_working_time.py``, each case citing its regulation. Boundaries are exact: a
limit is broken only when exceeded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

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
from coordinator_tui.services.rota.timeline import summarise
from coordinator_tui.services.rota.travel import (
    TravelConfig,
    haversine_km,
    travel_minutes,
)
from coordinator_tui.services.rota.validate import RotaState, validate_week

MONDAY = date(2026, 11, 23)  # GMT all week
ADULT_DOB = date(1980, 5, 1)
YOUNG_DOB = date(2009, 6, 1)  # 17 in November 2026
HOME = (53.6136, -2.1610)
NORTH = (53.6236, -2.1610)  # about 1.1 km north of HOME


def at(day: int, hour: int, minute: int = 0, monday: date = MONDAY) -> int:
    """Epoch minutes of a UK wall-clock time ``day`` days after ``monday``."""
    moment = datetime.combine(monday + timedelta(days=day), time(hour, minute), tzinfo=UK)
    return epoch_minutes(moment)


def visit(
    vid: int,
    day: int,
    start: tuple[int, int],
    minutes: int,
    *,
    customer: int = 1,
    skills: tuple[str, ...] = (),
    required: int = 1,
    monday: date = MONDAY,
) -> SVisit:
    begin = at(day, *start, monday=monday)
    return SVisit(
        vid,
        customer,
        monday + timedelta(days=day),
        begin,
        begin + minutes,
        start[0] * 60 + start[1],
        required,
        skills,
    )


def carer(cid: int = 1, **values) -> SCarer:
    values.setdefault("name", f"Carer {cid}")
    values.setdefault("gender", "female")
    values.setdefault("date_of_birth", ADULT_DOB)
    return SCarer(cid, **values)


def customer(cid: int = 1, place: tuple[float, float] = HOME, **values) -> SCustomer:
    values.setdefault("name", f"Customer {cid}")
    return SCustomer(cid, lat=place[0], lon=place[1], **values)


def week(
    visits: list[SVisit],
    assignments: dict[int, tuple[int, ...]] | None = None,
    *,
    carers: list[SCarer] | None = None,
    customers: list[SCustomer] | None = None,
    monday: date = MONDAY,
    **values,
) -> WeekSnapshot:
    carers = carers or [carer()]
    customers = customers or [customer()]
    if assignments is None:
        assignments = {v.id: (carers[0].id,) for v in visits}
    return WeekSnapshot(
        monday=monday,
        carers={c.id: c for c in carers},
        customers={c.id: c for c in customers},
        visits={v.id: v for v in visits},
        assignments=assignments,
        **values,
    )


def codes(snapshot: WeekSnapshot) -> list[str]:
    return [p.code for p in validate_week(snapshot)]


def found(snapshot: WeekSnapshot, code: str) -> list[P.Problem]:
    return [p for p in validate_week(snapshot) if p.code == code]


# -- travel ----------------------------------------------------------------------------------


def test_haversine_one_hundredth_of_a_degree_of_latitude():
    assert haversine_km(*HOME, *NORTH) == pytest.approx(1.112, abs=0.002)


@pytest.mark.parametrize(
    ("mode", "config", "expected"),
    [
        ("drive", TravelConfig(), 3),  # 1.112 km x 1.3 at 30 km/h = 2.9 min
        ("walk", TravelConfig(), 19),  # ... at 4.8 km/h = 18.1 min
        ("drive", TravelConfig(road_factor=1.0, speeds_kmh={"drive": 60.0}), 2),
        ("bicycle", TravelConfig(), 3),  # unknown mode: the default mode's speed
        ("drive", TravelConfig(minimum_minutes=5), 5),
    ],
)
def test_travel_minutes(mode, config, expected):
    assert travel_minutes(*HOME, *NORTH, mode, config) == expected


def test_same_place_costs_nothing():
    assert travel_minutes(*HOME, *HOME, "walk") == 0


# -- hard rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_start", "problem"),
    [((9, 30), True), ((9, 59), True), ((10, 0), False), ((10, 30), False)],
)
def test_overlap(second_start, problem):
    snap = week([visit(1, 0, (9, 0), 60), visit(2, 0, second_start, 60)])
    overlaps = found(snap, P.OVERLAP)
    assert bool(overlaps) is problem
    if problem:
        assert overlaps[0].visit_ids == (1, 2) and overlaps[0].severity == P.HARD


@pytest.mark.parametrize(
    ("mode", "gap", "problem"),
    [("drive", 3, False), ("drive", 2, True), ("walk", 19, False), ("walk", 18, True)],
)
def test_travel_time_between_visits(mode, gap, problem):
    snap = week(
        [visit(1, 0, (9, 0), 60), visit(2, 0, (10, gap), 30, customer=2)],
        carers=[carer(transport_mode=mode)],
        customers=[customer(1, HOME), customer(2, NORTH)],
    )
    assert bool(found(snap, P.TRAVEL_TIME)) is problem


@pytest.mark.parametrize(
    ("held", "code"),
    [
        ({}, P.SKILL_MISSING),
        ({"MED": MONDAY}, P.SKILL_EXPIRED),  # expires on the visit day: no longer valid
        ({"MED": MONDAY - timedelta(days=30)}, P.SKILL_EXPIRED),
        ({"MED": MONDAY + timedelta(days=1)}, None),
        ({"MED": None}, None),  # does not expire
    ],
)
def test_required_skill(held, code):
    snap = week([visit(1, 0, (9, 0), 30, skills=("MED",))], carers=[carer(skills=held)])
    skill = [c for c in codes(snap) if c.startswith("SKILL")]
    assert skill == ([code] if code else [])


def test_double_up_needs_two_different_carers():
    snap = week([visit(1, 0, (9, 0), 30, required=2)], {1: (1, 1)})
    hard = {p.code for p in validate_week(snap) if p.is_hard}
    assert hard == {P.DOUBLE_UP_SAME_CARER, P.UNSTAFFED}  # one carer twice is one carer


@pytest.mark.parametrize(("carers", "short"), [((), True), ((1,), True), ((1, 2), False)])
def test_visit_short_of_carers(carers, short):
    snap = week([visit(1, 0, (9, 0), 30, required=2)], {1: carers}, carers=[carer(1), carer(2)])
    assert bool(found(snap, P.UNSTAFFED)) is short


def test_absent_carer():
    snap = week(
        [visit(1, 0, (9, 0), 30), visit(2, 1, (9, 0), 30)],
        carers=[carer(absent_days=frozenset({MONDAY}))],
    )
    assert [p.visit_ids for p in found(snap, P.ABSENT)] == [(1,)]


@pytest.mark.parametrize(
    ("availability", "start", "problem"),
    [
        ({}, (9, 0), False),  # no pattern recorded: always available
        ({0: ((7 * 60, 10 * 60),)}, (9, 0), False),  # 09:00-10:00 inside 07:00-10:00
        ({0: ((7 * 60, 10 * 60),)}, (9, 1), True),  # ends 10:01
        ({0: ((7 * 60, 10 * 60),)}, (6, 59), True),
        ({1: ((7 * 60, 22 * 60),)}, (9, 0), True),  # a pattern, but not on Mondays
        ({0: ((7 * 60, 8 * 60), (9 * 60, 12 * 60))}, (9, 0), False),  # second window
    ],
)
def test_availability(availability, start, problem):
    snap = week([visit(1, 0, start, 60)], carers=[carer(availability=availability)])
    assert bool(found(snap, P.UNAVAILABLE)) is problem


def test_inactive_carer_is_unavailable():
    snap = week([visit(1, 0, (9, 0), 60)], carers=[carer(active=False)])
    assert found(snap, P.UNAVAILABLE)


def test_excluded_carer():
    snap = week([visit(1, 0, (9, 0), 30)], customers=[customer(excluded=frozenset({1}))])
    assert [p.code for p in validate_week(snap) if p.is_hard] == [P.EXCLUDED]


# -- Working Time Regulations: tests/test_rules_working_time.py --------------------------------


# -- soft rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "gender", "problem"),
    [
        ("", "male", False),
        ("female", "female", False),
        ("Female", "female", False),
        ("female", "male", True),
    ],
)
def test_preferred_gender(wanted, gender, problem):
    snap = week(
        [visit(1, 0, (9, 0), 30)],
        carers=[carer(gender=gender)],
        customers=[customer(preferred_gender=wanted)],
    )
    problems = found(snap, P.PREFERRED_GENDER)
    assert bool(problems) is problem
    assert all(p.severity == P.SOFT for p in problems)


@pytest.mark.parametrize(
    ("preferred", "carers", "problem"),
    [
        (frozenset(), (1,), False),
        (frozenset({1}), (1,), False),
        (frozenset({2}), (1,), True),
        (frozenset({2}), (1, 2), False),  # a double-up with one preferred carer
    ],
)
def test_preferred_carers(preferred, carers, problem):
    snap = week(
        [visit(1, 0, (9, 0), 30, required=len(carers))],
        {1: carers},
        carers=[carer(1), carer(2)],
        customers=[customer(preferred=preferred)],
    )
    assert bool(found(snap, P.PREFERRED_CARER)) is problem


def test_new_to_customer_only_first_visit_and_only_if_not_seen_before():
    visits = [visit(1, 0, (9, 0), 30), visit(2, 1, (9, 0), 30)]
    assert [p.visit_ids for p in found(week(visits), P.NEW_TO_CUSTOMER)] == [(1,)]
    assert not found(week(visits, known_pairs=frozenset({(1, 1)})), P.NEW_TO_CUSTOMER)
    # A carer the customer asked for is one of their regulars, visited before or not.
    asked_for = week(visits, customers=[customer(preferred=frozenset({1}))])
    assert not found(asked_for, P.NEW_TO_CUSTOMER)


@pytest.mark.parametrize(("carers", "problem"), [((1,), True), ((1, 2), False)])
def test_lone_working_risk(carers, problem):
    snap = week(
        [visit(1, 0, (9, 0), 30, required=len(carers))],
        {1: carers},
        carers=[carer(1), carer(2)],
        customers=[customer(lone_working_risk=True)],
    )
    assert bool(found(snap, P.LONE_WORKING)) is problem


@pytest.mark.parametrize(("contract", "problem"), [(0, False), (120, False), (119, True)])
def test_hours_over_contract(contract, problem):
    snap = week(
        [visit(1, 0, (9, 0), 60), visit(2, 1, (9, 0), 60)],
        carers=[carer(contracted_minutes=contract)],
    )
    assert bool(found(snap, P.OVER_CONTRACT)) is problem


def test_accepted_soft_problem_is_marked():
    snap = week(
        [visit(1, 0, (9, 0), 30)],
        carers=[carer(gender="male")],
        customers=[customer(preferred_gender="female")],
        acceptances=frozenset({(P.PREFERRED_GENDER, 1, 1)}),
    )
    (problem,) = found(snap, P.PREFERRED_GENDER)
    assert problem.accepted


def test_a_clean_rota_has_no_problems():
    snap = week(
        [visit(1, 0, (9, 0), 30), visit(2, 0, (12, 0), 30, customer=2)],
        carers=[carer(skills={"MED": None})],
        customers=[customer(1, HOME), customer(2, NORTH)],
        known_pairs=frozenset({(1, 1), (1, 2)}),
    )
    assert validate_week(snap) == []


# -- incremental re-check ----------------------------------------------------------------------


def test_recheck_after_one_change_matches_full_validation():
    visits = [visit(1, 0, (9, 0), 60), visit(2, 0, (9, 30), 60), visit(3, 1, (6, 0), 30)]
    snap = week(visits, {1: (1,)}, carers=[carer(1), carer(2)])
    state = RotaState(snap)
    recheck = state.set_carers(2, (1,))
    assert {p.code for p in recheck.added_hard} == {P.OVERLAP}
    recheck = state.set_carers(3, (1,))
    assert P.WTR_DAILY_REST not in {p.code for p in recheck.added}  # different day order
    assert state.problems() == RotaState(snap, state.carers_of).problems()
    recheck = state.set_carers(2, (2,))
    assert P.OVERLAP in {p.code for p in recheck.removed}
    assert state.problems() == RotaState(snap, state.carers_of).problems()


def test_what_if_leaves_the_state_unchanged():
    snap = week([visit(1, 0, (9, 0), 60), visit(2, 0, (9, 30), 60)], {1: (1,)})
    state = RotaState(snap)
    before = state.problems()
    assert {p.code for p in state.what_if({2: (1,)}).added_hard} == {P.OVERLAP}
    assert state.problems() == before and state.carers_of == {1: (1,)}


# -- property: random rotas never crash the validator, and what it reports is true -----------

CODES = ("MED", "HOIST")


@st.composite
def random_week(draw):
    carers = [
        carer(
            cid,
            date_of_birth=draw(st.sampled_from((ADULT_DOB, YOUNG_DOB, None))),
            transport_mode=draw(st.sampled_from(("walk", "drive", "horse"))),
            skills={
                code: draw(st.sampled_from((None, MONDAY, MONDAY + timedelta(days=3))))
                for code in draw(st.sets(st.sampled_from(CODES)))
            },
            absent_days=frozenset(
                MONDAY + timedelta(days=d) for d in draw(st.sets(st.integers(0, 6), max_size=2))
            ),
            availability=draw(st.sampled_from(({}, {d: ((7 * 60, 22 * 60),) for d in range(5)}))),
            contracted_minutes=draw(st.sampled_from((0, 600))),
            wtr_opt_out=draw(st.booleans()),
            split_shift_exempt=draw(st.booleans()),
            night_worker=draw(st.sampled_from((None, True, False))),
            special_hazards=draw(st.booleans()),
            young_night_contract=draw(st.booleans()),
        )
        for cid in (1, 2, 3)
    ]
    customers = [
        customer(
            cid,
            (HOME[0] + draw(st.floats(-0.05, 0.05)), HOME[1] + draw(st.floats(-0.05, 0.05))),
            preferred=frozenset(draw(st.sets(st.sampled_from((1, 2, 3)), max_size=1))),
            excluded=frozenset(draw(st.sets(st.sampled_from((1, 2, 3)), max_size=1))),
            preferred_gender=draw(st.sampled_from(("", "female", "male"))),
            lone_working_risk=draw(st.booleans()),
        )
        for cid in (1, 2, 3, 4)
    ]
    visits = []
    assignments = {}
    for vid in range(1, draw(st.integers(0, 25)) + 1):
        start = draw(st.integers(0, 24 * 60 - 1))
        visits.append(
            visit(
                vid,
                draw(st.integers(0, 6)),
                divmod(start, 60),
                draw(st.integers(1, 12 * 60)),
                customer=draw(st.integers(1, 4)),
                skills=tuple(sorted(draw(st.sets(st.sampled_from(CODES))))),
                required=draw(st.integers(1, 2)),
            )
        )
        assignments[vid] = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    history = {1: tuple(draw(st.lists(st.one_of(st.none(), st.integers(0, 4000)), max_size=16)))}
    snap = week(visits, assignments, carers=carers, customers=customers, history=history)
    changes = draw(
        st.lists(
            st.tuples(st.integers(1, max(len(visits), 1)), st.lists(st.integers(1, 3), max_size=2)),
            max_size=6,
        )
    )
    return snap, [(vid, tuple(c)) for vid, c in changes if vid in snap.visits]


def _carer_visits(snap, carers_of, carer_id):
    return [snap.visits[v] for v, cs in carers_of.items() if carer_id in cs]


def _busy_minutes(snap, carers_of, c, rest: int) -> list[int]:
    """Every working minute of the carer: visits, and the travel after each visit to the
    next one when the gap between them is under the daily rest (the carer goes home else)."""
    mine = sorted(_carer_visits(snap, carers_of, c.id), key=lambda v: (v.start, v.id))
    busy: set[int] = set()
    end, place = None, None
    for v in mine:
        if end is not None and 0 <= v.start - end < rest and place != v.customer_id:
            ca, cb = snap.customers[place], snap.customers[v.customer_id]
            need = travel_minutes(ca.lat, ca.lon, cb.lat, cb.lon, c.transport_mode, snap.travel)
            busy.update(range(end, end + min(need, v.start - end)))
        busy.update(range(v.start, v.end))
        if end is None or v.end > end:
            end, place = v.end, v.customer_id
    return sorted(busy)


def _longest_free(busy: list[int], start: int, end: int) -> int:
    """The longest run of minutes in ``start``..``end`` not in ``busy``."""
    taken = [m for m in busy if start <= m < end]
    edges = [start - 1, *taken, end]
    return max(b - a - 1 for a, b in zip(edges, edges[1:], strict=False))


def _shift_minutes(busy: list[int], rest: int):
    """(working minutes, longest free run inside) of each run of work split at ``rest``."""
    runs: list[list[int]] = []
    for minute in busy:
        if runs and minute - runs[-1][-1] - 1 < rest:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    for run in runs:
        gaps = [b - a - 1 for a, b in zip(run, run[1:], strict=False)]
        yield run, max(gaps, default=0)


def _confirm(snap: WeekSnapshot, carers_of: dict, problem: P.Problem) -> None:
    """A slow, obviously correct check that a reported problem is real."""
    visits = [snap.visits[v] for v in problem.visit_ids]
    c = snap.carers.get(problem.carer_id)
    if problem.carer_id is not None:
        assert all(problem.carer_id in carers_of.get(v.id, ()) for v in visits)
    code = problem.code
    if code == P.OVERLAP:
        a, b = visits
        assert a.start < b.end and b.start < a.end
    elif code == P.TRAVEL_TIME:
        a, b = visits
        ca, cb = snap.customers[a.customer_id], snap.customers[b.customer_id]
        need = (
            0
            if a.customer_id == b.customer_id
            else travel_minutes(ca.lat, ca.lon, cb.lat, cb.lon, c.transport_mode, snap.travel)
        )
        assert a.end <= b.start and b.start - a.end < need
    elif code == P.SKILL_MISSING:
        assert any(s not in c.skills for s in visits[0].skills)
    elif code == P.SKILL_EXPIRED:
        assert any(
            c.skills.get(s) is not None and c.skills[s] <= visits[0].day for s in visits[0].skills
        )
    elif code == P.DOUBLE_UP_SAME_CARER:
        assert len(set(carers_of[visits[0].id])) < len(carers_of[visits[0].id])
    elif code == P.UNSTAFFED:
        assert len(set(carers_of.get(visits[0].id, ()))) < visits[0].carers_required
    elif code == P.ABSENT:
        assert visits[0].day in c.absent_days
    elif code == P.EXCLUDED:
        assert c.id in snap.customers[visits[0].customer_id].excluded
    elif code == P.UNAVAILABLE:
        v = visits[0]
        windows = c.availability.get(v.day.weekday(), ())
        local_end = v.local_start + v.minutes
        assert not c.active or not any(
            lo <= v.local_start and local_end <= hi for lo, hi in windows
        )
    elif code == P.WTR_DAILY_REST:
        # Some visit starts a 24 hours whose longest free run, minute by minute, is short.
        needed = 12 * 60 if c.is_young_on(problem.day) else 11 * 60
        busy = _busy_minutes(snap, carers_of, c, needed)
        assert any(
            _longest_free(busy, v.start, v.start + 24 * 60) < needed
            for v in _carer_visits(snap, carers_of, c.id)
        )
    elif code == P.WTR_BREAK:
        # A run of work (gaps under the daily rest) from the problem's day over the limit,
        # minute by minute with travel, with no free run as long as a break.
        young = c.is_young_on(problem.day)
        busy = _busy_minutes(snap, carers_of, c, 12 * 60 if young else 11 * 60)
        assert any(
            len(minutes) > (270 if young else 360) and longest < (30 if young else 20)
            for minutes, longest in _shift_minutes(busy, 12 * 60 if young else 11 * 60)
        )
    elif code == P.WTR_YOUNG_NIGHT:
        v = visits[0]
        opens, closes = (23 * 60, 7 * 60) if c.young_night_contract else (22 * 60, 6 * 60)
        assert c.is_young_on(v.day)
        assert v.local_start < closes or v.local_start + v.minutes > opens
    elif code == P.WTR_COMPENSATORY_REST:
        assert c.split_shift_exempt and problem.accepted and not problem.is_hard
        assert not c.is_young_on(problem.day)  # reg 22(1) names reg 10(1), adults only
        busy = _busy_minutes(snap, carers_of, c, 11 * 60)
        assert any(
            _longest_free(busy, v.start, v.start + 24 * 60) < 11 * 60
            for v in _carer_visits(snap, carers_of, c.id)
        )
    elif code == P.WTR_NIGHT_AVERAGE:
        assert c.night_worker is not False and not c.is_young_on(snap.monday)
    elif code == P.WTR_NIGHT_HAZARD:
        assert c.special_hazards and c.night_worker is not False
    elif code == P.WTR_WEEKLY_REST_DAILY:
        assert not c.is_young_on(snap.monday) and _carer_visits(snap, carers_of, c.id)
    elif code in (P.WTR_YOUNG_DAY, P.WTR_YOUNG_WEEK):
        assert c.is_young_on(problem.day or snap.monday)
    elif code == P.WTR_AVERAGE_48H:
        assert not c.wtr_opt_out and not c.is_young_on(snap.monday)
    elif code == P.OVER_CONTRACT:
        assert c.contracted_minutes
    elif code == P.PREFERRED_GENDER:
        wanted = snap.customers[visits[0].customer_id].preferred_gender
        assert wanted and wanted != c.gender
    elif code == P.PREFERRED_CARER:
        preferred = snap.customers[visits[0].customer_id].preferred
        assert preferred and not preferred & set(carers_of[visits[0].id])
    elif code == P.LONE_WORKING:
        assert snap.customers[visits[0].customer_id].lone_working_risk
        assert len(set(carers_of[visits[0].id])) == 1
    elif code == P.NEW_TO_CUSTOMER:
        assert (c.id, visits[0].customer_id) not in snap.known_pairs
        assert c.id not in snap.customers[visits[0].customer_id].preferred
    elif code == "EXPIRING_SKILL":  # issue 18 §5: valid on the day, gone within 7 days
        day = visits[0].day
        assert any(
            c.skills.get(s) is not None and day < c.skills[s] <= day + timedelta(days=7)
            for s in visits[0].skills
        )
    else:
        assert code == P.WTR_WEEKLY_REST and _carer_visits(snap, carers_of, c.id)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_week())
def test_random_rotas_never_crash_and_every_problem_is_real(data):
    snap, changes = data
    state = RotaState(snap)
    for carer_id, days in state.cells.items():  # the validator's timeline = the history one
        mode = snap.carers[carer_id].transport_mode
        for day, visit_ids in days.items():
            stops = [
                (snap.visits[v].start, snap.visits[v].end, snap.visits[v].customer_id)
                for v in visit_ids
            ]
            assert state.day_summary(carer_id, day) == summarise(
                stops, lambda a, b, mode=mode: state.travel(a, b, mode)
            )
    for problem in state.problems():
        _confirm(snap, state.carers_of, problem)
    for visit_id, carers in changes:
        state.set_carers(visit_id, carers)
        assert state.problems() == RotaState(snap, state.carers_of).problems()
    for problem in state.problems():
        _confirm(snap, state.carers_of, problem)
