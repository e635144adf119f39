"""Governance (key 6) driven by keys, asserting on the screen and the database: an incident
logged and triaged to a Duty of Candour record, every element recorded, the record
completed and the letter drafted; closure refused naming what is missing, then closed; a
complaint from receipt to closure with an extension; a colleague's change refused."""

from __future__ import annotations

import stat
from datetime import date

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import shown_text, wait_for
from sqlalchemy import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Carer, Customer
from coordinator_tui.models.governance import (
    CandourRecord,
    Complaint,
    ComplaintStep,
    Incident,
    IncidentAction,
    IncidentDecision,
)


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


@pytest.fixture
def names(small_demo_engine) -> tuple[str, str]:
    """A customer and a carer of the small demo, to type into the pickers."""
    with session_scope(small_demo_engine, "t") as s:
        customer = s.scalars(select(Customer.name).order_by(Customer.id)).first()
        carer = s.scalars(select(Carer.name).order_by(Carer.id)).first()
    return customer, carer


def _screen_name(app) -> str:
    return type(app.screen).__name__


async def open_governance(pilot, app):
    await pilot.press("6")
    await wait_for(pilot, lambda: _screen_name(app) == "GovernanceScreen" and app.screen.loaded)
    return app.screen


async def wait_dialog(pilot, app, name: str = "FormDialog") -> None:
    await wait_for(pilot, lambda: _screen_name(app) == name)
    await pilot.pause()


async def save_and_wait(pilot, app, screen, done) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen is screen and done())
    await pilot.pause(0.05)


def notes(app) -> str:
    return " | ".join(n.message for n in app._notifications)


def latest(engine, model):
    with session_scope(engine, "t") as s:
        return s.scalars(select(model).order_by(model.id.desc())).first()


async def log_incident(pilot, app, screen, names, engine) -> Incident:
    """``n`` on the incidents: happened at 09:30 today, the customer and carer typed into
    their pickers, a fall (the first kind) with moderate harm, what happened."""
    customer, carer = names
    before = latest(engine, Incident)
    await pilot.press("n")
    await wait_dialog(pilot, app, "RowsFormDialog")
    await pilot.press("tab", *"09:30", "tab", "tab", "tab")  # found on today, found: now
    await pilot.press(*customer.split()[0].lower(), " ", *customer.split()[-1].lower())
    await pilot.pause(0.2)
    await pilot.press("enter")  # takes the customer, moves to the carer
    await pilot.press(*carer.lower())
    await pilot.pause(0.2)
    await pilot.press("enter")  # takes the carer, moves to the kind (Fall, the first)
    await pilot.press("tab", "enter", "down", "down", "enter")  # harm: moderate
    await pilot.press("tab", *"Found on the floor by the bed")
    await pilot.press("tab", *"Ambulance called")
    await save_and_wait(
        pilot, app, screen, lambda: latest(engine, Incident) not in (None, before) and screen.loaded
    )
    incident = latest(engine, Incident)
    assert incident.kind == "fall" and incident.severity == "moderate"
    assert incident.description == "Found on the floor by the bed"
    return incident


