"""Information sharing from a referral and from a meeting (issue 15 section 2): one key on
the referral screens (``I``), the record entries (``I``) and live minuting (``f6``) opens
the sharing form with the person, the agency and the link filled in; the record keeps the
lawful basis and consent as the person record's does, and its link to the referral or
meeting. Each Pilot test asserts on the screen and on the database."""

from __future__ import annotations

from datetime import date

import pytest
from pilot_helpers import wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AgendaItem,
    Meeting,
    MeetingAttendee,
    Person,
    Referral,
    SharingRecord,
    Staff,
)
from coordinator_tui.screens.meetings.entries import RecordEntriesScreen
from coordinator_tui.screens.meetings.minuting import MinutingScreen
from coordinator_tui.screens.referrals.detail import ReferralDetailScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.screens.reports.sharing import SharingDialog
from coordinator_tui.services.reports import ReportsError
from coordinator_tui.services.reports import sharing as sh

SIZE = (120, 40)
DECEMBER = 5  # the small demo's planned meeting
NOVEMBER = 4  # the small demo's finished meeting
# The basis chosen in the form, as a coordinator types it: secure e-mail / at a meeting
# kept as filled in, public task, 9(2)(g) with Sch 1 para 18, consent given.
BASIS_KEYS = ("pub", "subst", "safeg", "giv")


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def records(engine) -> list[SharingRecord]:
    with session_scope(engine, "t") as s:
        rows = list(s.exec(select(SharingRecord).order_by(SharingRecord.id)))
        for row in rows:
            s.expunge(row)
        return rows


def external_agencies(engine, meeting_id: int) -> list[str]:
    with session_scope(engine, "t") as s:
        names = s.exec(
            select(Staff.organisation)
            .join(MeetingAttendee, MeetingAttendee.staff_id == Staff.id)
            .where(
                MeetingAttendee.meeting_id == meeting_id,
                Staff.is_external.is_(True),
                Staff.organisation != "",
                MeetingAttendee.attendance.in_(("invited", "present")),
            )
            .order_by(Staff.organisation)
        ).all()
    return list(dict.fromkeys(names))


async def fill_and_save(pilot, form: SharingDialog) -> None:
    """What was shared, then the basis and consent (the method as filled in), then save."""
    from textual.widgets import Input

    what = form.query_one("#f-what", Input)
    what.focus()
    await pilot.press(*"health, safeg")
    form.query_one("#f-article6").focus()
    for choice in BASIS_KEYS:
        await pilot.press("enter", *choice, "enter", "tab")
    await pilot.press("ctrl+s")


# -- the service ------------------------------------------------------------------------


