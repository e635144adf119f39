"""Date fields for things that have happened read a two-digit year as the most recent
past one (issue 21 §5): "3/12/99" in a chronology entry, a registration's end, an incident
or a complaint's acknowledgement is 1999, not 2099; due dates still read 20yy.

``services.dates`` holds the rule (its own table in ``test_dates.py``); these tests show
each form asks for it: two by keys to the database, and every past-event field by name.
"""

from __future__ import annotations

import ast
import inspect
from datetime import date
from pathlib import Path

import pytest
from pilot_helpers import wait_for
from sqlmodel import select
from textual.screen import ModalScreen

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import ChronologyEntry, RegisterEntry
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.registers.person import PersonScreen
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.services.dates import DUE, PAST
from coordinator_tui.widgets.date_input import DateInput

ROOT = Path(__file__).parents[1] / "coordinator_tui"


async def open_queue(pilot, app) -> RegistersScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    return app.screen


async def test_a_chronology_entry_dated_3_12_99_is_1999(demo_settings, small_demo_engine):
    """The person record's ``n``: an event that happened, so 1999 (as 2099 it would be
    refused as a date in the future)."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        person = app.screen
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await pilot.press("ctrl+a", "ctrl+k", *"3/12/99")
        await pilot.pause()
        assert "99 read as 1999" in str(form.query_one("#f-on .date-status").render())
        await pilot.press("tab", *"school", "tab", *"moved school", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModalScreen))
        await wait_for(pilot, lambda: any(i.on == date(1999, 12, 3) for i in person.items))
    with session_scope(small_demo_engine, "t") as s:
        entry = s.exec(select(ChronologyEntry).where(ChronologyEntry.source == "school")).one()
        assert entry.occurred_on == date(1999, 12, 3)


async def test_ending_a_registration_reads_a_past_year(demo_settings, small_demo_engine):
    """The queue's ``x``: "1/1/99" is 1999, which the service refuses as before the
    registration started (as 2099 it would be refused as in the future): the form says
    so, keeps the text, and nothing is written."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        queue = await open_queue(pilot, app)
        row = queue.highlighted()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await pilot.press(*"moved away", "tab", "ctrl+a", "ctrl+k", *"1/1/99")
        await pilot.pause()
        assert form.query_one("#f-date", DateInput).value == date(1999, 1, 1)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                "before the registration started" in str(form.query_one("#form-error").render())
            ),
        )
        assert app.screen is form
    with session_scope(small_demo_engine, "t") as s:
        assert s.get(RegisterEntry, row.entry_id).end_date is None


# -- every past-event field, by name ------------------------------------------------------

# (module under coordinator_tui/screens, the field's label): each a date of something done.
PAST_FIELDS = [
    ("registers/person.py", "Date"),  # a chronology entry
    ("registers/queue.py", "End date"),
    ("registers/queue.py", "Done on"),  # a health assessment
    ("referrals/referrals.py", "Date"),  # marking a referral's state, withdrawing it
    ("referrals/referrals.py", "Received on"),
    ("referrals/referrals.py", "Strategy discussion held on"),
    ("referrals/referrals.py", "Held on"),
    ("governance/actions.py", "Acknowledged on"),
    ("governance/actions.py", "On"),
    ("governance/actions.py", "Complainant told on"),
    ("governance/actions.py", "Sent on"),
    ("governance/actions.py", "Resolved on"),
    ("governance/actions.py", "Closed on"),
    ("governance/forms.py", "Happened on"),
    ("governance/forms.py", "Found on"),
    ("reports/coding_audit.py", "Ended on"),
    ("governance/governance.py", "Received on"),  # a complaint, a compliment
    ("governance/governance.py", "What happened on"),
    ("reports/sharing.py", "Shared on"),
    ("reports/sharing.py", "Received on"),  # a request for information
]
# Dates to come keep 20yy.
DUE_FIELDS = [
    ("registers/queue.py", "Next review"),
    ("registers/queue.py", "Snooze until"),
    ("governance/actions.py", "Due"),
    ("governance/actions.py", "New response date"),
]


def _date_fields(module: str) -> dict[str, list[str]]:
    """Each ``Field(key, label, "date", ...)`` call in a screen module: label -> the
    ``expects`` it passes ("DUE" when it passes none)."""
    tree = ast.parse((ROOT / "screens" / module).read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Field"):
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if len(args) < 3 or args[2] != "date":
            continue
        expects = next((k.value.id for k in node.keywords if k.arg == "expects"), "DUE")
        found.setdefault(args[1], []).append(expects)
    return found


@pytest.mark.parametrize(("module", "label"), PAST_FIELDS)
def test_past_event_fields_expect_past(module, label):
    assert set(_date_fields(module)[label]) == {"PAST"}


@pytest.mark.parametrize(("module", "label"), DUE_FIELDS)
def test_due_fields_keep_20yy(module, label):
    assert set(_date_fields(module)[label]) == {"DUE"}


def test_direct_date_inputs_of_past_events():
    """The concern intake's "Date raised" and a registration's start are DateInputs of
    their own: both past."""
    for module in ("registers/concern_intake.py", "registers/add_registration.py"):
        source = (ROOT / "screens" / module).read_text(encoding="utf-8")
        assert "expects=PAST" in source, module


def test_the_form_dialog_passes_expects_to_its_date_input():
    """``Field.expects`` reaches the widget (the form dialog and governance's forms)."""
    from coordinator_tui.screens.form_dialog import field_widget

    assert Field("d", "D", "date").expects == DUE
    widget = field_widget(Field("d", "D", "date", expects=PAST), date(2026, 11, 23))
    assert widget.expects == PAST
    # FormDialog builds its fields with the same function (one place for every form).
    assert "field_widget(field" in inspect.getsource(FormDialog.compose)
