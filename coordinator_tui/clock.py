"""Time zones: stored in UTC, shown in UK local time (GMT/BST)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def to_local(moment: datetime) -> datetime:
    """A stored (UTC) timestamp as UK wall-clock time; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(UK)


def local_today() -> date:
    """Today's date in the UK, whatever zone the machine is set to."""
    return datetime.now(UK).date()


def start_of_day(day: date) -> datetime:
    """Midnight UK time at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=UK)
