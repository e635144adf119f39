"""A table that draws only the rows on screen, for lists of 10,000 or 100,000 rows.

Textual's DataTable sizes every row up front (6.9 s for 100,000 rows here, DESIGN.md
section 6), so long lists use this Line-API widget instead: it asks its ``RowSource``
for just the rows in view each time it paints. A source can hold rows in memory
(``ListSource``) or page them from the database on demand (``PagedSource`` by offset,
``KeysetSource`` by key: the page after the last row read, issue 23).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from coordinator_tui.services.safe_text import has_controls, visible
from coordinator_tui.widgets.row_cursor import RowCursorView

Cell = str | Text


OPEN_HOLD_S = 0.5
"""Keys typed after ``enter`` wait this long at most for what it opens (see ``select``)."""


@dataclass(frozen=True)
class Column:
    """A column: its heading, its width in cells (0 = take the remaining width)."""

    label: str
    width: int = 0
    justify: str = "left"
    show_from: int = 0  # hide the column when the table is narrower than this


@dataclass(frozen=True)
class Row:
    """A row to show: ``key`` identifies it (e.g. a database id), ``cells`` are drawn."""

    key: Any
    cells: tuple[Cell, ...]
    style: str = ""


class RowSource(Protocol):
    """Where a LazyTable's rows come from."""

    def __len__(self) -> int: ...

    def rows(self, start: int, stop: int) -> Sequence[Row]: ...


