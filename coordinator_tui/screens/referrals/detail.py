"""A referral's history: every change of state with who and when, every chase, the
outcome, its case conferences (the next review due), and the person's key facts.

The list's keys act on this referral here too (``s`` step on, ``o`` outcome, ``f``
follow-on, ``c`` chase, ``d`` chase-by date, ``w`` withdraw, ``h`` conference held); the
screen reads the referral again after each save. ``p`` opens the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date, uk_datetime
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.referrals.referrals import REFERRAL_BINDINGS, ReferralActions
from coordinator_tui.services.referral_terms import (
    CONFERENCE_KIND,
    OUTCOMES,
    STATE_LABEL,
    ReferralRow,
)
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker

if TYPE_CHECKING:
    from coordinator_tui.services.referrals import ReferralDetail

# On this screen the footer has room for the keys used most (it must fit 80 columns).
SHOWN_HERE = {"step": "Step", "outcome": "Outcome", "chase": "Chase", "conference_held": "Held"}


def detail_renderables(detail: ReferralDetail, today: date) -> list:
    """The facts, history and chases of a referral as on ``today``: the coordinator's
    pinned date (``CoordinatorScreen.today``), never the machine's."""
    from coordinator_tui.clock import to_local
    from coordinator_tui.services.people import format_nhs_number
    from coordinator_tui.services.referrals import chase_overdue, review_overdue

    r = detail.referral
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Person", f"{detail.person_name}  {format_nhs_number(detail.nhs_number)}")
    facts.add_row(
        "Type", r.referral_type.replace("_", " ") + (f" · {r.agency}" if r.agency else "")
    )
    facts.add_row("State", STATE_LABEL.get(r.state, r.state))
    overdue = chase_overdue(r, today)
    facts.add_row(
        "Chase by",
        Text.assemble(
            uk_date(r.chase_by) if r.chase_by else "—",
            (" OVERDUE", "bold red") if overdue else "",
            " (set by hand)" if r.chase_by_overridden and r.chase_by else "",
            " (outcome in: nothing awaited)"
            if r.state == "outcome_received" and not r.chase_by
            else "",
        ),
    )
    if r.last_chased_on:
        facts.add_row("Last chased", uk_date(r.last_chased_on))
    facts.add_row("Reason", r.reason or "—")
    if r.dash_score is not None:
        risk = "HIGH RISK (14+)" if r.dash_score >= 14 else "below the high-risk threshold"
        facts.add_row("DASH", f"{r.dash_score} ticks — {risk}")
    if r.outcome_type:
        label = OUTCOMES.get(r.outcome_type, r.outcome_type)
        facts.add_row("Outcome", f"{label}. {r.outcome_notes}" if r.outcome_notes else label)
    if r.marac_date:
        facts.add_row("MARAC date", f"{r.marac_date:%a %d %b %Y}")
    if r.strategy_discussion_on:
        facts.add_row("Strategy discussion", uk_date(r.strategy_discussion_on))
    if detail.conferences:
        facts.add_row("Conferences", conference_lines(detail, today))
        if detail.next_review_due:
            late = review_overdue(detail, today)
            facts.add_row(
                "Next review",
                Text.assemble(
                    f"CP review conference due by {uk_date(detail.next_review_due)}",
                    (" OVERDUE", "bold red") if late else "",
                ),
            )
    person = detail.person
    if person is not None:
        from coordinator_tui.services.people import age_on

        current = [g.category for g in person.registrations if g.status == "active"]
        facts.add_row(
            "Born",
            f"{uk_date(person.date_of_birth)} (age {age_on(person.date_of_birth, today)})"
            + (f" · {person.practice}" if person.practice else ""),
        )
        facts.add_row("Registers", ", ".join(current) or "none current")
        household = [
            f"{rel.name} ({rel.relationship}"
            + (f"; {', '.join(rel.registers)})" if rel.registers else ")")
            for rel in person.relatives
        ]
        if household:
            facts.add_row("Family", Text("\n".join(household)))
    if detail.other_referrals:
        facts.add_row(
            "Other referrals",
            Text(
                "\n".join(
                    f"{kind.replace('_', ' ')} · {STATE_LABEL.get(state, state)}"
                    + (f" · drafted {uk_date(drafted)}" if drafted else "")
                    for kind, state, drafted in detail.other_referrals[:5]
                )
            ),
        )
    history = Table(
        expand=True, show_edge=False, pad_edge=False, title="History", title_justify="left"
    )
    for column in ("When", "By", "From", "To", "Note"):
        history.add_column(column)
    for event in detail.events:
        history.add_row(
            uk_datetime(to_local(event.at)),
            event.by,
            STATE_LABEL.get(event.from_state, event.from_state),
            STATE_LABEL.get(event.to_state, event.to_state),
            event.note,
        )
    chases: Table | Text
    if detail.chases:
        chases = Table(
            expand=True, show_edge=False, pad_edge=False, title="Chases", title_justify="left"
        )
        for column in ("When", "By", "How", "To whom", "Note", "Next chase by"):
            chases.add_column(column)
        for chase in detail.chases:
            chases.add_row(
                uk_datetime(to_local(chase.chased_at)),
                chase.by,
                chase.method,
                chase.to_whom,
                chase.note,
                uk_date(chase.next_chase_by) if chase.next_chase_by else "",
            )
    else:
        chases = Text("Not chased yet.", style="dim")
    return [facts, history, chases]


