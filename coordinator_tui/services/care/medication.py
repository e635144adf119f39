"""Medication and clinical changes: logged, checked by a second person, cascaded to the
carers who will walk in next (issue 18 §1).

A change arrives from a GP, a pharmacy, a hospital or the family. Until a second person
verifies it (the two-person check: the verifier is never the person who logged it; with
one user of the app, that user records who verified it by phone) it is *pending*, shown
loudly. Once verified it is *open*: the care plan (or medication record) is to be marked
updated, and every carer rostered to the customer must acknowledge it - those on visits in
the 72 hours after verification, and anyone assigned to a later visit while it is open
(an assignment made after the verification). It is *done* when the care plan is updated
and nobody who must acknowledge it is missing. The rota checker reports a visit whose
carer has not acknowledged an open change (``services/rota/rules/care_changes.py``), so
the rota knows about it too.

Sources: CQC Regulation 12 (safe care and treatment: the proper and safe management of
medicines) and NICE SC1 (Managing medicines for adults receiving social care in the
community, 2017: recommendations on recording changes and telling care workers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import moment_of
from coordinator_tui.models import Carer, Customer, Visit, VisitAssignment, VisitStatus, utcnow
from coordinator_tui.models.care_changes import ChangeAcknowledgement, MedicationChange
from coordinator_tui.services.care import CareError, check_version, clean

CASCADE_HOURS = 72
"""Carers rostered to the customer within this many hours of verification must acknowledge."""
HARD_WITHIN_MINUTES = 120
"""The rota checker's problem is hard when the visit starts within this many minutes."""

PENDING, OPEN, DONE = "received", "verified", "done"
VIEWS: dict[str, str] = {
    "pending": "Pending verification",
    "awaiting": "Awaiting acknowledgements",
    "done": "Done",
}
KINDS: dict[str, str] = {"medication": "Medication", "clinical": "Clinical"}
SOURCES: dict[str, str] = {
    "GP": "GP",
    "Pharmacy": "Pharmacy",
    "Hospital": "Hospital",
    "Family": "Family",
    "Other": "Other",
}
ACK_METHODS: dict[str, str] = {"phone": "by phone", "in_person": "in person", "app": "read it"}
DONE_SHOWN = 200
"""The done view shows the latest this many."""


def _naive(moment: datetime) -> datetime:
    """``moment`` as naive UTC: SQLite gives naive values in raw selects, PostgreSQL aware."""
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def ref(change_id: int) -> str:
    """How a change is named on screen and in other records: ``MC-12``."""
    return f"MC-{change_id}"


# -- logging and verifying -----------------------------------------------------------------


def log_change(
    session: Session,
    *,
    customer_id: int | None,
    kind: str,
    source: str,
    from_whom: str,
    received_at: datetime | None,
    description: str,
    document_ref: str = "",
    by: str,
    now: datetime | None = None,
) -> MedicationChange:
    """Record a change as received (pending verification); every field checked first."""
    now = now or utcnow()
    if customer_id is None or session.get(Customer, customer_id) is None:
        raise CareError("Pick the customer the change is for")
    if kind not in KINDS:
        raise CareError("Say whether it is a medication or a clinical change")
    if source not in SOURCES:
        raise CareError("Say where the change came from (GP, pharmacy, hospital, family)")
    if received_at is None:
        raise CareError("Say when it was received")
    if received_at > now + timedelta(minutes=5):
        raise CareError("A change cannot be received in the future")
    what = clean(description, what="what changed")
    if not what:
        raise CareError("Say what changed")
    change = MedicationChange(
        customer_id=customer_id,
        kind=kind,
        source=source,
        from_whom=clean(from_whom, 120, what="who sent it"),
        received_at=received_at,
        description=what,
        document_ref=clean(document_ref, 120, what="the document's reference"),
        logged_by=by[:60],
        status=PENDING,
    )
    session.add(change)
    session.flush()
    return change


