"""Issue 22 §4, the services: an absence corrected and removed (versioned, audited, the
cover it caused put back), Plan B leaving out visits already over and recording what it
did, the call list, Plan C's actions (escalate, time change, agency), visits missed, hours
against contract after an absence, and the conflict message naming who changed a visit."""

from __future__ import annotations

import csv
import io
import stat
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from coordinator_tui.clock import MOMENT_KEY, UK
from coordinator_tui.db import new_session, session_scope
from coordinator_tui.models import (
    Absence,
    AbsenceCover,
    Action,
    AuditEvent,
    Visit,
    VisitAssignment,
)
from coordinator_tui.services.errors import ConflictError, CoordinatorError
from coordinator_tui.services.rota import absences as A
from coordinator_tui.services.rota import plan_c as C
from coordinator_tui.services.rota.assign import (
    RotaError,
    assign,
    state_for,
    unassign,
    visit_conflict_message,
)
from coordinator_tui.services.rota.call_list import (
    call_list,
    export_call_list,
    to_csv,
    to_markdown,
)
from coordinator_tui.services.rota.grid import MISSED, RotaWeek
from coordinator_tui.services.rota.measures import due_minutes, measures
from coordinator_tui.services.rota.plan_b import apply_plan_b, mark_absent, plan_b
from coordinator_tui.services.rota.snapshot import SCarer

MONDAY = date(2026, 11, 23)
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
BEFORE_THE_WEEK = datetime(2026, 11, 22, 12, 0, tzinfo=UK)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK)


def busiest(state, day: date) -> int:
    """The carer with the most planned visits on ``day``."""
    return max(state.snap.carers, key=lambda c: len(state.day_visits(c, day)))


def db_carers(session, visit_id: int) -> tuple[int, ...]:
    return tuple(
        session.exec(
            select(VisitAssignment.carer_id)
            .where(VisitAssignment.visit_id == visit_id)
            .order_by(VisitAssignment.slot)
        ).all()
    )


def absent_and_covered(engine, day: date = TUESDAY, now: datetime = BEFORE_THE_WEEK):
    """The busiest carer of ``day`` off sick that day, Plan B applied: (absence id,
    carer, the visits they had, the result)."""
    with session_scope(engine, "coordinator") as s:
        state = state_for(s, day)
        carer = busiest(state, day)
        visits = state.day_visits(carer, day)
        absence = mark_absent(s, carer, day, day)
        result = apply_plan_b(s, carer, day, day, absence_id=absence.id, now=now)
        return absence.id, carer, visits, result


