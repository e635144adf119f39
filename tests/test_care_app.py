"""Medication changes, care plan reviews and capacity notes driven by keys from Governance
(6), asserting on the screen and the database (issue 18 §1-3): a change logged, its
verification by the logger refused (two-person check) and recorded by phone instead, a
carer's acknowledgement taken by phone with one key, the care plan marked updated; a
review recorded and another snoozed; a "lacks capacity" note refused without its
best-interests elements, then saved; consent recorded."""

from __future__ import annotations

from datetime import time

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import shown_text, wait_for
from sqlalchemy import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Customer
from coordinator_tui.models.care_changes import (
    CapacityAssessment,
    CareConsent,
    CarePlanReview,
    ChangeAcknowledgement,
    MedicationChange,
)
from coordinator_tui.screens.care.base import CareListScreen


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    """Who is still to acknowledge depends on the time of day: noon on the demo's day."""
    monkeypatch.setattr(CareListScreen, "wall_clock", time(12, 0))


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def _name(app) -> str:
    return type(app.screen).__name__


def notes(app) -> str:
    return " | ".join(n.message for n in app._notifications)


def count(engine, model, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def latest(engine, model):
    with session_scope(engine, "t") as s:
        return s.scalars(select(model).order_by(model.id.desc())).first()


async def open_care(pilot, app, key: str, screen: str):
    await pilot.press("6")
    await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and app.screen.loaded)
    await pilot.press(key)
    await wait_for(pilot, lambda: _name(app) == screen and app.screen.loaded)
    return app.screen


async def wait_dialog(pilot, app) -> None:
    await wait_for(pilot, lambda: _name(app) == "CareFormDialog")
    await pilot.pause()


def dialog_error(app) -> str:
    return str(app.screen.query_one("#form-error").render())


async def save(pilot, app, screen, done) -> None:
    await pilot.press("ctrl+s")
    try:
        await wait_for(pilot, lambda: app.screen is screen and done() and screen.loaded)
    except AssertionError:
        said = dialog_error(app) if app.screen is not screen else notes(app)
        raise AssertionError(said) from None
    await pilot.pause(0.05)


def _busy_customer(engine) -> str:
    """A demo customer with visits and carers through the next three days."""
    from datetime import timedelta

    from coordinator_tui.models import Visit, VisitAssignment

    with session_scope(engine, "t") as s:
        return s.scalars(
            select(Customer.name)
            .join(Visit, Visit.customer_id == Customer.id)
            .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
            .where(Visit.visit_date == DEMO_TODAY + timedelta(days=1))
            .order_by(Customer.id)
        ).first()


