"""What the agency records for the Working Time Regulations: per carer, and its night time.

The checker reads these (``services/rota/rules/``); the rota screen edits them (``c`` on
a carer: date of birth, night worker, split-shift exemption, special hazards, a young
worker's contract for work after 22:00, the 48-hour opt-out; ``N``: when night time
starts), and the carers CSV carries the same columns (``services/rota_import.py``).

- A night worker (reg 2) works at least 3 hours of their shift in night time as a normal
  course: recorded yes or no, or left to the checker to infer from the last 17 weeks.
- Night time (reg 2) is 23:00 to 06:00 unless the agency sets another 7-hour period
  including midnight to 05:00: it starts between 22:00 and midnight.
- A date of birth makes a carer under 18 a young worker (regs 5A, 6A, 10(2), 12(4)).

Every edit takes the version the screen saw and is refused when someone changed the row
since, naming the change (``errors.conflict_message``). The weekly figures kept for the
17-week averages (``CarerWeekHours``) follow a change of night time or of a date of birth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import Carer, CarerWeekHours, WorkingTimeSettings
from coordinator_tui.services import errors
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.rota.wtr import night_start_ok

NIGHT_START_DEFAULT = time(23, 0)
NIGHT_HOURS = 7
REFRESH_WEEKS = 18  # the 17-week reference period a night worker is inferred over, and one


class CarerWorkingTimeError(CoordinatorError):
    """A value the regulations (or the calendar) cannot take; the message says why."""


@dataclass(frozen=True)
class CarerWorkingTime:
    """One carer's working-time record as the form shows it."""

    carer_id: int
    version: int
    name: str
    date_of_birth: date | None
    night_worker: bool | None  # None: inferred from the last 17 weeks
    split_shift_exempt: bool
    special_hazards: bool
    young_night_contract: bool
    wtr_opt_out: bool


def carer_working_time(session: Session, carer_id: int) -> CarerWorkingTime:
    carer = session.get(Carer, carer_id)
    if carer is None:
        raise CarerWorkingTimeError("That carer no longer exists. Press F5 to reload.")
    return CarerWorkingTime(
        carer.id,
        carer.version,
        carer.name,
        carer.date_of_birth,
        carer.night_worker,
        carer.split_shift_exempt,
        carer.special_hazards,
        carer.young_night_contract,
        carer.wtr_opt_out,
    )


def update_carer_working_time(
    session: Session,
    carer_id: int,
    expected_version: int,
    *,
    today: date,
    date_of_birth: date | None,
    night_worker: bool | None,
    split_shift_exempt: bool,
    special_hazards: bool,
    young_night_contract: bool,
    wtr_opt_out: bool,
) -> int:
    """Write the carer's working-time record; returns the carer's new version."""
    carer = session.get(Carer, carer_id)
    errors.check_version(
        session,
        carer,
        "carer",
        expected_version,
        missing=CarerWorkingTimeError,
        gone="That carer no longer exists. Press F5 to reload.",
    )
    assert carer is not None
    if date_of_birth is not None:
        if date_of_birth > today:
            raise CarerWorkingTimeError("The date of birth cannot be in the future")
        if date_of_birth > today - timedelta(days=13 * 365):
            raise CarerWorkingTimeError(
                "That date of birth makes the carer under 13: check the year"
            )
    born_changed = carer.date_of_birth != date_of_birth
    carer.date_of_birth = date_of_birth
    carer.night_worker = night_worker
    carer.split_shift_exempt = split_shift_exempt
    carer.special_hazards = special_hazards
    carer.young_night_contract = young_night_contract
    carer.wtr_opt_out = wtr_opt_out
    session.flush()
    if born_changed:  # a young worker's daily rest is 12 hours: the weeks' figures follow
        _refresh_recent(session, today, carer_id)
    return carer.version


def _refresh_recent(session: Session, today: date, carer_id: int | None = None) -> None:
    """Work the kept weekly figures of the last 18 weeks out again (all carers', or one's)."""
    from coordinator_tui.services.rota import week_hours

    query = select(CarerWeekHours.carer_id, CarerWeekHours.week_start).where(
        CarerWeekHours.week_start >= today - timedelta(weeks=REFRESH_WEEKS)
    )
    if carer_id is not None:
        query = query.where(CarerWeekHours.carer_id == carer_id)
    week_hours.refresh(session, [(c, monday) for c, monday in session.execute(query).all()])


# -- the agency's night time -----------------------------------------------------------------


@dataclass(frozen=True)
class NightPeriod:
    """When night time starts and ends; ``version`` None while the default is in force."""

    start: time
    version: int | None

    @property
    def end(self) -> time:
        return time((self.start.hour + NIGHT_HOURS) % 24, self.start.minute)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def night_period(session: Session) -> NightPeriod:
    row = session.scalars(select(WorkingTimeSettings).limit(1)).first()
    if row is None:
        return NightPeriod(NIGHT_START_DEFAULT, None)
    return NightPeriod(row.night_start, row.version)


def parse_night_start(text: str) -> time:
    """``23:00``, ``2300`` or ``23``: a start between 22:00 and midnight (reg 2)."""
    raw = text.strip().replace(".", ":")
    if raw.isdigit() and len(raw) <= 2:
        raw = f"{raw}:00"
    elif raw.isdigit() and len(raw) == 4:
        raw = f"{raw[:2]}:{raw[2:]}"
    try:
        hour, minute = (int(part) for part in raw.split(":"))
        start = time(hour % 24, minute)
    except ValueError:
        raise CarerWorkingTimeError(f"Write the time as HH:MM, not '{text}'") from None
    if not night_start_ok(start.hour * 60 + start.minute):
        raise CarerWorkingTimeError(
            "Night time is 7 hours including midnight to 05:00 (WTR reg 2): it starts "
            "between 22:00 and 00:00"
        )
    return start


def set_night_start(
    session: Session, start: time, expected_version: int | None, *, today: date
) -> NightPeriod:
    """Set when night time starts; the weeks of the last 17 are worked out again, since
    which shifts count as night shifts (to infer a night worker) follows it."""
    if not night_start_ok(start.hour * 60 + start.minute):
        raise CarerWorkingTimeError("Night time starts between 22:00 and 00:00 (WTR reg 2)")
    row = session.scalars(select(WorkingTimeSettings).limit(1)).first()
    # None: the screen saw the default (no row yet); a row made since is a conflict.
    errors.check_version(session, row, "working_time_settings", expected_version, may_be_new=True)
    if row is None:
        row = WorkingTimeSettings(night_start=start)
        session.add(row)
    else:
        row.night_start = start
    session.flush()
    _refresh_recent(session, today)
    return NightPeriod(row.night_start, row.version)
