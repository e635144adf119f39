"""The Rota screen by keys: the grid and its problems, a carer's day, moving weeks,
generating; assigning from the ranked list, unassigning, swapping, undo, accepting a soft
problem with a reason, and a sick carer covered through Plan B with a Plan C leftover.
Each change is checked on screen, in the database and in the audit trail."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select
from textual.widgets import DataTable

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Absence,
    AuditEvent,
    Carer,
    ProblemAcceptance,
    Visit,
    VisitAssignment,
)
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.rota.carer_day import CarerDayScreen
from coordinator_tui.screens.rota.dialogs import CarerPicker
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.screens.rota.plan_b import PlanBScreen
from coordinator_tui.services.rota.assign import rank_carers
from coordinator_tui.widgets.cell_grid import CellGrid
from coordinator_tui.widgets.lazy_table import LazyTable

MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    """05:00 on the demo's Monday, whatever the real time of day: no visit of the week is
    over yet, so Plan B and the missed-visit flags do not depend on when the tests run."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


def rank_state(session, visit_id: int):
    from coordinator_tui.services.rota.assign import _state_for_visit

    return _state_for_visit(session, visit_id)


async def open_rota(pilot, app) -> RotaScreen:
    await pilot.press("5")
    await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
    return app.screen


@asynccontextmanager
async def rota_app(settings, engine, size=(120, 40)):
    """The app at ``size`` with the Rota screen open and loaded: (app, pilot, screen)."""
    app = make_app(settings, engine)
    async with app.run_test(size=size) as pilot:
        yield app, pilot, await open_rota(pilot, app)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def visits_of(engine, carer_id: int, day: date) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(
            select(func.count())
            .select_from(VisitAssignment)
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(VisitAssignment.carer_id == carer_id, Visit.visit_date == day)
        ).one()


def db_carers(engine, visit_id: int) -> tuple[int, ...]:
    with session_scope(engine, "t") as s:
        return tuple(
            s.exec(
                select(VisitAssignment.carer_id)
                .where(VisitAssignment.visit_id == visit_id)
                .order_by(VisitAssignment.slot)
            ).all()
        )


def audit_count(engine, table: str, action: str) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.table_name == table, AuditEvent.action == action)
        ).one()


def count(engine, model) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(model)).one()


def grid_text(screen: RotaScreen, carer_id: int, day: date) -> str:
    grid = screen.query_one("#rota-grid", CellGrid)
    row = [c.id for c in screen.rota.carers].index(carer_id)
    return grid.cell_text(row, screen.rota.days.index(day) + 1)


async def go_to_cell(pilot, screen: RotaScreen, carer_id: int, day: date | None) -> None:
    grid = screen.query_one("#rota-grid", CellGrid)
    grid.focus()
    row = [c.id for c in screen.rota.carers].index(carer_id)
    column = screen.rota.days.index(day) + 1 if day else 0
    grid.move_cursor(row=row, column=column)
    await pilot.pause()


async def open_day(pilot, app, screen: RotaScreen, carer_id: int, day: date) -> CarerDayScreen:
    await go_to_cell(pilot, screen, carer_id, day)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CarerDayScreen))
    return app.screen


async def to_visit(pilot, day_screen: CarerDayScreen, visit_id: int) -> None:
    table = day_screen.query_one("#carer-day-stops", DataTable)
    index = [s.visit_id for s in day_screen.detail.stops].index(visit_id)
    table.move_cursor(row=index)
    await pilot.pause()


async def answer_rationale(pilot, app, reason: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await type_text(pilot, reason)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not isinstance(app.screen, FormDialog))


