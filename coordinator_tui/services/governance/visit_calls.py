"""The coordinator's steps on the day's visits (issue 14 §4): a phone call recorded, cover
sent for a visit going missed, and a carer's flagged note raised as a safeguarding concern
or an incident, or marked as needing nothing.

A call (a carer ringing in a start or an end, a customer or family ringing about a visit
nobody came to) is a contact in the contact log (``ContactLog``, with the visit), and a
start or end rung in is the visit's actual time, typed by the office (source ``typed``:
the KPI pack's call logging does not count it). What a carer says on the phone is their
note on the visit, flagged like an imported one.

Cover uses the rota's own ranking (``services.rota.assign.rank_carers`` over the checker's
state of the visit's week) and its assignment (``assign``, which re-checks the visit's
carers against the database and refuses a hard problem), so the grid and the checker read
the same rota afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import uk_date, uk_time
from coordinator_tui.models import ContactLog, Customer, Visit, VisitStatus
from coordinator_tui.models.governance import VisitRecord
from coordinator_tui.services.governance import GovernanceError, check_version
from coordinator_tui.services.governance.visits import _record, _visit, record_actual

CALLERS: dict[str, str] = {
    "carer": "Carer",
    "customer": "Customer",
    "family": "Family or friend",
    "professional": "Professional (GP, nurse...)",
    "other": "Someone else",
}
CALL_ABOUT: dict[str, str] = {
    "start": "Carer arrived (start rung in)",
    "end": "Carer left (end rung in)",
    "running_late": "Carer running late",
    "not_arrived": "Nobody has come",
    "cancel": "Asks to cancel or move the visit",
    "concern": "A worry about the customer",
    "other": "Something else",
}
NOTE_OUTCOMES: dict[str, str] = {
    "concern": "raised as a safeguarding concern",
    "incident": "logged as an incident",
    "no_action": "needs nothing",
}


# -- a phone call --------------------------------------------------------------------------


def record_call(
    session: Session,
    visit_id: int,
    expected_version: int | None,
    *,
    caller: str,
    who: str,
    at: datetime | None,
    about: str,
    said: str,
    outcome: str,
    by: str,
    now: datetime,
) -> ContactLog:
    """Record a call about a visit: who rang, when, what about, what was said and what
    came of it. A start or end rung in by the carer is also the visit's actual time.
    Refused (nothing written) for a visit changed since it was read, an unknown caller or
    subject, a time in the future, or a call that says nothing."""
    from coordinator_tui.services.care.contacts import log_contact
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.governance.note_flags import flag_words

    if caller not in CALLERS:
        raise GovernanceError("Say who rang")
    if about not in CALL_ABOUT:
        raise GovernanceError("Say what the call was about")
    if at is None:
        raise GovernanceError("Give the time of the call")
    visit = _visit(session, visit_id, expected_version)
    if about in ("start", "end") and caller != "carer":
        raise GovernanceError("Only the carer rings in a start or an end")
    if about == "start":
        record_actual(session, visit_id, None, start=at, end=None, by=by, now=now)
    elif about == "end":
        if visit.actual_start is None:
            raise GovernanceError("Ring in the start first: this visit has no actual start")
        record_actual(session, visit_id, None, start=visit.actual_start, end=at, by=by, now=now)
    label = CALLERS[caller] + (f": {who.strip()}" if who.strip() else "")
    try:
        contact = log_contact(
            session,
            customer_id=visit.customer_id,
            at=at,
            method="call_in",
            who=label,
            said=f"{CALL_ABOUT[about]}. {said.strip()}".strip(),
            outcome=outcome,
            visit_id=visit_id,
            by=by,
            now=now,
        )
    except CoordinatorError as exc:
        raise GovernanceError(str(exc)) from exc
    if caller == "carer" and said.strip() and flag_words(said):
        record = _record(session, visit_id)
        stamp = f"[{to_local(at):%H:%M} by phone] "
        note = (record.carer_note + "\n" if record.carer_note else "") + stamp + said.strip()
        record.carer_note = note[-2000:]
        record.note_flags = flag_words(record.carer_note)
        record.note_outcome = ""
        record.note_ref_id = None
    session.flush()
    return contact


# -- cover ---------------------------------------------------------------------------------


@dataclass
class CoverOffer:
    """The carers ranked for a visit, and whom the cover replaces (None: the visit is
    short of a carer and cover fills the place)."""

    visit_id: int
    title: str
    replacing: int | None
    replacing_name: str
    candidates: list
    state: object


def cover_offer(session: Session, visit_id: int, now: datetime) -> CoverOffer:
    """The rota's ranking for a visit going missed: the carers who can take it first, by
    continuity, travel and wishes. Refused for a visit already started, done, missed or
    over."""
    from coordinator_tui.services.rota.assign import rank_carers, state_for

    visit = session.get(Visit, visit_id)
    if visit is None:
        raise GovernanceError("That visit no longer exists")
    if visit.actual_start is not None or visit.status != VisitStatus.PLANNED:
        raise GovernanceError("This visit has started or is over: no cover to send")
    if visit.end_at <= now:
        raise GovernanceError("This visit's time is over: record it missed (m) instead")
    state = state_for(session, visit.visit_date)
    on = list(state.carers_of.get(visit_id, ()))
    replacing = on[0] if len(on) >= visit.carers_required and on else None
    names = {c.id: c.name for c in state.snap.carers.values()}
    customer = session.get(Customer, visit.customer_id)
    title = (
        f"Cover for {customer.name if customer else 'the customer'} "
        f"{uk_time(to_local(visit.start_at))}-{uk_time(to_local(visit.end_at))} "
        f"{uk_date(visit.visit_date)}"
    )
    if replacing is not None:
        title += f", in place of {names.get(replacing, 'the carer')}"
    return CoverOffer(
        visit_id,
        title,
        replacing,
        names.get(replacing, "") if replacing else "",
        rank_carers(state, visit_id, replacing=replacing),
        state,
    )


def send_cover(session: Session, offer: CoverOffer, carer_id: int, *, rationale: str = "") -> str:
    """Put the chosen carer on the visit (in place of the one who has not come): the
    rota's own assignment, refused when the visit's carers changed since the ranking was
    read, or when it breaks a hard rule; soft problems need ``rationale``. Returns the
    carer's name."""
    from coordinator_tui.services.rota.assign import assign

    assign(
        session,
        offer.visit_id,
        carer_id,
        state=offer.state,  # type: ignore[arg-type]
        replacing=offer.replacing,
        rationale=rationale,
    )
    return offer.state.snap.carers[carer_id].name  # type: ignore[attr-defined]


