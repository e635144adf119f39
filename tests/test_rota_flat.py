"""The rota flat with the data (issue 23 §1): a week's load reads no visits before the
week's own context (continuity comes from ``CarerWeekHours.customers``, kept with the
hours), its queries walk indexes (``EXPLAIN QUERY PLAN``: no full scan, no temporary
B-tree), and ranking rules carers out cheaply before the what-if, answering as the full
check does."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rota_changes import apply_change
from sqlalchemy import event, select, update

from coordinator_tui.clock import UK
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    Carer,
    CarerWeekHours,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.services.rota import snapshot as snapshot_module
from coordinator_tui.services.rota import week_hours
from coordinator_tui.services.rota.assign import Candidate, _regulars, rank_carers, travel_added
from coordinator_tui.services.rota.snapshot import (
    CONTEXT_DAYS,
    HISTORY_WEEKS,
    load_week,
    seen_pairs,
)
from coordinator_tui.services.rota.validate import RotaState

MONDAY = date(2026, 11, 23)  # the demo's week (conftest.DEMO_TODAY)


def stored_customers(session) -> dict[tuple[int, date], str | None]:
    return {
        (carer_id, week): text
        for carer_id, week, text in session.execute(
            select(CarerWeekHours.carer_id, CarerWeekHours.week_start, CarerWeekHours.customers)
        )
    }


def computed_customers(session) -> dict[tuple[int, date], str]:
    return {
        key: week_hours.customers_text(found) for key, found in week_hours.visited(session).items()
    }


def assert_rows_match_visits(session, before: date | None = None) -> None:
    """Every row's ``customers`` is what its week's visits give ("" for a week without),
    and every week with visits has a row (``before``: of the weeks before that Monday; the
    demo writes rows for the 16 weeks before its own)."""
    computed = computed_customers(session)
    stored = stored_customers(session)
    for key, text in stored.items():
        assert text == computed.get(key, ""), key
    assert {k for k in computed if before is None or k[1] < before} <= set(stored)


# -- stored equals computed ---------------------------------------------------------------


def test_the_demo_keeps_each_weeks_customers_and_the_load_reads_them(small_demo_engine):
    """The seeded demo's rows know their customers, and the week's continuity read from
    them is the set the 16 weeks of visits give."""
    with session_scope(small_demo_engine, "t") as session:
        assert_rows_match_visits(session, before=MONDAY)
        snap = load_week(session, MONDAY)
        first = MONDAY - timedelta(weeks=HISTORY_WEEKS)
        assert snap.known_pairs == seen_pairs(session, first, MONDAY)
        assert snap.known_pairs, "the demo's weeks before have visits"


def test_rows_from_before_the_column_fall_back_to_the_visits(small_demo_engine):
    """A row written before migration 0014 (``customers`` NULL, from visits) is not taken
    as "no customers": the load reads the visits for continuity then, and
    ``fill_customers`` (what the migration runs) puts the column right."""
    with session_scope(small_demo_engine, "t") as session:
        expected = load_week(session, MONDAY).known_pairs
        session.connection().execute(update(CarerWeekHours).values(customers=None))
        assert load_week(session, MONDAY).known_pairs == expected
        assert week_hours.fill_customers(session.connection()) > 0
        assert_rows_match_visits(session, before=MONDAY)
        assert load_week(session, MONDAY).known_pairs == expected


# Operations on a small world of 3 carers and 3 customers over three weeks, saved through
# the session one unit of work each (as the app saves them).
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "reassign", "unassign", "cancel", "move", "customer"]),
        st.integers(0, 20),  # the day (from three weeks before MONDAY)
        st.integers(1, 3),  # a carer
        st.integers(1, 3),  # a customer
        st.integers(0, 99),  # which existing visit
    ),
    min_size=1,
    max_size=12,
)


def _apply(session, op: tuple[str, int, int, int, int]) -> None:
    kind, day_offset, carer_id, customer_id, pick = op
    day = MONDAY - timedelta(weeks=3) + timedelta(days=day_offset)
    apply_change(
        session,
        kind,
        begin=datetime.combine(day, time(9 + day_offset % 8), tzinfo=UK),
        minutes=30,
        carer_id=carer_id,
        customer_id=customer_id,
        pick=pick,
        shift=timedelta(days=day_offset % 9 - 4),
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_kept_customers_equal_the_visits_after_any_changes(operations):
    """Whatever is saved (visits added, carers changed or taken off, visits cancelled,
    moved to another day or week, or to another customer), each week's stored
    ``customers`` equals what its visits give, and the week's continuity equals the pairs
    read from 16 weeks of visits."""
    with tempfile.TemporaryDirectory() as folder:
        opened = open_database(str(Path(folder) / "flat.db"))
        try:
            engine = opened.engine
            with session_scope(engine, "t") as session:
                session.add_all(Carer(name=f"Carer {n}") for n in range(1, 4))
                session.add_all(
                    Customer(name=f"Customer {n}", lat=53.6, lon=-2.16) for n in range(1, 4)
                )
            for op in operations:
                with session_scope(engine, "t") as session:
                    _apply(session, op)
            with session_scope(engine, "t") as session:
                assert_rows_match_visits(session)
                first = MONDAY - timedelta(weeks=HISTORY_WEEKS)
                assert load_week(session, MONDAY).known_pairs == seen_pairs(session, first, MONDAY)
        finally:
            opened.engine.dispose()


# -- what the load reads, and how --------------------------------------------------------


def _statements(engine, monkeypatch, session, day: date) -> list[tuple[str, tuple]]:
    """The statements ``load_week`` sends (the rule modules' extensions left out)."""
    monkeypatch.setattr(snapshot_module, "EXTENSIONS", [])
    sent: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, tuple(parameters or ())))

    event.listen(engine, "before_cursor_execute", record)
    try:
        load_week(session, day)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def test_the_load_reads_no_visits_before_the_weeks_context(small_demo_engine, monkeypatch):
    """No statement of the load asks for a day before the two days of context before the
    week: the 16 weeks before are read from ``carer_week_hours`` alone."""
    earliest = MONDAY - timedelta(days=CONTEXT_DAYS)
    with session_scope(small_demo_engine, "t") as session:
        sent = _statements(small_demo_engine, monkeypatch, session, MONDAY)
    visit_reads = [(sql, params) for sql, params in sent if "FROM visit" in sql]
    assert visit_reads
    for sql, params in visit_reads:
        days = [
            date.fromisoformat(p[:10]) for p in params if isinstance(p, str) and p[:4] == "2026"
        ]
        days += [p for p in params if isinstance(p, date)]
        assert all(day >= earliest for day in days), sql


