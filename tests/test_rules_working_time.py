"""The Working Time Regulations 1998 rules, table-driven, each case citing its regulation.

Cases sit on their boundaries (a limit is broken only when exceeded) and on the patterns
homecare works: split shifts (a morning run and an evening run), nights across midnight,
leave in the reference period. Week of Monday 23 November 2026 (GMT all week) unless a case
says otherwise; hand-built snapshots, no database (``test_rules_week_hours.py`` loads weeks
from one).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_rota_rules import (
    ADULT_DOB,
    HOME,
    MONDAY,
    NORTH,
    YOUNG_DOB,
    carer,
    customer,
    found,
    visit,
    week,
)

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules import RULES
from coordinator_tui.services.rota.snapshot import SVisit
from coordinator_tui.services.rota.validate import RotaState, validate_week

H = 60


def span(vid: int, day: int, start: tuple[int, int], end: tuple[int, int], **values) -> SVisit:
    """A visit from ``start`` to ``end`` (wall clock); an end "before" the start is the next
    day's, as the CSV importer reads it."""
    minutes = (end[0] * H + end[1]) - (start[0] * H + start[1])
    if minutes <= 0:
        minutes += 24 * H
    return visit(vid, day, start, minutes, **values)


def codes_of(snap, *wanted: str) -> list[P.Problem]:
    return [p for p in validate_week(snap) if p.code in wanted]


# -- reg 10 daily rest, per shift ----------------------------------------------------------

DAILY_REST = [
    pytest.param(
        [span(1, 0, (19, 0), (20, 0)), span(2, 1, (7, 0), (15, 0))],
        ADULT_DOB,
        False,
        None,
        id="reg 10: finish 20:00, start 07:00 next day: exactly 11 h",
    ),
    pytest.param(
        [span(1, 0, (19, 0), (20, 0)), span(2, 1, (6, 59), (14, 59))],
        ADULT_DOB,
        True,
        ((1, 2), 1),
        id="reg 10: 10h59 between a late and a full day",
    ),
    pytest.param(
        [span(1, 0, (19, 0), (20, 0)), span(2, 1, (8, 0), (15, 0))],
        YOUNG_DOB,
        False,
        None,
        id="reg 10(2): under 18, exactly 12 h",
    ),
    pytest.param(
        [span(1, 0, (19, 0), (20, 0)), span(2, 1, (7, 59), (15, 0))],
        YOUNG_DOB,
        True,
        ((1, 2), 1),
        id="reg 10(2): under 18, 11h59",
    ),
    pytest.param(
        [span(1, 0, (19, 0), (20, 0)), span(2, 1, (6, 59), (7, 29))],
        ADULT_DOB,
        False,
        None,
        id="reg 10: a short early call after a late: the 24 h from 19:00 hold 11h31",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (8, 0)), span(2, 0, (19, 0), (22, 0))],
        ADULT_DOB,
        False,
        None,
        id="reg 10: a split day with 11 h between its halves is itself a daily rest",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (8, 0)), span(2, 0, (18, 59), (20, 0))],
        ADULT_DOB,
        False,
        None,
        id="reg 10: a split shift spanning exactly 13 h",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (8, 0)), span(2, 0, (18, 59), (20, 1))],
        ADULT_DOB,
        True,
        ((1, 2), 0),
        id="reg 10: a split shift spanning 13h01",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (11, 0)), span(2, 0, (16, 0), (22, 0))],
        ADULT_DOB,
        True,
        ((1, 2), 0),
        id="reg 10: a morning run and an evening run to 22:00 leave 9 h of the 24",
    ),
    pytest.param(
        [
            span(1, 0, (22, 0), (23, 30)),
            span(2, 1, (0, 30), (2, 0)),
            span(3, 1, (4, 0), (6, 0)),
            span(4, 1, (22, 0), (23, 30)),
            span(5, 2, (0, 30), (6, 0)),
        ],
        ADULT_DOB,
        False,
        None,
        id="reg 10: nights 22:00-06:00 across midnight are one shift each, 16 h apart",
    ),
    pytest.param(
        [span(1, 0, (22, 0), (23, 30)), span(2, 1, (0, 30), (6, 0)), span(3, 1, (15, 0), (18, 0))],
        ADULT_DOB,
        True,
        ((2, 3), 1),
        id="reg 10: a night to 06:00, then 15:00 the same day",
    ),
]


