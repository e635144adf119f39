"""The look of a complaint's record (Governance, ``C`` then ``enter``): what happened on,
when the complainant knew of it, and the late warning of SI 2009/309 reg 12, at 80x24 and
120x40 (pytest-textual-snapshot). Pinned to the demo's date on a private copy of the small
demo. After an intended change of look: ``pytest tests/test_governance_record_snapshots.py
--snapshot-update``, then review the SVGs."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for
from sqlalchemy import select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Customer
from coordinator_tui.services.governance.complaints import log_complaint

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def late_complaint(small_demo_engine) -> int:
    """A complaint made 18 months after the event, the complainant's knowledge date not
    recorded: the record warns it came late."""
    with session_scope(small_demo_engine, "t") as s:
        customer_id = s.scalars(select(Customer.id).order_by(Customer.id)).first()
        complaint = log_complaint(
            s,
            received_on=DEMO_TODAY,
            channel="letter",
            complainant="Mary Crane",
            relation="daughter",
            summary="A carer was rude to my mother",
            outcome_wanted="An apology",
            customer_id=customer_id,
            carer_id=None,
            event_date=date(2025, 5, 20),
            known_on=None,
            nhs_funded=False,
            by="test.user",
            today=DEMO_TODAY,
        )
        return complaint.id


class TestComplaintRecord:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_late_complaint(
        self, snap_compare, demo_settings, small_demo_engine, late_complaint, size
    ):
        app = make_app(demo_settings, small_demo_engine)

        async def loaded(pilot):
            from coordinator_tui.widgets.lazy_table import LazyTable

            await pilot.press("6")
            await wait_for(
                pilot,
                lambda: type(app.screen).__name__ == "GovernanceScreen" and app.screen.loaded,
            )
            screen = app.screen
            await pilot.press("C")
            await wait_for(pilot, lambda: screen.view.area == "complaints" and screen.loaded)
            keys = [r.id for r in screen.shown_rows]
            screen.query_one(LazyTable).cursor_row = keys.index(late_complaint)
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: type(app.screen).__name__ == "ComplaintScreen" and app.screen.steps != [],
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)
