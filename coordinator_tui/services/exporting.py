"""The one writer for every CSV and XLSX file the app produces, safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is read by Excel, LibreOffice
and Google Sheets as a formula (``=HYPERLINK(...)`` sends data elsewhere, ``=cmd|...``
ran commands in older Excel); a leading tab or carriage return hides such a start from a
quick look. Names, notes and free text typed or imported into the app can hold anything,
so every text cell that starts with one of those characters is written as text: prefixed
with a single quote (OWASP's "CSV injection" advice), which a spreadsheet shows as the
text it is. Numbers stay numbers.

``tests/test_hostile_input.py`` fails if any module writes CSV or XLSX another way.

From an encrypted database (issue 17 §5) every export is encrypted too, with an *export
password* the coordinator chooses (not their sign-in password: the recipient is told it
another way, by phone, as NHS practice is for e-mailed files). :func:`export_sink` is the
one place that decides: it checks the export is allowed (``access.require_export``),
sees whether the unit of work's database is encrypted, and returns an :class:`ExportSink`
whose ``write`` writes the file plain (:func:`write_private`) or encrypted: Word and Excel
files with Office's own password encryption (ECMA-376 agile: AES-256, SHA-512), which
Word, Excel and LibreOffice open after asking for the password; any other file (CSV,
text, Markdown) inside an AES-256 zip, its name gaining ``.zip``. The password is never
written, logged or put in the audit trail (the trail says the file was encrypted).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coordinator_tui.services.access import NotPermittedError

__all__ = [
    "EXPORT_PASSWORD_KEY",
    "FORMULA_STARTS",
    "OFFICE_SUFFIXES",
    "ExportPassword",
    "ExportPasswordRequiredError",
    "ExportSink",
    "csv_text",
    "database_encrypted",
    "export_password_problem",
    "export_sink",
    "safe_cell",
    "where_written",
    "write_private",
    "xlsx_bytes",
]

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


# -- encrypted exports (issue 17 §5) ------------------------------------------------------

EXPORT_PASSWORD_KEY = "export_password"
"""Where a unit of work carries the export password (``session.info``): an
:class:`ExportPassword`, put there by the app (held in its memory) or the command line."""

OFFICE_SUFFIXES = (".docx", ".xlsx")
"""Files encrypted with Office's own password (opened by Word, Excel, LibreOffice); any
other export goes into an AES-256 zip."""

ZIP_SUFFIX = ".zip"


class ExportPasswordRequiredError(NotPermittedError):
    """An export from an encrypted database, and no export password given yet: the app
    asks for one (``ExportPasswordScreen``), and the export is pressed again."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Exports from this encrypted database are encrypted: choose an export "
            "password (tell the recipient it by phone), then export again."
        )


class ExportPassword:
    """The export password, held where nothing prints it: its ``repr`` hides it (a
    traceback, a log line or a debugger showing the object shows no secret).

    Given as text, or as a function that finds it when first needed (the command line
    asks only when a command actually exports from an encrypted database)."""

    __slots__ = ("_find", "_value")

    def __init__(self, value: str | Callable[[], str]) -> None:
        self._value: str | None = value if isinstance(value, str) else None
        self._find: Callable[[], str] | None = None if isinstance(value, str) else value

    def reveal(self) -> str:
        """The password itself, for the one encrypting call that needs it."""
        if self._value is None:
            assert self._find is not None
            self._value = self._find()
            self._find = None
        return self._value

    def __repr__(self) -> str:
        return "ExportPassword(<hidden>)"

    __str__ = __repr__


def database_encrypted(session: Any) -> bool:
    """Whether the unit of work's database is an encrypted one (SQLCipher through
    SQLAlchemy's ``sqlite+pysqlcipher`` dialect: ``db encrypt``)."""
    bind = session.get_bind()
    url = getattr(bind, "url", None) or getattr(getattr(bind, "engine", None), "url", None)
    return url is not None and url.drivername.endswith("pysqlcipher")


