"""The homecare side's action tracker (``F`` on Governance), driven as a user does.

A homecare coordinator (rota, governance; no meetings) is refused the Meetings section,
where the only tracker was: they could add an incident's actions and escalate cover tasks
but never chase or close them. From Governance, ``F`` lists an incident's actions and the
rota's cover tasks (nothing of the safeguarding meetings'), and ``c``/``d``/``r``/``e``
change them through the same services, with the version the screen saw.
"""

from __future__ import annotations

from functools import partial

import pytest
from action_helpers import as_cover_task
from conftest import DEMO_TODAY
from pilot_helpers import shown_text, wait_for
from sqlalchemy import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, ActionChase
from coordinator_tui.services import access
from coordinator_tui.services.meetings import actions as act

SIZES = [(80, 24), (120, 40)]
COVER_TEXT = "Cover needed: Tue teatime visit; nobody on the rota can take it"

# A cold open took over 10 s on a loaded 2-core machine: wait long.
_wait = partial(wait_for, timeout=60.0)


def homecare() -> access.Principal:
    return access.make_principal("hc", ["homecare_coordinator"], display_name="HC")


@pytest.fixture
def cover_task(small_demo_engine) -> int:
    """A visit nobody could cover, escalated to the registered manager (Plan C's task),
    due today."""
    with session_scope(small_demo_engine, "operator") as s:
        task = Action(owner_label="Registered manager", description=COVER_TEXT, due_date=DEMO_TODAY)
        s.add(task)
        s.flush()
        as_cover_task(s, task)
        return task.id


async def open_tracker(pilot, app):
    """Governance (6), then ``F``: the tracker once its rows are read."""
    await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
    await pilot.press("6")
    await _wait(
        pilot, lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded
    )
    await pilot.press("F")
    await _wait(
        pilot, lambda: type(app.screen).__name__ == "ActionTrackerScreen" and app.screen.loaded
    )
    return app.screen


def cells(screen) -> list[list[str]]:
    table = screen.query_one("#tracker-actions")
    return [[str(c) for c in row.cells] for row in table.source.rows(0, len(table.source))]


def line(screen, selector: str) -> str:
    return " ".join(shown_text(screen.query_one(selector)).split())


async def test_a_homecare_coordinator_closes_and_chases_from_governance(
    demo_settings, small_demo_engine, cover_task
):
    engine = small_demo_engine
    app = make_app(demo_settings, engine, principal=homecare())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_tracker(pilot, app)
        kinds = {a.kind for a in screen.actions}
        assert kinds == {"incident", "cover"}  # nothing of the safeguarding meetings'
        shown = cells(screen)
        assert any(row[-1] == "cover needed" and row[3] == COVER_TEXT for row in shown)
        assert any(row[-1] == "incident" and row[0] == "OVERDUE" for row in shown)
        overdue = sum(a.is_overdue(screen.today) for a in screen.actions)
        assert f"{len(screen.actions)} open · by due · {overdue} overdue" in line(
            screen, "#tracker-summary"
        )

        # d on the first (the most overdue): done with its outcome, off the list.
        target = screen.current_action()
        assert target is not None and target.kind == "incident"
        await pilot.press("d")
        await _wait(pilot, lambda: type(app.screen).__name__ == "FormDialog")
        await pilot.press(*"Care plan updated and signed", "ctrl+s")
        await _wait(
            pilot,
            lambda: (
                app.screen is screen
                and screen.loaded
                and target.id not in {a.id for a in screen.actions}
            ),
        )
        assert not any(target.description == row[3] for row in cells(screen))
        with session_scope(engine, "t") as s:
            done = s.get(Action, target.id)
            assert (done.status, done.outcome) == ("done", "Care plan updated and signed")

        # c on the cover task: a chase row, by the coordinator, shown as last chased.
        index = next(i for i, a in enumerate(screen.shown_actions) if a.id == cover_task)
        screen.query_one("#tracker-actions").cursor_row = index
        await pilot.press("c")
        await _wait(pilot, lambda: type(app.screen).__name__ == "FormDialog")
        await pilot.press(*"Rang the manager: agency cover booked", "ctrl+s")
        await _wait(
            pilot,
            lambda: app.screen is screen and screen.loaded and _chases(engine, cover_task) == 1,
        )
        with session_scope(engine, "t") as s:
            chase = s.scalars(select(ActionChase).where(ActionChase.action_id == cover_task)).one()
            assert chase.note == "Rang the manager: agency cover booked"
            assert s.get(Action, cover_task).status == "open"
        index = next(i for i, a in enumerate(screen.shown_actions) if a.id == cover_task)
        screen.query_one("#tracker-actions").cursor_row = index
        await pilot.pause()
        assert "cover needed · Registered manager · last chased" in line(screen, "#tracker-detail")


