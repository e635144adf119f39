"""The person record's summary: each relative's current registers (active entries only, in
the order they were added), checked against the register entries themselves."""

from __future__ import annotations

from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import EntryStatus, Person, RegisterCategory, RegisterEntry
from coordinator_tui.services.people import person_summary


def test_relatives_show_their_active_registers_only(small_demo_engine):
    with session_scope(small_demo_engine, "t") as s:
        entries = s.exec(
            select(RegisterEntry.person_id, RegisterCategory.name, RegisterEntry.status)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .order_by(RegisterEntry.id)
        ).all()
        active: dict[int, list[str]] = {}
        for person_id, name, status in entries:
            if status == EntryStatus.ACTIVE:
                active.setdefault(person_id, []).append(name)
        ended = {person_id for person_id, _, status in entries if status != EntryStatus.ACTIVE}
        assert ended, "the demo should hold ended registrations"
        # People living with someone who has been on a register.
        on_registers = {person_id for person_id, _, _ in entries}
        households = s.exec(
            select(Person.household_id).where(
                Person.id.in_(on_registers), Person.household_id.is_not(None)
            )
        ).all()
        people = s.exec(
            select(Person.id).where(Person.household_id.in_(households[:40])).limit(120)
        ).all()
        checked = with_ended = 0
        for person_id in people:
            summary = person_summary(s, person_id)
            assert summary is not None
            for relative in summary.relatives:
                assert relative.registers == active.get(relative.person_id, [])
                checked += bool(relative.registers)
                with_ended += relative.person_id in ended
        assert checked, "no relative on a register was checked"
        assert with_ended, "no relative with an ended registration was checked"
