"""Issue 14 follow-ups in the governance services: the closed incidents read a page at a
time by key (the same rows in the same order as the whole list, forward and back, with a
filter); the policy defaults and the overdue decisions the screens used to make (an
action's due date, an action or a candour notification late); a complaint's time limit as
its record shows it (SI 2009/309 reg 12)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import DEMO_TODAY
from sqlalchemy import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Customer
from coordinator_tui.models.governance import CandourRecord, Incident
from coordinator_tui.services.governance import candour as cd
from coordinator_tui.services.governance import complaints as cp
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.services.governance.terms import INCIDENT_KINDS, label


@pytest.fixture
def governance_engine(small_demo_engine):
    """The small demo with the governance demo in it (incidents closed across a year)."""
    from coordinator_tui.demo.governance import has_governance_demo, seed_governance

    with session_scope(small_demo_engine, "demo-seed") as s:
        if not has_governance_demo(s):
            seed_governance(s, today=DEMO_TODAY)
    return small_demo_engine


def _forward(session, text: str = "", limit: int = 7) -> list[int]:
    ids: list[int] = []
    key = None
    for _ in range(1000):
        page = inc.closed_incidents_page(session, DEMO_TODAY, text=text, key=key, limit=limit)
        ids += [r.id for r in page.rows]
        if len(page.rows) < limit:
            return ids
        key = page.keys[-1]
    raise AssertionError("the pages never ran out")


def _backward(session, limit: int = 7) -> list[int]:
    ids: list[int] = []
    key = None
    for _ in range(1000):
        page = inc.closed_incidents_page(session, DEMO_TODAY, key=key, backward=True, limit=limit)
        ids[:0] = [r.id for r in page.rows]
        if len(page.rows) < limit:
            return ids
        key = page.keys[0]
    raise AssertionError("the pages never ran out")


class TestClosedIncidentsByKey:
    def test_pages_forward_and_back_are_the_whole_list_in_its_order(self, governance_engine):
        with session_scope(governance_engine, "t") as s:
            whole = inc.incident_list(s, "closed", DEMO_TODAY)
            assert len(whole) > 20  # several pages of 7
            assert _forward(s) == [r.id for r in whole]
            assert _backward(s) == [r.id for r in whole]
            first = inc.closed_incidents_page(s, DEMO_TODAY, limit=7, with_total=True)
            assert first.total == len(whole)
            assert first.rows == whole[:7]  # the same rows, field for field

    def test_ties_on_the_closing_time_keep_the_old_order(self, governance_engine):
        """Incidents closed at the same moment run by when they happened, then id."""
        with session_scope(governance_engine, "t") as s:
            closed = s.scalars(
                select(Incident).where(Incident.status == "closed").order_by(Incident.id)
            ).all()
            moment = closed[0].closed_at
            for incident in closed[:10]:
                incident.closed_at = moment
        with session_scope(governance_engine, "t") as s:
            whole = [r.id for r in inc.incident_list(s, "closed", DEMO_TODAY)]
            assert _forward(s, limit=3) == whole

    @pytest.mark.parametrize("text", ["fall", "FALL", "inc-1", "medication", "zzz"])
    def test_a_filter_matches_as_the_screen_did(self, governance_engine, text):
        """The screen's filter (each word in the customer, carer, kind or ``inc-N``), now
        made by the database: the same rows as matching the whole list in memory."""
        with session_scope(governance_engine, "t") as s:
            whole = inc.incident_list(s, "closed", DEMO_TODAY)

            def haystack(r) -> str:
                parts = (r.customer, r.carer, r.kind, label(INCIDENT_KINDS, r.kind), f"inc-{r.id}")
                return " ".join(parts).lower()

            words = text.lower().split()
            expected = [r.id for r in whole if all(w in haystack(r) for w in words)]
            assert _forward(s, text=text) == expected
            total = inc.closed_incidents_page(s, DEMO_TODAY, text=text, with_total=True).total
            assert total == len(expected)
            # a customer's name, word by word
            name = next(r.customer for r in whole if r.customer)
            expected = [r.id for r in whole if name.lower() in r.customer.lower()]
            assert _forward(s, text=name) == expected


class TestPolicyInTheService:
    def test_an_actions_due_date_starts_two_weeks_on(self):
        assert inc.ACTION_DUE_DAYS == 14
        assert inc.default_action_due(date(2026, 12, 20)) == date(2027, 1, 3)

    @pytest.mark.parametrize(
        ("status", "due", "late"),
        [
            ("open", date(2026, 11, 22), True),  # due yesterday
            ("open", DEMO_TODAY, False),  # due today: not late yet
            ("open", None, False),
            ("done", date(2026, 11, 1), False),
            ("cancelled", date(2026, 11, 1), False),
        ],
    )
    def test_an_action_is_overdue_when_open_past_its_date(self, status, due, late):
        line = inc.ActionLine(1, 1, "Refresher", "PM", due, status)
        assert line.is_overdue(DEMO_TODAY) is late

    @pytest.mark.parametrize(
        ("notified", "unable", "late"),
        [
            (None, "", True),  # reg 20(2)(a): not notified by the agency's limit
            (date(2026, 11, 20), "", False),
            (None, "declined", False),  # reg 20(5): the attempts recorded instead
        ],
    )
    def test_a_candour_notification_is_late_past_its_limit(self, notified, unable, late):
        record = CandourRecord(
            incident_id=1,
            status="open",
            due_on=date(2026, 11, 20),
            notified_on=notified,
            unable=unable,
            contact_attempts="Rang twice" if unable else "",
        )
        assert cd.is_overdue(record, DEMO_TODAY) is late


class TestComplaintTiming:
    @pytest.mark.parametrize(
        ("event", "known", "late"),
        [
            (date(2025, 6, 1), None, True),  # reg 12(1)(a): 12 months after the event
            (date(2025, 6, 1), date(2026, 1, 5), False),  # (b): within 12 months of knowing
            (date(2026, 6, 1), None, False),
            (None, None, False),
        ],
    )
    def test_the_record_gets_both_dates_and_the_late_warning(
        self, small_demo_engine, event, known, late
    ):
        with session_scope(small_demo_engine, "t") as s:
            customer_id = s.scalars(select(Customer.id).order_by(Customer.id)).first()
            complaint = cp.log_complaint(
                s,
                received_on=DEMO_TODAY,
                channel="phone",
                complainant="Mary Crane",
                relation="daughter",
                summary="Visits late",
                outcome_wanted="",
                customer_id=customer_id,
                carer_id=None,
                event_date=event,
                known_on=known,
                nhs_funded=False,
                by="t",
                today=DEMO_TODAY,
            )
            timing = cp.complaint_timing(s, complaint.id)
        assert (timing.event_date, timing.known_on) == (event, known)
        assert ("reg 12(2)" in timing.late) is late
        with session_scope(small_demo_engine, "t") as s:
            assert cp.complaint_timing(s, 10**9) is None


# -- on screen -----------------------------------------------------------------------------


async def test_closed_view_reads_a_page_at_a_time_and_filters_by_the_database(
    demo_settings, governance_engine
):
    """``X``: the first page and the count are read, not every closed incident; paging
    down reads on by key; ``/`` and a word narrow it (the database's count)."""
    from pilot_helpers import wait_for

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.governance.governance import PagedRows
    from coordinator_tui.widgets.lazy_table import LazyTable

    with session_scope(governance_engine, "t") as s:
        whole = inc.incident_list(s, "closed", DEMO_TODAY)
        falls = inc.closed_incidents_page(s, DEMO_TODAY, text="fall", with_total=True).total
    app = make_app(demo_settings, governance_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GovernanceScreen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded)
        await pilot.press("X")
        await wait_for(pilot, lambda: screen.view.code == "closed" and screen.loaded)
        assert isinstance(screen.shown_rows, PagedRows)
        source = screen.shown_rows.source
        assert len(screen.shown_rows) == len(whole)
        assert screen.current() == whole[0]
        assert f"{len(whole):,} incidents" in str(screen.query_one("#gov-summary").render())
        table = screen.query_one(LazyTable)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row == len(whole) - 1)
        assert screen.current() == whole[-1]
        await pilot.press("home")
        await pilot.press("slash", *"fall")
        await wait_for(
            pilot,
            lambda: (
                isinstance(screen.shown_rows, PagedRows)
                and screen.shown_rows.source is not source
                and len(screen.shown_rows) == falls
            ),
        )
        assert all(r.kind == "fall" for r in screen.shown_rows)


