"""One incident, or one complaint, in full: what happened, every triage decision with who
and when, the actions and their owners, the Duty of Candour state, what closing still
needs; a complaint's timeline. The list's keys act on the record here too, and the
screen reads it again after each save. ``esc`` goes back to the list."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from coordinator_tui.formatting import day_date, day_datetime, uk_date, uk_datetime
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.governance.actions import (
    COMPLAINT_ACTIONS,
    GOVERNANCE_BINDINGS,
    INCIDENT_ACTIONS,
    GovernanceActions,
)
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker

if TYPE_CHECKING:
    from coordinator_tui.services.governance.complaints import ComplaintRow, ComplaintTiming
    from coordinator_tui.services.governance.incidents import IncidentDetail, IncidentRow


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid


def incident_renderables(detail: IncidentDetail, today: date) -> list[Any]:
    """The incident's facts, its triage decisions, its actions (for its screen)."""
    from coordinator_tui.clock import to_local
    from coordinator_tui.services.governance.candour import is_overdue, missing_elements
    from coordinator_tui.services.governance.terms import (
        CQC_NOTIFICATIONS,
        HARM_LEVELS,
        INCIDENT_KINDS,
        NOTIFIABLE_THRESHOLDS,
        TRIAGE_QUESTIONS,
        label,
    )

    i = detail.incident
    facts = _grid()
    facts.add_row("Incident", f"INC-{i.id} · {label(INCIDENT_KINDS, i.kind)}")
    facts.add_row("Harm", label(HARM_LEVELS, i.severity))
    facts.add_row(
        "When",
        f"happened {day_datetime(to_local(i.occurred_at))} · found "
        f"{uk_datetime(to_local(i.reported_at))}"
        + (f" · logged by {i.logged_by}" if i.logged_by else ""),
    )
    who = " · ".join(
        part
        for part in (
            f"customer {detail.customer}" if detail.customer else "",
            f"carer {detail.carer}" if detail.carer else "",
            f"visit {detail.visit}" if detail.visit else "",
        )
        if part
    )
    facts.add_row("Who", who or "—")
    facts.add_row("What happened", i.description or "—")
    facts.add_row("Immediate action", i.immediate_action or "—")
    status = (
        "closed"
        if i.status == "closed"
        else ("awaiting triage" if i.triaged_at is None else "open")
    )
    if i.status == "closed" and i.closed_at:
        status += f" {uk_date(to_local(i.closed_at))} by {i.closed_by}"
    facts.add_row("Status", status)
    if i.triaged_at is not None:
        facts.add_row(
            "Notifiable",
            label(NOTIFIABLE_THRESHOLDS, i.notifiable_reason) if i.notifiable else "no",
        )
        facts.add_row(
            "CQC", label(CQC_NOTIFICATIONS, i.cqc_notification) if i.cqc_notification else "no"
        )
    facts.add_row("Cause", i.cause or Text("not recorded", style="dim"))
    facts.add_row("Learning", i.learning or Text("not recorded", style="dim"))
    if i.no_action_reason:
        facts.add_row("No action because", i.no_action_reason)
    record = detail.candour
    if record is not None and record.status != "not_required":
        if record.status == "complete":
            words = Text(f"complete {uk_date(record.completed_on)}", style="green")
        else:
            missing = missing_elements(record)
            late = is_overdue(record, today)
            if record.notified_on is not None:
                first = (f"notified in person {uk_date(record.notified_on)}", "")
            else:
                first = (
                    f"notify in person by {uk_date(record.due_on)}",
                    "bold red" if late else "",
                )
            words = Text.assemble(first, f" · {8 - len(missing)} of 8 elements recorded (c)")
        facts.add_row("Duty of Candour", words)
    if detail.missing:
        facts.add_row(
            "To close",
            Text("still needs " + "; ".join(detail.missing), style="yellow"),
        )
    decisions: Table | Text
    if detail.decisions:
        decisions = Table(
            expand=True, show_edge=False, pad_edge=False, title="Triage", title_justify="left"
        )
        for column in ("When", "By", "Question", "Decided"):
            decisions.add_column(column)
        for d in detail.decisions:
            decided = d.answer
            if d.detail:
                table = {"notifiable": NOTIFIABLE_THRESHOLDS, "cqc": CQC_NOTIFICATIONS}.get(
                    d.question, {}
                )
                decided += f": {label(table, d.detail)}"
            decisions.add_row(
                f"{uk_datetime(to_local(d.at))}",
                d.by,
                TRIAGE_QUESTIONS.get(d.question, d.question),
                decided,
            )
    else:
        decisions = Text("Not triaged yet (t).", style="dim")
    actions: Table | Text
    if detail.actions:
        actions = Table(
            expand=True, show_edge=False, pad_edge=False, title="Actions", title_justify="left"
        )
        for column in ("Due", "Owner", "Action", "State"):
            actions.add_column(column)
        for a in detail.actions:
            late = a.is_overdue(today)
            actions.add_row(
                Text(f"{uk_date(a.due)}" if a.due else "", style="bold red" if late else ""),
                a.owner,
                a.description,
                "OVERDUE" if late else a.status,
            )
    else:
        actions = Text("No actions yet (a).", style="dim")
    return [facts, decisions, actions]


