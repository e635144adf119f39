"""Rules about a visit and the carers on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota.rules.base import clock, rule

if TYPE_CHECKING:
    from coordinator_tui.services.rota.snapshot import SCustomer, SVisit


def _name(visit: SVisit, customer: SCustomer | None) -> str:
    return customer.name if customer else f"customer {visit.customer_id}"


@rule("staffing", "The care plan: a double-up needs two carers", P.DOUBLE_UP_SAME_CARER)
def double_up_same_carer(visit: SVisit, carers: tuple[int, ...], customer, ctx) -> list:
    """A double-up is staffed by two different carers, never one carer twice."""
    distinct = set(carers)
    if len(distinct) == len(carers):
        return []
    twice = next(c for c in distinct if carers.count(c) > 1)
    return [
        P.make(
            P.DOUBLE_UP_SAME_CARER,
            f"{_name(visit, customer)}: double-up needs two different carers",
            twice,
            (visit.id,),
            visit.day,
        )
    ]


@rule("staffing", "The care plan: carers required per visit", P.UNSTAFFED)
def unstaffed(visit: SVisit, carers: tuple[int, ...], customer, ctx) -> list:
    """A visit has as many different carers as it needs."""
    distinct = set(carers)
    if len(distinct) >= visit.carers_required:
        return []
    return [
        P.make(
            P.UNSTAFFED,
            f"{_name(visit, customer)} {clock(visit.start)}: {len(distinct)} of "
            f"{visit.carers_required} carer(s)",
            None,
            (visit.id,),
            visit.day,
        )
    ]


@rule("staffing", "NICE NG21: continuity; the customer's preferred carers", P.PREFERRED_CARER)
def preferred_carers(visit: SVisit, carers: tuple[int, ...], customer, ctx) -> list:
    """A customer with preferred carers has one of them on the visit, or the reason is
    recorded."""
    if customer is None or not carers or not customer.preferred:
        return []
    if set(carers) & customer.preferred:
        return []
    return [
        ctx.mark(
            P.make(
                P.PREFERRED_CARER,
                f"{_name(visit, customer)}: none of the preferred carers",
                carers[0],
                (visit.id,),
                visit.day,
            )
        )
    ]


@rule(
    "staffing",
    "Lone-working risk assessment (Health and Safety at Work etc. Act 1974)",
    P.LONE_WORKING,
)
def lone_working(visit: SVisit, carers: tuple[int, ...], customer, ctx) -> list:
    """A customer with a lone-working risk is visited by two carers, or the reason is
    recorded."""
    if customer is None or not carers or not customer.lone_working_risk:
        return []
    if len(set(carers)) != 1:
        return []
    return [
        ctx.mark(
            P.make(
                P.LONE_WORKING,
                f"{_name(visit, customer)}: lone-working risk with one carer",
                carers[0],
                (visit.id,),
                visit.day,
            )
        )
    ]
