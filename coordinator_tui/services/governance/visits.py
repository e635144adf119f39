"""Visits that did not happen (issue 14 §4): what actually happened on a visit, whether it
was late, short or missed, and the safeguarding vigilance that reads the pattern.

A visit's actual start and end are kept on the visit itself (``visit.actual_start``,
``actual_end``; ``status`` done or missed, so the rota's working time leaves a missed visit
out); a missed visit's reason is a ``visit_record``. The definitions are the agency's
settings with the commissioners' usual defaults (DESIGN.md section 7): late, started more
than 30 minutes after planned; short, under 75% of the planned length; missed, not started
by 23:00 on its day (or recorded missed).

Vigilance: two or more missed visits for one customer in 7 days, or three or more late or
short ones, propose a safeguarding concern (neglect or acts of omission) with the visits as
evidence. Proposals are worked out from the visits each time; the coordinator's decision
(accepted: the concern is raised on the safeguarding side; dismissed: with a reason) is
kept with the visits it covered, so the same evidence is not proposed again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, to_local
from coordinator_tui.collector import paused_collection
from coordinator_tui.models import Customer, Visit, VisitStatus, utcnow
from coordinator_tui.models.governance import SafeguardingProposal, VisitRecord
from coordinator_tui.services.governance import GovernanceConflictError, GovernanceError
from coordinator_tui.services.governance.agency import AgencySettings, agency_settings

MISSED_REASONS: dict[str, str] = {
    "no_access": "No access",
    "refused": "Refused by the customer",
    "carer_absent": "Carer did not attend",
    "hospital": "Customer in hospital",
    "other": "Other",
}
WINDOW_DAYS = 7
MISSED_THRESHOLD = 2
LATE_SHORT_THRESHOLD = 3
RULES: dict[str, str] = {
    "missed_visits": f"{MISSED_THRESHOLD} or more missed visits in {WINDOW_DAYS} days",
    "late_or_short": f"{LATE_SHORT_THRESHOLD} or more late or short visits in {WINDOW_DAYS} days",
}


# -- what happened ----------------------------------------------------------------------


@dataclass(frozen=True)
class VisitState:
    """How a visit went against the agency's definitions."""

    missed: bool = False
    late: bool = False
    short: bool = False
    minutes_late: int = 0
    share: float | None = None  # actual length over planned

    def words(self) -> str:
        parts = []
        if self.missed:
            parts.append("missed")
        if self.late:
            parts.append(f"late {self.minutes_late} min")
        if self.short and self.share is not None:
            parts.append(f"short ({self.share:.0%} of planned)")
        return ", ".join(parts) or "on time"