class TestGrid:
    async def test_grid_day_and_weeks(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            rota = screen.rota
            assert rota.monday == MONDAY
            with session_scope(small_demo_engine, "t") as s:
                active = s.exec(
                    select(func.count()).select_from(Carer).where(Carer.active.is_(True))
                ).one()
            assert len(rota.carers) >= active
            summary = shown_text(screen.query_one("#rota-summary"))
            assert "Week of Mon 23 Nov 2026" in summary and "hard" in summary
            measures = shown_text(screen.query_one("#rota-measures"))
            assert "Continuity" in measures and f"{len(screen.unassigned)} unassigned" in measures
            assert "travel" in measures and "of contract" in measures
            assert screen.unassigned and all(rota.state.short_of(v) for v in screen.unassigned)

            # The cursor starts on today; the cell counts the visits and shows the worst
            # problem as a symbol, which the problems line spells out.
            grid = screen.query_one("#rota-grid", CellGrid)
            assert grid.cursor == (0, 1)
            # The first carer working today (carers have days off).
            first = next(c for c in rota.carers if rota.state.day_visits(c.id, MONDAY))
            await go_to_cell(pilot, screen, first.id, MONDAY)
            expected = visits_of(small_demo_engine, first.id, MONDAY)
            cell = grid_text(screen, first.id, MONDAY)
            worst = rota.row(first.id)[0][0].worst
            symbol = {"hard": "✖", "soft": "▲", "accepted": "✓"}.get(rota.row(first.id)[0][0].level)
            assert str(expected) in cell.split()
            if worst is not None:
                assert cell.startswith(symbol)
                line = shown_text(screen.query_one("#rota-problems"), width=200)
                assert first.name in line and worst.title in line

            # A cell with a hard problem and one without look different (not colour alone).
            levels = {
                grid_text(screen, c.id, d)[:1]
                for c in rota.carers
                for d in rota.days
                if rota.state.day_visits(c.id, d)
            }
            assert "✖" in levels

            await pilot.press("enter")
            day_screen = app.screen
            assert isinstance(day_screen, CarerDayScreen)
            assert len(day_screen.detail.stops) == expected
            starts = [s.start for s in day_screen.detail.stops]
            assert starts == sorted(starts)
            assert first.name in shown_text(day_screen.query_one("#carer-day-title"))
            problems = shown_text(day_screen.query_one("#carer-day-problems"), width=200)
            if worst is not None:
                assert worst.message[:40] in problems
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen

            # Next week has no visits yet; g creates them, rolled forward from this week.
            await pilot.press("right_square_bracket")
            await wait_for(
                pilot, lambda: screen.loaded and screen.rota.monday == date(2026, 11, 30)
            )
            assert not screen.rota.state.snap.visits
            assert "g creates them" in shown_text(screen.query_one("#rota-unassigned-title"))
            await pilot.press("g")
            await wait_for(
                pilot, lambda: screen.loaded and len(screen.rota.state.snap.visits) > 500
            )
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: screen.loaded and screen.rota.monday == MONDAY)

    async def test_rota_fits_80x24(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine, (80, 24)) as (_, pilot, screen):
            table = screen.query_one("#rota-grid", CellGrid)
            assert table.size.height >= 9  # more than seven carers (issue 22 §4)
            await pilot.press("tab")  # the unassigned visits take the grid's place
            assert screen.query_one("#rota-unassigned", LazyTable).size.height >= 3
            await pilot.press("tab")
            await pilot.press(*["down"] * 30)
            await pilot.pause()
            assert table.cursor_row == len(screen.rota.carers) - 1  # down to the last carer
            assert table.scroll_offset.y > 0  # scrolled to keep it in view


def _single_carer_visits(state, day: date):
    """(visit, its one carer) of ``day``, planned and staffed by one carer, in id order."""
    from coordinator_tui.models import VisitStatus

    for visit_id in sorted(state.snap.visits):
        visit = state.snap.visits[visit_id]
        on = state.carers_of.get(visit_id, ())
        planned = visit.status == VisitStatus.PLANNED
        if planned and visit.day == day and visit.carers_required == 1 and len(on) == 1:
            yield visit_id, on[0]


def one_open_visit(engine, day: date = TUESDAY) -> int:
    """The test's own case (the demo week does not promise one): a single-carer visit of
    ``day`` that other carers could take is left without its carer. Returns its id."""
    from coordinator_tui.services.rota.assign import state_for

    with session_scope(engine, "t") as s:
        state = state_for(s, day)
        for visit_id, carer_id in _single_carer_visits(state, day):
            if any(c.feasible for c in rank_carers(state, visit_id, replacing=carer_id)):
                s.delete(
                    s.exec(
                        select(VisitAssignment).where(VisitAssignment.visit_id == visit_id)
                    ).one()
                )
                return visit_id
    raise AssertionError("no single-carer visit another carer could take on the day")


