"""Capacity and consent (issue 18 §3, Mental Capacity Act 2005): a "lacks capacity" note is
refused without the best-interests elements, naming each one, and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, CarePackage, Customer
from coordinator_tui.models.care_changes import CapacityAssessment, CareConsent
from coordinator_tui.services.care import CareConflictError, CareError
from coordinator_tui.services.care import consent as C

TODAY = date(2026, 11, 23)
LACKS = {
    "impairment": "Alzheimer's disease (diagnosed 2024)",
    "consulted": "Daughter (next of kin), GP",
    "wishes": "Has always wanted to stay at home",
    "least_restrictive": "Prompting with a dosette box rather than covert administration",
    "attorney": "none",
}


def note(customer_id: int | None = 1, **values) -> C.CapacityNote:
    base = dict(
        customer_id=customer_id,
        decision="Managing own medication",
        assessed_on=TODAY,
        assessed_by="A. Assessor, coordinator",
        presumption="Presumed to have capacity until assessed",
        support_given="Explained with pictures, in the morning, daughter present",
        findings={
            "understand": "can",
            "retain": "cannot",
            "use_weigh": "cannot",
            "communicate": "can",
        },
        outcome="lacks_capacity",
    )
    base.update(LACKS)
    base.update(values)
    return C.CapacityNote(**base)


@pytest.mark.parametrize(
    ("blank", "named"),
    [
        pytest.param("impairment", "impairment", id="MCA s2(1): the impairment"),
        pytest.param("consulted", "who was consulted", id="MCA s4(7): who was consulted"),
        pytest.param("wishes", "wishes and feelings", id="MCA s4(6): wishes and feelings"),
        pytest.param("least_restrictive", "least restrictive", id="MCA s1(6): least restrictive"),
        pytest.param("attorney", "lasting power of attorney", id="MCA s9, s16: LPA or deputy"),
    ],
)
def test_lacks_capacity_needs_best_interests(blank, named):
    missing = C.missing_elements(note(**{blank: ""}), TODAY)
    assert len(missing) == 1 and named in missing[0]


def test_a_complete_note_needs_nothing():
    assert C.missing_elements(note(), TODAY) == []
    has = note(
        findings=dict.fromkeys(C.ELEMENTS, "can"),
        outcome="has_capacity",
        **dict.fromkeys(LACKS, ""),
    )
    assert C.missing_elements(has, TODAY) == []


def test_outcome_must_agree_with_the_functional_test():
    """MCA s3(1): unable to do any one element is unable to make the decision."""
    wrong = C.missing_elements(note(outcome="has_capacity"), TODAY)
    assert any("agrees with the test" in m for m in wrong)
    none_failed = C.missing_elements(note(findings=dict.fromkeys(C.ELEMENTS, "can")), TODAY)
    assert any("which element" in m for m in none_failed)


@pytest.fixture
def customer_id(engine) -> int:
    with session_scope(engine, "setup") as s:
        c = Customer(name="Mr Demo")
        s.add(c)
        s.flush()
        s.add(CarePackage(customer_id=c.id, start_date=date(2026, 1, 5)))
        return c.id


def _count(engine, table) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(select(func.count()).select_from(table))


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blanks=st.sets(st.sampled_from(sorted(LACKS)), min_size=1))
def test_incomplete_lacks_note_writes_nothing(engine, customer_id, blanks):
    before = _count(engine, AuditEvent)
    with pytest.raises(C.CapacityNoteIncomplete) as refused, session_scope(engine, "c") as s:
        C.save_capacity_note(s, note(customer_id, **dict.fromkeys(blanks, "")), by="c", today=TODAY)
    assert len(refused.value.missing) == len(blanks)
    assert str(refused.value).startswith("Not saved: the note still needs")
    assert _count(engine, CapacityAssessment) == 0
    assert _count(engine, AuditEvent) == before


def test_saved_note_and_best_interests_consent(engine, customer_id):
    with pytest.raises(CareError, match="record that first"), session_scope(engine, "c") as s:
        C.record_consent(s, customer_id, "care", None, given="best_interests", by="c", today=TODAY)
    with session_scope(engine, "c") as s:
        saved = C.save_capacity_note(s, note(customer_id), by="c", today=TODAY)
        assert saved.retain == "cannot" and saved.attorney == "none"
    with session_scope(engine, "c") as s:
        C.record_consent(s, customer_id, "care", None, given="best_interests", by="c", today=TODAY)
        C.record_consent(s, customer_id, "sharing", None, given="yes", by="c", today=TODAY)
    with session_scope(engine, "c") as s:
        (row,) = C.consent_overview(s)
        assert (row.care, row.sharing, len(row.notes)) == ("best_interests", "yes", 1)
        version = row.sharing_version
    with session_scope(engine, "d") as s:
        C.record_consent(s, customer_id, "sharing", version, given="no", by="d", today=TODAY)
    with pytest.raises(CareConflictError), session_scope(engine, "c") as s:
        C.record_consent(s, customer_id, "sharing", version, given="yes", by="c", today=TODAY)
    assert _count(engine, CareConsent) == 2
