"""The people list before the database is open: rows read with the stdlib sqlite3 module
(``services.people_quick``), the same as the session-backed pages, then switched over."""

from __future__ import annotations

from pilot_helpers import wait_for

from coordinator_tui.db import session_scope
from coordinator_tui.services.people import count_people, people_page
from coordinator_tui.services.people_quick import QuickPeople
from coordinator_tui.widgets.lazy_table import LazyTable


def test_quick_pages_are_the_session_pages(small_demo_path, small_demo_engine):
    quick = QuickPeople.open(small_demo_path)
    assert quick is not None
    try:
        with session_scope(small_demo_engine, "t") as session:
            total = count_people(session)
            assert quick.count() == total
            for offset in (0, 100, total - 7):
                assert quick.page(offset, 50) == people_page(session, offset, 50)
    finally:
        quick.close()


def test_quick_reader_declines_what_it_cannot_read(tmp_path):
    assert QuickPeople.open(None) is None
    assert QuickPeople.open(tmp_path / "missing.db") is None
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("hello")
    assert QuickPeople.open(not_a_db) is None
    assert not_a_db.read_text() == "hello"
    assert not (tmp_path / "missing.db").exists()  # read-only: nothing was created


async def test_list_shows_rows_before_the_database_opens(demo_settings, small_demo_engine):
    from coordinator_tui.app import PeopleFirstApp
    from coordinator_tui.screens.registers.people import PeopleScreen
    from coordinator_tui.services.person_hit import format_nhs_number

    with session_scope(small_demo_engine, "t") as session:
        total = count_people(session)
        third = people_page(session, 2, 1)[0]
        filtered = count_people(session, "ab")
    app = PeopleFirstApp(demo_settings)  # no engine: the app opens the database itself
    open_database = app.open_database
    app.open_database = lambda: None  # held back, so the test sees the list before it
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        assert app.engine is None and not screen.loaded
        assert screen.total == total
        table = screen.query_one(LazyTable)
        await pilot.press("down", "down")
        assert table.current_row.cells[1] == format_nhs_number(third.nhs_number)

        open_database()
        await wait_for(pilot, lambda: screen.loaded)
        assert app.engine is not None and screen._quick is None
        assert table.cursor_row == 2  # the same rows: the cursor stayed where it was
        assert table.current_row.key == third.id

        await pilot.press("slash", *"ab")
        await wait_for(pilot, lambda: screen.total == filtered)


async def test_filter_typed_before_the_database_opens_applies_once_open(
    demo_settings, small_demo_engine
):
    from coordinator_tui.app import PeopleFirstApp

    with session_scope(small_demo_engine, "t") as session:
        filtered = count_people(session, "ab")
    app = PeopleFirstApp(demo_settings)
    open_database = app.open_database
    app.open_database = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("slash", *"ab")  # nothing to filter with yet: kept for later
        assert app.engine is None
        open_database()
        await wait_for(pilot, lambda: screen.loaded and screen.total == filtered)
        assert screen.query_one(LazyTable).cursor_row == 0
        # The list is this section's first screen: escape (twice: the filter, then the
        # list) goes Home rather than leaving no screen.
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.current_mode == "home")
