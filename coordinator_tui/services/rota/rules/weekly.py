"""Rules over a carer's week: weekly rest, weekly hours, contract, continuity."""

from __future__ import annotations

from datetime import timedelta
from itertools import repeat

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import CarerWeek, hm, rule
from coordinator_tui.services.rota.snapshot import local_midnight

_NEVER = 10**12  # a rest with no work known before (or after) it runs from (to) here


def _rests(spans: list[tuple[int, int]], least: int = 1) -> list[tuple[int, int]]:
    """The rests between ``spans`` (sorted (start, end) of work), whole: one before the
    first span and one after the last run as far as nothing is known; only those of
    ``least`` minutes or more (at least 1: every rest)."""
    rests = []
    cursor = -_NEVER
    for low, high in spans:
        if low - cursor >= least:
            rests.append((cursor, low))
        if high > cursor:
            cursor = high
    if _NEVER - cursor >= least:
        rests.append((cursor, _NEVER))
    return rests


def _count(rests, low: int, high: int, inside: int, whole: int, most: int) -> int:
    """How many rests (up to ``most``: the rules ask whether there is one, or two) have
    ``inside`` minutes within ``low``..``high`` and last ``whole`` minutes in all (the
    daily rest joined to a weekly rest may lie beyond the period). ``rests`` are
    ``_rests``': by start, so their ends come in order too; they are read from the last,
    and a rest ending less than ``inside`` after ``low`` ends the count (it and every
    rest before it have less than that inside). A plain loop, the length first: most
    rests are a night's, shorter than ``whole``."""
    count = 0
    for start, end in reversed(rests):
        if end - low < inside:
            break
        if (
            end - start >= whole
            and (end if end < high else high) - (start if start > low else low) >= inside
        ):
            count += 1
            if count >= most:
                break
    return count


_WEEKLY_KEYS: dict[int, tuple[str, int]] = {}  # ``_weekly``'s memo keys, made once (not a
# tuple a carer and call for the collector to walk after the full check)


def _weekly(week: CarerWeek, extra: int) -> tuple[bool, bool, str]:
    """(rest enough in the 7 days, rest enough over 14 days, why the 14 days are unknown)
    with ``extra`` minutes of daily rest joined to each weekly rest (reg 11(7)): the weekly
    rest itself lies within the period, the daily rest before or after it may not.
    Memoised on the week: both weekly-rest rules ask it with no extra minutes."""
    key = _WEEKLY_KEYS.get(extra)
    if key is None:
        key = _WEEKLY_KEYS[extra] = ("weekly", extra)
    found = week.memo.get(key)
    if found is None:
        found = week.memo[key] = _weekly_rests(week, extra)
    return found  # type: ignore[return-value]


def _weekly_rests(week: CarerWeek, extra: int) -> tuple[bool, bool, str]:
    snap = week.snap
    limits = week.limits(snap.monday)
    weekly = limits.weekly_rest
    rests = week.memo.get("rests")  # the same whatever ``extra``: worked out once
    if rests is None:
        spans = [(s.visits[0].start, s.ends[-1]) for s in week.shifts]  # start, end
        spans.extend(week.earlier)
        spans.extend(snap.previous_spans.get(week.carer.id, ()))
        spans.sort()
        # Only a rest of the weekly rest or more can count (``_count``: every count
        # asks at least that much in all); most are a night's, and are left out here.
        rests = week.memo["rests"] = _rests(spans, weekly)
    if _count(rests, snap.week_start, snap.week_end, weekly, weekly + extra, 1):
        return True, True, ""
    if not limits.fortnight_alternative:
        return False, False, ""
    history = snap.history.get(week.carer.id, ())
    last_week = history[0] if history else None
    carer_id = week.carer.id
    known = bool(snap.previous_spans.get(carer_id) or snap.previous.get(carer_id)) or not last_week
    if not known:
        return False, False, " (last week's times are not known)"
    start = local_midnight(snap.monday - timedelta(days=7))
    end = snap.week_end
    ok = _count(rests, start, end, weekly, weekly + extra, 2) >= 2 or bool(
        _count(rests, start, end, 2 * weekly, 2 * weekly + extra, 1)
    )
    return False, ok, ""


@rule("carer", "WTR 1998 reg 11(1)-(3), (6)", P.WTR_WEEKLY_REST)
def weekly_rest(week: CarerWeek) -> list:
    """24 hours' uninterrupted rest in each week from midnight Sunday/Monday (48 hours
    under 18), or, for adults, two rests of 24 hours or one of 48 in the 14 days ending
    with the week."""
    if not week.visits:
        return []
    limits = week.limits(week.snap.monday)
    seven, fourteen, why = _weekly(week, 0)
    if seven or fourteen:
        return []
    also = " nor 2 x 24h or 48h in 14 days" if limits.fortnight_alternative else ""
    return [
        P.make(
            P.WTR_WEEKLY_REST,
            f"{week.name}: no {hm(limits.weekly_rest)} uninterrupted rest this week{also}{why}",
            week.carer.id,
        )
    ]


