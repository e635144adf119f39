"""Requests, training and contacts (issue 18 §4-6) driven by keys from Governance (6),
asserting on the screen and the database: a discharge logged, triaged, answered by "Can we
take it?" and accepted into a package with its visits; a bad request refused in the form
with nothing written; a completion recorded in the matrix with one key; a follow-up done; a
rota change told; the views of each screen."""

from __future__ import annotations

import pytest
from pilot_helpers import shown_text, wait_for
from sqlalchemy import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    CarePackage,
    ChangeRequest,
    ContactLog,
    Customer,
    TrainingRecord,
    Visit,
)


@pytest.fixture
def engine(small_demo_engine):
    """The small demo, which holds the care staff demo (``seed_care_staff``) already."""
    return small_demo_engine


@pytest.fixture
def app(demo_settings, engine):
    return make_app(demo_settings, engine)


def _name(app) -> str:
    return type(app.screen).__name__


async def open_from_governance(pilot, app, key: str, name: str):
    await pilot.press("6")
    await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and app.screen.loaded)
    await pilot.press(key)
    await wait_for(pilot, lambda: _name(app) == name and app.screen.loaded)
    return app.screen


async def wait_dialog(pilot, app) -> None:
    await wait_for(pilot, lambda: _name(app) == "FormDialog")
    await pilot.pause()


def count(engine, model, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def text_of(screen, selector: str) -> str:
    return shown_text(screen.query_one(selector))


async def test_a_discharge_from_received_to_accepted(app, engine):
    with session_scope(engine, "t") as s:
        customer = (
            s.execute(
                select(Customer.name).where(~Customer.id.in_(select(ChangeRequest.customer_id)))
            )
            .scalars()
            .first()
        )
    before = count(engine, ChangeRequest)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_governance(pilot, app, "Q", "RequestsScreen")
        assert "Open:" in text_of(screen, "#staff-summary")
        assert "turnaround" in text_of(screen, "#staff-summary")
        open_before = len(screen.items)
        # n: a discharge (the first kind), the customer typed, received now, starting today
        await pilot.press("n")
        await wait_dialog(pilot, app)
        await pilot.press("tab", *customer[:6], "enter")  # the picker takes it, moves on
        await pilot.press("tab", "tab", "tab", *"08:00 12:30 17:00 21:00")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.items) > open_before)
        assert count(engine, ChangeRequest) == before + 1
        with session_scope(engine, "t") as s:
            row = (
                s.execute(select(ChangeRequest).order_by(ChangeRequest.id.desc())).scalars().first()
            )
            assert row.visit_times == "08:00,12:30,17:00,21:00" and row.kind == "discharge"
            request_id = row.id
        # t on the new request: triaged
        index = next(i for i, item in enumerate(screen.items) if item.id == request_id)
        screen.query_one("#staff-table").cursor_row = index
        await pilot.pause()
        assert screen.current().id == request_id
        await pilot.press("t")
        await wait_for(pilot, lambda: screen.current() and screen.current().stage() == "triaged")
        # c: Can we take it? The answer by day, and the answer recorded
        await pilot.press("c")
        await wait_for(pilot, lambda: request_id in screen.capacity and screen.loaded)
        await wait_for(pilot, lambda: "can be covered" in text_of(screen, "#staff-detail"))
        detail = text_of(screen, "#staff-detail")
        assert "08:00" in detail and "21:00" in detail
        with session_scope(engine, "t") as s:
            assert s.get(ChangeRequest, request_id).answered_at is not None
        # y: accept: the package, its templates, the visits
        await wait_for(pilot, lambda: screen.current() and screen.current().stage() == "answered")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                count(
                    engine,
                    ChangeRequest,
                    ChangeRequest.decision == "accepted",
                    ChangeRequest.id == request_id,
                )
                == 1
            ),
        )
        with session_scope(engine, "t") as s:
            row = s.get(ChangeRequest, request_id)
            package = s.get(CarePackage, row.package_id)
            visits = s.execute(
                select(func.count())
                .select_from(Visit)
                .where(Visit.tasks == "Hospital discharge", Visit.customer_id == row.customer_id)
            ).scalar_one()
        assert package.customer_id == row.customer_id and visits == 28
        # d: decided view shows it accepted
        await pilot.press("d")
        await wait_for(pilot, lambda: screen.view.code == "decided" and screen.loaded)
        assert any(item.id == request_id and item.stage() == "accepted" for item in screen.items)


async def test_a_bad_request_is_refused_in_the_form_and_nothing_written(app, engine):
    before = count(engine, ChangeRequest)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_governance(pilot, app, "Q", "RequestsScreen")
        await pilot.press("n")
        await wait_dialog(pilot, app)
        with session_scope(engine, "t") as s:
            customer = s.execute(select(Customer.name)).scalars().first()
        await pilot.press("tab", *customer[:6], "enter")
        await pilot.press("tab", "tab", "tab", *"25:99")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "not a time of day" in shown_text(app.screen.query_one("#form-error"))
        )
        assert _name(app) == "FormDialog"  # still open, what was typed kept
    assert count(engine, ChangeRequest) == before


