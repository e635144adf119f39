"""The person record: demographics, family and household, registrations.

Opened with ``enter`` from lists or from the command palette. The registers issue adds
concerns, referrals, meeting discussions and the chronology to it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from coordinator_tui.services.people import PersonSummary


def demographics(summary: PersonSummary, today) -> Table:
    from coordinator_tui.services.dates import format_date
    from coordinator_tui.services.people import age_on, format_nhs_number

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("NHS number", format_nhs_number(summary.nhs_number))
    table.add_row(
        "Born",
        f"{format_date(summary.date_of_birth)} (age {age_on(summary.date_of_birth, today)})",
    )
    table.add_row("Sex / gender", " / ".join(x for x in (summary.sex, summary.gender) if x) or "—")
    table.add_row("Address", f"{summary.address}  {summary.postcode}".strip() or "—")
    table.add_row("Practice", summary.practice or "—")
    if summary.case_summary:
        table.add_row("Case summary", summary.case_summary)
    return table


def registrations_table(summary: PersonSummary) -> Table | Text:
    from coordinator_tui.services.dates import format_date_short

    if not summary.registrations:
        return Text("Not on any safeguarding register.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for column in ("Register", "Status", "Risk", "From", "To / next review"):
        table.add_column(column, no_wrap=column != "Register")
    for reg in summary.registrations:
        ended = reg.status == "ended"
        until = (
            f"ended {format_date_short(reg.end_date)} ({reg.end_reason})"
            if ended and reg.end_date
            else f"review {format_date_short(reg.next_review_due)}"
            if reg.next_review_due
            else ""
        )
        table.add_row(
            reg.category,
            "ENDED" if ended else "ACTIVE",
            reg.risk_level.upper(),
            format_date_short(reg.start_date),
            until,
            style="dim" if ended else "",
        )
    return table


def relatives_table(summary: PersonSummary) -> Table | Text:
    from coordinator_tui.services.dates import format_date_short

    if not summary.relatives:
        return Text("No household members or family links recorded.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for column in ("Name", "Relationship", "Born", "Registers now"):
        table.add_column(column)
    for rel in summary.relatives:
        table.add_row(
            rel.name,
            rel.relationship,
            format_date_short(rel.date_of_birth),
            ", ".join(rel.registers) or "—",
        )
    return table


class PersonScreen(Screen):
    """One person's record. ``esc`` goes back to where it was opened from."""

    CSS_PATH = "person.tcss"
    HELP = (
        "The person record: demographics (NHS number shown 3 3 4), household and family "
        "with their own register status, and every registration past and present."
    )
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="person.back")]

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="person-body"):
            yield Static("Loading…", id="person-title")
            yield Static("", id="person-demographics")
            yield Static(Text("Registers", style="bold underline"), classes="person-heading")
            yield Static("", id="person-registrations")
            yield Static(
                Text("Household and family", style="bold underline"), classes="person-heading"
            )
            yield Static("", id="person-relatives")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="person")
    def load(self) -> None:
        from coordinator_tui.services.clock import local_today
        from coordinator_tui.services.people import person_summary

        with self.app.session() as session:  # type: ignore[attr-defined]
            summary = person_summary(session, self.person_id)
        self.app.call_from_thread(self.show, summary, local_today())

    def show(self, summary: PersonSummary | None, today) -> None:
        if summary is None:
            self.query_one("#person-title", Static).update("This person no longer exists.")
            return
        self.sub_title = summary.display_name
        self.query_one("#person-title", Static).update(Text(summary.display_name, style="bold"))
        self.query_one("#person-demographics", Static).update(demographics(summary, today))
        self.query_one("#person-registrations", Static).update(registrations_table(summary))
        self.query_one("#person-relatives", Static).update(relatives_table(summary))
