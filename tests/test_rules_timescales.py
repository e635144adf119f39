"""The safeguarding and governance timescales (``services/rules.py``), table-driven, each
case citing its source. Working days skip weekends and England and Wales bank holidays
(Christmas 2026 falls on a Friday, Boxing Day's substitute is Monday 28 December)."""

from __future__ import annotations

from datetime import date as D
from pathlib import Path

import pytest

from coordinator_tui.services import rules as R

LAC_GUIDANCE = "statutory guidance on looked-after children's health 2015"


@pytest.mark.parametrize(
    ("entered", "due"),
    [
        pytest.param(D(2026, 11, 23), D(2026, 12, 21), id=f"{LAC_GUIDANCE} para 29: 20 wd"),
        pytest.param(
            D(2026, 12, 14),
            D(2027, 1, 14),
            id=f"{LAC_GUIDANCE} para 29: Christmas, Boxing Day substitute, New Year skipped",
        ),
        pytest.param(
            D(2026, 11, 28), D(2026, 12, 29), id="para 29: entered on a Saturday, Christmas skipped"
        ),
    ],
)
def test_lac_initial_health_assessment(entered, due):
    assert R.lac_initial_health_assessment_due(entered) == due


@pytest.mark.parametrize(
    ("previous", "born", "due"),
    [
        pytest.param(D(2026, 6, 1), D(2024, 1, 1), D(2026, 12, 1), id="para 31: under 5, 6 months"),
        pytest.param(
            D(2026, 11, 30),
            D(2022, 6, 1),
            D(2027, 5, 30),
            id="para 31: 6 months on still before the 5th birthday",
        ),
        pytest.param(
            D(2026, 12, 1),
            D(2022, 6, 1),
            D(2027, 12, 1),
            id="para 31: 6 months on would be the 5th birthday: yearly from 5",
        ),
        pytest.param(D(2026, 3, 10), D(2015, 7, 4), D(2027, 3, 10), id="para 31: from 5, yearly"),
        pytest.param(
            D(2026, 8, 31), D(2025, 1, 1), D(2027, 2, 28), id="para 31: month end clamped"
        ),
        pytest.param(
            D(2026, 9, 1),
            D(2020, 2, 29),
            D(2026, 9, 1).replace(year=2027),
            id="para 31: born 29 Feb: 5 on 1 March 2025, yearly",
        ),
    ],
)
def test_lac_review_health_assessment(previous, born, due):
    assert R.lac_review_health_assessment_due(previous, born) == due


@pytest.mark.parametrize(
    ("entered", "born", "today", "done", "due", "kind"),
    [
        pytest.param(
            D(2026, 11, 23),
            D(2019, 5, 1),
            D(2026, 11, 30),
            (),
            D(2026, 12, 21),
            "initial",
            id="para 29: just in care: the initial assessment",
        ),
        pytest.param(
            D(2026, 1, 5),
            D(2022, 3, 1),
            D(2026, 11, 23),
            (),
            D(2027, 2, 2),
            "review",
            id="para 31: no record: the schedule from the initial one (6-monthly under 5)",
        ),
        pytest.param(
            D(2025, 1, 6),
            D(2012, 3, 1),
            D(2026, 11, 23),
            (D(2026, 4, 20),),
            D(2027, 4, 20),
            "review",
            id="para 31: from the latest assessment recorded, yearly at 14",
        ),
        pytest.param(
            D(2026, 5, 1),
            D(2025, 2, 1),
            D(2026, 11, 23),
            (D(2026, 5, 20), D(2026, 11, 2), D(2025, 1, 1)),
            D(2027, 5, 2),
            "review",
            id="para 31: the latest counts; one before entering care does not",
        ),
    ],
)
def test_lac_next_health_assessment(entered, born, today, done, due, kind):
    found = R.lac_next_health_assessment(entered, born, today, done)
    assert (found.due, found.kind) == (due, kind)
    assert found.label == f"{kind} health assessment" and found.why


WT = "Working Together 2023 ch 4"


