"""Process updates for the safeguarding administrators (issue 15 section 3).

The coordinator "disseminates safeguarding information and delivers training to
safeguarding administrators when processes are updated". A process update records what
changed, from when, the guidance it follows and which practices it applies to; it is
sent to the named administrators (the staff directory: the practices' safeguarding
administrators by default, or the staff chosen). Each recipient's acknowledgement is an
action in the shared tracker, owned by them and due by the acknowledgement date, so an
overdue one shows on Home and is chased like any action (``c`` in the tracker);
acknowledging completes it. Attendance at the briefing is recorded per recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Action,
    ActionStatus,
    Practice,
    ProcessUpdate,
    ProcessUpdateRecipient,
    Staff,
    utcnow,
)
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.reports import ReportsConflictError, ReportsError

ADMIN_ROLE = "administrator"  # matched in the staff directory's role, any case
DEFAULT_ACK_DAYS = 14


def practice_ids_for(session: Session, text: str) -> list[int]:
    """``"Riverside, Y99002"`` -> practice ids (by short name, name or ODS code); blank:
    every practice. Refuses a name that is none of them."""
    practices = session.execute(
        select(Practice.id, Practice.ods_code, Practice.short_name, Practice.name)
    ).all()
    words = [word.strip().lower() for word in text.replace(";", ",").split(",") if word.strip()]
    if not words:
        return sorted(pid for pid, *_ in practices)
    ids = []
    for word in words:
        found = [pid for pid, *names in practices if word in (n.lower() for n in names)]
        if not found:
            raise ReportsError(f"No practice '{word}' (give its name or ODS code)")
        ids.extend(found)
    return sorted(set(ids))


def administrators(session: Session, practice_ids: Sequence[int]) -> list[tuple[int, str]]:
    """The active safeguarding administrators of the practices, from the staff directory."""
    rows = session.execute(
        select(Staff.id, Staff.name)
        .where(
            Staff.active.is_(True),
            Staff.is_external.is_(False),
            func.lower(Staff.role).contains(ADMIN_ROLE),
            Staff.practice_id.in_(list(practice_ids)),
        )
        .order_by(Staff.name)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def create_update(
    session: Session,
    *,
    today: date,
    by: str,
    title: str,
    what_changed: str,
    effective_from: date,
    guidance: str,
    practices: str = "",
    acknowledge_by: date | None = None,
    briefing_on: date | None = None,
    staff_ids: Sequence[int] | None = None,
) -> ProcessUpdate:
    """Record the update and send it: one recipient row and one acknowledgement action
    per administrator (``staff_ids``, else the practices' safeguarding administrators)."""
    title, what_changed, guidance = title.strip(), what_changed.strip(), guidance.strip()
    if not title:
        raise ReportsError("Give the update a title")
    if not what_changed:
        raise ReportsError("Say what changed")
    if not guidance:
        raise ReportsError("Say which guidance the change follows (e.g. the ICB's policy)")
    acknowledge_by = acknowledge_by or today + timedelta(days=DEFAULT_ACK_DAYS)
    if acknowledge_by < today:
        raise ReportsError("The acknowledgement date is in the past")
    practice_ids = practice_ids_for(session, practices)
    if staff_ids is None:
        recipients = administrators(session, practice_ids)
    else:
        recipients = [
            (sid, name)
            for sid, name in session.execute(
                select(Staff.id, Staff.name).where(Staff.id.in_(list(staff_ids)))
            )
        ]
    if not recipients:
        raise ReportsError(
            "Nobody to send it to: no safeguarding administrator of those practices is in "
            "the staff directory"
        )
    every = len(practice_ids) == session.scalar(select(func.count()).select_from(Practice))
    update = ProcessUpdate(
        title=title[:160],
        what_changed=what_changed,
        effective_from=effective_from,
        guidance=guidance[:300],
        practice_ids="" if every else ",".join(map(str, practice_ids)),
        acknowledge_by=acknowledge_by,
        briefing_on=briefing_on,
        created_by=by[:60],
    )
    session.add(update)
    session.flush()
    for staff_id, name in recipients:
        action = Action(
            owner_staff_id=staff_id,
            owner_label=name[:60],
            description=f"Read and acknowledge the process update: {title}"[:500],
            due_date=acknowledge_by,
        )
        session.add(action)
        session.flush()
        session.add(
            ProcessUpdateRecipient(update_id=update.id, staff_id=staff_id, action_id=action.id)
        )
    session.flush()
    return update


def _recipient(
    session: Session, recipient_id: int, expected_version: int | None
) -> ProcessUpdateRecipient:
    row = session.get(ProcessUpdateRecipient, recipient_id)
    check_version(
        session,
        row,
        "process_update_recipient",
        expected_version,
        missing=ReportsError,
        conflict=ReportsConflictError,
        gone="That recipient no longer exists. Press F5 to reload.",
    )
    assert row is not None
    return row


def acknowledge(
    session: Session, recipient_id: int, expected_version: int, *, on: date, today: date
) -> ProcessUpdateRecipient:
    """The recipient read and acknowledged the update: their action is done."""
    if on > today:
        raise ReportsError("The acknowledgement cannot be in the future")
    row = _recipient(session, recipient_id, expected_version)
    if row.acknowledged_on is not None:
        raise ReportsError(f"Already acknowledged on {uk_date(row.acknowledged_on)}")
    row.acknowledged_on = on
    action = session.get(Action, row.action_id) if row.action_id else None
    if action is not None and action.status == ActionStatus.OPEN:
        action.status = ActionStatus.DONE
        action.outcome = f"Acknowledged on {uk_date(on)}"
        action.completed_at = utcnow()
    session.flush()
    return row


def record_briefing(
    session: Session, recipient_id: int, expected_version: int, *, attended: bool
) -> ProcessUpdateRecipient:
    """Whether the recipient attended the briefing."""
    row = _recipient(session, recipient_id, expected_version)
    row.attended_briefing = attended
    session.flush()
    return row


@dataclass(frozen=True)
class UpdateRow:
    """A process update with where its acknowledgements stand."""

    id: int
    title: str
    what_changed: str
    effective_from: date
    guidance: str
    practices: str
    acknowledge_by: date
    briefing_on: date | None
    recipients: int
    acknowledged: int
    overdue: int
    attended: int


@dataclass(frozen=True)
class RecipientRow:
    """One administrator an update went to."""

    id: int
    version: int
    staff_id: int
    name: str
    practice: str
    action_id: int | None
    due: date | None
    acknowledged_on: date | None
    attended_briefing: bool | None
    chased: bool

    def overdue(self, today: date) -> bool:
        return self.acknowledged_on is None and self.due is not None and self.due < today


def _acknowledged(session: Session, update_id: int | None = None):
    """(recipient id -> acknowledged on): acknowledged here, or the action closed in the
    tracker (``d`` done there counts)."""
    stmt = select(
        ProcessUpdateRecipient.id,
        ProcessUpdateRecipient.acknowledged_on,
        Action.status,
        Action.completed_at,
        Action.due_date,
        Action.last_chased_at,
    ).outerjoin(Action, Action.id == ProcessUpdateRecipient.action_id)
    if update_id is not None:
        stmt = stmt.where(ProcessUpdateRecipient.update_id == update_id)
    out = {}
    for rid, on, status, completed, due, chased in session.execute(stmt):
        if on is None and status == ActionStatus.DONE and completed is not None:
            on = completed.date()
        out[rid] = (on, due, chased is not None)
    return out


def updates(session: Session, today: date) -> list[UpdateRow]:
    """Every update, newest first, with its counts."""
    names = dict(session.execute(select(Practice.id, Practice.short_name)).all())
    state = _acknowledged(session)
    per: dict[int, list[tuple]] = {}
    for rid, update_id, attended in session.execute(
        select(
            ProcessUpdateRecipient.id,
            ProcessUpdateRecipient.update_id,
            ProcessUpdateRecipient.attended_briefing,
        )
    ):
        per.setdefault(update_id, []).append((*state[rid], attended))
    rows = []
    for update in session.scalars(
        select(ProcessUpdate).order_by(ProcessUpdate.effective_from.desc(), ProcessUpdate.id)
    ):
        items = per.get(update.id, [])  # type: ignore[arg-type]
        ids = [int(i) for i in update.practice_ids.split(",") if i]
        rows.append(
            UpdateRow(
                update.id,  # type: ignore[arg-type]
                update.title,
                update.what_changed,
                update.effective_from,
                update.guidance,
                ", ".join(names.get(i, "?") for i in ids) or "every practice",
                update.acknowledge_by,
                update.briefing_on,
                len(items),
                sum(1 for on, *_ in items if on is not None),
                sum(1 for on, due, *_ in items if on is None and due is not None and due < today),
                sum(1 for *_, attended in items if attended),
            )
        )
    return rows


def recipients(session: Session, update_id: int) -> list[RecipientRow]:
    """The administrators the update went to, by name."""
    state = _acknowledged(session, update_id)
    rows = session.execute(
        select(
            ProcessUpdateRecipient.id,
            ProcessUpdateRecipient.version,
            ProcessUpdateRecipient.staff_id,
            Staff.name,
            func.coalesce(Practice.short_name, "—"),
            ProcessUpdateRecipient.action_id,
            ProcessUpdateRecipient.attended_briefing,
        )
        .join(Staff, Staff.id == ProcessUpdateRecipient.staff_id)
        .outerjoin(Practice, Practice.id == Staff.practice_id)
        .where(ProcessUpdateRecipient.update_id == update_id)
        .order_by(Staff.name)
    ).all()
    out = []
    for rid, version, staff_id, name, practice, action_id, attended in rows:
        on, due, chased = state[rid]
        out.append(
            RecipientRow(
                rid, version, staff_id, name, practice, action_id, due, on, attended, chased
            )
        )
    return out


def overdue_acknowledgements(session: Session, today: date) -> list[tuple[str, str, date]]:
    """(update title, administrator, due) for every acknowledgement past its date: for
    the PCN report."""
    out = []
    for update in updates(session, today):
        if not update.overdue:
            continue
        for row in recipients(session, update.id):
            if row.overdue(today):
                out.append((update.title, row.name, row.due))  # type: ignore[arg-type]
    return out
