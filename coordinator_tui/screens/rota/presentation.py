"""What the rota screens share in how they show things: the problem symbols and styles
(a word or symbol as well as colour), problem lines, hours, and help from a module's
docstring. (The coordinator's "now" is the unit of work's, ``clock.moment_of``, set from
``Settings.current_moment()``.) Kept apart from the grid so the carer's day, Plan B and
the solver's screen import it without importing the grid (which imports them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from coordinator_tui.services.rota.problems import Problem

STYLES = {"hard": "bold red", "soft": "yellow", "accepted": "green", "": ""}
SYMBOLS = {"hard": "✖", "soft": "▲", "accepted": "✓", "": ""}
PENDING = "…"  # in a symbol's place: the week is still being checked (the cold open)
PENDING_WORDS = "checking the week…"


def help_text(doc: str | None) -> str:
    """A module docstring as help: paragraphs re-flowed, ``code`` marks dropped, and every
    ``[`` escaped, as the help is drawn as markup (``[ / ]`` must show, not vanish)."""
    paragraphs = (doc or "").replace("``", "").split("\n\n")
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return text.replace("[", "\\[")


def hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}h"


def problem_text(problem: Problem, width: int = 0) -> Text:
    """``✖ Overlapping visits: Ann: visits overlap at Tue 07:30`` (symbol, then words)."""
    from coordinator_tui.services.rota.grid import level

    kind = level(problem)
    text = Text.assemble(
        (f"{SYMBOLS[kind]} {problem.title}", STYLES[kind] or "bold"),
        (" (accepted)" if problem.accepted else ""),
        ": ",
        problem.message,
    )
    if width:
        text.truncate(width, overflow="ellipsis")
    return text


def problem_lines(problems: list[Problem], lines: int, width: int) -> list[Text]:
    """Every problem in ``lines`` lines: one a line while they fit; otherwise the first
    ones in full and the rest by title on the last line ("also ✖ WTR: daily rest · ▲ ...")."""
    from coordinator_tui.services.rota.grid import level

    if len(problems) <= lines:
        return [problem_text(p, width) for p in problems]
    shown = [problem_text(p, width) for p in problems[: lines - 1]]
    rest = problems[lines - 1 :]
    last = Text("also " if shown else "")
    for index, problem in enumerate(rest):
        kind = level(problem)
        part = f"{SYMBOLS[kind]} {problem.title}"
        more = f" +{len(rest) - index} more: enter opens the day"
        if last.cell_len + len(part) + 3 > width - (len(more) if index < len(rest) - 1 else 0):
            last.append(more.lstrip() if index == 0 else more, style="dim")
            break
        if index:
            last.append(" · ")
        last.append(part, style=STYLES[kind])
    return [*shown, last]
