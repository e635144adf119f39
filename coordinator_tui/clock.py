"""Time zones: stored in UTC, shown in UK local time (GMT/BST)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (the storage convention of this app). Here, not
    in ``models.base``, so that what runs before the first frame (the demo's sign-in,
    ``services.access``) can read the clock without importing every table: the models
    take about 0.7 s to import, which the app pays after its first frame."""
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """A stored (UTC) timestamp as UK wall-clock time; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(UK)


def local_today() -> date:
    """Today's date in the UK, whatever zone the machine is set to."""
    return datetime.now(UK).date()


MOMENT_KEY = "coordinator_moment"
"""``session.info`` key: the coordinator's moment for this unit of work (the app's and the
command line's ``Settings.current_moment()``: pinned in demos and tests, else now)."""


def moment_of(info: Mapping[str, Any]) -> datetime:
    """The moment a unit of work is done at (``info`` is ``session.info``): the one its
    opener put there, else now. Rules that depend on the hour (a care change still to be
    acknowledged two hours before a visit) read it, so the demo's pinned week reads the
    same whenever it is opened, on the screen, in ``rota check`` and in every service."""
    moment = info.get(MOMENT_KEY)
    return moment if isinstance(moment, datetime) else datetime.now(UK)


def start_of_day(day: date) -> datetime:
    """Midnight UK time at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=UK)
