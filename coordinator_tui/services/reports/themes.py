"""Learning themes (issue 16 §4): tag concerns, incidents, complaints and referrals with
themes (``data/themes.json``: the Care Act 2014 statutory guidance's types of abuse and
neglect, the children's categories of abuse, contributing factors), count each theme per
quarter (or month) and chart the counts as an XmR chart (``services.reports.spc``: NHS
"Making Data Count"), so a special-cause change stands out from noise.

Periods are calendar quarters (or months) ending with the last complete one: a period
still running would read as a fall. What the running period holds so far is given beside
the chart, not on it. A record counts in the period of its own date: a concern's
``raised_on``, an incident's ``occurred_at``, a complaint's ``received_on``, a referral's
``drafted_at`` (UK dates: period boundaries are UK midnights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from coordinator_tui.models import Complaint, Concern, Incident, Referral
from coordinator_tui.models.themes import RECORD_KINDS, RecordTheme
from coordinator_tui.services import access
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reports.spc import XmR, xmr

THEMES_FILE = "themes.json"
PERIODS = ("quarter", "month")
DEFAULT_QUARTERS = 12
DEFAULT_MONTHS = 24
RECORDS_LIMIT = 2000  # a record list shows the newest this many (the count says how many)
KIND_NAMES = {
    "concern": "Concern",
    "incident": "Incident",
    "complaint": "Complaint",
    "referral": "Referral",
}


class ThemeError(CoordinatorError):
    """A tag the service refuses (unknown theme, record gone, tag already removed)."""


@dataclass(frozen=True)
class ThemeSpec:
    code: str
    name: str
    group: str
    group_name: str
    source: str


def load_themes(override_dir: Path | None = None) -> list[ThemeSpec]:
    """The theme vocabulary, validated (a practice's own ``themes.json`` beside its
    database replaces the shipped one)."""
    from coordinator_tui.services.reference import (
        ReferenceDataError,
        _check_unique,
        _entries,
        _field,
        _read,
    )

    label, data = _read(THEMES_FILE, override_dir)
    themes: list[ThemeSpec] = []
    for g, group in enumerate(_entries(label, data, "groups")):
        code = _field(label, g, group, "code", str)
        name = _field(label, g, group, "name", str)
        source = _field(label, g, group, "source", str)
        entries = group.get("themes")
        if not isinstance(entries, list) or not entries:
            raise ReferenceDataError(f"{label}: group '{code}' has no themes")
        for t, theme in enumerate(entries):
            themes.append(
                ThemeSpec(
                    _field(f"{label} group '{code}'", t, theme, "code", str),
                    _field(f"{label} group '{code}'", t, theme, "name", str),
                    code,
                    name,
                    source,
                )
            )
    _check_unique(label, [t.code for t in themes])
    return themes


def theme_names() -> dict[str, str]:
    return {t.code: t.name for t in load_themes()}


# -- tagging ------------------------------------------------------------------------------

MODELS: dict[str, Any] = {
    "concern": Concern,
    "incident": Incident,
    "complaint": Complaint,
    "referral": Referral,
}


def _check(kind: str, theme: str | None = None) -> None:
    if kind not in RECORD_KINDS:
        raise ThemeError(f"Themes go on one of: {', '.join(RECORD_KINDS)}")
    if theme is not None and theme not in theme_names():
        raise ThemeError("No such theme: choose one from the list")


def tag(
    session: Session, kind: str, record_id: int, theme: str, *, by: str, now: datetime
) -> RecordTheme:
    """Put ``theme`` on the record (written through the ORM: audited). Tagging a record
    that already carries the theme changes nothing."""
    _check(kind, theme)
    if session.get(MODELS[kind], record_id) is None:
        raise ThemeError(f"That {kind} no longer exists")
    existing = session.scalars(
        select(RecordTheme).where(
            RecordTheme.record_kind == kind,
            RecordTheme.record_id == record_id,
            RecordTheme.theme == theme,
        )
    ).first()
    if existing is not None:
        return existing
    row = RecordTheme(
        record_kind=kind, record_id=record_id, theme=theme, tagged_by=by[:60], tagged_at=now
    )
    session.add(row)
    session.flush()
    return row


def untag(session: Session, kind: str, record_id: int, theme: str) -> None:
    """Take ``theme`` off the record; refused (with who did it) if it is already off."""
    from coordinator_tui.services.errors import ConflictError

    _check(kind)
    row = session.scalars(
        select(RecordTheme).where(
            RecordTheme.record_kind == kind,
            RecordTheme.record_id == record_id,
            RecordTheme.theme == theme,
        )
    ).first()
    if row is None:
        raise ConflictError(f"That theme is no longer on this {kind}: someone took it off")
    session.delete(row)
    session.flush()


def themes_of(session: Session, kind: str, record_id: int) -> list[str]:
    return list(
        session.scalars(
            select(RecordTheme.theme)
            .where(RecordTheme.record_kind == kind, RecordTheme.record_id == record_id)
            .order_by(RecordTheme.theme)
        )
    )


# -- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the day after the last
    label: str


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def periods(today: date, kind: str = "quarter", count: int | None = None) -> list[Period]:
    """The ``count`` complete quarters (or months) before the one ``today`` is in, oldest
    first, then the running one last."""
    if kind not in PERIODS:
        raise ThemeError(f"Periods are one of: {', '.join(PERIODS)}")
    step = 3 if kind == "quarter" else 1
    count = count or (DEFAULT_QUARTERS if kind == "quarter" else DEFAULT_MONTHS)
    current = date(today.year, (today.month - 1) // step * step + 1, 1)
    starts = [_shift(current, -step * n) for n in range(count, -1, -1)]
    result = []
    for start in starts:
        end = _shift(start, step)
        if kind == "quarter":
            label = f"{start:%b}-{_shift(end, -1):%b} {start:%y}"
        else:
            label = f"{start:%b %y}"
        result.append(Period(start, end, label))
    return result


def _records(starts: Sequence[date], end: date) -> Any:
    """(kind, id, period index, date) of every record in [first start, end): one select per
    kind, the period worked out in the database from UK-midnight boundaries."""
    from coordinator_tui.clock import UK

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=UK).astimezone(UTC)

    def index(column: Any, as_instant: bool) -> Any:
        bounds = [instant(s) if as_instant else s for s in starts[1:]]
        return case(*[(column < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))

    parts = []
    for kind, model, column, as_instant in (
        ("concern", Concern, Concern.raised_on, False),
        ("incident", Incident, Incident.occurred_at, True),
        ("complaint", Complaint, Complaint.received_on, False),
        ("referral", Referral, Referral.drafted_at, True),
    ):
        low, high = (instant(starts[0]), instant(end)) if as_instant else (starts[0], end)
        parts.append(
            select(
                literal(kind).label("kind"),
                model.id.label("id"),
                index(column, as_instant).label("period"),
            ).where(column >= low, column < high)
        )
    return union_all(*parts).subquery()


def first_record_day(session: Session) -> date | None:
    """The day of the earliest concern, incident, complaint or referral (each an indexed
    minimum): before it the app held nothing, so a count there would be an absence of
    data, not a count of none."""
    days = [
        session.execute(select(func.min(Concern.raised_on))).scalar(),
        session.execute(select(func.min(Complaint.received_on))).scalar(),
        _maybe_local(session.execute(select(func.min(Incident.occurred_at))).scalar()),
        _maybe_local(session.execute(select(func.min(Referral.drafted_at))).scalar()),
    ]
    found = [d for d in days if d is not None]
    return min(found) if found else None


def _maybe_local(value: Any) -> date | None:
    return None if value is None else _local_date(value)


def _from_first_record(session: Session, spans: list[Period]) -> list[Period]:
    """``spans`` from the one holding the first record on (the running one at least)."""
    first = first_record_day(session)
    if first is None:
        return spans[-1:]
    kept = [p for p in spans if p.end > first]
    return kept or spans[-1:]


# -- the themes report --------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeSeries:
    """One theme's counts per period (complete periods), the running period so far, and
    its XmR chart."""

    theme: str
    name: str
    group_name: str
    counts: tuple[int, ...]
    running: int
    chart: XmR

    @property
    def total(self) -> int:
        """Every record in the span: the complete periods and the running one."""
        return sum(self.counts) + self.running


@dataclass(frozen=True)
class ThemesReport:
    period: str
    labels: tuple[str, ...]  # the complete periods
    running_label: str
    series: tuple[ThemeSeries, ...]
    untagged: int  # records in the whole span with no theme

    def get(self, theme: str) -> ThemeSeries:
        return next(s for s in self.series if s.theme == theme)


def themes_report(
    session: Session, today: date, *, period: str = "quarter", count: int | None = None
) -> ThemesReport:
    """Every theme's counts per period (GROUP BY in the database) with its XmR chart;
    themes in the vocabulary order, those never used included (a zero row is a finding)."""
    access.require(session, access.REPORTS)  # issue 17
    spans = _from_first_record(session, periods(today, period, count))
    starts = [p.start for p in spans]
    records = _records(starts, spans[-1].end)
    rows = session.execute(
        select(RecordTheme.theme, records.c.period, func.count())
        .join(
            records,
            (RecordTheme.record_kind == records.c.kind) & (RecordTheme.record_id == records.c.id),
        )
        .group_by(RecordTheme.theme, records.c.period)
    ).all()
    counts: dict[str, list[int]] = {}
    for theme, index, n in rows:
        counts.setdefault(theme, [0] * len(spans))[int(index)] += int(n)
    total = session.execute(select(func.count()).select_from(records)).scalar_one()
    tagged = session.execute(
        select(func.count()).select_from(
            select(records.c.kind, records.c.id)
            .join(
                RecordTheme,
                (RecordTheme.record_kind == records.c.kind)
                & (RecordTheme.record_id == records.c.id),
            )
            .distinct()
            .subquery()
        )
    ).scalar_one()
    labels = tuple(p.label for p in spans[:-1])
    series = []
    for spec in load_themes():
        values = counts.get(spec.code, [0] * len(spans))
        complete = tuple(values[:-1])
        series.append(
            ThemeSeries(
                spec.code,
                spec.name,
                spec.group_name,
                complete,
                values[-1],
                xmr(list(complete), list(labels)),
            )
        )
    return ThemesReport(period, labels, spans[-1].label, tuple(series), int(total) - int(tagged))


# -- a theme's records --------------------------------------------------------------------


@dataclass(frozen=True)
class ThemedRecord:
    """One record in a theme's list (or in the list of records with no theme yet)."""

    kind: str
    id: int
    on: date
    what: str
    status: str
    person_id: int | None
    themes: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"{KIND_NAMES[self.kind]} {self.id}"


