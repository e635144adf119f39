"""The stored ``register_entry.health_assessment_due`` stays equal to what the rules compute.

Issue 23: the review queue's "health assessments late" was computed per row (each
looked-after entry's chronology read and the schedule worked out), so it grew with the
data. It is now a stored, indexed column counted by one index range COUNT. Stored means
it can fall out of step: every service write that changes what it is counted from (the
entry's register, the assessments in the chronology, an undo of either, a new
registration) puts it back in step, and these tests check it after each such write,
against ``rules.health_assessments_due`` reading the chronology afresh (statutory guidance
on promoting the health of looked-after children, 2015, paras 29-31). Migration 0013
fills it for the rows already there.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from coordinator_tui.db import create_db_engine, open_database, resolve_target, session_scope
from coordinator_tui.db import upgrade as upgrade_to
from coordinator_tui.models import (
    ChronologyEntry,
    EntryStatus,
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services import registers as reg
from coordinator_tui.services import rules
from coordinator_tui.services.errors import CoordinatorError

TODAY = date(2026, 11, 23)
BORN = (date(2023, 2, 28), date(2016, 7, 1), date(2021, 11, 30))  # under 5 / over / turning


def _world(engine) -> dict[str, int]:
    """Three children: two looked after (one since 2024, one since this spring), one on
    Child in Need; category ids by code."""
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        lac = RegisterCategory(code="LAC", name="Looked After", age_band="child")
        cin = RegisterCategory(code="CIN", name="Child in Need", age_band="child")
        s.add_all([practice, lac, cin])
        s.flush()
        starts = (date(2024, 3, 1), date(2026, 4, 6), date(2025, 9, 15))
        for i, (born, start) in enumerate(zip(BORN, starts, strict=True)):
            person = Person(
                nhs_number=f"999100{i:04d}",
                given_name="Kid",
                family_name=f"Child{i}",
                search_name=f"child{i} kid",
                date_of_birth=born,
                practice_id=practice.id,
            )
            s.add(person)
            s.flush()
            s.add(
                RegisterEntry(
                    person_id=person.id,
                    category_id=(cin if i == 2 else lac).id,
                    practice_id=practice.id,
                    start_date=start,
                    next_review_due=TODAY + timedelta(days=i),
                )
            )
        return {"LAC": lac.id, "CIN": cin.id}


def _computed(session) -> dict[int, date | None]:
    """Each entry's due date as the rules compute it from the chronology: set when a
    looked-after entry has an assessment recorded since entering care."""
    found = session.execute(
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            RegisterEntry.start_date,
            Person.date_of_birth,
            RegisterCategory.code,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
    ).all()
    looked_after = [(e, p, start, born) for e, p, start, born, code in found if code == "LAC"]
    due = rules.health_assessments_due(session, looked_after, TODAY)
    assessed = {
        (person_id, on)
        for person_id, on in session.execute(
            select(ChronologyEntry.person_id, ChronologyEntry.occurred_on).where(
                ChronologyEntry.kind == rules.HEALTH_ASSESSMENT_KIND
            )
        )
    }
    return {
        e: due[e].due
        if e in due and any(p == person and on >= start for person, on in assessed)
        else None
        for e, p, start, _born, _code in found
    }


def _stored(session) -> dict[int, date | None]:
    found = session.execute(select(RegisterEntry.id, RegisterEntry.health_assessment_due))
    return {entry_id: due for entry_id, due in found.all()}


_TEMPLATE: list[Path] = []


def _template(factory) -> Path:
    """The three children's database, migrated and filled once, copied for each example."""
    if not _TEMPLATE:
        path = factory.mktemp("ha-template") / "world.db"
        opened = open_database(str(path))
        _world(opened.engine)
        opened.engine.dispose()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


