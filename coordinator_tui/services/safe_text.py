"""Control characters kept away from the terminal: stripped at input, shown when drawn.

A name imported from a CSV file or pasted into a form can hold terminal control codes: an
escape sequence such as ``ESC ] 0 ; text BEL`` sets the terminal's title, others move the
cursor or clear the screen, and a zero-width control breaks the column widths of a grid.
Two defences, both here so every path uses the same rule:

- at input, :func:`clean_text` removes them before a value is written (the session hook in
  ``services.audit`` applies it to every string column written through the ORM);
- when drawing, :func:`visible` shows any that reached the database by another road (an
  older version, another tool writing to a shared PostgreSQL database) as visible symbols
  (``␛``, ``␇``) of the same length, so nothing reaches the terminal as a control code.

No third-party imports: the line-drawing widgets use this on every frame, and the first
frame must not wait for SQLAlchemy.
"""

from __future__ import annotations

import re

__all__ = ["clean_text", "has_controls", "visible"]

# C0 controls (ESC among them), DEL and the C1 controls. Tab and line feed are kept apart:
# they belong in multi-line notes.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_DROP_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\r\n?")
_SINGLE_LINE_SPACES = re.compile("[\t\n\r]")

# Drawing: each control becomes exactly one visible character, so a Rich Text's style
# spans still line up. C0 codes have their own Control Pictures (U+2400 + code); DEL is
# U+2421; C1 codes have none, and show as the replacement character.
_VISIBLE = {code: 0x2400 + code for code in range(0x20)}
_VISIBLE[0x7F] = 0x2421
_VISIBLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})


def has_controls(text: str) -> bool:
    """True if ``text`` holds any C0 or C1 control character (tab and newline included)."""
    return _ANY_CONTROL.search(text) is not None


def clean_text(text: str, *, multiline: bool) -> str:
    """``text`` without terminal control codes, as it should be stored.

    ``multiline`` (notes, summaries): line breaks are kept, a carriage return becomes a
    line break, tab stays; every other control is dropped. Otherwise (names, titles,
    codes: one line) tabs and line breaks become spaces and every other control is
    dropped. Text without controls is returned as it is (the common case, and cheap)."""
    if not has_controls(text):
        return text
    if multiline:
        return _DROP_MULTILINE.sub("", _LINE_BREAKS.sub("\n", text))
    return _DROP_MULTILINE.sub("", _SINGLE_LINE_SPACES.sub(" ", text))


def visible(text: str) -> str:
    """``text`` with every control character replaced by a visible symbol of one cell
    (``ESC`` -> ``␛``, ``BEL`` -> ``␇``, tab -> ``␉``): for one line of a table or grid."""
    if not has_controls(text):
        return text
    return text.translate(_VISIBLE)
