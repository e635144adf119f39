"""The homecare KPI pack (issue 16 §2): a month of visits, carers, incidents, complaints,
candour and change requests by the commissioners' usual definitions.

Every definition is a setting (:class:`coordinator_tui.settings.KpiDefinitions`) with the
usual default (DESIGN.md section 7):

* delivered of planned: visits in the month not cancelled; delivered = done or with an
  actual start;
* late: actual start more than 15 (and more than 30) minutes after the planned start;
* time-critical within 30 minutes: visits needing the ``MED`` skill (medication: the
  time-critical visits of a homecare rota) whose actual start is within 30 minutes either
  side of the planned start;
* missed: recorded missed, or not started by 23:00 (UK time) on its day (a visit planned
  to start after 23:00 is judged by its record alone);
* short: delivered in under 30 minutes, or in under 75% of the planned length; a visit
  planned at under 30 minutes was agreed short in the care plan, so only the 75% test
  applies to it (the app records no other prior agreement);
* continuity: over the 28 days to the month's last day, the share of each customer's
  carer visits made by their three most frequent carers, averaged over customers (each
  carer on a double-up counts);
* distinct carers per customer per week: weeks Monday to Sunday that start in the month;
* call logging: delivered visits whose check-in and check-out came from call monitoring
  (not typed in by the office) of delivered visits; the commissioners' bar is 85%;
* hours delivered (actual) against contracted per carer (contracted weekly hours x the
  month's days / 7), beside the hours planned;
* Working Time problems accepted on the month's visits (codes starting ``WTR``);
* incidents, complaints (acknowledged within the due date, responded within the response
  period), Duty of Candour records complete, change-request turnaround.

What the pack cannot know it says: a measure resting on actual visit times is "not
recorded" (``value`` None, with why) when the month has none, never a zero.

Everything is counted in the database (GROUP BY, window functions): the pack over a year
of a large agency's 1,000,000 visits reads a month of them through the visit-day index
and returns in well under the 5 s budget (``benchmarks/kpi_pack.py``).
"""

from __future__ import annotations

import calendar
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, and_, case, cast, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Carer,
    Complaint,
    Incident,
    ProblemAcceptance,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.models.governance import CandourRecord, VisitRecord
from coordinator_tui.services import access
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reports.small_numbers import suppress, suppress_derived
from coordinator_tui.settings import KpiDefinitions

FORMATS = ("csv", "xlsx", "docx")
NOT_RECORDED = "not recorded"
MONDAY_EPOCH = date(2000, 1, 3)  # a Monday: week numbers count from it


class KpiError(CoordinatorError):
    """A month or an export the pack cannot do (the message says why)."""


@dataclass(frozen=True)
class KpiLine:
    """One measure: ``count`` of ``base`` (``share`` their ratio), or a ``number`` with its
    ``unit``; ``value`` None with ``note`` saying why when it is not recorded."""

    key: str
    section: str
    label: str
    count: int | None = None
    base: int | None = None
    number: float | None = None
    unit: str = ""
    note: str = ""
    recorded: bool = True

    @property
    def share(self) -> float | None:
        if self.count is None or not self.base:
            return None
        return self.count / self.base

    def value_text(self, show_small: bool = True) -> str:
        """The figure as the pack shows it ("12 of 340 (3.5%)", "2.4 h", "not recorded")."""
        if not self.recorded:
            return NOT_RECORDED
        if self.count is not None and self.base is not None:
            count = suppress(self.count, show_small=show_small)
            base = suppress(self.base, show_small=show_small)
            share = self.share
            shown = suppress_derived(share, self.count, show_small=show_small)
            shown = suppress_derived(shown, self.base, show_small=show_small)
            if not self.base:
                return f"{count} of {base}"
            text = "*" if shown == "*" else f"{share:.1%}"
            return f"{_n(count)} of {_n(base)} ({text})"
        if self.count is not None:
            return str(_n(suppress(self.count, show_small=show_small)))
        if self.number is None:
            return "none"
        return f"{self.number:,.1f}{(' ' + self.unit) if self.unit else ''}"

    def cells(self, show_small: bool) -> list[Any]:
        """The export row: section, measure, count, of, share %, figure, note."""
        if not self.recorded:
            return [self.section, self.label, None, None, None, NOT_RECORDED, self.note]
        count = suppress(self.count, show_small=show_small)
        base = suppress(self.base, show_small=show_small)
        share = self.share
        pct: Any = round(share * 100, 1) if share is not None else None
        if pct is not None:
            pct = suppress_derived(pct, self.count, show_small=show_small)
            pct = suppress_derived(pct, self.base, show_small=show_small)
        number: Any = round(self.number, 1) if self.number is not None else None
        return [self.section, self.label, count, base, pct, number, self.note]


