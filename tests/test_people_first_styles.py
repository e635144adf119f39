"""``coordinator-tui people`` reads only the list's style sheet before its first rows
(issue 23 §2: parsing every screen's sheet waited in front of them), and every other sheet
after the first frame and before any other screen is made: a section or a record opened
from the list looks as it does in the app opened on Home."""

from __future__ import annotations

from pilot_helpers import wait_for

from coordinator_tui.app import SCREENS_DIR, CoordinatorApp, PeopleFirstApp
from coordinator_tui.widgets.lazy_table import LazyTable

PEOPLE_SHEET = SCREENS_DIR / "registers" / "people.tcss"


def test_only_the_lists_sheet_is_read_at_start():
    assert PeopleFirstApp.CSS_PATH == [PEOPLE_SHEET]
    assert PEOPLE_SHEET in CoordinatorApp.CSS_PATH


async def test_other_sheets_are_read_after_the_first_frame(demo_settings):
    app = PeopleFirstApp(demo_settings)
    open_database = app.open_database
    app.open_database = lambda: None  # the quick reader's rows: what the first frame shows
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.total > 0)
        await wait_for(pilot, lambda: len(app.css_path) == len(CoordinatorApp.CSS_PATH))
        assert set(app.css_path) == set(CoordinatorApp.CSS_PATH)
        table = app.screen.query_one("#people")
        assert table.styles.margin.left == 1  # the list's own sheet, still applied
        assert app.screen.query_one(LazyTable).current_row is not None
        open_database()
        await wait_for(pilot, lambda: app.screen.loaded)


async def test_a_section_opened_before_the_sheets_are_read_is_styled(demo_settings):
    """Home asked for at once (``1`` typed as the app starts, before the read after the
    first frame; here that read never comes): the sheets are read first."""

    class NoReadAfterFrame(PeopleFirstApp):
        def after_first_frame(self) -> None:
            pass

    app = NoReadAfterFrame(demo_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.css_path == [PEOPLE_SHEET]
        await app.switch_mode("home")
        await wait_for(pilot, lambda: app.current_mode == "home")
        counts = app.screen.query_one("#home-counts")
        assert counts.styles.border.top[0] == "round"  # home.tcss
        assert set(app.css_path) == set(CoordinatorApp.CSS_PATH)


async def test_a_record_opened_from_the_list_is_styled(demo_settings):
    app = PeopleFirstApp(demo_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#person-body"))
        assert app.screen.query_one("#person-body").styles.padding.left == 1  # person.tcss
