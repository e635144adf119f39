"""The programs ``benchmarks.terminal``'s typing test types into:

- ``python -m benchmarks.typing_apps input``: a bare Textual Input, the baseline;
- ``python -m benchmarks.typing_apps date``: the app's ``DateInput`` alone (it resolves and
  shows the date on every key), same layout as ``input``: a title line, then the field,
  focused (information: the widget without the screen around it);
- ``python -m benchmarks.typing_apps dialog DB``: the real app on ``DB`` with the demo user
  signed in, exactly ``coordinator-tui demo --db DB``; the benchmark opens the review queue
  (``2``) and the snooze dialog (``s``) and types into its date field (issue 23 §2).
"""

from __future__ import annotations

import sys
from datetime import date

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

PLACEHOLDER = "type-a-date-here"
# A fixed "today" so that relative dates resolve the same on every run.
TODAY = date(2026, 11, 23)


class TypingApp(App[None]):
    """A title and one field."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield Static(f"Typing benchmark: {self.kind}")
        if self.kind == "date":
            from coordinator_tui.widgets.date_input import DateInput

            yield DateInput(placeholder=PLACEHOLDER, today=TODAY)
        else:
            yield Input(placeholder=PLACEHOLDER, compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "dialog":
        from coordinator_tui.launch import open_app

        return open_app(args[1], demo=True)
    if args not in (["input"], ["date"]):
        print("usage: python -m benchmarks.typing_apps input|date|dialog DB", file=sys.stderr)
        return 2
    TypingApp(args[0]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