@dataclass(frozen=True)
class CarerHours:
    """A carer's month: hours planned, delivered (actual; None: no actual times) and
    contracted."""

    carer_id: int
    name: str
    planned: float
    delivered: float | None
    contracted: float


@dataclass(frozen=True)
class KpiPack:
    """The month's measures in the order the pack shows them, and the carers' hours."""

    month: date  # the first day
    definitions: KpiDefinitions
    lines: tuple[KpiLine, ...]
    carers: tuple[CarerHours, ...] = field(default=())
    actuals_recorded: bool = False

    @property
    def title(self) -> str:
        return f"Homecare KPI pack: {self.month:%B %Y}"

    def line(self, key: str) -> KpiLine:
        return next(line for line in self.lines if line.key == key)

    @property
    def last_day(self) -> date:
        return month_end(self.month)


HEADER = ["Section", "Measure", "Count", "Of", "Share %", "Figure", "Note"]
KEYS = ["section", "measure", "count", "of", "share_percent", "figure", "note"]
CARER_HEADER = ["Carer", "Planned hours", "Delivered hours", "Contracted hours", "Delivered %"]


# -- months -------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the month's first day; anything else is refused."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "", re.ASCII)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise KpiError("Give the month as YYYY-MM, e.g. 2026-03")
    return date(int(match[1]), int(match[2]), 1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# -- SQL helpers (SQLite stores UTC datetimes as text; PostgreSQL as timestamps) -----------


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _minutes(session: Session, later: Any, earlier: Any) -> Any:
    """Minutes from ``earlier`` to ``later`` (two UTC datetime columns)."""
    if _postgres(session):
        return func.extract("epoch", later - earlier) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _minutes_into_day(session: Session, moment: Any) -> Any:
    """Minutes from UTC midnight of the visit's day to ``moment`` (UTC)."""
    if _postgres(session):
        start = cast(Visit.visit_date, DateTime)
        return func.extract("epoch", func.timezone("UTC", moment) - start) / 60.0
    return (func.julianday(moment) - func.julianday(Visit.visit_date)) * 1440.0


def _week(session: Session) -> Any:
    """The Monday-to-Sunday week of the visit's day as a number."""
    if _postgres(session):
        return cast(func.floor((Visit.visit_date - literal(MONDAY_EPOCH)) / 7.0), Integer)
    return cast((func.julianday(Visit.visit_date) - func.julianday(MONDAY_EPOCH)) / 7, Integer)


def _cutoff_minutes(first: date, last: date, missed_after: time) -> tuple[Any, list[date]]:
    """The missed cutoff in UTC minutes into the day: the wall-clock time less the UK
    offset, which differs on the days of British Summer Time."""
    from coordinator_tui.clock import UK

    wall = missed_after.hour * 60 + missed_after.minute
    bst = []
    day = first
    while day <= last:
        offset = datetime.combine(day, missed_after, tzinfo=UK).utcoffset() or timedelta(0)
        if offset:
            bst.append(day)
        day += timedelta(days=1)
    return wall, bst


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# -- the pack -----------------------------------------------------------------------------


def kpi_pack(
    session: Session,
    month: date,
    *,
    now: datetime,
    definitions: KpiDefinitions | None = None,
) -> KpiPack:
    """The KPI pack of ``month`` (any day in it) as of ``now`` (aware): a visit of today not
    yet started is missed only once today's cutoff has passed."""
    access.require(session, access.CARE_REPORTS)  # issue 17
    d = definitions or KpiDefinitions()
    first = month.replace(day=1)
    last = month_end(first)
    missed_after = datetime.strptime(d.missed_after, "%H:%M").time()
    lines: list[KpiLine] = []
    visits, actuals = _visit_lines(session, first, last, now, d, missed_after)
    lines += visits
    lines += _continuity_lines(session, first, last, d)
    carers, hours_line = _carer_hours(session, first, last, actuals)
    lines.append(hours_line)
    lines += _governance_lines(session, first, last, d)
    return KpiPack(first, d, tuple(lines), tuple(carers), actuals)


def _visit_lines(
    session: Session,
    first: date,
    last: date,
    now: datetime,
    d: KpiDefinitions,
    missed_after: time,
) -> tuple[list[KpiLine], bool]:
    from coordinator_tui.clock import to_local

    in_month = and_(
        Visit.visit_date >= first,
        Visit.visit_date <= last,
        Visit.status != VisitStatus.CANCELLED,
    )
    # Each visit's minutes worked out once (a materialised CTE), then counted: SQLite
    # would otherwise work out julianday() again for every measure that reads it.
    v = (
        select(
            Visit.visit_date.label("visit_date"),
            Visit.status.label("status"),
            _minutes(session, Visit.actual_start, Visit.start_at).label("late_by"),
            _minutes(session, Visit.end_at, Visit.start_at).label("planned_len"),
            _minutes(session, Visit.actual_end, Visit.actual_start).label("actual_len"),
            _minutes_into_day(session, Visit.start_at).label("start_min"),
            _minutes_into_day(session, Visit.actual_start).label("actual_min"),
            (literal(",") + Visit.required_skills + literal(","))
            .like(f"%,{d.time_critical_skill},%")
            .label("critical"),
            VisitRecord.source.label("source"),
        )
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(in_month)
        .cte("month_visits")
        .prefix_with("MATERIALIZED")
    )
    late_by = v.c.late_by
    planned_len = v.c.planned_len
    actual_len = v.c.actual_len
    has_start = late_by.is_not(None)
    has_both = actual_len.is_not(None)
    delivered = or_(v.c.status == VisitStatus.DONE, has_start)
    time_critical = v.c.critical == True  # noqa: E712 - SQL, not Python
    wall, bst_days = _cutoff_minutes(first, last, missed_after)
    cutoff = case((v.c.visit_date.in_(bst_days), wall - 60), else_=wall) if bst_days else wall
    eps = 0.001  # minutes: "more than 15" is not met by 15 minutes read back as 15.0000001
    before_cutoff = v.c.start_min < cutoff - eps
    started_late_in_day = and_(has_start, v.c.actual_min > cutoff + eps)
    local_now = to_local(now)
    passed = local_now.date() - timedelta(days=0 if local_now.time() >= missed_after else 1)
    not_started = and_(
        v.c.status == VisitStatus.PLANNED,
        not_(has_start),
        v.c.visit_date <= passed,
        before_cutoff,
    )
    missed = or_(
        v.c.status == VisitStatus.MISSED,
        not_started,
        and_(before_cutoff, started_late_in_day),
    )
    agreed_short = planned_len < d.short_minutes - eps
    short = and_(
        has_both,
        or_(
            and_(not_(agreed_short), actual_len < d.short_minutes - eps),
            actual_len * 100 < planned_len * d.short_percent - eps,
        ),
    )
    monitored = and_(
        has_both,
        v.c.source.is_not(None),
        v.c.source.not_in(_sources(d.typed_sources)),
    )
    row = session.execute(
        select(
            func.count(),
            _sum(delivered),
            _sum(v.c.status != VisitStatus.PLANNED),
            _sum(has_start),
            _sum(and_(has_start, late_by > d.late_minutes + eps)),
            _sum(and_(has_start, late_by > d.very_late_minutes + eps)),
            _sum(time_critical),
            _sum(and_(time_critical, has_start)),
            _sum(
                and_(
                    time_critical,
                    has_start,
                    func.abs(late_by) <= d.time_critical_minutes + eps,
                )
            ),
            _sum(missed),
            _sum(has_both),
            _sum(short),
            _sum(and_(delivered, has_both)),
            _sum(and_(delivered, monitored)),
            _sum(and_(delivered, has_both, v.c.source.is_not(None))),
        ).select_from(v)
    ).one()
    (
        planned,
        delivered_n,
        outcome_n,
        started_n,
        late_n,
        very_late_n,
        critical_n,
        critical_started,
        critical_ok,
        missed_n,
        both_n,
        short_n,
        delivered_timed,
        monitored_n,
        sourced_n,
    ) = (int(v or 0) for v in row)
    month_words = f"{first:%B %Y}"
    no_times = f"no actual visit times recorded for {month_words}"
    actuals = started_n > 0
    coverage = f"actual start recorded for {started_n:,} of {planned:,} visits"
    section = "Visits"
    lines = [
        KpiLine(
            "delivered",
            section,
            "Visits delivered of planned",
            delivered_n,
            planned,
            note="planned: not cancelled; delivered: done or started",
            recorded=outcome_n > 0 or actuals,
        ),
    ]
    lines[0] = _or_not_recorded(lines[0], f"no visit outcomes recorded for {month_words}")

    def timed(key: str, label: str, count: int, base: int, note: str) -> KpiLine:
        line = KpiLine(key, section, label, count, base, note=note, recorded=base > 0)
        return _or_not_recorded(line, no_times)

    lines += [
        timed(
            "late15",
            f"Late: started over {d.late_minutes} min after planned",
            late_n,
            started_n,
            coverage,
        ),
        timed(
            "late30",
            f"Late: started over {d.very_late_minutes} min after planned",
            very_late_n,
            started_n,
            coverage,
        ),
    ]
    if critical_n == 0:
        lines.append(
            KpiLine(
                "time_critical",
                section,
                f"Time-critical visits within {d.time_critical_minutes} min",
                note=f"no visits needing {d.time_critical_skill} (time-critical) this month",
                recorded=False,
            )
        )
    else:
        lines.append(
            _or_not_recorded(
                KpiLine(
                    "time_critical",
                    section,
                    f"Time-critical visits within {d.time_critical_minutes} min",
                    critical_ok,
                    critical_started,
                    note=f"{critical_n:,} visits need {d.time_critical_skill}; "
                    f"{critical_started:,} with an actual start",
                    recorded=critical_started > 0,
                ),
                no_times,
            )
        )
    lines.append(
        _or_not_recorded(
            KpiLine(
                "missed",
                section,
                f"Missed: not delivered by {d.missed_after}",
                missed_n,
                planned,
                note="recorded missed, or not started by the cutoff on its day",
                recorded=outcome_n > 0 or actuals,
            ),
            f"no visit outcomes recorded for {month_words}",
        )
    )
    lines.append(
        timed(
            "short",
            f"Short: under {d.short_minutes} min or under {d.short_percent}% of planned",
            short_n,
            both_n,
            f"of visits with a start and end; planned under {d.short_minutes} min: "
            "agreed short, judged on the share only",
        )
    )
    if delivered_timed == 0:
        calls = KpiLine(
            "call_logging",
            section,
            "Call logging compliance",
            note=no_times,
            recorded=False,
        )
    elif monitored_n == 0:
        calls = KpiLine(
            "call_logging",
            section,
            "Call logging compliance",
            note="no call-monitoring times this month (times typed by the office do not count)",
            recorded=False,
        )
    else:
        calls = KpiLine(
            "call_logging",
            section,
            "Call logging compliance",
            monitored_n,
            delivered_timed,
            note=f"check-in and check-out from call monitoring; bar {d.call_logging_target}%",
        )
    lines.append(calls)
    return lines, actuals


def _or_not_recorded(line: KpiLine, why: str) -> KpiLine:
    if line.recorded:
        return line
    return KpiLine(line.key, line.section, line.label, note=why, recorded=False)


def _sources(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] or ["typed"]


def _continuity_lines(
    session: Session, first: date, last: date, d: KpiDefinitions
) -> list[KpiLine]:
    """Continuity over the window to the month's end, and distinct carers per customer per
    week, counted in the database."""
    window_start = last - timedelta(days=d.continuity_days - 1)
    staffed = Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED))
    pairs = (
        select(
            Visit.customer_id.label("customer"),
            VisitAssignment.carer_id.label("carer"),
            func.count().label("n"),
        )
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(Visit.visit_date >= window_start, Visit.visit_date <= last, staffed)
        .group_by(Visit.customer_id, VisitAssignment.carer_id)
        .subquery()
    )
    ranked = select(
        pairs.c.customer,
        pairs.c.n,
        func.row_number()
        .over(partition_by=pairs.c.customer, order_by=(pairs.c.n.desc(), pairs.c.carer))
        .label("rank"),
    ).subquery()
    per_customer = (
        select(
            ranked.c.customer,
            func.sum(case((ranked.c.rank <= d.continuity_carers, ranked.c.n), else_=0)).label(
                "top"
            ),
            func.sum(ranked.c.n).label("total"),
        )
        .group_by(ranked.c.customer)
        .subquery()
    )
    customers, mean_share, top_sum, total_sum = session.execute(
        select(
            func.count(),
            func.avg(per_customer.c.top * 1.0 / per_customer.c.total),
            func.sum(per_customer.c.top),
            func.sum(per_customer.c.total),
        )
    ).one()
    section = "Continuity"
    lines = []
    window = f"{window_start:%d/%m} to {uk_date(last)}"
    if not customers:
        lines.append(
            KpiLine(
                "continuity",
                section,
                f"Continuity: by each customer's top {d.continuity_carers} carers",
                note=f"no staffed visits {window}",
                recorded=False,
            )
        )
    else:
        lines.append(
            KpiLine(
                "continuity",
                section,
                f"Continuity: by each customer's top {d.continuity_carers} carers",
                int(top_sum),
                int(total_sum),
                number=float(mean_share) * 100,
                unit="% average per customer",
                note=f"{customers:,} customers, {d.continuity_days} days {window}; "
                f"average of customers' shares {float(mean_share):.1%}",
            )
        )
    # Weeks Monday to Sunday that start in the month (the last may run into the next).
    first_monday = first + timedelta(days=(7 - first.weekday()) % 7)
    last_monday = last - timedelta(days=last.weekday())
    week = _week(session).label("week")
    weekly = (
        select(
            Visit.customer_id.label("customer"),
            week,
            func.count(func.distinct(VisitAssignment.carer_id)).label("carers"),
        )
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(
            Visit.visit_date >= first_monday,
            Visit.visit_date <= last_monday + timedelta(days=6),
            staffed,
        )
        .group_by(Visit.customer_id, week)
        .subquery()
    )
    weeks, mean_carers, most = session.execute(
        select(func.count(), func.avg(weekly.c.carers), func.max(weekly.c.carers))
    ).one()
    if not weeks:
        lines.append(
            KpiLine(
                "distinct_carers",
                section,
                "Distinct carers per customer per week",
                note="no staffed visits in the month's weeks",
                recorded=False,
            )
        )
    else:
        lines.append(
            KpiLine(
                "distinct_carers",
                section,
                "Distinct carers per customer per week",
                number=float(mean_carers),
                unit="carers on average",
                note=f"{weeks:,} customer-weeks from {first_monday:%d/%m}; most {int(most)}",
            )
        )
    return lines