class TestPlanBAndTheCallList:
    def test_visits_already_over_are_left_out(self, small_demo_engine):
        """Issue 22 §4: Plan B offered to reassign visits already over."""
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, TUESDAY)
            carer = busiest(state, TUESDAY)
            visits = state.day_visits(carer, TUESDAY)
            noon = at(TUESDAY, 12)
            over = [v for v in visits if state.snap.visits[v].end <= noon.timestamp() // 60]
            assert over and len(over) < len(visits)  # the demo's day spans noon
            mark_absent(s, carer, TUESDAY, TUESDAY)
            plan = plan_b(s, carer, TUESDAY, TUESDAY, now=noon)
            assert sorted(plan.past) == sorted(over)
            assert {i.visit_id for i in plan.items} == set(visits) - set(over)
            apply_plan_b(s, carer, TUESDAY, TUESDAY, now=noon)
            for visit_id in over:  # left as they were: the carer is still on them
                assert carer in db_carers(s, visit_id)

    def test_cover_is_recorded_and_listed_for_the_calls(self, small_demo_engine):
        absence_id, carer, visits, result = absent_and_covered(small_demo_engine)
        with session_scope(small_demo_engine, "t") as s:
            rows = s.exec(select(AbsenceCover).where(AbsenceCover.absence_id == absence_id)).all()
            assert {r.visit_id for r in rows} == set(visits)
            assert {(r.visit_id, r.carer_id) for r in rows if r.carer_id} == set(result.covered)
            calls = call_list(s, absence_id)
        assert len(calls.covered) == len(result.covered)
        assert len(calls.plan_c) == len(result.plan_c)
        assert [i.start for i in calls.items] == sorted(i.start for i in calls.items)
        for item in calls.covered:
            assert item.carer and item.absent_carer and item.customer
            assert item.call_about().startswith("tell customer")
            assert ("brief carer" in item.call_about()) is item.new_to_customer
            assert item.carer in item.details() and item.absent_carer in item.details()
            assert ("has not visited" in item.details()) is item.new_to_customer
        # Who is new to whom: a carer who never visited the customer before is new.
        with session_scope(small_demo_engine, "t") as s:
            for item in calls.covered:
                customer = s.get(Visit, item.visit_id).customer_id
                before = s.exec(
                    select(func.count())
                    .select_from(VisitAssignment)
                    .join(Visit, Visit.id == VisitAssignment.visit_id)
                    .where(
                        Visit.customer_id == customer,
                        Visit.start_at < s.get(Visit, item.visit_id).start_at,
                        VisitAssignment.carer_id
                        == next(c for v, c in result.covered if v == item.visit_id),
                    )
                ).one()
                if before:
                    assert not item.new_to_customer

    def test_call_list_exports_are_private_and_safe_in_a_spreadsheet(
        self, small_demo_engine, tmp_path
    ):
        absence_id, *_ = absent_and_covered(small_demo_engine)
        with session_scope(small_demo_engine, "t") as s:
            calls = call_list(s, absence_id)
        calls.items[0] = calls.items[0].__class__(
            **{**calls.items[0].__dict__, "customer": "=HYPERLINK(evil)"}
        )
        with session_scope(small_demo_engine, "t") as s:  # the export needs its session
            csv_path, md_path = export_call_list(calls, tmp_path / "out", today=MONDAY, session=s)
        for path in (csv_path, md_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        table = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
        assert table[0][:3] == ["Day", "Time", "Customer"]
        assert len(table) == len(calls.items) + 1
        assert table[1][2] == "'=HYPERLINK(evil)"  # not run as a formula
        markdown = md_path.read_text()
        assert markdown.startswith("# Call list: ") and "| Day | Time |" in markdown
        assert to_csv(calls).count("\r\n") == len(calls.items) + 1
        assert "Plan C" in to_markdown(calls) or not calls.plan_c


class TestAbsenceEdits:
    def test_overlapping_absence_is_refused(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            carer = busiest(state_for(s, TUESDAY), TUESDAY)
            mark_absent(s, carer, TUESDAY, WEDNESDAY)
            with pytest.raises(RotaError, match="Already absent"):
                mark_absent(s, carer, WEDNESDAY, WEDNESDAY + timedelta(days=1))

    def test_edit_carries_the_version_and_a_stale_edit_names_who(self, small_demo_engine):
        """Two coordinators edit the same absence: the second is refused, nothing lost."""
        with session_scope(small_demo_engine, "first") as s:
            carer = busiest(state_for(s, TUESDAY), TUESDAY)
            absence = mark_absent(s, carer, TUESDAY, TUESDAY)
            seen = A.absence_on(s, carer, TUESDAY)
        assert seen is not None and seen.version == absence.version
        with session_scope(small_demo_engine, "colleague") as s:
            A.edit_absence(s, seen.id, seen.version, start=TUESDAY, end=WEDNESDAY, kind="sickness")
        with pytest.raises(ConflictError) as caught, session_scope(small_demo_engine, "me") as s:
            A.edit_absence(s, seen.id, seen.version, start=TUESDAY, end=TUESDAY, kind="leave")
        message = str(caught.value)
        assert message.startswith("Refused: colleague changed this absence at ")
        assert "(end date)" in message and "Nothing was overwritten" in message
        with pytest.raises(ConflictError), session_scope(small_demo_engine, "me") as s:
            A.remove_absence(s, seen.id, seen.version, put_back=True, now=BEFORE_THE_WEEK)
        with session_scope(small_demo_engine, "t") as s:
            row = s.get(Absence, seen.id)
            assert (row.end_date, row.kind) == (WEDNESDAY, "sickness")
            updates = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "absence", AuditEvent.action == "update"
                )
            ).all()
            assert [u.actor for u in updates] == ["colleague"]

    def test_removing_puts_the_carer_back_on_the_cover(self, small_demo_engine):
        absence_id, carer, visits, result = absent_and_covered(small_demo_engine)
        assert result.covered
        with session_scope(small_demo_engine, "t") as s:
            view = s.get(Absence, absence_id)
            to_undo = A.cover_to_undo(s, absence_id, now=BEFORE_THE_WEEK)
            assert {c.visit_id for c in to_undo} == set(visits)
            back = A.remove_absence(s, absence_id, view.version, put_back=True, now=BEFORE_THE_WEEK)
        assert set(back.restored) | {v for v, _ in back.kept} == set(visits)
        assert back.restored
        with session_scope(small_demo_engine, "t") as s:
            assert s.get(Absence, absence_id) is None
            assert not s.exec(
                select(AbsenceCover).where(AbsenceCover.absence_id == absence_id)
            ).all()
            for visit_id in back.restored:
                assert carer in db_carers(s, visit_id)
            deleted = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "absence",
                    AuditEvent.action == "delete",
                    AuditEvent.row_id == absence_id,
                )
            ).all()
            assert len(deleted) == 1

    def test_removing_can_keep_the_cover(self, small_demo_engine):
        absence_id, carer, visits, result = absent_and_covered(small_demo_engine)
        with session_scope(small_demo_engine, "t") as s:
            version = s.get(Absence, absence_id).version
            back = A.remove_absence(s, absence_id, version, put_back=False, now=BEFORE_THE_WEEK)
            assert not back.restored
            for visit_id, new_carer in result.covered:
                assert db_carers(s, visit_id) == (new_carer,) or new_carer in db_carers(s, visit_id)

    def test_visits_started_or_changed_since_are_left(self, small_demo_engine):
        absence_id, carer, visits, result = absent_and_covered(small_demo_engine)
        changed_visit, new_carer = result.covered[0]
        with session_scope(small_demo_engine, "colleague") as s:
            unassign(s, changed_visit, new_carer)
        with session_scope(small_demo_engine, "t") as s:
            version = s.get(Absence, absence_id).version
            # Noon on the day: the morning's cover has started and stays.
            noon = at(TUESDAY, 12)
            back = A.remove_absence(s, absence_id, version, put_back=True, now=noon)
        kept = dict(back.kept)
        assert kept[changed_visit] == "changed since Plan B"
        started = {v for v, _ in result.covered if v != changed_visit}
        with session_scope(small_demo_engine, "t") as s:
            for visit_id in started:
                visit = s.get(Visit, visit_id)
                if visit.start_at.replace(tzinfo=UK) <= noon:
                    assert kept[visit_id] == "already started"

    def test_shortened_absence_offers_back_only_the_days_left_out(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, TUESDAY)
            carer = max(
                state.snap.carers,
                key=lambda c: min(
                    len(state.day_visits(c, TUESDAY)), len(state.day_visits(c, WEDNESDAY))
                ),
            )
            absence = mark_absent(s, carer, TUESDAY, WEDNESDAY)
            apply_plan_b(s, carer, TUESDAY, WEDNESDAY, absence_id=absence.id, now=BEFORE_THE_WEEK)
            row = A.edit_absence(
                s, absence.id, absence.version, start=TUESDAY, end=TUESDAY, kind="sickness"
            )
            outside = A.cover_to_undo(
                s, absence.id, now=BEFORE_THE_WEEK, outside=(row.start_date, row.end_date)
            )
            assert outside and all(c.day == WEDNESDAY for c in outside)
            back = A.undo_cover(s, absence.id, {c.visit_id for c in outside}, now=BEFORE_THE_WEEK)
            assert back.restored
            assert all(s.get(Visit, v).visit_date == WEDNESDAY for v in back.restored)
            for visit_id in back.restored:
                assert carer in db_carers(s, visit_id)
            left = {c.visit_id for c in A.cover_of(s, absence.id)}
            assert not left & set(back.restored)


