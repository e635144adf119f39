"""Every governance timescale, each with its source (issue 14; DESIGN.md sections 4, 7).

One place for the clocks so the screens, the command line, Home's counts and the letters
agree. Working days skip weekends and England and Wales bank holidays, substitute days
included (``services.dates``). ``services/rules.py`` (the app's one timescales module) did
not exist when these were written; they move there once it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coordinator_tui.services import rules
from coordinator_tui.services.dates import add_interval, add_working_days, next_working_day

CANDOUR_LIMIT_DEFAULT = 10
"""Working days for the notification in person unless the agency sets its own limit."""
ACKNOWLEDGE_WORKING_DAYS = rules.COMPLAINT_ACKNOWLEDGE_WORKING_DAYS  # services.rules
RESPONSE_MONTHS_DEFAULT = 6
COMPLAINT_TIME_LIMIT_MONTHS = 12


@dataclass(frozen=True)
class Rule:
    """A timescale, its figure in words and where it comes from."""

    code: str
    figure: str
    source: str


RULES: tuple[Rule, ...] = (
    Rule(
        "candour_notification",
        "notify the relevant person in person as soon as reasonably practicable; the "
        f"agency's own limit, default {CANDOUR_LIMIT_DEFAULT} working days from the "
        "decision that the incident is notifiable",
        "SI 2014/2936 reg 20(2)",
    ),
    Rule(
        "complaint_acknowledge",
        f"acknowledge not later than {ACKNOWLEDGE_WORKING_DAYS} working days after the day "
        "the complaint is received, offering to discuss how it will be handled and the "
        "response period",
        "SI 2009/309 reg 13(1), (2)",
    ),
    Rule(
        "complaint_response",
        f"respond within the period agreed, {RESPONSE_MONTHS_DEFAULT} months from receipt "
        "unless a longer one is agreed; when it runs out, say why in writing",
        "SI 2009/309 reg 13(7), 14(2)",
    ),
    Rule(
        "complaint_oral",
        "an oral complaint resolved to the complainant's satisfaction by the next working "
        "day is outside the formal process",
        "SI 2009/309 reg 8(1)(b)",
    ),
    Rule(
        "complaint_time_limit",
        f"made within {COMPLAINT_TIME_LIMIT_MONTHS} months of the event (or of coming to "
        "know of it); a later one may still be considered for good reason",
        "SI 2009/309 reg 12(1), (2)",
    ),
)


def candour_due(decided_on: date, limit_days: int = CANDOUR_LIMIT_DEFAULT) -> date:
    """The day by which the notification in person is due: ``limit_days`` working days
    after the day the incident was found notifiable (SI 2014/2936 reg 20(2))."""
    return add_working_days(decided_on, limit_days)


def acknowledge_due(received_on: date) -> date:
    """The 3rd working day after receipt (SI 2009/309 reg 13(1)): a complaint received on
    a Friday is acknowledged by Wednesday; one received on Christmas Eve 2026 (a Thursday)
    by Thursday 31 December, Christmas Day and Boxing Day's substitute Monday skipped."""
    return rules.complaint_acknowledge_due(received_on)


def response_due(received_on: date, months: int = RESPONSE_MONTHS_DEFAULT) -> date:
    """The end of the response period: ``months`` calendar months from receipt
    (SI 2009/309 reg 13(7)); month ends clamp (31 Aug + 6 months is 28 Feb)."""
    return add_interval(received_on, months=months)


def oral_resolution_deadline(received_on: date) -> date:
    """The last day an oral complaint can be resolved and leave the formal process: the
    next working day after the day it was made (SI 2009/309 reg 8(1)(b))."""
    return next_working_day(received_on)


def time_limit_start(event_date: date | None, known_on: date | None = None) -> date | None:
    """The day the 12-month time limit runs from: the day of the event or, if later, the
    day the complainant first knew of it (SI 2009/309 reg 12(1)(a) and (b)); None when
    neither is known (no limit can be counted)."""
    days = [day for day in (event_date, known_on) if day is not None]
    return max(days) if days else None


def outside_time_limit(
    event_date: date | None, received_on: date, known_on: date | None = None
) -> bool:
    """Whether a complaint came more than 12 months after its event AND more than 12
    months after the complainant first knew of it (SI 2009/309 reg 12(1)): a warning, not
    a refusal (reg 12(2): the agency may still consider it for good reason)."""
    start = time_limit_start(event_date, known_on)
    if start is None:
        return False
    return add_interval(start, months=COMPLAINT_TIME_LIMIT_MONTHS) < received_on
