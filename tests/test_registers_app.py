"""The Registers screen driven by keys: each action saves, audits and moves on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pilot_helpers import wait_for
from sqlmodel import func, select
from textual import events
from textual.screen import ModalScreen

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Concern,
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
    Staff,
)
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.settings import load_settings
from coordinator_tui.widgets.lazy_table import LazyTable

TODAY = date(2026, 11, 23)
NAMES = [f"Family{i:02d}" for i in range(25)]


@pytest.fixture
def seeded(engine):
    """25 children on the CP register, due from 5 days ago onwards (all within 14 days)."""
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        cpp = RegisterCategory(
            code="CPP",
            name="Child Protection Plan",
            age_band="child",
            review_interval_days=30,
            sort_order=1,
        )
        cin = RegisterCategory(
            code="CIN",
            name="Child in Need",
            age_band="child",
            review_interval_days=90,
            sort_order=2,
        )
        lead = Staff(name="Dr Lead", role="GP", is_safeguarding_lead=True)
        s.add_all([practice, cpp, cin, lead])
        s.flush()
        for i, family in enumerate(NAMES):
            person = Person(
                nhs_number=f"999{i:07d}",
                given_name="Kid",
                family_name=family,
                search_name=f"{family.lower()} kid",
                date_of_birth=date(2015, 1, 1),
                practice_id=practice.id,
            )
            s.add(person)
            s.flush()
            s.add(
                RegisterEntry(
                    person_id=person.id,
                    category_id=cpp.id,
                    practice_id=practice.id,
                    start_date=date(2026, 1, 1),
                    lead_staff_id=lead.id,
                    risk_level="medium",
                    next_review_due=TODAY - timedelta(days=5) + timedelta(days=i // 3),
                )
            )
    return engine


@pytest.fixture
def app(seeded, db_path):
    settings = load_settings(str(db_path))
    settings.today = TODAY
    return make_app(settings, seeded)


async def open_queue(pilot, app) -> RegistersScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    return app.screen


def entry(engine, family: str) -> RegisterEntry:
    with session_scope(engine, "t") as s:
        return s.exec(select(RegisterEntry).join(Person).where(Person.family_name == family)).one()


def audit_count(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


async def test_queue_lists_overdue_first(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        assert len(screen.shown_rows) == 25
        assert screen.shown_rows[0].family_name == "Family00"
        assert "25 due" in str(screen.query_one("#queue-summary").render())


async def test_review_saves_audits_and_moves_on(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one(LazyTable)
        await pilot.press("down")  # Family01
        before = audit_count(seeded)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"checked with HV")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.loaded and entry(seeded, "Family01").last_reviewed)
        await pilot.pause(0.1)
        reviewed = entry(seeded, "Family01")
        assert reviewed.next_review_due == TODAY + timedelta(days=30)
        assert audit_count(seeded) == before + 2  # the entry update and the review row
        # The reviewed entry left the queue; the cursor is on the next one.
        assert "Family01" not in [r.family_name for r in screen.shown_rows]
        assert screen.shown_rows[table.cursor_row].family_name == "Family02"
        await pilot.press("u")
        await wait_for(pilot, lambda: entry(seeded, "Family01").last_reviewed is None)


async def test_bad_input_keeps_form_open_and_writes_nothing(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        before = audit_count(seeded)
        await pilot.press("x")  # end: reason required
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(app.screen.query_one("#form-error").render())
        assert "Reason is required" in error
        await pilot.press(*"moved away")
        await pilot.press("tab")
        await pilot.press("ctrl+a", "ctrl+k")  # clear the date
        await pilot.press(*"31/11")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "30 days" in str(app.screen.query_one("#form-error").render())
        form = app.screen
        await pilot.press("escape")  # something typed: asks before discarding it
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DiscardDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is not form and not form.is_attached)
        assert audit_count(seeded) == before
        assert entry(seeded, "Family00").status == "active"


async def test_snooze_escalate_change_end(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"+3w", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").snoozed_until is not None)
        assert entry(seeded, "Family00").next_review_due == TODAY + timedelta(weeks=3)

        await wait_for(pilot, lambda: screen.loaded)
        first = screen.shown_rows[screen.query_one(LazyTable).cursor_row].family_name
        await pilot.press("e")
        await pilot.pause()
        await pilot.press(*"no engagement", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, first).escalated_at is not None)
        assert entry(seeded, first).escalation_reason == "no engagement"

        await wait_for(pilot, lambda: screen.loaded)
        target = screen.shown_rows[screen.query_one(LazyTable).cursor_row].family_name
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*"plan ended", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, target).status == "ended")
        ended = entry(seeded, target)
        assert (ended.end_date, ended.end_reason) == (TODAY, "plan ended")


async def test_conflict_is_refused_with_a_message(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        with session_scope(seeded, "colleague") as s:
            row = s.exec(
                select(RegisterEntry).join(Person).where(Person.family_name == "Family00")
            ).one()
            row.risk_level = "high"
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "colleague changed this register entry" in str(
            app.screen.query_one("#form-error").render()
        )
        await pilot.press("escape")
        assert entry(seeded, "Family00").last_reviewed is None


async def test_filter_as_you_type(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("slash", *"family1")
        await pilot.pause()
        assert {r.family_name for r in screen.shown_rows} == {f"Family1{i}" for i in range(10)}
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.shown_rows) == 25


async def test_whole_review_of_twenty_entries_by_keyboard(app, seeded):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_queue(pilot, app)
        for _ in range(20):
            await wait_for(pilot, lambda: screen.loaded)
            await pilot.press("r")
            await wait_for(pilot, lambda: app.screen is not screen)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.pause(0.05)
        await wait_for(pilot, lambda: len(screen.shown_rows) == 5)
    with session_scope(seeded, "t") as s:
        reviewed = s.exec(
            select(func.count())
            .select_from(RegisterEntry)
            .where(RegisterEntry.last_reviewed == TODAY)
        ).one()
    assert reviewed == 20


async def test_concern_intake_and_triage(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*"family07")
        await wait_for(pilot, lambda: app.screen.query_one("PersonPicker")._hits)
        await pilot.press("enter")  # takes the match and moves on to the category
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "category" in str(app.screen.query_one("#form-error").render()).lower()
        await pilot.press(*"negl", "enter", *"hungry at school", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModalScreen))
        with session_scope(seeded, "t") as s:
            concern = s.exec(select(Concern)).one()
        assert (concern.raised_by, concern.status) == ("test.user", "untriaged")
        assert (concern.category, concern.details) == ("neglect", "hungry at school")
        await pilot.press("C")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False) and app.screen.rows)
        await pilot.press("m")
        await wait_for(pilot, lambda: entry_status(seeded) == "for_meeting")


def entry_status(engine) -> str:
    with session_scope(engine, "t") as s:
        return s.exec(select(Concern.status)).one()


async def test_change_risk_and_add_registration(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        from textual.widgets import Select

        app.screen.query_one("#f-risk", Select).value = "high"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").risk_level == "high")

        await wait_for(pilot, lambda: screen.loaded)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"family03")
        await wait_for(pilot, lambda: app.screen.query_one("PersonPicker")._hits)
        await pilot.press("enter", *"cin", "enter")  # the person, then the register
        with session_scope(seeded, "t") as s:
            cin = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CIN")).one()
        await pilot.press("ctrl+s")
        await pilot.pause()

        def cin_entries() -> int:
            with session_scope(seeded, "t") as s:
                return s.exec(
                    select(func.count())
                    .select_from(RegisterEntry)
                    .where(RegisterEntry.category_id == cin.id)
                ).one()

        await wait_for(pilot, lambda: cin_entries() == 1)
        # Adding the same again is refused in the form, nothing written.
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"family03")
        await wait_for(pilot, lambda: app.screen.query_one("PersonPicker")._hits)
        await pilot.press("enter", *"child in need", "enter", "ctrl+s")
        await pilot.pause()
        assert "Already on the Child in Need register" in str(
            app.screen.query_one("#form-error").render()
        )
        await pilot.press("escape", "y")  # chosen but refused: discard it
        assert cin_entries() == 1


async def test_person_record_chronology_entry_and_export(app, seeded, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        await pilot.press("enter")
        from coordinator_tui.screens.registers.person import PersonScreen

        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        person = app.screen
        assert "FAMILY00, Kid" in str(person.query_one("#person-title").render())
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("tab", *"School", "tab", *"Attendance dropped to 60%", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is person and len(person.items) == 2)
        assert any("Attendance dropped" in item.text for item in person.items)
        await pilot.press("E")  # written in a worker thread: wait until it is done
        await wait_for(pilot, lambda: "Chronology exported" in " ".join(toasts(app)))
        exports = list((tmp_path / "xdg").rglob("chronology-*"))
        assert sorted(p.suffix for p in exports) == [".csv", ".md"]
        assert (
            "Attendance dropped to 60%" in next(p for p in exports if p.suffix == ".md").read_text()
        )


async def test_browse_people(app, seeded):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot, app)
        await pilot.press("B")
        from coordinator_tui.screens.registers.people import PeopleScreen

        await wait_for(pilot, lambda: isinstance(app.screen, PeopleScreen) and app.screen.loaded)
        assert app.screen.total == 25
        await pilot.press("slash", *"family2")
        await wait_for(pilot, lambda: app.screen.total == 5)
        await pilot.press("enter", "enter")
        from coordinator_tui.screens.registers.person import PersonScreen

        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))


async def test_slash_then_typing_at_once_goes_into_the_filter(app, seeded):
    """ "/smi" typed in one go: every letter lands in the filter, none acts on the list."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        screen = app.screen
        with session_scope(seeded, "t") as s:
            audits = s.exec(select(func.count()).select_from(AuditEvent)).one()
        # As a terminal delivers them: all queued at once, nothing waits in between.
        for key, char in (("slash", "/"), ("s", "s"), ("m", "m"), ("i", "i")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#queue-filter").value == "smi"
        assert app.screen is screen  # no snooze dialog opened
        # In the field, "/" is text (a date of birth), not the filter key again.
        await pilot.press("ctrl+u", *"3/12")
        assert screen.query_one("#queue-filter").value == "3/12"
        with session_scope(seeded, "t") as s:
            assert s.exec(select(func.count()).select_from(AuditEvent)).one() == audits


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_snooze_keeps_the_cursor_at_the_next_entry_due(app, seeded):
    """Issue 22 §2: a snooze within the horizon re-sorts the entry further down; the
    cursor stays at the entry that was next (as review and escalate do), and the toast
    names the person and the new date."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one(LazyTable)
        await pilot.press("down")  # Family01
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press(*"+1w", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family01").snoozed_until is not None)
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        await wait_for(pilot, lambda: screen.shown_rows[table.cursor_row].family_name == "Family02")
        assert "Family01" in [r.family_name for r in screen.shown_rows]  # re-sorted, still due
        assert "Snoozed FAMILY01, Kid's review to 30/11/2026 — u to undo" in toasts(app)
        # Review: the toast names the person and the next review date.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family02").last_reviewed == TODAY)
        await wait_for(pilot, lambda: any("Reviewed FAMILY02, Kid" in t for t in toasts(app)))
        assert any("next review 23/12/2026" in t for t in toasts(app))


async def test_an_escalation_stays_in_view_after_a_review_until_the_lead_resolves_it(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press(*"no engagement", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").escalated_at is not None)
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        await pilot.press("S", "S")  # status: overdue only, then escalated
        await wait_for(
            pilot, lambda: screen.choice["status"] == "escalated" and len(screen.shown_rows) == 1
        )
        assert screen.check_action("resolve", ()) is True  # E shows on an escalated entry
        # Reviewed: the next review is a month away, past the horizon; still escalated.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        assert "Escalated to the safeguarding lead" in str(
            app.screen.query_one("#form-context").render()
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").last_reviewed == TODAY)
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        assert [r.family_name for r in screen.shown_rows] == ["Family00"]
        assert any("still escalated to the lead" in t for t in toasts(app))
        # E: the lead resolves it with the outcome; the entry leaves the view.
        before = audit_count(seeded)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press(*"strategy discussion held", "ctrl+s")
        await wait_for(pilot, lambda: entry(seeded, "Family00").escalated_at is None)
        await wait_for(pilot, lambda: screen.loaded and screen.shown_rows == [])
        assert audit_count(seeded) == before + 2  # the entry and the review row
        assert "Resolved the escalation of FAMILY00, Kid — u to undo" in toasts(app)
        assert screen.check_action("resolve", ()) is False
