"""Rota (key 5): carers down, the seven days of the week across, checked as you change it.

Each cell shows the carer's visits and hours that day (``8 4.0h``: 8 visits, 4.0 hours)
after the worst problem's symbol: ✖ a hard problem (overlap, travel, skills, absence,
Working Time Regulations...), ▲ a soft one still to accept with a reason (preferences,
continuity, lone working, hours over contract), ✓ soft problems accepted. ``off`` is a day
of absence; ``◌`` (in a problem symbol's place) a day the carer shadows a visit: learning
it beside its carers, which is not staffing. The last column is the week's working time
(travel between visits included) against the contract, less the days of absence. On a
narrow screen a cell shows the visits only; the line under the grid gives the hours. The
line under the grid lists every problem of the highlighted cell; the panel below lists the
visits short of carers, a visit whose time has passed with nobody on it marked missed.

Keys: ``[`` and ``]`` move a week. ``enter`` on a cell opens the carer's day (``x``
unassign, ``w`` swap there). ``tab`` moves to the unassigned visits, where ``a`` (or
``enter``) ranks the carers for the visit: feasible first, scored by continuity, travel
added and preferences; the others with their reason. ``r`` accepts the cell's soft
problem with a recorded reason. ``b`` marks the carer absent (sickness, leave) and opens
Plan B: replacements for every visit affected not yet over, then the call list and Plan C
for what nobody can cover (on a day already off, ``b`` opens that absence's Plan B again).
``e`` corrects the absence on the cell (dates, reason), ``d`` removes it, offering to
put the carer back on the visits Plan B gave to others. ``u`` undoes the last change.
``g`` creates the week's visits from the care packages when it has none yet. ``c`` edits
the highlighted carer's working-time record (date of birth, night worker or inferred,
split-shift exemption, special hazards, a young worker's night contract, the 48-hour
opt-out); ``N`` sets when the agency's night time starts (23:00-06:00 unless set: 7 hours
including midnight to 05:00).
``s`` has the solver fill the week (``S`` the highlighted day) as a proposal to accept in
one step, per carer or per day, or not (``screens/rota/solve.py``); the changes not
accepted stay marked on the carers' days (``+`` a visit put on, ``−`` taken off, ``±``
both, underlined) until ``s`` shows them again to accept or ``X`` discards them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextvars import copy_context
from datetime import date, timedelta
from functools import partial
from threading import Event, Thread
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Static

from coordinator_tui.clock import moment_of
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.rota.presentation import (
    PENDING,
    PENDING_WORDS,
    STYLES,
    SYMBOLS,
    help_text,
    hours,
    problem_lines,
)
from coordinator_tui.screens.type_ahead import BUSY_HOLD_LIMIT_S, HELD, HeldKeys
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.rota.absences import KIND_NAMES
from coordinator_tui.services.rota.plan_b import ABSENCE_KINDS as PLAN_B_ABSENCE_KINDS
from coordinator_tui.widgets.cell_grid import CellGrid, GridColumn
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, MappedSource, Row
from coordinator_tui.widgets.navbar import SECTIONS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from coordinator_tui.services.rota.absences import AbsenceView, UndoResult
    from coordinator_tui.services.rota.assign import ChangeResult
    from coordinator_tui.services.rota.grid import Cell, RotaWeek
    from coordinator_tui.services.rota.grid_pages import FirstPage, PageCell
    from coordinator_tui.services.rota.problems import Problem
    from coordinator_tui.services.rota.validate import RotaState

UNASSIGNED_COLUMNS = [
    Column("Day", 9),
    Column("Time", 11),
    Column("Customer"),
    Column("Needs", 7),
    Column("Cover", 14),
    Column("Skills", 12, show_from=90),
    Column("Tasks", 0, show_from=110),
]

# The grid's columns. A day cell is the symbol's own place, a space, the visits (two
# places) and the hours (five: "12.5h"): "✖ 10 12.5h". Narrow: the symbol and the visits.
DAY_WIDTH, NARROW_DAY_WIDTH = 10, 5
WEEK_WIDTH = 12  # "✖ 30.2h/37.5"
NAME_MIN, NAME_MAX = 12, 26
PAGE_ROWS = 60  # the first screenful read before the week is checked (a tall terminal's)
EMPTY_GRID = "No carers yet."
PAINT_WAIT_S = 0.5  # the check waits this long at most for the first screenful's paint
SHORT_HEIGHT = 32  # below this many lines the unassigned list takes turns with the grid
TALL_HEIGHT = 36  # from this many lines the problems line has a line more

# The absence kinds offered: the service's own list and names (a screen's copy drifted).
ABSENCE_KINDS = tuple((KIND_NAMES[kind], kind) for kind in PLAN_B_ABSENCE_KINDS)
HANDED_ON = {"escalated": "→ manager", "agency": "→ agency"}


# A solver's proposal not yet accepted, drawn on the carer's day (``Proposal.cell_marks``).
DIFF_MARKS = {"gains": "+", "loses": "−", "both": "±", "retimed": "~"}


def spare_the_collector() -> None:
    """Before the cold open reads the whole week: what the app holds so far is left out
    of the collector's later passes, as the app's start does (``app.collector_back_on``).
    The week read next (10,000 visits at ten times the demo) otherwise set off a full
    collection of the app's whole heap in the loading thread: 120-390 ms with the
    interpreter held, the screen unable to paint (issue 23 §1). Only in a process whose
    start froze its heap (the launched app): frozen objects are never collected, so a
    process that runs app after app (the tests) would keep each one's garbage."""
    if gc.get_freeze_count():
        gc.collect(1)  # the young garbage first (a few milliseconds), not frozen
        gc.freeze()


def grid_cell(cell: Cell, narrow: bool = False, diff: str = "") -> Text:
    """``✖ 3  4.5h``: the worst problem's symbol in its own place, then visits and hours
    (narrow: ``✖  3``); ``off`` when absent; ``·`` when free. One style for the whole
    cell, so the symbol and its figures read as one. ``diff``: what a pending solver's
    proposal does to the day (``DIFF_MARKS``), in the place after the symbol, underlined."""
    if diff:
        plain = grid_cell(cell, narrow)
        style = f"{plain.style} underline".strip()
        if cell.visits:  # ``✖+ 3  4.5h``: after the problem's symbol
            return Text(f"{plain.plain[:1]}{DIFF_MARKS[diff]}{plain.plain[2:]}", style=style)
        return Text(f"{DIFF_MARKS[diff]} {plain.plain}", style=style)  # ``+ ·``, ``− off``
    kind = cell.level
    if cell.absent and not cell.visits:
        return Text("off", style="dim italic")
    if not cell.visits:
        # ``◌``: only shadowing that day (issue 18 §7), which is not staffing
        return Text("◌" if cell.shadows else "·", style="dim")
    mark = SYMBOLS[kind] or ("◌" if cell.shadows else " ")
    if cell.absent:
        body = "off" if narrow else f"{cell.visits:>2} off"
    else:
        body = f"{cell.visits:>2}" if narrow else f"{cell.visits:>2} {hours(cell.minutes):>5}"
    return Text(f"{mark} {body}", style=STYLES[kind])


def page_cell(cell: PageCell, narrow: bool = False) -> Text:
    """A cell of the first screenful (``grid_pages``): as ``grid_cell`` draws it, with
    ``…`` in the problem symbol's place while the week is being checked."""
    if cell.absent and not cell.visits:
        return Text("off", style="dim italic")
    if not cell.visits:
        return Text("◌" if cell.shadows else "·", style="dim")
    if cell.absent:
        body = "off" if narrow else f"{cell.visits:>2} off"
    else:
        body = f"{cell.visits:>2}" if narrow else f"{cell.visits:>2} {hours(cell.minutes):>5}"
    return Text(f"{PENDING} {body}", style="dim")


