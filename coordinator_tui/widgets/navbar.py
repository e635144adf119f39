"""The row of top-level screens under the header, with the key that opens each."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

# (mode name, label, key) in the order of DESIGN.md section 3.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("home", "Home", "1"),
    ("registers", "Registers", "2"),
    ("referrals", "Referrals", "3"),
    ("meetings", "Meetings", "4"),
    ("rota", "Rota", "5"),
    ("governance", "Governance", "6"),
    ("reports", "Reports", "7"),
)


class NavBar(Static):
    """Shows every section with its key; the current one is marked (not by colour alone)."""

    DEFAULT_CSS = """
    NavBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = current

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for mode, label, key in SECTIONS:
            if mode == self.current:
                text.append(f" {key}▸{label} ", style="bold reverse")
            else:
                text.append(f" {key}", style="bold")
                text.append(f" {label} ")
        return text
