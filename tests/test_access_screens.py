"""The remaining entry points of issue 17 §2 refused on screen, driven as a user does:
the action tracker (Meetings), the Reports screens' views, the people list and the
palette's people search. A role refused sees the service's one line where the data would
have been, nothing of anyone, and the app carries on.
"""

from __future__ import annotations

import pytest
from pilot_helpers import shown_text, wait_for
from textual.command import CommandList

from coordinator_tui.app import make_app
from coordinator_tui.services import access

NOT_PERMITTED = "Not permitted: your roles"


def principal(role: str) -> access.Principal:
    return access.make_principal("tester", [role], display_name="Tester")


def line(app, selector: str) -> str:
    """A Static's text as drawn, on one line."""
    return " ".join(shown_text(app.screen.query_one(selector)).split())


async def test_meetings_refused_for_a_homecare_coordinator_in_one_line(
    demo_settings, small_demo_engine
):
    app = make_app(demo_settings, small_demo_engine, principal=principal("homecare_coordinator"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.press("4")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False), timeout=20)
        shown = line(app, "#meetings-summary")
        assert shown.startswith(NOT_PERMITTED) and "run safeguarding meetings" in shown
        assert app.screen.actions == [] and app.is_running


@pytest.mark.parametrize(
    ("role", "screen_name", "summary", "activity"),
    [
        ("homecare_coordinator", "pcn.PcnReportScreen", "#pcn-summary", "run reports"),
        ("homecare_coordinator", "themes.ThemesScreen", "#themes-summary", "run reports"),
        ("safeguarding_administrator", "kpi.KpiPackScreen", "#kpi-summary", "homecare and"),
        ("safeguarding_administrator", "cqc.CqcEvidenceScreen", "#cqc-summary", "homecare and"),
    ],
)
async def test_report_views_refused_in_one_line(
    demo_settings, small_demo_engine, role, screen_name, summary, activity
):
    """PCN report and learning themes for a homecare coordinator; the homecare KPIs and
    the CQC pack for a safeguarding administrator."""
    import importlib

    module, name = screen_name.split(".")
    screen_class = getattr(
        importlib.import_module(f"coordinator_tui.screens.reports.{module}"), name
    )
    app = make_app(demo_settings, small_demo_engine, principal=principal(role))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        app.push_screen(screen_class())
        await wait_for(
            pilot, lambda: isinstance(app.screen, screen_class) and app.screen.loaded, timeout=20
        )
        shown = line(app, summary)
        assert shown.startswith(NOT_PERMITTED) and activity in shown, shown
        assert app.is_running


async def test_people_list_refused_for_a_homecare_coordinator(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine, principal=principal("homecare_coordinator"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        app.open_people()
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False), timeout=20)
        assert line(app, "#people-summary").startswith(NOT_PERMITTED)
        assert app.screen.total == 0


@pytest.mark.parametrize(
    ("role", "allowed"), [("homecare_coordinator", False), ("safeguarding_coordinator", True)]
)
async def test_palette_people_search_goes_through_the_guarded_service(
    demo_settings, small_demo_engine, role, allowed
):
    """A homecare coordinator's palette shows the refusal line instead of names; a
    safeguarding coordinator's shows the people."""
    from sqlalchemy import text

    with small_demo_engine.connect() as conn:
        family = conn.execute(text("SELECT family_name FROM person ORDER BY id LIMIT 1")).scalar()
    app = make_app(demo_settings, small_demo_engine, principal=principal(role))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*family.lower())
        options = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: options.option_count > 0, timeout=20)
        count = options.option_count
        shown = [str(options.get_option_at_index(i).prompt) for i in range(count)]
        people = [prompt for prompt in shown if family.lower() in prompt.lower()]
        if allowed:
            assert people, shown
        else:
            assert not people and any(NOT_PERMITTED in prompt for prompt in shown), shown
            await pilot.press("enter")  # choosing the line does nothing
            await pilot.pause()
            assert app.is_running
