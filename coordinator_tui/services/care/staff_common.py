"""What the staff-side care modules share (issue 18 §4-7): their error, the version check.

Kept apart from the package's ``__init__`` (which another piece of work owns) so requests,
training, contacts and shadowing raise one error class a screen catches around a save.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from coordinator_tui.services import errors
from coordinator_tui.services.errors import CoordinatorError


class CareStaffError(CoordinatorError):
    """A refused request, training, contact or shadowing action; one line saying why."""


class CareStaffConflictError(CareStaffError, errors.ConflictError):
    """The record changed since the screen read it: nothing was overwritten."""


def check_version(session: Session, row, table: str, expected_version: int | None) -> None:  # noqa: ANN001
    """:func:`coordinator_tui.services.errors.check_version` with the care staff errors."""
    errors.check_version(
        session,
        row,
        table,
        expected_version,
        missing=CareStaffError,
        conflict=CareStaffConflictError,
    )


def clean(text: str | None, limit: int, *, multiline: bool = False) -> str:
    """Text as stored: control characters dropped, trimmed, refused when too long."""
    from coordinator_tui.services.safe_text import clean_text

    value = clean_text(text or "", multiline=multiline).strip()
    if len(value) > limit:
        raise CareStaffError(f"At most {limit} characters (got {len(value)})")
    return value
