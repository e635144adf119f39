"""The rota's full check made fast (issue 23 §1) finds exactly what the plain check finds.

The reference here is the straightforward full check, written out in the test and not in
the app: every visit rule whose ``applies`` says yes asked for every carer on every visit
(no ``sift``, ``for_customer`` or ``needs_skills``), each carer's shifts built from
scratch by the shift builder as it was first written (every pair of visits looked at,
travel worked out with the plain haversine), the limits asked day by day (no
``steady_limits``), and every staffing rule for every visit. The fast check must give the
same problems (codes, messages, order, visits, carers, accepted) on the small demo's weeks
and on hypothesis-generated weeks with double-ups, nights across midnight, young workers
(one turning 18 in the week), the clock-change Sundays (29 March and 25 October 2026),
absences, availability patterns (overnight windows too), expiring skills, exclusions,
preferences, lone-working risks and accepted problems; and after changes re-checked one by
one.

Each shortcut is also checked on its own over every carer and visit: a rule's ``sift``
keeps every visit the rule finds something on, and judges each visit alone; the quiet
staffing case runs no rule that would find anything; ``Shift.tight`` holds every pair the
sequence rules can fire on.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.rules import RULES
from coordinator_tui.services.rota.rules.base import CarerWeek
from coordinator_tui.services.rota.rules.sequence import _pairs
from coordinator_tui.services.rota.rules.weekly import _count, _rests, new_to_customer
from coordinator_tui.services.rota.shifts import Shift, build_shifts, last_shift, week_work
from coordinator_tui.services.rota.snapshot import (
    SCarer,
    SCustomer,
    SVisit,
    WeekSnapshot,
    epoch_minutes,
    load_week,
)
from coordinator_tui.services.rota.travel import EARTH_RADIUS_KM, minutes_for_km
from coordinator_tui.services.rota.validate import (
    STAFFING_QUIET,
    RotaState,
    _order,
    _staffed_quietly,
)

VISIT_RULES = [r for r in RULES if r.scope == "visit"]
CARER_RULES = [r.check for r in RULES if r.scope == "carer"]
STAFFING_RULES = [r for r in RULES if r.scope == "staffing"]
MONDAYS = (
    date(2026, 11, 23),  # GMT all week (the demo's)
    date(2026, 3, 23),  # BST from 01:00 on Sunday 29 March
    date(2026, 10, 19),  # GMT again from 02:00 on Sunday 25 October
)
HOME = (53.6136, -2.1610)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- the reference ----------------------------------------------------------------------------


def _plain_minutes(snap: WeekSnapshot, a: int, b: int, mode: str) -> int:
    """Travel between two customers' homes: haversine times the road factor at the mode's
    speed, as the travel table works it out (radians of each place, then the formula)."""
    if a == b:
        return 0
    ca, cb = snap.customers.get(a), snap.customers.get(b)
    if ca is None or cb is None:
        return 0
    lat1, lon1, lat2, lon2 = (math.radians(x) for x in (ca.lat, ca.lon, cb.lat, cb.lon))
    if lat1 == lat2 and lon1 == lon2:
        return 0
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return minutes_for_km(km, mode, snap.travel)


def _plain_shifts(visits, leg, daily_rest) -> list[Shift]:
    """The shift builder as first written: a shift closes at a gap of the daily rest or
    more; every later visit of a shift is listed as one the sequence rules look at."""
    shifts: list[Shift] = []
    if not visits:
        return shifts

    def close(members, ends, need, travel, free, work, moving, longest) -> None:
        shifts.append(
            Shift(
                tuple(members),
                tuple(ends),
                tuple(need),
                tuple(travel),
                tuple(free),
                work,
                moving,
                longest,
                tuple(range(1, len(members))),
            )
        )

    first = visits[0]
    members, ends, need, travel, free = [first], [first.end], [0], [0], [0]
    work, moving_total, longest = first.end - first.start, 0, 0
    end, place = first.end, first.customer_id
    for visit in visits[1:]:
        gap = visit.start - end
        if gap >= daily_rest(visit.day):
            close(members, ends, need, travel, free, work, moving_total, longest)
            members, ends, need, travel, free = [visit], [visit.end], [0], [0], [0]
            work, moving_total, longest = visit.end - visit.start, 0, 0
            end, place = visit.end, visit.customer_id
            continue
        members.append(visit)
        if gap < 0:
            if visit.end > end:
                work += visit.end - end
                end, place = visit.end, visit.customer_id
            ends.append(end)
            need.append(0)
            travel.append(0)
            free.append(0)
            continue
        needed = leg(place, visit.customer_id)
        moving = min(needed, gap)
        moving_total += moving
        longest = max(longest, gap - moving)
        work += moving + visit.end - visit.start
        end, place = visit.end, visit.customer_id
        ends.append(end)
        need.append(needed)
        travel.append(moving)
        free.append(gap - moving)
    close(members, ends, need, travel, free, work, moving_total, longest)
    return shifts


def _plain_carer(state: RotaState, carer_id: int) -> list[Problem]:
    snap = state.snap
    carer = state._carer(carer_id)
    days = state.cells[carer_id]
    week_visits = sorted(
        (snap.visits[v] for day in days for v in days[day]), key=lambda v: (v.day, v.start, v.id)
    )
    stops = [*snap.previous.get(carer_id, ()), *week_visits, *snap.following.get(carer_id, ())]
    shifts = _plain_shifts(
        stops,
        lambda a, b: _plain_minutes(snap, a, b, carer.transport_mode),
        lambda day: state.limits(carer, day).daily_rest,
    )
    work = week_work(shifts, lambda v: snap.monday <= v.day <= snap.sunday)
    week = CarerWeek(
        carer,
        snap,
        week_visits,
        shifts,
        work,
        lambda day: state.limits(carer, day),
        state.mark,
        snap.monday,
        snap.sunday,
    )
    week.memo["steady"] = None  # the limits asked day by day
    return [p for check in CARER_RULES for p in check(week)]


def plain_problems(state: RotaState) -> list[Problem]:
    """Every problem of ``state``'s assignments, the straightforward way."""
    snap = state.snap
    found: list[Problem] = []
    for carer_id, days in state.cells.items():
        if not days:
            continue
        carer = state._carer(carer_id)
        rules = [r.check for r in VISIT_RULES if r.applies is None or r.applies(carer, state)]
        for day in days:
            for visit_id in days[day]:
                visit = snap.visits[visit_id]
                customer = snap.customers.get(visit.customer_id)
                for check in rules:
                    found.extend(check(carer, visit, customer, state))
        found.extend(_plain_carer(state, carer_id))
    for visit_id, visit in snap.visits.items():
        carers = state.carers_of.get(visit_id, ())
        customer = snap.customers.get(visit.customer_id)
        for r in STAFFING_RULES:
            found.extend(r.check(visit, carers, customer, state))
    found.sort(key=_order)
    return found