def plan_c_visit(engine):
    """A visit nobody can cover, recorded as Plan C against an absence: a sole carer
    is made absent on a visit where every other carer is excluded by the customer."""
    from coordinator_tui.models import CustomerCarerPreference

    with session_scope(engine, "coordinator") as s:
        state = state_for(s, TUESDAY)
        carer = busiest(state, TUESDAY)
        visit_id = next(
            v for v in state.day_visits(carer, TUESDAY) if state.snap.visits[v].carers_required == 1
        )
        customer = state.snap.visits[visit_id].customer_id
        for other in state.snap.carers:
            if other != carer and other not in state.snap.customers[customer].excluded:
                s.add(
                    CustomerCarerPreference(
                        customer_id=customer, carer_id=other, kind="excluded", reason="test"
                    )
                )
        s.flush()
        absence = mark_absent(s, carer, TUESDAY, TUESDAY)
        apply_plan_b(
            s,
            carer,
            TUESDAY,
            TUESDAY,
            absence_id=absence.id,
            now=BEFORE_THE_WEEK,
            visit_ids={visit_id},
        )
        cover = s.exec(
            select(AbsenceCover).where(
                AbsenceCover.absence_id == absence.id, AbsenceCover.visit_id == visit_id
            )
        ).one()
        assert cover.carer_id is None
        return absence.id, cover.id, cover.version, visit_id, carer


