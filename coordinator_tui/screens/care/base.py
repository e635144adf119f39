"""What the care changes screens (medication changes, care plan reviews, capacity and
consent) share: a summary line, a bar of views, a paged table, a line about the highlighted
row, the footer; loading in a worker; forms that call a service and stay open, keeping what
was typed, when it refuses (bad input, a colleague's change, a busy database)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Label, Static

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog, field_widget
from coordinator_tui.screens.governance.forms import RowsFormDialog
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def local_time(moment: datetime | None, fmt: str = "%a %d/%m %H:%M") -> str:
    from coordinator_tui.clock import to_local

    return to_local(moment).strftime(fmt) if moment else ""


class CareListScreen(CoordinatorScreen):
    """A list screen opened from Governance; ``esc`` goes back."""

    CSS_PATH = "care.tcss"
    TITLE_TEXT: ClassVar[str] = ""
    BASE_BINDINGS: ClassVar[list[Binding]] = []

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="care-body"):
            yield Static("Loading…", id="care-summary")
            yield Static("", id="care-views")
            yield LazyTable(self.columns(), empty_text=self.empty_text(), id="care-table")
            yield Static("", id="care-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()
        self.load()

    # -- what each screen says ------------------------------------------------------------

    def columns(self) -> list[Column]:  # pragma: no cover - each screen has its own
        raise NotImplementedError

    def empty_text(self) -> str:
        return "Nothing in this view."

    def to_row(self, item: Any) -> Row:  # pragma: no cover
        raise NotImplementedError

    def read(self, session: Any) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def summary(self) -> Text:
        return Text(self.TITLE_TEXT, style="bold")

    def views_bar(self) -> Text:
        return Text()

    def detail(self, item: Any | None) -> Text | str:
        return ""

    # -- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        self.run_worker(self._load, thread=True, exclusive=True, group="care-list")

    def _load(self) -> None:
        try:
            with self.coordinator.session() as session:
                rows = self.read(session)
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        call_from_worker(self, self.show, rows)

    def show(self, rows: list[Any]) -> None:
        self.rows = rows
        table = self.query_one(LazyTable)
        table.columns = self.columns()
        table.set_source(MappedSource(self.rows, self.to_row))
        self.query_one("#care-summary", Static).update(self.summary())
        self.query_one("#care-views", Static).update(self.views_bar())
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self._draw_detail()
        self.refresh_bindings()

    def current(self) -> Any | None:
        index = self.query_one(LazyTable).cursor_row
        return self.rows[index] if self.rows and index < len(self.rows) else None

    PREFILL_FROM: ClassVar[str] = "the list"
    """Where ``f4`` says the incident form was opened from."""

    def incident_prefill(self) -> dict[str, Any]:
        """What ``f4`` fills in here (issue 14 §1): the highlighted row's customer (and
        carer or visit, where the row has them)."""
        from coordinator_tui.screens.governance.forms import incident_prefill_from

        return incident_prefill_from(self.current(), self.PREFILL_FROM)

    def _draw_detail(self) -> None:
        self.query_one("#care-detail", Static).update(self.detail(self.current()))

    @on(LazyTable.RowHighlighted, "#care-table")
    def highlighted(self) -> None:
        self._draw_detail()

    def action_reload(self) -> None:
        self.load()

    def saved(self, keep: Callable[[Any], Any] | None = None, *, move_on: bool = False) -> None:
        """Reload after a save: the cursor stays on the same row (``keep`` gives a row's
        identity), or on the row now in its place (``move_on``: the next one to act on)."""
        table = self.query_one(LazyTable)
        index = table.cursor_row
        row = self.current()
        key = keep(row) if keep is not None and row is not None else None

        def place() -> None:
            table = self.query_one(LazyTable)
            if key is not None and not move_on:
                keys = [keep(r) for r in self.rows]  # type: ignore[misc]
                if key in keys:
                    table.cursor_row = keys.index(key)
                    return
            if self.rows:
                table.cursor_row = min(index, len(self.rows) - 1)

        self._after_load = place
        self.load()

    # -- forms ------------------------------------------------------------------------------

    @property
    def user(self) -> str:
        return self.coordinator.settings.user

    wall_clock: ClassVar[time | None] = None
    """Pins the time of day (snapshot tests: who is still to acknowledge depends on it)."""

    def now(self) -> datetime:
        """The wall-clock time on the coordinator's working day (pinned in demos and
        tests)."""
        if self.wall_clock is not None:
            from coordinator_tui.clock import UK

            return datetime.combine(self.today, self.wall_clock, tzinfo=UK)
        return self.coordinator.settings.current_moment()

    def form(
        self,
        title: str,
        fields: Sequence[Field] | Sequence[Sequence[Field]],
        apply: Callable[[Any, dict[str, Any]], Any],
        context: str = "",
        *,
        said: Callable[[Any], str] | None = None,
        after: Callable[[], None] | None = None,
        dialog: type[FormDialog] | None = None,
    ) -> None:
        """A form whose save calls ``apply(session, values)`` in one unit of work; a
        refusal stays in the form with what was typed."""

        def write(values: dict[str, Any]) -> str:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                result = apply(session, values)
                return said(result) if said else f"Saved: {title.lower()}"

        def then(_values: dict[str, Any], message: str) -> None:
            self.notify(message, timeout=5)
            (after or self.saved)()

        save = BackgroundSave(write, then)

        if fields and isinstance(fields[0], Field):
            rows = [[f] for f in fields]  # type: ignore[list-item]
        else:
            rows = [list(r) for r in fields]  # type: ignore[arg-type]
        kind = dialog or CareFormDialog
        self.app.push_screen(kind(title, rows, self.today, context, save=save))

    def act(self, apply: Callable[[Any], Any], said: Callable[[Any], str]) -> bool:
        """One key, no form: call the service, say what it did or why not."""
        try:
            with self.coordinator.session() as session:
                result = apply(session)
                message = said(result)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return False
        self.notify(message, timeout=5)
        return True


class _FormScroll(VerticalScroll, can_focus=False):
    """Scrolls the form; never takes the focus itself (the first field has it)."""


class CareFormDialog(RowsFormDialog):
    """A rows form that scrolls when it is taller than the screen (the capacity note)."""

    CSS_PATH = "care.tcss"

    def compose(self) -> ComposeResult:
        with _FormScroll(id="form-box", classes="gov-form care-form") as box:
            box.border_title = self.form_title
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            if self.context:
                yield Static(self.context, id="form-context")
            for row in self.rows:
                with Horizontal(classes="form-row"):
                    for column, field in enumerate(row, start=1):
                        with Vertical(classes="last-column" if column == len(row) else ""):
                            label = f"{field.label}{' *' if field.required else ''}"
                            yield Label(label, classes="form-label")
                            yield field_widget(field, self.today)
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        # (FormDialog's own ``on_mount`` runs after this one: Textual calls each class's.)
        # The first field is at the top: a tall form opens scrolled to its start.
        self.call_after_refresh(self.query_one(_FormScroll).scroll_home, animate=False)