# -- hypothesis weeks -----------------------------------------------------------------------


def _at(day: date, minute: int) -> int:
    return epoch_minutes(datetime.combine(day, time(minute // 60, minute % 60), tzinfo=UK))


WINDOWS = st.sampled_from(
    [
        ((6 * 60, 22 * 60),),
        ((7 * 60, 13 * 60), (16 * 60, 21 * 60)),
        ((21 * 60, 24 * 60 + 7 * 60),),  # a night running past midnight
        ((0, 24 * 60),),
        ((8 * 60, 12 * 60),),
    ]
)


@st.composite
def weeks(draw) -> WeekSnapshot:  # noqa: ANN001
    """A week of up to 5 carers, 5 customers and 40 visits (the two days before and the
    day after as context), drawn to make every rule fire now and then."""
    monday = draw(st.sampled_from(MONDAYS))
    sunday = monday + timedelta(days=6)
    carer_ids = list(range(1, draw(st.integers(1, 5)) + 1))
    customer_ids = list(range(101, 101 + draw(st.integers(1, 5))))
    dates = st.integers(-3, 16).map(lambda n: monday + timedelta(days=n))
    carers = {}
    for cid in carer_ids:
        born = draw(
            st.sampled_from(
                [
                    None,
                    date(1980, 5, 1),
                    date(2009, 6, 1),  # 17 all year
                    monday.replace(year=monday.year - 18) + timedelta(days=3),  # 18 on Thursday
                ]
            )
        )
        availability = {}
        if draw(st.booleans()):
            for weekday in draw(st.sets(st.integers(0, 6))):
                availability[weekday] = draw(WINDOWS)
        carers[cid] = SCarer(
            cid,
            name=f"Carer {cid}",
            gender=draw(st.sampled_from(["female", "male"])),
            date_of_birth=born,
            transport_mode=draw(st.sampled_from(["drive", "walk"])),
            contracted_minutes=draw(st.sampled_from([0, 600, 2400])),
            wtr_opt_out=draw(st.booleans()),
            active=draw(st.sampled_from([True, True, True, False])),
            skills={
                code: draw(st.one_of(st.none(), dates))
                for code in draw(st.sets(st.sampled_from(["MED", "PEG", "HOIST"])))
            },
            availability=availability,
            absent_days=frozenset(
                monday + timedelta(days=n) for n in draw(st.sets(st.integers(0, 6), max_size=2))
            ),
            split_shift_exempt=draw(st.booleans()),
            night_worker=draw(st.sampled_from([None, True, False])),
            special_hazards=draw(st.booleans()),
            young_night_contract=draw(st.booleans()),
        )
    customers = {}
    for cid in customer_ids:
        offset = draw(st.integers(0, 40)) / 1000
        customers[cid] = SCustomer(
            cid,
            name=f"Customer {cid}",
            lat=HOME[0] + offset,
            lon=HOME[1] - offset / 2,
            preferred_gender=draw(st.sampled_from(["", "", "female", "Male"])),
            preferred=frozenset(draw(st.sets(st.sampled_from(carer_ids), max_size=2))),
            excluded=frozenset(draw(st.sets(st.sampled_from(carer_ids), max_size=1))),
            lone_working_risk=draw(st.sampled_from([False, False, True])),
        )
    visits: dict[int, SVisit] = {}
    assignments: dict[int, tuple[int, ...]] = {}
    previous: dict[int, list[SVisit]] = {}
    following: dict[int, list[SVisit]] = {}
    for vid in range(1, draw(st.integers(0, 40)) + 1):
        offset = draw(st.integers(-2, 7))
        day = monday + timedelta(days=offset)
        if day.weekday() == 6 and draw(st.booleans()):  # the small hours of a clock change
            minute = draw(st.integers(0, 4 * 60).map(lambda m: m - m % 15))
        else:
            minute = draw(st.integers(0, 24 * 60 - 15).map(lambda m: m - m % 15))
        start = _at(day, minute)
        one = SVisit(
            vid,
            draw(st.sampled_from(customer_ids)),
            day,
            start,
            start + draw(st.sampled_from([15, 30, 45, 60, 90, 180, 420, 600])),
            minute,
            draw(st.sampled_from([1, 1, 1, 2])),
            tuple(sorted(draw(st.sets(st.sampled_from(["MED", "PEG"]), max_size=2)))),
        )
        who = tuple(draw(st.lists(st.sampled_from(carer_ids), max_size=one.carers_required)))
        if monday <= day <= sunday:
            visits[vid] = one
            if who:
                assignments[vid] = who
        elif who:  # context: the days before and the day after
            (previous if day < monday else following).setdefault(who[0], []).append(one)
    soft = [c for c, s in P.SEVERITY.items() if s == P.SOFT]
    acceptances = frozenset(
        (draw(st.sampled_from(soft)), vid, draw(st.sampled_from([None, *carer_ids])))
        for vid in draw(st.sets(st.sampled_from(sorted(visits) or [0]), max_size=4))
    )
    return WeekSnapshot(
        monday=monday,
        carers=carers,
        customers=customers,
        visits=visits,
        assignments=assignments,
        history={
            cid: tuple(draw(st.lists(st.sampled_from([None, 0, 2400, 3600]), max_size=16)))
            for cid in carer_ids
        },
        previous={c: tuple(sorted(v, key=lambda x: x.start)) for c, v in previous.items()},
        following={c: tuple(sorted(v, key=lambda x: x.start)) for c, v in following.items()},
        known_pairs=frozenset(
            draw(st.sets(st.tuples(st.sampled_from(carer_ids), st.sampled_from(customer_ids))))
        ),
        acceptances=acceptances,
    )


# -- the full check -----------------------------------------------------------------------------


@SETTINGS
@given(snap=weeks())
def test_a_generated_week_checks_as_the_plain_way_does(snap):
    state = RotaState(snap)
    assert state.problems() == plain_problems(state)
    assert state.validate_all() == plain_problems(state)


@SETTINGS
@given(snap=weeks(), moves=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=8))
def test_a_generated_week_changed_checks_as_the_plain_way_does(snap, moves):
    """Changes re-checked one by one (a carer put on, or a visit's carers taken off) give
    what the plain check of the result gives, as does a fresh full check of it."""
    state = RotaState(snap)
    visits, carers = sorted(snap.visits), sorted(snap.carers)
    for visit_index, carer_index in moves:
        if not visits:
            break
        visit_id = visits[visit_index % len(visits)]
        carer_id = carers[carer_index % len(carers)]
        current = state.carers_of.get(visit_id, ())
        new = () if carer_id in current else (*current, carer_id)[-2:]
        state.set_carers(visit_id, new)
    reference = plain_problems(state)
    assert state.problems() == reference
    assert RotaState(dataclasses.replace(snap), state.carers_of).problems() == reference


@SETTINGS
@given(snap=weeks(), shapes=st.lists(st.sampled_from(["tuple", "list", "empty", "gone"])))
def test_assignments_given_as_lists_empty_or_unknown_check_as_the_tuples_do(snap, shapes):
    """A caller's assignments may hold lists, visits with no carer and visits the
    week does not have (``RotaState`` takes any ``Iterable`` per visit): the state reads
    them as the tuples of the visits it has with a carer, in the order given."""
    given: dict[int, object] = {}
    expected: dict[int, tuple[int, ...]] = {}
    for index, (visit_id, carers) in enumerate(snap.assignments.items()):
        shape = shapes[index % len(shapes)] if shapes else "tuple"
        if shape == "list":
            given[visit_id] = list(carers)
        elif shape == "empty":
            given[visit_id] = []
            continue
        elif shape == "gone":
            given[-1000 - visit_id] = carers  # a visit the week does not hold
            continue
        else:
            given[visit_id] = carers
        if carers:
            expected[visit_id] = tuple(carers)
    state = RotaState(snap, given)  # type: ignore[arg-type]
    assert state.carers_of == expected
    assert list(state.carers_of) == list(expected)
    assert all(type(carers) is tuple for carers in state.carers_of.values())
    assert state.problems() == RotaState(dataclasses.replace(snap), expected).problems()
    assert state.problems() == plain_problems(state)


@pytest.mark.parametrize("weeks_on", [-7, 0, 7])
def test_the_demo_weeks_check_as_the_plain_way_does(small_demo_engine, weeks_on):
    from conftest import DEMO_TODAY

    with session_scope(small_demo_engine, "t") as session:
        snap = load_week(session, DEMO_TODAY + timedelta(days=weeks_on))
    state = RotaState(snap)
    reference = plain_problems(state)
    assert state.problems() == reference
    if weeks_on == 0:
        assert reference, "the demo's week has its deliberate problems"


# -- each shortcut on its own -----------------------------------------------------------------


@SETTINGS
@given(snap=weeks())
def test_a_sift_keeps_every_visit_its_rule_finds_something_on(snap):
    """Over every carer and every visit of the week (on it or not): where the rule finds
    a problem, its ``sift`` keeps the visit, given the whole week by day or that visit
    alone."""
    state = RotaState(snap)
    by_day: dict[date, list[SVisit]] = {}
    for one in sorted(snap.visits.values(), key=lambda v: (v.day, v.start, v.id)):
        by_day.setdefault(one.day, []).append(one)
    for carer in snap.carers.values():
        for r in VISIT_RULES:
            if r.sift is None or (r.applies is not None and not r.applies(carer, state)):
                continue
            kept = {v.id for v in r.sift(carer, by_day, state)}
            for one in snap.visits.values():
                if r.check(carer, one, snap.customers.get(one.customer_id), state):
                    assert one.id in kept, (r.name, carer, one)
                    alone = r.sift(carer, {one.day: [one]}, state)
                    assert [v.id for v in alone] == [one.id], (r.name, carer, one)


def test_every_sift_is_exercised_by_the_cases_below():
    """The rules with a bulk gate (so the table below covers each)."""
    assert {r.name for r in VISIT_RULES if r.sift} == {
        "absent",
        "unavailable",
        "skills",
        "excluded",
        "preferred_gender",
        "skill_expiring",
        "change_not_acknowledged",
    }


MON = date(2026, 11, 23)


def _one(minute: int, minutes: int, day: date = MON, **values) -> SVisit:
    start = _at(day, minute)
    return SVisit(values.pop("vid", 1), 101, day, start, start + minutes, minute, **values)


@pytest.mark.parametrize(
    ("rule", "carer", "visit", "kept", "source"),
    [
        # The carer's availability pattern: within a window, or not (inclusive ends).
        ("unavailable", {"availability": {0: ((420, 780),)}}, _one(420, 360), False, "pattern"),
        ("unavailable", {"availability": {0: ((420, 780),)}}, _one(420, 361), True, "pattern"),
        ("unavailable", {"availability": {0: ((420, 780),)}}, _one(419, 30), True, "pattern"),
        # Sunday's window runs past midnight and covers Monday's small hours.
        ("unavailable", {"availability": {6: ((1320, 1860),)}}, _one(0, 420), False, "pattern"),
        ("unavailable", {"availability": {6: ((1320, 1860),)}}, _one(0, 421), True, "pattern"),
        ("unavailable", {"availability": {}, "active": False}, _one(600, 30), True, "inactive"),
        (
            "unavailable",
            {"availability": {0: ((0, 60),)}, "absent_days": {MON}},
            _one(600, 30),
            False,
            "absent, reported so",
        ),
        # Skills held valid to the last day of the week's visits pass over whole.
        ("skills", {"skills": {"MED": None}}, _one(600, 30, skills=("MED",)), False, "held"),
        ("skills", {"skills": {"MED": MON}}, _one(600, 30, skills=("MED",)), True, "expired"),
        ("skills", {"skills": {}}, _one(600, 30, skills=("MED",)), True, "missing"),
        # NICE SC1 1.8.4: a week's warning of a competency expiring.
        (
            "skill_expiring",
            {"skills": {"MED": MON + timedelta(days=7)}},
            _one(600, 30, skills=("MED",)),
            True,
            "expires within 7 days",
        ),
        (
            "skill_expiring",
            {"skills": {"MED": MON + timedelta(days=8)}},
            _one(600, 30, skills=("MED",)),
            False,
            "expires after",
        ),
        (
            "skill_expiring",
            {"skills": {"MED": MON}},
            _one(600, 30, skills=("MED",)),
            False,
            "already expired: SKILL_EXPIRED's",
        ),
        ("absent", {"absent_days": {MON}}, _one(600, 30), True, "absent"),
        ("absent", {"absent_days": {MON + timedelta(days=1)}}, _one(600, 30), False, "not then"),
    ],
)
def test_a_sift_table(rule, carer, visit, kept, source):
    """Each gate's edges, as its rule reads them (``source``: why)."""
    values = {"name": "Carer 1", "gender": "female", **carer}
    if "absent_days" in values:
        values["absent_days"] = frozenset(values["absent_days"])
    one_carer = SCarer(1, **values)
    snap = WeekSnapshot(
        monday=MON,
        carers={1: one_carer},
        customers={101: SCustomer(101, name="Customer", lat=HOME[0], lon=HOME[1])},
        visits={visit.id: visit},
        assignments={visit.id: (1,)},
    )
    state = RotaState(snap)
    r = next(r for r in VISIT_RULES if r.name == rule)
    assert bool(list(r.sift(one_carer, {visit.day: [visit]}, state))) is kept, source
    assert bool(r.check(one_carer, visit, snap.customers[101], state)) is kept, source


def test_the_quiet_staffing_case_names_every_staffing_rule():
    assert set(STAFFING_QUIET) == {r.name for r in STAFFING_RULES}


@SETTINGS
@given(snap=weeks(), picks=st.lists(st.lists(st.integers(0, 9), max_size=3), max_size=20))
def test_a_quietly_staffed_visit_has_no_staffing_problem(snap, picks):
    """Wherever ``_staffed_quietly`` says so, no staffing rule finds anything (any carers
    on any visit of the week, one carer twice too)."""
    state = RotaState(snap)
    carers = sorted(snap.carers)
    quiet = 0
    for visit_id, pick in zip(sorted(snap.visits), picks, strict=False):
        visit = snap.visits[visit_id]
        on = tuple(carers[i % len(carers)] for i in pick)
        customer = snap.customers.get(visit.customer_id)
        if _staffed_quietly(visit, on, customer, snap.staffing_watch):
            quiet += 1
            for r in STAFFING_RULES:
                assert not r.check(visit, on, customer, state), (r.name, visit, on)


@SETTINGS
@given(snap=weeks())
def test_the_shift_builder_is_the_plain_one_and_its_tight_pairs_are_all(snap):
    """Every carer's shifts, built by the table's legs (a dict) and by a plain function:
    the same as the plain builder's in every figure; and ``tight`` lists exactly the
    visits that start before the running end or with less gap than the travel needed."""
    for carer_id, carer in snap.carers.items():
        mode = carer.transport_mode
        stops = sorted(
            [*snap.previous.get(carer_id, ()), *snap.visits.values()],
            key=lambda v: (v.start, v.id),
        )
        legs = snap.travel_table.leg(mode)
        plain = _plain_shifts(
            stops, lambda a, b, mode=mode: _plain_minutes(snap, a, b, mode), lambda day: 660
        )
        for built in (
            build_shifts(stops, legs, 660),
            build_shifts(stops, lambda a, b, legs=legs: legs(a, b), lambda day: 660),
        ):
            assert len(built) == len(plain)
            for fast, slow in zip(built, plain, strict=True):
                assert dataclasses.astuple(fast)[:-1] == dataclasses.astuple(slow)[:-1]
                assert fast.tight == tuple(
                    i
                    for i in range(1, len(fast.visits))
                    if fast.visits[i].start - fast.ends[i - 1] < fast.need[i]
                )


@SETTINGS
@given(snap=weeks(), young=st.booleans())
def test_the_last_shift_is_where_the_builder_starts_it(snap, young):
    """``last_shift`` (which of last week's visits start its last shift, and the spans of
    the shifts before) tells what ``build_shifts`` builds, by one daily rest or one a
    day (an 18th birthday among the days)."""
    turning = snap.monday - timedelta(days=1)
    rests = (660, lambda day: 720 if young and day < turning else 660)
    for carer_id in snap.carers:
        stops = sorted(
            [*snap.previous.get(carer_id, ()), *snap.visits.values()],
            key=lambda v: (v.start, v.id),
        )
        for rest in rests:
            built = build_shifts(stops, lambda a, b: 0, rest)
            at, spans = last_shift(stops, rest)
            if not built:
                assert (at, spans) == (0, ())
                continue
            assert stops[at] is built[-1].visits[0]
            assert spans == tuple((s.start, s.end) for s in built[:-1])


def _plain_pairs(week: CarerWeek) -> list[tuple]:
    """The sequence rules' pairs as first worked out: every visit of a shift with the one
    holding the running end before it, listed when the later visit is in the week."""
    found = []
    for shift in week.week_shifts():
        visits, ends, need = shift.visits, shift.ends, shift.need
        holder = visits[0]
        for index in range(1, len(visits)):
            visit = visits[index]
            end = ends[index - 1]
            if week.first_day <= visit.day <= week.last_day:
                found.append((holder, visit, end, need[index]))
            if visit.start >= end or visit.end > end:
                holder = visit
    return found


@SETTINGS
@given(snap=weeks())
def test_the_sequence_rules_pairs_are_the_plain_ones_that_can_fire(snap):
    """``_pairs`` (read from ``Shift.tight``) is the plain list less the pairs neither
    rule fires on (no overlap, gap enough for the travel), with the same holders."""
    state = RotaState(snap)
    for result in state._carers.values():
        week = result.week
        fired = [
            pair
            for pair in _plain_pairs(week)
            if pair[1].start < pair[2] or pair[1].start - pair[2] < pair[3]
        ]
        assert _pairs(week) == fired


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 900), st.integers(5, 90), st.integers(1, 4)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([(7, 3), (40, 15), (120, 60)]),
)
def test_travel_cut_short_in_several_shifts_is_the_plain_builders(stops, legs):
    """``travel_before`` is ``need`` but where the gap is shorter than the travel (the
    builder patches only those): runs of visits with long travel, in several shifts (gaps
    of a daily rest or more between them), overlaps among them, against the plain
    builder figure for figure (issue 23 §1)."""
    far, near = legs
    visits, start = [], 0
    for number, (gap, length, customer) in enumerate(stops, start=1):
        start += gap * (3 if gap > 800 else 1)  # some gaps over the 11 hours
        visits.append(SVisit(number, customer, MON, start, start + length, 0))
    visits.sort(key=lambda v: (v.start, v.id))

    def leg(a: int, b: int) -> int:
        return 0 if a == b else (far if (a + b) % 2 else near)

    plain = _plain_shifts(visits, leg, lambda day: 660)
    built = build_shifts(visits, leg, 660)
    assert [dataclasses.astuple(s)[:-1] for s in built] == [
        dataclasses.astuple(s)[:-1] for s in plain
    ]


