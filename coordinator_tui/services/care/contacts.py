"""Talking to customers and families (issue 18 §6).

The contact log (``ContactLog``): calls in and out, e-mails, letters and visits to the
office per customer, who it was with, what was said, the outcome, and a follow-up date
chased like an action (overdue first; done with a note, or moved to another date). With
the rota's recorded reasons it is the trail that explains decisions.

Rota changes that need telling (:func:`to_be_told`): in the coming days, a customer's first
visit from a carer new to them (not seen in the 16 weeks before), and a visit moved
outside its template's agreed window. Each stays listed until a contact about it is logged
(``topic`` and ``visit_id``), so the KPI pack can count the changes not communicated
(:func:`not_communicated`). Plan B's call list records each call's outcome with one key
(:func:`record_call`, a contact with the cover's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.models import (
    AbsenceCover,
    Carer,
    ContactLog,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
    VisitTemplate,
)
from coordinator_tui.services.care.staff_common import CareStaffError, check_version, clean

METHODS = {
    "call_in": "Call in",
    "call_out": "Call out",
    "email": "E-mail",
    "office_visit": "Visit to the office",
    "letter": "Letter",
    "home_visit": "Home visit",
}
TOPICS = {
    "": "",
    "new_carer": "carer new to them",
    "moved": "visit moved",
    "plan_b": "Plan B cover",
}
CALL_OUTCOMES = {
    "told": "told",
    "no_answer": "no answer",
    "message": "left a message",
    "objected": "objected",
}
"""A Plan B call's outcome, one key each on the call list (``t``, ``n``, ``v``, ``o``)."""
NOTICE_DAYS = 7
NEW_TO_WEEKS = 16  # as the checker's NEW_TO_CUSTOMER: not seen in the 16 weeks before


class ContactError(CareStaffError):
    """A refused contact-log entry."""


def log_contact(
    session: Session,
    *,
    customer_id: int,
    at: datetime | None,
    method: str,
    who: str,
    said: str,
    outcome: str = "",
    follow_up_on: date | None = None,
    topic: str = "",
    visit_id: int | None = None,
    cover_id: int | None = None,
    by: str,
    now: datetime,
) -> ContactLog:
    """Log a contact. Refused, writing nothing, for an unknown customer or method, a time in
    the future, nothing said or decided, or a follow-up before the contact."""
    if session.get(Customer, customer_id) is None:
        raise ContactError("That customer no longer exists")
    if method not in METHODS:
        raise ContactError(f"Unknown method '{method}': one of {', '.join(METHODS)}")
    if topic not in TOPICS:
        raise ContactError(f"Unknown topic '{topic}'")
    if at is None:
        raise ContactError("Give when the contact was")
    if at > now + timedelta(minutes=1):
        raise ContactError("A contact cannot be logged in the future")
    who = clean(who, 120)
    said = clean(said, 1000, multiline=True)
    outcome = clean(outcome, 300)
    if not said and not outcome:
        raise ContactError("Say what was said or what came of it")
    if follow_up_on is not None and follow_up_on < to_local(at).date():
        raise ContactError("The follow-up cannot be before the contact")
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.customer_id != customer_id:
            raise ContactError("That visit is not this customer's")
    row = ContactLog(
        customer_id=customer_id,
        at=at,
        method=method,
        who=who,
        said=said,
        outcome=outcome,
        follow_up_on=follow_up_on,
        topic=topic,
        visit_id=visit_id,
        cover_id=cover_id,
        recorded_by=by,
    )
    session.add(row)
    session.flush()
    return row


def complete_follow_up(
    session: Session, contact_id: int, expected_version: int | None, *, note: str, now: datetime
) -> ContactLog:
    """The follow-up is done (what was done, in a few words)."""
    row = session.get(ContactLog, contact_id)
    check_version(session, row, "contact_log", expected_version)
    assert row is not None
    if row.follow_up_on is None:
        raise ContactError("This contact has no follow-up")
    if row.follow_up_done_at is not None:
        raise ContactError("This follow-up is done already")
    note = clean(note, 300)
    if not note:
        raise ContactError("Say what was done")
    row.follow_up_done_at = now
    row.follow_up_note = note
    session.flush()
    return row


