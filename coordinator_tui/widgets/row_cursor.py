"""What the app's two Line-API lists share: a header line, a row cursor, and its keys.

``LazyTable`` (lists of 100,000 rows) and ``CellGrid`` (the rota's week) both draw only
the rows on screen under a header that stays in place; moving the cursor a row, a page,
or to either end, and scrolling to keep it in view, is the same for both.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView

SELECT_HOLD_S = 0.5
"""At most this long, keys typed after ``enter`` wait for the row to be chosen."""
LOADING_WAIT_S = 5.0
"""``enter`` on a list still loading waits at most this long for its rows."""
ROWS_IN = "_coordinator_rows_in"
"""Where a screen keeps what waits for its rows (``after_rows_in``; the app's
``screen_loaded`` runs them when the screen says its data is on screen)."""


def after_rows_in(screen: object, callback: Callable[[], object]) -> None:
    """Run ``callback`` once ``screen``'s rows are on screen (its ``screen_loaded``)."""
    screen.__dict__.setdefault(ROWS_IN, []).append(callback)


def rows_are_in(screen: object) -> None:
    """``screen`` has its rows on screen: what waited for them runs, in the order asked."""
    for callback in screen.__dict__.pop(ROWS_IN, ()):
        callback()


class RowCursorView(ScrollView, can_focus=True):
    """A scrolling view of ``row_count`` rows under one header line, with a row cursor.

    Subclasses say how many rows there are (``row_count``) and react to the cursor
    moving (``watch_cursor_row``, calling ``_scroll_to_cursor_row``)."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
        # A priority key: it acts when the app reads it, before the keys typed after it
        # are read, so those can wait for what it opens (``action_select``).
        Binding("enter", "select", "Open", show=False, priority=True),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def select_row(self) -> None:
        """Open what the cursor is on (the subclass says how)."""
        raise NotImplementedError

    def action_select(self) -> None:
        """``enter``, or a double click: open the row under the cursor, once the keys
        typed before it have moved the cursor.

        ``enter`` is a priority binding, run when the app reads the key. The keys read
        before it (``down down``) run their bindings only when they have bubbled back up
        to the app. In a burst ("down down enter" typed at once, or keys held during a
        load and read again together) the row opened was the one the cursor was on before
        the ``down``s: a coordinator opened the wrong person's record. So a message takes
        the same way up behind them (``RowChosenAfterKeys``, from this widget to the app)
        and the row is chosen when it arrives; the keys read after ``enter`` wait
        meanwhile (the screen's hold, when it has one) for what it opens. In an app that
        does not handle the message, the row is chosen at once."""
        if not hasattr(self.app, "on_row_chosen_after_keys"):
            self.select_row()
            return
        hold = getattr(self.screen, "hold_keys_until_loaded", None)
        if hold is not None:
            hold(limit=LOADING_WAIT_S if self._still_loading() else SELECT_HOLD_S)
        self.post_message(RowChosenAfterKeys(self, held=hold is not None))

    def _still_loading(self) -> bool:
        """The list has no rows yet because its screen is still reading them."""
        return self.row_count == 0 and getattr(self.screen, "loaded", True) is False

    def chosen_after_keys(self, held: bool) -> None:
        """The keys before ``enter`` have moved the cursor: open the row it is on. On a
        list still loading ("4 enter" typed as the app starts), once its screen says its
        rows are in (``after_rows_in``), or ``LOADING_WAIT_S`` at most (a read that
        failed), rather than opening nothing."""
        if self._still_loading():
            once: list[bool] = []

            def choose() -> None:
                if not once and self.is_attached:
                    once.append(True)
                    self._choose(held)

            after_rows_in(self.screen, choose)
            self.set_timer(LOADING_WAIT_S, choose)
            return
        self._choose(held)

    def _choose(self, held: bool) -> None:
        self.select_row()
        if held:  # this hold's turn is over; what the row opens holds the keys itself
            keys_loaded = getattr(self.screen, "keys_loaded", None)
            if keys_loaded is not None:
                keys_loaded()

    @property
    def _page_rows(self) -> int:
        """Rows in view below the header."""
        return max(self.scrollable_content_region.height - 1, 1)

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, self.row_count - 1)) if self.row_count else 0

    def _scroll_to_cursor_row(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self._page_rows:
            self.scroll_to(y=self.cursor_row - self._page_rows + 1, animate=False, immediate=True)

    def _row_at(self, y: int) -> int | None:
        """The row index under line ``y`` of the view (None on the header or below)."""
        if y < 1:
            return None
        index = round(self.scroll_y) + y - 1
        return index if index < self.row_count else None

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._page_rows

    def action_page_down(self) -> None:
        self.cursor_row += self._page_rows

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = self.row_count - 1


class RowChosenAfterKeys(Message):
    """``enter`` on a list, on its way up to the app behind the keys typed before it (it
    bubbles from the list as they do). The app (``CoordinatorApp``) hands it back to the
    list, which opens the row its cursor is then on."""

    def __init__(self, view: RowCursorView, *, held: bool) -> None:
        super().__init__()
        self.view = view
        self.held = held