@pytest.mark.parametrize(("visits", "dob", "problem", "where"), DAILY_REST)
def test_daily_rest_per_shift(visits, dob, problem, where):
    snap = week(visits, carers=[carer(date_of_birth=dob)])
    rests = found(snap, P.WTR_DAILY_REST)
    assert bool(rests) is problem
    if problem:
        ids, day = where
        assert (rests[0].visit_ids, rests[0].day) == (ids, MONDAY + timedelta(days=day))
        assert rests[0].is_hard


def test_daily_rest_names_the_rest_it_had():
    """reg 10: the message says how much rest the 24 hours held."""
    snap = week([span(1, 0, (19, 0), (20, 0)), span(2, 1, (6, 59), (14, 59))])
    (rest,) = found(snap, P.WTR_DAILY_REST)
    assert "10h59 rest before Tue 06:59" in rest.message


def test_daily_rest_over_midnight_names_both_days():
    """reg 10: work running into the next day is shown with both days: "Mon 16:00-Tue
    11:05", not "Mon 16:00-16:00" (which read as no time at all)."""
    snap = week([span(1, 0, (16, 0), (23, 0)), span(2, 1, (0, 0), (11, 5))])
    (rest,) = found(snap, P.WTR_DAILY_REST)
    assert "working Mon 16:00-Tue 11:05 leaves 4h55 rest" in rest.message, rest.message


def test_daily_rest_counts_the_week_before():
    """reg 10: Sunday night's visit (last week) and Monday's full day (this week)."""
    sunday_night = SVisit(99, 1, MONDAY - timedelta(days=1), *_times(-1, (21, 0), (22, 0)))
    snap = week([span(1, 0, (8, 0), (16, 0))], previous={1: (sunday_night,)})
    (rest,) = found(snap, P.WTR_DAILY_REST)
    assert (rest.visit_ids, rest.day) == ((1,), MONDAY)  # last week's visit is not this week's


def test_a_problem_of_next_week_shows_next_week():
    """reg 10: Sunday's evening visit and next Monday's early full day: the short rest ends
    next week, so it is reported there, not here."""
    monday_early = SVisit(99, 1, MONDAY + timedelta(days=7), *_times(7, (6, 0), (14, 0)))
    snap = week([span(1, 6, (21, 0), (22, 0))], following={1: (monday_early,)})
    assert not found(snap, P.WTR_DAILY_REST)


def test_daily_rest_across_the_spring_clock_change():
    """reg 10: clocks go forward at 01:00 GMT on Sunday 29 March 2026: Sat 20:00 to Sun
    07:00 BST is 10 hours of rest, not 11."""
    monday = date(2026, 3, 23)
    snap = week(
        [visit(1, 5, (19, 0), 60, monday=monday), visit(2, 6, (7, 0), 8 * H, monday=monday)],
        monday=monday,
    )
    rests = found(snap, P.WTR_DAILY_REST)
    assert rests and "10h00" in rests[0].message


def _times(day: int, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int]:
    one = span(0, day, start, end)
    return one.start, one.end


# -- reg 22(1)(c) and 24: split-shift exemption, compensatory rest -------------------------

SPLIT_EXEMPT = [
    pytest.param(
        [span(1, 0, (7, 0), (11, 0)), span(2, 0, (16, 0), (22, 0))],
        (True, ADULT_DOB),
        P.WTR_COMPENSATORY_REST,
        "2h00 compensatory rest owed",
        id="reg 22(1)(c), 24: exempt split shift: 9 h of the 24, 2 h compensatory rest owed",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (11, 0)), span(2, 0, (16, 0), (22, 0))],
        (False, ADULT_DOB),
        P.WTR_DAILY_REST,
        "9h00 rest",
        id="reg 10: the same split shift without the exemption is a breach",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (21, 0))],
        (True, ADULT_DOB),
        P.WTR_DAILY_REST,
        "10h00 rest",
        id="reg 22(1)(c): a continuous 14-hour day is not split: still a breach",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (11, 0)), span(2, 0, (16, 0), (20, 0))],
        (True, ADULT_DOB),
        None,
        "",
        id="reg 10: an exempt carer's split shift within 13 h owes nothing",
    ),
    pytest.param(
        [span(1, 0, (7, 0), (10, 0)), span(2, 0, (16, 0), (20, 0))],
        (True, YOUNG_DOB),
        P.WTR_DAILY_REST,
        "11h00 rest",
        id="reg 22(1): the exemption names reg 10(1), not an under-18's 12 hours (10(2))",
    ),
]


