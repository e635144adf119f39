"""``DialogBase.submit``: the one save path of every form dialog (issue 13), driven by keys.

A plain save callable's message keeps the dialog open with that line and the text typed;
its None closes the dialog with the dialog's own result (the values, or True where the
caller only needs to know it was saved); no save returns the values for the caller.
"""

from __future__ import annotations

from typing import Any

import pytest
from pilot_helpers import wait_for
from test_dialog_base import DIALOGS, Host

from coordinator_tui.screens.meetings.dialogs import AttendanceDialog

# What each dialog closes with once saved: its values, or True.
CLOSES_WITH = {"form": dict, "concern": dict, "referral": bool, "agenda item": bool}


@pytest.mark.parametrize("name", list(CLOSES_WITH))
async def test_a_message_from_the_save_keeps_the_dialog_then_none_closes_it(name):
    said: list[dict[str, Any]] = []

    def save(values: dict[str, Any]) -> str | None:
        said.append(values)
        return "Not yet: the panel meets on Tuesday" if len(said) == 1 else None

    app = Host(DIALOGS[name](save))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: app.screen is dialog and dialog.focused is not None)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Tuesday" in str(dialog.query_one("#form-error").render()))
        assert app.screen is dialog and app.result == "open"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.result != "open")
    assert len(said) == 2
    assert isinstance(app.result, CLOSES_WITH[name]) and app.result
    if CLOSES_WITH[name] is dict:
        assert app.result == said[-1]


class Person:
    def __init__(self, staff_id: int, attendance: str) -> None:
        self.staff_id, self.attendance, self.label = staff_id, attendance, f"Person {staff_id}"


async def test_attendance_without_a_save_returns_the_changes():
    app = Host(AttendanceDialog([Person(1, "invited"), Person(2, "invited")]))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: app.screen is dialog and dialog.focused is not None)
        await pilot.press("p", "a", "ctrl+s")
        await wait_for(pilot, lambda: app.result != "open")
    assert app.result == {1: "present", 2: "apologies"}
