"""The look of every dialog, the command palette, help, empty sections and refused saves
(issue 13 §3), at 80x24 and 120x40.

Empty states open the app on a freshly migrated database (nothing in it); dialogs open on
the small demo. Both are pinned to ``DEMO_TODAY`` so no date drifts. Each state is reached
with the keys a coordinator would press, and the snapshot is taken once the dialog (or
section) has loaded and has focus.

After an intended change of look: ``pytest tests/test_snapshots_house.py
--snapshot-update``, then review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from tests.conftest import DEMO_TODAY

SIZES = [(80, 24), (120, 40)]
IDS = [f"{w}x{h}" for w, h in SIZES]


# A cold open took over 10 s on a loaded 2-core machine (pytest-under-load): wait long.
_wait = partial(wait_for, timeout=90.0)


@pytest.fixture(autouse=True)
def _home_at_noon(monkeypatch):
    """Home's "visits missed or not checked in today" is counted at the time of day on
    the pinned date: noon here (``COORDINATOR_TUI_NOW``, read into ``settings.now`` with
    the pinned date, before ``demo_settings`` is built), so the snapshot does not change
    with the hour the suite runs."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "12:00")


def _loaded(pilot) -> bool:
    screen = pilot.app.screen
    return bool(getattr(screen, "loaded", True)) and getattr(screen, "counts", True) is not None


async def _section(pilot, key: str) -> None:
    """Go to a section by its number key and wait for its rows."""
    await _wait(pilot, lambda: _loaded(pilot))
    await pilot.press(key)
    await pilot.pause()
    await _wait(pilot, lambda: _loaded(pilot))
    await pilot.pause()


async def _dialog(pilot, name: str) -> None:
    await _wait(
        pilot,
        lambda: type(pilot.app.screen).__name__ == name and pilot.app.screen.focused is not None,
    )
    await pilot.pause()


@pytest.fixture
def empty_settings(db_path: Path, opened):
    """Settings for an app on an empty, migrated database, pinned to DEMO_TODAY."""
    from coordinator_tui.settings import load_settings

    settings = load_settings(str(db_path))
    settings.today = DEMO_TODAY
    return settings


# The empty state of each section: a new agency's database, before anything is entered.
EMPTY = {
    "home": "1",
    "registers": "2",
    "referrals": "3",
    "meetings": "4",
    "rota": "5",
    "governance": "6",
    "reports": "7",
}


class TestEmptySections:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    @pytest.mark.parametrize("section", list(EMPTY))
    def test_empty(self, snap_compare, empty_settings, engine, section, size):
        app = make_app(empty_settings, engine)

        async def shown(pilot):
            await _section(pilot, EMPTY[section])

        assert snap_compare(app, terminal_size=size, run_before=shown)


# Dialogs on the small demo: (section key, keys pressed there, the dialog's class).
DIALOGS = {
    "help": ("1", ["f1"], "HelpScreen"),
    "new_meeting": ("4", ["n"], "FormDialog"),
    "new_series": ("4", ["S"], "SeriesDialog"),
    "new_referral": ("3", ["n"], "NewReferralDialog"),
    "referral_outcome": ("3", ["o"], "FormDialog"),
    "new_incident": ("6", ["n"], "RowsFormDialog"),
    "snooze_review": ("2", ["s"], "FormDialog"),
    "escalate_review": ("2", ["e"], "FormDialog"),
    "rota_assign": ("5", ["tab", "a"], "CarerPicker"),
    "rota_absent": ("5", ["b"], "FormDialog"),
}


class TestDialogs:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    @pytest.mark.parametrize("dialog", list(DIALOGS))
    def test_dialog(self, snap_compare, demo_settings, small_demo_engine, dialog, size):
        section, keys, name = DIALOGS[dialog]
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _section(pilot, section)
            await pilot.press(*keys)
            await _dialog(pilot, name)

        assert snap_compare(app, terminal_size=size, run_before=opened)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_command_palette(self, snap_compare, demo_settings, small_demo_engine, size):
        app = make_app(demo_settings, small_demo_engine)

        async def opened(pilot):
            await _section(pilot, "1")
            await pilot.press("ctrl+p")
            await _wait(pilot, lambda: type(pilot.app.screen).__name__ == "CommandPalette")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=opened)


def _error_shown(pilot) -> bool:
    try:
        line = pilot.app.screen.query_one("#form-error")
    except Exception:
        return False
    return "✗" in str(line.render())


# Refused saves: the dialog stays open, its one error line says why, nothing is saved.
REFUSED = {
    "snooze_without_a_date": ("2", ["s"], "FormDialog"),
    "new_meeting_without_a_title": ("4", ["n"], "FormDialog"),
    "new_referral_empty": ("3", ["n"], "NewReferralDialog"),
    "new_incident_empty": ("6", ["n"], "RowsFormDialog"),
}


class TestErrorStates:
    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    @pytest.mark.parametrize("form", list(REFUSED))
    def test_required_field_empty(self, snap_compare, demo_settings, small_demo_engine, form, size):
        section, keys, name = REFUSED[form]
        app = make_app(demo_settings, small_demo_engine)

        async def refused(pilot):
            await _section(pilot, section)
            await pilot.press(*keys)
            await _dialog(pilot, name)
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: _error_shown(pilot))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=refused)

    @pytest.mark.parametrize("size", SIZES, ids=IDS)
    def test_database_locked(
        self, snap_compare, demo_settings, small_demo_engine, monkeypatch, size
    ):
        """The database refuses the write (locked by another user): the dialog says so in
        one line, the typed date stays, and the app carries on."""
        from sqlalchemy.exc import OperationalError

        from coordinator_tui.services import registers
        from coordinator_tui.services.errors import DatabaseUnavailableError, from_database_error

        locked = from_database_error(
            OperationalError("UPDATE ...", {}, Exception("database is locked"))
        )
        assert isinstance(locked, DatabaseUnavailableError)

        def refuse(*_args, **_kwargs):
            raise locked

        monkeypatch.setattr(registers, "snooze", refuse)
        app = make_app(demo_settings, small_demo_engine)

        async def refused(pilot):
            await _section(pilot, "2")
            await pilot.press("s")
            await _dialog(pilot, "FormDialog")
            await pilot.press(*"+1w", "ctrl+s")
            await _wait(pilot, lambda: _error_shown(pilot))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=refused)