def _carer_hours(
    session: Session, first: date, last: date, actuals: bool
) -> tuple[list[CarerHours], KpiLine]:
    """Hours planned and delivered per carer in the month against contracted hours."""
    planned_len = _minutes(session, Visit.end_at, Visit.start_at)
    actual_len = _minutes(session, Visit.actual_end, Visit.actual_start)
    timed = and_(Visit.actual_start.is_not(None), Visit.actual_end.is_not(None))
    # Summed per carer id first, the carers' names joined to the 300 sums after (joining
    # the carer to each of a month's 80,000 visits first took half as long again).
    per_carer = (
        select(
            VisitAssignment.carer_id.label("carer_id"),
            func.coalesce(func.sum(planned_len), 0).label("planned"),
            func.coalesce(func.sum(case((timed, actual_len), else_=0)), 0).label("delivered"),
        )
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(
            Visit.visit_date >= first,
            Visit.visit_date <= last,
            Visit.status.not_in((VisitStatus.CANCELLED, VisitStatus.MISSED)),
        )
        .group_by(VisitAssignment.carer_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Carer.id,
            Carer.name,
            Carer.contracted_hours,
            per_carer.c.planned,
            per_carer.c.delivered,
        )
        .join(per_carer, per_carer.c.carer_id == Carer.id)
        .order_by(Carer.name, Carer.id)
    ).all()
    weeks = ((last - first).days + 1) / 7
    carers = [
        CarerHours(
            int(carer_id),
            name,
            float(planned) / 60,
            float(delivered) / 60 if actuals else None,
            float(contracted or 0) * weeks,
        )
        for carer_id, name, contracted, planned, delivered in rows
    ]
    contracted_total = sum(c.contracted for c in carers)
    label = "Hours delivered against contracted"
    if not actuals:
        line = KpiLine(
            "hours",
            "Carers",
            label,
            note=f"no actual visit times recorded; planned {sum(c.planned for c in carers):,.1f} h "
            f"against contracted {contracted_total:,.1f} h",
            recorded=False,
        )
    else:
        delivered = sum(c.delivered or 0 for c in carers)
        line = KpiLine(
            "hours",
            "Carers",
            label,
            number=delivered,
            unit="h",
            note=f"{len(carers):,} carers; contracted {contracted_total:,.1f} h "
            f"({delivered / contracted_total:.0%} delivered)"
            if contracted_total
            else f"{len(carers):,} carers; no contracted hours recorded",
        )
    return carers, line


