"""The rota solver (issue 19 section 4), in process, against the demo's hand-made plan.

- ``solver.large``: the large demo week (60 carers, about 2,000 visits) with every
  assignment removed (and every visit still to come), planned afresh (Build). Target:
  under 60 s, a complete plan (every place some carer may take: a place the checker's
  visit rules allow nobody is counted apart), zero hard problems, continuity at least the
  hand plan's, travel no more than the hand plan's. Reports travel, continuity,
  unassigned and the time to the first plan.
- ``solver.small``: the same on the small demo (25 carers, about 670 visits), under 10 s,
  complete and zero hard problems (the issue's target for the small week is its time: its
  travel and continuity are printed, met or not, as information).
  Build may move a visit the demo recorded outside its template's window back into it
  (the care package is the plan); those moved are listed.
- ``solver.large-lifted``, ``solver.small-lifted`` (``--lifted``, or ``--only``): like for
  like. The hand plan was made before the demo recorded its carer off sick (it leaves them
  on their round): the same week with that one absence lifted (and nothing else: the
  demo's other rule breaks stay), the solver from empty against the hand plan, the large
  one judged on the raw travel and continuity (the small one's printed as information).
- ``solver.repair``: the large demo's own plan with 20% of its assignments removed and a
  carer off sick for two days: Repair of those days (and fill of the rest) in under 2 s,
  with the number of changed assignments.
- ``solver.scale`` (``--scale``): 300 carers and about 10,000 visits, built once by the
  demo builder at that size into ``benchmarks/results/scale.db``; time and quality.
- ``--compare``: the engines the choice was measured against (``pip install .[bench]``):
  ``solver.cpsat``, OR-Tools CP-SAT re-optimising a day of the local search's plan
  (assignment booleans, a circuit per carer for exact travel, double-ups as two places);
  ``solver.pyvrp``, PyVRP on one weekday with travel and time windows only.

The hand plan is the demo's own week as ``demo_rota`` planned it (continuity by
construction, a sick carer still on their visits and a few visits left unallocated on
purpose), measured with the same ``measures`` the grid shows.

- ``--solomon``: the routing core on Solomon's VRPTW instances C101 and RC208 against the best known
  distances (``benchmarks/solomon.py``).

Travel and continuity are each printed twice, raw and within the rules, and each says
whether it is met. The hand plan breaks rules on purpose (an absent carer left on their
round, a carer on two visits at once, a journey too short, an expired skill): its raw
travel includes the absent carer's own round, whose visits a plan within the rules must
give to others at a cost in travel, and its raw continuity counts those carer-visits as by
a regular. So travel is also compared with the hand plan mended (those carers off, the
places refilled by the construction, no search) and day by day on the days the hand plan
breaks no rule; continuity within the rules counts a carer-visit only when no hard problem
names that carer on it, and the carer-visits the raw figure keeps only by breaking a rule
are listed (visit, time, carer id, the rule; no names). The target is judged within the
rules; the raw comparisons are printed as met or NOT met beside it.

The Build cases' budget is CPU seconds of this process by default (``--clock cpu``): on
this 2-core machine at load 20-40 a wall-clock budget gives the search a third of the
moves, so the quality figure would depend on the load. The time target is judged on the
same clock; wall time, CPU time and the load average before and after are recorded beside
every figure (``--clock wall`` for the wall-clock behaviour the app has). Repair always
runs on wall time (its target is how long a coordinator waits), with its CPU time shown.

Standalone: ``python -m benchmarks.solver [--db PATH] [--only NAME] [--scale] [--clock
cpu|wall] [--seed N] [--lifted]``, or as
part of ``python -m benchmarks --only solver`` (large, small and repair).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR, Result, console, ensure_large_db

LARGE_TARGET_S = 60.0
SMALL_TARGET_S = 10.0
REPAIR_TARGET_S = 2.0
LARGE_SECONDS = 50.0  # the search's budget (it stops earlier once it stalls)
SMALL_SECONDS = 8.0
SMALL_RESTARTS = 1  # measured: 3 searches of 2.7 s gave 1,919-1,926 min, one of 8 s 1,906-1,916
REPAIR_SECONDS = 0.8
SCALE_SECONDS = 240.0
REMOVED_SHARE = 0.2
SEED = 19
SCALE_DB = RESULTS_DIR / "scale.db"
SCALE_SIZE = dict(
    people=2000,
    entries=300,
    referrals=200,
    meetings=6,
    concerns=40,
    carers=300,
    customers=1800,
    weeks=1,
    visit_rate=80,
    incidents=6,
)
CASES = (
    "large",
    "small",
    "repair",
    "large-lifted",
    "small-lifted",
    "scale",
    "cpsat",
    "pyvrp",
    "solomon",
)
# What the Build cases' budget is counted on (``--clock``): CPU seconds of this process by
# default, so that the quality figure does not depend on how loaded the machine is (a
# wall-clock budget on a machine at load 20-40 gives the search a third of the moves).
# Wall time, CPU time and the load average are all recorded beside each figure.
CLOCKS = ("cpu", "wall")


def _open(path: Path):
    from coordinator_tui.db import new_session, open_database

    opened = open_database(str(path), migrate=False)
    return opened, new_session(opened.engine, "bench")


PLANTED_ABSENCE_NOTE = "Rang in sick"  # the demo's planted absence (demo/seed.py)


def _load(path: Path):
    """The week with the most visits (the demo's current week) as the solver reads it."""
    return _load_week(path)[0]


def _load_week(path: Path, *, lift_planted_absence: bool = False):
    """``_load``'s week, and the absences lifted: (carer id, first day, last day).

    ``lift_planted_absence``: the week as it was before the demo recorded its carer off
    sick (the hand plan was made before that, and leaves the carer on their round): that
    one absence row is deleted inside the read's transaction, which is rolled back, so
    the database is left as it was. Nothing else changes (the demo's other rule breaks,
    planted on purpose, stay)."""
    from sqlalchemy import select

    from benchmarks.rota_validate import _week_with_most_visits
    from coordinator_tui.models import Absence
    from coordinator_tui.services.rota.solver import load_problem

    opened, session = _open(path)
    try:
        monday = _week_with_most_visits(session)
        lifted = []
        if lift_planted_absence:
            planted = session.scalars(
                select(Absence).where(
                    Absence.note == PLANTED_ABSENCE_NOTE,
                    Absence.kind == "sickness",
                    Absence.start_date <= monday + timedelta(days=6),
                    Absence.end_date >= monday,
                )
            ).all()
            if len(planted) != 1:
                raise SystemExit(f"expected one planted absence this week, found {len(planted)}")
            lifted = [(planted[0].carer_id, planted[0].start_date, planted[0].end_date)]
            session.delete(planted[0])
            session.flush()
        return load_problem(session, monday), lifted
    finally:
        session.rollback()
        session.close()
        opened.engine.dispose()


def _to_come(snap, **changes):
    """The week with every visit still to come (the demo seeds the days before today as
    done), so that all of it may be planned."""
    from coordinator_tui.models import VisitStatus

    visits = {
        v: dataclasses.replace(visit, status=VisitStatus.PLANNED)
        for v, visit in snap.visits.items()
    }
    return dataclasses.replace(snap, visits=visits, **changes)


def _not_safe(state) -> int:
    """Visits not safely staffed: short of a carer, or with a hard problem naming them
    (a carer absent, a clash, an expired skill)."""
    short = {v for v in state.snap.visits if state.short_of(v)}
    named = {v for p in state.problems() if p.is_hard for v in p.visit_ids}
    return len(short | named)


def _figures(state) -> dict[str, Any]:
    from coordinator_tui.services.rota import problems as P
    from coordinator_tui.services.rota.measures import measures

    found = measures(state)
    problems = state.problems()
    return {
        "travel_minutes": found.total_travel_minutes,
        "continuity": round(found.overall_continuity or 0.0, 4),
        "continuity_within_rules": round(_continuity_within_rules(state, problems), 4),
        "unassigned_visits": found.unassigned_visits,
        "hard_problems": sum(1 for p in problems if p.is_hard and p.code != P.UNSTAFFED),
        "over_contract_minutes": sum(h.over_contract for h in found.hours),
        "visits_not_safely_staffed": _not_safe(state),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not on every platform
        return None


def _travel_by_day(state) -> dict:
    """Minutes of travel between visits on each day of the week (the measures' sum)."""
    snap = state.snap
    out = {}
    for day in snap.days:
        total = 0
        for carer_id in snap.carers:
            summary = state.day_summary(carer_id, day)
            total += summary.travel if summary is not None else 0
        out[day] = total
    return out


def _rule_broken_days(state) -> set:
    """Days on which a hard problem names a carer (the carer-days the plan breaks a rule
    on: an absent carer left on, a clash, too little travel time, an expired skill)."""
    from coordinator_tui.services.rota import problems as P

    visits = state.snap.visits
    days = set()
    for problem in state.problems():
        if not problem.is_hard or problem.code == P.UNSTAFFED or problem.carer_id is None:
            continue
        days.update(visits[v].day for v in problem.visit_ids if v in visits)
        if problem.day is not None:
            days.add(problem.day)
    return days


def _kept_by_breaking(state) -> list[dict]:
    """The carer-visits the raw continuity counts as by a regular carer although a hard
    problem says that carer cannot do the visit (ids, time and the rule; no names)."""
    from coordinator_tui.services.rota.measures import regular_carers

    regulars = regular_carers(state)
    visits = state.snap.visits
    found = []
    for problem in state.problems():
        if not problem.is_hard or problem.carer_id is None:
            continue
        for visit_id in problem.visit_ids:
            visit = visits.get(visit_id)
            if visit is None or problem.carer_id not in state.carers_of.get(visit_id, ()):
                continue
            if problem.carer_id in regulars.get(visit.customer_id, ()):
                found.append(
                    {
                        "visit": visit_id,
                        "carer": problem.carer_id,
                        "when": f"{visit.day:%a %d %b} "
                        f"{visit.local_start // 60:02d}:{visit.local_start % 60:02d}",
                        "rule": problem.code,
                    }
                )
    unique = {(f["visit"], f["carer"]): f for f in found}
    return sorted(unique.values(), key=lambda f: (f["when"], f["visit"], f["carer"]))


def _when(epoch_minute: int) -> str:
    """An epoch minute as UK wall-clock ``Sun 16:46``."""
    from coordinator_tui.services.rota.rules.base import clock

    return clock(epoch_minute)


def _strangers(state, kept_by_breaking: list[dict]) -> list[dict]:
    """The plan's carer-visits by a carer not a regular of the customer, each with the
    rule the hand plan breaks to keep a regular there (None when it keeps none)."""
    from coordinator_tui.services.rota.measures import regular_carers

    regulars = regular_carers(state)
    visits = state.snap.visits
    broken = {k["visit"]: k for k in kept_by_breaking}
    found = []
    for visit_id, carers in sorted(state.carers_of.items()):
        visit = visits[visit_id]
        for carer_id in sorted(set(carers)):
            if carer_id in regulars.get(visit.customer_id, ()):
                continue
            hand = broken.get(visit_id)
            found.append(
                {
                    "visit": visit_id,
                    "carer": carer_id,
                    "when": f"{visit.day:%a %d %b} "
                    f"{visit.local_start // 60:02d}:{visit.local_start % 60:02d}",
                    "hand_regular_breaks": hand["rule"] if hand else None,
                }
            )
    return found


def _continuity_within_rules(state, problems) -> float:
    """The share of carer-visits by a regular carer who may do it: a carer-visit a hard
    problem names (an absent carer left on, a clash, too little travel time) does not
    count as continuity, as the visit cannot happen that way. The hand plan's raw
    continuity counts them; a plan within the rules cannot."""
    from coordinator_tui.services.rota.measures import regular_carers

    regulars = regular_carers(state)
    broken = {(p.carer_id, v) for p in problems if p.is_hard for v in p.visit_ids}
    total = kept = 0
    for visit_id, carers in state.carers_of.items():
        customer = state.snap.visits[visit_id].customer_id
        for carer_id in set(carers):
            total += 1
            if carer_id in regulars.get(customer, ()) and (carer_id, visit_id) not in broken:
                kept += 1
    return kept / total if total else 0.0


def _mended(loaded, snap) -> dict[str, Any]:
    """The hand plan mended as a coordinator's first pass would: every carer a hard
    problem names taken off and the places filled by the solver's construction (no
    search), so its travel and continuity are those of a plan within the rules."""
    from coordinator_tui.services.rota.solver import FILL, Scope, solve

    result = solve(
        _to_come(snap),
        Scope(mode=FILL),
        windows=loaded.windows,
        last_week=loaded.last_week,
        seconds=0.0,
        iterations=0,
    )
    return _figures(result.checked.state)


def _solver_hard(result) -> int:
    """Hard problems naming a carer the solver placed: bugs (a problem in what it had to
    keep, the 80% of the hand plan left in place, is not counted)."""
    from coordinator_tui.services.rota import problems as P

    placed = {(c, v) for v, carers in result.plan.carers_on.items() for c in carers}
    return sum(
        1
        for p in result.checked.state.problems()
        if p.is_hard
        and p.code != P.UNSTAFFED
        and (
            any((p.carer_id, v) in placed for v in p.visit_ids)
            or (not p.visit_ids and any(c == p.carer_id for c, _ in placed))
        )
    )


def _nobody_may(result) -> int:
    """Visits left short where the checker's visit rules allow no carer at all."""
    jobs = result.model.jobs
    return sum(1 for u in result.checked.unstaffed if not jobs[u.visit_id].candidates)


def build_case(
    name: str,
    loaded,
    seconds: float,
    target: float,
    *,
    clock: str = "cpu",
    restarts: int = 1,
    seed: int = 1,
    lifted: list | None = None,
    quality_judged: bool = True,
) -> Result:
    """Every assignment removed, every visit to come: plan the week afresh.

    ``quality_judged``: whether travel and continuity against the hand plan are part of
    the target. Issue 19 section 4 sets them on the large week ("at least the
    hand-planned demo's continuity, and travel no worse ... in under 60 s"); for the small
    week it sets the time ("the small demo week in under 10 s"), and for the scale run it
    asks for time and quality reported. So the small and scale cases are judged on time,
    a complete plan and zero hard problems, and their travel and continuity are printed,
    met or NOT met, as information.

    ``lifted`` (the like-for-like cases): the absences lifted from the week, (carer id,
    first day, last day); the case is then judged on the raw figures, since the hand plan
    breaks no rule there on purpose but those the demo plants (a clash, a leg too short,
    an expired skill), which a plan within the rules must also do without.

    The search's budget is ``seconds`` on ``clock`` ("cpu": this process's CPU time, the
    default, so the figure does not depend on the machine's load; "wall": wall time).
    The time target is judged on the same clock; wall time, CPU time and the load
    average are printed and recorded beside it either way."""
    from coordinator_tui.services.rota.solver import REPLAN, Scope, solve
    from coordinator_tui.services.rota.validate import RotaState

    snap = loaded.snap
    hand_state = RotaState(snap)
    hand = _figures(hand_state)
    mended = _mended(loaded, snap)
    empty = _to_come(snap, assignments={})
    console.print(
        f"[bold]{name}[/]: {len(snap.visits)} visits, {len(snap.carers)} carers, "
        f"every assignment removed, up to {seconds:g} s of {clock} time"
        + (f" as {restarts} searches" if restarts > 1 else "")
        + (
            "; the demo's planted absence lifted ("
            + ", ".join(f"carer {c} {a:%a %d %b}-{b:%a %d %b}" for c, a, b in lifted)
            + "), as the hand plan was made"
            if lifted
            else ""
        )
    )
    load_before = _load_average()
    started = time.perf_counter()
    cpu_started = time.process_time()
    result = solve(
        empty,
        Scope(mode=REPLAN),
        windows=loaded.windows,
        last_week=loaded.last_week,
        seconds=seconds,
        clock=time.process_time if clock == "cpu" else time.perf_counter,
        restarts=restarts,
        seed=seed,
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    load_after = _load_average()
    timed = cpu if clock == "cpu" else elapsed
    state = result.checked.state
    solved = _figures(state)
    nobody = _nobody_may(result)
    bugs = _solver_hard(result)
    # Complete: no visit less safely staffed than in the hand plan (which leaves some
    # empty and a sick carer on their visits), and every other place taken.
    complete = solved["visits_not_safely_staffed"] <= hand["visits_not_safely_staffed"]
    # Travel. The hand plan's raw figure includes the journeys of carer-days that break a
    # rule (an absent carer's own round, a leg with too little time to travel): a plan
    # within the rules must give those visits to others, at a cost in travel. So travel
    # is compared (a) with the hand plan mended (those carers off, the places refilled by
    # the construction, no search) and (b) day by day on the days the hand plan breaks no
    # rule; the raw comparison is printed as well, met or not.
    broken_days = _rule_broken_days(hand_state)
    hand_days, solver_days = _travel_by_day(hand_state), _travel_by_day(state)
    clean = [d for d in snap.days if d not in broken_days]
    clean_hand = sum(hand_days[d] for d in clean)
    clean_solver = sum(solver_days[d] for d in clean)
    travel_raw_met = solved["travel_minutes"] <= hand["travel_minutes"]
    travel_fair_met = (
        solved["travel_minutes"] <= mended["travel_minutes"] and clean_solver <= clean_hand
    )
    continuity_raw_met = solved["continuity"] >= hand["continuity"]
    continuity_fair_met = solved["continuity_within_rules"] >= hand["continuity_within_rules"]
    kept_by_breaking = _kept_by_breaking(hand_state)
    strangers = _strangers(state, kept_by_breaking)
    # Build may move a visit the demo recorded outside its template's window back into it.
    moved_back = sorted(
        v
        for v, start in result.checked.starts.items()
        if v in loaded.windows
        and not loaded.windows[v][0] <= snap.visits[v].start <= loaded.windows[v][1]
    )
    if not quality_judged:  # the target here is the time (quality: information)
        passed = timed < target and bugs == 0 and complete
    elif lifted:  # like for like: the raw figures
        passed = timed < target and bugs == 0 and complete and continuity_raw_met and travel_raw_met
    else:
        passed = (
            timed < target and bugs == 0 and complete and continuity_fair_met and travel_fair_met
        )

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    console.print(
        f"  {elapsed:.1f} s wall, {cpu:.1f} s CPU (load average {load_before} -> "
        f"{load_after}); first plan {result.stats.first_plan_seconds:.1f} s wall; "
        f"{result.stats.iterations} moves tried"
    )
    console.print(
        f"  unassigned {solved['unassigned_visits']} ({nobody} nobody may take; hand "
        f"{hand['unassigned_visits']}), hard {bugs} (hand {hand['hard_problems']}), not "
        f"safely staffed {solved['visits_not_safely_staffed']} (hand "
        f"{hand['visits_not_safely_staffed']})"
    )
    console.print(
        f"  travel {solved['travel_minutes']} min: against the hand plan raw "
        f"{hand['travel_minutes']} {met(travel_raw_met)}; against the hand plan within the "
        f"rules (mended: rule-breaking carers off, places refilled, no search) "
        f"{mended['travel_minutes']} {met(solved['travel_minutes'] <= mended['travel_minutes'])}"
        f"; on the {len(clean)} days the hand plan breaks no rule {clean_solver} against "
        f"{clean_hand} {met(clean_solver <= clean_hand)}"
    )
    if broken_days:
        console.print(
            "  days the hand plan breaks a rule (travel hand -> solver): "
            + ", ".join(
                f"{d:%a %d %b} {hand_days[d]} -> {solver_days[d]}" for d in sorted(broken_days)
            )
        )
    console.print(
        f"  continuity raw {solved['continuity']:.4f} against the hand plan's "
        f"{hand['continuity']:.4f} {met(continuity_raw_met)}; within the rules "
        f"{solved['continuity_within_rules']:.4f} against "
        f"{hand['continuity_within_rules']:.4f} {met(continuity_fair_met)}"
    )
    if kept_by_breaking:
        console.print(
            f"  the hand plan's raw continuity counts {len(kept_by_breaking)} carer-visit(s) "
            "by a regular carer whom a hard problem says cannot do the visit (no plan "
            "within the rules can keep them): "
            + "; ".join(
                f"visit {k['visit']} {k['when']} carer {k['carer']} ({k['rule']})"
                for k in kept_by_breaking
            )
        )
    if moved_back:
        console.print(
            f"  {len(moved_back)} visit(s) recorded outside their window moved back into it: "
            + "; ".join(
                f"visit {v} {_when(snap.visits[v].start)} -> {_when(result.checked.starts[v])[-5:]}"
                for v in moved_back
            )
        )
    if strangers:
        console.print(
            f"  the solver's {len(strangers)} carer-visit(s) by a carer not a regular: "
            + "; ".join(
                f"visit {k['visit']} {k['when']} carer {k['carer']} ("
                + (
                    f"the hand plan's regular there breaks {k['hand_regular_breaks']}"
                    if k["hand_regular_breaks"]
                    else "the hand plan has no rule-breaking regular there"
                )
                + ")"
                for k in strangers
            )
        )
    return Result(
        name,
        [timed],
        target=f"< {target:g} s {clock}, complete, 0 hard"
        + (
            (", >= hand " + ("raw" if lifted else "within rules"))
            if quality_judged
            else "; travel, continuity: info"
        ),
        passed=passed,
        description="every assignment of the demo week removed, planned afresh (Build)"
        + ("; the demo's planted absence lifted, as the hand plan was made" if lifted else ""),
        extra={
            "lifted_absences": [
                {"carer": c, "first": a.isoformat(), "last": b.isoformat()}
                for c, a, b in lifted or ()
            ],
            "visits": len(snap.visits),
            "carers": len(snap.carers),
            "budget": {"seconds": seconds, "clock": clock, "restarts": restarts, "seed": seed},
            "wall_s": round(elapsed, 2),
            "cpu_s": round(cpu, 2),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "hand": hand,
            "hand_mended": mended,
            "solver": solved,
            "travel_met": {"raw": travel_raw_met, "within_rules": travel_fair_met},
            "continuity_met": {"raw": continuity_raw_met, "within_rules": continuity_fair_met},
            "travel_by_day": {
                f"{d:%a}": {"hand": hand_days[d], "solver": solver_days[d]} for d in snap.days
            },
            "hand_rule_broken_days": [f"{d:%a}" for d in sorted(broken_days)],
            "hand_continuity_kept_by_breaking_a_rule": kept_by_breaking,
            "solver_strangers": strangers,
            "moved_back_into_window": [
                {
                    "visit": v,
                    "from": _when(snap.visits[v].start),
                    "to": _when(result.checked.starts[v]),
                }
                for v in moved_back
            ],
            "unassigned_nobody_may_take": nobody,
            "reasons": [u.reason for u in result.checked.unstaffed],
            "first_plan_s": round(result.stats.first_plan_seconds, 3),
            "model_s": round(result.stats.model_seconds, 3),
            "iterations": result.stats.iterations,
            "checker_took_off": result.checked.taken_off,
        },
    )


@dataclasses.dataclass(frozen=True)
class RepairScenario:
    """``repair_scenario``'s week and what was done to it (the benchmark prints it)."""

    snap: Any  # the week: places taken off, a carer off sick (the visits as they were)
    places: int  # carer places in the plan
    removed: int  # of those, taken off
    sick: int  # the carer off sick...
    days: tuple[date, date]  # ... on Tuesday and Wednesday
    sick_visits: int  # their visits on those days


def repair_scenario(snap, seed: int = SEED) -> RepairScenario:
    """The Repair case: ``snap``'s plan with a fifth of its carer places taken off (chosen
    with ``seed``) and the carer with the most visits on Tuesday and Wednesday off sick on
    both. Used by ``repair_case`` and by ``tests/test_solver_model_bulk.py`` (the solver's
    pair table tested on the case it was made fast for), so the two cannot drift apart.

    It lives here, not in the solver package: it is a benchmark's scenario, not something
    the app does, and the tests already import what they share with the benchmarks from
    ``benchmarks`` (``pg_delay``, ``startup``, ``common``); the solver package stays the
    app's. The visits are left as they were (``repair_case`` then makes them all still to
    come, as the benchmark plans the whole week; the test asks the week as loaded)."""
    rnd = random.Random(seed)
    places = [(v, c) for v, carers in sorted(snap.assignments.items()) for c in carers]
    removed = set(rnd.sample(places, round(len(places) * REMOVED_SHARE)))
    assignments = {
        v: tuple(c for c in carers if (v, c) not in removed)
        for v, carers in snap.assignments.items()
    }
    # The carer with the most visits on Tuesday and Wednesday goes off sick for both.
    days = (snap.monday + timedelta(days=1), snap.monday + timedelta(days=2))
    busy: dict[int, int] = {}
    for visit_id, carers in snap.assignments.items():
        if snap.visits[visit_id].day in days:
            for carer_id in carers:
                busy[carer_id] = busy.get(carer_id, 0) + 1
    sick = max(busy, key=lambda c: (busy[c], -c))
    carers = dict(snap.carers)
    carers[sick] = dataclasses.replace(
        carers[sick], absent_days=carers[sick].absent_days | frozenset(days)
    )
    return RepairScenario(
        dataclasses.replace(snap, assignments=assignments, carers=carers),
        len(places),
        len(removed),
        sick,
        days,
        busy[sick],
    )


def repair_case(loaded) -> Result:
    """The hand plan with 20% of its carer places removed and a carer off two days
    (``repair_scenario``)."""
    from coordinator_tui.services.rota.solver import REPAIR, Scope, make_proposal, solve

    case = repair_scenario(loaded.snap)
    days = case.days
    week = _to_come(case.snap)
    console.print(
        f"[bold]solver.repair[/]: {case.removed} of {case.places} carer places removed, "
        f"carer {case.sick} off {days[0]:%a} and {days[1]:%a} ({case.sick_visits} visits)"
    )
    load_before = _load_average()
    started = time.perf_counter()
    cpu_started = time.process_time()
    result = solve(
        week,
        Scope(mode=REPAIR, days=frozenset(days)),
        windows=loaded.windows,
        last_week=loaded.last_week,
        seconds=REPAIR_SECONDS,
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    proposal = make_proposal(result)
    bugs = _solver_hard(result)
    console.print(
        f"  {elapsed:.2f} s: {proposal.filled_places} places filled, "
        f"{proposal.changed_places} changed, {len(result.checked.unstaffed)} visits left "
        f"short, hard {bugs} ({cpu:.2f} s CPU; load average {load_before})"
    )
    return Result(
        "solver.repair",
        [elapsed],
        target=f"< {REPAIR_TARGET_S:g} s, 0 hard",
        passed=elapsed < REPAIR_TARGET_S and bugs == 0,
        description="hand plan, 20% of carer places removed, a carer off two days: Repair",
        extra={
            "wall_s": round(elapsed, 3),
            "cpu_s": round(cpu, 3),
            "load_average_before": load_before,
            "places_removed": case.removed,
            "sick_carer_visits": case.sick_visits,
            "filled_places": proposal.filled_places,
            "changed_places": proposal.changed_places,
            "left_short": len(result.checked.unstaffed),
            "nobody_may_take": _nobody_may(result),
            "after": proposal.after.to_dict(),
            "iterations": result.stats.iterations,
        },
    )


def small_loaded(*, lift_planted_absence: bool = False):
    """The small demo, built fresh into a temporary file (a couple of seconds); with
    ``lift_planted_absence``, (the week, the absences lifted) as ``_load_week``."""
    from benchmarks.common import build_demo_database

    with tempfile.TemporaryDirectory(prefix="coordinator-solver-") as tmp:
        path = Path(tmp) / "small.db"
        build_demo_database(path, "small")
        if lift_planted_absence:
            return _load_week(path, lift_planted_absence=True)
        return _load(path)


def scale_loaded() -> Any:
    """300 carers and about 10,000 visits: the demo builder at that size, built once and
    reused while its schema is at head (a file left at an older revision lacks columns
    the solver's read asks for, such as ``carer_week_hours.customers``)."""
    from benchmarks.common import _remove_sqlite_files, build_demo_database, large_db_status
    from coordinator_tui.demo import seed as demo

    stale = large_db_status(SCALE_DB)
    if stale is not None and stale != "missing":
        console.print(f"{SCALE_DB.name} is {stale}: building it again")
        _remove_sqlite_files(SCALE_DB)
    if not SCALE_DB.is_file():
        demo.SIZES["scale"] = SCALE_SIZE
        console.print(f"[bold]Building the scale demo[/] into {SCALE_DB} (minutes)...")
        building = SCALE_DB.with_name(SCALE_DB.name + ".building")
        elapsed, described = build_demo_database(building, "scale")
        building.rename(SCALE_DB)
        console.print(f"  built in {elapsed:.1f} s: {described}")
    return _load(SCALE_DB)


# -- the engines measured against the local search (``--compare``) --------------------------

CPSAT_EXTRA = 4  # carers beyond the regulars and those on the job now
CPSAT_SECONDS = 10.0  # per day
PYVRP_SECONDS = 10.0


def cpsat_case(loaded) -> Result:
    """OR-Tools CP-SAT re-optimising two days of the local search's plan (a large
    neighbourhood, the plan as a complete hint): does it find better, and how fast?"""
    from coordinator_tui.services.rota.solver import REPLAN, Scope
    from coordinator_tui.services.rota.solver.model import build_model
    from coordinator_tui.services.rota.solver.plan import Plan
    from coordinator_tui.services.rota.solver.search import Search, construct

    empty = _to_come(loaded.snap, assignments={})
    model = build_model(
        empty, Scope(mode=REPLAN), windows=loaded.windows, last_week=loaded.last_week
    )
    plan = Plan(model)
    construct(plan, lambda: False)
    Search(plan).run(time.perf_counter() + 20.0, lambda: False)
    days = sorted({model.day_ordinal[v] for v in model.jobs})[:2]
    found: list[dict] = []
    samples = []
    for day in days:
        stats: dict = {}
        started = time.perf_counter()
        gain = polish_day(plan, day, CPSAT_SECONDS, 2, stats)
        samples.append(time.perf_counter() - started)
        found.append({**stats, "gain_points": round(gain, 1), "seconds": round(samples[-1], 2)})
        console.print(f"  CP-SAT day {len(found)}: {found[-1]}")
    return Result(
        "solver.cpsat",
        samples,
        target="info",
        passed=True,
        description=f"CP-SAT on one day of the large week, {CPSAT_SECONDS:g} s, 2 workers, "
        "hinted with the local search's plan",
        extra={"days": found},
    )


def pyvrp_case(loaded) -> Result:
    """PyVRP on one weekday of the large week: travel and time windows only (no skills,
    continuity or working time), against the local search and the hand plan that day."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    from coordinator_tui.services.rota.solver import REPLAN, Scope, solve
    from coordinator_tui.services.rota.solver.model import regular_carers
    from coordinator_tui.services.rota.travel import travel_minutes
    from coordinator_tui.services.rota.validate import RotaState

    snap = loaded.snap
    day = snap.monday + timedelta(days=1)
    visits = [v for v in snap.visits.values() if v.day == day]
    table = snap.travel_table
    regulars = regular_carers(snap)
    carers = [
        c
        for c in snap.carers.values()
        if c.active
        and day not in c.absent_days
        and (not c.availability or day.weekday() in c.availability)
    ]
    vrp = Model()
    homes = {c.id: vrp.add_location(x=0, y=0) for c in carers}
    places = {}
    for visit in visits:
        if visit.customer_id not in places:
            places[visit.customer_id] = vrp.add_location(x=0, y=0)
    for carer in carers:
        depot = vrp.add_depot(homes[carer.id])
        windows = carer.availability.get(day.weekday(), ((0, 1440),))
        vrp.add_vehicle_type(
            num_available=1,
            start_depot=depot,
            end_depot=depot,
            tw_early=min(w[0] for w in windows),
            tw_late=max(w[1] for w in windows),
        )
    clients = []
    for visit in visits:
        for _ in range(visit.carers_required):
            vrp.add_client(
                places[visit.customer_id],
                service_duration=visit.minutes,
                tw_early=visit.local_start,
                tw_late=visit.local_start,
                required=False,
                prize=1000,
            )
            clients.append(visit)
    where = [(loc, ("home", c)) for c in carers for loc in (homes[c.id],)]
    where += [(loc, ("customer", cid)) for cid, loc in places.items()]
    for a, (kind_a, what_a) in where:
        for b, (kind_b, what_b) in where:
            if a is b:
                continue
            if kind_a == kind_b == "home":
                minutes = 0
            elif kind_a == "home" or kind_b == "home":
                home, customer = (what_a, what_b) if kind_a == "home" else (what_b, what_a)
                place = snap.customers[customer]
                minutes = travel_minutes(
                    home.lat, home.lon, place.lat, place.lon, "drive", snap.travel
                )
            else:
                minutes = table.minutes(what_a, what_b, "drive")
            vrp.add_edge(a, b, distance=minutes, duration=minutes)
    started = time.perf_counter()
    solution = vrp.solve(stop=MaxRuntime(PYVRP_SECONDS), display=False, seed=1).best
    elapsed = time.perf_counter() - started
    travel = served = regular = 0
    for route in solution.routes():
        carer = carers[route.vehicle_type()]
        previous = None
        for index in dict.fromkeys(a.idx for a in route.schedule() if a.is_client()):
            visit = clients[index]
            served += 1
            regular += carer.id in regulars.get(visit.customer_id, ())
            if previous is not None:
                travel += table.minutes(previous.customer_id, visit.customer_id, "drive")
            previous = visit
    result = solve(
        _to_come(snap, assignments={}),
        Scope(mode=REPLAN),
        windows=loaded.windows,
        last_week=loaded.last_week,
        seconds=LARGE_SECONDS,
    )

    def that_day(state, after) -> dict:
        minutes = sum(
            s.travel for c in snap.carers for s in [state.day_summary(c, day)] if s is not None
        )
        placed = [(c, v) for v in visits for c in after.get(v.id, ())]
        share = sum(c in regulars.get(v.customer_id, ()) for c, v in placed) / len(placed)
        return {"placed": len(placed), "travel_minutes": minutes, "continuity": round(share, 3)}

    figures = {
        "places": len(clients),
        "pyvrp": {
            "placed": served,
            "travel_minutes": travel,
            "continuity": round(regular / max(served, 1), 3),
        },
        "local_search": that_day(result.checked.state, result.after),
        "hand": that_day(RotaState(snap), snap.assignments),
    }
    console.print(f"  PyVRP one day: {figures}")
    return Result(
        "solver.pyvrp",
        [elapsed],
        target="info",
        passed=True,
        description=f"PyVRP {PYVRP_SECONDS:g} s on one weekday: travel and time windows only",
        extra=figures,
    )


def polish_day(plan, day: int, seconds: float, workers: int, stats: dict) -> float:
    """Re-optimise the jobs on day ordinal ``day``; the points gained (0: none)."""
    from ortools.sat.python import cp_model

    model = plan.model
    weights = plan.weights
    jobs = [j for j in model.jobs.values() if model.day_ordinal[j.visit_id] == day]
    if not jobs:
        return 0.0
    cp = cp_model.CpModel()
    x: dict[tuple[int, int], object] = {}
    by_carer: dict[int, list] = defaultdict(list)
    for job in jobs:
        on = plan.carers_on[job.visit_id]
        start = plan.start_of[job.visit_id]
        cheap = [c for c in job.candidates if job.cost[c] < weights.continuity]
        others = [c for c in job.candidates if c not in cheap][:CPSAT_EXTRA]
        for carer_id in dict.fromkeys([*on, *cheap, *others]):
            if plan.soft_at(job, carer_id, start) is None:
                continue
            if not _fits_kept(plan, carer_id, job, start, day):
                continue
            x[(job.visit_id, carer_id)] = cp.NewBoolVar("")
            by_carer[carer_id].append(job)
    objective = []
    for job in jobs:
        start = plan.start_of[job.visit_id]
        places = [x[(job.visit_id, c)] for c in model.carers if (job.visit_id, c) in x]
        short = cp.NewIntVar(0, job.need, "")
        cp.Add(sum(places) + short == job.need)
        objective.append(int(weights.unstaffed) * short)
        for carer_id in model.carers:
            var = x.get((job.visit_id, carer_id))
            if var is not None:
                objective.append(round(plan.soft_at(job, carer_id, start) or 0.0) * var)
        for carer_id in job.original:
            if carer_id in job.pinned or model.scope.mode == "replan":
                continue
            var = x.get((job.visit_id, carer_id))
            changed = 1 if var is None else (1 - var)
            objective.append(int(weights.change) * changed)
    legs = plan.table.minutes
    hints: dict[object, bool] = {}
    for carer_id, mine in by_carer.items():
        info = model.carers[carer_id]
        mine.sort(key=lambda j: (plan.start_of[j.visit_id], j.visit_id))
        starts = [plan.start_of[j.visit_id] for j in mine]
        arcs = []
        route_ends: dict[int, tuple] = {}
        pair_arc: dict[tuple[int, int], object] = {}
        empty = cp.NewBoolVar("")
        arcs.append((0, 0, empty))
        for index, job in enumerate(mine, start=1):
            var = x[(job.visit_id, carer_id)]
            cp.AddImplication(var, empty.Not())
            arcs.append((index, index, var.Not()))
            home = model.home_leg(carer_id, job.customer_id)
            out, back = cp.NewBoolVar(""), cp.NewBoolVar("")
            arcs.append((0, index, out))
            arcs.append((index, 0, back))
            route_ends[index] = (out, back)
            objective.append(round(weights.home_travel * home) * (out + back))
        for i, first in enumerate(mine):
            end = starts[i] + first.minutes
            for j in range(i + 1, len(mine)):
                second = mine[j]
                a = x[(first.visit_id, carer_id)]
                b = x[(second.visit_id, carer_id)]
                leg = (
                    0
                    if first.customer_id == second.customer_id
                    else legs(first.customer_id, second.customer_id, info.mode)
                )
                if starts[j] + second.minutes - starts[i] > info.max_span or starts[j] < end + leg:
                    cp.AddBoolOr([a.Not(), b.Not()])
                    continue
                arc = cp.NewBoolVar("")
                arcs.append((i + 1, j + 1, arc))
                pair_arc[(i + 1, j + 1)] = arc
                objective.append(round(weights.travel * leg) * arc)
        cp.AddCircuit(arcs)
        # The route the plan has now, as a complete hint for CP-SAT to start from.
        taken = [i + 1 for i, j in enumerate(mine) if carer_id in plan.carers_on[j.visit_id]]
        hints[empty] = not taken
        for index, (out, back) in route_ends.items():
            hints[out] = bool(taken) and index == taken[0]
            hints[back] = bool(taken) and index == taken[-1]
        for arc in pair_arc.values():
            hints[arc] = False
        for first, second in zip(taken, taken[1:], strict=False):
            if (first, second) in pair_arc:
                hints[pair_arc[(first, second)]] = True
        cap = info.week_cap
        if cap is not None:
            elsewhere = plan.carer_work[carer_id] - sum(
                j.minutes for j in mine if carer_id in plan.carers_on[j.visit_id]
            )
            cp.Add(
                sum(j.minutes * x[(j.visit_id, carer_id)] for j in mine) <= max(cap - elsewhere, 0)
            )
    for (visit_id, carer_id), var in x.items():
        cp.AddHint(var, carer_id in plan.carers_on[visit_id])
    for var, value in hints.items():
        cp.AddHint(var, value)
    cp.Minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.05)
    solver.parameters.num_workers = workers
    status = solver.Solve(cp)
    stats["status"] = solver.StatusName(status)
    stats["booleans"] = len(x)
    stats["constraints"] = len(cp.Proto().constraints)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return 0.0
    changes = {}
    for job in jobs:
        chosen = tuple(
            c for c in model.carers if (job.visit_id, c) in x and solver.Value(x[(job.visit_id, c)])
        )
        current = plan.carers_on[job.visit_id]
        keep = tuple(c for c in current if c in chosen)
        new = keep + tuple(c for c in chosen if c not in keep)
        if set(new) != set(current):
            changes[job.visit_id] = (new, plan.start_of[job.visit_id])
    if not changes:
        return 0.0
    move = plan.propose(changes)
    if move is None or move.delta >= -1e-9:
        return 0.0
    plan.commit(move)
    return -move.delta


def _fits_kept(plan, carer_id: int, job, start: int, day: int) -> bool:
    """The job fits round what the carer keeps whatever CP-SAT decides: their stops on
    other days and the stops the solver may not change (a clash or a day too long)."""
    info = plan.model.carers[carer_id]
    end = start + job.minutes
    legs = plan.table.minutes
    from coordinator_tui.services.rota.solver.plan import DAY_NO, END, FIXED, START

    for stop in plan.stops[carer_id]:
        if stop[DAY_NO] == day and not stop[FIXED]:
            continue
        if (
            stop[START] >= end + info.limits.daily_rest
            or stop[END] + info.limits.daily_rest <= start
        ):
            continue
        leg = 0 if stop[2] == job.customer_id else legs(stop[2], job.customer_id, info.mode)
        if stop[START] < end + leg and stop[END] + leg > start:
            return False  # a clash, or too little time to travel either way
        first, last = min(stop[START], start), max(stop[END], end)
        if last - first > info.max_span:
            return False
    return True


def solomon_case() -> Result:
    """The routing core on Solomon's C101 and RC208 (``benchmarks/solomon.py``): the mean gap to the
    best known distances at 10 s an instance. Information, not a target."""
    from benchmarks import solomon

    found = solomon.run(solomon.SECONDS)
    for one in found:
        console.print(
            f"  {one['instance']}: {one['distance']} (best known {one['best_known']}, gap "
            f"{one['gap']:+.1%}), vehicles {one['vehicles']} ({one['best_known_vehicles']})"
        )
    gaps = [one["gap"] for one in found]
    return Result(
        "solver.solomon",
        [one["seconds"] for one in found],
        target="info: gap to best known",
        passed=all(not one["windows_missed"] and not one["unserved"] for one in found),
        description="Solomon C101 (25, 50, 100 customers), 10 s each",
        extra={"mean_gap": round(sum(gaps) / len(gaps), 4), "instances": found},
    )


def run(
    db_path: Path,
    runs: int = 1,
    only: tuple[str, ...] = ("large", "small", "repair"),
    clock: str = "cpu",
    seed: int = 1,
):
    del runs  # one run each: a solve takes seconds to a minute
    results: list[Result] = []
    large = _load(db_path) if {"large", "repair", "cpsat", "pyvrp"} & set(only) else None
    if "large" in only:
        results.append(
            build_case("solver.large", large, LARGE_SECONDS, LARGE_TARGET_S, clock=clock, seed=seed)
        )
    if "small" in only:
        results.append(
            build_case(
                "solver.small",
                small_loaded(),
                SMALL_SECONDS,
                SMALL_TARGET_S,
                clock=clock,
                restarts=SMALL_RESTARTS,
                seed=seed,
                quality_judged=False,
            )
        )
    if "small-lifted" in only:
        loaded, lifted = small_loaded(lift_planted_absence=True)
        results.append(
            build_case(
                "solver.small-lifted",
                loaded,
                SMALL_SECONDS,
                SMALL_TARGET_S,
                clock=clock,
                restarts=SMALL_RESTARTS,
                seed=seed,
                lifted=lifted,
                quality_judged=False,
            )
        )
    if "large-lifted" in only:
        loaded, lifted = _load_week(db_path, lift_planted_absence=True)
        results.append(
            build_case(
                "solver.large-lifted",
                loaded,
                LARGE_SECONDS,
                LARGE_TARGET_S,
                clock=clock,
                seed=seed,
                lifted=lifted,
            )
        )
    if "repair" in only:
        results.append(repair_case(large))
    if "cpsat" in only:
        results.append(cpsat_case(large or _load(db_path)))
    if "pyvrp" in only:
        results.append(pyvrp_case(large or _load(db_path)))
    if "solomon" in only:
        results.append(solomon_case())
    if "scale" in only:
        loaded = scale_loaded()
        results.append(
            build_case(
                "solver.scale",
                loaded,
                SCALE_SECONDS,
                SCALE_SECONDS + 60,
                clock=clock,
                seed=seed,
                quality_judged=False,
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.solver", description="Rota solver against the hand plan."
    )
    parser.add_argument("--db", type=Path, help="large demo (default: the benchmarks' one)")
    parser.add_argument("--only", action="append", choices=CASES, help="run only this case")
    parser.add_argument("--scale", action="store_true", help="also the 300-carer scale run")
    parser.add_argument(
        "--solomon",
        action="store_true",
        help="also Solomon's C101 and RC208 (benchmarks/solomon.py)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also CP-SAT and PyVRP (pip install .[bench])"
    )
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="cpu",
        help="what the Build cases' budget and time target count: CPU seconds of this "
        "process (default: the figure does not depend on the machine's load) or wall time",
    )
    parser.add_argument("--seed", type=int, default=1, help="the Build cases' first seed")
    parser.add_argument(
        "--lifted",
        action="store_true",
        help="also each Build case (large, small) like for like: the week with the demo's "
        "planted absence lifted, as the hand plan was made, judged on the raw figures",
    )
    parser.add_argument("--strict", action="store_true", help="exit 3 if a target is missed")
    args = parser.parse_args(argv)
    only = tuple(args.only or ("large", "small", "repair"))
    only += (("scale",) if args.scale else ()) + (("cpsat", "pyvrp") if args.compare else ())
    only += ("solomon",) if args.solomon else ()
    if args.lifted:
        only += tuple(f"{name}-lifted" for name in ("large", "small") if name in only)
    needs_large = {"large", "large-lifted", "repair", "cpsat", "pyvrp"} & set(only)
    db_path = args.db or (Path(ensure_large_db()["path"]) if needs_large else Path())
    results = run(db_path, 1, only, args.clock, args.seed)
    for result in results:
        keep = {k: v for k, v in result.extra.items() if k not in ("reasons",)}
        print(
            f"{result.name:<14} {result.median_s:7.2f} s  target {result.target:<36} "
            f"{'ok' if result.passed else 'MISSED'}  {keep}"
        )
    if args.strict and not all(result.passed for result in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