def _chases(engine, action_id: int) -> int:
    with session_scope(engine, "t") as s:
        return s.scalar(
            select(func.count(ActionChase.id)).where(ActionChase.action_id == action_id)
        )


async def test_governance_to_done_in_four_keys(demo_settings, small_demo_engine):
    """From Governance's key to an action marked done: 6, F, d, the outcome, ctrl+s."""
    app = make_app(demo_settings, small_demo_engine, principal=homecare())
    keys = ["6", "F", "d", "ctrl+s"]
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.press(keys[0])
        await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
        await pilot.press(keys[1])
        await _wait(
            pilot,
            lambda: type(app.screen).__name__ == "ActionTrackerScreen" and app.screen.loaded,
        )
        screen = app.screen
        target = screen.current_action()
        await pilot.press(keys[2], *"Checked", keys[3])
        await _wait(pilot, lambda: app.screen is screen and screen.loaded)
        await _wait(pilot, lambda: target.id not in {a.id for a in screen.actions})
    assert len(keys) <= 5
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(Action, target.id).status == "done"


async def test_a_second_writer_is_refused_and_the_text_kept(
    demo_settings, small_demo_engine, cover_task
):
    engine = small_demo_engine
    app = make_app(demo_settings, engine, principal=homecare())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_tracker(pilot, app)
        index = next(i for i, a in enumerate(screen.shown_actions) if a.id == cover_task)
        screen.query_one("#tracker-actions").cursor_row = index
        await pilot.press("d")
        await _wait(pilot, lambda: type(app.screen).__name__ == "FormDialog")
        dialog = app.screen
        await pilot.press(*"Agency carer went")
        # Meanwhile a colleague re-dates the same task.
        colleague = access.make_principal("colleague", ["homecare_coordinator"])
        with session_scope(engine, colleague) as s:
            act.redate(s, cover_task, due=DEMO_TODAY, today=DEMO_TODAY)
            act.chase(s, cover_task, note="Rang", by="colleague")
        await pilot.press("ctrl+s")
        await _wait(pilot, lambda: "Refused" in str(dialog.query_one("#form-error").content))
        error = str(dialog.query_one("#form-error").content)
        assert "colleague changed this action" in error and "Nothing was overwritten" in error
        assert app.screen is dialog and dialog.query_one("#f-outcome").value == "Agency carer went"
        with session_scope(engine, "t") as s:
            assert s.get(Action, cover_task).status == "open"
        # esc (discarding what was typed), f5: the colleague's change read, then saved.
        await pilot.press("escape", "y")
        await _wait(pilot, lambda: app.screen is screen)
        await pilot.press("f5")
        await _wait(pilot, lambda: screen.loaded)
        index = next(i for i, a in enumerate(screen.shown_actions) if a.id == cover_task)
        screen.query_one("#tracker-actions").cursor_row = index
        await pilot.press("d")
        await _wait(pilot, lambda: type(app.screen).__name__ == "FormDialog")
        await pilot.press(*"Agency carer went", "ctrl+s")
        await _wait(pilot, lambda: cover_task not in {a.id for a in screen.actions})
    with session_scope(engine, "t") as s:
        assert s.get(Action, cover_task).outcome == "Agency carer went"