def _governance_lines(
    session: Session, first: date, last: date, d: KpiDefinitions
) -> list[KpiLine]:
    from coordinator_tui.clock import UK

    start = datetime.combine(first, time(0), tzinfo=UK).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UK).astimezone(UTC)
    lines: list[KpiLine] = []
    wtr, accepted = session.execute(
        select(
            _sum(ProblemAcceptance.code.like(f"{d.wtr_code_prefix}%")),
            func.count(),
        )
        .join(Visit, Visit.id == ProblemAcceptance.visit_id)
        .where(Visit.visit_date >= first, Visit.visit_date <= last)
    ).one()
    lines.append(
        KpiLine(
            "wtr_accepted",
            "Carers",
            "Working Time problems accepted",
            int(wtr or 0),
            note=f"on the month's visits, each with its reason; {int(accepted or 0):,} "
            "problems accepted in all",
        )
    )
    section = "Governance"
    total, notifiable, closed = session.execute(
        select(func.count(), _sum(Incident.notifiable), _sum(Incident.status == "closed")).where(
            Incident.occurred_at >= start, Incident.occurred_at < end
        )
    ).one()
    lines += [
        KpiLine("incidents", section, "Incidents", int(total or 0), note="occurred in the month"),
        KpiLine(
            "incidents_notifiable",
            section,
            "Notifiable safety incidents (reg 20)",
            int(notifiable or 0),
        ),
        KpiLine("incidents_closed", section, "Incidents closed", int(closed or 0), int(total or 0)),
    ]
    formal = Complaint.status != "resolved"
    received, acked = session.execute(
        select(
            func.count(),
            _sum(
                and_(
                    Complaint.acknowledged_on.is_not(None),
                    Complaint.acknowledged_on <= Complaint.acknowledge_due,
                )
            ),
        ).where(Complaint.received_on >= first, Complaint.received_on <= last, formal)
    ).one()
    lines.append(
        KpiLine(
            "complaints_ack",
            section,
            "Complaints acknowledged in time",
            int(acked or 0),
            int(received or 0),
            note="formal complaints received in the month, within 3 working days (SI 2009/309)",
        )
    )
    due, responded = session.execute(
        select(
            func.count(),
            _sum(
                and_(
                    Complaint.response_sent_on.is_not(None),
                    Complaint.response_sent_on <= Complaint.response_due,
                )
            ),
        ).where(
            formal,
            or_(
                and_(Complaint.response_due >= first, Complaint.response_due <= last),
                and_(Complaint.response_sent_on >= first, Complaint.response_sent_on <= last),
            ),
        )
    ).one()
    lines.append(
        KpiLine(
            "complaints_response",
            section,
            "Complaints responded to in time",
            int(responded or 0),
            int(due or 0),
            note="response due or sent in the month, within the (extended) response period",
        )
    )
    opened, complete, in_time = session.execute(
        select(
            func.count(),
            _sum(CandourRecord.status == "complete"),
            _sum(
                and_(
                    CandourRecord.notified_on.is_not(None),
                    CandourRecord.notified_on <= CandourRecord.due_on,
                )
            ),
        ).where(
            CandourRecord.opened_on >= first,
            CandourRecord.opened_on <= last,
            CandourRecord.status != "not_required",
        )
    ).one()
    lines.append(
        KpiLine(
            "candour_complete",
            section,
            "Duty of Candour records complete",
            int(complete or 0),
            int(opened or 0),
            note=f"opened in the month; {int(in_time or 0):,} notified in person within the limit",
        )
    )
    lines.append(_change_requests(session, start, end))
    return lines


