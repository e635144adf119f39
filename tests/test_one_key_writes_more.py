# ruff: noqa: F811  (pytest fixtures imported from one_key_write_steps)
"""Issue 12 §2, "saves run off the UI thread (a worker) so the screen stays live", for the
rest of the one-key writes (``screens/background_write.py``): meetings made from their
series and an invitation written, a concern triaged for the meeting, the chronology,
KPI pack and themes exports, a process update's acknowledgement, a theme taken off a
record, and Plan B's call outcomes and call list export.

As in ``one_key_write_steps``: another connection holds a real SQLite
write lock (``BEGIN IMMEDIATE``) while the app's connections wait up to 20 s. The key is
pressed; the screen says "Saving…" (it could not if the UI thread were the one waiting);
a key typed meanwhile is held; nothing is written. The lock released, the write lands and
the held key acts after it, on the screen as the write left it. Then the same key with a
lock held past a short busy timeout: refused in one line, the database and the screen as
they were, and the screen takes keys again."""

from __future__ import annotations

from datetime import date, time

import pytest
from one_key_write_steps import (
    app_quick,  # noqa: F401 (fixtures)
    app_slow,  # noqa: F401
    db_file,  # noqa: F401
    notes,
    press_while_locked,
    quick_engine,  # noqa: F401
    refused_while_locked,
    slow_engine,  # noqa: F401
)
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select
from test_meetings_people_app import open_meetings

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Meeting
from coordinator_tui.widgets.lazy_table import LazyTable

TODAY = date(2026, 11, 23)


def exports(engine, what: str) -> int:
    """How many exports of ``what`` the audit trail holds."""
    with session_scope(engine, "t") as s:
        rows = s.exec(select(AuditEvent.changes).where(AuditEvent.action == "export")).all()
    return sum(1 for changes in rows if what in str(changes))


def count(engine, table) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(table)).one()


# -- meetings: g (from the series), i (the invitation) ----------------------------------------


def new_series(engine) -> None:
    """A series with no meetings made yet, so ``g`` has some to make."""
    from coordinator_tui.services.meetings.series import create_series, rule_from_words

    with session_scope(engine, "setup") as s:
        create_series(
            s,
            name="Practice huddle",
            rule=rule_from_words("first Wednesday monthly"),
            start_time=time(13, 0),
            first_on=date(2026, 12, 2),
        )


async def test_meetings_from_the_series_and_invite_while_locked(app_slow, slow_engine, db_file):
    """``g``: Saving… in the summary line, ``down`` held; the lock gone, the series'
    meetings are made, the list shows them and the cursor moves down after. ``i``: the invitation's
    audit record waits for the lock; then it is written."""
    new_series(slow_engine)
    before = count(slow_engine, Meeting)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meetings(pilot, app)
        table = screen.query_one("#meetings", LazyTable)
        shown = len(screen.shown_meetings)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("g",),
            lambda: count(slow_engine, Meeting) > before,
            line="#meetings-summary",
            held=("down",),
        )
        made = count(slow_engine, Meeting) - before
        await wait_for(pilot, lambda: len(screen.shown_meetings) == shown + made)
        assert any(m.row.title.startswith("Practice huddle") for m in screen.shown_meetings)
        await wait_for(pilot, lambda: table.cursor_row == 1)  # the held down, after
        assert f"{made} meetings created from the series" in notes(app)
        assert "Saving" not in shown_text(screen.query_one("#meetings-summary"))

        meeting = screen.current_meeting()
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("i",),
            lambda: exports(slow_engine, "invitation") == 2,  # the .ics and the e-mail text
            line="#meetings-summary",
            held=("up",),
        )
        await wait_for(pilot, lambda: "Invitation written" in notes(app))
        assert f"meeting-{meeting.id}-" in notes(app)
        await wait_for(pilot, lambda: table.cursor_row == 0)


