"""The action tracker: every open action by owner, due date and meeting, chased to done.

``c`` chase (a note is required: what was asked and of whom), ``d`` done (the outcome is
required), reassign to another owner, re-date. Each takes the version the screen last
saw, so two coordinators cannot silently overwrite each other. Overdue means open and
due before today; the count shows on Home and open actions come back on the next agenda
(``agenda.py``).

The ``action`` table is shared by three trackers, told apart by what links to the action
(``KINDS``): the safeguarding side's (meetings, referral outcomes, coding corrections,
process updates), an incident's (``incident_action``, Governance) and a carer's absence
that nobody could cover, escalated to the registered manager (``absence_cover.task_id``,
the rota's Plan C). Each is read and changed under its own activity (issue 17): a
safeguarding administrator does not see the homecare agency's incidents or customers
through the meetings' tracker, and a homecare coordinator, who may not run meetings,
chases and closes their own incident actions and cover tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, literal, or_, select
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
from coordinator_tui.models.governance import IncidentAction
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
    kind: str = "meeting"  # which tracker: ``KINDS``
    incident_id: int | None = None  # an incident's action: the incident (Governance opens it)

    def is_overdue(self, today: date) -> bool:
        return (
            self.status == ActionStatus.OPEN and self.due_date is not None and self.due_date < today
        )


MEETING, INCIDENT, COVER = "meeting", "incident", "cover"
KINDS: dict[str, str] = {
    MEETING: access.MEETINGS,
    INCIDENT: access.GOVERNANCE,
    COVER: access.ROTA,
}
"""Each tracker sharing the ``action`` table, with the activity that reads and changes
its actions (see the module's docstring)."""
KIND_NAMES = {MEETING: "safeguarding", INCIDENT: "incident", COVER: "cover needed"}


def _incident_actions():  # noqa: ANN202 - a Select of action ids
    return select(IncidentAction.action_id)


def _cover_tasks():  # noqa: ANN202 - a Select of action ids
    from coordinator_tui.models import AbsenceCover

    return select(AbsenceCover.task_id).where(AbsenceCover.task_id.is_not(None))


def kind_column():  # noqa: ANN202 - a SQL expression
    """The tracker an action belongs to, worked out by the database (``KINDS``)."""
    return case(
        (Action.id.in_(_incident_actions()), literal(INCIDENT)),
        (Action.id.in_(_cover_tasks()), literal(COVER)),
        else_=literal(MEETING),
    )


def of_kinds(kinds: tuple[str, ...]):  # noqa: ANN202 - a SQL condition
    """Actions of the trackers ``kinds`` (Home's meeting lines: ``(MEETING,)``)."""
    conditions = []
    if MEETING in kinds:
        conditions.append(Action.id.not_in(_incident_actions()) & Action.id.not_in(_cover_tasks()))
    if INCIDENT in kinds:
        conditions.append(Action.id.in_(_incident_actions()))
    if COVER in kinds:
        conditions.append(Action.id.in_(_cover_tasks()))
    if not conditions:
        return literal(False)
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


def permitted_kinds(session: Session, wanted: tuple[str, ...] = tuple(KINDS)) -> tuple[str, ...]:
    """Of ``wanted``, the trackers the signed-in user may read; refused (the first one's
    activity named, as any refusal) when none."""
    # none wanted: refused unless the user may read the meetings' tracker (the default)
    activities = [KINDS[kind] for kind in wanted] or [access.MEETINGS]
    allowed = set(access.require_any(session, activities))
    return tuple(kind for kind in wanted if KINDS[kind] in allowed)


def _require_for(session: Session, action_id: int) -> Action | None:
    """Refuse a change to an action unless the user may act in its tracker (issue 17);
    the action, read with its kind in the one statement (None: it does not exist, and
    counts as the meetings'). The change passes it on to :func:`_load`, which then reads
    nothing again: a second round trip is 2 ms on a shared PostgreSQL server."""
    found = session.execute(select(Action, kind_column()).where(Action.id == action_id)).first()
    access.require(session, KINDS[found[1] if found is not None else MEETING])
    return found[0] if found is not None else None


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
    kinds: tuple[str, ...] = (MEETING,),
) -> list[ActionRow]:
    """Open actions of the trackers ``kinds`` the user may read (the meetings' own by
    default), by due date (no date last), owner or meeting (``order``).

    ``owner`` matches a staff member's name, initials or role, or the owner label,
    case-insensitively (the CLI's ``--owner``)."""
    kinds = permitted_kinds(session, kinds)  # issue 17: each tracker under its activity
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
            kind_column(),
            IncidentAction.incident_id,
        )
        .outerjoin(Staff, Staff.id == Action.owner_staff_id)
        .outerjoin(IncidentAction, IncidentAction.action_id == Action.id)
        .outerjoin(Meeting, Meeting.id == Action.meeting_id)
        .outerjoin(Person, Person.id == Action.person_id)
        .where(Action.status == ActionStatus.OPEN, of_kinds(kinds))
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
                row[14],
                row[15],
            )
        )
    return rows


