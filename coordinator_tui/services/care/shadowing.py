"""Shadow visits and step-ups (issue 18 §7).

A new carer goes along on a visit as a shadow (``VisitShadow``): with the carers on it, but
never one of them, so the visit's staffing, the carer's working time and the checker's
staffing rules do not count them (shown on the grid and in the carer's day as ``◌``
shadow). A supervisor on that visit can record an observation or a sign-off, which goes to
the training matrix (``training.record_supervision``).

A customer's new needs (a double-up, moving and handling) can require a shadow visit
before a carer goes alone (``ShadowRequirement``); the checker's ``SHADOW_REQUIRED`` then
reports a carer on that customer's visit, with no colleague who has been there, who has
not shadowed a visit there since the requirement began. :func:`shadow_context` is what the
rule reads with the week.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    Carer,
    Customer,
    ShadowRequirement,
    Visit,
    VisitAssignment,
    VisitShadow,
    VisitStatus,
)
from coordinator_tui.services.care.staff_common import CareStaffError, check_version, clean

OUTCOMES = {"observed": "observed", "signed_off": "signed off", "not_yet": "not yet competent"}


class ShadowError(CareStaffError):
    """A refused shadow visit or requirement."""


def add_shadow(
    session: Session, visit_id: int, carer_id: int, *, purpose: str, by: str, today: date
) -> VisitShadow:
    """Put ``carer_id`` on the visit as a shadow. Refused for a carer already staffing or
    shadowing it, an inactive carer, or a visit cancelled, missed or in the past."""
    visit = session.get(Visit, visit_id)
    carer = session.get(Carer, carer_id)
    if visit is None:
        raise ShadowError("That visit no longer exists")
    if carer is None or not carer.active:
        raise ShadowError("Pick an active carer to shadow the visit")
    if visit.status in (VisitStatus.CANCELLED, VisitStatus.MISSED):
        raise ShadowError(f"The visit is {visit.status}: nobody can shadow it")
    if visit.visit_date < today:
        raise ShadowError("The visit is in the past: a shadow is added before it happens")
    staffing = session.execute(
        select(VisitAssignment.id).where(
            VisitAssignment.visit_id == visit_id, VisitAssignment.carer_id == carer_id
        )
    ).first()
    if staffing is not None:
        raise ShadowError(f"{carer.name} already staffs this visit: a shadow is someone extra")
    if session.execute(
        select(VisitShadow.id).where(
            VisitShadow.visit_id == visit_id, VisitShadow.carer_id == carer_id
        )
    ).first():
        raise ShadowError(f"{carer.name} already shadows this visit")
    row = VisitShadow(
        visit_id=visit_id, carer_id=carer_id, purpose=clean(purpose, 120), recorded_by=by
    )
    session.add(row)
    session.flush()
    return row


def remove_shadow(session: Session, shadow_id: int, expected_version: int | None) -> None:
    """Take a shadow off a visit (one not yet observed)."""
    row = session.get(VisitShadow, shadow_id)
    check_version(session, row, "visit_shadow", expected_version)
    assert row is not None
    if row.outcome:
        raise ShadowError("This shadow visit has an observation recorded: it stays on record")
    session.delete(row)
    session.flush()


def record_observation(
    session: Session,
    shadow_id: int,
    expected_version: int | None,
    *,
    outcome: str,
    supervisor: str,
    held_on: date | None,
    today: date,
    by: str,
    course_id: int | None = None,
    note: str = "",
):
    """Record what the supervisor observed on the shadow visit: ``observed`` (an
    observation), ``signed_off`` (a sign-off: with a course, its completion in the matrix)
    or ``not_yet``. The supervisor is someone other than the shadowing carer."""
    from coordinator_tui.services.care import training

    row = session.get(VisitShadow, shadow_id)
    check_version(session, row, "visit_shadow", expected_version)
    assert row is not None
    if outcome not in OUTCOMES:
        raise ShadowError(f"Unknown outcome '{outcome}': one of {', '.join(OUTCOMES)}")
    visit = session.get(Visit, row.visit_id)
    if visit is not None and visit.visit_date > today:
        raise ShadowError("The shadow visit has not happened yet")
    kind = "sign_off" if outcome == "signed_off" else "observation"
    result = "competent" if outcome == "signed_off" else ("not_yet" if outcome == "not_yet" else "")
    if kind == "sign_off" and course_id is None:
        raise ShadowError("A sign-off names the course it signs off")
    record = training.record_supervision(
        session,
        row.carer_id,
        kind=kind,
        held_on=held_on,
        supervisor=supervisor,
        today=today,
        by=by,
        outcome=result,
        note=note,
        course_id=course_id,
        shadow_id=row.id,
    )
    row.outcome = outcome
    session.flush()
    return record


def require_shadow(
    session: Session, customer_id: int, *, need: str, from_date: date | None, by: str
) -> ShadowRequirement:
    """From ``from_date``, a carer shadows a visit to this customer before going alone."""
    if session.get(Customer, customer_id) is None:
        raise ShadowError("That customer no longer exists")
    need = clean(need, 120)
    if not need:
        raise ShadowError("Say which need requires the shadow visit (double-up, hoist...)")
    if from_date is None:
        raise ShadowError("Give the date the requirement starts")
    row = ShadowRequirement(customer_id=customer_id, need=need, from_date=from_date, recorded_by=by)
    session.add(row)
    session.flush()
    return row


def end_requirement(session: Session, requirement_id: int, expected_version: int | None) -> None:
    row = session.get(ShadowRequirement, requirement_id)
    check_version(session, row, "shadow_requirement", expected_version)
    assert row is not None
    row.active = False
    session.flush()


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShadowView:
    id: int
    version: int
    visit_id: int
    carer_id: int
    name: str
    purpose: str
    outcome: str


def shadows_between(session: Session, first: date, last: date) -> dict[int, list[ShadowView]]:
    """visit id -> its shadows, for the visits from ``first`` to ``last``."""
    found: dict[int, list[ShadowView]] = defaultdict(list)
    for row in session.execute(
        select(
            VisitShadow.id,
            VisitShadow.version,
            VisitShadow.visit_id,
            VisitShadow.carer_id,
            Carer.name,
            VisitShadow.purpose,
            VisitShadow.outcome,
        )
        .join(Visit, Visit.id == VisitShadow.visit_id)
        .join(Carer, Carer.id == VisitShadow.carer_id)
        .where(Visit.visit_date.between(first, last))
        .order_by(VisitShadow.id)
    ):
        found[row[2]].append(ShadowView(*row))
    return dict(found)


def carer_shadow_visits(session: Session, carer_id: int, first: date, last: date) -> list[tuple]:
    """(day, visit id, start, end, customer) of the visits ``carer_id`` shadows."""
    return [
        tuple(row)
        for row in session.execute(
            select(Visit.visit_date, Visit.id, Visit.start_at, Visit.end_at, Customer.name)
            .join(VisitShadow, VisitShadow.visit_id == Visit.id)
            .join(Customer, Customer.id == Visit.customer_id)
            .where(VisitShadow.carer_id == carer_id, Visit.visit_date.between(first, last))
            .order_by(Visit.start_at)
        )
    ]


@dataclass(frozen=True)
class ShadowContext:
    """What ``SHADOW_REQUIRED`` reads with a week: customer -> (from, need) of the active
    requirement, and (carer, customer) -> the first day they shadowed there (observed as
    not yet competent does not count)."""

    required: dict[int, tuple[date, str]]
    shadowed: dict[tuple[int, int], date]

    def has_shadowed(self, carer_id: int, customer_id: int, before: date) -> bool:
        since, _need = self.required[customer_id]
        first = self.shadowed.get((carer_id, customer_id))
        return first is not None and since <= first < before


EMPTY = ShadowContext({}, {})


def shadow_context(session: Session, sunday: date) -> ShadowContext:
    """The requirements in force and the shadow visits made up to ``sunday``."""
    required: dict[int, tuple[date, str]] = {}
    for customer_id, since, need in session.execute(
        select(ShadowRequirement.customer_id, ShadowRequirement.from_date, ShadowRequirement.need)
        .where(ShadowRequirement.active.is_(True), ShadowRequirement.from_date <= sunday)
        .order_by(ShadowRequirement.from_date)
    ):
        required.setdefault(customer_id, (since, need))
    if not required:
        return EMPTY
    shadowed: dict[tuple[int, int], date] = {}
    for carer_id, customer_id, day in session.execute(
        select(VisitShadow.carer_id, Visit.customer_id, Visit.visit_date)
        .join(Visit, Visit.id == VisitShadow.visit_id)
        .where(
            Visit.customer_id.in_(required),
            Visit.visit_date <= sunday,
            VisitShadow.outcome != "not_yet",
            Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
        )
    ):
        key = (carer_id, customer_id)
        if key not in shadowed or day < shadowed[key]:
            shadowed[key] = day
    return ShadowContext(required, shadowed)


def load_into(session: Session, snapshot) -> None:  # noqa: ANN001 - a WeekSnapshot
    """The snapshot hook: the shadow context of the week, for the checker's rule, and the
    week's shadows for the grid and the carer's day (``shadows``: visit -> carers;
    ``shadowing``: (carer, day) -> visits), never counted as staffing."""
    sunday = snapshot.monday + timedelta(days=6)
    shadows: dict[int, list[int]] = defaultdict(list)
    shadowing: dict[tuple[int, date], list[int]] = defaultdict(list)
    for visit_id, carer_id, day in session.execute(
        select(VisitShadow.visit_id, VisitShadow.carer_id, Visit.visit_date)
        .join(Visit, Visit.id == VisitShadow.visit_id)
        .where(Visit.visit_date.between(snapshot.monday, sunday))
        .order_by(Visit.start_at, Visit.id)
    ):
        shadows[visit_id].append(carer_id)
        shadowing[(carer_id, day)].append(visit_id)
    snapshot.shadows = {v: tuple(c) for v, c in shadows.items()}
    snapshot.shadowing = {k: tuple(v) for k, v in shadowing.items()}
    context = shadow_context(session, sunday)
    snapshot.shadow_context = context
    if context.required:
        snapshot.staffing_watch = snapshot.staffing_watch | frozenset(context.required)
