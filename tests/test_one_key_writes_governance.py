"""Issue 12 §2 on Governance (key 6): the writes made by one key with no dialog run off the
UI thread (``screens/background_write.py``): ``x`` closing an incident, ``l`` drafting a
letter (the list's and the candour record's), ``c`` completing a candour record, ``y``
accepting a proposed safeguarding concern, and the flagged note marked decided once ``i``
has logged an incident from it.

As in ``one_key_write_steps``: another connection holds the SQLite write lock
(``BEGIN IMMEDIATE``) while the app's connections wait up to 20 s; the key is pressed, the
screen says "Saving…" and answers, a key typed meanwhile is held, nothing is written; the
lock released, the write lands and the held key acts after it. Then refusals: a lock held
past a short busy timeout, a rule (what completing still needs) and the step-up a letter
asks for: one line each, the database and the screen as they were."""

# ruff: noqa: F811 (the fixtures imported from one_key_write_steps)
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from conftest import DEMO_TODAY
from one_key_write_steps import (  # noqa: F401 (fixtures)
    app_quick,
    app_slow,
    blocked_by,
    db_file,
    notes,
    press_while_blocked,
    press_while_locked,
    quick_engine,
    refused_while_locked,
    slow_engine,
)
from pilot_helpers import shown_text, wait_for
from sqlalchemy import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Concern, Customer, Person, Visit
from coordinator_tui.models.governance import Incident
from coordinator_tui.services.governance import candour as cd
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.widgets.lazy_table import LazyTable

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


# -- setting up ----------------------------------------------------------------------------


def an_incident(engine, *, notifiable: bool = False) -> int:
    """An incident of the first customer, triaged (notifiable: its candour record open);
    not notifiable, it is investigated with a reason for no action, so ``x`` closes it."""
    with session_scope(engine, "t") as s:
        customer_id = s.scalars(select(Customer.id).order_by(Customer.id)).first()
        incident = inc.log_incident(
            s,
            occurred_at=NOW - timedelta(hours=2),
            found_at=NOW - timedelta(hours=1),
            kind="fall",
            severity="moderate" if notifiable else "low",
            description="Slipped in the kitchen",
            immediate_action="Checked, no injury",
            customer_id=customer_id,
            by="t",
            now=NOW,
        )
        incident_id = incident.id
    with session_scope(engine, "t") as s:
        result = inc.triage_incident(
            s,
            incident_id,
            None,
            notifiable="prolonged_harm" if notifiable else "no",
            cqc="no",
            safeguarding="no",
            commissioner="no",
            by="t",
            today=DEMO_TODAY,
        )
        if not notifiable:
            inc.record_investigation(
                s,
                incident_id,
                result.incident.version,
                cause="Wet floor",
                learning="Mop at the end of the visit",
                no_action_reason="A one-off; the care plan covers it",
            )
    return incident_id


def declined(engine, incident_id: int) -> None:
    """The person declined to speak to us, the attempts recorded (reg 20(5)): nothing is
    missing, so ``c`` completes the record."""
    with session_scope(engine, "t") as s:
        record = cd.record_for_incident(s, incident_id)
        cd.record_element(
            s,
            record.id,
            record.version,
            "unable",
            {"unable": "declined", "contact_attempts": "Rang twice; visited once"},
            today=DEMO_TODAY,
        )


def status(engine, incident_id: int) -> str:
    with session_scope(engine, "t") as s:
        return s.get(Incident, incident_id).status


def candour_status(engine, incident_id: int) -> str:
    with session_scope(engine, "t") as s:
        return cd.record_for_incident(s, incident_id).status


def exports(engine, incident_id: int) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "export", AuditEvent.row_id == incident_id
            )
        )


async def open_governance(pilot, app):
    await pilot.press("6")
    await wait_for(
        pilot, lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded
    )
    return app.screen


