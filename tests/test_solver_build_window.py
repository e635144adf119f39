"""Build puts a visit recorded outside its care package's window back into it (issue 19:
"a visit may move within its template's window"; the care packages are the plan).

Fill and repair keep a visit's recorded time when it lies outside its window (the
coordinator may have moved it on purpose); Build may give it a start in the window, the
recorded start staying an option so that nothing gets worse. The move shows in the
proposal (from -> to, and why) and in the CLI's JSON, is written through the session on
accept, and the grid's one-step undo moves it back (``test_solver_app_window.py`` drives
that from the grid). Every plan is run through the checker: zero hard problems.
"""

from __future__ import annotations

import json
from datetime import time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent, Visit, VisitAssignment, VisitTemplate
from coordinator_tui.services.rota.snapshot import epoch_minutes
from coordinator_tui.services.rota.solver import (
    FILL,
    REPAIR,
    REPLAN,
    Scope,
    make_proposal,
    solve,
)
from coordinator_tui.services.rota.solver.load import load_problem
from tests.test_solver import Week, at, checked, weeks

SECONDS = 0.5


def regular_is_busy_at_the_recorded_time() -> tuple[Week, dict[int, tuple[int, int]]]:
    """The demo's case (visit 1993): carer 1 is the regular of both customers; visit 101
    was recorded at 09:10, outside its window (a start from 09:35 to 10:30), onto carer
    1's visit 100 (09:00-09:30). Carer 2 is free then but a stranger to customer 11."""
    week = Week()
    week.carer(1)
    week.carer(2)
    week.customer(10)
    week.customer(11, km=1)
    week.known.update({(1, 10), (1, 11), (2, 10)})
    week.visit(100, 10, 0, 9)
    week.visit(101, 11, 0, 9, 10)
    return week, {101: (at(0, 9, 35), at(0, 10, 30))}


def solved(week: Week, windows, mode: str, **options):
    result = solve(week.snapshot(), Scope(mode=mode), windows=windows, seconds=SECONDS, **options)
    assert checked(result) == []  # a hard problem in the solver's plan is a bug
    return result


class TestBuild:
    def test_moves_the_visit_back_into_its_window_for_its_regular(self):
        week, windows = regular_is_busy_at_the_recorded_time()
        result = solved(week, windows, REPLAN)
        assert result.after[101] == (1,)  # the regular, not the stranger
        moved = result.checked.starts[101]
        assert at(0, 9, 35) <= moved <= at(0, 10, 30)
        (change,) = [c for c in make_proposal(result).changes if c.visit_id == 101]
        assert change.retimed and change.back_into_window
        assert change.start == moved and change.start_before == at(0, 9, 10)
        assert change.window == (at(0, 9, 35), at(0, 11, 0))  # latest start + 30 minutes
        assert "back into its care package's window 09:35-11:00" in change.time_note
        assert "moved from 09:10 to" in change.time_note
        shown = change.to_dict()
        assert shown["start_before"] == "09:10" and shown["back_into_window"] is True
        assert shown["window"] == ["09:35", "11:00"] and shown["why_moved"] == change.time_note

    def test_the_recorded_start_stays_when_it_is_the_only_one_that_works(self):
        """The carer is busy through the whole window but free at the recorded time."""
        week = Week()
        week.carer(1)
        week.customer(10)
        week.customer(11, km=1)
        week.visit(100, 10, 0, 9, 20, length=70)  # 09:20-10:30: the whole window
        week.visit(101, 11, 0, 8)  # recorded 08:00; its window allows a start 09:30-10:00
        result = solved(week, {101: (at(0, 9, 30), at(0, 10, 0))}, REPLAN)
        assert result.after[101] == (1,) and result.after[100] == (1,)
        assert 101 not in result.checked.starts
        assert not any(c.retimed for c in make_proposal(result).changes)

    def test_a_visit_free_at_its_recorded_time_is_not_moved_for_nothing(self):
        week = Week()
        week.carer(1)
        week.customer(11)
        week.known.add((1, 11))
        week.visit(101, 11, 0, 9, 10)
        result = solved(week, {101: (at(0, 9, 35), at(0, 10, 30))}, REPLAN)
        assert result.after[101] == (1,) and 101 not in result.checked.starts


