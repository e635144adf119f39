"""Pre-meeting triage driven by keys on the small demo (issue 22 §1): p proposes what fits
the meeting's time, most at risk first, P the rest; the filter and the marks defer or drop
many items with one confirmation; an item deferred comes back on the next meeting as
carried forward; a refused save keeps the dialog and what was typed; the minutes to
circulate name nobody who was not discussed, the INTERNAL version says so."""

from __future__ import annotations

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AgendaItem, Person
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.meetings.meetings import MeetingsScreen
from coordinator_tui.screens.meetings.triage import MeetingTriageScreen, matches
from coordinator_tui.services.errors import DatabaseUnavailableError
from coordinator_tui.widgets.lazy_table import LazyTable

DECEMBER, JANUARY = 5, 6  # the demo's next two planned meetings (60 minutes each)
FINISHED = 4  # the demo's November meeting, finished


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


def items(engine, meeting_id: int) -> dict[int, AgendaItem]:
    with session_scope(engine, "t") as s:
        rows = s.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all()
        return {row.id: row for row in rows}


async def open_triage(pilot, app, down: int = 0) -> MeetingTriageScreen:
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, MeetingsScreen) and app.screen.loaded)
    for _ in range(down):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, MeetingTriageScreen) and app.screen.loaded)
    return app.screen


async def test_propose_fits_the_time_and_bulk_defers_what_the_filter_shows(app, small_demo_engine):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        triage = await open_triage(pilot, app)
        before = set(items(engine, DECEMBER))
        free = triage.totals.minutes_free

        # p: only what fits the minutes free (urgent always), most at risk first.
        await pilot.press("p")
        await wait_for(pilot, lambda: triage.held_back > 0 and len(triage.rows) > len(before))
        new = [i for k, i in items(engine, DECEMBER).items() if k not in before]
        routine = sum(i.minutes_allotted for i in new if i.priority != 1)
        assert new and routine <= free
        assert triage.held_back > 100  # the demo's ~150 overdue items are not all proposed
        assert "P proposes them" in shown_text(triage.query_one("#triage-totals"))
        assert triage.query_one(LazyTable).cursor_row == 0  # from the top
        assert [r.priority for r in triage.rows if r.id not in before][:3] == [1, 1, 1]

        # P: the rest held back.
        held = triage.held_back
        await pilot.press("P")
        await wait_for(pilot, lambda: len(items(engine, DECEMBER)) == len(before) + len(new) + held)
        await wait_for(pilot, lambda: triage.held_back == 0)

        # / filters as you type; * marks every item shown; d defers them all, one confirm.
        await pilot.press("slash", *"review overdue", "enter")
        await wait_for(pilot, lambda: 0 < len(triage.rows) < len(triage.all_rows))
        shown = [r.id for r in triage.rows]
        assert all(matches(r, "review overdue") for r in triage.rows)
        assert {r.source_kind for r in triage.rows} >= {"review_overdue"}
        await pilot.press("asterisk")
        assert triage.marked == set(shown)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"awaiting reports", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is triage and not triage.marked)
        now = items(engine, DECEMBER)
        assert {now[i].triage_status for i in shown} == {"deferred"}
        assert {now[i].drop_reason for i in shown} == {"awaiting reports"}
        others = [i for k, i in now.items() if k not in shown and k not in before]
        assert {i.triage_status for i in others} == {"proposed"}  # nothing else changed

        # esc clears the filter first (the screen stays).
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(triage.rows) == len(triage.all_rows))
        assert app.screen is triage


async def test_bulk_drop_needs_a_reason_and_a_refused_save_keeps_the_dialog(
    app, small_demo_engine, monkeypatch
):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        triage = await open_triage(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: triage.held_back > 0)
        chosen = [r.id for r in triage.rows[:2]]
        await pilot.press("space", "space")
        assert triage.marked == set(chosen)
        assert "2 marked" in shown_text(triage.query_one("#triage-totals"))
        # The database is busy: one line in the dialog, the reason typed is kept.
        from coordinator_tui.services.meetings import triage as service

        def busy(*args, **kwargs):
            raise DatabaseUnavailableError("Another user is saving just now: nothing was saved")

        monkeypatch.setattr(service, "drop_many", busy)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "required" in str(dialog.query_one("#form-error").content))

        await pilot.press(*"not for this panel", "ctrl+s")
        await wait_for(
            pilot, lambda: "nothing was saved" in str(dialog.query_one("#form-error").content)
        )
        assert app.screen is dialog and dialog.query_one("#f-why").value == "not for this panel"
        assert {items(engine, DECEMBER)[i].triage_status for i in chosen} == {"proposed"}

        # Someone else changes one of them meanwhile: all or none, the conflict named.
        monkeypatch.undo()
        with session_scope(engine, "colleague") as s:
            s.get(AgendaItem, chosen[1]).minutes_allotted = 15
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "colleague" in str(dialog.query_one("#form-error").content))
        assert {items(engine, DECEMBER)[i].triage_status for i in chosen} == {"proposed"}
        await pilot.press("escape")
        await pilot.pause()
        if app.screen is not triage:  # the dialog asks before dropping what was typed
            await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is triage)
        await pilot.press("f5")
        await wait_for(pilot, lambda: triage.rows[1].minutes_allotted == 15)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"not for this panel", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is triage and not triage.marked)
        now = items(engine, DECEMBER)
        assert {now[i].triage_status for i in chosen} == {"dropped"}
        assert {now[i].drop_reason for i in chosen} == {"not for this panel"}


