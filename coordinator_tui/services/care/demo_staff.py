"""Demo data for requests, training, contacts and shadowing (issue 18 §4-7, §8).

``seed_care_staff(session, *, today, seed)`` adds to a demo that already has its carers,
customers and rota: the default courses; a role and start date per carer (two new starters
in their Care Certificate weeks); training records that leave some valid, some due within
30 days, some expired and some missing; supervisions and spot checks, a few overdue;
change requests at every stage with their timestamps (turnaround figures to show);
contacts with follow-ups, some overdue; a shadow requirement that starts after the planned
weeks (so the demo rota gains no hard problem) and a new starter shadowing visits.

It draws from its own ``random.Random(seed)`` (never from the demo generator's), writes
through the session (audited) and uses no names of its own: the people are the demo's.
``demo/seed.py`` calls it after the rota. Seeding again replaces the rows it wrote before
(those recorded by ``BY``; a carer's profile is rewritten in place), so a test may seed on
top of the demo.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import (
    AbsenceCover,
    CarePackage,
    Carer,
    CarerProfile,
    CarerSkill,
    ChangeRequest,
    ContactLog,
    Customer,
    ShadowRequirement,
    Skill,
    SupervisionRecord,
    TrainingRecord,
    Visit,
    VisitAssignment,
    VisitShadow,
    VisitStatus,
)
from coordinator_tui.services.care.training import ensure_courses, expiry_of
from coordinator_tui.services.dates import add_interval

BY = "demo"
RELATIONS = ("daughter", "son", "wife", "husband", "GP surgery", "social worker", "neighbour")
SAID = (
    "Asked what time the carer will come tomorrow",
    "Worried about mum's eating; asked carers to note meals",
    "Hospital appointment on Thursday: morning visit earlier",
    "Complained the tea-time visit was late twice",
    "Asked for the same carer at weekends",
    "New walking frame delivered; carers to use it",
    "Pharmacy changed the blister pack day",
)
OUTCOMES = ("Explained", "Passed to the carers", "Agreed to ring back", "Logged for review")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


def seed_care_staff(session: Session, *, today: date, seed: int) -> dict[str, int]:
    """Seed the staff side of care changes; returns what was added, by kind."""
    rng = random.Random(seed * 7919 + 18)
    profiles = _clear(session)
    courses = ensure_courses(session)
    carers = list(
        session.execute(
            select(Carer.id, Carer.name).where(Carer.active.is_(True)).order_by(Carer.id)
        )
    )
    counts = {"profiles": 0, "training": 0, "supervision": 0, "requests": 0, "contacts": 0}
    if not carers:
        return counts
    skills: dict[tuple[int, str], date | None] = {
        (carer_id, code): expires
        for carer_id, code, expires in session.execute(
            select(CarerSkill.carer_id, Skill.code, CarerSkill.expires_on).join(
                Skill, Skill.id == CarerSkill.skill_id
            )
        )
    }
    new_starters = {carers[-1][0], carers[-2][0]} if len(carers) > 4 else set()
    seniors = [cid for cid, _ in carers[: max(2, len(carers) // 6)]]
    names = dict(carers)
    for index, (carer_id, _name) in enumerate(carers):
        role = (
            "supervisor"
            if index == 0
            else ("senior_carer" if carer_id in seniors else "care_worker")
        )
        started = (
            today - timedelta(days=rng.randint(14, 60))
            if carer_id in new_starters
            else today - timedelta(days=rng.randint(200, 2500))
        )
        profile = profiles.get(carer_id)
        if profile is None:
            session.add(CarerProfile(carer_id=carer_id, role=role, started_on=started))
        else:  # one profile per carer: the earlier seeding's, rewritten
            profile.role, profile.started_on = role, started
        counts["profiles"] += 1
        for course in courses:
            if carer_id in new_starters and (course.care_certificate or rng.random() < 0.6):
                continue  # new starters: the Care Certificate and most training to come
            if course.skill_code:
                expires = skills.get((carer_id, course.skill_code), False)
                if expires is False:
                    if rng.random() < 0.7:
                        continue  # does not do this work: missing
                    expires = None
                if expires is not None:
                    done = add_interval(expires, months=-course.interval_months)
                    if done > today:
                        done = today
                    session.add(
                        TrainingRecord(
                            carer_id=carer_id,
                            course_id=course.id,
                            completed_on=done,
                            expires_on=expires,
                            recorded_by=BY,
                        )
                    )
                    counts["training"] += 1
                    continue
            roll = rng.random()
            if roll < 0.06:
                continue  # missing
            if roll < 0.14:
                age = course.interval_months * 30 + rng.randint(5, 60)  # expired
            elif roll < 0.26:
                age = course.interval_months * 30 - rng.randint(2, 25)  # due within 30 days
            else:
                age = rng.randint(20, max(30, course.interval_months * 30 - 45))
            if course.interval_months == 0:
                age = rng.randint(100, 900)
            done = today - timedelta(days=age)
            session.add(
                TrainingRecord(
                    carer_id=carer_id,
                    course_id=course.id,
                    completed_on=done,
                    expires_on=expiry_of(course, done),
                    recorded_by=BY,
                )
            )
            counts["training"] += 1
        for kind, spread in (("supervision", (10, 120)), ("spot_check", (20, 220))):
            if carer_id in new_starters:
                continue
            supervisor = names[seniors[0]] if carer_id != seniors[0] else names[seniors[-1]]
            session.add(
                SupervisionRecord(
                    carer_id=carer_id,
                    kind=kind,
                    held_on=today - timedelta(days=rng.randint(*spread)),
                    supervisor=supervisor,
                    outcome="discussed" if kind == "supervision" else "competent",
                    recorded_by=BY,
                )
            )
            counts["supervision"] += 1
    session.flush()
    counts["requests"] = _requests(session, rng, today)
    counts["contacts"] = _contacts(session, rng, today)
    counts["shadows"] = _shadows(session, today, sorted(new_starters))
    session.flush()
    return counts


def _clear(session: Session) -> dict[int, CarerProfile]:
    """Remove the rows an earlier seeding wrote (through the session: audited); returns
    the carers' profiles (one per carer, rewritten in place rather than removed)."""
    for model in (
        VisitShadow,
        ShadowRequirement,
        ContactLog,
        ChangeRequest,
        SupervisionRecord,
        TrainingRecord,
    ):
        for row in session.scalars(select(model).where(model.recorded_by == BY)):
            session.delete(row)
    session.flush()
    return {row.carer_id: row for row in session.scalars(select(CarerProfile))}


