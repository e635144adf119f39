"""The frame every top-level screen shares: header, section bar, footer, help text."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header

from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.navbar import NavBar

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp


class SectionScreen(Screen):
    """Base for top-level screens. Subclasses set ``MODE`` and ``HELP`` and compose
    their body in ``compose_body``; ``on_database_ready`` runs once the database is open
    (immediately if it already is), so a screen never blocks the first frame."""

    MODE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""

    @property
    def coordinator(self) -> CoordinatorApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.coordinator.when_database_ready(self, self.on_database_ready)

    def on_database_ready(self) -> None:
        """Load data; called on the screen's message loop once the engine exists."""