async def test_meetings_from_the_series_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file
):
    new_series(quick_engine)
    before = count(quick_engine, Meeting)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meetings(pilot, app)
        shown = [m.row.id for m in screen.shown_meetings]
        await refused_while_locked(pilot, app, screen, db_file, ("g",))
        assert count(quick_engine, Meeting) == before
        assert [m.row.id for m in screen.shown_meetings] == shown
        app.clear_notifications()  # the first refusal said
        await refused_while_locked(pilot, app, screen, db_file, ("i",))
        assert exports(quick_engine, "invitation") == 0
        await pilot.press("g")  # the same key again, the lock gone
        await wait_for(pilot, lambda: count(quick_engine, Meeting) > before)


# -- registers: a concern triaged for the meeting (m) -----------------------------------------


def concern_status(engine, concern_id: int) -> str:
    from coordinator_tui.models import Concern

    with session_scope(engine, "t") as s:
        return str(s.get(Concern, concern_id).status)


async def open_concerns(pilot, app):
    from coordinator_tui.screens.registers.concerns import ConcernsScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    await pilot.press("C")
    await wait_for(pilot, lambda: isinstance(app.screen, ConcernsScreen) and app.screen.loaded)
    return app.screen


async def test_concern_for_the_meeting_while_locked(app_slow, slow_engine, db_file):
    """``m`` on the first concern, ``down`` typed meanwhile: the lock gone, the concern
    leaves the list and the cursor moves from the next one (now first) down to the one
    after it."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_concerns(pilot, app)
        waiting = len(screen.rows)
        assert waiting > 2  # the demo's concerns awaiting triage
        first = screen.current()
        untriaged = concern_status(slow_engine, first.id)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("m",),
            lambda: concern_status(slow_engine, first.id) != untriaged,
            line="#concerns-summary",
            held=("down",),
        )
        await wait_for(pilot, lambda: len(screen.rows) == waiting - 1)
        assert first.id not in [r.id for r in screen.rows]
        await wait_for(pilot, lambda: screen.query_one(LazyTable).cursor_row == 1)
        assert "Triaged" in notes(app)


async def test_concern_for_the_meeting_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file
):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_concerns(pilot, app)
        first, rows = screen.current(), list(screen.rows)
        untriaged = concern_status(quick_engine, first.id)
        await refused_while_locked(pilot, app, screen, db_file, ("m",))
        assert concern_status(quick_engine, first.id) == untriaged
        assert screen.rows == rows and screen.current() is first
        await pilot.press("m")  # the same key again, the lock gone
        await wait_for(pilot, lambda: concern_status(quick_engine, first.id) != untriaged)


# -- a person's chronology exported (E) -------------------------------------------------------


async def open_person(pilot, app):
    from coordinator_tui.screens.registers.person import PersonScreen
    from coordinator_tui.screens.registers.queue import RegistersScreen

    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
    return app.screen


async def test_chronology_export_while_locked(app_slow, slow_engine, db_file, demo_settings):
    """``E``: "Saving…" said (a notification: the record has no status line), ``m`` typed
    meanwhile held; no file and no audit record until the lock goes; then both, and the
    held ``m`` opens the case summary after."""
    from coordinator_tui.screens.form_dialog import FormDialog

    app = app_slow
    folder = demo_settings.export_dir
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_person(pilot, app)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("E",),
            lambda: exports(slow_engine, "chronology") == 1,
            line=None,
            held=("m",),
        )
        await wait_for(pilot, lambda: "Chronology exported" in notes(app))
        assert sorted(p.suffix for p in folder.iterdir()) == [".csv", ".md"]
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))  # the held m


async def test_chronology_export_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file, demo_settings
):
    app = app_quick
    folder = demo_settings.export_dir
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_person(pilot, app)
        await refused_while_locked(pilot, app, screen, db_file, ("E",))
        assert exports(quick_engine, "chronology") == 0
        assert not folder.exists() or not any(folder.iterdir())  # nothing left the app
        assert app.screen is screen and screen.loaded
        await pilot.press("E")
        await wait_for(pilot, lambda: exports(quick_engine, "chronology") == 1)


# -- reports: the KPI pack and the themes exported (E), a theme taken off (x) -----------------


async def open_report(pilot, app, key: str, kind: type):
    from coordinator_tui.screens.reports.reports import ReportsScreen

    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, kind) and app.screen.loaded)
    return app.screen


async def test_kpi_pack_export_while_locked(app_slow, slow_engine, db_file):
    from coordinator_tui.screens.reports.kpi import KpiPackScreen

    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot, app, "h", KpiPackScreen)
        table = screen.query_one(LazyTable)
        index = table.cursor_row
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("E",),
            lambda: exports(slow_engine, "kpi pack") == 1,
            line="#kpi-note",
            held=("down",),
        )
        await wait_for(pilot, lambda: len(screen.last_export) == 3)
        assert all(p.exists() for p in screen.last_export)
        await wait_for(pilot, lambda: table.cursor_row == index + 1)


async def test_kpi_pack_export_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    from coordinator_tui.screens.reports.kpi import KpiPackScreen

    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot, app, "h", KpiPackScreen)
        note = shown_text(screen.query_one("#kpi-note"))
        await refused_while_locked(pilot, app, screen, db_file, ("E",))
        assert exports(quick_engine, "kpi pack") == 0 and screen.last_export == []
        assert shown_text(screen.query_one("#kpi-note")) == note  # "Saving…" taken away
        await pilot.press("E")
        await wait_for(pilot, lambda: len(screen.last_export) == 3)


@pytest.fixture
def themed(slow_engine):
    from coordinator_tui.services.reports.demo_themes import tag_demo_themes

    with session_scope(slow_engine, "demo") as s:
        tag_demo_themes(s, seed=3, today=TODAY)
    return slow_engine


async def open_busiest(pilot, app, screen):
    """``enter`` on the theme with the most records: its record list."""
    from coordinator_tui.screens.reports.themes import ThemeRecordsScreen

    busiest = max(screen.report.series, key=lambda x: x.total)
    table = screen.query_one(LazyTable)
    keys = [row.key for row in table.source.rows(0, table.row_count)]
    table.cursor_row = keys.index(busiest.theme)
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ThemeRecordsScreen) and app.screen.loaded)
    return app.screen, busiest


def themes_of(engine, kind: str, record_id: int) -> list[str]:
    from coordinator_tui.services.reports.themes import themes_of as read

    with session_scope(engine, "t") as s:
        return read(s, kind, record_id)


async def test_themes_export_and_a_theme_taken_off_while_locked(app_slow, themed, db_file):
    """``E`` on the themes table, then ``x`` in the busiest theme's records: each waits
    for the lock with the screen live, ``down`` held; the record leaves the list and the
    cursor moves on from where it was after."""
    from coordinator_tui.screens.reports.themes import ThemesScreen

    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot, app, "t", ThemesScreen)
        table = screen.query_one(LazyTable)
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("E",),
            lambda: exports(themed, "themes report") == 3,  # csv, xlsx, docx
            line="#themes-note",
            held=("down",),
        )
        await wait_for(pilot, lambda: len(screen.last_export) == 3)
        await wait_for(pilot, lambda: table.cursor_row == 1)

        records, busiest = await open_busiest(pilot, app, screen)
        rows = records.query_one(LazyTable)
        record, index = records.highlighted(), rows.cursor_row
        assert busiest.theme in themes_of(themed, record.kind, record.id)
        await press_while_locked(
            pilot,
            app,
            records,
            db_file,
            ("x",),
            lambda: busiest.theme not in themes_of(themed, record.kind, record.id),
            line="#themes-note",
            held=("down",),
        )
        await wait_for(pilot, lambda: len(records.records) == busiest.total - 1)
        assert (record.kind, record.id) not in [(r.kind, r.id) for r in records.records]
        await wait_for(pilot, lambda: rows.cursor_row == index + 1)  # the next one, then down


async def test_theme_taken_off_refused_past_the_busy_timeout(demo_settings, quick_engine, db_file):
    from coordinator_tui.screens.reports.themes import ThemesScreen
    from coordinator_tui.services.reports.demo_themes import tag_demo_themes

    with session_scope(quick_engine, "demo") as s:
        tag_demo_themes(s, seed=3, today=TODAY)
    app = make_app(demo_settings, quick_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot, app, "t", ThemesScreen)
        await refused_while_locked(pilot, app, screen, db_file, ("E",))
        assert exports(quick_engine, "themes report") == 0 and screen.last_export == []
        records, _busiest = await open_busiest(pilot, app, screen)
        record, before = records.highlighted(), len(records.records)
        app.clear_notifications()  # the first refusal said
        await refused_while_locked(pilot, app, records, db_file, ("x",))
        assert records.theme in themes_of(quick_engine, record.kind, record.id)
        await wait_for(pilot, lambda: records.loaded and len(records.records) == before)
        assert records.highlighted() == record
        await pilot.press("x")
        await wait_for(pilot, lambda: len(records.records) == before - 1)


# -- a process update acknowledged (a) --------------------------------------------------------


def an_update(engine) -> int:
    from coordinator_tui.services.reports import process_updates as pu

    with session_scope(engine, "coordinator") as s:
        return pu.create_update(
            s,
            today=TODAY,
            by="coordinator",
            title="New MASH referral form",
            what_changed="Referrals to MASH use the new online form",
            effective_from=TODAY,
            guidance="County safeguarding partnership procedures, November 2026",
            practices="Riverside, Y99002",
        ).id


def acknowledged(engine, recipient_id: int) -> date | None:
    from coordinator_tui.models import ProcessUpdateRecipient

    with session_scope(engine, "t") as s:
        return s.get(ProcessUpdateRecipient, recipient_id).acknowledged_on


async def open_recipients(pilot, app):
    from coordinator_tui.screens.reports.process_updates import (
        ProcessUpdatesScreen,
        RecipientsScreen,
    )

    await open_report(pilot, app, "u", ProcessUpdatesScreen)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RecipientsScreen) and app.screen.loaded)
    return app.screen


async def test_acknowledgement_while_locked(app_slow, slow_engine, db_file):
    """``a`` on the first administrator, ``up`` typed meanwhile: the write moves the
    cursor on to the second; the held ``up`` then brings it back (so it acted after)."""
    an_update(slow_engine)
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_recipients(pilot, app)
        assert len(screen.rows) == 2
        first = screen.highlighted()
        await press_while_locked(
            pilot,
            app,
            screen,
            db_file,
            ("a",),
            lambda: acknowledged(slow_engine, first.id) == TODAY,
            line="#recipients-summary",
            held=("up",),
        )
        await wait_for(pilot, lambda: any(r.acknowledged_on == TODAY for r in screen.rows))
        table = screen.query_one(LazyTable)
        await wait_for(pilot, lambda: table.cursor_row == 0)
        assert "1 of 2 acknowledged" in shown_text(screen.query_one("#recipients-summary"))


async def test_acknowledgement_refused_past_the_busy_timeout(app_quick, quick_engine, db_file):
    an_update(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_recipients(pilot, app)
        first = screen.highlighted()
        await refused_while_locked(pilot, app, screen, db_file, ("a",))
        assert acknowledged(quick_engine, first.id) is None
        assert screen.highlighted() is first and first.acknowledged_on is None
        assert "0 of 2 acknowledged" in shown_text(screen.query_one("#recipients-summary"))
        await pilot.press("a")
        await wait_for(pilot, lambda: acknowledged(quick_engine, first.id) == TODAY)


# -- Plan B: a call's outcome (n) and the call list exported (x) ------------------------------


@pytest.fixture
def early_morning(demo_settings, monkeypatch):
    """05:00 on the demo's Monday: no visit of the week is over yet (as the rota tests)."""
    monkeypatch.setattr(demo_settings, "now", time(5, 0))


