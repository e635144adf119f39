"""The app shell driven by keys: sections, Home counts against SQL, help, palette."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pilot_helpers import wait_for
from sqlalchemy import text
from textual.widgets import Input, Markdown, OptionList

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.screens.home import LINES, HomeScreen
from coordinator_tui.screens.planned import PlannedScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.screens.rota.grid import RotaScreen

REPO = Path(__file__).parents[1]

SQL_COUNTS = {
    "reviews_overdue": "SELECT count(*) FROM register_entry WHERE status='active' "
    "AND next_review_due < :today",
    "reviews_due_soon": "SELECT count(*) FROM register_entry WHERE status='active' "
    "AND next_review_due >= :today AND next_review_due <= date(:today, '+14 days')",
    "escalations": "SELECT count(*) FROM register_entry WHERE status='active' "
    "AND escalated_at IS NOT NULL",
    "untriaged_concerns": "SELECT count(*) FROM concern WHERE status='untriaged'",
    "referrals_awaiting_outcome": "SELECT count(*) FROM referral "
    "WHERE state IN ('sent','acknowledged','awaiting_outcome')",
    "referrals_overdue": "SELECT count(*) FROM referral WHERE state NOT IN "
    "('closed','withdrawn') AND chase_by < :today",
    # Meeting actions only: governance's incident actions share the table (issue 14).
    "actions_open": "SELECT count(*) FROM action WHERE status='open' "
    "AND id NOT IN (SELECT action_id FROM incident_action)",
    "actions_overdue": "SELECT count(*) FROM action WHERE status='open' AND due_date < :today "
    "AND id NOT IN (SELECT action_id FROM incident_action)",
    "incidents_awaiting_triage": "SELECT count(*) FROM incident WHERE status='open' "
    "AND triaged_at IS NULL",
    "candour_overdue": "SELECT count(*) FROM candour_record WHERE status='open' "
    "AND due_on < :today AND notified_on IS NULL AND (unable='' OR contact_attempts='')",
    "complaints_to_acknowledge": "SELECT count(*) FROM complaint WHERE status='open' "
    "AND acknowledged_on IS NULL",
    # An incident's actions past their due date: the homecare side's own (issue 17).
    "incident_actions_overdue": "SELECT count(*) FROM action WHERE status='open' "
    "AND due_date < :today AND id IN (SELECT action_id FROM incident_action)",
    "unassigned_visits_week": "SELECT count(*) FROM visit v WHERE v.status='planned' "
    "AND v.visit_date BETWEEN date(:today, 'weekday 0', '-6 days') "
    "AND date(:today, 'weekday 0') AND (SELECT count(*) FROM visit_assignment a "
    "WHERE a.visit_id = v.id) < v.carers_required",
}


def shown_counts(screen: HomeScreen) -> dict[str, int]:
    option_list = screen.query_one("#home-counts", OptionList)
    counts = {}
    for index, line in enumerate(LINES):
        plain = str(option_list.get_option_at_index(index).prompt)
        number = re.search(r"\s([\d,]+)\s+→", plain)
        assert number, plain
        counts[line.key] = int(number.group(1).replace(",", ""))
    return counts


@pytest.fixture
def app(demo_settings, small_demo_engine):
    return make_app(demo_settings, small_demo_engine)


async def test_home_counts_equal_sql(app, small_demo_engine, demo_settings, monkeypatch):
    from datetime import datetime, time

    from coordinator_tui.clock import UK
    from coordinator_tui.services.governance.visits import day_visits
    from coordinator_tui.settings import Settings

    noon = datetime.combine(demo_settings.today, time(12, 0), tzinfo=UK)
    monkeypatch.setattr(Settings, "current_moment", lambda self: noon)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        shown = shown_counts(app.screen)
    today = demo_settings.today.isoformat()
    with small_demo_engine.connect() as conn:
        expected = {
            key: conn.execute(text(sql), {"today": today}).scalar()
            for key, sql in SQL_COUNTS.items()
        }
    with session_scope(small_demo_engine, "t") as session:
        expected["visits_missed_today"] = sum(
            1
            for visit in day_visits(session, demo_settings.today, noon)
            if visit.state.missed or visit.overdue_check_in
        )
    assert shown == expected
    assert expected["reviews_overdue"] > 0 and expected["unassigned_visits_week"] > 0
    # The demo seeds governance (issue 14 §5): Home's governance lines are not all 0.
    assert expected["incidents_awaiting_triage"] > 0 and expected["complaints_to_acknowledge"] > 0


async def test_every_section_by_its_key(app):
    async with app.run_test(size=(80, 24)) as pilot:
        for key, mode in zip(
            "2345671",
            ["registers", "referrals", "meetings", "rota", "governance", "reports", "home"],
            strict=True,
        ):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
            if mode == "home":
                assert isinstance(app.screen, HomeScreen)
            elif mode == "registers":
                assert isinstance(app.screen, RegistersScreen)
            elif mode == "referrals":
                assert isinstance(app.screen, ReferralsScreen)
            elif mode == "rota":
                assert isinstance(app.screen, RotaScreen)
            elif mode == "meetings":
                from coordinator_tui.screens.meetings.meetings import MeetingsScreen

                assert isinstance(app.screen, MeetingsScreen)
            elif mode == "governance":
                assert type(app.screen).__name__ == "GovernanceScreen"
            elif mode == "reports":
                assert type(app.screen).__name__ == "ReportsScreen"
            else:
                assert isinstance(app.screen, PlannedScreen)
                markdown = app.screen.query_one(Markdown)
                await wait_for(pilot, lambda md=markdown: "not built yet" in md.source)


async def test_enter_on_a_count_opens_its_section(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("down", "down", "down", "down", "down")  # referrals overdue
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "referrals"


async def test_help_shows_screen_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        from coordinator_tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_palette_jumps_to_person_by_nhs_number(app, small_demo_engine):
    with small_demo_engine.connect() as conn:
        nhs, family = conn.execute(
            text("SELECT nhs_number, family_name FROM person ORDER BY id LIMIT 1")
        ).one()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("ctrl+p")
        await pilot.pause()
        spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
        await pilot.press(*spaced)
        from textual.command import CommandList

        await wait_for(
            pilot, lambda: app.screen.query_one(CommandList).option_count > 0, timeout=10
        )
        await pilot.press("enter")
        from coordinator_tui.screens.registers.person import PersonScreen

        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        await wait_for(pilot, lambda: family.upper() in str(app.screen.sub_title))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_number_keys_type_into_inputs(app):
    """Section keys must not fire while typing in a field."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("2", "3")
        await pilot.pause()
        assert app.current_mode == "home"
        assert app.screen.query_one(Input).value == "23"


