"""Working Time Regulations 1998 (SI 1998/1833) figures, each with its source.

DESIGN.md section 4. Travel between visits counts as working time for homecare workers with
no fixed workplace (CJEU C-266/14 Tyco, 2015). All figures are minutes; a limit is broken
only when it is exceeded (exactly 48 h average, exactly 6 h without a break, exactly 11 h
of rest are all within the law).

The rules read these figures over *shifts*, not calendar days: a shift is a carer's visits
joined by gaps shorter than the daily rest, so a night that crosses midnight is one shift
and a split day with 11 hours or more between its halves is two (``shifts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES: dict[str, str] = {
    "average_48h": "WTR 1998 reg 4 (legislation.gov.uk/uksi/1998/1833/regulation/4): average "
    "<= 48 h per 7 days over a rolling 17-week reference period (the period worked so far "
    "if under 17 weeks); written opt-out possible",
    "reference_leave": "WTR 1998 reg 4(6)-(7): days of annual, sick, maternity, paternity, "
    "adoption and parental leave are left out of the reference period and the same number "
    "of days just after it are added in",
    "daily_rest": "WTR 1998 reg 10: 11 consecutive hours of rest in each 24 (12 h under 18)",
    "split_shift": "WTR 1998 reg 22(1)(c) and reg 24: a worker whose work is split up over "
    "the day may be exempted from reg 10 and 11, with an equivalent period of compensatory "
    "rest",
    "weekly_rest": "WTR 1998 reg 11: 24 h uninterrupted per 7 days, or 2 x 24 h or 1 x 48 h "
    "per 14 days (48 h per 7 days under 18); periods start at midnight Sunday/Monday",
    "weekly_rest_daily": "WTR 1998 reg 11(7): the weekly rest may not include any part of a "
    "daily rest (reg 10) unless justified by objective or technical reasons or the "
    "organisation of work: 24 h + 11 h = 35 h",
    "rest_break": "WTR 1998 reg 12: 20 minutes when the working day exceeds 6 h (30 minutes "
    "over 4.5 h under 18)",
    "young_limits": "WTR 1998 reg 5A: under 18, at most 8 h a day and 40 h a week, no "
    "averaging, no opt-out",
    "night_time": "WTR 1998 reg 2: night time is a period of at least 7 hours including "
    "midnight to 05:00 (23:00 to 06:00 unless agreed); a night worker works at least 3 hours "
    "of their daily working time in night time as a normal course",
    "night_average": "WTR 1998 reg 6(1), (5): a night worker's normal hours average at most "
    "8 in each 24 over the reference period (17 weeks), weekly rest days left out; the reg 4 "
    "opt-out does not apply",
    "night_hazard": "WTR 1998 reg 6(7): a night worker whose work involves special hazards or "
    "heavy physical or mental strain works at most 8 hours in any 24 in which night work is "
    "done",
    "young_night": "WTR 1998 reg 6A: no work by an under-18 in the restricted period, 22:00 "
    "to 06:00 (23:00 to 07:00 where the contract provides for work after 22:00), save the "
    "narrow exceptions of reg 27A",
    "travel": "CJEU C-266/14 Tyco (2015): travel between visits is working time for workers "
    "with no fixed workplace",
}


@dataclass(frozen=True)
class WtrLimits:
    """The limits for one class of worker (adult or young worker)."""

    daily_rest: int  # minutes of consecutive rest in each 24 hours (and between shifts)
    weekly_rest: int  # minutes of uninterrupted rest in each 7-day period
    fortnight_alternative: bool  # adults may take 2 x 24 h or 1 x 48 h per 14 days instead
    break_after: int  # a shift longer than this needs a break...
    break_length: int  # ...of at least this many uninterrupted minutes
    daily_max: int | None  # None: no daily limit (adults)
    weekly_max: int | None  # young workers: hard weekly limit, no averaging
    average_weekly_max: int | None  # adults: limit on the 17-week average
    reference_weeks: int
    opt_out_allowed: bool
    weekly_rest_excludes_daily: bool  # reg 11(7) applies (adults): 24 h + 11 h = 35 h


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
    weekly_rest_excludes_daily=True,
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
    weekly_rest_excludes_daily=False,  # reg 11(7) names paragraphs (1) and (2) only
)

YOUNG_WORKER_AGE = 18
DAY = 24 * 60

# Night work (reg 2, 6, 6A). Minutes of the UK wall-clock day.
NIGHT_START_DEFAULT = 23 * 60  # night time 23:00 to 06:00 unless the agency sets another
NIGHT_LENGTH = 7 * 60  # ... 7-hour period, which must include midnight to 05:00
NIGHT_WORKER_MINUTES = 3 * 60  # at least 3 hours of a shift in night time
NIGHT_WORKER_SHARE = 1 / 3  # "as a normal course": a regular feature, read as 1 shift in 3
NIGHT_AVERAGE_MAX = 8 * 60  # per 24 hours, averaged over the reference period
NIGHT_HAZARD_MAX = 8 * 60  # in any 24 hours in which night work is done (special hazards)
RESTRICTED_PERIOD = (22 * 60, 6 * 60)  # reg 6A, under 18
RESTRICTED_PERIOD_BY_CONTRACT = (23 * 60, 7 * 60)

# A shift is "split up over the day" (reg 22(1)(c)) when it has a free stretch this long.
SPLIT_MINIMUM_GAP = 60

# Reg 4(6)-(7): absences left out of the reference period (``Absence.kind``).
REFERENCE_PERIOD_EXCLUDED = frozenset(
    {
        "leave",
        "annual_leave",
        "sickness",
        "sick",
        "maternity",
        "paternity",
        "adoption",
        "parental",
        "shared_parental",
    }
)


def night_start_ok(start: int) -> bool:
    """Whether a 7-hour night period starting at ``start`` (minute of the day) includes
    midnight to 05:00 (reg 2): it starts between 22:00 and midnight."""
    return 22 * 60 <= start < DAY or start == 0