class TestFillAndRepairKeepTheRecordedTime:
    def test_fill_keeps_it_and_sends_the_stranger(self):
        week, windows = regular_is_busy_at_the_recorded_time()
        week.assignments[100] = (1,)
        result = solved(week, windows, FILL)
        assert 101 not in result.checked.starts
        assert result.after[101] == (2,)  # the regular is busy at 09:10
        assert not any(c.retimed for c in make_proposal(result).changes)

    def test_repair_keeps_it(self):
        week, windows = regular_is_busy_at_the_recorded_time()
        week.carer(1, absent_days=frozenset({week.visits[100].day}))  # carer 1 off Monday
        week.carer(3)
        week.known.add((3, 10))
        week.assignments[100] = (1,)
        result = solved(week, windows, REPAIR)
        assert 101 not in result.checked.starts
        assert not any(c.retimed for c in make_proposal(result).changes)


@st.composite
def weeks_with_windows(draw):
    """Any small week, with windows for some visits: some hold the recorded start, some
    lie wholly before or after it (the visit recorded outside its window)."""
    week = draw(weeks())
    windows: dict[int, tuple[int, int]] = {}
    for visit_id, visit in week.visits.items():
        shape = draw(st.sampled_from(("none", "around", "later", "earlier")))
        if shape == "none":
            continue
        width = draw(st.sampled_from((0, 15, 60, 120)))
        if shape == "around":
            low = visit.start - draw(st.integers(0, 60))
            windows[visit_id] = (low, max(low + width, visit.start))
        elif shape == "later":
            low = visit.start + draw(st.integers(5, 120))
            windows[visit_id] = (low, low + width)
        else:
            high = visit.start - draw(st.integers(5, 120))
            windows[visit_id] = (high - width, high)
    return week, windows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks_with_windows(), st.sampled_from((FILL, REPAIR, REPLAN)))
def test_any_week_moves_only_into_the_window_and_only_in_build(case, mode):
    week, windows = case
    snap = week.snapshot()
    result = solve(snap, Scope(mode=mode), windows=windows, seconds=0.05)
    assert checked(result) == []
    for visit_id, start in result.checked.starts.items():
        low, high = windows[visit_id]
        recorded = snap.visits[visit_id].start
        assert low <= start <= high  # a move always lands in the window
        if not low <= recorded <= high:
            assert mode == REPLAN  # out of its window: only Build moves it
    proposal = make_proposal(result)
    for change in proposal.changes:
        assert change.retimed == (change.visit_id in result.checked.starts)
        if change.back_into_window:
            assert mode == REPLAN and change.time_note


# -- the command line: rota solve --replan --dry-run --json -----------------------------------


def one_visit_outside_its_window(engine, monday):
    """A carer on one customer's 09:00 visit (its window has no slack), the other
    customer's visit recorded at 09:10, outside its window (09:35-11:00), and nobody
    else: Build can staff it only by moving it into its window. Returns its id."""
    from coordinator_tui.models import CarePackage, Carer, Customer
    from tests.care_staff_world import at as local_at

    with session_scope(engine, "setup") as s:
        ann = Carer(name="Ann Archer", gender="female")
        edith = Customer(name="Edith Crane", lat=52.0, lon=-1.0)
        frank = Customer(name="Frank Dale", lat=52.001, lon=-1.001)
        s.add_all([ann, edith, frank])
        s.flush()
        ids = []
        for customer, opens, closes, start in (
            (edith, (9, 0), (9, 30), (9, 0)),
            (frank, (9, 35), (11, 0), (9, 10)),
        ):
            package = CarePackage(customer_id=customer.id, start_date=monday - timedelta(days=60))
            s.add(package)
            s.flush()
            template = VisitTemplate(
                package_id=package.id,
                window_start=time(*opens),
                window_end=time(*closes),
                duration_minutes=30,
            )
            s.add(template)
            s.flush()
            visit = Visit(
                template_id=template.id,
                customer_id=customer.id,
                visit_date=monday,
                start_at=local_at(monday, *start),
                end_at=local_at(monday, *start) + timedelta(minutes=30),
            )
            s.add(visit)
            s.flush()
            ids.append(visit.id)
        s.add(VisitAssignment(visit_id=ids[0], carer_id=ann.id, slot=1))
        return ids[1], ann.id


