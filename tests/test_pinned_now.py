"""One pinned "now" (``COORDINATOR_TUI_NOW`` beside ``COORDINATOR_TUI_TODAY``): Home,
Governance and the rota read the same moment, so a demo, a test or a snapshot pins all
three with one setting."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from coordinator_tui.clock import UK
from coordinator_tui.settings import NOW_ENV, TODAY_ENV, SettingsError, load_settings


def _settings(tmp_path, monkeypatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(str(tmp_path / "x.db"), config_path=tmp_path / "none.toml")


def test_the_pinned_time_is_every_screens_now(tmp_path, monkeypatch):
    settings = _settings(tmp_path, monkeypatch, **{TODAY_ENV: "2026-11-23", NOW_ENV: "12:00"})
    assert settings.now == time(12, 0) and settings.time_of_day() == time(12, 0)
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=UK)
    # Home, the care screens and the rota (grid, Plan B, the solver: the moment the app's
    # units of work carry, ``clock.MOMENT_KEY``)
    assert settings.current_moment() == noon


def test_without_it_the_wall_clock_on_the_pinned_date(tmp_path, monkeypatch):
    monkeypatch.delenv(NOW_ENV, raising=False)
    settings = _settings(tmp_path, monkeypatch, **{TODAY_ENV: "2026-11-23"})
    assert settings.now is None
    assert settings.current_moment().date() == date(2026, 11, 23)


@pytest.mark.parametrize("bad", ["noon", "25:00", "12h30"])
def test_a_bad_time_is_one_line(tmp_path, monkeypatch, bad):
    with pytest.raises(SettingsError, match="COORDINATOR_TUI_NOW must be a time of day"):
        _settings(tmp_path, monkeypatch, **{NOW_ENV: bad})


async def test_governance_reads_the_pinned_time(demo_settings, small_demo_engine):
    """The Governance screen's "now" (what is due, late or missed) is the setting's."""
    from pilot_helpers import wait_for

    from coordinator_tui.app import make_app

    demo_settings.now = time(9, 30)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GovernanceScreen")
        assert app.screen.now() == datetime.combine(demo_settings.today, time(9, 30), tzinfo=UK)
