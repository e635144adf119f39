"""A referral's history: every change of state with who and when, every chase, the
outcome, and the person's key facts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from coordinator_tui.screens.type_ahead import PassesStrayKeys
from coordinator_tui.services.referral_terms import OPEN_STATES, OUTCOMES, STATE_LABEL
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.services.referrals import ReferralDetail


def detail_renderables(detail: ReferralDetail, today: date | None = None) -> list:
    from coordinator_tui.services.clock import to_local
    from coordinator_tui.services.people import format_nhs_number

    r = detail.referral
    today = date.today() if today is None else today
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Person", f"{detail.person_name}  {format_nhs_number(detail.nhs_number)}")
    facts.add_row(
        "Type", r.referral_type.replace("_", " ") + (f" · {r.agency}" if r.agency else "")
    )
    facts.add_row("State", STATE_LABEL.get(r.state, r.state))
    overdue = r.state in OPEN_STATES and r.chase_by is not None and r.chase_by < today
    facts.add_row(
        "Chase by",
        Text.assemble(
            f"{r.chase_by:%d/%m/%Y}" if r.chase_by else "—",
            (" OVERDUE", "bold red") if overdue else "",
            " (set by hand)" if r.chase_by_overridden and r.chase_by else "",
        ),
    )
    facts.add_row("Reason", r.reason or "—")
    if r.dash_score is not None:
        risk = "HIGH RISK (14+)" if r.dash_score >= 14 else "below the high-risk threshold"
        facts.add_row("DASH", f"{r.dash_score} ticks — {risk}")
    if r.outcome_type:
        facts.add_row(
            "Outcome", f"{OUTCOMES.get(r.outcome_type, r.outcome_type)}. {r.outcome_notes}"
        )
    if r.marac_date:
        facts.add_row("MARAC date", f"{r.marac_date:%a %d %b %Y}")
    person = detail.person
    if person is not None:
        from coordinator_tui.services.people import age_on

        current = [g.category for g in person.registrations if g.status == "active"]
        facts.add_row(
            "Born",
            f"{person.date_of_birth:%d/%m/%Y} (age {age_on(person.date_of_birth, today)})"
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
                    + (f" · drafted {drafted:%d/%m/%Y}" if drafted else "")
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
            f"{to_local(event.at):%d/%m/%Y %H:%M}",
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
                f"{to_local(chase.chased_at):%d/%m/%Y %H:%M}",
                chase.by,
                chase.method,
                chase.to_whom,
                chase.note,
                f"{chase.next_chase_by:%d/%m/%Y}" if chase.next_chase_by else "",
            )
    else:
        chases = Text("Not chased yet.", style="dim")
    return [facts, history, chases]


class ReferralDetailScreen(PassesStrayKeys, Screen):
    CSS_PATH = "referrals.tcss"
    HELP = __doc__
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="referral.back"),
        Binding("p", "person", "Open person", id="referral.person"),
    ]

    def __init__(self, referral_id: int) -> None:
        super().__init__()
        self.referral_id = referral_id
        self.detail: ReferralDetail | None = None

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

        with self.app.session() as session:  # type: ignore[attr-defined]
            detail = referral_detail(session, self.referral_id)
        self.app.call_from_thread(self.show, detail)

    def show(self, detail: ReferralDetail | None) -> None:
        self.detail = detail
        if detail is None:
            self.query_one("#referral-facts", Static).update("This referral no longer exists.")
            return
        today = self.app.settings.current_date()  # type: ignore[attr-defined]
        facts, history, chases = detail_renderables(detail, today)
        self.query_one("#referral-facts", Static).update(facts)
        self.query_one("#referral-history", Static).update(history)
        self.query_one("#referral-chases", Static).update(chases)

    def action_person(self) -> None:
        if self.detail:
            self.app.open_person(self.detail.referral.person_id)  # type: ignore[attr-defined]
