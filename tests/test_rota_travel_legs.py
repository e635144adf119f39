"""``Legs`` estimates a missing pair itself for a plain ``TravelTable`` (issue 23 §1: the
cold full check asks 2,300 pairs at ten times the data): the same whole minutes as the
table's ``minutes`` and as ``travel_minutes``, both ways round; a subclass with its own
``minutes`` (the solver's journey matrix, which need not be symmetric) is still asked."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator_tui.services.rota.travel import TravelConfig, TravelTable, travel_minutes

_PLACES = {
    1: (51.5074, -0.1278),
    2: (51.5155, -0.0922),
    3: (51.5074, -0.1278),  # the same point as 1
    4: (53.4808, -2.2426),
}


def test_legs_match_minutes_both_ways() -> None:
    rnd = random.Random(23)
    places = {i: (50 + rnd.random() * 4, -3 + rnd.random() * 3) for i in range(60)}
    places[60] = places[0]
    for config in (TravelConfig(), TravelConfig(minimum_minutes=5)):
        table, reference = TravelTable(places, config), TravelTable(places, config)
        for mode in ("drive", "walk", "bike"):
            legs = table.leg(mode)
            for _ in range(400):
                a, b = rnd.randrange(62), rnd.randrange(62)  # 61: no place known
                want = reference.minutes(a, b, mode)
                assert legs[(a, b)] == want == legs(a, b)
                assert legs[(b, a)] == want
                if a in places and b in places and a != b:
                    lat1, lon1 = places[a]
                    lat2, lon2 = places[b]
                    assert want == travel_minutes(lat1, lon1, lat2, lon2, mode, config)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-80, 80),
    st.floats(-179, 179),
    st.floats(-80, 80),
    st.floats(-179, 179),
    st.sampled_from(["drive", "walk"]),
)
def test_legs_property(lat1: float, lon1: float, lat2: float, lon2: float, mode: str) -> None:
    places = {1: (lat1, lon1), 2: (lat2, lon2)}
    legs = TravelTable(places).leg(mode)
    assert legs[(1, 2)] == TravelTable(places).minutes(1, 2, mode) == legs[(2, 1)]


def test_a_subclass_minutes_is_asked_each_way() -> None:
    class OneWay(TravelTable):
        def minutes(self, a: int, b: int, mode: str) -> int:
            return 0 if a == b else (7 if a < b else 11)

    legs = OneWay(_PLACES).leg("drive")
    assert legs[(1, 2)] == 7
    assert legs[(2, 1)] == 11
    assert legs(3, 3) == 0


def test_the_days_travel_is_read_from_the_legs_the_shifts_filled(small_demo_engine):
    """The grid's day summaries and ``RotaState.travel`` ask the mode's legs (filled by
    the shifts) and give what the table's own memo gives: no pair worked out twice."""
    from datetime import date

    from coordinator_tui.db import session_scope
    from coordinator_tui.services.rota.snapshot import load_week
    from coordinator_tui.services.rota.timeline import summarise
    from coordinator_tui.services.rota.validate import RotaState

    with session_scope(small_demo_engine, "t") as session:
        state = RotaState(load_week(session, date(2026, 11, 23)))
    table, visits = state._table, state.snap.visits
    asked = []
    for carer_id, days in state.cells.items():
        mode = state._mode(carer_id)
        for day, ids in days.items():
            stops = [(visits[v].start, visits[v].end, visits[v].customer_id) for v in ids]
            pairs = [(a[2], b[2]) for a, b in zip(stops, stops[1:], strict=False)]
            travel = [state.travel(a, b, mode) for a, b in pairs]
            asked.append((mode, stops, pairs, travel, state.day_summary(carer_id, day)))
    assert asked and not table._memo, "a pair was worked out again by the table's own memo"
    for mode, stops, pairs, travel, summary in asked:
        assert summary == summarise(stops, lambda a, b, mode=mode: table.minutes(a, b, mode))
        assert travel == [table.minutes(a, b, mode) for a, b in pairs]
