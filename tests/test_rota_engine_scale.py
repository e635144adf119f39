"""The rota's checker made flat with the data (issue 23 §1) gives what the plain one gave.

The fast paths are checked against references kept here (the old paths, written out
plainly), on the demo week changed at random (carers put on visits they may overlap,
double-ups, carers taken off):

- the full check: every visit rule asked for every carer on every visit (its ``applies``
  only, not narrowed per customer or by skills), each carer's week built from scratch with
  the travel table's plain ``minutes``, and the staffing rules per visit; the incremental
  re-check after the changes and a fresh check must both equal it;
- ``RotaState.shift_clash``, which splices the visit into the carer's kept shifts: its
  problems are exactly the what-if's new hard problems of the rules it runs, in order;
- ranking: the what-if for every carer (the reference), against ``rank_carers``, which
  rules carers out first by the visit's rules and then by ``shift_clash``.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.db import session_scope
from coordinator_tui.services.rota import assign as A
from coordinator_tui.services.rota.assign import Candidate, _regulars, rank_carers, travel_added
from coordinator_tui.services.rota.problems import Problem
from coordinator_tui.services.rota.rules import RULES
from coordinator_tui.services.rota.rules.base import CarerWeek
from coordinator_tui.services.rota.shifts import build_shifts, week_work
from coordinator_tui.services.rota.snapshot import WeekSnapshot, load_week
from coordinator_tui.services.rota.travel import TravelTable
from coordinator_tui.services.rota.validate import _PER_SHIFT, RotaState, _order

MONDAY = date(2026, 11, 23)  # the demo's week (conftest.DEMO_TODAY)
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CARER_RULES = [r.check for r in RULES if r.scope == "carer"]
STAFFING_RULES = [r.check for r in RULES if r.scope == "staffing"]
SHIFT_RULE_CODES = {
    code
    for r in RULES
    if r.scope == "carer" and r.name in (*_PER_SHIFT, "night_average", "night_hazard")
    for code in r.codes
}


@pytest.fixture
def week(small_demo_engine) -> WeekSnapshot:
    with session_scope(small_demo_engine, "t") as session:
        return load_week(session, MONDAY)


# Changes: (visit index, carer index, what): put the carer on (in the first free place or
# in place of the first carer), or take the visit's carers off.
changes = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from("put swap off")),
    min_size=1,
    max_size=25,
)


def _changed(snap: WeekSnapshot, moves) -> RotaState:
    """The week with ``moves`` made one by one (each re-checked incrementally)."""
    state = RotaState(snap)
    visits = sorted(snap.visits)
    carers = sorted(snap.carers)
    for visit_index, carer_index, what in moves:
        visit_id = visits[visit_index % len(visits)]
        carer_id = carers[carer_index % len(carers)]
        current = list(state.carers_of.get(visit_id, ()))
        if what == "off":
            current = []
        elif carer_id in current:
            continue
        elif what == "swap" and current:
            current[0] = carer_id
        elif len(current) < snap.visits[visit_id].carers_required:
            current.append(carer_id)
        else:
            continue
        state.set_carers(visit_id, tuple(current))
    return state


# -- the full check -------------------------------------------------------------------------


def _reference_carer(state: RotaState, carer_id: int) -> list[Problem]:
    """A carer's week as ``_check_carer`` built it before: every shift from scratch, the
    travel by the table's ``minutes``."""
    snap = state.snap
    days = state.cells.get(carer_id)
    if not days:
        return []
    carer = state._carer(carer_id)
    week_visits = [snap.visits[v] for day in sorted(days) for v in days[day]]
    table = TravelTable({c: (x.lat, x.lon) for c, x in snap.customers.items()}, snap.travel)

    def leg(a: int, b: int) -> int:
        return table.minutes(a, b, carer.transport_mode)

    rest = state._rest(carer)
    stops = [*snap.previous.get(carer_id, ()), *week_visits, *snap.following.get(carer_id, ())]
    shifts = build_shifts(stops, leg, rest)
    monday, sunday = snap.monday, snap.sunday
    work = week_work(shifts, lambda v: monday <= v.day <= sunday)
    week = CarerWeek(
        carer,
        snap,
        week_visits,
        shifts,
        work,
        lambda day: state.limits(carer, day),
        state.mark,
        monday,
        sunday,
    )
    return [p for check in CARER_RULES for p in check(week)]


