"""Care plan reviews: when each customer's is due, the events that ask for one early, and
the queue the coordinator works through (issue 18 §2).

What is due is worked out, not stored: the first review 6 to 8 weeks after the customer's
package starts, then the agency's interval (default 12 months) after the review held
(``services/rules.py``, Care and Support Statutory Guidance para 13.32). An event since
the last review asks for an early one, due ``early_review_days`` after it (14 unless the
agency sets another): an incident (a fall among them), a verified medication or clinical
change, a complaint, two or more missed visits, and what the coordinator raises by hand (a
hospital discharge, new equipment, a change of need). Only decisions are stored
(``care_plan_review``): a review held (outcome and the next date agreed), a review put off
with the reason, an early review raised. One review held answers every item of the
customer then due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import CarePackage, Complaint, Customer, Incident, Visit, VisitStatus
from coordinator_tui.models.care_changes import CarePlanReview, CareSettings, MedicationChange
from coordinator_tui.services import access, errors, rules
from coordinator_tui.services.care import CareConflictError, CareError, check_version, clean

DONE, SNOOZED, RAISED = "done", "snoozed", "raised"
EARLY_REVIEW_DAYS_DEFAULT = 14
"""Days from an event to the early review it asks for, unless the agency sets another."""
HORIZON_DAYS = 28
"""The queue shows what is overdue or due within this many days."""
MISSED_VISITS_FOR_REVIEW = 2
INTERVAL_RANGE = (1, 24)
EARLY_DAYS_RANGE = (1, 90)

TRIGGERS: dict[str, str] = {
    "first": "first review",
    "scheduled": "regular review",
    "incident": "incident",
    "fall": "fall",
    "medication_change": "medication change",
    "complaint": "complaint",
    "missed_visits": "missed visits",
    "discharge": "hospital discharge",
    "equipment": "new equipment",
    "need_change": "change of need",
}
RAISED_BY_HAND = ("discharge", "equipment", "need_change", "fall", "incident")


# -- the agency's settings --------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSettings:
    review_interval_months: int = rules.CARE_PLAN_REVIEW_MONTHS_DEFAULT
    early_review_days: int = EARLY_REVIEW_DAYS_DEFAULT
    version: int | None = None


def review_settings(session: Session) -> ReviewSettings:
    """The agency's review interval, or the defaults when none is saved."""
    row = session.scalars(select(CareSettings).order_by(CareSettings.id).limit(1)).first()
    if row is None:
        return ReviewSettings()
    return ReviewSettings(row.review_interval_months, row.early_review_days, row.version)


def save_review_settings(
    session: Session,
    expected_version: int | None,
    *,
    review_interval_months: int,
    early_review_days: int,
) -> ReviewSettings:
    """Save the agency's interval (refused if a colleague saved others since)."""
    low, high = INTERVAL_RANGE
    if not low <= review_interval_months <= high:
        raise CareError(f"The review interval is {low} to {high} months")
    low, high = EARLY_DAYS_RANGE
    if not low <= early_review_days <= high:
        raise CareError(f"An early review is due {low} to {high} days after its event")
    row = session.scalars(select(CareSettings).order_by(CareSettings.id).limit(1)).first()
    if row is None:
        if expected_version is not None:
            raise CareError("The settings were removed since you read them; press F5")
        row = CareSettings()
        session.add(row)
    else:
        check_version(session, row, "care_settings", expected_version)
    row.review_interval_months = review_interval_months
    row.early_review_days = early_review_days
    session.flush()
    return review_settings(session)


# -- the queue --------------------------------------------------------------------------------


@dataclass
class ReviewItem:
    """One review due for a customer: the regular one, or one an event asks for early.

    ``last_done_id``: the latest review held (None: none yet), the version the screen saw
    when recording a review; ``snooze_id``/``snooze_version`` the snooze in force."""

    customer_id: int
    customer: str
    trigger: str
    ref: str
    why: str
    due: date
    event_on: date | None = None
    opens: date | None = None
    snoozed_until: date | None = None
    snooze_reason: str = ""
    snooze_id: int | None = None
    snooze_version: int | None = None
    last_done_id: int | None = None
    last_done_on: date | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.customer_id, self.trigger, self.ref)

    @property
    def effective_due(self) -> date:
        return self.snoozed_until or self.due

    @property
    def early(self) -> bool:
        return self.trigger not in ("first", "scheduled")

    def is_overdue(self, today: date) -> bool:
        return self.effective_due < today

    def label(self) -> str:
        return TRIGGERS.get(self.trigger, self.trigger)