# -- a carer's flagged note ----------------------------------------------------------------


def _note_record(session: Session, visit_id: int, expected_version: int | None) -> VisitRecord:
    record = session.scalars(select(VisitRecord).where(VisitRecord.visit_id == visit_id)).first()
    check_version(session, record, "visit_record", expected_version)
    assert record is not None
    if not record.carer_note:
        raise GovernanceError("This visit has no carer's note")
    if record.note_outcome:
        raise GovernanceError(
            f"This note was {NOTE_OUTCOMES.get(record.note_outcome, record.note_outcome)} "
            f"already, by {record.note_reviewed_by or 'a colleague'}"
        )
    return record


def raise_note_concern(
    session: Session,
    visit_id: int,
    expected_version: int | None,
    *,
    by: str,
    today: date,
) -> int:
    """Raise the carer's note as a safeguarding concern on the customer's person record
    (it waits for triage on Registers), the note and the visit as its details. Returns
    the concern's id."""
    from coordinator_tui.services.concerns import ConcernError, log_concern

    record = _note_record(session, visit_id, expected_version)
    visit = session.get(Visit, visit_id)
    customer = session.get(Customer, visit.customer_id) if visit else None
    if customer is None or customer.person_id is None:
        raise GovernanceError(
            "This customer has no person record to raise the concern on: link them first"
        )
    assert visit is not None
    category = "neglect" if "neglect" in record.carer_note.lower() else "other"
    try:
        concern = log_concern(
            session,
            person_id=customer.person_id,
            raised_by=by,
            raised_by_role="Homecare coordinator",
            raised_on=today,
            category=category,
            details=(
                f"Carer's note on the visit of {uk_date(visit.visit_date)} "
                f"{uk_time(to_local(visit.start_at))} (flagged {record.note_flags}): "
                f"{record.carer_note}"
            ),
            today=today,
        )
    except ConcernError as exc:
        raise GovernanceError(str(exc)) from exc
    _decided(record, "concern", concern.id, by)
    session.flush()
    return concern.id


def note_decided(
    session: Session,
    visit_id: int,
    expected_version: int | None,
    *,
    outcome: str,
    by: str,
    ref_id: int | None = None,
    reason: str = "",
) -> VisitRecord:
    """Record what the coordinator made of the note: logged as an incident (``ref_id``
    the incident) or needs nothing (with the reason, kept in the visit's note)."""
    if outcome not in ("incident", "no_action"):
        raise GovernanceError("An incident or nothing to do")
    if outcome == "no_action" and not reason.strip():
        raise GovernanceError("Say why the note needs nothing")
    record = _note_record(session, visit_id, expected_version)
    if reason.strip():
        record.note = f"Note needs nothing: {reason.strip()}"[:300]
    _decided(record, outcome, ref_id, by)
    session.flush()
    return record


def _decided(record: VisitRecord, outcome: str, ref_id: int | None, by: str) -> None:
    record.note_outcome = outcome
    record.note_ref_id = ref_id
    record.note_reviewed_by = by[:60]


def note_text_for_incident(carer_note: str, note_flags: str) -> str:
    """What an incident logged from a flagged note starts with."""
    return f"Carer's note (flagged {note_flags}): {carer_note}".strip()


def customer_of_person(session: Session, person_id: int) -> int | None:
    """The homecare customer a person record belongs to, if any (``f4`` on the person
    record fills them in)."""
    return session.scalars(
        select(Customer.id).where(Customer.person_id == person_id).order_by(Customer.id)
    ).first()
