"""``coordinator-tui care changes|reviews``: medication and clinical changes, and care plan
reviews, outside the app (issue 18 §1, §2, §8).

``care changes`` lists the changes pending the two-person check (``PENDING``, oldest
first) and the open ones with the carers still to acknowledge and their next visit;
``--pending`` only the first. ``care reviews`` is the review queue, overdue first
(``--overdue`` only those). ``--json`` prints one object. Nothing here imports Textual,
and the database layer is imported inside the commands (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
import json
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import day_datetime, uk_date


def _when(moment: Any) -> str:
    from coordinator_tui.clock import to_local

    return day_datetime(to_local(moment)) if moment else ""


def register(app: typer.Typer) -> None:
    """Add the ``care`` group to the main command line."""
    from coordinator_tui.cli.common import DbOption, run_job

    care_app = typer.Typer(help="Care changes: medication changes and care plan reviews.")
    app.add_typer(care_app, name="care")
    JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

    @care_app.command("changes")
    def changes_command(
        db: DbOption = None,
        pending: Annotated[
            bool, typer.Option("--pending", help="Only changes pending verification.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Changes pending verification, then those awaiting acknowledgements."""
        from datetime import datetime

        from coordinator_tui.clock import UK
        from coordinator_tui.services.care.medication import change_list

        def job(session: Any, today: Any) -> Any:
            now = datetime.combine(today, datetime.now(UK).time(), tzinfo=UK)
            views = ("pending",) if pending else ("pending", "awaiting")
            return {view: change_list(session, view, now) for view in views}

        found = run_job(db, job)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        view: [
                            {
                                "ref": row.ref,
                                "customer": row.customer,
                                "kind": row.kind,
                                "source": row.source,
                                "received_at": row.received_at.isoformat(),
                                "description": row.description,
                                "logged_by": row.logged_by,
                                "verified_by": row.verified_by,
                                "care_plan_updated": row.care_plan_updated_at is not None,
                                "missing": [
                                    {
                                        "carer": m.name,
                                        "next_visit": m.next_visit.isoformat()
                                        if m.next_visit
                                        else None,
                                    }
                                    for m in row.missing
                                ],
                            }
                            for row in rows
                        ]
                        for view, rows in found.items()
                    },
                    indent=2,
                )
            )
            return
        for row in found["pending"]:
            typer.echo(
                f"PENDING  {row.ref:<7} {_when(row.received_at):<20} {row.customer[:24]:<24} "
                f"{row.kind}: {row.description[:50]} (logged by {row.logged_by or '?'})"
            )
        for row in found.get("awaiting", []):
            plan = "plan updated" if row.care_plan_updated_at else "PLAN NOT UPDATED"
            typer.echo(
                f"OPEN     {row.ref:<7} {_when(row.verified_at):<20} {row.customer[:24]:<24} "
                f"{row.kind}: {row.description[:40]} · {plan}"
            )
            for missing in row.missing:
                when = _when(missing.next_visit) or "no visit to come"
                typer.echo(f"         to acknowledge: {missing.name} (next visit {when})")
        typer.echo(
            f"{len(found['pending'])} pending verification"
            + (f", {len(found['awaiting'])} open" if "awaiting" in found else "")
        )

    @care_app.command("reviews")
    def reviews_command(
        db: DbOption = None,
        overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue reviews.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """The care plan review queue: overdue first, then by the date due."""
        from coordinator_tui.services.care.reviews import review_queue

        def job(session: Any, today: Any) -> Any:
            return today, review_queue(session, today, overdue_only=overdue)

        today, items = run_job(db, job)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "today": today.isoformat(),
                        "overdue": sum(1 for i in items if i.is_overdue(today)),
                        "reviews": [
                            {
                                "customer": i.customer,
                                "review": i.label(),
                                "why": i.why,
                                "due": i.due.isoformat(),
                                "snoozed_until": i.snoozed_until.isoformat()
                                if i.snoozed_until
                                else None,
                                "overdue": i.is_overdue(today),
                            }
                            for i in items
                        ],
                    },
                    indent=2,
                )
            )
            return
        for i in items:
            state = "OVERDUE" if i.is_overdue(today) else ("snoozed" if i.snoozed_until else "due")
            typer.echo(
                f"{state:<8} {uk_date(i.effective_due)} {i.customer[:24]:<24} "
                f"{i.label():<20} {i.why[:60]}"
            )
        late = sum(1 for i in items if i.is_overdue(today))
        typer.echo(f"{len(items)} reviews due, {late} overdue")
