"""The look of Reports (7) at 80x24 and 120x40: the list of reports, the coding audit with
the small demo's own export imported, the sharing report and the sharing form.

After an intended change of look: ``pytest tests/test_snapshots_reports.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope

SIZES = [(80, 24), (120, 40)]
TODAY = date(2026, 11, 23)


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture
def audited(small_demo_engine):
    """The small demo with its own export imported (at a fixed time) and two disclosures."""
    from sqlmodel import select

    from coordinator_tui.demo.coding import demo_export
    from coordinator_tui.models import Person
    from coordinator_tui.services.reports import sharing as sh
    from coordinator_tui.services.reports.coding_audit import run_coding_audit

    with session_scope(small_demo_engine, "coordinator") as s:
        demo = demo_export(s, today=TODAY)
        outcome = run_coding_audit(
            s, demo.text, today=TODAY, by="coordinator", file_name="export.csv"
        )
        outcome.run.imported_at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
        people = s.exec(select(Person.id).order_by(Person.id).limit(2)).all()
        for person_id, consent, org in zip(
            people, ("given", "overridden"), ("County MASH", "Police"), strict=True
        ):
            sh.record_disclosure(
                s,
                person_id,
                today=TODAY,
                by="coordinator",
                occurred_on=TODAY - timedelta(days=5),
                organisation=org,
                role="Social worker" if org == "County MASH" else "Detective",
                what="health, safeguarding",
                why="Strategy discussion",
                method="secure_email",
                basis=sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", consent, "risk of harm", "Dr L"),
            )
    return small_demo_engine


class TestReports:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_reports_list(self, snap_compare, demo_settings, audited, size):
        app = make_app(demo_settings, audited)

        async def loaded(pilot):
            await pilot.press("7")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_coding_audit(self, snap_compare, demo_settings, audited, size):
        app = make_app(demo_settings, audited)

        async def loaded(pilot):
            await pilot.press("7")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("c")
            await _wait(
                pilot,
                lambda: app.screen.__class__.__name__ == "CodingAuditScreen" and app.screen.loaded,
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_sharing_report(self, snap_compare, demo_settings, audited, size):
        app = make_app(demo_settings, audited)

        async def loaded(pilot):
            await pilot.press("7")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("s")
            await _wait(
                pilot,
                lambda: (
                    app.screen.__class__.__name__ == "SharingReportScreen" and app.screen.loaded
                ),
            )
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=loaded)

    def test_sharing_form(self, snap_compare, demo_settings, small_demo_engine):
        """``s`` on the person record: the form's first fields at 80 columns."""
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await pilot.press("2")
            await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: app.screen.__class__.__name__ == "PersonScreen" and app.screen.loaded,
            )
            await pilot.press("s")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "SharingDialog")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