async def test_keymap_override_from_settings(demo_settings, small_demo_engine):
    demo_settings.keymap = {"nav.registers": "g,2"}
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert app.current_mode == "registers"


async def test_practice_reference_file_beside_the_database_is_read_at_start(db_path):
    """A practice's register_categories.json beside its database changes the categories
    in the database when the app opens it; a broken one stops the app with one message."""
    import json

    from sqlmodel import select

    from coordinator_tui.db import open_database, session_scope
    from coordinator_tui.models import RegisterCategory
    from coordinator_tui.services.reference import load_register_categories, use_practice_dir
    from coordinator_tui.settings import load_settings

    shipped = json.loads(
        (
            __import__("pathlib").Path(__file__).parents[1] / "data/register_categories.json"
        ).read_text()
    )
    for entry in shipped["categories"]:
        if entry["code"] == "CPP":
            entry["review_interval_days"] = 21
    (db_path.parent / "register_categories.json").write_text(json.dumps(shipped))
    try:
        app = make_app(load_settings(str(db_path)))
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
        engine = open_database(str(db_path)).engine
        with session_scope(engine, "t") as s:
            cpp = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CPP")).one()
            assert cpp.review_interval_days == 21
        assert len(load_register_categories()) == len(shipped["categories"])
        engine.dispose()

        (db_path.parent / "register_categories.json").write_text('{"categories": [{}]}')
        app = make_app(load_settings(str(db_path)))
        async with app.run_test() as pilot:
            await pilot.pause(0.5)
        assert app.return_code == 2
        assert "register_categories.json: entry 1 has no 'code'" in app.fatal_message
    finally:
        use_practice_dir(None)


