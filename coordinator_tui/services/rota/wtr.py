"""Working Time Regulations 1998 (SI 1998/1833) figures, each with its source.

DESIGN.md section 4. Travel between visits counts as working time for homecare workers with
no fixed workplace (CJEU C-266/14 Tyco, 2015). All figures are minutes; a limit is broken
only when it is exceeded (exactly 48 h average, exactly 6 h without a break, exactly 11 h
of rest are all within the law).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES: dict[str, str] = {
    "average_48h": "WTR 1998 reg 4 (legislation.gov.uk/uksi/1998/1833/regulation/4): average "
    "<= 48 h per 7 days over a rolling 17-week reference period (the period worked so far "
    "if under 17 weeks); written opt-out possible",
    "daily_rest": "WTR 1998 reg 10: 11 consecutive hours of rest in each 24 (12 h under 18)",
    "weekly_rest": "WTR 1998 reg 11: 24 h uninterrupted per 7 days, or 2 x 24 h or 1 x 48 h "
    "per 14 days (48 h per 7 days under 18); periods start at midnight Sunday/Monday",
    "rest_break": "WTR 1998 reg 12: 20 minutes when the working day exceeds 6 h (30 minutes "
    "over 4.5 h under 18)",
    "young_limits": "WTR 1998 reg 5A: under 18, at most 8 h a day and 40 h a week, no "
    "averaging, no opt-out",
    "travel": "CJEU C-266/14 Tyco (2015): travel between visits is working time for workers "
    "with no fixed workplace",
}


@dataclass(frozen=True)
class WtrLimits:
    """The limits for one class of worker (adult or young worker)."""

    daily_rest: int  # minutes of consecutive rest between working days
    weekly_rest: int  # minutes of uninterrupted rest in each 7-day period
    fortnight_alternative: bool  # adults may take 2 x 24 h or 1 x 48 h per 14 days instead
    break_after: int  # a working day longer than this needs a break...
    break_length: int  # ...of at least this many uninterrupted minutes
    daily_max: int | None  # None: no daily limit (adults)
    weekly_max: int | None  # young workers: hard weekly limit, no averaging
    average_weekly_max: int | None  # adults: limit on the 17-week average
    reference_weeks: int
    opt_out_allowed: bool


ADULT = WtrLimits(
    daily_rest=11 * 60,
    weekly_rest=24 * 60,
    fortnight_alternative=True,
    break_after=6 * 60,
    break_length=20,
    daily_max=None,
    weekly_max=None,
    average_weekly_max=48 * 60,
    reference_weeks=17,
    opt_out_allowed=True,
)

YOUNG = WtrLimits(
    daily_rest=12 * 60,
    weekly_rest=48 * 60,
    fortnight_alternative=False,
    break_after=4 * 60 + 30,
    break_length=30,
    daily_max=8 * 60,
    weekly_max=40 * 60,
    average_weekly_max=None,
    reference_weeks=1,
    opt_out_allowed=False,
)

YOUNG_WORKER_AGE = 18