def _reference_problems(state: RotaState) -> list[Problem]:
    """Every problem of ``state``'s assignments, the plain way."""
    snap = state.snap
    found: list[Problem] = []
    for carer_id, days in state.cells.items():
        carer = state._carer(carer_id)
        rules = [
            r.check
            for r in RULES
            if r.scope == "visit" and (r.applies is None or r.applies(carer, state))
        ]
        for visit_ids in days.values():
            for visit_id in visit_ids:
                visit = snap.visits[visit_id]
                customer = snap.customers.get(visit.customer_id)
                for check in rules:
                    found.extend(check(carer, visit, customer, state))
        found.extend(_reference_carer(state, carer_id))
    for visit_id, visit in snap.visits.items():
        carers = state.carers_of.get(visit_id, ())
        customer = snap.customers.get(visit.customer_id)
        for check in STAFFING_RULES:
            found.extend(check(visit, carers, customer, state))
    found.sort(key=_order)
    return found


def test_the_demo_week_checks_as_the_plain_way_does(week):
    state = RotaState(week)
    assert state.problems() == _reference_problems(state)


@SETTINGS
@given(moves=changes)
def test_a_changed_week_checks_as_the_plain_way_does(week, moves):
    """After random changes, the incremental re-check, a fresh full check of the same
    assignments (cold travel table) and the plain reference agree problem for problem."""
    state = _changed(week, moves)
    fresh = RotaState(dataclasses.replace(week), state.carers_of)
    reference = _reference_problems(state)
    assert fresh.problems() == reference
    assert state.problems() == reference


def test_where_a_visit_rules_gate_says_no_the_rule_finds_nothing(week):
    """``for_customer`` and ``needs_skills`` are necessary conditions: over every carer on
    every visit of the week (whether on it or not), a rule they leave out finds nothing,
    and each gate does leave some out (so this is not checked vacuously)."""
    state = RotaState(week)
    gated = [r for r in RULES if r.scope == "visit" and (r.for_customer or r.needs_skills)]
    assert {r.name for r in gated} >= {"skills", "excluded", "preferred_gender"}
    left_out = dict.fromkeys((r.name for r in gated), 0)
    for carer in week.carers.values():
        for visit in week.visits.values():
            customer = week.customers.get(visit.customer_id)
            for r in gated:
                if (r.needs_skills and not visit.skills) or (
                    r.for_customer and not r.for_customer(visit.customer_id, customer, state)
                ):
                    left_out[r.name] += 1
                    assert not r.check(carer, visit, customer, state), (r.name, carer, visit)
    assert all(left_out.values()), left_out


def test_an_excluded_carer_and_a_gender_not_preferred_are_found(week):
    """Each customer's excluded carers, and a carer of the gender not preferred, put on one
    of their visits: the narrowed check reports what the plain one does."""
    moves = {}
    for visit_id, visit in sorted(week.visits.items()):
        customer = week.customers.get(visit.customer_id)
        if customer is None or visit_id in moves:
            continue
        if customer.excluded:
            moves[visit_id] = (min(customer.excluded),)
        elif customer.preferred_gender:
            other = [
                c.id
                for c in week.carers.values()
                if c.gender.lower() != customer.preferred_gender.lower()
            ]
            if other:
                moves[visit_id] = (other[visit_id % len(other)],)
    assert moves
    state = RotaState(week)
    state.change({v: c[: week.visits[v].carers_required] for v, c in moves.items()})
    reference = _reference_problems(state)
    assert {"EXCLUDED", "PREF_GENDER"} <= {p.code for p in reference}
    assert state.problems() == reference
    assert RotaState(week, state.carers_of).problems() == reference


def test_a_legs_memo_gives_the_tables_minutes(week):
    table = week.travel_table
    places = sorted(week.customers)[:40]
    for mode in ("drive", "walk"):
        leg = table.leg(mode)
        assert table.leg(mode) is leg
        for a in places:
            for b in places[::3]:
                assert leg(a, b) == table.minutes(a, b, mode) == leg(a, b)


# -- the shift clash ------------------------------------------------------------------------


