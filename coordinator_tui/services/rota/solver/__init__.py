"""The rota solver (issue 19): Fill, Repair and Build a week's rota. No Textual here.

- ``fill`` staffs the empty places, keeping every assignment the checker finds nothing
  wrong with (one that breaks a hard rule is re-planned, as a counted change);
- ``repair`` re-plans the days with problems (an absence), visits already started kept,
  with each change from the current rota costed so as few as possible are made;
- ``replan`` (Build) plans the week, or a day, afresh.

The engine (``engine.solve``) builds a model from the checker's own week snapshot
(``model``), makes a first plan and improves it by local search over a fast reading of
the checker's rules (``plan``, ``search``), then runs the result through the checker
(``verify``): a hard problem there is a bug, mended by taking the carer off. The result
is a :class:`Proposal` (``proposal``): the diff, the measures before and after, the
places left empty with the reasons, and ``explain`` for any carer placed. ``apply``
writes it as one audited change; the README says why this engine, with the measurements.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from coordinator_tui.services.rota.solver.apply import SolverError, apply_proposal
from coordinator_tui.services.rota.solver.engine import (
    DEFAULT_SECONDS,
    ENGINE,
    Progress,
    SolveResult,
    solve,
)
from coordinator_tui.services.rota.solver.load import Loaded, load_problem
from coordinator_tui.services.rota.solver.matrix import (
    TravelMatrix,
    TravelMatrixError,
    load_travel_matrix,
    read_travel_matrix,
)
from coordinator_tui.services.rota.solver.model import FILL, MODES, REPAIR, REPLAN, Scope
from coordinator_tui.services.rota.solver.proposal import (
    Explanation,
    Proposal,
    explain,
    make_proposal,
)
from coordinator_tui.services.rota.solver.weights import DEFAULT_WEIGHTS, Weights, load_weights

__all__ = [
    "DEFAULT_SECONDS",
    "DEFAULT_WEIGHTS",
    "ENGINE",
    "FILL",
    "MODES",
    "REPAIR",
    "REPLAN",
    "Explanation",
    "Loaded",
    "Progress",
    "Proposal",
    "Scope",
    "SolveResult",
    "SolverError",
    "TravelMatrix",
    "TravelMatrixError",
    "Weights",
    "apply_proposal",
    "explain",
    "load_problem",
    "load_travel_matrix",
    "load_weights",
    "make_proposal",
    "propose",
    "propose_loaded",
    "read_travel_matrix",
    "solve",
]


def propose_loaded(
    loaded: Loaded,
    scope: Scope,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    seconds: float = DEFAULT_SECONDS,
    stop: threading.Event | None = None,
    progress: Callable[[Progress], None] | None = None,
    travel_matrix: TravelMatrix | None = None,
) -> Proposal:
    """Solve a week already read (``load_problem``; no session needed: a worker thread
    may run this) and make the proposal (``travel_matrix``: see ``matrix.py``)."""
    result = solve(
        loaded.snap,
        scope,
        weights,
        windows=loaded.windows,
        last_week=loaded.last_week,
        seconds=seconds,
        stop=stop,
        progress=progress,
        travel_matrix=travel_matrix,
        postcodes=loaded.postcodes,
    )
    return make_proposal(result)


def propose(
    session: Session,
    day: date,
    scope: Scope,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    seconds: float = DEFAULT_SECONDS,
    stop: threading.Event | None = None,
    progress: Callable[[Progress], None] | None = None,
    travel_matrix: TravelMatrix | None = None,
) -> Proposal:
    """Read the week holding ``day`` and solve it for ``scope``: nothing is written."""
    return propose_loaded(
        load_problem(session, day),
        scope,
        weights,
        seconds=seconds,
        stop=stop,
        progress=progress,
        travel_matrix=travel_matrix,
    )