def test_the_loads_queries_walk_indexes(small_demo_engine, monkeypatch):
    """``EXPLAIN QUERY PLAN`` of every statement the load sends that reads visits or the
    weeks' rows: each table searched by an index (no full scan), and no temporary B-tree
    (no sort or DISTINCT over the rows read)."""
    with session_scope(small_demo_engine, "t") as session:
        sent = _statements(small_demo_engine, monkeypatch, session, MONDAY)
        raw = session.connection().connection.dbapi_connection
        checked = 0
        for sql, params in sent:
            if "visit" not in sql and "carer_week_hours" not in sql:
                continue
            plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            text = " | ".join(plan)
            checked += 1
            for table in ("visit", "visit_assignment", "carer_week_hours"):
                assert not any(step.startswith(f"SCAN {table}") for step in plan), text
            assert "TEMP B-TREE" not in text, text
    assert checked >= 3


def test_the_history_is_one_range_of_the_week_start_index(engine):
    with session_scope(engine, "t") as session:
        raw = session.connection().connection.dbapi_connection
        plan = [
            row[3]
            for row in raw.execute(
                "EXPLAIN QUERY PLAN SELECT carer_id, hours, customers FROM carer_week_hours "
                "WHERE week_start >= ? AND week_start < ?",
                ("2026-08-03", "2026-11-23"),
            )
        ]
    assert plan == [
        "SEARCH carer_week_hours USING INDEX ix_carer_week_hours_week_start "
        "(week_start>? AND week_start<?)"
    ]


# -- ranking --------------------------------------------------------------------------------


def _full_ranking(state: RotaState, visit_id: int, replacing: int | None) -> list[Candidate]:
    """The ranking as it was: the what-if for every carer (the reference)."""
    from coordinator_tui.services.rota import assign as A

    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    current = tuple(c for c in state.carers_of.get(visit_id, ()) if c != replacing)
    regulars = _regulars(state, visit_id)
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