def two_swappable_visits(engine, day: date = TUESDAY) -> tuple[int, int]:
    """The test's own case for a swap: carer B could take carer A's visit, so B is given
    a visit of the same customer at the same time; swapping the two leaves each carer's
    day as it could be. Returns (A's visit, B's visit)."""
    from coordinator_tui.services.rota.assign import state_for

    with session_scope(engine, "t") as s:
        state = state_for(s, day)
        for visit_id, carer_id in _single_carer_visits(state, day):
            other = next(
                (c for c in rank_carers(state, visit_id, replacing=carer_id) if c.feasible),
                None,
            )
            if other is None:
                continue
            original = s.get(Visit, visit_id)
            twin = Visit(
                customer_id=original.customer_id,
                visit_date=original.visit_date,
                start_at=original.start_at,
                end_at=original.end_at,
                tasks=original.tasks,
            )
            s.add(twin)
            s.flush()
            s.add(VisitAssignment(visit_id=twin.id, carer_id=other.carer_id, slot=1))
            return visit_id, twin.id
    raise AssertionError("no visit another carer could take on the day")


def assignable(screen: RotaScreen):
    """An unassigned single-carer visit with a feasible carer, and that carer (the test
    makes one first: ``one_open_visit``)."""
    state = screen.rota.state
    for visit_id in screen.unassigned:
        if state.snap.visits[visit_id].carers_required != 1:
            continue
        feasible = [c for c in rank_carers(state, visit_id) if c.feasible]
        if feasible:
            return visit_id, feasible
    raise AssertionError("the open visit the test made is not assignable")