async def test_incident_to_candour_record_complete_and_letter(app, small_demo_engine, names):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        incident = await log_incident(pilot, app, screen, names, engine)
        assert incident.customer_id is not None and incident.triaged_at is None
        await wait_for(pilot, lambda: getattr(screen.current(), "id", None) == incident.id)
        assert "TRIAGE" in shown_text(screen.query_one("#gov-detail"), 120) or "triage" in str(
            screen.query_one("#gov-detail").render()
        )

        # t: notifiable (pain or psychological harm 28 days+), CQC serious injury.
        await pilot.press("t")
        await wait_dialog(pilot, app)
        await pilot.press("enter", *["down"] * 4, "enter")
        await pilot.press("tab", "enter", "down", "down", "enter")
        await save_and_wait(pilot, app, screen, lambda: latest(engine, CandourRecord) is not None)
        with session_scope(engine, "t") as s:
            decisions = {
                d.question: (d.answer, d.detail, d.decided_by)
                for d in s.scalars(
                    select(IncidentDecision).where(IncidentDecision.incident_id == incident.id)
                )
            }
        assert decisions["notifiable"] == ("yes", "prolonged_harm", "test.user")
        assert decisions["cqc"] == ("yes", "serious_injury", "test.user")
        assert decisions["safeguarding"][0] == "no"
        record = latest(engine, CandourRecord)
        # 10 working days from Monday 23 November 2026
        assert record.due_on == date(2026, 12, 7) and record.status == "open"
        assert "notify in person by 07/12/2026" in notes(app)

        # c: the candour record, every element missing; completing is refused naming them.
        await wait_for(pilot, lambda: screen.loaded)
        await pilot.press("c")
        await wait_for(pilot, lambda: _screen_name(app) == "CandourScreen" and app.screen.loaded)
        candour = app.screen
        await pilot.press("c")
        await pilot.pause()
        missing = str(candour.query_one("#candour-missing").render())
        assert "Cannot mark complete" in missing and "Notified in person" in missing
        assert latest(engine, CandourRecord).status == "open"

        async def element(*keys: str) -> None:
            version = latest(engine, CandourRecord).version
            await pilot.press("enter")
            await wait_dialog(pilot, app)
            await pilot.press(*keys)
            await save_and_wait(
                pilot,
                app,
                candour,
                lambda: latest(engine, CandourRecord).version > version and candour.loaded,
            )
            await pilot.pause(0.1)

        await element(*"Mary Crane", "tab", *"daughter")  # in person: today, by test.user
        await element(*"A named contact; GP review arranged")  # support
        await element(*"The bed rail was down at the evening visit")  # the true account
        await element(*"A review of the rota and the rail checks")  # further enquiries
        await element()  # the apology: today, by whoever notified
        await element("tab", *"Incident file, office cabinet")  # record kept securely
        await element()  # written notification: today, by post
        await element("tab", *"Rail checks added to the evening tasks")  # results
        record = latest(engine, CandourRecord)
        assert record.relevant_person == "Mary Crane" and record.notified_by == "test.user"
        assert record.written_method == "post" and record.apology_on == DEMO_TODAY
        await pilot.press("c")
        await wait_for(pilot, lambda: latest(engine, CandourRecord).status == "complete")
        await wait_for(
            pilot, lambda: "COMPLETE" in str(candour.query_one("#candour-summary").render())
        )

        # l: the written notification, Word and text, owner-only.
        await pilot.press("l")
        await wait_for(pilot, lambda: len(candour.last_letters) == 2)
        docx, txt = candour.last_letters
        for path in (docx, txt):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = txt.read_text()
        assert "Dear Mary Crane" in text and "The bed rail was down" in text
        assert "truly sorry" in text and "not recorded yet" not in text
        with session_scope(engine, "t") as s:
            exports = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "export", AuditEvent.row_id == incident.id
                )
            ).all()
        assert len(exports) == 2


async def test_closure_refused_naming_what_is_missing_then_closed(app, small_demo_engine, names):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        incident = await log_incident(pilot, app, screen, names, engine)
        await wait_for(pilot, lambda: getattr(screen.current(), "id", None) == incident.id)
        await pilot.press("x")
        await wait_for(pilot, lambda: "Cannot close" in notes(app))
        message = notes(app)
        for words in ("triage", "the cause", "at least one action", "a learning note"):
            assert words in message
        assert latest(engine, Incident).status == "open"

        await pilot.press("t")  # not notifiable, no CQC notification: the defaults
        await wait_dialog(pilot, app)
        await save_and_wait(pilot, app, screen, lambda: latest(engine, Incident).triaged_at)
        await pilot.press("i")
        await wait_dialog(pilot, app)
        await pilot.press(*"Bed rail left down", "tab", *"Rail checks on every visit")
        await save_and_wait(pilot, app, screen, lambda: latest(engine, Incident).cause != "")
        app.clear_notifications()
        await pilot.press("x")
        await wait_for(pilot, lambda: "Cannot close" in notes(app))
        assert "at least one action, or the reason for none" in notes(app)
        assert "the cause" not in notes(app)

        await pilot.press("a")  # an action for the practice manager, due in two weeks
        await wait_dialog(pilot, app)
        await pilot.press(*"Refresher on bed rails", "tab", *"PM")
        await save_and_wait(pilot, app, screen, lambda: latest(engine, IncidentAction) is not None)
        await wait_for(
            pilot,
            lambda: (
                screen.loaded
                and getattr(screen.current(), "id", None) == incident.id
                and screen.current().open_actions == 1
            ),
        )
        await pilot.press("x")
        await wait_for(pilot, lambda: latest(engine, Incident).status == "closed")
        assert latest(engine, Incident).closed_by == "test.user"