def movable_visit(engine) -> tuple[int, int]:
    """(carer, visit): a single-carer visit of Tuesday that, with the carer off sick,
    another carer could take at another time within its window (probed, rolled back)."""
    probe = new_session(engine, "probe")
    try:
        state = state_for(probe, TUESDAY)
        for carer in sorted(state.snap.carers, key=lambda c: -len(state.day_visits(c, TUESDAY))):
            visits = [
                v
                for v in state.day_visits(carer, TUESDAY)
                if state.snap.visits[v].carers_required == 1
            ]
            mark_absent(probe, carer, TUESDAY, TUESDAY)
            for visit_id in visits:
                unassign(probe, visit_id, carer, state=state)
            for visit_id in visits:
                if C.time_options(probe, visit_id, now=BEFORE_THE_WEEK):
                    return carer, visit_id
            probe.rollback()
            state = state_for(probe, TUESDAY)
    finally:
        probe.rollback()
        probe.close()
    pytest.fail("no visit in the demo that a time change could cover: the demo must keep one")


def to_plan_c(engine, carer: int, visit_id: int) -> tuple[int, int, int]:
    """The carer off on Tuesday and ``visit_id`` left to Plan C as Plan B records it:
    (absence, cover record, its version)."""
    from coordinator_tui.services.rota.plan_b import record_cover

    with session_scope(engine, "coordinator") as s:
        absence = mark_absent(s, carer, TUESDAY, TUESDAY)
        unassign(s, visit_id, carer)
        cover = record_cover(s, absence.id, visit_id, carer, None)
        return absence.id, cover.id, cover.version


