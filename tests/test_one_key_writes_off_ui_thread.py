# ruff: noqa: F811  (pytest fixtures imported from one_key_write_steps)
"""Issue 12 §2, the last part: "saves run off the UI thread (a worker) so the screen stays
live", for the writes made by one key with no dialog (``screens/background_write.py``).

Each family is tried with a real SQLite write lock held by another connection
(``BEGIN IMMEDIATE``) while the app's connections wait up to 20 s for it: the key is
pressed, the screen says "Saving…" (it could not if the UI thread were the one waiting),
a key typed meanwhile is held, nothing is written; the lock released, the write lands and
the held key acts after it, on the screen as the write left it. Then one write refused (a
colleague's change first, or a lock held past a short busy timeout): one line says so, the
database and the screen are as they were, and the screen takes keys again."""

from __future__ import annotations

from datetime import date

import pytest
from one_key_write_steps import (  # noqa: F401 (fixtures, and names other modules import)
    app_quick,
    app_slow,
    db_file,
    notes,
    press_while_locked,
    quick_engine,
    refused_while_locked,
    slow_engine,
    write_lock,
)
from pilot_helpers import wait_for
from sqlmodel import select
from test_meetings_people_app import open_meetings
from test_meetings_triage_app import DECEMBER, open_triage
from test_reports_app import import_file, next_class
from test_rota_app import (
    _early_morning,  # noqa: F401 (an autouse fixture: no visit of the week is over yet)
    db_carers,
    open_day,
    open_rota,
    rank_state,
    to_visit,
    two_swappable_visits,
)
from textual.widgets import DataTable

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AgendaItem,
    CodingFinding,
    MeetingAttendee,
    MeetingSeries,
    VisitAssignment,
)
from coordinator_tui.screens.meetings.attendees import AttendeesScreen, DirectoryPicker
from coordinator_tui.screens.meetings.series import SeriesScreen
from coordinator_tui.screens.rota.dialogs import CarerPicker
from coordinator_tui.services.rota.assign import rank_carers
from coordinator_tui.services.rota.validate import RotaState
from coordinator_tui.widgets.lazy_table import LazyTable

TUESDAY = date(2026, 11, 24)


# -- the rota ------------------------------------------------------------------------------


def free_visit_and_carer(engine) -> tuple[int, int]:
    """A single-carer visit of Tuesday left without its carer, and a carer who can take it
    with no soft problem to accept (so ``enter`` in the picker writes at once)."""
    from coordinator_tui.models import VisitStatus

    with session_scope(engine, "t") as s:
        from coordinator_tui.services.rota.assign import state_for

        state = state_for(s, TUESDAY)
        for visit_id in sorted(state.snap.visits):
            visit = state.snap.visits[visit_id]
            on = state.carers_of.get(visit_id, ())
            if visit.day != TUESDAY or visit.status != VisitStatus.PLANNED or len(on) != 1:
                continue
            if visit.carers_required != 1:
                continue
            good = [
                c
                for c in rank_carers(state, visit_id, replacing=on[0])
                if c.feasible and not c.soft and c.carer_id != on[0]
            ]
            if good:
                s.delete(
                    s.exec(
                        select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)
                    ).one()
                )
                return visit_id, good[0].carer_id
    raise AssertionError("no Tuesday visit another carer could take without a soft problem")


async def test_rota_assign_and_undo_while_the_database_is_locked(app_slow, slow_engine, db_file):
    """``enter`` in the picker and ``u``: the grid says Saving… and stays live; the week
    shown does not change until the write is made (then it does, from the worker's copy);
    a ``tab`` typed meanwhile moves the focus after the write."""
    visit_id, carer_id = free_visit_and_carer(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rota(pilot, app)
        panel = screen.query_one("#rota-unassigned", LazyTable)
        await pilot.press("tab")
        panel.cursor_row = screen.unassigned.index(visit_id)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
        picker = app.screen
        name = next(c.name for c in picker.candidates if c.carer_id == carer_id)
        await pilot.press(*("space" if ch == " " else ch for ch in name.lower()))
        assert picker.shown[0].carer_id == carer_id
        state = screen.rota.state

        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("enter",),
            lambda: db_carers(slow_engine, visit_id) == (carer_id,),
            line="#rota-problems",
            held=("tab",),
        )
        assert screen.rota.state is not state  # the worker's copy took its place
        assert screen.rota.state.carers_of[visit_id] == (carer_id,)
        assert visit_id not in screen.unassigned
        assert state.carers_of.get(visit_id, ()) == ()  # the week shown before: untouched
        await wait_for(pilot, lambda: screen.query_one("#rota-grid").has_focus)  # the tab

        # u: the same, the change put back once the lock goes.
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("u",),
            lambda: db_carers(slow_engine, visit_id) == (),
            line="#rota-problems",
            held=("tab",),
        )
        assert visit_id in screen.unassigned
        assert screen.undo_stack == []
        await wait_for(pilot, lambda: panel.has_focus)


