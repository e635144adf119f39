"""The look of the PCN report and the CQC evidence pack (Reports, 7, then p or q) at
80x24 and 120x40, on the hand-counted fixture of ``tests/test_reports_pcn.py``.

After an intended change of look: ``pytest tests/test_snapshots_reports_pcn.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``."""

from __future__ import annotations

from functools import partial

import pytest
from pilot_helpers import wait_for
from test_reports_pcn import TODAY, build_fixture

from coordinator_tui.app import make_app

SIZES = [(80, 24), (120, 40)]


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture
def fixture_app(tmp_path):
    from coordinator_tui.db import open_database
    from coordinator_tui.settings import load_settings

    opened = open_database(str(tmp_path / "snap.db"))
    build_fixture(opened.engine)
    settings = load_settings(str(tmp_path / "snap.db"))
    settings.today = TODAY
    yield make_app(settings, opened.engine)
    opened.engine.dispose()


def _opened(key: str, *then: str):
    async def run(pilot):
        app = pilot.app
        await pilot.press("7")
        await _wait(pilot, lambda: getattr(app.screen, "loaded", False))
        reports = app.screen
        await pilot.press(key)
        await _wait(
            pilot, lambda: app.screen is not reports and getattr(app.screen, "loaded", False)
        )
        for press in then:
            await pilot.press(press)
        await pilot.pause()

    return run


class TestPcnReport:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_pcn_report(self, snap_compare, fixture_app, size):
        assert snap_compare(fixture_app, terminal_size=size, run_before=_opened("p"))

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_pcn_report_small_numbers_shown_on_referrals(self, snap_compare, fixture_app, size):
        moves = ("n", *("down",) * 33)  # to the MASH referrals' last row: their figures
        assert snap_compare(fixture_app, terminal_size=size, run_before=_opened("p", *moves))


class TestCqcEvidence:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_cqc_pack(self, snap_compare, fixture_app, size):
        assert snap_compare(fixture_app, terminal_size=size, run_before=_opened("q"))