async def test_an_item_deferred_comes_back_carried_forward_on_the_next_meeting(
    app, small_demo_engine
):
    engine = small_demo_engine
    async with app.run_test(size=(120, 40)) as pilot:
        triage = await open_triage(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: triage.held_back > 0)
        target = triage.current()
        assert target.triage_status == "proposed"
        await pilot.press("2", "d")  # high priority, then deferred
        await wait_for(
            pilot, lambda: items(engine, DECEMBER)[target.id].triage_status == "deferred"
        )
        await pilot.press("escape")

        # January's triage: the item is there, carried forward with its priority and why.
        january = await open_triage(pilot, app, down=1)
        assert january.meeting_id == JANUARY
        carried = [r for r in january.all_rows if r.carried]
        assert [r.title for r in carried] == [target.title]
        row = carried[0]
        assert row.triage_status == "included" and row.priority == 2
        assert row.carried_note.startswith("Deferred at the triage for PCN safeguarding MDT")
        with session_scope(engine, "t") as s:
            copy = s.get(AgendaItem, row.id)
            assert copy.deferred_from_item_id == target.id
        table = january.query_one(LazyTable)
        table.cursor_row = january.rows.index(row)
        await pilot.pause()
        assert "↻ carried" in str(
            table.source.rows(table.cursor_row, table.cursor_row + 1)[0].cells[0]
        )
        assert "Carried forward" in shown_text(january.query_one("#triage-detail"))
        assert january.totals.carried == 1
        # It is not among the new proposals: p adds no second copy of it.
        await pilot.press("p")
        await wait_for(pilot, lambda: january.held_back > 0 or len(january.rows) > len(carried))
        same = [
            r for r in january.all_rows if (r.title, r.source_kind) == (row.title, row.source_kind)
        ]
        assert len(same) == 1


async def test_minutes_exported_from_the_dialog_to_circulate_and_internal(
    app, small_demo_engine, tmp_path
):
    """x on a finished meeting: the version to circulate names nobody not discussed; the
    INTERNAL one (chosen in the dialog) says INTERNAL in its file name and heading."""
    from coordinator_tui.services.meetings.triage import UNTRIAGED_NOTE

    engine = small_demo_engine
    with session_scope(engine, "t") as s:
        # A proposal nobody triaged before the meeting (deferred when it started).
        on_agenda = select(AgendaItem.person_id).where(AgendaItem.meeting_id == FINISHED)
        person = s.exec(
            select(Person).where(Person.id.not_in(on_agenda)).order_by(Person.id)
        ).first()
        s.add(
            AgendaItem(
                meeting_id=FINISHED,
                person_id=person.id,
                title=f"{person.family_name.upper()}, {person.given_name}: MARAC referral",
                source_kind="referral_overdue",
                reason="MARAC referral overdue",
                triage_status="deferred",
                drop_reason=UNTRIAGED_NOTE,
            )
        )
        untriaged = [person]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, MeetingsScreen) and app.screen.loaded)
        meetings = app.screen
        row = next(m for m in meetings.shown_meetings if m.row.id == FINISHED)
        meetings.query_one("#meetings", LazyTable).cursor_row = meetings.shown_meetings.index(row)
        for version, name in (("external", "out.md"), ("internal", "out.md")):
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            dialog = app.screen
            if version == "internal":
                dialog.query_one("#f-version").focus()
                await pilot.press("enter", "down", "enter")
                await wait_for(
                    pilot, lambda d=dialog: d.query_one("#f-version").value == "internal"
                )
            dialog.query_one("#f-path").value = str(tmp_path / name)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is meetings)
    external = (tmp_path / "out.md").read_text()
    internal = (tmp_path / "out-INTERNAL.md").read_text()
    assert "INTERNAL" not in external and internal.splitlines()[0].endswith("(INTERNAL)")
    for person in untriaged:
        name = f"{person.family_name.upper()}, {person.given_name}"
        assert name not in external and person.nhs_number not in external
        assert name in internal