def _change_requests(session: Session, start: datetime, end: datetime) -> KpiLine:
    """Change-request turnaround: received to decided, median hours (the requests of a
    month are few, so their two times are read and the median taken here)."""
    label = "Change requests: median hours to a decision"
    try:
        from coordinator_tui.models.care_staff import ChangeRequest
    except ImportError:  # the care-changes tables are not in this build
        return KpiLine("change_requests", "Governance", label, note=NOT_RECORDED, recorded=False)
    rows = session.execute(
        select(ChangeRequest.received_at, ChangeRequest.decided_at).where(
            ChangeRequest.received_at >= start, ChangeRequest.received_at < end
        )
    ).all()
    if not rows:
        return KpiLine(
            "change_requests",
            "Governance",
            label,
            note="no change requests recorded in the month",
            recorded=False,
        )
    hours = [
        (decided - received).total_seconds() / 3600
        for received, decided in rows
        if decided is not None
    ]
    if not hours:
        return KpiLine(
            "change_requests",
            "Governance",
            label,
            note=f"{len(rows):,} received, none decided yet",
            recorded=False,
        )
    return KpiLine(
        "change_requests",
        "Governance",
        label,
        count=len(hours),
        number=statistics.median(hours),
        unit="h",
        note=f"{len(rows):,} received, {len(hours):,} decided",
    )


