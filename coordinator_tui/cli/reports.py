"""``coordinator-tui report ...`` and ``coordinator-tui sharing ...`` (issue 15).

``report coding-audit IMPORT.csv [--json] [--mapping FILE] [--practice ODS] [--dry-run]``
imports a SystmOne or EMIS export, reconciles it against the registers and keeps the run
(its findings are then in Reports, 7); ``report coding-demo OUT.csv`` writes the demo's
own export with deliberate mismatches of every class; ``sharing list [--from --to]
[--json]`` lists what was shared with whom; ``report pcn [--from --to] [--format --out]
[--json]`` the PCN safeguarding report (issue 16); ``report cqc --statement --months
[--out FILE.docx] [--names] [--json]`` the CQC evidence pack.

Kept out of ``cli.py`` (which calls :func:`register`). Nothing here imports Textual, and
the database layer is imported inside each command (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class ExportStyle(StrEnum):
    emis = "emis"
    systmone = "systmone"


def _read_text(path: Path, what: str, fail) -> str:
    try:
        return path.expanduser().read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{what} {path} is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8")
    except OSError as exc:
        fail(f"cannot read {what} {path}: {exc.strerror}")
    raise AssertionError  # fail() does not return


def _write_private(path: Path, text: str) -> None:
    """A file readable by its owner only (it holds NHS numbers)."""
    from coordinator_tui.services.exporting import write_private

    write_private(path, text)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``sharing`` (groups) to the main command line."""
    from coordinator_tui.cli.common import (
        DbOption,
        FormatOption,
        JsonOption,
        OutOption,
        SmallNumbersOption,
        echo_json,
        fail,
        report_output,
        run_job,
    )

    report_app = typer.Typer(
        help="Reports: the coding audit against the clinical system, the PCN report, the "
        "CQC evidence pack."
    )
    app.add_typer(report_app, name="report")
    from coordinator_tui.cli.reports_kpi import register_report_commands

    register_report_commands(report_app)  # report kpi, themes, theme-tag (issue 16 §2, §4)
    from coordinator_tui.cli.access_report import register_access_report

    register_access_report(report_app)  # report access (issue 17 §4)
    sharing_app = typer.Typer(help="Information sharing: what was shared with whom.")
    app.add_typer(sharing_app, name="sharing")

    def _work(db: str | None, job):
        return run_job(db, job, with_user=True)

    @report_app.command("coding-audit")
    def coding_audit(
        file: Annotated[Path, typer.Argument(help="The CSV export of the clinical system.")],
        db: DbOption = None,
        mapping: Annotated[
            Path | None,
            typer.Option(
                "--mapping", help="A JSON file: our field names -> the export's column names."
            ),
        ] = None,
        practice: Annotated[
            str | None,
            typer.Option("--practice", help="Reconcile this practice only (ODS code or name)."),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Report the findings; keep nothing.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Import a SystmOne or EMIS export and reconcile it against the registers, both
        ways, per practice (the run and its findings are kept for Reports, 7)."""
        from coordinator_tui.services.reports.coding_audit import (
            KIND_LABELS,
            run_coding_audit,
            run_summary,
        )

        text = _read_text(file, "export", fail)
        mapping_text = _read_text(mapping, "mapping file", fail) if mapping else None

        def job(session: Any, today: Any, user: str) -> dict[str, Any]:
            outcome = run_coding_audit(
                session,
                text,
                today=today,
                by=user,
                file_name=file.name,
                mapping_text=mapping_text,
                practice=practice,
                save=not dry_run,
            )
            return _audit_document(session, outcome, run_summary if not dry_run else None)

        document = _work(db, job)
        if as_json:
            echo_json(document)
            return
        typer.echo(
            f"Coding audit of {file.name} ({document['system']}): {document['rows']:,} rows, "
            f"{document['coded_rows']:,} with a code of the lists, "
            f"{document['people_coded']:,} people coded, "
            f"{document['unknown_people']:,} NHS numbers not in our records"
        )
        typer.echo(
            f"Practices: {', '.join(document['practices']) or '—'}; code lists "
            f"{document['code_lists_version']}; not audited (no codes): "
            f"{document['not_audited'] or '—'}"
        )
        where = "not kept (dry run)" if dry_run else f"run {document['run']}: Reports (7)"
        typer.echo(f"Findings: {len(document['findings'])} ({where})")
        for kind, label in KIND_LABELS.items():
            typer.echo(f"  {label:<30} {document['counts'][str(kind)]:>5}")
        for row in document["findings"]:
            typer.echo(
                f"{row['practice']:<12} {row['kind']:<22} {row['list']:<10} "
                f"{row['nhs_number']:<12} {row['name']:<28} {row['detail']}"
            )

    @report_app.command("coding-demo")
    def coding_demo(
        out: Annotated[Path, typer.Argument(help="The CSV file to write (owner-only).")],
        db: DbOption = None,
        rows: Annotated[
            int, typer.Option("--rows", help="Pad the file to this many rows (e.g. 50000).")
        ] = 0,
        per_class: Annotated[
            int, typer.Option("--per-class", help="Mismatches of each class per practice.")
        ] = 2,
        style: Annotated[
            ExportStyle, typer.Option("--style", help="EMIS Web's or SystmOne's columns.")
        ] = ExportStyle.emis,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    ) -> None:
        """Write the demo database's own clinical-system export, with deliberate mismatches
        of every class, for report coding-audit or the Reports screen."""
        from coordinator_tui.demo.coding import demo_export

        def job(session: Any, today: Any, _user: str):
            return demo_export(
                session, today=today, rows=rows, per_class=per_class, style=style.value, seed=seed
            )

        demo = _work(db, job)
        try:
            _write_private(out.expanduser(), demo.text)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}")
        planted = ", ".join(f"{len(v)} {k}" for k, v in demo.planted.items())
        typer.echo(f"Wrote {demo.rows:,} rows to {out} ({style.value}); planted: {planted}")

    @report_app.command("pcn")
    def report_pcn(
        db: DbOption = None,
        date_from: Annotated[
            str | None,
            typer.Option("--from", help="First day (e.g. 01/10/2026). Default: last month."),
        ] = None,
        date_to: Annotated[
            str | None, typer.Option("--to", help="Last day. Default: the end of last month.")
        ] = None,
        fmt: FormatOption = None,
        out: OutOption = None,
        small: SmallNumbersOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """The PCN safeguarding report per practice and PCN total for a period: registers,
        reviews, concerns, referrals, conferences, meetings and actions, coding findings.
        Counts of 1 to 4 are * unless --show-small-numbers (or the settings file's
        show_small_numbers)."""
        from coordinator_tui.services.reports.pcn import (
            cell_text,
            export_report,
            pcn_report,
            report_json,
        )

        output = report_output(db, out, fmt, small)

        def job(session: Any, today: Any, _user: str):
            start, end = _period(date_from, date_to, today, fail)
            report = pcn_report(session, start, end, today)
            output.write(
                lambda kind, path, show_small: export_report(
                    session, report, kind, path, show_small=show_small
                )
            )
            return report

        report = _work(db, job)
        show_small = output.show_small
        if as_json:
            echo_json(report_json(report, show_small))
            return
        if output.said_written(f"the PCN report ({report.period_text()})"):
            return
        typer.echo(f"{report.title()}, {report.period_text()}")
        typer.echo(report.small_numbers_note(show_small))
        width = max(len(c) for c in report.columns) + 1
        for section in report.sections:
            typer.echo(f"\n{section.title.upper()}")
            typer.echo(" " * 28 + "".join(f"{c:>{width}}" for c in report.columns))
            shown = None
            for item, measure, *cells in report.rows(section, show_small):
                if item != shown:
                    typer.echo(f"  {item}")
                    shown = item
                label = f"    {measure}"[:28]
                typer.echo(f"{label:<28}" + "".join(f"{cell_text(c):>{width}}" for c in cells))

    @report_app.command("cqc")
    def report_cqc(
        db: DbOption = None,
        statement: Annotated[
            str,
            typer.Option(
                "--statement", help="The quality statement (key or name, e.g. safeguarding)."
            ),
        ] = "safeguarding",
        months: Annotated[int, typer.Option("--months", help="Months back from today.")] = 12,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write the pack: .docx, .xlsx or .csv (owner-only)."),
        ] = None,
        names: Annotated[
            bool, typer.Option("--names", help="Show people's names (default: person #id).")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """The CQC evidence pack for one quality statement over the last months: an index
        of what the app holds, each item with its record id and date, and the gaps."""
        from coordinator_tui.services.reports.cqc import (
            evidence_pack,
            export_pack,
            index_rows,
            pack_json,
        )

        if out is not None and out.suffix.lower() not in (".docx", ".xlsx", ".csv"):
            fail("--out: name a .docx, .xlsx or .csv file")

        written: list[Path] = []

        def job(session: Any, today: Any, _user: str):
            pack = evidence_pack(session, statement, months, today, names=names)
            if out is not None:  # encrypted from an encrypted database (a CSV gains .zip)
                written.append(export_pack(session, pack, out.expanduser()))
            return pack

        pack = _work(db, job)
        if as_json:
            echo_json(pack_json(pack))
            return
        if out is not None:
            typer.echo(f"Wrote {pack.item_count:,} items ({pack.title()}) to {written[0]}")
        else:
            typer.echo(f"{pack.title()}, {pack.period_text()}")
            for number, name, categories, count, latest in index_rows(pack):
                typer.echo(f"{number:>3}. {name} ({categories}): {count} {latest}".rstrip())
        for gap in pack.gaps:
            typer.echo(f"gap: {gap}")

    @sharing_app.command("list")
    def sharing_list(
        db: DbOption = None,
        date_from: Annotated[
            str | None, typer.Option("--from", help="First day (e.g. 01/04/2026 or -1m).")
        ] = None,
        date_to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
        without_consent: Annotated[
            bool,
            typer.Option("--without-consent", help="Only decisions taken without consent."),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    ) -> None:
        """What was shared with whom, and requests to us, by date (for the Caldicott
        guardian's review): lawful basis, consent decision and confidentiality flags."""
        from coordinator_tui.services.dates import DateParseError, parse_date
        from coordinator_tui.services.reports.sharing import sharing_rows

        def day(text: str | None, option: str, today: Any):
            if text is None:
                return None
            try:
                return parse_date(text, today=today)
            except DateParseError as exc:
                fail(f"{option}: {exc}")

        def job(session: Any, today: Any, _user: str) -> list:
            return sharing_rows(
                session,
                date_from=day(date_from, "--from", today),
                date_to=day(date_to, "--to", today),
                without_consent=without_consent,
            )

        rows = _work(db, job)
        if as_json:
            echo_json([row.to_dict() for row in rows])
            return
        if not rows:
            typer.echo("Nothing shared in that period.")
            return
        for row in rows:
            typer.echo(row.line())


def _period(date_from: str | None, date_to: str | None, today: Any, fail) -> tuple[Any, Any]:
    """``--from``/``--to`` as dates; by default the last whole month before today's."""
    from datetime import timedelta

    from coordinator_tui.services.dates import DateParseError, parse_date

    end_of_last = today.replace(day=1) - timedelta(days=1)
    days = []
    for text, option, default in (
        (date_from, "--from", end_of_last.replace(day=1)),
        (date_to, "--to", end_of_last),
    ):
        try:
            days.append(parse_date(text, today=today) if text else default)
        except DateParseError as exc:
            fail(f"{option}: {exc}")
    return days[0], days[1]


def _audit_document(session: Any, outcome: Any, summary_of: Any) -> dict[str, Any]:
    """The audit as one JSON-ready object (the findings read back when the run was kept)."""
    from coordinator_tui.services.person_hit import format_nhs_number
    from coordinator_tui.services.reports.coding_audit import (
        count_findings,
        findings_page,
        practice_names,
        unsaved_rows,
    )

    run, export, result = outcome.run, outcome.export, outcome.reconciliation
    names = practice_names(session)
    if summary_of is not None:
        rows = findings_page(session, run.id, 0, max(count_findings(session, run.id), 1))
    else:
        rows = unsaved_rows(session, result.findings)
    return {
        "run": run.id,
        "file": run.file_name,
        "system": export.system,
        "columns": export.columns,
        "code_lists_version": run.code_lists_version,
        "rows": export.rows,
        "coded_rows": len(export.events),
        "other_codes": export.other_codes,
        "people_coded": result.people_coded,
        "unknown_people": result.unknown_people,
        "practices": [names.get(i, "?") for i in result.practice_ids],
        "not_audited": ", ".join(result.not_audited),
        "counts": {str(kind): count for kind, count in result.counts().items()},
        "findings": [
            {
                "id": row.id,
                "practice": row.practice,
                "kind": row.kind,
                "list": row.list_id,
                "nhs_number": format_nhs_number(row.nhs_number),
                "name": row.name,
                "detail": row.detail,
                "status": row.status,
            }
            for row in rows
        ],
    }
