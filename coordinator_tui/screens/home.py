"""Home: what needs attention today, each count a link to the list behind it, and a
meeting left in progress first of all, one key from its minuting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.widgets.from_worker import call_from_worker

if TYPE_CHECKING:
    # Type only: what the first frame imports stays small (the counts come in a worker).
    from coordinator_tui.services.home_counts import DashboardCounts


@dataclass(frozen=True)
class CountLine:
    """One line of the dashboard: which count, what it means, where enter goes (and,
    for Registers and Governance, which view: the list behind the count holds what the
    count counts)."""

    key: str
    label: str
    target: str
    urgent: bool = False
    view: str = ""


LINES: tuple[CountLine, ...] = (
    CountLine("reviews_overdue", "Register reviews overdue", "registers", True, "overdue"),
    CountLine(
        "reviews_due_soon",
        "Register reviews due in the next {horizon} days",
        "registers",
        False,
        "due",
    ),
    CountLine("escalations", "Escalated to the safeguarding lead", "registers", True, "escalated"),
    CountLine("untriaged_concerns", "Concerns awaiting triage", "registers", True, "concerns"),
    CountLine("referrals_awaiting_outcome", "Referrals awaiting an outcome", "referrals"),
    CountLine("referrals_overdue", "Referrals overdue (past chase-by date)", "referrals", True),
    CountLine("actions_open", "Meeting actions open", "meetings"),
    CountLine("actions_overdue", "Meeting actions overdue", "meetings", urgent=True),
    CountLine("unassigned_visits_week", "Visits unassigned this week", "rota", urgent=True),
    CountLine("incidents_awaiting_triage", "Incidents awaiting triage", "governance", True),
    CountLine("candour_overdue", "Duty of Candour steps overdue", "governance", True),
    CountLine("incident_actions_overdue", "Incident actions overdue", "governance", True, "chase"),
    CountLine("complaints_to_acknowledge", "Complaints to acknowledge", "governance", True),
    CountLine("visits_missed_today", "Visits missed or not checked in today", "governance", True),
)

TARGET_LABELS = {
    "registers": "2 Registers",
    "referrals": "3 Referrals",
    "meetings": "4 Meetings",
    "rota": "5 Rota",
    "governance": "6 Governance",
}


def render_line(line: CountLine, counts: DashboardCounts | None, width: int = 46) -> Text:
    """A dashboard row: a status word as well as colour, so it reads without colour."""
    label = line.label.format(horizon=counts.horizon_days if counts else 14)
    text = Text(no_wrap=True, overflow="ellipsis")
    if counts is None:
        text.append("  ")
        text.append(f"{label:<{width}}")
        text.append(f"{'…':>6}", style="dim")
    elif line.key in counts.hidden:  # not for this role (issue 17 §2): no number at all
        text.append("  ")
        text.append(f"{label:<{width}}")
        text.append(f"{'—':>6}", style="dim")
        text.append("   not for your role", style="dim")
        return text
    else:
        value = getattr(counts, line.key)
        flag = line.urgent and value > 0
        text.append("⚠ " if flag else "  ", style="bold red" if flag else "")
        text.append(f"{label:<{width}}")
        text.append(f"{value:>6,}", style="bold red" if flag else "bold")
    text.append(f"   → {TARGET_LABELS[line.target]}", style="dim")
    return text


def _on_postgresql(db: str) -> bool:
    """Whether the quick counts are read from PostgreSQL: only there does the database's
    opening wait for them (``CoordinatorApp.hold_database_for_quick_counts``).

    psycopg's import and the server's round trips put the quick counts after the first
    frame, and the database layer's import, started with that frame, slowed them (about
    0.1-0.15 s in the large demo at 2 ms a round trip). On an SQLite file the quick read
    (the stdlib's ``sqlite3``, a few milliseconds) is in with the first frame or just after
    it: waiting gained nothing measurable there and could only delay the ORM's counts."""
    from coordinator_tui.preflight import DatabaseOpenError, resolve_target

    try:
        return not resolve_target(db).is_sqlite
    except DatabaseOpenError:
        return False  # the database's opening says what is wrong, at once


class HomeScreen(SectionScreen):
    """The dashboard. Counts load in a worker so the first frame never waits for them.

    Opened before the database is (the app's start), the counts are read first with the
    stdlib's ``sqlite3``, or psycopg on PostgreSQL (``services.home_counts``: a few
    milliseconds, plus psycopg's import of about 0.15 s, where importing SQLAlchemy and the
    tables takes most of a second; issue 23 §3), then again through the ORM once the
    database is open (``services.dashboard``): the same numbers, and the ones kept. A
    database that path cannot read (encrypted, about to be upgraded, a server not
    answering) shows its counts once it is open, as before."""

    MODE = "home"
    CSS_PATH = "home.tcss"
    HELP = (
        "Home shows what needs attention today across the practices and the homecare "
        "week. Move with up/down (or j/k) and press enter to open the list behind a "
        "count. A meeting started and not finished shows first: m resumes its minuting. "
        "Press r to refresh the counts."
    )
    BINDINGS = [
        Binding("m", "resume_minuting", "Resume minuting", id="home.resume"),
        Binding("r", "refresh", "Refresh", id="home.refresh"),
        Binding("j", "cursor_down", show=False, id="home.down"),
        Binding("k", "cursor_up", show=False, id="home.up"),
    ]

    counts: DashboardCounts | None = None
    _resume_asked = False  # m pressed before the database was open: minuting once it is
    counts_read: str = ""
    """Where the counts shown were read: "quick" (``services.home_counts``, before the
    database was open) or "database" (``services.dashboard``, the ORM); "" for none yet."""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="home-body"):
            yield Static("Opening the database…", id="home-context")
            yield Static("", id="home-in-progress")
            yield OptionList(
                *[Option(render_line(line, None), id=line.key) for line in LINES],
                id="home-counts",
            )
            yield Static("", id="home-next-meeting")

    def on_mount(self) -> None:
        # Textual calls SectionScreen.on_mount too (each class's own): no super() here.
        app = self.coordinator
        if app.engine is None and app.principal is not None:
            if _on_postgresql(app.settings.db):
                app.hold_database_for_quick_counts()  # the open waits (a moment at most)
            self.load_quick_counts()

    def on_database_ready(self) -> None:
        self.load_counts()

    def action_refresh(self) -> None:
        if self.coordinator.engine is not None:  # else the counts come once it is open
            self.load_counts()

    @work(thread=True, group="home-quick-counts")
    def load_quick_counts(self) -> None:
        """The counts from the database itself (an SQLite file, PostgreSQL), while the
        database layer loads."""
        from coordinator_tui.preflight import DatabaseOpenError, head_revision, resolve_target
        from coordinator_tui.services.home_counts import quick_dashboard_counts

        app = self.coordinator
        try:
            try:
                target = resolve_target(app.settings.db)
            except DatabaseOpenError:
                return  # the database's opening says what is wrong
            counts = quick_dashboard_counts(
                target.path if target.is_sqlite else target.url,
                head_revision(),
                app.settings.current_date(),
                app.settings.review_horizon_days,
                now=app.settings.current_moment(),
                principal=app.principal,
            )
            if counts is not None:
                # As ``app.database_label`` names it (an encrypted file has no quick counts).
                where = target.path.name if target.path else target.display.split("@")[-1]
                call_from_worker(self, self.show_quick_counts, counts, f"database {where}")
        finally:
            # Shown (the callback above has run) or given up: the database opens now.
            call_from_worker(self, self.quick_counts_done)

    def quick_counts_done(self) -> None:
        """After the next frame (the one that paints the quick counts, if any were read),
        the app opens the database (``CoordinatorApp.quick_counts_in``, where it waits for
        them): its import then competes with neither the quick read nor that frame for the
        interpreter's lock."""
        self.call_after_refresh(self.coordinator.quick_counts_in)

    def show_quick_counts(self, counts: DashboardCounts, label: str) -> None:
        """The quick counts, unless the database's own are in already (they are kept)."""
        if self.counts_read != "database" and self.coordinator.principal is not None:
            self.show_counts(counts, quick_label=label)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    @work(thread=True, exclusive=True, group="home-counts")
    def load_counts(self) -> None:
        from coordinator_tui.services.dashboard import dashboard_counts

        app = self.coordinator
        with app.session() as session:
            counts = dashboard_counts(
                session,
                app.settings.current_date(),
                app.settings.review_horizon_days,
                now=app.settings.current_moment(),
            )
        call_from_worker(self, self.show_counts, counts)

    def show_counts(self, counts: DashboardCounts, quick_label: str = "") -> None:
        """Show ``counts``: read through the ORM, or with ``quick_label`` (the database's
        name) read before the database was open (then the screen is not yet loaded)."""
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.dates import format_date

        self.counts = counts
        self.counts_read = "quick" if quick_label else "database"
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted
        for index, line in enumerate(LINES):
            option_list.replace_option_prompt_at_index(index, render_line(line, counts))
        option_list.highlighted = highlighted if highlighted is not None else 0
        app = self.coordinator
        self.query_one("#home-context", Static).update(
            f"{format_date(counts.today)}  ·  signed in as {app.principal_label}  ·  "
            f"{app.database_label or quick_label}"
        )
        self._show_in_progress(counts)
        meeting = counts.next_meeting
        if meeting:
            starts = to_local(meeting.starts_at)
            line = f"Next meeting: {format_date(starts.date())} {starts:%H:%M} — {meeting.title}"
        else:
            line = "Next meeting: none planned"
        self.query_one("#home-next-meeting", Static).update(line)
        if not quick_label:
            app.screen_loaded(self)

    def _show_in_progress(self, counts: DashboardCounts) -> None:
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.dates import format_date

        meeting = counts.meeting_in_progress
        box = self.query_one("#home-in-progress", Static)
        box.set_class(meeting is not None, "-shown")
        if meeting is None:
            box.update("")
        else:
            starts = to_local(meeting.starts_at)
            box.update(
                Text.assemble(
                    ("▶ Meeting in progress", "bold"),
                    " · ",
                    ("m resumes minuting", "bold reverse"),
                    " · ",
                    (meeting.title, "bold"),
                    f" ({format_date(starts.date())} {starts:%H:%M})",
                )
            )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume_minuting":
            return self.counts is not None and self.counts.meeting_in_progress is not None
        return super().check_action(action, parameters)

    def action_resume_minuting(self) -> None:
        """Back to the meeting's live minuting, as the Meetings screen opens it."""
        from coordinator_tui.screens.meetings.minuting import MinutingScreen

        meeting = self.counts.meeting_in_progress if self.counts else None
        if meeting is None:
            return
        app = self.coordinator
        if app.engine is None:  # pressed on the fast counts: it opens once the database is
            if not self._resume_asked:
                self._resume_asked = True
                app.when_database_ready(self, self.action_resume_minuting)
            return
        self._resume_asked = False
        self.app.push_screen(MinutingScreen(meeting.id), lambda _: self.load_counts())

    @on(OptionList.OptionSelected, "#home-counts")
    def open_target(self, event: OptionList.OptionSelected) -> None:
        line = next(line for line in LINES if line.key == event.option.id)
        self.app.switch_mode(line.target)
        if line.view:
            self.open_view(line.view)

    def open_view(self, view: str) -> None:
        """Registers showing what the count counts: its overdue, due or escalated view,
        or the concerns awaiting triage (over the queue, as ``C`` opens them); or
        Governance's actions to chase (``chase``: over its list, as ``F`` opens them)."""
        from coordinator_tui.screens.governance.governance import GovernanceScreen
        from coordinator_tui.screens.registers.queue import RegistersScreen

        if view == "chase":
            governance = self.app.screen_stack[0]
            if isinstance(governance, GovernanceScreen) and self.app.screen is governance:
                governance.action_action_tracker()
            return
        registers = self.app.screen_stack[0]
        if not isinstance(registers, RegistersScreen):
            return
        if view == "concerns":
            if self.app.screen is registers:
                registers.action_concerns()
            return
        # A record left open over the queue stays open (esc shows the view beneath it).
        registers.show_status(view)
