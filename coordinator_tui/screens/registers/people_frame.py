"""The people list's first screen, painted before Textual has started (issue 23 §2).

``coordinator-tui people`` (signed in from the start: ``demo``) shows every person. The
app's own first frame comes after Python has imported Textual and the app (about 0.2 s
of CPU, as long as a bare Textual app takes to paint anything, and about as long as
VisiData takes to show a CSV's first row). This module paints that same first frame
straight away, from the launcher, with nothing but the standard library: the rows read
by ``services.people_quick`` (stdlib ``sqlite3``, read only) and the frame's layout and
colours from a *template* of the app's own first frame, kept from an earlier launch.

What makes it the same frame, not a look-alike:

- The template is the app's first frame exactly as Textual wrote it to the terminal
  (``textual_private.full_frame``), with each row's text and the count cut out and
  replaced by a marker. It holds no one's details: only the screen's layout, colours,
  headings and keys. It is kept per terminal size, theme, terminal type, number of
  people and the app's and Textual's installed files (``_stamp``); anything else, or no
  template yet, and nothing is painted early.
- A row's text is made as ``LazyTable`` draws a plain cell: padded to its column's
  width, then a space. Only rows whose cells are printable ASCII that fits the column
  are painted (no ellipsis, no wide characters to measure); anything else, nothing.
- When a template is made, the frame is rebuilt from it and the rows shown and must be
  the frame itself, or no template is kept. Each time the app paints its first frame
  after an early paint, the two are compared (``check``) and the template made again
  from the app's frame, so a stale one is used at most once (and then only until the
  app's frame, a quarter of a second later, replaces every cell of it).

The terminal: the early paint enters the alternate screen and hides the cursor, as
Textual's driver does first; the app's driver is then told not to enter it a second
time (``keep_screen``: some terminals clear the alternate screen when asked again).
Not on Windows, not when the output is not a terminal, not for PostgreSQL or an
encrypted database (no stdlib reader), and only for someone signed in who may view the
registers, as the list itself (issue 17).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coordinator_tui.formatting import uk_date
from coordinator_tui.services.person_hit import PersonHit, format_nhs_number

TEMPLATES = "people-frame.json"
"""The templates' file, beside the default database in the user's data directory."""

KEEP = 8
"""Templates kept (sizes, themes, counts), the oldest dropped first."""

_ROW = "\x00R{}\x00"
_COUNT = "\x00C\x00"

ENTER = "\x1b[?1049h\x1b[?25l"
"""Alternate screen and hidden cursor: what Textual's driver starts with."""

LEAVE = "\x1b[?1049l\x1b[?25h"

PAINTED: str | None = None
"""The frame painted early in this process (compared with the app's first frame)."""

LAST_CHECK: str | None = None
"""After ``remember``: "same", "differs" or "none" (nothing painted early): for tests."""

_EARLY: EarlyPaint | None = None


def person_cells(hit: PersonHit) -> tuple[str, str, str, str]:
    """A person's cells in the list: name, NHS number, date of birth, postcode."""
    return (
        hit.display_name,
        format_nhs_number(hit.nhs_number),
        uk_date(hit.date_of_birth),
        hit.postcode,
    )


def summary_text(total: int) -> str:
    """The line above the list: how many people."""
    return f"People: {total:,}"


def row_text(cells: Sequence[str], widths: Sequence[int]) -> str | None:
    """One row's text as ``LazyTable`` draws plain cells that fit: each padded to its
    column's width and followed by a space (a hidden column, width 0, left out). None
    when a cell is not printable ASCII or would be cut: then the list is not painted
    early (its ellipsis and wide characters are Rich's to measure)."""
    parts: list[str] = []
    for cell, width in zip(cells, widths, strict=True):
        if not width:
            continue
        if not (cell.isascii() and cell.isprintable()) or len(cell) > width:
            return None
        parts.append(cell.ljust(width) + " ")
    return "".join(parts)


def _stamp() -> list[int]:
    """The installed app and Textual, as file times and sizes: a template is kept only
    for the code that drew it (an upgrade, or an edit in development, makes a new one)."""
    stamp: list[int] = []
    package = Path(__file__).resolve().parents[2]
    for folder, _dirs, files in os.walk(package):
        for name in files:
            if name.endswith((".py", ".tcss")):
                info = os.stat(os.path.join(folder, name))
                stamp += [info.st_mtime_ns, info.st_size]
    from importlib.util import find_spec

    spec = find_spec("textual")
    if spec is not None and spec.origin:
        for path in (Path(spec.origin), Path(spec.origin).parent):
            info = path.stat()
            stamp += [info.st_mtime_ns, info.st_size]
    return stamp


def frame_key(width: int, height: int, theme: str, total: int, stamp: list[int]) -> str:
    """Which template fits: the terminal's size and type, the theme, the number of
    people (the scroll bar's thumb), the code."""
    terminal = [os.environ.get(k, "") for k in ("TERM", "COLORTERM", "NO_COLOR")]
    terminal += [os.environ.get(k, "") for k in ("TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM")]
    raw = json.dumps([width, height, theme, total, terminal, stamp])
    return hashlib.sha256(raw.encode()).hexdigest()


def _templates_path() -> Path:
    from coordinator_tui.settings import user_data_dir

    return user_data_dir() / TEMPLATES