async def test_complaint_from_receipt_to_closure_with_an_extension(app, small_demo_engine, names):
    engine = small_demo_engine
    customer, _ = names
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        await pilot.press("C")
        await wait_for(pilot, lambda: screen.view.area == "complaints" and screen.loaded)
        before = latest(engine, Complaint)
        await pilot.press("n")
        await wait_dialog(pilot, app, "RowsFormDialog")
        # received today by phone (the first way), the event and when they knew of it blank
        await pilot.press("tab", "tab", "tab", "tab", *"Mary Crane", "tab", *"daughter", "tab")
        await pilot.press(*customer.lower())
        await pilot.pause(0.2)
        await pilot.press("enter", "tab")  # the customer; no carer
        await pilot.press(*"Visits later than agreed", "tab", *"Visits on time")
        await save_and_wait(
            pilot, app, screen, lambda: latest(engine, Complaint) not in (None, before)
        )
        complaint = latest(engine, Complaint)
        # SI 2009/309: acknowledge by the 3rd working day, respond within 6 months
        assert complaint.acknowledge_due == date(2026, 11, 26)
        assert complaint.response_due == date(2027, 5, 23)
        await wait_for(pilot, lambda: screen.shown_rows and screen.shown_rows[0].id == complaint.id)

        async def step(key: str, *keys: str, done) -> None:
            await pilot.press(key)
            await wait_dialog(pilot, app)
            await pilot.press(*keys)
            await save_and_wait(pilot, app, screen, done)
            await wait_for(pilot, lambda: screen.loaded)

        def saved() -> Complaint:
            return latest(engine, Complaint)

        await step("a", done=lambda: saved().acknowledged_on == DEMO_TODAY)
        await step("s", *"Rota and call logs checked", done=lambda: len(_steps(engine)) == 3)
        await step(
            "e",
            *"30/06/2027",
            "tab",
            *"Waiting for the GP's report",
            done=lambda: saved().response_due == date(2027, 6, 30),
        )
        await step("r", done=lambda: saved().response_sent_on == DEMO_TODAY)
        await step("x", *"Runs re-planned", done=lambda: saved().status == "closed")
        assert saved().outcome == "upheld" and saved().learning == "Runs re-planned"
        assert [s.kind for s in _steps(engine)] == [
            "received",
            "acknowledged",
            "investigation",
            "extension",
            "response",
            "closed",
        ]
        extension = _steps(engine)[3]
        assert extension.told_on == DEMO_TODAY and "GP's report" in extension.note

        # The closed complaint's letter names the LGSCO.
        await pilot.press("Z")
        await wait_for(pilot, lambda: screen.view.code == "closed" and screen.loaded)
        index = [r.id for r in screen.shown_rows].index(complaint.id)
        await pilot.press(*["down"] * index, "l")
        await wait_for(pilot, lambda: len(getattr(screen, "last_letters", [])) == 2)
        text = screen.last_letters[1].read_text()
        assert "Local Government and Social Care Ombudsman" in text


def _steps(engine) -> list[ComplaintStep]:
    with session_scope(engine, "t") as s:
        complaint = s.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        return list(
            s.scalars(
                select(ComplaintStep)
                .where(ComplaintStep.complaint_id == complaint.id)
                .order_by(ComplaintStep.id)
            )
        )


async def test_a_colleagues_triage_refuses_mine_and_keeps_the_dialog(app, small_demo_engine, names):
    from coordinator_tui.services.governance.incidents import triage_incident

    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        incident = await log_incident(pilot, app, screen, names, engine)
        await wait_for(pilot, lambda: getattr(screen.current(), "id", None) == incident.id)
        await pilot.press("t")
        await wait_dialog(pilot, app)
        with session_scope(engine, "colleague") as s:  # saves first
            triage_incident(
                s,
                incident.id,
                incident.version,
                notifiable="no",
                cqc="no",
                safeguarding="no",
                commissioner="no",
                by="colleague",
                today=DEMO_TODAY,
            )
        await pilot.press("ctrl+s")
        form = app.screen
        # The save is written in the dialog's worker thread: wait for its answer.
        await wait_for(pilot, lambda: "Refused" in str(form.query_one("#form-error").render()))
        assert _screen_name(app) == "FormDialog"
        error = str(app.screen.query_one("#form-error").render())
        assert "colleague changed this incident" in error


async def test_f4_logs_an_incident_from_another_section(app, small_demo_engine, names):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await wait_dialog(pilot, app, "RowsFormDialog")
        assert app.screen.form_title == "Log an incident"


