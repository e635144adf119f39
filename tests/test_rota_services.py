"""Rota services on the small demo: snapshot, ranking, assign/unassign/swap with audit and
rationale, Plan B/C cover, and the measures."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from coordinator_tui.db import new_session, session_scope
from coordinator_tui.models import (
    Absence,
    AuditEvent,
    Carer,
    ProblemAcceptance,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.assign import (
    HardProblemsError,
    RationaleRequired,
    RotaError,
    assign,
    rank_carers,
    state_for,
    swap,
    unassign,
    undo,
)
from coordinator_tui.services.rota.measures import measures, regular_carers
from coordinator_tui.services.rota.plan_b import apply_plan_b, mark_absent, plan_b
from coordinator_tui.services.rota.snapshot import load_week
from coordinator_tui.services.rota.validate import RotaState, check_week

MONDAY = date(2026, 11, 23)


def db_carers(engine_or_session, visit_id: int) -> tuple[int, ...]:
    """The carers on a visit in the database (a session sees its own uncommitted writes)."""
    query = (
        select(VisitAssignment.carer_id)
        .where(VisitAssignment.visit_id == visit_id)
        .order_by(VisitAssignment.slot)
    )
    if hasattr(engine_or_session, "exec"):
        return tuple(engine_or_session.exec(query).all())
    with session_scope(engine_or_session, "t") as s:
        return tuple(s.exec(query).all())


def audit_rows(engine, table: str, action: str) -> list[AuditEvent]:
    with session_scope(engine, "t") as s:
        return list(
            s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == table, AuditEvent.action == action
                )
            ).all()
        )


def open_visit_with(state: RotaState, want_soft: bool):
    """An unassigned single-carer visit and a feasible candidate (with soft problems or
    not); ``make_open_visits`` has made sure the week holds one."""
    found = _open_visit_with(state, want_soft)
    assert found is not None, "make_open_visits left no such visit"
    return found


def make_open_visits(engine, day: date = MONDAY, most: int = 40) -> None:
    """The tests' own case, whatever the demo week holds: single-carer visits of ``day``
    that other carers could take are left without their carer, one at a time, until an
    open visit has a feasible candidate with soft problems of its own and one has a
    feasible candidate with none."""
    for _ in range(most):
        with session_scope(engine, "t") as s:
            state = state_for(s, day)
            if _open_visit_with(state, True) and _open_visit_with(state, False):
                return
            for visit_id in sorted(state.snap.visits):
                visit = state.snap.visits[visit_id]
                on = state.carers_of.get(visit_id, ())
                if visit.day != day or visit.carers_required != 1 or len(on) != 1:
                    continue
                if visit.status != VisitStatus.PLANNED:
                    continue
                if any(c.feasible for c in rank_carers(state, visit_id, replacing=on[0])):
                    s.delete(
                        s.exec(
                            select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)
                        ).one()
                    )
                    break
            else:
                raise AssertionError("no single-carer visit on the day another could take")
    raise AssertionError(f"{most} visits freed and still no open visit of each kind")


def _open_visit_with(state: RotaState, want_soft: bool):
    for visit_id in sorted(state.snap.visits):
        visit = state.snap.visits[visit_id]
        if visit.carers_required != 1 or state.carers_of.get(visit_id):
            continue
        if visit.status != VisitStatus.PLANNED:  # a missed visit cannot be staffed
            continue
        for candidate in rank_carers(state, visit_id):
            # Soft problems of this visit itself: a week-level one (over contract) hangs
            # on another visit of the week, and its acceptance is not this test's case.
            own = all(visit_id in problem.visit_ids for problem in candidate.soft)
            if candidate.feasible and bool(candidate.soft) is want_soft and own:
                return visit_id, candidate
    return None


def test_snapshot_matches_the_database(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        snap = load_week(s, MONDAY + timedelta(days=3))
        week_visits = s.exec(
            select(func.count())
            .select_from(Visit)
            .where(
                Visit.visit_date.between(MONDAY, MONDAY + timedelta(days=6)),
                Visit.status != VisitStatus.CANCELLED,
            )
        ).one()
        assigned = s.exec(
            select(func.count())
            .select_from(VisitAssignment)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.visit_date.between(MONDAY, MONDAY + timedelta(days=6)))
        ).one()
        carers = s.exec(select(func.count()).select_from(Carer)).one()
    assert snap.monday == MONDAY
    assert len(snap.visits) == week_visits
    assert sum(len(c) for c in snap.assignments.values()) == assigned
    assert len(snap.carers) == carers
    # 16 weeks of recorded hours per carer before the demo week (the 17-week average).
    assert all(len(h) == 16 and h[0] is not None for h in snap.history.values())
    assert any(c.is_young_on(MONDAY) for c in snap.carers.values())  # the demo's 17-year-old


def test_ranking_puts_feasible_carers_first_with_reasons_for_the_rest(small_demo_engine):
    make_open_visits(small_demo_engine)
    session = new_session(small_demo_engine, "t")
    state = state_for(session, MONDAY)
    visit_id, _ = open_visit_with(state, want_soft=True)
    ranked = rank_carers(state, visit_id)
    feasible = [c for c in ranked if c.feasible]
    assert feasible and ranked[: len(feasible)] == feasible
    assert [c.score for c in feasible] == sorted((c.score for c in feasible), reverse=True)
    for candidate in ranked[len(feasible) :]:
        assert candidate.hard and candidate.reason
    assert all(c.carer_id not in state.carers_of.get(visit_id, ()) for c in ranked)
    session.close()


def test_assign_asks_for_a_rationale_and_records_it(small_demo_engine):
    make_open_visits(small_demo_engine)
    with session_scope(small_demo_engine, "coordinator") as session:
        state = state_for(session, MONDAY)
        visit_id, candidate = open_visit_with(state, want_soft=True)
        with pytest.raises(RationaleRequired) as refused:
            assign(session, visit_id, candidate.carer_id, state=state)
        assert {p.code for p in refused.value.problems} == {p.code for p in candidate.soft}
        assert state.carers_of.get(visit_id, ()) == ()  # memory unchanged too
        result = assign(
            session, visit_id, candidate.carer_id, state=state, rationale="Only carer free"
        )
        assert result.after == {visit_id: (candidate.carer_id,)}
        assert len(result.accepted) == len(candidate.soft)
        assert not [p for p in state.visit_problems(visit_id) if not p.is_hard and not p.accepted]
    assert db_carers(small_demo_engine, visit_id) == (candidate.carer_id,)
    inserts = audit_rows(small_demo_engine, "visit_assignment", "insert")
    assert inserts and inserts[-1].actor == "coordinator"
    with session_scope(small_demo_engine, "t") as s:
        rows = s.exec(select(ProblemAcceptance).where(ProblemAcceptance.visit_id == visit_id)).all()
        assert {r.rationale for r in rows} == {"Only carer free"}
        assert {r.accepted_by for r in rows} == {"coordinator"}
        reloaded = state_for(s, MONDAY)  # the acceptance survives a reload
        soft = [p for p in reloaded.visit_problems(visit_id) if not p.is_hard]
        assert soft and all(p.accepted for p in soft)
    assert audit_rows(small_demo_engine, "problem_acceptance", "insert")


def test_assign_refuses_the_same_carer_twice_and_hard_problems(small_demo_engine):
    make_open_visits(small_demo_engine)
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        double = next(
            v
            for v, visit in state.snap.visits.items()
            if visit.carers_required == 2 and state.carers_of.get(v, ())
        )
        only = state.carers_of[double][0]
        with pytest.raises(RotaError, match="two different carers"):
            assign(session, double, only, state=state)
        visit_id, _ = open_visit_with(state, want_soft=True)
        infeasible = next(c for c in rank_carers(state, visit_id) if not c.feasible)
        with pytest.raises(HardProblemsError) as refused:
            assign(session, visit_id, infeasible.carer_id, state=state, rationale="x")
        assert refused.value.problems
        assert db_carers(session, visit_id) == ()
        assign(
            session,
            visit_id,
            infeasible.carer_id,
            state=state,
            rationale="Emergency",
            allow_hard=True,
        )
        assert any(p.is_hard for p in state.problems_for(infeasible.carer_id))
    assert db_carers(small_demo_engine, visit_id) == (infeasible.carer_id,)


def test_unassign_then_undo(small_demo_engine):
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        visit_id = next(
            v
            for v, c in sorted(state.carers_of.items())
            if len(c) == 1 and state.snap.visits[v].carers_required == 1
        )
        (carer_id,) = state.carers_of[visit_id]
        result = unassign(session, visit_id, carer_id, state=state)
        assert state.short_of(visit_id) == 1
        assert P.UNSTAFFED in {p.code for p in result.recheck.added}
        assert db_carers(session, visit_id) == ()
        undo(session, result, state)
        assert state.carers_of[visit_id] == (carer_id,)
    assert db_carers(small_demo_engine, visit_id) == (carer_id,)
    assert audit_rows(small_demo_engine, "visit_assignment", "delete")


def test_swap_two_visits_between_carers(small_demo_engine):
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        singles = [
            (v, c[0])
            for v, c in sorted(state.carers_of.items())
            if len(c) == 1 and state.snap.visits[v].carers_required == 1
        ]
        (va, ca), (vb, cb) = singles[0], next(s for s in singles if s[1] != singles[0][1])
        result = swap(session, va, ca, vb, cb, state=state, rationale="Swap test", allow_hard=True)
        assert result.after == {va: (cb,), vb: (ca,)}
        assert state.problems() == state_for(session, MONDAY).problems()
    assert db_carers(small_demo_engine, va) == (cb,)
    assert db_carers(small_demo_engine, vb) == (ca,)
    updates = audit_rows(small_demo_engine, "visit_assignment", "update")
    assert {u.row_id for u in updates} and '"carer_id"' in updates[-1].changes


def test_a_stale_rota_is_refused(small_demo_engine):
    reader = new_session(small_demo_engine, "a")
    state = state_for(reader, MONDAY)
    visit_id, carer_id = next((v, c[0]) for v, c in sorted(state.carers_of.items()) if len(c) == 1)
    with session_scope(small_demo_engine, "b") as other:
        unassign(other, visit_id, carer_id)
    with pytest.raises(RotaError, match="Refused: b took a carer off this visit at "):
        unassign(reader, visit_id, carer_id, state=state)
    reader.rollback()
    reader.close()


def test_plan_b_covers_what_it_can_and_lists_plan_c(small_demo_engine):
    start, end = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        carer_id = max(
            state.snap.carers,
            key=lambda c: sum(len(state.day_visits(c, start + timedelta(days=d))) for d in (0, 1)),
        )
        expected = sorted(
            v
            for d in (0, 1)
            for v in state.day_visits(carer_id, start + timedelta(days=d))
            if state.snap.visits[v].status == VisitStatus.PLANNED
        )
        mark_absent(session, carer_id, start, end, kind="sickness")
        before = state_for(session, MONDAY)
        assert {p.visit_ids[0] for p in before.problems_for(carer_id) if p.code == P.ABSENT} >= set(
            expected
        )
        plan = plan_b(session, carer_id, start, end)
        assert sorted(item.visit_id for item in plan.items) == expected
        for item in plan.items:
            assert item.best is None or item.best.feasible
            assert all(c.carer_id != carer_id for c in item.candidates)
        result = apply_plan_b(session, carer_id, start, end)
        assert len(result.covered) + len(result.plan_c) == len(expected)
        after = state_for(session, MONDAY)
        assert all(carer_id not in after.carers_of.get(v, ()) for v in expected)
        new_hard = {p.key for p in after.problems() if p.is_hard} - {
            p.key for p in before.problems() if p.is_hard
        }
        plan_c = {item.visit_id for item in result.plan_c}
        assert all(key[0] == P.UNSTAFFED and key[2][0] in plan_c for key in new_hard)
        for visit_id, new_carer in result.covered:
            assert new_carer in after.carers_of[visit_id]
        absences = session.exec(select(Absence).where(Absence.carer_id == carer_id)).all()
        assert any(a.start_date == start and a.end_date == end for a in absences)
    assert audit_rows(small_demo_engine, "absence", "insert")


def test_measures(small_demo_engine):
    session = new_session(small_demo_engine, "t")
    state = state_for(session, MONDAY)
    result = measures(state)
    assert result.visits == len(state.snap.visits)
    assert result.unassigned_visits == sum(1 for v in state.snap.visits if state.short_of(v))
    assert result.total_travel_minutes == sum(h.travel_minutes for h in result.hours) > 0
    worked = {h.carer_id: h.worked_minutes for h in result.hours}
    for carer_id in state.cells:  # the week's work, less the days of absence
        off = state.snap.carers[carer_id].absent_days
        assert worked[carer_id] == sum(
            state.day_summary(carer_id, day).work for day in state.cells[carer_id] if day not in off
        )
        if not off:
            assert worked[carer_id] == state.week_work(carer_id)
    regulars = regular_carers(state)
    carer_visits = sum(len(set(c)) for c in state.carers_of.values())
    by_regular = sum(
        len(set(c) & regulars[state.snap.visits[v].customer_id]) for v, c in state.carers_of.items()
    )
    assert result.overall_continuity == pytest.approx(by_regular / carer_visits)
    assert all(c.share is None or 0 <= c.share <= 1 for c in result.continuity)
    over = [h for h in result.hours if h.over_contract]
    assert {h.carer_id for h in over} == {
        p.carer_id for p in state.problems() if p.code == P.OVER_CONTRACT
    }
    session.close()


def test_incremental_recheck_matches_full_validation_on_the_demo(small_demo_engine):
    session = new_session(small_demo_engine, "t")
    state = state_for(session, MONDAY)
    rnd = random.Random(6)
    carers = sorted(state.snap.carers)
    visits = sorted(state.snap.visits)
    for _ in range(40):
        visit_id = rnd.choice(visits)
        size = rnd.randint(0, state.snap.visits[visit_id].carers_required)
        state.set_carers(visit_id, tuple(rnd.sample(carers, size)))
    assert state.problems() == RotaState(state.snap, state.carers_of).problems()
    session.close()


def test_check_week_lists_every_problem_as_plain_data(small_demo_engine):
    session = new_session(small_demo_engine, "t")
    found = check_week(session, MONDAY + timedelta(days=6))
    assert found == state_for(session, MONDAY).problems()
    codes = {p.code for p in found}
    assert {P.UNSTAFFED, P.ABSENT, P.PREFERRED_CARER} <= codes
    assert all(p.severity == P.SEVERITY[p.code] for p in found)
    first = found[0].to_dict()
    assert set(first) == {"code", "severity", "message", "carer_id", "visit_ids", "day", "accepted"}
    session.close()


def test_plan_b_across_two_weeks_undone_in_one(small_demo_engine):
    """Sick from Sunday to Monday: Plan B covers visits in two rota weeks, and the combined
    change undoes both weeks' visits at once (``u`` on the grid after Plan B)."""
    from coordinator_tui.services.rota.assign import combine
    from coordinator_tui.services.visit_generation import generate_week

    sunday, next_monday = MONDAY + timedelta(days=6), MONDAY + timedelta(days=7)
    with session_scope(small_demo_engine, "t") as session:
        generate_week(session, next_monday)  # rolled forward: the same carers next week
        this_week, next_week = state_for(session, MONDAY), state_for(session, next_monday)
        carer_id = max(
            this_week.snap.carers,
            key=lambda c: min(
                len(this_week.day_visits(c, sunday)), len(next_week.day_visits(c, next_monday))
            ),
        )
        visits = [
            *this_week.day_visits(carer_id, sunday),
            *next_week.day_visits(carer_id, next_monday),
        ]
        assert this_week.day_visits(carer_id, sunday) and next_week.day_visits(
            carer_id, next_monday
        )
        before = {v: db_carers(session, v) for v in visits}
        mark_absent(session, carer_id, sunday, next_monday)
        result = apply_plan_b(session, carer_id, sunday, next_monday)
        assert len(result.changes) == len(visits)
        assert all(carer_id not in db_carers(session, v) for v in visits)

        combined = combine(result.changes)
        assert combined is not None and set(combined.after) == set(visits)
        assert combined.before == before
        undone = undo(session, combined, state_for(session, MONDAY))
        assert {v: db_carers(session, v) for v in visits} == before
        assert set(undone.after) == set(visits)
        # A second undo finds the visits changed since and refuses, changing nothing.
        with pytest.raises(RotaError, match="changed since"):
            undo(session, combined, state_for(session, MONDAY))
        assert {v: db_carers(session, v) for v in visits} == before
    assert combine([]) is None


def test_a_visit_recorded_missed_cannot_be_staffed(small_demo_engine):
    """Governance records a visit as missed: it is over and out of working time, so the
    rota refuses to put a carer on it (the week read again would not count them)."""
    make_open_visits(small_demo_engine)
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        visit_id, candidate = open_visit_with(state, want_soft=False)
        session.get(Visit, visit_id).status = VisitStatus.MISSED
    with session_scope(small_demo_engine, "t") as session:
        state = state_for(session, MONDAY)
        with pytest.raises(RotaError, match="recorded as missed"):
            assign(session, visit_id, candidate.carer_id, state=state)
    assert db_carers(small_demo_engine, visit_id) == ()