async def test_rota_unassign_and_swap_on_a_carers_day_while_locked(app_slow, slow_engine, db_file):
    """``x`` and ``w`` on a carer's day (over the grid): Saving… is said, ``down`` typed
    meanwhile moves the day's cursor after the write, the day redrawn from the new week."""
    va, vb = two_swappable_visits(slow_engine)
    with session_scope(slow_engine, "t") as s:
        a = s.exec(select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == va)).one()
        b = s.exec(select(VisitAssignment.carer_id).where(VisitAssignment.visit_id == vb)).one()
        assert not rank_state(s, va).what_if({va: (b,), vb: (a,)}).added_soft
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rota(pilot, app)
        day_a = await open_day(pilot, app, screen, a, TUESDAY)
        await to_visit(pilot, day_a, va)
        await pilot.press("w")  # marks the first visit: no write
        assert screen.swap_mark == (va, a) and not screen.writing
        await pilot.press("escape")
        day_b = await open_day(pilot, app, screen, b, TUESDAY)
        await to_visit(pilot, day_b, vb)
        table = day_b.query_one("#carer-day-stops", DataTable)
        index = table.cursor_row
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("w",),
            lambda: db_carers(slow_engine, va) == (b,) and db_carers(slow_engine, vb) == (a,),
            line=None,  # the grid's line is under the day: a notification says it
            held=("down",),
        )
        assert va in [stop.visit_id for stop in day_b.detail.stops]  # redrawn from the copy
        stops = len(day_b.detail.stops)
        await wait_for(pilot, lambda: table.cursor_row == min(index + 1, stops - 1))

        # x on the visit the swap gave B: B taken off it, once the lock goes.
        await to_visit(pilot, day_b, va)
        index = table.cursor_row
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("x",),
            lambda: db_carers(slow_engine, va) == (),
            line=None,
            held=("down",),
        )
        assert va not in [stop.visit_id for stop in day_b.detail.stops]
        assert va in screen.unassigned
        stops = len(day_b.detail.stops)
        await wait_for(pilot, lambda: table.cursor_row == max(min(index + 1, stops - 1), 0))


