"""``?`` / ``f1``: the keys that work on the current screen, with what each does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from coordinator_tui.screens.type_ahead import PassesStrayKeys

GLOBAL_KEYS: tuple[tuple[str, str], ...] = (
    ("1 … 7", "Home, Registers, Referrals, Meetings, Rota, Governance, Reports"),
    ("ctrl+p", "Command palette: find a person by name, NHS number or date of birth"),
    ("? / f1", "This help"),
    ("ctrl+q", "Quit"),
    ("up/down, j/k", "Move in lists; home/end, pgup/pgdn jump"),
    ("enter", "Open the highlighted item"),
    ("esc", "Close this help, clear a filter, go back"),
)


def bindings_table(screen: Screen) -> Table:
    """Every binding active on ``screen`` with its description, deduplicated by action."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        table.add_row(screen.app.get_key_display(binding), binding.description)
    return table


class HelpScreen(PassesStrayKeys, ModalScreen[None]):
    """Help for the screen underneath: its purpose, its keys, the global keys."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        help_text = getattr(self.target, "HELP", "") or ""
        global_table = Table.grid(padding=(0, 2))
        global_table.add_column(style="bold", no_wrap=True)
        global_table.add_column()
        for key, what in GLOBAL_KEYS:
            global_table.add_row(key, what)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help"
            box.border_subtitle = "esc to close"
            if help_text:
                yield Static(help_text, classes="help-text")
            yield Static(Text("Keys on this screen", style="bold underline"))
            yield Static(bindings_table(self.target), classes="help-keys")
            yield Static(Text("Everywhere", style="bold underline"))
            yield Static(global_table, classes="help-keys")
