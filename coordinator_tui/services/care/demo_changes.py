"""Demo data for medication changes, care plan reviews, capacity and consent (issue 18 §1-3).

Written through the services (so every row is audited and every rule holds) on its own
``random.Random(seed)``: the demo's generator is not drawn from, so the rest of the demo is
the same with this or without it. What it leaves, relative to ``today``:

- two changes pending verification (one logged yesterday: the loudest);
- open changes verified yesterday and today, acknowledged by every carer rostered except
  one or two whose next visit is on next week's rota (the rota checker reports them);
- changes done a few weeks ago (verified, acknowledged, care plan updated);
- a care plan review held for most customers, a few of them over a year ago (overdue) and
  a few due within the month; an early review raised for a hospital discharge and one for
  new equipment; one review put off with a reason;
- consent to care and to sharing for most customers, and two capacity notes (one finding
  capacity, one lacking it, with the best-interests record).

Every name and note is invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import CarePackage, Customer
from coordinator_tui.models.care_changes import CarePlanReview, MedicationChange
from coordinator_tui.services.care import consent, medication, reviews

LOGGER = "demo.coordinator"
VERIFIER = "demo.manager"
CHANGES = (
    ("medication", "GP", "Dr A. Demo, Elm Surgery", "Furosemide increased to 40 mg mornings"),
    ("medication", "Pharmacy", "Demo Pharmacy", "Blister pack moved to the 08:00 visit"),
    ("medication", "Hospital", "Ward 7 discharge team", "Stop warfarin; start apixaban 5 mg"),
    ("clinical", "GP", "District nurse", "Pressure area: reposition every visit"),
    ("clinical", "Family", "Daughter (demo)", "Thickened fluids: stage 1 (speech therapy)"),
    ("medication", "GP", "Dr B. Demo", "Paracetamol as needed, max 4 doses in 24 hours"),
)


@dataclass(frozen=True)
class CareChangesDemo:
    """What was written, for the demo's summary and its tests."""

    pending: int
    open: int
    done: int
    reviews: int
    notes: int


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK).astimezone(UTC)


def seed_care_changes(session: Session, *, today: date, seed: int) -> CareChangesDemo:
    """Seed the demo's care changes into ``session`` (see the module's docstring)."""
    rnd = random.Random(seed)
    customers = list(
        session.execute(
            select(Customer.id, Customer.name)
            .join(CarePackage, CarePackage.customer_id == Customer.id)
            .where(Customer.active.is_(True), CarePackage.status == "active")
            .distinct()
            .order_by(Customer.id)
        ).all()
    )
    if not customers:
        return CareChangesDemo(0, 0, 0, 0, 0)
    ids = [cid for cid, _ in customers]
    picked = rnd.sample(ids, min(len(ids), 7))
    texts = list(CHANGES)
    rnd.shuffle(texts)

    def log(customer_id: int, when: datetime, index: int) -> MedicationChange:
        kind, source, who, what = texts[index % len(texts)]
        return medication.log_change(
            session,
            customer_id=customer_id,
            kind=kind,
            source=source,
            from_whom=who,
            received_at=when,
            description=what,
            document_ref=f"DOC-{rnd.randint(1000, 9999)}",
            by=LOGGER,
            now=when,
        )

    # Pending verification: one from yesterday afternoon, one from this morning.
    yesterday = today - timedelta(days=1)
    log(picked[0], _at(yesterday, 16, 10), 0)
    log(picked[1 % len(picked)], _at(today, 8, 40), 1)

    # Done a few weeks ago: verified, every carer acknowledged, the plan updated.
    done = 0
    for index, customer_id in enumerate(picked[2:4]):
        when = _at(today - timedelta(days=21 + 3 * index), 10)
        change = log(customer_id, when, 2 + index)
        verified = when + timedelta(hours=1)
        medication.verify_change(session, change.id, None, by=VERIFIER, now=verified)
        _acknowledge(session, change, verified, keep=0, rnd=rnd)
        medication.mark_care_plan_updated(session, change.id, None, by=LOGGER, now=verified)
        done += change.status == medication.DONE

    # Open: verified yesterday and this morning; one or two carers on next week's rota
    # still to acknowledge.
    opened = 0
    for index, customer_id in enumerate(picked[4:7]):
        day = yesterday if index == 0 else today
        when = _at(day, 9 + index)
        change = log(customer_id, when, 4 + index)
        verified = when + timedelta(minutes=40)
        by_phone = index == 2
        medication.verify_change(
            session,
            change.id,
            None,
            by=LOGGER if by_phone else VERIFIER,
            by_phone=by_phone,
            verifier="Sam Demo (registered manager)" if by_phone else "",
            now=verified,
        )
        _acknowledge(session, change, verified, keep=rnd.randint(1, 2), rnd=rnd, today=today)
        if index == 0:
            medication.mark_care_plan_updated(session, change.id, None, by=LOGGER, now=verified)
        opened += 1

    held = _reviews(session, ids, today, rnd)
    notes = _capacity(session, ids, today, rnd)
    return CareChangesDemo(2, opened, done, held, notes)


def _acknowledge(
    session: Session,
    change: MedicationChange,
    verified: datetime,
    *,
    keep: int,
    rnd: random.Random,
    today: date | None = None,
) -> None:
    """Every carer who must acknowledge does, by phone, except ``keep`` of those whose
    next visit is after ``today``'s week (on next week's rota), or the last ones."""
    row = medication.change_row(session, change.id, verified)
    assert row is not None
    missing = list(row.missing)
    left: set[int] = set()
    if keep and today is not None:
        next_monday = today + timedelta(days=7 - today.weekday())
        later = [
            m
            for m in missing
            if m.next_visit is not None and m.next_visit.astimezone(UK).date() >= next_monday
        ]
        left = {m.carer_id for m in (later or missing)[:keep]}
    for index, carer in enumerate(missing):
        if carer.carer_id in left:
            continue
        medication.record_acknowledgement(
            session,
            change.id,
            None,
            carer.carer_id,
            by=LOGGER,
            method=rnd.choice(("phone", "phone", "in_person", "app")),
            now=verified + timedelta(minutes=10 + 5 * index),
        )