class ListSource:
    """Rows already in memory (a review queue of a few thousand entries)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, start: int, stop: int) -> Sequence[Row]:
        return self._rows[start:stop]


class MappedSource:
    """Items in memory, turned into rows only when drawn (a 10,000-entry queue formats
    the 30 rows on screen, not all 10,000)."""

    def __init__(self, items: Sequence[Any], to_row: Callable[[Any], Row]) -> None:
        self._items = items
        self._to_row = to_row
        self._cache: dict[int, Row] = {}

    def __len__(self) -> int:
        return len(self._items)

    def rows(self, start: int, stop: int) -> Sequence[Row]:
        result = []
        for index in range(start, min(stop, len(self._items))):
            row = self._cache.get(index)
            if row is None:
                if len(self._cache) > 2000:
                    self._cache.clear()
                row = self._cache[index] = self._to_row(self._items[index])
            result.append(row)
        return result

    def index_of(self, key: Any, default: int = 0) -> int:
        return default


class PagedSource:
    """Rows fetched a page at a time by ``fetch(offset, limit)``; pages are cached.

    ``total`` is known up front (one ``count(*)``), so the scrollbar is right at once.
    """

    def __init__(
        self, total: int, fetch: Callable[[int, int], Sequence[Row]], page_size: int = 200
    ) -> None:
        self.total = total
        self._fetch = fetch
        self._page_size = page_size
        self._pages: dict[int, Sequence[Row]] = {}

    def __len__(self) -> int:
        return self.total

    def _page(self, number: int) -> Sequence[Row]:
        if number not in self._pages:
            if len(self._pages) > 50:
                self._pages.clear()
            self._pages[number] = self._fetch(number * self._page_size, self._page_size)
        return self._pages[number]

    def rows(self, start: int, stop: int) -> Sequence[Row]:
        result: list[Row] = []
        size = self._page_size
        for number in range(start // size, (max(stop, start + 1) - 1) // size + 1):
            page = self._page(number)
            lo = max(start - number * size, 0)
            hi = min(stop - number * size, len(page))
            result.extend(page[lo:hi])
        return result


KeyedFetch = Callable[[Any, bool, int], Sequence[tuple[Any, Any]]]
"""``fetch(key, backward, limit)``: up to ``limit`` (key, item) pairs in list order, after
``key`` (from the top when None) or, ``backward``, just before it (from the bottom)."""


@dataclass
class _Chunk:
    """A run of consecutive rows read, from list position ``start``."""

    start: int
    keys: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.items)


class KeysetSource:
    """Items read from the database a page at a time by key (keyset paging, not OFFSET):
    the first page comes with the source (read off the UI thread with the count); rows
    beyond what is read are fetched as they are drawn, the next page after the last key
    read (``pagedown``, scrolling), or the last page backwards from the end (``end``),
    each with a margin so the next keys find their rows read already.

    A jump into the middle (dragging the scroll bar) reads on from the nearest rows read,
    in one query: keys have no "row 17,000" to start from. ``total`` is a COUNT made with
    the first page."""

    JUMP = 400
    """Rows beyond the last read that are still read on from it (else: from the end)."""

    def __init__(
        self,
        total: int,
        fetch: KeyedFetch,
        to_row: Callable[[Any], Row],
        *,
        first: Sequence[tuple[Any, Any]] = (),
        start: int = 0,
        page_size: int = 100,
        margin: int = 60,
        id_of: Callable[[Any], Any] | None = None,
    ) -> None:
        self.total = total
        self._fetch = fetch
        self._to_row = to_row
        self._id_of = id_of
        self.page_size = page_size
        self.margin = margin
        self._chunks: list[_Chunk] = []
        self._rows: dict[int, Row] = {}
        self.fetches = 0  # pages read after the first: for tests and benchmarks
        self._items: SourceItems | None = None
        if first:
            self._chunks.append(_Chunk(start, [k for k, _i in first], [item for _k, item in first]))

    @classmethod
    def of_pages(
        cls,
        first: Any,
        read_page: Callable[[Any, bool, int], Any],
        to_row: Callable[[Any], Row],
        *,
        total: int,
        start: int = 0,
        page_size: int = 100,
        id_of: Callable[[Any], Any] | None = None,
    ) -> KeysetSource:
        """A source over a service's keyset pages (anything with ``keys`` and ``rows``):
        ``first`` as read, then ``read_page(key, backward, limit)`` for each page after it
        (the review queue, Referrals and Governance's closed incidents page the same way)."""

        def fetch(key: Any, backward: bool, limit: int) -> list[tuple[Any, Any]]:
            page = read_page(key, backward, limit)
            return list(zip(page.keys, page.rows, strict=True))

        return cls(
            total,
            fetch,
            to_row,
            first=list(zip(first.keys, first.rows, strict=True)),
            start=start,
            page_size=page_size,
            id_of=id_of,
        )

    def __len__(self) -> int:
        return self.total

    # -- reading ------------------------------------------------------------------------

    def _chunk_at(self, index: int) -> _Chunk | None:
        for chunk in self._chunks:
            if chunk.start <= index < chunk.end:
                return chunk
        return None

    def _read(self, key: Any, backward: bool, limit: int) -> list[tuple[Any, Any]]:
        self.fetches += 1
        return list(self._fetch(key, backward, max(limit, 1)))

    def _ensure(self, lo: int, hi: int) -> None:
        """Read what is missing of positions ``lo`` to ``hi`` (and a margin beyond)."""
        hi = min(hi, self.total)
        for _attempt in range(8):  # each read fills a gap; a list that shrank stops early
            missing = next((i for i in range(lo, hi) if self._chunk_at(i) is None), None)
            if missing is None:
                return
            before = max(
                (c for c in self._chunks if c.end <= missing), key=lambda c: c.end, default=None
            )
            after = min(
                (c for c in self._chunks if c.start > missing), key=lambda c: c.start, default=None
            )
            want = min(hi + self.margin, self.total)
            read_from = before.end if before else 0
            if after is not None and after.start - missing <= self.JUMP:
                # Just above rows read (scrolling up from the end): read backwards.
                low = max(min(lo, missing) - self.margin, read_from)
                got = self._read(after.keys[0], True, max(after.start - low, self.page_size))
                if not got:
                    return
                after.keys[:0] = [k for k, _i in got]
                after.items[:0] = [item for _k, item in got]
                after.start -= len(got)
            elif missing - read_from <= self.JUMP or self.total - missing > 10 * self.JUMP:
                # On from the rows read (a page down; a far jump reads everything between).
                got = self._read(
                    before.keys[-1] if before else None,
                    False,
                    max(want - read_from, self.page_size),
                )
                if not got:
                    return
                if before is None:
                    before = _Chunk(0)
                    self._chunks.append(before)
                before.keys += [k for k, _i in got]
                before.items += [item for _k, item in got]
            else:
                # Near the end (``end``): the last rows, backwards from the bottom.
                low = max(min(lo, missing) - self.margin, read_from)
                got = self._read(None, True, self.total - low)
                if not got:
                    return
                self._chunks.append(
                    _Chunk(self.total - len(got), [k for k, _i in got], [i for _k, i in got])
                )
            self._merge()

    def _merge(self) -> None:
        """Join chunks that meet or overlap (the later one's rows win: read later)."""
        self._chunks.sort(key=lambda c: c.start)
        merged: list[_Chunk] = []
        for chunk in self._chunks:
            if chunk.start < 0:  # rows were added above since the count: shift down
                chunk.start = 0
            last = merged[-1] if merged else None
            if last is not None and chunk.start <= last.end:
                keep = chunk.start - last.start
                last.keys[keep : keep + len(chunk.keys)] = chunk.keys
                last.items[keep : keep + len(chunk.items)] = chunk.items
            else:
                merged.append(chunk)
        self._chunks = merged
        self._rows.clear()

    # -- what the table and the screen ask ------------------------------------------------

    def item(self, index: int) -> Any:
        """The item at ``index`` (read if need be); IndexError beyond the end."""
        if not 0 <= index < self.total:
            raise IndexError(index)
        chunk = self._chunk_at(index)
        if chunk is None:
            self._ensure(index, index + 1)
            chunk = self._chunk_at(index)
            if chunk is None:
                raise IndexError(index)
        return chunk.items[index - chunk.start]

    def key(self, index: int) -> Any:
        """The list key of the item at ``index`` (where a page starting there reads on)."""
        self.item(index)
        chunk = self._chunk_at(index)
        assert chunk is not None
        return chunk.keys[index - chunk.start]

    def rows(self, start: int, stop: int) -> Sequence[Row]:
        stop = min(stop, self.total)
        if start >= stop:
            return []
        self._ensure(start, stop)
        result: list[Row] = []
        for index in range(start, stop):
            row = self._rows.get(index)
            if row is None:
                chunk = self._chunk_at(index)
                if chunk is None:
                    break
                if len(self._rows) > 2000:
                    self._rows.clear()
                row = self._rows[index] = self._to_row(chunk.items[index - chunk.start])
            result.append(row)
        return result

    def loaded(self, start: int = 0) -> Iterator[tuple[int, Any]]:
        """(index, item) of the rows read, from ``start`` on, without reading more."""
        for chunk in self._chunks:
            for offset, item in enumerate(chunk.items):
                if chunk.start + offset >= start:
                    yield chunk.start + offset, item

    def index_of(self, key: Any, default: int = 0) -> int:
        """Where the row with ``key`` is among the rows read (``default`` if not read)."""
        ident = self._id_of or (lambda item: self._to_row(item).key)
        for index, item in self.loaded():
            if ident(item) == key:
                return index
        return default

    @property
    def items(self) -> SourceItems:
        """The items as a read-only sequence (reading pages as it is indexed); the same
        object each time, so a screen can tell that nothing was read again."""
        if self._items is None:
            self._items = SourceItems(self)
        return self._items


class SourceItems(Sequence[Any]):
    """A ``KeysetSource``'s items as a sequence: ``len`` is the count, an index reads its
    page if need be. Equal to a list with the same items (what tests compare)."""

    def __init__(self, source: KeysetSource) -> None:
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.source.item(i) for i in range(*index.indices(len(self.source)))]
        if index < 0:
            index += len(self.source)
        return self.source.item(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SourceItems):
            return other.source is self.source
        if isinstance(other, list | tuple):
            return len(other) == len(self) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class LazyTable(RowCursorView):
    """A keyboard-first table over a RowSource; the header row stays in place."""

    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
        background: $surface;
    }
    LazyTable > .lazy-table--header {
        text-style: bold;
        background: $panel;
    }
    LazyTable > .lazy-table--cursor {
        background: $block-cursor-blurred-background;
    }
    LazyTable:focus > .lazy-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    LazyTable > .lazy-table--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    COMPONENT_CLASSES = {
        "lazy-table--header",
        "lazy-table--cursor",
        "lazy-table--empty",
    }

    BINDINGS = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor moved to ``row`` (None when the table is empty)."""

        def __init__(self, table: LazyTable, row: Row | None, index: int) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.index = index

        @property
        def control(self) -> LazyTable:
            return self.table

    class RowSelected(RowHighlighted):
        """``enter`` (or a click) on ``row``."""

    def __init__(
        self,
        columns: Sequence[Column],
        source: RowSource | None = None,
        *,
        empty_text: str = "Nothing to show.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.source: RowSource = source or ListSource([])
        self.empty_text = empty_text
        self._frame: tuple[int, list[int], Style] | None = None
        # The last line drawn for each row object (by id, the row kept to check it is the
        # same): a source that hands out the same row objects from one source to the
        # next (the review queue while ``/`` text is typed) has them drawn once.
        self._drawn: dict[int, tuple[Row, tuple[Any, ...], Strip]] = {}
        self._after_repaint: list[Callable[[], object]] = []
        self._update_virtual_size()

    # -- data ---------------------------------------------------------------------------

    def set_source(self, source: RowSource, *, keep_key: Any = None) -> None:
        """Show new rows; keep the cursor on ``keep_key``'s row or at the same index."""
        self.source = source
        index = self.cursor_row
        if keep_key is not None:
            index = self.index_of(keep_key, default=index)
        self._update_virtual_size()
        self.cursor_row = min(index, max(len(source) - 1, 0))
        self.refresh()

    def after_repaint(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once this table's repaint has been handed to its screen.

        A widget's repaint reaches the screen from the widget's own idle, not when it is
        asked for; the screen paints when it is idle itself. A caller holding the app's
        frames until new rows are in (``FilterInput``) lets go from here: let go sooner,
        the screen may paint another widget's change first and these rows only at its
        next refresh, 17-33 ms later (issue 23)."""
        self._after_repaint.append(callback)
        self.check_idle()

    def on_idle(self) -> None:
        # Before ``Widget._on_idle`` hands the repaint over; ``call_next`` runs after it.
        if self._after_repaint:
            waiting, self._after_repaint = self._after_repaint, []
            for callback in waiting:
                self.call_next(callback)

    def index_of(self, key: Any, default: int = 0) -> int:
        """Position of the row with ``key`` (a linear scan: for in-memory sources)."""
        finder = getattr(self.source, "index_of", None)
        if finder is not None:
            return finder(key, default)
        for index, row in enumerate(self.source.rows(0, len(self.source))):
            if row.key == key:
                return index
        return default

    @property
    def row_count(self) -> int:
        return len(self.source)

    @property
    def current_row(self) -> Row | None:
        if not len(self.source):
            return None
        rows = self.source.rows(self.cursor_row, self.cursor_row + 1)
        return rows[0] if rows else None

    def _update_virtual_size(self) -> None:
        """The header and the rows; with no rows, the header and the empty text, so a
        table whose height is ``auto`` (the carer picker, the Reports list) shows it."""
        width = sum(c.width + 1 for c in self.columns)
        self.virtual_size = Size(width, max(len(self.source), 1) + 1)

    # -- cursor -------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor_row()
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.current_row, new))

    def select_row(self) -> None:
        row = self.current_row
        if row is not None:
            # What opens reaches the screen as a message, behind keys already read: those
            # wait until it has opened (or briefly, if the screen opens nothing), so
            # "enter, then a key for the record" typed in one go acts on the record.
            hold = getattr(self.screen, "hold_keys_until_loaded", None)
            if hold is not None:
                hold(limit=OPEN_HOLD_S)
            self.post_message(self.RowSelected(self, row, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        index = self._row_at(event.y)
        if index is not None:
            self.cursor_row = index
            if event.chain >= 2:
                self.action_select()

    # -- drawing ------------------------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        """Cell widths per column; 0 hides a column the table is too narrow for."""
        shown = [not c.show_from or total >= c.show_from for c in self.columns]
        fixed = sum(
            c.width + 1 for c, on in zip(self.columns, shown, strict=True) if c.width and on
        )
        flexible = [c for c, on in zip(self.columns, shown, strict=True) if not c.width and on]
        spare = max(total - fixed, 0)
        share = max(spare // len(flexible) - 1, 8) if flexible else 0
        return [(c.width or share) if on else 0 for c, on in zip(self.columns, shown, strict=True)]

    def _line(self, cells: Sequence[Cell], widths: list[int], style: Style) -> list[Segment]:
        """One table line as segments: each cell cut to its width (with an ellipsis) and
        padded, then a space. Plain-string cells, most of them, skip Rich's ``Text``
        machinery: drawing is on the path of every keystroke in a filtered list."""
        segments: list[Segment] = []
        for column, cell, width in zip(self.columns, cells, widths, strict=False):
            if not width:
                continue
            cell_style = style
            if isinstance(cell, Text) and not cell.spans:
                # One style over the whole cell (a status, a risk, a red date): drawn as
                # plain text in that style, the same segments as the path below gives.
                if cell.style:
                    cell_style = style + self.app.console.get_style(cell.style)
                cell = cell.plain
            if isinstance(cell, Text):
                text = cell.copy()
                if has_controls(text.plain):  # one visible symbol each: the spans still fit
                    text.plain = visible(text.plain)
                text.no_wrap = True
                text.truncate(width, overflow="ellipsis")
                if column.justify == "right":
                    text.pad_left(width - text.cell_len)
                else:
                    text.pad_right(width - text.cell_len)
                # Text.render leaves out the text's own style when it has no spans.
                own = self.app.console.get_style(text.style) if text.style else None
                segments.extend(
                    Segment.apply_style(
                        text.render(self.app.console), style + own if own else style
                    )
                )
                segments.append(Segment(" ", style))
                continue
            plain = visible(str(cell))  # an escape sequence in a name never reaches the terminal
            length = cell_len(plain)
            if length > width:
                plain = set_cell_size(plain, width - 1) + "…"
                length = width
            padding = " " * (width - length)
            plain = padding + plain if column.justify == "right" else plain + padding
            if cell_style is style:
                segments.append(Segment(plain + " ", style))
            else:
                segments.append(Segment(plain, cell_style))
                segments.append(Segment(" ", style))
        return list(Segment.simplify(segments))

    @staticmethod
    def _strip(
        segments: list[Segment], widths: list[int], width: int, scroll_x: int, style: Style
    ) -> Strip:
        """A line's segments as a strip ``width`` cells wide from ``scroll_x``: padded
        with ``style``, or cut. A line no wider than the view and not scrolled sideways
        (every line of the review queue at 120 columns) is padded here, into one strip:
        ``Strip.crop_extend`` made a second, and a strip's caches are the larger part of
        drawing a line (38 lines a frame after ``end``, issue 23 §5)."""
        length = sum(w + 1 for w in widths if w)  # ``_line``: each cell its width and a space
        if scroll_x or length > width:
            return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
        if length < width:
            segments = [*segments, Segment(" " * (width - length), style)]
        return Strip(segments, width)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The base style and the column widths are the same for every line of a frame:
        # work them out once (``rich_style`` walks the ancestors' styles each call).
        width = self.scrollable_content_region.width
        self._frame = (width, self._widths(width), self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            width = self.scrollable_content_region.width
            frame = (width, self._widths(width), self.rich_style)
        width, widths, base = frame
        scroll_x = round(self.scroll_x)
        if y == 0:
            style = base + self.get_component_rich_style("lazy-table--header")
            segments = self._line([c.label for c in self.columns], widths, style)
            return self._strip(segments, widths, width, scroll_x, style)
        if not len(self.source):
            if y == 1:
                style = base + self.get_component_rich_style("lazy-table--empty")
                return Strip([Segment(f" {self.empty_text}", style)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.source):
            return Strip.blank(width, base)
        rows = self.source.rows(index, index + 1)
        if not rows:
            return Strip.blank(width, base)
        row = rows[0]
        style = base + Style.parse(row.style) if row.style else base
        if index == self.cursor_row:
            style = style + self.get_component_rich_style("lazy-table--cursor")
        look = (width, tuple(widths), style, scroll_x)
        drawn = self._drawn.get(id(row))
        if drawn is not None and drawn[0] is row and drawn[1] == look:
            return drawn[2]
        strip = self._strip(self._line(row.cells, widths, style), widths, width, scroll_x, style)
        if len(self._drawn) > 500:
            self._drawn.clear()
        self._drawn[id(row)] = (row, look, strip)
        return strip
