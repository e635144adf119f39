"""The day's visits (Governance, ``V``; issue 14 §4) driven by keys, asserting on the screen
and the database: a carer's phone call ringing in a start (``c``), cover sent for a visit
with no check-in (``b``: the rota's ranked carers; the rota grid and the checker then read
the same carers), a carer's flagged note raised as a safeguarding concern (``f``) or an
incident (``i``, pre-filled), and ``f4`` pre-filled with the highlighted visit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for
from sqlalchemy import select

from coordinator_tui.app import make_app
from coordinator_tui.clock import UK, to_local
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Concern,
    ContactLog,
    Customer,
    Person,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.models.governance import Incident, VisitRecord
from coordinator_tui.services.governance.actuals_import import import_actuals

NOON = time(12, 0)


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def _name(app) -> str:
    return type(app.screen).__name__


def notes(app) -> str:
    return " | ".join(n.message for n in app._notifications)


def _planned_visits(engine, low: time, high: time) -> list[int]:
    """Today's staffed single-carer visits planned to start in [low, high), made not
    started (whatever the demo recorded for them: its governance part gives today's
    visits actual times)."""
    with session_scope(engine, "setup") as s:
        rows = s.scalars(
            select(Visit)
            .where(
                Visit.visit_date == DEMO_TODAY,
                Visit.status != VisitStatus.CANCELLED,
                Visit.carers_required == 1,
            )
            .order_by(Visit.start_at, Visit.id)
        ).all()
        staffed = set(
            s.scalars(
                select(VisitAssignment.visit_id).where(
                    VisitAssignment.visit_id.in_([v.id for v in rows])
                )
            )
        )
        chosen = [v for v in rows if v.id in staffed and low <= to_local(v.start_at).time() < high]
        for visit in chosen:
            visit.status, visit.actual_start, visit.actual_end = VisitStatus.PLANNED, None, None
            for record in s.scalars(select(VisitRecord).where(VisitRecord.visit_id == visit.id)):
                s.delete(record)
        return [v.id for v in chosen]


async def open_day(pilot, app, wall: time = NOON):
    await pilot.press("6")
    await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and app.screen.loaded)
    screen = app.screen
    screen._wall_clock = wall
    await pilot.press("V")
    await wait_for(pilot, lambda: screen.view.area == "visits" and screen.loaded)
    return screen


async def highlight(pilot, screen, visit_id: int) -> None:
    index = [r.id for r in screen.shown_rows].index(visit_id)
    await pilot.press("home", *["down"] * index)
    await wait_for(pilot, lambda: getattr(screen.current(), "id", None) == visit_id)


def row_text(screen, visit_id: int) -> str:
    index = [r.id for r in screen.shown_rows].index(visit_id)
    table = screen.query_one("#gov-table")
    return str(table.render_line(1 + index - table.scroll_offset.y).text)


def _link_person(engine, visit_id: int) -> int:
    with session_scope(engine, "setup") as s:
        customer = s.get(Customer, s.get(Visit, visit_id).customer_id)
        if customer.person_id is None:
            person = Person(
                nhs_number="9999999972",
                given_name="Test",
                family_name="Customer",
                date_of_birth=date(1938, 3, 1),
            )
            s.add(person)
            s.flush()
            customer.person_id = person.id
        return customer.person_id


def _record(engine, visit_id: int) -> VisitRecord | None:
    with session_scope(engine, "t") as s:
        return s.scalars(select(VisitRecord).where(VisitRecord.visit_id == visit_id)).first()


async def test_a_carer_rings_in_a_start(app, small_demo_engine):
    engine = small_demo_engine
    target = _planned_visits(engine, time(11, 30), time(12, 0))[0]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_day(pilot, app)
        await highlight(pilot, screen, target)
        await pilot.press("c")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        # caller: Carer (the first), name, at 12:00 (filled in), about: arrived (the first)
        await pilot.press("tab", *"Ann on her mobile", "tab", "tab", "tab")
        await pilot.press(*"Running ten minutes behind, now here")
        await pilot.press("tab", *"checked in by phone", "ctrl+s")
        await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and screen.loaded)
        await wait_for(pilot, lambda: "Call recorded" in notes(app))
        await wait_for(pilot, lambda: "in progress" in row_text(screen, target))
    with session_scope(engine, "t") as s:
        visit = s.get(Visit, target)
        assert to_local(visit.actual_start) == datetime.combine(DEMO_TODAY, NOON, tzinfo=UK)
        call = s.scalars(select(ContactLog).where(ContactLog.visit_id == target)).one()
        assert call.method == "call_in" and call.who == "Carer: Ann on her mobile"
        assert call.said.startswith("Carer arrived") and call.outcome == "checked in by phone"
    assert _record(engine, target).source == "typed"  # not counted as call monitoring


async def test_send_cover_for_a_visit_with_no_check_in(app, small_demo_engine):
    """``b`` on a visit due with no check-in: the ranked carers; ``enter`` puts the best
    in place of the carer who has not come. The rota grid then shows the new carer and
    the checker finds no hard problem for them on the visit."""
    from coordinator_tui.services.governance.agency import save_agency_settings
    from coordinator_tui.services.rota.assign import state_for

    engine = small_demo_engine
    target = _planned_visits(engine, time(9, 0), time(11, 40))[-1]
    with session_scope(engine, "setup") as s:
        save_agency_settings(  # no check-in 10 minutes after the planned start: call
            s,
            None,
            agency_name="Demo Care",
            candour_limit_days=10,
            response_months=6,
            late_minutes=10,
        )
        planned = to_local(s.get(Visit, target).start_at)
    wall = (planned + timedelta(minutes=15)).time()
    with session_scope(engine, "t") as s:
        before = tuple(
            s.scalars(select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == target))
        )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_day(pilot, app, wall)
        assert "NO CHECK-IN" in row_text(screen, target)
        await highlight(pilot, screen, target)
        await pilot.press("b")
        await wait_for(pilot, lambda: _name(app) == "CarerPicker")
        picker = app.screen
        best = next(c for c in picker.candidates if c.feasible)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: _name(app) in ("FormDialog", "GovernanceScreen") and app.screen is not picker,
        )
        if _name(app) == "FormDialog":  # soft problems: the reason is recorded
            await pilot.press(*"Nearest carer free", "ctrl+s")
        await wait_for(pilot, lambda: "sent to cover" in notes(app))
        await wait_for(pilot, lambda: screen.loaded and best.name in row_text(screen, target))
        with session_scope(engine, "t") as s:
            after = tuple(
                s.scalars(
                    select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == target)
                )
            )
            assert after == (best.carer_id,) and after != before
            state = state_for(s, DEMO_TODAY)
            hard = [p for p in state.visit_problems(target) if p.is_hard]
            assert not [p for p in hard if p.carer_id == best.carer_id]
        await pilot.press("5")
        await wait_for(pilot, lambda: _name(app) == "RotaScreen" and app.screen.rota is not None)
        assert app.screen.rota.state.carers_of[target] == (best.carer_id,)


async def test_a_flagged_note_raised_as_a_concern_and_another_as_an_incident(
    app, small_demo_engine
):
    engine = small_demo_engine
    first, second = _planned_visits(engine, time(7, 0), time(10, 0))[:2]
    person_id = _link_person(engine, first)
    with session_scope(engine, "coord") as s:
        import_actuals(
            s,
            "visit_id,date,check_in,check_out,source,notes\n"
            f"{first},{DEMO_TODAY:%d/%m/%Y},07:00,07:30,app,Bruised left arm and frightened\n"
            f"{second},{DEMO_TODAY:%d/%m/%Y},07:00,07:30,app,She fell in the night\n",
            by="ecm",
            now=datetime.combine(DEMO_TODAY, NOON, tzinfo=UK),
        )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_day(pilot, app)
        assert "⚑ NOTE" in row_text(screen, first) and "⚑ NOTE" in row_text(screen, second)
        await highlight(pilot, screen, first)
        assert "f raise a concern" in str(screen.query_one("#gov-detail").render())
        await pilot.press("f")
        await wait_for(pilot, lambda: "Safeguarding concern raised" in notes(app))
        await wait_for(pilot, lambda: screen.loaded and "⚑" not in row_text(screen, first))
        with session_scope(engine, "t") as s:
            concern = s.scalars(select(Concern).where(Concern.person_id == person_id)).one()
            assert "Bruised left arm" in concern.details and concern.status == "untriaged"
        record = _record(engine, first)
        assert (record.note_outcome, record.note_ref_id) == ("concern", concern.id)

        await highlight(pilot, screen, second)
        await pilot.press("i")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        dialog = app.screen
        assert dialog.query_one("#f-what").text.startswith("Carer's note (flagged clinical: fell)")
        await pilot.press("tab", *"07:05", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and "Incident INC-" in notes(app))
        await wait_for(pilot, lambda: _record(engine, second).note_outcome == "incident")
        with session_scope(engine, "t") as s:
            incident = s.scalars(select(Incident).where(Incident.visit_id == second)).one()
            assert incident.description.startswith("Carer's note")
            assert incident.customer_id == s.get(Visit, second).customer_id
        assert _record(engine, second).note_ref_id == incident.id


async def test_f4_on_the_days_visits_fills_in_the_visit(app, small_demo_engine):
    engine = small_demo_engine
    target = _planned_visits(engine, time(13, 0), time(18, 0))[0]
    with session_scope(engine, "t") as s:
        customer_id = s.get(Visit, target).customer_id
        carer_id = s.scalars(
            select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == target)
        ).first()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_day(pilot, app)
        await highlight(pilot, screen, target)
        await pilot.press("f4")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        assert app.screen.query_one("#f-customer").value == customer_id
        assert app.screen.query_one("#f-carer").value == carer_id


async def test_f4_on_the_rota_grid_and_the_carers_day(app, small_demo_engine):
    """Issue 14 §1: an incident logged from the rota: the grid's highlighted carer (and
    the visit with its customer when their day holds one), the carer's day's visit."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: _name(app) == "RotaScreen" and app.screen.rota is not None)
        grid = app.screen
        await pilot.press("right")  # Monday's cell of the first carer
        await wait_for(pilot, lambda: (grid.current_cell() or (0, None))[1] is not None)
        carer_id, day = grid.current_cell()
        expected = grid.incident_prefill()
        assert expected["carer_id"] == carer_id
        await pilot.press("f4")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        assert app.screen.query_one("#f-carer").value == carer_id
        if "customer_id" in expected:
            assert app.screen.query_one("#f-customer").value == expected["customer_id"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is grid)
        await pilot.press("enter")  # the carer's day
        await wait_for(pilot, lambda: _name(app) == "CarerDayScreen")
        day_screen = app.screen
        await wait_for(pilot, lambda: day_screen.detail is not None)
        prefill = day_screen.incident_prefill()
        await pilot.press("f4")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        assert app.screen.query_one("#f-carer").value == carer_id
        if day_screen.detail.stops:
            visit_id = day_screen.detail.stops[0].visit_id
            assert prefill["visit_id"] == visit_id
            assert app.screen.query_one("#f-customer").value == prefill["customer_id"]


