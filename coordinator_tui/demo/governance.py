"""Synthetic governance data for the demo (issue 14 §5): incidents of every kind across a
year in every state, two notifiable ones (the Duty of Candour part done, and done), actions
on time and overdue, complaints in every state, compliments, and the agency's settings.

``seed_governance`` adds these to an existing demo database (the rota's customers and
carers and the practices' staff must be there); ``demo/seed.py`` calls it after its
own seeding. Every name is synthetic (Faker en_GB); deterministic for a seed and a day.

The thousands of rows (incidents, their triage decisions and actions, complaints and
their steps, compliments, the visits' actual times) are written as the rest of the
demo's bulk rows are (``demo.seed.insert_rows``/``update_rows``: core statements in
chunks, each table audited with one note of its rows and the demo's size); the few
records with a story (the two Duty of Candour records, the settings, the vigilance
customer's person record) go through the session, audited row by row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.demo.seed import column_defaults, insert_rows, update_rows
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
    vigilance = _visit_actuals(session, rnd, fake, today, size)
    _carer_notes(session, today, size, avoid=vigilance[2])
    incidents = _incidents(session, ids, rnd, today, n_incidents, customers, carers, staff, size)
    complaints = _complaints(session, ids, rnd, fake, today, n_complaints, customers, carers, size)
    template = column_defaults(Compliment, datetime.now(UTC))
    compliments = [
        {
            **template,
            "received_on": today - timedelta(days=rnd.randint(0, 365)),
            "from_whom": fake.name(),
            "customer_id": rnd.choice(customers),
            "carer_id": rnd.choice(carers),
            "summary": rnd.choice(
                (
                    "Thank you for the kindness shown to Mum",
                    "The carers always arrive smiling and on time",
                    "Grateful for the help after Dad came home from hospital",
                )
            ),
            "logged_by": DEMO_BY,
        }
        for _ in range(n_compliments)
    ]
    insert_rows(session, Compliment, compliments, size=size)
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


def _incidents(session, ids, rnd, today, count, customers, carers, staff, size) -> int:  # noqa: ANN001
    """The incidents first, then what points at them: their actions, the links and the
    triage decisions in bulk (``insert_rows``), the candour records through the session."""
    later: list = []
    actions: list[_Row] = []
    links: list[dict] = []
    decisions: list[dict] = []
    rows: list[_Row] = []
    stamp = datetime.now(UTC)
    template = column_defaults(Incident, stamp)
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
                actions,
                links,
                ids,
                rnd,
                incident,
                staff,
                today - timedelta(days=rnd.randint(1, 20)),
            )
        if closed:
            incident.cause = rnd.choice(CAUSES)
            incident.learning = rnd.choice(LEARNING)
            if index % 3:
                action = _action(
                    actions, links, ids, rnd, incident, staff, day + timedelta(days=14)
                )
                action.status = ActionStatus.DONE
                action.outcome = "Done and checked at supervision"
                action.completed_at = _at(day + timedelta(days=12), 11)
            else:
                incident.no_action_reason = "Care plan already covers it; shared at team meeting"
            incident.status = "closed"
            incident.closed_at = _at(min(day + timedelta(days=21), today), 16)
            incident.closed_by = DEMO_BY
    insert_rows(session, Incident, [dict(row) for row in rows], size=size)
    insert_rows(session, Action, [dict(row) for row in actions], size=size)
    insert_rows(session, IncidentAction, links, size=size)
    insert_rows(session, IncidentDecision, decisions, size=size)
    session.add_all(later)  # the two candour records
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


_ACTION_TEMPLATE: dict[str, object] = {}
_LINK_TEMPLATE: dict[str, object] = {}


def _action(actions, links, ids, rnd, incident, staff, due) -> _Row:  # noqa: ANN001
    if not _ACTION_TEMPLATE:
        stamp = datetime.now(UTC)
        _ACTION_TEMPLATE.update(column_defaults(Action, stamp))
        _LINK_TEMPLATE.update(column_defaults(IncidentAction, stamp))
    staff_id, name = rnd.choice(staff)
    action = _Row(
        _ACTION_TEMPLATE,
        id=ids(Action),
        person_id=incident.person_id,
        owner_staff_id=staff_id,
        owner_label=name[:60],
        description=f"Incident {incident.id}: "
        + rnd.choice(("Supervision with the carer", "Update the care plan", "Check equipment")),
        due_date=due,
        status=ActionStatus.OPEN,
    )
    actions.append(action)
    links.append({**_LINK_TEMPLATE, "incident_id": incident.id, "action_id": action.id})
    return action


def _complaints(session, ids, rnd, fake, today, count, customers, carers, size) -> int:  # noqa: ANN001
    steps_later: list = []
    rows: list[_Row] = []
    template = column_defaults(Complaint, datetime.now(UTC))
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
        complaint = _Row(
            template,
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
        rows.append(complaint)
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
    insert_rows(session, Complaint, [dict(row) for row in rows], size=size)
    insert_rows(session, ComplaintStep, steps_later, size=size)
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


def _visit_actuals(session, rnd, fake, today, size) -> tuple[int, int, str]:  # noqa: ANN001
    """The last 14 days' done visits given actual times (most on time, some late, some
    short), a few missed with their reason, and one customer with two missed visits in
    the last 7 days (linked to a person record, so the concern the vigilance proposes can
    be raised on it). The visits are read as plain rows and written back in bulk
    (``update_rows``), not loaded and flushed one audited update at a time."""
    from coordinator_tui.models import Person, Visit, VisitAssignment, VisitStatus
    from coordinator_tui.models.governance import VisitRecord
    from coordinator_tui.services.rota import week_hours

    start = today - timedelta(days=14)
    visits = session.execute(
        select(Visit.id, Visit.customer_id, Visit.visit_date, Visit.start_at, Visit.end_at)
        .where(
            Visit.visit_date >= start,
            Visit.visit_date < today,
            Visit.status == VisitStatus.DONE,
        )
        .order_by(Visit.start_at, Visit.id)
    ).all()
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
    actuals: list[dict] = []
    records: list[dict] = []
    record = column_defaults(VisitRecord, datetime.now(UTC))
    for visit in visits:
        if visit.id in missed:
            records.append(
                {
                    **record,
                    "visit_id": visit.id,
                    "missed_reason": missed[visit.id],
                    "recorded_by": DEMO_BY,
                    "note": "Logged from the office phone line",
                }
            )
            continue
        length = visit.end_at - visit.start_at
        roll = rnd.random()
        if roll < 0.015:  # late: about a quarter by 16-30 minutes, the rest by over 30
            # (the KPI pack's "late over 15" and "over 30" then differ, as in a real
            # month). The draw is the one the demo always made (35-70), spread over
            # 16-70: the random numbers after it, and so the rest of the demo, unchanged.
            late = 16 + (rnd.randint(35, 70) - 35) * 54 // 35
            begun = visit.start_at + timedelta(minutes=late)
            ended = begun + length
        elif roll < 0.03:  # short
            begun = visit.start_at + timedelta(minutes=rnd.randint(0, 10))
            ended = begun + length * 0.5
        else:
            begun = visit.start_at + timedelta(minutes=rnd.randint(-5, 12))
            ended = begun + length + timedelta(minutes=rnd.randint(-4, 4))
        actuals.append({"id": visit.id, "actual_start": begun, "actual_end": ended})
    update_rows(session, Visit, actuals, size=size)
    missed_rows = [{"id": visit_id, "status": VisitStatus.MISSED} for visit_id in sorted(missed)]
    update_rows(session, Visit, missed_rows, size=size)
    insert_rows(session, VisitRecord, records, size=size)
    # A missed visit is not worked: its carers' weekly hours again, as a flush does.
    days = {visit.id: visit.visit_date for visit in visits if visit.id in missed}
    week_hours.refresh(
        session,
        {
            (carer_id, week_hours.monday_of(days[visit_id]))
            for visit_id, carer_id in session.execute(
                select(VisitAssignment.visit_id, VisitAssignment.carer_id).where(
                    VisitAssignment.visit_id.in_(list(missed))
                )
            )
        },
    )
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
    return len(actuals), len(missed), customer.name


CARER_NOTES = (
    # (the carer's note, what the coordinator decided: "" not yet)
    (
        "Large bruise on the left forearm, yellowing at the edges. Said it happened on the "
        "door frame but could not say when. Skin intact.",
        "",
    ),
    (
        "Fridge empty apart from milk and no food in the cupboards; said not eaten since "
        "Saturday's tea. Made porridge and toast, left a sandwich for lunch.",
        "",
    ),
    (
        "Found on the floor in the hall when I let myself in, talking and no injury I could "
        "see. Helped up once checked over. Seemed a bit confused about the time.",
        "",
    ),
    (
        "Shouted at me to go away at first, then let me in: the television was very loud. "
        "Fine after a cup of tea.",
        "no_action",
    ),
    ("Breakfast eaten, tablets taken from the blister pack, chatted about the grandchildren.", ""),
    ("Washed and dressed, settled in the lounge chair with the radio on. Bins put out.", ""),
)
"""Today's early visits' notes, as carers write them: three the reference list flags and
the coordinator has still to look at (a bruise, no food, found on the floor), one flagged
and already judged to need nothing, and two ordinary ones."""


def _carer_notes(session: Session, today: date, size: str, *, avoid: str = "") -> int:
    """Today's earliest visits (one per customer, single-handed, by a carer not absent
    today, not the vigilance customer's) done on time, each with a carer's note: what the
    Governance Today view shows to be read (issue 14 §4). The flags are the reference
    list's (``note_flags.flag_words``), as when a note is imported or rung in."""
    from coordinator_tui.models import Absence, Visit, VisitAssignment, VisitStatus
    from coordinator_tui.models.governance import VisitRecord
    from coordinator_tui.services.governance.note_flags import flag_words

    absent = select(Absence.carer_id).where(Absence.start_date <= today, Absence.end_date >= today)
    candidates = session.execute(
        select(Visit.id, Visit.customer_id, Visit.start_at, Visit.end_at, Customer.name)
        .join(Customer, Customer.id == Visit.customer_id)
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.visit_date == today,
            Visit.status == VisitStatus.PLANNED,
            Visit.carers_required == 1,
            VisitAssignment.carer_id.not_in(absent),
        )
        .order_by(Visit.start_at, Visit.id)
    ).all()
    chosen: list = []
    for row in candidates:
        if row.name != avoid and all(row.customer_id != c.customer_id for c in chosen):
            chosen.append(row)
        if len(chosen) == len(CARER_NOTES):
            break
    stamp = datetime.now(UTC)
    template = column_defaults(VisitRecord, stamp)
    done: list[dict] = []
    records: list[dict] = []
    for visit, (note, outcome) in zip(chosen, CARER_NOTES, strict=False):
        begun = visit.start_at + timedelta(minutes=3)
        done.append(
            {
                "id": visit.id,
                "actual_start": begun,
                "actual_end": begun + (visit.end_at - visit.start_at),
                "status": VisitStatus.DONE,
            }
        )
        records.append(
            {
                **template,
                "visit_id": visit.id,
                "source": "app",
                "recorded_by": DEMO_BY,
                "carer_note": note,
                "note_flags": flag_words(note),
                "note_outcome": outcome,
                "note_reviewed_by": DEMO_BY if outcome else "",
                "note": "Note needs nothing: the television, not a row" if outcome else "",
            }
        )
    update_rows(session, Visit, done, size=size)
    insert_rows(session, VisitRecord, records, size=size)
    return len(records)