@pytest.mark.parametrize(
    ("strategy", "due"),
    [
        pytest.param(D(2026, 11, 23), D(2026, 12, 14), id=f"{WT}: 15 wd from strategy discussion"),
        pytest.param(D(2026, 12, 18), D(2027, 1, 13), id=f"{WT}: over Christmas and New Year"),
    ],
)
def test_cp_initial_conference(strategy, due):
    assert R.cp_initial_conference_due(strategy) == due


@pytest.mark.parametrize(
    ("kind", "held", "due"),
    [
        pytest.param("initial_cp", D(2027, 1, 15), D(2027, 4, 15), id=f"{WT}: 3 months"),
        pytest.param("review_cp", D(2027, 4, 20), D(2027, 10, 20), id=f"{WT}: 6 months"),
        pytest.param("review_cp", D(2027, 8, 31), D(2028, 2, 29), id=f"{WT}: leap-year clamp"),
        pytest.param("strategy", D(2027, 1, 15), None, id="a strategy discussion: no review"),
    ],
)
def test_cp_review_conference_due(kind, held, due):
    assert R.cp_review_conference_due(kind, held) == due


@pytest.mark.parametrize(
    ("initial", "reviews", "due"),
    [
        pytest.param(D(2027, 1, 15), (), D(2027, 4, 15), id=f"{WT}: none held: 3 months"),
        pytest.param(
            D(2027, 1, 15),
            (D(2027, 4, 30),),
            D(2027, 10, 30),
            id=f"{WT}: from the review actually held (late), 6 months",
        ),
        pytest.param(
            D(2027, 1, 15),
            (D(2027, 4, 10), D(2027, 9, 1)),
            D(2028, 3, 1),
            id=f"{WT}: the latest review held",
        ),
    ],
)
def test_cp_next_review_conference(initial, reviews, due):
    assert R.cp_next_review_conference(initial, reviews) == due


@pytest.mark.parametrize(
    ("function", "start", "due"),
    [
        pytest.param(
            R.referral_decision_due,
            D(2026, 11, 27),
            D(2026, 11, 30),
            id="Working Together ch 3: decision in 1 wd, Friday -> Monday",
        ),
        pytest.param(
            R.referral_decision_due,
            D(2026, 12, 24),
            D(2026, 12, 29),
            id="Working Together ch 3: Christmas Eve -> after the substitute Monday",
        ),
        pytest.param(
            R.single_assessment_due,
            D(2026, 11, 23),
            D(2027, 1, 28),
            id="Working Together ch 3: single assessment in 45 wd, over Christmas",
        ),
        pytest.param(
            R.complaint_acknowledge_due,
            D(2026, 11, 27),
            D(2026, 12, 2),
            id="SI 2009/309 reg 13(1): 3 wd, Friday -> Wednesday",
        ),
        pytest.param(
            R.complaint_acknowledge_due,
            D(2026, 12, 24),
            D(2026, 12, 31),
            id="SI 2009/309 reg 13(1): Christmas Eve -> 31 December",
        ),
    ],
)
def test_working_day_timescales(function, start, due):
    assert function(start) == due


def test_every_timescale_has_a_source_and_is_in_the_readme():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert len({t.code for t in R.TIMESCALES}) == len(R.TIMESCALES)
    for timescale in R.TIMESCALES:
        assert timescale.figure and timescale.source
        assert f"`{timescale.code}`" in readme, timescale.code


# -- shown where coordinators look ------------------------------------------------------------

TODAY = D(2026, 11, 23)  # the demo's day


def _looked_after(session):
    from sqlmodel import select

    from coordinator_tui.models import EntryStatus, Person, RegisterCategory, RegisterEntry

    return session.exec(
        select(RegisterEntry, Person)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .join(Person, Person.id == RegisterEntry.person_id)
        .where(RegisterCategory.code == "LAC", RegisterEntry.status == EntryStatus.ACTIVE)
        .order_by(RegisterEntry.id)
    ).first()


