"""The governance demo (``demo/governance.py``): every state the screens show, on
the small demo pinned to its date."""

from __future__ import annotations

import pytest
from conftest import DEMO_TODAY
from sqlalchemy import select

from coordinator_tui.db import session_scope
from coordinator_tui.demo.governance import has_governance_demo, seed_governance
from coordinator_tui.models.governance import CandourRecord
from coordinator_tui.services.governance import complaints as cp
from coordinator_tui.services.governance import incidents as inc


def test_seeds_every_state_once(small_demo_engine):
    with session_scope(small_demo_engine, "demo-seed") as s:
        if not has_governance_demo(s):
            summary = seed_governance(s, today=DEMO_TODAY)
            assert summary.line() == "60 incidents, 24 complaints, 12 compliments"
    with session_scope(small_demo_engine, "t") as s:
        with pytest.raises(ValueError, match="already"):
            seed_governance(s, today=DEMO_TODAY)
        for view in inc.VIEWS:
            assert inc.incident_list(s, view, DEMO_TODAY), view
        for view in cp.VIEWS:
            assert cp.complaint_list(s, view, DEMO_TODAY), view
        statuses = sorted(s.scalars(select(CandourRecord.status)))
        assert statuses == ["complete", "open"]  # candour part done, and done
        kinds = {r.kind for r in inc.incident_list(s, "closed", DEMO_TODAY)}
        assert len(kinds) >= 8
        assert {r.stage() for r in cp.complaint_list(s, "open", DEMO_TODAY)} >= {
            "to acknowledge",
            "investigating",
            "responded",
        }
        assert {r.status for r in cp.complaint_list(s, "closed", DEMO_TODAY)} == {
            "closed",
            "resolved",
        }
        assert cp.compliment_list(s)
        from datetime import datetime, time

        from coordinator_tui.clock import UK
        from coordinator_tui.services.governance.visits import proposals

        noon = datetime.combine(DEMO_TODAY, time(12), tzinfo=UK)
        found = proposals(s, DEMO_TODAY, now=noon)
        assert [p.rule for p in found].count("missed_visits") == 1  # the vigilance customer
        counts = inc.governance_counts(s, DEMO_TODAY)
        assert counts.awaiting_triage and counts.complaints_to_acknowledge
        assert counts.incident_actions_overdue
