"""The access report for the safeguarding lead (issue 17 §4): over the audit trail, who
viewed which records, the views outside the viewer's practices, break-glass uses,
out-of-hours bursts and bulk exports, for a period.

Reads, break-glass and exports are already in ``audit_event`` (``coordinator_tui.audit``
writes them in the unit of work that read or exported): this only groups them. It names
accounts and record ids, never a person's details (the lead opens the record to see who).
Requires ``audit_review``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.audit import BREAK_GLASS_ACTION
from coordinator_tui.clock import start_of_day, to_local
from coordinator_tui.models import Account, AccountPractice, AuditEvent, Person
from coordinator_tui.services import access

WORKING_HOURS = (time(8, 0), time(18, 30))
"""Reads outside these (UK time), or on a Saturday or Sunday, are out of hours."""

OUT_OF_HOURS_BURST = 5
"""Out-of-hours reads by one account on one night or weekend day that make a burst."""

BULK_EXPORTS = 5
"""Exports by one account in one day that make a bulk export (or :data:`BULK_FILES` files)."""

BULK_FILES = 10


@dataclass(frozen=True)
class RecordViews:
    actor: str
    table_name: str
    row_id: int | None
    views: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class OutsideView:
    at: datetime
    actor: str
    table_name: str
    row_id: int
    practice_id: int | None
    break_glass: bool
    """Whether it was opened by break-glass (with a reason) rather than around it."""


@dataclass(frozen=True)
class BreakGlassUse:
    at: datetime
    actor: str
    table_name: str
    row_id: int | None
    why: str
    reason: str


@dataclass(frozen=True)
class Burst:
    actor: str
    day: date
    reads: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class BulkExport:
    actor: str
    day: date
    exports: int
    files: int
    kinds: tuple[str, ...]


@dataclass
class AccessReport:
    start: date
    end: date
    views: list[RecordViews] = field(default_factory=list)
    outside: list[OutsideView] = field(default_factory=list)
    break_glass: list[BreakGlassUse] = field(default_factory=list)
    bursts: list[Burst] = field(default_factory=list)
    bulk_exports: list[BulkExport] = field(default_factory=list)

    def as_json(self) -> dict:
        """Plain values for ``report access --json`` (dates ISO, local times)."""

        def plain(value):
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        return plain(asdict(self))


def out_of_hours(moment: datetime) -> bool:
    """Whether a (local) moment is outside working hours: evenings, nights, weekends."""
    if moment.weekday() >= 5:
        return True
    start, end = WORKING_HOURS
    return not (start <= moment.time() < end)


def _scopes(session: Session) -> dict[str, frozenset[int] | None]:
    """Username -> the practices the account sees (None: every practice). A name with no
    account (the headless operator, the demo user) sees every practice."""
    scopes: dict[str, frozenset[int] | None] = {}
    granted: dict[int, set[int]] = defaultdict(set)
    for account_id, practice_id in session.execute(
        select(AccountPractice.account_id, AccountPractice.practice_id)
    ).all():
        granted[account_id].add(practice_id)
    for account_id, username, every in session.execute(
        select(Account.id, Account.username, Account.all_practices)
    ).all():
        scopes[username] = None if every else frozenset(granted.get(account_id, ()))
    return scopes


def access_report(session: Session, start: date, end: date) -> AccessReport:
    """The access report for ``start`` to ``end`` inclusive (UK days)."""
    access.require(session, access.AUDIT_REVIEW)
    if end < start:
        start, end = end, start
    since = start_of_day(start)
    until = start_of_day(end + timedelta(days=1))
    rows = session.execute(
        select(
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.table_name,
            AuditEvent.row_id,
            AuditEvent.changes,
        )
        .where(
            AuditEvent.at >= since,
            AuditEvent.at < until,
            AuditEvent.action.in_(("read", "export", BREAK_GLASS_ACTION)),
        )
        .order_by(AuditEvent.id)
    ).all()
    report = AccessReport(start, end)
    views: dict[tuple[str, str, int | None], list[datetime]] = defaultdict(list)
    night: dict[tuple[str, date], list[datetime]] = defaultdict(list)
    exports: dict[tuple[str, date], list[tuple[str, int]]] = defaultdict(list)
    glass: set[tuple[str, str, int | None]] = set()
    person_reads: list[tuple[datetime, str, int]] = []
    for at, actor, action, table_name, row_id, changes in rows:
        local = to_local(at)
        if action == BREAK_GLASS_ACTION:
            detail = json.loads(changes or "{}")
            report.break_glass.append(
                BreakGlassUse(
                    local,
                    actor,
                    table_name,
                    row_id,
                    detail.get("why", ""),
                    detail.get("reason", ""),
                )
            )
            glass.add((actor, table_name, row_id))
        elif action == "read":
            views[(actor, table_name, row_id)].append(local)
            if out_of_hours(local):
                night[(actor, local.date())].append(local)
            if table_name == "person" and row_id is not None:
                person_reads.append((local, actor, row_id))
        else:  # export
            detail = json.loads(changes or "{}")
            exports[(actor, local.date())].append(
                (str(detail.get("export", table_name)), int(detail.get("files", 1) or 1))
            )
    report.views = sorted(
        (
            RecordViews(actor, table, row, len(times), min(times), max(times))
            for (actor, table, row), times in views.items()
        ),
        key=lambda v: (-v.views, v.actor, v.table_name, v.row_id or 0),
    )
    scopes = _scopes(session)
    ids = sorted({row for _at, _actor, row in person_reads})
    practice_of: dict[int, int | None] = {}
    for chunk in range(0, len(ids), 500):
        practice_of.update(
            session.execute(
                select(Person.id, Person.practice_id).where(Person.id.in_(ids[chunk : chunk + 500]))
            ).all()
        )
    for local, actor, row_id in person_reads:
        scope = scopes.get(actor)
        practice = practice_of.get(row_id)
        if scope is None or practice is None or practice in scope:
            continue
        report.outside.append(
            OutsideView(
                local, actor, "person", row_id, practice, (actor, "person", row_id) in glass
            )
        )
    report.bursts = [
        Burst(actor, day, len(times), min(times), max(times))
        for (actor, day), times in sorted(night.items())
        if len(times) >= OUT_OF_HOURS_BURST
    ]
    for (actor, day), made in sorted(exports.items()):
        files = sum(n for _kind, n in made)
        if len(made) >= BULK_EXPORTS or files >= BULK_FILES:
            kinds = tuple(sorted({kind for kind, _n in made}))
            report.bulk_exports.append(BulkExport(actor, day, len(made), files, kinds))
    return report
