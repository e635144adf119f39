"""``coordinator-tui report access [--from --to] [--json]``: the access report (issue 17 §4).

Added to the ``report`` group by ``cli/reports.py``. Run as the operator (the owner of the
database file), as the other headless reports; the service checks ``audit_review``.
Prints account names and record ids, never a person's details.
"""

# No ``from __future__ import annotations``: typer reads the option annotations.
import json
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import uk_date, uk_datetime


def register_access_report(report_app: typer.Typer) -> None:
    from coordinator_tui.cli.common import DbOption, fail, run_job

    @report_app.command("access")
    def report_access(
        db: DbOption = None,
        date_from: Annotated[
            str | None, typer.Option("--from", help="First day. Default: 7 days ago.")
        ] = None,
        date_to: Annotated[
            str | None, typer.Option("--to", help="Last day. Default: today.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """Who viewed which records, views outside the viewer's practices, break-glass
        uses (with their reasons), out-of-hours bursts and bulk exports, for a period."""
        from datetime import timedelta

        from coordinator_tui.services.dates import DateParseError, parse_date
        from coordinator_tui.services.reports.access import access_report

        def job(session: Any, today: Any):
            days = []
            for text, option, default in (
                (date_from, "--from", today - timedelta(days=7)),
                (date_to, "--to", today),
            ):
                try:
                    days.append(parse_date(text, today=today) if text else default)
                except DateParseError as exc:
                    fail(f"{option}: {exc}")
            return access_report(session, days[0], days[1])

        report = run_job(db, job)
        if as_json:
            typer.echo(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
            return
        for line in report_lines(report):
            typer.echo(line)


def report_lines(report: Any) -> list[str]:
    """The report as plain lines (the CLI's text; the screen draws its own tables)."""
    lines = [f"Access report {uk_date(report.start)} to {uk_date(report.end)}"]
    lines.append(f"\nBREAK-GLASS USES ({len(report.break_glass)})")
    for use in report.break_glass:
        lines.append(
            f"  {uk_datetime(use.at)}  {use.actor}  {use.table_name} {use.row_id}: "
            f"{use.why}. Reason: {use.reason}"
        )
    lines.append(f"\nVIEWS OUTSIDE THE VIEWER'S PRACTICES ({len(report.outside)})")
    for view in report.outside:
        how = "break-glass" if view.break_glass else "no break-glass"
        lines.append(f"  {uk_datetime(view.at)}  {view.actor}  person {view.row_id} ({how})")
    lines.append(f"\nOUT-OF-HOURS BURSTS ({len(report.bursts)})")
    for burst in report.bursts:
        lines.append(
            f"  {uk_date(burst.day)}  {burst.actor}  {burst.reads} reads "
            f"{burst.first:%H:%M}-{burst.last:%H:%M}"
        )
    lines.append(f"\nBULK EXPORTS ({len(report.bulk_exports)})")
    for bulk in report.bulk_exports:
        lines.append(
            f"  {uk_date(bulk.day)}  {bulk.actor}  {bulk.exports} exports, {bulk.files} files "
            f"({', '.join(bulk.kinds)})"
        )
    lines.append(f"\nRECORDS VIEWED ({len(report.views)} account and record pairs)")
    for view in report.views:
        lines.append(
            f"  {view.actor}  {view.table_name} {view.row_id if view.row_id is not None else '-'}"
            f"  {view.views} view{'s' if view.views != 1 else ''}, last {uk_datetime(view.last)}"
        )
    return lines
