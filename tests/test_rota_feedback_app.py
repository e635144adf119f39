"""Issue 22 §4 by keys: an absence corrected and removed from the grid and from the carer's
day (versioned, audited, its cover offered back), the call list after Plan B with Plan C's
actions, past visits, every problem of a cell, the grid's cells, legend and widths at
120x40 and 80x24, the help text's brackets, and saves that survive a busy database or a
colleague's change with the dialog and what was typed kept."""

from __future__ import annotations

import re
import sqlite3
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import select
from test_rota_cover import movable_visit, to_plan_c

from coordinator_tui import db as dbmod
from coordinator_tui.app import make_app
from coordinator_tui.clock import UK
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    Absence,
    AbsenceCover,
    Action,
    AuditEvent,
    ProblemAcceptance,
    VisitAssignment,
)
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.rota.carer_day import CarerDayScreen
from coordinator_tui.screens.rota.dialogs import TimePicker
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.screens.rota.plan_b import PlanBScreen
from coordinator_tui.services.rota import absences as A
from coordinator_tui.services.rota.assign import rank_carers, unassign
from coordinator_tui.services.rota.plan_b import mark_absent
from coordinator_tui.services.rota.snapshot import epoch_minutes
from coordinator_tui.settings import NOW_ENV
from coordinator_tui.widgets.cell_grid import CellGrid
from coordinator_tui.widgets.lazy_table import LazyTable

MONDAY = date(2026, 11, 23)
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """The coordinator's moment is 05:00 on the demo's Monday unless a test says so: no
    visit of the week is over yet (deterministic, whatever the real time of day)."""
    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


@asynccontextmanager
async def rota_app(settings, engine, size=(120, 40)):
    app = make_app(settings, engine)
    async with app.run_test(size=size) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        yield app, pilot, app.screen


async def go_to(pilot, screen: RotaScreen, carer_id: int, day: date | None) -> None:
    grid = screen.query_one("#rota-grid", CellGrid)
    grid.focus()
    row = [c.id for c in screen.rota.carers].index(carer_id)
    grid.move_cursor(row=row, column=screen.rota.days.index(day) + 1 if day else 0)
    await pilot.pause()


def grid_text(screen: RotaScreen, carer_id: int, day: date) -> str:
    grid = screen.query_one("#rota-grid", CellGrid)
    row = [c.id for c in screen.rota.carers].index(carer_id)
    return grid.cell_text(row, screen.rota.days.index(day) + 1)


def carers_on(engine, visit_id: int) -> tuple[int, ...]:
    with session_scope(engine, "t") as s:
        return tuple(
            s.exec(
                select(VisitAssignment.carer_id)
                .where(VisitAssignment.visit_id == visit_id)
                .order_by(VisitAssignment.slot)
            ).all()
        )


def busiest(screen: RotaScreen, day: date) -> int:
    state = screen.rota.state
    return max(state.snap.carers, key=lambda c: len(state.day_visits(c, day)))


def error_text(dialog) -> str:
    return shown_text(dialog.query_one("#form-error"), width=300)


async def set_date(pilot, dialog: FormDialog, key: str, value: str) -> None:
    """Clear a date field and type ``value`` into it."""
    from textual.widgets import Input

    field = dialog.query_one(f"#f-{key}")
    field.focus()
    field.query_one(Input).value = ""
    await pilot.press(*value)


async def mark_absent_and_cover(pilot, app, screen, carer_id: int, day: date) -> PlanBScreen:
    """``b`` on the carer's day, the dialog saved as it comes, then ``A``: Plan B for all."""
    await go_to(pilot, screen, carer_id, day)
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
    plan = app.screen
    await pilot.press("A")
    await wait_for(pilot, lambda: not plan.busy and not plan.plan.items, timeout=20)
    return plan


