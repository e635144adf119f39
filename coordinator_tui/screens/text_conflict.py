"""Someone else saved the same text meanwhile, in a way that cannot be merged: both
versions side by side, and the coordinator chooses. Used by live minuting (an item's
notes) and the person record (the case summary).

``f5`` keeps mine, ``f6`` keeps theirs, ``f7`` keeps both (theirs, then mine). The keys
are function keys on purpose: this can open while the coordinator is typing notes, and
a letter typed in a sentence must not choose for them. What is typed while it shows is
kept and added to the chosen text. ``up``/``down``/``pgup``/``pgdn`` scroll both sides.
A line only one side has is marked ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import time_on_date
from coordinator_tui.screens.type_ahead import TypeAhead
from coordinator_tui.services.text_merge import TextConflict, keep_both


@dataclass(frozen=True)
class TextChoice:
    """What the coordinator chose: ``text`` to save (``choice``: mine, theirs or both),
    and what they typed while choosing (to add after it)."""

    text: str
    choice: str
    typed: str = ""


def side_text(text: str, other: str) -> Text:
    """The text with each line the other side does not have marked ``+`` (a word, not
    a colour only)."""
    others = set(other.split("\n"))
    shown = Text()
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line not in others and line.strip():
            shown.append("+ ", "bold")
            shown.append(line, "bold")
        else:
            shown.append(f"  {line}")
        if number < len(lines) - 1:
            shown.append("\n")
    if not text.strip():
        shown = Text("(empty)", style="dim")
    return shown


def sides(conflict: TextConflict) -> Table:
    """Mine and theirs side by side, as tall as the longer of the two."""
    theirs_by = conflict.theirs_by or "theirs"
    saved = f", saved {to_local(conflict.theirs_at):%H:%M}" if conflict.theirs_at else ""
    table = Table(box=box.SQUARE, show_edge=False, pad_edge=False, expand=True, header_style="bold")
    table.add_column("Yours (not saved)", ratio=1)
    table.add_column(f"{theirs_by}'s{saved}", ratio=1)
    mine, theirs = conflict.mine, conflict.theirs
    table.add_row(side_text(mine, theirs), side_text(theirs, mine))
    return table


def describe(conflict: TextConflict) -> str:
    """One line: who saved the other version of what, and when."""
    who = conflict.theirs_by or "Someone else"
    when = f" at {time_on_date(to_local(conflict.theirs_at))}" if conflict.theirs_at else ""
    return (
        f"{who} saved {conflict.what}{when} while you were editing. Nothing is lost: "
        "choose what to keep (+ marks a line only one version has)."
    )


class TextConflictScreen(TypeAhead, ModalScreen[TextChoice]):
    """Mine and theirs side by side; returns the coordinator's :class:`TextChoice`."""

    CSS_PATH = "text_conflict.tcss"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("f5", "choose('mine')", "Keep mine", id="conflict.mine"),
        Binding("f6", "choose('theirs')", "Keep theirs", id="conflict.theirs"),
        Binding("f7", "choose('both')", "Keep both", id="conflict.both"),
        Binding("up", "scroll(-1)", "Scroll up", show=False, id="conflict.up"),
        Binding("down", "scroll(1)", "Scroll down", show=False, id="conflict.down"),
        Binding("pageup", "scroll(-10)", "Page up", show=False, id="conflict.page_up"),
        Binding("pagedown", "scroll(10)", "Page down", show=False, id="conflict.page_down"),
        Binding("escape", "remind", "Choose", show=False, id="conflict.escape"),
    ]

    def __init__(self, conflict: TextConflict, title: str = "") -> None:
        super().__init__()
        self.conflict = conflict
        self.title_text = title or f"{conflict.what.capitalize()} changed meanwhile"
        self.typed: list[str] = []

    def compose(self) -> ComposeResult:
        conflict = self.conflict
        with Vertical(id="conflict-box") as box:
            box.border_title = self.title_text
            yield Static(describe(conflict), id="conflict-intro")
            with VerticalScroll(id="conflict-sides"):
                yield Static(sides(conflict))
            yield Static("", id="conflict-typed")
            yield Static(
                Text.assemble(
                    ("f5", "bold"),
                    " keep mine   ",
                    ("f6", "bold"),
                    " keep theirs   ",
                    ("f7", "bold"),
                    " keep both (theirs, then mine)",
                ),
                id="conflict-keys",
            )

    def on_mount(self) -> None:
        # (the base class's ``on_mount`` runs after this one: Textual calls each class's)
        for scroll in self.query(VerticalScroll):
            scroll.can_focus = False  # keys are the dialog's: nothing here takes typing

    def action_choose(self, choice: str) -> None:
        conflict = self.conflict
        text = {
            "mine": conflict.mine,
            "theirs": conflict.theirs,
            "both": keep_both(conflict.mine, conflict.theirs),
        }[choice]
        self.dismiss(TextChoice(text, choice, "".join(self.typed)))

    def action_scroll(self, lines: int) -> None:
        for scroll in self.query(VerticalScroll):
            scroll.scroll_relative(y=lines, animate=False)

    def action_remind(self) -> None:
        self.notify("Choose: f5 keep mine, f6 keep theirs, f7 keep both (nothing is lost)")

    async def on_key(self, event: events.Key) -> None:
        """Typing meant for the notes is kept (shown, then added after the choice)
        rather than dropped or taken as a choice."""
        await super().on_key(event)
        if self.app.screen is not self or event.key in self._bound_keys():
            return
        if event.key == "enter":
            self.typed.append("\n")
        elif event.key == "backspace":
            if self.typed:
                self.typed.pop()
        elif event.is_printable and event.character:
            self.typed.append(event.character)
        else:
            return
        event.stop()
        event.prevent_default()
        typed = "".join(self.typed)
        self.query_one("#conflict-typed", Static).update(
            Text.assemble(("Typed meanwhile, added after your choice: ", "bold"), typed)
            if typed
            else ""
        )

    def _bound_keys(self) -> set[str]:
        return {key for binding in self.BINDINGS for key in binding.key.split(",")}  # type: ignore[union-attr]
