"""Looked-after children's health assessments in the review queue (issue 21 §4).

Statutory guidance "Promoting the health and wellbeing of looked-after children" (DfE and
DHSC, 2015): the initial health assessment within 20 working days of entering care
(para 29); a review every 6 months before the child's 5th birthday and every 12 months
from it (para 31). The queue's Due column shows the next one (``HA dd/mm/yy``) when it
comes before the review, and ``h`` records one done: one key and a date, audited,
version-checked, the due date moving on.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pilot_helpers import wait_for
from queue_oracle import whole_queue
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    ChronologyEntry,
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
)
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.registers.queue import RegistersScreen, due_cell
from coordinator_tui.services import registers as reg
from coordinator_tui.services import rules as R
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.settings import load_settings
from coordinator_tui.widgets.lazy_table import LazyTable

TODAY = date(2026, 11, 23)  # a Monday

# (family, born, entered care, review due): the health assessment each one has next.
CHILDREN = (
    # Entered care 10 days ago: the initial one, 20 working days from entering care
    # (para 29), comes before the review.
    ("Initial", date(2019, 3, 4), date(2026, 11, 13), TODAY + timedelta(days=60)),
    # In care since 2025, under 5: the schedule runs 6-monthly (para 31); the review
    # is due first.
    ("Toddler", date(2024, 6, 1), date(2025, 1, 6), TODAY + timedelta(days=2)),
    # Not looked after: no health assessment at all.
    ("Neighbour", date(2015, 1, 1), date(2026, 1, 1), TODAY + timedelta(days=3)),
)


@pytest.fixture
def seeded(engine):
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        lac = RegisterCategory(
            code="LAC", name="Looked After Child", age_band="child", review_interval_days=90
        )
        cin = RegisterCategory(
            code="CIN", name="Child in Need", age_band="child", review_interval_days=90
        )
        s.add_all([practice, lac, cin])
        s.flush()
        for i, (family, born, entered, review) in enumerate(CHILDREN):
            person = Person(
                nhs_number=f"999000{i:04d}",
                given_name="Kid",
                family_name=family,
                search_name=f"{family.lower()} kid",
                date_of_birth=born,
                practice_id=practice.id,
            )
            s.add(person)
            s.flush()
            s.add(
                RegisterEntry(
                    person_id=person.id,
                    category_id=(cin if family == "Neighbour" else lac).id,
                    practice_id=practice.id,
                    start_date=entered,
                    risk_level="medium",
                    next_review_due=review,
                )
            )
    return engine


def entry_of(engine, family: str) -> RegisterEntry:
    with session_scope(engine, "t") as s:
        return s.exec(select(RegisterEntry).join(Person).where(Person.family_name == family)).one()


def count(engine, model, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


# -- the rule, as the queue shows it ------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "expected", "shown"),
    [
        # para 29: 13/11/2026 + 20 working days = 11/12/2026, before the review (22/01/27)
        ("Initial", date(2026, 12, 11), "HA 11/12/26"),
        # para 31: the review (25/11/26) comes first; the Due column keeps it
        ("Toddler", None, "25/11/26"),
        # not looked after: no health assessment
        ("Neighbour", None, "26/11/26"),
    ],
)
def test_due_column(seeded, family, expected, shown):
    with session_scope(seeded, "t") as s:
        rows = whole_queue(s, TODAY, reg.QueueFilter(horizon_days=365))
    (row,) = [r for r in rows if r.family_name == family]
    if expected is not None:
        assert row.health_assessment_due == expected
    assert (row.health_assessment_due is None) is (family == "Neighbour")
    assert str(due_cell(row, TODAY)) == shown


def test_an_overdue_assessment_says_so():
    """Past its date, the cell is red and the status says HA LATE (not colour alone)."""
    from coordinator_tui.screens.registers.queue import queue_row
    from coordinator_tui.services.registers import QueueRow

    row = QueueRow(
        1, 1, 1, "9990000001", "Kid", "Late", date(2020, 1, 1), "LAC", "Looked After Child",
        "Alpha", "", "low", TODAY + timedelta(days=30), None, False, date(2025, 1, 1),
        TODAY - timedelta(days=1),
    )  # fmt: skip
    drawn = queue_row(row, TODAY)
    assert str(drawn.cells[0]) == "HA LATE" and "red" in str(drawn.cells[0].style)
    assert str(drawn.cells[1]) == "HA 22/11/26" and "red" in str(drawn.cells[1].style)


# -- recording one: the service --------------------------------------------------------------


def test_record_moves_the_due_date_on_and_undo_puts_it_back(seeded):
    """Para 31: the next review assessment is 6 months after one done before the 5th
    birthday (the Initial child is 7: 12 months)."""
    entry = entry_of(seeded, "Initial")
    with session_scope(seeded, "t") as s:
        token = reg.record_health_assessment(
            s, entry.id, entry.version, today=TODAY, by="tester", done_on=date(2026, 11, 20)
        )
    with session_scope(seeded, "t") as s:
        due = reg.next_health_assessment(s, entry.id, TODAY)
        assert (due.kind, due.due) == ("review", date(2027, 11, 20))
        recorded = s.exec(
            select(ChronologyEntry).where(ChronologyEntry.kind == R.HEALTH_ASSESSMENT_KIND)
        ).one()
        assert recorded.occurred_on == date(2026, 11, 20) and recorded.created_by == "tester"
    assert entry_of(seeded, "Initial").version == entry.version + 1
    with session_scope(seeded, "t") as s:
        reg.undo(s, token)
    with session_scope(seeded, "t") as s:
        assert reg.next_health_assessment(s, entry.id, TODAY).due == date(2026, 12, 11)
    assert count(seeded, ChronologyEntry) == 0


@pytest.mark.parametrize(
    ("family", "done_on", "message"),
    [
        ("Initial", TODAY + timedelta(days=1), "cannot be dated in the future"),
        ("Initial", date(2026, 11, 12), r"before the child entered care \(13/11/2026\)"),
        ("Neighbour", TODAY, "looked-after children only"),
    ],
)
def test_refused(seeded, family, done_on, message):
    entry = entry_of(seeded, family)
    with pytest.raises(reg.RegisterError, match=message), session_scope(seeded, "t") as s:
        reg.record_health_assessment(
            s, entry.id, entry.version, today=TODAY, by="tester", done_on=done_on
        )
    assert count(seeded, ChronologyEntry) == 0


def test_a_stale_view_is_refused(seeded):
    """Version-checked: a colleague's review since the list was read refuses the write,
    naming the change, and nothing is recorded."""
    entry = entry_of(seeded, "Initial")
    with session_scope(seeded, "colleague") as s:
        reg.mark_reviewed(s, entry.id, entry.version, today=TODAY, by="colleague")
    with pytest.raises(ConflictError), session_scope(seeded, "t") as s:
        reg.record_health_assessment(
            s, entry.id, entry.version, today=TODAY, by="tester", done_on=TODAY
        )
    assert count(seeded, ChronologyEntry) == 0


def test_a_view_older_than_a_recorded_assessment_is_refused_naming_it(seeded):
    """The other way round: a colleague recorded a health assessment; a review from the
    list read before it is refused, and the message names the field changed."""
    entry = entry_of(seeded, "Initial")
    with session_scope(seeded, "colleague") as s:
        reg.record_health_assessment(
            s, entry.id, entry.version, today=TODAY, by="colleague", done_on=TODAY
        )
    with (
        pytest.raises(ConflictError, match="last health assessment"),
        session_scope(seeded, "t") as s,
    ):
        reg.mark_reviewed(s, entry.id, entry.version, today=TODAY, by="tester")


# -- recording one: by keys --------------------------------------------------------------------


async def test_h_records_a_health_assessment(seeded, db_path):
    settings = load_settings(str(db_path))
    settings.today = TODAY
    settings.review_horizon_days = 90
    app = make_app(settings, seeded)
    entry = entry_of(seeded, "Initial")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one(LazyTable)
        index = [r.family_name for r in screen.shown_rows].index("Initial")
        table.cursor_row = index
        await pilot.pause()
        assert "HA 11/12/26" in str(table.source.rows(index, index + 1)[0].cells[1])
        with session_scope(seeded, "t") as s:
            audit_before = s.exec(select(func.max(AuditEvent.id))).one()
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        assert "initial health assessment due 11/12/2026" in str(
            form.query_one("#form-context").render()
        )
        # The date field expects a past date: "20/11/26" is this November.
        await pilot.press("ctrl+a", "ctrl+k", *"20/11/26", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
        await wait_for(
            pilot,
            lambda: any(
                r.family_name == "Initial" and r.health_assessment_due == date(2027, 11, 20)
                for r in screen.shown_rows
            ),
        )
        # The database: the chronology entry, the review row, the entry's version, audited.
        with session_scope(seeded, "t") as s:
            recorded = s.exec(select(ChronologyEntry)).one()
            assert recorded.occurred_on == date(2026, 11, 20)
            assert recorded.kind == R.HEALTH_ASSESSMENT_KIND
            review = s.exec(select(RegisterReview)).one()
            assert review.action == "health assessment" and review.entry_id == entry.id
        assert entry_of(seeded, "Initial").version == entry.version + 1
        assert entry_of(seeded, "Initial").last_health_assessment == date(2026, 11, 20)
        with session_scope(seeded, "t") as s:
            audited = s.exec(
                select(AuditEvent.table_name, AuditEvent.changes).where(
                    AuditEvent.id > audit_before
                )
            ).all()
        tables = {table for table, _ in audited}
        assert {"chronology_entry", "register_review", "register_entry"} <= tables
        assert any("last_health_assessment" in (c or "") for t, c in audited)
        # On screen: the review (22/01/27) now comes first, so Due shows it again.
        index = [r.family_name for r in screen.shown_rows].index("Initial")
        assert str(table.source.rows(index, index + 1)[0].cells[1]) == "22/01/27"
        # u undoes it: the initial assessment is due again.
        await pilot.press("u")
        await wait_for(pilot, lambda: count(seeded, ChronologyEntry) == 0)


async def test_h_is_only_for_looked_after_children(seeded, db_path):
    settings = load_settings(str(db_path))
    settings.today = TODAY
    settings.review_horizon_days = 90
    app = make_app(settings, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one(LazyTable)
        table.cursor_row = [r.family_name for r in screen.shown_rows].index("Neighbour")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert app.screen is screen
    assert count(seeded, ChronologyEntry) == 0
