"""Synthetic governance data for the demo (issue 14 §5): incidents of every kind across a
year in every state, two notifiable ones (the Duty of Candour part done, and done), actions
on time and overdue, complaints in every state, compliments, and the agency's settings.

``seed_governance`` adds these to an existing demo database (the rota's customers and
carers and the practices' staff must be there); ``demo/seed.py`` calls it after its
own seeding. Every name is synthetic (Faker en_GB); deterministic for a seed and a day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import Action, ActionStatus, Carer, Customer, Staff
from coordinator_tui.models.governance import (
    CandourRecord,
    Complaint,
    ComplaintStep,
    Compliment,
    GovernanceSettings,
    Incident,
    IncidentAction,
    IncidentDecision,
)
from coordinator_tui.services.governance.clocks import (
    acknowledge_due,
    candour_due,
    response_due,
)

DEMO_BY = "demo-governance"
SIZES = {"small": (60, 24, 12), "large": (5000, 1000, 300)}
"""(incidents, complaints, compliments) per demo size."""
KINDS = (
    "fall",
    "medication",
    "missed_visit",
    "pressure_damage",
    "injury",
    "abuse",
    "behaviour",
    "property",
    "other",
)
WHAT = {
    "fall": ("Found on the floor in the kitchen at the morning visit", "Ambulance called"),
    "medication": ("Evening tablets given at the lunchtime visit", "GP and pharmacy told"),
    "missed_visit": ("Tea visit not done: carer not told of a rota change", "Visit made late"),
    "pressure_damage": ("Grade 2 pressure area on the left heel", "District nurse informed"),
    "injury": ("Skin tear on the forearm during a transfer", "Dressed; family told"),
    "abuse": ("Customer says a relative takes money from her purse", "Safeguarding lead told"),
    "behaviour": ("Customer shouted at and pushed the carer", "Visit ended; GP told"),
    "property": ("Key safe left open after the visit", "Code changed"),
    "other": ("Smoke alarm found not working", "Fire service visit booked"),
}
CAUSES = (
    "Rota change not passed to the carer",
    "Care plan not updated after hospital discharge",
    "Equipment not checked at the visit",
    "Two carers expected; one cancelled without cover",
)
LEARNING = (
    "Rota changes confirmed by phone as well as the app",
    "Care plans reviewed within 48 hours of discharge",
    "Equipment checks added to the visit tasks",
)


@dataclass(frozen=True)
class GovernanceDemoSummary:
    incidents: int
    complaints: int
    compliments: int
    actual_visits: int = 0
    missed_visits: int = 0
    vigilance_customer: str = ""

    def line(self) -> str:
        return (
            f"{self.incidents:,} incidents, {self.complaints:,} complaints, "
            f"{self.compliments:,} compliments"
        )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK).astimezone(UTC)


def has_governance_demo(session: Session) -> bool:
    """Whether the governance demo is in this database already."""
    return bool(
        session.scalar(select(func.count(Incident.id)).where(Incident.logged_by == DEMO_BY))
    )


def seed_governance(
    session: Session, *, today: date, size: str = "small", seed: int = 1
) -> GovernanceDemoSummary:
    """Add the governance demo to a demo database (refused if it holds it already)."""
    from faker import Faker

    if size not in SIZES:
        raise ValueError(f"Unknown demo size '{size}': choose small or large")
    if has_governance_demo(session):
        raise ValueError("This database holds the governance demo already")
    customers = list(session.scalars(select(Customer.id).order_by(Customer.id)))
    carers = list(session.scalars(select(Carer.id).order_by(Carer.id)))
    staff = session.execute(select(Staff.id, Staff.name).order_by(Staff.id).limit(8)).all()
    if not customers or not carers or not staff:
        raise ValueError("Seed the demo's customers, carers and staff first")
    ids = _IdSource(session)
    rnd = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    n_incidents, n_complaints, n_compliments = SIZES[size]
    if session.scalar(select(func.count(GovernanceSettings.id))) == 0:
        session.add(GovernanceSettings(agency_name="Brookside Home Care (demo)"))
    vigilance = _visit_actuals(session, rnd, fake, today)
    incidents = _incidents(session, ids, rnd, today, n_incidents, customers, carers, staff)
    complaints = _complaints(session, ids, rnd, fake, today, n_complaints, customers, carers)
    for _ in range(n_compliments):
        session.add(
            Compliment(
                received_on=today - timedelta(days=rnd.randint(0, 365)),
                from_whom=fake.name(),
                customer_id=rnd.choice(customers),
                carer_id=rnd.choice(carers),
                summary=rnd.choice(
                    (
                        "Thank you for the kindness shown to Mum",
                        "The carers always arrive smiling and on time",
                        "Grateful for the help after Dad came home from hospital",
                    )
                ),
                logged_by=DEMO_BY,
            )
        )
    session.flush()
    return GovernanceDemoSummary(incidents, complaints, n_compliments, *vigilance)


class _IdSource:
    """Primary keys handed out up front, so thousands of rows go in one flush (batched
    inserts) rather than one flush each to learn their ids."""

    def __init__(self, session: Session) -> None:
        self._next: dict[type, int] = {}
        for model in (Incident, Action, Complaint):
            self._next[model] = int(session.scalar(select(func.max(model.id))) or 0) + 1

    def __call__(self, model: type) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


class _Row(dict):
    """A row to insert, whose columns read and write as attributes (as a model's do):
    building thousands of SQLModel objects costs more than writing them."""

    __getattr__ = dict.__getitem__
    __setattr__ = dict.__setitem__


def _incidents(session, ids, rnd, today, count, customers, carers, staff) -> int:  # noqa: ANN001
    """The incidents first (one bulk insert, audited row by row all the same), then what
    points at them (SQLAlchemy orders inserts between tables by relationships, and these
    tables have none)."""
    later: list = []
    links: list = []
    decisions: list[dict] = []
    rows: list[_Row] = []
    stamp = datetime.now(UTC)
    template = Incident(occurred_at=stamp, reported_at=stamp, kind="other").model_dump()
    template.update(created_at=stamp, updated_at=stamp, version=1)
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        age = rnd.randint(0, 365) if index >= 12 else (5, 30, *range(0, 30, 3))[index]
        day = today - timedelta(days=age)
        occurred = _at(day, rnd.choice((8, 9, 12, 13, 17, 19)), rnd.choice((0, 15, 30, 45)))
        what, immediate = WHAT[kind]
        incident = _Row(
            template,
            id=ids(Incident),
            occurred_at=occurred,
            reported_at=occurred + timedelta(minutes=rnd.choice((10, 30, 90))),
            customer_id=rnd.choice(customers),
            carer_id=rnd.choice(carers),
            kind=kind,
            severity=rnd.choice(("none", "low", "low", "low", "moderate")),
            description=what,
            immediate_action=immediate,
            logged_by=DEMO_BY,
            status="open",
        )
        rows.append(incident)
        notifiable = index in (0, 1)  # candour part done (0) and done (1)
        if index in (0, 1):
            incident.severity = "moderate"
            incident.kind = "fall"
            incident.description = "Fall from bed; hip fracture confirmed in hospital"
        if age <= 4 and not notifiable and index % 4 != 3:
            continue  # recent: awaiting triage
        decided = min(occurred + timedelta(hours=rnd.randint(2, 30)), _at(today, 7))
        _decide(decisions, incident, decided, notifiable, index)
        if notifiable:
            _candour(later, incident, today, decided, staff, complete=index == 1)
        closed = (age > 30 or index == 1) and index != 0
        if index % 5 == 0 and not closed:
            _action(
                later, links, ids, rnd, incident, staff, today - timedelta(days=rnd.randint(1, 20))
            )
        if closed:
            incident.cause = rnd.choice(CAUSES)
            incident.learning = rnd.choice(LEARNING)
            if index % 3:
                action = _action(later, links, ids, rnd, incident, staff, day + timedelta(days=14))
                action.status = ActionStatus.DONE
                action.outcome = "Done and checked at supervision"
                action.completed_at = _at(day + timedelta(days=12), 11)
            else:
                incident.no_action_reason = "Care plan already covers it; shared at team meeting"
            incident.status = "closed"
            incident.closed_at = _at(min(day + timedelta(days=21), today), 16)
            incident.closed_by = DEMO_BY
    session.execute(insert(Incident), [dict(row) for row in rows])
    session.flush()
    session.add_all(later)
    session.flush()
    session.add_all(links)
    if decisions:  # the most numerous rows: a bulk insert (audited row by row all the same)
        session.execute(insert(IncidentDecision), decisions)
    session.flush()
    return count


def _stamp() -> dict[str, object]:
    now = datetime.now(UTC)
    return {"created_at": now, "updated_at": now, "version": 1}


def _decide(decisions, incident, decided, notifiable, index) -> None:  # noqa: ANN001
    cqc = "serious_injury" if notifiable else ("abuse" if incident.kind == "abuse" else "")
    for question, answer, detail in (
        ("notifiable", "yes" if notifiable else "no", "impairment" if notifiable else ""),
        ("cqc", "yes" if cqc else "no", cqc),
        ("safeguarding", "no", ""),
        ("commissioner", "yes" if index % 7 == 0 else "no", "Council contracts team"),
    ):
        decisions.append(
            {
                **_stamp(),
                "incident_id": incident.id,
                "question": question,
                "answer": answer,
                "detail": detail if answer == "yes" else "",
                "concern_id": None,
                "decided_by": DEMO_BY,
                "decided_at": decided,
            }
        )
    incident.triaged_at = decided
    incident.triaged_by = DEMO_BY
    incident.notifiable = notifiable
    incident.notifiable_reason = "impairment" if notifiable else ""
    incident.cqc_notification = cqc
    incident.commissioner_notification = index % 7 == 0


def _candour(later, incident, today, decided, staff, *, complete: bool) -> None:  # noqa: ANN001
    opened = decided.astimezone(UK).date()
    manager = staff[0][1]
    record = CandourRecord(
        incident_id=incident.id,
        opened_on=opened,
        due_on=candour_due(opened),
        relevant_person="Ms Dawn Hale",
        relation="daughter",
        notified_on=min(opened + timedelta(days=1), today),
        notified_by=manager,
        account="The carer found her on the floor beside the bed at the morning visit; "
        "the bed rail had been left down at the evening visit before.",
        apology_on=min(opened + timedelta(days=1), today),
        apology_by=manager,
        status="open",
    )
    if complete:
        record.support_offered = "A named contact, and help arranging the GP review"
        record.enquiries = "A review of the visit notes, the rota and the bed rail checks"
        record.record_kept_on = record.notified_on
        record.record_location = "Incident file INC, office cabinet (locked)"
        record.written_sent_on = min(opened + timedelta(days=3), today)
        record.written_method = "post"
        record.results_shared_on = min(opened + timedelta(days=20), today)
        record.results = "Rail checks were not on the evening visit tasks; they are now."
        record.status = "complete"
        record.completed_on = record.results_shared_on
        record.completed_by = DEMO_BY
    later.append(record)


def _action(later, links, ids, rnd, incident, staff, due) -> Action:  # noqa: ANN001
    staff_id, name = rnd.choice(staff)
    action = Action(
        id=ids(Action),
        person_id=incident.person_id,
        owner_staff_id=staff_id,
        owner_label=name[:60],
        description=f"Incident {incident.id}: "
        + rnd.choice(("Supervision with the carer", "Update the care plan", "Check equipment")),
        due_date=due,
        status=ActionStatus.OPEN,
    )
    later.append(action)
    links.append(IncidentAction(incident_id=incident.id, action_id=action.id))
    return action


def _complaints(session, ids, rnd, fake, today, count, customers, carers) -> int:  # noqa: ANN001
    steps_later: list = []
    states = ("new", "ack_overdue", "acknowledged", "extended", "responded", "closed", "oral")
    for index in range(count):
        state = states[index % len(states)]
        if state == "new":
            received = today
        elif state == "ack_overdue":
            received = today - timedelta(days=8)
        else:
            received = today - timedelta(days=rnd.randint(10, 300))
        if state == "oral":
            received = today - timedelta(days=rnd.randint(2, 60))
        complaint = Complaint(
            id=ids(Complaint),
            received_on=received,
            event_date=received - timedelta(days=rnd.randint(0, 10)),
            complainant=fake.name(),
            complainant_relation=rnd.choice(("son", "daughter", "self", "wife")),
            customer_id=rnd.choice(customers),
            carer_id=rnd.choice(carers) if index % 2 else None,
            channel="phone" if state == "oral" else rnd.choice(("phone", "email", "letter")),
            summary=rnd.choice(
                (
                    "Visits later than the agreed window",
                    "Different carers every day; Dad is confused",
                    "Carer left before the time booked",
                )
            ),
            outcome_wanted=rnd.choice(("Visits on time", "Regular carers", "An apology")),
            nhs_funded=index % 6 == 0,
            acknowledge_due=acknowledge_due(received),
            response_due=response_due(received),
            status="open",
            logged_by=DEMO_BY,
        )
        session.add(complaint)
        steps = [("received", received, "Logged")]
        if state == "oral":
            complaint.status = "resolved"
            complaint.closed_on = received + timedelta(days=1)
            steps.append(("resolved", received, "Apologised and the visit time put right"))
        if state in ("acknowledged", "extended", "responded", "closed"):
            ack = received + timedelta(days=2)
            complaint.acknowledged_on = ack
            steps.append(("acknowledged", ack, "Offered a discussion of handling and timescale"))
            steps.append(("investigation", ack + timedelta(days=5), "Rota and call logs checked"))
        if state == "extended":
            new_due = (complaint.response_due or received) + timedelta(days=60)
            told = received + timedelta(days=9)
            steps.append(("extension", told, "Waiting for the GP's report"))
            complaint.response_due = new_due
        if state in ("responded", "closed"):
            sent = received + timedelta(days=9)
            complaint.response_sent_on = sent
            complaint.outcome = rnd.choice(("upheld", "partly", "not_upheld"))
            steps.append(("response", sent, "Response sent; the ombudsman named"))
        if state == "closed":
            complaint.status = "closed"
            complaint.closed_on = received + timedelta(days=10)
            complaint.learning = "Runs re-planned so visits keep to their windows"
            steps.append(("closed", complaint.closed_on, complaint.learning))
        for kind, on, note in steps:
            steps_later.append(
                {
                    **_stamp(),
                    "complaint_id": complaint.id,
                    "kind": kind,
                    "step_on": min(on, today),
                    "note": note,
                    "by": DEMO_BY,
                    "new_due": complaint.response_due if kind == "extension" else None,
                    "told_on": on if kind == "extension" else None,
                }
            )
    session.flush()
    if steps_later:
        session.execute(insert(ComplaintStep), steps_later)
    return count


def _nhs_numbers(session: Session, count: int) -> list[str]:
    """Valid NHS numbers from the top of the 999 test range not yet in the database (the
    main demo counts up from the bottom)."""
    import nhs_number

    from coordinator_tui.models import Person

    numbers: list[str] = []
    serial = 999_999
    while len(numbers) < count:
        stem = f"999{serial:06d}"
        serial -= 1
        check = nhs_number.calculate_checksum(stem)
        if check is None or check >= 10:
            continue
        number = f"{stem}{check}"
        if session.scalar(select(func.count(Person.id)).where(Person.nhs_number == number)):
            continue
        numbers.append(number)
    return numbers


def _visit_actuals(session, rnd, fake, today) -> tuple[int, int, str]:  # noqa: ANN001
    """The last 14 days' done visits given actual times (most on time, some late, some
    short), a few missed with their reason, and one customer with two missed visits in
    the last 7 days (linked to a person record, so the concern the vigilance proposes can
    be raised on it)."""
    from coordinator_tui.models import Person, Visit, VisitStatus
    from coordinator_tui.models.governance import VisitRecord

    start = today - timedelta(days=14)
    visits = list(
        session.scalars(
            select(Visit)
            .where(
                Visit.visit_date >= start,
                Visit.visit_date < today,
                Visit.status == VisitStatus.DONE,
            )
            .order_by(Visit.start_at, Visit.id)
        )
    )
    if not visits:
        return 0, 0, ""
    recent = [v for v in visits if v.visit_date >= today - timedelta(days=6)]
    counts: dict[int, int] = {}
    for visit in recent:
        counts[visit.customer_id] = counts.get(visit.customer_id, 0) + 1
    chosen = max(sorted(counts), key=lambda c: counts[c])
    theirs = [v for v in recent if v.customer_id == chosen]
    missed = {theirs[len(theirs) // 3].id: "carer_absent", theirs[-2].id: "no_access"}
    others = [v for v in visits if v.customer_id != chosen]
    for visit in rnd.sample(others, min(3, len(others))):
        if all(v.customer_id != visit.customer_id for v in others if v.id in missed):
            missed[visit.id] = rnd.choice(("refused", "hospital"))
    actual = 0
    for visit in visits:
        if visit.id in missed:
            visit.status = VisitStatus.MISSED
            session.add(
                VisitRecord(
                    visit_id=visit.id,
                    missed_reason=missed[visit.id],
                    recorded_by=DEMO_BY,
                    note="Logged from the office phone line",
                )
            )
            continue
        length = visit.end_at - visit.start_at
        roll = rnd.random()
        if roll < 0.015:  # late
            begun = visit.start_at + timedelta(minutes=rnd.randint(35, 70))
            ended = begun + length
        elif roll < 0.03:  # short
            begun = visit.start_at + timedelta(minutes=rnd.randint(0, 10))
            ended = begun + length * 0.5
        else:
            begun = visit.start_at + timedelta(minutes=rnd.randint(-5, 12))
            ended = begun + length + timedelta(minutes=rnd.randint(-4, 4))
        visit.actual_start, visit.actual_end = begun, ended
        actual += 1
    customer = session.get(Customer, chosen)
    if customer.person_id is None:
        given, _, family = customer.name.partition(" ")
        person = Person(
            nhs_number=_nhs_numbers(session, 1)[0],
            given_name=given,
            family_name=family or given,
            search_name=f"{(family or given).lower()} {given.lower()}",
            date_of_birth=date(1938, 3, 14),
            address_line1=customer.address[:120],
            postcode=customer.postcode,
        )
        session.add(person)
        session.flush()
        customer.person_id = person.id
    session.flush()
    return actual, len(missed), customer.name