async def test_complaint_record_shows_when_they_knew_and_the_late_warning(
    demo_settings, small_demo_engine
):
    """The complaint's screen: what happened on, when the complainant knew of it, and
    the warning when it came more than 12 months after both (SI 2009/309 reg 12)."""
    from pilot_helpers import shown_text, wait_for

    from coordinator_tui.app import make_app
    from coordinator_tui.formatting import day_date
    from coordinator_tui.widgets.lazy_table import LazyTable

    ids = []
    with session_scope(small_demo_engine, "t") as s:
        customer_id = s.scalars(select(Customer.id).order_by(Customer.id)).first()
        for event, known in ((date(2025, 6, 1), None), (date(2025, 6, 1), date(2026, 1, 5))):
            complaint = cp.log_complaint(
                s,
                received_on=DEMO_TODAY,
                channel="letter",
                complainant="Mary Crane",
                relation="daughter",
                summary="A carer was rude",
                outcome_wanted="An apology",
                customer_id=customer_id,
                carer_id=None,
                event_date=event,
                known_on=known,
                nhs_funded=False,
                by="t",
                today=DEMO_TODAY,
            )
            ids.append(complaint.id)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GovernanceScreen")
        screen = app.screen
        await pilot.press("C")
        await wait_for(pilot, lambda: screen.view.area == "complaints" and screen.loaded)
        seen = []
        for complaint_id in ids:
            keys = [r.id for r in screen.shown_rows]
            screen.query_one(LazyTable).cursor_row = keys.index(complaint_id)
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: (
                    type(app.screen).__name__ == "ComplaintScreen"
                    and "CMP-" in shown_text(app.screen.query_one("#gov-record-facts"), 120)
                ),
            )
            facts = shown_text(app.screen.query_one("#gov-record-facts"), 120)
            seen.append(" ".join(facts.split()))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
    late, in_time = seen
    assert f"What happened on {day_date(date(2025, 6, 1))}" in late
    assert "They knew of it on not recorded" in late
    assert "more than 12 months after the event" in late and "reg 12(2)" in late
    assert f"They knew of it on {day_date(date(2026, 1, 5))}" in in_time
    assert "reg 12(2)" not in in_time
