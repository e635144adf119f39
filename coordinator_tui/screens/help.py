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


def _is_app_binding(node: object, binding: Binding) -> bool:
    """Whether ``binding`` comes from this app's own classes rather than Textual's widgets
    (scroll left, copy, select all...): the app's keys are what a coordinator looks for."""
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("coordinator_tui"):
            continue
        for own in cls.__dict__.get("BINDINGS", ()):
            action = own.action if isinstance(own, Binding) else own[1]
            if action == binding.action:
                return True
    return False


def bindings_table(screen: Screen, *, app_keys: bool = True) -> Table:
    """The bindings active on ``screen`` with their descriptions, deduplicated by action:
    the app's own (``app_keys``) or the generic ones of Textual's widgets."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.action in seen:
            continue
        if _is_app_binding(active.node, binding) != app_keys:
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
            generic = bindings_table(self.target, app_keys=False)
            if generic.row_count:
                yield Static(Text("Editing and scrolling keys", style="bold underline"))
                yield Static(generic, classes="help-keys")
