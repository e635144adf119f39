"""Concrete visits for a week, generated from the visit templates of active care packages.

``coordinator-tui rota generate --week DATE`` and the Rota screen call ``generate_week``.
It is idempotent: a template that already has its visit on a day is left alone, so running
it twice (or after the coordinator has moved a visit) never duplicates or overwrites.
Carers are rolled forward from the same template and weekday of the week before, which is
how a homecare rota is built in practice (continuity of carer), unless that carer is absent
that day; everything else is left unassigned for the coordinator. So is the time the visit
was planned for, when it lies in the template's window (the coordinator placed it there to
fit the carer's run); otherwise, and for a new template, a visit starts when its window
opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import UK
from coordinator_tui.models import (
    Absence,
    CarePackage,
    Customer,
    Visit,
    VisitAssignment,
    VisitStatus,
    VisitTemplate,
)
from coordinator_tui.services.errors import CoordinatorError


class VisitGenerationError(CoordinatorError):
    """Bad input for generation; the message is for the coordinator."""


@dataclass(frozen=True)
class GenerationResult:
    """What ``generate_week`` did, for the CLI line and the screen's notice."""

    week_start: date
    created: int
    already_there: int
    carers_rolled_forward: int
    left_unassigned: int

    def summary(self) -> str:
        return (
            f"Week of {self.week_start:%a %d %b %Y}: {self.created:,} visits created "
            f"({self.carers_rolled_forward:,} carer places rolled forward from last week, "
            f"{self.left_unassigned:,} visits left unassigned), "
            f"{self.already_there:,} already there"
        )


def week_start_of(day: date) -> date:
    """The Monday of ``day``'s week (rotas run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def _moment(day: date, clock) -> datetime:
    return datetime.combine(day, clock, tzinfo=UK)


def generate_week(session: Session, week: date, *, roll_forward: bool = True) -> GenerationResult:
    """Create the week's planned visits (``week`` may be any day of it)."""
    monday = week_start_of(week)
    sunday = monday + timedelta(days=6)
    templates = session.execute(
        select(VisitTemplate, CarePackage.customer_id, CarePackage.start_date, CarePackage.end_date)
        .join(CarePackage, CarePackage.id == VisitTemplate.package_id)
        .join(Customer, Customer.id == CarePackage.customer_id)
        .where(
            CarePackage.status == "active",
            Customer.active.is_(True),
            CarePackage.start_date <= sunday,
            or_(CarePackage.end_date.is_(None), CarePackage.end_date >= monday),
        )
        .order_by(VisitTemplate.id)
    ).all()
    existing = {
        (template_id, day)
        for template_id, day in session.execute(
            select(Visit.template_id, Visit.visit_date).where(
                Visit.visit_date.between(monday, sunday), Visit.template_id.is_not(None)
            )
        )
    }
    previous, times = _last_week(session, monday) if roll_forward else ({}, {})
    absent = _absent_days(session, monday, sunday)
    created = already = rolled = unassigned = 0
    for template, customer_id, package_start, package_end in templates:
        if len(template.weekdays) != 7 or set(template.weekdays) - {"0", "1"}:
            raise VisitGenerationError(
                f"Visit template {template.id}: weekdays must be seven 0/1 characters, "
                f"Monday first (got '{template.weekdays}')"
            )
        for offset, flag in enumerate(template.weekdays):
            day = monday + timedelta(days=offset)
            if flag != "1" or day < package_start or (package_end and day > package_end):
                continue
            if (template.id, day) in existing:
                already += 1
                continue
            planned = times.get((template.id, offset))
            in_window = planned is not None and (
                template.window_start <= planned <= template.window_end
            )
            start = _moment(day, planned if in_window and planned else template.window_start)
            visit = Visit(
                template_id=template.id,
                customer_id=customer_id,
                visit_date=day,
                start_at=start,
                end_at=start + timedelta(minutes=template.duration_minutes),
                carers_required=template.carers_required,
                required_skills=template.required_skills,
                tasks=template.tasks,
                status=VisitStatus.PLANNED,
            )
            session.add(visit)
            session.flush()
            created += 1
            carers = [
                carer
                for carer in previous.get((template.id, offset), [])
                if (carer, day) not in absent
            ][: template.carers_required]
            for slot, carer_id in enumerate(carers, start=1):
                session.add(VisitAssignment(visit_id=visit.id, carer_id=carer_id, slot=slot))
            rolled += len(carers)
            if len(carers) < template.carers_required:
                unassigned += 1
    session.flush()
    return GenerationResult(monday, created, already, rolled, unassigned)


def _last_week(
    session: Session, monday: date
) -> tuple[dict[tuple[int, int], list[int]], dict[tuple[int, int], time]]:
    """From the week before, by (template, weekday): the carers on that visit by slot,
    and the UK wall-clock time it started (the same time of day across a clock change).
    One read of last week's visits serves both."""
    before = monday - timedelta(days=7)
    rows = session.execute(
        select(Visit.template_id, Visit.visit_date, Visit.start_at, VisitAssignment.carer_id)
        .outerjoin(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.visit_date.between(before, monday - timedelta(days=1)),
            Visit.template_id.is_not(None),
            Visit.status != VisitStatus.CANCELLED,
        )
        .order_by(Visit.template_id, Visit.visit_date, VisitAssignment.slot)
    ).all()
    carers: dict[tuple[int, int], list[int]] = {}
    times: dict[tuple[int, int], time] = {}
    for template_id, day, start_at, carer_id in rows:
        key = (template_id, day.weekday())
        aware = start_at if start_at.tzinfo else start_at.replace(tzinfo=UTC)
        times[key] = aware.astimezone(UK).time().replace(tzinfo=None)
        if carer_id is not None:
            carers.setdefault(key, []).append(carer_id)
    return carers, times


def _absent_days(session: Session, first: date, last: date) -> set[tuple[int, date]]:
    """(carer, day) pairs on which a carer is absent in ``first``..``last``."""
    days: set[tuple[int, date]] = set()
    for carer_id, start, end in session.execute(
        select(Absence.carer_id, Absence.start_date, Absence.end_date).where(
            and_(Absence.start_date <= last, Absence.end_date >= first)
        )
    ):
        day = max(start, first)
        while day <= min(end, last):
            days.add((carer_id, day))
            day += timedelta(days=1)
    return days