def office_encrypted(data: bytes, password: str) -> bytes:
    """A .docx or .xlsx file's bytes encrypted with Office's password encryption
    (ECMA-376 agile: AES-256 with a SHA-512 key derived over 100,000 rounds)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def zip_encrypted(name: str, data: bytes, password: str) -> bytes:
    """One file ``name`` in a zip encrypted with AES-256 (WinZip's AE-2: 7-Zip, WinZip,
    Keka open it; Windows' own Compressed Folders do not)."""
    import pyzipper

    out = io.BytesIO()
    with pyzipper.AESZipFile(
        out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(name, data)
    return out.getvalue()


@dataclass(frozen=True)
class ExportSink:
    """Where an export's files go: plain (``password`` None, a plain database) or
    encrypted with the export password. ``write`` returns the path really written (a
    CSV from an encrypted database is ``name.csv.zip``): screens say that one."""

    password: ExportPassword | None = None

    @property
    def encrypted(self) -> bool:
        return self.password is not None

    def final_path(self, path: str | os.PathLike[str]) -> Path:
        """The path ``write`` writes for ``path``."""
        target = Path(path).expanduser()
        if self.password is None or target.suffix.lower() in OFFICE_SUFFIXES:
            return target
        return target.with_name(target.name + ZIP_SUFFIX)

    def write(self, path: str | os.PathLike[str], data: bytes | str) -> Path:
        """Write one export (owner-only, as :func:`write_private`), encrypted when the
        database is; returns the path written."""
        target = Path(path).expanduser()
        if self.password is None:
            return write_private(target, data)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        secret = self.password.reveal()
        if target.suffix.lower() in OFFICE_SUFFIXES:
            return write_private(target, office_encrypted(payload, secret))
        return write_private(self.final_path(target), zip_encrypted(target.name, payload, secret))


PLAIN = ExportSink()
"""The sink of a plain database's exports."""


def export_sink(session: Any, now: Any = None) -> ExportSink:
    """The one check before any export: the ``export`` activity and a password given
    lately (``access.require_export``: :class:`~access.StepUpRequiredError`), then, from
    an encrypted database, the export password (:class:`ExportPasswordRequiredError`
    when none is held). Call it before anything is recorded or written."""
    from coordinator_tui.services.access import require_export

    require_export(session, now=now)
    if not database_encrypted(session):
        return PLAIN
    held = session.info.get(EXPORT_PASSWORD_KEY)
    if not isinstance(held, ExportPassword):
        raise ExportPasswordRequiredError()
    held.reveal()  # the command line asks (or refuses) now, before anything is recorded
    return ExportSink(held)


def where_written(paths: Sequence[Path]) -> str:
    """The files an export wrote, as a screen says them: ``folder: a.docx, a.csv.zip``
    (the real names: an encrypted database's CSV is a ``.zip``)."""
    if not paths:
        return ""
    return f"{paths[0].parent}: " + ", ".join(path.name for path in paths)


SAME_AS_SIGN_IN = (
    "Choose a password other than your sign-in one: the recipient will be told this one."
)


def export_password_problem(session: Any, password: str) -> str | None:
    """Why ``password`` cannot be the export password, in one line, or None: the rules of
    an account's password (``accounts.password_problem``), and not the signed-in account's
    own password (the recipient is told the export password). The comparison is one
    Argon2id check (about a quarter of a second): call it off the UI thread. Nothing is
    counted or audited: it is not a sign-in."""
    from coordinator_tui.services import accounts
    from coordinator_tui.services.access import current_principal

    principal = current_principal(session)
    problem = accounts.password_problem(password, principal.username if principal else "")
    if problem:
        return problem
    account_id = principal.account_id if principal is not None else None
    if account_id is not None and accounts.is_own_password(session, account_id, password):
        return SAME_AS_SIGN_IN
    return None
