"""Incidents: logged in one form, triaged with each decision recorded, investigated, closed.

The closure loop is what an inspector reads weeks later, so closing is refused until the
record holds what closes it: a triage, the cause, at least one action (or the reason there
is none), a learning note, and a Duty of Candour record complete where the incident was
notifiable; the refusal names everything still missing.

An incident's actions are rows of the meetings' action tracker (``action``, linked by
``incident_action``), so chasing happens in one place; their description starts
"Incident N:" so the tracker says where each came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import day_datetime
from coordinator_tui.models import Action, ActionStatus, Carer, Customer, Visit, utcnow
from coordinator_tui.models.governance import (
    CandourRecord,
    Incident,
    IncidentAction,
    IncidentDecision,
)
from coordinator_tui.services import access, keyset
from coordinator_tui.services.governance import GovernanceError, check_version
from coordinator_tui.services.governance.terms import (
    CQC_NOTIFICATIONS,
    HARM_LEVELS,
    INCIDENT_KINDS,
    NOTIFIABLE_THRESHOLDS,
    label,
)

VIEWS: dict[str, str] = {
    "open": "Open incidents",
    "triage": "Awaiting triage",
    "notifiable": "Notifiable (Duty of Candour)",
    "actions": "Overdue actions",
    "closed": "Closed incidents",
}
OPEN, CLOSED = "open", "closed"
NO = "no"
ACTION_DUE_DAYS = 14
"""An incident's action is due two weeks on unless the coordinator says otherwise: the
closure loop an inspector reads is "two to four weeks later" (issue 14), so the first
chase falls inside it."""


def default_action_due(today: date) -> date:
    """The due date an incident's new action starts with (the form lets it be changed)."""
    return today + timedelta(days=ACTION_DUE_DAYS)


