"""Governance's record screens (an incident, a complaint, a Duty of Candour record) read
their record again in a worker after a save: the reads are numbered (``read_asked``), so
a read overtaken by a newer one is dropped when it lands last, never shown over the newer
record (before, an f5-style read asked before ``x`` closed the incident, landing after
the close's reload, showed the incident open again, and the next key acted on it).

Time is controlled, not slept on: each read waits in its thread, after reading, on its
own event, so the reads land in the order the test chooses; the holds' time limits are
caught so that a loaded machine cannot fire them mid-test."""

# ruff: noqa: F811 (the fixtures imported from one_key_write_steps)
from __future__ import annotations

import threading
from typing import Any

from one_key_write_steps import app_quick, quick_engine  # noqa: F401 (fixtures)
from pilot_helpers import shown_text, wait_for
from sqlalchemy import select
from test_governance_overtaken_reload import place_in_open
from test_one_key_writes_governance import (
    an_incident,
    candour_status,
    declined,
    open_candour,
    open_governance,
    status,
)
from test_type_ahead_write_holds import catch_hold_limits

from coordinator_tui.db import session_scope
from coordinator_tui.models.governance import Complaint
from coordinator_tui.screens.background_write import HELD
from coordinator_tui.services.governance import complaints as cmp
from coordinator_tui.services.governance import incidents as inc


def gate_after_reading(monkeypatch, module: Any, name: str, n: int):
    """The next ``n`` calls of ``module.name`` (made by the screen's reads, in their
    threads) read the database, then wait on their own event (the k-th on ``gates[k]``)
    before handing back what they read: a read held this way has its rows already and
    lands when the test says. ``started`` lists the reads that have read."""
    gates = [threading.Event() for _ in range(n)]
    started: list[int] = []
    real = getattr(module, name)

    def gated(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        number = len(started)
        started.append(number)
        if number < n:
            assert threading.current_thread() is not threading.main_thread()
            assert gates[number].wait(30)
        return result

    monkeypatch.setattr(module, name, gated)
    return gates, started


def count_shows(monkeypatch, screen) -> list[tuple[Any, ...]]:
    """Every call of the screen's ``show`` (a read landing), whatever it then does."""
    calls: list[tuple[Any, ...]] = []
    real = screen.show

    def show(*args: Any) -> None:
        calls.append(args)
        real(*args)

    monkeypatch.setattr(screen, "show", show)
    return calls


async def settle(pilot, rounds: int = 10) -> None:
    for _ in range(rounds):
        await pilot.pause()


async def test_incident_read_overtaken_by_the_close_reload_is_not_shown(
    app_quick, quick_engine, monkeypatch
):
    """The incident's screen: a read asked for (f5-style), then ``x`` closes the incident
    and its reload reads it closed; the reload lands first, the older read (the incident
    open) last. The screen keeps showing it closed, as the database has it, and the key
    typed while the reload ran was let go with the closed incident's rows."""
    incident_id = an_incident(quick_engine)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        governance = await open_governance(pilot, app)
        await place_in_open(pilot, governance, incident_id)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "IncidentScreen" and app.screen.detail is not None,
        )
        screen = app.screen
        assert screen.row.id == incident_id
        limits = catch_hold_limits(monkeypatch, screen)
        shows = count_shows(monkeypatch, screen)
        gates, started = gate_after_reading(monkeypatch, inc, "incident_detail", 2)

        screen.load()  # a read that holds no keys: it reads the incident open
        await wait_for(pilot, lambda: started == [0])
        await pilot.press("x")  # the close, then its reload (held keys) reads it closed
        await wait_for(pilot, lambda: status(quick_engine, incident_id) == "closed")
        await wait_for(pilot, lambda: started == [0, 1])
        held = screen.__dict__.get(HELD)
        assert held is not None
        await pilot.press("T")  # the themes dialog: waits for the closed incident's rows
        await wait_for(pilot, lambda: [k.key for k in held] == ["T"])

        gates[1].set()  # the newer read lands first: the incident closed
        await wait_for(pilot, lambda: len(shows) == 1)
        await wait_for(pilot, lambda: screen.detail.incident.status == "closed")
        await wait_for(pilot, lambda: screen.__dict__.get(HELD) is None)
        await wait_for(pilot, lambda: app.screen is not screen)  # T acted on these rows
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)

        gates[0].set()  # the older read lands last: dropped
        await wait_for(pilot, lambda: len(shows) == 2)
        await settle(pilot)
        assert screen.detail.incident.status == "closed"
        assert screen.row.status == "closed"
        facts = shown_text(screen.query_one("#gov-record-facts"))
        assert "Status" in facts and "closed" in facts.split("Status", 1)[1].splitlines()[0]
        assert status(quick_engine, incident_id) == "closed"
        assert screen.__dict__.get(HELD) is None
        assert all(limit.stopped for limit in limits)


def a_complaint(engine) -> int:
    with session_scope(engine, "t") as s:
        return s.scalars(select(Complaint.id).order_by(Complaint.id)).first()


def set_wanted(engine, complaint_id: int, text: str) -> None:
    """A colleague's change to the complaint (what the complainant wants)."""
    with session_scope(engine, "colleague") as s:
        complaint = s.get(Complaint, complaint_id)
        complaint.outcome_wanted = text


