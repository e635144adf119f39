"""A small hand-built world for the issue 18 §4-7 tests: three carers, two customers, the
skills, a week of visits (Monday 23 November 2026 to Sunday 29th)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    CarePackage,
    Carer,
    CarerSkill,
    Customer,
    Skill,
    Visit,
    VisitAssignment,
    VisitTemplate,
)

MONDAY = date(2026, 11, 23)
TODAY = MONDAY
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


@dataclass
class World:
    ann: int  # carer, MED valid until 26/11 (expires mid-week)
    bob: int  # carer, no MED
    cat: int  # carer, MED valid a year
    edith: int  # customer with medication visits at 09:00 daily, Ann on them
    frank: int  # customer, no visits
    template: int
    visits: list[int]  # Edith's visits Mon..Sun
    med: int  # skill id


def build(engine) -> World:  # noqa: ANN001
    with session_scope(engine, "setup") as s:
        med = Skill(code="MED", name="Medication")
        hoist = Skill(code="HOIST", name="Hoist")
        s.add_all([med, hoist])
        ann = Carer(name="Ann Archer", gender="female")
        bob = Carer(name="Bob Baker", gender="male")
        cat = Carer(name="Cat Carter", gender="female")
        s.add_all([ann, bob, cat])
        edith = Customer(name="Edith Crane", lat=52.0, lon=-1.0)
        frank = Customer(name="Frank Dale", lat=52.001, lon=-1.001)
        s.add_all([edith, frank])
        s.flush()
        s.add(CarerSkill(carer_id=ann.id, skill_id=med.id, expires_on=MONDAY + timedelta(days=3)))
        s.add(CarerSkill(carer_id=cat.id, skill_id=med.id, expires_on=date(2027, 11, 1)))
        package = CarePackage(customer_id=edith.id, start_date=MONDAY - timedelta(days=60))
        s.add(package)
        s.flush()
        template = VisitTemplate(
            package_id=package.id,
            window_start=time(9, 0),
            window_end=time(9, 30),
            duration_minutes=30,
            required_skills="MED",
        )
        s.add(template)
        s.flush()
        visits = []
        for offset in range(7):
            day = MONDAY + timedelta(days=offset)
            visit = Visit(
                template_id=template.id,
                customer_id=edith.id,
                visit_date=day,
                start_at=at(day, 9),
                end_at=at(day, 9, 30),
                required_skills="MED",
            )
            s.add(visit)
            s.flush()
            s.add(VisitAssignment(visit_id=visit.id, carer_id=cat.id, slot=1))
            visits.append(visit.id)
        return World(ann.id, bob.id, cat.id, edith.id, frank.id, template.id, visits, med.id)