async def test_rota_a_colleagues_change_first_refuses_and_changes_nothing(app_slow, slow_engine):
    """``x`` on a visit a colleague has changed since the week was read: refused with who
    did it; the database keeps the colleague's change and the week shown stays as it was
    (the write was tried on a copy); the day takes keys again."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rota(pilot, app)
        state = screen.rota.state
        carer = next(c.id for c in screen.rota.carers if len(state.day_visits(c.id, TUESDAY)) > 2)
        visit_id = state.day_visits(carer, TUESDAY)[0]
        day = await open_day(pilot, app, screen, carer, TUESDAY)
        await to_visit(pilot, day, visit_id)
        with session_scope(slow_engine, "b.jones") as s:  # on another PC, meanwhile
            for row in s.exec(select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)):
                s.delete(row)
        await pilot.press("x")
        await wait_for(pilot, lambda: "Refused" in notes(app))
        assert "b.jones" in notes(app)
        assert db_carers(slow_engine, visit_id) == ()
        assert screen.rota.state is state and carer in state.carers_of[visit_id]
        assert visit_id in [stop.visit_id for stop in day.detail.stops]
        assert not screen.writing and app.screen is day
        table = day.query_one("#carer-day-stops", DataTable)
        before = table.cursor_row
        await pilot.press("down")
        await wait_for(pilot, lambda: table.cursor_row == before + 1)


def test_a_fork_changes_apart_from_the_state_it_came_from(small_demo_engine):
    """``RotaState.fork``: a change on the copy leaves the original (the week drawn) as it
    was, and the copy checks as a state given the change from the start would."""
    from coordinator_tui.services.rota.assign import state_for

    with session_scope(small_demo_engine, "t") as s:
        state = state_for(s, TUESDAY)
        fresh = state_for(s, TUESDAY)
    carer, visit_id = next(
        (c, v)
        for v, on in sorted(state.carers_of.items())
        for c in on
        if state.snap.visits[v].day == TUESDAY and len(on) == 1
    )

    def seen(one: RotaState) -> tuple:
        return (
            dict(one.carers_of),
            sorted(map(repr, one.problems())),
            one.day_visits(carer, TUESDAY),
        )

    before = seen(state)
    twin = state.fork()
    twin.change({visit_id: ()})
    twin.accept("X", visit_id, carer)
    assert seen(state) == before
    assert ("X", visit_id, carer) not in state.acceptances
    fresh.change({visit_id: ()})
    assert twin.carers_of == fresh.carers_of
    assert sorted(map(repr, twin.problems())) == sorted(map(repr, fresh.problems()))
    assert visit_id not in twin.day_visits(carer, TUESDAY)
    assert isinstance(twin, RotaState) and twin.snap is state.snap


# -- meetings: triage -------------------------------------------------------------------------


def item(engine, item_id: int) -> AgendaItem:
    with session_scope(engine, "t") as s:
        row = s.get(AgendaItem, item_id)
        s.expunge(row)
        return row


async def proposed_triage(pilot, app):
    triage = await open_triage(pilot, app)
    await pilot.press("p")  # itself a one-key write, in a worker
    await wait_for(pilot, lambda: not triage.writing and len(triage.rows) > 3)
    table = triage.query_one(LazyTable)
    table.cursor_row = next(i for i, r in enumerate(triage.rows) if r.triage_status == "proposed")
    await pilot.pause()
    return triage, table


async def test_triage_include_while_the_database_is_locked(app_slow, slow_engine, db_file):
    """``i`` then ``down`` in one go: Saving… under the list, ``down`` held; the lock gone,
    the item is included, the cursor moves on to the next item and then down once more."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        triage, table = await proposed_triage(pilot, app)
        index, row = table.cursor_row, triage.current()
        await press_while_locked(
            pilot,
            app,
            triage,
            db_file,
            ("i",),
            lambda: item(slow_engine, row.id).triage_status == "included",
            line="#triage-detail",
            held=("down",),
        )
        await wait_for(pilot, lambda: table.cursor_row == index + 2)
        shown = next(r for r in triage.rows if r.id == row.id)
        assert shown.triage_status == "included"  # the rows read again after the write


async def test_triage_a_colleagues_change_first_is_refused(app_slow, slow_engine):
    from coordinator_tui.services.meetings.triage import update_item

    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        triage, table = await proposed_triage(pilot, app)
        row = triage.current()
        theirs = 3 if row.priority != 3 else 2
        with session_scope(slow_engine, "b.jones") as s:
            update_item(s, row.id, row.version, priority=theirs)
        await pilot.press("i")
        await wait_for(pilot, lambda: "b.jones" in notes(app))
        assert not triage.writing and app.screen is triage
        stored = item(slow_engine, row.id)
        assert (stored.triage_status, stored.priority) == ("proposed", theirs)
        assert triage.current() is row  # the screen as it was
        await pilot.press("f5")  # usable: read again, then include
        await wait_for(pilot, lambda: triage.current() is not row and triage.current().id == row.id)
        await pilot.press("i")
        await wait_for(pilot, lambda: item(slow_engine, row.id).triage_status == "included")


# -- the coding audit -------------------------------------------------------------------------


def status(engine, finding_id: int) -> str:
    with session_scope(engine, "t") as s:
        return s.get(CodingFinding, finding_id).status


async def test_coding_audit_add_while_the_database_is_locked(
    app_slow, slow_engine, db_file, export_file
):
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await import_file(pilot, app, export_file)
        await next_class(pilot, screen, "coded_not_registered")
        table = screen.query_one(LazyTable)
        index, finding = table.cursor_row, screen.highlighted()
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("a",),
            lambda: status(slow_engine, finding.id) == "added",
            line="#coding-detail",
            held=("down",),
        )
        await wait_for(pilot, lambda: table.cursor_row == index + 2)
        assert "added to our register" in notes(app)


async def test_coding_audit_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file, export_file
):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await import_file(pilot, app, export_file)
        await next_class(pilot, screen, "coded_not_registered")
        table = screen.query_one(LazyTable)
        index, finding = table.cursor_row, screen.highlighted()
        await refused_while_locked(pilot, app, screen, db_file, ("a",))
        assert status(quick_engine, finding.id) == "open"
        assert table.cursor_row == index and screen.highlighted().id == finding.id
        await pilot.press("a")  # the same key again, the lock gone
        await wait_for(pilot, lambda: status(quick_engine, finding.id) == "added")