async def test_home_escalations_open_the_escalated_view_holding_that_many(
    app, small_demo_engine, demo_settings
):
    """Issue 22 §2: the count and the list behind it agree, whatever the entries' due
    dates (the demo's escalations are mostly beyond the review horizon)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        home = app.screen
        expected = home.counts.escalations
        index = next(i for i, line in enumerate(LINES) if line.key == "escalations")
        await pilot.press(*["down"] * index, "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RegistersScreen)
                and app.screen.loaded
                and app.screen.choice["status"] == "escalated"
            ),
        )
        queue = app.screen
        await wait_for(pilot, lambda: len(queue.shown_rows) == expected)
        assert expected > 1 and all(row.escalated for row in queue.shown_rows)
        assert "escalated" in str(queue.query_one("#queue-summary").render())
        # Home's other register counts open their own views.
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen is home)
        await pilot.press("home", "enter")  # reviews overdue
        await wait_for(pilot, lambda: queue.choice["status"] == "overdue" and queue.loaded)
        await wait_for(pilot, lambda: len(queue.shown_rows) == home.counts.reviews_overdue)


async def test_a_meeting_in_progress_shows_first_and_m_resumes_minuting(app, small_demo_engine):
    """Issue 22 §1: Home said "Next meeting: none planned" while a meeting was running."""
    from sqlmodel import select

    from coordinator_tui.db import session_scope
    from coordinator_tui.models import Meeting
    from coordinator_tui.screens.meetings.minuting import MinutingScreen

    with session_scope(small_demo_engine, "t") as s:
        meeting = s.exec(
            select(Meeting).where(Meeting.status == "planned").order_by(Meeting.starts_at)
        ).first()
        meeting.status = "in_progress"
        meeting_id, title = meeting.id, meeting.title
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        home = app.screen
        # The counts and the banner are set, then laid out at the next refresh: wait for
        # that (under load the first read of the regions came before it, all zero).
        await wait_for(
            pilot,
            lambda: (
                home.query_one("#home-in-progress").region.height
                and home.query_one("#home-next-meeting").region.height
            ),
        )
        await pilot.pause()
        banner = str(home.query_one("#home-in-progress").render())
        assert banner.startswith("▶ Meeting in progress · m resumes minuting · " + title)
        assert (
            home.query_one("#home-in-progress").region.y < home.query_one("#home-counts").region.y
        )
        # at 80x24 the banner is one line and every count, the counts' box and the next
        # meeting still show (the banner's box of three lines pushed them below the fold)
        assert home.query_one("#home-in-progress").region.height == 1
        counts = home.query_one("#home-counts")
        assert counts.region.bottom <= home.query_one("#home-next-meeting").region.y
        assert home.query_one("#home-next-meeting").region.bottom <= 23  # above the footer
        assert counts.region.height == counts.virtual_size.height + 2  # no line scrolled
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen))
        assert app.screen.meeting_id == meeting_id


async def test_home_governance_count_opens_governance(app):
    """Issue 14 §5: Home's governance counts open section 6."""
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        index = next(i for i, line in enumerate(LINES) if line.key == "incidents_awaiting_triage")
        option_list = app.screen.query_one("#home-counts", OptionList)
        option_list.focus()
        option_list.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "governance")


async def test_home_incident_actions_overdue_opens_the_actions_to_chase(app):
    """Home counts an incident's actions open past their due date (the homecare side's,
    which the meeting lines leave out) as Governance counts them; enter opens them to
    chase (Governance, then ``F``)."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.governance.incidents import governance_counts

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        home = app.screen
        await wait_for(pilot, lambda: home.counts_read == "database")
        with session_scope(app.engine, "t") as s:
            expected = governance_counts(s, home.counts.today).incident_actions_overdue
        assert expected > 0 and home.counts.incident_actions_overdue == expected
        index = next(i for i, line in enumerate(LINES) if line.key == "incident_actions_overdue")
        option_list = home.query_one("#home-counts", OptionList)
        option_list.focus()
        option_list.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ActionTrackerScreen")
        assert app.current_mode == "governance"