# -- exports ------------------------------------------------------------------------------


def _n(value: Any) -> Any:
    return f"{value:,}" if isinstance(value, int) else value


def carer_rows(pack: KpiPack) -> list[list[Any]]:
    return [
        [
            c.name,
            round(c.planned, 1),
            round(c.delivered, 1) if c.delivered is not None else NOT_RECORDED,
            round(c.contracted, 1),
            round(c.delivered / c.contracted * 100, 1)
            if c.delivered is not None and c.contracted
            else None,
        ]
        for c in pack.carers
    ]


def small_numbers_note(show_small: bool) -> str:
    if show_small:
        return "Counts of 1 to 4 are shown: for internal use only."
    return "Counts of 1 to 4 are shown as * (small-number suppression)."


def pack_json(pack: KpiPack, show_small: bool) -> dict[str, Any]:
    """The pack as JSON-ready data (the CLI's ``--json``): the same cells as every export."""
    return {
        "report": "kpi",
        "month": f"{pack.month:%Y-%m}",
        "small_numbers": "shown" if show_small else "suppressed",
        "actual_times_recorded": pack.actuals_recorded,
        "definitions": dict(pack.definitions.__dict__),
        "measures": [
            {
                "key": line.key,
                **dict(zip(KEYS, line.cells(show_small), strict=True)),
                "recorded": line.recorded,
                "shown": line.value_text(show_small),
            }
            for line in pack.lines
        ],
        "carers": [dict(zip(CARER_HEADER, row, strict=True)) for row in carer_rows(pack)],
    }