@dataclass
class _Customer:
    id: int
    name: str
    package_start: date
    last_done: CarePlanReview | None = None
    events: list[tuple[str, str, date, str]] = field(default_factory=list)


def review_items(
    session: Session,
    today: date,
    *,
    customer_ids: list[int] | None = None,
) -> list[ReviewItem]:
    """Every review due, whenever, for active customers with an active package (or for
    ``customer_ids``): the regular one and each early one an event asked for."""
    settings = review_settings(session)
    query = (
        select(Customer.id, Customer.name, func.min(CarePackage.start_date))
        .join(CarePackage, CarePackage.customer_id == Customer.id)
        .where(Customer.active.is_(True), CarePackage.status == "active")
        .group_by(Customer.id, Customer.name)
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    customers = {cid: _Customer(cid, name, start) for cid, name, start in session.execute(query)}
    if not customers:
        return []
    ids = list(customers)
    decisions: dict[int, list[CarePlanReview]] = defaultdict(list)
    for row in session.scalars(
        select(CarePlanReview)
        .where(CarePlanReview.customer_id.in_(ids))
        .order_by(CarePlanReview.event_on, CarePlanReview.id)
    ):
        decisions[row.customer_id].append(row)
        if row.status == DONE:
            customers[row.customer_id].last_done = row

    def since(cid: int) -> date:
        done = customers[cid].last_done
        return (
            done.event_on if done is not None else customers[cid].package_start - timedelta(days=1)
        )

    floor = min(since(cid) for cid in ids)
    events: dict[int, list[tuple[str, str, date, str]]] = defaultdict(list)
    for iid, cid, kind, occurred in session.execute(
        select(Incident.id, Incident.customer_id, Incident.kind, Incident.occurred_at).where(
            Incident.customer_id.in_(ids)
        )
    ):
        day = _day(occurred)  # compared here: stored times differ in zone on SQLite
        if day <= floor:
            continue
        trigger = "fall" if kind == "fall" else "incident"
        events[cid].append((trigger, f"INC-{iid}", day, f"{TRIGGERS[trigger]} INC-{iid}"))
    for mid, cid, verified in session.execute(
        select(MedicationChange.id, MedicationChange.customer_id, MedicationChange.verified_at)
        .where(MedicationChange.customer_id.in_(ids), MedicationChange.verified_at.is_not(None))
        .where(MedicationChange.status != "received")
    ):
        events[cid].append(("medication_change", f"MC-{mid}", _day(verified), f"change MC-{mid}"))
    for cmp_id, cid, received in session.execute(
        select(Complaint.id, Complaint.customer_id, Complaint.received_on).where(
            Complaint.customer_id.in_(ids), Complaint.received_on > floor
        )
    ):
        events[cid].append(("complaint", f"CMP-{cmp_id}", received, f"complaint CMP-{cmp_id}"))
    missed: dict[int, list[date]] = defaultdict(list)
    for cid, day in session.execute(
        select(Visit.customer_id, Visit.visit_date).where(
            Visit.customer_id.in_(ids),
            Visit.status == VisitStatus.MISSED,
            Visit.visit_date > floor,
            Visit.visit_date <= today,
        )
    ):
        missed[cid].append(day)
    for cid, days in missed.items():
        after = sorted(d for d in days if d > since(cid))
        if len(after) >= MISSED_VISITS_FOR_REVIEW:
            events[cid].append(
                (
                    "missed_visits",
                    "missed",
                    after[MISSED_VISITS_FOR_REVIEW - 1],
                    f"{len(after)} visits missed since the last review",
                )
            )

    items: list[ReviewItem] = []
    for cid, who in customers.items():
        done = who.last_done
        snoozes: dict[tuple[str, str], CarePlanReview] = {}
        for row in decisions.get(cid, ()):
            if row.status == DONE or (done is not None and row.id < done.id):
                continue  # answered by the review held
            if row.status == SNOOZED:
                snoozes[(row.trigger, row.ref)] = row
            elif row.status == RAISED:
                label = TRIGGERS.get(row.trigger, row.trigger)
                events[cid].append(
                    (row.trigger, f"R-{row.id}", row.event_on, f"{label}: {row.reason}")
                )
        if done is not None:
            due = done.next_due or rules.care_plan_next_review(
                done.event_on, settings.review_interval_months
            )
            regular = ReviewItem(cid, who.name, "scheduled", "", "regular review", due)
        else:
            opens, due = rules.care_plan_first_review(who.package_start)
            regular = ReviewItem(
                cid,
                who.name,
                "first",
                "",
                f"first review: package started {uk_date(who.package_start)}",
                due,
                opens=opens,
            )
        found = [regular]
        start = since(cid)
        # Events of one kind since the last review ask for one early review, due from the
        # first of them (three falls are one review, not three); those raised by hand
        # are each their own.
        grouped: dict[tuple[str, str], list[tuple[str, date, str]]] = defaultdict(list)
        for trigger, ref, day, why in sorted(events.get(cid, ()), key=lambda e: (e[2], e[1])):
            if ref.startswith("R-"):
                grouped[(trigger, ref)].append((ref, day, why))
            elif day > start:
                grouped[(trigger, "")].append((ref, day, why))
        for (trigger, _), group in grouped.items():
            ref, day, why = group[0]
            if len(group) > 1:
                why = (
                    f"{len(group)} × {TRIGGERS.get(trigger, trigger)} since the last review: "
                    + ", ".join(g[0] for g in group)
                )
            found.append(
                ReviewItem(
                    cid,
                    who.name,
                    trigger,
                    ref,
                    why,
                    day + timedelta(days=settings.early_review_days),
                    event_on=day,
                )
            )
        for item in found:
            item.last_done_id = done.id if done is not None else None
            item.last_done_on = done.event_on if done is not None else None
            snooze = snoozes.get((item.trigger, item.ref))
            if snooze is not None:
                item.snoozed_until = snooze.snoozed_until
                item.snooze_reason = snooze.reason
                item.snooze_id = snooze.id
                item.snooze_version = snooze.version
        items.extend(found)
    return items


def review_queue(
    session: Session,
    today: date,
    *,
    horizon_days: int = HORIZON_DAYS,
    overdue_only: bool = False,
) -> list[ReviewItem]:
    """The review queue: overdue first (the longest overdue at the top), then by the date
    due; what is due within ``horizon_days`` (``overdue_only``: only what is overdue)."""
    access.require(session, access.VIEW_CUSTOMERS)  # issue 17
    limit = today if overdue_only else today + timedelta(days=horizon_days)
    items = [
        i
        for i in review_items(session, today)
        if (i.is_overdue(today) if overdue_only else i.effective_due <= limit)
    ]
    items.sort(
        key=lambda i: (not i.is_overdue(today), i.effective_due, not i.early, i.customer, i.ref)
    )
    return items


def _day(moment) -> date:  # noqa: ANN001
    from coordinator_tui.clock import to_local

    return to_local(moment).date()


# -- acting on it -----------------------------------------------------------------------------


def proposed_next_review(session: Session, held_on: date) -> date:
    """The next review proposed after one held on ``held_on``: the agency's interval on."""
    return rules.care_plan_next_review(held_on, review_settings(session).review_interval_months)


def _latest_done(session: Session, customer_id: int) -> CarePlanReview | None:
    return session.scalars(
        select(CarePlanReview)
        .where(CarePlanReview.customer_id == customer_id, CarePlanReview.status == DONE)
        .order_by(CarePlanReview.event_on.desc(), CarePlanReview.id.desc())
        .limit(1)
    ).first()


def _same_review_as_seen(session: Session, customer_id: int, seen: int | None) -> None:
    latest = _latest_done(session, customer_id)
    if (latest.id if latest is not None else None) != seen:
        assert latest is not None
        raise CareConflictError(errors.conflict_message(session, "care_plan_review", latest.id))


def record_review(
    session: Session,
    customer_id: int,
    last_done_seen: int | None,
    *,
    held_on: date | None,
    outcome: str,
    next_due: date | None,
    by: str,
    today: date,
) -> CarePlanReview:
    """The review held: its outcome and the next date agreed. It answers every review then
    due for the customer (the regular one and the early ones). Refused if a colleague
    recorded a review since the screen read the queue."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if session.get(Customer, customer_id) is None:
        raise CareError("That customer no longer exists")
    if held_on is None:
        raise CareError("Say when the review was held")
    if held_on > today:
        raise CareError("A review cannot be held in the future")
    what = clean(outcome, what="the outcome")
    if not what:
        raise CareError("Say what the review found (the outcome)")
    if next_due is None:
        raise CareError("Give the date of the next review")
    if next_due <= held_on:
        raise CareError("The next review is after this one")
    _same_review_as_seen(session, customer_id, last_done_seen)
    row = CarePlanReview(
        customer_id=customer_id,
        status=DONE,
        trigger="scheduled",
        event_on=held_on,
        outcome=what,
        next_due=next_due,
        by=by[:60],
    )
    session.add(row)
    session.flush()
    return row


def snooze_review(
    session: Session,
    item: ReviewItem,
    *,
    until: date | None,
    reason: str,
    by: str,
    today: date,
) -> CarePlanReview:
    """Put a review off to ``until``, with the reason (refused without one). Refused if a
    colleague snoozed the same review, or recorded a review, since the screen read it."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if until is None:
        raise CareError("Give the date to put it off to")
    if until <= today:
        raise CareError("Put it off to a day after today")
    why = clean(reason, 300, what="the reason")
    if not why:
        raise CareError("Say why the review is put off")
    _same_review_as_seen(session, item.customer_id, item.last_done_id)
    current = [
        i
        for i in review_items(session, today, customer_ids=[item.customer_id])
        if i.key == item.key
    ]
    if not current:
        raise CareError("That review is no longer due: press F5")
    found = current[0]
    if found.snooze_id is not None:
        row = session.get(CarePlanReview, found.snooze_id)
        if item.snooze_id != found.snooze_id:
            raise CareConflictError(
                errors.conflict_message(session, "care_plan_review", found.snooze_id)
            )
        check_version(session, row, "care_plan_review", item.snooze_version)
        assert row is not None
    else:
        row = CarePlanReview(
            customer_id=item.customer_id, status=SNOOZED, trigger=item.trigger, ref=item.ref
        )
        session.add(row)
    row.event_on = today
    row.due_on = item.due
    row.snoozed_until = until
    row.reason = why
    row.by = by[:60]
    session.flush()
    return row


def raise_early_review(
    session: Session,
    customer_id: int | None,
    *,
    trigger: str,
    reason: str,
    by: str,
    today: date,
) -> CarePlanReview:
    """An early review the coordinator asks for: a hospital discharge, new equipment, a
    change of need (or an event not recorded elsewhere)."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if customer_id is None or session.get(Customer, customer_id) is None:
        raise CareError("Pick the customer")
    if trigger not in RAISED_BY_HAND:
        raise CareError("Say what calls for the review")
    why = clean(reason, 300, what="the reason")
    if not why:
        raise CareError("Say what happened")
    settings = review_settings(session)
    row = CarePlanReview(
        customer_id=customer_id,
        status=RAISED,
        trigger=trigger,
        event_on=today,
        due_on=today + timedelta(days=settings.early_review_days),
        reason=why,
        by=by[:60],
    )
    session.add(row)
    session.flush()
    return row


def review_counts(session: Session, today: date) -> tuple[int, int]:
    """(overdue, due within the horizon) for the governance summary."""
    queue = review_queue(session, today)
    overdue = sum(1 for i in queue if i.is_overdue(today))
    return overdue, len(queue) - overdue