@SETTINGS
@given(moves=changes, picks=st.lists(st.integers(0, 10**6), min_size=8, max_size=8))
def test_a_shift_clash_is_what_the_what_if_finds_of_its_rules(week, moves, picks):
    """For a carer not on a visit: ``shift_clash`` names exactly the what-if's new hard
    problems of the rules per shift and the night rules, in its order; the what-if that
    then takes the shifts it spliced finds what one building them again finds, and the
    state is as it was after them (the check equals the plain one)."""
    state = _changed(week, moves)
    visits = sorted(week.visits)
    carers = sorted(c for c in week.carers if week.carers[c].active)
    for index, pick in enumerate(picks):
        visit_id = visits[pick % len(visits)]
        carer_id = carers[(pick // 7 + index) % len(carers)]
        current = state.carers_of.get(visit_id, ())
        if carer_id in current:
            continue
        state._spliced = None
        rebuilt = state.what_if({visit_id: (*current, carer_id)})  # the week built again
        clash = state.shift_clash(carer_id, visit_id)
        recheck = state.what_if({visit_id: (*current, carer_id)})  # its spliced shifts
        assert recheck == rebuilt
        if clash is None:  # a carer with no week yet: only the what-if tells
            assert carer_id not in state.cells or not state.cells[carer_id]
            continue
        expected = tuple(
            p for p in recheck.added_hard if p.code in SHIFT_RULE_CODES and p.carer_id == carer_id
        )
        assert clash == expected
    assert state.problems() == _reference_problems(state)


# -- ranking --------------------------------------------------------------------------------


def _reference_ranking(state: RotaState, visit_id: int, replacing: int | None) -> list[Candidate]:
    """Ranking as it was first written: the what-if for every carer."""
    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    current = tuple(c for c in state.carers_of.get(visit_id, ()) if c != replacing)
    regulars = {
        *snap.carers_seen(visit.customer_id),
        *(customer.preferred if customer else ()),
        *(
            c
            for other, carers in state.carers_of.items()
            if other != visit_id and snap.visits[other].customer_id == visit.customer_id
            for c in carers
        ),
    }
    assert regulars == _regulars(state, visit_id)
    found = []
    for carer in snap.carers.values():
        if not carer.active or carer.id in current or carer.id == replacing:
            continue
        recheck = state.what_if({visit_id: (*current, carer.id)})
        hard = tuple(recheck.added_hard)
        soft = tuple(p for p in recheck.added_soft if not p.accepted)
        preferred = customer is not None and carer.id in customer.preferred
        gender_ok = (
            customer is None
            or not customer.preferred_gender
            or customer.preferred_gender.lower() == carer.gender.lower()
        )
        travel = travel_added(state, visit_id, carer.id)
        score = (
            A.SCORE_CONTINUITY * (carer.id in regulars)
            + A.SCORE_PREFERRED * preferred
            + A.SCORE_GENDER * gender_ok
            - A.SCORE_PER_SOFT * len(soft)
            - travel
        )
        found.append(
            Candidate(
                carer.id,
                carer.name,
                not hard,
                score,
                travel,
                carer.id in regulars,
                preferred,
                gender_ok,
                hard,
                soft,
            )
        )
    return found


@SETTINGS
@given(moves=changes, picks=st.lists(st.integers(0, 10**6), min_size=3, max_size=3))
def test_ranking_on_a_changed_week_is_the_what_ifs_ranking(week, moves, picks):
    """The same carers, the same feasible ones in the same order with the same scores and
    soft problems; an infeasible one with the what-if's first reason and only problems it
    found. Visits short of carers and a carer replaced on a staffed one."""
    state = _changed(week, moves)
    staffed = sorted(v for v, c in state.carers_of.items() if c)
    short = sorted(v for v in week.visits if state.short_of(v))
    cases = [(short[p % len(short)], None) for p in picks[:2] if short]
    if staffed:
        visit_id = staffed[picks[2] % len(staffed)]
        cases.append((visit_id, state.carers_of[visit_id][0]))
    for visit_id, replacing in cases:
        ranked = rank_carers(state, visit_id, replacing=replacing)
        full = {c.carer_id: c for c in _reference_ranking(state, visit_id, replacing)}
        assert {c.carer_id for c in ranked} == set(full)
        assert [c for c in ranked if c.feasible] == sorted(
            (c for c in full.values() if c.feasible),
            key=lambda c: (-c.score, c.travel_added, c.name, c.carer_id),
        )
        for candidate in ranked:
            if not candidate.feasible:
                reference = full[candidate.carer_id]
                assert not reference.feasible
                assert candidate.reason == reference.reason
                assert set(candidate.hard) <= set(reference.hard)