class _RecordScreen(GovernanceActions, CoordinatorScreen):
    """What an incident's and a complaint's screens share."""

    CSS_PATH = "governance.tcss"
    AREA = ""
    THEME_KIND = ""  # the record kind a learning theme goes on (issue 16 §4)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="gov-record"):
            yield Static("Loading…", id="gov-record-facts")
            yield Static("", id="gov-record-history")
            yield Static("", id="gov-record-more")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def governance_saved(self, select_id: int | None = None) -> None:
        self.load(hold_keys=True)  # keys typed meanwhile act on the record read again

    def load(self, *, hold_keys: bool = False) -> None:
        """Read the record again, off the UI thread; only the newest read asked for is
        shown (two saves' reloads can overlap: the older, landing last, would show the
        record as it was before the second save). ``hold_keys`` (after a save): the keys
        typed from now on act on the record read, or on a newer read's (``read_landed``)."""
        self._read_record(self.read_asked(hold_keys=hold_keys))

    def _read_record(self, read: int) -> None:  # pragma: no cover - each screen has its own
        raise NotImplementedError

    def action_themes(self) -> None:
        """``T``: add a learning theme to this record (Reports, 7, then t counts them)."""
        from coordinator_tui.screens.reports.themes import add_theme_dialog

        if self.row is not None:
            kind = self.THEME_KIND
            add_theme_dialog(self.app, kind, self.row.id, f"{kind.title()} {self.row.id}")

    def _show(self, parts: list[Any]) -> None:
        for widget_id, part in zip(
            ("#gov-record-facts", "#gov-record-history", "#gov-record-more"), parts, strict=False
        ):
            self.query_one(widget_id, Static).update(part)


class IncidentScreen(_RecordScreen):
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="incident.back"),
        Binding("T", "themes", "Themes", show=False, id="incident.themes"),
        *[b for b in GOVERNANCE_BINDINGS if b.action in INCIDENT_ACTIONS],
    ]

    THEME_KIND = "incident"

    def __init__(self, row: IncidentRow) -> None:
        super().__init__()
        self.row: IncidentRow | None = row
        self.detail: IncidentDetail | None = None

    def incident_target(self) -> IncidentRow | None:
        return self.row

    @work(thread=True, exclusive=True, group="incident-record")
    def _read_record(self, read: int) -> None:
        from coordinator_tui.services.governance.incidents import incident_detail, incident_row

        assert self.row is not None
        with self.coordinator.session() as session:
            row = incident_row(session, self.row.id, self.today)
            detail = incident_detail(session, self.row.id) if row is not None else None
        call_from_worker(self, self.show, read, row, detail)

    def show(self, read: int, row: IncidentRow | None, detail: IncidentDetail | None) -> None:
        if not self.read_landed(read):
            return  # overtaken by a newer read (a second save's): its record follows
        self.sub_title = "Incident"
        self.read_shown()  # the keys typed while a save's reload ran act on this record
        if row is None or detail is None:
            self.query_one("#gov-record-facts", Static).update("This incident no longer exists.")
            return
        self.row, self.detail = row, detail
        self._show(incident_renderables(detail, self.today))


