"""A rota problem: what is wrong, how bad, and which carer, visits and day it concerns."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

HARD = "hard"
SOFT = "soft"

# Hard: the rota must not be worked like this.
OVERLAP = "OVERLAP"  # two visits of one carer overlap in time
TRAVEL_TIME = "TRAVEL_TIME"  # the gap between two visits is shorter than the travel between
SKILL_MISSING = "SKILL_MISSING"  # a required skill is not held at all
SKILL_EXPIRED = "SKILL_EXPIRED"  # a required skill has expired by the visit day
DOUBLE_UP_SAME_CARER = "DOUBLE_UP_SAME"  # a double-up staffed twice by one carer
UNSTAFFED = "UNSTAFFED"  # a visit short of carers
ABSENT = "ABSENT"  # the carer is absent (sickness, leave, training) that day
UNAVAILABLE = "UNAVAILABLE"  # outside the carer's availability pattern, or carer inactive
EXCLUDED = "EXCLUDED"  # the customer has excluded this carer
WTR_AVERAGE_48H = "WTR_AVG_48H"  # reg 4: more than 48 h a week on the 17-week average
WTR_DAILY_REST = "WTR_DAILY_REST"  # reg 10: less than 11 (12) consecutive hours of rest
WTR_WEEKLY_REST = "WTR_WEEKLY_REST"  # reg 11: no 24 h (48 h in 14 days; 48 h under-18s)
WTR_BREAK = "WTR_BREAK"  # reg 12: no 20-minute (30) break in a day over 6 h (4.5 h)
WTR_YOUNG_DAY = "WTR_YOUNG_DAY"  # reg 5A: an under-18 working more than 8 h in a day
WTR_YOUNG_WEEK = "WTR_YOUNG_WEEK"  # reg 5A: an under-18 working more than 40 h in a week
WTR_NIGHT_AVERAGE = "WTR_NIGHT_AVG"  # reg 6(1): a night worker over 8 h per 24 on average
WTR_NIGHT_HAZARD = "WTR_NIGHT_8H"  # reg 6(7): special hazards, over 8 h in a 24 with night work

# Soft: allowed, but only with a recorded rationale (CQC: why a wish could not be met).
PREFERRED_GENDER = "PREF_GENDER"
PREFERRED_CARER = "PREF_CARER"  # the customer has preferred carers and none is on the visit
NEW_TO_CUSTOMER = "NEW_TO_CUSTOMER"  # continuity: the carer has not visited this customer
LONE_WORKING = "LONE_WORKING"  # a lone-working-risk customer visited by one carer
OVER_CONTRACT = "OVER_CONTRACT"  # more hours in the week than contracted
# reg 11(7): the weekly rest takes in part of a daily rest (24 h but not 35 h): accepted only
# with the objective reason recorded.
WTR_WEEKLY_REST_DAILY = "WTR_WEEKLY_DAILY"
# reg 6A: an under-18 working in the restricted period; accepted only with the reg 27A
# exception recorded.
WTR_YOUNG_NIGHT = "WTR_YOUNG_NIGHT"
# reg 22(1)(c) and 24: a split-shift worker exempted from reg 10 is owed compensatory rest;
# shown accepted (the exemption is the recorded reason) instead of a daily-rest breach.
WTR_COMPENSATORY_REST = "WTR_COMP_REST"

SEVERITY: dict[str, str] = {
    OVERLAP: HARD,
    TRAVEL_TIME: HARD,
    SKILL_MISSING: HARD,
    SKILL_EXPIRED: HARD,
    DOUBLE_UP_SAME_CARER: HARD,
    UNSTAFFED: HARD,
    ABSENT: HARD,
    UNAVAILABLE: HARD,
    EXCLUDED: HARD,
    WTR_AVERAGE_48H: HARD,
    WTR_DAILY_REST: HARD,
    WTR_WEEKLY_REST: HARD,
    WTR_BREAK: HARD,
    WTR_YOUNG_DAY: HARD,
    WTR_YOUNG_WEEK: HARD,
    WTR_NIGHT_AVERAGE: HARD,
    WTR_NIGHT_HAZARD: HARD,
    PREFERRED_GENDER: SOFT,
    PREFERRED_CARER: SOFT,
    NEW_TO_CUSTOMER: SOFT,
    LONE_WORKING: SOFT,
    OVER_CONTRACT: SOFT,
    WTR_WEEKLY_REST_DAILY: SOFT,
    WTR_YOUNG_NIGHT: SOFT,
    WTR_COMPENSATORY_REST: SOFT,
}

TITLES: dict[str, str] = {
    OVERLAP: "Overlapping visits",
    TRAVEL_TIME: "Not enough travel time",
    SKILL_MISSING: "Required skill missing",
    SKILL_EXPIRED: "Required skill expired",
    DOUBLE_UP_SAME_CARER: "Double-up with one carer",
    UNSTAFFED: "Visit short of carers",
    ABSENT: "Carer absent",
    UNAVAILABLE: "Carer unavailable",
    EXCLUDED: "Carer excluded by customer",
    WTR_AVERAGE_48H: "WTR: 48-hour average",
    WTR_DAILY_REST: "WTR: daily rest",
    WTR_WEEKLY_REST: "WTR: weekly rest",
    WTR_BREAK: "WTR: rest break",
    WTR_YOUNG_DAY: "WTR: young worker daily limit",
    WTR_YOUNG_WEEK: "WTR: young worker weekly limit",
    WTR_NIGHT_AVERAGE: "WTR: night worker's 8-hour average",
    WTR_NIGHT_HAZARD: "WTR: night work with special hazards",
    WTR_WEEKLY_REST_DAILY: "WTR: weekly rest takes in daily rest",
    WTR_YOUNG_NIGHT: "WTR: young worker at night",
    WTR_COMPENSATORY_REST: "WTR: compensatory rest (split shift)",
    PREFERRED_GENDER: "Preferred gender not met",
    PREFERRED_CARER: "Preferred carers not met",
    NEW_TO_CUSTOMER: "Carer new to customer",
    LONE_WORKING: "Lone-working risk, one carer",
    OVER_CONTRACT: "Hours over contract",
}


class Problem(NamedTuple):
    """One problem. ``key`` identifies it across re-checks (the message may change).

    A named tuple rather than a frozen dataclass: a large week has thousands of problems
    and a frozen dataclass is several times slower to build.
    """

    code: str
    severity: str
    message: str
    carer_id: int | None = None
    visit_ids: tuple[int, ...] = ()
    day: date | None = None
    accepted: bool = False  # a soft problem accepted with a recorded rationale

    @property
    def key(self) -> tuple:
        return (self.code, self.carer_id, self.visit_ids, self.day)

    @property
    def is_hard(self) -> bool:
        return self.severity == HARD

    @property
    def title(self) -> str:
        return TITLES.get(self.code, self.code)

    def to_dict(self) -> dict:
        """Plain values for JSON output (``rota check --json``)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "carer_id": self.carer_id,
            "visit_ids": list(self.visit_ids),
            "day": self.day.isoformat() if self.day else None,
            "accepted": self.accepted,
        }


def make(
    code: str,
    message: str,
    carer_id: int | None = None,
    visit_ids: tuple[int, ...] = (),
    day: date | None = None,
    accepted: bool = False,
) -> Problem:
    """A problem with the severity of its code."""
    return Problem(code, SEVERITY[code], message, carer_id, visit_ids, day, accepted)


def worst(problems) -> Problem | None:
    """The most serious problem of several (hard before soft, unaccepted before accepted)."""
    best: Problem | None = None
    for problem in problems:
        if best is None or _rank(problem) < _rank(best):
            best = problem
    return best


def _rank(problem: Problem) -> tuple[int, int]:
    return (0 if problem.is_hard else 1, 1 if problem.accepted else 0)