@pytest.mark.parametrize(("visits", "who", "code", "text"), SPLIT_EXEMPT)
def test_split_shift_exemption(visits, who, code, text):
    exempt, dob = who
    snap = week(visits, carers=[carer(split_shift_exempt=exempt, date_of_birth=dob)])
    shown = codes_of(snap, P.WTR_DAILY_REST, P.WTR_COMPENSATORY_REST)
    assert [p.code for p in shown] == ([code] if code else [])
    if code:
        assert text in shown[0].message
        # Compensatory rest is shown accepted (the exemption is its recorded reason): no
        # hard problem, nothing left to accept.
        assert shown[0].is_hard is (code == P.WTR_DAILY_REST)
        assert shown[0].accepted is (code == P.WTR_COMPENSATORY_REST)


# -- reg 12 rest break, per shift ----------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "minutes", "problem"),
    [
        pytest.param(ADULT_DOB, 360, False, id="reg 12(1): exactly 6 h: no break needed"),
        pytest.param(ADULT_DOB, 361, True, id="reg 12(1): 6h01 without a break"),
        pytest.param(YOUNG_DOB, 270, False, id="reg 12(4): under 18, exactly 4.5 h"),
        pytest.param(YOUNG_DOB, 271, True, id="reg 12(4): under 18, 4h31"),
    ],
)
def test_rest_break_threshold(dob, minutes, problem):
    snap = week([visit(1, 0, (8, 0), minutes)], carers=[carer(date_of_birth=dob)])
    assert bool(found(snap, P.WTR_BREAK)) is problem


@pytest.mark.parametrize(
    ("dob", "gap", "problem"),
    [
        pytest.param(ADULT_DOB, 20, False, id="reg 12(3): a 20-minute break"),
        pytest.param(ADULT_DOB, 19, True, id="reg 12(3): 19 minutes is no break"),
        pytest.param(YOUNG_DOB, 30, False, id="reg 12(4): under 18, 30 minutes"),
        pytest.param(YOUNG_DOB, 29, True, id="reg 12(4): under 18, 29 minutes"),
    ],
)
def test_rest_break_length(dob, gap, problem):
    # Two stretches of 3h20 at the same place: a gap of ``gap`` minutes is the only break.
    first = visit(1, 0, (8, 0), 200)
    second = visit(2, 0, divmod(8 * H + 200 + gap, 60), 200)
    snap = week([first, second], carers=[carer(date_of_birth=dob)])
    assert bool(found(snap, P.WTR_BREAK)) is problem


@pytest.mark.parametrize(
    ("visits", "problem", "day"),
    [
        pytest.param(
            [span(1, 0, (21, 0), (0, 0)), span(2, 1, (0, 0), (3, 30))],
            True,
            0,
            id="reg 12: a night 21:00-03:30 is one 6h30 shift with no break, shown on Monday",
        ),
        pytest.param(
            [span(1, 0, (7, 0), (11, 0)), span(2, 0, (14, 0), (17, 0))],
            False,
            None,
            id="reg 12: a split shift's gap is its break",
        ),
    ],
)
def test_rest_break_per_shift(visits, problem, day):
    breaks = found(week(visits), P.WTR_BREAK)
    assert bool(breaks) is problem
    if problem:
        assert breaks[0].day == MONDAY + timedelta(days=day)


def test_travel_between_visits_is_working_time_and_not_a_break():
    """reg 12 and Tyco C-266/14: 3h + 3h of visits 1.1 km apart on foot (19 min) with a
    38-minute gap: 6h19 of work, and only 19 minutes free, so no 20-minute break."""
    snap = week(
        [visit(1, 0, (8, 0), 180), visit(2, 0, (11, 38), 180, customer=2)],
        carers=[carer(transport_mode="walk")],
        customers=[customer(1, HOME), customer(2, NORTH)],
    )
    state = RotaState(snap)
    assert state.day_summary(1, MONDAY).work == 360 + 19
    assert state.week_work(1) == 360 + 19
    assert found(snap, P.WTR_BREAK)


