"""Meeting series, attendees and record entries driven by keys on the small demo: what
the screen shows, the rows written and their audit trail (issue 5 sections 1, 2 and 6)."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AgendaItem,
    AuditEvent,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    Person,
    Staff,
)
from coordinator_tui.screens.meetings.attendees import AttendeesScreen, DirectoryPicker
from coordinator_tui.screens.meetings.entries import RecordEntriesScreen
from coordinator_tui.screens.meetings.meetings import MeetingsScreen
from coordinator_tui.screens.meetings.series import SeriesDialog, SeriesScreen
from coordinator_tui.screens.meetings.triage import MeetingTriageScreen
from coordinator_tui.services.meetings.invites import identifiers_on_agenda, to_ics

DECEMBER = 5  # planned, first in the list
NOVEMBER = 4  # finished, third in the list (after the two upcoming ones)


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def count(engine, table, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(table).where(*where)).one()


def audit(engine, table: str, row_id: int | None = None) -> list[AuditEvent]:
    with session_scope(engine, "t") as s:
        stmt = select(AuditEvent).where(AuditEvent.table_name == table)
        if row_id is not None:
            stmt = stmt.where(AuditEvent.row_id == row_id)
        return list(s.exec(stmt.order_by(AuditEvent.id)))


def identifiers(person: Person) -> list[str]:
    nhs, dob = person.nhs_number, person.date_of_birth
    return [
        f"{person.given_name} {person.family_name}",
        f"{person.family_name.upper()}, {person.given_name}",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        f"{dob:%d/%m/%Y}",
        dob.isoformat(),
    ]


def table_text(table) -> str:
    return "\n".join(
        " | ".join(str(cell) for cell in row.cells)
        for row in table.source.rows(0, len(table.source))
    )


async def open_meetings(pilot, app) -> MeetingsScreen:
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, MeetingsScreen) and app.screen.loaded)
    return app.screen


class TestSeries:
    async def test_new_series_with_the_rule_in_words(self, app, small_demo_engine):
        engine = small_demo_engine
        series_before = count(engine, MeetingSeries)
        meetings_before = count(engine, Meeting)
        async with app.run_test(size=(120, 40)) as pilot:
            meetings = await open_meetings(pilot, app)
            await pilot.press("S")
            await wait_for(pilot, lambda: isinstance(app.screen, SeriesDialog))
            form = app.screen
            preview = form.query_one("#rule-preview")
            await pilot.press("ctrl+u", *"Practice safeguarding huddle", "tab", "tab")
            assert app.focused.id == "f-rule"

            # A rule that cannot be read says why as you type, and saves nothing.
            await pilot.press(*"first Blursday monthly")
            await pilot.pause()
            assert shown_text(preview).startswith("✗ 'blursday' is not a day of the week")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "is not a day of the week" in shown_text(form.query_one("#form-error"))
            assert count(engine, MeetingSeries) == series_before
            assert count(engine, Meeting) == meetings_before

            # In words: the next three dates show as you type.
            await pilot.press("ctrl+u", *"first Wednesday monthly")
            await pilot.pause()
            assert shown_text(preview).strip() == (
                "✓ first Wednesday of each month: Wed 2 Dec 2026, Wed 6 Jan 2027, Wed 3 Feb 2027"
            )
            await pilot.press("tab", "tab", "ctrl+u", *"13:00", "tab", "ctrl+u", *"45")
            await pilot.press("tab", *"Room 2")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SeriesScreen))
            screen = app.screen
            await wait_for(pilot, lambda: screen.loaded and len(screen.rows) == 2)
            shown = table_text(screen.query_one("#series-list"))
            assert "Practice safeguarding huddle" in shown
            assert "first Wednesday of each month" in shown and "Wed 02 Dec 2026" in shown
            assert "2 active" in shown_text(screen.query_one("#series-head"))

            with session_scope(engine, "t") as s:
                series = s.exec(
                    select(MeetingSeries).where(
                        MeetingSeries.name == "Practice safeguarding huddle"
                    )
                ).one()
                series_id = series.id
                assert series.rrule == "DTSTART:20261123\nRRULE:FREQ=MONTHLY;BYDAY=1WE"
                assert (series.start_time.hour, series.duration_minutes) == (13, 45)
                assert series.location == "Room 2" and series.practice_id is None
                made = s.exec(select(Meeting).where(Meeting.series_id == series_id)).all()
                assert sorted(m.starts_at.date() for m in made) == [
                    date(2026, 12, 2),
                    date(2027, 1, 6),
                    date(2027, 2, 3),
                ]
                made_ids = [m.id for m in made]
            assert [e.action for e in audit(engine, "meeting_series", series_id)] == ["insert"]
            assert all(
                [e.action for e in audit(engine, "meeting", m)] == ["insert"] for m in made_ids
            )
            assert audit(engine, "meeting_series", series_id)[0].actor == "test.user"

            # x stops the highlighted series (after a confirmation); x again restarts it.
            assert screen.current().id == series_id
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SeriesScreen))
            await wait_for(pilot, lambda: not screen.rows[-1].active)
            assert "1 active · 1 stopped" in shown_text(screen.query_one("#series-head"))
            assert "stopped" in table_text(screen.query_one("#series-list"))
            with session_scope(engine, "t") as s:
                assert s.get(MeetingSeries, series_id).active is False
            changes = [e.changes for e in audit(engine, "meeting_series", series_id)]
            assert len(changes) == 2 and '"active"' in changes[1]
            assert count(engine, Meeting, Meeting.series_id == series_id) == 3  # kept

            # esc: back to the list of meetings, which now shows the new ones.
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is meetings and meetings.loaded)
            await wait_for(
                pilot,
                lambda: any(m.row.series_id == series_id for m in meetings.shown_meetings),
            )

    async def test_series_list_shows_rule_and_next_date(self, app):
        async with app.run_test(size=(120, 40)) as pilot:
            await open_meetings(pilot, app)
            await pilot.press("L")
            await wait_for(
                pilot, lambda: isinstance(app.screen, SeriesScreen) and app.screen.loaded
            )
            shown = table_text(app.screen.query_one("#series-list"))
            assert "PCN safeguarding MDT" in shown
            assert "first Tuesday of each month" in shown and "Tue 01 Dec 2026" in shown


class TestAttendees:
    async def test_invite_add_mark_remove_and_the_invitation(
        self, app, small_demo_engine, tmp_path
    ):
        engine = small_demo_engine
        async with app.run_test(size=(120, 40)) as pilot:
            meetings = await open_meetings(pilot, app)
            assert meetings.current_meeting().id == DECEMBER
            await pilot.press("v")
            await wait_for(
                pilot, lambda: isinstance(app.screen, AttendeesScreen) and app.screen.loaded
            )
            screen = app.screen
            table = screen.query_one("#attendees")
            assert len(screen.rows) == 5
            assert "5 invited" in shown_text(screen.query_one("#attendees-head"))
            assert "Kelly Watson | Midwife | Maternity services (demo)" in table_text(table)

            # i: invite from the directory, typing to filter.
            await pilot.press("i")
            await wait_for(pilot, lambda: isinstance(app.screen, DirectoryPicker))
            await pilot.press(*"school nurse")
            await pilot.pause()
            assert [p.name for p in app.screen.shown] == ["Dale Davies"]
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen and len(screen.rows) == 6)
            dale = next(r for r in screen.rows if r.name == "Dale Davies")
            assert screen.current().staff_id == dale.staff_id
            with session_scope(engine, "t") as s:
                invited = s.exec(
                    select(MeetingAttendee).where(
                        MeetingAttendee.meeting_id == DECEMBER,
                        MeetingAttendee.staff_id == dale.staff_id,
                    )
                ).one()
                invited_id = invited.id
            assert [e.action for e in audit(engine, "meeting_attendee", invited_id)] == ["insert"]

            # n: a new external professional; a bad e-mail saves nothing.
            staff_before = count(engine, Staff)
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*"Priya Shah", "tab", "tab", *"Paediatric liaison nurse")
            await pilot.press("tab", *"Children's hospital", "tab", *"priya.shah-at-nhs.net")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "is not an e-mail address" in shown_text(app.screen.query_one("#form-error"))
            assert count(engine, Staff) == staff_before
            assert count(engine, MeetingAttendee, MeetingAttendee.meeting_id == DECEMBER) == 6
            await pilot.press("ctrl+u", *"priya.shah@nhs.net", "ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen and len(screen.rows) == 7)
            with session_scope(engine, "t") as s:
                priya = s.exec(select(Staff).where(Staff.name == "Priya Shah")).one()
                assert (priya.role, priya.organisation, priya.email, priya.is_external) == (
                    "Paediatric liaison nurse",
                    "Children's hospital",
                    "priya.shah@nhs.net",
                    True,
                )
                priya_id = priya.id
            assert [e.action for e in audit(engine, "staff", priya_id)] == ["insert"]
            assert "Priya Shah | Paediatric liaison nurse" in table_text(table)
            assert screen.current().staff_id == priya_id

            # p marks the highlighted person present (then the cursor moves on).
            await pilot.press("p")
            await wait_for(
                pilot,
                lambda: (
                    next(r for r in screen.rows if r.staff_id == priya_id).attendance == "present"
                ),
            )
            assert "1 present" in shown_text(screen.query_one("#attendees-head"))
            assert "PRESENT | Priya Shah" in table_text(table)

            # d removes the highlighted person (the meeting has not started).
            table.cursor_row = [r.staff_id for r in screen.rows].index(dale.staff_id)
            await pilot.press("d")
            await wait_for(pilot, lambda: len(screen.rows) == 6)
            assert "Dale Davies" not in table_text(table)
            assert [e.action for e in audit(engine, "meeting_attendee", invited_id)] == [
                "insert",
                "delete",
            ]
            with session_scope(engine, "t") as s:
                marked = s.exec(
                    select(MeetingAttendee.attendance).where(
                        MeetingAttendee.meeting_id == DECEMBER,
                        MeetingAttendee.staff_id == priya_id,
                    )
                ).one()
                assert marked == "present"
                emails = [r.email for r in screen.rows]
                ics = to_ics(s, DECEMBER).decode()
                hidden = identifiers_on_agenda(s, DECEMBER)
                # Make sure there is something on the agenda to leak.
                on_agenda = s.exec(
                    select(func.count())
                    .select_from(AgendaItem)
                    .where(AgendaItem.meeting_id == DECEMBER, AgendaItem.person_id.is_not(None))
                ).one()
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is meetings)

        # The invitation lists everyone invited as an attendee, and no patient identifier.
        unfolded = re.sub(r"\r\n[ \t]", "", ics)
        attendee_lines = [line for line in unfolded.splitlines() if line.startswith("ATTENDEE")]
        assert len(attendee_lines) == 6
        for email in emails:
            assert f"mailto:{email}" in unfolded
        priya_line = next(line for line in attendee_lines if "Priya" in line)
        assert "mailto:priya.shah@nhs.net" in priya_line and "PARTSTAT=ACCEPTED" in priya_line
        assert on_agenda and hidden
        leaked = [text for text in hidden if text.lower() in unfolded.lower()]
        assert not leaked

    async def test_attendees_from_triage(self, app):
        async with app.run_test(size=(120, 40)) as pilot:
            await open_meetings(pilot, app)
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: isinstance(app.screen, MeetingTriageScreen) and app.screen.loaded
            )
            triage = app.screen
            await pilot.press("v")
            await wait_for(
                pilot, lambda: isinstance(app.screen, AttendeesScreen) and app.screen.loaded
            )
            assert app.screen.meeting_id == DECEMBER and len(app.screen.rows) == 5
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is triage)


class TestRecordEntries:
    async def test_view_copy_and_write_entries(self, app, small_demo_engine, small_demo_path):
        engine = small_demo_engine
        async with app.run_test(size=(120, 40)) as pilot:
            meetings = await open_meetings(pilot, app)
            # r on a meeting not yet finished says so and opens nothing.
            await pilot.press("r")
            await pilot.pause()
            assert app.screen is meetings
            assert any(
                "once the meeting has finished" in str(n.message) for n in app._notifications
            )

            await pilot.press("down", "down")
            assert meetings.current_meeting().id == NOVEMBER
            await pilot.press("r")
            await wait_for(
                pilot, lambda: isinstance(app.screen, RecordEntriesScreen) and app.screen.loaded
            )
            screen = app.screen
            entries = screen.entries
            assert len(entries) == 7
            assert "7 people discussed" in shown_text(screen.query_one("#entries-head"))
            text_area = screen.query_one("#entries-text")
            assert text_area.read_only and text_area.text == entries[0].text
            assert entries[0].name in text_area.text

            # down: the next person's entry; c copies it.
            await pilot.press("down")
            await wait_for(pilot, lambda: text_area.text == entries[1].text)
            await pilot.press("c")
            await pilot.pause()
            assert app.clipboard == entries[1].text

            # w: one owner-only file per person, in a folder beside the database.
            await pilot.press("w")
            await wait_for(pilot, lambda: len(screen.written) == 7)
            folder = small_demo_path.parent / "record-entries-meeting-4-2026-11-03"
            assert sorted(p.parent for p in screen.written) == [folder] * 7
            assert oct(folder.stat().st_mode & 0o777) == "0o700"
            notes = audit(engine, "meeting", NOVEMBER)
            assert notes[-1].action == "export" and '"record entries"' in notes[-1].changes

        with session_scope(engine, "t") as s:
            people = {
                p.id: p
                for p in s.exec(select(Person).where(Person.id.in_([e.person_id for e in entries])))
            }
        for entry in entries:
            path = folder / f"record-entry-{entry.nhs_number}.txt"
            assert oct(path.stat().st_mode & 0o777) == "0o600"
            text = path.read_text(encoding="utf-8")
            assert text == entry.text
            nhs = entry.nhs_number
            assert f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" in text  # the person's own number
            for other_id, other in people.items():
                if other_id != entry.person_id:
                    leaked = [i for i in identifiers(other) if i.lower() in text.lower()]
                    assert not leaked, (entry.person_id, leaked)
        assert len(os.listdir(folder)) == 7
