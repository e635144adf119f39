"""Issue 22 §3 and issue 12 §2 on Referrals, driven by keys as a coordinator types them.

A chase is ``c``, the note and ``ctrl+s`` (3 keys at most besides the text); the
referral's own screen takes the list's keys; the follow-on asks for the strategy
discussion and counts the initial conference from it; a conference held diarises the next
review; a referral with its outcome in is not overdue; and a save refused by a colleague's
change or a locked database keeps the dialog open with what was typed."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select
from textual import events

from coordinator_tui import db as dbmod
from coordinator_tui.app import make_app
from coordinator_tui.clock import UK
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import (
    CaseConference,
    Person,
    Practice,
    Referral,
    ReferralChase,
)
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.referrals.detail import ReferralDetailScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.reference import load_register_categories, sync_register_categories
from coordinator_tui.settings import load_settings
from coordinator_tui.widgets.lazy_table import LazyTable

TODAY = date(2027, 1, 13)  # a Wednesday
SENT = date(2027, 1, 4)


def _seed(engine) -> None:
    """Kit Marlowe, with a MASH referral sent on 4 January and awaiting its outcome."""
    with session_scope(engine, "setup") as s:
        sync_register_categories(s, load_register_categories(), today=TODAY)
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        s.add(practice)
        s.flush()
        person = Person(
            nhs_number="9990000100",
            given_name="Kit",
            family_name="Marlowe",
            search_name="marlowe kit",
            date_of_birth=date(2016, 3, 4),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        referral = ref.create_referral(
            s, person_id=person.id, referral_type="MASH", reason="Bruising", by="coord", today=SENT
        )
        version = referral.version
        for state in ("sent", "awaiting_outcome"):
            version = ref.advance(
                s, referral.id, version, to_state=state, on=SENT, by="coord", today=TODAY
            ).version


@pytest.fixture
def engine(db_path, monkeypatch):
    # A short busy timeout, so that a save against a locked database gives up at once.
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    opened = open_database(str(db_path))
    _seed(opened.engine)
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture
def app(engine, db_path):
    settings = load_settings(str(db_path))
    settings.today = TODAY
    settings.user = "coord"
    return make_app(settings, engine)


def burst(app, *keys: str) -> None:
    """Keys queued all at once, as a terminal delivers fast typing: nothing in between."""
    for key in keys:
        if key == " ":
            app.post_message(events.Key("space", " "))
        else:
            app.post_message(events.Key(key, key if len(key) == 1 else None))


def the_referral(engine) -> Referral:
    with session_scope(engine, "t") as s:
        return s.exec(select(Referral)).one()


def chases(engine) -> list[ReferralChase]:
    with session_scope(engine, "t") as s:
        return list(s.exec(select(ReferralChase).order_by(ReferralChase.id)))


async def open_list(pilot, app) -> ReferralsScreen:
    await pilot.press("3")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ReferralsScreen) and app.screen.loaded,
    )
    return app.screen


async def open_detail(pilot, app) -> ReferralDetailScreen:
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ReferralDetailScreen) and app.screen.detail is not None,
    )
    return app.screen


def detail_text(screen: ReferralDetailScreen) -> str:
    return " ".join(
        shown_text(screen.query_one(f"#referral-{part}"), width=120)
        for part in ("facts", "history", "chases")
    )


async def test_a_chase_is_three_keys_at_most_and_the_text(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        # In one burst, as typed: the note goes into the note, not into "how".
        keys = ["c", "ctrl+s"]
        burst(app, keys[0], *"Left a message for the duty SW", keys[1])
        await wait_for(pilot, lambda: len(chases(engine)) == 1 and app.screen is screen)
        assert len(keys) <= 3
        (chase,) = chases(engine)
        assert chase.note == "Left a message for the duty SW" and chase.method == "phone"
        # The next chase-by date proposed from MASH's response time: 1 working day.
        assert chase.next_chase_by == date(2027, 1, 14)
        assert the_referral(engine).last_chased_on == TODAY
        await wait_for(pilot, lambda: screen.shown_rows[0].last_chased_on == TODAY)
        assert "today" in str(screen.query_one(LazyTable).render_line(1))

        # This time by e-mail, to the team manager: "how" is the second field.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        assert dialog.query_one("#f-to_whom").value == ""  # nobody named last time
        await pilot.press(*"Sent the MARF again", "tab", "enter", "down", "enter")
        await pilot.press("tab", *"Team manager", "ctrl+s")
        await wait_for(pilot, lambda: len(chases(engine)) == 2 and app.screen is screen)
        assert chases(engine)[-1].method == "email"

        # The next chase keeps e-mail and the team manager: still c, the note, ctrl+s.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        assert dialog.query_one("#f-method").value == "email"
        assert dialog.query_one("#f-to_whom").value == "Team manager"
        assert dialog.focused is dialog.query_one("#f-note")
        await pilot.press(*"No reply yet", "ctrl+s")
        await wait_for(pilot, lambda: len(chases(engine)) == 3 and app.screen is screen)
    last = chases(engine)[-1]
    assert (last.method, last.to_whom, last.note) == ("email", "Team manager", "No reply yet")


async def test_the_referral_screen_takes_the_lists_keys(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        detail = await open_detail(pilot, app)

        # c: a chase, and the screen shows it once saved.
        await pilot.press("c", *"Asked for the decision", "ctrl+s")
        await wait_for(pilot, lambda: "Asked for the decision" in detail_text(detail))
        assert app.screen is detail and len(chases(engine)) == 1
        assert "Last chased" in detail_text(detail)

        # o: the outcome (an initial conference), then its follow-on: the strategy
        # discussion was on Thursday 7 January, so the conference is due 15 working days
        # later (Working Together), not 15 from the outcome received today.
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("enter", *["down"] * 5, "enter")  # initial CP conference
        await pilot.press("tab", *"ICPC to be convened", "ctrl+s")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, FormDialog) and app.screen.form_title == "Follow-on",
        )
        follow = app.screen
        context = follow.query_one("#form-context")
        assert "due by 03/02/2027" in shown_text(context)  # from today, before it is typed
        await pilot.press("ctrl+u", *"7/1/2027")
        await pilot.pause()
        assert "due by 28/01/2027 (15 working days from the strategy discussion)" in (
            shown_text(context).replace("\n", " ")
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Initial CP conference" in detail_text(detail))
        referral = the_referral(engine)
        assert referral.state == "outcome_received" and referral.chase_by is None
        assert referral.strategy_discussion_on == date(2027, 1, 7)
        with session_scope(engine, "t") as s:
            (conference,) = s.exec(select(CaseConference)).all()
        assert (conference.kind, conference.due_date) == ("initial_cp", date(2027, 1, 28))
        shown = detail_text(detail)
        assert "Strategy discussion  07/01/2027" in shown
        assert "nothing awaited" in shown and "OVERDUE" not in shown

        # h: the initial conference held today with a plan made: the first review is
        # due within 3 months, shown as the next review.
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Next review" in detail_text(detail))
        assert "CP review conference due by 13/04/2027" in detail_text(detail)

        # s: closed, from the referral's screen; back on the list it has left the view.
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: the_referral(engine).state == "closed")
        await wait_for(pilot, lambda: "Closed" in detail_text(detail))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralsScreen))
        await wait_for(pilot, lambda: app.screen.shown_rows == [])


async def test_follow_on_label_is_whole_at_80_columns(app, engine):
    with session_scope(engine, "c") as s:
        r = s.exec(select(Referral)).one()
        ref.record_outcome(
            s,
            r.id,
            r.version,
            outcome_type="initial_cp_conference",
            notes="",
            received_on=date(2027, 1, 8),
            by="c",
            today=TODAY,
        )
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot, app)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.pause()
        dialog = app.screen
        # What is drawn, line by line, not what the widget was given.
        context = " ".join(drawn(dialog.query_one("#form-context")))
        assert "due by 29/01/2027 (15 working days from the strategy discussion)" in context
        labels = [" ".join(drawn(label)) for label in dialog.query(".form-label")]
        assert "Diarise the initial conference now? *" in labels
        assert dialog.query_one("#form-box").size.width <= 80


def drawn(widget) -> list[str]:
    """The lines a widget has drawn (cut text shows cut)."""
    return [widget.render_line(y).text.strip() for y in range(widget.size.height)]


async def test_outcome_in_is_not_overdue_and_counts_say_referral(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        today = screen.today
        table = screen.query_one(LazyTable)
        received = [i for i, r in enumerate(screen.shown_rows) if r.state == "outcome_received"]
        assert received
        for index in received:
            row = screen.shown_rows[index]
            assert row.chase_by is None and not row.is_overdue(today)
            table.cursor_row = index
            await pilot.pause()
            line = str(table.render_line(index - table.scroll_offset.y + 1))
            assert "OVERDUE" not in line and "Outcome in" in line
        chased = [r for r in screen.shown_rows if r.last_chased_on]
        assert chased, "the demo has chased referrals"
        assert all(r.state == "awaiting_outcome" for r in chased)
        # One person's referrals: "1 referral", not "1 referrals".
        one = next(
            r
            for r in screen.shown_rows
            if sum(x.nhs_number == r.nhs_number for x in screen.shown_rows) == 1
        )
        await pilot.press("slash", *one.nhs_number)
        await wait_for(pilot, lambda: len(screen.shown_rows) == 1)
        summary = shown_text(screen.query_one("#referrals-summary"))
        assert " 1 referral · " in summary, summary


async def test_a_colleagues_change_refuses_the_chase_and_keeps_the_note(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        # Another session (a colleague on the shared database) records the outcome.
        with session_scope(engine, "j.bloggs") as s:
            r = s.exec(select(Referral)).one()
            ref.record_outcome(
                s,
                r.id,
                r.version,
                outcome_type="advice_given",
                notes="",
                received_on=TODAY,
                by="j.bloggs",
                today=TODAY,
            )
        changed_at = datetime.now(UK)
        await pilot.press("c", *"Phoned the front door", "ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormDialog)
                and "Refused" in str(app.screen.query_one("#form-error").render())
            ),
        )
        error = str(app.screen.query_one("#form-error").render())
        assert re.search(r"j\.bloggs changed this referral at \d\d:\d\d", error), error
        assert f"{changed_at:%d/%m/%Y}" in error and "outcome type" in error
        assert app.screen.query_one("#f-note").value == "Phoned the front door"
        assert chases(engine) == []
        assert screen.is_attached  # the app carries on


async def test_a_locked_database_keeps_the_dialog_and_a_retry_saves(app, engine, db_path):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        holder = sqlite3.connect(db_path, timeout=0.1)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process is writing
            await pilot.press("c", *"Chased by phone", "ctrl+s")
            await wait_for(
                pilot,
                lambda: (
                    isinstance(app.screen, FormDialog)
                    and "locked" in str(app.screen.query_one("#form-error").render())
                ),
            )
        finally:
            holder.rollback()
            holder.close()
        dialog = app.screen
        error = str(dialog.query_one("#form-error").render())
        assert "\n" not in error.strip() and "Marlowe" not in error
        assert dialog.query_one("#f-note").value == "Chased by phone"
        await pilot.press("ctrl+s")  # the lock is gone: the same save goes through
        await wait_for(pilot, lambda: len(chases(engine)) == 1 and app.screen is screen)
    assert chases(engine)[0].note == "Chased by phone"
    with session_scope(engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(ReferralChase)) == 1


async def test_keys_typed_as_the_referral_opens_act_on_it(app, engine):
    """``enter``, ``c``, the note, ``ctrl+s`` in one burst: the chase is recorded on the
    referral being opened, not lost while its screen reads it (nor taken as keys)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        burst(app, "enter", "c", *"Spoke to the duty SW", "ctrl+s")
        await wait_for(pilot, lambda: len(chases(engine)) == 1)
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ReferralDetailScreen)
                and "Spoke to the duty SW" in detail_text(app.screen)
            ),
        )
    (chase,) = chases(engine)
    assert chase.note == "Spoke to the duty SW"
    referral = the_referral(engine)
    assert referral.state == "awaiting_outcome" and referral.outcome_type == ""