def week_cell(minutes: int, due: int, worst: Problem | None) -> Text:
    """``▲ 41.5h/37.5``: the week's working time against the contract (less absence)."""
    from coordinator_tui.services.rota.grid import level

    kind = level(worst)
    figure = f"{hours(minutes)}/{round(due / 60, 1):g}"
    return Text(f"{SYMBOLS[kind] or ' '} {figure:>{WEEK_WIDTH - 2}}", style=STYLES[kind])


def pending_week_cell(due: int) -> Text:
    """``… …/37.5``: the contract (less absence) known, the week's hours being worked out
    (they include the travel between visits, which comes with the checks)."""
    figure = f"{PENDING}/{round(due / 60, 1):g}"
    return Text(f"{PENDING} {figure:>{WEEK_WIDTH - 2}}", style="dim")


def legend(narrow: bool, width: int) -> Text:
    """The one line that says what a cell holds: the longest wording that fits."""
    cell = "8 = visits that day" if narrow else "8 4.0h = visits and hours that day"
    wordings = [
        [
            cell,
            "✖ hard problem",
            "▲ soft, to accept (r)",
            "✓ accepted",
            "off absent",
            "◌ shadowing",
            "week: hours/contract",
        ],
        [
            cell,
            "✖ hard",
            "▲ to accept (r)",
            "✓ accepted",
            "off absent",
            "◌ shadow",
            "week: h/contract",
        ],
        [cell, "✖ hard", "▲ to accept (r)", "✓ accepted", "off absent", "week: h/contract"],
        [cell, "✖ hard", "▲ to accept (r)", "✓ accepted", "off absent"],
        [cell.replace(" that day", ""), "✖ hard", "▲ to accept", "✓ accepted", "off absent"],
    ]
    # (the shadowing and the week's columns are unstyled: the dim of the whole line)
    styles = ["", STYLES["hard"], STYLES["soft"], STYLES["accepted"], "italic", "", ""]
    for parts in wordings:
        if len(" · ".join(parts)) <= width:
            break
    text = Text(style="dim")
    for index, (words, style) in enumerate(zip(parts, styles, strict=False)):
        if index:
            text.append(" · ")
        text.append(words, style=style)
    text.truncate(width, overflow="ellipsis")
    return text