# One write: (what, which entry or person index, a number of days back / a choice).
WRITES = st.lists(
    st.tuples(
        st.sampled_from(["assess", "undo", "category", "end", "register"]),
        st.integers(0, 2),
        st.integers(0, 900),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=WRITES)
def test_stored_due_equals_the_computed_one_after_every_write(tmp_path_factory, writes):
    """A hypothesis sequence of the services' writes (record an assessment, undo, move the
    entry between a looked-after register and another, end it, register the child
    again): after each one, the stored column equals the rules' value for every entry."""
    path = tmp_path_factory.mktemp("ha") / "ha.db"
    shutil.copy(_template(tmp_path_factory), path)
    opened = open_database(str(path), migrate=False)
    try:
        with session_scope(opened.engine, "t") as s:
            categories = dict(s.execute(select(RegisterCategory.code, RegisterCategory.id)).all())
        undo: list[reg.Undo] = []
        for what, which, days in writes:
            with session_scope(opened.engine, "t") as s:
                entries = list(s.scalars(select(RegisterEntry).order_by(RegisterEntry.id)))
                entry = entries[which % len(entries)]
                try:
                    if what == "assess":
                        undo.append(
                            reg.record_health_assessment(
                                s,
                                entry.id,
                                entry.version,
                                today=TODAY,
                                by="t",
                                done_on=TODAY - timedelta(days=days),
                            )
                        )
                    elif what == "undo" and undo:
                        reg.undo_last(s, undo)
                    elif what == "category":
                        other = "CIN" if entry.category_id == categories["LAC"] else "LAC"
                        undo.append(
                            reg.change_entry(
                                s,
                                entry.id,
                                entry.version,
                                today=TODAY,
                                by="t",
                                category_id=categories[other],
                            )
                        )
                    elif what == "end" and entry.status == EntryStatus.ACTIVE:
                        undo.append(
                            reg.end_registration(
                                s,
                                entry.id,
                                entry.version,
                                today=TODAY,
                                by="t",
                                end_date=max(entry.start_date, TODAY - timedelta(days=1)),
                                reason="left care",
                            )
                        )
                    elif what == "register":
                        undo.append(
                            reg.add_registration(
                                s,
                                person_id=entry.person_id,
                                category_id=categories["LAC"],
                                start_date=TODAY - timedelta(days=days % 400),
                                today=TODAY,
                                by="t",
                            )
                        )
                except CoordinatorError:
                    s.rollback()  # refused (e.g. before entering care): nothing written
            with session_scope(opened.engine, "t") as s:
                assert _stored(s) == _computed(s), (what, which, days)
    finally:
        opened.engine.dispose()


def test_the_queue_counts_a_late_assessment_from_the_stored_column(engine):
    """An assessment recorded 13 months ago for a child over 5 (review 12 months on,
    para 31) is late: the queue's count says 1, from the indexed column; undone, 0."""
    _world(engine)
    with session_scope(engine, "t") as s:
        entry = s.scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()[1]
        token = reg.record_health_assessment(
            s,
            entry.id,
            entry.version,
            today=TODAY,
            by="t",
            done_on=date(2026, 4, 10),  # since entering care; 12 months on: 10/04/2027
        )
    with session_scope(engine, "t") as s:
        assert reg.queue_counts(s, TODAY).health_assessments_late == 0
        assert s.get(RegisterEntry, entry.id).health_assessment_due == date(2027, 4, 10)
    later = date(2027, 5, 1)
    with session_scope(engine, "t") as s:
        counts = reg.queue_counts(s, later, reg.QueueFilter(horizon_days=365))
        assert counts.health_assessments_late == 1
        assert (
            reg.queue_search(s, later, reg.QueueFilter(horizon_days=365))
            .counts(
                reg.queue_search(s, later, reg.QueueFilter(horizon_days=365)).matching("child1")
            )
            .health_assessments_late
            == 1
        )
        reg.undo(s, token)
    with session_scope(engine, "t") as s:
        assert (
            reg.queue_counts(s, later, reg.QueueFilter(horizon_days=365)).health_assessments_late
            == 0
        )


def test_migration_0013_fills_the_column_for_rows_already_there(tmp_path):
    """A database at 0012 (rows written to its tables as they were then) with a
    looked-after child's assessments in the chronology, one from before entering care
    (which does not count): upgraded, the column holds the review after the latest since
    entering care (para 31: 6 months on, before the 5th birthday); other entries none."""
    from test_migrations_with_data import _insert

    path = tmp_path / "old.db"
    engine = create_db_engine(resolve_target(str(path)))
    upgrade_to(engine, "0012")
    meta = sa.MetaData()
    with engine.begin() as connection:
        meta.reflect(connection)
        _insert(connection, meta, "register_category", id=1, code="LAC", name="Looked After")
        _insert(connection, meta, "register_category", id=2, code="CIN", name="Child in Need")
        for i, born in enumerate(BORN, start=1):
            _insert(
                connection,
                meta,
                "person",
                id=i,
                nhs_number=f"999100{i:04d}",
                date_of_birth=born,
            )
        for i, (category, start) in enumerate(
            ((1, date(2024, 3, 1)), (1, date(2026, 4, 6)), (2, date(2025, 9, 15))), start=1
        ):
            _insert(
                connection,
                meta,
                "register_entry",
                id=i,
                person_id=i,
                category_id=category,
                start_date=start,
                status="active",
            )
        for person_id, on in (
            (1, date(2025, 10, 1)),
            (1, date(2024, 1, 1)),  # before entering care (01/03/2024)
            (2, date(2026, 3, 1)),  # before entering care (06/04/2026)
            (3, date(2026, 1, 1)),  # Child in Need: none kept
        ):
            _insert(
                connection,
                meta,
                "chronology_entry",
                person_id=person_id,
                occurred_on=on,
                kind="health_assessment",
            )
    upgrade_to(engine, "head")
    with session_scope(engine, "t") as s:
        stored = _stored(s)
        assert stored == _computed(s)
    engine.dispose()
    # Born 28/02/2023, assessed 01/10/2025: 6 months on, before the 5th birthday.
    assert stored == {1: date(2026, 4, 1), 2: None, 3: None}
