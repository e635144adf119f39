# ruff: noqa: F811  (pytest fixtures imported from test_registers_app, used as arguments)
"""``2``, ``/`` and a name typed in one burst as the app starts, before the queue is read:
the filter box shows the name and the list its matches. Textual's auto-focus used to give
the hidden filter box the focus, so the held keys went into it, ``/`` included: the box
stayed hidden and "/family02" matched nothing ("0 due of 25", "Nothing due for review")."""

from __future__ import annotations

import pytest
from pilot_helpers import wait_for
from test_registers_app import app, seeded  # noqa: F401
from test_type_ahead import burst
from textual import events
from textual.widgets import Input

from coordinator_tui.screens.governance.governance import GovernanceScreen
from coordinator_tui.screens.meetings.meetings import MeetingsScreen
from coordinator_tui.screens.meetings.triage import MeetingTriageScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.screens.registers.people import PeopleScreen
from coordinator_tui.screens.registers.queue import RegistersScreen


async def test_slash_and_a_name_typed_before_the_queue_is_read(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "2")
        app.post_message(events.Key("slash", "/"))  # as a terminal sends it
        burst(app, *"family02")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        screen = app.screen
        box = screen.query_one("#queue-filter", Input)
        await wait_for(pilot, lambda: [r.family_name for r in screen.shown_rows] == ["Family02"])
        assert box.value == "family02" and box.display
        summary = str(screen.query_one("#queue-summary").render())
        assert summary.startswith("Review queue  1 due of 25")


@pytest.mark.parametrize(
    ("screen", "hidden"),
    [
        (RegistersScreen, "#queue-filter"),
        (PeopleScreen, "#people-filter"),
        (ReferralsScreen, "#referrals-filter"),
        (GovernanceScreen, "#gov-filter"),
        (MeetingsScreen, "#meetings-filter"),
        (MeetingTriageScreen, "#triage-filter"),
    ],
)
def test_a_screen_with_a_hidden_filter_box_auto_focuses_its_list(screen, hidden):
    """Each names its list for auto-focus, never the box shown only by ``/``."""
    assert screen.AUTO_FOCUS and hidden != screen.AUTO_FOCUS
    assert screen.AUTO_FOCUS.startswith("#")


async def test_the_compliance_line_landing_after_the_screen_closed_is_dropped(app, seeded):
    """The review compliance and concern counts are read in a worker; landing after the
    queue's widgets are gone (the app quitting as they were read: found by the test above
    under load, the worker then failed at exit), they are dropped, not an error."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        screen = app.screen
        await screen.query_one("#queue-compliance").remove()
        screen.show_compliance(10, 9, 1)  # no NoMatches
        await pilot.pause()
        assert app.is_running
