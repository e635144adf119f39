"""Talking to customers and families (issue 18 §6): the contact log with follow-ups chased
like actions, the rota changes to tell customers of (a carer new to them, a visit moved
outside its window) until a contact is logged, and Plan B calls recorded by outcome."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Absence,
    AbsenceCover,
    ContactLog,
    Visit,
    VisitAssignment,
)
from coordinator_tui.services.care import contacts as ct
from coordinator_tui.services.errors import ConflictError
from tests.care_staff_world import MONDAY, NOW, TODAY, at, build


@pytest.fixture
def world(engine):
    return build(engine)


def _log(engine, world, **over) -> int:
    values = dict(
        customer_id=world.edith,
        at=NOW,
        method="call_in",
        who="daughter",
        said="Asked about Tuesday's visit",
        outcome="Explained",
        follow_up_on=TODAY + timedelta(days=2),
        by="c",
        now=NOW,
    )
    values.update(over)
    with session_scope(engine, "c") as s:
        return ct.log_contact(s, **values).id


def _count(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.execute(select(func.count()).select_from(ContactLog)).scalar_one()


class TestLog:
    @pytest.mark.parametrize(
        ("over", "words"),
        [
            ({"method": "pigeon"}, "Unknown method"),
            ({"at": NOW + timedelta(hours=1)}, "future"),
            ({"said": "", "outcome": " "}, "what was said"),
            ({"follow_up_on": TODAY - timedelta(days=1)}, "before the contact"),
            ({"customer_id": 999}, "no longer exists"),
            ({"at": None}, "when"),
        ],
    )
    def test_bad_input_is_one_line_and_writes_nothing(self, engine, world, over, words):
        with pytest.raises(ct.ContactError, match=words):
            _log(engine, world, **over)
        assert _count(engine) == 0

    def test_follow_ups_are_chased_overdue_first(self, engine, world):
        late = _log(engine, world, follow_up_on=TODAY)
        _log(engine, world, follow_up_on=TODAY + timedelta(days=3))
        _log(engine, world, follow_up_on=None)
        later = TODAY + timedelta(days=2)
        with session_scope(engine, "t") as s:
            rows = ct.follow_ups(s, later)
        assert [r.id for r in rows][0] == late
        assert rows[0].follow_up_words(later).startswith("OVERDUE")
        with session_scope(engine, "c") as s:
            ct.complete_follow_up(s, late, 1, note="Rang back", now=NOW)
        with session_scope(engine, "t") as s:
            assert late not in [r.id for r in ct.follow_ups(s, later)]

    def test_a_follow_up_done_by_a_colleague_meanwhile_is_refused(self, engine, world):
        contact = _log(engine, world)
        with session_scope(engine, "colleague") as s:
            ct.redate_follow_up(s, contact, 1, on=TODAY + timedelta(days=5), today=TODAY)
        with pytest.raises(ConflictError, match="colleague"), session_scope(engine, "me") as s:
            ct.complete_follow_up(s, contact, 1, note="x", now=NOW)

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(said=st.text(max_size=40))
    def test_any_text_is_stored_without_control_codes(self, engine, world, said):
        try:
            contact = _log(engine, world, said=said, outcome="")
        except ct.ContactError:
            return
        with session_scope(engine, "t") as s:
            stored = s.get(ContactLog, contact).said
        assert "\x1b" not in stored  # every entry is its own row: the fixture may be shared


class TestToBeTold:
    def test_a_carer_new_to_the_customer_is_listed_until_told(self, engine, world):
        with session_scope(engine, "c") as s:
            # Cat visited Edith in the weeks before: she is known. Ann is new from Wednesday.
            for weeks in (1, 2):
                day = MONDAY - timedelta(weeks=weeks)
                old = Visit(
                    customer_id=world.edith,
                    visit_date=day,
                    start_at=at(day, 9),
                    end_at=at(day, 9, 30),
                    status="done",
                )
                s.add(old)
                s.flush()
                s.add(VisitAssignment(visit_id=old.id, carer_id=world.cat))
            wednesday = s.execute(
                select(VisitAssignment).where(VisitAssignment.visit_id == world.visits[2])
            ).scalar_one()
            wednesday.carer_id = world.ann
        with session_scope(engine, "t") as s:
            changes = ct.to_be_told(s, TODAY)
        assert [(c.topic, c.carer, c.visit_id) for c in changes] == [
            ("new_carer", "Ann Archer", world.visits[2])
        ]
        with session_scope(engine, "c") as s:
            ct.record_told(s, changes[0], method="call_out", outcome="told", by="c", now=NOW)
        with session_scope(engine, "t") as s:
            assert ct.to_be_told(s, TODAY) == []
            assert ct.not_communicated(s, TODAY) == 0

    def test_a_visit_moved_outside_its_window_is_listed(self, engine, world):
        with session_scope(engine, "c") as s:
            for weeks in (1,):
                day = MONDAY - timedelta(weeks=weeks)
                old = Visit(
                    customer_id=world.edith,
                    visit_date=day,
                    start_at=at(day, 9),
                    end_at=at(day, 9, 30),
                    status="done",
                )
                s.add(old)
                s.flush()
                s.add(VisitAssignment(visit_id=old.id, carer_id=world.cat))
            visit = s.get(Visit, world.visits[3])
            visit.start_at = at(visit.visit_date, 10, 15)
            visit.end_at = at(visit.visit_date, 10, 45)
            inside = s.get(Visit, world.visits[4])
            inside.start_at = at(inside.visit_date, 9, 30)  # the window's end: not moved
            inside.end_at = at(inside.visit_date, 10)
        with session_scope(engine, "t") as s:
            changes = ct.to_be_told(s, TODAY)
        assert [(c.topic, c.visit_id) for c in changes] == [("moved", world.visits[3])]
        assert "10:15, outside 09:00-09:30" in changes[0].detail


class TestPlanBCalls:
    def test_one_call_outcome_per_key_latest_wins(self, engine, world):
        with session_scope(engine, "c") as s:
            absence = Absence(carer_id=world.ann, start_date=MONDAY, end_date=MONDAY)
            s.add(absence)
            s.flush()
            cover = AbsenceCover(
                absence_id=absence.id,
                visit_id=world.visits[0],
                absent_carer_id=world.ann,
                carer_id=world.cat,
            )
            s.add(cover)
            s.flush()
            cover_id = cover.id
        with session_scope(engine, "c") as s:
            row = ct.record_call(s, cover_id, "no_answer", by="c", now=NOW)
            assert row.follow_up_on == date(2026, 11, 23)  # ring again today
        with session_scope(engine, "c") as s:
            ct.record_call(s, cover_id, "told", by="c", now=NOW + timedelta(minutes=5))
        with session_scope(engine, "t") as s:
            assert ct.call_outcomes(s, [cover_id]) == {cover_id: "told"}

    def test_unknown_outcome_refused(self, engine, world):
        with (
            pytest.raises(ct.ContactError, match="Unknown outcome"),
            session_scope(engine, "c") as s,
        ):
            ct.record_call(s, 1, "shrug", by="c", now=NOW)
