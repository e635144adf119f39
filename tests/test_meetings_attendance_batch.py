"""Attendance marked in one save (issue 13 §2): ``series.set_attendances`` writes the
attendance dialog's marks in one unit of work, each row checked against the version the
screen read, all or nothing; the minuting screen calls it instead of looping writes. And
copying a record entry is audited by a meetings service (``record_entry_copied``), not by
the screen."""

from __future__ import annotations

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, MeetingAttendee
from coordinator_tui.screens.meetings.dialogs import AttendanceDialog
from coordinator_tui.screens.meetings.minuting import MinutingScreen
from coordinator_tui.services.meetings import MeetingConflictError, MeetingError
from coordinator_tui.services.meetings import series as ser
from coordinator_tui.services.meetings.minutes import record_entry_copied
from coordinator_tui.services.meetings.minuting import start_meeting

DECEMBER = 5  # the small demo's next meeting


def marks(engine) -> dict[int, str]:
    with session_scope(engine, "t") as s:
        return dict(
            s.exec(
                select(MeetingAttendee.staff_id, MeetingAttendee.attendance).where(
                    MeetingAttendee.meeting_id == DECEMBER
                )
            ).all()
        )


def invited(engine) -> list[ser.AttendeeRow]:
    with session_scope(engine, "t") as s:
        return ser.attendees(s, DECEMBER)


def someone_marks(engine, staff_id: int, attendance: str, who: str = "b.jones") -> None:
    """A colleague, in another window, marks one person."""
    with session_scope(engine, who) as s:
        ser.set_attendance(s, DECEMBER, staff_id, attendance)


# -- the service ------------------------------------------------------------------------


def test_all_marks_written_in_one_save(small_demo_engine):
    people = invited(small_demo_engine)
    first, second = people[0].staff_id, people[1].staff_id
    seen = {p.staff_id: p.version for p in people}
    with session_scope(small_demo_engine, "t") as s:
        ser.set_attendances(s, DECEMBER, {first: "present", second: "apologies"}, seen)
    now = marks(small_demo_engine)
    assert (now[first], now[second]) == ("present", "apologies")
    after = {p.staff_id: p.version for p in invited(small_demo_engine)}
    assert after[first] == seen[first] + 1 and after[second] == seen[second] + 1


def test_a_bad_mark_refuses_them_all(small_demo_engine):
    people = invited(small_demo_engine)
    before = marks(small_demo_engine)
    seen = {p.staff_id: p.version for p in people}
    changes = {people[0].staff_id: "present", people[1].staff_id: "asleep"}
    with (
        pytest.raises(MeetingError, match="Attendance is one of"),
        session_scope(small_demo_engine, "t") as s,
    ):
        ser.set_attendances(s, DECEMBER, changes, seen)
    assert marks(small_demo_engine) == before


def test_a_colleagues_change_to_one_row_refuses_them_all_and_names_them(small_demo_engine):
    people = invited(small_demo_engine)
    seen = {p.staff_id: p.version for p in people}
    first, second = people[0].staff_id, people[1].staff_id
    someone_marks(small_demo_engine, second, "absent")  # after the screen read the list
    with (
        pytest.raises(MeetingConflictError) as refused,
        session_scope(small_demo_engine, "t") as s,
    ):
        ser.set_attendances(s, DECEMBER, {first: "present", second: "present"}, seen)
    message = str(refused.value)
    assert message.startswith("Refused: b.jones changed this") and "(attendance)" in message
    now = marks(small_demo_engine)
    assert (now[first], now[second]) == (people[0].attendance, "absent")  # nothing half-saved


def test_someone_not_invited_is_added_unless_a_colleague_added_them_first(small_demo_engine):
    from coordinator_tui.models import Staff

    with session_scope(small_demo_engine, "t") as s:
        on_list = {p.staff_id for p in ser.attendees(s, DECEMBER)}
        newcomer = next(i for i in s.exec(select(Staff.id).order_by(Staff.id)) if i not in on_list)
    with session_scope(small_demo_engine, "t") as s:
        ser.set_attendances(s, DECEMBER, {newcomer: "present"}, {})  # came uninvited
    assert marks(small_demo_engine)[newcomer] == "present"
    # A second screen that saw them not invited (no version) is refused: someone added them.
    with pytest.raises(MeetingConflictError), session_scope(small_demo_engine, "t") as s:
        ser.set_attendances(s, DECEMBER, {newcomer: "absent"}, {newcomer: None})
    assert marks(small_demo_engine)[newcomer] == "present"


def test_copying_a_record_entry_is_audited_by_the_service(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        record_entry_copied(s, 1)
    with session_scope(small_demo_engine, "t") as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.table_name, event.row_id) == ("person", 1)
        assert "clipboard" in (event.changes or "") + (event.action or "")


# -- the screen -------------------------------------------------------------------------


async def test_the_dialog_keeps_the_marks_when_a_colleague_changed_one(
    small_demo_engine, demo_settings
):
    """ctrl+t, p, a, ctrl+s after a colleague marked the second person: refused in the
    dialog (who, what, when), the dialog stays open, nothing is written."""
    with session_scope(small_demo_engine, "setup") as s:
        start_meeting(s, DECEMBER)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(MinutingScreen(DECEMBER))
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded)
        minuting = app.screen
        first, second = (p.staff_id for p in minuting.people[:2])
        before = marks(small_demo_engine)
        someone_marks(small_demo_engine, second, "absent")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, AttendanceDialog))
        await pilot.press("p", "a", "ctrl+s")
        dialog = app.screen
        await wait_for(
            pilot, lambda: "Refused" in shown_text(dialog.query_one("#form-error"), width=120)
        )
        assert isinstance(app.screen, AttendanceDialog)
        assert "b.jones changed this" in shown_text(dialog.query_one("#form-error"), width=120)
        now = marks(small_demo_engine)
        assert now[first] == before[first] and now[second] == "absent"