def _load() -> dict[str, Any]:
    try:
        found = json.loads(_templates_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def make_template(
    frame: str, hits: Sequence[PersonHit], widths: Sequence[int], total: int
) -> dict[str, Any] | None:
    """The template of ``frame`` (the app's first frame of the list, showing ``hits``
    from the top and ``total``): each row's text and the count replaced by markers, and
    rebuilt, equal to ``frame``. None when a row or the count is not found exactly once
    or cannot be drawn here (see ``row_text``)."""
    if "\x00" in frame:
        return None
    template = frame
    for number, hit in enumerate(hits):
        text = row_text(person_cells(hit), widths)
        if text is None or template.count(text) != 1:
            return None
        template = template.replace(text, _ROW.format(number))
    count = summary_text(total)
    if template.count(count) != 1:
        return None
    template = template.replace(count, _COUNT)
    made = {"rows": len(hits), "widths": list(widths), "frame": template}
    if _fill(made, [(None, hit) for hit in hits], total) != frame:
        return None
    return made


def _fill(
    template: dict[str, Any], page: Sequence[tuple[Any, PersonHit]], total: int
) -> str | None:
    """The template with ``page``'s rows and ``total`` in it, or None if a row cannot be
    drawn here."""
    frame = str(template["frame"])
    for number, (_key, hit) in enumerate(page):
        text = row_text(person_cells(hit), template["widths"])
        if text is None:
            return None
        frame = frame.replace(_ROW.format(number), text)
    return frame.replace(_COUNT, summary_text(total))


def remember(
    frame: str,
    hits: Sequence[PersonHit],
    widths: Sequence[int],
    total: int,
    size: tuple[int, int],
    theme: str,
) -> bool:
    """Keep the template of the app's first frame of the list (see ``make_template``)
    for the next launch at this size and theme; compare it with the frame painted
    early, if one was (``LAST_CHECK``). True if a template was kept."""
    global LAST_CHECK
    LAST_CHECK = "none" if PAINTED is None else ("same" if frame == PAINTED else "differs")
    made = make_template(frame, hits, widths, total)
    if made is None:
        return False
    key = frame_key(size[0], size[1], theme, total, _stamp())
    templates = {k: v for k, v in _load().items() if k != key}
    templates[key] = made
    path = _templates_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = dict(list(templates.items())[-KEEP:])
        partial = path.with_suffix(".tmp")
        # The app's one way to write a private file (0600 even over an existing file);
        # imported here, in the app, not on the launcher's early path.
        from coordinator_tui.services.exporting import write_private

        write_private(partial, json.dumps(kept))
        os.replace(partial, path)
    except OSError:
        return False
    return True


def take_early() -> EarlyPaint | None:
    """What the launcher painted, for the list to go on from (once)."""
    global _EARLY
    early, _EARLY = _EARLY, None
    return early


@dataclass
class EarlyPaint:
    """What the launcher painted: the frame, and the reader that read its rows (the
    list goes on reading from it until the database is open)."""

    frame: str
    quick: Any


def early_frame(path: Path | None, size: tuple[int, int], theme: str) -> tuple[str, Any] | None:
    """The app's first frame of the list for the SQLite file at ``path`` at ``size``
    and ``theme``, from a kept template and the stdlib reader, with that reader; None
    when there is no template for it or a row cannot be drawn here."""
    from coordinator_tui.services.people_quick import QuickPeople

    quick = QuickPeople.open(path)
    if quick is None:
        return None
    try:
        total = quick.count()
        template = _load().get(frame_key(size[0], size[1], theme, total, _stamp()))
        if not isinstance(template, dict):
            raise LookupError
        page = quick.by_key(None, limit=int(template["rows"]))
        frame = _fill(template, page, total) if len(page) == template["rows"] else None
        if frame is None:
            raise LookupError
    except (LookupError, KeyError, TypeError, ValueError, OSError):
        quick.close()
        return None
    except Exception:
        quick.close()
        raise
    return frame, quick


def paint_early(
    db: str, theme: str, principal: Any = None, demo: bool = False
) -> EarlyPaint | None:
    """Paint the list's first frame on the terminal now, if it can be the app's (see the
    module's docstring); None, and nothing written, otherwise."""
    global PAINTED, _EARLY
    if os.name == "nt" or not (demo or principal is not None):
        return None
    if principal is not None:
        from coordinator_tui.services.access import VIEW_REGISTER

        if not principal.can(VIEW_REGISTER):
            return None
    try:  # where and at what size Textual's driver draws: stderr, shutil's size
        out = sys.__stderr__.fileno() if sys.__stderr__ is not None else -1
        if out < 0 or not os.isatty(out) or not os.isatty(0):
            return None
        import shutil

        columns, lines = shutil.get_terminal_size()
    except (OSError, ValueError):
        return None
    from coordinator_tui.preflight import DatabaseOpenError, resolve_target

    try:
        path = resolve_target(db).path
    except DatabaseOpenError:
        return None
    found = early_frame(path, (columns, lines), theme)
    if found is None:
        return None
    frame, quick = found
    try:
        os.write(out, (ENTER + "\x1b[?2026h" + frame + "\x1b[?2026l").encode("utf-8"))
    except OSError:
        quick.close()
        return None
    PAINTED = frame
    _EARLY = EarlyPaint(frame, quick)
    return _EARLY


def undo() -> None:
    """Leave the alternate screen the early paint entered (the app did not start)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.write(sys.__stderr__.fileno(), LEAVE.encode())  # type: ignore[union-attr]


def keep_screen(driver_class: type) -> type:
    """``driver_class`` that does not enter the alternate screen again: the early paint
    did, and some terminals clear it when asked a second time (the rows would vanish
    until the app's first frame)."""

    class KeepScreen(driver_class):  # type: ignore[misc, valid-type]
        _entered = False

        def write(self, data: str) -> None:
            if not self._entered and data.startswith("\x1b[?1049h"):
                self._entered = True
                data = data[len("\x1b[?1049h") :]
                if not data:
                    return
            super().write(data)

    KeepScreen.__name__ = f"KeepScreen{driver_class.__name__}"
    return KeepScreen
