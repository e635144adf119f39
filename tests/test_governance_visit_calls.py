"""The services behind the day's visits' keys (issue 14 §4): a phone call recorded (a start
or end the carer rings in is the visit's typed time; refusals write nothing), cover sent
through the rota's ranking and assignment (refused for a visit over or started, and when a
colleague changed its carers), and a carer's flagged note decided on once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Carer,
    Concern,
    ContactLog,
    Customer,
    Person,
    Visit,
    VisitAssignment,
)
from coordinator_tui.models.governance import VisitRecord
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance import visit_calls as vc

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 12:00 in November (GMT)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=UK)


@pytest.fixture
def world(engine):
    """Edith (with a person record) and her 11:30 visit with Ann; Ben and Cat free."""
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000026",
            given_name="Edith",
            family_name="Crane",
            date_of_birth=date(1931, 5, 2),
        )
        s.add(person)
        s.flush()
        edith = Customer(name="Edith Crane", person_id=person.id, lat=51.5, lon=-0.1)
        carers = [Carer(name=n, lat=51.5, lon=-0.1) for n in ("Ann Lee", "Ben Oak", "Cat Fir")]
        s.add_all([edith, *carers])
        s.flush()
        visit = Visit(customer_id=edith.id, visit_date=DAY, start_at=at(11, 30), end_at=at(12, 30))
        s.add(visit)
        s.flush()
        s.add(VisitAssignment(visit_id=visit.id, carer_id=carers[0].id, slot=1))
        return {
            "visit": visit.id,
            "person": person.id,
            "customer": edith.id,
            "ann": carers[0].id,
            "ben": carers[1].id,
        }


def call(session, visit_id, version=None, **changes):
    values = dict(
        caller="carer",
        who="Ann",
        at=at(11, 40),
        about="start",
        said="",
        outcome="checked in",
        by="coord",
        now=NOW,
    )
    values.update(changes)
    return vc.record_call(session, visit_id, version, **values)


class TestCalls:
    def test_a_start_then_an_end_rung_in(self, engine, world):
        with session_scope(engine, "coord") as s:
            call(s, world["visit"], 1)
        with session_scope(engine, "coord") as s:
            call(s, world["visit"], None, about="end", at=at(11, 58))
            visit = s.get(Visit, world["visit"])
            assert (visit.actual_start, visit.actual_end, visit.status) == (
                at(11, 40),
                at(11, 58),
                "done",
            )
            calls = s.scalars(select(ContactLog).where(ContactLog.visit_id == world["visit"]))
            assert [c.said.split(".")[0] for c in calls] == [
                "Carer arrived (start rung in)",
                "Carer left (end rung in)",
            ]

    def test_family_ringing_about_nobody_coming_changes_no_time(self, engine, world):
        with session_scope(engine, "coord") as s:
            call(s, world["visit"], 1, caller="family", who="daughter", about="not_arrived")
            assert s.get(Visit, world["visit"]).actual_start is None

    def test_what_a_carer_says_is_their_note_flagged(self, engine, world):
        with session_scope(engine, "coord") as s:
            call(s, world["visit"], 1, about="concern", said="She fell before I came")
            record = s.scalars(select(VisitRecord)).one()
            assert "[11:40 by phone] She fell" in record.carer_note
            assert record.note_flags == "clinical: fell"

    @pytest.mark.parametrize(
        ("changes", "words"),
        [
            ({"caller": "family"}, "Only the carer rings in a start"),
            ({"about": "end"}, "Ring in the start first"),
            ({"at": at(12, 30)}, "future"),
            ({"at": None}, "Give the time"),
            ({"caller": "neighbour"}, "Say who rang"),
            ({"about": "start", "at": at(11, 40), "outcome": "", "said": ""}, None),
        ],
    )
    def test_refused_calls_write_nothing(self, engine, world, changes, words):
        if words is None:  # a start rung in says enough by itself
            with session_scope(engine, "coord") as s:
                call(s, world["visit"], 1, **changes)
            return
        with pytest.raises(GovernanceError, match=words), session_scope(engine, "coord") as s:
            call(s, world["visit"], 1, **changes)
        with session_scope(engine, "t") as s:
            assert s.scalars(select(ContactLog)).first() is None
            assert s.get(Visit, world["visit"]).actual_start is None

    def test_a_visit_changed_since_it_was_read_is_refused(self, engine, world):
        with session_scope(engine, "colleague") as s:
            s.get(Visit, world["visit"]).tasks = "changed"
        with pytest.raises(ConflictError, match="colleague"), session_scope(engine, "c") as s:
            call(s, world["visit"], 1)


class TestCover:
    def test_cover_replaces_the_carer_who_has_not_come(self, engine, world):
        with session_scope(engine, "coord") as s:
            offer = vc.cover_offer(s, world["visit"], NOW)
            assert offer.replacing == world["ann"] and "in place of Ann Lee" in offer.title
            best = next(c for c in offer.candidates if c.feasible)
            vc.send_cover(s, offer, best.carer_id, rationale="nearest free")
        with session_scope(engine, "t") as s:
            carers = s.scalars(
                select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == world["visit"])
            ).all()
            assert carers == [best.carer_id]

    def test_a_colleague_changing_the_carers_first_is_refused(self, engine, world):
        with session_scope(engine, "coord") as s:
            offer = vc.cover_offer(s, world["visit"], NOW)
        with session_scope(engine, "colleague") as s:
            row = s.scalars(select(VisitAssignment)).one()
            row.carer_id = world["ben"]
        best = next(c for c in offer.candidates if c.feasible)
        with pytest.raises(ConflictError, match="colleague"), session_scope(engine, "c") as s:
            vc.send_cover(s, offer, best.carer_id, rationale="x")

    @pytest.mark.parametrize(
        ("setup", "now", "words"),
        [
            (lambda v: setattr(v, "actual_start", at(11, 35)), NOW, "started or is over"),
            (lambda v: None, datetime(2026, 11, 23, 13, 0, tzinfo=UTC), "time is over"),
        ],
    )
    def test_no_cover_for_a_visit_started_or_over(self, engine, world, setup, now, words):
        with session_scope(engine, "setup") as s:
            setup(s.get(Visit, world["visit"]))
        with pytest.raises(GovernanceError, match=words), session_scope(engine, "c") as s:
            vc.cover_offer(s, world["visit"], now)


class TestFlaggedNotes:
    def _note(self, engine, world, note: str = "Bruised arm, frightened of her son") -> int:
        with session_scope(engine, "ecm") as s:
            record = VisitRecord(visit_id=world["visit"], carer_note=note, note_flags="x")
            s.add(record)
            s.flush()
            return record.version

    def test_raised_as_a_concern_once(self, engine, world):
        version = self._note(engine, world)
        with session_scope(engine, "coord") as s:
            concern_id = vc.raise_note_concern(s, world["visit"], version, by="coord", today=DAY)
        with session_scope(engine, "t") as s:
            concern = s.get(Concern, concern_id)
            assert concern.person_id == world["person"] and "Bruised arm" in concern.details
            record = s.scalars(select(VisitRecord)).one()
            assert (record.note_outcome, record.note_ref_id) == ("concern", concern_id)
        with pytest.raises(GovernanceError, match="already"), session_scope(engine, "c") as s:
            vc.note_decided(s, world["visit"], None, outcome="no_action", reason="x", by="c")

    def test_needs_nothing_only_with_a_reason(self, engine, world):
        version = self._note(engine, world, "Bruise from the hoist, on the care plan")
        with pytest.raises(GovernanceError, match="why"), session_scope(engine, "c") as s:
            vc.note_decided(s, world["visit"], version, outcome="no_action", by="c")
        with session_scope(engine, "c") as s:
            vc.note_decided(
                s, world["visit"], version, outcome="no_action", reason="known, on plan", by="c"
            )
            assert s.scalars(select(VisitRecord)).one().note == "Note needs nothing: known, on plan"

    def test_a_stale_note_is_refused(self, engine, world):
        version = self._note(engine, world)
        with session_scope(engine, "colleague") as s:
            s.scalars(select(VisitRecord)).one().carer_note = "changed"
        with pytest.raises(ConflictError), session_scope(engine, "c") as s:
            vc.raise_note_concern(s, world["visit"], version, by="c", today=DAY)

    def test_a_customer_with_no_person_record(self, engine, world):
        version = self._note(engine, world)
        with session_scope(engine, "setup") as s:
            s.get(Customer, world["customer"]).person_id = None
        with (
            pytest.raises(GovernanceError, match="no person record"),
            session_scope(engine, "c") as s,
        ):
            vc.raise_note_concern(s, world["visit"], version, by="c", today=DAY)
