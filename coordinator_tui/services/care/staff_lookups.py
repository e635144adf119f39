"""The choices the staff-side forms offer (customers, carers, courses), read narrowly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import Carer, Customer, TrainingCourse


def customer_choices(session: Session) -> tuple[tuple[str, int, str], ...]:
    """(label, id, what typing matches) for every active customer, by name."""
    return tuple(
        (f"{name} ({postcode})" if postcode else name, cid, f"{name} {postcode}")
        for cid, name, postcode in session.execute(
            select(Customer.id, Customer.name, Customer.postcode)
            .where(Customer.active.is_(True))
            .order_by(Customer.name, Customer.id)
        )
    )


def carer_choices(session: Session) -> tuple[tuple[str, int], ...]:
    """(name, id) for every active carer, by name."""
    return tuple(
        (name, cid)
        for cid, name in session.execute(
            select(Carer.id, Carer.name).where(Carer.active.is_(True)).order_by(Carer.name)
        )
    )


def course_choices(session: Session) -> tuple[tuple[str, int], ...]:
    """(code and name, id) for every course, in the matrix's order."""
    return tuple(
        (f"{code} {name}", cid)
        for cid, code, name in session.execute(
            select(TrainingCourse.id, TrainingCourse.code, TrainingCourse.name).order_by(
                TrainingCourse.position
            )
        )
    )