async def plan_b_call_list(pilot, app):
    """A carer absent on Tuesday, every visit covered by Plan B, the call list focused."""
    from test_rota_feedback_app import busiest, mark_absent_and_cover

    from coordinator_tui.screens.rota.grid import RotaScreen

    await pilot.press("5")
    await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
    rota = app.screen
    tuesday = date(2026, 11, 24)
    plan = await mark_absent_and_cover(pilot, app, rota, busiest(rota, tuesday), tuesday)
    assert len(plan.calls.covered) > 1
    await pilot.press("tab")
    await wait_for(pilot, lambda: plan.query_one("#call-list").has_focus)
    table = plan.query_one("#call-list", LazyTable)
    table.cursor_row = [i.cover_id for i in plan.calls.items].index(plan.calls.covered[0].cover_id)
    await pilot.pause()
    return plan, table


def calls_logged(engine, cover_id: int) -> list[str]:
    from coordinator_tui.models import ContactLog

    with session_scope(engine, "t") as s:
        return list(
            s.exec(
                select(ContactLog.outcome)
                .where(ContactLog.cover_id == cover_id)
                .order_by(ContactLog.id)
            ).all()
        )


async def test_plan_b_call_outcome_and_export_while_locked(
    app_slow, slow_engine, db_file, early_morning
):
    """``n`` on a covered call: Saving… under the call list, ``down`` held; the lock
    gone, the outcome is logged and shown, and the cursor moves down after. ``x``: the
    call list's export waits for its audit record, then both files are written."""
    app = app_slow
    async with app.run_test(size=(120, 40)) as pilot:
        plan, table = await plan_b_call_list(pilot, app)
        item = plan.current_call()
        index = table.cursor_row
        await press_while_locked(
            pilot,
            app,
            plan,
            db_file,
            ("n",),
            lambda: calls_logged(slow_engine, item.cover_id) == ["no answer"],
            line="#call-detail",
            held=("down",),
        )
        await wait_for(pilot, lambda: plan.outcomes.get(item.cover_id) == "no answer")
        await wait_for(pilot, lambda: table.cursor_row == index + 1)
        assert "no answer" in str(plan._call_row(plan.calls.items[index]).cells[-1])

        await press_while_locked(
            pilot,
            app,
            plan,
            db_file,
            ("x",),
            lambda: exports(slow_engine, "call list") == 1,
            line="#call-detail",
            held=("up",),
        )
        await wait_for(pilot, lambda: "Call list written" in notes(app))
        await wait_for(pilot, lambda: table.cursor_row == index)


