"""Sections whose own issue is not built yet: they say what they will hold, and show
no made-up data. Each is replaced by the real screen when its issue is done (the README
lists which)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from coordinator_tui.screens.base import SectionScreen


@dataclass(frozen=True)
class Plan:
    mode: str
    title: str
    purpose: str
    will_hold: tuple[str, ...]


PLANS: dict[str, Plan] = {
    plan.mode: plan
    for plan in (
        Plan(
            "registers",
            "Registers",
            "Review every adult and child safeguarding register at least monthly, by keyboard.",
            (
                "A review queue across the four practices: overdue first, then by risk and date",
                "One key per action: reviewed, snooze, escalate, change, end, add, undo",
                "Filters by practice, category, lead, risk and status; `/` to filter as you type",
                "Concern intake and one-key triage; untriaged concerns listed here",
                "Review compliance per practice and category",
            ),
        ),
        Plan(
            "referrals",
            "Referrals",
            "Track every MASH, MARAC, MARF, Section 42 and Early Help referral to an outcome.",
            (
                "Views: all open, awaiting MASH decision, awaiting outcome, case conference due, "
                "escalation pending, overdue, closed",
                "Chase-by dates in working days (England and Wales bank holidays)",
                "Chasing with who, how and to whom; outcomes that lead to register changes",
                "Figures per type and practice: made this month, median days to outcome",
            ),
        ),
        Plan(
            "meetings",
            "Meetings",
            "Run safeguarding meetings: agenda, pre-meeting triage, live minuting, actions.",
            (
                "Meeting series with recurrence, attendees and apologies",
                "Invitations as iCalendar files that carry no patient identifiers",
                "An agenda proposed from what happened since the last meeting, triaged by key",
                "Live minuting with actions typed in one line, saved as you type",
                "An action tracker: chase, done, reassign, re-date",
            ),
        ),
        Plan(
            "rota",
            "Rota",
            "Build and repair the homecare week's rota by keyboard, with live validation.",
            (
                "A grid of carers by day with visit counts, hours and the worst problem",
                "Assigning unassigned visits from ranked carers; swap and unassign",
                "Validation: travel time, skills, double-ups, Working Time Regulations 1998",
                "Plan B / Plan C cover when a carer is off sick",
                "Continuity of carer, travel time and hours against contract",
            ),
        ),
        Plan(
            "governance",
            "Governance",
            "Keep incidents, Duty of Candour, complaints and medication changes in order.",
            (
                "Incident log with Duty of Candour steps (Regulation 20) and their dates",
                "Complaints acknowledged within 3 working days, with outcome and learning",
                "Medication changes verified, recorded and cascaded to carers",
                "Coding audit of safeguarding registers against the clinical codes",
            ),
        ),
        Plan(
            "reports",
            "Reports",
            "Standardised reports and CQC evidence for the practices and the PCN.",
            (
                "Register review compliance, referral timeliness and meeting action completion",
                "Homecare KPIs: late and missed visits, continuity %",
                "Exports to XLSX and Markdown, with no patient identifiers where they may leave",
            ),
        ),
    )
}


class PlannedScreen(SectionScreen):
    """A section not built yet: what it is for and what it will hold. No data shown."""

    CSS_PATH = "planned.tcss"

    def __init__(self, mode: str) -> None:
        self.MODE = mode
        self.plan = PLANS[mode]
        self.HELP = f"{self.plan.title} is not built yet. {self.plan.purpose}"
        super().__init__(id=f"planned-{mode}")

    def compose_body(self) -> ComposeResult:
        lines = "\n".join(f"- {item}" for item in self.plan.will_hold)
        with VerticalScroll(id="planned-body"):
            yield Markdown(
                f"## {self.plan.title} — not built yet\n\n{self.plan.purpose}\n\n"
                f"This screen will hold:\n\n{lines}\n\n"
                "Until then, use `1`–`7` to move between sections and `ctrl+p` to find a person."
            )