def csv_document(pack: KpiPack, show_small: bool) -> str:
    from coordinator_tui.services.exporting import csv_text

    return csv_text(HEADER, [line.cells(show_small) for line in pack.lines])


def xlsx_document(pack: KpiPack, show_small: bool) -> bytes:
    """A workbook: the measures, the carers' hours, and the definitions used."""
    from coordinator_tui.services.exporting import xlsx_bytes

    about = [
        ["Report", pack.title],
        ["Small numbers", small_numbers_note(show_small)],
        *[[key, str(value)] for key, value in pack.definitions.__dict__.items()],
    ]
    sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = [
        ("Measures", HEADER, [line.cells(show_small) for line in pack.lines]),
        ("Carers", CARER_HEADER, carer_rows(pack)),
        ("Definitions", ["Setting", "Value"], about),
    ]
    return xlsx_bytes(sheets)


def docx_document(pack: KpiPack, show_small: bool) -> bytes:
    """A Word document: the title, the small-number line, a table of the measures."""
    import io

    from docx import Document

    document = Document()
    document.add_heading(pack.title, level=1)
    document.add_paragraph(small_numbers_note(show_small))
    rows = [line.cells(show_small) for line in pack.lines]
    table = document.add_table(rows=1 + len(rows), cols=len(HEADER))
    table.style = "Table Grid"
    for column, text in enumerate(HEADER):
        table.cell(0, column).text = text
    for r, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            table.cell(r, column).text = "" if value is None else str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def default_path(folder: Path, stem: str, fmt: str) -> Path:
    from coordinator_tui.models import utcnow

    stamp = re.sub(r"[^0-9]", "", utcnow().isoformat())[:14]
    return folder / f"{stem}-{stamp}.{fmt}"


