"""Once a unit of work has chained its audit rows (``audit.write_pending_now``: an export's
``record_export``, or the commit's own last statements) it writes no more data: a flush
with changes or a write statement raises ``ChainWrittenError`` and nothing of the unit of
work is kept. Further exports' audit rows are allowed (chained at once under the lock
the unit of work holds).

Why it is enforced: on PostgreSQL the chain's lock is held to the commit, and a holder
that then waits on another transaction's row deadlocks with it; and rows written after
the commit's own chaining had their audit rows lost. That happened: ``CarerWeekHours``,
refreshed by a ``before_commit`` hook that ran after the audit trail's, was written
without a trace in the trail (the hook now runs first: ``db.py``)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select, update

from coordinator_tui.audit import ChainWrittenError, record_export, verify_chain
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Person, Visit, VisitAssignment
from coordinator_tui.models.rota import Carer, CarerWeekHours


def audit_rows(engine, **where) -> list[AuditEvent]:
    with session_scope(engine, "read") as s:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, name) == value)
        return list(s.scalars(stmt))


def first_person(s) -> Person:
    return s.scalars(select(Person).order_by(Person.id)).first()


def test_a_row_written_after_an_export_is_recorded_refuses_the_unit_of_work(small_demo_engine):
    """An export's data is written before ``record_export``, never after: after it, the
    unit of work is refused whole (the export's row and the change both gone)."""
    with session_scope(small_demo_engine, "t") as s:
        person_id, before = first_person(s).id, first_person(s).case_summary
    with (
        pytest.raises(ChainWrittenError, match="audit rows were chained"),
        session_scope(small_demo_engine, "mender") as s,
    ):
        record_export(s, "chronology", "person", person_id, ["md"])
        first_person(s).case_summary = "Written after the export was recorded"
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(Person, person_id).case_summary == before
    assert audit_rows(small_demo_engine, actor="mender") == []


def test_a_write_statement_after_an_export_is_refused(small_demo_engine):
    with (
        pytest.raises(ChainWrittenError, match="write statement on person"),
        session_scope(small_demo_engine, "mender") as s,
    ):
        person_id = first_person(s).id
        record_export(s, "chronology", "person", person_id, ["md"])
        s.execute(update(Person).where(Person.id == person_id).values(case_summary="x"))
    assert audit_rows(small_demo_engine, actor="mender") == []


def test_data_then_exports_is_the_allowed_order(small_demo_engine):
    """The data first, then as many exports as the unit of work makes (a letter as Word
    and as text): everything kept, in the chain, in order."""
    with session_scope(small_demo_engine, "mender") as s:
        person = first_person(s)
        person.case_summary = "Written before the export was recorded"
        record_export(s, "chronology", "person", person.id, ["md"])
        record_export(s, "chronology", "person", person.id, ["csv"])
    rows = audit_rows(small_demo_engine, actor="mender")
    assert sorted(r.action for r in rows) == ["export", "export", "update"]
    with session_scope(small_demo_engine, "t") as s:
        assert verify_chain(s.connection()).ok


def test_a_hook_writing_after_the_trail_chained_is_refused_not_lost(small_demo_engine):
    """A ``before_commit`` hook that runs after the audit trail's and writes: refused
    loudly (before, its rows were committed with no audit row)."""
    with (
        pytest.raises(ChainWrittenError, match="Rows flushed"),
        session_scope(small_demo_engine, "mender") as s,
    ):
        first_person(s).case_summary = "A change"

        @event.listens_for(s, "before_commit")
        def late_hook(session) -> None:
            first_person(session).case_summary = "Written after the trail chained"

    assert audit_rows(small_demo_engine, actor="mender") == []


def test_the_weekly_hours_a_visit_change_refreshes_are_in_the_trail(small_demo_engine):
    """Moving a visit to another carer refreshes both carers' ``CarerWeekHours`` at the
    commit (WTR 17-week averages): those rows are audited like any other, and the chain
    still verifies (they were written with no audit row)."""
    with session_scope(small_demo_engine, "t") as s:
        place = s.scalars(
            select(VisitAssignment)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.status == "planned", Visit.visit_date >= date(2026, 11, 23))
            .order_by(Visit.visit_date, Visit.id)
        ).first()
        other = s.scalars(select(Carer.id).where(Carer.id != place.carer_id)).first()
        weeks_before = s.scalar(select(func.count(CarerWeekHours.id)))
    with session_scope(small_demo_engine, "mender") as s:
        s.get(VisitAssignment, place.id).carer_id = other
    with session_scope(small_demo_engine, "t") as s:
        changed = s.scalars(
            select(CarerWeekHours).where(CarerWeekHours.carer_id.in_([place.carer_id, other]))
        ).all()
        weeks_after = s.scalar(select(func.count(CarerWeekHours.id)))
        assert verify_chain(s.connection()).ok
    rows = audit_rows(small_demo_engine, actor="mender")
    tables = [r.table_name for r in rows]
    assert tables[0] == "visit_assignment"
    week_rows = [r for r in rows if r.table_name == "carer_week_hours"]
    assert week_rows, "the refreshed weeks' rows have no audit row"
    assert {r.row_id for r in week_rows} <= {w.id for w in changed}
    assert weeks_after >= weeks_before