def same_person(a: str, b: str) -> bool:
    """Whether two names given for the check are the same person (case and spaces aside)."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


@dataclass(frozen=True)
class Verified:
    """What a verification did: the change and the carers to tell, soonest visit first."""

    change: MedicationChange
    to_tell: list[MissingCarer]


def verify_change(
    session: Session,
    change_id: int,
    expected_version: int | None,
    *,
    by: str,
    by_phone: bool = False,
    verifier: str = "",
    now: datetime | None = None,
) -> Verified:
    """The second person's check. ``by`` is the user saving it: the verifier themselves,
    or, ``by_phone``, the user recording that ``verifier`` checked it on the phone. The
    verifier is never the person who logged the change (nothing is written then)."""
    now = now or utcnow()
    change = session.get(MedicationChange, change_id)
    check_version(session, change, "medication_change", expected_version)
    assert change is not None
    if change.status != PENDING:
        raise CareError(f"{ref(change.id)} is already verified")
    who = clean(verifier, 60, what="the verifier's name") if by_phone else by
    if by_phone and not who:
        raise CareError("Name who verified it by phone")
    if same_person(who, change.logged_by):
        raise CareError(
            "Two-person check: the verifier cannot be the person who logged the change "
            f"({change.logged_by}); ask a colleague, or record who verified it by phone"
        )
    change.verified_by = who
    change.verified_at = now
    change.verification = "phone" if by_phone else "in_person"
    change.verification_recorded_by = by[:60]
    change.cascaded_at = now
    change.status = OPEN
    session.flush()
    row = _rows(session, [change], now)[0]
    return Verified(change, row.missing)


def mark_care_plan_updated(
    session: Session,
    change_id: int,
    expected_version: int | None,
    *,
    by: str,
    now: datetime | None = None,
) -> MedicationChange:
    """The care plan / medication record now says what the change says."""
    now = now or utcnow()
    change = _open(session, change_id, expected_version)
    if change.care_plan_updated_at is not None:
        raise CareError(f"{ref(change.id)}: the care plan is already marked updated")
    change.care_plan_updated_at = now
    change.care_plan_updated_by = by[:60]
    _close_if_complete(session, change, now)
    session.flush()
    return change


def record_acknowledgement(
    session: Session,
    change_id: int,
    expected_version: int | None,
    carer_id: int,
    *,
    by: str,
    method: str = "phone",
    now: datetime | None = None,
) -> MedicationChange:
    """A carer has acknowledged the change (taken by phone, by default). Refused for a
    carer not rostered to the customer since the change, or already recorded."""
    now = now or utcnow()
    change = _open(session, change_id, expected_version)
    if method not in ACK_METHODS:
        raise CareError("Say how the carer acknowledged it")
    carer = session.get(Carer, carer_id)
    if carer is None:
        raise CareError("That carer no longer exists")
    required = _exposure(session, [change])[change.id]
    if carer_id not in required:
        raise CareError(
            f"{carer.name} is not rostered to this customer since {ref(change.id)} was "
            "verified: nothing recorded"
        )
    already = session.scalars(
        select(ChangeAcknowledgement).where(
            ChangeAcknowledgement.change_id == change.id,
            ChangeAcknowledgement.carer_id == carer_id,
        )
    ).first()
    if already is not None:
        raise CareError(f"{carer.name} has already acknowledged {ref(change.id)}")
    session.add(
        ChangeAcknowledgement(
            change_id=change.id,
            carer_id=carer_id,
            acknowledged_at=now,
            method=method,
            recorded_by=by[:60],
        )
    )
    session.flush()
    _close_if_complete(session, change, now)
    # The change's version moves with each acknowledgement, so a colleague's screen that
    # still shows the carer missing is refused rather than recording it twice.
    change.updated_at = now
    session.flush()
    return change


def _open(session: Session, change_id: int, expected_version: int | None) -> MedicationChange:
    change = session.get(MedicationChange, change_id)
    check_version(session, change, "medication_change", expected_version)
    assert change is not None
    if change.status == PENDING:
        raise CareError(f"{ref(change.id)} is not verified yet: the two-person check comes first")
    if change.status == DONE:
        raise CareError(f"{ref(change.id)} is done")
    return change


def _close_if_complete(session: Session, change: MedicationChange, now: datetime) -> None:
    if change.care_plan_updated_at is None:
        return
    row = _rows(session, [change], now)[0]
    if not row.missing:
        change.status = DONE
        change.closed_at = now


# -- who must acknowledge ------------------------------------------------------------------


def _exposure(
    session: Session, changes: list[MedicationChange]
) -> dict[int, dict[int, list[datetime]]]:
    """For each verified change: the carers who must acknowledge it, each with the starts
    of their visits to the customer that make them (a visit from the verification on,
    not cancelled or missed, within the 72-hour cascade or assigned after verification)."""
    found: dict[int, dict[int, list[datetime]]] = {c.id: defaultdict(list) for c in changes}
    by_customer: dict[int, list[MedicationChange]] = defaultdict(list)
    for change in changes:
        # A change verified before the cascade existed (no ``cascaded_at``) asks nobody.
        if change.verified_at is not None and change.cascaded_at is not None:
            by_customer[change.customer_id].append(change)
    if not by_customer:
        return found
    # By the visit's day (a plain date compares the same on every database), the day
    # before the earliest verification included (a UK day starts an hour before UTC's).
    earliest = min(_naive(c.verified_at) for cs in by_customer.values() for c in cs)  # type: ignore[arg-type]
    rows = session.execute(
        select(
            Visit.customer_id,
            Visit.start_at,
            VisitAssignment.carer_id,
            VisitAssignment.created_at,
        )
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.customer_id.in_(list(by_customer)),
            Visit.visit_date >= earliest.date() - timedelta(days=1),
            Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
        )
    ).all()
    for customer_id, start_at, carer_id, assigned_at in rows:
        start, assigned = _naive(start_at), _naive(assigned_at)
        for change in by_customer[customer_id]:
            verified = _naive(change.verified_at)  # type: ignore[arg-type]
            if start < verified:
                continue
            if start < verified + timedelta(hours=CASCADE_HOURS) or assigned > verified:
                found[change.id][carer_id].append(start_at)
    return found


@dataclass(frozen=True)
class MissingCarer:
    """A carer who has not acknowledged a change, and their next visit to the customer
    (None: none to come; their visits since the change are past)."""

    carer_id: int
    name: str
    next_visit: datetime | None


@dataclass
class ChangeRow:
    """One change as the lists show it."""

    id: int
    version: int
    customer_id: int
    customer: str
    kind: str
    source: str
    from_whom: str
    received_at: datetime
    description: str
    document_ref: str
    logged_by: str
    status: str
    verified_by: str = ""
    verification: str = ""
    verified_at: datetime | None = None
    care_plan_updated_at: datetime | None = None
    closed_at: datetime | None = None
    missing: list[MissingCarer] = field(default_factory=list)
    acknowledged: list[tuple[int, str, datetime, str]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return ref(self.id)

    @property
    def next_missing_visit(self) -> datetime | None:
        times = [m.next_visit for m in self.missing if m.next_visit is not None]
        return min(times) if times else None


def _rows(session: Session, changes: list[MedicationChange], now: datetime) -> list[ChangeRow]:
    if not changes:
        return []
    ids = [c.id for c in changes]
    customers = dict(
        session.execute(
            select(Customer.id, Customer.name).where(
                Customer.id.in_({c.customer_id for c in changes})
            )
        ).all()
    )
    acks: dict[int, list[tuple[int, datetime, str]]] = defaultdict(list)
    for change_id, carer_id, at, method in session.execute(
        select(
            ChangeAcknowledgement.change_id,
            ChangeAcknowledgement.carer_id,
            ChangeAcknowledgement.acknowledged_at,
            ChangeAcknowledgement.method,
        ).where(ChangeAcknowledgement.change_id.in_(ids))
    ):
        acks[change_id].append((carer_id, at, method))
    exposure = _exposure(session, [c for c in changes if c.status == OPEN])
    carer_ids = {cid for e in exposure.values() for cid in e} | {
        a[0] for found in acks.values() for a in found
    }
    names = (
        dict(session.execute(select(Carer.id, Carer.name).where(Carer.id.in_(carer_ids))).all())
        if carer_ids
        else {}
    )
    now_naive = _naive(now)
    rows = []
    for change in changes:
        done = {carer_id for carer_id, _, _ in acks[change.id]}
        missing = []
        for carer_id, starts in exposure.get(change.id, {}).items():
            if carer_id in done:
                continue
            later = [s for s in starts if _naive(s) >= now_naive]
            missing.append(
                MissingCarer(carer_id, names.get(carer_id, "?"), min(later) if later else None)
            )
        missing.sort(key=lambda m: (m.next_visit is None, _naive(m.next_visit or now), m.name))
        rows.append(
            ChangeRow(
                id=change.id,
                version=change.version,
                customer_id=change.customer_id,
                customer=customers.get(change.customer_id, ""),
                kind=change.kind,
                source=change.source,
                from_whom=change.from_whom,
                received_at=change.received_at,
                description=change.description,
                document_ref=change.document_ref,
                logged_by=change.logged_by,
                status=change.status,
                verified_by=change.verified_by,
                verification=change.verification,
                verified_at=change.verified_at,
                care_plan_updated_at=change.care_plan_updated_at,
                closed_at=change.closed_at,
                missing=missing,
                acknowledged=sorted(
                    ((cid, names.get(cid, "?"), at, method) for cid, at, method in acks[change.id]),
                    key=lambda a: _naive(a[2]),
                ),
            )
        )
    return rows


# -- the lists -----------------------------------------------------------------------------


def change_list(session: Session, view: str, now: datetime) -> list[ChangeRow]:
    """The changes of a view: ``pending`` (oldest first: the longest unverified is the
    loudest), ``awaiting`` (the soonest visit by a carer who has not acknowledged first),
    ``done`` (the latest first)."""
    if view == "pending":
        query = (
            select(MedicationChange)
            .where(MedicationChange.status == PENDING)
            .order_by(MedicationChange.received_at, MedicationChange.id)
        )
    elif view == "awaiting":
        query = select(MedicationChange).where(MedicationChange.status == OPEN)
    elif view == "done":
        query = (
            select(MedicationChange)
            .where(MedicationChange.status == DONE)
            .order_by(MedicationChange.closed_at.desc(), MedicationChange.id.desc())
            .limit(DONE_SHOWN)
        )
    else:
        raise CareError(f"No such view: {view}")
    rows = _rows(session, list(session.scalars(query)), now)
    if view == "awaiting":
        far = datetime.max
        rows.sort(
            key=lambda r: (
                not r.missing,
                _naive(r.next_missing_visit) if r.next_missing_visit else far,
                _naive(r.verified_at or r.received_at),
            )
        )
    return rows


def change_row(session: Session, change_id: int, now: datetime) -> ChangeRow | None:
    change = session.get(MedicationChange, change_id)
    return _rows(session, [change], now)[0] if change is not None else None


@dataclass(frozen=True)
class ChangeCounts:
    pending: int
    awaiting: int


def change_counts(session: Session) -> ChangeCounts:
    """How many changes wait for the two-person check, and how many are open."""
    counts = dict(
        session.execute(
            select(MedicationChange.status, func.count())
            .where(MedicationChange.status.in_((PENDING, OPEN)))
            .group_by(MedicationChange.status)
        ).all()
    )
    return ChangeCounts(counts.get(PENDING, 0), counts.get(OPEN, 0))


def customer_choices(session: Session) -> list[tuple[int, str]]:
    """Active customers by name, for the form's picker."""
    return [
        (row[0], row[1])
        for row in session.execute(
            select(Customer.id, Customer.name)
            .where(Customer.active.is_(True))
            .order_by(Customer.name)
        )
    ]