def redate_follow_up(
    session: Session,
    contact_id: int,
    expected_version: int | None,
    *,
    on: date | None,
    today: date,
) -> ContactLog:
    """Move the follow-up to another day (today or later)."""
    row = session.get(ContactLog, contact_id)
    check_version(session, row, "contact_log", expected_version)
    assert row is not None
    if on is None:
        raise ContactError("Give the new follow-up date")
    if on < today:
        raise ContactError("A follow-up is moved to today or later")
    if row.follow_up_done_at is not None:
        raise ContactError("This follow-up is done already")
    row.follow_up_on = on
    session.flush()
    return row


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRow:
    id: int
    version: int
    customer_id: int
    customer: str
    at: datetime
    method: str
    who: str
    said: str
    outcome: str
    follow_up_on: date | None
    follow_up_done_at: datetime | None
    follow_up_note: str
    topic: str

    def follow_up_words(self, today: date) -> str:
        if self.follow_up_on is None:
            return ""
        if self.follow_up_done_at is not None:
            return "✓ done"
        if self.follow_up_on < today:
            return f"OVERDUE {self.follow_up_on:%d/%m}"
        if self.follow_up_on == today:
            return "due today"
        return f"by {self.follow_up_on:%d/%m}"

    def overdue(self, today: date) -> bool:
        return (
            self.follow_up_on is not None
            and self.follow_up_done_at is None
            and self.follow_up_on < today
        )


VIEWS = {
    "follow_ups": "Follow-ups to chase",
    "recent": "Contacts, newest first",
    "to_tell": "Rota changes to tell customers about",
}


def _contact_query():
    return select(
        ContactLog.id,
        ContactLog.version,
        ContactLog.customer_id,
        Customer.name,
        ContactLog.at,
        ContactLog.method,
        ContactLog.who,
        ContactLog.said,
        ContactLog.outcome,
        ContactLog.follow_up_on,
        ContactLog.follow_up_done_at,
        ContactLog.follow_up_note,
        ContactLog.topic,
    ).join(Customer, Customer.id == ContactLog.customer_id)


