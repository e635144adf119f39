"""Registers (key 2): the review queue across the practices, reviewed by keyboard alone.

Each action key opens a short form, saves through ``services.registers`` (audited), and
moves the cursor on to the next entry, so a whole list can be reviewed without a mouse.
The queue is read a page at a time by key (``services.registers.queue_page``: the page
on screen and a margin, the next as the cursor goes down) and drawn by ``LazyTable``
(only visible rows); its filters, sort and ``/`` text are applied in the query, and its
counts are COUNT queries (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from coordinator_tui.formatting import person_label, short_date, uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.registers import (
    QUEUE_PAGE,
    FilterOptions,
    QueueCounts,
    QueueFilter,
    QueuePage,
    QueueRow,
    QueueSearch,
    Undo,
)
from coordinator_tui.widgets.filter_input import FilterInput
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, KeysetSource, LazyTable, ListSource, Row

FOLLOWING = 200
"""Entries after the one acted on that the reload looks for, to move the cursor on to."""
RISK_LABEL = {"high": "HIGH", "medium": "MED", "low": "LOW"}
STATUS_VIEWS = ("due", "overdue", "escalated")
STATUS_LABEL = {"due": "all due", "overdue": "overdue only", "escalated": "escalated"}
TEXT_AND_ROWS_S = 0.05
"""A ``/`` key's character waits this long at most for its rows, to be painted with them
in one frame (``FilterInput``: a frame of its own put the rows 17-33 ms later)."""

COLUMNS = [
    Column("Status", 8),
    Column("Due", 11),
    Column("Name"),
    Column("NHS number", 12),
    Column("Born", 10),
    Column("Reg", 5),
    Column("Risk", 4),
    Column("Lead", 16, show_from=100),
    Column("Practice", 10, show_from=112),
]


def person_name(row: QueueRow) -> str:
    """The person as lists and toasts name them: FAMILY, Given."""
    return person_label(row)


def format_day(day: date) -> str:
    return uk_date(day)


def due_cell(row: QueueRow, today: date) -> Text | str:
    """The Due column: the review date, or the looked-after child's health assessment
    (``HA 12/01/27``) when that falls due first (statutory guidance 2015, paras 29-31);
    red when it has passed."""
    if row.health_assessment_first():
        ha = row.health_assessment_due
        assert ha is not None
        return Text(
            f"HA {short_date(ha)}", style="red" if row.health_assessment_overdue(today) else ""
        )
    due = short_date(row.next_review_due) if row.next_review_due else ""
    return Text(due, style="red") if row.is_overdue(today) else due


def queue_row(row: QueueRow, today: date) -> Row:
    """A queue entry as a table row: status as a word, colour only reinforcing it."""
    from coordinator_tui.services.people import format_nhs_number

    overdue = row.is_overdue(today)
    if row.escalated:
        status = Text("⚑ ESC", style="bold magenta")
    elif overdue:
        status = Text("OVERDUE", style="bold red")
    elif row.health_assessment_overdue(today):
        status = Text("HA LATE", style="bold red")
    else:
        status = Text("due")
    risk = Text(
        RISK_LABEL.get(row.risk_level, row.risk_level),
        style="bold" if row.risk_level == "high" else "",
    )
    return Row(
        key=row.entry_id,
        cells=(
            status,
            due_cell(row, today),
            person_name(row),
            format_nhs_number(row.nhs_number),
            uk_date(row.date_of_birth),
            row.category_code,
            risk,
            row.lead,
            row.practice,
        ),
    )


class RegistersScreen(BackgroundWrites, SectionScreen):
    """The review queue."""

    MODE = "registers"
    CSS_PATH = "registers.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box ("/sm" filtered nothing in).
    AUTO_FOCUS = "#queue"
    HELP = (
        "The review queue: every active register entry due for review within the horizon "
        "(overdue first, then by risk, then by due date), across the practices. Act on the "
        "highlighted entry with one key; the cursor moves on to the next. Filters: P "
        "practice, T register, L lead, R risk, S status (all due / overdue / escalated: "
        "every escalated entry, whatever its due date, until the lead resolves it with E); "
        "/ filters by name, NHS number or date of birth as you type, esc clears it. "
        "A looked-after child's next health assessment shows in Due as HA and a date when "
        "it comes before the review (HA LATE once passed): h records one done, with its "
        "date, and the next falls due from it."
    )
    BINDINGS = [
        Binding("r", "review", "Reviewed", id="registers.review"),
        Binding("s", "snooze", "Snooze", id="registers.snooze"),
        Binding("e", "escalate", "Escalate", id="registers.escalate"),
        Binding("E", "resolve", "Resolve escalation", id="registers.resolve"),
        Binding("h", "health_assessment", "Health assessment", id="registers.health"),
        Binding("c", "change", "Change", id="registers.change"),
        Binding("x", "end", "End", id="registers.end"),
        Binding("a", "add", "Add", id="registers.add"),
        Binding("u", "undo", "Undo", id="registers.undo"),
        Binding("i", "intake", "New concern", id="registers.intake"),
        Binding("C", "concerns", "Concerns", id="registers.concerns"),
        Binding("V", "compliance", "Compliance", id="registers.compliance"),
        Binding("B", "people", "All people", show=False, id="registers.people"),
        Binding("slash", "filter", "Filter", id="registers.filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="registers.clear"),
        Binding("P", "cycle('practice')", "Practice", show=False, id="registers.practice"),
        Binding("T", "cycle('category')", "Register", show=False, id="registers.category"),
        Binding("L", "cycle('lead')", "Lead", show=False, id="registers.lead"),
        Binding("R", "cycle('risk')", "Risk", show=False, id="registers.risk"),
        Binding("S", "cycle('status')", "Status", show=False, id="registers.status"),
        Binding("f5", "reload", "Reload", show=False, id="registers.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.options: FilterOptions | None = None
        self.choice: dict[str, Any] = {
            "practice": None,
            "category": None,
            "lead": None,
            "risk": None,
            "status": "due",
        }
        self.undo_stack: list[Undo] = []
        self.loaded = False
        self.source: KeysetSource | None = None
        self.counts: QueueCounts | None = None
        # Of the latest read asked for (``read_asked``): an older one is not shown, and
        # the keys it held wait for the newer read instead (``read_landed``).
        self._generation = 0
        # The view's narrow search list while ``/`` text is typed (read at its first key,
        # dropped by any other reload: a save, a change of view).
        self._search: QueueSearch | None = None
        # The rows read by id while that list is typed into, by entry id (None: not in the
        # view): the entries a longer text keeps are among the shorter one's, so most
        # keys find their page's rows read already (``_matches``); and the whole view's
        # counts, for text that every entry matches.
        self._rows_read: tuple[QueueSearch, dict[int, QueueRow | None], QueueCounts] | None = None
        self._rows_drawn: dict[int, tuple[QueueRow, date, Row]] = {}  # ``_row_of``
        # The search list being read since ``/`` was pressed (its first key waits for it).
        self._search_job: tuple[QueueFilter, Future[QueueSearch]] | None = None
        # ``/`` text typed before the first read landed (``apply_text_filter``).
        self._text_while_loading = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="registers-body"):
            yield Static("Loading the review queue…", id="queue-summary")
            yield Static("", id="queue-compliance")
            yield FilterInput(
                lambda _: self.apply_text_filter(),
                placeholder="Filter: name, NHS number or date of birth",
                id="queue-filter",
                hold_paint=TEXT_AND_ROWS_S,
            )
            yield LazyTable(COLUMNS, empty_text="Nothing due for review.", id="queue")

    def on_database_ready(self) -> None:
        if self.focused is None or not self.focused.display:
            self.query_one(LazyTable).focus()  # not away from "/" text being typed
        self.load_queue()

    def show_status(self, status: str) -> None:
        """Show the queue's ``status`` view (Home's counts open "overdue", "due" or
        "escalated"), with the other filters cleared so the count and the list agree."""
        for key in ("practice", "category", "lead", "risk"):
            self.choice[key] = None
        self.choice["status"] = status
        if not self.is_mounted or self.coordinator.engine is None:
            return  # its first load (``on_database_ready``) shows this view
        box = self.query_one("#queue-filter", Input)
        if box.value:
            box.value = ""
        self.load_queue()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":  # shown, and acting, on an escalated entry only
            row = self.highlighted()
            return row is not None and row.escalated
        if action == "health_assessment":  # a looked-after child's entry only
            row = self.highlighted()
            return row is not None and row.health_assessment_due is not None
        return super().check_action(action, parameters)

    _row_actions: tuple[bool, bool] | None = None  # what ``check_action`` last showed

    @on(LazyTable.RowHighlighted, "#queue")
    def _highlight_moved(self) -> None:
        """The footer is redrawn only when the row's own keys (``check_action``: resolve
        on an escalated entry, the health assessment on a looked-after child's) come or
        go: redrawn on every move it cost about 3 ms a key (issue 23)."""
        shown = (
            bool(self.check_action("resolve", ())),
            bool(self.check_action("health_assessment", ())),
        )
        if shown != self._row_actions:
            self._row_actions = shown
            self.refresh_bindings()

    @work(thread=True, exclusive=True, group="registers-compliance")
    def load_compliance(self) -> None:
        from coordinator_tui.services.registers import review_compliance

        with self.coordinator.session() as session:
            rows = review_compliance(session, self.today)
        active = sum(r.active for r in rows)
        within = sum(r.in_interval for r in rows)
        untriaged = self._untriaged_count()
        call_from_worker(self, self.show_compliance, active, within, untriaged)

    def _untriaged_count(self) -> int:
        from coordinator_tui.services.concerns import untriaged

        with self.coordinator.session() as session:
            return len(untriaged(session))

    def show_compliance(self, active: int, within: int, untriaged: int) -> None:
        target = next(self.query("#queue-compliance").results(Static), None)
        if target is None:
            # The screen's widgets are gone: the app quit while the counts were read (a
            # test's app closing under load found this; the worker then failed at exit).
            return
        share = f"{100 * within / active:.0f}%" if active else "—"
        target.update(
            Text.assemble(
                ("Reviewed within interval: ", "dim"),
                (share, "bold"),
                (f" of {active:,} active (V for detail)   ", "dim"),
                ("Concerns awaiting triage: ", "dim"),
                (f"{untriaged:,}", "bold red" if untriaged else "bold"),
                (" (C)", "dim"),
            )
        )

    # -- loading ----------------------------------------------------------------------

    @property
    def shown_rows(self) -> Sequence[QueueRow]:
        """The queue as filtered: a sequence over the pages read (indexing one not read
        yet reads it). Only the page on screen and a margin are read (issue 23)."""
        return self.source.items if self.source is not None else []

    @property
    def rows(self) -> Sequence[QueueRow]:
        """The queue (the typed filter is applied in the query: the same as shown)."""
        return self.shown_rows

    def current_filter(self) -> QueueFilter:
        status = self.choice["status"]
        return QueueFilter(
            practice_id=self.choice["practice"][0] if self.choice["practice"] else None,
            category_id=self.choice["category"][0] if self.choice["category"] else None,
            lead_staff_id=self.choice["lead"][0] if self.choice["lead"] else None,
            risk_level=self.choice["risk"],
            escalated_only=status == "escalated",
            horizon_days=-1
            if status == "overdue"
            else self.coordinator.settings.review_horizon_days,
        )

    def load_queue(
        self,
        land_on: Sequence[int] = (),
        index: int | None = None,
        *,
        keep_search: bool = False,
        hold_keys: bool = False,
    ) -> bool:
        """Read the queue's first page and counts again, off the UI thread; ``land_on``:
        entry ids to put the cursor on (the first still listed), else row ``index``.
        ``keep_search``: the typed text changed, nothing else, so the view's search list
        read at the first key still holds (any other reload reads it again).
        ``hold_keys``: the keys typed from now on act on the rows read (after a write).
        False when the rows are shown already (``_matches_now``), True when they come."""
        text = self.query_one("#queue-filter", Input).value
        if not keep_search:
            self._search = None
            self._search_job = None
        self._generation = self.read_asked(hold_keys=hold_keys)
        search: QueueSearch | Future[QueueSearch] | None = self._search
        if search is None and self._search_job is not None:
            filters, job = self._search_job
            search = job if filters == self.current_filter() else None
        if self._matches_now(text, tuple(land_on), index, self._generation, search):
            return False
        self._read_queue(
            self.current_filter(), text, tuple(land_on), index, self._generation, search
        )
        return True

    def _matches_now(
        self,
        text: str,
        land_on: tuple[int, ...],
        index: int | None,
        generation: int,
        search: QueueSearch | Future[QueueSearch] | None,
    ) -> bool:
        """A ``/`` key's rows read and shown at once, on the UI thread, when that cannot
        wait on anything: the view's search list is in hand (read since ``/``) and the
        database is SQLite, whose reads in WAL mode never wait on a writer (the table
        reads its further pages the same way as it draws them). The read is the page's
        rows by id, 3-4 ms whatever the size of the view; a thread's round trip added
        5-15 ms to it (issue 23: a key to its rows within 30 ms). Otherwise (a key typed
        before the search list is read, PostgreSQL over a network) they are read in a
        thread."""
        from coordinator_tui.db import reads_never_wait  # loaded once the engine is

        filters = self.current_filter()
        engine = self.coordinator.engine
        if isinstance(search, Future) and search.done() and search.exception() is None:
            search = search.result()  # read since ``/``, before this first key
        if (
            not text.strip()
            or not isinstance(search, QueueSearch)
            or search.filters != filters
            or search.today != self.today
            or not reads_never_wait(engine)
        ):
            return False
        try:
            found = self._matches(filters, text, land_on, index, search)
        except CoordinatorError as exc:
            self.show_refusal(str(exc))
            return True
        self.show_queue(*found, generation, search)
        return True

    def _read_search_ahead(self) -> None:
        """On ``/``: the view's search list read in a thread while the first key is
        typed, so that key does not pay for it (at ten times the demo, 30,000 entries)."""
        filters = self.current_filter()
        if self._search is not None and self._search.filters == filters:
            return
        if self._search_job is not None and self._search_job[0] == filters:
            return
        job: Future[QueueSearch] = Future()
        self._search_job = (filters, job)
        self._fill_search(filters, job)

    @work(thread=True, group="registers-search")
    def _fill_search(self, filters: QueueFilter, job: Future[QueueSearch]) -> None:
        from coordinator_tui.services.registers import queue_search

        try:
            with self.coordinator.session() as session:
                job.set_result(queue_search(session, self.today, filters))
        except BaseException as exc:  # the key that waits for it says so
            job.set_exception(exc)

    @work(thread=True, exclusive=True, group="registers-queue")
    def _read_queue(
        self,
        filters: QueueFilter,
        text: str,
        land_on: tuple[int, ...],
        index: int | None,
        generation: int,
        search: QueueSearch | Future[QueueSearch] | None = None,
    ) -> None:
        """In a thread: the first page (or the page at the entry to land on) and the
        counts. A read overtaken by a newer one (a key typed meanwhile) is dropped.
        With typed text, the view's search list instead (``_read_matches``)."""
        from coordinator_tui.services.registers import (
            filter_options,
            queue_locate,
            queue_page,
        )

        app = self.coordinator
        today = self.today
        if text.strip():
            self._read_matches(filters, text, land_on, index, generation, search)
            return
        try:
            with app.session() as session:
                found = queue_locate(session, today, filters, land_on, text=text)
                start, key = found if found else (0, None)
                page = queue_page(
                    session,
                    today,
                    filters,
                    text=text,
                    key=key,
                    inclusive=True,
                    with_counts=True,
                    limit=QUEUE_PAGE,
                )
                options = self.options or filter_options(session)
        except CoordinatorError as exc:
            # Refused (a role that may not see the registers) or the database is busy:
            # the one line on the screen, not an empty list that looks like "all done".
            call_from_worker(self, self.show_refusal, str(exc))
            return
        source = self._source(filters, text, page, start)
        target = start if found else index
        call_from_worker(self, self.show_queue, source, page.counts, options, target, generation)

    def _read_matches(
        self,
        filters: QueueFilter,
        text: str,
        land_on: tuple[int, ...],
        index: int | None,
        generation: int,
        search: QueueSearch | Future[QueueSearch] | None,
    ) -> None:
        """In ``_read_queue``'s thread, with typed text: the view's narrow search list
        (read once, at the first key), the entries the text keeps in memory (the old
        filter's semantics), their counts, and the rows of the page shown by id. Each
        key then costs one small read, whatever the size of the view (issue 23)."""
        from coordinator_tui.services.registers import queue_search

        app, today = self.coordinator, self.today
        try:
            if isinstance(search, Future):  # read since ``/`` was pressed: wait for it
                search = search.result(timeout=120)
            if search is None or search.filters != filters or search.today != today:
                with app.session() as session:
                    search = queue_search(session, today, filters)
            found = self._matches(filters, text, land_on, index, search)
        except CoordinatorError as exc:
            call_from_worker(self, self.show_refusal, str(exc))
            return
        call_from_worker(self, self.show_queue, *found, generation, search)

    def _matches(
        self,
        filters: QueueFilter,
        text: str,
        land_on: tuple[int, ...],
        index: int | None,
        search: QueueSearch,
    ) -> tuple[KeysetSource, QueueCounts, FilterOptions, int | None]:
        """The entries ``text`` keeps of the view's search list (in memory), and the rows
        of the page shown, read by id (those not read at an earlier key of the same list):
        ``show_queue``'s source, counts, options and row."""
        from coordinator_tui.services.registers import filter_options, queue_rows

        matched = search.matching(text)
        found = None
        if land_on:  # (not while typing: a dict of 34,000 entries at ten times the demo)
            place = {e.entry_id: i for i, e in enumerate(matched)}
            found = next((place[i] for i in land_on if i in place), None)
        start = found if found is not None else 0
        wanted = [e.entry_id for e in matched[start : start + QUEUE_PAGE]]
        kept = self._rows_read
        if kept is None or kept[0] is not search:  # a new list: rows read for the old go
            kept = self._rows_read = (search, {}, search.counts(search.entries))
        read = kept[1]
        missing = [i for i in wanted if i not in read]
        options = self.options
        if missing or options is None:
            with self.coordinator.session() as session:
                if missing:  # one update: the first key's read may still be in its thread
                    got = {r.entry_id: r for r in queue_rows(session, self.today, filters, missing)}
                    read.update({i: got.get(i) for i in missing})  # None: left the view
                options = options or filter_options(session)
        rows = [row for row in (read[i] for i in wanted) if row is not None]
        source = self._match_source(filters, matched, rows, start)
        target = start if found is not None else index
        # Text every entry matches ("999" of an NHS number): the view's counts, made once.
        counts = kept[2] if len(matched) == len(search.entries) else search.counts(matched)
        return source, counts, options, target

    def _match_source(
        self, filters: QueueFilter, matched: Sequence[Any], rows: list[QueueRow], start: int
    ) -> KeysetSource:
        """The matches as the table reads them: a row's key is its place among the
        matches, and a page is read by the ids there (``queue_rows``)."""
        from coordinator_tui.services.registers import queue_rows

        app, today = self.coordinator, self.today

        def fetch(key: Any, backward: bool, limit: int) -> list[tuple[Any, QueueRow]]:
            if backward:
                stop = len(matched) if key is None else key
                lo = max(stop - limit, 0)
            else:
                lo = 0 if key is None else key + 1
                stop = min(lo + limit, len(matched))
            ids = [e.entry_id for e in matched[lo:stop]]
            with app.session() as session:
                found = queue_rows(session, today, filters, ids)
            place = {e.entry_id: lo + i for i, e in enumerate(matched[lo:stop])}
            return [(place[r.entry_id], r) for r in found]

        return KeysetSource(
            len(matched),
            fetch,
            lambda r: self._row_of(r, today),
            first=[(start + i, r) for i, r in enumerate(rows)],
            start=start,
            page_size=QUEUE_PAGE,
            id_of=lambda r: r.entry_id,
        )

    def _row_of(self, row: QueueRow, today: date) -> Row:
        """``queue_row`` once per entry read while ``/`` text is typed: the same table row
        for the same entry from key to key, which the table draws from its cache."""
        kept = self._rows_drawn.get(row.entry_id)
        if kept is not None and kept[0] is row and kept[1] == today:
            return kept[2]
        if len(self._rows_drawn) > 2000:
            self._rows_drawn.clear()
        drawn = queue_row(row, today)
        self._rows_drawn[row.entry_id] = (row, today, drawn)
        return drawn

    def _source(self, filters: QueueFilter, text: str, page: QueuePage, start: int) -> KeysetSource:
        """The rows as the table reads them: this page, then the next ones by key."""
        from coordinator_tui.services.registers import queue_page

        app, today = self.coordinator, self.today

        def read_page(key: Any, backward: bool, limit: int) -> QueuePage:
            with app.session() as session:
                return queue_page(
                    session, today, filters, text=text, key=key, backward=backward, limit=limit
                )

        assert page.counts is not None
        return KeysetSource.of_pages(
            page,
            read_page,
            lambda r: queue_row(r, today),
            total=page.counts.shown,
            start=start,
            page_size=QUEUE_PAGE,
            id_of=lambda r: r.entry_id,
        )

    def show_queue(
        self,
        source: KeysetSource,
        counts: QueueCounts | None,
        options: FilterOptions,
        index: int | None = None,
        generation: int | None = None,
        search: QueueSearch | None = None,
    ) -> None:
        if generation is not None and not self.read_landed(generation):
            return  # a newer read is on its way (the filter changed): its keys wait for it
        try:
            table = self.query_one(LazyTable)
        except NoMatches:  # the app closed while this read ran: its widgets are gone
            return
        if search is not None:
            self._search = search
        first_load = not self.loaded
        self.source = source
        self.counts = counts
        self.options = options
        table.empty_text = "Nothing due for review."
        table.set_source(source)
        if index is not None:
            table.cursor_row = min(index, max(len(source) - 1, 0))
        self.update_summary()
        # One frame for the typed text and its rows: the filter box's hold on the frames
        # is let go once the table's repaint has reached the screen.
        table.after_repaint(self.query_one("#queue-filter", FilterInput).rows_shown)
        self.loaded = True
        self.refresh_bindings()
        if first_load:
            # After the rows are painted: it reads every active entry (100,000 at ten
            # times the demo) in a thread that would hold the interpreter from the paint.
            self.call_after_refresh(self.load_compliance)
        self.read_shown()
        self.coordinator.screen_loaded(self)
        if first_load and self._text_while_loading:
            # "2/smith" typed as the app starts: the text came after the first read was
            # asked for, so its rows are read now (else the whole list shows under it).
            self._text_while_loading = False
            if self.query_one("#queue-filter", Input).value.strip():
                self.load_queue(keep_search=True)

    def show_refusal(self, message: str) -> None:
        """Nothing of the queue is shown: the refusal, in one line (issue 17)."""
        try:
            table = self.query_one(LazyTable)
        except NoMatches:  # the app closed while the read ran: nothing to show it on
            return
        self.source = None
        self.counts = None
        table.empty_text = ""
        table.set_source(ListSource([]))
        self.query_one("#queue-summary", Static).update(Text(message, style="bold red"))
        table.after_repaint(self.query_one("#queue-filter", FilterInput).rows_shown)
        self.loaded = True
        self.refresh_bindings()
        self.read_shown()
        self.coordinator.screen_loaded(self)

    def apply_text_filter(self) -> bool:
        """Typed text narrows the query (``services.registers.queue_text_condition``).
        True: rows are on their way to the screen (``show_queue`` has the filter box let
        go of the frames it holds once the table's repaint has reached the screen)."""
        if not self.loaded:  # the first read is on its way: it is read again when in
            self._text_while_loading = True
            return False
        self.load_queue(keep_search=True)  # shown now (``_matches_now``) or read in a thread
        return True

    def update_summary(self) -> None:
        counts = self.counts
        if counts is None:
            return
        noun = "escalated" if self.choice["status"] == "escalated" else "due"
        parts = [
            f"{counts.shown:,} {noun}"
            + (f" of {counts.total:,}" if counts.shown != counts.total else ""),
            f"{counts.overdue:,} overdue",
        ]
        late = counts.health_assessments_late
        if late:
            parts.append(f"{late:,} health assessment{'s' if late != 1 else ''} late")
        filters = []
        for key, label in (("practice", "practice"), ("category", "register"), ("lead", "lead")):
            if self.choice[key]:
                filters.append(f"{label} {self.choice[key][1]}")
        if self.choice["risk"]:
            filters.append(f"risk {self.choice['risk']}")
        filters.append(STATUS_LABEL[self.choice["status"]])
        self.query_one("#queue-summary", Static).update(
            Text.assemble(
                ("Review queue  ", "bold"),
                " · ".join(parts),
                ("   [" + ", ".join(filters) + "]", "dim"),
            )
        )

    def action_reload(self) -> None:
        self.load_queue()

    # -- filters ----------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.add_class("-shown")
        if self.loaded:
            self._read_search_ahead()
        # At once, not after the next refresh as ``focus()`` does: "/smi" typed in one go
        # must put "smi" in the filter, not send "s" to the list (snooze).
        self.set_focus(box)

    def action_clear_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        if box.value:
            box.value = ""
        box.remove_class("-shown")
        self.query_one(LazyTable).focus()

    @on(Input.Submitted, "#queue-filter")
    def filter_done(self, event: Input.Submitted) -> None:
        self.query_one(LazyTable).focus()

    def action_cycle(self, what: str) -> None:
        if self.options is None:
            return
        choices: list[Any]
        if what == "status":
            choices = list(STATUS_VIEWS)
        elif what == "risk":
            choices = [None, "high", "medium", "low"]
        else:
            source = {
                "practice": self.options.practices,
                "category": self.options.categories,
                "lead": self.options.leads,
            }[what]
            choices = [None, *source]
        current = self.choice[what]
        index = choices.index(current) if current in choices else 0
        self.choice[what] = choices[(index + 1) % len(choices)]
        self.load_queue()

    # -- actions ----------------------------------------------------------------------

    def highlighted(self) -> QueueRow | None:
        try:
            table = self.query_one(LazyTable)
        except NoMatches:  # the app is closing (the footer may still ask)
            return None
        if self.source is None or table.cursor_row >= len(self.source):
            return None
        try:
            return self.source.item(table.cursor_row)
        except IndexError:
            return None

    def _form(
        self,
        title: str,
        fields: list[Field],
        service: Callable[..., Undo],
        args: dict[str, str],
        done: Callable[[QueueRow, dict[str, Any]], str],
        escalation: str = "",
        note: str = "",
    ) -> None:
        """A form for the highlighted entry, saved by the one helper the actions share:
        ``service(session, entry id, version seen, today=, by=, **args)``, ``args``
        naming each keyword's field; ``done`` says what happened, naming the person (the
        toast); ``escalation``, the reason given when it was escalated, if the form is
        about that."""
        row = self.highlighted()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        context = f"{person_name(row)} · {row.category_name}"
        if note:
            context += f"\n{note}"
        if escalation:
            context += f"\n⚑ Escalated: {escalation}"
        elif row.escalated:
            context += (
                "\n⚑ Escalated to the safeguarding lead: it stays in the escalated view "
                "until the lead resolves it (E)"
            )
        today, user = self.today, self.coordinator.settings.user

        def apply(values: dict[str, Any]) -> Undo:
            given = {name: values[field] for name, field in args.items()}
            return self.write(
                lambda session: service(
                    session, row.entry_id, row.version, today=today, by=user, **given
                )
            )

        form = FormDialog(
            title,
            fields,
            today,
            context,
            save=BackgroundSave(
                write=apply,
                then=lambda values, token: self.saved(row, token, lambda: done(row, values)),
            ),
        )
        self.app.push_screen(form)

    def write(self, action: Callable[[Any], Undo]) -> Undo:
        """One unit of work through the service, run in the dialog's worker thread (the
        screen stays live while the database waits on a lock); a refusal (a refused
        action, a conflict, a locked database) is a ``CoordinatorError`` that the form
        shows, keeping what was typed, with nothing written."""
        with self.coordinator.session() as session:
            return action(session)

    def saved(self, row: QueueRow, token: Undo, done: Callable[[], str]) -> None:
        """After a save: say what was done to whom and move on to the entry that was next
        in the list (whatever the action did to this one's place): the reload finds the
        first still listed of those read after it, by key."""
        index = self.query_one(LazyTable).cursor_row
        source = self.source
        position = index
        if source is not None:
            position = next((i for i, r in source.loaded() if r.entry_id == row.entry_id), index)
        following = (
            [r.entry_id for _i, r in source.loaded(position + 1)][:FOLLOWING]
            if source is not None
            else []
        )
        self.undo_stack.append(token)
        self.notify(f"{done()} — u to undo", timeout=4)
        self.load_queue(land_on=following, index=index, hold_keys=True)  # the next key acts on it
        self.load_compliance()

    def _read_before_form(self, read: Callable[[Any], Any]) -> tuple[bool, Any]:
        """A small read a form needs before it opens: (True, what was read), or (False,
        None) with the refusal said (a colleague ended the entry, a busy database)."""
        try:
            with self.coordinator.session() as session:
                return True, read(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return False, None

    def action_review(self) -> None:
        from coordinator_tui.services.registers import mark_reviewed, proposed_next_review

        row = self.highlighted()
        if row is None:
            return
        read, proposed = self._read_before_form(
            lambda session: proposed_next_review(session, row.entry_id, self.today)
        )
        if not read:
            return

        def done(r: QueueRow, v: dict[str, Any]) -> str:
            text = f"Reviewed {person_name(r)}: next review {format_day(v['next'])}"
            return text + ("; still escalated to the lead (E resolves)" if r.escalated else "")

        self._form(
            "Reviewed",
            [
                Field("note", "Note (optional, one line)"),
                Field("next", "Next review", "date", value=proposed, required=True),
            ],
            mark_reviewed,
            {"note": "note", "next_review": "next"},
            done,
        )

    def action_snooze(self) -> None:
        from coordinator_tui.services.registers import snooze

        self._form(
            "Snooze the review",
            [
                Field("until", "Snooze until", "date", required=True, placeholder="+1w"),
                Field("note", "Why (optional)"),
            ],
            snooze,
            {"until": "until", "note": "note"},
            lambda r, v: f"Snoozed {person_name(r)}'s review to {format_day(v['until'])}",
        )

    def action_escalate(self) -> None:
        from coordinator_tui.services.registers import escalate

        self._form(
            "Escalate to the safeguarding lead",
            [Field("reason", "Reason", required=True)],
            escalate,
            {"reason": "reason"},
            lambda r, v: f"Escalated {person_name(r)} to the safeguarding lead",
        )

    def action_resolve(self) -> None:
        """The lead's answer to an escalation (``E`` on an escalated entry): the outcome
        is recorded beside the escalation and the entry leaves the escalated view."""
        from coordinator_tui.services.registers import entry_for_form, resolve_escalation

        row = self.highlighted()
        if row is None or not row.escalated:
            return
        with self.coordinator.session() as session:
            entry = entry_for_form(session, row.entry_id)
            reason = entry.escalation_reason if entry else ""
        self._form(
            "Resolve the escalation",
            [
                Field(
                    "outcome",
                    "What the lead decided",
                    required=True,
                    placeholder="e.g. strategy discussion held, plan agreed",
                )
            ],
            resolve_escalation,
            {"outcome": "outcome"},
            lambda r, v: f"Resolved the escalation of {person_name(r)}",
            escalation=reason or "(no reason recorded)",
        )

    def action_health_assessment(self) -> None:
        """``h`` on a looked-after child's entry: record a health assessment done (the
        date, today unless typed, and an optional note); the next falls due from it."""
        from coordinator_tui.services.dates import PAST
        from coordinator_tui.services.registers import (
            next_health_assessment,
            record_health_assessment,
        )

        row = self.highlighted()
        if row is None or row.health_assessment_due is None:
            return
        read, due = self._read_before_form(
            lambda session: next_health_assessment(session, row.entry_id, self.today)
        )
        if not read:
            return
        due_text = f"{due.label} due {format_day(due.due)}" if due else "no assessment due"

        def done(r: QueueRow, v: dict[str, Any]) -> str:
            return f"Health assessment of {person_name(r)} recorded ({format_day(v['on'])})"

        self._form(
            "Health assessment done",
            [
                Field("on", "Done on", "date", value=self.today, required=True, expects=PAST),
                Field("note", "Note (optional, one line)"),
            ],
            record_health_assessment,
            {"done_on": "on", "note": "note"},
            done,
            note=f"Next: {due_text}",
        )

    def action_change(self) -> None:
        from coordinator_tui.services.registers import (
            all_staff,
            change_entry,
            entry_for_form,
            register_choices,
        )

        row = self.highlighted()
        if row is None or self.options is None:
            return
        with self.coordinator.session() as session:
            entry = entry_for_form(session, row.entry_id)
            staff = all_staff(session)
            registers = register_choices(session)
        if entry is None:
            self.notify("That entry no longer exists", severity="error")
            return
        self._form(
            "Change register, risk or lead",
            [
                Field(
                    "category",
                    "Register (type a few letters, enter takes it)",
                    "choice",
                    value=entry.category_id,
                    options=tuple((c.label, c.id, c.search_text) for c in registers),
                ),
                Field(
                    "risk",
                    "Risk",
                    "select",
                    value=entry.risk_level,
                    options=(("High", "high"), ("Medium", "medium"), ("Low", "low")),
                ),
                Field(
                    "lead",
                    "Lead",
                    "select",
                    value=entry.lead_staff_id,
                    options=tuple((name, sid) for sid, name in staff),
                ),
            ],
            change_entry,
            {"category_id": "category", "risk_level": "risk", "lead_staff_id": "lead"},
            lambda r, v: f"Changed {person_name(r)}'s {r.category_code} registration",
        )

    def action_end(self) -> None:
        from coordinator_tui.services.dates import PAST
        from coordinator_tui.services.registers import end_registration

        self._form(
            "End the registration",
            [
                Field(
                    "reason",
                    "Reason",
                    required=True,
                    placeholder="e.g. plan ended at review conference",
                ),
                Field("date", "End date", "date", value=self.today, required=True, expects=PAST),
            ],
            end_registration,
            {"end_date": "date", "reason": "reason"},
            lambda r, v: (
                f"Ended {person_name(r)}'s {r.category_code} registration "
                f"on {format_day(v['date'])}"
            ),
        )

    def action_add(self) -> None:
        from coordinator_tui.screens.registers.add_registration import open_add_registration

        def saved(token: Undo, message: str) -> None:
            self.undo_stack.append(token)
            self.notify(f"{message} — u to undo", timeout=4)
            self.load_queue()

        open_add_registration(self.app, on_saved=saved)

    def action_undo(self) -> None:
        from coordinator_tui.services.registers import undo_last

        if not self.undo_stack:
            self.notify("Nothing to undo in this session", severity="warning")
            return
        entry_id = self.undo_stack[-1].entry_id
        source = self.source
        loaded = source.loaded() if source is not None else ()
        who = next((person_name(r) for _i, r in loaded if r.entry_id == entry_id), "")
        token = self.undo_stack[-1]
        # The worker undoes on a copy of the stack (it re-bases the earlier actions on the
        # same entry); the token leaves the screen's stack only once undone, so a refusal
        # (a conflict, a locked database) leaves ``u`` to be tried again.
        stack = list(self.undo_stack)
        app = self.coordinator

        def write() -> str:
            with app.session() as session:
                return undo_last(session, stack)

        def then(message: str) -> None:
            if token in self.undo_stack:
                self.undo_stack.remove(token)
            self.notify(f"{message} ({who})" if who else message, timeout=3)
            self.load_queue(  # the next key acts on the reloaded list
                land_on=[entry_id], index=self.query_one(LazyTable).cursor_row, hold_keys=True
            )
            self.load_compliance()

        self.write_in_background(write, then)

    def action_intake(self) -> None:
        self.coordinator.open_concern_intake(on_saved=self.load_compliance)

    def action_concerns(self) -> None:
        from coordinator_tui.screens.registers.concerns import ConcernsScreen

        self.app.push_screen(ConcernsScreen(), lambda _: self.load_compliance())

    def action_people(self) -> None:
        self.coordinator.open_people()

    def action_compliance(self) -> None:
        from coordinator_tui.screens.registers.compliance import ComplianceScreen

        self.app.push_screen(ComplianceScreen())

    @on(LazyTable.RowSelected, "#queue")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        row = self.shown_rows[event.index]
        self.coordinator.open_person(row.person_id)