@rule("carer", "WTR 1998 reg 11(7)", P.WTR_WEEKLY_REST_DAILY)
def weekly_rest_with_daily_rest(week: CarerWeek) -> list:
    """An adult's weekly rest does not take in the daily rest before or after it: 24 + 11 =
    35 hours (two of 35, or one of 59, over 14 days), unless objectively justified, which is
    recorded as the reason for accepting it. Reported only where the weekly rest itself is
    there (else ``weekly_rest`` reports it)."""
    limits = week.limits(week.snap.monday)
    if not week.visits or not limits.weekly_rest_excludes_daily:
        return []
    seven, fourteen, _ = _weekly(week, 0)
    if not (seven or fourteen):
        return []
    seven, fourteen, why = _weekly(week, limits.daily_rest)
    if seven or fourteen:
        return []
    total = limits.weekly_rest + limits.daily_rest
    return [
        week.mark(
            P.make(
                P.WTR_WEEKLY_REST_DAILY,
                f"{week.name}: the weekly rest takes in the daily rest: no {hm(total)} "
                f"uninterrupted this week{why} (24h + 11h, reg 11(7)); record the objective "
                "reason to accept",
                week.carer.id,
            )
        )
    ]


@rule("carer", "WTR 1998 reg 5A", P.WTR_YOUNG_WEEK)
def young_weekly_limit(week: CarerWeek) -> list:
    """An under-18 works at most 40 hours a week, no averaging, no opt-out."""
    limits = week.limits(week.snap.monday)
    if limits.weekly_max is None or week.work <= limits.weekly_max:
        return []
    return [
        P.make(
            P.WTR_YOUNG_WEEK,
            f"{week.name} (under 18): {hm(week.work)} this week, limit {hm(limits.weekly_max)}",
            week.carer.id,
        )
    ]


@rule("carer", "WTR 1998 reg 4(1)-(3), (6)-(7)", P.WTR_AVERAGE_48H)
def average_48h(week: CarerWeek) -> list:
    """An adult who has not opted out in writing averages at most 48 hours a week over the
    17 weeks ending with this one (the weeks worked so far for a new starter; weeks with no
    record in between count as none worked). Days of annual, sick and family leave are left
    out of the period: the days that reg 4(7) adds after it are not worked yet, so they are
    counted at the period's own rate, which is the average over the days not on leave."""
    carer = week.carer
    limits = week.limits(week.snap.monday)
    if limits.average_weekly_max is None or carer.wtr_opt_out:
        return []
    weeks, earlier = week.worked_before(limits.reference_weeks - 1)
    leave = sum(week.snap.leave_days.get(carer.id, ())[:weeks])
    days = 7 * weeks - leave
    total = week.work + earlier
    if days <= 0 or total * 7 <= limits.average_weekly_max * days:
        return []
    left_out = f", {leave} day(s) of leave left out" if leave else ""
    return [
        P.make(
            P.WTR_AVERAGE_48H,
            f"{week.name}: average {total * 7 / days / 60:.1f}h a week over {weeks} week(s)"
            f"{left_out} (this week {hm(week.work)}), limit 48h; no opt-out",
            carer.id,
        )
    ]


@rule("carer", "The carer's contract (hours a week)", P.OVER_CONTRACT)
def over_contract(week: CarerWeek) -> list:
    """Working time in the week (travel between visits counted) within the contracted
    hours, or the reason recorded."""
    carer = week.carer
    if not carer.contracted_minutes or week.work <= carer.contracted_minutes:
        return []
    return [
        week.mark(
            P.make(
                P.OVER_CONTRACT,
                f"{week.name}: {hm(week.work)} this week, contracted "
                f"{hm(carer.contracted_minutes)}",
                carer.id,
            )
        )
    ]


@rule("carer", "NICE NG21: continuity of carer", P.NEW_TO_CUSTOMER)
def new_to_customer(week: CarerWeek) -> list:
    """The first visit this week to a customer the carer has not visited in the 16 weeks
    before, and whom the customer has not asked for, is noted (a preferred carer is one of
    their regulars, as the continuity measure counts them)."""
    found: list = []
    snap = week.snap
    carer_id = week.carer.id
    # The customers of the week not seen before (their pairs with the carer looked up
    # in ``known_pairs`` in bulk: most carers see their regulars, and indexing the pairs
    # by carer, ``customers_seen_by``, cost a cold check more than the 300 look-ups):
    # only their first visits are then looked at. (The week's customers by a set
    # comprehension: the interpreter's own read of the attribute is cheaper than
    # ``attrgetter``'s, called per visit by ``map``.)
    seen = set(zip(repeat(carer_id), {visit.customer_id for visit in week.visits}))
    seen -= snap.known_pairs
    new = {customer_id for _carer, customer_id in seen}
    if not new:
        return found
    for visit in week.visits:
        customer_id = visit.customer_id
        if customer_id not in new:
            continue
        new.discard(customer_id)
        customer = snap.customers.get(customer_id)
        if customer and carer_id in customer.preferred:
            continue
        found.append(
            week.mark(
                P.make(
                    P.NEW_TO_CUSTOMER,
                    f"{week.name} has not visited "
                    f"{customer.name if customer else customer_id} before",
                    carer_id,
                    (visit.id,),
                    visit.day,
                )
            )
        )
    return found