# -- reg 5A young workers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visits", "problem"),
    [
        pytest.param([visit(1, 0, (8, 0), 480)], False, id="reg 5A(1): exactly 8 h"),
        pytest.param([visit(1, 0, (8, 0), 481)], True, id="reg 5A(1): 8h01"),
        pytest.param(
            [span(1, 0, (17, 0), (0, 0)), span(2, 1, (0, 0), (1, 1))],
            True,
            id="reg 5A(1): 8h01 across midnight is one shift (7 h + 1h01 by calendar day)",
        ),
    ],
)
def test_young_worker_daily_limit(visits, problem):
    snap = week(visits, carers=[carer(date_of_birth=YOUNG_DOB, young_night_contract=True)])
    assert bool(found(snap, P.WTR_YOUNG_DAY)) is problem


def test_young_worker_becomes_adult_on_18th_birthday():
    """reg 2 (young worker: under 18) and 5A: the limit stops on the 18th birthday."""
    dob = date(2008, 11, 25)  # 18 on Wednesday 25 November 2026
    snap = week(
        [visit(1, 1, (8, 0), 481), visit(2, 2, (8, 0), 481)],
        carers=[carer(date_of_birth=dob)],
    )
    assert [p.day for p in found(snap, P.WTR_YOUNG_DAY)] == [MONDAY + timedelta(days=1)]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        pytest.param(0, False, id="reg 5A(1): exactly 40 h"),
        pytest.param(1, True, id="reg 5A(1): 40h01"),
    ],
)
def test_young_worker_weekly_limit(extra, problem):
    days = [visit(d + 1, d, (8, 0), 480) for d in range(5)]
    days[-1] = visit(5, 4, (8, 0), 480 + extra)
    snap = week(days, carers=[carer(date_of_birth=YOUNG_DOB)])
    assert bool(found(snap, P.WTR_YOUNG_WEEK)) is problem
    assert not found(snap, P.WTR_AVERAGE_48H)  # reg 5A(2): no averaging for young workers


# -- reg 6A young workers at night ---------------------------------------------------------

YOUNG_NIGHT = [
    pytest.param(span(1, 0, (21, 30), (22, 0)), False, False, id="reg 6A: ends at 22:00"),
    pytest.param(span(1, 0, (21, 30), (22, 1)), False, True, id="reg 6A: ends 22:01"),
    pytest.param(span(1, 0, (5, 30), (6, 30)), False, True, id="reg 6A: 05:30 is before 06:00"),
    pytest.param(span(1, 0, (6, 0), (7, 0)), False, False, id="reg 6A: from 06:00"),
    pytest.param(
        span(1, 0, (22, 0), (23, 0)),
        True,
        False,
        id="reg 6A(2): contract for work after 22:00: restricted from 23:00",
    ),
    pytest.param(
        span(1, 0, (6, 30), (7, 30)),
        True,
        True,
        id="reg 6A(2): ... and until 07:00",
    ),
]


@pytest.mark.parametrize(("one", "contract", "problem"), YOUNG_NIGHT)
def test_young_worker_restricted_period(one, contract, problem):
    snap = week([one], carers=[carer(date_of_birth=YOUNG_DOB, young_night_contract=contract)])
    nights = found(snap, P.WTR_YOUNG_NIGHT)
    assert bool(nights) is problem
    # An adult may work then.
    assert not found(week([one]), P.WTR_YOUNG_NIGHT)


def test_young_night_accepted_with_a_reg_27a_reason():
    """reg 27A: the narrow exceptions are a recorded reason, like any soft problem."""
    one = span(1, 0, (22, 0), (23, 0))
    snap = week(
        [one],
        carers=[carer(date_of_birth=YOUNG_DOB)],
        acceptances=frozenset({(P.WTR_YOUNG_NIGHT, 1, 1)}),
    )
    (night,) = found(snap, P.WTR_YOUNG_NIGHT)
    assert night.accepted and not night.is_hard


# -- reg 6 night workers ---------------------------------------------------------------------


def _nights(count: int, minutes: int) -> list[SVisit]:
    """``count`` nights from Monday, 22:00 for ``minutes`` each (across midnight)."""
    return [visit(d + 1, d, (22, 0), minutes) for d in range(count)]


