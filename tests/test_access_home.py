"""Home's safeguarding counts only for roles that may view the registers (issue 17 §2:
homecare users see customers, not the safeguarding registers)."""

from __future__ import annotations

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for

from coordinator_tui.db import session_scope
from coordinator_tui.services import access
from coordinator_tui.services.dashboard import SAFEGUARDING_COUNTS, dashboard_counts


@pytest.mark.parametrize(
    ("role", "sees_registers"),
    [
        ("safeguarding_lead", True),
        ("safeguarding_coordinator", True),
        ("safeguarding_administrator", True),
        ("read_only_auditor", True),
        ("homecare_coordinator", False),
        ("care_supervisor", False),
        ("administrator", False),
    ],
)
def test_home_counts_per_role(small_demo_engine, role, sees_registers):
    with session_scope(small_demo_engine, access.make_principal("u", [role])) as s:
        counts = dashboard_counts(s, DEMO_TODAY)
    with session_scope(small_demo_engine, "operator") as s:
        every = dashboard_counts(s, DEMO_TODAY)
    assert every.reviews_overdue > 0 and not every.hidden
    if sees_registers:
        assert counts.hidden == frozenset() and counts.reviews_overdue == every.reviews_overdue
    else:
        assert counts.hidden == SAFEGUARDING_COUNTS
        assert all(getattr(counts, key) == 0 for key in SAFEGUARDING_COUNTS)
        assert counts.next_meeting is None
        assert counts.unassigned_visits_week == every.unassigned_visits_week


async def test_home_of_a_homecare_coordinator_shows_no_register_counts(
    demo_settings, small_demo_engine
):
    from test_accounts_app import screen_text

    from coordinator_tui.app import make_app

    homecare = access.make_principal("hc", ["homecare_coordinator"])
    app = make_app(demo_settings, small_demo_engine, principal=homecare)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
        await pilot.pause()
        lines = [
            line for line in screen_text(app).splitlines() if "Register reviews overdue" in line
        ]
        assert lines and "not for your role" in lines[0] and "—" in lines[0]
        assert app.screen.counts.reviews_overdue == 0