def test_cli_replan_dry_run_json_shows_the_move_and_writes_nothing(db_path, monkeypatch):
    from tests.care_staff_world import MONDAY

    monkeypatch.setenv("COORDINATOR_TUI_TODAY", MONDAY.isoformat())
    opened = open_database(str(db_path))
    try:
        visit_id, ann = one_visit_outside_its_window(opened.engine, MONDAY)
        with session_scope(opened.engine, "t") as s:
            before = s.get(Visit, visit_id).start_at
            audit_before = max(s.scalars(select(AuditEvent.id)), default=0)
            loaded = load_problem(s, MONDAY)
            low, high = loaded.windows[visit_id]
            assert not low <= epoch_minutes(before) <= high  # recorded outside its window
    finally:
        opened.engine.dispose()
    runner = CliRunner()
    common = ["rota", "solve", "--week", MONDAY.isoformat(), "--db", str(db_path)]
    result = runner.invoke(
        cli_app,
        [*common, "--replan", "--seconds", "1", "--dry-run", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["mode"] == "replan" and document["dry_run"] and not document["applied"]
    (change,) = [c for c in document["changes"] if c["visit_id"] == visit_id]
    assert change["after"] == [ann] and change["kind"] == "new"
    assert change["start_before"] == "09:10" and change["start"] == "09:35"
    assert change["back_into_window"] is True and change["window"] == ["09:35", "11:00"]
    assert "back into its care package's window" in change["why_moved"]
    assert document["after"]["hard_problems"] == 0 and document["unstaffed"] == []
    # the text printout says the same in words
    printed = runner.invoke(
        cli_app, [*common, "--replan", "--seconds", "1", "--dry-run"], catch_exceptions=False
    )
    assert "moved from 09:10 to 09:35: back into its care package's window" in printed.stdout
    # fill keeps the recorded time: the visit is left empty, with why
    filled = json.loads(
        runner.invoke(
            cli_app, [*common, "--seconds", "1", "--dry-run", "--json"], catch_exceptions=False
        ).stdout
    )
    assert not any(c.get("start_before") for c in filled["changes"])
    assert [u["visit_id"] for u in filled["unstaffed"]] == [visit_id]
    opened = open_database(str(db_path), migrate=False)
    try:
        with session_scope(opened.engine, "t") as s:  # nothing written by the dry runs
            assert s.get(Visit, visit_id).start_at == before
            written = s.scalars(
                select(AuditEvent.table_name).where(
                    AuditEvent.id > audit_before,
                    AuditEvent.table_name.in_(("visit", "visit_assignment")),
                )
            )
            assert list(written) == []  # (the first run seeds reference data: not the rota)
            assert not list(
                s.scalars(select(VisitAssignment).where(VisitAssignment.visit_id == visit_id))
            )
    finally:
        opened.engine.dispose()


# -- the grid: s, m, m (Build), the move shown, A writes it, u puts it back -------------------


def frank_visit(engine, visit_id: int) -> tuple[str, tuple[int, ...]]:
    """The visit's local start (HH:MM) and its carers, from the database."""
    from coordinator_tui.clock import to_local

    with session_scope(engine, "t") as s:
        visit = s.get(Visit, visit_id)
        carers = tuple(
            s.scalars(
                select(VisitAssignment.carer_id)
                .where(VisitAssignment.visit_id == visit_id)
                .order_by(VisitAssignment.slot)
            )
        )
        return f"{to_local(visit.start_at):%H:%M}", carers


def visits_shown(grid, carer_id: int, column: int) -> int | None:
    """The number of visits the grid's cell shows for the carer's day ("▲  2  1.0h")."""
    import re

    found = re.search(r"(\d+)\s+[\d.]+h", grid._row_cells(carer_id)[column].plain)
    return int(found.group(1)) if found else None


async def test_grid_build_shows_the_move_accept_writes_it_and_u_puts_it_back(
    db_path, engine, monkeypatch
):
    from pilot_helpers import shown_text, wait_for

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.rota import solve as rota_solve
    from coordinator_tui.screens.rota.grid import RotaScreen
    from coordinator_tui.screens.rota.solve import SolveScreen
    from coordinator_tui.settings import NOW_ENV, load_settings
    from coordinator_tui.widgets.lazy_table import LazyTable
    from tests.care_staff_world import MONDAY

    monkeypatch.setenv(NOW_ENV, "05:00")  # nothing of the week has started
    monkeypatch.setattr(rota_solve, "SOLVE_SECONDS", 2.0)
    visit_id, ann = one_visit_outside_its_window(engine, MONDAY)
    settings = load_settings(str(db_path))
    settings.today = MONDAY
    with session_scope(engine, "t") as s:
        audit_before = max(s.scalars(select(AuditEvent.id)), default=0)
    app = make_app(settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        grid = app.screen
        monday_column = 1 + grid.rota.days.index(MONDAY)
        assert visits_shown(grid, ann, monday_column) == 1  # one visit
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SolveScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.proposal is not None, timeout=60)
        # Fill keeps the time it was recorded at: nobody can take it then.
        assert screen.proposal.mode == "fill"
        assert [u.visit_id for u in screen.proposal.unstaffed] == [visit_id]
        assert not any(c.retimed for c in screen.proposal.changes)
        for mode in ("repair", "replan"):
            await pilot.press("m")
            await wait_for(
                pilot,
                lambda mode=mode: screen.proposal is not None and screen.proposal.mode == mode,
                timeout=60,
            )
            if mode == "repair":  # repair keeps it too
                assert not any(c.retimed for c in screen.proposal.changes)
        proposal = screen.proposal
        (change,) = [c for c in proposal.changes if c.visit_id == visit_id]
        assert change.after == (ann,) and change.back_into_window
        table = screen.query_one("#solve-changes", LazyTable)
        rows = list(table.source.rows(0, table.row_count))
        table.cursor_row = next(i for i, row in enumerate(rows) if row.key == visit_id)
        await pilot.pause()
        cells = [str(getattr(cell, "plain", cell)) for cell in rows[table.cursor_row].cells]
        assert cells[2] == "09:35" and cells[4].startswith("09:10")  # the new time; the old
        detail = shown_text(screen.query_one("#solve-detail"))
        assert "moved from 09:10 to 09:35: back into its care package's window 09:35-11:00" in (
            " ".join(detail.split())
        )
        assert screen.proposal.after.hard == 0 and not screen.proposal.unstaffed
        await pilot.press("A")  # accept all: the grid again
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen), timeout=30)
        await wait_for(pilot, lambda: grid.loaded and frank_visit(engine, visit_id)[1], timeout=30)
        assert frank_visit(engine, visit_id) == ("09:35", (ann,))
        with session_scope(engine, "t") as s:
            moved = s.scalars(
                select(AuditEvent.changes).where(
                    AuditEvent.id > audit_before,
                    AuditEvent.table_name == "visit",
                    AuditEvent.row_id == visit_id,
                    AuditEvent.action == "update",
                )
            ).all()
        assert len(moved) == 1 and "start_at" in moved[0]  # written through the session
        await wait_for(pilot, lambda: visits_shown(grid, ann, monday_column) == 2)
        await pilot.press("u")  # one key: the carer off and the visit back at 09:10
        await wait_for(pilot, lambda: frank_visit(engine, visit_id) == ("09:10", ()), timeout=30)
        await wait_for(
            pilot,
            lambda: grid.loaded and visits_shown(grid, ann, monday_column) == 1,
            timeout=30,
        )
        assert grid.rota.state.snap.visits[visit_id].start == change.start_before