async def highlight(pilot, screen, row_id: int) -> None:
    await wait_for(pilot, lambda: screen.loaded and row_id in [r.id for r in screen.shown_rows])
    screen.query_one(LazyTable).cursor_row = [r.id for r in screen.shown_rows].index(row_id)
    await pilot.pause()
    assert screen.current().id == row_id


async def open_candour(pilot, app, screen, incident_id: int):
    await pilot.press("N")
    await wait_for(pilot, lambda: screen.view.code == "notifiable" and screen.loaded)
    await highlight(pilot, screen, incident_id)
    await pilot.press("c")
    await wait_for(
        pilot, lambda: type(app.screen).__name__ == "CandourScreen" and app.screen.loaded
    )
    return app.screen


# -- x: close an incident ------------------------------------------------------------------


async def test_close_while_the_database_is_locked(app_slow, slow_engine, db_file):
    """``x``: Saving… is said, the list answers, ``X`` typed meanwhile (the closed view)
    is held; the incident closes once the lock goes, then ``X`` shows it closed."""
    incident_id = an_incident(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        await highlight(pilot, screen, incident_id)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("x",),
            lambda: status(slow_engine, incident_id) == "closed",
            line=None,
            held=("X",),
        )
        await wait_for(pilot, lambda: f"INC-{incident_id} closed" in notes(app))
        await wait_for(
            pilot,
            lambda: (
                screen.view.code == "closed"
                and screen.loaded
                and incident_id in [r.id for r in screen.shown_rows]
            ),
        )


async def test_close_refused_past_the_busy_timeout_changes_nothing(
    app_quick, quick_engine, db_file
):
    """The lock held past the busy timeout: one line says so, the incident stays open and
    highlighted, and ``x`` again closes it."""
    incident_id = an_incident(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        await highlight(pilot, screen, incident_id)
        await refused_while_locked(pilot, app, screen, db_file, ("x",))
        assert status(quick_engine, incident_id) == "open"
        assert screen.current().id == incident_id and screen.view.code == "open"
        await pilot.press("x")
        await wait_for(pilot, lambda: status(quick_engine, incident_id) == "closed")


# -- the candour record: c complete, l the letter ------------------------------------------


async def test_candour_complete_while_locked_and_refused_naming_what_is_missing(
    app_slow, slow_engine, db_file
):
    """``c`` with an element missing: refused in the line under the elements, nothing
    written. With the attempts recorded (reg 20(5)) and the lock held: "Saving…" in that
    line, ``l`` typed meanwhile held; the record completes once the lock goes, then the
    held ``l`` drafts the letter (audited)."""
    incident_id = an_incident(slow_engine, notifiable=True)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        candour = await open_candour(pilot, app, screen, incident_id)
        await pilot.press("c")
        line = candour.query_one("#candour-missing")
        await wait_for(pilot, lambda: "Cannot mark complete" in shown_text(line, 120))
        assert not candour.writing and candour_status(slow_engine, incident_id) == "open"

        declined(slow_engine, incident_id)
        await pilot.press("f5")
        await wait_for(pilot, lambda: candour.record.unable == "declined")
        await press_while_locked(
            pilot,
            app,
            candour,
            db_file,
            ("c",),
            lambda: candour_status(slow_engine, incident_id) == "complete",
            line="#candour-missing",
            held=("l",),
        )
        await wait_for(pilot, lambda: len(candour.last_letters) == 2)
        assert exports(slow_engine, incident_id) == 2
        await wait_for(
            pilot, lambda: "COMPLETE" in shown_text(candour.query_one("#candour-summary"), 120)
        )


async def test_letter_asks_for_the_password_first_and_writes_nothing(
    app_slow, slow_engine, tmp_path
):
    """A signed-in account whose password was given 10 minutes ago: ``l`` on the candour
    record brings up the step-up prompt and writes nothing (no file, no audit event); the
    password given, ``l`` again drafts the letter. The same on the list's ``l``."""
    from coordinator_tui.screens.accounts.sign_in import StepUpScreen

    incident_id = an_incident(slow_engine, notifiable=True)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        candour = await open_candour(pilot, app, screen, incident_id)
        given = app.principal.authenticated_at
        earlier = datetime.now(UTC) - timedelta(minutes=10)

        async def asked_then_written(where) -> None:
            before = exports(slow_engine, incident_id)
            app.principal = replace(app.principal, kind="account", authenticated_at=earlier)
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, StepUpScreen))
            await wait_for(pilot, lambda: not where.writing)
            assert "Confirm it is you" in notes(app)
            assert not getattr(where, "last_letters", None)
            assert exports(slow_engine, incident_id) == before
            # the password given (as the prompt would record it), then l again
            app.principal = replace(app.principal, authenticated_at=given)
            app.pop_screen()
            await wait_for(pilot, lambda: app.screen is where)
            await pilot.press("l")
            await wait_for(pilot, lambda: len(getattr(where, "last_letters", [])) == 2)

        await asked_then_written(candour)
        assert exports(slow_engine, incident_id) == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await asked_then_written(screen)
        assert exports(slow_engine, incident_id) == 4


