"""``f4`` on the complaints list and on the care screens opened from Governance (issue 14
§1: an incident logged in one form from anywhere, filled in from where the coordinator is):
the highlighted row's customer, carer and visit are in the incident form, the form says
where it came from, and the incident saved by keys holds them."""

from __future__ import annotations

from datetime import time

import pytest
from pilot_helpers import wait_for
from sqlalchemy import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models.governance import Incident
from coordinator_tui.screens.care.base import CareListScreen


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    """Who is still to acknowledge a change depends on the time of day: noon."""
    monkeypatch.setattr(CareListScreen, "wall_clock", time(12, 0))


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def _name(app) -> str:
    return type(app.screen).__name__


def latest_incident(engine) -> Incident | None:
    with session_scope(engine, "t") as s:
        return s.scalars(select(Incident).order_by(Incident.id.desc())).first()


def _rows(screen) -> list:
    return getattr(screen, "rows", None) or getattr(screen, "items", None) or []


async def open_screen(pilot, app, *keys: str, name: str):
    """Governance (6), then ``keys`` (the screen's key, a view's key), until ``name``
    shows its rows."""
    await pilot.press("6")
    await wait_for(pilot, lambda: _name(app) == "GovernanceScreen" and app.screen.loaded)
    for key in keys:
        before, before_rows = app.screen, _rows(app.screen)
        await pilot.press(key)
        await wait_for(
            pilot,
            lambda before=before, before_rows=before_rows: (
                _name(app) == name
                and app.screen.loaded
                and (app.screen is not before or _rows(app.screen) is not before_rows)
            ),
            timeout=20,
        )
    screen = app.screen
    await wait_for(pilot, lambda: screen.loaded and bool(_rows(screen)), timeout=20)
    return screen


async def cursor_to(pilot, screen, wanted) -> None:
    """Down the list until the highlighted row is one ``wanted(row)`` accepts."""
    for _ in range(len(_rows(screen)) + 1):
        if wanted(screen.current()):
            return
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError("no row of the kind the test needs in the demo")


async def f4_form(pilot, app) -> object:
    await pilot.press("f4")
    await wait_for(pilot, lambda: _name(app) == "RowsFormDialog", timeout=20)
    await pilot.pause()
    dialog = app.screen
    assert dialog.form_title == "Log an incident"
    return dialog


def field(dialog, key: str):
    return dialog.query_one(f"#f-{key}").value


def context(dialog) -> str:
    return str(dialog.query_one("#form-context").render())


async def save_incident(pilot, app, engine, screen) -> Incident:
    """Type when it happened (09:30) and what happened, tabbing from field to field as a
    coordinator does, then ``ctrl+s``; the incident saved."""
    before = latest_incident(engine)
    await pilot.press("tab", *"09:30")
    for _ in range(12):
        if getattr(app.focused, "id", None) == "f-what":
            break
        await pilot.press("tab")
        await pilot.pause()
    assert getattr(app.focused, "id", None) == "f-what"
    await pilot.press(*"Found on the floor")
    await pilot.press("ctrl+s")
    await wait_for(
        pilot,
        lambda: app.screen is screen and latest_incident(engine) not in (None, before),
        timeout=20,
    )
    incident = latest_incident(engine)
    assert incident.description == "Found on the floor"
    return incident


async def check_f4(pilot, app, engine, screen, customer_id, carer_id, where: str, **more):
    dialog = await f4_form(pilot, app)
    assert field(dialog, "customer") == customer_id
    assert field(dialog, "carer") == carer_id
    assert where in context(dialog)
    for key, value in more.items():
        assert field(dialog, key) == value
    incident = await save_incident(pilot, app, engine, screen)
    assert incident.customer_id == customer_id
    assert incident.carer_id == carer_id
    return incident


async def test_f4_on_a_complaint_fills_its_customer_carer_and_visit(app, small_demo_engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, "C", name="GovernanceScreen")
        await wait_for(pilot, lambda: screen.view.area == "complaints" and screen.loaded)
        await cursor_to(pilot, screen, lambda r: r is not None and r.customer_id)
        row = screen.current()
        incident = await check_f4(
            pilot, app, small_demo_engine, screen, row.customer_id, row.carer_id, f"CMP-{row.id}"
        )
        assert incident.visit_id == row.visit_id


async def test_f4_on_a_medication_change_awaiting_a_carer(app, small_demo_engine):
    """The awaiting view (``W``): the change's customer, the carer still to acknowledge
    it, and a medication error as the kind."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, "E", "W", name="CareChangesScreen")
        await wait_for(pilot, lambda: screen.view == "awaiting" and screen.loaded)
        await cursor_to(
            pilot,
            screen,
            lambda r: r is not None and r.carer is not None and r.change.kind == "medication",
        )
        row = screen.current()
        incident = await check_f4(
            pilot,
            app,
            small_demo_engine,
            screen,
            row.change.customer_id,
            row.carer.carer_id,
            row.change.ref,
            kind="medication",
        )
        assert incident.kind == "medication"


async def test_f4_on_a_pending_change(app, small_demo_engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, "E", name="CareChangesScreen")
        row = screen.current()
        await check_f4(pilot, app, small_demo_engine, screen, row.customer_id, None, row.ref)


@pytest.mark.parametrize(
    ("key", "name", "where"),
    [
        ("R", "CareReviewsScreen", "care plan reviews"),
        ("Y", "CapacityScreen", "capacity and consent"),
        ("Q", "RequestsScreen", "discharges and change requests"),
        ("L", "ContactsScreen", "contact log"),
    ],
)
async def test_f4_on_a_care_screen_fills_the_customer(app, small_demo_engine, key, name, where):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, key, name=name)
        await pilot.press("down")  # not only the first row
        await pilot.pause()
        row = screen.current()
        assert row is not None and row.customer_id
        await check_f4(pilot, app, small_demo_engine, screen, row.customer_id, None, where)


async def test_f4_on_the_training_matrix_fills_the_carer(app, small_demo_engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, "W", name="TrainingScreen")
        await pilot.press("down")
        await pilot.pause()
        row = screen.current()
        assert row is not None and row.carer_id
        await check_f4(pilot, app, small_demo_engine, screen, None, row.carer_id, "training")


async def test_f4_with_nothing_highlighted_opens_the_form_empty(app, small_demo_engine):
    """The compliments list has no customer ids: the form opens empty, as from Home."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, app, "M", name="GovernanceScreen")
        await wait_for(pilot, lambda: screen.view.area == "compliments" and screen.loaded)
        dialog = await f4_form(pilot, app)
        assert field(dialog, "customer") is None and field(dialog, "carer") is None
