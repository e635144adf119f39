"""Medication and clinical changes (issue 18 §1): the two-person check, the cascade to the
carers rostered, acknowledgements, and the rota checker's problem for a carer who has not
acknowledged (CQC Regulation 12; NICE SC1).

Services on a fresh database; the rule table-driven on hand-built snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coordinator_tui.clock import MOMENT_KEY, UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Carer,
    Customer,
    Visit,
    VisitAssignment,
)
from coordinator_tui.models.care_changes import ChangeAcknowledgement, MedicationChange
from coordinator_tui.services.care import CareConflictError, CareError
from coordinator_tui.services.care import medication as M
from coordinator_tui.services.rota.rules import care_changes as R
from coordinator_tui.services.rota.snapshot import epoch_minutes
from coordinator_tui.services.rota.validate import validate_week
from tests.test_rota_rules import at, carer, customer, visit, week

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UK)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), time(hour, minute), tzinfo=UK)


@pytest.fixture
def world(engine):
    """One customer, three carers: Ann on Monday 11:00 and Thursday 09:00 (assigned before
    the change), Bob on Tuesday 09:00, Cat on nothing. Returns the ids."""
    with session_scope(engine, "setup") as s:
        cust = Customer(name="Mrs Demo")
        ann, bob, cat = Carer(name="Ann"), Carer(name="Bob"), Carer(name="Cat")
        s.add_all([cust, ann, bob, cat])
        s.flush()
        visits = {}
        for key, (day, hour) in {"mon": (0, 11), "tue": (1, 9), "thu": (3, 9)}.items():
            v = Visit(
                customer_id=cust.id,
                visit_date=MONDAY + timedelta(days=day),
                start_at=_at(day, hour).astimezone(UTC),
                end_at=(_at(day, hour) + timedelta(minutes=30)).astimezone(UTC),
            )
            s.add(v)
            s.flush()
            visits[key] = v.id
        early = datetime(2026, 11, 20, tzinfo=UTC)  # assigned last week, before the change
        for key, who in (("mon", ann), ("tue", bob), ("thu", ann)):
            s.add(VisitAssignment(visit_id=visits[key], carer_id=who.id, created_at=early, slot=1))
        return {"customer": cust.id, "ann": ann.id, "bob": bob.id, "cat": cat.id, **visits}


def _log(engine, world, by="logger"):
    with session_scope(engine, by) as s:
        change = M.log_change(
            s,
            customer_id=world["customer"],
            kind="medication",
            source="GP",
            from_whom="Dr Example, Elm Surgery",
            received_at=NOW - timedelta(hours=1),
            description="Furosemide 40 mg mornings (was 20 mg)",
            document_ref="FAX-123",
            by=by,
            now=NOW,
        )
        return change.id, change.version


def _audit_rows(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


class TestTwoPersonCheck:
    def test_logged_change_is_pending(self, engine, world):
        change_id, _ = _log(engine, world)
        with session_scope(engine, "t") as s:
            rows = M.change_list(s, "pending", NOW)
            assert [r.id for r in rows] == [change_id]
            assert M.change_counts(s).pending == 1

    def test_verifier_cannot_be_the_logger_and_nothing_is_written(self, engine, world):
        change_id, version = _log(engine, world, by="j.bloggs")
        before = _audit_rows(engine)
        with (
            pytest.raises(CareError, match="verifier cannot be the person who logged"),
            session_scope(engine, "j.bloggs") as s,
        ):
            M.verify_change(s, change_id, version, by="j.bloggs", now=NOW)
        with (
            pytest.raises(CareError, match="verifier cannot be the person who logged"),
            session_scope(engine, "j.bloggs") as s,
        ):
            M.verify_change(
                s, change_id, version, by="j.bloggs", by_phone=True, verifier=" J.Bloggs "
            )
        assert _audit_rows(engine) == before
        with session_scope(engine, "t") as s:
            assert s.get(MedicationChange, change_id).status == "received"

    def test_one_user_records_who_verified_by_phone(self, engine, world):
        change_id, version = _log(engine, world, by="j.bloggs")
        with session_scope(engine, "j.bloggs") as s:
            result = M.verify_change(
                s,
                change_id,
                version,
                by="j.bloggs",
                by_phone=True,
                verifier="Sam Senior (registered manager)",
                now=NOW,
            )
            assert [m.name for m in result.to_tell] == ["Ann", "Bob"]
        with session_scope(engine, "t") as s:
            change = s.get(MedicationChange, change_id)
            assert change.status == "verified"
            assert change.verification == "phone"
            assert change.verified_by == "Sam Senior (registered manager)"
            assert change.verification_recorded_by == "j.bloggs"

    def test_a_stale_verification_is_refused_naming_who_changed_it(self, engine, world):
        change_id, version = _log(engine, world)
        with session_scope(engine, "second") as s:
            M.verify_change(s, change_id, version, by="second", now=NOW)
        with (
            pytest.raises(CareConflictError, match="second changed this medication change"),
            session_scope(engine, "third") as s,
        ):
            M.verify_change(s, change_id, version, by="third", now=NOW)

    @settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        spaces=st.tuples(st.sampled_from(["", " ", "  "]), st.sampled_from(["", " ", "\t"])),
        upper=st.booleans(),
    )
    def test_the_logger_in_any_spelling_is_refused(self, engine, world, spaces, upper):
        change_id, version = _log(engine, world, by="a.carer")
        name = "A.CARER" if upper else "a.carer"
        with pytest.raises(CareError), session_scope(engine, "x") as s:
            M.verify_change(
                s, change_id, version, by="x", by_phone=True, verifier=spaces[0] + name + spaces[1]
            )
        with session_scope(engine, "t") as s:
            assert s.get(MedicationChange, change_id).verified_at is None


class TestCascade:
    def _verified(self, engine, world):
        change_id, version = _log(engine, world)
        with session_scope(engine, "second") as s:
            change = M.verify_change(s, change_id, version, by="second", now=NOW).change
            return change_id, change.version

    def test_carers_in_the_next_72_hours_must_acknowledge(self, engine, world):
        change_id, _ = self._verified(engine, world)
        with session_scope(engine, "t") as s:
            row = M.change_list(s, "awaiting", NOW)[0]
        # Ann (Mon 11:00) and Bob (Tue 09:00) are within 72 hours; Ann's Thursday visit,
        # assigned before the change, is outside the cascade.
        assert [
            (m.name, m.next_visit.astimezone(UK).strftime("%a %H:%M")) for m in row.missing
        ] == [
            ("Ann", "Mon 11:00"),
            ("Bob", "Tue 09:00"),
        ]

    def test_a_carer_assigned_later_must_acknowledge_too(self, engine, world):
        change_id, _ = self._verified(engine, world)
        with session_scope(engine, "t") as s:
            late = s.scalars(
                select(VisitAssignment).where(VisitAssignment.visit_id == world["thu"])
            ).one()
            late.carer_id = world["cat"]  # reassigned after the change: an update...
            s.delete(late)
            s.flush()
            s.add(VisitAssignment(visit_id=world["thu"], carer_id=world["cat"], slot=1))
        with session_scope(engine, "t") as s:
            row = M.change_row(s, change_id, NOW)
        assert "Cat" in [m.name for m in row.missing]

    def test_acknowledgements_by_phone_then_care_plan_close_it(self, engine, world):
        change_id, version = self._verified(engine, world)
        with session_scope(engine, "coord") as s:
            version = M.record_acknowledgement(
                s, change_id, version, world["ann"], by="coord", now=NOW
            ).version
        with session_scope(engine, "coord") as s:
            version = M.record_acknowledgement(
                s, change_id, version, world["bob"], by="coord", now=NOW
            ).version
        with session_scope(engine, "t") as s:
            assert M.change_row(s, change_id, NOW).missing == []
            assert s.get(MedicationChange, change_id).status == "verified"  # plan not updated
        with session_scope(engine, "coord") as s:
            M.mark_care_plan_updated(s, change_id, version, by="coord", now=NOW)
        with session_scope(engine, "t") as s:
            change = s.get(MedicationChange, change_id)
            assert change.status == "done" and change.closed_at is not None
            assert [r.id for r in M.change_list(s, "done", NOW)] == [change_id]

    def test_acknowledgement_by_a_carer_not_rostered_is_refused(self, engine, world):
        change_id, version = self._verified(engine, world)
        before = _audit_rows(engine)
        with (
            pytest.raises(CareError, match="Cat is not rostered to this customer"),
            session_scope(engine, "coord") as s,
        ):
            M.record_acknowledgement(s, change_id, version, world["cat"], by="coord", now=NOW)
        assert _audit_rows(engine) == before
        with session_scope(engine, "t") as s:
            assert s.scalar(select(func.count()).select_from(ChangeAcknowledgement)) == 0

    def test_acknowledgement_before_verification_is_refused(self, engine, world):
        change_id, version = _log(engine, world)
        with (
            pytest.raises(CareError, match="not verified yet"),
            session_scope(engine, "coord") as s,
        ):
            M.record_acknowledgement(s, change_id, version, world["ann"], by="coord")

    def test_rota_changes_for_the_checker(self, engine, world):
        change_id, _ = self._verified(engine, world)
        with session_scope(engine, "t") as s:
            found = M.rota_changes(s, MONDAY, MONDAY + timedelta(days=6), now=NOW)
        (change,) = found.by_customer[world["customer"]]
        assert change.id == change_id
        assert change.exempt == frozenset({(world["thu"], world["ann"])})
        assert found.now == epoch_minutes(NOW)


# -- the rota checker's problem (CQC Regulation 12; NICE SC1) ---------------------------------


def _snap(acknowledged=(), exempt=(), now=(0, 9, 0), verified=(0, 8, 0), status="planned"):
    v = visit(1, 0, (11, 0), 30)
    if status != "planned":
        v = _with_status(v, status)
    snap = week([v], {1: (1,)}, carers=[carer(1)], customers=[customer(1)])
    snap.care_changes = M.RotaChanges(
        {
            1: (
                M.OpenChange(
                    7, 1, "medication", at(*verified), frozenset(acknowledged), frozenset(exempt)
                ),
            )
        },
        at(*now),
    )
    return snap


def _with_status(v, status):
    from dataclasses import replace

    return replace(v, status=status)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            {}, R.CHANGE_UNACK_SOON, id="CQC reg 12: visit at 11:00, now 09:00 (2 hours): hard"
        ),
        pytest.param(
            {"now": (0, 8, 59)}, R.CHANGE_UNACK, id="NICE SC1: 2 h 1 min before the visit: soft"
        ),
        pytest.param(
            {"now": (0, 9, 1)}, R.CHANGE_UNACK_SOON, id="CQC reg 12: within 2 hours: hard"
        ),
        pytest.param(
            {"now": (0, 12, 0)}, R.CHANGE_UNACK_SOON, id="CQC reg 12: begun, not done: hard"
        ),
        pytest.param({"acknowledged": (1,)}, None, id="acknowledged: no problem"),
        pytest.param({"verified": (0, 12, 0)}, None, id="visit before verification: none"),
        pytest.param({"exempt": ((1, 1),)}, None, id="assigned before, after the cascade: none"),
        pytest.param({"status": "done"}, None, id="a visit done is over: none"),
    ],
)
def test_change_not_acknowledged(case, expected):
    problems = [p for p in validate_week(_snap(**case)) if p.code.startswith("CHANGE_UNACK")]
    assert [p.code for p in problems] == ([expected] if expected else [])
    if expected:
        assert "MC-7" in problems[0].message
        assert problems[0].is_hard is (expected == R.CHANGE_UNACK_SOON)


def test_rule_names_its_sources():
    from coordinator_tui.services.rota.rules import RULES

    (rule,) = [r for r in RULES if R.CHANGE_UNACK in r.codes]
    assert "Regulation 12" in rule.source and "NICE SC1" in rule.source
    assert rule.codes == (R.CHANGE_UNACK_SOON, R.CHANGE_UNACK)


def test_checker_reads_open_changes_from_the_database(engine, world):
    """End to end: the week loaded from the database reports Ann and Bob, not Thursday's
    visit assigned before the change (outside the 72-hour cascade)."""
    from coordinator_tui.services.rota.snapshot import load_week

    change_id, version = _log(engine, world)
    with session_scope(engine, "second") as s:
        M.verify_change(s, change_id, version, by="second", now=NOW)
    with session_scope(engine, "t") as s:
        snap = load_week(s, MONDAY)
    snap.care_changes.now = epoch_minutes(NOW)
    found = {
        (p.code, p.visit_ids) for p in validate_week(snap) if p.code.startswith("CHANGE_UNACK")
    }
    assert found == {
        (R.CHANGE_UNACK_SOON, (world["mon"],)),
        (R.CHANGE_UNACK, (world["tue"],)),
    }


def test_rota_grid_reads_the_coordinators_moment(engine, world):
    """The grid reads the unit of work's moment (the working date in demos and tests): at
    09:00 Monday the 11:00 visit is within 2 hours (hard), at 08:00 it is not (soft)."""
    from coordinator_tui.services.rota.grid import RotaWeek

    change_id, version = _log(engine, world)
    with session_scope(engine, "second") as s:
        M.verify_change(s, change_id, version, by="second", now=NOW - timedelta(hours=2))
    for now, code in ((NOW, R.CHANGE_UNACK_SOON), (NOW - timedelta(hours=1), R.CHANGE_UNACK)):
        with session_scope(engine, "t") as s:
            s.info[MOMENT_KEY] = now  # the unit of work's moment, as the app's session()
            week = RotaWeek.load(s, MONDAY)
        found = {
            p.code
            for p in week.state.problems()
            if world["mon"] in p.visit_ids and p.code.startswith("CHANGE")
        }
        assert found == {code}