def classify(
    planned_start: datetime,
    planned_end: datetime,
    actual_start: datetime | None,
    actual_end: datetime | None,
    status: str,
    now: datetime,
    settings: AgencySettings,
) -> VisitState:
    """Late, short or missed, by the agency's definitions (``settings``)."""
    if status == VisitStatus.MISSED:
        return VisitState(missed=True)
    if actual_start is None:
        day = to_local(planned_start).date()
        cutoff = datetime.combine(day, settings.missed_after, tzinfo=UK)
        done_without_times = status == VisitStatus.DONE
        return VisitState(missed=not done_without_times and now >= cutoff)
    late_by = int((actual_start - planned_start).total_seconds() // 60)
    late = late_by > settings.late_minutes
    share = None
    short = False
    planned = (planned_end - planned_start).total_seconds()
    if actual_end is not None and planned > 0:
        share = (actual_end - actual_start).total_seconds() / planned
        short = share * 100 < settings.short_percent
    return VisitState(late=late, short=short, minutes_late=max(late_by, 0), share=share)


def _visit(session: Session, visit_id: int, expected_version: int | None) -> Visit:
    from coordinator_tui.services.errors import check_version

    visit = session.get(Visit, visit_id)
    check_version(
        session,
        visit,
        "visit",
        expected_version,
        missing=GovernanceError,
        conflict=GovernanceConflictError,
        gone="That visit no longer exists",
    )
    assert visit is not None  # refused above
    return visit


def _record(session: Session, visit_id: int) -> VisitRecord:
    record = session.scalars(select(VisitRecord).where(VisitRecord.visit_id == visit_id)).first()
    if record is None:
        record = VisitRecord(visit_id=visit_id)
        session.add(record)
    return record


def record_actual(
    session: Session,
    visit_id: int,
    expected_version: int | None,
    *,
    start: datetime | None,
    end: datetime | None,
    by: str,
    source: str = "typed",
    now: datetime | None = None,
) -> Visit:
    """The visit's actual start (and end, once it is over): done when it has an end."""
    now = now or utcnow()
    if start is None:
        raise GovernanceError("Give the time the visit started")
    if start > now or (end is not None and end > now):
        raise GovernanceError("A visit's actual time cannot be in the future")
    if end is not None and end <= start:
        raise GovernanceError("The visit must end after it started")
    visit = _visit(session, visit_id, expected_version)
    if abs((to_local(start).date() - visit.visit_date).days) > 1:
        raise GovernanceError("The actual start is not on the visit's day")
    visit.actual_start = start
    visit.actual_end = end
    visit.status = VisitStatus.DONE if end is not None else VisitStatus.PLANNED
    record = _record(session, visit_id)
    record.missed_reason = ""
    record.source = source[:20]
    record.recorded_by = by[:60]
    session.flush()
    return visit


def record_missed(
    session: Session,
    visit_id: int,
    expected_version: int | None,
    *,
    reason: str,
    note: str = "",
    by: str,
) -> Visit:
    """The visit did not happen, and why (no access, refused, carer absent, hospital)."""
    if reason not in MISSED_REASONS:
        raise GovernanceError("Say why the visit did not happen")
    visit = _visit(session, visit_id, expected_version)
    if visit.actual_start is not None:
        raise GovernanceError("This visit has an actual start: it happened")
    visit.status = VisitStatus.MISSED
    record = _record(session, visit_id)
    record.missed_reason = reason
    record.note = note.strip()[:300]
    record.recorded_by = by[:60]
    session.flush()
    return visit


# -- vigilance --------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A safeguarding concern the visits propose, with the visits as evidence."""

    customer_id: int
    customer: str
    rule: str
    window_start: date
    window_end: date
    visit_ids: tuple[int, ...]
    evidence: str

    @property
    def key(self) -> tuple[int, str, tuple[int, ...]]:
        return (self.customer_id, self.rule, self.visit_ids)

    @property
    def id(self) -> str:
        """Which proposal this is in a list (one per customer and rule at a time)."""
        return f"{self.customer_id}:{self.rule}"


def _decided(session: Session) -> dict[tuple[int, str], set[int]]:
    covered: dict[tuple[int, str], set[int]] = {}
    for customer_id, rule, visit_ids in session.execute(
        select(
            SafeguardingProposal.customer_id,
            SafeguardingProposal.rule,
            SafeguardingProposal.visit_ids,
        )
    ):
        ids = {int(part) for part in visit_ids.split(",") if part.strip().isdigit()}
        covered.setdefault((customer_id, rule), set()).update(ids)
    return covered


def proposals(session: Session, today: date, *, now: datetime | None = None) -> list[Proposal]:
    """Concerns the last 7 days' visits propose, not decided on already (reads the week's
    visits as narrow tuples: a few thousand rows on the large demo)."""
    now = now or utcnow()
    settings = agency_settings(session)
    start = today - timedelta(days=WINDOW_DAYS - 1)
    rows = session.execute(
        select(
            Visit.id,
            Visit.customer_id,
            Customer.name,
            Visit.visit_date,
            Visit.start_at,
            Visit.end_at,
            Visit.actual_start,
            Visit.actual_end,
            Visit.status,
            VisitRecord.missed_reason,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(
            Visit.visit_date >= start,
            Visit.visit_date <= today,
            Visit.status != VisitStatus.CANCELLED,
        )
        .order_by(Visit.customer_id, Visit.start_at)
    ).all()
    missed: dict[int, list[tuple]] = {}
    poor: dict[int, list[tuple]] = {}
    names: dict[int, str] = {}
    for visit_id, customer_id, name, _day, p_start, p_end, a_start, a_end, status, why in rows:
        names[customer_id] = name
        state = classify(p_start, p_end, a_start, a_end, status, now, settings)
        if state.missed:
            missed.setdefault(customer_id, []).append((visit_id, p_start, why))
        elif state.late or state.short:
            poor.setdefault(customer_id, []).append((visit_id, p_start, state.words()))
    decided = _decided(session)
    found: list[Proposal] = []
    for rule, groups, threshold in (
        ("missed_visits", missed, MISSED_THRESHOLD),
        ("late_or_short", poor, LATE_SHORT_THRESHOLD),
    ):
        for customer_id, visits in groups.items():
            if len(visits) < threshold:
                continue
            ids = tuple(v[0] for v in visits)
            if set(ids) <= decided.get((customer_id, rule), set()):
                continue
            lines = []
            for _, planned, detail in visits:
                when = f"{to_local(planned):%a %d/%m %H:%M}"
                if rule == "missed_visits":
                    label = MISSED_REASONS.get(detail or "", "not started")
                    lines.append(f"{when} missed ({label.lower()})")
                else:
                    lines.append(f"{when} {detail}")
            found.append(
                Proposal(
                    customer_id,
                    names[customer_id],
                    rule,
                    start,
                    today,
                    ids,
                    f"{RULES[rule]}: " + "; ".join(lines),
                )
            )
    found.sort(key=lambda p: (p.rule != "missed_visits", -len(p.visit_ids), p.customer))
    return found


def _check_still_proposed(session: Session, proposal: Proposal) -> None:
    """A colleague may have decided on the same evidence since the list was read."""
    decided = _decided(session).get((proposal.customer_id, proposal.rule), set())
    if decided and set(proposal.visit_ids) <= decided:
        last = session.scalars(
            select(SafeguardingProposal)
            .where(
                SafeguardingProposal.customer_id == proposal.customer_id,
                SafeguardingProposal.rule == proposal.rule,
            )
            .order_by(SafeguardingProposal.id.desc())
        ).first()
        who = (
            f"{last.decided_by} {last.status} it at {to_local(last.decided_at):%H:%M}"
            if last
            else ""
        )
        raise GovernanceConflictError(
            f"Refused: {who or 'someone else decided on it'} since you loaded it. Nothing was "
            "overwritten; press F5 to reload."
        )


def accept_proposal(
    session: Session, proposal: Proposal, *, by: str, today: date, now: datetime | None = None
) -> SafeguardingProposal:
    """Raise the proposed concern (neglect or acts of omission) on the safeguarding side,
    for the customer's person record, with the visits as its details."""
    from coordinator_tui.services.concerns import ConcernError, log_concern

    _check_still_proposed(session, proposal)
    customer = session.get(Customer, proposal.customer_id)
    if customer is None:
        raise GovernanceError("That customer no longer exists")
    if customer.person_id is None:
        raise GovernanceError(
            "This customer has no person record to raise the concern on: link them first"
        )
    try:
        concern = log_concern(
            session,
            person_id=customer.person_id,
            raised_by=by,
            raised_by_role="Homecare coordinator",
            raised_on=today,
            category="neglect",
            details=f"Proposed by the visits: {proposal.evidence}",
            today=today,
        )
    except ConcernError as exc:
        raise GovernanceError(str(exc)) from exc
    decision = _decision(proposal, "accepted", "", by, now)
    decision.concern_id = concern.id
    session.add(decision)
    session.flush()
    return decision


def dismiss_proposal(
    session: Session,
    proposal: Proposal,
    *,
    reason: str,
    by: str,
    now: datetime | None = None,
) -> SafeguardingProposal:
    """Not a safeguarding concern, and why (kept, so the visits are not proposed again)."""
    if not reason.strip():
        raise GovernanceError("Say why this is not a safeguarding concern")
    _check_still_proposed(session, proposal)
    decision = _decision(proposal, "dismissed", reason.strip()[:300], by, now)
    session.add(decision)
    session.flush()
    return decision


def _decision(
    proposal: Proposal, status: str, reason: str, by: str, now: datetime | None
) -> SafeguardingProposal:
    return SafeguardingProposal(
        customer_id=proposal.customer_id,
        rule=proposal.rule,
        window_start=proposal.window_start,
        window_end=proposal.window_end,
        visit_ids=",".join(map(str, proposal.visit_ids))[:400],
        evidence=proposal.evidence,
        status=status,
        reason=reason,
        decided_by=by[:60],
        decided_at=now or utcnow(),
    )


# -- the day's visits -------------------------------------------------------------------


@dataclass(frozen=True)
class DayVisit:
    """One of the day's visits as the coordinator watches them (narrow select)."""

    id: int
    version: int
    planned_start: datetime
    planned_end: datetime
    customer: str
    carers: str
    actual_start: datetime | None
    actual_end: datetime | None
    status: str
    missed_reason: str
    state: VisitState
    overdue_check_in: bool
    """Due and not started, past the tolerance (the agency's 'late'): call now."""
    carer_note: str = ""
    note_flags: str = ""
    """The reference list's words in the carer's note (``note_flags``), if any."""
    note_outcome: str = ""
    """What the coordinator made of a flagged note: concern, incident or no_action."""
    record_version: int | None = None
    """The version of the visit's ``visit_record`` (None: it has none yet)."""
    customer_id: int | None = None
    carer_ids: tuple[int, ...] = ()

    @property
    def note_to_review(self) -> bool:
        """A flagged note the coordinator has not decided on yet."""
        return bool(self.note_flags) and not self.note_outcome

    def words(self) -> str:
        if self.missed_reason:
            return f"missed: {MISSED_REASONS.get(self.missed_reason, self.missed_reason).lower()}"
        if self.overdue_check_in:
            return "NO CHECK-IN"
        if self.actual_start is not None and self.actual_end is None:
            return "in progress" + (" (late)" if self.state.late else "")
        if self.actual_start is None and not self.state.missed:
            return "done" if self.status == VisitStatus.DONE else "to come"
        return self.state.words()


_DAY_VISIT_FIELDS = tuple(field.name for field in fields(DayVisit))


def _day_visit(
    values: tuple, _new: Any = object.__new__, _set: Any = object.__setattr__
) -> DayVisit:
    """``DayVisit(*values)`` (every field's value, in order) as its constructor makes it,
    without the frozen class's ``__init__``, which sets the 18 fields one call each (about
    2 ms of the day's 1,600 visits at ten times the demo, 7% of the read).
    ``tests/test_governance_visits.py`` checks the two make the same object."""
    visit = _new(DayVisit)
    _set(visit, "__dict__", dict(zip(_DAY_VISIT_FIELDS, values, strict=True)))
    return visit


@cache
def _day_statements() -> tuple[Any, Any]:
    """The day's carers and the day's visits, built once with ``day`` bound: the screen
    reads them every minute and after each save, and building a statement costs more
    than running it on a day's few hundred visits.

    The visits' timestamps are read as the driver gives them (``type_coerce`` to a
    type with no result processing: the stored text on SQLite, the driver's
    ``datetime`` on PostgreSQL) and converted by ``_Moments``, once per distinct value:
    a day's visits start at a few hundred times, and converting each of 1,600 visits'
    four timestamps was a fifth of the read at ten times the demo."""
    from sqlalchemy import Date, String, bindparam, func, type_coerce

    from coordinator_tui.models import Carer, VisitAssignment

    day = bindparam("day", type_=Date)
    carers = (  # apart: no portable string aggregate
        select(VisitAssignment.visit_id, Carer.name, Carer.id)
        .join(Carer, Carer.id == VisitAssignment.carer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(Visit.visit_date == day)
        .order_by(VisitAssignment.visit_id, VisitAssignment.slot)
    )
    visits = (
        select(
            Visit.id,
            Visit.version,
            type_coerce(Visit.start_at, String()),
            type_coerce(Visit.end_at, String()),
            Customer.name,
            type_coerce(Visit.actual_start, String()),
            type_coerce(Visit.actual_end, String()),
            Visit.status,
            func.coalesce(VisitRecord.missed_reason, ""),
            func.coalesce(VisitRecord.carer_note, ""),
            func.coalesce(VisitRecord.note_flags, ""),
            func.coalesce(VisitRecord.note_outcome, ""),
            VisitRecord.version,
            Visit.customer_id,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(Visit.visit_date == day, Visit.status != VisitStatus.CANCELLED)
        .order_by(Visit.start_at, Visit.id)
    )
    return carers, visits


class _Moments(dict):
    """Stored timestamps, as the driver gives them, to what ``Visit``'s timestamp columns
    return (aware UTC): each distinct value converted once, by the column type's own
    result processor."""

    def __init__(self, dialect: Any) -> None:
        super().__init__({None: None})
        column_type = Visit.__table__.c.start_at.type  # type: ignore[attr-defined]
        self._convert = column_type.dialect_impl(dialect).result_processor(dialect, None) or (
            lambda value: value
        )

    def __missing__(self, raw: object) -> datetime:
        value = self[raw] = self._convert(raw)
        return value


def _classifier(now: datetime, settings: AgencySettings):
    """``classify`` with ``now`` and ``settings`` fixed, for a day's visits: whether a visit
    not started is missed depends on nothing but its planned start (its UK day's cut-off)
    once ``now`` is fixed, so it is worked out once per planned start (the UK time of each
    visit's start was a third of the read at ten times the demo)."""
    not_started: dict[datetime, VisitState] = {}
    missed = VisitStatus.MISSED
    done = VisitStatus.DONE

    def state(
        p_start: datetime,
        p_end: datetime,
        a_start: datetime | None,
        a_end: datetime | None,
        status: str,
    ) -> VisitState:
        if a_start is None and status != missed and status != done:
            found = not_started.get(p_start)
            if found is None:
                found = not_started[p_start] = classify(
                    p_start, p_end, None, None, status, now, settings
                )
            return found
        return classify(p_start, p_end, a_start, a_end, status, now, settings)

    return state


@paused_collection()
def day_visits(session: Session, day: date, now: datetime) -> list[DayVisit]:
    """The day's visits, loudest first: due with no check-in past the tolerance, then
    missed, then those with a flagged carer's note to review, then by planned start.

    The cyclic collector is paused while they are read (``collector``): at ten times the
    demo the day's 1,600 visits and their rows make about 10,000 objects, none in a
    cycle, and the young collections they set off walked them again and again."""
    settings = agency_settings(session)
    carers_stmt, visits_stmt = _day_statements()
    # on the session's connection: plain rows, without the ORM's step per row (a
    # quarter of the two statements' cost at ten times the demo)
    connection = session.connection()
    names: dict[int, list[str]] = {}
    carer_ids: dict[int, list[int]] = {}
    for visit_id, name, carer_id in connection.execute(carers_stmt, {"day": day}).all():
        names.setdefault(visit_id, []).append(name)
        carer_ids.setdefault(visit_id, []).append(carer_id)
    found = connection.execute(visits_stmt, {"day": day}).all()  # whole: iterated, a fetch a row
    moments = _Moments(connection.dialect)
    state_of = _classifier(now, settings)
    make = _day_visit
    tolerance = timedelta(minutes=settings.late_minutes)
    planned = VisitStatus.PLANNED
    # loudest first (``not`` of: overdue, missed, a note to review), each group in the
    # statement's order (planned start, then id), sorted again by planned start below
    groups: list[list[DayVisit]] = [[] for _ in range(8)]
    no_carers: list[str] = []
    for row in found:
        visit_id, version, p_start, p_end, customer, a_start, a_end, status, why = row[:9]
        note, flags, outcome, record_version, customer_id = row[9:]
        p_start = moments[p_start]
        p_end = moments[p_end]
        a_start = moments[a_start]
        a_end = moments[a_end]
        state = state_of(p_start, p_end, a_start, a_end, status)
        overdue = (
            a_start is None and status == planned and not state.missed and now > p_start + tolerance
        )
        groups[
            (0 if overdue else 4) + (0 if state.missed else 2) + (0 if flags and not outcome else 1)
        ].append(
            make(
                (
                    visit_id,
                    version,
                    p_start,
                    p_end,
                    customer,
                    " & ".join(names.get(visit_id, no_carers)),
                    a_start,
                    a_end,
                    status,
                    why,
                    state,
                    overdue,
                    note,
                    flags,
                    outcome,
                    record_version,
                    customer_id,
                    tuple(carer_ids.get(visit_id, ())),
                )
            )
        )
    result: list[DayVisit] = []
    for group in groups:
        # already in order unless a stored start's text sorts apart from its time (a
        # stable sort: as the single sort by the whole key this replaces)
        group.sort(key=_planned_start)
        result.extend(group)
    return result


def _planned_start(visit: DayVisit) -> datetime:
    return visit.planned_start