class ComplaintScreen(_RecordScreen):
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="complaint.back"),
        Binding("T", "themes", "Themes", show=False, id="complaint.themes"),
        *[b for b in GOVERNANCE_BINDINGS if b.action in COMPLAINT_ACTIONS],
    ]

    THEME_KIND = "complaint"

    def __init__(self, row: ComplaintRow) -> None:
        super().__init__()
        self.row: ComplaintRow | None = row
        self.steps: list[Any] = []

    def complaint_target(self) -> ComplaintRow | None:
        return self.row

    @work(thread=True, exclusive=True, group="complaint-record")
    def _read_record(self, read: int) -> None:
        from coordinator_tui.services.governance.complaints import (
            complaint_row,
            complaint_texts,
            complaint_timing,
            timeline,
        )

        assert self.row is not None
        with self.coordinator.session() as session:
            row = complaint_row(session, self.row.id)
            steps = timeline(session, self.row.id)
            texts = complaint_texts(session, self.row.id)
            timing = complaint_timing(session, self.row.id)
        call_from_worker(self, self.show, read, row, steps, texts, timing)

    def show(
        self,
        read: int,
        row: ComplaintRow | None,
        steps: list[Any],
        texts: tuple[str, ...],
        timing: ComplaintTiming | None = None,
    ) -> None:
        from coordinator_tui.services.governance.complaints import step_label
        from coordinator_tui.services.governance.terms import COMPLAINT_CHANNELS, COMPLAINT_OUTCOMES

        if not self.read_landed(read):
            return  # overtaken by a newer read (a second save's): its record follows
        self.sub_title = "Complaint"
        self.read_shown()  # the keys typed while a save's reload ran act on this record
        if row is None:
            self.query_one("#gov-record-facts", Static).update("This complaint no longer exists.")
            return
        self.row, self.steps = row, steps
        summary, wanted, relation, learning = texts
        today = self.today
        facts = _grid()
        facts.add_row("Complaint", f"CMP-{row.id} · {row.stage()}")
        facts.add_row(
            "From",
            row.complainant
            + (f" ({relation})" if relation else "")
            + f" · {COMPLAINT_CHANNELS.get(row.channel, row.channel)}",
        )
        about = " / ".join(p for p in (row.customer, row.carer) if p)
        facts.add_row("About", about or "—")
        facts.add_row("Received", day_date(row.received_on))
        if timing is not None:
            # The time limit runs from the later of the two (SI 2009/309 reg 12(1)).
            facts.add_row(
                "What happened on",
                day_date(timing.event_date) if timing.event_date else "not recorded",
            )
            facts.add_row(
                "They knew of it on",
                day_date(timing.known_on) if timing.known_on else "not recorded",
            )
            if timing.late:
                facts.add_row("Time limit", Text(timing.late, style="bold yellow"))
        facts.add_row("Complaint", summary or "—")
        facts.add_row("Outcome wanted", wanted or "—")
        ack = (
            f"acknowledged {uk_date(row.acknowledged_on)}"
            if row.acknowledged_on
            else f"due by {uk_date(row.acknowledge_due)}"
            if row.acknowledge_due
            else "—"
        )
        facts.add_row(
            "Acknowledgement",
            Text(
                ack + (" LATE" if row.acknowledge_overdue(today) else ""),
                style="bold red" if row.acknowledge_overdue(today) else "",
            ),
        )
        reply = (
            f"sent {uk_date(row.response_sent_on)}"
            if row.response_sent_on
            else f"due by {uk_date(row.response_due)}"
            if row.response_due
            else "—"
        )
        facts.add_row(
            "Response",
            Text(
                reply + (" LATE" if row.response_overdue(today) else ""),
                style="bold red" if row.response_overdue(today) else "",
            ),
        )
        if row.outcome:
            facts.add_row("Conclusion", COMPLAINT_OUTCOMES.get(row.outcome, row.outcome))
        facts.add_row("Ombudsman", "PHSO (NHS-funded care)" if row.nhs_funded else "LGSCO")
        if learning:
            facts.add_row("Learning", learning)
        timeline = Table(
            expand=True, show_edge=False, pad_edge=False, title="Timeline", title_justify="left"
        )
        for column in ("On", "Step", "By", "Note"):
            timeline.add_column(column)
        for step in steps:
            note = step.note
            if step.kind == "extension" and step.told_on:
                note += f" (told {uk_date(step.told_on)})"
            timeline.add_row(f"{uk_date(step.on)}", step_label(step.kind), step.by, note)
        self._show([facts, timeline, ""])
