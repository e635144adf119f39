"""The words and shapes of referral tracking, light enough for a screen to import at start.

No database import here: the Referrals screen is built before the database layer is
loaded (startup time), so its labels, views, row type and error live in this module and
``services/referrals.py`` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from coordinator_tui.services.errors import ConflictError, CoordinatorError

ALL_PRACTICES = "All practices"
OPEN_STATES = ("drafted", "sent", "acknowledged", "awaiting_outcome", "outcome_received")

STATE_LABEL = {
    "drafted": "Drafted",
    "sent": "Sent",
    "acknowledged": "Acknowledged",
    "awaiting_outcome": "Awaiting outcome",
    "outcome_received": "Outcome received",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
}
OUTCOMES = {
    "no_further_action": "No further action",
    "advice_given": "Advice given",
    "early_help": "Early Help",
    "child_in_need": "Child in Need (s17)",
    "strategy_s47": "Strategy discussion / s47 enquiry",
    "initial_cp_conference": "Initial child protection conference",
    "s42_enquiry": "Section 42 enquiry",
    "marac_actions": "MARAC heard with actions",
    "other": "Other",
}
# The list's State column is narrow (the name needs the room at 80 columns).
STATE_SHORT = {
    **STATE_LABEL,
    "awaiting_outcome": "Outcome due",
    "outcome_received": "Outcome in",
}
CHASE_METHODS = ("phone", "email", "portal", "letter", "in person")
CONFERENCE_KIND = {
    "strategy": "Strategy discussion",
    "initial_cp": "Initial CP conference",
    "review_cp": "CP review conference",
    "s42_planning": "Section 42 planning meeting",
}
# What a child protection conference decided about the plan.
CONFERENCE_PLAN = {
    "made": "Child protection plan made",
    "none": "No child protection plan",
    "continues": "Plan continues",
    "ended": "Plan ended",
}


class ReferralError(CoordinatorError):
    """Bad input or a refused move; the message is for the coordinator."""


class ReferralConflictError(ReferralError, ConflictError):
    """The referral changed since it was loaded (the message names who changed what)."""


VIEWS = {
    "open": "All open",
    "mash": "Awaiting MASH decision",
    "outcome": "Awaiting outcome",
    "conference": "Case conference due",
    "escalation": "Escalation decision pending",
    "overdue": "Overdue",
    "closed": "Closed",
}


class ReferralRow(NamedTuple):
    """One line of the Referrals list: what the coordinator sorts, filters and acts on.

    A named tuple, not a frozen dataclass: the list is thousands of rows read at once
    when the section opens, and a frozen dataclass costs five times as much to build
    (4 ms for the 3,600 open referrals of the large demo)."""

    id: int
    version: int
    person_id: int
    given_name: str
    family_name: str
    nhs_number: str
    referral_type: str
    state: str
    chase_by: date | None
    practice: str
    outcome_type: str
    last_chased_on: date | None = None

    def is_overdue(self, today: date) -> bool:
        return self.state in OPEN_STATES and self.chase_by is not None and self.chase_by < today


@dataclass(frozen=True)
class ReferralFigures:
    """Figures for one referral type at one practice (or ``ALL_PRACTICES``)."""

    referral_type: str
    practice: str
    made_this_month: int
    median_days_to_outcome: float | None
    open_now: int
    overdue_now: int

    @property
    def overdue_pct(self) -> float | None:
        return 100 * self.overdue_now / self.open_now if self.open_now else None