class TestPrefill:
    def test_a_referral_gives_its_agency_and_link(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            referral = s.exec(select(Referral).where(Referral.agency != "")).first()
            prefill = sh.sharing_prefill(s, referral.person_id, referral_id=referral.id)
            person = s.get(Person, referral.person_id)
            assert prefill.organisation == referral.agency
            assert prefill.method == "secure_email"
            assert prefill.referral_id == referral.id and prefill.meeting_id is None
            assert prefill.person == f"{person.family_name.upper()}, {person.given_name}"

    def test_a_meeting_gives_its_other_agencies(self, small_demo_engine):
        agencies = external_agencies(small_demo_engine, NOVEMBER)
        with session_scope(small_demo_engine, "t") as s:
            person_id = s.exec(
                select(AgendaItem.person_id).where(
                    AgendaItem.meeting_id == NOVEMBER, AgendaItem.person_id.is_not(None)
                )
            ).first()
            prefill = sh.sharing_prefill(s, person_id, meeting_id=NOVEMBER)
        assert prefill.organisation == ", ".join(agencies)[:120]
        assert prefill.method == "meeting" and prefill.meeting_id == NOVEMBER

    def test_someone_elses_referral_or_a_lost_meeting_is_refused(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            referral = s.exec(select(Referral)).first()
            other = s.exec(select(Person.id).where(Person.id != referral.person_id)).first()
            with pytest.raises(ReportsError, match="not this person's"):
                sh.sharing_prefill(s, other, referral_id=referral.id)
            missing = (s.exec(select(func.max(Meeting.id))).one() or 0) + 1
            with pytest.raises(ReportsError, match="no longer exists"):
                sh.sharing_prefill(s, other, meeting_id=missing)

    def test_a_disclosure_from_a_referral_is_linked_to_it(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            referral = s.exec(select(Referral)).first()
            record = sh.record_disclosure(
                s,
                referral.person_id,
                today=date(2026, 11, 23),
                by="coordinator",
                occurred_on=date(2026, 11, 20),
                organisation=referral.agency or "County MASH",
                what="safeguarding",
                why="referral",
                method="secure_email",
                basis=sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "given"),
                referral_id=referral.id,
            )
            assert (record.context, record.referral_id) == ("referral", referral.id)


# -- the keys ---------------------------------------------------------------------------


class TestKeys:
    async def test_I_on_a_referral_records_sharing_with_its_agency(self, app, small_demo_engine):
        engine = small_demo_engine
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded
            )
            screen = app.screen
            row = screen.current()
            with session_scope(engine, "t") as s:
                agency = s.get(Referral, row.id).agency
            await pilot.press("I")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            form = app.screen
            assert form.query_one("#f-organisation").value == agency
            await fill_and_save(pilot, form)
            await wait_for(pilot, lambda: app.screen is screen and len(records(engine)) == 1)
            (saved,) = records(engine)
            assert (saved.person_id, saved.referral_id, saved.context) == (
                row.person_id,
                row.id,
                "referral",
            )
            assert saved.organisation == agency and saved.method == "secure_email"
            assert (saved.article6, saved.article9, saved.dpa_condition, saved.consent) == (
                "6(1)(e)",
                "9(2)(g)",
                "sch1-18",
                "given",
            )
            await wait_for(
                pilot,
                lambda: any("Sharing recorded" in str(n.message) for n in app._notifications),
            )

    async def test_I_on_a_referrals_own_screen(self, app, small_demo_engine):
        engine = small_demo_engine
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded
            )
            row = app.screen.current()
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: (
                    isinstance(app.screen, ReferralDetailScreen) and app.screen.detail is not None
                ),
            )
            detail = app.screen
            await pilot.press("I")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            await fill_and_save(pilot, app.screen)
            await wait_for(pilot, lambda: app.screen is detail and len(records(engine)) == 1)
            assert records(engine)[0].referral_id == row.id

    async def test_I_on_record_entries_records_sharing_at_the_meeting(self, app, small_demo_engine):
        engine = small_demo_engine
        agencies = ", ".join(external_agencies(engine, NOVEMBER))[:120]
        assert agencies  # the demo's meeting has other agencies present
        async with app.run_test(size=SIZE) as pilot:
            app.push_screen(RecordEntriesScreen(NOVEMBER))
            await wait_for(
                pilot, lambda: isinstance(app.screen, RecordEntriesScreen) and app.screen.loaded
            )
            entries = app.screen
            entry = entries.current()
            await pilot.press("I")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            assert app.screen.query_one("#f-organisation").value == agencies
            await fill_and_save(pilot, app.screen)
            await wait_for(pilot, lambda: app.screen is entries and len(records(engine)) == 1)
            (saved,) = records(engine)
            assert (saved.person_id, saved.meeting_id, saved.context, saved.method) == (
                entry.person_id,
                NOVEMBER,
                "meeting",
                "meeting",
            )

    async def test_f6_while_minuting_shares_about_the_items_person(self, app, small_demo_engine):
        engine = small_demo_engine
        async with app.run_test(size=SIZE) as pilot:
            app.push_screen(MinutingScreen(DECEMBER))
            await wait_for(
                pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded
            )
            minuting = app.screen
            while minuting.item is not None and minuting.item.person_id is None:
                await pilot.press("pagedown")
                await pilot.pause()
            person_id = minuting.item.person_id
            await pilot.press("f6")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            await fill_and_save(pilot, app.screen)
            await wait_for(pilot, lambda: app.screen is minuting and len(records(engine)) == 1)
            (saved,) = records(engine)
            assert (saved.person_id, saved.meeting_id) == (person_id, DECEMBER)
