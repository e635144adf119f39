"""``coordinator-tui rota solve``: fill, repair or build a week's rota with the solver
(issue 19 section 3).

``rota solve --week DATE [--day DATE] [--keep|--replan] [--repair] [--seconds N]
[--travel FILE.csv] [--dry-run] [--json]``: ``--keep`` (the default) fills the empty
places and re-plans only assignments that break a hard rule; ``--replan`` plans the week
(or the day) afresh, creating the week's visits from the care packages first when there
are none (Build), and may move a visit recorded outside its care package's window back
into it (printed as moved, with why);
``--repair`` re-plans the days with problems with as few changes as possible. Visits
already started are never changed. The proposal is applied as one audited change unless
``--dry-run``, which writes nothing (not even the visits a Build would create).
``--travel`` gives journey times between customers as a CSV (``solver/matrix.py``; the
format is in the README), refused in one line when it cannot be used.

``cli/rota.py`` calls :func:`register` on its ``rota`` group. Nothing here imports
Textual, and the database layer and the solver are imported inside the command
(``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# command defined inside register(), where DbOption is a local name.
import json
from pathlib import Path
from typing import Annotated

import typer

from coordinator_tui.formatting import uk_date


def register(rota_app: typer.Typer) -> None:
    """Add ``solve`` to the ``rota`` command group."""
    from coordinator_tui.cli.common import (
        DbOption,
        fail,
        load_settings_or_fail,
        open_for_work,
        parse_week,
    )

    @rota_app.command("solve")
    def rota_solve(
        week: Annotated[str, typer.Option(help="Any day of the week, e.g. 2026-11-30 or 30/11.")],
        db: DbOption = None,
        day: Annotated[
            str | None, typer.Option(help="Only this day of the week (its visits alone change).")
        ] = None,
        keep: Annotated[
            bool,
            typer.Option(
                "--keep/--replan",
                help="--keep: fill empty places, keep the rest (default); --replan: plan "
                "afresh (Build: creates the week's visits first if there are none).",
            ),
        ] = True,
        repair: Annotated[
            bool,
            typer.Option(
                "--repair", help="Re-plan the days with problems (an absence), fewest changes."
            ),
        ] = False,
        seconds: Annotated[
            float, typer.Option(min=0.0, max=3600.0, help="Time for the search, in seconds.")
        ] = 30.0,
        travel: Annotated[
            Path | None,
            typer.Option(
                "--travel",
                help="Journey times between customers, a CSV of from,to,minutes[,mode] "
                '(postcodes or "lat,lon").',
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show the proposal; write nothing.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """Fill, repair or build the week's rota with the solver, and apply it as one
        audited change (exit 0; places nobody can take are listed with the reasons)."""
        today = load_settings_or_fail(db).current_date()
        first = parse_week(week, today)
        only = parse_week(day, today, "--day") if day else None
        from datetime import timedelta

        from coordinator_tui.services.rota.snapshot import week_monday

        monday = week_monday(first)
        if only is not None and not monday <= only <= monday + timedelta(days=6):
            fail(f"--day {uk_date(only)} is not in the week of {uk_date(monday)}")
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.rota import solver

        matrix = None
        if travel is not None:
            try:
                matrix = solver.load_travel_matrix(travel)
            except CoordinatorError as exc:
                fail(str(exc))
        settings, opened = open_for_work(db)
        from coordinator_tui.db import session_scope

        mode = solver.REPAIR if repair else solver.FILL if keep else solver.REPLAN
        try:
            weights = solver.load_weights()
        except CoordinatorError as exc:
            opened.engine.dispose()
            fail(str(exc))
        now = _now(settings)
        scope = solver.Scope(mode=mode, day=only, now=now)
        if not as_json:
            typer.echo(
                f"Solving the week of {monday:%a %d %b %Y} ({mode}), up to {seconds:g} s...",
                err=True,
            )
        created = 0
        applied = False
        try:
            with session_scope(opened.engine, opened.principal) as session:
                if mode == solver.REPLAN:
                    created = _build_visits(session, monday)
                proposal = solver.propose(
                    session, monday, scope, weights, seconds=seconds, travel_matrix=matrix
                )
                if not dry_run and proposal.changes:
                    solver.apply_proposal(session, proposal)
                    applied = True
                if dry_run:
                    session.rollback()  # nothing written, not even a Build's visits
        except CoordinatorError as exc:
            fail(str(exc))
        finally:
            opened.engine.dispose()
        if as_json:
            document = {**proposal.to_dict(), "applied": applied, "dry_run": dry_run}
            document["visits_created"] = created
            typer.echo(json.dumps(document, indent=1, ensure_ascii=False))
            return
        for line in _text(proposal, applied, dry_run, created):
            typer.echo(line)


def _now(settings) -> int:
    """Epoch minutes before which a visit counts as started: now, or the start of the
    pinned working day (``COORDINATOR_TUI_TODAY``, for demos)."""
    from datetime import UTC, datetime

    from coordinator_tui.services.rota.snapshot import epoch_minutes, local_midnight

    if settings.today is not None:
        return local_midnight(settings.today)
    return epoch_minutes(datetime.now(UTC))


def _build_visits(session, monday) -> int:
    """Build: the week's visits from the care packages when it has none yet."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from coordinator_tui.models import Visit
    from coordinator_tui.services.visit_generation import generate_week

    count = session.scalar(
        select(func.count())
        .select_from(Visit)
        .where(Visit.visit_date.between(monday, monday + timedelta(days=6)))
    )
    if count:
        return 0
    return generate_week(session, monday, roll_forward=False).created