# -- the weekly rules' shortcuts ------------------------------------------------------------


@SETTINGS
@given(
    spans=st.lists(
        st.tuples(st.integers(0, 30 * 1440), st.integers(0, 3 * 1440)).map(
            lambda pair: (pair[0], pair[0] + pair[1])
        ),
        max_size=14,
    ),
    least=st.sampled_from([1, 1440, 2880]),
    low=st.integers(0, 20 * 1440),
    length=st.integers(0, 14 * 1440),
    inside=st.sampled_from([1, 1440, 2880]),
    extra=st.sampled_from([0, 660, 720]),
    most=st.integers(1, 3),
)
def test_the_weekly_rests_count_stops_as_soon_as_it_knows(
    spans, least, low, length, inside, extra, most
):
    """``weekly._count`` reads the rests from the last and stops at ``most`` or at a rest
    ending too early to count: the plain count over every rest (capped at ``most``)."""
    rests = _rests(sorted(spans), least)
    high, whole = low + length, inside + extra
    plain = sum(
        1
        for start, end in rests
        if end - start >= whole and min(end, high) - max(start, low) >= inside
    )
    assert _count(rests, low, high, inside, whole, most) == min(plain, most)


def _plain_new_to_customer(week: CarerWeek) -> list[Problem]:
    """The continuity rule as first written: each customer's first visit of the week by a
    carer not seen there before (``customers_seen_by``) and not one they prefer."""
    found, done = [], set()
    seen = week.snap.customers_seen_by(week.carer.id)
    for visit in week.visits:
        if visit.customer_id in seen or visit.customer_id in done:
            continue
        done.add(visit.customer_id)
        customer = week.snap.customers.get(visit.customer_id)
        if customer and week.carer.id in customer.preferred:
            continue
        name = customer.name if customer else visit.customer_id
        found.append(
            week.mark(
                P.make(
                    P.NEW_TO_CUSTOMER,
                    f"{week.name} has not visited {name} before",
                    week.carer.id,
                    (visit.id,),
                    visit.day,
                )
            )
        )
    return found


@SETTINGS
@given(snap=weeks())
def test_new_to_customer_looks_the_pairs_up_as_the_plain_way_does(snap):
    """The continuity rule's customers not seen before, told by looking the carer's pairs
    up in ``known_pairs`` in bulk, are those ``customers_seen_by`` tells."""
    state = RotaState(snap)
    for carer_id in state.cells:
        week = state._carers[carer_id].week
        assert new_to_customer(week) == _plain_new_to_customer(week)


@given(
    born=st.dates(date(1990, 1, 1), date(2012, 12, 31)),
    day=st.dates(date(2005, 1, 1), date(2031, 12, 31)),
)
def test_young_on_a_day_is_the_birthday_worked_out(born, day):
    """``SCarer.is_young_on``'s shortcut (18 in an earlier year) agrees with the 18th
    birthday worked out (29 February's on 1 March)."""
    try:
        adult = born.replace(year=born.year + 18)
    except ValueError:
        adult = date(born.year + 18, 3, 1)
    assert SCarer(1, date_of_birth=born).is_young_on(day) == (day < adult)
    assert SCarer(1).is_young_on(day) is False