def _requests(session: Session, rng: random.Random, today: date) -> int:
    customers = list(
        session.execute(
            select(Customer.id, CarePackage.id)
            .join(CarePackage, CarePackage.customer_id == Customer.id)
            .order_by(Customer.id)
        )
    )
    if not customers:
        return 0
    picked = rng.sample(customers, min(12, len(customers)))
    stages = ["new", "new", "triaged", "answered", "declined"] + ["accepted"] * 7
    added = 0
    for (customer_id, package_id), stage in zip(picked, stages, strict=False):
        kind = rng.choice(("discharge", "discharge", "new_package", "increase", "short_notice"))
        # Open ones came in yesterday afternoon (every step before the working day starts,
        # whenever the demo is opened); decided ones over the last weeks.
        days_ago = 1 if stage in ("new", "triaged", "answered") else rng.randint(2, 40)
        hour = rng.randint(13, 15) if days_ago == 1 else rng.randint(8, 15)
        received = _at(today - timedelta(days=days_ago), hour, rng.choice((0, 15, 30, 45)))
        received_utc = received.astimezone(UTC)
        row = ChangeRequest(
            kind=kind,
            customer_id=customer_id,
            source=rng.choice(("Ward 7", "Discharge team", "Social worker", "Family", "GP")),
            received_at=received_utc,
            start_date=received.date() + timedelta(days=rng.randint(1, 3)),
            visit_times=rng.choice(("08:00,12:30,17:00,21:00", "09:00,18:00", "08:30,13:00,17:30")),
            duration_minutes=rng.choice((30, 30, 45)),
            carers_required=1,
            recorded_by=BY,
        )
        if stage != "new":
            row.triaged_at = received_utc + timedelta(minutes=rng.randint(10, 180))
        if stage in ("answered", "declined", "accepted"):
            row.answered_at = row.triaged_at + timedelta(minutes=rng.randint(20, 240))
            row.capacity_note = "Yes: all visits can be covered"
        if stage == "declined":
            row.decision = "declined"
            row.decided_at = row.answered_at + timedelta(minutes=30)
            row.decline_reason = "No carer with the hoist competency free at 08:00"
            row.capacity_note = "Partly: 20 of 28 visits can be covered"
        if stage == "accepted":
            row.decision = "accepted"
            row.decided_at = row.answered_at + timedelta(minutes=rng.randint(10, 240))
            row.package_id = package_id
            first = _at(row.start_date, int(row.visit_times[:2]), int(row.visit_times[3:5]))
            row.first_visit_at = first.astimezone(UTC)
        session.add(row)
        added += 1
    return added