NIGHT_AVERAGE = [
    pytest.param(
        _nights(6, 8 * H),
        {},
        True,
        False,
        False,
        id="reg 6(1), 6(5): 48 h over 6 days (7 less 1 of weekly rest): exactly 8 h per 24",
    ),
    pytest.param(
        _nights(6, 8 * H + 1),
        {},
        True,
        False,
        True,
        id="reg 6(1): 8 h and a little more",
    ),
    pytest.param(
        _nights(6, 8 * H + 1),
        {},
        True,
        True,
        True,
        id="reg 6: the reg 4 opt-out does not apply to the night limit",
    ),
    pytest.param(
        _nights(6, 8 * H + 1),
        {},
        False,
        False,
        False,
        id="reg 2: recorded not a night worker",
    ),
    pytest.param(
        _nights(6, 9 * H),
        {1: (40 * H,) * 16},
        True,
        False,
        False,
        id="reg 6(3): averaged over 17 weeks: 694 h / 102 days",
    ),
]


@pytest.mark.parametrize(("visits", "history", "worker", "opt_out", "problem"), NIGHT_AVERAGE)
def test_night_worker_average(visits, history, worker, opt_out, problem):
    snap = week(visits, carers=[carer(night_worker=worker, wtr_opt_out=opt_out)], history=history)
    assert bool(found(snap, P.WTR_NIGHT_AVERAGE)) is problem


@pytest.mark.parametrize(
    ("visits", "night_history", "problem"),
    [
        pytest.param(
            _nights(6, 9 * H),
            {},
            True,
            id="reg 2: not recorded: six nights this week make a night worker (inferred)",
        ),
        pytest.param(
            [span(1, 0, (22, 0), (7, 0))] + [visit(d + 2, d, (8, 0), 9 * H) for d in range(1, 6)],
            {1: (0, 60)},
            False,
            id="reg 2: one night among 65 shifts is not 'as a normal course'",
        ),
        pytest.param(
            [visit(d + 1, d, (2, 0), 9 * H) for d in range(6)],
            {},
            True,
            id="reg 2: 02:00-11:00 has 4 h in night time (to 06:00)",
        ),
    ],
)
def test_night_worker_inferred(visits, night_history, problem):
    snap = week(visits, carers=[carer()], night_history=night_history)
    averages = found(snap, P.WTR_NIGHT_AVERAGE)
    assert bool(averages) is problem
    if problem:
        assert "inferred" in averages[0].message


def test_agency_night_period():
    """reg 2: night time set by the agency to 22:00-05:00: 16:00-01:59 then has 3h59 at
    night on six days (a night worker, over 8 h per 24), to 23:00-06:00 it has 2h59 (not)."""
    visits = [visit(d + 1, d, (16, 0), 9 * H + 59) for d in range(6)]
    assert found(week(visits, night_start=22 * H), P.WTR_NIGHT_AVERAGE)
    assert not found(week(visits), P.WTR_NIGHT_AVERAGE)


@pytest.mark.parametrize(
    ("visits", "hazards", "problem"),
    [
        pytest.param([span(1, 0, (22, 0), (6, 0))], True, False, id="reg 6(7): exactly 8 h"),
        pytest.param([span(1, 0, (22, 0), (6, 30))], True, True, id="reg 6(7): 8h30 at night"),
        pytest.param(
            [span(1, 0, (22, 0), (6, 30))],
            False,
            False,
            id="reg 6(7): no special hazards recorded",
        ),
        pytest.param(
            [span(1, 0, (8, 0), (16, 30))], True, False, id="reg 6(7): a day without night work"
        ),
        pytest.param(
            [span(1, 0, (22, 0), (2, 0)), span(2, 1, (14, 0), (19, 0))],
            True,
            True,
            id="reg 6(7): 4 h at night and 5 h the next afternoon: 9 h in the 24",
        ),
    ],
)
def test_night_work_with_special_hazards(visits, hazards, problem):
    snap = week(visits, carers=[carer(night_worker=True, special_hazards=hazards)])
    assert bool(found(snap, P.WTR_NIGHT_HAZARD)) is problem


# -- reg 11 weekly rest, and reg 11(7) --------------------------------------------------------


def _every_day() -> list[SVisit]:
    return [visit(d + 1, d, (7, 0), 60) for d in range(7)]


@pytest.mark.parametrize(
    ("wednesday_start", "history", "problem"),
    [
        pytest.param((8, 0), (30 * H,), False, id="reg 11(1): Tue 08:00 to Wed 08:00: 24 h"),
        pytest.param(
            (7, 59), (30 * H,), True, id="reg 11(1): 23h59, and last week's times unknown"
        ),
        pytest.param((7, 59), (), False, id="reg 11(2): no work last week: 2 x 24 h in 14 days"),
    ],
)
def test_weekly_rest(wednesday_start, history, problem):
    visits = _every_day()
    visits[2] = visit(3, 2, wednesday_start, 60)
    snap = week(visits, history={1: history} if history else {})
    assert bool(found(snap, P.WTR_WEEKLY_REST)) is problem


