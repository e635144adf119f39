"""Demo data for medication changes, care plan reviews, capacity and consent (issue 18 §1-3).

Written through the services (so every row is audited and every rule holds) on its own
``random.Random(seed)``: the demo's generator is not drawn from, so the rest of the demo is
the same with this or without it. ``demo/seed.py`` calls it after the rota and the
governance demo (the reviews read the incidents and missed visits). What it leaves,
relative to ``today``:

- two changes pending verification (one logged yesterday: the loudest);
- three open changes, verified yesterday (before the demo's rota was written, so every
  carer rostered to the customer since must acknowledge): every carer acknowledges except
  one for each of two of them, chosen among carers whose first visit since is two days
  away or more (on next week's rota where the demo has one), fewest visits first, so the
  rota shows one or two soft "not acknowledged" problems and no hard one; the third is
  acknowledged by all and waits for the care plan to be marked updated;
- changes done a few weeks ago (verified, acknowledged, care plan updated);
- a care plan review held for most customers, a few of them over a year ago (overdue) and
  a few due within the month; an early review raised for a hospital discharge and one for
  new equipment; one review put off with a reason;
- consent to care and to sharing for most customers, and two capacity notes (one finding
  capacity, one lacking it, with the best-interests record).

Seeding again replaces the rows it wrote before (they are the ones by ``LOGGER``), so a
test may seed on top of the demo. Every name and note is invented.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import CarePackage, Customer, Visit, VisitAssignment
from coordinator_tui.models.care_changes import (
    CapacityAssessment,
    CareConsent,
    CarePlanReview,
    ChangeAcknowledgement,
    MedicationChange,
)
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
    _clear(session)
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

    # Open: verified yesterday (before the rota was written: every carer rostered to the
    # customer since must acknowledge). All acknowledge but one carer each for the first
    # two (their visits two days away or more: soft on the rota); the first has its care
    # plan marked updated, the third waits for that.
    opened = 0
    for index, customer_id in enumerate(picked[4:7]):
        when = _at(yesterday, 9 + 2 * index)
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
        _acknowledge(session, change, verified, keep=int(index < 2), rnd=rnd, today=today)
        if index == 0:
            medication.mark_care_plan_updated(session, change.id, None, by=LOGGER, now=verified)
        opened += change.status == medication.OPEN

    held = _reviews(session, ids, today, rnd)
    notes = _capacity(session, ids, today, rnd)
    return CareChangesDemo(2, opened, done, held, notes)


def _clear(session: Session) -> None:
    """Remove what an earlier seeding wrote (through the session: audited), so seeding
    again replaces it rather than adding a second set. A coordinator's own rows stay."""
    changes = list(
        session.scalars(select(MedicationChange).where(MedicationChange.logged_by == LOGGER))
    )
    ids = [change.id for change in changes]
    doomed: list[object] = []
    if ids:
        doomed += session.scalars(
            select(ChangeAcknowledgement).where(ChangeAcknowledgement.change_id.in_(ids))
        )
    doomed += session.scalars(select(CareConsent).where(CareConsent.by == LOGGER))
    doomed += session.scalars(select(CarePlanReview).where(CarePlanReview.by == LOGGER))
    for row in doomed:
        session.delete(row)
    session.flush()  # the acknowledgements and consents before what they point at
    for row in [
        *changes,
        *session.scalars(
            select(CapacityAssessment).where(CapacityAssessment.recorded_by == LOGGER)
        ),
    ]:
        session.delete(row)
    session.flush()


def _acknowledge(
    session: Session,
    change: MedicationChange,
    verified: datetime,
    *,
    keep: int,
    rnd: random.Random,
    today: date | None = None,
) -> None:
    """Every carer who must acknowledge does (by phone, mostly), except ``keep`` of those
    whose first visit since the change is two days after ``today`` or later (after
    ``today``'s week where the rota has one), fewest visits first: the rota shows them
    as soft problems, never hard ones, whatever the time of day the demo is opened."""
    row = medication.change_row(session, change.id, verified)
    assert row is not None
    missing = list(row.missing)
    left: set[int] = set()
    if keep and today is not None:
        visits = Counter(
            session.scalars(
                select(VisitAssignment.carer_id)
                .join(Visit, Visit.id == VisitAssignment.visit_id)
                .where(Visit.customer_id == change.customer_id, Visit.start_at >= verified)
            )
        )
        next_monday = today + timedelta(days=7 - today.weekday())

        def first_day(carer: medication.MissingCarer) -> date | None:
            return carer.next_visit.astimezone(UK).date() if carer.next_visit else None

        later = [m for m in missing if (first_day(m) or today) >= today + timedelta(days=2)]
        later.sort(
            key=lambda m: (
                (first_day(m) or today) < next_monday,
                visits[m.carer_id],
                m.carer_id,
            )
        )
        left = {m.carer_id for m in later[:keep]}
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
                by=LOGGER,
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
            by=LOGGER,
            today=today - timedelta(days=rnd.randint(1, 20)),
        )
    overdue = [i for i in reviews.review_queue(session, today) if i.is_overdue(today)]
    if overdue:
        reviews.snooze_review(
            session,
            overdue[-1],
            until=today + timedelta(days=10),
            reason="Customer away with family until next week",
            by=LOGGER,
            today=today,
        )
    return held


def _capacity(session: Session, ids: list[int], today: date, rnd: random.Random) -> int:
    """Consent for most customers; a note finding capacity, and one lacking it.

    The plain yes and no consents (one of each kind per customer at most, nothing to
    check but that) are added together and written in one flush, each row audited: a
    flush per customer through ``record_consent`` cost the large demo seconds. The best
    interests consent, which rests on a capacity note, goes through the service."""
    plain: list[CareConsent] = []
    for customer_id in ids:
        if rnd.random() < 0.9:
            plain.append(_consent(customer_id, "care", "yes", today))
        if rnd.random() < 0.8:
            given = rnd.choice(("yes", "yes", "yes", "no"))
            plain.append(_consent(customer_id, "sharing", given, today))
    session.add_all(plain)
    session.flush()
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
        by=LOGGER,
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
        by=LOGGER,
        today=today,
    )
    consent.record_consent(
        session, second, "care", None, given="best_interests", by=LOGGER, today=today
    )
    return 2


def _consent(customer_id: int, kind: str, given: str, today: date) -> CareConsent:
    assert kind in consent.CONSENT_KINDS and given in consent.CONSENT_ANSWERS
    return CareConsent(
        customer_id=customer_id, kind=kind, given=given, recorded_on=today, by=LOGGER
    )
