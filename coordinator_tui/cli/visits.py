"""``coordinator-tui visits import-actuals FILE.csv [--dry-run] [--json]``: the actual
times of visits from a call-monitoring system's export (issue 14 §4; the format is in the
README and :mod:`coordinator_tui.services.governance.actuals_import`).

All or nothing: a refused file is one line per bad row on stderr, exit 2, and nothing is
written. Nothing here imports Textual, and the database layer is imported inside the
command (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add the ``visits`` group to the main command line."""
    from coordinator_tui.cli.common import DbOption, fail, load_settings_or_fail, run_job

    visits_app = typer.Typer(help="Visits: what actually happened, from call monitoring.")
    app.add_typer(visits_app, name="visits")

    @visits_app.command("import-actuals")
    def import_actuals_command(
        file: Annotated[
            Path, typer.Argument(help="The call-monitoring CSV export (format: README).")
        ],
        db: DbOption = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Check every row; write nothing.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """Import check-in and check-out times: one bad row refuses the whole file."""
        from coordinator_tui.services.governance.actuals_import import import_actuals

        try:
            text = file.expanduser().read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            fail(f"{file.name} is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8")
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}")
        now = load_settings_or_fail(db).current_moment() + timedelta(minutes=1)

        def job(session: Any, _today: Any, user: str) -> Any:
            return import_actuals(session, text, by=user, now=now, dry_run=dry_run)

        result = run_job(db, job, with_user=True)
        if as_json:
            typer.echo(json.dumps(result.as_json(), indent=2))
        else:
            typer.echo(result.summary())
