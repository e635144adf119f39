"""Every person, browsable at speed: 100,000 rows paged from the database as you scroll.

Only the rows on screen are drawn (``LazyTable``) and only the pages they fall in are
read, so the list opens as fast as a plain text viewer. Opened before the database is
ready (the app opens it after its first frame), an SQLite file's rows are read with the
stdlib ``sqlite3`` module meanwhile (``services.people_quick``). ``/`` narrows by name or
NHS number prefix; ``enter`` opens the person.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Input, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.services.person_hit import PersonHit, format_nhs_number
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, PagedSource, Row

COLUMNS = [
    Column("Name"),
    Column("NHS number", 12),
    Column("Born", 10),
    Column("Postcode", 9),
]


def person_row(hit: PersonHit) -> Row:
    return Row(
        hit.id,
        (
            hit.display_name,
            format_nhs_number(hit.nhs_number),
            uk_date(hit.date_of_birth),
            hit.postcode,
        ),
    )


class PeopleScreen(CoordinatorScreen):
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
        self._quick = None  # the stdlib reader, until the database is open

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
        app = self.coordinator
        if getattr(app, "engine", None) is None:
            if self._may_read_people():
                self._show_quick()
            app.when_database_ready(
                self, lambda: self.load(self.query_one("#people-filter", Input).value)
            )
        else:
            self.load("")

    def _may_read_people(self) -> bool:
        """Whether the quick reader may read names now: only for someone signed in whose
        roles may view the registers. ``coordinator-tui people`` starts on the sign-in
        screen, and nothing of anyone is read before it is answered (issue 17: hidden
        beneath it is not enough, the rows would be in memory); the list then loads
        through the guarded services once the database is ready and someone is in."""
        from coordinator_tui.services.access import VIEW_REGISTER

        principal = getattr(self.coordinator, "principal", None)
        return principal is not None and principal.can(VIEW_REGISTER)

    def _show_quick(self) -> None:
        """The rows from the SQLite file while the database opens (see the module doc)."""
        from coordinator_tui.preflight import resolve_target
        from coordinator_tui.services.people_quick import QuickPeople

        quick = QuickPeople.open(resolve_target(self.coordinator.settings.db).path)
        if quick is None:
            return
        self._quick = quick

        def fetch(offset: int, limit: int) -> list[Row]:
            return [person_row(hit) for hit in quick.page(offset, limit)]

        self._set_source(PagedSource(quick.count(), fetch, page_size=100))

    def source(self, text: str) -> PagedSource:
        from coordinator_tui.services.people import count_people, people_page

        app = self.coordinator

        def fetch(offset: int, limit: int) -> list[Row]:
            with app.session() as session:
                return [person_row(hit) for hit in people_page(session, offset, limit, text)]

        with app.session() as session:
            total = count_people(session, text)
        return PagedSource(total, fetch, page_size=100)

    @work(thread=True, exclusive=True, group="people")
    def load(self, text: str) -> None:
        from coordinator_tui.services.errors import CoordinatorError

        try:
            source = self.source(text)
            source.rows(0, 60)  # warm the first page off the UI thread
        except CoordinatorError as exc:  # refused (a homecare role), or the database
            self.app.call_from_thread(self.refused, str(exc))
            return
        self.app.call_from_thread(self.show, source)

    def refused(self, message: str) -> None:
        """The service's one line where the count would be; no rows."""
        self.total = 0
        self.query_one(LazyTable).set_source(PagedSource(0, lambda _o, _l: [], page_size=100))
        self.query_one("#people-summary", Static).update(Text(message, style="bold red"))
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def show(self, source: PagedSource) -> None:
        # The same rows as the quick reader showed (no filter typed): stay where the
        # coordinator is in the list.
        keep = self._quick is not None and not self.query_one("#people-filter", Input).value
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        current = self.query_one(LazyTable).current_row if keep else None
        self._set_source(source, keep_cursor=keep, keep_key=current.key if current else None)
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def _set_source(
        self, source: PagedSource, keep_cursor: bool = False, keep_key: object = None
    ) -> None:
        self.total = len(source)
        table = self.query_one(LazyTable)
        table.set_source(source)
        if keep_key is not None:
            # By the person's id where it is among the rows near the cursor (the same
            # list, read again): safer than trusting the position alone.
            start = max(table.cursor_row - 50, 0)
            for offset, row in enumerate(source.rows(start, table.cursor_row + 50)):
                if row.key == keep_key:
                    table.cursor_row = start + offset
                    break
        elif not keep_cursor:
            table.cursor_row = 0
        self.query_one("#people-summary", Static).update(f"People: {self.total:,}")

    def action_filter(self) -> None:
        box = self.query_one("#people-filter", Input)
        box.add_class("-shown")
        self.set_focus(box)  # now, not on the next turn: keys typed after / follow it

    def action_back(self) -> None:
        box = self.query_one("#people-filter", Input)
        if box.has_class("-shown"):
            box.value = ""
            box.remove_class("-shown")
            self.query_one(LazyTable).focus()
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:  # the list is a section's first screen (opened straight on it): go Home
            self.app.switch_mode("home")

    @on(Input.Changed, "#people-filter")
    def narrow(self, event: Input.Changed) -> None:
        if getattr(self.app, "engine", None) is None:
            return  # filtered once the database is open (on_mount asked to be told)
        self.load(event.value)

    @on(Input.Submitted, "#people-filter")
    def done(self) -> None:
        self.query_one(LazyTable).focus()

    @on(LazyTable.RowSelected, "#people")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        self.coordinator.open_person(event.row.key)