# -- what the rota checker reads -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenChange:
    """An open change as the rota rule reads it (times in epoch minutes, as the snapshot).

    ``exempt``: (visit, carer) pairs assigned before verification to a visit after the
    72-hour cascade: not asked to acknowledge (anyone assigned later is)."""

    id: int
    customer_id: int
    kind: str
    verified: int
    acknowledged: frozenset[int]
    exempt: frozenset[tuple[int, int]] = frozenset()


@dataclass
class RotaChanges:
    """The open changes of the week's customers, and the moment the check is made (the
    hard problem is a visit within 2 hours of it)."""

    by_customer: dict[int, tuple[OpenChange, ...]]
    now: int


def rota_changes(
    session: Session, monday: date, sunday: date, now: datetime | None = None
) -> RotaChanges:
    """The open (verified, not done) changes for the rota snapshot of a week."""
    from coordinator_tui.services.rota.snapshot import epoch_minutes

    moment = now or moment_of(session.info)
    changes = list(
        session.scalars(
            select(MedicationChange).where(
                MedicationChange.status == OPEN, MedicationChange.cascaded_at.is_not(None)
            )
        )
    )
    if not changes:
        return RotaChanges({}, epoch_minutes(moment))
    acks: dict[int, set[int]] = defaultdict(set)
    for change_id, carer_id in session.execute(
        select(ChangeAcknowledgement.change_id, ChangeAcknowledgement.carer_id).where(
            ChangeAcknowledgement.change_id.in_([c.id for c in changes])
        )
    ):
        acks[change_id].add(carer_id)
    customers = {c.customer_id for c in changes}
    assignments = session.execute(
        select(
            Visit.id,
            Visit.customer_id,
            Visit.start_at,
            VisitAssignment.carer_id,
            VisitAssignment.created_at,
        )
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.customer_id.in_(customers),
            Visit.visit_date.between(monday - timedelta(days=1), sunday + timedelta(days=1)),
        )
    ).all()
    by_customer: dict[int, list[OpenChange]] = defaultdict(list)
    for change in changes:
        verified = _naive(change.verified_at)  # type: ignore[arg-type]
        cascade_end = verified + timedelta(hours=CASCADE_HOURS)
        exempt = frozenset(
            (visit_id, carer_id)
            for visit_id, customer_id, start_at, carer_id, assigned_at in assignments
            if customer_id == change.customer_id
            and _naive(start_at) >= cascade_end
            and _naive(assigned_at) <= verified
        )
        by_customer[change.customer_id].append(
            OpenChange(
                change.id,
                change.customer_id,
                change.kind,
                epoch_minutes(verified),
                frozenset(acks[change.id]),
                exempt,
            )
        )
    return RotaChanges(
        {cid: tuple(found) for cid, found in by_customer.items()}, epoch_minutes(moment)
    )
