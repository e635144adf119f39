"""Governance (section 6): incidents, Duty of Candour, complaints and compliments.

Plain functions over a Session, used alike by the screens, the command line and the tests
(no Textual here). Every edit takes the version the screen saw and refuses a stale write
with the one conflict message; every refusal is a :class:`GovernanceError`, a
:class:`~coordinator_tui.services.errors.CoordinatorError`, so a screen catches it around
its save, says one line and keeps what was typed.

Modules: ``terms`` (the words and codes, each with its source), ``clocks`` (every
timescale, in working days where the rule says so), ``incidents``, ``candour``,
``complaints``, ``letters``, ``agency`` (the agency's own limits).
"""

from __future__ import annotations

from coordinator_tui.services import errors
from coordinator_tui.services.errors import CoordinatorError


class GovernanceError(CoordinatorError):
    """A refused governance action; the message says why, in one line."""


class GovernanceConflictError(GovernanceError, errors.ConflictError):
    """The record changed since the screen read it: nothing was overwritten."""


def check_version(session, row, table: str, expected_version: int | None) -> None:  # noqa: ANN001
    """:func:`coordinator_tui.services.errors.check_version` with governance's errors."""
    errors.check_version(
        session,
        row,
        table,
        expected_version,
        missing=GovernanceError,
        conflict=GovernanceConflictError,
    )
