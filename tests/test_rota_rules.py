"""The rota rules, table-driven on hand-built week snapshots (no database).

WTR cases sit exactly on their boundaries (DESIGN.md section 4): 11 h of rest is enough and
10h59 is not; a 6-hour day needs no break and 6h01 does; a 48-hour average is within the law
and a minute more is not.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.services.clock import UK
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    SCustomer,
    SVisit,
    WeekSnapshot,
    epoch_minutes,
)
from coordinator_tui.services.rota.timeline import DaySummary, summarise
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


# -- Working Time Regulations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "next_start", "problem"),
    [
        (ADULT_DOB, (7, 0), False),  # 20:00 -> 07:00: exactly 11 h
        (ADULT_DOB, (6, 59), True),  # 10h59
        (YOUNG_DOB, (8, 0), False),  # under 18: exactly 12 h
        (YOUNG_DOB, (7, 59), True),
    ],
)
def test_daily_rest_between_days(dob, next_start, problem):
    snap = week(
        [visit(1, 0, (19, 0), 60), visit(2, 1, next_start, 30)],
        carers=[carer(date_of_birth=dob)],
    )
    rests = found(snap, P.WTR_DAILY_REST)
    assert bool(rests) is problem
    if problem:
        assert rests[0].visit_ids == (1, 2) and rests[0].day == MONDAY + timedelta(days=1)


def test_daily_rest_counts_the_week_before():
    sunday_night = DaySummary(at(-1, 21, 0), at(-1, 22, 0), 60, 0, 0)
    snap = week([visit(1, 0, (8, 0), 30)], previous_days={1: (sunday_night,)})
    assert [p.visit_ids for p in found(snap, P.WTR_DAILY_REST)] == [(1,)]


@pytest.mark.parametrize(("last_end", "problem"), [((20, 0), False), ((20, 1), True)])
def test_daily_rest_within_a_long_split_day(last_end, problem):
    # 07:00 to 20:00 leaves exactly 11 h of the 24; one minute later it does not.
    end_minutes = last_end[0] * 60 + last_end[1] - 19 * 60
    snap = week([visit(1, 0, (7, 0), 60), visit(2, 0, (19, 0), end_minutes)])
    assert bool(found(snap, P.WTR_DAILY_REST)) is problem


def test_daily_rest_across_the_spring_clock_change():
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026: Sat 20:00 to Sun 07:00 BST
    # is 10 hours of rest, not 11.
    monday = date(2026, 3, 23)
    snap = week(
        [visit(1, 5, (19, 0), 60, monday=monday), visit(2, 6, (7, 0), 30, monday=monday)],
        monday=monday,
    )
    rests = found(snap, P.WTR_DAILY_REST)
    assert rests and "10h00" in rests[0].message


@pytest.mark.parametrize(
    ("dob", "minutes", "problem"),
    [
        (ADULT_DOB, 360, False),  # exactly 6 h: no break needed
        (ADULT_DOB, 361, True),  # 6h01 without a break
        (YOUNG_DOB, 270, False),  # under 18: exactly 4.5 h
        (YOUNG_DOB, 271, True),
    ],
)
def test_rest_break_threshold(dob, minutes, problem):
    snap = week([visit(1, 0, (8, 0), minutes)], carers=[carer(date_of_birth=dob)])
    assert bool(found(snap, P.WTR_BREAK)) is problem


@pytest.mark.parametrize(
    ("dob", "gap", "problem"),
    [(ADULT_DOB, 20, False), (ADULT_DOB, 19, True), (YOUNG_DOB, 30, False), (YOUNG_DOB, 29, True)],
)
def test_rest_break_length(dob, gap, problem):
    # Two stretches of 3h20 at the same place: a gap of ``gap`` minutes is the only break.
    first = visit(1, 0, (8, 0), 200)
    second_start = 8 * 60 + 200 + gap
    second = visit(2, 0, divmod(second_start, 60), 200)
    snap = week([first, second], carers=[carer(date_of_birth=dob)])
    assert bool(found(snap, P.WTR_BREAK)) is problem


def test_travel_between_visits_is_working_time_and_not_a_break():
    # 3h + 3h of visits 1.1 km apart on foot (19 min) with a 38-minute gap: 6h19 of work,
    # and only 19 minutes free, so no 20-minute break.
    snap = week(
        [visit(1, 0, (8, 0), 180), visit(2, 0, (11, 38), 180, customer=2)],
        carers=[carer(transport_mode="walk")],
        customers=[customer(1, HOME), customer(2, NORTH)],
    )
    state = RotaState(snap)
    assert state.day_summary(1, MONDAY).work == 360 + 19
    assert found(snap, P.WTR_BREAK)


@pytest.mark.parametrize(("minutes", "problem"), [(480, False), (481, True)])
def test_young_worker_daily_limit(minutes, problem):
    snap = week([visit(1, 0, (8, 0), minutes)], carers=[carer(date_of_birth=YOUNG_DOB)])
    assert bool(found(snap, P.WTR_YOUNG_DAY)) is problem


def test_young_worker_becomes_adult_on_18th_birthday():
    dob = date(2008, 11, 25)  # 18 on Wednesday 25 November 2026
    snap = week(
        [visit(1, 1, (8, 0), 481), visit(2, 2, (8, 0), 481)],
        carers=[carer(date_of_birth=dob)],
    )
    assert [p.day for p in found(snap, P.WTR_YOUNG_DAY)] == [MONDAY + timedelta(days=1)]


@pytest.mark.parametrize(("extra", "problem"), [(0, False), (1, True)])
def test_young_worker_weekly_limit(extra, problem):
    days = [visit(d + 1, d, (8, 0), 480) for d in range(5)]
    days[-1] = visit(5, 4, (8, 0), 480 + extra)
    snap = week(days, carers=[carer(date_of_birth=YOUNG_DOB)])
    assert bool(found(snap, P.WTR_YOUNG_WEEK)) is problem
    assert not found(snap, P.WTR_AVERAGE_48H)  # no averaging for young workers


def _week_of(minutes_total: int) -> list[SVisit]:
    """Six days of work adding up to ``minutes_total`` (08:00 starts)."""
    per_day, rest = divmod(minutes_total, 6)
    return [visit(d + 1, d, (8, 0), per_day + (rest if d == 5 else 0)) for d in range(6)]


@pytest.mark.parametrize(
    ("this_week", "history", "opt_out", "problem"),
    [
        (48 * 60, (48 * 60,) * 16, False, False),  # 17 weeks averaging exactly 48 h
        (48 * 60 + 1, (48 * 60,) * 16, False, True),  # one minute more
        (60 * 60, (36 * 60,) * 16, False, False),  # a long week, averaged: 36.7 h
        (60 * 60, (50 * 60,) * 16, True, False),  # opted out in writing
        (56 * 60, (40 * 60,) + (None,) * 15, False, False),  # worked 2 weeks so far: 48
        (56 * 60 + 1, (40 * 60,) + (None,) * 15, False, True),
        (49 * 60, (), False, True),  # first week: the period worked so far is this week
        (48 * 60, (None, None, 48 * 60) + (None,) * 13, False, False),  # gaps count as 0 h
    ],
)
def test_48_hour_average_over_17_weeks(this_week, history, opt_out, problem):
    snap = week(
        _week_of(this_week),
        carers=[carer(wtr_opt_out=opt_out)],
        history={1: history} if history else {},
    )
    assert bool(found(snap, P.WTR_AVERAGE_48H)) is problem


def _every_day() -> list[SVisit]:
    return [visit(d + 1, d, (7, 0), 60) for d in range(7)]


@pytest.mark.parametrize(
    ("wednesday_start", "history", "problem"),
    [
        ((8, 0), (30 * 60,), False),  # Tue 08:00 -> Wed 08:00: exactly 24 h off
        ((7, 59), (30 * 60,), True),  # 23h59, and last week's times unknown
        ((7, 59), (), False),  # no work last week: 2 x 24 h in the 14 days
    ],
)
def test_weekly_rest(wednesday_start, history, problem):
    visits = _every_day()
    visits[1] = visit(2, 1, (7, 0), 60)  # Tue 07:00-08:00
    visits[2] = visit(3, 2, wednesday_start, 60)
    snap = week(visits, history={1: history} if history else {})
    assert bool(found(snap, P.WTR_WEEKLY_REST)) is problem


def test_weekly_rest_fortnight_with_last_week_known():
    visits = _every_day()
    every_day_last_week = tuple(
        DaySummary(at(d, 7, 0), at(d, 8, 0), 60, 0, 0) for d in range(-7, 0)
    )
    snap = week(visits, previous_days={1: every_day_last_week}, history={1: (420,)})
    assert found(snap, P.WTR_WEEKLY_REST)
    # Last week with its Saturday and Sunday off: 48 h in the 14 days.
    two_off = every_day_last_week[:5]
    snap = week(visits, previous_days={1: two_off}, history={1: (300,)})
    assert not found(snap, P.WTR_WEEKLY_REST)


@pytest.mark.parametrize(("off_hours", "problem"), [(48, False), (47, True)])
def test_young_worker_weekly_rest_is_48_hours(off_hours, problem):
    # Work Mon-Fri 07:00-08:00, then Saturday off; Sunday's visit starts off_hours after
    # Friday 08:00... counted to the end of the week.
    visits = [visit(d + 1, d, (7, 0), 60) for d in range(5)]
    restart = at(4, 8, 0) + off_hours * 60
    start_day = (restart - at(0, 0, 0)) // (24 * 60)
    start_clock = divmod((restart - at(start_day, 0, 0)), 60)
    visits.append(visit(9, start_day, start_clock, 60))
    visits.append(visit(10, 6, (22, 0), 60))
    snap = week(visits, carers=[carer(date_of_birth=YOUNG_DOB)])
    assert bool(found(snap, P.WTR_WEEKLY_REST)) is problem


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
        mine = _carer_visits(snap, carers_of, c.id)
        rest = 12 * 60 if c.is_young_on(problem.day) else 11 * 60
        today = [v for v in mine if v.day == problem.day]
        earlier = [v for v in mine if v.day < problem.day]
        span = max(v.end for v in today) - min(v.start for v in today)
        gap = (min(v.start for v in today) - max(v.end for v in earlier)) if earlier else None
        assert span > 24 * 60 - rest or (gap is not None and gap < rest)
    elif code == P.WTR_BREAK:
        today = sorted(
            (v for v in _carer_visits(snap, carers_of, c.id) if v.day == problem.day),
            key=lambda v: v.start,
        )
        minutes = set()
        for v in today:
            minutes.update(range(v.start, v.end))
        assert len(minutes) > (270 if c.is_young_on(problem.day) else 360) or any(
            b.start > a.end for a, b in zip(today, today[1:], strict=False)
        )  # long enough on visits alone, or travel made it so
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
