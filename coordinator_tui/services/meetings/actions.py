"""The action tracker: every open action by owner, due date and meeting, chased to done.

``c`` chase (a note is required: what was asked and of whom), ``d`` done (the outcome is
required), reassign to another owner, re-date. Each takes the version the screen last
saw, so two coordinators cannot silently overwrite each other. Overdue means open and
due before today; the count shows on Home and open actions come back on the next agenda
(``agenda.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import names_label
from coordinator_tui.models import (
    Action,
    ActionChase,
    ActionStatus,
    Meeting,
    Person,
    Staff,
    utcnow,
)
from coordinator_tui.services import access
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.meetings import MeetingConflictError, MeetingError


@dataclass(frozen=True)
class ActionRow:
    """One action in the tracker (narrow, read as tuples)."""

    id: int
    version: int
    description: str
    owner_staff_id: int | None
    owner: str
    due_date: date | None
    status: str
    meeting_id: int | None
    meeting_title: str
    meeting_day: date | None
    person_id: int | None
    person_name: str
    last_chased_at: datetime | None

    def is_overdue(self, today: date) -> bool:
        return (
            self.status == ActionStatus.OPEN and self.due_date is not None and self.due_date < today
        )


def open_actions(
    session: Session,
    *,
    today: date,
    owner_staff_id: int | None = None,
    owner: str | None = None,
    meeting_id: int | None = None,
    person_id: int | None = None,
    overdue_only: bool = False,
    order: str = "due",
) -> list[ActionRow]:
    """Open actions, by due date (no date last), owner or meeting (``order``).

    ``owner`` matches a staff member's name, initials or role, or the owner label,
    case-insensitively (the CLI's ``--owner``)."""
    access.require(session, access.MEETINGS)  # issue 17
    if order not in ("due", "owner", "meeting"):
        raise MeetingError("Order by due, owner or meeting")
    owner_name = func.coalesce(Staff.name, Action.owner_label, "")
    stmt = (
        select(
            Action.id,
            Action.version,
            Action.description,
            Action.owner_staff_id,
            owner_name,
            Action.due_date,
            Action.status,
            Action.meeting_id,
            func.coalesce(Meeting.title, ""),
            Meeting.starts_at,
            Action.person_id,
            Person.family_name,
            Person.given_name,
            Action.last_chased_at,
        )
        .outerjoin(Staff, Staff.id == Action.owner_staff_id)
        .outerjoin(Meeting, Meeting.id == Action.meeting_id)
        .outerjoin(Person, Person.id == Action.person_id)
        .where(Action.status == ActionStatus.OPEN)
    )
    if owner_staff_id is not None:
        stmt = stmt.where(Action.owner_staff_id == owner_staff_id)
    if owner:
        from coordinator_tui.services.owners import role_for

        needle = owner.strip().lower()
        found = role_for(needle)
        role = found.name.lower() if found is not None else needle
        stmt = stmt.where(
            (func.lower(func.coalesce(Staff.name, "")).contains(needle))
            | (func.lower(func.coalesce(Staff.initials, "")) == needle)
            | (func.lower(func.coalesce(Staff.role, "")).contains(role))
            | (func.lower(Action.owner_label).contains(needle))
            | (func.lower(Action.owner_label).contains(role))
        )
    if meeting_id is not None:
        stmt = stmt.where(Action.meeting_id == meeting_id)
    if person_id is not None:
        stmt = stmt.where(Action.person_id == person_id)
    if overdue_only:
        stmt = stmt.where(Action.due_date < today)
    due_order = (Action.due_date.is_(None), Action.due_date, Action.id)
    if order == "owner":
        stmt = stmt.order_by(owner_name, *due_order)
    elif order == "meeting":
        stmt = stmt.order_by(Meeting.starts_at.desc(), *due_order)
    else:
        stmt = stmt.order_by(*due_order)
    rows = []
    for row in session.execute(stmt).all():
        family, given = row[11], row[12]
        rows.append(
            ActionRow(
                *row[:9],
                to_local(row[9]).date() if row[9] else None,
                row[10],
                names_label(family, given) if family else "",
                row[13],
            )
        )
    return rows


def overdue_count(session: Session, today: date) -> int:
    """Open actions due before ``today`` (Home shows this)."""
    access.require(session, access.MEETINGS)  # issue 17
    return int(
        session.scalar(
            select(func.count(Action.id)).where(
                Action.status == ActionStatus.OPEN, Action.due_date < today
            )
        )
        or 0
    )


def _load(session: Session, action_id: int, expected_version: int | None) -> Action:
    action = session.get(Action, action_id)
    check_version(
        session,
        action,
        "action",
        expected_version,
        missing=MeetingError,
        conflict=MeetingConflictError,
    )
    assert action is not None
    if action.status != ActionStatus.OPEN:
        raise MeetingError(f"This action is already {action.status}")
    return action


def chase(
    session: Session,
    action_id: int,
    expected_version: int | None = None,
    *,
    note: str,
    by: str,
    now: datetime | None = None,
) -> ActionChase:
    """Record a chase of the owner (``c``)."""
    access.require(session, access.MEETINGS)  # issue 17
    note = note.strip()
    if not note:
        raise MeetingError("Say how it was chased and what was said")
    action = _load(session, action_id, expected_version)
    now = now or utcnow()
    record = ActionChase(action_id=action.id, chased_at=now, by=by[:60], note=note[:500])
    session.add(record)
    action.last_chased_at = now
    session.flush()
    return record


def chases(session: Session, action_id: int) -> list[ActionChase]:
    access.require(session, access.MEETINGS)  # issue 17
    return list(
        session.scalars(
            select(ActionChase)
            .where(ActionChase.action_id == action_id)
            .order_by(ActionChase.chased_at, ActionChase.id)
        )
    )


def complete(
    session: Session,
    action_id: int,
    expected_version: int | None = None,
    *,
    outcome: str,
    now: datetime | None = None,
) -> Action:
    """Mark done with its outcome (``d``)."""
    access.require(session, access.MEETINGS)  # issue 17
    outcome = outcome.strip()
    if not outcome:
        raise MeetingError("Record the outcome of the action")
    action = _load(session, action_id, expected_version)
    action.status = ActionStatus.DONE
    action.outcome = outcome[:500]
    action.completed_at = now or utcnow()
    session.flush()
    return action


def cancel(
    session: Session, action_id: int, expected_version: int | None = None, *, reason: str
) -> Action:
    """No longer needed (the reason is kept as the outcome)."""
    access.require(session, access.MEETINGS)  # issue 17
    return _cancel(session, action_id, expected_version, reason)


def cancel_cover_task(session: Session, task_id: int, *, reason: str) -> Action:
    """The rota's own cover task (``plan_c``) closed by the rota: a carer back on the
    visit. The rota's activity, not the meetings': a homecare coordinator marking an
    absence over is not running safeguarding meetings."""
    access.require(session, access.ROTA)  # issue 17
    return _cancel(session, task_id, None, reason)


def _cancel(session: Session, action_id: int, expected_version: int | None, reason: str) -> Action:
    reason = reason.strip()
    if not reason:
        raise MeetingError("Say why the action is no longer needed")
    action = _load(session, action_id, expected_version)
    action.status = ActionStatus.CANCELLED
    action.outcome = reason[:500]
    action.completed_at = utcnow()
    session.flush()
    return action


def reassign(
    session: Session,
    action_id: int,
    expected_version: int | None = None,
    *,
    owner_staff_id: int | None = None,
    owner: str = "",
) -> Action:
    """Give the action to someone else: a staff member picked from the list, or an owner
    typed as everywhere else (a name, initials or a role, read by ``services/owners.py``:
    ``PM`` is the practice manager here as in a meeting's action line)."""
    access.require(session, access.MEETINGS)  # issue 17
    from coordinator_tui.services.owners import owner_directory, parse_owner

    owner = owner.strip()
    if owner_staff_id is None and not owner:
        raise MeetingError("Say who the action goes to")
    if owner_staff_id is not None:
        staff = session.get(Staff, owner_staff_id)
        if staff is None:
            raise MeetingError("Unknown owner")
        label = staff.name
    else:
        match = parse_owner(owner, owner_directory(session))
        if not match.ok:
            raise MeetingError(match.problem)
        owner_staff_id, label = match.staff_id, match.label
    action = _load(session, action_id, expected_version)
    action.owner_staff_id = owner_staff_id
    action.owner_label = label[:60]
    session.flush()
    return action


def redate(
    session: Session,
    action_id: int,
    expected_version: int | None = None,
    *,
    due: date | None,
    today: date,
) -> Action:
    """A new due date (not in the past); None removes it."""
    access.require(session, access.MEETINGS)  # issue 17
    if due is not None and due < today:
        raise MeetingError("The new due date is in the past")
    action = _load(session, action_id, expected_version)
    action.due_date = due
    session.flush()
    return action


def group_by_owner(rows: list[ActionRow]) -> dict[str, list[ActionRow]]:
    """Rows grouped by owner name, owners in alphabetical order ("—" for none)."""
    groups: dict[str, list[ActionRow]] = {}
    for row in sorted(rows, key=lambda r: (r.owner.lower(), r.due_date or date.max, r.id)):
        groups.setdefault(row.owner or "—", []).append(row)
    return groups
