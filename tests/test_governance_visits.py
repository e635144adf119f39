"""Visits that did not happen (issue 14 §4): late, short and missed by the commissioners'
usual definitions (DESIGN.md section 7: late more than 30 minutes after planned, short under
75% of the planned length, missed not started by 23:00), actual times and missed visits
recorded, and the safeguarding vigilance that proposes a concern (neglect or acts of
omission) from two missed visits in 7 days, accepted onto the safeguarding side or
dismissed with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import Concern, Customer, Person, Visit
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance import visits as gv
from coordinator_tui.services.governance.agency import AgencySettings

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
DEFAULTS = AgencySettings()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


PLANNED = (at(TODAY, 9), at(TODAY, 9, 40))  # a 40-minute visit at 09:00


@pytest.mark.parametrize(
    ("start", "end", "status", "now", "expected"),
    [
        (at(TODAY, 9, 30), at(TODAY, 10, 10), "done", NOW, "on time"),  # exactly 30: not late
        (at(TODAY, 9, 31), at(TODAY, 10, 11), "done", NOW, "late 31 min"),
        (at(TODAY, 9), at(TODAY, 9, 30), "done", NOW, "on time"),  # 75%: not short
        (at(TODAY, 9), at(TODAY, 9, 29), "done", NOW, "short (72% of planned)"),
        (None, None, "planned", at(TODAY, 22, 59), "on time"),  # not missed before 23:00
        (None, None, "planned", at(TODAY, 23, 0), "missed"),  # missed from 23:00
        (None, None, "done", at(TODAY, 23, 30), "on time"),  # done, times not logged
        (None, None, "missed", at(TODAY, 12), "missed"),  # recorded missed
    ],
)
def test_late_short_missed_by_the_commissioners_definitions(start, end, status, now, expected):
    assert gv.classify(*PLANNED, start, end, status, now, DEFAULTS).words() == expected


def test_an_agency_counting_late_from_15_minutes():
    strict = AgencySettings(late_minutes=15)
    state = gv.classify(*PLANNED, at(TODAY, 9, 16), at(TODAY, 9, 56), "done", NOW, strict)
    assert state.late and state.minutes_late == 16


@pytest.fixture
def world(engine):
    """A customer with a person record and a week of visits at 09:00, Tuesday to Monday."""
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000026",
            given_name="Edith",
            family_name="Crane",
            date_of_birth=date(1931, 5, 2),
        )
        s.add(person)
        s.flush()
        customer = Customer(name="Edith Crane", person_id=person.id)
        s.add(customer)
        s.flush()
        visits = []
        for offset in range(6, -1, -1):
            day = TODAY - timedelta(days=offset)
            visit = Visit(
                customer_id=customer.id,
                visit_date=day,
                start_at=at(day, 9),
                end_at=at(day, 9, 40),
                status="done" if offset else "planned",
            )
            s.add(visit)
            s.flush()
            visits.append(visit.id)
        return {"customer": customer.id, "person": person.id, "visits": visits}


def _missed(engine, visit_id: int, reason: str = "carer_absent") -> None:
    with session_scope(engine, "coord") as s:
        gv.record_missed(s, visit_id, None, reason=reason, by="coord")


def _proposals(engine, now=NOW):
    with session_scope(engine, "t") as s:
        return gv.proposals(s, TODAY, now=now)


class TestRecording:
    def test_actual_times_make_the_visit_done(self, engine, world):
        visit_id = world["visits"][-1]
        with session_scope(engine, "t") as s:
            gv.record_actual(
                s, visit_id, 1, start=at(TODAY, 9, 5), end=at(TODAY, 9, 50), by="c", now=NOW
            )
            visit = s.get(Visit, visit_id)
            assert visit.status == "done" and visit.actual_start is not None

    @pytest.mark.parametrize(
        ("start", "end", "words"),
        [
            (None, None, "started"),
            (at(TODAY, 20), None, "future"),
            (at(TODAY, 9), at(TODAY, 8), "end after"),
            (at(TODAY - timedelta(days=5), 9), None, "not on the visit's day"),
        ],
    )
    def test_bad_times_refused(self, engine, world, start, end, words):
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match=words):
            gv.record_actual(s, world["visits"][-1], None, start=start, end=end, by="c", now=NOW)

    def test_missed_needs_a_reason_and_leaves_the_rota_hours(self, engine, world):
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="why"):
            gv.record_missed(s, world["visits"][-1], None, reason="", by="c")
        _missed(engine, world["visits"][-1], "no_access")
        with session_scope(engine, "t") as s:
            assert s.get(Visit, world["visits"][-1]).status == "missed"

    def test_two_writers_on_a_visit(self, engine, world):
        visit_id = world["visits"][-1]
        with session_scope(engine, "first") as s:
            gv.record_missed(s, visit_id, 1, reason="refused", by="first")
        with session_scope(engine, "t") as s, pytest.raises(ConflictError, match="first changed"):
            gv.record_actual(s, visit_id, 1, start=at(TODAY, 9), end=None, by="c", now=NOW)


class TestVigilance:
    def test_one_missed_visit_proposes_nothing(self, engine, world):
        _missed(engine, world["visits"][2])
        assert _proposals(engine) == []

    def test_two_missed_in_seven_days_propose_a_neglect_concern(self, engine, world):
        _missed(engine, world["visits"][1], "carer_absent")
        _missed(engine, world["visits"][4], "no_access")
        (proposal,) = _proposals(engine)
        assert proposal.rule == "missed_visits" and proposal.customer == "Edith Crane"
        assert set(proposal.visit_ids) == {world["visits"][1], world["visits"][4]}
        assert "carer did not attend" in proposal.evidence and "no access" in proposal.evidence

    def test_a_visit_not_started_by_23_00_counts_as_missed(self, engine, world):
        _missed(engine, world["visits"][1])
        with session_scope(engine, "t") as s:  # today's visit: planned, never started
            s.get(Visit, world["visits"][-1])
        assert _proposals(engine, now=at(TODAY, 22)) == []
        (proposal,) = _proposals(engine, now=at(TODAY, 23, 5))
        assert "not started" in proposal.evidence

    def test_accepted_raises_the_concern_on_the_persons_record(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "coord") as s:
            decision = gv.accept_proposal(s, proposal, by="coord", today=TODAY, now=NOW)
            assert decision.status == "accepted"
        with session_scope(engine, "t") as s:
            concern = s.scalars(select(Concern)).one()
        assert concern.person_id == world["person"] and concern.category == "neglect"
        assert concern.status == "untriaged" and "missed" in concern.details
        assert _proposals(engine) == []

    def test_dismissed_with_a_reason_is_not_proposed_again_until_a_new_miss(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="why"):
            gv.dismiss_proposal(s, proposal, reason=" ", by="c")
        with session_scope(engine, "t") as s:
            gv.dismiss_proposal(s, proposal, reason="Both in hospital; family told", by="c")
        assert _proposals(engine) == []
        _missed(engine, world["visits"][5])
        (again,) = _proposals(engine)
        assert len(again.visit_ids) == 3

    def test_three_late_or_short_visits_propose_one(self, engine, world):
        with session_scope(engine, "t") as s:
            for visit_id, offset in zip(world["visits"][1:4], (5, 4, 3), strict=True):
                day = TODAY - timedelta(days=offset)
                gv.record_actual(
                    s, visit_id, None, start=at(day, 10), end=at(day, 10, 20), by="c", now=NOW
                )
        (proposal,) = _proposals(engine)
        assert proposal.rule == "late_or_short" and "late 60 min" in proposal.evidence

    def test_a_colleague_decided_first(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "t") as s:
            gv.dismiss_proposal(s, proposal, reason="Known", by="colleague", now=NOW)
        with (
            session_scope(engine, "t") as s,
            pytest.raises(ConflictError, match="colleague dismissed it"),
        ):
            gv.accept_proposal(s, proposal, by="me", today=TODAY)