def _text(proposal, applied: bool, dry_run: bool, created: int) -> list[str]:
    """The proposal as lines: the figures before and after, each change, each place
    left empty with the reasons."""
    from coordinator_tui.services.rota.rules.base import clock

    before, after = proposal.before, proposal.after
    names = proposal.carer_names
    customers = proposal.result.model.snap.customers
    snap = proposal.result.model.snap

    def share(value) -> str:
        return f"{value:.1%}" if value is not None else "-"

    def who(carers) -> str:
        return ", ".join(names.get(c, str(c)) for c in carers) or "-"

    outcome = (
        "dry run: nothing written"
        if dry_run
        else "applied as one audited change"
        if applied
        else "nothing to change"
    )
    lines = [
        f"Week of {proposal.monday:%a %d %b %Y} ({proposal.mode}"
        + (f", {proposal.day:%a %d %b} only" if proposal.day else "")
        + f"): {proposal.filled_places} places filled, {proposal.changed_places} changed"
        + (f", {created} visits created" if created else "")
        + f"; {outcome}",
        f"  travel {before.travel} -> {after.travel} min, continuity "
        f"{share(before.continuity)} -> {share(after.continuity)}, unassigned "
        f"{before.unassigned} -> {after.unassigned}, over contract {before.over_contract} -> "
        f"{after.over_contract} min, hard problems {before.hard} -> {after.hard}",
    ]
    for change in proposal.changes:
        customer = customers.get(change.customer_id)
        moved = f" ({change.time_note})" if change.retimed else ""
        lines.append(
            f"{change.kind:<8} {clock(change.start)}{moved}  "
            f"{customer.name if customer else change.customer_id}: "
            f"{who(change.before)} -> {who(change.after)}"
        )
    for item in proposal.unstaffed:
        visit = snap.visits[item.visit_id]
        customer = customers.get(visit.customer_id)
        lines.append(
            f"UNSTAFFED {clock(visit.start)}  {customer.name if customer else visit.customer_id}"
            f": {item.short} place(s) nobody can take: {item.reason}"
        )
    for problem in proposal.hard_left:
        lines.append(f"KEPT     {problem.code:<16} {problem.message}")
    return lines
