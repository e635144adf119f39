"""The call list after Plan B: who to ring about an absence's cover.

For each visit the absence touched, as it stands now: the new carer and the customer, and
whether the carer is new to the customer (a first visit: introduce them, pass on the care
plan and access notes); a visit moved to another time (ring the customer); what is left
for Plan C (escalated, to an agency, or still to act on). Exported as CSV (a spreadsheet
for ringing round) and as Markdown (to print); both files are readable by their owner
only, as they name customers and carers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.models import (
    Absence,
    AbsenceCover,
    Carer,
    Customer,
    CustomerCarerPreference,
    Visit,
    VisitAssignment,
)
from coordinator_tui.services.exporting import csv_text, export_sink
from coordinator_tui.services.rota.assign import RotaError
from coordinator_tui.services.rota.plan_c import AGENCY, ESCALATED, TIME_CHANGE
from coordinator_tui.services.rota.snapshot import HISTORY_WEEKS, week_monday

COLUMNS = ("Day", "Time", "Customer", "Carer now", "Instead of", "First visit", "Call about")


@dataclass(frozen=True)
class CallItem:
    """One visit to ring about."""

    cover_id: int
    version: int
    visit_id: int
    start: datetime  # UK local
    end: datetime
    customer: str
    carer: str  # "" when nobody covers it (Plan C)
    absent_carer: str
    new_to_customer: bool
    action: str  # "" | escalated | time_change | agency
    moved_from: datetime | None  # UK local, after a time change
    note: str

    @property
    def covered(self) -> bool:
        return bool(self.carer)

    def call_about(self) -> str:
        """What the call is for, in a few words (the list's column)."""
        if self.action == TIME_CHANGE and self.moved_from is not None:
            text = f"moved from {self.moved_from:%H:%M}"
        elif self.covered:
            text = "tell customer"
        elif self.action == AGENCY:
            return "agency: book it"
        elif self.action == ESCALATED:
            return "escalated to manager"
        else:
            return "nobody: Plan C"
        if self.new_to_customer:
            text += ", brief carer"
        return text

    def details(self) -> str:
        """The call in a sentence: who covers it instead of whom, and who is new to whom."""
        when = f"{self.start:%a %d/%m %H:%M}"
        if not self.covered:
            done = {
                ESCALATED: "escalated to the registered manager as a task",
                AGENCY: "to be covered by an agency",
            }.get(self.action, "nobody on the rota can take it")
            note = f" ({self.note})" if self.note else ""
            return f"{when} {self.customer}: {done}{note}."
        text = f"{when} {self.customer}: {self.carer} instead of {self.absent_carer}"
        if self.action == TIME_CHANGE and self.moved_from is not None:
            text += f", moved from {self.moved_from:%H:%M} (ring the customer to agree it)"
        if self.new_to_customer:
            text += f"; {self.carer} has not visited {self.customer} before: brief them"
        else:
            text += f"; {self.carer} knows {self.customer}"
        return text + "."


@dataclass
class CallList:
    absence_id: int
    absent_carer: str
    start: date
    end: date
    kind: str
    items: list[CallItem]

    @property
    def covered(self) -> list[CallItem]:
        return [item for item in self.items if item.covered]

    @property
    def plan_c(self) -> list[CallItem]:
        return [item for item in self.items if not item.covered]

    @property
    def open_plan_c(self) -> list[CallItem]:
        """Plan C visits nobody has acted on yet (no escalation, agency or time change)."""
        return [item for item in self.plan_c if not item.action]


def call_list(session: Session, absence_id: int) -> CallList:
    """The absence's cover as it stands: visits whose carers changed since Plan B (put
    back, given to someone else) are left out, as there is nothing to ring about."""
    absence = session.get(Absence, absence_id)
    if absence is None:
        raise RotaError("That absence has been removed")
    names = dict(session.execute(select(Carer.id, Carer.name)).all())
    rows = session.execute(
        select(AbsenceCover, Visit.start_at, Visit.end_at, Visit.customer_id, Customer.name)
        .join(Visit, Visit.id == AbsenceCover.visit_id)
        .join(Customer, Customer.id == Visit.customer_id)
        .where(AbsenceCover.absence_id == absence_id)
        .order_by(Visit.start_at, Visit.id)
    ).all()
    on: dict[int, set[int]] = {}
    for visit_id, carer_id in session.execute(
        select(VisitAssignment.visit_id, VisitAssignment.carer_id).where(
            VisitAssignment.visit_id.in_([row[0].visit_id for row in rows])
        )
    ):
        on.setdefault(visit_id, set()).add(carer_id)
    first_seen, preferred = _continuity(session, absence.start_date)
    items = []
    for cover, start, end, customer_id, customer in rows:
        carers = on.get(cover.visit_id, set())
        if cover.absent_carer_id in carers:
            continue  # the absent carer is back on it: nothing to ring about
        if cover.carer_id is not None and cover.carer_id not in carers:
            continue  # changed since: the rota is the place to look
        items.append(
            CallItem(
                cover.id,  # type: ignore[arg-type]
                cover.version,
                cover.visit_id,
                to_local(start),
                to_local(end),
                customer,
                names.get(cover.carer_id, "") if cover.carer_id is not None else "",
                names.get(cover.absent_carer_id, ""),
                _new_to(cover.carer_id, customer_id, start, first_seen, preferred),
                cover.action,
                to_local(cover.moved_from) if cover.moved_from else None,
                cover.note,
            )
        )
    return CallList(
        absence_id,
        names.get(absence.carer_id, ""),
        absence.start_date,
        absence.end_date,
        absence.kind,
        items,
    )


def _continuity(
    session: Session, day: date
) -> tuple[dict[tuple[int, int], datetime], set[tuple[int, int]]]:
    """Each (carer, customer) pair's first visit from the 16 weeks before the absence on,
    and the customers' preferred carers: continuity as the rota's measure counts it."""
    first = week_monday(day) - timedelta(weeks=HISTORY_WEEKS)
    seen = {
        (carer, customer): when
        for carer, customer, when in session.execute(
            select(VisitAssignment.carer_id, Visit.customer_id, func.min(Visit.start_at))
            .join(Visit, Visit.id == VisitAssignment.visit_id)
            .where(Visit.visit_date >= first)
            .group_by(VisitAssignment.carer_id, Visit.customer_id)
        )
    }
    preferred = set(
        session.execute(
            select(CustomerCarerPreference.carer_id, CustomerCarerPreference.customer_id).where(
                CustomerCarerPreference.kind == "preferred"
            )
        ).all()
    )
    return seen, preferred


def _new_to(
    carer_id: int | None,
    customer_id: int,
    start: datetime,
    first_seen: dict[tuple[int, int], datetime],
    preferred: set[tuple[int, int]],
) -> bool:
    """True when this visit is the carer's first with the customer (not a preferred carer)."""
    if carer_id is None or (carer_id, customer_id) in preferred:
        return False
    first = first_seen.get((carer_id, customer_id))
    return first is None or _utc(first) >= _utc(start)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# -- exports ----------------------------------------------------------------------------


def rows(calls: CallList) -> list[tuple[str, ...]]:
    """The call list as table rows (``COLUMNS``), for the screen and the exports."""
    return [
        (
            f"{item.start:%a %d/%m}",
            f"{item.start:%H:%M}-{item.end:%H:%M}",
            item.customer,
            item.carer or "nobody",
            item.absent_carer,
            "yes" if item.new_to_customer else "",
            item.details() if not item.covered else item.call_about(),
        )
        for item in calls.items
    ]


def title(calls: CallList) -> str:
    dates = f"{calls.start:%a %d %b %Y}"
    if calls.end != calls.start:
        dates += f" to {calls.end:%a %d %b %Y}"
    return f"Call list: {calls.absent_carer} absent ({calls.kind}) {dates}"


def to_csv(calls: CallList) -> str:
    """Through the app's one CSV writer: no cell a spreadsheet would run as a formula."""
    return csv_text(COLUMNS, rows(calls))


def to_markdown(calls: CallList) -> str:
    """A printable page: the covered visits, then what is left (Plan C)."""

    def escape(value: str) -> str:
        return value.replace("|", "\\|")

    lines = [f"# {title(calls)}", ""]
    covered = [row for row, item in zip(rows(calls), calls.items, strict=True) if item.covered]
    left = [row for row, item in zip(rows(calls), calls.items, strict=True) if not item.covered]
    lines.append(f"Covered: {len(covered)} visit(s). Still to cover (Plan C): {len(left)}.")
    for heading, table in (("Covered", covered), ("Plan C", left)):
        if not table:
            continue
        lines += ["", f"## {heading}", "", "| " + " | ".join(COLUMNS) + " |"]
        lines.append("|" + "---|" * len(COLUMNS))
        lines += ["| " + " | ".join(escape(value) for value in row) + " |" for row in table]
    lines += ["", "Tick each call when made. Names only: keep this page with the rota."]
    return "\n".join(lines) + "\n"


def export_call_list(
    calls: CallList, folder: Path, *, today: date, session: Session
) -> tuple[Path, Path]:
    """Write the call list as CSV and Markdown into ``folder`` (owner-only files), named
    by the absence and date; returns both paths (as written: ``.csv.zip`` and ``.md.zip``
    from an encrypted database). The ``session`` is required: it decides how the files
    are written (``export_sink``: encrypted from an encrypted database, so no caller can
    write its names plain) and records the export in the audit trail: who, when, which
    kinds of file, never the content or the path."""
    from coordinator_tui.audit import record_export

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    record_export(
        session,
        "call list",
        "absence",
        calls.absence_id,
        ["csv", "md"],
        files=2,
        encrypted=sink.encrypted,
    )
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"call-list-absence-{calls.absence_id}-{today:%Y%m%d}"
    csv_path = sink.write(folder / f"{stem}.csv", to_csv(calls).encode("utf-8-sig"))
    md_path = sink.write(folder / f"{stem}.md", to_markdown(calls).encode("utf-8"))
    return csv_path, md_path
