"""Care changes (issue 18): medication, reviews, consent, requests, training, contacts, shadowing.

Plain functions over a Session (no Textual). This package's own modules for §1-3:
``medication`` (changes, the two-person check, acknowledgements), ``reviews`` (care plan
reviews and their early triggers), ``consent`` (Mental Capacity Act 2005 assessments and
consent), ``demo_changes`` (their demo data). Every refusal is a :class:`CareError`, a
:class:`~coordinator_tui.services.errors.CoordinatorError`, so a screen catches it around
its save, says one line and keeps what was typed; every edit takes the version the screen
saw. The staff side (§4-7) keeps its error in ``staff_common``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from coordinator_tui.services import errors
from coordinator_tui.services.errors import CoordinatorError


class CareError(CoordinatorError):
    """A refused medication change, review or capacity action; one line saying why."""


class CareConflictError(CareError, errors.ConflictError):
    """The record changed since the screen read it: nothing was overwritten."""


def check_version(session: Session, row, table: str, expected_version: int | None) -> None:  # noqa: ANN001
    """:func:`coordinator_tui.services.errors.check_version` with the care errors."""
    errors.check_version(
        session, row, table, expected_version, missing=CareError, conflict=CareConflictError
    )


def clean(text: str | None, limit: int | None = None, *, what: str = "the text") -> str:
    """Text as stored: control characters dropped, trimmed; refused when too long."""
    from coordinator_tui.services.safe_text import clean_text

    value = clean_text(text or "", multiline=True).strip()
    if limit is not None and len(value) > limit:
        raise CareError(f"{what[:1].upper()}{what[1:]} is at most {limit} characters")
    return value