class TestChanges:
    async def test_assign_from_ranked_list_then_undo(self, demo_settings, small_demo_engine):
        one_open_visit(small_demo_engine)
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            visit_id, feasible = assignable(screen)
            # Pick a feasible carer other than the first by typing their name.
            chosen = feasible[-1]
            visit = screen.rota.visit(visit_id)
            before_cell = screen.rota.row(chosen.carer_id)[0][screen.rota.days.index(visit.day)]
            before_text = grid_text(screen, chosen.carer_id, visit.day)
            unassigned_before = len(screen.unassigned)
            inserts = audit_count(small_demo_engine, "visit_assignment", "insert")

            await pilot.press("tab")
            panel = screen.query_one("#rota-unassigned", LazyTable)
            assert panel.has_focus
            panel.cursor_row = screen.unassigned.index(visit_id)
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
            picker = app.screen
            # Feasible first, best score first; each infeasible one with its reason.
            flags = [c.feasible for c in picker.candidates]
            assert flags == sorted(flags, reverse=True)
            options = picker.query_one("#picker-options").source
            first_line = str(options.rows(0, 1)[0].cells[0])
            assert first_line.startswith("✓") and "min travel" in first_line
            last = len(picker.candidates) - 1
            last_line = str(options.rows(last, last + 1)[0].cells[0])
            assert last_line.startswith("✖") and picker.candidates[-1].reason[:20] in last_line

            await type_text(pilot, chosen.name.lower())
            assert [c.carer_id for c in picker.shown][:1] == [chosen.carer_id]
            await pilot.press("enter")
            if chosen.soft:  # soft problems: a reason is asked for, then recorded
                await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
                dialog = app.screen
                assert chosen.soft[0].message[:30] in shown_text(
                    dialog.query_one("#form-context"), width=200
                )
                await pilot.press("ctrl+s")  # no reason: refused, nothing written
                assert "required" in shown_text(dialog.query_one("#form-error"))
                assert db_carers(small_demo_engine, visit_id) == ()
                await answer_rationale(pilot, app, "only carer free")
            await wait_for(pilot, lambda: app.screen is screen)

            assert db_carers(small_demo_engine, visit_id) == (chosen.carer_id,)
            assert audit_count(small_demo_engine, "visit_assignment", "insert") == inserts + 1
            if chosen.soft:
                with session_scope(small_demo_engine, "t") as s:
                    reasons = s.exec(
                        select(ProblemAcceptance.rationale).where(
                            ProblemAcceptance.visit_id == visit_id
                        )
                    ).all()
                assert reasons and set(reasons) == {"only carer free"}
                assert audit_count(small_demo_engine, "problem_acceptance", "insert") >= 1
            assert visit_id not in screen.unassigned
            assert len(screen.unassigned) == unassigned_before - 1
            cell = grid_text(screen, chosen.carer_id, visit.day)
            assert str(before_cell.visits + 1) in cell.split()
            assert f"{unassigned_before - 1} unassigned" in shown_text(
                screen.query_one("#rota-measures")
            )

            # u puts it back, audited as a delete.
            deletes = audit_count(small_demo_engine, "visit_assignment", "delete")
            await pilot.press("u")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            assert db_carers(small_demo_engine, visit_id) == ()
            assert audit_count(small_demo_engine, "visit_assignment", "delete") == deletes + 1
            assert visit_id in screen.unassigned
            assert grid_text(screen, chosen.carer_id, visit.day) == before_text  # "·" if none
            await pilot.press("u")  # nothing more to undo this session
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            assert db_carers(small_demo_engine, visit_id) == ()

    async def test_infeasible_carer_is_refused_and_double_up_needs_two(
        self, demo_settings, small_demo_engine
    ):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            double = next(
                v
                for v in screen.unassigned
                if state.snap.visits[v].carers_required == 2 and not state.carers_of.get(v)
            )
            await pilot.press("tab")
            screen.query_one("#rota-unassigned", LazyTable).cursor_row = screen.unassigned.index(
                double
            )
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
            picker = app.screen
            bad = next(c for c in picker.candidates if not c.feasible)
            await type_text(pilot, bad.name.lower())
            await pilot.press("enter")  # refused in the dialog, with the reason
            assert app.screen is picker
            assert "cannot take this visit" in shown_text(picker.query_one("#picker-error"))
            await pilot.press("escape")
            await pilot.pause()
            assert db_carers(small_demo_engine, double) == ()

            # With one carer on the double-up, the picker no longer offers that carer.
            with session_scope(small_demo_engine, "t") as s:
                from coordinator_tui.services.rota.assign import assign

                assign(s, double, bad.carer_id, state=state, allow_hard=True, rationale="t")
            screen._draw_after_change({bad.carer_id})
            assert double in screen.unassigned  # still short of one
            screen.query_one("#rota-unassigned", LazyTable).cursor_row = screen.unassigned.index(
                double
            )
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
            assert bad.carer_id not in {c.carer_id for c in app.screen.candidates}
            assert "double-up" in shown_text(app.screen.query_one("#picker-visit"))

    async def test_unassign_in_carer_day_then_undo(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            # The first carer working on Tuesday (carers have days off).
            carer = next(
                c for c in screen.rota.carers if screen.rota.state.day_visits(c.id, TUESDAY)
            )
            visits = screen.rota.state.day_visits(carer.id, TUESDAY)
            day_screen = await open_day(pilot, app, screen, carer.id, TUESDAY)
            visit_id = visits[0]
            before = db_carers(small_demo_engine, visit_id)
            deletes = audit_count(small_demo_engine, "visit_assignment", "delete")
            await to_visit(pilot, day_screen, visit_id)
            await pilot.press("x")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            assert carer.id not in db_carers(small_demo_engine, visit_id)
            assert audit_count(small_demo_engine, "visit_assignment", "delete") >= deletes + 1
            assert len(day_screen.detail.stops) == len(visits) - 1
            assert visit_id in screen.unassigned
            await pilot.press("u")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            assert db_carers(small_demo_engine, visit_id) == before
            assert len(day_screen.detail.stops) == len(visits)
            await pilot.press("escape")
            await pilot.pause()
            assert visit_id not in screen.unassigned
            assert str(len(visits)) in grid_text(screen, carer.id, TUESDAY).split()

    async def test_swap_two_visits_then_undo(self, demo_settings, small_demo_engine):
        two_swappable_visits(small_demo_engine)  # a case of its own, whatever the demo has
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            found = None
            for day in (TUESDAY, MONDAY):
                carers = [c.id for c in screen.rota.carers if state.day_visits(c.id, day)]
                for a in carers:
                    for b in carers:
                        if a >= b:
                            continue
                        for va in state.day_visits(a, day):
                            for vb in state.day_visits(b, day):
                                on_a, on_b = state.carers_of[va], state.carers_of[vb]
                                if len(on_a) != 1 or len(on_b) != 1:
                                    continue
                                if not state.what_if({va: (b,), vb: (a,)}).added_hard:
                                    found = (day, a, va, b, vb)
                                    break
                            if found:
                                break
                        if found:
                            break
                    if found:
                        break
                if found:
                    break
            assert found is not None, "the case built above swaps without hard problems"
            day, a, va, b, vb = found
            updates = audit_count(small_demo_engine, "visit_assignment", "update")

            day_a = await open_day(pilot, app, screen, a, day)
            await to_visit(pilot, day_a, va)
            await pilot.press("w")
            assert screen.swap_mark == (va, a)
            assert "⇄" in str(day_a.query_one("#carer-day-stops", DataTable).get_row(str(va))[0])
            await pilot.press("escape")
            await pilot.pause()
            day_b = await open_day(pilot, app, screen, b, day)
            await to_visit(pilot, day_b, vb)
            await pilot.press("w")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            if isinstance(app.screen, FormDialog):
                await answer_rationale(pilot, app, "swap agreed")
            await wait_for(pilot, lambda: app.screen is day_b)
            assert db_carers(small_demo_engine, va) == (b,)
            assert db_carers(small_demo_engine, vb) == (a,)
            assert audit_count(small_demo_engine, "visit_assignment", "update") == updates + 2
            assert va in [s.visit_id for s in day_b.detail.stops]
            assert screen.swap_mark is None

            await pilot.press("u")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            assert db_carers(small_demo_engine, va) == (a,)
            assert db_carers(small_demo_engine, vb) == (b,)
            assert audit_count(small_demo_engine, "visit_assignment", "update") == updates + 4


class TestSoftAcceptance:
    async def test_accept_needs_a_rationale(self, demo_settings, small_demo_engine):
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            rota = screen.rota
            carer_id, day, problem = next(
                (c.id, d, p)
                for c in rota.carers
                for d in rota.days
                for p in rota.cell_problems(c.id, d)
                if not p.is_hard and not p.accepted and p.visit_ids
            )
            await go_to_cell(pilot, screen, carer_id, day)
            line = shown_text(screen.query_one("#rota-problems"), width=200)
            assert "to accept (r)" in line
            soft_before = line.split("▲ ")[1].split()[0]
            rows = count(small_demo_engine, ProblemAcceptance)
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            dialog = app.screen
            await pilot.press("ctrl+s")  # no reason given: refused
            assert "required" in shown_text(dialog.query_one("#form-error"))
            assert app.screen is dialog
            assert count(small_demo_engine, ProblemAcceptance) == rows
            assert dialog.focused.id == "f-rationale"  # the missing field has the focus
            await type_text(pilot, "customer agreed by phone")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen)
            assert count(small_demo_engine, ProblemAcceptance) == rows + 1
            with session_scope(small_demo_engine, "t") as s:
                row = s.exec(
                    select(ProblemAcceptance).order_by(ProblemAcceptance.id.desc())
                ).first()
                assert row.rationale == "customer agreed by phone"
                assert row.code == problem.code and row.accepted_by == "test.user"
            assert audit_count(small_demo_engine, "problem_acceptance", "insert") >= 1
            accepted = [p for p in rota.cell_problems(carer_id, day) if p.accepted]
            assert accepted
            line = shown_text(screen.query_one("#rota-problems"), width=200)
            after = line.split("▲ ")[1].split()[0] if "▲ " in line else "0"
            assert int(after) < int(soft_before)