# -- two writers: a visit moved by a colleague after the solve ---------------------------------


def test_a_start_moved_by_a_colleague_since_the_solve_is_refused_and_nothing_written(db_path):
    """Build proposed 09:10 -> 09:35; meanwhile a colleague moved the visit to 09:20. The
    accept is refused with the shared conflict line (who, when) and the colleague's time
    stays; neither the proposal's start nor its audit row is written."""
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.rota.assign import move_starts
    from tests.care_staff_world import MONDAY
    from tests.care_staff_world import at as local_at

    opened = open_database(str(db_path))
    try:
        visit_id, _ann = one_visit_outside_its_window(opened.engine, MONDAY)
        was = epoch_minutes(local_at(MONDAY, 9, 10))
        new = epoch_minutes(local_at(MONDAY, 9, 35))
        with session_scope(opened.engine, "colleague") as s:
            row = s.get(Visit, visit_id)
            row.start_at = local_at(MONDAY, 9, 20)
            row.end_at = row.start_at + timedelta(minutes=30)
        with session_scope(opened.engine, "t") as s:
            audit_before = max(s.scalars(select(AuditEvent.id)), default=0)
        try:
            with session_scope(opened.engine, "coordinator") as s:
                move_starts(s, {visit_id: (was, new)})
            raise AssertionError("the stale move was written")
        except CoordinatorError as exc:
            assert "changed" in str(exc).lower() and "colleague" in str(exc)
        with session_scope(opened.engine, "t") as s:
            assert epoch_minutes(s.get(Visit, visit_id).start_at) == epoch_minutes(
                local_at(MONDAY, 9, 20)
            )
            assert max(s.scalars(select(AuditEvent.id)), default=0) == audit_before
    finally:
        opened.engine.dispose()
