"""The ``rota`` command group: generate a week, import CSV, check against every rule, and
``solve`` (``cli/rota_solve.py``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui.cli.common import (
    DbOption,
    fail,
    load_settings_or_fail,
    open_for_work,
    parse_week,
)

rota_app = typer.Typer(
    help="Homecare rota: generate a week's visits, check them against the rules, import CSV."
)


class ImportKind(StrEnum):
    carers = "carers"
    customers = "customers"
    visits = "visits"


@rota_app.command("generate")
def rota_generate(
    week: Annotated[str, typer.Option(help="Any day of the week, e.g. 2026-11-30 or 30/11.")],
    db: DbOption = None,
    no_roll_forward: Annotated[
        bool, typer.Option("--no-roll-forward", help="Leave every visit unassigned.")
    ] = False,
) -> None:
    """Create the week's visits from the care packages' visit templates (idempotent)."""
    day = parse_week(week, load_settings_or_fail(db).current_date())
    settings, opened = open_for_work(db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.visit_generation import VisitGenerationError, generate_week

    try:
        with session_scope(opened.engine, opened.principal) as session:
            result = generate_week(session, day, roll_forward=not no_roll_forward)
    except VisitGenerationError as exc:
        fail(str(exc))
    finally:
        opened.engine.dispose()
    typer.echo(result.summary())


@rota_app.command("import")
def rota_import(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="A CSV file in the format of the README.")],
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; write nothing.")
    ] = False,
) -> None:
    """Import carers, customers or visits from CSV: one bad row rejects the whole file."""
    try:
        text = file.expanduser().read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    settings, opened = open_for_work(db)
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota_import import RotaImportError, import_csv

    try:
        with session_scope(opened.engine, opened.principal) as session:
            result = import_csv(
                session, kind.value, text, dry_run=dry_run, today=settings.current_date()
            )
    except RotaImportError as exc:
        typer.echo(f"coordinator-tui: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        opened.engine.dispose()
    typer.echo(result.summary())
    for note in result.notes:
        typer.echo(f"note: {note}")


@rota_app.command("check")
def rota_check(
    week: Annotated[str, typer.Option(help="Any day of the week, e.g. 2026-11-23 or 23/11.")],
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: the week's figures and problems.")
    ] = False,
) -> None:
    """Check the week's rota against every rule and print every problem (exit 1 if hard)."""
    import json

    day = parse_week(week, load_settings_or_fail(db).current_date())
    settings, opened = open_for_work(db)  # signed in: the rota is people's data
    from coordinator_tui.clock import MOMENT_KEY
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.validate import validate_week

    try:
        with session_scope(opened.engine, opened.principal) as session:
            session.info[MOMENT_KEY] = settings.current_moment()
            snapshot = load_week(session, day)
    finally:
        opened.engine.dispose()
    problems = validate_week(snapshot)
    names = {carer.id: carer.name for carer in snapshot.carers.values()}
    hard = sum(1 for p in problems if p.is_hard)
    accepted = sum(1 for p in problems if p.accepted)
    counts = {"hard": hard, "soft": len(problems) - hard - accepted, "accepted": accepted}
    if as_json:
        document = {
            "week": snapshot.monday.isoformat(),
            "visits": len(snapshot.visits),
            "carers": len(snapshot.carers),
            "counts": counts,
            "problems": [
                {**p.to_dict(), "carer": names.get(p.carer_id) if p.carer_id else None}
                for p in problems
            ],
        }
        typer.echo(json.dumps(document, indent=1, ensure_ascii=False))
    else:
        typer.echo(
            f"Week of {snapshot.monday:%a %d %b %Y}: {len(snapshot.visits)} visits, "
            f"{counts['hard']} hard, {counts['soft']} soft, {counts['accepted']} accepted"
        )
        for p in problems:
            severity = "accepted" if p.accepted else p.severity.upper()
            carer = f"{names.get(p.carer_id, '?')} ({p.carer_id})" if p.carer_id else "-"
            visits = ",".join(map(str, p.visit_ids)) or "-"
            when = f"{p.day:%a %d %b}" if p.day else "week"
            typer.echo(
                f"{severity:<8} {p.code:<16} {when:<10} {carer:<26} {visits:<12} {p.message}"
            )
    if hard:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``rota`` group (with ``solve``)."""
    from coordinator_tui.cli.rota_solve import register as register_solve

    register_solve(rota_app)
    app.add_typer(rota_app, name="rota")
