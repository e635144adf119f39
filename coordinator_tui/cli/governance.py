"""``coordinator-tui governance ...``: incidents and complaints listed, letters drafted,
outside the app (issue 14 §5).

``governance incidents [--open] [--overdue] [--json]``, ``governance complaints [--open]
[--overdue] [--json]``, ``governance letter candour|complaint ID --out FILE`` (Word for a
``.docx`` name, else plain text; owner-only, the export audited).

Kept out of ``cli.py``; ``cli.py`` calls :func:`register`. Nothing here imports Textual,
and the database layer is imported inside each command (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import uk_date


class LetterKind(StrEnum):
    candour = "candour"
    complaint = "complaint"


def register(app: typer.Typer) -> None:
    """Add the ``governance`` group to the main command line."""
    from coordinator_tui.cli.common import DbOption, run_job

    governance_app = typer.Typer(
        help="Governance: incidents, Duty of Candour and complaints; letters drafted."
    )
    app.add_typer(governance_app, name="governance")

    OpenOption = Annotated[bool, typer.Option("--open", help="Only open ones.")]
    OverdueOption = Annotated[
        bool, typer.Option("--overdue", help="Only those past a due date (open ones).")
    ]
    JsonOption = Annotated[bool, typer.Option("--json", help="A JSON list.")]

    @governance_app.command("incidents")
    def incidents_command(
        db: DbOption = None,
        only_open: OpenOption = False,
        overdue: OverdueOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """Incidents, newest first, with triage, Duty of Candour and actions; OVERDUE if late."""
        from coordinator_tui.services.governance.incidents import (
            incident_json,
            incident_list,
            is_overdue,
        )

        def job(session: Any, today: Any) -> tuple[list, Any]:
            rows = incident_list(session, "open", today)
            if not (only_open or overdue):
                rows += incident_list(session, "closed", today)
                rows.sort(key=lambda r: (r.occurred_on, r.id), reverse=True)
            if overdue:
                rows = [r for r in rows if is_overdue(r, today)]
            return rows, today

        rows, today = run_job(db, job)
        if as_json:
            typer.echo(json.dumps([incident_json(r, today) for r in rows], indent=2))
            return
        if not rows:
            typer.echo("No incidents.")
            return
        for r in rows:
            if r.status == "closed":
                state = "closed"
            elif not r.triaged:
                state = "TRIAGE"
            else:
                state = "OVERDUE" if is_overdue(r, today) else "open"
            candour = ""
            if r.candour_status == "complete":
                candour = "candour complete"
            elif r.candour_status == "open" and r.candour_waiting and r.candour_due:
                late = " LATE" if r.candour_overdue(today) else ""
                candour = f"candour: notify by {uk_date(r.candour_due)}{late}"
            elif r.candour_status == "open":
                candour = "candour in progress"
            actions = ""
            if r.open_actions:
                noun = "action" if r.open_actions == 1 else "actions"
                actions = f"{r.open_actions} open {noun}, {r.overdue_actions} late"
            who = " / ".join(p for p in (r.customer, r.carer) if p)
            typer.echo(
                f"INC-{r.id:<5} {uk_date(r.occurred_on)}  {state:<7}  {r.kind:<15}  "
                f"{r.severity:<8}  {who}"
                + "".join(f"  [{part}]" for part in (candour, actions) if part)
            )

    @governance_app.command("complaints")
    def complaints_command(
        db: DbOption = None,
        only_open: OpenOption = False,
        overdue: OverdueOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """Complaints, newest first, where each stands, and its clocks (SI 2009/309)."""
        from coordinator_tui.services.governance.complaints import complaint_json, complaint_list

        def job(session: Any, today: Any) -> tuple[list, Any]:
            if overdue:
                rows = complaint_list(session, "overdue", today)
            else:
                rows = complaint_list(session, "open", today)
                if not only_open:
                    rows += complaint_list(session, "closed", today)
            rows.sort(key=lambda r: (r.received_on, r.id), reverse=True)
            return rows, today

        rows, today = run_job(db, job)
        if as_json:
            typer.echo(json.dumps([complaint_json(r, today) for r in rows], indent=2))
            return
        if not rows:
            typer.echo("No complaints.")
            return
        for r in rows:
            stage = ("LATE " if r.is_overdue(today) else "") + r.stage()
            clocks = []
            if r.status == "open" and r.acknowledged_on is None and r.acknowledge_due:
                clocks.append(f"acknowledge by {uk_date(r.acknowledge_due)}")
            if r.status == "open" and r.response_sent_on is None and r.response_due:
                clocks.append(f"respond by {uk_date(r.response_due)}")
            who = " / ".join(p for p in (r.customer, r.carer) if p)
            typer.echo(
                f"CMP-{r.id:<5} {uk_date(r.received_on)}  {stage:<20}  {r.complainant}"
                + (f" about {who}" if who else "")
                + (f"  [{'; '.join(clocks)}]" if clocks else "")
            )

    @governance_app.command("letter")
    def letter_command(
        kind: Annotated[LetterKind, typer.Argument(help="Which letter.")],
        row_id: Annotated[
            int, typer.Argument(metavar="ID", help="The incident's or complaint's number.")
        ],
        out: Annotated[
            Path, typer.Option("--out", help="The file: .docx for Word, else plain text.")
        ],
        db: DbOption = None,
    ) -> None:
        """Draft an incident's candour letter or a complaint's response (owner-only file)."""
        from coordinator_tui.services.governance.letters import write_letter

        written = run_job(
            db, lambda s, today: write_letter(s, kind.value, row_id, out.expanduser(), today)
        )
        typer.echo(f"Letter written to {written}")