async def test_candour_record_opened_for_an_older_incident_while_locked(
    app_slow, slow_engine, db_file
):
    """``c`` on an incident found notifiable before candour records were kept: its record
    is opened (a write) in a worker, Saving… said while the lock is held, then the
    record's screen opens on it."""
    from coordinator_tui.screens.governance.candour import CandourScreen

    incident_id = an_incident(slow_engine, notifiable=True)
    with session_scope(slow_engine, "t") as s:
        s.delete(cd.record_for_incident(s, incident_id))
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        await pilot.press("N")
        await wait_for(pilot, lambda: screen.view.code == "notifiable" and screen.loaded)
        await highlight(pilot, screen, incident_id)
        assert not screen.current().candour_status
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("c",),
            lambda: _has_record(slow_engine, incident_id),
            line=None,
        )
        await wait_for(pilot, lambda: isinstance(app.screen, CandourScreen) and app.screen.loaded)
        assert app.screen.record.incident_id == incident_id


def _has_record(engine, incident_id: int) -> bool:
    with session_scope(engine, "t") as s:
        return cd.record_for_incident(s, incident_id) is not None


# -- y: accept a proposed concern ----------------------------------------------------------


def two_missed_visits(engine) -> tuple[int, int]:
    """A customer (with a person record) whose visits yesterday and the day before were
    missed: the vigilance proposes a neglect concern. (customer id, person id)."""
    from coordinator_tui.services.governance.visits import record_missed

    with session_scope(engine, "setup") as s:
        past = s.scalars(
            select(Visit).where(
                Visit.visit_date.in_([DEMO_TODAY - timedelta(days=1), DEMO_TODAY - timedelta(2)])
            )
        ).all()
        by_customer: dict[int, dict] = {}
        for visit in past:
            by_customer.setdefault(visit.customer_id, {}).setdefault(visit.visit_date, visit)
        customer_id = next(c for c, days in sorted(by_customer.items()) if len(days) == 2)
        person = Person(
            nhs_number="9999999972",
            given_name="Test",
            family_name="Vigilance",
            date_of_birth=datetime(1938, 3, 4).date(),
        )
        s.add(person)
        s.flush()
        s.get(Customer, customer_id).person_id = person.id
        for visit in by_customer[customer_id].values():
            visit.actual_start = visit.actual_end = None
            s.flush()
            record_missed(s, visit.id, visit.version, reason="carer_absent", by="setup")
        return customer_id, person.id


def concerns(engine, person_id: int) -> list[Concern]:
    with session_scope(engine, "t") as s:
        return list(s.scalars(select(Concern).where(Concern.person_id == person_id)))


