"""The register review service: queue order, each action, conflicts, undo, compliance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from queue_oracle import whole_queue
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
    Staff,
)
from coordinator_tui.services import registers as reg

TODAY = date(2026, 11, 23)


@pytest.fixture
def world(engine):
    """Two practices, two registers, a lead and six people on registers."""
    with session_scope(engine, "setup") as s:
        p1 = Practice(ods_code="A1", name="Alpha", short_name="Alpha")
        p2 = Practice(ods_code="B2", name="Beta", short_name="Beta")
        cpp = RegisterCategory(
            code="CPP", name="Child Protection Plan", age_band="child", review_interval_days=30
        )
        s42 = RegisterCategory(
            code="S42E", name="Adult s42 enquiry", age_band="adult", review_interval_days=60
        )
        lead = Staff(name="Dr Lead", role="GP", is_safeguarding_lead=True)
        s.add_all([p1, p2, cpp, s42, lead])
        s.flush()
        specs = [
            # (family, practice, category, risk, due offset)
            ("Able", p1, cpp, "low", -5),
            ("Baker", p1, cpp, "high", -1),
            ("Carter", p2, s42, "high", 3),
            ("Dunn", p2, s42, "medium", 3),
            ("Evans", p1, cpp, "medium", 10),
            ("Far", p1, cpp, "high", 40),  # beyond the horizon
        ]
        for index, (family, practice, category, risk, offset) in enumerate(specs):
            person = Person(
                nhs_number=f"99900000{index:02d}",
                given_name="Test",
                family_name=family,
                search_name=f"{family.lower()} test",
                date_of_birth=date(2015, 1, index + 1),
                practice_id=practice.id,
            )
            s.add(person)
            s.flush()
            s.add(
                RegisterEntry(
                    person_id=person.id,
                    category_id=category.id,
                    practice_id=practice.id,
                    start_date=date(2026, 1, 1),
                    lead_staff_id=lead.id,
                    risk_level=risk,
                    next_review_due=TODAY + timedelta(days=offset),
                )
            )
    return engine


def queue(engine, **filters):
    with session_scope(engine, "t") as s:
        return whole_queue(s, TODAY, reg.QueueFilter(**filters))


def test_queue_order_overdue_then_risk_then_due(world):
    names = [r.family_name for r in queue(world)]
    assert names == ["Baker", "Able", "Carter", "Dunn", "Evans"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"risk_level": "high"}, ["Baker", "Carter"]),
        ({"horizon_days": -1}, ["Baker", "Able"]),
        ({"horizon_days": 60}, ["Baker", "Able", "Carter", "Far", "Dunn", "Evans"]),
    ],
)
def test_queue_filters(world, filters, expected):
    assert [r.family_name for r in queue(world, **filters)] == expected


def test_queue_filter_by_practice_and_category(world):
    with session_scope(world, "t") as s:
        beta = s.exec(select(Practice).where(Practice.short_name == "Beta")).one()
        cpp = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CPP")).one()
    assert [r.family_name for r in queue(world, practice_id=beta.id)] == ["Carter", "Dunn"]
    assert [r.family_name for r in queue(world, category_id=cpp.id)] == ["Baker", "Able", "Evans"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("bak", ["Baker"]),
        ("test car", ["Carter"]),
        ("99900000 03", ["Dunn"]),
        ("05/01/2015", ["Evans"]),
        ("", ["Baker", "Able", "Carter", "Dunn", "Evans"]),
    ],
)
def test_text_filter(world, needle, expected):
    assert [r.family_name for r in queue(world) if reg.matches_text(r, needle)] == expected


def _first(engine, name):
    return next(r for r in queue(engine, horizon_days=60) if r.family_name == name)


def test_review_sets_next_from_interval_and_is_audited(world):
    row = _first(world, "Baker")
    with session_scope(world, "coord") as s:
        token = reg.mark_reviewed(s, row.entry_id, row.version, today=TODAY, by="coord", note="ok")
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, row.entry_id)
        assert entry.last_reviewed == TODAY
        assert entry.next_review_due == TODAY + timedelta(days=30)
        events = s.exec(
            select(AuditEvent).where(
                AuditEvent.table_name == "register_entry",
                AuditEvent.row_id == row.entry_id,
                AuditEvent.action == "update",
            )
        ).all()
        assert len(events) == 1 and events[0].actor == "coord"
        assert s.exec(select(RegisterReview)).one().note == "ok"
    with session_scope(world, "coord") as s:
        assert reg.undo_last(s, [token]) == "Undid the review"
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, row.entry_id)
        assert entry.last_reviewed is None
        assert entry.next_review_due == TODAY - timedelta(days=1)
        assert s.exec(select(RegisterReview)).all() == []


def test_conflict_names_the_change(world):
    row = _first(world, "Able")
    with session_scope(world, "colleague") as s:
        s.get(RegisterEntry, row.entry_id).risk_level = "high"
    with (
        pytest.raises(reg.ConflictError, match="colleague changed this register entry.*risk level"),
        session_scope(world, "me") as s,
    ):
        reg.mark_reviewed(s, row.entry_id, row.version, today=TODAY, by="me")
    with session_scope(world, "t") as s:
        assert s.get(RegisterEntry, row.entry_id).last_reviewed is None


@pytest.mark.parametrize(
    ("action", "kwargs", "message"),
    [
        (reg.escalate, {"reason": "  "}, "reason"),
        (reg.end_registration, {"reason": "", "end_date": TODAY}, "reason"),
        (reg.end_registration, {"reason": "x", "end_date": None}, "date"),
        (reg.end_registration, {"reason": "x", "end_date": TODAY + timedelta(days=1)}, "future"),
        (reg.end_registration, {"reason": "x", "end_date": date(2025, 1, 1)}, "before"),
        (reg.snooze, {"until": TODAY}, "after today"),
        (reg.mark_reviewed, {"next_review": TODAY}, "after today"),
        (reg.change_entry, {"risk_level": "extreme"}, "Risk"),
        (reg.change_entry, {}, "Nothing"),
    ],
)
def test_bad_input_changes_nothing(world, action, kwargs, message):
    row = _first(world, "Carter")
    with session_scope(world, "t") as s:
        before = s.exec(select(AuditEvent)).all()
    with pytest.raises(reg.RegisterError, match=message), session_scope(world, "me") as s:
        action(s, row.entry_id, row.version, today=TODAY, by="me", **kwargs)
    with session_scope(world, "t") as s:
        assert len(s.exec(select(AuditEvent)).all()) == len(before)


def test_snooze_escalate_change_end_and_undo(world):
    row = _first(world, "Dunn")
    with session_scope(world, "me") as s:
        t1 = reg.snooze(
            s, row.entry_id, row.version, today=TODAY, by="me", until=TODAY + timedelta(days=7)
        )
    with session_scope(world, "me") as s:
        t2 = reg.escalate(
            s, row.entry_id, t1.version_after, today=TODAY, by="me", reason="no contact"
        )
    with session_scope(world, "me") as s:
        t3 = reg.change_entry(
            s, row.entry_id, t2.version_after, today=TODAY, by="me", risk_level="high"
        )
    with session_scope(world, "me") as s:
        t4 = reg.end_registration(
            s,
            row.entry_id,
            t3.version_after,
            today=TODAY,
            by="me",
            end_date=TODAY,
            reason="plan ended",
        )
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, row.entry_id)
        assert (entry.status, entry.risk_level, entry.end_reason) == ("ended", "high", "plan ended")
        assert entry.escalated_at is not None
    stack = [t1, t2, t3, t4]
    for _ in range(4):
        with session_scope(world, "me") as s:
            reg.undo_last(s, stack)
    assert stack == []
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, row.entry_id)
        assert (entry.status, entry.risk_level, entry.escalated_at) == ("active", "medium", None)
        assert entry.next_review_due == TODAY + timedelta(days=3)


def test_add_registration_refuses_duplicates(world):
    with session_scope(world, "t") as s:
        person = s.exec(select(Person).where(Person.family_name == "Able")).one()
        cpp = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CPP")).one()
        s42 = s.exec(select(RegisterCategory).where(RegisterCategory.code == "S42E")).one()
    with pytest.raises(reg.RegisterError, match="Already"), session_scope(world, "me") as s:
        reg.add_registration(
            s, person_id=person.id, category_id=cpp.id, start_date=TODAY, today=TODAY, by="me"
        )
    with session_scope(world, "me") as s:
        token = reg.add_registration(
            s,
            person_id=person.id,
            category_id=s42.id,
            start_date=TODAY,
            today=TODAY,
            by="me",
            risk_level="high",
        )
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, token.entry_id)
        assert entry.next_review_due == TODAY + timedelta(days=60)
    with session_scope(world, "me") as s:
        reg.undo(s, token)
    with session_scope(world, "t") as s:
        assert s.get(RegisterEntry, token.entry_id) is None


def test_compliance(world):
    row = _first(world, "Evans")
    with session_scope(world, "me") as s:
        reg.mark_reviewed(s, row.entry_id, row.version, today=TODAY, by="me")
    with session_scope(world, "t") as s:
        rows = {(r.practice, r.category): r for r in reg.review_compliance(s, TODAY)}
    alpha = rows[("Alpha", "Child Protection Plan")]
    assert (alpha.active, alpha.in_interval, alpha.reviews_last_month, alpha.on_time) == (
        4,
        1,
        1,
        1,
    )
    assert alpha.in_interval_pct == 25.0
    beta = rows[("Beta", "Adult s42 enquiry")]
    assert beta.on_time_pct is None


# -- issue 22: escalations stay in view until the lead resolves them --------------------


def _escalate(engine, name: str, reason: str = "no contact") -> int:
    row = _first(engine, name)
    with session_scope(engine, "me") as s:
        reg.escalate(s, row.entry_id, row.version, today=TODAY, by="me", reason=reason)
    return row.entry_id


def test_escalated_view_holds_every_escalation_whatever_its_due_date(world):
    """Home's count is 'active and escalated'; the escalated view lists exactly those,
    an entry due in 40 days (beyond the 14-day horizon) among them."""
    from coordinator_tui.services.dashboard import dashboard_counts

    for name in ("Far", "Baker"):
        _escalate(world, name)
    escalated = [r.family_name for r in queue(world, escalated_only=True)]
    assert escalated == ["Baker", "Far"]
    with session_scope(world, "t") as s:
        assert dashboard_counts(s, TODAY, 14).escalations == len(escalated)
    # The due view keeps its horizon.
    assert "Far" not in [r.family_name for r in queue(world)]


def test_reviewing_an_escalated_entry_keeps_it_escalated_until_resolved(world):
    entry_id = _escalate(world, "Baker", "school worried")
    row = next(r for r in queue(world, escalated_only=True) if r.entry_id == entry_id)
    with session_scope(world, "me") as s:
        reg.mark_reviewed(s, entry_id, row.version, today=TODAY, by="me", note="seen")
    row = next(r for r in queue(world, escalated_only=True) if r.entry_id == entry_id)
    assert row.escalated and row.next_review_due == TODAY + timedelta(days=30)

    with pytest.raises(reg.RegisterError, match="decided"), session_scope(world, "lead") as s:
        reg.resolve_escalation(s, entry_id, row.version, today=TODAY, by="lead", outcome=" ")
    with session_scope(world, "lead") as s:
        token = reg.resolve_escalation(
            s, entry_id, row.version, today=TODAY, by="lead", outcome="strategy meeting held"
        )
    assert queue(world, escalated_only=True) == []
    with session_scope(world, "t") as s:
        entry = s.get(RegisterEntry, entry_id)
        assert (entry.escalated_at, entry.escalation_reason) == (None, "")
        reviews = s.exec(
            select(RegisterReview.action, RegisterReview.note, RegisterReview.reviewed_by)
            .where(RegisterReview.entry_id == entry_id)
            .order_by(RegisterReview.id)
        ).all()
        assert reviews[-1] == ("escalation resolved", "strategy meeting held", "lead")
        audited = s.exec(
            select(AuditEvent).where(
                AuditEvent.table_name == "register_entry",
                AuditEvent.row_id == entry_id,
                AuditEvent.actor == "lead",
            )
        ).all()
        assert len(audited) == 1 and "escalated_at" in audited[0].changes
    # Not escalated now: resolving again is refused; undo brings the escalation back.
    with pytest.raises(reg.RegisterError, match="not escalated"), session_scope(world, "l") as s:
        reg.resolve_escalation(s, entry_id, token.version_after, today=TODAY, by="l", outcome="x")
    with session_scope(world, "lead") as s:
        reg.undo_last(s, [token])
    assert [r.entry_id for r in queue(world, escalated_only=True)] == [entry_id]
    with session_scope(world, "t") as s:
        assert s.get(RegisterEntry, entry_id).escalation_reason == "school worried"


def test_resolving_a_stale_entry_is_refused_with_who_changed_it(world):
    entry_id = _escalate(world, "Able")
    row = next(r for r in queue(world, escalated_only=True) if r.entry_id == entry_id)
    with session_scope(world, "colleague") as s:
        s.get(RegisterEntry, entry_id).risk_level = "high"
    with (
        pytest.raises(reg.ConflictError, match="colleague changed"),
        session_scope(world, "lead") as s,
    ):
        reg.resolve_escalation(s, entry_id, row.version, today=TODAY, by="lead", outcome="ok")
