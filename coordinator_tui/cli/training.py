"""``coordinator-tui training matrix [--csv FILE]``: the training matrix outside the app
(issue 18 §5, §8).

Printed as a table: a line per active carer, a column per course (``✓`` valid with its
expiry, ``◐`` due within the warning period, ``✖`` expired, ``·`` missing, ``—`` not needed
for the role), then the supervision due date; ``--csv`` writes it as CSV instead (readable
by you only, the export audited). Nothing here imports Textual, and the database layer is
imported inside the command (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
from pathlib import Path
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import uk_date


def register(app: typer.Typer) -> None:
    """Add the ``training`` group to the main command line."""
    from coordinator_tui.cli.common import DbOption, run_job

    training_app = typer.Typer(help="Training: the matrix of carers against required courses.")
    app.add_typer(training_app, name="training")

    CsvOption = Annotated[
        Path | None, typer.Option("--csv", help="Write the matrix to this CSV file (owner-only).")
    ]

    @training_app.command("matrix")
    def matrix_command(db: DbOption = None, csv: CsvOption = None) -> None:
        """Every active carer against every course: valid, due, expired or missing."""
        from coordinator_tui.audit import record_export
        from coordinator_tui.services.care.training import (
            ROLES,
            ensure_courses,
            matrix_csv,
            training_matrix,
        )
        from coordinator_tui.services.exporting import export_sink

        target = csv.expanduser() if csv is not None else None

        written: list[Path] = []

        def job(session: Any, today: Any) -> Any:
            ensure_courses(session)
            matrix = training_matrix(session, today)
            if target is not None:
                # Written inside the unit of work: a file that cannot be written is one
                # line (exit 2) and leaves no export in the audit trail. Owner-only (it
                # names staff), encrypted from an encrypted database.
                sink = export_sink(session)
                written.append(sink.write(target, matrix_csv(matrix)))
                record_export(
                    session,
                    "training matrix",
                    "training_record",
                    None,
                    "csv",
                    encrypted=sink.encrypted,
                )
            return matrix

        matrix = run_job(db, job)
        if target is not None:
            typer.echo(f"Wrote the training matrix ({len(matrix.rows)} carers) to {written[0]}")
            return
        codes = [c.code for c in matrix.courses]
        typer.echo(
            f"{'carer':<24} {'role':<9} " + " ".join(f"{c:<8}" for c in codes) + " supervision"
        )
        for row in matrix.rows:
            cells = " ".join(f"{cell.text():<8}" for cell in row.cells)
            role = ROLES.get(row.role, row.role).split()[0]
            due = uk_date(row.supervision_due) if row.supervision_due else ""
            typer.echo(f"{row.name[:24]:<24} {role:<9} {cells} {due}")
        counts = matrix.counts()
        typer.echo(
            f"{len(matrix.rows)} carers: {counts.get('expired', 0)} expired, "
            f"{counts.get('missing', 0)} missing, {counts.get('due', 0)} due within "
            f"{matrix.due_soon_days} days"
        )
