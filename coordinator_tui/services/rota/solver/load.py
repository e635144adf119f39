"""What the solver reads from the database besides the checker's snapshot.

- the template window of each visit of the week (a visit may move within it), as epoch
  minutes of the earliest and latest start on the visit's day;
- the carers of the same call the week before (template and weekday), who are the
  customer's regulars for that very call (the roll-forward ``rota generate`` does);
- the customers' postcodes, which a travel matrix (``matrix.py``) may name them by.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import Customer, Visit, VisitAssignment, VisitStatus, VisitTemplate
from coordinator_tui.services.rota.snapshot import (
    WeekSnapshot,
    load_week,
    local_midnight,
    week_monday,
)


@dataclass
class Loaded:
    """A week as the solver needs it."""

    snap: WeekSnapshot
    windows: dict[int, tuple[int, int]]  # visit -> (earliest, latest) start, epoch minutes
    last_week: dict[int, tuple[int, ...]]  # visit -> carers of the same call last week
    postcodes: dict[int, str] = field(default_factory=dict)  # customer -> postcode


def load_problem(session: Session, day: date) -> Loaded:
    """The week holding ``day``: the checker's snapshot, windows and last week's carers."""
    snap = load_week(session, day)
    monday = week_monday(day)
    sunday = monday + timedelta(days=6)
    windows: dict[int, tuple[int, int]] = {}
    template_of: dict[int, tuple[int, int]] = {}
    for visit_id, visit_day, opens, closes, template_id in session.execute(
        select(
            Visit.id,
            Visit.visit_date,
            VisitTemplate.window_start,
            VisitTemplate.window_end,
            VisitTemplate.id,
        )
        .join(VisitTemplate, VisitTemplate.id == Visit.template_id)
        .where(Visit.visit_date.between(monday, sunday))
    ):
        visit = snap.visits.get(visit_id)
        if visit is None:
            continue
        template_of[visit_id] = (template_id, visit_day.weekday())
        midnight = local_midnight(visit_day)
        low = midnight + opens.hour * 60 + opens.minute
        high = midnight + closes.hour * 60 + closes.minute - visit.minutes
        if high >= low:
            windows[visit_id] = (low, high)
    before: dict[tuple[int, int], list[int]] = defaultdict(list)
    for template_id, visit_day, carer_id in session.execute(
        select(Visit.template_id, Visit.visit_date, VisitAssignment.carer_id)
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.visit_date.between(monday - timedelta(days=7), monday - timedelta(days=1)),
            Visit.template_id.is_not(None),
            Visit.status != VisitStatus.CANCELLED,
        )
        .order_by(Visit.template_id, Visit.visit_date, VisitAssignment.slot)
    ):
        before[(template_id, visit_day.weekday())].append(carer_id)
    last_week = {
        visit_id: tuple(before[key]) for visit_id, key in template_of.items() if key in before
    }
    postcodes = {
        customer_id: postcode
        for customer_id, postcode in session.execute(
            select(Customer.id, Customer.postcode).where(Customer.id.in_(list(snap.customers)))
        )
        if postcode
    }
    return Loaded(snap, windows, last_week, postcodes)
