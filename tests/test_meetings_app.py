"""The Meetings screens driven by keys on the small demo: a whole meeting (agenda proposed,
ten items triaged, minuted with actions, finished, minutes exported, one clean record
entry per person) and the action tracker (chase and done, in the database and the audit
trail)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pilot_helpers import wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Action,
    ActionChase,
    AgendaItem,
    AuditEvent,
    Meeting,
    MeetingAttendee,
    MinuteNote,
    Person,
    Staff,
)
from coordinator_tui.screens.meetings.meetings import MeetingsScreen
from coordinator_tui.screens.meetings.minuting import MinutingScreen
from coordinator_tui.screens.meetings.triage import MeetingTriageScreen
from coordinator_tui.services.meetings.minutes import person_entries
from coordinator_tui.widgets.lazy_table import LazyTable

DECEMBER = 5  # the demo's next planned meeting (1 December 2026), first in the list


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def statuses(engine, meeting_id: int) -> dict[int, str]:
    with session_scope(engine, "t") as s:
        rows = s.exec(
            select(AgendaItem.id, AgendaItem.triage_status).where(
                AgendaItem.meeting_id == meeting_id
            )
        ).all()
    return dict(rows)


def count(engine, table, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(table).where(*where)).one()


def identifiers(person: Person) -> list[str]:
    nhs, dob = person.nhs_number, person.date_of_birth
    return [
        f"{person.given_name} {person.family_name}",
        f"{person.family_name.upper()}, {person.given_name}",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        f"{dob:%d/%m/%Y}",
    ]


async def open_meetings(pilot, app) -> MeetingsScreen:
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, MeetingsScreen) and app.screen.loaded)
    return app.screen


async def test_whole_meeting_by_keyboard(app, small_demo_engine, tmp_path):
    engine = small_demo_engine
    app.settings.today = date(2026, 12, 1)  # the meeting's day: a meeting starts on its day
    async with app.run_test(size=(120, 40)) as pilot:
        meetings = await open_meetings(pilot, app)
        assert meetings.shown_meetings[0].row.id == DECEMBER
        assert meetings.shown_meetings[0].upcoming

        # enter: triage, then p proposes the agenda from what happened since November.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MeetingTriageScreen))
        triage = app.screen
        await wait_for(pilot, lambda: triage.loaded)
        before = len(triage.rows)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(triage.rows) > before + 10)
        assert all(row.reason for row in triage.rows)  # each proposal says why
        assert "of 60 min planned" in str(triage.query_one("#triage-totals").content)

        # Ten items from the top, one key each (the cursor moves on after each).
        proposed = [r.id for r in triage.rows[:10]]
        assert {statuses(engine, DECEMBER)[i] for i in proposed} == {"proposed"}
        plan = ["i", "i", "d", "x", "i", "i", "d", "i", "x", "i"]
        for step, key in enumerate(plan):
            assert triage.current().id == proposed[step]
            version = triage.rows[step].version
            await pilot.press(key)
            if key == "x":
                await pilot.pause()
                await pilot.press(*"covered by item 1", "ctrl+s")
            await wait_for(
                pilot,
                lambda s=step, v=version: (
                    triage.loaded
                    and triage.rows[s].version > v
                    and triage.query_one(LazyTable).cursor_row == s + 1
                ),
            )
        now = statuses(engine, DECEMBER)
        expected = {"i": "included", "d": "deferred", "x": "dropped"}
        assert [now[i] for i in proposed] == [expected[k] for k in plan]

        # Priority and minutes on the first included item: 3 routine, 15 minutes.
        await pilot.press("home", "3")
        await wait_for(
            pilot, lambda: any(r.id == proposed[0] and r.priority == 3 for r in triage.rows)
        )
        row = next(r for r in triage.rows if r.id == proposed[0])
        triage.query_one(LazyTable).cursor_row = triage.rows.index(row)
        await pilot.press("plus", "plus")
        await wait_for(
            pilot,
            lambda: next(r for r in triage.rows if r.id == proposed[0]).minutes_allotted == 15,
        )
        assert "min planned" in triage.totals.describe()

        # s: start the meeting; live minuting opens on the first agenda item.
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen))
        minuting = app.screen
        await wait_for(pilot, lambda: minuting.loaded and minuting.facts is not None)
        included = len(minuting.items)
        assert included == 4 + 6  # the demo's four and the six included here

        # ctrl+t: attendance, one key per person (present, apologies), then back to notes.
        first_two = [p.staff_id for p in minuting.people[:2]]
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("p", "a", "ctrl+s")
        await wait_for(pilot, lambda: minuting.people[0].attendance == "present")
        with session_scope(engine, "t") as s:
            marked = dict(
                s.exec(
                    select(MeetingAttendee.staff_id, MeetingAttendee.attendance).where(
                        MeetingAttendee.meeting_id == DECEMBER
                    )
                ).all()
            )
        assert [marked[i] for i in first_two] == ["present", "apologies"]
        assert app.focused.id == "min-notes"
        for number in range(included):
            await pilot.press(*f"Item {number + 1} notes")
            if number % 3 == 0:
                await pilot.press("ctrl+l", *"GP +2w chase SN")
                await wait_for(pilot, lambda: minuting.preview is not None and minuting.preview.ok)
                await pilot.press("enter")
                await wait_for(pilot, lambda n=number: len(minuting.items[n].actions) == 1)
                assert app.focused.id == "min-notes"  # back in the notes
            if number == 1:
                await pilot.press("ctrl+r", *"Continue plan", "enter")
                await wait_for(pilot, lambda: len(minuting.items[1].decisions) == 1)
            await pilot.press("pagedown")
            await pilot.pause()
        assert minuting.index == included - 1
        assert count(engine, Action, Action.meeting_id == DECEMBER) == 4
        with session_scope(engine, "t") as s:
            first = minuting.items[0].id
            assert (
                s.exec(select(MinuteNote.text).where(MinuteNote.agenda_item_id == first)).one()
                == "Item 1 notes"
            )

        # f9: finish; then f8 exports the minutes as Markdown to a chosen file.
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("f2")
        await wait_for(pilot, lambda: minuting.read_only)
        with session_scope(engine, "t") as s:
            assert s.get(Meeting, DECEMBER).status == "finished"
        out = tmp_path / "december.md"
        await pilot.press("f8")
        await pilot.pause()
        app.screen.query_one("#f-path").value = str(out)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: out.exists())
        text = out.read_text()
        assert "Item 1 notes" in text and "chase SN" in text
        assert oct(out.stat().st_mode & 0o777) == "0o600"

    # Each person's record entry holds no other person's identifiers.
    with session_scope(engine, "t") as s:
        entries = person_entries(s, DECEMBER)
        people = {p.id: p for p in s.exec(select(Person).where(Person.id.in_(list(entries))))}
    assert len(entries) >= 2
    for person_id, entry in entries.items():
        nhs = people[person_id].nhs_number
        assert f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" in entry  # the person's own number
        for other_id, other in people.items():
            if other_id != person_id:
                leaked = [i for i in identifiers(other) if i.lower() in entry.lower()]
                assert not leaked, (person_id, leaked)


async def test_action_tracker_chase_and_done(app, small_demo_engine):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meetings(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        assert screen.view == "actions"
        table = screen.query_one("#actions", LazyTable)
        assert table.display and screen.shown_actions
        overdue = [a for a in screen.shown_actions if a.is_overdue(screen.today)]
        assert overdue  # the demo has overdue actions; each says so in words
        assert str(table.source.rows(0, 1)[0].cells[0]) in ("OVERDUE", "open")
        target = screen.current_action()
        audits = count(engine, AuditEvent)

        # c: chase with a note.
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Phoned, will do by Friday", "ctrl+s")
        await wait_for(
            pilot, lambda: count(engine, ActionChase, ActionChase.action_id == target.id) == 1
        )
        await wait_for(pilot, lambda: screen.loaded and table.cursor_row == 1)
        with session_scope(engine, "t") as s:
            chase = s.exec(select(ActionChase).where(ActionChase.action_id == target.id)).one()
            assert chase.note == "Phoned, will do by Friday" and chase.by == "test.user"
            assert s.get(Action, target.id).last_chased_at is not None
            trail = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "action_chase", AuditEvent.row_id == chase.id
                )
            ).all()
            assert [e.action for e in trail] == ["insert"] and trail[0].actor == "test.user"

        # d on the same action (back up one): done with its outcome; it leaves the list.
        await pilot.press("up", "d")
        await pilot.pause()
        await pilot.press(*"Seen in clinic", "ctrl+s")
        await wait_for(pilot, lambda: target.id not in [a.id for a in screen.shown_actions])
        with session_scope(engine, "t") as s:
            action = s.get(Action, target.id)
            assert action.status == "done" and action.outcome == "Seen in clinic"
            updates = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "action", AuditEvent.row_id == target.id
                )
            ).all()
            assert any("status" in (e.changes or "") for e in updates)
        assert count(engine, AuditEvent) > audits

        # r: reassign the highlighted action, the owner typed as in an action line: a
        # word that names nobody is refused in the dialog (typed text kept); PM is the
        # practice manager (nobody holds it in the demo: recorded as the role).
        other = screen.current_action()
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        await pilot.press("tab", *"ZZQ", "ctrl+s")
        await wait_for(pilot, lambda: "ZZQ" in str(dialog.query_one("#form-error").content))
        assert app.screen is dialog and dialog.query_one("#f-owner").value == "ZZQ"
        await pilot.press("ctrl+u", *"PM", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        with session_scope(engine, "t") as s:
            moved = s.get(Action, other.id)
            assert (moved.owner_label, moved.owner_staff_id) == ("Practice manager", None)
        # "health visiting team" names the role, and the demo's one health visitor holds it.
        row = next(a for a in screen.shown_actions if a.id == other.id)
        table.cursor_row = screen.shown_actions.index(row)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("tab", *"health visiting team", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        with session_scope(engine, "t") as s:
            moved = s.get(Action, other.id)
            holder = s.get(Staff, moved.owner_staff_id)
            assert holder.role == "Health visitor" and moved.owner_label == holder.name
        row = next(a for a in screen.shown_actions if a.id == other.id)
        table.cursor_row = screen.shown_actions.index(row)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+u", *"+1w", "ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                next(a for a in screen.shown_actions if a.id == other.id).due_date
                == screen.today + timedelta(weeks=1)
            ),
        )


async def test_bad_input_changes_nothing(app, small_demo_engine):
    """A drop without a reason and an action line without an owner save nothing."""
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        await open_meetings(pilot, app)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, MeetingTriageScreen) and app.screen.loaded
        )
        triage = app.screen
        before = statuses(engine, DECEMBER)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "required" in str(app.screen.query_one("#form-error").content)
        await pilot.press("escape")
        assert statuses(engine, DECEMBER) == before
        assert app.screen is triage


async def test_triage_keys_at_typing_speed_act_on_fresh_rows(app, small_demo_engine):
    """Keys pressed without waiting each act on the next item with its current version:
    none is refused as 'changed by someone else' (the screen reloads before the next key)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_meetings(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MeetingTriageScreen))
        triage = app.screen
        await wait_for(pilot, lambda: triage.loaded)
        before = len(triage.rows)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(triage.rows) > before + 5)
        first = [r.id for r in triage.rows if r.triage_status == "proposed"][:4]
        while triage.current().id != first[0]:
            await pilot.press("down")
        await pilot.press("i", "d", "i", "d")
        await wait_for(  # each written in a worker, the next key held until it is shown
            pilot, lambda: statuses(small_demo_engine, DECEMBER)[first[3]] != "proposed"
        )
        now = statuses(small_demo_engine, DECEMBER)
        assert [now[i] for i in first] == ["included", "deferred", "included", "deferred"]
        assert not any("changed" in str(n.message) for n in app._notifications)