def test_person_record_and_queue_show_the_next_health_assessment(small_demo_engine):
    """Statutory guidance 2015 paras 29, 31: on the person record (with the register entry)
    and on the review queue's looked-after rows, from the entry's start and the child's
    date of birth; a recorded assessment moves it on."""
    from queue_oracle import whole_queue

    from coordinator_tui.db import session_scope
    from coordinator_tui.models import ChronologyEntry
    from coordinator_tui.services.people import person_summary, person_timescales
    from coordinator_tui.services.registers import QueueFilter

    with session_scope(small_demo_engine, "t") as s:
        entry, person = _looked_after(s)
        expected = R.lac_next_health_assessment(entry.start_date, person.date_of_birth, TODAY)
        summary = person_timescales(s, person_summary(s, person.id), TODAY)
        (shown,) = [r for r in summary.registrations if r.entry_id == entry.id]
        assert shown.due_text == f"{expected.label} {expected.due:%d/%m/%Y}"
        rows = whole_queue(s, TODAY, QueueFilter(horizon_days=3650))
        lac = [r for r in rows if r.category_code == "LAC"]
        assert lac and all(r.health_assessment_due is not None for r in lac)
        assert all(r.health_assessment_due is None for r in rows if r.category_code == "CIN")
        s.add(ChronologyEntry(person_id=person.id, occurred_on=TODAY, kind="health_assessment"))
    with session_scope(small_demo_engine, "t") as s:
        summary = person_timescales(s, person_summary(s, person.id), TODAY)
        (shown,) = [r for r in summary.registrations if r.entry_id == entry.id]
        after = R.lac_review_health_assessment_due(TODAY, person.date_of_birth)
        assert shown.due_text == f"review health assessment {after:%d/%m/%Y}"


def test_person_record_shows_the_next_cp_conference(small_demo_engine):
    """Working Together ch 4: a child on a plan shows the conference diarised and not yet
    held (a review is diarised from the conference before it, as held)."""
    from sqlmodel import select

    from coordinator_tui.db import session_scope
    from coordinator_tui.models import (
        CaseConference,
        EntryStatus,
        RegisterCategory,
        RegisterEntry,
    )
    from coordinator_tui.services.people import person_summary, person_timescales

    with session_scope(small_demo_engine, "t") as s:
        entry = s.exec(
            select(RegisterEntry)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(RegisterCategory.code == "CPP", RegisterEntry.status == EntryStatus.ACTIVE)
        ).first()
        for old in s.exec(
            select(CaseConference).where(CaseConference.person_id == entry.person_id)
        ):
            s.delete(old)
        due = R.cp_review_conference_due("initial_cp", D(2026, 11, 2))
        s.add(CaseConference(person_id=entry.person_id, kind="review_cp", due_date=due))
    with session_scope(small_demo_engine, "t") as s:
        summary = person_timescales(s, person_summary(s, entry.person_id), TODAY)
        (shown,) = [r for r in summary.registrations if r.entry_id == entry.id]
        assert shown.due_text == f"review conference {due:%d/%m/%Y}"


async def test_person_record_on_screen(demo_settings, small_demo_engine):
    """The person record of a looked-after child says the next health assessment in its
    registrations table, in words."""
    from pilot_helpers import wait_for
    from rich.console import Console

    from coordinator_tui.app import make_app
    from coordinator_tui.db import session_scope
    from coordinator_tui.screens.registers.person import PersonScreen, registrations_table

    with session_scope(small_demo_engine, "t") as s:
        entry, person = _looked_after(s)
        expected = R.lac_next_health_assessment(entry.start_date, person.date_of_birth, TODAY)
        person_id = person.id
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(160, 50)) as pilot:
        app.push_screen(PersonScreen(person_id))
        await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
        # What the screen drew its registrations table from, drawn the same way.
        console = Console(width=160, record=True)
        console.print(registrations_table(app.screen.summary, TODAY))
        text = console.export_text()
        assert f"{expected.label} {expected.due:%d/%m/%Y}" in text
