"""The one writer for every CSV and XLSX file the app produces, safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is read by Excel, LibreOffice
and Google Sheets as a formula (``=HYPERLINK(...)`` sends data elsewhere, ``=cmd|...``
ran commands in older Excel); a leading tab or carriage return hides such a start from a
quick look. Names, notes and free text typed or imported into the app can hold anything,
so every text cell that starts with one of those characters is written as text: prefixed
with a single quote (OWASP's "CSV injection" advice), which a spreadsheet shows as the
text it is. Numbers stay numbers.

``tests/test_hostile_input.py`` fails if any module writes CSV or XLSX another way.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMULA_STARTS", "csv_text", "safe_cell", "write_private", "xlsx_bytes"]

# The ASCII starts spreadsheets read as formulas, the two invisible ones OWASP lists, and
# the full-width forms some spreadsheets fold to ASCII on entry. A line feed first is
# added for the same reason as a carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet must read it: text that would start a formula is
    prefixed with ``'``; numbers, dates and None are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (header row first) with every cell made safe by :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return buffer.getvalue()


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per ``(title, header, rows)``. Text cells are
    stored as text (never as a formula, whatever they start with) and prefixed as in CSV,
    so the file reads the same in every spreadsheet and when saved on as CSV."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell_value(value: Any) -> Any:
        if isinstance(value, str):  # XML cannot hold most control codes: they go
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return safe_cell(value)

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31] or "Sheet")
        for row in [list(header), *rows]:
            sheet.append([cell_value(cell) for cell in row])
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl makes any "=..." text a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` readable by its owner only: the one way the app writes a
    file holding people's details (letters, minutes, call lists, reports, exports).

    A new file is created 0600; an existing one (perhaps world-readable, left by another
    program) is truncated and set to 0600 through its descriptor before a byte is written,
    since ``os.open``'s mode applies only to a file it creates. A missing folder is made
    0700 (whatever the umask). An existing folder is left as it is: the coordinator chose
    it, and tightening it would change, say, their home folder's permissions for every
    other program (the app's own exports folder is made 0700 when the app creates it). On
    Windows the modes mean little: the user's profile folder protects the files (README,
    "Practice PC"). Text is written as UTF-8 with the newlines given. Returns the path."""
    target = Path(path).expanduser()
    folder = target.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):  # not on Windows
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(payload)
    finally:
        if fd >= 0:
            os.close(fd)
    return target