class TestPlanC:
    def test_escalate_makes_a_task_for_the_manager(self, small_demo_engine):
        absence_id, cover_id, version, visit_id, _ = plan_c_visit(small_demo_engine)
        with session_scope(small_demo_engine, "t") as s:
            why = C.why_nobody(s, visit_id)
            assert why.startswith("ruled out by ") and "excluded" in why
            task = C.escalate(s, cover_id, version, why=why, today=MONDAY)
            assert task.owner_label == C.MANAGER and task.due_date == TUESDAY
            assert task.status == "open" and "Cover needed" in task.description
            cover = s.get(AbsenceCover, cover_id)
            assert (cover.action, cover.task_id) == (C.ESCALATED, task.id)
            calls = call_list(s, absence_id)
        item = next(i for i in calls.items if i.visit_id == visit_id)
        assert item.call_about() == "escalated to manager"
        assert not calls.open_plan_c
        # The same record seen before the escalation is now stale.
        with pytest.raises(ConflictError), session_scope(small_demo_engine, "t") as s:
            C.mark_agency(s, cover_id, version, note="Agency A")
        with session_scope(small_demo_engine, "t") as s:
            assert s.exec(select(func.count()).select_from(Action)).one() >= 1

    def test_agency(self, small_demo_engine):
        absence_id, cover_id, version, visit_id, _ = plan_c_visit(small_demo_engine)
        with session_scope(small_demo_engine, "t") as s:
            C.mark_agency(s, cover_id, version, note="Acme care, ref 12")
            rota = RotaWeek.load(s, TUESDAY)
        assert rota.handed_on[visit_id] == C.AGENCY
        assert visit_id in rota.unassigned()  # still short on the rota, marked as handed on

    def test_time_change_within_the_window(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, MONDAY)
            visit_id = next(v for v in sorted(state.snap.visits) if state.short_of(v))
            window = C.window_of(s, visit_id)
            assert window is not None
            options = C.time_options(s, visit_id, now=BEFORE_THE_WEEK)
            for option in options:
                assert window[0] <= option.start <= window[1]
                assert option.candidates and all(c.feasible for c in option.candidates)
            # Nothing offered in the past.
            late = C.time_options(s, visit_id, now=window[0] + timedelta(minutes=11))
            assert all(o.start > window[0] + timedelta(minutes=11) for o in late)

    def test_move_visit_puts_the_carer_on_at_the_new_time(self, small_demo_engine):
        carer, visit_id = movable_visit(small_demo_engine)
        absence_id, cover_id, version = to_plan_c(small_demo_engine, carer, visit_id)
        with session_scope(small_demo_engine, "t") as s:
            options = C.time_options(s, visit_id, now=BEFORE_THE_WEEK)
            window = C.window_of(s, visit_id)
            before = s.get(Visit, visit_id).start_at
            length = s.get(Visit, visit_id).end_at - before
        assert options
        choice = options[-1]
        assert window[0] <= choice.start <= window[1]
        with session_scope(small_demo_engine, "t") as s, pytest.raises(RotaError, match="window"):
            C.move_visit(
                s,
                cover_id,
                version,
                start=window[1] + timedelta(minutes=5),
                carer_id=choice.best.carer_id,
                rationale="x",
            )
        with session_scope(small_demo_engine, "t") as s:
            C.move_visit(
                s,
                cover_id,
                version,
                start=choice.start,
                carer_id=choice.best.carer_id,
                rationale="customer agreed",
            )
            visit = s.get(Visit, visit_id)
            assert visit.start_at.astimezone(UK) == choice.start
            assert visit.end_at - visit.start_at == length
            assert db_carers(s, visit_id) == (choice.best.carer_id,)
            calls = call_list(s, absence_id)
        with session_scope(small_demo_engine, "t") as s:  # written as the unit committed
            moved = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "visit", AuditEvent.row_id == visit_id
                )
            ).all()
            assert moved and "start_at" in moved[-1].changes
        item = next(i for i in calls.items if i.visit_id == visit_id)
        assert item.action == C.TIME_CHANGE and item.covered
        assert item.moved_from == before.astimezone(UK)
        assert item.call_about().startswith(f"moved from {item.moved_from:%H:%M}")
        # The cover record was changed: the version the screen saw is now stale.
        with pytest.raises(ConflictError), session_scope(small_demo_engine, "t") as s:
            C.escalate(s, cover_id, version, why="", today=MONDAY)


class TestTheGridAfterAnAbsence:
    def test_hours_against_contract_follow_the_absence(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, TUESDAY)
            carer = max(
                (c for c in state.snap.carers.values() if c.contracted_minutes),
                key=lambda c: len(state.day_visits(c.id, TUESDAY)),
            )
            before = RotaWeek.load(s, TUESDAY)
            worked, due = before.week_minutes(carer.id), before.due_minutes(carer.id)
            assert due == carer.contracted_minutes
            mark_absent(s, carer.id, TUESDAY, TUESDAY)
            after = RotaWeek.load(s, TUESDAY)
        assert after.week_minutes(carer.id) < worked  # Tuesday's visits will not be worked
        assert after.due_minutes(carer.id) < due
        hours = {h.carer_id: h for h in measures(after.state).hours}
        assert hours[carer.id].due_minutes == after.due_minutes(carer.id)
        assert hours[carer.id].worked_minutes == after.week_minutes(carer.id)

    @pytest.mark.parametrize(
        ("pattern", "off", "expected"),
        [
            ((), 0, 1500),  # no absence: the contract
            ((), 1, round(1500 * 6 / 7)),  # no pattern: a day is one of seven
            ((0, 1, 2, 3, 4), 1, 1200),  # Monday to Friday: a weekday is one of five
            ((0, 1, 2, 3, 4), 7, 0),  # off all week
        ],
    )
    def test_due_minutes(self, pattern, off, expected):
        days = [MONDAY + timedelta(days=n) for n in range(7)]
        absent = frozenset(days[:off]) if off != 1 else frozenset({TUESDAY})
        carer = SCarer(
            1,
            contracted_minutes=1500,
            availability={d: ((480, 1020),) for d in pattern},
            absent_days=absent,
        )
        assert due_minutes(carer, days) == expected

    def test_unstaffed_visit_past_its_time_is_missed(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, MONDAY)
            short = sorted(
                (v for v in state.snap.visits if not state.carers_of.get(v)),
                key=lambda v: state.snap.visits[v].start,
            )
            first = short[0]
            start = state.snap.visits[first].start
            moment = datetime.fromtimestamp((start + 1) * 60, UK)
            s.info[MOMENT_KEY] = moment  # the unit of work's moment, as the app's session()
            rota = RotaWeek.load(s, MONDAY)
            s.info[MOMENT_KEY] = moment - timedelta(minutes=2)
            early = RotaWeek.load(s, MONDAY)
        assert rota.missed(first) == MISSED
        assert early.missed(first) == ""
        assert rota.missed_on(state.snap.visits[first].day) >= 1
        assert all(rota.missed(v) == "" for v in short if state.snap.visits[v].start > start + 1)