async def test_one_key_records_a_completion_in_the_matrix(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_governance(pilot, app, "W", "TrainingScreen")
        summary = text_of(screen, "#staff-summary")
        assert "expired" in summary and "missing" in summary
        # find a carer with a gap on a course and record it done today with one key
        target = None
        for row_index, row in enumerate(screen.items):
            for course_index, cell in enumerate(row.cells):
                if cell.state in ("missing", "expired"):
                    target = (row_index, course_index, row.carer_id)
                    break
            if target:
                break
        assert target is not None
        row_index, course_index, carer_id = target
        screen.query_one("#staff-table").cursor_row = row_index
        for _ in range(course_index):
            await pilot.press("right")
        await pilot.pause()
        assert "never recorded" in text_of(screen, "#staff-detail") or "EXPIRED" in text_of(
            screen, "#staff-detail"
        )
        before = count(engine, TrainingRecord, TrainingRecord.carer_id == carer_id)
        await pilot.press("C")  # the key budget: one key
        await wait_for(
            pilot,
            lambda: (
                count(engine, TrainingRecord, TrainingRecord.carer_id == carer_id) == before + 1
            ),
        )
        await wait_for(
            pilot, lambda: screen.items[row_index].cells[course_index].state in ("valid", "due")
        )
        assert "valid" in text_of(screen, "#staff-detail") or "done" in text_of(
            screen, "#staff-detail"
        )
        # the other views
        await pilot.press("b")
        await wait_for(pilot, lambda: screen.view.code == "blocking" and screen.loaded)
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.view.code == "supervision" and screen.loaded)
        assert screen.items  # the demo has supervisions due


async def test_a_follow_up_done_and_a_change_told(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_governance(pilot, app, "L", "ContactsScreen")
        assert screen.items, "the demo has follow-ups to chase"
        first = screen.items[0]
        await pilot.press("d")
        await wait_dialog(pilot, app)
        await pilot.press(*"Rang back, sorted")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: all(item.id != first.id for item in screen.items))
        with session_scope(engine, "t") as s:
            done = s.get(ContactLog, first.id)
            assert done.follow_up_done_at is not None and done.follow_up_note == "Rang back, sorted"
        await pilot.press("t")
        await wait_for(pilot, lambda: screen.view.code == "to_tell" and screen.loaded)
        if screen.items:
            change = screen.items[0]
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: (
                    count(
                        engine,
                        ContactLog,
                        ContactLog.visit_id == change.visit_id,
                        ContactLog.topic == change.topic,
                    )
                    == 1
                ),
            )
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.view.code == "recent" and screen.loaded)
        assert "Contacts:" in text_of(screen, "#staff-summary")


async def test_plan_b_call_list_records_each_calls_outcome_with_one_key(
    demo_settings, small_demo_engine, monkeypatch
):
    from datetime import time as clock_time

    from test_rota_feedback_app import MONDAY, busiest, mark_absent_and_cover, rota_app

    monkeypatch.setattr(demo_settings, "now", clock_time(5, 0))
    async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
        tuesday = MONDAY.replace(day=MONDAY.day + 1)
        carer = busiest(screen, tuesday)
        plan = await mark_absent_and_cover(pilot, app, screen, carer, tuesday)
        assert plan.calls.covered
        await pilot.press("tab")  # to the call list
        await pilot.pause()
        table = plan.query_one("#call-list")
        covered = plan.calls.covered[0]
        table.cursor_row = [i.cover_id for i in plan.calls.items].index(covered.cover_id)
        await pilot.pause()
        assert "Not called yet" in shown_text(plan.query_one("#call-detail"))
        await pilot.press("n")  # no answer: one key
        await wait_for(pilot, lambda: plan.outcomes.get(covered.cover_id) == "no answer")
        await pilot.press("y")  # rang again: told
        await wait_for(pilot, lambda: plan.outcomes.get(covered.cover_id) == "told")
        await wait_for(pilot, lambda: "Called: told" in shown_text(plan.query_one("#call-detail")))
        with session_scope(small_demo_engine, "t") as s:
            calls = s.execute(
                select(ContactLog.outcome, ContactLog.topic, ContactLog.follow_up_on)
                .where(ContactLog.cover_id == covered.cover_id)
                .order_by(ContactLog.id)
            ).all()
        assert [(o, t) for o, t, _ in calls] == [("no answer", "plan_b"), ("told", "plan_b")]
        assert calls[0][2] is not None and calls[1][2] is None  # ring again, then done


