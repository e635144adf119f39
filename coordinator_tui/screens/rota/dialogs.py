"""The ranked-carer picker (``a`` on an unassigned visit), and Plan C's time picker.

Feasible carers first, best score first, each with the parts of its score: continuity
(``regular`` or ``new``), travel added, preferred carer and gender, and how many soft
problems would need a reason; then the carers who cannot take the visit, each with the
first reason. Type to filter by name; ``up``/``down`` move; ``enter`` picks; ``esc`` cancels.

The list is a ``LazyTable``: a line is made when it is drawn, so opening the picker for
300 carers makes the dozen or so on screen, and a ruled-out carer's reason that ranking
works out only when read (``ranking.Later``) is worked out for those alone (issue 23 §1).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.screens.type_ahead import TypeAhead
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.rota.assign import Candidate
    from coordinator_tui.services.rota.plan_c import TimeOption


def candidate_text(candidate: Candidate) -> Text:
    """One line of the picker: symbol, name, then the score's parts or the reason."""
    name = f"{candidate.name[:22]:<22}"
    if not candidate.feasible:
        text = Text.assemble(("✖ ", "red"), (name, "dim"), " ", (candidate.reason, "red"))
        text.no_wrap, text.overflow = True, "ellipsis"
        return text
    parts = Text.assemble(("✓ ", "green"), (name, "bold"), f" {candidate.score:>4} ")
    parts.append(
        "regular" if candidate.continuity else "new", "green" if candidate.continuity else ""
    )
    parts.append(f" · +{candidate.travel_added} min travel")
    if candidate.preferred:
        parts.append(" · preferred", "green")
    if not candidate.gender_ok:
        parts.append(" · gender not preferred", "yellow")
    if candidate.soft:
        parts.append(f" · ▲ {len(candidate.soft)} to accept", "yellow")
    parts.no_wrap, parts.overflow = True, "ellipsis"
    return parts


class CarerPicker(TypeAhead, ModalScreen[int | None]):
    """Returns the chosen carer's id, or None."""

    CSS_PATH = "rota.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="picker.pageup"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="picker.pagedown"),
    ]

    def __init__(self, title: str, candidates: list[Candidate]) -> None:
        super().__init__()
        self.picker_title = title
        self.candidates = candidates
        self.shown: list[Candidate] = list(candidates)

    def compose(self) -> ComposeResult:
        feasible = sum(1 for c in self.candidates if c.feasible)
        with Vertical(id="picker-box") as box:
            box.border_title = "Assign a carer"
            box.border_subtitle = "type to filter · ↑↓ · enter assign · esc cancel"
            yield Static(self.picker_title, id="picker-visit")
            yield Static(
                f"{feasible} of {len(self.candidates)} carers can take it; "
                "score = continuity + preferences - travel minutes",
                id="picker-count",
            )
            yield Input(placeholder="Filter by name", id="picker-filter", compact=True)
            yield LazyTable(
                [Column("Carer, score or why not")],
                empty_text="No carer by that name.",
                id="picker-options",
            )
            yield Static("", id="picker-error")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#picker-filter", Input).focus()

    def _fill(self) -> None:
        table = self.query_one("#picker-options", LazyTable)
        table.set_source(MappedSource(self.shown, lambda c: Row(c.carer_id, (candidate_text(c),))))
        table.cursor_row = 0

    @property
    def highlighted(self) -> int | None:
        """The row the cursor is on (None: no carer shown)."""
        return self.query_one("#picker-options", LazyTable).cursor_row if self.shown else None

    @on(Input.Changed, "#picker-filter")
    def filter(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        self.shown = [c for c in self.candidates if all(w in c.name.lower() for w in words)]
        self.query_one("#picker-error", Static).update("")
        self._fill()

    def action_move(self, step: int) -> None:
        table = self.query_one("#picker-options", LazyTable)
        if not self.shown:
            return
        table.cursor_row = min(max(table.cursor_row + step, 0), len(self.shown) - 1)

    @on(Input.Submitted, "#picker-filter")
    def submitted(self) -> None:
        if self.highlighted is not None:
            self.choose(self.highlighted)

    @on(LazyTable.RowSelected, "#picker-options")
    def selected(self, event: LazyTable.RowSelected) -> None:
        self.choose(event.index)

    def choose(self, index: int) -> None:
        if not 0 <= index < len(self.shown):
            return
        candidate = self.shown[index]
        if not candidate.feasible:
            self.query_one("#picker-error", Static).update(
                Text(f"✖ {candidate.name} cannot take this visit: {candidate.reason}", "red")
            )
            return
        self.dismiss(candidate.carer_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TimePicker(TypeAhead, ModalScreen["tuple[datetime, int] | None"]):
    """Plan C's time change: each time within the visit's window with the carers free
    then, best first. ``enter`` picks a time and carer; ``esc`` cancels. Returns
    (start, carer id) or None."""

    CSS_PATH = "rota.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="time_picker.cancel")]

    def __init__(self, title: str, options: list[TimeOption]) -> None:
        super().__init__()
        self.picker_title = title
        self.choices: list[tuple[datetime, Candidate]] = [
            (option.start, candidate) for option in options for candidate in option.candidates[:3]
        ]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box") as box:
            box.border_title = "Move the visit within its window"
            box.border_subtitle = "↑↓ · enter move it and assign · esc cancel"
            yield Static(self.picker_title, id="picker-visit")
            yield Static(
                "The customer is rung to agree the new time (it goes on the call list).",
                id="picker-count",
            )
            yield OptionList(
                *(
                    Option(time_choice_text(start, candidate), id=str(index))
                    for index, (start, candidate) in enumerate(self.choices)
                ),
                id="time-options",
            )

    def on_mount(self) -> None:
        options = self.query_one("#time-options", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#time-options")
    def selected(self, event: OptionList.OptionSelected) -> None:
        start, candidate = self.choices[event.option_index]
        self.dismiss((start, candidate.carer_id))

    def action_cancel(self) -> None:
        self.dismiss(None)


def time_choice_text(start: datetime, candidate: Candidate) -> Text:
    """``08:35  ✓ Ann Smith  regular · +5 min travel``."""
    text = Text.assemble((f"{start:%H:%M}  ", "bold"), candidate_text(candidate))
    text.no_wrap, text.overflow = True, "ellipsis"
    return text
