"""The baseline for start-up: a bare Textual app that mounts one Static and exits once
its first frame is painted, by the same mechanism the real app uses in benchmark mode
(``call_after_refresh(self.exit)`` in ``on_mount``).

Run as ``python -m benchmarks.bare_app``.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App[None]):
    """One Static, exit after the first refresh."""

    def compose(self) -> ComposeResult:
        yield Static("Bare Textual app: first frame")

    def on_mount(self) -> None:
        self.call_after_refresh(self.exit)


def main() -> None:
    BareApp().run()


if __name__ == "__main__":
    main()
