"""Process updates for the safeguarding administrators (issue 15 section 3): sent to the
staff directory's administrators, acknowledged, briefed, overdue ones chased as actions;
and the screens driven by their keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, ActionStatus, ProcessUpdateRecipient
from coordinator_tui.services.meetings.actions import complete, open_actions
from coordinator_tui.services.reports import ReportsConflictError, ReportsError
from coordinator_tui.services.reports import process_updates as pu

TODAY = date(2026, 11, 23)


def send(engine, **values) -> int:
    fields = {
        "today": TODAY,
        "by": "coordinator",
        "title": "New MASH referral form",
        "what_changed": "Referrals to MASH use the new online form",
        "effective_from": TODAY,
        "guidance": "County safeguarding partnership procedures, November 2026",
        **values,
    }
    with session_scope(engine, "coordinator") as s:
        return pu.create_update(s, **fields).id


def recipients(engine, update_id) -> list[pu.RecipientRow]:
    with session_scope(engine, "t") as s:
        return pu.recipients(s, update_id)


def test_sent_to_each_practices_administrator_as_an_action(small_demo_engine):
    update_id = send(small_demo_engine, practices="Riverside, Y99002")
    rows = recipients(small_demo_engine, update_id)
    assert {row.practice for row in rows} == {"Riverside", "Oakfield"}
    with session_scope(small_demo_engine, "t") as s:
        actions = open_actions(s, today=TODAY)
        mine = [a for a in actions if "New MASH referral form" in a.description]
        assert len(mine) == 2
        assert all(a.due_date == TODAY + timedelta(days=pu.DEFAULT_ACK_DAYS) for a in mine)
        assert {a.owner_staff_id for a in mine} == {row.staff_id for row in rows}
        listed = pu.updates(s, TODAY)[0]
        assert (listed.recipients, listed.acknowledged, listed.overdue) == (2, 0, 0)
        assert listed.practices == "Riverside, Oakfield"


def test_blank_practices_is_every_practice(small_demo_engine):
    update_id = send(small_demo_engine)
    assert len(recipients(small_demo_engine, update_id)) == 4
    with session_scope(small_demo_engine, "t") as s:
        assert pu.updates(s, TODAY)[0].practices == "every practice"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": " "}, "Give the update a title"),
        ({"what_changed": ""}, "Say what changed"),
        ({"guidance": ""}, "Say which guidance"),
        ({"acknowledge_by": TODAY - timedelta(days=1)}, "in the past"),
        ({"practices": "Nowhere"}, "No practice 'nowhere'"),
    ],
)
def test_refused_with_a_clear_message(small_demo_engine, values, message):
    with pytest.raises(ReportsError, match=message):
        send(small_demo_engine, **values)


def test_acknowledged_here_or_in_the_tracker_and_overdue_otherwise(small_demo_engine):
    engine = small_demo_engine
    update_id = send(engine, acknowledge_by=TODAY + timedelta(days=3))
    first, second, third, fourth = recipients(engine, update_id)
    with session_scope(engine, "a") as s:
        pu.acknowledge(s, first.id, first.version, on=TODAY, today=TODAY)
    with session_scope(engine, "b") as s:
        complete(s, second.action_id, outcome="read it")  # done from the tracker
    with session_scope(engine, "c") as s:
        pu.record_briefing(s, third.id, third.version, attended=True)
    with session_scope(engine, "t") as s:
        assert s.get(Action, first.action_id).status == ActionStatus.DONE
        later = TODAY + timedelta(days=10)
        row = pu.updates(s, later)[0]
        assert (row.acknowledged, row.overdue, row.attended) == (2, 2, 1)
        overdue = pu.overdue_acknowledgements(s, later)
        assert sorted(name for _, name, _ in overdue) == sorted([third.name, fourth.name])
    with session_scope(engine, "d") as s, pytest.raises(ReportsConflictError):
        pu.acknowledge(s, third.id, third.version, on=TODAY, today=TODAY)  # stale version


async def test_keys_send_an_update_and_record_an_acknowledgement(demo_settings, small_demo_engine):
    from coordinator_tui.screens.reports.process_updates import (
        ProcessUpdatesScreen,
        RecipientsScreen,
    )
    from coordinator_tui.screens.reports.reports import ReportsScreen

    engine = small_demo_engine
    app = make_app(demo_settings, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
        await pilot.press("u")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ProcessUpdatesScreen) and app.screen.loaded
        )
        screen = app.screen
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
        await pilot.press(*"Prevent referrals", "tab", *"Through the Channel panel form")
        await pilot.press("tab", "tab", *"Prevent duty guidance 2023", "tab", *"Riverside")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.rows) == 1)
        assert "Prevent referrals" in shown_text(screen.query_one("#updates-detail"))
        with session_scope(engine, "t") as s:
            assert s.exec(select(func.count()).select_from(ProcessUpdateRecipient)).one() == 1
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecipientsScreen) and app.screen.loaded
        )
        recipients_screen = app.screen
        recipient = recipients_screen.rows[0]
        await pilot.press("a")
        await wait_for(pilot, lambda: recipients_screen.rows[0].acknowledged_on == TODAY)
        await pilot.press("b")
        await wait_for(pilot, lambda: recipients_screen.rows[0].attended_briefing is True)
        with session_scope(engine, "t") as s:
            row = s.get(ProcessUpdateRecipient, recipient.id)
            assert row.acknowledged_on == TODAY and row.attended_briefing is True
            assert s.get(Action, row.action_id).status == ActionStatus.DONE