class TestAbsenceEditAndRemove:
    async def test_edit_from_the_grid_then_remove_from_the_day_puts_the_carer_back(
        self, demo_settings, small_demo_engine
    ):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            carer = max(  # working both Tuesday and Wednesday
                state.snap.carers,
                key=lambda c: min(
                    len(state.day_visits(c, TUESDAY)), len(state.day_visits(c, WEDNESDAY))
                ),
            )
            visits = state.day_visits(carer, TUESDAY)
            assert visits and state.day_visits(carer, WEDNESDAY)
            plan = await mark_absent_and_cover(pilot, app, screen, carer, TUESDAY)
            assert plan.calls.covered  # Plan B gave some of the visits to others
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
            await wait_for(pilot, lambda: "off" in grid_text(screen, carer, TUESDAY))

            # e on the day off: the dates as recorded; the end moved to Wednesday.
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            dialog = app.screen
            assert "sickness 24/11/2026" in shown_text(dialog.query_one("#form-context"))
            await set_date(pilot, dialog, "end", "25/11/2026")
            await pilot.press("ctrl+s")
            # The absence now takes in Wednesday's visits: Plan B follows for those.
            await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
            wednesday = app.screen
            assert {i.visit_id for i in wednesday.plan.items} == set(
                screen.rota.state.day_visits(carer, WEDNESDAY)
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
            with session_scope(small_demo_engine, "t") as s:
                row = s.exec(select(Absence).where(Absence.carer_id == carer)).one()
                assert (row.start_date, row.end_date) == (TUESDAY, WEDNESDAY)
                assert row.version == 2
                audit = s.exec(
                    select(AuditEvent).where(
                        AuditEvent.table_name == "absence", AuditEvent.row_id == row.id
                    )
                ).all()
                assert [a.action for a in audit] == ["insert", "update"]
                assert "end_date" in audit[-1].changes

            # d from the carer's Tuesday: removing offers to put the carer back.
            await go_to(pilot, screen, carer, TUESDAY)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, CarerDayScreen))
            day_screen = app.screen
            assert "ABSENT" in shown_text(day_screen.query_one("#carer-day-title"))
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            context = shown_text(app.screen.query_one("#form-context"), width=200)
            assert re.search(r"Plan B gave \d+ of .* visits to others", context)
            await pilot.press("ctrl+s")  # the default: put the carer back
            await wait_for(pilot, lambda: app.screen is day_screen)
            await wait_for(pilot, lambda: not day_screen.detail.absent)
            with session_scope(small_demo_engine, "t") as s:
                assert not s.exec(select(Absence).where(Absence.carer_id == carer)).all()
                assert not s.exec(select(AbsenceCover)).all()
            back = [v for v in visits if carer in carers_on(small_demo_engine, v)]
            assert len(back) == len(visits)  # 05:00 on Monday: nothing had started
            assert len(day_screen.detail.stops) == len(visits)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            assert "off" not in grid_text(screen, carer, TUESDAY)

    async def test_a_colleagues_edit_meanwhile_is_refused_in_the_dialog(
        self, demo_settings, small_demo_engine
    ):
        with session_scope(small_demo_engine, "me") as s:
            from coordinator_tui.services.rota.assign import state_for

            state = state_for(s, TUESDAY)
            carer = max(state.snap.carers, key=lambda c: len(state.day_visits(c, TUESDAY)))
            mark_absent(s, carer, TUESDAY, TUESDAY, note="")
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            await go_to(pilot, screen, carer, TUESDAY)
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            dialog = app.screen
            await set_date(pilot, dialog, "end", "26/11/2026")
            with session_scope(small_demo_engine, "j.bloggs") as s:  # the second writer
                seen = A.absence_on(s, carer, TUESDAY)
                A.edit_absence(s, seen.id, seen.version, start=TUESDAY, end=TUESDAY, kind="leave")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "Refused" in error_text(dialog))
            assert app.screen is dialog  # kept open, with what was typed
            assert "j.bloggs changed this absence at" in error_text(dialog)
            assert "(kind)" in error_text(dialog)
            assert dialog.query_one("#f-end").text == "26/11/2026"
            with session_scope(small_demo_engine, "t") as s:
                row = s.exec(select(Absence).where(Absence.carer_id == carer)).one()
                assert (row.end_date, row.kind) == (TUESDAY, "leave")


@pytest.fixture
def fast_busy_engine(small_demo_path, monkeypatch):
    """The demo database with a short busy timeout, for a lock held by another writer."""
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    opened = open_database(str(small_demo_path))
    yield opened.engine
    opened.engine.dispose()


