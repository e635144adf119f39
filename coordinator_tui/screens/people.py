"""Every person, browsable at speed: 100,000 rows paged from the database as you scroll.

Only the rows on screen are drawn (``LazyTable``) and only the pages they fall in are
read, so the list opens as fast as a plain text viewer. ``/`` narrows by name or NHS
number prefix; ``enter`` opens the person.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from coordinator_tui.services.people import PersonHit
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, PagedSource, Row

COLUMNS = [
    Column("Name"),
    Column("NHS number", 12),
    Column("Born", 10),
    Column("Postcode", 9),
]


def person_row(hit: PersonHit) -> Row:
    from coordinator_tui.services.people import format_nhs_number

    return Row(
        hit.id,
        (
            hit.display_name,
            format_nhs_number(hit.nhs_number),
            hit.date_of_birth.strftime("%d/%m/%Y"),
            hit.postcode,
        ),
    )


class PeopleScreen(Screen):
    """All people, A to Z by family name."""

    CSS_PATH = "people.tcss"
    HELP = __doc__
    BINDINGS = [
        Binding("escape", "back", "Back", id="people.back"),
        Binding("slash", "filter", "Filter", id="people.filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="people-body"):
            yield Static("Loading…", id="people-summary")
            yield Input(placeholder="Family name, or NHS number", id="people-filter", compact=True)
            yield LazyTable(COLUMNS, empty_text="Nobody matches.", id="people")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "All people"
        self.query_one(LazyTable).focus()
        self.load("")

    def source(self, text: str) -> PagedSource:
        from coordinator_tui.services.people import count_people, people_page

        app = self.app

        def fetch(offset: int, limit: int) -> list[Row]:
            with app.session() as session:  # type: ignore[attr-defined]
                return [person_row(hit) for hit in people_page(session, offset, limit, text)]

        with app.session() as session:  # type: ignore[attr-defined]
            total = count_people(session, text)
        return PagedSource(total, fetch, page_size=100)

    @work(thread=True, exclusive=True, group="people")
    def load(self, text: str) -> None:
        source = self.source(text)
        source.rows(0, 60)  # warm the first page off the UI thread
        self.app.call_from_thread(self.show, source)

    def show(self, source: PagedSource) -> None:
        self.total = len(source)
        table = self.query_one(LazyTable)
        table.set_source(source)
        table.cursor_row = 0
        self.query_one("#people-summary", Static).update(f"People: {self.total:,}")
        self.loaded = True
        self.app.screen_loaded(self)  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        box = self.query_one("#people-filter", Input)
        box.add_class("-shown")
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#people-filter", Input)
        if box.has_class("-shown"):
            box.value = ""
            box.remove_class("-shown")
            self.query_one(LazyTable).focus()
        else:
            self.app.pop_screen()

    @on(Input.Changed, "#people-filter")
    def narrow(self, event: Input.Changed) -> None:
        self.load(event.value)

    @on(Input.Submitted, "#people-filter")
    def done(self) -> None:
        self.query_one(LazyTable).focus()

    @on(LazyTable.RowSelected, "#people")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        self.app.open_person(event.row.key)  # type: ignore[attr-defined]