# -- meetings: a series restarted, an attendee invited ----------------------------------------


def stop_a_series(engine) -> int:
    from coordinator_tui.services.meetings.series import set_series_active

    with session_scope(engine, "setup") as s:
        series_id = s.exec(select(MeetingSeries.id).order_by(MeetingSeries.id)).first()
        set_series_active(s, series_id, False)
    return series_id


def active(engine, series_id: int) -> bool:
    with session_scope(engine, "t") as s:
        return s.get(MeetingSeries, series_id).active


async def open_series(pilot, app, series_id: int) -> tuple[SeriesScreen, LazyTable]:
    await open_meetings(pilot, app)
    await pilot.press("L")
    await wait_for(pilot, lambda: isinstance(app.screen, SeriesScreen) and app.screen.loaded)
    screen = app.screen
    table = screen.query_one(LazyTable)
    table.cursor_row = [r.id for r in screen.rows].index(series_id)
    await pilot.pause()
    return screen, table


async def test_series_restarted_while_the_database_is_locked(app_slow, slow_engine, db_file):
    series_id = stop_a_series(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_series(pilot, app, series_id)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("x",),
            lambda: active(slow_engine, series_id),
            line="#series-head",
            held=("up",),
        )
        # The restarted series moves up among the active ones; the cursor follows it,
        # then the held "up" moves it one further.
        keys = [r.id for r in screen.rows]
        await wait_for(pilot, lambda: table.cursor_row == max(keys.index(series_id) - 1, 0))
        assert next(r for r in screen.rows if r.id == series_id).active


async def test_series_restart_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    series_id = stop_a_series(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_series(pilot, app, series_id)
        await refused_while_locked(pilot, app, screen, db_file, ("x",))
        assert not active(quick_engine, series_id)
        assert not screen.current().active and screen.current().id == series_id
        await pilot.press("x")
        await wait_for(pilot, lambda: active(quick_engine, series_id))


def invited(engine, staff_id: int) -> bool:
    with session_scope(engine, "t") as s:
        return (
            s.exec(
                select(MeetingAttendee).where(
                    MeetingAttendee.meeting_id == DECEMBER, MeetingAttendee.staff_id == staff_id
                )
            ).first()
            is not None
        )


async def open_directory(pilot, app) -> tuple[AttendeesScreen, DirectoryPicker]:
    meetings = await open_meetings(pilot, app)
    assert meetings.current_meeting().id == DECEMBER
    await pilot.press("v")
    await wait_for(pilot, lambda: isinstance(app.screen, AttendeesScreen) and app.screen.loaded)
    screen = app.screen
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(app.screen, DirectoryPicker))
    picker = app.screen
    await pilot.press(*"school nurse")
    await wait_for(pilot, lambda: len(picker.shown) == 1)
    return screen, picker


async def test_attendee_invited_while_the_database_is_locked(app_slow, slow_engine, db_file):
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen, picker = await open_directory(pilot, app)
        staff_id = picker.shown[0].staff_id
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("enter",),
            lambda: invited(slow_engine, staff_id),
            line="#attendees-note",
            held=("up",),
        )
        keys = [r.staff_id for r in screen.rows]
        assert staff_id in keys and len(keys) == 6
        table = screen.query_one(LazyTable)
        await wait_for(pilot, lambda: table.cursor_row == max(keys.index(staff_id) - 1, 0))


async def test_attendee_invite_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen, picker = await open_directory(pilot, app)
        staff_id = picker.shown[0].staff_id
        await refused_while_locked(pilot, app, screen, db_file, ("enter",))
        assert not invited(quick_engine, staff_id)
        assert staff_id not in [r.staff_id for r in screen.rows] and len(screen.rows) == 5
        await pilot.press("i")  # usable: the same invitation again, the lock gone
        await wait_for(pilot, lambda: isinstance(app.screen, DirectoryPicker))
        await pilot.press(*"school nurse")
        await wait_for(pilot, lambda: len(app.screen.shown) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: invited(quick_engine, staff_id))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def export_file(small_demo_engine, tmp_path):
    """The small demo's own clinical-system export (as ``test_reports_app``)."""
    from coordinator_tui.demo.coding import demo_export

    with session_scope(small_demo_engine, "t") as s:
        demo = demo_export(s, today=date(2026, 11, 23))
    path = tmp_path / "export.csv"
    path.write_text(demo.text)
    return path