async def test_a_shadow_added_on_the_carers_day_then_observed(
    demo_settings, small_demo_engine, monkeypatch
):
    from datetime import time as clock_time

    from test_rota_feedback_app import MONDAY, busiest, go_to, rota_app

    from coordinator_tui.models import SupervisionRecord, VisitShadow
    from coordinator_tui.screens.rota.carer_day import CarerDayScreen

    monkeypatch.setattr(demo_settings, "now", clock_time(5, 0))
    async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
        carer = busiest(screen, MONDAY)
        visit_id = screen.rota.state.day_visits(carer, MONDAY)[0]
        staffing = screen.rota.state.carers_of[visit_id]
        shadow_id, shadow_name = next(
            (c.id, c.name)
            for c in screen.rota.carers
            if c.id not in staffing and not screen.rota.state.day_visits(c.id, MONDAY)
        )
        await go_to(pilot, screen, carer, MONDAY)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CarerDayScreen))
        day = app.screen
        await pilot.press("h")
        await wait_dialog(pilot, app)
        await pilot.press(*shadow_name, "enter", *"first hoist visit")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is day)
        with session_scope(small_demo_engine, "t") as s:
            # The demo's new starter shadows visits too: this test's shadow is its own.
            row = (
                s.execute(select(VisitShadow).where(VisitShadow.recorded_by != "demo"))
                .scalars()
                .one()
            )
            assert (row.visit_id, row.carer_id) == (visit_id, shadow_id)
        # not staffing: the visit's carers are as they were; the day shows the shadow
        assert screen.rota.state.carers_of[visit_id] == staffing
        with_cell = day.query_one("#carer-day-stops").get_row_at(0)[3]
        assert f"◌ {shadow_name}" in str(with_cell)
        # O: what this carer observed of the shadow
        await pilot.press("O")
        await wait_dialog(pilot, app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is day)
        with session_scope(small_demo_engine, "t") as s:
            record = (
                s.execute(select(SupervisionRecord).where(SupervisionRecord.recorded_by != "demo"))
                .scalars()
                .one()
            )
            assert record.carer_id == shadow_id and record.kind == "observation"
            assert s.get(VisitShadow, row.id).outcome == "observed"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        # the shadow's own day on the grid: ◌ (shadowing only), read again from the database
        await wait_for(pilot, lambda: screen.rota.row(shadow_id)[0][0].shadows == 1)


async def test_intervals_are_a_setting(app, engine):
    from coordinator_tui.models import StaffSettings

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_governance(pilot, app, "W", "TrainingScreen")
        due_before = {row.carer_id: row.supervision_due for row in screen.items}
        await pilot.press("i")
        await wait_dialog(pilot, app)
        field = app.screen.query_one("#f-supervision")
        assert field.value == "90"
        field.value = "60"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(
            pilot,
            lambda: any(row.supervision_due != due_before[row.carer_id] for row in screen.items),
        )
    with session_scope(engine, "t") as s:
        assert s.execute(select(StaffSettings.supervision_days)).scalar_one() == 60


async def test_a_shadow_requirement_from_the_carers_day_reaches_the_checker(
    demo_settings, small_demo_engine, monkeypatch
):
    from datetime import time as clock_time

    from test_rota_feedback_app import MONDAY, busiest, go_to, rota_app

    from coordinator_tui.models import ShadowRequirement
    from coordinator_tui.screens.rota.carer_day import CarerDayScreen
    from coordinator_tui.services.rota.validate import check_week

    monkeypatch.setattr(demo_settings, "now", clock_time(5, 0))
    async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
        carer = busiest(screen, MONDAY)
        visit_id = screen.rota.state.day_visits(carer, MONDAY)[0]
        customer_id = screen.rota.visit(visit_id).customer_id
        await go_to(pilot, screen, carer, MONDAY)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CarerDayScreen))
        day = app.screen
        await pilot.press("H")
        await wait_dialog(pilot, app)
        await pilot.press(*"hoist with two")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is day)
    with session_scope(small_demo_engine, "t") as s:
        row = (
            s.execute(select(ShadowRequirement).where(ShadowRequirement.recorded_by != "demo"))
            .scalars()
            .one()
        )
        assert row.customer_id == customer_id and row.need == "hoist with two"
        found = [
            p for p in check_week(s, MONDAY) if p.code == "SHADOW_REQUIRED" and p.carer_id == carer
        ]
    assert found and all("hoist with two" in p.message for p in found)


async def test_enter_shows_one_customers_log_and_a_contact_logged_there(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_governance(pilot, app, "L", "ContactsScreen")
        first = screen.items[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.view.code == "customer" and screen.loaded)
        assert screen.items and {item.customer_id for item in screen.items} == {first.customer_id}
        assert f"{first.customer}'s contacts" in text_of(screen, "#staff-summary")
        before = len(screen.items)
        await pilot.press("n")  # the customer is filled in
        await wait_dialog(pilot, app)
        await pilot.press("tab", "tab", "tab", *"Rang to say the carer is late")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.items) == before + 1)
    with session_scope(engine, "t") as s:
        row = s.execute(select(ContactLog).order_by(ContactLog.id.desc())).scalars().first()
    assert row.customer_id == first.customer_id and row.said == "Rang to say the carer is late"