async def test_accept_a_proposal_while_locked(app_slow, slow_engine, db_file):
    """``y`` on a proposed concern: Saving… is said, ``C`` (the complaints) typed
    meanwhile is held; the concern is raised on the safeguarding side once the lock goes,
    then ``C`` changes the view."""
    customer_id, person_id = two_missed_visits(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        screen._wall_clock = time(12, 0)
        await pilot.press("P")
        await wait_for(pilot, lambda: screen.view.area == "vigilance" and screen.loaded)
        ids = [r.customer_id for r in screen.shown_rows]
        assert customer_id in ids
        screen.query_one(LazyTable).cursor_row = ids.index(customer_id)
        await pilot.pause()
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("y",),
            lambda: len(concerns(slow_engine, person_id)) == 1,
            line=None,
            held=("C",),
        )
        (concern,) = concerns(slow_engine, person_id)
        assert concern.category == "neglect" and concern.status == "untriaged"
        await wait_for(pilot, lambda: "Safeguarding concern raised" in notes(app))
        await wait_for(pilot, lambda: screen.view.area == "complaints" and screen.loaded)


async def test_accept_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    customer_id, person_id = two_missed_visits(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        screen._wall_clock = time(12, 0)
        await pilot.press("P")
        await wait_for(pilot, lambda: screen.view.area == "vigilance" and screen.loaded)
        ids = [r.customer_id for r in screen.shown_rows]
        screen.query_one(LazyTable).cursor_row = ids.index(customer_id)
        await pilot.pause()
        await refused_while_locked(pilot, app, screen, db_file, ("y",))
        assert concerns(quick_engine, person_id) == []
        assert screen.current().customer_id == customer_id
        await pilot.press("y")
        await wait_for(pilot, lambda: len(concerns(quick_engine, person_id)) == 1)


# -- i on a flagged note: the incident logged, the note marked decided in a worker --------


async def test_flagged_note_marked_decided_off_the_ui_thread(app_slow, slow_engine, monkeypatch):
    """``i`` on a visit with a flagged carer's note: the incident form's save logs the
    incident (the dialog's worker), then the note is marked decided by it in a worker of
    the list's own. With that write held back (a database slow to answer), the list says
    Saving…, a ``down`` typed meanwhile is held, nothing is decided; let go, the note is
    decided by the incident and the ``down`` moves the cursor after."""
    import threading

    from test_governance_day_visits_app import _planned_visits, _record, open_day

    from coordinator_tui.clock import UK
    from coordinator_tui.services.governance import visit_calls
    from coordinator_tui.services.governance.actuals_import import import_actuals

    engine = slow_engine
    visit_id = _planned_visits(engine, time(7, 0), time(10, 0))[0]
    with session_scope(engine, "coord") as s:
        import_actuals(
            s,
            "visit_id,date,check_in,check_out,source,notes\n"
            f"{visit_id},{DEMO_TODAY:%d/%m/%Y},07:00,07:30,app,She fell in the night\n",
            by="ecm",
            now=datetime.combine(DEMO_TODAY, time(12, 0), tzinfo=UK),
        )
    gate = threading.Event()
    decide = visit_calls.note_decided

    def slow_note_decided(*args, **kwargs):
        assert threading.current_thread() is not threading.main_thread()
        assert gate.wait(30)
        return decide(*args, **kwargs)

    monkeypatch.setattr(visit_calls, "note_decided", slow_note_decided)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_day(pilot, app)
        await highlight(pilot, screen, visit_id)
        table = screen.query_one(LazyTable)
        index = table.cursor_row
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RowsFormDialog")
        await pilot.pause()
        await press_while_blocked(
            pilot,
            app,
            screen,
            blocked_by(gate),
            ("tab", *"07:05", "ctrl+s"),
            lambda: _record(engine, visit_id).note_outcome == "incident",
            line=None,
            held=("down",),
            on_top=True,
        )
        record = _record(engine, visit_id)
        with session_scope(engine, "t") as s:
            incident = s.scalars(select(Incident).where(Incident.visit_id == visit_id)).one()
        assert (record.note_outcome, record.note_ref_id) == ("incident", incident.id)
        await wait_for(pilot, lambda: table.cursor_row == index + 1)
