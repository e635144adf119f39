"""What the requests, training and contacts screens (issue 18 §4-6) share: a summary line,
a bar of views (each on its own key), a paged table, lines about the highlighted row, the
footer; reading in a worker; forms that call a service and stay open, keeping what was
typed, when it refuses (bad input, a colleague's change, a busy database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row


@dataclass(frozen=True)
class View:
    key: str
    code: str
    title: str


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def local_time(moment: datetime | None, fmt: str = "%d/%m %H:%M") -> str:
    from coordinator_tui.clock import to_local

    return to_local(moment).strftime(fmt) if moment else ""


class StaffListScreen(CoordinatorScreen):
    """A list opened from Governance (6); ``esc`` goes back, ``f5`` reads it again."""

    CSS_PATH = "care_staff.tcss"
    TITLE_TEXT: ClassVar[str] = ""
    VIEWS: ClassVar[tuple[View, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.view = self.VIEWS[0] if self.VIEWS else View("", "", "")
        self.items: list[Any] = []
        self.extra: Any = None
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="staff-body"):
            yield Static("Loading…", id="staff-summary")
            yield Static("", id="staff-views")
            yield LazyTable(self.columns(), empty_text=self.empty_text(), id="staff-table")
            yield Static("", id="staff-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.TITLE_TEXT
        self.query_one(LazyTable).focus()
        self.load()

    # -- each screen's own ------------------------------------------------------------------

    def columns(self) -> list[Column]:  # pragma: no cover - each screen has its own
        raise NotImplementedError

    def empty_text(self) -> str:
        return "Nothing in this view."

    def read(self, session: Any) -> tuple[list[Any], Any]:  # pragma: no cover
        raise NotImplementedError

    def to_row(self, index: int, item: Any) -> Row:  # pragma: no cover
        raise NotImplementedError

    def summary(self) -> Text:
        return Text(self.TITLE_TEXT, style="bold")

    def detail(self, item: Any) -> Text | str:
        return ""

    # -- reading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="care-staff")
    def load(self) -> None:
        view = self.view
        with self.coordinator.session() as session:
            items, extra = self.read(session)
        call_from_worker(self, self.show, view, items, extra)

    def show(self, view: View, items: list[Any], extra: Any) -> None:
        if view is not self.view:
            return
        self.items, self.extra = items, extra
        table = self.query_one(LazyTable)
        table.columns = self.columns()
        current = table.current_row
        rows = [self.to_row(i, item) for i, item in enumerate(items)]
        table.set_source(ListSource(rows), keep_key=current.key if current else None)
        self.query_one("#staff-summary", Static).update(self.summary())
        self.query_one("#staff-views", Static).update(self._bar())
        self.loaded = True
        self._draw_detail()
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.refresh_bindings()

    def _bar(self) -> Text:
        text = Text()
        for view in self.VIEWS:
            style = "reverse bold" if view is self.view else ""
            text.append(f" {view.key} {view.title} ", style=style)
            text.append(" ")
        return text

    def current(self) -> Any:
        row = self.query_one(LazyTable).current_row
        if row is None or not self.items:
            return None
        index = row.key if isinstance(row.key, int) else None
        if index is None or not 0 <= index < len(self.items):
            return None
        return self.items[index]

    PREFILL_FROM: ClassVar[str] = "the list"
    """Where ``f4`` says the incident form was opened from."""

    def incident_prefill(self) -> dict[str, Any]:
        """What ``f4`` fills in here (issue 14 §1): the highlighted row's customer or
        carer."""
        from coordinator_tui.screens.governance.forms import incident_prefill_from

        return incident_prefill_from(self.current(), self.PREFILL_FROM)

    @on(LazyTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._draw_detail()

    def _draw_detail(self) -> None:
        item = self.current()
        self.query_one("#staff-detail", Static).update(self.detail(item) if item else "")

    def action_view(self, code: str) -> None:
        for view in self.VIEWS:
            if view.code == code and view is not self.view:
                # The rows shown belong to the old view: cleared until the new one is read,
                # so nothing draws one view's rows as another's.
                self.view = view
                self.items = []
                self.loaded = False
                table = self.query_one(LazyTable)
                table.set_source(ListSource([]))
                table.columns = self.columns()
                self.query_one("#staff-detail", Static).update("")
                self.load()

    def action_reload(self) -> None:
        self.load()

    # -- writing ----------------------------------------------------------------------------

    def form(
        self,
        title: str,
        fields: list[Field],
        write: Callable[[Any, dict[str, Any]], str],
        context: str = "",
    ) -> None:
        """A form whose save calls ``write(session, values)`` (returning the toast); a
        refusal keeps the form open with the one line and what was typed."""

        def in_worker(values: dict[str, Any]) -> str:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                return write(session, values)

        def then(_values: dict[str, Any], message: str) -> None:
            self.notify(message, timeout=4)
            self.load()

        save = BackgroundSave(in_worker, then)

        self.app.push_screen(FormDialog(title, fields, self.today, context, save=save))

    def act(self, write: Callable[[Any], str]) -> bool:
        """One key's write: the toast, or the refusal in one line (nothing written)."""
        try:
            with self.coordinator.session() as session:
                message = write(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return False
        self.notify(message, timeout=4)
        self.load()
        return True

    def now(self) -> datetime:
        return self.coordinator.settings.current_moment()
