"""Rules from the training matrix and shadowing (issue 18 §5, §7).

- ``EXPIRING_SKILL`` (soft): a competency the visit needs is valid on the visit's day but
  runs out within the next 7 days, so the same visit next week would break
  ``SKILL_EXPIRED``: a week's warning to book the refresher, accepted with a reason.
- ``SHADOW_REQUIRED`` (hard): a customer whose new needs require a shadow visit first, and
  a carer on their visit who has not shadowed one there since, with no colleague on the
  visit who has: the carer would be going alone without it.

The codes are registered here with their severity and title (``problems.SEVERITY`` and
``TITLES``), so this module is the one place they are defined.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from coordinator_tui.services.rota import problems as P
from coordinator_tui.services.rota import snapshot as _snapshot
from coordinator_tui.services.rota.rules.base import NONE, clock, rule

if TYPE_CHECKING:
    from collections.abc import Iterable

    from coordinator_tui.services.rota.snapshot import SCarer, SCustomer, SVisit

EXPIRING_SKILL = "EXPIRING_SKILL"
SHADOW_REQUIRED = "SHADOW_REQUIRED"
WARNING_DAYS = 7
"""How far ahead an expiry is warned of: before the same visit next week."""
_WARNING = timedelta(days=WARNING_DAYS)

P.SEVERITY.setdefault(EXPIRING_SKILL, P.SOFT)
P.SEVERITY.setdefault(SHADOW_REQUIRED, P.HARD)
P.TITLES.setdefault(EXPIRING_SKILL, "Skill expires before next week")
P.TITLES.setdefault(SHADOW_REQUIRED, "Alone without a shadow visit")


def _load_shadow_context(session, snapshot) -> None:  # noqa: ANN001
    from coordinator_tui.services.care.shadowing import load_into

    load_into(session, snapshot)


if _load_shadow_context not in _snapshot.EXTENSIONS:
    _snapshot.EXTENSIONS.append(_load_shadow_context)


def _expiring_skills(carer: SCarer, ctx) -> bool:  # noqa: ANN001
    return any(expires is not None for expires in carer.skills.values())


def _needing_expiring(carer: SCarer, days, ctx) -> Iterable[SVisit]:  # noqa: ANN001
    """The visits of ``days`` (date -> that day's visits) requiring a skill of the carer's
    that expires after the first of the days and within the warning after the last: most
    carers have none, and are passed over whole."""
    if not days:
        return ()
    first, last = min(days), max(days) + _WARNING
    soon = {
        code
        for code, expires in carer.skills.items()
        if expires is not None and first < expires <= last
    }
    if not soon:
        return ()
    return [
        visit
        for visits in days.values()
        for visit in visits
        if visit.skills and not soon.isdisjoint(visit.skills)
    ]


@rule(
    "visit",
    "Competency records; NICE SC1 rec 1.8.4 (annual medicines competency), CQC reg 18 "
    "(staff suitably qualified and competent)",
    EXPIRING_SKILL,
    applies=_expiring_skills,
    needs_skills=True,
    sift=_needing_expiring,
)
def skill_expiring(carer: SCarer, visit: SVisit, customer: SCustomer | None, ctx) -> tuple:
    """A competency the visit needs is still valid on its day but expires within 7 days
    after it, before the same visit next week: a week's warning, accepted with a reason
    (the refresher booked)."""
    if not visit.skills:
        return NONE
    found = []
    limit = visit.day + timedelta(days=WARNING_DAYS)
    for code in visit.skills:
        expires = carer.skills.get(code, False)
        if expires is False or expires is None:
            continue
        if visit.day < expires <= limit:
            found.append(
                ctx.mark(
                    P.make(
                        EXPIRING_SKILL,
                        f"{carer.name}'s {code} expires on {expires:%a %d %b}, before this "
                        "visit next week",
                        carer.id,
                        (visit.id,),
                        visit.day,
                    )
                )
            )
    return tuple(found)


@rule(
    "staffing",
    "The care plan's new needs (double-up, moving and handling): a shadow visit before "
    "working alone (Care Certificate standard 13; CQC reg 12(2)(c))",
    SHADOW_REQUIRED,
)
def shadow_required(visit: SVisit, carers: tuple[int, ...], customer, ctx) -> list:
    """A customer whose needs require a shadow visit first: every carer on the visit who
    has not shadowed a visit there since the requirement began, when no colleague on the
    visit has (a carer with one who has is not alone)."""
    context = getattr(ctx.snap, "shadow_context", None)
    if not carers or context is None or visit.customer_id not in context.required:
        return []
    since, need = context.required[visit.customer_id]
    if visit.day < since:
        return []
    distinct = sorted(set(carers))
    if any(context.has_shadowed(c, visit.customer_id, visit.day) for c in distinct):
        return []
    name = customer.name if customer else f"customer {visit.customer_id}"
    found = []
    for carer_id in distinct:
        carer = ctx.snap.carers.get(carer_id)
        who = carer.name if carer else f"carer {carer_id}"
        found.append(
            P.make(
                SHADOW_REQUIRED,
                f"{who} on {name} {clock(visit.start)} without a shadow visit first ({need})",
                carer_id,
                (visit.id,),
                visit.day,
            )
        )
    return found
