"""Night work (WTR 1998 reg 2, 6): the night worker's average and the 8 hours with hazards.

The young workers' restricted period (reg 6A) is a rule about each visit (``on_visit``).
"""

from __future__ import annotations

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import CarerWeek, clock, hm, rule
from coordinator_tui.services.rota.wtr import DAY, NIGHT_AVERAGE_MAX, NIGHT_HAZARD_MAX


@rule("carer", "WTR 1998 reg 6(1), 6(3), 6(5); night worker: reg 2", P.WTR_NIGHT_AVERAGE)
def night_average(week: CarerWeek) -> list:
    """A night worker's normal hours average at most 8 in each 24 over the reference period
    (17 weeks, or the weeks worked so far), counted as reg 6(5) does: the hours over the
    days of the period less the weekly rest days (one a week). The reg 4 opt-out does not
    apply. Whether the carer is a night worker is recorded, or inferred (and said so)."""
    carer = week.carer
    if carer.is_young_on(week.snap.monday):
        return []  # an under-18 may not work at night at all (reg 6A)
    weeks, earlier = week.worked_before(16)
    total = week.work + earlier
    days = 6 * weeks  # 7 days a week, less one day of weekly rest (24 h / 24)
    if total <= NIGHT_AVERAGE_MAX * days:
        return []
    worker, how = week.night_worker()  # asked only now: working it out reads every shift
    if not worker:
        return []
    return [
        P.make(
            P.WTR_NIGHT_AVERAGE,
            f"{week.name} (night worker, {how}): average {total / days / 60:.1f}h per 24 "
            f"over {weeks} week(s) (this week {hm(week.work)}), limit 8h; the opt-out does not "
            "apply",
            carer.id,
        )
    ]


@rule("carer", "WTR 1998 reg 6(7), 6(8)", P.WTR_NIGHT_HAZARD)
def night_hazard(week: CarerWeek) -> list:
    """A night worker whose work involves special hazards or heavy physical or mental strain
    (recorded on the carer from the risk assessment) works at most 8 hours in any 24 in
    which they do night work: counted from the start of each shift with night work."""
    carer = week.carer
    if not carer.special_hazards:
        return []
    worker, how = week.night_worker()
    if not worker:
        return []
    found = {}
    shifts = week.shifts
    in_week = {id(s) for s in week.week_shifts()}
    for index, shift in enumerate(shifts):
        if id(shift) not in in_week or not week.night(shift):
            continue
        window_end = shift.start + DAY
        worked = shift.work + sum(s.work for s in shifts[index + 1 :] if s.start < window_end)
        if worked > NIGHT_HAZARD_MAX:
            problem = P.make(
                P.WTR_NIGHT_HAZARD,
                f"{week.name} (night worker, {how}; special hazards): {hm(worked)} in the 24 "
                f"hours from {clock(shift.start)}, limit {hm(NIGHT_HAZARD_MAX)}",
                carer.id,
                (),
                week.shift_day(shift),
            )
            found.setdefault(problem.key, problem)
    return list(found.values())
