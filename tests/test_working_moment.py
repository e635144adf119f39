"""One moment for a unit of work (``clock.MOMENT_KEY`` in ``session.info``): the rule that
turns a care change still to be acknowledged into a hard problem two hours before the visit
(issue 18 §1) reads the coordinator's moment, pinned in demos, whether the week is read by
the grid, by ``rota check`` or by a service the app calls. At the machine's clock the
demo's pinned week (in the past) would show every such visit as "call now"."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from coordinator_tui.cli import app as cli_app
from coordinator_tui.clock import MOMENT_KEY, UK, moment_of
from coordinator_tui.db import session_scope
from coordinator_tui.services.rota.rules.care_changes import CHANGE_UNACK, CHANGE_UNACK_SOON
from coordinator_tui.services.rota.validate import check_week

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UK)


def test_moment_of_is_the_openers_else_now():
    assert moment_of({MOMENT_KEY: MONDAY}) == MONDAY
    before = datetime.now(UTC)
    assert moment_of({}) >= before


def codes(problems) -> set[str]:
    return {p.code for p in problems}


def test_the_demo_week_read_at_its_pinned_moment_has_no_call_now(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        at_monday = codes(check_week(s, MONDAY.date(), MONDAY))
    with session_scope(small_demo_engine, "t") as s:
        at_machine_clock = codes(check_week(s, MONDAY.date()))
    assert CHANGE_UNACK in at_monday and CHANGE_UNACK_SOON not in at_monday
    assert CHANGE_UNACK_SOON in at_machine_clock  # 2026-12 or later: the week is past


def test_rota_check_reads_the_pinned_moment(small_demo_path, monkeypatch):
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-23")
    monkeypatch.setenv("COORDINATOR_TUI_NOW", "08:00")
    result = CliRunner().invoke(
        cli_app,
        ["rota", "check", "--week", "2026-11-23", "--db", str(small_demo_path), "--json"],
    )
    found = {p["code"] for p in json.loads(result.stdout)["problems"]}
    assert CHANGE_UNACK in found and CHANGE_UNACK_SOON not in found


async def test_the_apps_units_of_work_carry_its_moment(demo_settings, small_demo_engine):
    from coordinator_tui.app import make_app

    demo_settings.now = MONDAY.time()
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)):
        with app.session() as session:
            assert moment_of(session.info) == demo_settings.current_moment()