def export_pack(session: Session, pack: KpiPack, fmt: str, path: Path, *, show_small: bool) -> Path:
    """Write the pack as ``fmt`` to ``path`` (owner-only), recorded in the audit trail in
    the caller's unit of work (what and the kind of file, never the path)."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    if path.is_dir():
        raise KpiError("Give a file name, not a folder, to export to")
    data = document(pack, fmt, show_small)
    record_export(session, "kpi pack", "visit", None, fmt, encrypted=sink.encrypted)
    return sink.write(path, data)


def document(pack: KpiPack, fmt: str, show_small: bool) -> bytes | str:
    if fmt not in FORMATS:
        raise KpiError(f"Export as one of: {', '.join(FORMATS)}")
    if fmt == "csv":
        return csv_document(pack, show_small)
    if fmt == "xlsx":
        return xlsx_document(pack, show_small)
    return docx_document(pack, show_small)


def export_all(session: Session, pack: KpiPack, folder: Path, *, show_small: bool) -> list[Path]:
    """The pack as CSV, XLSX and Word side by side in ``folder`` (the TUI's one key),
    owner-only, recorded once in the audit trail with the three kinds of file."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    stem = default_path(folder, f"kpi-pack-{pack.month:%Y-%m}", "x").with_suffix("")
    documents = {fmt: document(pack, fmt, show_small) for fmt in FORMATS}
    record_export(
        session,
        "kpi pack",
        "visit",
        None,
        list(FORMATS),
        files=len(FORMATS),
        encrypted=sink.encrypted,
    )
    return [sink.write(stem.with_suffix(f".{fmt}"), data) for fmt, data in documents.items()]