async def test_a_safeguarding_administrator_is_refused_in_one_line(
    demo_settings, small_demo_engine
):
    """Meetings only (no governance, no rota): the service's refusal, nothing else."""
    admin = access.make_principal("sa", ["safeguarding_administrator"], display_name="SA")
    app = make_app(demo_settings, small_demo_engine, principal=admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("F")
        await _wait(
            pilot,
            lambda: type(app.screen).__name__ == "ActionTrackerScreen" and app.screen.loaded,
        )
        screen = app.screen
        shown = line(screen, "#tracker-summary")
        assert shown.startswith("Not permitted: your roles") and "incidents" in shown
        assert screen.actions == [] and not screen.query_one("#tracker-actions").display
        assert line(screen, "#tracker-detail") == ""
        for key in ("c", "d", "r", "e", "o"):
            await pilot.press(key)
        await pilot.pause()
        assert app.screen is screen and app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ != "ActionTrackerScreen"


async def test_enter_opens_the_incident_and_back_reads_the_list_again(
    demo_settings, small_demo_engine, cover_task
):
    """6, F, enter: the incident behind the highlighted action (3 keys); esc back, and
    what changed meanwhile (here: a colleague closed an action) is read again. On a cover
    task, which has no incident, enter says so in one line and stays."""
    engine = small_demo_engine
    app = make_app(demo_settings, engine, principal=homecare())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tracker(pilot, app)
        target = screen.current_action()
        assert target is not None and target.kind == "incident" and target.incident_id
        assert f"enter INC-{target.incident_id}" in line(screen, "#tracker-detail")
        await pilot.press("enter")
        await _wait(pilot, lambda: type(app.screen).__name__ == "IncidentScreen")
        record = app.screen
        assert record.row.id == target.incident_id
        await _wait(pilot, lambda: f"INC-{target.incident_id}" in line(record, "#gov-record-facts"))
        # a colleague closes another of the listed actions meanwhile
        other = next(a for a in screen.actions if a.id != target.id)
        colleague = access.make_principal("colleague", ["homecare_coordinator"])
        with session_scope(engine, colleague) as s:
            act.complete(s, other.id, other.version, outcome="Done by a colleague")
        await pilot.press("escape")
        await _wait(
            pilot,
            lambda: app.screen is screen and other.id not in {a.id for a in screen.actions},
        )
        # a cover task: no incident behind it
        index = next(i for i, a in enumerate(screen.shown_actions) if a.id == cover_task)
        screen.query_one("#tracker-actions").cursor_row = index
        await _wait(pilot, lambda: "cover needed" in line(screen, "#tracker-detail"))
        assert "enter" not in line(screen, "#tracker-detail")
        await pilot.press("enter")
        await _wait(pilot, lambda: any("cover task" in n.message for n in app._notifications))
        assert app.screen is screen


def test_the_views_bar_names_f_at_both_sizes():
    """Governance's views bar lists ``F`` (the actions to chase) in each of its forms."""
    from coordinator_tui.screens.governance.governance import VIEWS, GovernanceScreen

    screen = GovernanceScreen.__new__(GovernanceScreen)
    for view in VIEWS:
        screen.view = view
        for wide, named, chase in ((True, True, True), (False, True, True), (False, True, False)):
            text = screen._views_bar(wide, named, chase).plain
            assert text.rstrip().endswith("F to chase" if chase else "F"), text
        assert screen._views_bar(False, False, False).plain.rstrip().endswith(" F")


class TestTrackerSnapshots:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_homecare_tracker(
        self, snap_compare, demo_settings, small_demo_engine, cover_task, size
    ):
        app = make_app(demo_settings, small_demo_engine, principal=homecare())

        async def loaded(pilot):
            await open_tracker(pilot, app)
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
