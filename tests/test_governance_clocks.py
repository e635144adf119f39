"""The governance clocks, table-tested over bank holidays (Christmas, Easter, substitute
days), each table citing its rule. England and Wales bank holidays from ``holidays``:
2026 Good Friday 3 April, Easter Monday 6 April, Christmas Friday 25 December, Boxing
Day Saturday 26 (substitute Monday 28); 2027 Christmas Saturday (substitute Monday 27),
Boxing Day Sunday (substitute Tuesday 28); 2028 New Year's Day Saturday (substitute
Monday 3 January)."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator_tui.services.governance.clocks import (
    RULES,
    acknowledge_due,
    candour_due,
    oral_resolution_deadline,
    outside_time_limit,
    response_due,
)

D = date


# SI 2009/309 reg 13(1): acknowledge not later than 3 working days after the day received.
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 11, 23), D(2026, 11, 26)),  # Monday: Thursday
        (D(2026, 11, 27), D(2026, 12, 2)),  # Friday: over the weekend to Wednesday
        (D(2026, 11, 28), D(2026, 12, 2)),  # Saturday: counted from Monday
        (D(2026, 12, 23), D(2026, 12, 30)),  # Christmas Day and the substitute Monday skipped
        (D(2026, 12, 24), D(2026, 12, 31)),  # Christmas Eve (Thursday)
        (D(2027, 12, 24), D(2027, 12, 31)),  # two substitute days (27, 28 December 2027)
        (D(2027, 12, 30), D(2028, 1, 5)),  # New Year's Day substitute, Monday 3 January
        (D(2026, 4, 2), D(2026, 4, 9)),  # Maundy Thursday 2026: Good Friday, Easter Monday
        (D(2027, 3, 25), D(2027, 4, 1)),  # Maundy Thursday 2027
    ],
)
def test_acknowledgement_due_three_working_days_after_receipt(received, due):
    assert acknowledge_due(received) == due


# SI 2014/2936 reg 20(2): as soon as reasonably practicable; the agency's limit, default 10.
@pytest.mark.parametrize(
    ("decided", "limit", "due"),
    [
        (D(2026, 11, 23), 10, D(2026, 12, 7)),
        (D(2026, 12, 24), 10, D(2027, 1, 12)),  # Christmas, substitute Monday, New Year
        (D(2026, 4, 2), 10, D(2026, 4, 20)),  # over Easter 2026
        (D(2027, 12, 24), 5, D(2028, 1, 5)),  # an agency limit of 5 over Christmas 2027
        (D(2026, 12, 26), 1, D(2026, 12, 29)),  # Boxing Day (Saturday): Tuesday
    ],
)
def test_candour_notification_due_within_the_agencys_limit(decided, limit, due):
    assert candour_due(decided, limit) == due


def test_candour_default_limit_is_ten_working_days():
    assert candour_due(D(2026, 11, 23)) == D(2026, 12, 7)


# SI 2009/309 reg 8(1)(b): an oral complaint resolved by the next working day.
@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (D(2026, 11, 23), D(2026, 11, 24)),
        (D(2026, 11, 27), D(2026, 11, 30)),  # Friday: Monday
        (D(2026, 12, 24), D(2026, 12, 29)),  # Christmas Eve: Tuesday after the substitute day
        (D(2026, 4, 3), D(2026, 4, 7)),  # made on Good Friday: Tuesday after Easter Monday
    ],
)
def test_oral_complaint_resolution_deadline(received, deadline):
    assert oral_resolution_deadline(received) == deadline


# SI 2009/309 reg 13(7): the response period, 6 months unless longer is agreed.
@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (D(2026, 11, 23), 6, D(2027, 5, 23)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),  # a month end clamps
        (D(2027, 8, 31), 6, D(2028, 2, 29)),  # to a leap day
        (D(2026, 11, 23), 3, D(2027, 2, 23)),  # an agency's shorter usual period
    ],
)
def test_response_period(received, months, due):
    assert response_due(received, months) == due


# SI 2009/309 reg 12: within 12 months of the event (a warning, not a refusal).
@pytest.mark.parametrize(
    ("event", "received", "late"),
    [
        (D(2025, 11, 23), D(2026, 11, 23), False),
        (D(2025, 11, 22), D(2026, 11, 23), True),
        (None, D(2026, 11, 23), False),
    ],
)
def test_time_limit(event, received, late):
    assert outside_time_limit(event, received) is late


def test_every_rule_names_its_source():
    assert {r.code for r in RULES} >= {
        "candour_notification",
        "complaint_acknowledge",
        "complaint_response",
        "complaint_oral",
        "complaint_time_limit",
    }
    for rule in RULES:
        assert rule.source.startswith("SI "), rule
        assert rule.figure