def _local_date(value: Any) -> date:
    from coordinator_tui.clock import to_local

    if isinstance(value, datetime):
        return to_local(value if value.tzinfo else value.replace(tzinfo=UTC)).date()
    return value


def theme_records(
    session: Session,
    theme: str | None,
    today: date,
    *,
    period: str = "quarter",
    count: int | None = None,
    limit: int = RECORDS_LIMIT,
) -> list[ThemedRecord]:
    """The records carrying ``theme`` in the report's span (running period included),
    newest first; ``theme`` None: the records with no theme yet (to tag them)."""
    access.require(session, access.REPORTS)  # issue 17
    spans = _from_first_record(session, periods(today, period, count))
    records = _records([p.start for p in spans], spans[-1].end)
    tagged = select(RecordTheme.record_kind, RecordTheme.record_id)
    if theme is not None:
        _check("concern", theme)
        chosen = select(records.c.kind, records.c.id).where(
            tuple_in(records, tagged.where(RecordTheme.theme == theme))
        )
    else:
        chosen = select(records.c.kind, records.c.id).where(~tuple_in(records, tagged))
    keys = session.execute(chosen).all()
    by_kind: dict[str, list[int]] = {}
    for kind, record_id in keys:
        by_kind.setdefault(kind, []).append(int(record_id))
    result: list[ThemedRecord] = []
    for kind, ids in by_kind.items():
        result += _describe(session, kind, ids)
    result.sort(key=lambda r: (r.on, r.kind, r.id), reverse=True)
    result = result[:limit]
    themes: dict[tuple[str, int], list[str]] = {}
    for kind, ids in _chunks(result):
        for k, record_id, code in session.execute(
            select(RecordTheme.record_kind, RecordTheme.record_id, RecordTheme.theme)
            .where(RecordTheme.record_kind == kind, RecordTheme.record_id.in_(ids))
            .order_by(RecordTheme.theme)
        ):
            themes.setdefault((k, record_id), []).append(code)
    return [
        ThemedRecord(
            r.kind, r.id, r.on, r.what, r.status, r.person_id, tuple(themes.get((r.kind, r.id), ()))
        )
        for r in result
    ]


