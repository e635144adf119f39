"""Shadow visits (issue 18 §7): never counted as staffing, an observation or sign-off to the
training matrix, and the checker's ``SHADOW_REQUIRED`` (hard; the care plan's new needs,
Care Certificate standard 13, CQC reg 12(2)(c)) table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import SupervisionRecord, TrainingCourse, VisitAssignment, VisitShadow
from coordinator_tui.services.care import shadowing as sh
from coordinator_tui.services.care import training as tr
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import RULES
from coordinator_tui.services.rota.rules.care_staff import SHADOW_REQUIRED
from coordinator_tui.services.rota.validate import check_week
from tests.care_staff_world import MONDAY, TODAY, build


@pytest.fixture
def world(engine):
    return build(engine)


def _shadow(engine, world, visit_index: int, carer: int) -> int:
    with session_scope(engine, "c") as s:
        return sh.add_shadow(
            s, world.visits[visit_index], carer, purpose="hoist", by="c", today=TODAY
        ).id


def _codes(engine, carer: int) -> list[str]:
    with session_scope(engine, "t") as s:
        return [p.code for p in check_week(s, MONDAY) if p.carer_id == carer]


class TestShadow:
    def test_a_shadow_is_not_staffing(self, engine, world):
        _shadow(engine, world, 0, world.bob)
        with session_scope(engine, "t") as s:
            staff = (
                s.execute(
                    select(VisitAssignment.carer_id).where(
                        VisitAssignment.visit_id == world.visits[0]
                    )
                )
                .scalars()
                .all()
            )
            assert staff == [world.cat]
            assert sh.shadows_between(s, MONDAY, MONDAY)[world.visits[0]][0].name == "Bob Baker"
        # Bob lacks MED, yet shadowing a MED visit is no problem of his: he is not staffing it.
        assert _codes(engine, world.bob) == []

    @pytest.mark.parametrize(
        ("who", "words"),
        [("cat", "already staffs"), ("bob_twice", "already shadows")],
    )
    def test_refusals(self, engine, world, who, words):
        if who == "bob_twice":
            _shadow(engine, world, 0, world.bob)
        carer = world.cat if who == "cat" else world.bob
        with pytest.raises(sh.ShadowError, match=words):
            _shadow(engine, world, 0, carer)

    def test_a_past_visit_cannot_be_shadowed(self, engine, world):
        with pytest.raises(sh.ShadowError, match="past"), session_scope(engine, "c") as s:
            sh.add_shadow(
                s, world.visits[0], world.bob, purpose="", by="c", today=TODAY + timedelta(days=2)
            )

    def test_a_sign_off_goes_to_the_matrix(self, engine, world):
        shadow_id = _shadow(engine, world, 0, world.bob)
        with session_scope(engine, "c") as s:
            tr.ensure_courses(s)
            mh = s.execute(select(TrainingCourse.id).where(TrainingCourse.code == "MH")).scalar()
        with session_scope(engine, "c") as s:
            sh.record_observation(
                s,
                shadow_id,
                1,
                outcome="signed_off",
                supervisor="Cat Carter",
                held_on=TODAY,
                today=TODAY,
                by="c",
                course_id=mh,
            )
        with session_scope(engine, "t") as s:
            assert s.get(VisitShadow, shadow_id).outcome == "signed_off"
            record = s.execute(select(SupervisionRecord)).scalar_one()
            assert record.kind == "sign_off" and record.shadow_id == shadow_id
            row = next(r for r in tr.training_matrix(s, TODAY).rows if r.name == "Bob Baker")
            assert row.cells[2].state == tr.VALID

    def test_the_shadow_cannot_be_their_own_supervisor(self, engine, world):
        shadow_id = _shadow(engine, world, 0, world.bob)
        with pytest.raises(tr.TrainingError, match="themselves"), session_scope(engine, "c") as s:
            sh.record_observation(
                s,
                shadow_id,
                1,
                outcome="observed",
                supervisor="Bob Baker",
                held_on=TODAY,
                today=TODAY,
                by="c",
            )
        with session_scope(engine, "t") as s:
            assert s.get(VisitShadow, shadow_id).outcome == ""


class TestShadowRequired:
    """SHADOW_REQUIRED: a carer alone on a customer whose needs require a shadow visit
    first (the care plan; Care Certificate standard 13; CQC reg 12(2)(c))."""

    @pytest.mark.parametrize(
        ("requirement_from", "shadowed_on", "problem"),
        [
            (None, None, False),  # no requirement
            (0, None, True),  # required from Monday, never shadowed
            (0, 0, True),  # shadowed Monday: Monday's own visit still alone (same day)
            (-7, None, True),
            (3, None, False),  # required only from Thursday: visits before it are fine...
        ],
    )
    def test_table_on_mondays_visit(self, engine, world, requirement_from, shadowed_on, problem):
        if requirement_from is not None:
            with session_scope(engine, "c") as s:
                sh.require_shadow(
                    s,
                    world.edith,
                    need="hoist",
                    by="c",
                    from_date=MONDAY + timedelta(days=requirement_from),
                )
        if shadowed_on is not None:
            with session_scope(engine, "c") as s:
                s.add(VisitShadow(visit_id=world.visits[shadowed_on], carer_id=world.cat))
        with session_scope(engine, "t") as s:
            found = [
                p
                for p in check_week(s, MONDAY)
                if p.code == SHADOW_REQUIRED and p.visit_ids == (world.visits[0],)
            ]
        assert bool(found) is problem
        if problem:
            assert found[0].is_hard and "without a shadow visit first (hoist)" in found[0].message

    def test_after_a_shadow_visit_the_carer_may_go_alone(self, engine, world):
        with session_scope(engine, "c") as s:
            sh.require_shadow(s, world.edith, need="hoist", by="c", from_date=MONDAY)
            # Cat shadows Monday's visit (Ann is on it), then goes alone from Tuesday.
            first = s.execute(
                select(VisitAssignment).where(VisitAssignment.visit_id == world.visits[0])
            ).scalar_one()
            first.carer_id = world.ann
            s.add(VisitShadow(visit_id=world.visits[0], carer_id=world.cat))
        with session_scope(engine, "t") as s:
            days = {
                p.day
                for p in check_week(s, MONDAY)
                if p.code == SHADOW_REQUIRED and p.carer_id == world.cat
            }
        assert days == set()

    def test_not_alone_with_a_colleague_who_has_shadowed(self, engine, world):
        with session_scope(engine, "c") as s:
            sh.require_shadow(s, world.edith, need="double-up", by="c", from_date=MONDAY)
            s.add(VisitShadow(visit_id=world.visits[0], carer_id=world.bob))
            s.add(VisitAssignment(visit_id=world.visits[1], carer_id=world.bob, slot=2))
        with session_scope(engine, "t") as s:
            found = [
                p
                for p in check_week(s, MONDAY)
                if p.code == SHADOW_REQUIRED and p.visit_ids == (world.visits[1],)
            ]
        assert found == []

    def test_registered_hard_with_its_source(self):
        rule = next(r for r in RULES if r.name == "shadow_required")
        assert "Care Certificate" in rule.source and P.SEVERITY[SHADOW_REQUIRED] == P.HARD

    def test_bad_requirement_writes_nothing(self, engine, world):
        with pytest.raises(sh.ShadowError, match="which need"), session_scope(engine, "c") as s:
            sh.require_shadow(s, world.edith, need="  ", by="c", from_date=MONDAY)
        with session_scope(engine, "t") as s:
            from coordinator_tui.models import ShadowRequirement

            assert s.execute(select(func.count()).select_from(ShadowRequirement)).scalar_one() == 0


def test_a_copy_of_the_week_keeps_what_the_extensions_read(engine, world):
    """The solver and Plan C's time change copy the snapshot (``dataclasses.replace``):
    the shadow requirement must still be read there, not silently lost."""
    from dataclasses import replace

    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.validate import RotaState

    with session_scope(engine, "c") as s:
        sh.require_shadow(s, world.edith, need="hoist", by="c", from_date=MONDAY)
    with session_scope(engine, "t") as s:
        snap = load_week(s, MONDAY)
    copy = replace(snap, visits=dict(snap.visits))
    assert copy.shadow_context.required == snap.shadow_context.required
    codes = {p.code for p in RotaState(copy).problems()}
    assert SHADOW_REQUIRED in codes