async def test_a_locked_database_keeps_the_reason_typed(
    demo_settings, fast_busy_engine, small_demo_path
):
    """A soft problem's reason typed, then the database is locked by another writer: the
    dialog stays with the reason; once the lock goes, the same ctrl+s saves it."""
    async with rota_app(demo_settings, fast_busy_engine) as (app, pilot, screen):
        rota = screen.rota
        carer_id, day = next(
            (c.id, d)
            for c in rota.carers
            for d in rota.days
            for p in rota.cell_problems(c.id, d)
            if not p.is_hard and not p.accepted and p.visit_ids
        )
        await go_to(pilot, screen, carer_id, day)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        dialog.query_one("#f-rationale").value = "customer agreed by phone"
        holder = sqlite3.connect(small_demo_path, timeout=0.1)
        try:
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "locked" in error_text(dialog))
        finally:
            holder.rollback()
            holder.close()
        assert app.screen is dialog
        assert dialog.query_one("#f-rationale").value == "customer agreed by phone"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        with session_scope(fast_busy_engine, "t") as s:
            reasons = s.exec(select(ProblemAcceptance.rationale)).all()
        assert "customer agreed by phone" in reasons


class TestCallListAndPlanC:
    async def test_call_list_then_plan_c_actions(
        self, demo_settings, small_demo_engine, tmp_path, monkeypatch
    ):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            # A carer of Tuesday with a visit nobody else can take: every other carer is
            # made unavailable for one of them (excluded by the customer).
            carer = busiest(screen, TUESDAY)
            visits = state.day_visits(carer, TUESDAY)
            stuck = next(v for v in visits if state.snap.visits[v].carers_required == 1)
            from coordinator_tui.models import CustomerCarerPreference

            customer = state.snap.visits[stuck].customer_id
            with session_scope(small_demo_engine, "t") as s:
                for other in state.snap.carers:
                    if other != carer and other not in state.snap.customers[customer].excluded:
                        s.add(
                            CustomerCarerPreference(
                                customer_id=customer, carer_id=other, kind="excluded"
                            )
                        )
            await pilot.press("f5")
            await wait_for(pilot, lambda: screen.loaded and screen.rota.state is not state)
            plan = await mark_absent_and_cover(pilot, app, screen, carer, TUESDAY)

            title = shown_text(plan.query_one("#plan-b-title"), width=200)
            assert "Nothing left to cover" not in title
            assert "nobody can cover" in title
            calls = plan.query_one("#call-list", LazyTable)
            assert calls.has_focus
            texts = [" | ".join(str(c) for c in row.cells) for row in calls.source.rows(0, 99)]
            assert len(texts) == len(visits)
            covered = [t for t in texts if "tell customer" in t]
            assert len(covered) == len(plan.calls.covered) >= 1
            assert any("Plan C" in t for t in texts)
            heading = shown_text(plan.query_one("#call-list-title"), width=200)
            assert f"{len(plan.calls.covered)} covered" in heading

            # x: the call list as CSV and Markdown in the exports folder.
            monkeypatch.setattr(
                type(app.settings), "export_dir", property(lambda _self: tmp_path / "exports")
            )
            await pilot.press("x")
            await pilot.pause()
            written = sorted(p.name for p in (tmp_path / "exports").iterdir())
            assert [n.rsplit(".", 1)[1] for n in written] == ["csv", "md"]
            with session_scope(small_demo_engine, "t") as s:  # the export is audited
                exported = s.exec(
                    select(AuditEvent).where(
                        AuditEvent.action == "export", AuditEvent.table_name == "absence"
                    )
                ).all()
            assert len(exported) == 1 and "call list" in exported[0].changes

            # m on the Plan C visit: a task for the manager.
            index = next(i for i, item in enumerate(plan.calls.items) if item.visit_id == stuck)
            calls.cursor_row = index
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            why = app.screen.query_one("#f-why").value
            assert why.startswith("ruled out by ") and "excluded" in why
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is plan)
            await wait_for(
                pilot,
                lambda: (
                    next(i for i in plan.calls.items if i.visit_id == stuck).action == "escalated"
                ),
            )
            with session_scope(small_demo_engine, "t") as s:
                task = s.exec(select(Action).order_by(Action.id.desc())).first()
                assert task.owner_label == "Registered manager" and task.due_date == TUESDAY
                cover = s.exec(select(AbsenceCover).where(AbsenceCover.visit_id == stuck)).one()
                assert (cover.action, cover.task_id) == ("escalated", task.id)
            title = shown_text(plan.query_one("#plan-b-title"), width=200)
            assert "Nothing left" not in title
            if not plan.calls.open_plan_c:
                assert "covered or handed on" in title

    async def test_time_change_moves_the_visit_to_a_free_carer(
        self, demo_settings, small_demo_engine
    ):
        """A Plan C visit offered the times in its window when a carer is free: the visit
        moves and the carer is put on it; the call list says to ring the customer."""
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            carer, stuck = movable_visit(small_demo_engine)
            to_plan_c(small_demo_engine, carer, stuck)  # as Plan B leaves it
            await pilot.press("f5")
            await wait_for(pilot, lambda: screen.loaded and screen.rota.state is not state)
            await go_to(pilot, screen, carer, TUESDAY)
            await pilot.press("b")  # a day already off: its Plan B and call list
            await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
            plan = app.screen
            calls = plan.query_one("#call-list", LazyTable)
            calls.focus()
            calls.cursor_row = next(
                i for i, item in enumerate(plan.calls.items) if item.visit_id == stuck
            )
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), timeout=20)
            picker = app.screen
            start, candidate = picker.choices[0]
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is not picker)
            if isinstance(app.screen, FormDialog):  # soft problems: a reason
                app.screen.query_one("#f-rationale").value = "customer agreed"
                await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is plan)
            await wait_for(
                pilot,
                lambda: any(
                    i.visit_id == stuck and i.covered
                    for i in (plan.calls.items if plan.calls else [])
                ),
            )
            assert carers_on(small_demo_engine, stuck) == (candidate.carer_id,)
            item = next(i for i in plan.calls.items if i.visit_id == stuck)
            assert item.start == start and item.call_about().startswith("moved from")