@pytest.mark.parametrize("replacing", [False, True])
def test_ranking_rules_carers_out_as_the_full_check_does(small_demo_engine, replacing):
    """For visits short of carers, and for a carer replaced on visits that have theirs:
    the same carers are feasible, in the same order with the same scores and soft
    problems; an infeasible carer gives the same first reason (ruled out by a rule on the
    visit, their week is not checked further)."""
    with session_scope(small_demo_engine, "t") as session:
        state = RotaState(load_week(session, MONDAY))
    if replacing:
        cases = [(v, c[0]) for v, c in sorted(state.carers_of.items()) if c][::40][:15]
    else:
        cases = [(v, None) for v in sorted(state.snap.visits) if state.short_of(v)][:15]
    assert cases
    for visit_id, carer_id in cases:
        ranked = rank_carers(state, visit_id, replacing=carer_id)
        full = {c.carer_id: c for c in _full_ranking(state, visit_id, carer_id)}
        assert {c.carer_id for c in ranked} == set(full)
        feasible = [c for c in ranked if c.feasible]
        assert feasible == sorted(
            (c for c in full.values() if c.feasible),
            key=lambda c: (-c.score, c.travel_added, c.name, c.carer_id),
        )
        for candidate in ranked:
            if not candidate.feasible:
                reference = full[candidate.carer_id]
                assert not reference.feasible
                assert candidate.reason == reference.reason
                assert set(candidate.hard) <= set(reference.hard)


def test_the_load_on_postgresql_reads_times_and_days_as_on_sqlite(pg_url):
    """PostgreSQL works the epoch seconds out with ``extract(epoch ...)`` and gives dates
    as dates: the week loads with the same minutes, days and continuity as the visits
    hold (a clock change inside it: 25 October 2026, when BST ends)."""
    opened = open_database(pg_url)
    try:
        engine = opened.engine
        week = date(2026, 10, 19)
        with session_scope(engine, "t") as session:
            session.add_all(Carer(name=f"Carer {n}") for n in range(1, 3))
            session.add_all(Customer(name=f"Customer {n}", lat=53.6, lon=-2.16) for n in (1, 2))
        for day, hour, carer_id, customer_id in [
            (week - timedelta(days=5), 9, 1, 1),  # last week: continuity
            (week + timedelta(days=1), 10, 2, 2),
            (date(2026, 10, 25), 9, 1, 2),  # Sunday 25 October: the clock change
            (week + timedelta(days=2), 23, 2, 1),
        ]:
            with session_scope(engine, "t") as session:
                begin = datetime.combine(day, time(hour), tzinfo=UK)
                visit = Visit(
                    customer_id=customer_id,
                    visit_date=day,
                    start_at=begin,
                    end_at=begin + timedelta(minutes=45),
                    status=VisitStatus.PLANNED,
                )
                session.add(visit)
                session.flush()
                session.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=1))
        with session_scope(engine, "t") as session:
            snap = load_week(session, week)
            rows = session.execute(select(Visit.id, Visit.visit_date, Visit.start_at)).all()
            in_week = {vid: (day, at) for vid, day, at in rows if week <= day < week + timedelta(7)}
            assert set(snap.visits) == set(in_week)
            for vid, (day, at) in in_week.items():
                visit = snap.visits[vid]
                assert visit.day == day
                assert visit.start == snapshot_module.epoch_minutes(at)
                local = at.astimezone(UK)
                assert visit.local_start == local.hour * 60 + local.minute
            first = week - timedelta(weeks=HISTORY_WEEKS)
            assert snap.known_pairs == seen_pairs(session, first, week)
            assert snap.known_pairs
            assert_rows_match_visits(session)
    finally:
        opened.engine.dispose()


def test_the_weeks_continuity_measure_counts_as_sets_do(small_demo_engine):
    """The measures' continuity (carer visits, by regulars, visits short), counted without
    a set per visit, is what the set arithmetic gives, on the demo week and after a
    double-up is given the same carer twice."""
    from collections import defaultdict

    from coordinator_tui.services.rota.measures import measures, regular_carers

    with session_scope(small_demo_engine, "t") as session:
        state = RotaState(load_week(session, MONDAY))
    double = next(v for v, visit in state.snap.visits.items() if visit.carers_required == 2)
    carer = next(iter(state.snap.carers))
    state.set_carers(double, (carer, carer))
    regulars = regular_carers(state)
    done: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    short = 0
    for visit_id, visit in state.snap.visits.items():
        carers = set(state.carers_of.get(visit_id, ()))
        short += len(carers) < visit.carers_required
        done[visit.customer_id][0] += len(carers)
        done[visit.customer_id][1] += len(carers & regulars.get(visit.customer_id, set()))
    found = measures(state)
    assert found.unassigned_visits == short
    assert {c.customer_id: [c.carer_visits, c.by_regular] for c in found.continuity} == done