def one_visit_only_they_can_do(engine, day: date) -> int:
    """Build the Plan C case in the test's own database: a carer with two or more visits
    on ``day``, one of which another carer could take, gets a skill nobody else holds,
    and another of their visits of that day requires it. Returns the carer's id.

    The demo rota does not promise such a carer (its plan changed under issue 21 and the
    test stopped running), so the test makes one rather than skip."""
    from coordinator_tui.models import CarerSkill, Skill
    from coordinator_tui.services.rota.assign import state_for

    with session_scope(engine, "t") as s:
        state = state_for(s, day)
        for carer_id in sorted(state.snap.carers):
            visits = [v for v in state.day_visits(carer_id, day) if len(state.carers_of[v]) == 1]
            if len(visits) < 2:
                continue
            coverable = [
                v
                for v in visits
                if any(c.feasible for c in rank_carers(state, v, replacing=carer_id))
            ]
            if not coverable:
                continue
            only_theirs = next(v for v in visits if v != coverable[0])
            skill = Skill(code="TRACHY", name="Tracheostomy care (only this carer)")
            s.add(skill)
            s.flush()
            s.add(CarerSkill(carer_id=carer_id, skill_id=skill.id))
            visit = s.get(Visit, only_theirs)
            visit.required_skills = ",".join(
                code for code in (visit.required_skills, "TRACHY") if code
            )
            return carer_id
    raise AssertionError("no carer with two single-carer visits on the day in the demo")


