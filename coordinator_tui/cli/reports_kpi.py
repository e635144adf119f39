"""``report kpi`` (the homecare KPI pack for a month), ``report themes`` (learning themes per
quarter or month with their SPC verdict) and ``report theme-tag`` (put a theme on a record,
or take it off), added to the ``report`` group by :mod:`coordinator_tui.cli.reports`.

Nothing here imports Textual, and the database layer is imported inside each command
(``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations at runtime.
from enum import StrEnum
from typing import Annotated, Any

import typer

from coordinator_tui.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    SmallNumbersOption,
    echo_json,
    report_output,
    run_job,
)


class PeriodKind(StrEnum):
    quarter = "quarter"
    month = "month"


def register_report_commands(report_app: typer.Typer) -> None:
    """Add ``kpi``, ``themes`` and ``theme-tag`` to the ``report`` group."""

    @report_app.command("kpi")
    def report_kpi(
        db: DbOption = None,
        month: Annotated[
            str | None, typer.Option("--month", help="YYYY-MM (default: last month).")
        ] = None,
        fmt: FormatOption = None,
        out: OutOption = None,
        small: SmallNumbersOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """The homecare KPI pack for a month by the commissioners' definitions (the settings
        file's [kpi] table): delivered, late, time-critical, missed, short, continuity, call
        logging, hours, Working Time, incidents, complaints, candour, change requests. A
        measure that needs actual visit times says "not recorded" when there are none."""
        from coordinator_tui.cli.common import load_settings_or_fail
        from coordinator_tui.services.reports import kpi

        settings = load_settings_or_fail(db)
        output = report_output(db, out, fmt, small)

        def job(session: Any, today: Any):
            if month is None:
                first = kpi.shift_month(today.replace(day=1), -1)
            else:
                first = kpi.parse_month(month)
            pack = kpi.kpi_pack(
                session, first, now=settings.current_moment(), definitions=settings.kpi
            )
            output.write(
                lambda kind, path, show_small: kpi.export_pack(
                    session, pack, kind, path, show_small=show_small
                )
            )
            return pack

        pack = run_job(db, job)
        show_small = output.show_small
        if as_json:
            echo_json(kpi.pack_json(pack, show_small))
            return
        if output.said_written(f"the KPI pack for {pack.month:%B %Y}"):
            return
        typer.echo(pack.title)
        typer.echo(kpi.small_numbers_note(show_small))
        section = None
        for line in pack.lines:
            if line.section != section:
                section = line.section
                typer.echo(f"\n{section.upper()}")
            typer.echo(f"  {line.label[:52]:<52} {line.value_text(show_small):>24}")
            if not line.recorded:
                typer.echo(f"  {'':<52} ({line.note})")

    @report_app.command("themes")
    def report_themes(
        db: DbOption = None,
        period: Annotated[
            PeriodKind, typer.Option("--period", help="quarter (default) or month.")
        ] = PeriodKind.quarter,
        as_json: JsonOption = False,
    ) -> None:
        """Learning themes: each theme's count per quarter (or month) with its SPC verdict
        (NHS Making Data Count: special cause or common cause only)."""
        from coordinator_tui.services.reports import themes as th

        def job(session: Any, today: Any):
            return th.themes_report(session, today, period=period.value)

        report = run_job(db, job)
        if as_json:
            echo_json(th.report_json(report))
            return
        labels = report.labels[-4:]
        typer.echo(
            f"Learning themes per {report.period}; {report.running_label} so far in its own "
            f"column; {report.untagged:,} records have no theme yet"
        )
        typer.echo(
            f"{'Theme':<42}"
            + "".join(f"{label[:10]:>11}" for label in labels)
            + f"{'so far':>8}  SPC"
        )
        for series in report.series:
            counts = series.counts[-len(labels) :] if labels else ()
            typer.echo(
                f"{series.name[:41]:<42}"
                + "".join(f"{n:>11}" for n in counts)
                + f"{series.running:>8}  {series.chart.verdict()}"
            )

    @report_app.command("theme-tag")
    def theme_tag(
        kind: Annotated[str, typer.Argument(help="concern, incident, complaint or referral")],
        record_id: Annotated[int, typer.Argument(help="The record's number")],
        theme: Annotated[str, typer.Argument(help="A theme code (report themes --json)")],
        db: DbOption = None,
        remove: Annotated[bool, typer.Option("--remove", help="Take the theme off.")] = False,
    ) -> None:
        """Put a learning theme on a concern, incident, complaint or referral (or take it
        off with --remove); audited like every change."""
        from coordinator_tui.services.reports import themes as th

        def job(session: Any, _today: Any, user: str):
            from coordinator_tui.models import utcnow

            if remove:
                th.untag(session, kind, record_id, theme)
            else:
                th.tag(session, kind, record_id, theme, by=user, now=utcnow())

        run_job(db, job, with_user=True)
        typer.echo(
            f"{'Removed' if remove else 'Added'} {theme} {'from' if remove else 'on'} "
            f"{kind} {record_id}"
        )