async def test_change_logged_verified_by_phone_acknowledged_and_done(app, small_demo_engine):
    engine = small_demo_engine
    customer = _busy_customer(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_care(pilot, app, "E", "CareChangesScreen")
        before = count(engine, MedicationChange)

        # n: the customer typed into the picker, medication from the GP (the defaults).
        await pilot.press("n")
        await wait_dialog(pilot, app)
        await pilot.press(*customer.lower())
        await pilot.pause(0.2)
        await pilot.press("enter")  # takes the customer, moves on to the kind
        await pilot.press("tab", "tab", *"Dr Example")
        await pilot.press("tab", "tab", *"10:15", "tab", *"FAX-42")
        await pilot.press("tab", *"Amlodipine stopped")
        await save(pilot, app, screen, lambda: count(engine, MedicationChange) == before + 1)
        change = latest(engine, MedicationChange)
        assert change.status == "received" and change.logged_by == "test.user"
        assert change.description == "Amlodipine stopped" and change.document_ref == "FAX-42"
        assert "pending verification" in notes(app)
        assert "NOT VERIFIED" in shown_text(screen.query_one("#care-summary"))
        keys = [r.id for r in screen.rows]
        screen.query_one("#care-table").cursor_row = keys.index(change.id)
        await pilot.pause()

        # v by the logger: refused in one line, nothing written, the form stays.
        await pilot.press("v")
        await wait_dialog(pilot, app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "verifier cannot be the person" in dialog_error(app))
        assert latest(engine, MedicationChange).verified_at is None
        # ...so the colleague who checked it by phone is named.
        await pilot.press("enter", "down", "enter")  # verified by: a colleague, by phone
        await pilot.press("tab", *"Sam Senior")
        await save(
            pilot, app, screen, lambda: latest(engine, MedicationChange).status == "verified"
        )
        change = latest(engine, MedicationChange)
        assert change.verified_by == "Sam Senior" and change.verification == "phone"
        assert change.verification_recorded_by == "test.user"
        assert "carers to acknowledge" in notes(app)

        # W: one row per carer to acknowledge, soonest first; a acknowledges by phone.
        await pilot.press("W")
        await wait_for(pilot, lambda: screen.view == "awaiting" and screen.loaded)
        mine = [r for r in screen.rows if r.change.id == change.id]
        assert mine and all(r.carer is not None for r in mine)
        first = mine[0]
        screen.query_one("#care-table").cursor_row = screen.rows.index(first)
        await pilot.pause()
        assert first.carer.name in shown_text(screen.query_one("#care-detail"))
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: (
                count(engine, ChangeAcknowledgement, ChangeAcknowledgement.change_id == change.id)
                == 1
                and screen.loaded
            ),
        )
        with session_scope(engine, "t") as s:
            ack = s.scalars(
                select(ChangeAcknowledgement).where(ChangeAcknowledgement.change_id == change.id)
            ).one()
            assert (ack.carer_id, ack.method, ack.recorded_by) == (
                first.carer.carer_id,
                "phone",
                "test.user",
            )
        await wait_for(pilot, lambda: first.carer.name + " acknowledged" in notes(app))

        # The rest acknowledge one by one, then p marks the care plan updated: done.
        while True:
            await wait_for(pilot, lambda: screen.loaded)
            rows = [r for r in screen.rows if r.change.id == change.id]
            if not rows or rows[0].carer is None:
                break
            screen.query_one("#care-table").cursor_row = screen.rows.index(rows[0])
            await pilot.pause()
            acks = count(engine, ChangeAcknowledgement) + 1
            await pilot.press("a")
            await wait_for(pilot, lambda acks=acks: count(engine, ChangeAcknowledgement) == acks)
        screen.query_one("#care-table").cursor_row = screen.rows.index(rows[0])
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: latest(engine, MedicationChange).status == "done")
        await pilot.press("D")
        await wait_for(pilot, lambda: screen.view == "done" and screen.loaded)
        assert change.id in [r.id for r in screen.rows]


async def test_review_recorded_then_one_snoozed_with_a_reason(app, small_demo_engine):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_care(pilot, app, "R", "CareReviewsScreen")
        assert screen.rows and screen.rows[0].is_overdue(DEMO_TODAY)  # overdue first
        assert "OVERDUE" in shown_text(screen.query_one("#care-summary")).upper()
        first = screen.rows[0]
        before = count(engine, CarePlanReview)  # the demo's reviews

        await pilot.press("r")
        await wait_dialog(pilot, app)
        await pilot.press("tab", "tab", *"Needs unchanged; daughter present")
        await save(pilot, app, screen, lambda: count(engine, CarePlanReview) == before + 1)
        review = latest(engine, CarePlanReview)
        assert (review.customer_id, review.status, review.event_on) == (
            first.customer_id,
            "done",
            DEMO_TODAY,
        )
        assert review.next_due.year == DEMO_TODAY.year + 1  # 12 months on, proposed
        assert first.customer_id not in [r.customer_id for r in screen.rows]

        # s without a reason: refused in one line, nothing written; with one, put off.
        target = screen.rows[0]
        await pilot.press("s")
        await wait_dialog(pilot, app)
        await pilot.press(*"+1w")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Why is required" in dialog_error(app))
        assert count(engine, CarePlanReview) == before + 1
        await pilot.press(*"Customer in hospital")  # the refusal put the focus there
        await save(pilot, app, screen, lambda: count(engine, CarePlanReview) == before + 2)
        snooze = latest(engine, CarePlanReview)
        assert snooze.status == "snoozed" and snooze.reason == "Customer in hospital"
        assert snooze.customer_id == target.customer_id
        shown = next(r for r in screen.rows if r.key == target.key)
        assert shown.snoozed_until == snooze.snoozed_until and not shown.is_overdue(DEMO_TODAY)