class TestPlanB:
    async def test_sick_carer_repair_with_plan_c(self, demo_settings, small_demo_engine):
        one_visit_only_they_can_do(small_demo_engine, TUESDAY)
        async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
            state = screen.rota.state
            # A carer whose Tuesday has some visits others can cover and some nobody can.
            choice = None
            for carer in screen.rota.carers:
                visits = state.day_visits(carer.id, TUESDAY)
                if len(visits) < 2:
                    continue
                best = [
                    next(
                        (c for c in rank_carers(state, v, replacing=carer.id) if c.feasible),
                        None,
                    )
                    for v in visits
                ]
                if any(best) and not all(best):
                    choice = carer
                    break
            assert choice is not None, "the case built above is on the grid"
            visits = state.day_visits(choice.id, TUESDAY)
            absences = count(small_demo_engine, Absence)

            await go_to_cell(pilot, screen, choice.id, TUESDAY)
            await pilot.press("b")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press("ctrl+s")  # from and to default to the cell's day; sickness
            await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen))
            plan_screen = app.screen
            await wait_for(pilot, lambda: plan_screen.loaded)
            assert count(small_demo_engine, Absence) == absences + 1
            assert audit_count(small_demo_engine, "absence", "insert") >= 1
            with session_scope(small_demo_engine, "t") as s:
                absence = s.exec(select(Absence).order_by(Absence.id.desc())).first()
                assert (absence.carer_id, absence.start_date, absence.end_date) == (
                    choice.id,
                    TUESDAY,
                    TUESDAY,
                )
                assert absence.kind == "sickness"
            assert sorted(i.visit_id for i in plan_screen.plan.items) == sorted(visits)
            items = plan_screen.query_one("#plan-b-items", DataTable)
            texts = [str(items.get_row_at(i)[2]) for i in range(items.row_count)]
            assert any(t.startswith("✓") for t in texts)
            assert any("Plan C" in t for t in texts)
            assert choice.name in shown_text(plan_screen.query_one("#plan-b-title"))

            # enter covers the highlighted visit with its best carer ...
            first = next(i for i in plan_screen.plan.items if i.best is not None)
            items.move_cursor(row=plan_screen.plan.items.index(first))
            await pilot.press("enter")
            await wait_for(pilot, lambda: plan_screen.covered == 1 and not plan_screen.busy)
            assert db_carers(small_demo_engine, first.visit_id) == (first.best.carer_id,)
            # ... and A the rest; what nobody can take is Plan C.
            await pilot.press("A")
            await wait_for(pilot, lambda: not plan_screen.plan.items and not plan_screen.busy)
            assert visits_of(small_demo_engine, choice.id, TUESDAY) == 0
            calls = plan_screen.calls
            assert calls.plan_c
            rows = {
                row.key: " ".join(str(c) for c in row.cells)
                for row in plan_screen.query_one("#call-list", LazyTable).source.rows(0, 99)
            }
            for item in calls.plan_c:
                assert item.customer in rows[item.cover_id] and "Plan C" in rows[item.cover_id]
                # The visit loses the absent carer (a double-up keeps its other carer).
                assert choice.id not in db_carers(small_demo_engine, item.visit_id)
            assert len(calls.covered) + len(calls.plan_c) == len(visits)
            assert audit_count(small_demo_engine, "visit_assignment", "update") >= 1

            # Plan C says, for each visit, how many carers each rule stops (to escalate):
            # under the call list, for the highlighted visit.
            call_list = plan_screen.query_one("#call-list", LazyTable)
            with session_scope(small_demo_engine, "t") as s:
                for item in calls.plan_c:
                    ranked = rank_carers(rank_state(s, item.visit_id), item.visit_id)
                    counts = {}
                    for c in ranked:
                        if c.hard:
                            counts[c.hard[0].title] = counts.get(c.hard[0].title, 0) + 1
                    title, number = max(counts.items(), key=lambda pair: (pair[1], pair[0]))
                    call_list.cursor_row = calls.items.index(item)
                    await pilot.pause()
                    detail = shown_text(plan_screen.query_one("#call-detail"), width=300)
                    assert item.customer in detail and "nobody on the rota" in detail
                    assert f"{title.lower()} ({number})" in detail
                    assert "m escalates it to the manager" in detail

            # Back on the grid: reloaded, the day shows off and the Plan C visits unassigned.
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
            await wait_for(pilot, lambda: "off" in grid_text(screen, choice.id, TUESDAY))
            for item in calls.plan_c:
                assert item.visit_id in screen.unassigned

            # u on the grid undoes the whole Plan B: every visit back with the absent carer.
            await pilot.press("u")
            await wait_for(pilot, lambda: not screen.writing)  # written in a worker
            await pilot.pause()
            for visit_id in visits:
                assert choice.id in db_carers(small_demo_engine, visit_id)
            assert not screen.undo_stack