def _contacts(session: Session, rng: random.Random, today: date) -> int:
    customer_ids = list(session.execute(select(Customer.id).order_by(Customer.id)).scalars())
    if not customer_ids:
        return 0
    added = 0
    for _ in range(min(24, len(customer_ids))):
        day = today - timedelta(days=rng.randint(0, 14))
        at = _at(day, rng.randint(8, 17), rng.choice((0, 10, 25, 40, 55)))
        follow = None
        done = None
        if rng.random() < 0.5:
            follow = day + timedelta(days=rng.randint(1, 7))
            if follow < today and rng.random() < 0.5:
                done = _at(follow, 11).astimezone(UTC)
        session.add(
            ContactLog(
                customer_id=rng.choice(customer_ids),
                at=at.astimezone(UTC),
                method=rng.choice(("call_in", "call_in", "call_out", "email", "office_visit")),
                who=rng.choice(RELATIONS),
                said=rng.choice(SAID),
                outcome=rng.choice(OUTCOMES),
                follow_up_on=follow,
                follow_up_done_at=done,
                follow_up_note="Rang back" if done else "",
                recorded_by=BY,
            )
        )
        added += 1
    covers = list(session.execute(select(AbsenceCover.id, AbsenceCover.visit_id).limit(2)))
    for cover_id, visit_id in covers:
        visit = session.get(Visit, visit_id)
        if visit is None:
            continue
        session.add(
            ContactLog(
                customer_id=visit.customer_id,
                at=_at(today, 7, 30).astimezone(UTC),
                method="call_out",
                said="Plan B: cover for the visit",
                outcome="told",
                topic="plan_b",
                visit_id=visit_id,
                cover_id=cover_id,
                recorded_by=BY,
            )
        )
        added += 1
        break  # one call recorded: the rest of the call list still to ring
    return added


def _shadows(session: Session, today: date, starters: list[int]) -> int:
    """A hoist requirement for the customer with the most double-ups, from two weeks on
    (after the planned weeks, so no visit on the demo rota breaks it yet), and the first new
    starter shadowing that customer's visits in the coming days."""
    found = session.execute(
        select(Visit.customer_id)
        .where(Visit.visit_date >= today, Visit.carers_required == 2)
        .order_by(Visit.customer_id)
        .limit(1)
    ).scalar()
    if found is None:
        return 0
    session.add(
        ShadowRequirement(
            customer_id=found,
            need="moving and handling: hoist with two",
            from_date=today + timedelta(days=14),
            recorded_by=BY,
        )
    )
    if not starters:
        return 0
    starter = starters[0]
    visits = session.execute(
        select(Visit.id)
        .where(
            Visit.customer_id == found,
            Visit.visit_date >= today,
            Visit.visit_date <= today + timedelta(days=6),
            Visit.status == VisitStatus.PLANNED,
            ~Visit.id.in_(
                select(VisitAssignment.visit_id).where(VisitAssignment.carer_id == starter)
            ),
        )
        .order_by(Visit.start_at)
        .limit(2)
    ).scalars()
    added = 0
    for visit_id in visits:
        session.add(
            VisitShadow(
                visit_id=visit_id,
                carer_id=starter,
                purpose="hoist with two: before working alone",
                recorded_by=BY,
            )
        )
        added += 1
    return added