class IncidentClosureRefused(GovernanceError):
    """Closing was refused; ``missing`` names what the record still needs."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Cannot close yet: still needs " + "; ".join(missing))


# -- logging ----------------------------------------------------------------------------


def at_time(day: date | None, hhmm: str, what: str) -> datetime | None:
    """``day`` at the UK wall-clock time typed as ``HH:MM`` (``9``, ``930``, ``09:30``,
    ``9.30`` too), as an aware datetime; None when no day is given."""
    from datetime import time as clock_time

    from coordinator_tui.clock import UK

    if day is None:
        return None
    text = hhmm.strip().replace(".", ":")
    if not text:
        raise GovernanceError(f"Give the time {what} (HH:MM)")
    if ":" not in text and text.isdigit() and len(text) in (3, 4):
        text = f"{text[:-2]}:{text[-2:]}"
    hours, _, minutes = text.partition(":")
    try:
        moment = clock_time(int(hours), int(minutes or 0))
    except ValueError:
        raise GovernanceError(f"The time {what} is not a time of day: type it as HH:MM") from None
    return datetime.combine(day, moment, tzinfo=UK)


@dataclass(frozen=True)
class Choices:
    """Who an incident or complaint can be about: active customers and carers, by name."""

    customers: list[tuple[int, str]]
    carers: list[tuple[int, str]]


def people_choices(session: Session) -> Choices:
    return Choices(
        [
            (row[0], row[1])
            for row in session.execute(
                select(Customer.id, Customer.name)
                .where(Customer.active.is_(True))
                .order_by(Customer.name)
            )
        ],
        [
            (row[0], row[1])
            for row in session.execute(
                select(Carer.id, Carer.name).where(Carer.active.is_(True)).order_by(Carer.name)
            )
        ],
    )


def log_incident(
    session: Session,
    *,
    occurred_at: datetime | None,
    found_at: datetime | None,
    kind: str,
    severity: str,
    description: str,
    immediate_action: str = "",
    customer_id: int | None = None,
    carer_id: int | None = None,
    visit_id: int | None = None,
    person_id: int | None = None,
    by: str,
    now: datetime | None = None,
) -> Incident:
    """Record an incident (every field checked before anything is written).

    A visit gives its customer (and must agree with one given); the customer's person
    record is linked when there is one, so a safeguarding concern can be raised from it."""
    access.require(session, access.GOVERNANCE)  # issue 17
    now = now or utcnow()
    description = description.strip()
    if occurred_at is None:
        raise GovernanceError("Say when it happened")
    found_at = found_at or now
    if occurred_at > now:
        raise GovernanceError("An incident cannot have happened in the future")
    if found_at > now:
        raise GovernanceError("It cannot have been found in the future")
    if found_at < occurred_at:
        raise GovernanceError("It cannot have been found before it happened")
    if kind not in INCIDENT_KINDS:
        raise GovernanceError("Pick what kind of incident it was")
    if severity not in HARM_LEVELS:
        raise GovernanceError("Pick the harm level")
    if not description:
        raise GovernanceError("Say what happened")
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise GovernanceError("That visit no longer exists")
        if customer_id is not None and customer_id != visit.customer_id:
            raise GovernanceError("The visit is another customer's")
        customer_id = visit.customer_id
    if customer_id is None and carer_id is None and person_id is None:
        raise GovernanceError("Say who was involved: the customer, the carer or both")
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise GovernanceError("That customer no longer exists")
        person_id = person_id or customer.person_id
    if carer_id is not None and session.get(Carer, carer_id) is None:
        raise GovernanceError("That carer no longer exists")
    incident = Incident(
        occurred_at=occurred_at,
        reported_at=found_at,
        customer_id=customer_id,
        carer_id=carer_id,
        visit_id=visit_id,
        person_id=person_id,
        kind=kind,
        severity=severity,
        description=description,
        immediate_action=immediate_action.strip(),
        logged_by=by[:60],
        status=OPEN,
    )
    session.add(incident)
    session.flush()
    return incident


def _load(session: Session, incident_id: int, expected_version: int | None) -> Incident:
    incident = session.get(Incident, incident_id)
    check_version(session, incident, "incident", expected_version)
    assert incident is not None
    return incident


def _open(session: Session, incident_id: int, expected_version: int | None) -> Incident:
    incident = _load(session, incident_id, expected_version)
    if incident.status == CLOSED:
        raise GovernanceError("This incident is closed")
    return incident


# -- triage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageResult:
    """What a triage save did, for the screen to say."""

    incident: Incident
    decided: list[str]
    candour_opened: CandourRecord | None = None
    concern_id: int | None = None


def latest_decisions(session: Session, incident_id: int) -> dict[str, IncidentDecision]:
    """The latest decision on each triage question."""
    rows = session.scalars(
        select(IncidentDecision)
        .where(IncidentDecision.incident_id == incident_id)
        .order_by(IncidentDecision.decided_at, IncidentDecision.id)
    )
    return {row.question: row for row in rows}


def triage_incident(
    session: Session,
    incident_id: int,
    expected_version: int | None,
    *,
    notifiable: str,
    cqc: str,
    safeguarding: str,
    commissioner: str,
    safeguarding_category: str = "neglect",
    by: str,
    today: date,
    now: datetime | None = None,
) -> TriageResult:
    """Record the four triage decisions, each with who and when (a decision unchanged
    since the last triage is not recorded again).

    ``notifiable``: a reg 20(9) threshold code or ``no``; a yes opens the Duty of Candour
    record with its clock. ``cqc``: a reg 16/18 notification type or ``no``.
    ``safeguarding``: ``yes`` raises a concern on the safeguarding side for the person
    (once). ``commissioner``: ``no``, or to whom the notification went."""
    access.require(session, access.GOVERNANCE)  # issue 17
    from coordinator_tui.services.governance.candour import open_candour, withdraw_candour

    now = now or utcnow()
    if notifiable != NO and notifiable not in NOTIFIABLE_THRESHOLDS:
        raise GovernanceError("Is it a notifiable safety incident? Pick the harm or 'no'")
    if cqc != NO and cqc not in CQC_NOTIFICATIONS:
        raise GovernanceError("Does the CQC need a notification? Pick the type or 'no'")
    if safeguarding not in ("yes", NO):
        raise GovernanceError("Is it a safeguarding concern? yes or no")
    commissioner = commissioner.strip() or NO
    incident = _open(session, incident_id, expected_version)
    previous = latest_decisions(session, incident_id)
    answers = {
        "notifiable": ("no" if notifiable == NO else "yes", "" if notifiable == NO else notifiable),
        "cqc": ("no" if cqc == NO else "yes", "" if cqc == NO else cqc),
        "safeguarding": (safeguarding, safeguarding_category if safeguarding == "yes" else ""),
        "commissioner": (
            "no" if commissioner.lower() == NO else "yes",
            "" if commissioner.lower() == NO else commissioner[:200],
        ),
    }
    candour = None
    concern_id = None
    if answers["safeguarding"][0] == "yes":
        before = previous.get("safeguarding")
        if before is not None and before.concern_id is not None:
            concern_id = before.concern_id
            answers["safeguarding"] = ("yes", before.detail)
        else:
            concern_id = _raise_concern(session, incident, safeguarding_category, by, today)
    if answers["notifiable"][0] == "yes":
        candour = open_candour(session, incident, today)
    else:
        withdraw_candour(session, incident)
    decided = []
    for question, (answer, detail) in answers.items():
        before = previous.get(question)
        if before is not None and (before.answer, before.detail) == (answer, detail):
            continue
        session.add(
            IncidentDecision(
                incident_id=incident.id,
                question=question,
                answer=answer,
                detail=detail,
                concern_id=concern_id if question == "safeguarding" else None,
                decided_by=by[:60],
                decided_at=now,
            )
        )
        decided.append(question)
    incident.notifiable = answers["notifiable"][0] == "yes"
    incident.notifiable_reason = answers["notifiable"][1]
    incident.cqc_notification = answers["cqc"][1]
    incident.commissioner_notification = answers["commissioner"][0] == "yes"
    incident.triaged_at = now
    incident.triaged_by = by[:60]
    session.flush()
    return TriageResult(incident, decided, candour, concern_id)


def _raise_concern(
    session: Session, incident: Incident, category: str, by: str, today: date
) -> int:
    """A safeguarding concern for the incident's person, on the safeguarding side (both
    coordinators see it in the concerns awaiting triage)."""
    from coordinator_tui.services.concerns import ConcernError, log_concern

    if incident.person_id is None:
        raise GovernanceError(
            "This customer has no person record to raise the safeguarding concern on: "
            "link them to their person record first, or answer 'no' and refer directly"
        )
    raised_on = min(to_local(incident.reported_at).date(), today)
    try:
        concern = log_concern(
            session,
            person_id=incident.person_id,
            raised_by=by,
            raised_by_role="Homecare coordinator",
            raised_on=raised_on,
            category=category,
            details=(
                f"From incident {incident.id} ({label(INCIDENT_KINDS, incident.kind)}, "
                f"{label(HARM_LEVELS, incident.severity).lower()}): {incident.description}"
            ),
            today=today,
        )
    except ConcernError as exc:
        raise GovernanceError(str(exc)) from exc
    assert concern.id is not None
    return concern.id


# -- investigation, actions, closure ----------------------------------------------------


def record_investigation(
    session: Session,
    incident_id: int,
    expected_version: int | None,
    *,
    cause: str,
    learning: str,
    no_action_reason: str = "",
    outcome: str = "",
) -> Incident:
    """Save what the investigation found so far (each part may be filled in later)."""
    access.require(session, access.GOVERNANCE)  # issue 17
    incident = _open(session, incident_id, expected_version)
    incident.cause = cause.strip()
    incident.learning = learning.strip()
    incident.no_action_reason = no_action_reason.strip()[:300]
    incident.outcome = outcome.strip()
    session.flush()
    return incident


def add_incident_action(
    session: Session,
    incident_id: int,
    expected_version: int | None,
    *,
    description: str,
    owner: str,
    due: date | None,
    today: date,
) -> Action:
    """An action for the incident, in the same tracker as meetings' actions.

    The owner is read as everywhere else (``services/owners.py``: a name, initials or a
    role such as PM); a homecare carer can own one too, by full name."""
    access.require(session, access.GOVERNANCE)  # issue 17
    from coordinator_tui.services.owners import owner_directory, parse_owner

    description = description.strip()
    if not description:
        raise GovernanceError("Say what is to be done")
    if due is None:
        raise GovernanceError("Give the action a due date")
    if due < today:
        raise GovernanceError("The due date is in the past")
    incident = _open(session, incident_id, expected_version)
    match = parse_owner(owner, owner_directory(session))
    staff_id, owner_label = match.staff_id, match.label
    if not match.ok:
        carer = session.scalars(
            select(Carer.name).where(func.lower(Carer.name) == " ".join(owner.split()).lower())
        ).first()
        if carer is None:
            raise GovernanceError(match.problem)
        staff_id, owner_label = None, carer
    action = Action(
        person_id=incident.person_id,
        owner_staff_id=staff_id,
        owner_label=owner_label[:60],
        description=f"Incident {incident.id}: {description}",
        due_date=due,
        status=ActionStatus.OPEN,
    )
    session.add(action)
    session.flush()
    session.add(IncidentAction(incident_id=incident.id, action_id=action.id))
    session.flush()
    return action


def closure_missing(session: Session, incident: Incident) -> list[str]:
    """What the incident still needs before it can be closed (empty: it can be)."""
    missing = []
    if incident.triaged_at is None:
        missing.append("triage")
    if not incident.cause.strip():
        missing.append("the cause")
    actions = session.scalar(
        select(func.count(IncidentAction.id)).where(IncidentAction.incident_id == incident.id)
    )
    if not actions and not incident.no_action_reason.strip():
        missing.append("at least one action, or the reason for none")
    if not incident.learning.strip():
        missing.append("a learning note")
    if incident.notifiable:
        status = session.scalar(
            select(CandourRecord.status).where(CandourRecord.incident_id == incident.id)
        )
        if status != "complete":
            missing.append("the Duty of Candour record complete")
    return missing


def close_incident(
    session: Session,
    incident_id: int,
    expected_version: int | None,
    *,
    by: str,
    now: datetime | None = None,
) -> Incident:
    """Close the incident; refused, naming what is missing, until it can be."""
    access.require(session, access.GOVERNANCE)  # issue 17
    incident = _open(session, incident_id, expected_version)
    missing = closure_missing(session, incident)
    if missing:
        raise IncidentClosureRefused(missing)
    incident.status = CLOSED
    incident.closed_at = now or utcnow()
    incident.closed_by = by[:60]
    session.flush()
    return incident


def reopen_incident(session: Session, incident_id: int, expected_version: int | None) -> Incident:
    """Open a closed incident again (new information came to light)."""
    access.require(session, access.GOVERNANCE)  # issue 17
    incident = _load(session, incident_id, expected_version)
    if incident.status != CLOSED:
        raise GovernanceError("This incident is open already")
    incident.status = OPEN
    incident.closed_at = None
    incident.closed_by = ""
    session.flush()
    return incident


# -- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    """One incident in a list (a narrow select: no ORM objects)."""

    id: int
    version: int
    occurred_on: date
    kind: str
    severity: str
    customer: str
    carer: str
    status: str
    triaged: bool
    notifiable: bool
    cqc: str
    candour_status: str
    candour_due: date | None
    open_actions: int
    overdue_actions: int
    customer_id: int | None = None
    carer_id: int | None = None
    candour_waiting: bool = False
    """The notification in person (or the reg 20(5) record of attempts) not made yet."""

    def candour_overdue(self, today: date) -> bool:
        return (
            self.candour_status == "open"
            and self.candour_waiting
            and self.candour_due is not None
            and self.candour_due < today
        )


def _incident_select(today: date):  # noqa: ANN202 - a Select of IncidentRow's columns
    actions = (
        select(
            IncidentAction.incident_id.label("incident_id"),
            func.count(Action.id).label("open"),
            func.sum(case((Action.due_date < today, 1), else_=0)).label("overdue"),
        )
        .join(Action, Action.id == IncidentAction.action_id)
        .where(Action.status == ActionStatus.OPEN)
        .group_by(IncidentAction.incident_id)
        .subquery()
    )
    stmt = (
        select(
            Incident.id,
            Incident.version,
            Incident.occurred_at,
            Incident.kind,
            Incident.severity,
            func.coalesce(Customer.name, ""),
            func.coalesce(Carer.name, ""),
            Incident.status,
            Incident.triaged_at.is_not(None),
            Incident.notifiable,
            Incident.cqc_notification,
            func.coalesce(CandourRecord.status, ""),
            CandourRecord.due_on,
            func.coalesce(actions.c.open, 0),
            func.coalesce(actions.c.overdue, 0),
            Incident.customer_id,
            Incident.carer_id,
            CandourRecord.notified_on.is_(None)
            & ((CandourRecord.unable == "") | (CandourRecord.contact_attempts == "")),
        )
        .outerjoin(Customer, Customer.id == Incident.customer_id)
        .outerjoin(Carer, Carer.id == Incident.carer_id)
        .outerjoin(CandourRecord, CandourRecord.incident_id == Incident.id)
        .outerjoin(actions, actions.c.incident_id == Incident.id)
    )
    return stmt, actions


def _to_incident_row(row: Any) -> IncidentRow:
    """A row of ``_incident_select`` as an ``IncidentRow``."""
    return IncidentRow(
        row[0],
        row[1],
        to_local(row[2]).date(),
        *row[3:8],
        bool(row[8]),
        bool(row[9]),
        *row[10:12],
        row[12],
        int(row[13]),
        int(row[14] or 0),
        row[15],
        row[16],
        bool(row[17]),
    )


def _incident_rows(session: Session, stmt) -> list[IncidentRow]:  # noqa: ANN001
    return [_to_incident_row(row) for row in session.execute(stmt).all()]


def incident_list(
    session: Session,
    view: str,
    today: date,
    *,
    kind: str | None = None,
    customer_id: int | None = None,
    carer_id: int | None = None,
    limit: int | None = None,
) -> list[IncidentRow]:
    """The incidents of one view (``VIEWS``), optionally by kind, customer or carer."""
    access.require(session, access.GOVERNANCE)  # issue 17
    if view not in VIEWS:
        raise GovernanceError(f"Unknown view: choose {', '.join(VIEWS)}")
    stmt, actions = _incident_select(today)
    if view == "open":
        stmt = stmt.where(Incident.status == OPEN).order_by(
            Incident.occurred_at.desc(), Incident.id.desc()
        )
    elif view == "triage":
        stmt = stmt.where(Incident.status == OPEN, Incident.triaged_at.is_(None)).order_by(
            Incident.reported_at, Incident.id
        )
    elif view == "notifiable":
        stmt = stmt.where(Incident.notifiable.is_(True)).order_by(
            (func.coalesce(CandourRecord.status, "open") != "open"),
            CandourRecord.due_on.is_(None),
            CandourRecord.due_on,
            Incident.id,
        )
    elif view == "actions":
        stmt = stmt.where(actions.c.overdue > 0).order_by(Incident.occurred_at, Incident.id)
    else:
        stmt = stmt.where(Incident.status == CLOSED).order_by(
            Incident.closed_at.desc(), Incident.occurred_at.desc(), Incident.id.desc()
        )
    if kind:
        stmt = stmt.where(Incident.kind == kind)
    if customer_id is not None:
        stmt = stmt.where(Incident.customer_id == customer_id)
    if carer_id is not None:
        stmt = stmt.where(Incident.carer_id == carer_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return _incident_rows(session, stmt)


# -- the closed incidents, a page at a time ---------------------------------------------

CLOSED_PAGE = 100
"""Closed incidents read per page: the large demo has thousands (issue 14)."""


@dataclass(frozen=True)
class IncidentPage:
    """One page of closed incidents in list order, each with its key (``keyset.Key``:
    where to read on from), and how many the list holds when asked for."""

    rows: list[IncidentRow]
    keys: list[keyset.Key]
    total: int | None = None


def _casefold(value: str | None) -> str | None:
    """SQLite's ``casefold(x)``: Python's full Unicode case folding (``É`` to ``é``,
    ``ß`` and ``ẞ`` to ``ss``), None kept as NULL."""
    return value.casefold() if isinstance(value, str) else value


def _folding(session: Session) -> tuple[Callable[[Any], Any], Callable[[str], str]]:
    """How the closed list's filter folds case, as SQL for a column and in Python for a
    typed word, the two the same so that a name matches itself in any case.

    SQLite's own ``lower()`` folds ASCII only (``ÉLODIE`` becomes ``Élodie``), so on
    SQLite the filter calls ``casefold``, Python's ``str.casefold`` registered as a
    function on the session's connection (again on each call: a connection from the pool
    may be new; registering is cheap and changes no data).

    PostgreSQL's ``lower()`` folds by the database's character type (``LC_CTYPE``):
    Unicode-aware under a UTF-8 locale (``en_GB.UTF-8``, ``C.UTF-8``: what a UTF-8
    database is made with, ``.ci/pg_start.sh``'s among them; only the plain ``C`` locale
    folds ASCII alone). There the column is ``lower()``-ed and the word ``str.lower()``-ed,
    which agree (``ẞ`` to ``ß``; folding ``ß`` to ``ss`` is SQLite's alone).

    A stored folded column was not chosen: the names live on the customer and carer rows,
    so it would go stale on every rename, and PostgreSQL has no ``casefold`` to fill it."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return func.lower, str.lower
    raw = session.connection().connection.driver_connection
    try:
        raw.create_function("casefold", 1, _casefold, deterministic=True)
    except TypeError:  # a driver without ``deterministic`` (older pysqlite forks)
        raw.create_function("casefold", 1, _casefold)
    return func.casefold, str.casefold


def _text_conditions(session: Session, text: str) -> list[Any]:
    """Each typed word found in the customer, the carer, the kind (code or label) or the
    reference ``inc-N``, whatever the case of either (Unicode, ``_folding``): the list
    screen's filter, as SQL (what ``GovernanceScreen`` matches in memory for the other
    views)."""
    from sqlalchemy import String, cast, literal, or_

    words = text.split()
    if not words:
        return []
    fold_sql, fold = _folding(session)
    conditions = []
    for word in map(fold, words):
        kinds = [c for c, name in INCIDENT_KINDS.items() if word in c or word in fold(name)]
        conditions.append(
            or_(
                fold_sql(func.coalesce(Customer.name, "")).contains(word, autoescape=True),
                fold_sql(func.coalesce(Carer.name, "")).contains(word, autoescape=True),
                Incident.kind.in_(kinds),
                (literal("inc-") + cast(Incident.id, String)).contains(word, autoescape=True),
            )
        )
    return conditions


def closed_incidents_page(
    session: Session,
    today: date,
    *,
    text: str = "",
    key: keyset.Key | None = None,
    backward: bool = False,
    limit: int = CLOSED_PAGE,
    with_total: bool = False,
) -> IncidentPage:
    """The closed incidents (``incident_list(..., "closed")``'s rows, in its order: the
    latest closed first), read by key: the rows after ``key`` (from the top when None), or
    with ``backward`` those just before it (from the bottom when None). ``text`` narrows
    them by words (customer, carer, kind, reference); ``with_total`` counts the list.

    The list runs down (closed_at, occurred_at, id) descending: keyset's segment runs up
    the same columns, so reading down the list is reading back along the segment."""
    access.require(session, access.GOVERNANCE)  # issue 17
    stmt, _actions = _incident_select(today)
    stmt = stmt.select_from(Incident)
    where = [Incident.status == CLOSED, *_text_conditions(session, text)]
    segment = keyset.Segment(and_(*where), (Incident.closed_at, Incident.occurred_at, Incident.id))
    found = keyset.page(session, stmt, [segment], key=key, backward=not backward, limit=limit)
    found.reverse()
    total = None
    if with_total:
        count = (
            select(func.count(Incident.id))
            .select_from(Incident)
            .outerjoin(Customer, Customer.id == Incident.customer_id)
            .outerjoin(Carer, Carer.id == Incident.carer_id)
            .where(*where)
        )
        total = int(session.scalar(count) or 0)
    return IncidentPage(
        [_to_incident_row(row) for _k, row in found], [k for k, _row in found], total
    )


def incident_row(session: Session, incident_id: int, today: date) -> IncidentRow | None:
    """One incident as a list shows it (its screen acts on this, with its version)."""
    stmt, _ = _incident_select(today)
    rows = _incident_rows(session, stmt.where(Incident.id == incident_id))
    return rows[0] if rows else None


@dataclass(frozen=True)
class GovernanceCounts:
    """What Home shows for governance."""

    awaiting_triage: int
    candour_overdue: int
    complaints_to_acknowledge: int
    complaints_overdue: int
    incident_actions_overdue: int


@cache
def _counts_statement() -> Any:
    """The five counts in one statement (one round trip: the section reads them on every
    load, the day's visits every minute), built once with ``today`` bound."""
    from coordinator_tui.models.governance import Complaint
    from coordinator_tui.services.governance.candour import overdue_candour_criteria
    from coordinator_tui.services.governance.complaints import (
        overdue_criteria,
        to_acknowledge_criteria,
    )

    today = bindparam("today", type_=Date)
    triage = select(func.count(Incident.id)).where(
        Incident.status == OPEN, Incident.triaged_at.is_(None)
    )
    actions = (
        select(func.count(Action.id))
        .join(IncidentAction, IncidentAction.action_id == Action.id)
        .where(Action.status == ActionStatus.OPEN, Action.due_date < today)
    )
    candour = select(func.count(CandourRecord.id)).where(*overdue_candour_criteria(today))
    complaints = select(func.count(Complaint.id))
    return select(
        triage.scalar_subquery(),
        candour.scalar_subquery(),
        complaints.where(*to_acknowledge_criteria()).scalar_subquery(),
        complaints.where(*overdue_criteria(today)).scalar_subquery(),
        actions.scalar_subquery(),
    )


def governance_counts(session: Session, today: date) -> GovernanceCounts:
    """Incidents awaiting triage, candour records past their limit, complaints still to
    acknowledge and past a due date, overdue incident actions: a handful of counts, read
    in one statement."""
    row = session.execute(_counts_statement(), {"today": today}).one()
    return GovernanceCounts(*(int(value or 0) for value in row))


# -- one incident in full ---------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    id: int
    version: int
    description: str
    owner: str
    due: date | None
    status: str

    def is_overdue(self, today: date) -> bool:
        """Still open after its due date (due today is not late yet)."""
        return self.status == ActionStatus.OPEN and self.due is not None and self.due < today


@dataclass(frozen=True)
class DecisionLine:
    question: str
    answer: str
    detail: str
    by: str
    at: datetime


@dataclass
class IncidentDetail:
    """Everything about one incident, for its screen and its letter."""

    incident: Incident
    customer: str
    carer: str
    visit: str
    decisions: list[DecisionLine] = field(default_factory=list)
    actions: list[ActionLine] = field(default_factory=list)
    candour: CandourRecord | None = None
    missing: list[str] = field(default_factory=list)


def incident_detail(session: Session, incident_id: int) -> IncidentDetail:
    access.require(session, access.GOVERNANCE)  # issue 17
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise GovernanceError("That incident no longer exists")
    customer = session.get(Customer, incident.customer_id) if incident.customer_id else None
    carer = session.get(Carer, incident.carer_id) if incident.carer_id else None
    visit = session.get(Visit, incident.visit_id) if incident.visit_id else None
    decisions = [
        DecisionLine(d.question, d.answer, d.detail, d.decided_by, d.decided_at)
        for d in session.scalars(
            select(IncidentDecision)
            .where(IncidentDecision.incident_id == incident_id)
            .order_by(IncidentDecision.decided_at, IncidentDecision.id)
        )
    ]
    from coordinator_tui.models import Staff

    actions = [
        ActionLine(a_id, version, text, owner or "", due, status)
        for a_id, version, text, owner, due, status in session.execute(
            select(
                Action.id,
                Action.version,
                Action.description,
                func.coalesce(Staff.name, Action.owner_label),
                Action.due_date,
                Action.status,
            )
            .join(IncidentAction, IncidentAction.action_id == Action.id)
            .outerjoin(Staff, Staff.id == Action.owner_staff_id)
            .where(IncidentAction.incident_id == incident_id)
            .order_by(Action.due_date, Action.id)
        ).all()
    ]
    candour = session.scalars(
        select(CandourRecord).where(CandourRecord.incident_id == incident_id)
    ).first()
    return IncidentDetail(
        incident,
        customer.name if customer else "",
        carer.name if carer else "",
        day_datetime(to_local(visit.start_at)) if visit else "",
        decisions,
        actions,
        candour,
        closure_missing(session, incident) if incident.status != CLOSED else [],
    )


def incident_json(row: IncidentRow, today: date) -> dict[str, object]:
    """One incident for ``governance incidents --json`` (no free text about a person)."""
    return {
        "id": row.id,
        "occurred_on": row.occurred_on.isoformat(),
        "kind": row.kind,
        "harm": row.severity,
        "customer": row.customer,
        "carer": row.carer,
        "status": row.status,
        "triaged": row.triaged,
        "notifiable": row.notifiable,
        "cqc_notification": row.cqc or None,
        "candour": row.candour_status or None,
        "candour_due": row.candour_due.isoformat() if row.candour_due else None,
        "candour_overdue": row.candour_overdue(today),
        "open_actions": row.open_actions,
        "overdue_actions": row.overdue_actions,
    }


def is_overdue(row: IncidentRow, today: date) -> bool:
    """Overdue in any way: its candour notification past the limit, or an action late."""
    return row.candour_overdue(today) or row.overdue_actions > 0
