"""The agency's own governance settings: its name for letters, its limit for the Duty of
Candour notification, its usual complaint response period.

Kept in the database (one row of ``governance_settings``), not in a user's settings file,
so every coordinator of the agency works to the same limits; no row means the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models.governance import GovernanceSettings
from coordinator_tui.services.governance import GovernanceError, check_version
from coordinator_tui.services.governance.clocks import (
    CANDOUR_LIMIT_DEFAULT,
    RESPONSE_MONTHS_DEFAULT,
)

DEFAULT_AGENCY_NAME = "The agency"
CANDOUR_LIMIT_RANGE = (1, 30)
RESPONSE_MONTHS_RANGE = (1, 12)


@dataclass(frozen=True)
class AgencySettings:
    """The settings in force (``version`` None: the defaults, nothing saved yet)."""

    agency_name: str = DEFAULT_AGENCY_NAME
    candour_limit_days: int = CANDOUR_LIMIT_DEFAULT
    response_months: int = RESPONSE_MONTHS_DEFAULT
    version: int | None = None
    late_minutes: int = 30
    """Late: a visit started more than this many minutes after planned (commissioners'
    usual figure; some use 15)."""
    short_percent: int = 75
    """Short: a visit under this share of its planned length."""
    missed_after: time = time(23, 0)
    """Missed: not started by this time on its day."""


_FIRST_ROW = select(GovernanceSettings).order_by(GovernanceSettings.id).limit(1)
"""Built once: the day's visits read the settings every minute."""


def _row(session: Session) -> GovernanceSettings | None:
    return session.scalars(_FIRST_ROW).first()


def agency_settings(session: Session) -> AgencySettings:
    """The agency's settings, or the defaults when none are saved."""
    row = _row(session)
    if row is None:
        return AgencySettings()
    return AgencySettings(
        row.agency_name or DEFAULT_AGENCY_NAME,
        row.candour_limit_days,
        row.response_months,
        row.version,
        row.late_minutes,
        row.short_percent,
        row.missed_after,
    )


def save_agency_settings(
    session: Session,
    expected_version: int | None,
    *,
    agency_name: str,
    candour_limit_days: int,
    response_months: int,
    late_minutes: int | None = None,
    short_percent: int | None = None,
) -> AgencySettings:
    """Save the settings (refused if a colleague saved others since they were read)."""
    low, high = CANDOUR_LIMIT_RANGE
    if not low <= candour_limit_days <= high:
        raise GovernanceError(f"The candour limit is a number of working days from {low} to {high}")
    low, high = RESPONSE_MONTHS_RANGE
    if not low <= response_months <= high:
        raise GovernanceError(f"The response period is {low} to {high} months")
    row = _row(session)
    if row is None:
        if expected_version is not None:
            raise GovernanceError("The settings were removed since you read them; press F5")
        row = GovernanceSettings()
        session.add(row)
    else:
        check_version(session, row, "governance_settings", expected_version)
    row.agency_name = agency_name.strip()[:120]
    row.candour_limit_days = candour_limit_days
    row.response_months = response_months
    if late_minutes is not None:
        if not 1 <= late_minutes <= 240:
            raise GovernanceError("Late is a number of minutes from 1 to 240")
        row.late_minutes = late_minutes
    if short_percent is not None:
        if not 10 <= short_percent <= 100:
            raise GovernanceError("Short is a share of the planned length from 10 to 100%")
        row.short_percent = short_percent
    session.flush()
    return agency_settings(session)
