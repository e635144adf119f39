"""Rules about one carer on one visit: can this carer do this visit at all?"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import NONE, clock, rule
from coordinator_tui.services.rota.shifts import overlap, period_windows
from coordinator_tui.services.rota.wtr import DAY, RESTRICTED_PERIOD, RESTRICTED_PERIOD_BY_CONTRACT

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date

    from coordinator_tui.services.rota.snapshot import SCarer, SCustomer, SVisit

    Days = Mapping[date, Sequence[SVisit]]


_ONE_DAY = timedelta(days=1)


def _on_absent_days(carer: SCarer, days: Days, ctx) -> Iterable[SVisit]:
    """The carer's visits on their days of absence."""
    return [visit for day in carer.absent_days if day in days for visit in days[day]]


@rule(
    "visit",
    "The carer's recorded absence (sickness, leave, training)",
    P.ABSENT,
    applies=lambda carer, ctx: bool(carer.absent_days),
    sift=_on_absent_days,
    exact=P.ABSENT,
)
def absent(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """A carer recorded absent on the visit's day cannot do it (Plan B finds cover)."""
    if visit.day not in carer.absent_days:
        return NONE
    return (
        P.make(
            P.ABSENT,
            f"{carer.name} is absent on {visit.day:%a %d %b}",
            carer.id,
            (visit.id,),
            visit.day,
        ),
    )


def _windows(availability: dict, weekday: int) -> tuple[tuple[int, int], ...]:
    """A weekday's availability windows in wall-clock minutes of that day: its own, and
    last night's that run past midnight (a window ending "before" it starts is kept with
    its end past 1440), moved back a day so they cover the small hours."""
    windows = availability.get(weekday, ())
    for low, high in availability.get((weekday - 1) % 7, ()):
        if high > DAY:
            windows = (*windows, (low - DAY, high - DAY))
    return windows


def _within(windows: tuple[tuple[int, int], ...], visit: SVisit) -> bool:
    """The visit lies wholly inside one of ``windows`` (minutes of its day)."""
    start = visit.local_start
    end = start + visit.end - visit.start
    return any(low <= start and end <= high for low, high in windows)


def _outside_pattern(carer: SCarer, days: Days, ctx) -> Iterable[SVisit]:
    """Of the days the carer is not absent: every visit of an inactive carer; else, with
    a pattern recorded, the visits not within it (``_within``, inline: each day's
    windows are worked out once, and a large week has 12,000 carer-visits). Exactly the
    visits ``unavailable`` finds a problem on."""
    absent = carer.absent_days
    if not carer.active:
        return [visit for day, visits in days.items() if day not in absent for visit in visits]
    availability = carer.availability
    if not availability:
        return ()
    found: list[SVisit] = []
    for day, visits in days.items():
        if day in absent:
            continue
        # ``_windows``, inline (a call a carer-day): the weekday's own, and last night's
        # running past midnight moved back a day
        weekday = day.weekday()
        windows = availability.get(weekday, ())
        for low, high in availability.get((weekday - 1) % 7, ()):
            if high > DAY:
                windows = (*windows, (low - DAY, high - DAY))
        if len(windows) == 1:  # the usual day: one window, told without a loop
            ((low, high),) = windows
            for visit in visits:
                start = visit.local_start
                if start < low or start + visit.end - visit.start > high:
                    found.append(visit)
            continue
        for visit in visits:
            start = visit.local_start
            end = start + visit.end - visit.start
            for low, high in windows:
                if low <= start and end <= high:
                    break
            else:
                found.append(visit)
    return found


@rule(
    "visit",
    "The carer's availability pattern; an inactive carer",
    P.UNAVAILABLE,
    applies=lambda carer, ctx: not carer.active or bool(carer.availability),
    sift=_outside_pattern,
    exact=P.UNAVAILABLE,
)
def unavailable(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """The visit lies wholly inside one of the carer's availability windows for its weekday
    (no pattern recorded: always available; a window ending "before" it starts runs past
    midnight, so it also covers the small hours of the next day); an inactive carer is
    never available. An absent carer is reported absent, not unavailable."""
    if visit.day in carer.absent_days:
        return NONE
    if not carer.active:
        return (
            P.make(
                P.UNAVAILABLE,
                f"{carer.name} is not an active carer",
                carer.id,
                (visit.id,),
                visit.day,
            ),
        )
    if not carer.availability or _within(_windows(carer.availability, visit.day.weekday()), visit):
        return NONE
    return (
        P.make(
            P.UNAVAILABLE,
            f"{carer.name} is not available {clock(visit.start)}-{clock(visit.end)[4:]}",
            carer.id,
            (visit.id,),
            visit.day,
        ),
    )


def _beyond_skills(carer: SCarer, days: Days, ctx) -> Iterable[SVisit]:
    """The visits requiring a skill the carer does not hold valid to the last of
    ``days`` (one held with no expiry, or expiring after it, is valid on every one)."""
    last = max(days, default=None)
    valid = {
        code
        for code, expires in carer.skills.items()
        if expires is None or (last is not None and expires > last)
    }
    return [
        visit
        for visits in days.values()
        for visit in visits
        if (required := visit.skills) and not valid.issuperset(required)
    ]


@rule(
    "visit",
    "The visit's required skills; competency expiry dates",
    P.SKILL_MISSING,
    P.SKILL_EXPIRED,
    needs_skills=True,
    sift=_beyond_skills,
)
def skills(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """Every skill the visit requires is held, and has not expired by the visit's day (a
    competency expiring on the day is no longer valid that day)."""
    if not visit.skills:
        return NONE
    found = []
    held = carer.skills
    for code in visit.skills:
        if code not in held:
            found.append(
                P.make(
                    P.SKILL_MISSING,
                    f"{carer.name} does not hold {code}",
                    carer.id,
                    (visit.id,),
                    visit.day,
                )
            )
            continue
        expires = held[code]
        if expires is not None and expires <= visit.day:
            found.append(
                P.make(
                    P.SKILL_EXPIRED,
                    f"{carer.name}'s {code} expired on {expires:%d %b %Y}",
                    carer.id,
                    (visit.id,),
                    visit.day,
                )
            )
    return tuple(found)


def _customer_has(field: str):  # noqa: ANN202
    """``for_customer``: the customer records ``field`` (an exclusion, a preference)."""

    def has(customer_id: int, customer: SCustomer | None, ctx) -> bool:  # noqa: ANN001
        return customer is not None and bool(getattr(customer, field))

    return has


def _to_customers(days: Days, customers: set[int] | frozenset[int]) -> list[SVisit]:
    """The visits of ``days`` to ``customers``."""
    if not customers:
        return []
    return [visit for visits in days.values() for visit in visits if visit.customer_id in customers]


def _excluders(carer: SCarer, days: Days, ctx) -> Iterable[SVisit]:
    """The carer's visits to customers who have excluded them (who excluded whom is
    turned round once a week)."""
    by_carer = ctx.memo.get("excluded_by")
    if by_carer is None:
        by_carer = ctx.memo["excluded_by"] = {}
        for customer_id, customer in ctx.snap.customers.items():
            for carer_id in customer.excluded:
                by_carer.setdefault(carer_id, set()).add(customer_id)
    return _to_customers(days, by_carer.get(carer.id, ()))


def _preferring_another_gender(carer: SCarer, days: Days, ctx) -> Iterable[SVisit]:
    """The carer's visits to customers who prefer a carer of another gender (those
    customers worked out once a week per gender)."""
    gender = carer.gender.lower()
    key = ("other_gender", gender)
    customers = ctx.memo.get(key)
    if customers is None:
        customers = ctx.memo[key] = {
            customer_id
            for customer_id, customer in ctx.snap.customers.items()
            if customer.preferred_gender and customer.preferred_gender.lower() != gender
        }
    return _to_customers(days, customers)


@rule(
    "visit",
    "The customer's recorded exclusion of a carer",
    P.EXCLUDED,
    for_customer=_customer_has("excluded"),
    sift=_excluders,
)
def excluded(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """A carer the customer has excluded never visits them."""
    if customer is None or carer.id not in customer.excluded:
        return NONE
    return (
        P.make(
            P.EXCLUDED,
            f"{customer.name} has excluded {carer.name}",
            carer.id,
            (visit.id,),
            visit.day,
        ),
    )


@rule(
    "visit",
    "The customer's preferred gender of carer (CQC: record why not met)",
    P.PREFERRED_GENDER,
    for_customer=_customer_has("preferred_gender"),
    sift=_preferring_another_gender,
)
def preferred_gender(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """A customer's preferred gender of carer is met, or the reason it is not is recorded."""
    if customer is None or not customer.preferred_gender:
        return NONE
    if customer.preferred_gender.lower() == carer.gender.lower():
        return NONE
    return (
        ctx.mark(
            P.make(
                P.PREFERRED_GENDER,
                f"{customer.name} prefers a {customer.preferred_gender} carer",
                carer.id,
                (visit.id,),
                visit.day,
            )
        ),
    )


@rule(
    "visit",
    "WTR 1998 reg 6A (exceptions: reg 27A)",
    P.WTR_YOUNG_NIGHT,
    applies=lambda carer, ctx: carer.is_young_on(ctx.snap.monday - _ONE_DAY),
)
def young_night(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """An under-18 does not work in the restricted period, 22:00 to 06:00 (23:00 to 07:00
    where their contract provides for work after 22:00); a reg 27A exception is accepted
    only with the reason recorded."""
    if carer.date_of_birth is None or not carer.is_young_on(visit.day):
        return NONE
    opens, closes = (
        RESTRICTED_PERIOD_BY_CONTRACT if carer.young_night_contract else RESTRICTED_PERIOD
    )
    inside = overlap(
        ((visit.start, visit.end),), period_windows(visit.start, visit.end, opens, closes)
    )
    if not inside:
        return NONE
    return (
        ctx.mark(
            P.make(
                P.WTR_YOUNG_NIGHT,
                f"{carer.name} (under 18) works {clock(visit.start)}-{clock(visit.end)[4:]}, "
                f"{inside} min in the restricted period "
                f"{opens // 60:02d}:00-{closes // 60:02d}:00: only under a reg 27A exception, "
                "recorded as the reason",
                carer.id,
                (visit.id,),
                visit.day,
            )
        ),
    )