def overdue_count(session: Session, today: date, kinds: tuple[str, ...] = (MEETING,)) -> int:
    """Open actions of the trackers ``kinds`` due before ``today`` (the meetings' own by
    default, as Home counts them)."""
    kinds = permitted_kinds(session, kinds)  # issue 17
    return int(
        session.scalar(
            select(func.count(Action.id)).where(
                Action.status == ActionStatus.OPEN, Action.due_date < today, of_kinds(kinds)
            )
        )
        or 0
    )


def _load(
    session: Session, action_id: int, expected_version: int | None, read: Action | None = None
) -> Action:
    """The open action to change, at the version the screen saw (``read``: as
    :func:`_require_for` read it)."""
    action = read if read is not None else session.get(Action, action_id)
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
    read = _require_for(session, action_id)  # issue 17: the action's own tracker
    note = note.strip()
    if not note:
        raise MeetingError("Say how it was chased and what was said")
    action = _load(session, action_id, expected_version, read)
    now = now or utcnow()
    record = ActionChase(action_id=action.id, chased_at=now, by=by[:60], note=note[:500])
    session.add(record)
    action.last_chased_at = now
    session.flush()
    return record


def chases(session: Session, action_id: int) -> list[ActionChase]:
    _require_for(session, action_id)  # issue 17: the action's own tracker
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
    read = _require_for(session, action_id)  # issue 17: the action's own tracker
    outcome = outcome.strip()
    if not outcome:
        raise MeetingError("Record the outcome of the action")
    action = _load(session, action_id, expected_version, read)
    action.status = ActionStatus.DONE
    action.outcome = outcome[:500]
    action.completed_at = now or utcnow()
    session.flush()
    return action


def cancel(
    session: Session, action_id: int, expected_version: int | None = None, *, reason: str
) -> Action:
    """No longer needed (the reason is kept as the outcome)."""
    read = _require_for(session, action_id)  # issue 17: the action's own tracker
    return _cancel(session, action_id, expected_version, reason, read)


def cancel_cover_task(session: Session, task_id: int, *, reason: str) -> Action:
    """The rota's own cover task (``plan_c``) closed by the rota: a carer back on the
    visit. The rota's activity, not the meetings': a homecare coordinator marking an
    absence over is not running safeguarding meetings."""
    access.require(session, access.ROTA)  # issue 17
    return _cancel(session, task_id, None, reason)


def _cancel(
    session: Session,
    action_id: int,
    expected_version: int | None,
    reason: str,
    read: Action | None = None,
) -> Action:
    reason = reason.strip()
    if not reason:
        raise MeetingError("Say why the action is no longer needed")
    action = _load(session, action_id, expected_version, read)
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
    read = _require_for(session, action_id)  # issue 17: the action's own tracker
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
    action = _load(session, action_id, expected_version, read)
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
    read = _require_for(session, action_id)  # issue 17: the action's own tracker
    if due is not None and due < today:
        raise MeetingError("The new due date is in the past")
    action = _load(session, action_id, expected_version, read)
    action.due_date = due
    session.flush()
    return action


def group_by_owner(rows: list[ActionRow]) -> dict[str, list[ActionRow]]:
    """Rows grouped by owner name, owners in alphabetical order ("—" for none)."""
    groups: dict[str, list[ActionRow]] = {}
    for row in sorted(rows, key=lambda r: (r.owner.lower(), r.due_date or date.max, r.id)):
        groups.setdefault(row.owner or "—", []).append(row)
    return groups