class TestPastVisits:
    async def test_plan_b_leaves_visits_over_and_missed_visits_are_flagged(
        self, demo_settings, small_demo_engine, monkeypatch
    ):
        monkeypatch.setattr(demo_settings, "now", time(12, 0))
        with session_scope(small_demo_engine, "t") as s:
            from coordinator_tui.services.rota.assign import state_for

            state = state_for(s, MONDAY)
            # A morning visit of Monday left with nobody: missed by noon.
            morning = next(
                v
                for v in sorted(state.snap.visits, key=lambda v: state.snap.visits[v].start)
                if state.snap.visits[v].day == MONDAY and len(state.carers_of.get(v, ())) == 1
            )
            unassign(s, morning, state.carers_of[morning][0])
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            assert morning in screen.unassigned
            row = screen.unassigned.index(morning)
            cells = screen._unassigned_row(morning).cells
            assert str(cells[4]) == "✖ missed"
            assert "missed" in shown_text(screen.query_one("#rota-measures"))
            grid = screen.query_one("#rota-grid", CellGrid)
            assert "✖" in str(grid.columns[1].label)  # Monday's heading flags it
            assert row >= 0

            noon = epoch_minutes(datetime.combine(MONDAY, time(12, 0), tzinfo=UK))
            rota = screen.rota
            carer = next(  # a carer with visits both before and after noon on Monday
                c.id
                for c in rota.carers
                if len({rota.visit(v).end <= noon for v in rota.state.day_visits(c.id, MONDAY)})
                == 2
            )
            visits = rota.state.day_visits(carer, MONDAY)
            over = {v for v in visits if rota.visit(v).end <= noon}
            await go_to(pilot, screen, carer, MONDAY)
            await pilot.press("b")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
            plan = app.screen
            assert over and set(plan.plan.past) == over
            assert not {i.visit_id for i in plan.plan.items} & over
            assert "already over" in shown_text(plan.query_one("#plan-b-title"), width=200)