async def test_enter_in_the_filter_ends_it_and_enter_on_the_list_opens(app, engine):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await pilot.press("slash", *"marl", "enter")
        await pilot.pause()
        assert app.screen is screen and isinstance(screen.focused, LazyTable)
        assert len(screen.shown_rows) == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralDetailScreen))


async def test_after_an_outcome_and_its_follow_on_the_cursor_is_on_the_next(app, engine):
    with session_scope(engine, "setup") as s:
        practice_id = s.exec(select(Practice.id)).one()
        ada = Person(
            nhs_number="9990000119",
            given_name="Ada",
            family_name="Quince",
            search_name="quince ada",
            date_of_birth=date(2015, 5, 6),
            practice_id=practice_id,
        )
        s.add(ada)
        s.flush()
        r = ref.create_referral(
            s, person_id=ada.id, referral_type="MASH", reason="x", by="c", today=date(2027, 1, 11)
        )
        ref.advance(s, r.id, r.version, to_state="sent", on=date(2027, 1, 11), by="c", today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        assert [r.family_name for r in screen.shown_rows] == ["Marlowe", "Quince"]
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("enter", *["down"] * 3, "enter", "ctrl+s")  # Child in Need
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, FormDialog) and app.screen.form_title == "Follow-on",
        )
        await pilot.press("ctrl+s")  # add to the Child in Need register
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        await pilot.pause(0.2)
        await wait_for(pilot, lambda: screen.loaded)
        assert screen.current().family_name == "Quince"