def contacts(
    session: Session, *, customer_id: int | None = None, limit: int = 500
) -> list[ContactRow]:
    """Contacts newest first (one customer's, or everyone's up to ``limit``)."""
    query = _contact_query().order_by(ContactLog.at.desc(), ContactLog.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(ContactLog.customer_id == customer_id)
    return [ContactRow(*row) for row in session.execute(query)]


def follow_ups(session: Session, today: date, *, within_days: int = 7) -> list[ContactRow]:
    """Follow-ups not done and due within ``within_days``: overdue first, then by date."""
    query = (
        _contact_query()
        .where(
            ContactLog.follow_up_on.is_not(None),
            ContactLog.follow_up_done_at.is_(None),
            ContactLog.follow_up_on <= today + timedelta(days=within_days),
        )
        .order_by(ContactLog.follow_up_on, ContactLog.id)
    )
    return [ContactRow(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Change:
    """A rota change a customer is to be told of."""

    topic: str  # new_carer | moved
    visit_id: int
    customer_id: int
    customer: str
    start: datetime  # UK local
    carer: str
    detail: str

    def words(self) -> str:
        return f"{self.start:%a %d/%m %H:%M} {self.customer}: {self.detail}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_be_told(
    session: Session, today: date, *, days: int = NOTICE_DAYS, include_told: bool = False
) -> list[Change]:
    """The rota changes from ``today`` for ``days`` that customers are to be told of, not
    yet answered by a logged contact: each customer's first visit from a carer new to them,
    and visits moved outside their template's window. By time."""
    end = today + timedelta(days=days)
    rows = session.execute(
        select(
            Visit.id,
            Visit.customer_id,
            Customer.name,
            Visit.visit_date,
            Visit.start_at,
            Visit.template_id,
            VisitAssignment.carer_id,
            Carer.name,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .outerjoin(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .outerjoin(Carer, Carer.id == VisitAssignment.carer_id)
        .where(
            Visit.visit_date >= today,
            Visit.visit_date < end,
            Visit.status == VisitStatus.PLANNED,
        )
        .order_by(Visit.start_at, Visit.id)
    ).all()
    if not rows:
        return []
    known = set(
        session.execute(
            select(VisitAssignment.carer_id, Visit.customer_id)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(
                Visit.visit_date >= today - timedelta(weeks=NEW_TO_WEEKS),
                Visit.visit_date < today,
                Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
            )
            .distinct()
        ).all()
    )
    template_ids = {row[5] for row in rows if row[5] is not None}
    windows = {
        tid: (low, high)
        for tid, low, high in session.execute(
            select(VisitTemplate.id, VisitTemplate.window_start, VisitTemplate.window_end).where(
                VisitTemplate.id.in_(template_ids)
            )
        )
    }
    told = set(
        session.execute(
            select(ContactLog.topic, ContactLog.visit_id).where(
                ContactLog.visit_id.in_({row[0] for row in rows}),
                ContactLog.topic.in_(("new_carer", "moved")),
            )
        ).all()
    )
    found: list[Change] = []
    seen_pairs: set[tuple[int, int]] = set()
    moved_done: set[int] = set()
    for vid, customer_id, customer, _day, start_at, template_id, carer_id, carer in rows:
        local = to_local(_utc(start_at))
        if vid not in moved_done and template_id in windows:
            moved_done.add(vid)
            low, high = windows[template_id]
            clock = local.time().replace(second=0, microsecond=0)
            if not (low <= clock <= high) and (include_told or ("moved", vid) not in told):
                found.append(
                    Change(
                        "moved",
                        vid,
                        customer_id,
                        customer,
                        local,
                        carer or "",
                        f"moved to {clock:%H:%M}, outside {low:%H:%M}-{high:%H:%M}",
                    )
                )
        if carer_id is None:
            continue
        pair = (carer_id, customer_id)
        if pair in known or pair in seen_pairs:
            continue
        seen_pairs.add(pair)
        if include_told or ("new_carer", vid) not in told:
            found.append(
                Change(
                    "new_carer",
                    vid,
                    customer_id,
                    customer,
                    local,
                    carer,
                    f"{carer} is new to them (first visit)",
                )
            )
    found.sort(key=lambda c: (c.start, c.customer, c.topic))
    return found


def not_communicated(session: Session, today: date, *, days: int = NOTICE_DAYS) -> int:
    """How many rota changes of the coming ``days`` are still to be told (for the KPIs)."""
    return len(to_be_told(session, today, days=days))


def record_told(
    session: Session, change: Change, *, method: str, outcome: str, by: str, now: datetime
) -> ContactLog:
    """Log that the customer was told of ``change`` (it leaves the list)."""
    return log_contact(
        session,
        customer_id=change.customer_id,
        at=now,
        method=method,
        who="",
        said=f"Told: {change.detail}",
        outcome=outcome or "told",
        topic=change.topic,
        visit_id=change.visit_id,
        by=by,
        now=now,
    )


# -- Plan B's call list ----------------------------------------------------------------------


def record_call(
    session: Session, cover_id: int, outcome: str, *, by: str, now: datetime
) -> ContactLog:
    """Record a Plan B call's outcome (told, no answer, left a message, objected) as a
    contact with the customer; the latest call per cover is its outcome."""
    if outcome not in CALL_OUTCOMES:
        raise ContactError(f"Unknown outcome '{outcome}': one of {', '.join(CALL_OUTCOMES)}")
    cover = session.get(AbsenceCover, cover_id)
    if cover is None:
        raise ContactError("That cover is no longer on the call list")
    visit = session.get(Visit, cover.visit_id)
    if visit is None:
        raise ContactError("That visit no longer exists")
    start = to_local(_utc(visit.start_at))
    follow = None if outcome in ("told", "objected") else to_local(now).date()
    return log_contact(
        session,
        customer_id=visit.customer_id,
        at=now,
        method="call_out",
        who="",
        said=f"Plan B: cover for the visit {start:%a %d/%m %H:%M}",
        outcome=CALL_OUTCOMES[outcome],
        follow_up_on=follow,
        topic="plan_b",
        visit_id=visit.id,
        cover_id=cover_id,
        by=by,
        now=now,
    )


def call_outcomes(session: Session, cover_ids) -> dict[int, str]:  # noqa: ANN001
    """cover id -> the latest call's outcome words."""
    found: dict[int, str] = {}
    ids = list(cover_ids)
    if not ids:
        return found
    for cover_id, outcome in session.execute(
        select(ContactLog.cover_id, ContactLog.outcome)
        .where(ContactLog.cover_id.in_(ids))
        .order_by(ContactLog.at, ContactLog.id)
    ):
        found[cover_id] = outcome
    return found


def contact_counts(session: Session, today: date) -> dict[str, int]:
    """Counts for the Governance summary: follow-ups overdue, changes to tell."""
    overdue = sum(1 for row in follow_ups(session, today, within_days=0) if row.overdue(today))
    return {"follow_ups_overdue": overdue, "to_tell": not_communicated(session, today)}