def conference_lines(detail: ReferralDetail, today: date) -> Text:
    """One line per case conference: due, or held with what it decided."""
    from coordinator_tui.services.referrals import conference_overdue

    text = Text()
    for index, c in enumerate(detail.conferences):
        if index:
            text.append("\n")
        text.append(CONFERENCE_KIND.get(c.kind, c.kind.replace("_", " ")))
        if c.held_on:
            text.append(f" · held {uk_date(c.held_on)}")
            if c.outcome:
                text.append(f": {c.outcome}")
        else:
            text.append(f" · due by {uk_date(c.due_date)}")
            if conference_overdue(c, today):
                text.append(" OVERDUE", style="bold red")
    return text


class ReferralDetailScreen(ReferralActions, CoordinatorScreen):
    CSS_PATH = "referrals.tcss"
    HELP = __doc__
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="referral.back"),
        Binding("p", "person", "Person", id="referral.person"),
        *[
            Binding(
                b.key,
                b.action,
                SHOWN_HERE.get(b.action, b.description),
                show=b.action in SHOWN_HERE,
                id=f"referral.{b.action}",
            )
            for b in REFERRAL_BINDINGS
        ],
    ]

    def __init__(self, referral_id: int, row: ReferralRow | None = None) -> None:
        """``row``: the referral as the list showed it, so that keys typed while this
        screen is still reading it ("enter c note ctrl+s" in one go) act on it at once."""
        super().__init__()
        self.referral_id = referral_id
        self.detail: ReferralDetail | None = None
        self.row = row

    def referral_target(self) -> ReferralRow | None:
        if self.detail is not None and self.detail.row is not None:
            return self.detail.row
        if self.row is None:
            self.notify("The referral is still loading", severity="warning")
        return self.row

    def referral_saved(self, row: ReferralRow, move_on: bool = True) -> Callable[[], None]:
        return self.load

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="referral-detail"):
            yield Static("Loading…", id="referral-facts")
            yield Static("", id="referral-history")
            yield Static("", id="referral-chases")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Referral"
        self.load()

    @work(thread=True, exclusive=True, group="referral-detail")
    def load(self) -> None:
        from coordinator_tui.services.referrals import referral_detail

        with self.coordinator.session() as session:
            detail = referral_detail(session, self.referral_id)
        call_from_worker(self, self.show, detail)

    def show(self, detail: ReferralDetail | None) -> None:
        self.detail = detail
        if detail is None:
            self.query_one("#referral-facts", Static).update("This referral no longer exists.")
            return
        facts, history, chases = detail_renderables(detail, self.today)
        self.query_one("#referral-facts", Static).update(facts)
        self.query_one("#referral-history", Static).update(history)
        self.query_one("#referral-chases", Static).update(chases)

    def action_person(self) -> None:
        if self.detail:
            self.coordinator.open_person(self.detail.referral.person_id)