class TestGridLooks:
    async def test_every_problem_of_a_cell_is_listed(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            rota = screen.rota
            # Make a cell with two problems: a carer given an overlapping visit.
            found = None
            for carer in rota.carers:
                for day in rota.days:
                    for visit_id in screen.unassigned:
                        if (
                            rota.visit(visit_id).day != day
                            or rota.visit(visit_id).carers_required > 1
                        ):
                            continue
                        candidate = next(
                            (
                                c
                                for c in rank_carers(rota.state, visit_id)
                                if c.carer_id == carer.id
                            ),
                            None,
                        )
                        if candidate and len(candidate.hard) >= 1:
                            found = (carer.id, day, visit_id)
                            break
                    if found:
                        break
                if found:
                    break
            assert found
            carer_id, day, visit_id = found
            with session_scope(small_demo_engine, "t") as s:
                from coordinator_tui.services.rota.assign import assign

                assign(s, visit_id, carer_id, allow_hard=True, rationale="test")
            await pilot.press("f5")
            await wait_for(pilot, lambda: screen.loaded and visit_id not in screen.unassigned)
            await go_to(pilot, screen, carer_id, day)
            problems = screen.rota.cell_problems(carer_id, day)
            assert len(problems) >= 2
            line = shown_text(screen.query_one("#rota-problems"), width=116)
            for problem in problems[:3]:
                assert problem.title in line

    async def test_cells_header_and_legend_at_120(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            grid = screen.query_one("#rota-grid", CellGrid)
            widths = [c.width for c in grid.columns]
            for carer in screen.rota.carers:
                cells = screen._row_cells(carer.id)
                assert cells[0].plain == carer.name  # names whole at 120 columns
                assert len(carer.name) <= widths[0]
                for text, width in zip(cells[1:], widths[1:], strict=True):
                    assert text.cell_len <= width, (text.plain, width)
                    if text.plain[:1] in "✖▲✓":
                        assert text.plain[1] == " "  # the symbol has its own room
            measures = shown_text(screen.query_one("#rota-measures"), width=200)
            assert re.search(r"\d+ unassigned", measures)
            assert re.search(r"\d+/\d+h of contract", measures)
            legend = shown_text(screen.query_one("#rota-legend"), width=200)
            assert "visits and hours" in legend and "✖ hard" in legend
            assert screen.query_one("#rota-legend").size.width >= len(legend.strip())
            # The strip drawn for a row: a rule between columns, nothing run together.
            line = "".join(s.text for s in grid.render_line(1))
            assert line.count("│") == len(grid.columns)

    async def test_80x24_whole_numbers_and_more_carers(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine, size=(80, 24)) as (
            app,
            pilot,
            screen,
        ):
            grid = screen.query_one("#rota-grid", CellGrid)
            shown_rows = grid.scrollable_content_region.height - 1
            assert shown_rows > 7
            for y in range(1, shown_rows + 1):
                line = "".join(s.text for s in grid.render_line(y))
                week = line.split("│")[-2].strip()
                assert re.fullmatch(r"[✖▲✓]? *\d+\.\dh/\d+(\.\d)?", week), line
            for _ in range(8):  # moved across, the columns stay whole
                await pilot.press("right")
                line = "".join(s.text for s in grid.render_line(1))
                cells = [c.strip() for c in line.split("│")[:-1]]
                assert not any(c.endswith("h/1") for c in cells)
            # tab: the unassigned visits take the grid's place, tab again back.
            await pilot.press("tab")
            panel = screen.query_one("#rota-unassigned", LazyTable)
            assert panel.has_focus and panel.size.height >= 4
            await pilot.press("tab")
            assert grid.has_focus and grid.size.height > 8

    async def test_plan_b_labels_are_whole_at_120(self, demo_settings, small_demo_engine):
        """Issue 22 §4: "accepted with the Pl..." cut at 120 columns."""
        from textual.widgets import DataTable

        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            carer = busiest(screen, TUESDAY)
            await go_to(pilot, screen, carer, TUESDAY)
            await pilot.press("b")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
            table = app.screen.query_one("#plan-b-items", DataTable)
            await pilot.pause()
            used = sum(c.get_render_width(table) for c in table.columns.values())
            assert used <= table.scrollable_content_region.width
            best = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
            assert any(text.startswith("✓") for text in best)
            longest = max(len(text) for text in best)
            assert table.columns["best"].get_render_width(table) >= longest

    async def test_help_keeps_the_brackets(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            await pilot.press("f1")
            await pilot.pause()
            text = " ".join(
                shown_text(widget, width=300) for widget in app.screen.query(".help-text")
            )
            assert "[ and ] move a week" in text