async def test_plan_b_call_outcome_refused_past_the_busy_timeout(
    app_quick, quick_engine, db_file, early_morning
):
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        plan, table = await plan_b_call_list(pilot, app)
        item, index = plan.current_call(), table.cursor_row
        await refused_while_locked(pilot, app, plan, db_file, ("y",))
        assert calls_logged(quick_engine, item.cover_id) == []
        assert item.cover_id not in plan.outcomes and table.cursor_row == index
        assert "Not called yet" in shown_text(plan.query_one("#call-detail"))
        app.clear_notifications()  # the first refusal said
        await refused_while_locked(pilot, app, plan, db_file, ("x",))
        assert exports(quick_engine, "call list") == 0
        await pilot.press("y")  # the same key again, the lock gone
        await wait_for(pilot, lambda: calls_logged(quick_engine, item.cover_id) == ["told"])


# -- an export still asks for the password first (issue 17 §3) --------------------------------


async def test_themes_export_asks_for_the_password_before_writing(
    demo_settings, themed, monkeypatch
):
    """``E`` when the password was given ten minutes ago: the prompt comes up and the
    refusal is one line, with no file and no audit record; the password given, ``E``
    writes the export (in its worker) as before."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from test_accounts_app import PASSWORD, add_account, home_loaded, sign_in

    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.screens.accounts.sign_in import StepUpScreen
    from coordinator_tui.screens.reports.themes import ThemesScreen

    monkeypatch.setattr(CoordinatorApp, "start_principal", None)  # signed in with a password
    add_account(themed)
    app = make_app(demo_settings, themed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "jo.lead", PASSWORD)
        await home_loaded(pilot)
        screen = await open_report(pilot, app, "t", ThemesScreen)
        app.principal = replace(
            app.principal, authenticated_at=datetime.now(UTC) - timedelta(minutes=10)
        )
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await wait_for(pilot, lambda: not screen.writing and "Confirm it is you" in notes(app))
        assert exports(themed, "themes report") == 0 and screen.last_export == []
        assert not demo_settings.export_dir.exists() or not any(demo_settings.export_dir.iterdir())
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("E")
        await wait_for(pilot, lambda: len(screen.last_export) == 3)
        assert exports(themed, "themes report") == 3
