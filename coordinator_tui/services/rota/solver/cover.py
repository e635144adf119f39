"""Plan B's first suggestion: the solver's Repair of an absent carer's visits.

Plan B lists the visits an absent carer had, each with the carers ranked for it. Ranking
one visit at a time is greedy: the best carer for Monday's first visit may be the only
regular free for Monday's second. Here the solver re-plans those visits together, in
Repair mode (each change from the rota priced, visits already over left alone), with the
rest of the week kept as it is, so that Plan B's list (one replacement per visit) is
exactly what is applied. The search is bounded by moves, not time, so the same rota
gives the same proposal every time it is read (on the screen, then when applied) on any
machine, however loaded: a wall-clock bound ended the search wherever the machine had got
to, so a busy machine suggested other carers than a quiet one. The wall clock is only a
far-out safety net (the demo's Repair of two busy days takes about 0.3 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from coordinator_tui.models import VisitStatus
from coordinator_tui.services.rota.snapshot import epoch_minutes, week_monday
from coordinator_tui.services.rota.solver.engine import solve
from coordinator_tui.services.rota.solver.load import load_problem
from coordinator_tui.services.rota.solver.model import REPAIR, Scope
from coordinator_tui.services.rota.solver.weights import DEFAULT_WEIGHTS, Weights

COVER_MOVES_PER_VISIT = 400  # moves the search tries per visit to cover
COVER_MOVES_MAX = 20_000
COVER_SECONDS = 30.0  # a safety net only, far beyond the moves bound (about 0.3 s)
COVER_CLOCK: Callable[[], float] = time.perf_counter  # what the safety net is counted on


def cover_absence(
    session: Session,
    carer_id: int,
    start: date,
    end: date,
    *,
    now: datetime | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> dict[int, int | None]:
    """Visit -> the carer the solver's Repair puts in ``carer_id``'s place (None: nobody
    can take it), for the carer's planned visits from ``start`` to ``end`` not yet over
    at ``now``. A visit whose other carers the Repair would change too is left out (the
    per-visit ranking then decides it), so every answer is one carer for one place."""
    found: dict[int, int | None] = {}
    minute = epoch_minutes(now) if now is not None else None
    monday = week_monday(start)
    while monday <= end:
        loaded = load_problem(session, monday)
        snap = loaded.snap
        affected = frozenset(
            visit_id
            for visit_id, carers in snap.assignments.items()
            if carer_id in carers
            and start <= snap.visits[visit_id].day <= end
            and snap.visits[visit_id].status == VisitStatus.PLANNED
            and (minute is None or snap.visits[visit_id].end > minute)
        )
        if affected:
            result = solve(
                snap,
                Scope(mode=REPAIR, visits=affected, move_times=False),
                weights,
                windows=loaded.windows,
                last_week=loaded.last_week,
                seconds=COVER_SECONDS,
                clock=COVER_CLOCK,
                iterations=min(COVER_MOVES_PER_VISIT * len(affected), COVER_MOVES_MAX),
            )
            for visit_id in affected:
                before = snap.assignments.get(visit_id, ())
                after = result.after.get(visit_id, before)
                others = [c for c in before if c != carer_id]
                if not set(others) <= set(after):
                    continue
                new = [c for c in after if c not in before]
                found[visit_id] = new[0] if new else None
        monday += timedelta(days=7)
    return found
