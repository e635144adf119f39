"""The PCN safeguarding report (issue 16 §1): one report per practice and PCN total for a
period, the same figures on screen, in CSV, XLSX (a sheet per section) and Word.

What each figure counts (``date_from`` to ``date_to`` inclusive, UK days; ``as_of`` is
the period's end, or today if the period ends later):

Registers, per register
    *open*: entries on the register at ``as_of`` (started by then, not ended by then);
    *joined*: started in the period; *left*: ended in the period.
Reviews (the register review service's rule, ``registers.review_compliance``)
    *on time*: reviews recorded in the period on or before the date they were due;
    *late*: recorded in the period after that date; *overdue*: entries open at ``as_of``
    whose review was due before ``as_of``. The due date at ``as_of`` is read back from
    the review history: a review keeps the date that was due before it (``due_before``),
    so the date due at ``as_of`` is the ``due_before`` of the first review after it, or
    the entry's own date when there has been none since (the category's interval set it).
Concerns
    raised in the period, by who raised them (their role) and by where they stand now.
Referrals, per type
    *sent* in the period; *outcome received* in the period; the median and 90th
    percentile of working days from sent to outcome over the outcomes received in the
    period (the Referrals list's measure; the 90th percentile is the nearest rank: the
    smallest number of days within which 90% of them came back); *chased*: referrals
    with a chase recorded in the period.
Conferences, per kind (Working Together timescales, ``services/rules.py``)
    *due* in the period; *held* in the period; *held late* (held in the period after
    the due date); *not held* (due in the period and not held by ``as_of``).
Meetings
    *held*: finished meetings that started in the period; attendance at them (present,
    apologies, absent); their actions due in the period: *done on time* (completed on
    or before the due date), *done late*, *overdue* (open and due before ``as_of``),
    *open, not yet due*.
Coding audit
    findings of the latest import still open, by kind, and those marked for correction
    in the clinical system; "no export imported yet" when there has been none.
Information sharing (the sharing record, ``services.reports.sharing``)
    *disclosures* of a person's information made in the period; *requests* to us
    received in the period, and of those *refused*; *shared without consent*: the
    disclosures and requests answered by sharing in the period whose consent was not
    sought or overridden (the Caldicott guardian's review). Each in the person's practice.

Each record counts in the column of its practice: a concern, referral or register entry
its own; a conference, its person's; a meeting and its attendance, the meeting's; an
action, its person's practice (else its meeting's). Records with no practice (PCN-wide
meetings, say) count in a ``PCN-wide`` column shown only when it holds anything, so each
row's practices add up to the PCN total.

Counts of 1 to 4 are shown as ``*`` unless the coordinator shows small numbers
(``small_numbers``), with a second practice's count withheld where one alone could be
worked out from the total; a median or percentile over 1 to 4 referrals is withheld too.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.clock import start_of_day, to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Action,
    ActionStatus,
    CaseConference,
    CodingFinding,
    Concern,
    ConcernStatus,
    FindingStatus,
    Meeting,
    MeetingAttendee,
    MeetingStatus,
    Person,
    Practice,
    Referral,
    ReferralChase,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
    SharingRecord,
)
from coordinator_tui.services import access
from coordinator_tui.services.dates import working_days_between
from coordinator_tui.services.reports import ReportsError
from coordinator_tui.services.reports.small_numbers import suppress_derived, suppress_row

PCN_WIDE = "PCN-wide"
TOTAL = "PCN total"
FORMATS = ("csv", "xlsx", "docx")
MAX_PERIOD_DAYS = 3 * 366  # a longer period is almost certainly a typing slip

CONCERN_OUTCOMES = {
    ConcernStatus.UNTRIAGED: "not triaged yet",
    ConcernStatus.NO_FURTHER_ACTION: "no further action",
    ConcernStatus.REFERRED: "referred",
    ConcernStatus.REGISTERED: "put on a register",
    ConcernStatus.FOR_MEETING: "for the meeting",
}
ATTENDANCE = {"present": "present", "apologies": "apologies", "absent": "absent"}


@dataclass(frozen=True)
class Figure:
    """One row of the report: ``values`` per column (practices, PCN-wide if shown, total).

    A count has ``base`` None. A derived figure (a median, a percentile) has ``base``: the
    number of records it was worked out from in each column, which decides whether it
    is suppressed."""

    item: str
    measure: str
    values: tuple[int | float | None, ...]
    base: tuple[int, ...] | None = None

    def cells(self, show_small: bool) -> list[int | float | str | None]:
        """The values as a reader outside the practice may see them (1-4 as ``*``)."""
        if self.base is None:  # counts: the practices are parts of the PCN total
            return suppress_row(self.values[:-1], self.values[-1], show_small=show_small)  # type: ignore[arg-type]
        return [
            suppress_derived(v, b, show_small=show_small)
            for v, b in zip(self.values, self.base, strict=True)
        ]


@dataclass(frozen=True)
class Section:
    """A section of the report (one sheet of the workbook, one table in Word)."""

    key: str
    title: str
    figures: tuple[Figure, ...]
    note: str = ""


@dataclass(frozen=True)
class PcnReport:
    """The report for one period; ``columns`` are the practices' short names, then
    ``PCN-wide`` (when used) and ``PCN total``."""

    pcn_name: str
    date_from: date
    date_to: date
    as_of: date
    columns: tuple[str, ...]
    sections: tuple[Section, ...]

    @property
    def header(self) -> list[str]:
        return ["Item", "Measure", *self.columns]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def figure(self, section: str, item: str, measure: str) -> Figure:
        """One row by its section key, item and measure (KeyError if there is none)."""
        for figure in self.section(section).figures:
            if figure.item == item and figure.measure == measure:
                return figure
        raise KeyError((section, item, measure))

    def value(self, section: str, item: str, measure: str, column: str = TOTAL) -> Any:
        """The raw (unsuppressed) figure in one column."""
        return self.figure(section, item, measure).values[self.columns.index(column)]

    def rows(self, section: Section, show_small: bool) -> list[list[Any]]:
        """The section's rows as every format shows them: item, measure, then the cells."""
        return [[f.item, f.measure, *f.cells(show_small)] for f in section.figures]

    def title(self) -> str:
        return f"{self.pcn_name or 'PCN'} safeguarding report"

    def period_text(self) -> str:
        return f"{uk_date(self.date_from)} to {uk_date(self.date_to)}"

    def small_numbers_note(self, show_small: bool) -> str:
        if show_small:
            return "Small numbers shown: for use inside the practice only."
        return "Counts of 1 to 4 are shown as * (NHS small-number practice)."