class TestConflictMessage:
    def test_names_who_put_a_carer_on_or_took_one_off(self, small_demo_engine):
        reader = new_session(small_demo_engine, "me")
        state = state_for(reader, MONDAY)
        visit_id, carers = next((v, c) for v, c in sorted(state.carers_of.items()) if len(c) == 1)
        with session_scope(small_demo_engine, "colleague") as other:
            unassign(other, visit_id, carers[0])
        with pytest.raises(ConflictError) as caught:
            unassign(reader, visit_id, carers[0], state=state)
        assert str(caught.value).startswith("Refused: colleague took a carer off this visit at ")
        assert "press F5 to reload" in str(caught.value)
        reader.rollback()
        reader.close()
        with session_scope(small_demo_engine, "t") as s:
            assert visit_conflict_message(s, visit_id).startswith("Refused: colleague took")

    def test_a_carer_changed_in_place_is_named_with_the_field(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            state = state_for(s, MONDAY)
            visit_id, carers = next(
                (v, c) for v, c in sorted(state.carers_of.items()) if len(c) == 1
            )
            row = s.exec(select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)).one()
            other = next(c for c in state.snap.carers if c != carers[0])
        with session_scope(small_demo_engine, "colleague") as s:
            s.get(VisitAssignment, row.id).carer_id = other
        with session_scope(small_demo_engine, "t") as s:
            message = visit_conflict_message(s, visit_id)
        assert message.startswith("Refused: colleague changed this visit at ")
        assert "(carer id)" in message

    def test_a_carer_put_on_is_named(self, small_demo_engine):
        reader = new_session(small_demo_engine, "me")
        state = state_for(reader, MONDAY)
        visit_id = next(v for v in sorted(state.snap.visits) if not state.carers_of.get(v))
        carer = next(iter(state.snap.carers))
        with session_scope(small_demo_engine, "colleague") as other:
            assign(other, visit_id, carer, allow_hard=True, rationale="t")
        with pytest.raises(CoordinatorError, match="colleague put a carer on this visit"):
            assign(reader, visit_id, carer, state=state, allow_hard=True, rationale="t")
        reader.rollback()
        reader.close()


@given(
    count=st.integers(min_value=0, max_value=12),
    lines=st.integers(min_value=1, max_value=4),
    width=st.integers(min_value=60, max_value=200),
)
def test_problem_lines_account_for_every_problem(count, lines, width):
    """The line under the grid shows every problem: in full, by title, or counted."""
    from coordinator_tui.screens.rota.grid import problem_lines
    from coordinator_tui.services.rota import problems as P
    from coordinator_tui.services.rota.problems import Problem

    codes = sorted(P.SEVERITY)
    problems = [
        Problem(codes[n % len(codes)], P.SEVERITY[codes[n % len(codes)]], f"message {n}", 1)
        for n in range(count)
    ]
    shown = problem_lines(problems, lines, width)
    assert len(shown) <= lines
    text = "\n".join(t.plain for t in shown)
    assert all(t.cell_len <= width for t in shown)
    named = sum(1 for p in problems if p.title in text)
    counted = int(text.split("+")[-1].split()[0]) if " more" in text else 0
    assert named + counted >= count
