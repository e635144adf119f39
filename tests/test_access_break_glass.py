"""Break-glass (issue 17 §2): a record outside one's practices, or a sensitive one (MARAC)
one's roles do not allow, is opened only with a typed reason, flagged in the audit trail
for the lead's review; without a reason nothing of it is read. Services per role, then
the person record driven as a user does (asserted on the rendered screen and the
database)."""

from __future__ import annotations

import json

import pytest
from pilot_helpers import wait_for
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Person, RegisterCategory, RegisterEntry
from coordinator_tui.services import access
from coordinator_tui.services.access import BreakGlassRequired, NotPermittedError
from coordinator_tui.services.people import person_summary

REASON = "Urgent MASH strategy call about this child"


def a_person(engine, *, marac: bool = False) -> tuple[int, int]:
    """(person id, practice id) of a demo person with a practice (on MARAC, or not)."""
    with session_scope(engine, "read") as s:
        query = (
            select(Person.id, Person.practice_id)
            .join(RegisterEntry, RegisterEntry.person_id == Person.id)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(Person.practice_id.is_not(None), RegisterEntry.status == "active")
            .where(RegisterCategory.hide_from_online_access.is_(marac))
        )
        if not marac:
            sensitive = (
                select(RegisterEntry.person_id)
                .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
                .where(RegisterCategory.hide_from_online_access.is_(True))
            )
            query = query.where(Person.id.not_in(sensitive))
        return tuple(s.exec(query.order_by(Person.id)).first())


def break_glass_events(engine) -> list[tuple[str, str, int, dict]]:
    with session_scope(engine, "read") as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "breakglass")).all()
        return [(e.actor, e.table_name, e.row_id, json.loads(e.changes)) for e in rows]


def reads_of(engine, person_id: int) -> int:
    with session_scope(engine, "read") as s:
        return len(
            s.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "read",
                    AuditEvent.table_name == "person",
                    AuditEvent.row_id == person_id,
                )
            ).all()
        )


def test_outside_scope_needs_a_reason_then_is_flagged(small_demo_engine):
    person_id, practice_id = a_person(small_demo_engine)
    elsewhere = access.make_principal(
        "gp.other", ["safeguarding_coordinator"], practice_ids=[practice_id + 99]
    )
    for reason in (None, "", "   ", "because"):  # none, blank, too short
        refused = pytest.raises(BreakGlassRequired, match="outside your practices")
        with refused, session_scope(small_demo_engine, elsewhere) as s:
            person_summary(s, person_id, reason=reason)
    assert break_glass_events(small_demo_engine) == []
    assert reads_of(small_demo_engine, person_id) == 0
    with session_scope(small_demo_engine, elsewhere) as s:
        assert person_summary(s, person_id, reason=REASON).id == person_id
    assert break_glass_events(small_demo_engine) == [
        ("gp.other", "person", person_id, {"why": "outside your practices", "reason": REASON})
    ]
    assert reads_of(small_demo_engine, person_id) == 1


def test_in_scope_needs_no_reason_and_leaves_no_flag(small_demo_engine):
    person_id, practice_id = a_person(small_demo_engine)
    own = access.make_principal("gp.own", ["safeguarding_coordinator"], practice_ids=[practice_id])
    with session_scope(small_demo_engine, own) as s:
        assert person_summary(s, person_id) is not None
    assert break_glass_events(small_demo_engine) == []


@pytest.mark.parametrize(
    ("roles", "outcome"),
    [
        # Practice-level accounts of every role, opening a record of another practice.
        (["safeguarding_lead"], "reason"),
        (["safeguarding_coordinator"], "reason"),
        (["safeguarding_administrator"], "refused"),  # no break_glass activity
        (["read_only_auditor"], "refused"),
        (["homecare_coordinator"], "refused"),  # no view_register at all
        (["care_supervisor"], "refused"),
        (["administrator"], "refused"),
    ],
)
def test_break_glass_per_role(small_demo_engine, roles, outcome):
    person_id, practice_id = a_person(small_demo_engine)
    principal = access.make_principal("u", roles, practice_ids=[practice_id + 99])
    expected = BreakGlassRequired if outcome == "reason" else NotPermittedError
    with pytest.raises(expected) as caught, session_scope(small_demo_engine, principal) as s:
        person_summary(s, person_id)
    assert (type(caught.value) is BreakGlassRequired) == (outcome == "reason")


def test_sensitive_record_without_view_sensitive(small_demo_engine):
    """MARAC: a role with view_sensitive opens it; one without it but with break_glass
    gives a reason; one with neither is refused outright."""
    person_id, _practice = a_person(small_demo_engine, marac=True)
    lead = access.make_principal("lead", ["safeguarding_lead"])
    with session_scope(small_demo_engine, lead) as s:
        assert person_summary(s, person_id) is not None
    admin = access.make_principal("admin", ["safeguarding_administrator"])
    refused = pytest.raises(NotPermittedError, match="sensitive")
    with refused as caught, session_scope(small_demo_engine, admin) as s:
        person_summary(s, person_id)
    assert not isinstance(caught.value, BreakGlassRequired)
    granted = access.Principal(
        username="cover", activities=frozenset({"view_register", "break_glass"})
    )
    asked = pytest.raises(BreakGlassRequired, match="sensitive")
    with asked, session_scope(small_demo_engine, granted) as s:
        person_summary(s, person_id)
    with session_scope(small_demo_engine, granted) as s:
        assert person_summary(s, person_id, reason=REASON) is not None
    assert [e[3]["why"] for e in break_glass_events(small_demo_engine)] == [
        "sensitive (MARAC or sealed entries)"
    ]


# -- the person record, as a user opens it -------------------------------------------------


async def test_person_record_asks_a_reason_and_shows_nothing_without_one(
    demo_settings, small_demo_engine
):
    from test_accounts_app import screen_text
    from textual.widgets import Input

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.form_dialog import FormDialog
    from coordinator_tui.screens.registers.person import PersonScreen

    person_id, practice_id = a_person(small_demo_engine)
    with session_scope(small_demo_engine, "read") as s:
        person = s.get(Person, person_id)
        family = person.family_name.upper()
    elsewhere = access.make_principal(
        "gp.other", ["safeguarding_coordinator"], practice_ids=[practice_id + 99]
    )
    app = make_app(demo_settings, small_demo_engine, principal=elsewhere)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PersonScreen(person_id))
        # The dialog is on the stack before it is drawn: wait for its title on the screen.
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, FormDialog) and "Break-glass" in screen_text(app),
        )
        shown = " ".join(screen_text(app).split())
        assert "Break-glass" in shown and "outside your practices" in shown
        assert family not in shown  # nothing of the person behind the dialog
        await pilot.press("escape")  # no reason given
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "Give a reason to open it" in shown and family not in shown
        assert "Loading" not in shown
        assert app.screen.summary is None and reads_of(small_demo_engine, person_id) == 0
        # Opened again, this time with a reason: the record shows and the use is flagged.
        await pilot.press("escape")
        app.push_screen(PersonScreen(person_id))
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#f-reason", Input).value = REASON
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        assert family in " ".join(screen_text(app).split())
    assert break_glass_events(small_demo_engine) == [
        ("gp.other", "person", person_id, {"why": "outside your practices", "reason": REASON})
    ]
    assert reads_of(small_demo_engine, person_id) == 1
