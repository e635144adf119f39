"""Every person, browsable at speed: 100,000 rows paged from the database as you scroll.

Only the rows on screen are drawn (``LazyTable``) and only the pages they fall in are
read, each from its neighbour's key (``KeyedPages``), so the list opens as fast as a plain
text viewer and ``End`` costs the same at a million people. Opened before the database is
ready (the app opens it after its first frame), an SQLite file's rows are read with the
stdlib ``sqlite3`` module meanwhile (``services.people_quick``); opened straight from the
launcher, its first frame may be on the terminal before Textual has started
(``people_frame``). ``/`` narrows by name or NHS number prefix; ``enter`` opens the person.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.registers import people_frame
from coordinator_tui.screens.registers.people_frame import person_cells, summary_text
from coordinator_tui.services.person_hit import PersonHit
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, Row

COLUMNS = [
    Column("Name"),
    Column("NHS number", 12),
    Column("Born", 10),
    Column("Postcode", 9),
]


def person_row(hit: PersonHit) -> Row:
    return Row(hit.id, person_cells(hit))


ReadByKey = Callable[[Any, bool, int, int], Sequence[tuple[Any, Any]]]
"""``read(key, backward, offset, limit)``: up to ``limit`` (key, item) pairs in list order,
after ``key`` (before it, ``backward``; from the top or the bottom when None), ``offset``
rows further on (as ``services.people.people_by_key``)."""


class KeyedPages:
    """A long list's rows a page at a time, each page read from a neighbour's key.

    A page next to one already read is read on from that page's first or last key (the
    next page after ``pagedown``, the one above when scrolling up); a page near the end
    backwards from the bottom (``End``); the first from the top. Each is one range of an
    index, the same cost at a million rows as at a thousand (issue 23: by OFFSET, ``End``
    walked every row before it). Only a jump into the middle (dragging the scroll bar),
    with no page read beside it, is read by position.

    ``total`` is counted when the list is made: the scroll bar is right at once."""

    END_REACH = 500
    """Rows from the end within which a page is read backwards from the bottom."""

    KEEP = 64
    """Pages kept (the least recently drawn dropped first)."""

    def __init__(
        self,
        total: int,
        read: ReadByKey,
        to_row: Callable[[Any], Row],
        *,
        page_size: int = 100,
        first: Sequence[tuple[Any, Any]] | None = None,
    ) -> None:
        self.total = total
        self._read = read
        self._to_row = to_row
        self.page_size = page_size
        self._pages: OrderedDict[int, tuple[list[Any], list[Row]]] = OrderedDict()
        self.reads: list[str] = []
        """How each read started: "top", "after", "before", "end", "position" (tests)."""
        if first is not None:
            self._store(0, list(first))

    def __len__(self) -> int:
        return self.total

    def rows(self, start: int, stop: int) -> Sequence[Row]:
        stop = min(stop, self.total)
        if start >= stop:
            return []
        size = self.page_size
        result: list[Row] = []
        for number in range(start // size, (stop - 1) // size + 1):
            page = self._page(number)
            lo = max(start - number * size, 0)
            result.extend(page[lo : stop - number * size])
        return result

    def key_of(self, index: int) -> Any:
        """The key of the row at ``index`` (its page read if need be), or None."""
        self.rows(index, index + 1)
        page = self._pages.get(index // self.page_size)
        offset = index % self.page_size
        return page[0][offset] if page is not None and offset < len(page[0]) else None

    def _page(self, number: int) -> list[Row]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page[1]
        size = self.page_size
        lo = number * size
        want = min(size, self.total - lo)
        before, after = self._pages.get(number - 1), self._pages.get(number + 1)
        if number == 0:
            self.reads.append("top")
            got = self._read(None, False, 0, want)
        elif before is not None and len(before[0]) == size:
            self.reads.append("after")
            got = self._read(before[0][-1], False, 0, want)
        elif after is not None and after[0]:
            self.reads.append("before")
            got = self._read(after[0][0], True, 0, want)
        elif self.total - lo <= self.END_REACH:
            # The last rows, backwards from the bottom: this page and every one after it,
            # and at least a page's worth (a last page of one row, then the one above it).
            self.reads.append("end")
            first = max(min(number, (self.total - size) // size), 0)
            got = list(self._read(None, True, 0, self.total - first * size))
            for other in range(first, (self.total - 1) // size + 1):
                if other != number:
                    self._store(other, got[(other - first) * size : (other - first + 1) * size])
            got = got[(number - first) * size : (number - first + 1) * size]
        else:
            self.reads.append("position")
            got = self._read(None, False, lo, want)
        return self._store(number, list(got))

    def _store(self, number: int, got: list[tuple[Any, Any]]) -> list[Row]:
        rows = [self._to_row(item) for _key, item in got]
        self._pages[number] = ([key for key, _item in got], rows)
        self._pages.move_to_end(number)
        while len(self._pages) > self.KEEP:
            self._pages.popitem(last=False)
        return rows


class PeopleScreen(CoordinatorScreen):
    """All people, A to Z by family name."""

    CSS_PATH = "people.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box.
    AUTO_FOCUS = "#people"
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
        # The screen's own children, no container: Textual mounts a container's children
        # a turn after the screen's, and its first frame was then a full render with the
        # body blank, the rows a frame later (issue 23 §2: launch to first row).
        yield Header()
        yield Static("Loading…", id="people-summary")
        yield Input(placeholder="Family name, or NHS number", id="people-filter", compact=True)
        yield LazyTable(COLUMNS, empty_text="Nobody matches.", id="people")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "All people"
        self.query_one(LazyTable).focus()
        app = self.coordinator
        if not app.styles.has_rule("color"):
            # Opened first (``coordinator-tui people``), the app's own rules (its text
            # colour) reach the app only when its CSS is refreshed, after the first
            # frame: that frame drew every row but the cursor's, and the count, in no
            # colour at all (invisible on the background). Applied now, before it.
            app.stylesheet.apply(app)
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
        """The rows from the SQLite file while the database opens (see the module doc):
        from the reader the launcher painted them with, if it did."""
        from coordinator_tui.preflight import resolve_target
        from coordinator_tui.services.people_quick import QuickPeople

        early = people_frame.take_early()
        quick = early.quick if early is not None else None
        if quick is None:
            quick = QuickPeople.open(resolve_target(self.coordinator.settings.db).path)
        if quick is None:
            return
        self._quick = quick

        def read(key: Any, backward: bool, offset: int, limit: int) -> list[tuple[Any, Any]]:
            return quick.by_key(key, backward=backward, offset=offset, limit=limit)

        self._set_source(KeyedPages(quick.count(), read, person_row))
        self.call_after_refresh(self._remember_frame)

    def _remember_frame(self) -> None:
        """The first frame of the list, as Textual wrote it, kept as the template of the
        next launch's early paint and compared with this one's (``people_frame``). Only
        as the list opens: the top, the cursor on the first row, nothing typed, nothing
        over it."""
        from coordinator_tui.textual_private import full_frame

        quick, table = self._quick, self.query_one(LazyTable)
        filtering = self.query_one("#people-filter", Input).has_class("-shown")
        if quick is None or self.app.screen is not self or filtering:
            return
        if table.cursor_row or table.scroll_y or not self.total:
            return
        shown = min(table.scrollable_content_region.height - 1, self.total)
        frame = full_frame(self)
        widths = table._widths(table.scrollable_content_region.width)  # as it draws
        size = (self.app.size.width, self.app.size.height)
        theme = self.coordinator.settings.theme

        def keep() -> None:
            try:
                hits = [hit for _key, hit in quick.by_key(None, limit=shown)]
            except Exception:  # the reader was closed: the database is open, no matter
                return
            people_frame.remember(frame, hits, widths, self.total, size, theme)

        self.run_worker(keep, thread=True, group="people-frame")

    def source(self, text: str) -> KeyedPages:
        """The list for ``text`` through the guarded services: counted, first page read."""
        from coordinator_tui.services.people import count_people, people_by_key

        app = self.coordinator

        def read(key: Any, backward: bool, offset: int, limit: int) -> list[tuple[Any, Any]]:
            with app.session() as session:
                return people_by_key(
                    session, key, backward=backward, offset=offset, limit=limit, text=text
                )

        with app.session() as session:
            total = count_people(session, text)
        return KeyedPages(total, read, person_row)

    @work(thread=True, exclusive=True, group="people")
    def load(self, text: str) -> None:
        from coordinator_tui.services.errors import CoordinatorError

        try:
            source = self.source(text)
            source.rows(0, 60)  # warm the first page off the UI thread
        except CoordinatorError as exc:  # refused (a homecare role), or the database
            call_from_worker(self, self.refused, str(exc))
            return
        call_from_worker(self, self.show, source)

    def refused(self, message: str) -> None:
        """The service's one line where the count would be; no rows."""
        self.total = 0
        self.query_one(LazyTable).set_source(KeyedPages(0, lambda *_a: [], person_row))
        self.query_one("#people-summary", Static).update(Text(message, style="bold red"))
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def show(self, source: KeyedPages) -> None:
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
        self, source: KeyedPages, keep_cursor: bool = False, keep_key: object = None
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
        self.query_one("#people-summary", Static).update(summary_text(self.total))

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