def tuple_in(records: Any, tagged: Any) -> Any:
    """``(records.kind, records.id)`` among ``tagged``'s (kind, id) rows: written as an
    EXISTS, which SQLite and PostgreSQL both run on the record index."""
    inner = tagged.subquery()
    return (
        select(literal(1))
        .where(inner.c.record_kind == records.c.kind, inner.c.record_id == records.c.id)
        .exists()
    )


def _chunks(records: list[ThemedRecord], size: int = 500):
    by_kind: dict[str, list[int]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r.id)
    for kind, ids in by_kind.items():
        for i in range(0, len(ids), size):
            yield kind, ids[i : i + size]


def _describe(session: Session, kind: str, ids: list[int]) -> list[ThemedRecord]:
    """What each record is, in a few words the coordinator's lists already show."""
    out: list[ThemedRecord] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        if kind == "concern":
            rows = session.execute(
                select(
                    Concern.id,
                    Concern.raised_on,
                    Concern.category,
                    Concern.status,
                    Concern.person_id,
                ).where(Concern.id.in_(chunk))
            ).all()
            out += [
                ThemedRecord(kind, r[0], r[1], r[2].replace("_", " "), r[3], r[4], ()) for r in rows
            ]
        elif kind == "incident":
            rows = session.execute(
                select(
                    Incident.id,
                    Incident.occurred_at,
                    Incident.kind,
                    Incident.status,
                    Incident.person_id,
                ).where(Incident.id.in_(chunk))
            ).all()
            out += [
                ThemedRecord(kind, r[0], _local_date(r[1]), r[2].replace("_", " "), r[3], r[4], ())
                for r in rows
            ]
        elif kind == "complaint":
            rows = session.execute(
                select(
                    Complaint.id,
                    Complaint.received_on,
                    Complaint.channel,
                    Complaint.status,
                    Complaint.person_id,
                ).where(Complaint.id.in_(chunk))
            ).all()
            out += [
                ThemedRecord(kind, r[0], r[1], f"complaint ({r[2]})", r[3], r[4], ()) for r in rows
            ]
        else:
            rows = session.execute(
                select(
                    Referral.id,
                    Referral.drafted_at,
                    Referral.referral_type,
                    Referral.state,
                    Referral.person_id,
                ).where(Referral.id.in_(chunk))
            ).all()
            out += [
                ThemedRecord(kind, r[0], _local_date(r[1]), f"{r[2]} referral", r[3], r[4], ())
                for r in rows
            ]
    return out


