"""The last hand-written version checks now go through ``services.errors.check_version``
(issue 13 §2): Plan C's cover record (``services/rota/plan_c._cover``) and the coding
audit's register entry (``services/reports/coding_audit._entry``). A stale write is
refused naming who changed what and when (never the values), as in
``tests/test_stale_writes.py``."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from test_coding_audit import TODAY as AUDIT_DAY
from test_coding_audit import audit, findings, fx  # noqa: F401  (fx: the audit's fixture)
from test_rota_cover import MONDAY, plan_c_visit
from test_stale_writes import WHEN, refused

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AbsenceCover,
    Action,
    CodingFinding,
    EntryStatus,
    FindingKind,
    FindingStatus,
    RegisterEntry,
)
from coordinator_tui.services.reports import ReportsConflictError
from coordinator_tui.services.reports import coding_audit as ca
from coordinator_tui.services.rota import plan_c as C
from coordinator_tui.services.rota.assign import RotaConflictError

# -- Plan C: the absence cover record -------------------------------------------------------


def test_a_stale_plan_c_escalation_is_refused_naming_who_what_when(small_demo_engine):
    _absence, cover_id, seen, _visit, _carer = plan_c_visit(small_demo_engine)
    with session_scope(small_demo_engine, "colleague") as s:  # a note on the cover, audited
        s.get(AbsenceCover, cover_id).note = "Rang the family: they can wait"
    with pytest.raises(RotaConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        C.escalate(s, cover_id, seen, why="nobody free", today=MONDAY)
    assert re.match(refused("colleague", "absence cover", "note"), str(caught.value))
    assert "family" not in str(caught.value)  # field names only, never values
    with session_scope(small_demo_engine, "t") as s:
        cover = s.get(AbsenceCover, cover_id)
        assert cover.action == "" or cover.action is None
        assert not s.exec(select(Action).where(Action.id == cover.task_id)).first()


def test_a_plan_c_cover_deleted_since_names_who_deleted_it_and_when(small_demo_engine):
    _absence, cover_id, seen, _visit, _carer = plan_c_visit(small_demo_engine)
    with session_scope(small_demo_engine, "colleague") as s:
        s.delete(s.get(AbsenceCover, cover_id))
    with pytest.raises(RotaConflictError) as caught, session_scope(small_demo_engine, "me") as s:
        C.escalate(s, cover_id, seen, why="", today=MONDAY)
    assert re.match(
        rf"^Refused: colleague deleted this absence cover {WHEN}\. Press F5 to reload\.$",
        str(caught.value),
    )


# -- the coding audit: the register entry as the audit saw it ------------------------------


def test_an_entry_changed_since_the_audit_is_refused_naming_who_what_when(fx):  # noqa: F811
    audit(fx)
    finding = findings(fx)[FindingKind.REGISTERED_NOT_CODED]
    with session_scope(fx.engine, "colleague") as s:  # a correction to the entry, audited
        s.get(RegisterEntry, finding.entry_id).notes = "Reviewed with the health visitor"
    with (
        pytest.raises(ReportsConflictError) as caught,
        session_scope(fx.engine, "coordinator") as s,
    ):
        ca.end_ours(s, finding.id, finding.version, today=AUDIT_DAY, by="sc")
    message = str(caught.value)
    assert re.match(
        rf"^Refused: colleague changed this register entry {WHEN} \(notes\) since you loaded "
        r"it\. Nothing was overwritten; press F5 to reload\. Import the export again to audit "
        r"the entry as it is now\.$",
        message,
    )
    assert "health visitor" not in message
    with session_scope(fx.engine, "t") as s:
        assert s.get(RegisterEntry, finding.entry_id).status == EntryStatus.ACTIVE
        assert s.get(CodingFinding, finding.id).status == FindingStatus.OPEN


# -- Governance's visit actuals, training's settings and carer profiles ---------------------


def test_a_stale_visit_actual_is_refused_naming_who_what_when(small_demo_engine):
    from datetime import UTC, datetime, timedelta

    from coordinator_tui.models import Visit
    from coordinator_tui.services.governance import GovernanceConflictError
    from coordinator_tui.services.governance import visits as V

    with session_scope(small_demo_engine, "t") as s:
        visit = s.exec(select(Visit).order_by(Visit.id)).first()
        visit_id, seen = visit.id, visit.version
    with session_scope(small_demo_engine, "colleague") as s:
        s.get(Visit, visit_id).tasks = "Breakfast, meds"
    start = datetime.now(UTC) - timedelta(hours=2)
    with (
        pytest.raises(GovernanceConflictError) as caught,
        session_scope(small_demo_engine, "me") as s,
    ):
        V.record_actual(s, visit_id, seen, start=start, end=None, by="me")
    assert re.match(refused("colleague", "visit", "tasks"), str(caught.value))
    assert "meds" not in str(caught.value)


def test_stale_training_settings_and_profile_are_refused(small_demo_engine):
    from datetime import date

    from coordinator_tui.models import Carer
    from coordinator_tui.models.care_staff import CarerProfile
    from coordinator_tui.services.care import training as T
    from coordinator_tui.services.care.staff_common import CareStaffConflictError

    with session_scope(small_demo_engine, "t") as s:
        seen = T.intervals_version(s)
        carer_id = s.exec(select(Carer.id).order_by(Carer.id)).first()
        profile = s.exec(select(CarerProfile).where(CarerProfile.carer_id == carer_id)).first()
        profile_seen = profile.version if profile else None
    kwargs = dict(supervision_days=90, spot_check_days=90, due_soon_days=30)
    with session_scope(small_demo_engine, "colleague") as s:
        T.save_intervals(s, expected_version=seen, **{**kwargs, "supervision_days": 60})
    with (
        pytest.raises(CareStaffConflictError) as caught,
        session_scope(small_demo_engine, "me") as s,
    ):
        T.save_intervals(s, expected_version=seen, **kwargs)
    assert "colleague" in str(caught.value) and "press F5" in str(caught.value)

    with session_scope(small_demo_engine, "colleague") as s:
        T.set_profile(
            s, carer_id, role="senior_carer", started_on=None, expected_version=profile_seen,
            today=date(2026, 11, 23),
        )  # fmt: skip
    with (
        pytest.raises(CareStaffConflictError) as caught,
        session_scope(small_demo_engine, "me") as s,
    ):
        T.set_profile(
            s, carer_id, role="care_worker", started_on=None, expected_version=profile_seen,
            today=date(2026, 11, 23),
        )  # fmt: skip
    assert "colleague" in str(caught.value)
