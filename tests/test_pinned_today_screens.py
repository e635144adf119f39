"""Screens take the coordinator's pinned today, never the machine's date (issue 13 §2).

Each test pins a date years away from the real one (2040 or 2020) and sees it used: the
referral's history (OVERDUE chase and age), the sharing report's period, the PCN report's
month and a date field's "+1w". The overdue rules behind the referral history are service
functions (``services.referrals.chase_overdue``/``conference_overdue``/``review_overdue``,
``MatrixRow.supervision_overdue``), tested here over values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from test_referrals_keys import _seed
from textual.app import App, ComposeResult

from coordinator_tui.app import make_app
from coordinator_tui.db import open_database
from coordinator_tui.models import CaseConference, Referral
from coordinator_tui.screens.referrals.detail import ReferralDetailScreen
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.care.training import MatrixRow
from coordinator_tui.settings import load_settings
from coordinator_tui.widgets.date_input import DateInput

FAR_FUTURE = date(2040, 6, 15)  # a Friday, 13 years from the machine's date
FAR_PAST = date(2020, 3, 2)


# -- the rules, over values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "chase_by", "overdue"),
    [
        ("sent", date(2027, 1, 12), True),  # chase-by passed on an open referral
        ("sent", date(2027, 1, 13), False),  # due today is not yet overdue
        ("awaiting_outcome", None, False),  # nothing to chase by
        ("closed", date(2027, 1, 1), False),  # a closed referral is never overdue
        ("withdrawn", date(2027, 1, 1), False),
    ],
)
def test_chase_overdue(state, chase_by, overdue):
    referral = Referral(person_id=1, referral_type="MASH", state=state, chase_by=chase_by)
    assert ref.chase_overdue(referral, date(2027, 1, 13)) is overdue


@pytest.mark.parametrize(
    ("due", "held", "overdue"),
    [
        (date(2027, 1, 12), None, True),
        (date(2027, 1, 13), None, False),
        (date(2027, 1, 1), date(2027, 1, 2), False),  # held: nothing outstanding
    ],
)
def test_conference_overdue(due, held, overdue):
    conference = CaseConference(referral_id=1, kind="review_cp", due_date=due, held_on=held)
    assert ref.conference_overdue(conference, date(2027, 1, 13)) is overdue


@dataclass
class _Detail:
    next_review_due: date | None


@pytest.mark.parametrize(
    ("due", "overdue"), [(date(2027, 1, 12), True), (date(2027, 1, 13), False), (None, False)]
)
def test_review_overdue(due, overdue):
    assert ref.review_overdue(_Detail(due), date(2027, 1, 13)) is overdue  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("due", "overdue"), [(date(2027, 1, 12), True), (date(2027, 1, 13), False), (None, False)]
)
def test_supervision_overdue(due, overdue):
    row = MatrixRow(1, "A Carer", "carer", None, (), due, None)
    assert row.supervision_overdue(date(2027, 1, 13)) is overdue


# -- the screens ---------------------------------------------------------------------


@pytest.fixture
def referral_engine(db_path):
    opened = open_database(str(db_path))
    _seed(opened.engine)
    yield opened.engine
    opened.engine.dispose()


@pytest.mark.parametrize(("today", "overdue"), [(FAR_FUTURE, True), (FAR_PAST, False)])
async def test_referral_history_counts_from_the_pinned_today(
    referral_engine, db_path, today, overdue
):
    """The seeded referral's chase-by is in January 2027: OVERDUE only in 2040 (by the
    machine's date it is not), and the child's age is counted to the pinned day."""
    settings = load_settings(str(db_path))
    settings.today = today
    settings.user = "coord"
    app = make_app(settings, referral_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ReferralDetailScreen) and app.screen.detail is not None,
        )
        facts = shown_text(app.screen.query_one("#referral-facts"), width=120)
        assert ("OVERDUE" in facts) is overdue
        age = today.year - 2016 - (1 if (today.month, today.day) < (3, 4) else 0)
        assert f"(age {age})" in facts


async def open_reports(pilot, app) -> None:
    from coordinator_tui.screens.reports.reports import ReportsScreen

    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)


async def test_sharing_report_period_ends_on_the_pinned_today(demo_settings, small_demo_engine):
    from coordinator_tui.screens.reports.sharing import SharingReportScreen

    demo_settings.today = FAR_FUTURE
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reports(pilot, app)
        await pilot.press("s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, SharingReportScreen) and app.screen.loaded
        )
        screen = app.screen
        assert screen.date_to == FAR_FUTURE
        assert screen.date_from == FAR_FUTURE - timedelta(days=365)
        assert "15/06/2040" in shown_text(screen.query_one("#sharing-summary"), width=120)


async def test_pcn_report_opens_on_the_month_before_the_pinned_today(
    demo_settings, small_demo_engine
):
    from coordinator_tui.screens.reports.pcn import PcnReportScreen

    demo_settings.today = FAR_FUTURE
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reports(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PcnReportScreen) and app.screen.loaded)
        assert (app.screen.date_from, app.screen.date_to) == (date(2040, 5, 1), date(2040, 5, 31))


class _PinnedApp(App[None]):
    """An app with the coordinator's settings, pinned to FAR_FUTURE."""

    def __init__(self, settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield DateInput(value="+1w", id="when")


async def test_a_date_field_counts_from_the_apps_pinned_today(tmp_path):
    """A DateInput given no ``today`` takes the app's ``settings.current_date()``."""
    settings = load_settings(str(tmp_path / "x.db"))
    settings.today = FAR_FUTURE
    app = _PinnedApp(settings)
    async with app.run_test() as pilot:
        field = app.query_one("#when", DateInput)
        assert field.working_date() == FAR_FUTURE
        assert field.value == FAR_FUTURE + timedelta(weeks=1)
        await pilot.press("ctrl+u", *"today")
        await wait_for(pilot, lambda: field.value == FAR_FUTURE)


def test_a_date_field_outside_an_app_takes_the_real_date():
    """Built outside a running app (no settings to ask) it falls back to the real date."""
    assert DateInput(value="3/12/2026").working_date() is None