async def test_candour_letter_within_ten_keys_of_the_incident(demo_settings, small_demo_engine):
    """Issue 14 §2: the written notification in at most 10 keys from the incident. From
    Governance: ``N`` (the notifiable view, the open record first) and ``l``: 2 keys."""
    from coordinator_tui.demo.governance import has_governance_demo, seed_governance

    with session_scope(small_demo_engine, "demo-seed") as s:
        if not has_governance_demo(s):
            seed_governance(s, today=DEMO_TODAY)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_governance(pilot, app)
        keys = ["N", "l"]
        await pilot.press(keys[0])
        await wait_for(pilot, lambda: screen.view.code == "notifiable" and screen.loaded)
        assert screen.shown_rows[0].candour_status == "open"
        await pilot.press(keys[1])
        await wait_for(pilot, lambda: len(getattr(screen, "last_letters", [])) == 2)
        assert len(keys) <= 10
        docx, txt = screen.last_letters
        assert docx.suffix == ".docx" and txt.suffix == ".txt"
        assert "Dear Ms Dawn Hale" in txt.read_text()


async def test_missed_visits_propose_a_concern_accepted_on_the_safeguarding_side(
    app, small_demo_engine
):
    """Issue 14 §4: a visit recorded missed by keys (the day's visits, ``m``), a second in
    7 days, the concern the vigilance proposes (``P``) accepted with ``y``: a neglect
    concern awaiting triage on the customer's person record."""
    from datetime import time, timedelta

    from coordinator_tui.models import Concern, Person, Visit
    from coordinator_tui.services.governance.visits import record_missed

    engine = small_demo_engine
    with session_scope(engine, "setup") as s:
        today_visits = s.scalars(
            select(Visit).where(Visit.visit_date == DEMO_TODAY).order_by(Visit.start_at)
        ).all()
        counts: dict[int, int] = {}
        for v in today_visits:
            counts[v.customer_id] = counts.get(v.customer_id, 0) + 1
        # this morning's first visits may have started (the demo's carers' notes): the
        # visit recorded missed here is one not started
        not_started = {v.customer_id for v in today_visits if v.actual_start is None}
        customer_id = next(c for c, n in counts.items() if n >= 2 and c in not_started)
        customer = s.get(Customer, customer_id)
        person = Person(
            nhs_number="9999999980",  # the governance demo's own customer has 9999999999
            given_name="Test",
            family_name="Customer",
            date_of_birth=date(1940, 1, 1),
        )
        s.add(person)
        s.flush()
        customer.person_id = person.id
        person_id, name = person.id, customer.name
        yesterday = s.scalars(
            select(Visit).where(
                Visit.customer_id == customer_id,
                Visit.visit_date == DEMO_TODAY - timedelta(days=1),
            )
        ).first()
        # No call logged for it (the governance demo gives past visits actual times).
        yesterday.actual_start = yesterday.actual_end = None
        s.flush()
        record_missed(s, yesterday.id, yesterday.version, reason="carer_absent", by="setup")
        target = next(
            v.id for v in today_visits if v.customer_id == customer_id and v.actual_start is None
        )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_governance(pilot, app)
        screen._wall_clock = time(12, 0)
        await pilot.press("V")
        await wait_for(pilot, lambda: screen.view.area == "visits" and screen.loaded)
        index = [r.id for r in screen.shown_rows].index(target)
        await pilot.press(*["down"] * index, "m")
        await wait_dialog(pilot, app)
        await save_and_wait(
            pilot, app, screen, lambda: latest_visit(engine, target).status == "missed"
        )
        await pilot.press("P")
        await wait_for(pilot, lambda: screen.view.area == "vigilance" and screen.loaded)
        names = [r.customer for r in screen.shown_rows]
        assert name in names
        assert "missed" in str(
            screen.query_one("#gov-table").render_line(1 + names.index(name)).text
        )
        await pilot.press(*["down"] * names.index(name), "y")
        await wait_for(pilot, lambda: "Safeguarding concern raised" in notes(app))
        with session_scope(engine, "t") as s:
            concern = s.scalars(select(Concern).where(Concern.person_id == person_id)).one()
        assert concern.category == "neglect" and concern.status == "untriaged"
        assert "missed" in concern.details
        await wait_for(
            pilot, lambda: screen.loaded and name not in [r.customer for r in screen.shown_rows]
        )


def latest_visit(engine, visit_id):
    from coordinator_tui.models import Visit

    with session_scope(engine, "t") as s:
        return s.get(Visit, visit_id)