# -- exports ------------------------------------------------------------------------------

HEADER_START = ["Theme", "Group"]


def report_rows(report: ThemesReport) -> tuple[list[str], list[list[Any]]]:
    """The table every format shows: theme, group, a count per period, the running period
    so far, total, and the chart's verdict."""
    header = [
        *HEADER_START,
        *report.labels,
        f"{report.running_label} so far",
        "Total",
        "Mean",
        "Upper limit",
        "SPC",
    ]
    rows = [
        [
            s.name,
            s.group_name,
            *s.counts,
            s.running,
            s.total,
            round(s.chart.mean, 2),
            round(s.chart.upper, 2),
            s.chart.verdict(),
        ]
        for s in report.series
    ]
    return header, rows


def report_json(report: ThemesReport) -> dict[str, Any]:
    return {
        "report": "themes",
        "period": report.period,
        "periods": list(report.labels),
        "running": report.running_label,
        "untagged_records": report.untagged,
        "themes": [
            {
                "theme": s.theme,
                "name": s.name,
                "group": s.group_name,
                "counts": list(s.counts),
                "running": s.running,
                "total": s.total,
                "mean": round(s.chart.mean, 3),
                "upper_limit": round(s.chart.upper, 3),
                "lower_limit": round(s.chart.lower, 3),
                "provisional": s.chart.provisional,
                "verdict": s.chart.verdict(),
                "special": [
                    {"period": p.label, "count": int(p.value), "signals": list(p.signals)}
                    for p in s.chart.special_points
                ],
            }
            for s in report.series
        ],
    }


def export_report(session: Session, report: ThemesReport, fmt: str, path: Path) -> Path:
    """The themes table as CSV, XLSX or Word, owner-only, audited (what and the kind of
    file, never the path). Counts of themes, no names: nothing here identifies a person,
    but the same small-number rule as the other reports applies to what leaves."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import csv_text, export_sink, xlsx_bytes
    from coordinator_tui.services.reports.kpi import FORMATS

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be

    if fmt not in FORMATS:
        raise ThemeError(f"Export as one of: {', '.join(FORMATS)}")
    if path.is_dir():
        raise ThemeError("Give a file name, not a folder, to export to")
    header, rows = report_rows(report)
    data: bytes | str
    if fmt == "csv":
        data = csv_text(header, rows)
    elif fmt == "xlsx":
        data = xlsx_bytes([("Themes", header, rows)])
    else:
        import io

        from docx import Document

        document = Document()
        document.add_heading(f"Learning themes per {report.period}", level=1)
        document.add_paragraph(
            "Counts per theme; SPC as NHS England's Making Data Count (XmR chart, special "
            "cause: a point outside the limits, 7 on one side of the mean, 7 rising or "
            "falling, 2 of 3 close to a limit)."
        )
        table = document.add_table(rows=1 + len(rows), cols=len(header))
        table.style = "Table Grid"
        for c, text in enumerate(header):
            table.cell(0, c).text = str(text)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                table.cell(r, c).text = str(value)
        buffer = io.BytesIO()
        document.save(buffer)
        data = buffer.getvalue()
    record_export(session, "themes report", "record_theme", None, fmt, encrypted=sink.encrypted)
    return sink.write(path, data)
