"""The complaint time limit (Local Authority Social Services and National Health Service
Complaints (England) Regulations 2009, SI 2009/309, reg 12).

Reg 12(1): a complaint must be made not later than 12 months after (a) the date on which
the matter complained of occurred, or (b) if later, the date on which it came to the
notice of the complainant. Reg 12(2): the limit does not apply if the body is satisfied
the complainant had good reason and it can still be investigated effectively and fairly,
so a late complaint is logged with a warning, never refused.
"""

from __future__ import annotations

from datetime import date as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Customer
from coordinator_tui.models.governance import Complaint
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance.clocks import outside_time_limit, time_limit_start
from coordinator_tui.services.governance.complaints import late_note, log_complaint

RECEIVED = D(2026, 11, 23)

# (event, knew of it on, received, late, why)
CASES = [
    (D(2025, 11, 23), None, RECEIVED, False, "reg 12(1)(a): 12 months to the day"),
    (D(2025, 11, 22), None, RECEIVED, True, "reg 12(1)(a): a day over 12 months"),
    (D(2025, 11, 22), D(2025, 11, 22), RECEIVED, True, "knew the same day: (a) and (b) agree"),
    (D(2025, 1, 10), D(2025, 12, 1), RECEIVED, False, "reg 12(1)(b): knew later, within 12"),
    (D(2024, 6, 1), D(2025, 11, 23), RECEIVED, False, "reg 12(1)(b): 12 months from knowing"),
    (D(2024, 6, 1), D(2025, 11, 22), RECEIVED, True, "reg 12(1)(b): a day over from knowing"),
    (None, D(2025, 11, 22), RECEIVED, True, "event date unknown: counted from knowing"),
    (None, D(2025, 12, 22), RECEIVED, False, "event date unknown: within 12 of knowing"),
    (None, None, RECEIVED, False, "neither known: no limit can be counted"),
    (D(2024, 2, 29), None, D(2025, 2, 28), False, "leap day: 12 months ends 28 February"),
    (D(2024, 2, 29), None, D(2025, 3, 1), True, "leap day: 1 March is over"),
]


@pytest.mark.parametrize(("event", "known", "received", "late", "why"), CASES)
def test_time_limit_runs_from_the_event_or_from_knowing_if_later(event, known, received, late, why):
    """SI 2009/309 reg 12(1)(a) and (b): the later of the two starts the 12 months."""
    assert outside_time_limit(event, received, known) is late, why


@pytest.mark.parametrize(
    ("event", "known", "start"),
    [
        (D(2025, 1, 1), None, D(2025, 1, 1)),
        (D(2025, 1, 1), D(2025, 3, 1), D(2025, 3, 1)),
        (None, D(2025, 3, 1), D(2025, 3, 1)),
        (None, None, None),
    ],
)
def test_time_limit_start_is_the_later_day(event, known, start):
    assert time_limit_start(event, known) == start


def _customer(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.scalars(select(Customer.id).order_by(Customer.id)).first()


def _log(engine, **kwargs) -> tuple[int, str]:
    customer_id = _customer(engine)
    with session_scope(engine, "t") as s:
        complaint = log_complaint(
            s,
            received_on=RECEIVED,
            channel="phone",
            complainant="Ann Example",
            relation="daughter",
            summary="Visits were cut short",
            customer_id=customer_id,
            by="tester",
            today=RECEIVED,
            **kwargs,
        )
        return complaint.id, late_note(complaint)


def test_a_complaint_made_within_12_months_of_knowing_has_no_warning(small_demo_engine):
    """Reg 12(1)(b): the event 17 months before, the daughter found out 3 months before."""
    complaint_id, note = _log(small_demo_engine, event_date=D(2025, 6, 1), known_on=D(2026, 8, 20))
    assert note == ""
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(Complaint, complaint_id).known_on == D(2026, 8, 20)


def test_a_late_complaint_is_logged_with_the_warning_naming_reg_12(small_demo_engine):
    """Reg 12(2): still logged; the warning says from what the 12 months ran."""
    complaint_id, note = _log(small_demo_engine, event_date=D(2024, 6, 1), known_on=D(2025, 10, 1))
    assert "12 months after the complainant knew of it" in note
    assert "reg 12" in note
    _, note = _log(small_demo_engine, event_date=D(2025, 10, 1))
    assert "12 months after the event" in note


@pytest.mark.parametrize(
    ("event", "known", "message"),
    [
        (D(2026, 5, 1), D(2026, 4, 1), "before it happened"),
        (D(2026, 5, 1), D(2026, 11, 24), "after the complaint came in"),
    ],
)
def test_knowing_before_the_event_or_after_the_complaint_is_refused(
    small_demo_engine, event, known, message
):
    with pytest.raises(GovernanceError, match=message):
        _log(small_demo_engine, event_date=event, known_on=known)


_days = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))


@given(event=_days, known=_days, received=_days)
def test_knowing_later_only_ever_extends_the_time_limit(event, known, received):
    """Reg 12(1)(b) runs 'if later': a knowledge date can only keep a complaint in time,
    never make one late that was in time from the event; one before the event changes
    nothing (the service refuses it; the clock ignores it)."""
    with_knowing = outside_time_limit(event, received, known)
    from_event = outside_time_limit(event, received)
    if with_knowing:
        assert from_event
    if known <= event:
        assert with_knowing == from_event