def _last_week(days: range) -> tuple[SVisit, ...]:
    return tuple(
        SVisit(90 + d, 1, MONDAY + timedelta(days=d), *_times(d, (7, 0), (8, 0))) for d in days
    )


def test_weekly_rest_fortnight_with_last_week_known():
    """reg 11(2): every day of both weeks breaks it; last week's weekend off mends it."""
    snap = week(_every_day(), previous={1: _last_week(range(-7, 0))}, history={1: (420,)})
    assert found(snap, P.WTR_WEEKLY_REST)
    snap = week(_every_day(), previous={1: _last_week(range(-7, -2))}, history={1: (300,)})
    assert not found(snap, P.WTR_WEEKLY_REST)


@pytest.mark.parametrize(
    ("off_hours", "problem"),
    [
        pytest.param(48, False, id="reg 11(3): under 18, 48 h"),
        pytest.param(47, True, id="reg 11(3): under 18, 47 h"),
    ],
)
def test_young_worker_weekly_rest_is_48_hours(off_hours, problem):
    visits = [visit(d + 1, d, (7, 0), 60) for d in range(5)]
    restart = visits[4].end + off_hours * H
    start_day = (restart - visits[0].start + 7 * H) // (24 * H)
    offset = restart - (visits[0].start - 7 * H + start_day * 24 * H)
    visits.append(visit(9, start_day, divmod(offset, 60), 60))
    visits.append(visit(10, 6, (22, 0), 60))
    snap = week(visits, carers=[carer(date_of_birth=YOUNG_DOB)])
    assert bool(found(snap, P.WTR_WEEKLY_REST)) is problem
    assert not found(snap, P.WTR_WEEKLY_REST_DAILY)  # reg 11(7) names (1) and (2) only


def _off_between(end: tuple[int, int], hours: int) -> list[SVisit]:
    """Mon-Wed 07:00 to ``end``, then ``hours`` off, then a visit a day to Sunday."""
    visits = [span(d + 1, d, (7, 0), end) for d in range(3)]
    restart = visits[-1].end + hours * H
    for index in range(4):
        start = restart + index * 24 * H
        day = (start - visits[0].start + 7 * H) // (24 * H)
        if day > 6:
            break
        minute = start - (visits[0].start - 7 * H + day * 24 * H)
        visits.append(visit(10 + index, day, divmod(minute, 60), 60))
    return visits


WEEKLY_WITH_DAILY = [
    pytest.param(35, False, False, id="reg 11(7): 35 h off: 24 h weekly plus 11 h daily"),
    pytest.param(34, False, True, id="reg 11(7): 34 h off takes in the daily rest"),
    pytest.param(34, True, False, id="reg 11(7): objectively justified, recorded: accepted"),
    pytest.param(23, False, False, id="reg 11(1): under 24 h is the weekly-rest breach itself"),
]


@pytest.mark.parametrize(("hours", "justified", "problem"), WEEKLY_WITH_DAILY)
def test_weekly_rest_may_not_take_in_daily_rest(hours, justified, problem):
    visits = _off_between((15, 0), hours)
    acceptances = frozenset({(P.WTR_WEEKLY_REST_DAILY, 1, 1)}) if justified else frozenset()
    # Last week worked every day, so the 14-day options do not help either.
    snap = week(
        visits,
        acceptances=acceptances,
        previous={1: _last_week(range(-7, 0))},
        history={1: (7 * H,)},
    )
    shown = [p for p in found(snap, P.WTR_WEEKLY_REST_DAILY) if not p.accepted]
    assert bool(shown) is problem
    if hours < 24:
        assert found(snap, P.WTR_WEEKLY_REST)
    if problem:
        assert shown[0].severity == P.SOFT and "35h00" in shown[0].message


# -- reg 4 the 48-hour average ----------------------------------------------------------------