async def test_leaving_plan_b_while_it_applies_keeps_its_undo(demo_settings, small_demo_engine):
    """``A`` then ``esc`` at once: Plan B finishes, then goes back to the grid with the
    change on the undo stack, and ``u`` puts every visit back."""
    async with rota_app(demo_settings, small_demo_engine) as (app, pilot, screen):
        state = screen.rota.state
        carer = next(c for c in screen.rota.carers if len(state.day_visits(c.id, TUESDAY)) >= 2)
        visits = state.day_visits(carer.id, TUESDAY)
        await go_to_cell(pilot, screen, carer.id, TUESDAY)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanBScreen) and app.screen.loaded)
        await pilot.press("A", "escape")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded, timeout=20)
        assert all(carer.id not in db_carers(small_demo_engine, v) for v in visits)
        assert screen.undo_stack and screen.undo_stack[-1][1] == f"Plan B for {carer.name}"
        await pilot.press("u")
        await wait_for(pilot, lambda: not screen.writing)  # written in a worker
        await pilot.pause()
        assert all(carer.id in db_carers(small_demo_engine, v) for v in visits)


async def test_the_picker_makes_only_the_lines_it_shows(
    demo_settings, small_demo_engine, monkeypatch
):
    """The ranked-carer picker is a ``LazyTable``: opening it for every carer makes the
    lines on screen, not one per carer (300 at ten times the demo), so a ruled-out carer's
    reason that ranking works out when first read is worked out for those alone; moving
    down and filtering make the lines then shown, and enter still picks the highlighted."""
    from coordinator_tui.screens.rota import dialogs

    made: list[int] = []
    real = dialogs.candidate_text

    def counted(candidate):
        made.append(candidate.carer_id)
        return real(candidate)

    monkeypatch.setattr(dialogs, "candidate_text", counted)
    async with rota_app(demo_settings, small_demo_engine, size=(80, 24)) as (app, pilot, screen):
        visit_id = screen.unassigned[0]
        await pilot.press("tab")
        screen.query_one("#rota-unassigned", LazyTable).cursor_row = 0
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CarerPicker))
        picker = app.screen
        await wait_for(pilot, lambda: bool(made))  # its first frame drawn
        await pilot.pause()
        total = len(picker.candidates)
        assert 0 < len(set(made)) < total, (len(set(made)), total)
        assert set(made) == {c.carer_id for c in picker.candidates[: len(set(made))]}
        last = picker.candidates[-1]
        await pilot.press(*["down"] * (total - 1))
        await wait_for(pilot, lambda: last.carer_id in made)  # drawn once scrolled to
        await type_text(pilot, last.name.lower())
        await wait_for(pilot, lambda: picker.shown[:1] and picker.shown[0] is last)
        assert picker.highlighted == 0
        await pilot.press("enter")
        await pilot.pause()
        if last.feasible:
            await wait_for(pilot, lambda: app.screen is not picker)
        else:
            assert "cannot take this visit" in shown_text(picker.query_one("#picker-error"))
        assert visit_id in screen.rota.state.snap.visits