async def test_complaint_read_overtaken_by_a_newer_read_is_not_shown(
    app_quick, quick_engine, monkeypatch
):
    """The complaint's screen: two reads overlap across a colleague's change; the newer
    (the change in it) lands first, the older last. The screen shows the change, as the
    database has it."""
    complaint_id = a_complaint(quick_engine)
    assert complaint_id is not None
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        from coordinator_tui.services.governance.complaints import complaint_row

        await open_governance(pilot, app)
        with session_scope(quick_engine, "t") as s:
            row = complaint_row(s, complaint_id)
        from coordinator_tui.screens.governance.record import ComplaintScreen

        screen = ComplaintScreen(row)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.sub_title == "Complaint")
        shows = count_shows(monkeypatch, screen)
        gates, started = gate_after_reading(monkeypatch, cmp, "complaint_timing", 2)

        screen.load()  # reads the complaint as it is
        await wait_for(pilot, lambda: started == [0])
        set_wanted(quick_engine, complaint_id, "A written apology and a new carer")
        screen.governance_saved()  # reads it with the colleague's change
        await wait_for(pilot, lambda: started == [0, 1])

        gates[1].set()
        await wait_for(pilot, lambda: len(shows) == 1)
        gates[0].set()
        await wait_for(pilot, lambda: len(shows) == 2)
        await settle(pilot)
        facts = " ".join(shown_text(screen.query_one("#gov-record-facts"), width=200).split())
        assert "A written apology and a new carer" in facts
        with session_scope(quick_engine, "t") as s:
            wanted = s.get(Complaint, complaint_id).outcome_wanted
        assert wanted == "A written apology and a new carer"
        assert screen.__dict__.get(HELD) is None


async def test_candour_read_overtaken_by_the_complete_reload_is_not_shown(
    app_quick, quick_engine, monkeypatch
):
    """The Duty of Candour screen: f5 reads the record open, then ``c`` completes it and
    its reload reads it complete; the reload lands first, f5's read last. The screen keeps
    the record complete, as the database has it."""
    incident_id = an_incident(quick_engine, notifiable=True)
    declined(quick_engine, incident_id)  # nothing missing: c completes it
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        governance = await open_governance(pilot, app)
        screen = await open_candour(pilot, app, governance, incident_id)
        assert screen.record.status == "open"
        limits = catch_hold_limits(monkeypatch, screen)
        shows = count_shows(monkeypatch, screen)
        gates, started = gate_after_reading(monkeypatch, inc, "incident_row", 2)

        await pilot.press("f5")  # reads the record open
        await wait_for(pilot, lambda: started == [0])
        await pilot.press("c")  # completes it, then its reload reads it complete
        await wait_for(pilot, lambda: candour_status(quick_engine, incident_id) == "complete")
        await wait_for(pilot, lambda: started == [0, 1])

        gates[1].set()
        await wait_for(pilot, lambda: len(shows) == 1)
        await wait_for(pilot, lambda: screen.record.status == "complete")
        await wait_for(pilot, lambda: screen.__dict__.get(HELD) is None)
        gates[0].set()
        await wait_for(pilot, lambda: len(shows) == 2)
        await settle(pilot)
        assert screen.record.status == "complete"
        assert "COMPLETE" in shown_text(screen.query_one("#candour-summary"))
        assert candour_status(quick_engine, incident_id) == "complete"
        assert screen.__dict__.get(HELD) is None
        assert all(limit.stopped for limit in limits)


async def test_candour_keys_typed_after_an_element_is_saved_wait_for_its_reload(
    app_quick, quick_engine, monkeypatch
):
    """An element saved (``enter`` on "Support offered", the text, ``ctrl+s``): the screen
    reads the record again and moves the cursor to the next element missing ("Notified in
    person"). ``enter`` typed before that read lands waits for it, then records that
    element, not the one just saved (before, it opened "Support offered" again)."""
    from coordinator_tui.screens.form_dialog import FormDialog

    incident_id = an_incident(quick_engine, notifiable=True)
    app = app_quick
    async with app.run_test(size=(120, 40)) as pilot:
        governance = await open_governance(pilot, app)
        screen = await open_candour(pilot, app, governance, incident_id)
        limits = catch_hold_limits(monkeypatch, screen)
        table = screen.query_one("#candour-elements")
        await wait_for(pilot, lambda: table.current_row is not None)
        while table.current_row.key != "support":
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.form_title == "Support offered"
        await pilot.press(*"Leaflet and a named contact")
        gates, started = gate_after_reading(monkeypatch, inc, "incident_row", 1)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: started == [0])  # saved; its reload has read
        assert app.screen is screen
        await pilot.press("enter")  # meant for the next missing element
        await settle(pilot)
        assert app.screen is screen  # held: no dialog yet on the element just saved
        assert screen.__dict__.get(HELD) is not None
        gates[0].set()
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.form_title == "Notified in person"
        assert all(limit.stopped for limit in limits)
    with session_scope(quick_engine, "t") as s:
        from coordinator_tui.services.governance import candour as cd

        record = cd.record_for_incident(s, incident_id)
        assert record.support_offered == "Leaflet and a named contact"
