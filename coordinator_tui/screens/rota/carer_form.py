"""The working-time record of a carer (``c`` on the rota grid) and the agency's night time
(``N``): the Working Time Regulations facts the checker reads, edited in one form each
(``services/rota/carer_wtr.py``). Saving reloads the week, so the grid's problems follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.dates import PAST

if TYPE_CHECKING:
    from coordinator_tui.screens.rota.grid import RotaScreen

YES_NO = (("No", "no"), ("Yes", "yes"))
NIGHT_WORKER = (
    ("Inferred from the last 17 weeks", "infer"),
    ("Yes: a night worker", "yes"),
    ("No", "no"),
)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def open_carer_working_time(screen: RotaScreen, carer_id: int) -> None:
    """``c``: the carer's date of birth (a young worker's limits follow it), whether they
    are a night worker (or left to be inferred), the split-shift exemption, special
    hazards, a young worker's contract for work after 22:00, and the 48-hour opt-out."""
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.rota.carer_wtr import (
        carer_working_time,
        night_period,
        update_carer_working_time,
    )

    today = screen.coordinator.settings.current_date()
    try:
        with screen.coordinator.session() as session:
            record = carer_working_time(session, carer_id)
            night = night_period(session)
    except CoordinatorError as exc:
        screen.notify(str(exc), severity="error", timeout=8)
        return

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        night_worker = {"infer": None, "yes": True, "no": False}[values["night"]]
        error = screen.write(
            lambda session: update_carer_working_time(
                session,
                record.carer_id,
                record.version,
                today=today,
                date_of_birth=values["born"],
                night_worker=night_worker,
                split_shift_exempt=values["split"] == "yes",
                special_hazards=values["hazards"] == "yes",
                young_night_contract=values["young_night"] == "yes",
                wtr_opt_out=values["opt_out"] == "yes",
            )
        )
        if error is not None:
            raise CoordinatorError(error)

    def then(_values: dict[str, Any], _result: Any) -> None:
        screen.notify(f"{record.name}'s working-time record saved", timeout=4)
        screen.load()

    save = BackgroundSave(write, then)

    night_value = {None: "infer", True: "yes", False: "no"}[record.night_worker]
    screen.app.push_screen(
        FormDialog(
            f"{record.name}: working time",
            [
                Field("born", "Date of birth", "date", record.date_of_birth, expects=PAST),
                Field("night", "Night worker (reg 2)", "select", night_value, NIGHT_WORKER, True),
                Field(
                    "split",
                    "Split shifts, reg 22(1)(c) exemption (compensatory rest)",
                    "select",
                    _yes(record.split_shift_exempt),
                    YES_NO,
                    True,
                ),
                Field(
                    "hazards",
                    "Special hazards or heavy strain (reg 6(7))",
                    "select",
                    _yes(record.special_hazards),
                    YES_NO,
                    True,
                ),
                Field(
                    "young_night",
                    "Under 18 with a contract after 22:00 (reg 6A)",
                    "select",
                    _yes(record.young_night_contract),
                    YES_NO,
                    True,
                ),
                Field(
                    "opt_out",
                    "Opted out of the 48-hour average (reg 5)",
                    "select",
                    _yes(record.wtr_opt_out),
                    YES_NO,
                    True,
                ),
            ],
            today,
            context=f"Night time for the agency: {night.label} (N on the grid changes it)",
            save=save,
        )
    )


def open_night_period(screen: RotaScreen) -> None:
    """``N``: when the agency's night time starts (reg 2: 7 hours including midnight to
    05:00, so from 22:00 to 00:00; 23:00 unless the agency sets another)."""
    from coordinator_tui.services.errors import CoordinatorError
    from coordinator_tui.services.rota.carer_wtr import (
        night_period,
        parse_night_start,
        set_night_start,
    )

    today = screen.coordinator.settings.current_date()
    try:
        with screen.coordinator.session() as session:
            night = night_period(session)
    except CoordinatorError as exc:
        screen.notify(str(exc), severity="error", timeout=8)
        return

    def write(values: dict[str, Any]) -> Any:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        start = parse_night_start(values["start"])
        error = screen.write(
            lambda session: set_night_start(session, start, night.version, today=today)
        )
        if error is not None:
            raise CoordinatorError(error)
        return start

    def then(_values: dict[str, Any], start: Any) -> None:
        screen.notify(f"Night time now starts at {start:%H:%M}", timeout=4)
        screen.load()

    save = BackgroundSave(write, then)

    screen.app.push_screen(
        FormDialog(
            "Night time (Working Time Regulations reg 2)",
            [
                Field(
                    "start",
                    "Night time starts at (22:00 to 00:00; it lasts 7 hours)",
                    value=f"{night.start:%H:%M}",
                    required=True,
                )
            ],
            today,
            context=(
                f"Now {night.label}. Night workers, the 8-hour night limit and the "
                "inference of who is a night worker follow it."
            ),
            save=save,
        )
    )
