"""Safeguarding meetings (issue 5): series and attendees, invitations, the agenda builder,
pre-meeting triage, live minuting, minutes and the action tracker.

Plain functions over a SQLModel session, one module per step of a meeting's life:

``series``   recurrence (RFC 5545 RRULE via python-dateutil), meetings, attendees;
``invites``  iCalendar and e-mail text, with no patient identifiers;
``agenda``   proposals since the last meeting of the series, each saying why;
``triage``   include / defer / drop, priority, minutes, presenter, order and totals;
``minuting`` start, notes, decisions, one-line actions, key facts, finish;
``minutes``  the per-person record entry and the meeting record (Markdown, Word);
``actions``  the action tracker: chase, done, reassign, re-date, overdue.

No module here imports Textual.
"""

from __future__ import annotations

from coordinator_tui.services.errors import ConflictError, CoordinatorError


class MeetingError(CoordinatorError):
    """Bad input for a meeting action; the message is for the coordinator."""


class MeetingConflictError(MeetingError, ConflictError):
    """A meeting record (action, item, notes) changed since it was loaded."""