def _week_of(minutes_total: int) -> list[SVisit]:
    """Six days of work adding up to ``minutes_total`` (08:00 starts, a break at noon)."""
    per_day, rest = divmod(minutes_total, 6)
    visits = []
    for d in range(6):
        minutes = per_day + (rest if d == 5 else 0)
        first = min(minutes, 4 * H)
        visits.append(visit(2 * d + 1, d, (8, 0), first))
        if minutes > first:
            visits.append(visit(2 * d + 2, d, (12, 30), minutes - first))
    return visits


AVERAGE_48H = [
    pytest.param(48 * H, (48 * H,) * 16, False, {}, False, id="reg 4(1): 17 weeks at 48 h"),
    pytest.param(48 * H + 1, (48 * H,) * 16, False, {}, True, id="reg 4(1): a minute more"),
    pytest.param(60 * H, (36 * H,) * 16, False, {}, False, id="reg 4(3): a long week averaged"),
    pytest.param(60 * H, (50 * H,) * 16, True, {}, False, id="reg 4(1), 5: opted out in writing"),
    pytest.param(
        56 * H,
        (40 * H,) + (None,) * 15,
        False,
        {},
        False,
        id="reg 4(4): a new starter: the 2 weeks worked so far average 48 h",
    ),
    pytest.param(56 * H + 1, (40 * H,) + (None,) * 15, False, {}, True, id="reg 4(4): ... 48h00+"),
    pytest.param(49 * H, (), False, {}, True, id="reg 4(4): the first week is the period"),
    pytest.param(
        48 * H,
        (None, None, 48 * H) + (None,) * 13,
        False,
        {},
        False,
        id="reg 4(3): weeks with no record within the period count as none worked",
    ),
    pytest.param(
        50 * H,
        (0,) + (50 * H,) * 15,
        False,
        {},
        False,
        id="reg 4: without leave recorded, an empty week averages in: 47.1 h",
    ),
    pytest.param(
        50 * H,
        (0,) + (50 * H,) * 15,
        False,
        {1: 7},
        True,
        id="reg 4(6)-(7): last week was annual leave: left out, 50 h a week",
    ),
    pytest.param(
        49 * H,
        (30 * H,) + (48 * H,) * 15,
        False,
        {1: 3},
        True,
        id="reg 4(6)-(7): 3 days sick leave: 30 h over 4 days counts at its own rate",
    ),
]


@pytest.mark.parametrize(("this_week", "history", "opt_out", "leave", "problem"), AVERAGE_48H)
def test_48_hour_average(this_week, history, opt_out, leave, problem):
    leave_days = tuple(leave.get(back, 0) for back in range(17))
    snap = week(
        _week_of(this_week),
        carers=[carer(wtr_opt_out=opt_out)],
        history={1: history} if history else {},
        leave_days={1: leave_days},
    )
    averages = found(snap, P.WTR_AVERAGE_48H)
    assert bool(averages) is problem
    if problem and leave:
        assert "leave left out" in averages[0].message


# -- the registry and the README --------------------------------------------------------------


def test_every_code_has_a_rule_naming_its_source():
    by_code = {code: r for r in RULES for code in r.codes}
    assert set(by_code) == set(P.SEVERITY)
    for r in RULES:
        assert r.source and r.reading, r.name


def test_every_rule_is_in_the_readme_rules_table():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [code for code in P.SEVERITY if f"`{code}`" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("next_monday_start", "problem"),
    [
        pytest.param(
            None,
            False,
            id="reg 11(7): off from Sat 15:00 into next week: 33 h of it this week, 35 h in all",
        ),
        pytest.param(
            (2, 0),
            False,
            id="reg 11(7): back on next Monday 02:00: 35 h in all",
        ),
        pytest.param(
            (1, 59),
            True,
            id="reg 11(7): back next Monday 01:59: 34h59 takes in the daily rest",
        ),
    ],
)
def test_weekly_rest_runs_on_into_next_week(next_monday_start, problem):
    visits = [visit(d + 1, d, (7, 0), 8 * H) for d in range(6)]  # Mon-Sat 07:00-15:00
    following = {}
    if next_monday_start is not None:
        one = visit(0, 7, next_monday_start, 60)
        following = {1: (SVisit(99, 1, one.day, one.start, one.end),)}
    snap = week(
        visits,
        following=following,
        previous={1: _last_week(range(-7, 0))},
        history={1: (7 * H,)},
    )
    assert bool(found(snap, P.WTR_WEEKLY_REST_DAILY)) is problem
    assert not found(snap, P.WTR_WEEKLY_REST)