# -- building ------------------------------------------------------------------------------


class _Grid:
    """Counts by (item, measure) and column, in the order rows were declared."""

    def __init__(self, practice_index: dict[int, int], width: int) -> None:
        self.practice_index = practice_index
        self.wide = width  # the PCN-wide column's index (records with no practice)
        self.counts: dict[tuple[str, str], list[int]] = {}
        self.unknown = False  # nothing to count from (no coding audit yet): blank, not 0
        self.samples: dict[tuple[str, str], list[list[float]]] = {}

    def column(self, practice_id: int | None) -> int:
        if practice_id is None:
            return self.wide
        return self.practice_index.get(practice_id, self.wide)

    def declare(self, item: str, measure: str) -> None:
        self.counts.setdefault((item, measure), [0] * (self.wide + 1))

    def add(self, item: str, measure: str, practice_id: int | None, n: int = 1) -> None:
        self.declare(item, measure)
        self.counts[(item, measure)][self.column(practice_id)] += n

    def sample(self, item: str, measure: str, practice_id: int | None, value: float) -> None:
        cells = self.samples.setdefault((item, measure), [[] for _ in range(self.wide + 1)])
        cells[self.column(practice_id)].append(value)


def _nearest_rank(values: Sequence[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the
    values at or below it (an observed figure, easy to check by hand)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _summary(values: Sequence[int], share: float | None) -> float | int | None:
    """The median (``share`` None) or the nearest-rank percentile; None with no values."""
    if not values:
        return None
    if share is None:
        return round(float(statistics.median(values)), 1)
    return _nearest_rank(values, share)


def _local_day(moment: datetime | None) -> date | None:
    return None if moment is None else to_local(moment).date()


def check_period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise ReportsError("The period ends before it starts")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise ReportsError("The period is longer than three years: choose a shorter one")


def pcn_report(session: Session, date_from: date, date_to: date, today: date) -> PcnReport:
    """Work out the report for ``date_from``..``date_to`` (see the module's definitions).
    The view is recorded in the audit trail (who, when; not the figures)."""
    access.require(session, access.REPORTS)  # issue 17
    check_period(date_from, date_to)
    as_of = min(date_to, today)
    practices = session.execute(
        select(Practice.id, Practice.short_name, Practice.pcn_name).order_by(
            Practice.short_name, Practice.id
        )
    ).all()
    index = {pid: i for i, (pid, _, _) in enumerate(practices)}
    names = [name for _, name, _ in practices]
    pcn_name = next((pcn for _, _, pcn in practices if pcn), "")
    start = start_of_day(date_from)
    end = start_of_day(date_to + timedelta(days=1))

    builders = (
        ("registers", "Registers", _registers),
        ("reviews", "Register reviews", _reviews),
        ("concerns", "Concerns", _concerns),
        ("referrals", "Referrals", _referrals),
        ("conferences", "Case conferences", _conferences),
        ("meetings", "Meetings and actions", _meetings),
        ("coding", "Coding audit", _coding),
        ("sharing", "Information sharing", _sharing),
    )
    grids: list[tuple[str, str, _Grid, str]] = []
    for key, title, build in builders:
        grid = _Grid(index, len(practices))
        note = build(session, grid, date_from, date_to, as_of, start, end)
        grids.append((key, title, grid, note or ""))

    # The PCN-wide column is shown only when some record has no practice.
    show_wide = any(
        counts[-1] for _, _, grid, _ in grids for counts in grid.counts.values()
    ) or any(cells[-1] for _, _, grid, _ in grids for cells in grid.samples.values())
    columns = (*names, *((PCN_WIDE,) if show_wide else ()), TOTAL)

    def keep(cells: Sequence[Any]) -> list[Any]:
        return list(cells) if show_wide else list(cells[:-1])

    sections = []
    for key, title, grid, note in grids:
        figures: list[Figure] = []
        for (item, measure), counts in grid.counts.items():
            if grid.unknown:
                figures.append(Figure(item, measure, (None,) * len(columns)))
                continue
            figures.append(Figure(item, measure, (*keep(counts), sum(counts))))
            samples = grid.samples.get((item, "days"))
            if measure == "outcome received" and samples is not None:
                pooled = [v for cell in samples for v in cell]
                for name, share in (("median working days", None), ("90th percentile", 0.9)):
                    figures.append(
                        Figure(
                            item,
                            name,
                            (*keep([_summary(c, share) for c in samples]), _summary(pooled, share)),
                            (*keep([len(c) for c in samples]), len(pooled)),
                        )
                    )
        sections.append(Section(key, title, tuple(figures), note))
    from coordinator_tui.audit import record_read

    record_read(session, "pcn_report", None)  # who looked at the figures, when
    return PcnReport(pcn_name, date_from, date_to, as_of, columns, tuple(sections))


def _registers(session, grid, date_from, date_to, as_of, start, end) -> str:
    categories = session.execute(
        select(RegisterCategory.id, RegisterCategory.name)
        .where(RegisterCategory.active.is_(True))
        .order_by(RegisterCategory.sort_order, RegisterCategory.name)
    ).all()
    name_of = dict(categories)
    for _, name in categories:
        for measure in ("open", "joined", "left"):
            grid.declare(name, measure)
    rows = session.execute(
        select(
            RegisterEntry.category_id,
            RegisterEntry.practice_id,
            RegisterEntry.start_date,
            RegisterEntry.end_date,
        ).where(
            RegisterEntry.start_date <= date_to,
            (RegisterEntry.end_date.is_(None)) | (RegisterEntry.end_date >= date_from),
        )
    ).all()
    for category_id, practice_id, started, ended in rows:
        name = name_of.get(category_id)
        if name is None:  # a register no longer in use: its entries still count
            name = session.get(RegisterCategory, category_id).name
        if started <= as_of and (ended is None or ended > as_of):
            grid.add(name, "open", practice_id)
        if date_from <= started <= date_to:
            grid.add(name, "joined", practice_id)
        if ended is not None and date_from <= ended <= date_to:
            grid.add(name, "left", practice_id)
    return f"Open: on the register on {uk_date(as_of)}."


def _reviews(session, grid, date_from, date_to, as_of, start, end) -> str:
    for measure in ("done on time", "done late", "overdue"):
        grid.declare("All registers", measure)
    done = session.execute(
        select(RegisterEntry.practice_id, RegisterReview.reviewed_on, RegisterReview.due_before)
        .join(RegisterEntry, RegisterEntry.id == RegisterReview.entry_id)
        .where(
            RegisterReview.action == "reviewed",
            RegisterReview.reviewed_on >= date_from,
            RegisterReview.reviewed_on <= date_to,
        )
    ).all()
    for practice_id, reviewed_on, due_before in done:
        late = due_before is not None and reviewed_on > due_before
        grid.add("All registers", "done late" if late else "done on time", practice_id)
    # Entries open at as_of, with the due date each had then.
    entries = session.execute(
        select(RegisterEntry.id, RegisterEntry.practice_id, RegisterEntry.next_review_due).where(
            RegisterEntry.start_date <= as_of,
            (RegisterEntry.end_date.is_(None)) | (RegisterEntry.end_date > as_of),
        )
    ).all()
    later: dict[int, date | None] = {}
    for entry_id, due_before in session.execute(
        select(RegisterReview.entry_id, RegisterReview.due_before)
        .where(RegisterReview.reviewed_on > as_of)
        .order_by(RegisterReview.entry_id, RegisterReview.reviewed_on, RegisterReview.id)
    ):
        later.setdefault(entry_id, due_before)
    for entry_id, practice_id, current_due in entries:
        due = later.get(entry_id, current_due)
        if due is not None and due < as_of:
            grid.add("All registers", "overdue", practice_id)
    return f"Overdue: open on {uk_date(as_of)} with the review due before then."


def _concerns(session, grid, date_from, date_to, as_of, start, end) -> str:
    rows = session.execute(
        select(Concern.practice_id, Concern.raised_by_role, Concern.status).where(
            Concern.raised_on >= date_from, Concern.raised_on <= date_to
        )
    ).all()
    grid.declare("All concerns", "raised")
    for role in sorted({(role or "not recorded") for _, role, _ in rows}, key=str.lower):
        grid.declare("Raised by", role)
    for label in CONCERN_OUTCOMES.values():
        grid.declare("Where it stands", label)
    for practice_id, role, status in rows:
        grid.add("All concerns", "raised", practice_id)
        grid.add("Raised by", role or "not recorded", practice_id)
        grid.add("Where it stands", CONCERN_OUTCOMES.get(status, status), practice_id)
    return "Concerns raised in the period, by who raised them and where each stands now."


def _referrals(session, grid, date_from, date_to, as_of, start, end) -> str:
    from coordinator_tui.services.referrals import referral_types

    labels = dict(referral_types())
    kinds = list(labels)
    seen = session.execute(select(Referral.referral_type).distinct()).scalars().all()
    kinds += sorted(k for k in seen if k not in labels)
    for kind in kinds:
        item = labels.get(kind, kind)
        for measure in ("sent", "outcome received", "chased"):
            grid.declare(item, measure)
        grid.samples.setdefault((item, "days"), [[] for _ in range(grid.wide + 1)])
    rows = session.execute(
        select(
            Referral.referral_type,
            Referral.practice_id,
            Referral.sent_at,
            Referral.outcome_received_at,
        ).where(
            ((Referral.sent_at >= start) & (Referral.sent_at < end))
            | ((Referral.outcome_received_at >= start) & (Referral.outcome_received_at < end))
        )
    ).all()
    for kind, practice_id, sent_at, outcome_at in rows:
        item = labels.get(kind, kind)
        sent = _local_day(sent_at)
        outcome = _local_day(outcome_at)
        if sent is not None and date_from <= sent <= date_to:
            grid.add(item, "sent", practice_id)
        if outcome is not None and date_from <= outcome <= date_to:
            grid.add(item, "outcome received", practice_id)
            if sent is not None:
                grid.sample(item, "days", practice_id, working_days_between(sent, outcome))
    chased = session.execute(
        select(Referral.referral_type, Referral.practice_id, Referral.id)
        .join(ReferralChase, ReferralChase.referral_id == Referral.id)
        .where(ReferralChase.chased_at >= start, ReferralChase.chased_at < end)
        .distinct()
    ).all()
    for kind, practice_id, _ in chased:
        grid.add(labels.get(kind, kind), "chased", practice_id)
    return (
        "Working days from sent to outcome, over the outcomes received in the period; "
        "chased: referrals chased at least once in the period."
    )


def _conferences(session, grid, date_from, date_to, as_of, start, end) -> str:
    from coordinator_tui.services.referral_terms import CONFERENCE_KIND

    for label in CONFERENCE_KIND.values():
        for measure in ("due", "held", "held late", "not held"):
            grid.declare(label, measure)
    rows = session.execute(
        select(
            CaseConference.kind,
            Person.practice_id,
            CaseConference.due_date,
            CaseConference.held_on,
        )
        .join(Person, Person.id == CaseConference.person_id)
        .where(
            ((CaseConference.due_date >= date_from) & (CaseConference.due_date <= date_to))
            | ((CaseConference.held_on >= date_from) & (CaseConference.held_on <= date_to))
        )
    ).all()
    for kind, practice_id, due, held in rows:
        item = CONFERENCE_KIND.get(kind, kind)
        if date_from <= due <= date_to:
            grid.add(item, "due", practice_id)
            if held is None or held > as_of:
                grid.add(item, "not held", practice_id)
        if held is not None and date_from <= held <= date_to:
            grid.add(item, "held", practice_id)
            if held > due:
                grid.add(item, "held late", practice_id)
    return "Due and held dates as diarised from referral outcomes (Working Together timescales)."


def _meetings(session, grid, date_from, date_to, as_of, start, end) -> str:
    for measure in ("held",):
        grid.declare("Meetings", measure)
    for label in ATTENDANCE.values():
        grid.declare("Attendance", label)
    for measure in ("done on time", "done late", "overdue", "open, not yet due"):
        grid.declare("Actions due in the period", measure)
    meetings = session.execute(
        select(Meeting.id, Meeting.practice_id).where(
            Meeting.status == MeetingStatus.FINISHED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    ).all()
    practice_of = dict(meetings)
    for _, practice_id in meetings:
        grid.add("Meetings", "held", practice_id)
    if practice_of:
        for meeting_id, attendance in session.execute(
            select(MeetingAttendee.meeting_id, MeetingAttendee.attendance).where(
                MeetingAttendee.meeting_id.in_(list(practice_of))
            )
        ):
            if attendance in ATTENDANCE:
                grid.add("Attendance", ATTENDANCE[attendance], practice_of[meeting_id])
    actions = session.execute(
        select(
            Action.status,
            Action.due_date,
            Action.completed_at,
            Person.practice_id,
            Meeting.practice_id,
        )
        .join(Meeting, Meeting.id == Action.meeting_id)
        .outerjoin(Person, Person.id == Action.person_id)
        .where(
            Action.meeting_id.is_not(None),
            Action.due_date >= date_from,
            Action.due_date <= date_to,
            Action.status != ActionStatus.CANCELLED,
        )
    ).all()
    item = "Actions due in the period"
    for status, due, completed_at, person_practice, meeting_practice in actions:
        practice_id = person_practice if person_practice is not None else meeting_practice
        if status == ActionStatus.DONE:
            completed = _local_day(completed_at)
            late = completed is not None and completed > due
            grid.add(item, "done late" if late else "done on time", practice_id)
        elif due < as_of:
            grid.add(item, "overdue", practice_id)
        else:
            grid.add(item, "open, not yet due", practice_id)
    return "Meetings finished in the period; actions from meetings, in their person's practice."


def _coding(session, grid, date_from, date_to, as_of, start, end) -> str:
    from coordinator_tui.services.reports.coding_audit import KIND_LABELS, latest_run_id

    for label in KIND_LABELS.values():
        grid.declare("Open findings", label)
    grid.declare("Marked for correction", "in the clinical system")
    run_id = latest_run_id(session)
    if run_id is None:
        grid.unknown = True
        return "No clinical system export imported yet: nothing to count."
    for practice_id, kind, status in session.execute(
        select(CodingFinding.practice_id, CodingFinding.kind, CodingFinding.status).where(
            CodingFinding.run_id == run_id,
            CodingFinding.status.in_((FindingStatus.OPEN, FindingStatus.CORRECTION)),
        )
    ):
        if status == FindingStatus.OPEN:
            grid.add("Open findings", KIND_LABELS.get(kind, kind), practice_id)
        else:
            grid.add("Marked for correction", "in the clinical system", practice_id)
    return (
        "From the latest import of the clinical system's export, as they stand now (c on "
        "this report opens the coding audit)."
    )


def _sharing(session, grid, date_from, date_to, as_of, start, end) -> str:
    from coordinator_tui.services.reports.sharing import WITHOUT_CONSENT

    item = "Disclosures and requests"
    for measure in ("disclosures", "requests", "requests refused", "shared without consent"):
        grid.declare(item, measure)
    for direction, decision, consent, practice_id in session.execute(
        select(
            SharingRecord.direction,
            SharingRecord.decision,
            SharingRecord.consent,
            Person.practice_id,
        )
        .join(Person, Person.id == SharingRecord.person_id)
        .where(SharingRecord.occurred_on >= date_from, SharingRecord.occurred_on <= date_to)
    ):
        if direction == "disclosure":
            grid.add(item, "disclosures", practice_id)
        else:
            grid.add(item, "requests", practice_id)
            if decision == "refused":
                grid.add(item, "requests refused", practice_id)
        if decision == "shared" and consent in WITHOUT_CONSENT:
            grid.add(item, "shared without consent", practice_id)
    return (
        "Disclosures and requests to us dated in the period, in the person's practice; "
        "without consent: not sought or overridden (s on this report opens the sharing "
        "report for the period)."
    )


# -- exports -------------------------------------------------------------------------------


def report_json(report: PcnReport, show_small: bool) -> dict[str, Any]:
    """The report as JSON-ready data (the CLI's ``--json``)."""
    return {
        "report": "pcn",
        "pcn": report.pcn_name,
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
        "as_of": report.as_of.isoformat(),
        "small_numbers": "shown" if show_small else "suppressed",
        "columns": list(report.columns),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "note": s.note,
                "rows": [
                    {"item": f.item, "measure": f.measure, "values": f.cells(show_small)}
                    for f in s.figures
                ],
            }
            for s in report.sections
        ],
    }


def csv_document(report: PcnReport, show_small: bool) -> str:
    """One CSV table: the section's title, then item, measure and the columns."""
    from coordinator_tui.services.exporting import csv_text

    rows = [
        [section.title, *row]
        for section in report.sections
        for row in report.rows(section, show_small)
    ]
    return csv_text(["Section", *report.header], rows)


def xlsx_document(report: PcnReport, show_small: bool) -> bytes:
    """A workbook: an "About" sheet (the period, the small-number rule), then a sheet per
    section."""
    from coordinator_tui.services.exporting import xlsx_bytes

    about = [
        ["Report", report.title()],
        ["Period", report.period_text()],
        ["Figures as of", uk_date(report.as_of)],
        ["Small numbers", report.small_numbers_note(show_small)],
        *[[s.title, s.note] for s in report.sections],
    ]
    sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = [("About", ["", ""], about)]
    sheets += [(s.title, report.header, report.rows(s, show_small)) for s in report.sections]
    return xlsx_bytes(sheets)


def docx_document(report: PcnReport, show_small: bool) -> bytes:
    """A Word document: a heading, the period and small-number line, then a table per
    section under its title and note."""
    import io

    from docx import Document

    document = Document()
    document.add_heading(xml_safe(report.title()), level=1)
    document.add_paragraph(
        f"{report.period_text()} (figures as of {uk_date(report.as_of)}). "
        + report.small_numbers_note(show_small)
    )
    for section in report.sections:
        document.add_heading(xml_safe(section.title), level=2)
        if section.note:
            document.add_paragraph(section.note)
        table = document.add_table(rows=1, cols=len(report.header))
        table.style = "Table Grid"
        # Row by row: ``table.cell(r, c)`` walks the whole grid each call (9 s here for
        # the demo's 150 rows), a new row's own cells do not.
        for cell, text in zip(table.rows[0].cells, report.header, strict=True):
            cell.text = xml_safe(text)
        for row in report.rows(section, show_small):
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = xml_safe(cell_text(value))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters a Word (XML) file cannot hold (python-docx refuses
    them; a label typed or imported with one must not stop the export)."""
    return _XML_ILLEGAL.sub("", text)


def cell_text(value: Any) -> str:
    """A cell as text (the screen, CSV and Word alike): empty for no figure."""
    return "" if value is None else str(value)


def export_stamp() -> str:
    """The moment in a file name (UTC, to the second), so exports never overwrite."""
    import re

    from coordinator_tui.models import utcnow

    return re.sub(r"[^0-9]", "", utcnow().isoformat())[:14]


def default_export_path(folder: Path, report: PcnReport, fmt: str, stamp: str = "") -> Path:
    stamp = stamp or export_stamp()
    return folder / f"pcn-report-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}-{stamp}.{fmt}"


def export_report(
    session: Session,
    report: PcnReport,
    fmt: str,
    path: Path,
    *,
    show_small: bool,
) -> Path:
    """Write the report as ``fmt`` (csv, xlsx, docx) to ``path`` (owner-only) and record
    the export in the audit trail in the caller's unit of work (what and the kind of
    file, never the path)."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    if fmt not in FORMATS:
        raise ReportsError(f"Export as one of: {', '.join(FORMATS)}")
    if path.is_dir():
        raise ReportsError("Give a file name, not a folder, to export to")
    data: bytes | str
    if fmt == "csv":
        data = csv_document(report, show_small)
    elif fmt == "xlsx":
        data = xlsx_document(report, show_small)
    else:
        data = docx_document(report, show_small)
    try:
        written = sink.write(path, data)
    except OSError as exc:
        raise ReportsError(f"Could not write the report: {exc.strerror or exc}") from exc
    record_export(session, "pcn report", "report", None, fmt, encrypted=sink.encrypted)
    return written


def export_all(
    session: Session, report: PcnReport, folder: Path, *, show_small: bool
) -> list[Path]:
    """The report in every format (CSV, XLSX, Word) in ``folder``, one file name stem,
    owner-only; one audit event for the three files (what and the kinds of file)."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    paths = []
    stamp = export_stamp()
    for fmt in FORMATS:
        path = default_export_path(folder, report, fmt, stamp)
        data = {"csv": csv_document, "xlsx": xlsx_document, "docx": docx_document}[fmt](
            report, show_small
        )
        try:
            paths.append(sink.write(path, data))
        except OSError as exc:
            raise ReportsError(f"Could not write the report: {exc.strerror or exc}") from exc
    record_export(
        session,
        "pcn report",
        "report",
        None,
        list(FORMATS),
        files=len(paths),
        encrypted=sink.encrypted,
    )
    return paths


__all__ = [
    "FORMATS",
    "PCN_WIDE",
    "TOTAL",
    "Figure",
    "PcnReport",
    "Section",
    "cell_text",
    "check_period",
    "csv_document",
    "default_export_path",
    "docx_document",
    "export_all",
    "export_report",
    "pcn_report",
    "report_json",
    "xlsx_document",
]
