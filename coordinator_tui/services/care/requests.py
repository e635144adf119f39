"""Hospital discharges and change requests (issue 18 §4).

A request (a hospital discharge, a new package, an increase or decrease, a short-notice
call) carries a timestamp per step: received, triaged, capacity answered, accepted or
declined (with the reason), first visit. :func:`turnaround` gives each step's median and
90th percentile, for the reports.

"Can we take it?" (:func:`can_we_take_it`) places the requested visits over the 7 days from
the start date on the rota as it stands and ranks the carers for each one with the rota's
own ranking (``rota.assign.rank_carers``: the checker's rules, continuity, travel added,
preferences), so its answer is the one the grid would give when the visits exist. It
reads each week once, and nothing is written. Accepting (:func:`accept`) creates the care
package, a visit template per requested time and the visits of those 7 days (unstaffed, for
the grid's "short of carers" list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK, to_local
from coordinator_tui.models import (
    CarePackage,
    ChangeRequest,
    Customer,
    Skill,
    Visit,
    VisitStatus,
    VisitTemplate,
)
from coordinator_tui.services.care.staff_common import CareStaffError, check_version, clean

KINDS = {
    "discharge": "Hospital discharge",
    "new_package": "New package",
    "increase": "Increase",
    "decrease": "Decrease",
    "short_notice": "Short-notice call",
}
CREATES_VISITS = {"discharge", "new_package", "increase", "short_notice"}
"""Kinds whose acceptance creates a package and visits (a decrease is carried out on the
rota by ending templates, so accepting it records the decision only)."""
DAYS = 7
WINDOW_MINUTES = 30
"""A new template's window: the visit may move up to 30 minutes after its requested time
(the commissioners' usual on-time tolerance)."""

STEPS = (
    ("triage", "received", "triaged"),
    ("capacity", "triaged", "capacity answered"),
    ("decision", "capacity answered", "decided"),
    ("first visit", "decided", "first visit"),
)


class RequestError(CareStaffError):
    """A refused change request."""


_TIME = re.compile(r"^(\d{1,2})[:.]?(\d{2})$")


def parse_times(text: str) -> tuple[time, ...]:
    """ "08:00, 12:30 17:00 2100" -> the times, in order; refused, saying which, when one is
    not a time of day or is given twice."""
    found: list[time] = []
    for part in re.split(r"[,\s;]+", (text or "").strip()):
        if not part:
            continue
        match = _TIME.match(part)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise RequestError(f"'{part[:10]}' is not a time of day (HH:MM)")
        value = time(int(match[1]), int(match[2]))
        if value in found:
            raise RequestError(f"{value:%H:%M} is given twice")
        found.append(value)
    return tuple(sorted(found))


@dataclass(frozen=True)
class RequestSpec:
    """The visits a request asks for (what "Can we take it?" places on the rota)."""

    customer_id: int
    start_date: date
    times: tuple[time, ...]
    duration_minutes: int = 30
    carers_required: int = 1
    required_skills: str = ""
    weekdays: str = "1111111"

    def days(self) -> list[date]:
        return [
            self.start_date + timedelta(days=i)
            for i in range(DAYS)
            if self.weekdays[(self.start_date + timedelta(days=i)).weekday()] == "1"
        ]


def _validate_spec(session: Session, spec: RequestSpec, kind: str) -> None:
    if session.get(Customer, spec.customer_id) is None:
        raise RequestError("That customer does not exist: add them on the rota first")
    if len(spec.weekdays) != 7 or set(spec.weekdays) - {"0", "1"}:
        raise RequestError("Weekdays are seven 0/1 characters, Monday first (1111100)")
    if kind in CREATES_VISITS:
        if not spec.times:
            raise RequestError("Give the times of the visits asked for (08:00, 12:30...)")
        if "1" not in spec.weekdays:
            raise RequestError("At least one weekday has visits")
    if not 15 <= spec.duration_minutes <= 12 * 60:
        raise RequestError(f"A visit lasts 15 minutes to 12 hours (got {spec.duration_minutes})")
    if spec.carers_required not in (1, 2):
        raise RequestError("A visit needs 1 or 2 carers")
    codes = [c.strip().upper() for c in spec.required_skills.split(",") if c.strip()]
    if codes:
        known = set(session.execute(select(Skill.code)).scalars())
        unknown = [c for c in codes if c not in {k.upper() for k in known}]
        if unknown:
            raise RequestError(
                f"Unknown skill {', '.join(unknown)}: one of {', '.join(sorted(known))}"
            )


def log_request(
    session: Session,
    *,
    kind: str,
    customer_id: int,
    received_at: datetime | None,
    start_date: date | None,
    visit_times: str,
    duration_minutes: int = 30,
    carers_required: int = 1,
    required_skills: str = "",
    weekdays: str = "1111111",
    source: str = "",
    note: str = "",
    by: str,
    now: datetime,
) -> ChangeRequest:
    """Log a request as received. Refused, writing nothing, for an unknown kind or
    customer, a time received in the future, a start before it was received, or visits
    that are not times of day."""
    if kind not in KINDS:
        raise RequestError(f"Unknown kind '{kind}': one of {', '.join(KINDS)}")
    if received_at is None:
        raise RequestError("Give when the request was received")
    if received_at > now + timedelta(minutes=1):
        raise RequestError("A request cannot be received in the future")
    if start_date is None:
        raise RequestError("Give the date care starts (or changes)")
    if start_date < to_local(received_at).date():
        raise RequestError("Care cannot start before the request was received")
    times = parse_times(visit_times)
    skills = ",".join(c.strip().upper() for c in required_skills.split(",") if c.strip())
    spec = RequestSpec(
        customer_id, start_date, times, duration_minutes, carers_required, skills, weekdays
    )
    _validate_spec(session, spec, kind)
    row = ChangeRequest(
        kind=kind,
        customer_id=customer_id,
        source=clean(source, 120),
        received_at=received_at,
        start_date=start_date,
        weekdays=weekdays,
        visit_times=",".join(f"{t:%H:%M}" for t in times),
        duration_minutes=duration_minutes,
        carers_required=carers_required,
        required_skills=skills,
        note=clean(note, 500, multiline=True),
        recorded_by=by,
    )
    session.add(row)
    session.flush()
    return row


def spec_of(row: ChangeRequest) -> RequestSpec:
    return RequestSpec(
        row.customer_id,
        row.start_date,
        parse_times(row.visit_times),
        row.duration_minutes,
        row.carers_required,
        row.required_skills,
        row.weekdays,
    )


def _load(session: Session, request_id: int, expected_version: int | None) -> ChangeRequest:
    row = session.get(ChangeRequest, request_id)
    check_version(session, row, "change_request", expected_version)
    assert row is not None
    if row.decision:
        raise RequestError(f"This request is {row.decision} already")
    return row


def triage(
    session: Session, request_id: int, expected_version: int | None, *, now: datetime
) -> ChangeRequest:
    """Mark the request triaged (read, urgency judged) now."""
    row = _load(session, request_id, expected_version)
    if row.triaged_at is not None:
        raise RequestError("This request is triaged already")
    row.triaged_at = max(now, _aware(row.received_at))
    session.flush()
    return row


def answer_capacity(
    session: Session,
    request_id: int,
    expected_version: int | None,
    *,
    answer: str,
    now: datetime,
) -> ChangeRequest:
    """Record the capacity answer (what "Can we take it?" found); triages it too if that
    was not recorded (answering it is triaging it)."""
    row = _load(session, request_id, expected_version)
    if row.triaged_at is None:
        row.triaged_at = max(now, _aware(row.received_at))
    row.answered_at = max(now, _aware(row.triaged_at))  # never before the step before it
    row.capacity_note = clean(answer, 300)
    session.flush()
    return row


def decline(
    session: Session,
    request_id: int,
    expected_version: int | None,
    *,
    reason: str,
    now: datetime,
) -> ChangeRequest:
    """Decline the request with the reason (told to whoever asked)."""
    row = _load(session, request_id, expected_version)
    reason = clean(reason, 300)
    if not reason:
        raise RequestError("Say why the request is declined")
    row.decision = "declined"
    row.decline_reason = reason
    row.decided_at = now
    session.flush()
    return row


def accept(
    session: Session,
    request_id: int,
    expected_version: int | None,
    *,
    now: datetime,
) -> ChangeRequest:
    """Accept the request. For a discharge, new package, increase or short-notice call:
    the care package (a short-notice call's ends after its 7 days), a visit template per
    requested time (window: the time to 30 minutes after) and the visits of the 7 days from
    the start, unstaffed; the first visit's time is the request's last timestamp. Refused
    before the capacity question is answered."""
    row = _load(session, request_id, expected_version)
    if row.answered_at is None:
        raise RequestError("Answer 'Can we take it?' first (c), then accept")
    row.decision = "accepted"
    row.decided_at = now
    if row.kind not in CREATES_VISITS:
        session.flush()
        return row
    spec = spec_of(row)
    _validate_spec(session, spec, row.kind)
    days = spec.days()
    weekly_visits = sum(1 for flag in spec.weekdays if flag == "1") * len(spec.times)
    package = CarePackage(
        customer_id=row.customer_id,
        start_date=row.start_date,
        end_date=(row.start_date + timedelta(days=DAYS - 1))
        if row.kind == "short_notice"
        else None,
        funder="",
        hours_per_week=round(weekly_visits * spec.duration_minutes / 60, 2),
        status="active",
    )
    session.add(package)
    session.flush()
    first: datetime | None = None
    for at in spec.times:
        window_end = (datetime.combine(date.min, at) + timedelta(minutes=WINDOW_MINUTES)).time()
        if window_end < at:
            window_end = time(23, 59)
        template = VisitTemplate(
            package_id=package.id,
            weekdays=spec.weekdays,
            window_start=at,
            window_end=window_end,
            duration_minutes=spec.duration_minutes,
            carers_required=spec.carers_required,
            required_skills=spec.required_skills,
            tasks=KINDS[row.kind],
        )
        session.add(template)
        session.flush()
        for day in days:
            start = datetime.combine(day, at, tzinfo=UK)
            session.add(
                Visit(
                    template_id=template.id,
                    customer_id=row.customer_id,
                    visit_date=day,
                    start_at=start,
                    end_at=start + timedelta(minutes=spec.duration_minutes),
                    carers_required=spec.carers_required,
                    required_skills=spec.required_skills,
                    tasks=KINDS[row.kind],
                    status=VisitStatus.PLANNED,
                )
            )
            if first is None or start < first:
                first = start
    row.package_id = package.id
    row.first_visit_at = first
    session.flush()
    return row


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- "Can we take it?" -------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitOption:
    """One requested visit and the carers who could take it, best first."""

    day: date
    at: time
    carers: tuple[str, ...]  # feasible carers' names, best first (at most 3)
    feasible: int
    needed: int
    reason: str = ""  # why nobody can, when nobody can (the best carer's first problem)

    @property
    def covered(self) -> bool:
        return self.feasible >= self.needed


@dataclass(frozen=True)
class Capacity:
    options: tuple[VisitOption, ...]
    seconds: float = 0.0
    carers: dict[str, int] = field(default_factory=dict)  # name -> visits they could take

    @property
    def covered(self) -> int:
        return sum(1 for o in self.options if o.covered)

    def summary(self) -> str:
        total = len(self.options)
        if not total:
            return "No visits asked for"
        if self.covered == total:
            return f"Yes: all {total} visits can be covered"
        return f"Partly: {self.covered} of {total} visits can be covered"


def can_we_take_it(session: Session, spec: RequestSpec) -> Capacity:
    """Rank the carers for each requested visit of the 7 days from ``spec.start_date``, on
    the rota as it stands (each visit on its own: who could cover it). Nothing is written."""
    import time as _time

    from coordinator_tui.services.rota.assign import rank_carers
    from coordinator_tui.services.rota.snapshot import (
        SVisit,
        epoch_minutes,
        load_week,
        split_skills,
        week_monday,
    )
    from coordinator_tui.services.rota.validate import RotaState

    started = _time.perf_counter()
    _validate_spec(session, spec, "new_package")
    by_week: dict[date, list[date]] = {}
    for day in spec.days():
        by_week.setdefault(week_monday(day), []).append(day)
    options: list[VisitOption] = []
    tally: dict[str, int] = {}
    skills = split_skills(spec.required_skills)
    for monday, days in sorted(by_week.items()):
        snap = load_week(session, monday)
        asked: list[tuple[int, date, time]] = []
        next_id = -1
        for day in days:
            for at in spec.times:
                start = epoch_minutes(datetime.combine(day, at, tzinfo=UK))
                snap.visits[next_id] = SVisit(
                    next_id,
                    spec.customer_id,
                    day,
                    start,
                    start + spec.duration_minutes,
                    at.hour * 60 + at.minute,
                    spec.carers_required,
                    skills,
                    VisitStatus.PLANNED,
                )
                asked.append((next_id, day, at))
                next_id -= 1
        state = RotaState(snap)
        for visit_id, day, at in asked:
            # The visit rules first (absence, availability, skills, exclusion): a carer
            # they rule out cannot take the visit whatever the week holds, so only the
            # others are ranked over their whole week (the costly part).
            open_to, refused = _visit_screen(state, visit_id)
            ranked = rank_carers(state, visit_id, only=open_to)
            feasible = [c for c in ranked if c.feasible]
            for c in feasible:
                tally[c.name] = tally.get(c.name, 0) + 1
            reason = ""
            if not feasible:
                reason = ranked[0].reason if ranked else (refused or "no active carers")
            options.append(
                VisitOption(
                    day,
                    at,
                    tuple(c.name for c in feasible[:3]),
                    len(feasible),
                    spec.carers_required,
                    reason,
                )
            )
    options.sort(key=lambda o: (o.day, o.at))
    ranked_carers = dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
    return Capacity(tuple(options), _time.perf_counter() - started, ranked_carers)


def _visit_screen(state, visit_id: int) -> tuple[set[int], str]:  # noqa: ANN001 - RotaState
    """The active carers no visit rule rules out for ``visit_id``, and the first reason
    one was ruled out (what to say when nobody can take it)."""
    from coordinator_tui.services.rota.rules.base import visit_rules_for

    snap = state.snap
    visit = snap.visits[visit_id]
    customer = snap.customers.get(visit.customer_id)
    open_to: set[int] = set()
    first_reason = ""
    for carer in snap.carers.values():
        if not carer.active:
            continue
        hard = next(
            (
                problem
                for check in visit_rules_for(carer, state)
                for problem in check(carer, visit, customer, state)
                if problem.is_hard
            ),
            None,
        )
        if hard is None and _busy(state, carer.id, visit):
            if not first_reason:
                first_reason = f"{carer.name} is on another visit then"
            continue
        if hard is None:
            open_to.add(carer.id)
        elif not first_reason:
            first_reason = hard.message
    return open_to, first_reason


def _busy(state, carer_id: int, visit) -> bool:  # noqa: ANN001 - RotaState, SVisit
    """The carer is on another visit overlapping this one (the checker's OVERLAP), on its
    day or a night visit from the day before."""
    visits = state.snap.visits
    for day in (visit.day, visit.day - timedelta(days=1)):
        for other_id in state.day_visits(carer_id, day):
            other = visits[other_id]
            if other.start < visit.end and visit.start < other.end:
                return True
    return False


def ask_and_answer(
    session: Session, request_id: int, expected_version: int | None, *, now: datetime
) -> Capacity:
    """The answer to "Can we take it?" for a logged request, recorded as the capacity step
    (one unit of work: the screen's ``c``)."""
    row = session.get(ChangeRequest, request_id)
    check_version(session, row, "change_request", expected_version)
    assert row is not None
    answer = can_we_take_it(session, spec_of(row))
    answer_capacity(session, request_id, expected_version, answer=answer.summary(), now=now)
    return answer


# -- lists and figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    id: int
    version: int
    kind: str
    customer: str
    customer_id: int
    source: str
    received_at: datetime
    triaged_at: datetime | None
    answered_at: datetime | None
    decided_at: datetime | None
    decision: str
    decline_reason: str
    capacity_note: str
    first_visit_at: datetime | None
    start_date: date
    visit_times: str
    duration_minutes: int
    carers_required: int
    required_skills: str

    def stage(self) -> str:
        if self.decision == "accepted":
            return "accepted"
        if self.decision == "declined":
            return "declined"
        if self.answered_at:
            return "answered"
        if self.triaged_at:
            return "triaged"
        return "NEW"

    @property
    def open(self) -> bool:
        return not self.decision


VIEWS = {"open": "Open requests", "decided": "Decided requests", "all": "All requests"}


def request_list(session: Session, view: str = "open") -> list[RequestRow]:
    """Requests, newest received first (``open``: not decided; ``decided``)."""
    query = (
        select(
            ChangeRequest.id,
            ChangeRequest.version,
            ChangeRequest.kind,
            Customer.name,
            ChangeRequest.customer_id,
            ChangeRequest.source,
            ChangeRequest.received_at,
            ChangeRequest.triaged_at,
            ChangeRequest.answered_at,
            ChangeRequest.decided_at,
            ChangeRequest.decision,
            ChangeRequest.decline_reason,
            ChangeRequest.capacity_note,
            ChangeRequest.first_visit_at,
            ChangeRequest.start_date,
            ChangeRequest.visit_times,
            ChangeRequest.duration_minutes,
            ChangeRequest.carers_required,
            ChangeRequest.required_skills,
        )
        .join(Customer, Customer.id == ChangeRequest.customer_id)
        .order_by(ChangeRequest.received_at.desc(), ChangeRequest.id.desc())
    )
    if view == "open":
        query = query.where(ChangeRequest.decision == "")
    elif view == "decided":
        query = query.where(ChangeRequest.decision != "")
    return [RequestRow(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class StepFigure:
    step: str
    count: int
    median_hours: float | None
    p90_hours: float | None


def percentile(values: list[float], share: float) -> float:
    """The median (``share`` 0.5: the mean of the two middle values of an even count), or
    another percentile by nearest rank (0.9: the 90th)."""
    ordered = sorted(values)
    if share == 0.5:
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def turnaround(session: Session, since: date | None = None) -> list[StepFigure]:
    """Each step's median and 90th percentile, in hours, over the requests that took it
    (received since ``since``, when given)."""
    query = select(
        ChangeRequest.received_at,
        ChangeRequest.triaged_at,
        ChangeRequest.answered_at,
        ChangeRequest.decided_at,
        ChangeRequest.first_visit_at,
    )
    if since is not None:
        query = query.where(ChangeRequest.received_at >= datetime.combine(since, time.min, UK))
    spans: list[list[float]] = [[] for _ in STEPS]
    for row in session.execute(query):
        stamps = [_aware(r) if r is not None else None for r in row]
        for index in range(len(STEPS)):
            begin, end = stamps[index], stamps[index + 1]
            if begin is not None and end is not None:
                spans[index].append(max((end - begin).total_seconds(), 0) / 3600)
    return [
        StepFigure(
            name,
            len(values),
            round(percentile(values, 0.5), 1) if values else None,
            round(percentile(values, 0.9), 1) if values else None,
        )
        for (name, _a, _b), values in zip(STEPS, spans, strict=True)
    ]