async def test_lacks_capacity_refused_without_best_interests_then_saved(app, small_demo_engine):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_care(pilot, app, "Y", "CapacityScreen")
        customer = screen.rows[0]
        before = count(engine, CapacityAssessment)  # the demo's two notes

        await pilot.press("n")
        await wait_dialog(pilot, app)
        await pilot.press(*"Accepting a key safe", "tab", "tab", "tab")  # date, assessor
        await pilot.press(*"Presumed; assessed after confusion", "tab")
        await pilot.press(*"Explained with pictures", "tab")
        # understand: can, retain: cannot, use or weigh: cannot, communicate: can
        for downs in (1, 2, 2, 1):
            await pilot.press("enter", *["down"] * downs, "enter", "tab", "tab")
        await pilot.press("enter", "down", "down", "enter")  # outcome: lacks capacity
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in dialog_error(app))
        error = dialog_error(app)
        for words in (
            "impairment",
            "who was consulted",
            "wishes and feelings",
            "least restrictive",
        ):
            assert words in error
        assert count(engine, CapacityAssessment) == before

        await pilot.press("tab", *"Vascular dementia", "tab", *"Son, GP", "tab")
        await pilot.press(*"Wants to stay at home", "tab", *"Key safe, not door entry", "tab")
        await pilot.press("enter", "down", "enter")  # attorney: none known
        await save(pilot, app, screen, lambda: count(engine, CapacityAssessment) == before + 1)
        note = latest(engine, CapacityAssessment)
        assert (note.customer_id, note.outcome, note.retain, note.attorney) == (
            customer.customer_id,
            "lacks_capacity",
            "cannot",
            "none",
        )
        assert note.consulted == "Son, GP" and note.recorded_by == "test.user"

        # c: consent to care decided in best interests, resting on that note.
        row = next(r for r in screen.rows if r.customer_id == customer.customer_id)
        screen.query_one("#care-table").cursor_row = screen.rows.index(row)
        await pilot.pause()
        await pilot.press("c")
        await wait_dialog(pilot, app)
        await pilot.press("enter", "down", "down", "enter")  # best interests
        # The customer's consent to care (the demo's, if they had one) now rests on it.
        mine = (
            CareConsent.customer_id == customer.customer_id,
            CareConsent.kind == "care",
            CareConsent.given == "best_interests",
        )
        await save(pilot, app, screen, lambda: count(engine, CareConsent, *mine) == 1)
        with session_scope(engine, "t") as s:
            consent = s.scalars(select(CareConsent).where(*mine)).one()
        assert (consent.kind, consent.given, consent.assessment_id) == (
            "care",
            "best_interests",
            note.id,
        )


# -- the command line: care changes, care reviews (issue 18 §8) --------------------------------


@pytest.fixture
def care_db(small_demo_path, monkeypatch) -> str:
    # The small demo holds the care changes demo (``seed_care_changes``) already.
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", DEMO_TODAY.isoformat())
    return str(small_demo_path)


def _cli(*args: str):
    from typer.testing import CliRunner

    from coordinator_tui.cli import app as cli_app

    return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)


def test_cli_care_changes(care_db):
    import json

    every = _cli("care", "changes", "--db", care_db)
    assert every.exit_code == 0, every.output
    assert "PENDING" in every.output and "to acknowledge:" in every.output
    pending = _cli("care", "changes", "--pending", "--db", care_db)
    assert "OPEN" not in pending.output and "pending verification" in pending.output
    found = json.loads(_cli("care", "changes", "--json", "--db", care_db).output)
    assert {"pending", "awaiting"} <= set(found)
    assert any(row["missing"] for row in found["awaiting"])
    assert all(row["verified_by"] == "" for row in found["pending"])


def test_cli_care_reviews(care_db):
    import json

    every = _cli("care", "reviews", "--db", care_db)
    assert every.exit_code == 0 and "OVERDUE" in every.output
    overdue = _cli("care", "reviews", "--overdue", "--db", care_db)
    lines = [line for line in overdue.output.splitlines() if line.strip()][:-1]
    assert lines and all(line.startswith("OVERDUE") for line in lines)
    found = json.loads(_cli("care", "reviews", "--overdue", "--json", "--db", care_db).output)
    assert found["today"] == DEMO_TODAY.isoformat()
    assert found["overdue"] == len(found["reviews"]) > 0


def test_cli_bad_database_is_one_line(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = _cli("care", "reviews", "--db", str(junk))
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
