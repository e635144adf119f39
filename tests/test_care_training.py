"""The training matrix and supervision (issue 18 §5): cell states as words and symbols, one
call records a completion (renewing the rota's competency), supervision due dates from the
agency's intervals, sign-offs, the rota's week-ahead warning of an expiring skill
(``EXPIRING_SKILL``, table-driven with its source), and the carers whose gaps block the
most visits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import CarerSkill, SupervisionRecord, TrainingCourse, TrainingRecord
from coordinator_tui.services.care import training as tr
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import RULES
from coordinator_tui.services.rota.rules.care_staff import EXPIRING_SKILL, skill_expiring
from coordinator_tui.services.rota.snapshot import SCarer, SVisit
from coordinator_tui.services.rota.validate import check_week
from tests.care_staff_world import MONDAY, TODAY, build


@pytest.fixture
def world(engine):
    found = build(engine)
    with session_scope(engine, "setup") as s:
        tr.ensure_courses(s)
    return found


def _course(engine, code: str) -> int:
    with session_scope(engine, "t") as s:
        return s.execute(select(TrainingCourse.id).where(TrainingCourse.code == code)).scalar_one()


def _row(engine, name: str, today: date = TODAY) -> tr.MatrixRow:
    with session_scope(engine, "t") as s:
        matrix = tr.training_matrix(s, today)
    return next(r for r in matrix.rows if r.name == name)


class TestCells:
    COURSE = TrainingCourse(code="X", name="X", interval_months=12)
    CC = TrainingCourse(code="CC", name="CC", interval_months=0, care_certificate=True)
    SENIOR = TrainingCourse(code="S", name="S", interval_months=12, roles="senior_carer")

    @pytest.mark.parametrize(
        ("course", "role", "started", "done", "expires", "state"),
        [
            (COURSE, "care_worker", None, None, None, tr.MISSING),
            (COURSE, "care_worker", None, date(2026, 1, 1), date(2027, 1, 1), tr.VALID),
            (COURSE, "care_worker", None, date(2025, 12, 1), date(2026, 12, 1), tr.DUE),
            (COURSE, "care_worker", None, date(2025, 11, 23), date(2026, 11, 23), tr.EXPIRED),
            (COURSE, "care_worker", None, date(2025, 12, 24), date(2026, 12, 24), tr.VALID),
            (COURSE, "care_worker", None, date(2025, 12, 23), date(2026, 12, 23), tr.DUE),
            (SENIOR, "care_worker", None, None, None, tr.NOT_NEEDED),
            (SENIOR, "senior_carer", None, None, None, tr.MISSING),
            # Care Certificate: due (not missing) in the first 12 weeks (Skills for Care)
            (CC, "care_worker", date(2026, 10, 1), None, None, tr.DUE),
            (CC, "care_worker", date(2026, 8, 1), None, None, tr.MISSING),
            (CC, "care_worker", None, date(2026, 9, 1), None, tr.VALID),
        ],
    )
    def test_state(self, course, role, started, done, expires, state):
        assert tr.cell_state(course, role, started, done, expires, TODAY, 30) == state

    def test_every_state_is_a_word_or_symbol_not_colour(self):
        for state in (tr.VALID, tr.DUE, tr.EXPIRED, tr.MISSING):
            text = tr.Cell(1, state, expires_on=date(2027, 3, 1)).text()
            assert text[0] in "✓◐✖·" and len(text) > 2


class TestRecording:
    def test_one_call_records_a_completion_and_renews_the_rota_skill(self, engine, world):
        med = _course(engine, "MED")
        assert _row(engine, "Bob Baker").cells[3].state == tr.MISSING
        with session_scope(engine, "coord") as s:
            record = tr.record_completion(
                s, world.bob, med, completed_on=TODAY, expected_latest=None, today=TODAY, by="c"
            )
            assert record.expires_on == date(2027, 11, 23)
        cell = _row(engine, "Bob Baker").cells[3]
        assert cell.state == tr.VALID and cell.text() == "✓ 11/27"
        with session_scope(engine, "t") as s:
            held = s.execute(
                select(CarerSkill).where(CarerSkill.carer_id == world.bob)
            ).scalar_one()
            assert held.expires_on == date(2027, 11, 23)

    def test_a_completion_someone_else_recorded_meanwhile_is_refused(self, engine, world):
        fire = _course(engine, "FIRE")
        with session_scope(engine, "colleague") as s:
            tr.record_completion(
                s, world.bob, fire, completed_on=TODAY, expected_latest=None, today=TODAY, by="x"
            )
        with pytest.raises(ConflictError, match="colleague"), session_scope(engine, "me") as s:
            tr.record_completion(
                s, world.bob, fire, completed_on=TODAY, expected_latest=None, today=TODAY, by="m"
            )

    @pytest.mark.parametrize(
        ("done", "words"),
        [
            (None, "Give the date"),
            (TODAY + timedelta(days=1), "future"),
            (date(2019, 1, 1), "5 years"),
        ],
    )
    def test_bad_dates_are_refused_and_nothing_written(self, engine, world, done, words):
        fire = _course(engine, "FIRE")
        with pytest.raises(tr.TrainingError, match=words), session_scope(engine, "c") as s:
            tr.record_completion(
                s, world.bob, fire, completed_on=done, expected_latest=None, today=TODAY, by="c"
            )
        with session_scope(engine, "t") as s:
            assert s.execute(select(func.count()).select_from(TrainingRecord)).scalar_one() == 0


class TestSupervision:
    def test_due_from_the_last_one_held_by_the_agency_interval(self, engine, world):
        with session_scope(engine, "c") as s:
            tr.save_intervals(
                s, supervision_days=60, spot_check_days=120, due_soon_days=30, expected_version=None
            )
            tr.record_supervision(
                s,
                world.ann,
                kind="supervision",
                held_on=date(2026, 10, 1),
                supervisor="Sue Senior",
                today=TODAY,
                by="c",
            )
        row = _row(engine, "Ann Archer")
        assert row.supervision_due == date(2026, 11, 30)
        assert row.spot_check_due == TODAY  # none held, no start date: due now
        with session_scope(engine, "t") as s:
            due = tr.supervision_due(s, TODAY, within_days=7)
        assert ("Ann Archer", "supervision") in {(d.name, d.kind) for d in due}

    def test_a_carer_cannot_sign_themselves_off(self, engine, world):
        with pytest.raises(tr.TrainingError, match="themselves"), session_scope(engine, "c") as s:
            tr.record_supervision(
                s,
                world.ann,
                kind="observation",
                held_on=TODAY,
                supervisor="ann archer",
                today=TODAY,
                by="c",
            )
        with session_scope(engine, "t") as s:
            assert s.execute(select(func.count()).select_from(SupervisionRecord)).scalar_one() == 0

    def test_a_competent_sign_off_completes_the_course(self, engine, world):
        mh = _course(engine, "MH")
        with session_scope(engine, "c") as s:
            tr.record_supervision(
                s,
                world.bob,
                kind="sign_off",
                held_on=TODAY,
                supervisor="Sue Senior",
                outcome="competent",
                course_id=mh,
                today=TODAY,
                by="c",
            )
        assert _row(engine, "Bob Baker").cells[2].state == tr.VALID


class TestSkillExpiring:
    """EXPIRING_SKILL: a week's warning before a competency the visit needs runs out
    (competency records; NICE SC1 rec 1.8.4, CQC reg 18)."""

    VISIT = SVisit(1, 1, MONDAY, 0, 30, 540, 1, ("MED",))

    @pytest.mark.parametrize(
        ("expires", "warned"),
        [
            (None, False),  # does not expire
            (MONDAY, False),  # expired on the day: SKILL_EXPIRED's, not this rule's
            (MONDAY + timedelta(days=1), True),
            (MONDAY + timedelta(days=7), True),  # the day of the same visit next week
            (MONDAY + timedelta(days=8), False),
        ],
    )
    def test_table(self, expires, warned):
        class Ctx:
            def mark(self, problem):
                return problem

        carer = SCarer(1, "Ann", skills={"MED": expires})
        found = skill_expiring(carer, self.VISIT, None, Ctx())
        assert bool(found) is warned
        if warned:
            assert found[0].severity == P.SOFT and "before this visit next week" in found[0].message

    def test_registered_with_its_source_and_soft(self):
        rule = next(r for r in RULES if r.name == "skill_expiring")
        assert "NICE SC1" in rule.source and P.SEVERITY[EXPIRING_SKILL] == P.SOFT

    def test_shows_on_the_week(self, engine, world):
        with session_scope(engine, "c") as s:
            from coordinator_tui.models import VisitAssignment

            first = s.execute(
                select(VisitAssignment).where(VisitAssignment.visit_id == world.visits[0])
            ).scalar_one()
            first.carer_id = world.ann
        with session_scope(engine, "t") as s:
            codes = [p.code for p in check_week(s, MONDAY) if p.carer_id == world.ann]
        assert EXPIRING_SKILL in codes and "SKILL_EXPIRED" not in codes


def test_the_carers_whose_gaps_block_the_most_visits(engine, world):
    with session_scope(engine, "t") as s:
        from coordinator_tui.models import VisitAssignment

        first = s.execute(
            select(VisitAssignment).where(VisitAssignment.visit_id == world.visits[0])
        ).scalar_one()
        s.add(VisitAssignment(visit_id=world.visits[1], carer_id=world.bob, slot=2))
        first.carer_id = world.ann
    with session_scope(engine, "t") as s:
        blockers = tr.blocking_gaps(s, TODAY)
    by_name = {b.name: b for b in blockers}
    # Bob lacks MED: all 7 of Edith's visits; Ann's MED expires Thursday: Thu-Sun.
    assert by_name["Bob Baker"].visits == 7 and by_name["Bob Baker"].skills == {"MED": "missing"}
    assert by_name["Ann Archer"].visits == 4
    assert [b.name for b in blockers][:2] == ["Bob Baker", "Ann Archer"]


def test_matrix_csv_holds_states_and_is_spreadsheet_safe(engine, world):
    with session_scope(engine, "c") as s:
        from coordinator_tui.models import Carer

        s.get(Carer, world.bob).name = "=cmd"
    with session_scope(engine, "t") as s:
        text = tr.matrix_csv(tr.training_matrix(s, TODAY))
    assert text.splitlines()[0].startswith("carer,role,CC,SAFEA")
    assert "'=cmd" in text and "missing" in text


class TestCommandLine:
    """``coordinator-tui training matrix [--csv FILE]`` (issue 18 §8)."""

    @pytest.fixture
    def db(self, small_demo_path, monkeypatch) -> str:
        from conftest import DEMO_TODAY

        # The small demo holds the care staff demo (``seed_care_staff``) already.
        monkeypatch.setenv("COORDINATOR_TUI_TODAY", DEMO_TODAY.isoformat())
        return str(small_demo_path)

    def _invoke(self, *args: str):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app

        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def test_printed(self, db):
        result = self._invoke("training", "matrix", "--db", db)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0].split()[:4] == ["carer", "role", "CC", "SAFEA"]
        assert "✖ EXP" in result.stdout and "· none" in result.stdout
        assert "expired" in lines[-1] and "missing" in lines[-1]

    def test_csv_is_owner_only_and_the_export_audited(self, db, tmp_path):
        import stat

        from coordinator_tui.db import open_database
        from coordinator_tui.models import AuditEvent

        out = tmp_path / "matrix.csv"
        out.write_text("old")
        out.chmod(0o644)  # an existing readable file is made owner-only too
        result = self._invoke("training", "matrix", "--csv", str(out), "--db", db)
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        assert out.read_text().startswith("carer,role,CC,")
        opened = open_database(db)
        with session_scope(opened.engine, "t") as s:
            actions = s.execute(select(AuditEvent.action, AuditEvent.changes)).all()
        opened.engine.dispose()
        assert any(a == "export" and "training matrix" in c for a, c in actions)

    def test_an_unwritable_file_is_one_line_and_exit_2(self, db, tmp_path):
        # A missing folder is made (write_private); a path through a file cannot be.
        (tmp_path / "a-file").write_text("x")
        result = self._invoke(
            "training", "matrix", "--csv", str(tmp_path / "a-file" / "m.csv"), "--db", db
        )
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1


def test_the_demo_seed_is_its_own_and_repeatable(engine):
    """``seed_care_staff`` draws from its own Random(seed): the same data for the same
    seed, whatever else drew from ``random`` before."""
    import random

    from coordinator_tui.services.care.demo_staff import seed_care_staff

    build(engine)
    with session_scope(engine, "demo") as s:
        random.seed(99)
        random.random()
        first = seed_care_staff(s, today=TODAY, seed=3)
        rows = s.execute(
            select(
                TrainingRecord.carer_id, TrainingRecord.course_id, TrainingRecord.completed_on
            ).order_by(TrainingRecord.id)
        ).all()
        s.rollback()
    with session_scope(engine, "demo") as s:
        again = seed_care_staff(s, today=TODAY, seed=3)
        rows_again = s.execute(
            select(
                TrainingRecord.carer_id, TrainingRecord.course_id, TrainingRecord.completed_on
            ).order_by(TrainingRecord.id)
        ).all()
    assert first == again and rows == rows_again and rows