def _reviews(session: Session, ids: list[int], today: date, rnd: random.Random) -> int:
    """A review held for nine customers in ten: most within the year, a few over a year ago
    (overdue), a few 11 months ago (due within the month)."""
    held = 0
    # The events (incidents, changes, complaints, missed visits) each customer has had,
    # and when their package started: a review is held after the package starts, and
    # after the latest event (it answered the early review asked for), except for a few
    # customers left overdue on purpose, chosen among those with no event since.
    latest_event: dict[int, date] = {}
    started: dict[int, date] = {}
    for item in reviews.review_items(session, today, customer_ids=ids):
        if item.event_on is not None:
            latest_event[item.customer_id] = max(
                item.event_on, latest_event.get(item.customer_id, item.event_on)
            )
        if item.trigger == "first" and item.opens is not None:
            started[item.customer_id] = item.opens - timedelta(weeks=6)
    for customer_id in ids:
        roll = rnd.random()
        event = latest_event.get(customer_id)
        first = started.get(customer_id, today - timedelta(days=400))
        if roll < 0.03:
            continue  # never reviewed: the first review, from the package's start
        if roll < 0.08:
            on = today - timedelta(days=rnd.randint(366, 400))  # overdue
        elif roll < 0.16:
            on = today - timedelta(days=rnd.randint(340, 360))  # due within the month
        else:
            on = today - timedelta(days=rnd.randint(20, 300))
        if on <= first:  # a package started since: its first review
            on = first + timedelta(weeks=6, days=rnd.randint(0, 13))
            if on >= today:
                continue  # not due yet
        if event is not None and event >= on:  # the early review it asked for, held
            after = event + timedelta(days=rnd.randint(3, 12))
            if after < today:
                on = after
        session.add(
            CarePlanReview(
                customer_id=customer_id,
                status=reviews.DONE,
                event_on=on,
                outcome=rnd.choice(
                    (
                        "Needs unchanged; customer and daughter present",
                        "Morning visit lengthened to 45 minutes",
                        "Added a lunchtime welfare call",
                    )
                ),
                next_due=reviews.rules.care_plan_next_review(on),
                by="demo.coordinator",
            )
        )
        held += 1
    session.flush()
    for trigger, reason in (
        ("discharge", "Home from hospital after a fall"),
        ("equipment", "Hoist delivered"),
    ):
        reviews.raise_early_review(
            session,
            rnd.choice(ids),
            trigger=trigger,
            reason=reason,
            by="demo.coordinator",
            today=today - timedelta(days=rnd.randint(1, 20)),
        )
    overdue = [i for i in reviews.review_queue(session, today) if i.is_overdue(today)]
    if overdue:
        reviews.snooze_review(
            session,
            overdue[-1],
            until=today + timedelta(days=10),
            reason="Customer away with family until next week",
            by="demo.coordinator",
            today=today,
        )
    return held


def _capacity(session: Session, ids: list[int], today: date, rnd: random.Random) -> int:
    """Consent for most customers; a note finding capacity, and one lacking it."""
    for customer_id in ids:
        if rnd.random() < 0.9:
            consent.record_consent(
                session, customer_id, "care", None, given="yes", by="demo.coordinator", today=today
            )
        if rnd.random() < 0.8:
            consent.record_consent(
                session,
                customer_id,
                "sharing",
                None,
                given=rnd.choice(("yes", "yes", "yes", "no")),
                by="demo.coordinator",
                today=today,
            )
    first, second = rnd.sample(ids, 2) if len(ids) > 1 else (ids[0], ids[0])
    common = {
        "assessed_on": today - timedelta(days=rnd.randint(5, 60)),
        "assessed_by": "Demo Assessor, senior coordinator",
        "presumption": "Presumed to have capacity; assessed because of recent confusion",
        "support_given": "Explained in the morning, with large-print notes, daughter present",
    }
    consent.save_capacity_note(
        session,
        consent.CapacityNote(
            customer_id=first,
            decision="Managing own medication",
            findings=dict.fromkeys(consent.ELEMENTS, "can"),
            outcome="has_capacity",
            **common,
        ),
        by="demo.coordinator",
        today=today,
    )
    consent.save_capacity_note(
        session,
        consent.CapacityNote(
            customer_id=second,
            decision="Accepting a key safe",
            findings={
                "understand": "can",
                "retain": "cannot",
                "use_weigh": "cannot",
                "communicate": "can",
            },
            notes={"retain": "Could not recall the explanation after five minutes"},
            outcome="lacks_capacity",
            impairment="Vascular dementia (diagnosed by the memory clinic)",
            consulted="Son (next of kin), GP, district nurse",
            wishes="Has always wanted to stay at home; dislikes strangers knocking",
            least_restrictive="Key safe by the back door rather than a door entry system",
            attorney="lpa_health",
            attorney_detail="Son, registered 2024 (demo)",
            best_interests_decision="Key safe fitted; reviewed at the next care plan review",
            **common,
        ),
        by="demo.coordinator",
        today=today,
    )
    consent.record_consent(
        session, second, "care", None, given="best_interests", by="demo.coordinator", today=today
    )
    return 2