async def test_f4_from_a_customer_on_the_person_record_and_the_contacts(app, small_demo_engine):
    """Issue 14 §1: an incident logged from a customer: their person record, and the
    contact log's highlighted row, fill the customer in."""
    engine = small_demo_engine
    visit_id = _planned_visits(engine, time(7, 0), time(22, 0))[0]
    person_id = _link_person(engine, visit_id)
    from coordinator_tui.services.care.contacts import log_contact

    with session_scope(engine, "t") as s:
        customer_id = s.get(Visit, visit_id).customer_id
        log_contact(
            s,
            customer_id=customer_id,
            at=datetime.combine(DEMO_TODAY, time(9), tzinfo=UK),
            method="call_in",
            who="daughter",
            said="Asked about Tuesday",
            by="t",
            now=datetime.combine(DEMO_TODAY, NOON, tzinfo=UK),
        )
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_person(person_id)
        await wait_for(pilot, lambda: _name(app) == "PersonScreen")
        await pilot.pause()
        await pilot.press("f4")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        assert app.screen.query_one("#f-customer").value == customer_id
        await pilot.press("escape")
        await wait_for(pilot, lambda: _name(app) == "PersonScreen")
        await pilot.press("escape")
        await pilot.press("6")
        await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and app.screen.loaded)
        await pilot.press("L")
        await wait_for(pilot, lambda: _name(app) == "ContactsScreen")
        contacts = app.screen
        await pilot.press("r")
        await wait_for(
            pilot, lambda: contacts.view.code == "recent" and contacts.current() is not None
        )
        expected = contacts.current().customer_id
        await pilot.press("f4")
        await wait_for(pilot, lambda: _name(app) == "RowsFormDialog")
        await pilot.pause()
        assert app.screen.query_one("#f-customer").value == expected
