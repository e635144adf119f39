"""The review queue and the referrals as one plain query each: the tests' oracle.

The app reads both lists a page at a time by key (``registers.queue_page``,
``referrals.referral_page``, issue 23). These are the old whole-list queries, kept here
(not in the services: no screen or command uses them, review finding D6) so the tests can
check that the pages, read one after another, are exactly these rows in this order, and
that the queue's stored ``health_assessment_due`` equals what ``rules`` computes from the
chronology (this oracle computes it afresh for every looked-after row).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from coordinator_tui.models import (
    EntryStatus,
    Person,
    Practice,
    Referral,
    RegisterCategory,
    RegisterEntry,
    RiskLevel,
    Staff,
)
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import rules
from coordinator_tui.services.registers import QueueFilter, QueueRow


def review_queue(
    session: Session, today: date, filters: QueueFilter | None = None
) -> list[QueueRow]:
    """Active entries due for review by ``today + horizon`` (or, escalated only, every
    escalated one): overdue first, then by risk (high first, any other last), then by due
    date and id; each looked-after entry with its next health assessment computed from
    the chronology by ``rules.health_assessments_due``."""
    filters = filters or QueueFilter()
    lead = aliased(Staff)
    horizon = today + timedelta(days=filters.horizon_days)
    overdue_first = case((RegisterEntry.next_review_due < today, 0), else_=1)
    risk_rank = case(
        {RiskLevel.HIGH.value: 0, RiskLevel.MEDIUM.value: 1, RiskLevel.LOW.value: 2},
        value=RegisterEntry.risk_level,
        else_=3,
    )
    stmt = (
        select(
            RegisterEntry.id,
            RegisterEntry.version,
            Person.id,
            Person.nhs_number,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
            RegisterCategory.code,
            RegisterCategory.name,
            func.coalesce(Practice.short_name, ""),
            func.coalesce(lead.name, ""),
            RegisterEntry.risk_level,
            RegisterEntry.next_review_due,
            RegisterEntry.last_reviewed,
            RegisterEntry.escalated_at.is_not(None),
            RegisterEntry.start_date,
        )
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .outerjoin(Practice, Practice.id == RegisterEntry.practice_id)
        .outerjoin(lead, lead.id == RegisterEntry.lead_staff_id)
        .where(RegisterEntry.status == EntryStatus.ACTIVE)
        .order_by(overdue_first, risk_rank, RegisterEntry.next_review_due, RegisterEntry.id)
    )
    if filters.practice_id is not None:
        stmt = stmt.where(RegisterEntry.practice_id == filters.practice_id)
    if filters.category_id is not None:
        stmt = stmt.where(RegisterEntry.category_id == filters.category_id)
    if filters.lead_staff_id is not None:
        stmt = stmt.where(RegisterEntry.lead_staff_id == filters.lead_staff_id)
    if filters.risk_level is not None:
        stmt = stmt.where(RegisterEntry.risk_level == filters.risk_level)
    if filters.escalated_only:
        stmt = stmt.where(RegisterEntry.escalated_at.is_not(None))
    else:
        stmt = stmt.where(RegisterEntry.next_review_due <= horizon)
    rows = [QueueRow(*row) for row in session.execute(stmt).all()]
    looked_after = [r for r in rows if r.category_code in rules.LAC_REGISTERS and r.start_date]
    due = rules.health_assessments_due(
        session,
        [(r.entry_id, r.person_id, r.start_date, r.date_of_birth) for r in looked_after],
        today,
    )
    return [
        replace(r, health_assessment_due=due[r.entry_id].due) if r.entry_id in due else r
        for r in rows
    ]


def referral_list(session: Session, view: str, today: date) -> list[ref.ReferralRow]:
    """The referrals of one view, sorted by chase-by date (no date last), then id."""
    stmt = ref._row_select().where(*ref._view_conditions(view, today))
    stmt = stmt.order_by(Referral.chase_by.is_(None), Referral.chase_by, Referral.id)
    return list(map(ref.ReferralRow._make, session.connection().execute(stmt)))


def whole_queue(
    session: Session, today: date, filters: QueueFilter | None = None, *, text: str = ""
) -> list[QueueRow]:
    """The whole queue as the app reads it (``queue_page``, one page as long as the
    list): for tests that act on the queue rather than check its order."""
    from coordinator_tui.services.registers import queue_page

    return queue_page(session, today, filters, text=text, limit=10**9).rows


def whole_referrals(session: Session, view: str, today: date) -> list[ref.ReferralRow]:
    """A view of the referrals as the app reads it (``referral_page``, one page)."""
    return ref.referral_page(session, view, today, limit=10**9).rows
