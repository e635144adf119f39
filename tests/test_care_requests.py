"""Hospital discharges and change requests (issue 18 §4): a timestamp per step, "Can we take
it?" from the rota's own ranking, accepting creates the package, templates and visits;
bad input refused in one line with nothing written; each step's median and 90th
percentile."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import CarePackage, ChangeRequest, Visit, VisitTemplate
from coordinator_tui.services.care import requests as rq
from coordinator_tui.services.errors import ConflictError
from tests.care_staff_world import MONDAY, NOW, build


@pytest.fixture
def world(engine):
    return build(engine)


def _log(engine, world, **over):
    values = dict(
        kind="discharge",
        customer_id=world.frank,
        received_at=NOW - timedelta(hours=3),
        start_date=MONDAY + timedelta(days=1),
        visit_times="08:00, 12:30 17:00 21:00",
        duration_minutes=30,
        source="Ward 7",
        by="coord",
        now=NOW,
    )
    values.update(over)
    with session_scope(engine, "coord") as s:
        row = rq.log_request(s, **values)
        return row.id


def _count(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.execute(select(func.count()).select_from(ChangeRequest)).scalar_one()


class TestLogging:
    def test_times_are_parsed_and_kept_in_order(self, engine, world):
        request_id = _log(engine, world, visit_times="21:00 8:00,1230")
        with session_scope(engine, "t") as s:
            assert s.get(ChangeRequest, request_id).visit_times == "08:00,12:30,21:00"

    @pytest.mark.parametrize(
        ("over", "words"),
        [
            ({"kind": "holiday"}, "Unknown kind"),
            ({"visit_times": "25:00"}, "not a time of day"),
            ({"visit_times": "08:00 8:00"}, "given twice"),
            ({"visit_times": ""}, "Give the times"),
            ({"received_at": NOW + timedelta(hours=2)}, "future"),
            ({"start_date": MONDAY - timedelta(days=3)}, "before the request was received"),
            ({"duration_minutes": 5}, "15 minutes"),
            ({"carers_required": 3}, "1 or 2"),
            ({"customer_id": 999}, "does not exist"),
            ({"required_skills": "JUGGLING"}, "Unknown skill JUGGLING"),
        ],
    )
    def test_bad_input_is_one_line_and_writes_nothing(self, engine, world, over, words):
        with pytest.raises(rq.RequestError, match=words) as caught:
            _log(engine, world, **over)
        assert "\n" not in str(caught.value)
        assert _count(engine) == 0

    @settings(max_examples=40, deadline=None)
    @given(text=st.text(max_size=20))
    def test_any_typed_times_either_parse_or_are_refused_cleanly(self, text):
        try:
            times = rq.parse_times(text)
        except rq.RequestError as exc:
            assert "\n" not in str(exc)
        else:
            assert list(times) == sorted(set(times))


class TestSteps:
    def test_each_step_is_stamped_and_accepting_creates_the_package(self, engine, world):
        request_id = _log(engine, world)
        with session_scope(engine, "coord") as s:
            row = rq.triage(s, request_id, 1, now=NOW)
            assert row.triaged_at is not None
            version = row.version
        with session_scope(engine, "coord") as s:
            capacity = rq.can_we_take_it(s, rq.spec_of(s.get(ChangeRequest, request_id)))
            assert len(capacity.options) == 28  # 4 a day over 7 days
            row = rq.answer_capacity(
                s, request_id, version, answer=capacity.summary(), now=NOW + timedelta(hours=1)
            )
            version = row.version
        with session_scope(engine, "coord") as s:
            row = rq.accept(s, request_id, version, now=NOW + timedelta(hours=2))
            assert row.decision == "accepted" and row.package_id
            package = s.get(CarePackage, row.package_id)
            assert package.customer_id == world.frank and package.hours_per_week == 14
            templates = (
                s.execute(select(VisitTemplate).where(VisitTemplate.package_id == package.id))
                .scalars()
                .all()
            )
            assert sorted(t.window_start for t in templates) == [
                time(8),
                time(12, 30),
                time(17),
                time(21),
            ]
            visits = (
                s.execute(select(Visit).where(Visit.template_id.in_([t.id for t in templates])))
                .scalars()
                .all()
            )
            assert len(visits) == 28
            assert min(v.visit_date for v in visits) == MONDAY + timedelta(days=1)
            assert row.first_visit_at is not None

    def test_accept_before_capacity_is_refused(self, engine, world):
        request_id = _log(engine, world)
        with (
            pytest.raises(rq.RequestError, match="Can we take it"),
            session_scope(engine, "c") as s,
        ):
            rq.accept(s, request_id, 1, now=NOW)

    def test_decline_needs_a_reason(self, engine, world):
        request_id = _log(engine, world)
        with pytest.raises(rq.RequestError, match="why"), session_scope(engine, "c") as s:
            rq.decline(s, request_id, 1, reason=" ", now=NOW)
        with session_scope(engine, "c") as s:
            assert rq.decline(s, request_id, 1, reason="No carers", now=NOW).decision == "declined"

    def test_a_stale_step_names_who_changed_it(self, engine, world):
        request_id = _log(engine, world)
        with session_scope(engine, "colleague") as s:
            rq.triage(s, request_id, 1, now=NOW)
        with pytest.raises(ConflictError, match="colleague"), session_scope(engine, "me") as s:
            rq.decline(s, request_id, 1, reason="x", now=NOW)


class TestCanWeTakeIt:
    def test_uses_the_rotas_ranking_skills_and_all(self, engine, world):
        with session_scope(engine, "t") as s:
            spec = rq.RequestSpec(world.frank, MONDAY, (time(14),), 30, 1, "MED")
            capacity = rq.can_we_take_it(s, spec)
        by_day = {o.day: o for o in capacity.options}
        # Monday: Ann's MED is valid until Thursday; Cat holds it; Bob does not.
        assert set(by_day[MONDAY].carers) == {"Ann Archer", "Cat Carter"}
        # Friday: Ann's MED has expired.
        assert by_day[MONDAY + timedelta(days=4)].carers == ("Cat Carter",)
        assert capacity.summary() == "Yes: all 7 visits can be covered"

    def test_nothing_is_written(self, engine, world):
        with session_scope(engine, "t") as s:
            before = s.execute(select(func.count()).select_from(Visit)).scalar_one()
            rq.can_we_take_it(s, rq.RequestSpec(world.frank, MONDAY, (time(8), time(9))))
        with session_scope(engine, "t") as s:
            assert s.execute(select(func.count()).select_from(Visit)).scalar_one() == before

    def test_a_visit_nobody_can_take_says_why(self, engine, world):
        with session_scope(engine, "t") as s:
            spec = rq.RequestSpec(world.frank, MONDAY, (time(10),), 30, 1, "HOIST")
            option = rq.can_we_take_it(s, spec).options[0]
        assert not option.covered and "HOIST" in option.reason


class TestTurnaround:
    @pytest.mark.parametrize(
        ("values", "median", "p90"),
        [
            ([1.0], 1.0, 1.0),
            ([1.0, 3.0], 2.0, 3.0),
            ([float(n) for n in range(1, 11)], 5.5, 9.0),
            ([float(n) for n in range(1, 21)], 10.5, 18.0),
        ],
    )
    def test_median_and_90th_percentile_nearest_rank(self, values, median, p90):
        assert rq.percentile(values, 0.5) == median
        assert rq.percentile(values, 0.9) == p90

    def test_per_step_from_the_timestamps(self, engine, world):
        first = _log(engine, world)
        second = _log(engine, world)
        with session_scope(engine, "c") as s:
            rq.triage(s, first, 1, now=NOW + timedelta(hours=1))
            rq.triage(s, second, 1, now=NOW + timedelta(hours=3))
        with session_scope(engine, "c") as s:
            figures = {f.step: f for f in rq.turnaround(s)}
        # received 3 hours before NOW: 4 h and 6 h to triage
        assert figures["triage"].count == 2 and figures["triage"].median_hours == 5.0
        assert figures["capacity"].count == 0 and figures["capacity"].median_hours is None


def test_a_short_notice_call_ends_after_its_week(engine, world):
    request_id = _log(engine, world, kind="short_notice", visit_times="10:00")
    with session_scope(engine, "c") as s:
        rq.answer_capacity(s, request_id, 1, answer="yes", now=NOW)
    with session_scope(engine, "c") as s:
        row = rq.accept(s, request_id, 2, now=NOW)
        package = s.get(CarePackage, row.package_id)
        assert package.end_date == date(2026, 11, 30)


def test_the_quick_screen_agrees_with_the_full_ranking(small_demo_engine):
    """Carers ruled out by the visit rules or busy then are not ranked over their week (the
    costly part); the answer must be the one the full ranking gives."""
    from conftest import DEMO_TODAY

    from coordinator_tui.models import Customer
    from coordinator_tui.services.rota.assign import rank_carers
    from coordinator_tui.services.rota.snapshot import SVisit, epoch_minutes, load_week
    from coordinator_tui.services.rota.validate import RotaState

    times = (time(8), time(12, 30), time(17), time(21))
    with session_scope(small_demo_engine, "t") as s:
        customer_id = s.execute(select(Customer.id).order_by(Customer.id)).scalars().first()
        spec = rq.RequestSpec(customer_id, DEMO_TODAY, times)
        quick = rq.can_we_take_it(s, spec)
        snap = load_week(s, DEMO_TODAY)
    from datetime import datetime

    from coordinator_tui.clock import UK

    for index, option in enumerate(quick.options):
        start = epoch_minutes(datetime.combine(option.day, option.at, tzinfo=UK))
        snap.visits[-1 - index] = SVisit(
            -1 - index,
            customer_id,
            option.day,
            start,
            start + 30,
            option.at.hour * 60 + option.at.minute,
        )
    state = RotaState(snap)
    for index, option in enumerate(quick.options):
        full = [c for c in rank_carers(state, -1 - index) if c.feasible]
        assert option.feasible == len(full)
        assert option.carers == tuple(c.name for c in full[:3])
