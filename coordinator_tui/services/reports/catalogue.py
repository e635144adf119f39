"""The reports the Reports section (7) lists, each with a line on where it stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.services import access


@dataclass(frozen=True)
class ReportEntry:
    """One report: ``key`` opens it; ``built`` False: not built yet (says so, no data)."""

    key: str
    title: str
    about: str
    state: str
    built: bool = True


PLANNED = ()

NOT_FOR_ROLE = "not for your role"
"""A report's state line where the signed-in roles may not run it."""


def catalogue(session: Session, today: date) -> list[ReportEntry]:
    """The built reports with their state now, then the planned ones."""
    from coordinator_tui.services.reports.coding_audit import latest_run_id, run_summary
    from coordinator_tui.services.reports.sharing import count_for_catalogue

    principal = access.current_principal(session)
    if principal is None or not principal.can(access.REPORTS):
        # The list itself is for everyone who may open Reports; the registers' figures
        # behind these two lines are not (issue 17: a homecare coordinator's list).
        coding = sharing = NOT_FOR_ROLE
    else:
        run_id = latest_run_id(session)
        summary = run_summary(session, run_id) if run_id is not None else None
        if summary is None:
            coding = "no export imported yet"
        else:
            coding = (
                f"last import {uk_date(to_local(summary.imported_at))}: "
                f"{summary.findings:,} findings, {summary.open_count:,} open"
            )
        since = today - timedelta(days=365)
        disclosures, requests, without = count_for_catalogue(session, since)
        sharing = (
            f"12 months: {disclosures:,} shared, {requests:,} requests, {without:,} without consent"
        )
    return [
        ReportEntry(
            "coding",
            "Coding audit",
            "Our registers against the clinical system's codes, per practice",
            coding,
        ),
        ReportEntry(
            "sharing",
            "Information sharing",
            "What was shared with whom, on what basis; decisions without consent",
            sharing,
        ),
        ReportEntry(
            "updates",
            "Process updates",
            "Changes sent to the safeguarding administrators: acknowledged, briefed",
            _updates_state(session, today),
        ),
        ReportEntry(
            "compliance",
            "Review compliance",
            "Register reviews within their interval, per practice and register",
            "as of today",
        ),
        ReportEntry(
            "pcn",
            "PCN report",
            "Registers, referrals and actions per practice for the PCN meeting",
            "any period, per practice and PCN total; small numbers as *",
        ),
        ReportEntry(
            "cqc",
            "CQC evidence",
            "Evidence by key question and quality statement, with the gaps",
            "34 quality statements; any number of months",
        ),
        ReportEntry(
            "kpi",
            "Homecare KPIs",
            "Late and missed visits, continuity of carer, call logging",
            "monthly, by the commissioners' definitions (settings)",
        ),
        ReportEntry(
            "themes",
            "Learning themes",
            "Themes of concerns, incidents, complaints, referrals per quarter, with SPC",
            _themes_state(session),
        ),
        ReportEntry(
            "access",
            "Access report",
            "Who viewed which records; break-glass, out-of-scope views, bulk exports",
            "for the safeguarding lead (audit review); any 30 days",
        ),
        *PLANNED,
    ]


def _updates_state(session: Session, today: date) -> str:
    from coordinator_tui.services.reports.process_updates import updates

    rows = updates(session, today)
    overdue = sum(row.overdue for row in rows)
    return f"{len(rows):,} updates, {overdue:,} acknowledgements overdue"


def _themes_state(session: Session) -> str:
    from sqlalchemy import func, select

    from coordinator_tui.models.themes import RecordTheme

    tags = session.execute(select(func.count()).select_from(RecordTheme)).scalar_one()
    return f"{tags:,} theme tags" if tags else "no records tagged yet"
