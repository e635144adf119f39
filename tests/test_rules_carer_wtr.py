"""The carer's working-time record and the agency's night time, on screen and in the CSV
(issue 21 §2: the fields the checker reads had no screen and no CSV columns).

Working Time Regulations 1998: reg 2 (night time: 7 hours including midnight to 05:00,
23:00 to 06:00 by default; a night worker), reg 5 (the 48-hour opt-out), reg 6(7) (special
hazards or heavy strain), reg 6A (a young worker's restricted period, 23:00-07:00 where
the contract provides for work after 22:00), reg 22(1)(c) (split shifts, compensatory
rest).
"""

from __future__ import annotations

from datetime import date, time

import pytest
from pilot_helpers import wait_for
from sqlmodel import select
from textual.widgets import Select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Carer, WorkingTimeSettings
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.rota import carer_wtr as W
from coordinator_tui.services.rota_import import RotaImportError, import_csv
from coordinator_tui.settings import NOW_ENV
from coordinator_tui.widgets.cell_grid import CellGrid

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _early_morning(monkeypatch):
    monkeypatch.setenv(NOW_ENV, "05:00")  # the settings' pinned time: the app's moment


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("23:00", time(23, 0)),  # reg 2's default: 23:00-06:00
        ("22", time(22, 0)),  # the earliest: 22:00-05:00 still includes midnight to 05:00
        ("2330", time(23, 30)),
        ("00:00", time(0, 0)),  # the latest: midnight to 07:00
        ("21:00", None),  # 21:00-04:00 leaves 04:00-05:00 out
        ("01:00", None),  # 01:00-08:00 leaves midnight to 01:00 out
        ("late", None),
    ],
)
def test_night_time_reg_2(typed, start):
    if start is None:
        with pytest.raises(W.CarerWorkingTimeError):
            W.parse_night_start(typed)
    else:
        assert W.parse_night_start(typed) == start


def test_night_period_label():
    assert W.NightPeriod(time(23, 0), None).label == "23:00-06:00"
    assert W.NightPeriod(time(0, 0), 1).label == "00:00-07:00"


def _first_carer(engine) -> Carer:
    with session_scope(engine, "t") as s:
        return s.exec(select(Carer).order_by(Carer.id)).first()


def _update(s, carer, **changes):
    values = dict(
        today=TODAY,
        date_of_birth=carer.date_of_birth,
        night_worker=carer.night_worker,
        split_shift_exempt=carer.split_shift_exempt,
        special_hazards=carer.special_hazards,
        young_night_contract=carer.young_night_contract,
        wtr_opt_out=carer.wtr_opt_out,
    )
    values.update(changes)
    return W.update_carer_working_time(s, carer.id, carer.version, **values)


def test_a_stale_carer_record_is_refused(small_demo_engine):
    carer = _first_carer(small_demo_engine)
    with session_scope(small_demo_engine, "colleague") as s:
        _update(s, carer, special_hazards=True)
    with (
        pytest.raises(ConflictError, match="special hazards"),
        session_scope(small_demo_engine, "t") as s,
    ):
        _update(s, carer, night_worker=True)


@pytest.mark.parametrize(
    ("born", "message"),
    [(date(2026, 12, 1), "future"), (date(2020, 1, 1), "under 13")],
)
def test_bad_dates_of_birth(small_demo_engine, born, message):
    carer = _first_carer(small_demo_engine)
    with (
        pytest.raises(W.CarerWorkingTimeError, match=message),
        session_scope(small_demo_engine, "t") as s,
    ):
        _update(s, carer, date_of_birth=born)


# -- the CSV ----------------------------------------------------------------------------------


def test_carers_csv_takes_the_working_time_columns(engine, tmp_path):
    path = tmp_path / "carers.csv"
    path.write_text(
        "name,date_of_birth,night_worker,split_shift_exempt,special_hazards,"
        "young_night_contract\n"
        "Night Sitter,14/03/1988,yes,no,yes,no\n"
        "Split Shift,02/09/1990,infer,yes,no,no\n"
        "Young One,02/09/2009,,no,no,yes\n",
        encoding="utf-8",
    )
    with session_scope(engine, "t") as s:
        import_csv(s, "carers", path.read_text(encoding="utf-8"), today=TODAY)
    with session_scope(engine, "t") as s:
        got = {
            c.name: (
                c.night_worker,
                c.split_shift_exempt,
                c.special_hazards,
                c.young_night_contract,
            )
            for c in s.exec(select(Carer))
        }
    assert got == {
        "Night Sitter": (True, False, True, False),
        "Split Shift": (None, True, False, False),
        "Young One": (None, False, False, True),
    }


def test_a_bad_night_worker_value_rejects_the_file(engine, tmp_path):
    path = tmp_path / "carers.csv"
    path.write_text("name,night_worker\nSomeone,sometimes\n", encoding="utf-8")
    with (
        pytest.raises(RotaImportError, match="night_worker must be yes or no"),
        session_scope(engine, "t") as s,
    ):
        import_csv(s, "carers", path.read_text(encoding="utf-8"), today=TODAY)


# -- by keys on the rota grid ---------------------------------------------------------------


async def test_c_edits_the_carers_working_time(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        screen = app.screen
        screen.query_one("#rota-grid", CellGrid).focus()
        carer_id = screen.current_carer()
        assert carer_id is not None
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        assert "Night time for the agency: 23:00-06:00" in str(
            form.query_one("#form-context").render()
        )
        # A date of birth with a two-digit year is a past one: 3/12/08 is 2008.
        await pilot.press("ctrl+a", "ctrl+k", *"3/12/08")
        form.query_one("#f-night", Select).value = "yes"
        form.query_one("#f-split", Select).value = "yes"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: screen.loaded)
    with session_scope(small_demo_engine, "t") as s:
        carer = s.get(Carer, carer_id)
        assert carer.date_of_birth == date(2008, 12, 3)
        assert (carer.night_worker, carer.split_shift_exempt) == (True, True)
        audited = s.exec(
            select(AuditEvent).where(
                AuditEvent.table_name == "carer", AuditEvent.row_id == carer_id
            )
        ).all()
        assert any("night_worker" in (a.changes or "") for a in audited)


async def test_N_sets_the_night_time(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        screen = app.screen
        await pilot.press("N")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await pilot.press("ctrl+a", "ctrl+k", *"21:00", "ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused: 21:00-04:00 leaves 04:00-05:00 out
        assert "22:00 and 00:00" in str(form.query_one("#form-error").render())
        await pilot.press("ctrl+a", "ctrl+k", *"22:00", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
    with session_scope(small_demo_engine, "t") as s:
        (row,) = s.exec(select(WorkingTimeSettings)).all()
        assert row.night_start == time(22, 0)
        assert W.night_period(s).label == "22:00-05:00"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_carer_form_snapshot(snap_compare, demo_settings, small_demo_engine, size):
    """The working-time form of the first carer, over the rota grid."""
    app = make_app(demo_settings, small_demo_engine)

    async def opened(pilot):
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, RotaScreen) and app.screen.loaded)
        app.screen.query_one("#rota-grid", CellGrid).focus()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=opened)
