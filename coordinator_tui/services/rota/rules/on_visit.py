"""Rules about one carer on one visit: can this carer do this visit at all?"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import NONE, clock, rule
from coordinator_tui.services.rota.shifts import overlap, period_windows
from coordinator_tui.services.rota.wtr import DAY, RESTRICTED_PERIOD, RESTRICTED_PERIOD_BY_CONTRACT

if TYPE_CHECKING:
    from coordinator_tui.services.rota.snapshot import SCarer, SCustomer, SVisit


@rule(
    "visit",
    "The carer's recorded absence (sickness, leave, training)",
    P.ABSENT,
    applies=lambda carer, ctx: bool(carer.absent_days),
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


@rule(
    "visit",
    "The carer's availability pattern; an inactive carer",
    P.UNAVAILABLE,
    applies=lambda carer, ctx: not carer.active or bool(carer.availability),
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
    if not carer.availability:
        return NONE
    low_end = visit.local_start
    high_end = low_end + visit.minutes
    weekday = visit.day.weekday()
    for low, high in carer.availability.get(weekday, ()):
        if low <= low_end and high_end <= high:
            return NONE
    for low, high in carer.availability.get((weekday - 1) % 7, ()):  # last night's window
        if high > DAY and low <= low_end + DAY and high_end + DAY <= high:
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


@rule(
    "visit",
    "The visit's required skills; competency expiry dates",
    P.SKILL_MISSING,
    P.SKILL_EXPIRED,
    needs_skills=True,
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


@rule(
    "visit",
    "The customer's recorded exclusion of a carer",
    P.EXCLUDED,
    for_customer=lambda customer_id, customer, ctx: (
        customer is not None and bool(customer.excluded)
    ),
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
    for_customer=lambda customer_id, customer, ctx: (
        customer is not None and bool(customer.preferred_gender)
    ),
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
    applies=lambda carer, ctx: carer.is_young_on(ctx.snap.monday - timedelta(days=1)),
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
