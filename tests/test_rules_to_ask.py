"""``rules.base.to_ask``: the one loop the full check (``RotaState._check_all``) and the
solver's pair table (``PairCheck.table``) share - a visit rule's bulk ``sift``, then its
``needs_skills`` and ``for_customer`` gates. On generated weeks (``test_rota_validate_fast``'s
strategy): it is that filter written plainly, it leaves out nothing the rule finds a
problem on, and the pair table's ``settled`` leaves out exactly the visits already
ruled out."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from test_rota_validate_fast import SETTINGS, weeks

from coordinator_tui.services.rota.rules.base import sifted, to_ask, visit_rules_of
from coordinator_tui.services.rota.snapshot import SVisit
from coordinator_tui.services.rota.validate import RotaState


@SETTINGS
@given(snap=weeks(), every=st.integers(1, 4))
def test_to_ask_is_the_sift_then_the_gates(snap, every):
    state = RotaState(snap)
    customers = snap.customers
    by_day: dict[date, list[SVisit]] = {}
    for one in sorted(snap.visits.values(), key=lambda v: (v.day, v.start, v.id)):
        by_day.setdefault(one.day, []).append(one)
    everything = [v for day in by_day.values() for v in day]
    # Some visits answered already, every other one with a hard problem.
    settled = {
        v.id: ("Absent" if i % 2 else None, 1.0) for i, v in enumerate(everything) if i % every == 0
    }
    for carer in snap.carers.values():
        for rule in visit_rules_of(carer, state):
            kept = list(sifted(rule, carer, by_day, state))
            if rule.sift is None:
                assert kept == everything
            plain = [
                (v, customers.get(v.customer_id))
                for v in kept
                if (v.skills or not rule.needs_skills)
                and (
                    rule.for_customer is None
                    or rule.for_customer(v.customer_id, customers.get(v.customer_id), state)
                )
            ]
            asked = to_ask(rule, carer, by_day, state)
            assert list(asked) == plain, rule.name
            if not kept:
                assert type(asked) is tuple  # nothing kept: no generator made
            assert list(to_ask(rule, carer, by_day, state, everything)) == plain
            assert list(to_ask(rule, carer, by_day, state, everything, settled)) == [
                (v, c) for v, c in plain if not settled.get(v.id, (None,))[0]
            ]
            # Nothing the rule finds a problem on is left out.
            ids = {v.id for v, _ in plain}
            for one in snap.visits.values():
                if rule.check(carer, one, customers.get(one.customer_id), state):
                    assert one.id in ids, (rule.name, carer.id, one.id)
