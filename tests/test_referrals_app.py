"""The Referrals screen driven by keys: a referral from draft to closed, with a chase and an
outcome whose follow-on adds a register entry; bad input changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Action,
    AuditEvent,
    ChronologyEntry,
    Person,
    Practice,
    Referral,
    ReferralChase,
    ReferralEvent,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.services.reference import load_register_categories, sync_register_categories
from coordinator_tui.settings import load_settings
from coordinator_tui.widgets.lazy_table import LazyTable


@pytest.fixture
def seeded(engine):
    """Two children at one practice and the shipped register categories; no referrals."""
    with session_scope(engine, "setup") as s:
        sync_register_categories(s, load_register_categories(), today=date(2026, 11, 23))
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        s.add(practice)
        s.flush()
        for i, (given, family) in enumerate([("Kit", "Marlowe"), ("Ada", "Quince")]):
            s.add(
                Person(
                    nhs_number=f"99900001{i}{i}",
                    given_name=given,
                    family_name=family,
                    search_name=f"{family.lower()} {given.lower()}",
                    date_of_birth=date(2016, 3, 4),
                    practice_id=practice.id,
                )
            )
    return engine


@pytest.fixture
def app(seeded, db_path):
    # The real date: referrals are drafted "now", and steps cannot be dated before that.
    return make_app(load_settings(str(db_path)), seeded)


def referral_of(engine, family: str) -> Referral | None:
    with session_scope(engine, "t") as s:
        return s.exec(select(Referral).join(Person).where(Person.family_name == family)).first()


def count(engine, table) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(table)).one()


async def open_referrals(pilot, app) -> ReferralsScreen:
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded)
    return app.screen


async def save_form(pilot, screen, done) -> None:
    """ctrl+s in the dialog on top, then wait until the list has reloaded and ``done()``."""
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app_screen_is(pilot, screen) and done())
    await pilot.pause(0.05)


def app_screen_is(pilot, screen) -> bool:
    return pilot.app.screen is screen


async def draft(pilot, screen, name: str, kind_downs: int, reason: str) -> None:
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*name)
    await pilot.pause(0.3)  # the picker searches in a worker
    await pilot.press("enter")  # take the first match and move on to the type
    await pilot.pause()
    await pilot.press("enter", *["down"] * kind_downs, "enter")  # type
    await pilot.press("tab", "tab", *reason)  # agency, then reason


async def draft_and_send(pilot, screen, engine, family: str) -> None:
    """A MASH referral for ``family`` drafted with ``n`` and marked sent with ``s``."""
    await draft(pilot, screen, family.lower(), 1, "Missed appointments")
    await save_form(pilot, screen, lambda: len(screen.shown_rows) == 1)
    await pilot.press("s")
    await pilot.pause()
    await save_form(pilot, screen, lambda: referral_of(engine, family).state == "sent")


async def test_draft_to_closed_with_chase_and_outcome_follow_on(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_referrals(pilot, app)
        assert screen.shown_rows == []
        audits = count(seeded, AuditEvent)

        # n: draft a MASH referral for Kit Marlowe (MASH is the first type).
        await draft(pilot, screen, "marlowe", 1, "Bruising seen at baby clinic")
        await save_form(pilot, screen, lambda: len(screen.shown_rows) == 1)
        referral = referral_of(seeded, "Marlowe")
        assert referral.referral_type == "MASH" and referral.state == "drafted"
        assert referral.reason == "Bruising seen at baby clinic"
        assert referral.chase_by is not None  # send it by the next working day
        assert count(seeded, AuditEvent) > audits

        # s, s, s: sent, acknowledged, awaiting outcome; each dated today by default.
        for state in ("sent", "acknowledged", "awaiting_outcome"):
            await pilot.press("s")
            await pilot.pause()
            await save_form(
                pilot, screen, lambda st=state: referral_of(seeded, "Marlowe").state == st
            )
            assert screen.shown_rows[0].state == state

        # c: the note first, then (phone kept) to the duty social worker, next chase-by
        # in a week instead of the proposed one.
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Decision pending", "tab", "tab", *"Duty SW", "tab", *"+1w")
        await save_form(pilot, screen, lambda: count(seeded, ReferralChase) == 1)
        referral = referral_of(seeded, "Marlowe")
        assert referral.chase_by_overridden
        assert referral.chase_by == screen.today + timedelta(weeks=1)

        # o: outcome Child in Need (s17); the follow-on adds the CIN register entry.
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter", "down", "down", "down", "enter")  # 4th: Child in Need
        await pilot.press("tab", *"s17 assessment opened")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.query_one("#form-box").border_title == "Follow-on")
        follow = app.screen
        # "Yes, do it now" is the default; add an action for the practice as well.
        await pilot.press("tab", *"Tell the health visitor", "tab", *"HV", "tab", *"+1w")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not follow and count(seeded, RegisterEntry))
        with session_scope(seeded, "t") as s:
            action = s.exec(select(Action)).one()
            # HV read as everywhere (services/owners.py): nobody on staff holds the role.
            assert action.owner_label == "Health visitor" and action.status == "open"
            assert action.description.startswith("Tell the health visitor")
            assert action.due_date == screen.today + timedelta(weeks=1)
        referral = referral_of(seeded, "Marlowe")
        assert referral.state == "outcome_received"
        assert referral.outcome_type == "child_in_need"
        with session_scope(seeded, "t") as s:
            entry, code = s.exec(
                select(RegisterEntry, RegisterCategory.code).join(RegisterCategory)
            ).one()
            assert code == "CIN" and entry.person_id == referral.person_id
            assert entry.status == "active"

        # s: closed; it leaves the open view and shows under X (closed).
        await wait_for(pilot, lambda: screen.loaded and len(screen.shown_rows) == 1)
        await pilot.press("s")
        await pilot.pause()
        await save_form(pilot, screen, lambda: referral_of(seeded, "Marlowe").state == "closed")
        await wait_for(pilot, lambda: screen.shown_rows == [])
        await pilot.press("X")
        await wait_for(pilot, lambda: len(screen.shown_rows) == 1)
        assert "Closed" in str(screen.query_one("#referrals-summary").render())

        with session_scope(seeded, "t") as s:
            moves = s.exec(
                select(ReferralEvent.to_state).order_by(ReferralEvent.at, ReferralEvent.id)
            ).all()
        assert moves == [
            "drafted",
            "sent",
            "acknowledged",
            "awaiting_outcome",
            "outcome_received",
            "closed",
        ]

        # enter: the referral's history and its chase, with the person's key facts.
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        shown = " ".join(
            shown_text(app.screen.query_one(f"#referral-{part}"))
            for part in ("facts", "history", "chases")
        )
        for text in ("MARLOWE, Kit", "Child in Need", "Duty SW", "Awaiting outcome"):
            assert text in shown


async def test_chase_shows_in_the_persons_chronology(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_referrals(pilot, app)
        await draft_and_send(pilot, screen, seeded, "Quince")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"No decision yet", "tab", "tab", *"Front door")
        await save_form(pilot, screen, lambda: count(seeded, ReferralChase) == 1)
    from coordinator_tui.services.chronology import chronology

    referral = referral_of(seeded, "Quince")
    with session_scope(seeded, "t") as s:
        lines = [e.text for e in chronology(s, referral.person_id)]
    assert any("No decision yet" in line for line in lines), lines
    assert count(seeded, ChronologyEntry) == 0  # merged from the chase, not copied


async def test_outcome_dated_before_sent_is_refused_and_changes_nothing(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_referrals(pilot, app)
        await draft_and_send(pilot, screen, seeded, "Quince")
        audits = count(seeded, AuditEvent)

        await pilot.press("o")
        await pilot.pause()
        await pilot.press("tab", "tab")  # notes, then the received-on date
        await pilot.press("end", "ctrl+u", *"1/1/2026")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        error = str(app.screen.query_one("#form-error").render())
        assert "cannot be before the referral was sent" in error
        await pilot.press("escape")
        await pilot.pause()
    referral = referral_of(seeded, "Quince")
    assert referral.state == "sent" and referral.outcome_type in ("", None)
    assert count(seeded, AuditEvent) == audits


async def test_new_referral_bad_input_keeps_dialog_open(app, seeded):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_referrals(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing filled in
        await pilot.pause()
        assert "Pick the person" in str(app.screen.query_one("#form-error").render())
        # MARAC without a DASH score is refused; with 16 ticks it saves with the next MARAC.
        await pilot.press(*"marlowe")
        await pilot.pause(0.3)
        await pilot.press("enter", "enter", "down", "down", "enter")  # the match, MARAC
        await pilot.press("tab", "tab", *"DA disclosed")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "DASH score" in str(app.screen.query_one("#form-error").render())
        assert count(seeded, Referral) == 0
        await pilot.press("tab", *"16")
        assert "High risk" in str(app.screen.query_one("#f-dash-risk").render())
        await save_form(pilot, screen, lambda: len(screen.shown_rows) == 1)
    referral = referral_of(seeded, "Marlowe")
    assert referral.referral_type == "MARAC" and referral.dash_score == 16
    assert referral.marac_date is not None and referral.marac_date.weekday() == 3  # Thursday


async def test_views_filter_and_cursor(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_referrals(pilot, app)
        everything = len(screen.shown_rows)
        assert everything > 50
        dates = [r.chase_by for r in screen.shown_rows if r.chase_by]
        assert dates == sorted(dates)
        await pilot.press("D")
        await wait_for(pilot, lambda: screen.view == "overdue" and screen.loaded)
        await wait_for(pilot, lambda: len(screen.shown_rows) < everything)
        assert all(r.is_overdue(screen.today) for r in screen.shown_rows)
        assert "OVERDUE" in str(screen.query_one(LazyTable).render_line(1))
        first = screen.shown_rows[0]
        await pilot.press("slash", *first.family_name.lower())
        await pilot.pause()
        assert screen.shown_rows and all(
            r.family_name == first.family_name for r in screen.shown_rows
        )
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.shown_rows) > 1
        await pilot.press("O")
        await wait_for(pilot, lambda: screen.view == "open" and len(screen.shown_rows) > 1)