class RotaScreen(BackgroundWrites, SectionScreen):
    MODE = "rota"
    SAVING_LINE = "#rota-problems"
    CSS_PATH = "rota.tcss"
    HELP = help_text(__doc__)
    BINDINGS = [
        Binding("left_square_bracket", "week(-1)", "Prev week", id="rota.prev_week"),
        Binding("right_square_bracket", "week(1)", "Next week", id="rota.next_week"),
        Binding("a", "assign", "Assign", id="rota.assign"),
        Binding("r", "accept", "Accept", id="rota.accept"),
        Binding("b", "absent", "Absent/Plan B", id="rota.absent"),
        Binding("e", "edit_absence", "Edit absence", id="rota.edit_absence"),
        Binding("d", "remove_absence", "Remove absence", id="rota.remove_absence"),
        Binding("u", "undo", "Undo", id="rota.undo"),
        Binding("g", "generate", "Generate visits", show=False, id="rota.generate"),
        Binding("s", "solve", "Solve", show=False, id="rota.solve"),
        Binding("S", "solve(True)", "Solve day", show=False, id="rota.solve_day"),
        Binding("X", "discard_proposal", "Discard proposal", show=False, id="rota.discard"),
        Binding("tab,shift+tab", "switch_panel", "Grid/unassigned", show=False, id="rota.tab"),
        Binding("f5", "reload", "Reload", show=False, id="rota.reload"),
        Binding("c", "carer", "Carer's working time", show=False, id="rota.carer"),
        Binding("N", "night_time", "Night time", show=False, id="rota.night_time"),
    ]

    # Keys that act at once while a week loads (not held for its checks, when nothing was
    # typed before them; type_ahead.hold_for_busy): ``[`` and ``]`` (a week stepped past is
    # never read in full, so "]]]" lands three weeks on) and the section keys (leaving
    # the rota needs nothing of the week).
    KEYS_NOT_HELD = frozenset(
        {"left_square_bracket", "right_square_bracket", *(key for _, _, key in SECTIONS)}
    )

    def __init__(self) -> None:
        super().__init__()
        self.week: date | None = None
        self.rota: RotaWeek | None = None
        self.unassigned: list[int] = []
        self.undo_stack: list[tuple[ChangeResult, str]] = []
        self.swap_mark: tuple[int, int] | None = None  # (visit, carer) chosen with w
        self.loaded = False
        self.narrow = False  # day cells show the visits only
        self._shown_name_width = 0  # the carers' column as last laid out
        self._mounted = False
        self._pending: RotaWeek | None = None
        # The first screenful, shown while the week is checked (cold open, issue 23 §1):
        # the page, and a callback the loading thread waits on (the page is painted).
        self.page: FirstPage | None = None
        self._pending_page: tuple[FirstPage, Callable[[], object]] | None = None
        self._load_error = ""  # a first load that failed before the screen was mounted
        # A solver's proposal left with changes not accepted: (proposal, visits accepted);
        # its changes are marked on the grid until accepted (s) or discarded (X).
        self.proposal_pending: tuple[Any, set[int]] | None = None
        # Keys typed during the cold open, or while a week stepped to loads: let go when
        # its checked week is on screen (``_let_first_keys_go``).
        self._first_hold: HeldKeys | None = None
        self._stepped_cursor: tuple[int, int] | None = None  # the grid's, at ``[``/``]``
        # Start loading the week at once when the database is open: mounting the section
        # (its stylesheet, the tables) takes longer than the first frame should wait for.
        try:
            app = self.coordinator
        except Exception:  # built outside a running app
            return
        # The height's classes before the screen is first styled (as it is registered):
        # set once it is, each restyled the screen (2 ms of the cold open, issue 23 §1).
        self._fit_height(app.size.height, update=False)
        if getattr(app, "engine", None) is not None:
            today = app.settings.current_date()
            self.week = today - timedelta(days=today.weekday())
            # A plain thread starts now; a worker would wait for the event loop, which is
            # busy mounting this screen. Later loads (weeks, reloads) use the worker.
            # Keys typed from now until the checked week is on screen wait for it (an
            # ``a`` or ``r`` needs the checks), then are read in the order typed.
            held = self.__dict__[HELD] = self._first_hold = HeldKeys()
            held.loading = 1
            context = copy_context()  # the thread sees the running app, as a worker does
            Thread(target=context.run, args=(self._first_load,), daemon=True).start()

    def compose_body(self) -> ComposeResult:
        # The height's classes before the widgets are styled: set after the mount, they
        # restyled the whole screen (6 ms of the cold open, issue 23 §1). Set already
        # when the screen was made for this size (``__init__``).
        self._fit_height(self.app.size.height)
        with Container(id="rota-body"):
            yield Static("Loading the rota…", id="rota-summary")
            yield Static("", id="rota-measures")
            yield Static("", id="rota-legend")
            yield CellGrid(id="rota-grid", empty_text=EMPTY_GRID)
            yield Static("", id="rota-problems")
            yield Static("", id="rota-unassigned-title")
            yield LazyTable(
                UNASSIGNED_COLUMNS,
                empty_text="",  # said once the week is checked (not while it loads)
                id="rota-unassigned",
            )

    def on_database_ready(self) -> None:
        self._mounted = True  # the grid has the focus already (the first focusable widget)
        self._fit_height()
        held = self.__dict__.get(HELD)
        if isinstance(held, HeldKeys) and held.loading and not held.timers:
            # The first load's hold on keys has a time limit too (a load that never
            # lands must not swallow the keyboard).
            token = object()
            held.timers[token] = self.set_timer(
                BUSY_HOLD_LIMIT_S, partial(self._hold_limit_reached, held, token)
            )
        if self.week is None:
            today = self.coordinator.settings.current_date()
            self.week = today - timedelta(days=today.weekday())
            self.load()
        elif self._pending is not None:
            self.show(self._pending)
        elif self._load_error:
            self.not_loaded(self._load_error)
        elif self._pending_page is not None:
            self.show_page(*self._pending_page)

    def on_resize(self) -> None:
        self._fit_height()
        if (self.rota is not None or self.page is not None) and self._mounted:
            narrow = self._is_narrow()
            if narrow != self.narrow or self._name_width() != self._shown_name_width:
                self._set_columns()
            self.show_cell_problems()

    def _fit_height(self, height: int | None = None, update: bool = True) -> None:
        """Short screens (24 lines): the grid and the unassigned list take turns (``tab``),
        so the grid shows twelve carers rather than seven. ``update``: restyle now (not
        before the screen is first styled)."""
        height = self.size.height if height is None else height
        self.set_class(height < SHORT_HEIGHT, "-short", update=update)
        self.set_class(height >= TALL_HEIGHT, "-tall", update=update)

    # -- loading and drawing -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="rota")
    def load(self) -> None:
        assert self.week is not None
        self._load_week(self.week)

    def _first_load(self) -> None:
        """In a thread, on the cold open: the week in two stages (``_staged_load``)."""
        week = self.week
        assert week is not None
        self._staged_load(week)

    @work(thread=True, exclusive=True, group="rota")
    def load_staged(self) -> None:
        """In a worker, on ``[`` or ``]``: the week now chosen in two stages."""
        week = self.week
        assert week is not None
        self._staged_load(week)

    def _staged_load(self, week: date) -> None:
        """In a thread: the first screenful (``grid_pages``), painted before the whole
        week is read and checked, which then replaces it (at ten times the demo the
        checked week takes half a second; its first screenful a tenth, issue 23 §1).
        The check waits for that paint (or ``PAINT_WAIT_S``): run beside it, it would
        hold the interpreter from the screen being built and drawn. A week stepped past
        meanwhile (``]`` again) is not read further."""
        from coordinator_tui.services.rota.grid_pages import first_page

        try:
            with self.coordinator.session() as session:
                page = first_page(session, week, PAGE_ROWS)
        except CoordinatorError as exc:
            self._call_from_thread(self.not_loaded, str(exc))
            return
        if self.week != week:
            return
        painted = Event()
        if not self._call_from_thread(self.show_page, page, painted.set):
            return
        painted.wait(PAINT_WAIT_S)
        if self.week != week:
            return
        spare_the_collector()
        self._load_week(week)

    def _call_from_thread(self, callback: Callable[..., object], *args: object) -> bool:
        """``callback(*args)`` on the app's thread; False when the app has closed, or
        the screen gone, while the week was read (nothing to show it on)."""
        return call_from_worker(self, callback, *args)

    def _load_week(self, week: date) -> None:
        """In a thread: read and check the week, then show it on the app's thread. A
        database that cannot be read says so where the week would be (F5 tries again)."""
        from coordinator_tui.services.rota.grid import RotaWeek

        try:
            with self.coordinator.session() as session:  # its moment is the week's "now"
                rota = RotaWeek.load(session, week)
        except CoordinatorError as exc:
            self._call_from_thread(self.not_loaded, str(exc))
            return
        self._call_from_thread(self.show, rota)

    def not_loaded(self, message: str) -> None:
        if not self._mounted:  # said once the screen is mounted
            self._load_error = message
            return
        self._load_error = message
        self.query_one("#rota-summary", Static).update(
            Text(f"The rota could not be loaded: {message} F5 tries again.", style="bold red")
        )
        if self.page is not None and self.rota is None:
            # The first screenful stays as read (its marks unresolved), no longer said
            # to be on its way.
            self.query_one("#rota-measures", Static).update("")
            self.query_one("#rota-unassigned-title", Static).update("")
            self.show_cell_problems()
        self._let_first_keys_go()  # the keys held for the first load go on

    def show_page(self, page: FirstPage, painted: Callable[[], object]) -> None:
        """The first screenful while the week is checked: each carer's visits and hours
        a day, the problem symbols and the week's hours marked ``…`` as coming. Nothing
        here changes when the checked week replaces it but what is marked."""
        if page.monday != self.week or self.rota is not None or self._pending is not None:
            painted()  # the week came first, or the screen moved on: nothing to show
            return
        if not self._mounted:
            self._pending_page = (page, painted)
            return
        self._pending_page = None
        self.page = page
        today = self.coordinator.settings.current_date()
        cursor = self._stepped_cursor
        if cursor is None or cursor == (0, 0):
            cursor = (0, page.days.index(today) + 1) if today in page.days else (0, 0)
        else:  # a week stepped to: the same row and day as the week before, if listed
            cursor = (min(cursor[0], max(len(page.rows) - 1, 0)), cursor[1])
        self._set_columns(cursor)
        self.query_one("#rota-summary", Static).update(
            Text.assemble(
                (f"Week of {page.monday:%a %d %b %Y}", "bold"),
                f" · {page.carer_count} carers · {page.visit_count:,} visits · ",
                (PENDING_WORDS, "dim italic"),
            )
        )
        self.query_one("#rota-measures", Static).update(
            Text(
                "Problems, continuity, travel and hours worked: being worked out…",
                style="dim italic",
            )
        )
        self.query_one("#rota-unassigned-title", Static).update(
            Text("Unassigned visits: being worked out…", style="bold")
        )
        self.show_cell_problems()
        self.coordinator.screen_loaded(self)  # the first screenful is the data on screen
        self.app.call_after_refresh(painted)

    def show(self, rota: RotaWeek) -> None:
        if rota.monday != self.week:  # a week moved away from while it was loading
            return
        if not self._mounted:  # loaded before the screen was mounted: shown once it is
            self._pending = rota
            return
        self._pending = None
        self._pending_page = None
        self._load_error = ""
        self.page = None
        self.rota = rota
        grid = self.query_one("#rota-grid", CellGrid)
        cursor = grid.cursor
        today = self.coordinator.settings.current_date()
        if not self.loaded and cursor == (0, 0) and today in rota.days:
            cursor = (0, rota.days.index(today) + 1)  # first load: today
        self._set_columns(cursor)
        panel = self.query_one("#rota-unassigned", LazyTable)
        panel.empty_text = "Every visit this week has its carers."
        self._draw_after_change(None)
        self.loaded = True
        self.coordinator.screen_loaded(self)
        self._days_follow()
        self._let_first_keys_go()  # the keys typed while the week was read and checked

    def _let_first_keys_go(self) -> None:
        """The cold open's hold on keys (set in ``__init__``) ends: its keys are read
        again, in the order typed, unless a write holds them now (its end does)."""
        held, self._first_hold = self._first_hold, None
        if held is not None and self.__dict__.get(HELD) is held:
            self.keys_loaded()

    def _days_follow(self) -> None:
        """A carer's day open over the grid shows the week as the grid now does."""
        from coordinator_tui.screens.rota.carer_day import CarerDayScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, CarerDayScreen) and screen.rota_screen is self:
                screen.refresh_day()

    def _room(self) -> int:
        """Cells across for the grid (the body's padding and the scrollbar taken off)."""
        return max(self.size.width - 4, 40)

    def _is_narrow(self) -> bool:
        return self._room() < NAME_MIN + 1 + 7 * (DAY_WIDTH + 1) + WEEK_WIDTH + 1

    def _name_width(self) -> int:
        """The carers' column: their longest name, within what the week leaves."""
        day = NARROW_DAY_WIDTH if self._is_narrow() else DAY_WIDTH
        left = self._room() - 7 * (day + 1) - (WEEK_WIDTH + 1) - 1
        if self.rota is not None:
            longest = max((len(c.name) for c in self.rota.carers), default=NAME_MIN)
        else:  # the first screenful: the longest of every carer listed, as the week's
            longest = self.page.longest_name if self.page is not None else 0
        return max(NAME_MIN, min(left, longest, NAME_MAX))

    def _set_columns(self, cursor: tuple[int, int] | None = None) -> None:
        rota, page = self.rota, self.page
        assert rota is not None or page is not None
        self.narrow = self._is_narrow()
        self._shown_name_width = name_width = self._name_width()
        today = self.coordinator.settings.current_date()
        day_width = NARROW_DAY_WIDTH if self.narrow else DAY_WIDTH
        columns = [GridColumn("Carer", name_width)]
        for day in rota.days if rota is not None else page.days:  # type: ignore[union-attr]
            label = f"{day:%a}"[:2] + f" {day:%d}" if self.narrow else f"{day:%a %d}"
            missed = rota.missed_on(day) if rota is not None else 0
            if missed and not self.narrow:
                label += f" ✖{missed}"
            style = "bold reverse" if day == today else "bold"
            columns.append(GridColumn(Text(label, style=style), day_width))
        columns.append(GridColumn("Week/contr.", WEEK_WIDTH))
        grid = self.query_one("#rota-grid", CellGrid)
        grid.empty_text = EMPTY_GRID
        if rota is not None:
            grid.set_grid(columns, len(rota.carers), self._grid_row, cursor=cursor)
        else:  # the first screenful's rows; the rest come with the checked week
            grid.set_grid(columns, len(page.rows), self._page_row, cursor=cursor)  # type: ignore[union-attr]
        self._draw_legend()

    def _page_row(self, index: int) -> list[Text]:
        """Row ``index`` of the first screenful: checks and the week's hours to come."""
        assert self.page is not None
        row = self.page.rows[index]
        cells = [
            Text(row.name),
            *(page_cell(cell, self.narrow) for cell in row.cells),
            pending_week_cell(row.due_minutes),
        ]
        for text in cells:
            text.no_wrap, text.overflow, text.end = True, "crop", ""
        return cells

    def _draw_legend(self) -> None:
        """The legend; while a proposal is pending, what its marks mean first; while
        the week is being checked, what its ``…`` means."""
        width = self.size.width - 2
        if self.rota is None and self.page is not None:
            text = Text(f"{PENDING} being checked · ", style="bold")
            text.append_text(legend(self.narrow, max(width - len(text), 10)))
            text.truncate(width, overflow="ellipsis")
            self.query_one("#rota-legend", Static).update(text)
            return
        marks = self._proposal_marks()
        if not marks:
            self.query_one("#rota-legend", Static).update(legend(self.narrow, width))
            return
        text = Text.assemble(
            ("+ − ± ~ ", "bold underline"),
            (f"proposal: {len(marks)} day(s) · s to accept · X discard · ", "bold"),
        )
        text.append_text(legend(self.narrow, max(width - len(text), 10)))
        text.truncate(width, overflow="ellipsis")
        self.query_one("#rota-legend", Static).update(text)

    def _proposal_marks(self) -> dict[tuple[int, date], str]:
        """(carer, day) -> what the pending proposal does there (this week's only)."""
        if self.proposal_pending is None:
            return {}
        proposal, done = self.proposal_pending
        if proposal.monday != self.week:
            return {}
        return proposal.cell_marks(done)

    def _grid_row(self, index: int) -> list[Text]:
        """The grid's row ``index``: drawn only when on screen."""
        assert self.rota is not None
        return self._row_cells(self.rota.carers[index].id)

    def _row_cells(self, carer_id: int) -> list[Text]:
        assert self.rota is not None
        carer = self.rota.carer(carer_id)
        cells, week_worst = self.rota.row(carer_id)
        marks = self._proposal_marks()
        row = [
            Text(carer.name),
            *(
                grid_cell(cell, self.narrow, marks.get((carer_id, day), ""))
                for cell, day in zip(cells, self.rota.days, strict=False)
            ),
            week_cell(
                self.rota.week_minutes(carer_id), self.rota.due_minutes(carer_id), week_worst
            ),
        ]
        for text in row:  # one line each: half the drawing time of wrapped text
            text.no_wrap, text.overflow, text.end = True, "crop", ""
        return row

    def _update_rows(self, carer_ids: set[int]) -> None:
        assert self.rota is not None
        index = {carer.id: number for number, carer in enumerate(self.rota.carers)}
        self.query_one("#rota-grid", CellGrid).refresh_rows(
            [index[c] for c in carer_ids if c in index]
        )

    def _draw_after_change(self, touched: set[int] | None) -> None:
        """Redraw what a change affects: the rows of ``touched`` carers (None: all were
        just drawn), the unassigned panel, the measures and the problems line."""
        rota = self.rota
        assert rota is not None
        if touched is not None:
            rota.forget(touched)
            self._update_rows(touched)
        panel = self.query_one("#rota-unassigned", LazyTable)
        current = panel.current_row
        self.unassigned = rota.unassigned()
        panel.set_source(
            MappedSource(self.unassigned, self._unassigned_row),
            keep_key=current.key if current else None,
        )
        self._draw_summary()
        self.show_cell_problems()

    def _unassigned_row(self, visit_id: int) -> Row:
        from coordinator_tui.services.rota.grid import local

        rota = self.rota
        assert rota is not None
        visit = rota.visit(visit_id)
        start, end = local(visit.start), local(visit.end)
        missed = rota.missed(visit_id)
        handed = HANDED_ON.get(rota.handed_on.get(visit_id, ""), "")
        cover = Text(f"✖ {missed}", style="bold red") if missed else Text(handed, style="yellow")
        return Row(
            visit_id,
            (
                f"{start:%a %d/%m}",
                f"{start:%H:%M}-{end:%H:%M}",
                rota.customer_name(visit_id),
                f"{rota.state.short_of(visit_id)} of {visit.carers_required}",
                cover,
                " ".join(visit.skills),
                rota.tasks.get(visit_id, ""),
            ),
        )

    def _draw_summary(self) -> None:
        rota = self.rota
        assert rota is not None
        hard, soft = rota.counts()
        visits = len(rota.state.snap.visits)
        summary = Text.assemble(
            (f"Week of {rota.monday:%a %d %b %Y}", "bold"),
            f" · {len(rota.carers)} carers · {visits:,} visits · ",
            (f"✖ {hard:,} hard", "bold red" if hard else "green"),
            " · ",
            (f"▲ {soft:,} soft", "yellow" if soft else "green"),
        )
        self.query_one("#rota-summary", Static).update(summary)
        figures = rota.measures()
        continuity = (
            f"{figures.overall_continuity:.0%}" if figures.overall_continuity is not None else "–"
        )
        worked = sum(h.worked_minutes for h in figures.hours)
        due = sum(h.due_minutes for h in figures.hours)
        over = sum(1 for h in figures.hours if h.over_contract)
        missed = sum(1 for v in self.unassigned if rota.missed(v))
        short = f"{figures.unassigned_visits:,} unassigned"
        if missed:
            short += f" ({missed} missed)"
        self.query_one("#rota-measures", Static).update(
            Text.assemble(
                f"Continuity {continuity} · ",
                (short, "bold red" if figures.unassigned_visits else ""),
                f" · travel {figures.total_travel_minutes / 60:,.0f}h · ",
                f"{worked / 60:,.0f}/{due / 60:,.0f}h of contract",
                (f" · {over} over" if over else "", "yellow"),
            )
        )
        if not visits:
            title = "No visits this week yet: g creates them from the care packages"
        else:
            title = f"Unassigned visits ({len(self.unassigned):,}"
            title += f", {missed} missed): " if missed else "): "
            if not self.has_class("-short"):
                title += "a assigns"
            elif self.has_class("-list"):
                title += "a assigns, tab back to the grid"
            else:
                title += "tab shows them"
        self.query_one("#rota-unassigned-title", Static).update(Text(title, style="bold"))

    # -- the cell under the cursor -----------------------------------------------------

    def current_carer(self) -> int | None:
        grid = self.query_one("#rota-grid", CellGrid)
        if self.rota is None or not self.rota.carers:
            return None
        return self.rota.carers[min(grid.cursor_row, len(self.rota.carers) - 1)].id

    def current_cell(self) -> tuple[int, date | None] | None:
        """The carer and day under the grid's cursor (day None on the name or week column)."""
        carer_id = self.current_carer()
        if carer_id is None or self.rota is None:
            return None
        column = self.query_one("#rota-grid", CellGrid).cursor_column
        return carer_id, self.rota.days[column - 1] if 1 <= column <= 7 else None

    @on(CellGrid.CellHighlighted, "#rota-grid")
    def show_cell_problems(self) -> None:
        """The line under the grid: the cell's visits and hours, then every problem."""
        line = self.query_one("#rota-problems", Static)
        cell = self.current_cell()
        if cell is None or self.rota is None:
            pending = self.page is not None and self.rota is None and not self._load_error
            words = "Checking the week: each cell's problems follow."
            line.update(Text(words, style="dim italic") if pending else "")
            return
        rota = self.rota
        carer_id, day = cell
        problems = rota.cell_problems(carer_id, day)
        head = Text(rota.carer_name(carer_id), style="bold")
        if day is None:
            figures = (
                f", the week: {hours(rota.week_minutes(carer_id))} "
                f"of {hours(rota.due_minutes(carer_id))} contracted"
            )
        else:
            cells, _ = rota.row(carer_id)
            one = cells[rota.days.index(day)]
            figures = f", {day:%a %d %b}: "
            figures += "off · " if one.absent else ""
            figures += f"{one.visits} visits, {hours(one.minutes)}" if one.visits else "no visits"
        head.append(figures)
        pending = self.proposal_pending
        if day is not None and pending is not None and pending[0].monday == self.week:
            changes = pending[0].cell_changes(carer_id, day, pending[1])
            if changes:
                head.append(
                    f" · proposal: {len(changes)} change(s), s to see and accept",
                    style="bold underline",
                )
        if not problems:
            head.append(" · no problems", style="green")
            line.update(head)
            return
        hard = sum(1 for p in problems if p.is_hard)
        soft = sum(1 for p in problems if not p.is_hard and not p.accepted)
        head.append(" · ")
        head.append(f"✖ {hard} hard" if hard else "", style="bold red")
        head.append(" · " if hard and soft else "")
        head.append(f"▲ {soft} to accept (r)" if soft else "", style="yellow")
        if not hard and not soft:
            head.append("✓ accepted with a reason", style="green")
        width = max(self.size.width - 4, 20)
        lines = 1 if self.has_class("-short") else 3 if self.has_class("-tall") else 2
        line.update(Text("\n").join([head, *problem_lines(problems, lines, width)]))

    # -- changes -----------------------------------------------------------------------

    def run_change(
        self,
        change: Callable[[Session, RotaState, str], ChangeResult],
        describe: str,
        *,
        after: Callable[[], None] | None = None,
    ) -> None:
        """Make a change through the services (audited, one transaction) in a worker
        thread, the grid live meanwhile (``BackgroundWrites``): ``change(session, state,
        rationale)`` is made on a copy of the week (``RotaState.fork``), which takes the
        shown week's place once saved; a refusal leaves the week as it was. A change that
        brings soft problems asks for a reason (then made from that dialog); hard ones are
        refused with the reasons."""
        rota = self.rota
        if rota is None:
            return
        work = rota.state.fork()  # here, on the UI thread: drawing fills the week's caches

        def write() -> ChangeResult:
            with self.coordinator.session() as session:
                return change(session, work, "")

        def refused(exc: CoordinatorError) -> None:
            from coordinator_tui.services.rota.assign import HardProblemsError, RationaleRequired

            if isinstance(exc, RationaleRequired):
                self.ask_rationale(exc.problems, self._with_rationale(change, describe, after))
            elif isinstance(exc, HardProblemsError):
                self.notify(
                    "\n".join(f"✖ {p.message}" for p in exc.problems[:4]),
                    title="Not allowed: a hard rule",
                    severity="error",
                    timeout=8,
                )
            else:
                self.say_refused(exc)

        self.write_in_background(
            write, lambda result: self._made(rota, work, result, describe, after), refused=refused
        )

    def _made(
        self,
        rota: RotaWeek,
        state: RotaState,
        result: ChangeResult,
        describe: str,
        after: Callable[[], None] | None,
    ) -> None:
        """On the UI thread, once saved: the week changed in the worker is the one shown,
        the carers it touched redrawn; the change can be undone."""
        self.undo_stack.append((result, describe))
        self._show_changed(rota, state, result)
        self.notify(f"{describe}: u to undo", timeout=4)
        if after is not None:
            after()

    def _show_changed(self, rota: RotaWeek, state: RotaState, result: ChangeResult) -> None:
        if self.rota is rota:
            rota.state = state
            self.changed(result)
            self._days_follow()  # ``u`` on a carer's day, say: written after it returned
        else:  # the week was read again (or left) while the write waited: read it again
            self.load()

    def changed(self, result: ChangeResult) -> None:
        touched = {
            c for carers in (*result.before.values(), *result.after.values()) for c in carers
        }
        self._draw_after_change(touched)

    def write(self, work: Callable[[Session], object]) -> str | None:
        """Run a service call in one audited transaction; the reason if it was refused
        or could not be saved (a dialog shows it and stays open), None when saved."""
        try:
            with self.coordinator.session() as session:
                work(session)
        except CoordinatorError as exc:
            return str(exc)
        return None

    def _with_rationale(
        self,
        change: Callable[[Session, RotaState, str], ChangeResult],
        describe: str,
        after: Callable[[], None] | None,
    ) -> BackgroundSave:
        """The change again with the reason typed: written in the dialog's worker thread
        on a copy of the week (the grid live while the database waits; a refusal stays in
        the dialog with the reason typed), then shown, said and made undoable on the UI
        thread."""
        from coordinator_tui.services.rota.assign import HardProblemsError

        rota = self.rota
        assert rota is not None
        shown = rota.state.fork()  # the week as the dialog opened over it

        def write(values: dict[str, Any]) -> tuple[ChangeResult, RotaState]:
            attempt = shown.fork()  # each try on its own copy: a refused one changes nothing
            try:
                with self.coordinator.session() as session:
                    return change(session, attempt, values["rationale"]), attempt
            except HardProblemsError as exc:
                problems = "; ".join(p.message for p in exc.problems[:2])
                raise CoordinatorError(f"Not allowed: {problems}") from exc

        def then(_values: dict[str, Any], made: tuple[ChangeResult, RotaState]) -> None:
            result, state = made
            self._made(rota, state, result, describe, after)

        return BackgroundSave(write, then)

    def background_save(self, save: Callable[[dict[str, Any]], str | None]) -> BackgroundSave:
        """A dialog's ``save`` (which writes through :meth:`write`, touching no widget)
        run in the dialog's worker thread, so the grid stays live while the database
        waits on a lock; its refusal stays in the dialog with what was typed. What
        follows the save runs on the UI thread (the dialog's dismiss callback)."""

        def write(values: dict[str, Any]) -> None:
            problem = save(values)
            if problem:
                raise CoordinatorError(problem)

        return BackgroundSave(write)

    def ask_rationale(self, problems: list[Problem], save: BackgroundSave) -> None:
        """A reason for the soft problems; the change is made from the dialog, which stays
        open with what was typed if it is refused or the database cannot take it."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog

        context = "\n".join(f"▲ {p.title}: {p.message}" for p in problems[:6])
        self.app.push_screen(
            FormDialog(
                "Accept with a reason",
                [Field("rationale", "Why (recorded for CQC)", required=True)],
                self.coordinator.settings.current_date(),
                context=context,
                save=save,
            )
        )

    def action_undo(self) -> None:
        """``u``: the last change of this session put back, written in a worker thread
        on a copy of the week (as ``run_change``); a refusal leaves the week as shown."""
        from coordinator_tui.services.rota.assign import undo

        if not self.undo_stack or self.rota is None:
            self.notify("Nothing to undo in this session", severity="warning")
            return
        last = self.undo_stack[-1]
        result, describe = last
        rota = self.rota
        work = rota.state.fork()

        def write() -> ChangeResult:
            with self.coordinator.session() as session:
                return undo(session, result, work)

        def then(back: ChangeResult) -> None:
            if self.undo_stack and self.undo_stack[-1] is last:
                self.undo_stack.pop()
            if back.starts:  # visits moved back in time: the week is read again with them
                self.load()
            else:
                self._show_changed(rota, work, back)
            self.notify(f"Undone: {describe}", timeout=4)

        self.write_in_background(write, then)

    def assign_visit(self, visit_id: int) -> None:
        from coordinator_tui.screens.rota.dialogs import CarerPicker
        from coordinator_tui.services.rota.assign import assign, rank_carers

        rota = self.rota
        if rota is None:
            return
        state = rota.state
        if not state.short_of(visit_id):
            self.notify("This visit already has its carers", severity="warning")
            return
        candidates = rank_carers(state, visit_id)
        visit = rota.visit(visit_id)
        on = [rota.carer_name(c) for c in state.carers_of.get(visit_id, ())]
        title = rota.describe_visit(visit_id)
        if rota.missed(visit_id):
            title += f" · ✖ {rota.missed(visit_id)}: its time has passed"
        if visit.carers_required > 1:
            title += f" · double-up: {', '.join(on) or 'nobody'} on it so far"

        def picked(carer_id: int | None) -> None:
            if carer_id is None:
                return
            name = rota.carer_name(carer_id)
            self.run_change(
                lambda session, work, why: assign(
                    session, visit_id, carer_id, state=work, rationale=why
                ),
                f"{name} assigned to {rota.describe_visit(visit_id)}",
            )

        self.app.push_screen(CarerPicker(title, candidates), picked)

    def unassign_visit(self, visit_id: int, carer_id: int, after=None) -> None:
        from coordinator_tui.services.rota.assign import unassign

        rota = self.rota
        assert rota is not None
        self.run_change(
            lambda session, work, _why: unassign(session, visit_id, carer_id, state=work),
            f"{rota.carer_name(carer_id)} taken off {rota.describe_visit(visit_id)}",
            after=after,
        )

    def swap_visit(self, visit_id: int, carer_id: int, after=None) -> None:
        """``w``: the first press marks a visit, the second swaps the two visits' carers."""
        from coordinator_tui.services.rota.assign import swap

        rota = self.rota
        assert rota is not None
        if self.swap_mark is None or self.swap_mark[0] == visit_id:
            if self.swap_mark is not None:
                self.swap_mark = None
                self.notify("Swap cancelled")
                return
            self.swap_mark = (visit_id, carer_id)
            self.notify(
                f"Marked {rota.describe_visit(visit_id)} ({rota.carer_name(carer_id)}): "
                "press w on the visit to swap it with (another carer's day: esc, enter)",
                timeout=6,
            )
            if after is not None:
                after()
            return
        visit_a, carer_a = self.swap_mark
        if carer_a == carer_id:
            self.notify("Choose a visit of another carer to swap with", severity="warning")
            return
        self.swap_mark = None
        self.run_change(
            lambda session, work, why: swap(
                session, visit_a, carer_a, visit_id, carer_id, state=work, rationale=why
            ),
            f"Swapped {rota.carer_name(carer_a)} and {rota.carer_name(carer_id)}",
            after=after,
        )

    # -- actions -----------------------------------------------------------------------

    def action_switch_panel(self) -> None:
        """``tab``: between the grid and the unassigned visits (on a short screen the list
        takes the grid's place while it has the focus)."""
        grid = self.query_one("#rota-grid", CellGrid)
        panel = self.query_one("#rota-unassigned", LazyTable)
        to_list = not panel.has_focus
        self.set_class(to_list, "-list")
        (panel if to_list else grid).focus()
        if self.rota is not None:
            self._draw_summary()

    def action_assign(self) -> None:
        panel = self.query_one("#rota-unassigned", LazyTable)
        row = panel.current_row
        if not panel.has_focus or row is None:
            if row is None:
                self.notify("No unassigned visits this week", severity="warning")
            else:
                self.action_switch_panel()
                self.notify("Choose a visit in the unassigned panel, then a")
            return
        self.assign_visit(row.key)

    @on(LazyTable.RowSelected, "#rota-unassigned")
    def selected_unassigned(self, event: LazyTable.RowSelected) -> None:
        if event.row is not None:
            self.assign_visit(event.row.key)

    def action_accept(self) -> None:
        cell = self.current_cell()
        if cell is None or self.rota is None:
            return
        self.accept_problem(*cell, after=None)

    def accept_problem(self, carer_id: int, day: date | None, after=None) -> None:
        """``r``: record why a soft problem of this carer (that day) is accepted."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.assign import record_acceptance

        rota = self.rota
        assert rota is not None
        problems = [
            p
            for p in rota.cell_problems(carer_id, day)
            + (rota.cell_problems(carer_id, None) if day is not None else [])
            if not p.is_hard and not p.accepted
        ]
        if not problems:
            self.notify("No soft problem to accept here", severity="warning")
            return
        visits = [v for d in rota.days for v in rota.state.day_visits(carer_id, d)]
        options = tuple((f"{p.title}: {p.message}"[:60], index) for index, p in enumerate(problems))

        def save(values: dict[str, Any]) -> str | None:
            # In the dialog's worker thread: the week shown is marked on the UI thread.
            return self.write(
                lambda session: record_acceptance(
                    session,
                    None,
                    problems[values["problem"]],
                    values["rationale"],
                    visit_id=visits[0] if visits else None,
                )
            )

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            problem = problems[values["problem"]]
            visit_id = problem.visit_ids[0] if problem.visit_ids else visits[0]
            rota.state.accept(problem.code, visit_id, problem.carer_id)
            self._draw_after_change({carer_id})
            self.notify("Accepted with the reason recorded", timeout=4)
            if after is not None:
                after()

        self.app.push_screen(
            FormDialog(
                "Accept a soft problem",
                [
                    Field("problem", "Problem", "select", 0, options, required=True),
                    Field("rationale", "Why it is accepted (recorded for CQC)", required=True),
                ],
                self.coordinator.settings.current_date(),
                context=f"{rota.carer_name(carer_id)}, "
                + (f"{day:%a %d %b}" if day else "this week"),
                save=self.background_save(save),
            ),
            done,
        )

    # -- absences ------------------------------------------------------------------------

    def absence_here(self, carer_id: int, day: date | None) -> AbsenceView | None:
        """The absence on the cell's day, or (on the name or week column) the carer's
        first absence overlapping the week."""
        from coordinator_tui.services.rota.absences import absences_for

        assert self.rota is not None
        first, last = (day, day) if day else (self.rota.days[0], self.rota.days[-1])
        with self.coordinator.session() as session:
            found = absences_for(session, carer_id, first, last)
        return found[0] if found else None

    def open_plan_b(self, absence: AbsenceView, name: str, after=None) -> None:
        """Plan B for ``absence``: cover, then the call list and Plan C's actions."""
        from coordinator_tui.screens.rota.plan_b import PlanBScreen

        def back(result: ChangeResult | None) -> None:
            if result is not None and result.after:
                self.undo_stack.append((result, f"Plan B for {name}"))
                self.notify(f"Plan B for {name}: u on the grid undoes it", timeout=4)
            self.load()
            if after is not None:
                after()

        self.app.push_screen(PlanBScreen(absence, name), back)

    def action_absent(self) -> None:
        """``b``: mark the carer absent for a date range, then Plan B (on a day already
        off: that absence's Plan B)."""
        cell = self.current_cell()
        if cell is None or self.rota is None:
            return
        carer_id, day = cell
        if day is not None and day in self.rota.carer(carer_id).absent_days:
            absence = self.absence_here(carer_id, day)
            if absence is not None:
                self.open_plan_b(absence, self.rota.carer_name(carer_id))
                return
        self.mark_absent(carer_id, day)

    def mark_absent(self, carer_id: int, day: date | None, after=None) -> None:
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.absences import absence_on
        from coordinator_tui.services.rota.plan_b import mark_absent

        assert self.rota is not None
        name = self.rota.carer_name(carer_id)
        today = self.coordinator.settings.current_date()
        first = day or max(today, self.rota.monday)
        created: list[AbsenceView] = []

        def save(values: dict[str, Any]) -> str | None:
            def work(session: Session) -> None:
                absence = mark_absent(
                    session,
                    carer_id,
                    values["start"],
                    values["end"],
                    values["kind"],
                    values["note"],
                )
                view = absence_on(session, carer_id, absence.start_date)
                assert view is not None
                created[:] = [view]

            return self.write(work)

        def done(values: dict[str, Any] | None) -> None:
            if values is not None and created:
                self.open_plan_b(created[0], name, after)

        self.app.push_screen(
            FormDialog(
                f"{name} absent",
                [
                    Field("start", "From", "date", first, required=True),
                    Field("end", "To (inclusive)", "date", first, required=True),
                    Field("kind", "Reason", "select", "sickness", ABSENCE_KINDS, required=True),
                    Field("note", "Note (no personal details)"),
                ],
                today,
                context="Plan B follows: every visit affected, with ranked replacements.",
                save=self.background_save(save),
            ),
            done,
        )

    def action_edit_absence(self) -> None:
        cell = self.current_cell()
        if cell is not None and self.rota is not None:
            self.edit_absence(*cell)

    def edit_absence(self, carer_id: int, day: date | None, after=None) -> None:
        """``e``: correct the absence's dates, reason or note. When it is shortened, the
        carer can be put back on the visits Plan B gave away that are no longer in it;
        when it grows, Plan B follows for the visits it now takes in."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.absences import (
            cover_to_undo,
            edit_absence,
            undo_cover,
        )

        assert self.rota is not None
        absence = self.absence_here(carer_id, day)
        name = self.rota.carer_name(carer_id)
        if absence is None:
            self.notify(f"No absence here for {name}: b marks one", severity="warning")
            return
        with self.coordinator.session() as session:
            now = moment_of(session.info)
            cover = cover_to_undo(session, absence.id, now=now)
        fields = [
            Field("start", "From", "date", absence.start, required=True),
            Field("end", "To (inclusive)", "date", absence.end, required=True),
            Field("kind", "Reason", "select", absence.kind, ABSENCE_KINDS, required=True),
            Field("note", "Note (no personal details)", value=absence.note),
        ]
        if cover:
            fields.append(
                Field(
                    "put_back",
                    "Visits Plan B gave away that fall outside the new dates",
                    "select",
                    True,
                    ((f"Put {name} back on them", True), ("Keep the cover", False)),
                    required=True,
                )
            )
        outcome: list[str] = []

        def save(values: dict[str, Any]) -> str | None:
            def work(session: Session) -> None:
                row = edit_absence(
                    session,
                    absence.id,
                    absence.version,
                    start=values["start"],
                    end=values["end"],
                    kind=values["kind"],
                    note=values["note"],
                )
                outcome[:] = []
                if values.get("put_back"):
                    outside = cover_to_undo(
                        session, absence.id, now=now, outside=(row.start_date, row.end_date)
                    )
                    if outside:
                        back = undo_cover(
                            session, absence.id, {c.visit_id for c in outside}, now=now
                        )
                        outcome.append(_undo_words(name, back))

            return self.write(work)

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.notify(f"Absence of {name} corrected. {' '.join(outcome)}".strip(), timeout=6)
            self._after_absence_edit(carer_id, name, values["start"], after)

        self.app.push_screen(
            FormDialog(
                f"Correct {name}'s absence",
                fields,
                self.coordinator.settings.current_date(),
                context=f"Now: {absence.describe()}. Shorten it to end it early.",
                save=self.background_save(save),
            ),
            done,
        )

    def _after_absence_edit(self, carer_id: int, name: str, start: date, after) -> None:
        """After an edit: Plan B when the absence now takes in visits still to cover."""
        from coordinator_tui.services.rota.absences import absence_on
        from coordinator_tui.services.rota.plan_b import plan_b

        with self.coordinator.session() as session:
            now = moment_of(session.info)
            absence = absence_on(session, carer_id, start)
            waiting = (
                plan_b(session, carer_id, absence.start, absence.end, now=now, repair=False).items
                if absence
                else []
            )
        if absence is not None and waiting:
            self.open_plan_b(absence, name, after)
            return
        self.load()
        if after is not None:
            after()

    def action_remove_absence(self) -> None:
        cell = self.current_cell()
        if cell is not None and self.rota is not None:
            self.remove_absence(*cell)

    def remove_absence(self, carer_id: int, day: date | None, after=None) -> None:
        """``d``: remove the absence (entered by mistake, or the carer is back), offering
        to put the carer back on the visits its Plan B gave to others."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.rota.absences import cover_to_undo, remove_absence

        assert self.rota is not None
        absence = self.absence_here(carer_id, day)
        name = self.rota.carer_name(carer_id)
        if absence is None:
            self.notify(f"No absence here for {name}", severity="warning")
            return
        with self.coordinator.session() as session:
            now = moment_of(session.info)
            cover = cover_to_undo(session, absence.id, now=now)
        fields = []
        context = f"{name}: {absence.describe()}. ctrl+s removes it."
        if cover:
            given = sum(1 for c in cover if c.carer_id is not None)
            parts = [f"gave {given} of {name}'s visits to others"] if given else []
            if len(cover) > given:
                parts.append(f"left {len(cover) - given} to Plan C")
            context += "\nPlan B " + " and ".join(parts) + "."
            fields.append(
                Field(
                    "put_back",
                    "The cover Plan B put in place",
                    "select",
                    True,
                    (
                        (f"Put {name} back on the {len(cover)} visit(s)", True),
                        ("Keep the cover as it is", False),
                    ),
                    required=True,
                )
            )
        outcome: list[str] = []

        def save(values: dict[str, Any]) -> str | None:
            def work(session: Session) -> None:
                result = remove_absence(
                    session,
                    absence.id,
                    absence.version,
                    put_back=bool(values.get("put_back")),
                    now=now,
                )
                outcome[:] = [_undo_words(name, result)] if values.get("put_back") else []

            return self.write(work)

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.notify(f"Absence of {name} removed. {' '.join(outcome)}".strip(), timeout=6)
            self.load()
            if after is not None:
                after()

        self.app.push_screen(
            FormDialog(
                f"Remove {name}'s absence",
                fields,
                self.coordinator.settings.current_date(),
                context=context,
                save=self.background_save(save),
            ),
            done,
        )

    # -- weeks -------------------------------------------------------------------------

    def action_week(self, step: int) -> None:
        """``[``/``]``: the week before or after, in two stages as the cold open: its
        first screenful, then the whole week checked. The week left is taken off the
        screen at once (nothing acts on it once another is named), and keys typed after
        this one wait for the new week's checks, ``[`` and ``]`` aside."""
        if self.week is None:
            return
        self.week = self.week + timedelta(weeks=step)
        self.swap_mark = None
        self.loaded = False
        if self.rota is not None or self.page is not None:
            grid = self.query_one("#rota-grid", CellGrid)
            self._stepped_cursor = grid.cursor
        self.rota = None
        self.page = None
        self._pending = None
        self._load_error = ""
        self._hold_for_week()
        self.query_one("#rota-summary", Static).update(
            Text.assemble(
                (f"Week of {self.week:%a %d %b %Y}", "bold"), " · ", ("reading…", "dim italic")
            )
        )
        for name in ("#rota-measures", "#rota-problems", "#rota-unassigned-title"):
            self.query_one(name, Static).update("")
        grid = self.query_one("#rota-grid", CellGrid)
        grid.empty_text = "Reading the week…"
        grid.set_grid([], 0, lambda _: [])
        panel = self.query_one("#rota-unassigned", LazyTable)
        panel.empty_text = ""
        panel.set_source(ListSource([]))
        self.load_staged()

    def _hold_for_week(self) -> None:
        """Keys typed from now wait for the week stepped to (its checks), as on the cold
        open: once, however many weeks are stepped through before one lands."""
        held = self.__dict__.get(HELD)
        if self._first_hold is not None and held is self._first_hold:
            return
        self.hold_keys_until_loaded()
        held = self.__dict__.get(HELD)
        self._first_hold = held if isinstance(held, HeldKeys) else None

    def action_solve(self, day_only: bool = False) -> None:
        """``s``: the solver fills the week (``S``: the highlighted day) as a proposal to
        accept or not (``screens/rota_solve.py``); ``u`` undoes what was accepted."""
        from coordinator_tui.screens.rota.solve import SolveScreen

        if self.rota is None or self.week is None:
            return
        cell = self.current_cell() if day_only else None
        day = cell[1] if cell else None

        pending = self.proposal_pending
        if pending is not None and pending[0].monday == self.week and not day_only:
            screen = SolveScreen(self.week, pending[0].day, proposal=pending[0], done=pending[1])
        else:
            screen = SolveScreen(self.week, day)

        def back(result: ChangeResult | None) -> None:
            if result is not None and result.after:
                self.undo_stack.append((result, "the solver's proposal"))
                self.notify("The solver's proposal: u on the grid undoes it", timeout=4)
            self.proposal_pending = screen.pending()
            if self.proposal_pending is not None:
                count = len(self.proposal_pending[0].changes) - len(self.proposal_pending[1])
                self.notify(
                    f"{count} change(s) not accepted are marked on the grid (+ − ± ~): "
                    "s to accept, X to discard",
                    timeout=6,
                )
            self.load()

        self.app.push_screen(screen, back)

    def action_discard_proposal(self) -> None:
        """``X``: drop the solver's proposal left pending (its marks go from the grid)."""
        if self.proposal_pending is None:
            return
        self.proposal_pending = None
        self.notify("The solver's proposal discarded", timeout=3)
        if self.rota is not None:
            self._set_columns(self.query_one("#rota-grid", CellGrid).cursor)
            self.show_cell_problems()

    def action_reload(self) -> None:
        self.load()

    def action_carer(self) -> None:
        """``c``: the highlighted carer's working-time record (``rota/carer_form.py``)."""
        from coordinator_tui.screens.rota.carer_form import open_carer_working_time

        carer_id = self.current_carer()
        if carer_id is not None:
            open_carer_working_time(self, carer_id)

    def action_night_time(self) -> None:
        """``N``: when the agency's night time starts (``rota/carer_form.py``)."""
        from coordinator_tui.screens.rota.carer_form import open_night_period

        open_night_period(self)

    def action_generate(self) -> None:
        """``g``: the week's visits made from the care packages, in a worker thread."""
        from coordinator_tui.services.visit_generation import generate_week

        week = self.week
        if week is None:
            return

        def write() -> str:
            with self.coordinator.session() as session:
                return generate_week(session, week).summary()

        def then(summary: str) -> None:
            self.notify(summary, timeout=8)
            self.load()

        self.write_in_background(write, then)

    def incident_prefill(self) -> dict[str, int | None]:
        """What ``f4`` fills in on the grid (issue 14 §1): the highlighted carer, with the
        visit and its customer when their day holds one visit; on the unassigned list,
        the highlighted visit and its customer."""
        rota = self.rota
        if rota is None:
            return {}
        visits = rota.state.snap.visits
        panel = self.query_one("#rota-unassigned", LazyTable)
        if panel.has_focus and panel.current_row is not None:
            visit_id = panel.current_row.key
            return {"visit_id": visit_id, "customer_id": visits[visit_id].customer_id}
        cell = self.current_cell()
        if cell is None:
            return {}
        carer_id, day = cell
        on_day = rota.state.day_visits(carer_id, day) if day is not None else []
        if len(on_day) != 1:
            return {"carer_id": carer_id}
        visit_id = on_day[0]
        return {
            "carer_id": carer_id,
            "visit_id": visit_id,
            "customer_id": visits[visit_id].customer_id,
        }

    @on(CellGrid.CellSelected, "#rota-grid")
    def open_day(self) -> None:
        from coordinator_tui.screens.rota.carer_day import CarerDayScreen

        cell = self.current_cell()
        if cell is None or cell[1] is None:
            return
        self.app.push_screen(CarerDayScreen(self, *cell))


def _undo_words(name: str, result: UndoResult) -> str:
    """``Back on 3 visit(s); 1 left as it was (already started).``"""
    words = f"{name} back on {len(result.restored)} visit(s)"
    if result.kept:
        reasons = sorted({why for _, why in result.kept})
        words += f"; {len(result.kept)} left as they were ({'; '.join(reasons[:2])})"
    return words + "."
