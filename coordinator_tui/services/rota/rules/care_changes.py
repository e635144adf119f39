"""The rule from medication and clinical changes (issue 18 §1).

- ``CHANGE_UNACK_SOON`` (hard) / ``CHANGE_UNACK`` (soft): a carer on a visit to a customer
  with an open (verified, not done) change who has not acknowledged it - hard when the
  visit starts within 2 hours (or has started and is not recorded done), soft before
  then, so the coordinator calls the carer in time. Who must acknowledge is the cascade's
  rule (``services/care/medication.py``): visits in the 72 hours after verification, and
  any visit assigned after it.

The codes are registered here with their severity and title (``problems.SEVERITY`` and
``TITLES``), and the open changes are read with the week (``snapshot.EXTENSIONS``), so
this module is the one place the rule is defined. A recorded reason never hides it: only
the acknowledgement does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota import snapshot as _snapshot
from coordinator_tui.services.rota.rules.base import NONE, clock, rule

if TYPE_CHECKING:
    from coordinator_tui.services.rota.snapshot import SCarer, SCustomer, SVisit

CHANGE_UNACK_SOON = "CHANGE_UNACK_SOON"
CHANGE_UNACK = "CHANGE_UNACK"
HARD_WITHIN_MINUTES = 120
"""A visit starting within this many minutes of now makes the problem hard."""
SOURCE = (
    "CQC Regulation 12 (safe care and treatment: proper and safe management of medicines); "
    "NICE SC1 (managing medicines for adults receiving social care in the community)"
)

P.SEVERITY.setdefault(CHANGE_UNACK_SOON, P.HARD)
P.SEVERITY.setdefault(CHANGE_UNACK, P.SOFT)
P.TITLES.setdefault(CHANGE_UNACK_SOON, "Change not acknowledged, visit within 2 h")
P.TITLES.setdefault(CHANGE_UNACK, "Change not acknowledged")


def _load_open_changes(session, snapshot) -> None:  # noqa: ANN001
    from coordinator_tui.services.care.medication import rota_changes

    snapshot.care_changes = rota_changes(session, snapshot.monday, snapshot.sunday)


if _load_open_changes not in _snapshot.EXTENSIONS:
    _snapshot.EXTENSIONS.append(_load_open_changes)


def _any_open(carer: SCarer, ctx) -> bool:  # noqa: ANN001
    """Whether the week has any open change (told once a week: asked per carer, and the
    snapshot's extension attribute is read through its ``__getattr__``)."""
    found = ctx.memo.get(_ANY_OPEN)
    if found is None:
        changes = getattr(ctx.snap, "care_changes", None)
        found = ctx.memo[_ANY_OPEN] = changes is not None and bool(changes.by_customer)
    return found


_ANY_OPEN = (CHANGE_UNACK, "any")  # ``ctx.memo``'s key for ``_any_open``


def _open_for(customer_id: int, customer: SCustomer | None, ctx) -> bool:  # noqa: ANN001
    return bool(ctx.snap.care_changes.by_customer.get(customer_id))


def _to_open_changes(carer: SCarer, days, ctx) -> list[SVisit]:  # noqa: ANN001
    """The visits of ``days`` (date -> that day's visits) to customers with an open change
    (those customers worked out once a week)."""
    customers = ctx.memo.get(CHANGE_UNACK)
    if customers is None:
        customers = ctx.memo[CHANGE_UNACK] = {
            customer_id
            for customer_id, changes in ctx.snap.care_changes.by_customer.items()
            if changes
        }
    if not customers:
        return []
    return [visit for visits in days.values() for visit in visits if visit.customer_id in customers]


@rule(
    "visit",
    SOURCE,
    CHANGE_UNACK_SOON,
    CHANGE_UNACK,
    applies=_any_open,
    for_customer=_open_for,
    sift=_to_open_changes,
)
def change_not_acknowledged(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """A carer on a visit to a customer with an open medication or clinical change has
    acknowledged it: hard when the visit starts within 2 hours (or has begun), soft
    before. Only visits from the change's verification on count, in the 72-hour cascade
    or assigned after it; visits done or missed are over."""
    changes = ctx.snap.care_changes
    found = changes.by_customer.get(visit.customer_id)
    if not found or visit.status in ("done", "missed", "cancelled"):
        return NONE
    problems = []
    for change in found:
        if visit.start < change.verified or carer.id in change.acknowledged:
            continue
        if (visit.id, carer.id) in change.exempt:
            continue
        soon = visit.start <= changes.now + HARD_WITHIN_MINUTES
        name = customer.name if customer else f"customer {visit.customer_id}"
        problems.append(
            P.make(
                CHANGE_UNACK_SOON if soon else CHANGE_UNACK,
                f"{carer.name} has not acknowledged {name}'s {change.kind} change MC-"
                f"{change.id} ({clock(visit.start)}{': call now' if soon else ''})",
                carer.id,
                (visit.id,),
                visit.day,
            )
        )
    return tuple(problems)
