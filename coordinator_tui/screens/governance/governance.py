"""Governance (key 6): incidents, the Duty of Candour, complaints and compliments.

Views on keys: incidents ``O`` open, ``T`` awaiting triage, ``N`` notifiable (candour
clock), ``A`` overdue actions, ``X`` closed; complaints ``C`` open, ``K`` to acknowledge,
``D`` overdue, ``Z`` closed; ``M`` compliments; ``[``/``]`` cycle. On an incident: ``t``
triage, ``c`` its Duty of Candour record, ``i`` investigation, ``a`` an action, ``x``
close, ``l`` the candour letter. On a complaint: ``a`` acknowledge, ``s`` a step, ``e``
extend, ``r`` response sent, ``o`` resolved orally, ``x`` close, ``l`` the response letter.
``enter`` opens the record, ``n`` logs a new one (``f4`` logs an incident from anywhere),
``/`` filters by name or kind, ``G`` the agency's settings, ``f5`` reloads. Care changes:
``E`` medication and clinical changes, ``R`` care plan reviews, ``Y`` capacity and consent.
Staff and contacts: ``Q`` discharges and change requests ("Can we take it?"), ``W`` the
training matrix and supervision, ``L`` contacts with customers and families. ``F`` the
actions to chase: an incident's actions and the rota's cover tasks (chase, done, reassign,
re-date).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from coordinator_tui.formatting import short_date, uk_date
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.screens.governance.actions import (
    COMPLAINT_ACTIONS,
    GOVERNANCE_BINDINGS,
    INCIDENT_ACTIONS,
    GovernanceActions,
)
from coordinator_tui.screens.governance.day_actions import DAY_VISIT_ACTIONS, DayVisitActions
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import (
    Column,
    KeysetSource,
    LazyTable,
    MappedSource,
    Row,
)

if TYPE_CHECKING:
    from coordinator_tui.services.governance.complaints import ComplaintRow, ComplimentRow
    from coordinator_tui.services.governance.incidents import GovernanceCounts, IncidentRow
    from coordinator_tui.services.governance.visits import DayVisit, Proposal


@dataclass(frozen=True)
class View:
    key: str
    code: str
    area: str  # incidents, complaints, compliments
    title: str
    short: str


VIEWS: tuple[View, ...] = (
    View("O", "open", "incidents", "Open incidents", "Open"),
    View("T", "triage", "incidents", "Incidents awaiting triage", "Triage"),
    View("N", "notifiable", "incidents", "Notifiable: Duty of Candour", "Notifiable"),
    View("A", "actions", "incidents", "Incidents with overdue actions", "Actions"),
    View("X", "closed", "incidents", "Closed incidents", "Closed"),
    View("C", "open", "complaints", "Open complaints", "Complaints"),
    View("K", "acknowledge", "complaints", "Complaints to acknowledge", "To ack"),
    View("D", "overdue", "complaints", "Complaints overdue", "Overdue"),
    View("Z", "closed", "complaints", "Closed complaints", "Closed"),
    View("M", "compliments", "compliments", "Compliments", "Compliments"),
    View("V", "today", "visits", "Visits today, loudest first", "Today"),
    View("P", "proposed", "vigilance", "Safeguarding concerns the visits propose", "Proposed"),
)
VISIT_ACTIONS = ("visit_times", "missed", *DAY_VISIT_ACTIONS)
PROPOSAL_ACTIONS = ("accept", "dismiss")
AREA_ACTIONS = {
    "incidents": set(INCIDENT_ACTIONS),
    "complaints": set(COMPLAINT_ACTIONS),
    "compliments": set(),
    "visits": set(VISIT_ACTIONS),
    "vigilance": set(PROPOSAL_ACTIONS),
}
ROW_ACTIONS = set().union(*AREA_ACTIONS.values())
VISITS_REFRESH_S = 60.0
"""The day's visits are read again this often while shown (a check-in due becomes late)."""

INCIDENT_COLUMNS = [
    Column("Status", 8),
    Column("Date", 8),
    Column("Kind", 16),
    Column("Harm", 8),
    Column("Customer"),
    Column("Carer", show_from=100),
    Column("Candour", 13),
    Column("Actions", 7, show_from=90),
    Column("Ref", 8, show_from=110),
]
COMPLAINT_COLUMNS = [
    Column("Stage", 15),
    Column("Received", 8),
    Column("Complainant"),
    Column("About"),
    Column("Ack by", 8),
    Column("Reply by", 8),
    Column("Outcome", 13, show_from=100),
    Column("Ref", 8, show_from=110),
]
VISIT_COLUMNS = [
    Column("Planned", 11),
    Column("Customer"),
    Column("Carer", show_from=90),
    Column("Actual", 11),
    Column("State", 22),
]
PROPOSAL_COLUMNS = [
    Column("Customer", 20),
    Column("Why", 24, show_from=100),
    Column("Evidence"),
]
COMPLIMENT_COLUMNS = [
    Column("Received", 8),
    Column("From", 20),
    Column("Customer", 20, show_from=90),
    Column("Carer", 20, show_from=110),
    Column("What they said"),
]
HARM_SHORT = {
    "none": "none",
    "low": "low",
    "moderate": "moderate",
    "severe": "SEVERE",
    "death": "DEATH",
}


def _d(value: date | None) -> str:
    return short_date(value) if value else ""


def incident_row(row: IncidentRow, today: date) -> Row:
    from coordinator_tui.services.governance.terms import INCIDENT_KINDS, label

    if row.status == "closed":
        status: Text | str = "closed"
    elif not row.triaged:
        status = Text("TRIAGE", style="bold yellow")
    elif row.candour_overdue(today) or row.overdue_actions:
        status = Text("OVERDUE", style="bold red")
    else:
        status = "open"
    if row.candour_status == "complete":
        candour: Text | str = "✓ complete"
    elif row.candour_status == "open":
        due = f"{row.candour_due:%d/%m}" if row.candour_due else ""
        if row.candour_overdue(today):
            candour = Text(f"LATE {due}", style="bold red")
        elif row.candour_waiting:
            candour = f"notify by {due}"
        else:
            candour = "in progress"
    else:
        candour = ""
    actions = f"{row.open_actions}" + (f" {row.overdue_actions}!" if row.overdue_actions else "")
    return Row(
        row.id,
        (
            status,
            _d(row.occurred_on),
            label(INCIDENT_KINDS, row.kind),
            HARM_SHORT.get(row.severity, row.severity),
            row.customer,
            row.carer,
            candour,
            actions if row.open_actions else "",
            f"INC-{row.id}",
        ),
    )


def complaint_row(row: ComplaintRow, today: date) -> Row:
    from coordinator_tui.services.governance.terms import COMPLAINT_OUTCOMES

    stage: Text | str = row.stage()
    if row.is_overdue(today):
        stage = Text(f"LATE {row.stage()}", style="bold red")
    ack = (
        Text(_d(row.acknowledge_due), style="red")
        if row.acknowledge_overdue(today)
        else ("✓" if row.acknowledged_on else _d(row.acknowledge_due))
    )
    reply = (
        Text(_d(row.response_due), style="red")
        if row.response_overdue(today)
        else ("✓ sent" if row.response_sent_on else _d(row.response_due))
    )
    about = " / ".join(part for part in (row.customer, row.carer) if part)
    return Row(
        row.id,
        (
            stage,
            _d(row.received_on),
            row.complainant,
            about,
            ack,
            reply,
            COMPLAINT_OUTCOMES.get(row.outcome, ""),
            f"CMP-{row.id}",
        ),
    )


def _hm(moment: datetime | None) -> str:
    from coordinator_tui.clock import to_local

    return f"{to_local(moment):%H:%M}" if moment else ""


def visit_row(row: DayVisit) -> Row:
    state: Text | str = row.words()
    if row.overdue_check_in or row.state.missed:
        state = Text(row.words(), style="bold red")
    elif row.state.late or row.state.short:
        state = Text(row.words(), style="yellow")
    if row.note_to_review:  # a carer's note with flagged words, not decided on yet
        state = Text.assemble(("⚑ NOTE ", "bold magenta"), state)
    actual = _hm(row.actual_start) + (f"-{_hm(row.actual_end)}" if row.actual_end else "")
    return Row(
        row.id,
        (
            f"{_hm(row.planned_start)}-{_hm(row.planned_end)}",
            row.customer,
            row.carers or Text("unassigned", style="red"),
            actual,
            state,
        ),
    )


def proposal_row(index: int, row: Proposal) -> Row:
    from coordinator_tui.services.governance.visits import RULES

    evidence = row.evidence.split(": ", 1)[-1]
    return Row(index, (row.customer, RULES.get(row.rule, row.rule), evidence))


def compliment_row(row: ComplimentRow) -> Row:
    return Row(row.id, (_d(row.received_on), row.from_whom, row.customer, row.carer, row.summary))


class PagedRows(Sequence[Any]):
    """The rows of a view read a page at a time (``KeysetSource``), as the list the
    screen's other views keep: its length is the count, an index reads the page it is on
    if that is not read yet."""

    def __init__(self, source: KeysetSource) -> None:
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.source.item(i) for i in range(*index.indices(len(self)))]
        return self.source.item(index)


def is_paged(view: View) -> bool:
    """The closed incidents: thousands on a large agency's database (issue 14), so read
    by key, a page at a time, the filter made by the database."""
    return view.area == "incidents" and view.code == "closed"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


class GovernanceScreen(GovernanceActions, DayVisitActions, SectionScreen):
    MODE = "governance"
    CSS_PATH = "governance.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box.
    AUTO_FOCUS = "#gov-table"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("n", "new", "New", id="governance.new"),
        *GOVERNANCE_BINDINGS,
        Binding("s", "visit_times", "Times", id="governance.visit_times"),
        Binding("m", "missed", "Missed", id="governance.missed"),
        # The day's visits (issue 14 §4, screens/governance/day_actions.py):
        Binding("c", "call", "Call", id="governance.call"),
        Binding("b", "cover", "Send cover", id="governance.cover"),
        Binding("f", "note_concern", "Note: concern", id="governance.note_concern"),
        Binding("i", "visit_incident", "Incident", id="governance.visit_incident"),
        Binding("d", "note_nothing", "Note: nothing", show=False, id="governance.note_nothing"),
        Binding("y", "accept", "Accept", id="governance.accept"),
        Binding("d", "dismiss", "Dismiss", id="governance.dismiss"),
        Binding("enter", "open", "Open", show=False, priority=True, id="governance.open"),
        Binding("slash", "filter", "Filter", id="governance.filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="governance.clear"),
        Binding("G", "agency", "Agency", show=False, id="governance.agency"),
        # Care changes (issue 18 §1-3): their own screens, opened from here.
        Binding("E", "care_changes", "Med changes", show=False, id="governance.care_changes"),
        Binding("R", "care_reviews", "Reviews", show=False, id="governance.care_reviews"),
        Binding("Y", "capacity", "Capacity", show=False, id="governance.capacity"),
        # Requests, training, contacts (issue 18 §4-6): their own screens, opened from here.
        Binding("Q", "care_requests", "Requests", show=False, id="governance.care_requests"),
        Binding("W", "care_training", "Training", show=False, id="governance.care_training"),
        Binding("L", "care_contacts", "Contacts", show=False, id="governance.care_contacts"),
        # The homecare side's action tracker (issue 17): an incident's actions and the
        # rota's cover tasks, chased and closed by a coordinator who may not run meetings.
        Binding("F", "action_tracker", "Actions to chase", show=False, id="governance.tracker"),
        Binding("left_square_bracket", "cycle(-1)", "Prev view", show=False, id="governance.prev"),
        Binding("right_square_bracket", "cycle(1)", "Next view", show=False, id="governance.next"),
        Binding("f5", "reload", "Reload", show=False, id="governance.reload"),
        *[
            Binding(
                v.key, f"view({i})", v.title, show=False, id=f"governance.view_{v.area}_{v.code}"
            )
            for i, v in enumerate(VIEWS)
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = VIEWS[0]
        self.rows: Sequence[Any] = []
        self.shown_rows: Sequence[Any] = []
        self._needle = ""  # the filter typed: a paged view's is made by the database
        self.counts: GovernanceCounts | None = None
        self.loaded = False
        self._loading_started = False
        self._after_load: Callable[[], None] | None = None
        self._wall_clock: time | None = None
        self._visits_timer: Any = None
        self._drawn: dict[str, Text | str] = {}  # what each line shows (``_put``)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="gov-body"):
            yield Static("Loading governance…", id="gov-summary")
            yield Static("", id="gov-views")
            yield Input(placeholder="Filter: name or kind", id="gov-filter", compact=True)
            yield LazyTable(INCIDENT_COLUMNS, empty_text="Nothing in this view.", id="gov-table")
            yield Static("", id="gov-detail")

    async def on_mount(self) -> None:
        if self.coordinator.engine is not None:
            self._start_loading()
            await asyncio.sleep(0)  # let the worker's thread start while the screen lays out

    def on_database_ready(self) -> None:
        self._start_loading()

    def _start_loading(self) -> None:
        if not self._loading_started:
            self._loading_started = True
            self.query_one(LazyTable).focus()
            self.load()

    # -- data ---------------------------------------------------------------------------

    def load(self, *, hold_keys: bool = False) -> None:
        """Read the view's rows again, off the UI thread; only the newest read asked for
        is shown (a change of view or filter, the day's visits' refresh, a second save
        overtake an older one). ``hold_keys`` (after a save): the keys typed from now on
        act on the rows read, or on a newer read's if one overtakes it (``read_landed``)."""
        read = self.read_asked(hold_keys=hold_keys)
        self._read_rows(read, self.view, self.today, self._needle)

    @work(thread=True, exclusive=True, group="governance")
    def _read_rows(self, read: int, view: View, today: date, needle: str) -> None:
        from coordinator_tui.services.governance.complaints import complaint_list, compliment_list
        from coordinator_tui.services.governance.incidents import governance_counts, incident_list

        with self.coordinator.session() as session:
            if is_paged(view):
                rows = self._closed_rows(session, today, needle)
            elif view.area == "incidents":
                rows: list[Any] = incident_list(session, view.code, today)
            elif view.area == "complaints":
                rows = complaint_list(session, view.code, today)
            elif view.area == "visits":
                from coordinator_tui.services.governance.visits import day_visits

                rows = day_visits(session, today, self.now())
            elif view.area == "vigilance":
                from coordinator_tui.services.governance.visits import proposals

                rows = proposals(session, today, now=self.now())
            else:
                rows = compliment_list(session)
            counts = governance_counts(session, today)
        call_from_worker(self, self.show, read, view, rows, counts)

    def _closed_rows(self, session: Any, today: date, needle: str) -> PagedRows:
        """In the load's thread: the first page of the closed incidents and their count;
        the pages after it are read by key as the table draws them."""
        from coordinator_tui.services.governance.incidents import (
            CLOSED_PAGE,
            closed_incidents_page,
        )

        first = closed_incidents_page(session, today, text=needle, with_total=True)
        coordinator = self.coordinator

        def read_page(key: Any, backward: bool, limit: int) -> Any:
            with coordinator.session() as reading:
                return closed_incidents_page(
                    reading, today, text=needle, key=key, backward=backward, limit=limit
                )

        assert first.total is not None
        return PagedRows(
            KeysetSource.of_pages(
                first,
                read_page,
                lambda r: incident_row(r, today),
                total=first.total,
                page_size=CLOSED_PAGE,
                id_of=lambda r: r.id,
            )
        )

    def show(self, read: int, view: View, rows: Sequence[Any], counts: GovernanceCounts) -> None:
        if not self.read_landed(read):
            return  # overtaken (the view changed, say) while it ran: the newer read follows
        self.rows = rows
        self.counts = counts
        table = self.query_one(LazyTable)
        table.columns = {
            "incidents": INCIDENT_COLUMNS,
            "complaints": COMPLAINT_COLUMNS,
            "compliments": COMPLIMENT_COLUMNS,
            "visits": VISIT_COLUMNS,
            "vigilance": PROPOSAL_COLUMNS,
        }[view.area]
        self.apply_filter()
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.refresh_bindings()
        self.read_shown()  # the keys typed while a save's reload ran act on these rows
        self.coordinator.screen_loaded(self)

    def apply_filter(self) -> None:
        box = self.query_one("#gov-filter", Input)
        words = box.value.strip().lower().split()
        if isinstance(self.rows, PagedRows):  # filtered by the database as it was read
            self.shown_rows = self.rows
            self.query_one(LazyTable).set_source(self.rows.source)
            self._draw_summary(box.value.strip())
            self._draw_detail()
            return
        if words:
            self.shown_rows = [r for r in self.rows if all(w in self._haystack(r) for w in words)]
        else:
            self.shown_rows = self.rows
        today = self.today
        area = self.view.area
        if area == "incidents":
            to_row: Callable[[Any], Row] = lambda r: incident_row(r, today)  # noqa: E731
        elif area == "complaints":
            to_row = lambda r: complaint_row(r, today)  # noqa: E731
        elif area == "visits":
            to_row = visit_row
        elif area == "vigilance":
            positions = {id(r): i for i, r in enumerate(self.shown_rows)}
            to_row = lambda r: proposal_row(positions[id(r)], r)  # noqa: E731
        else:
            to_row = compliment_row
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(self.shown_rows, to_row))
        self._draw_summary(box.value.strip())
        self._draw_detail()

    def _haystack(self, row: Any) -> str:
        from coordinator_tui.services.governance.terms import INCIDENT_KINDS, label

        if self.view.area == "incidents":
            parts = (
                row.customer,
                row.carer,
                row.kind,
                label(INCIDENT_KINDS, row.kind),
                f"inc-{row.id}",
            )
        elif self.view.area == "complaints":
            parts = (row.complainant, row.customer, row.carer, row.stage(), f"cmp-{row.id}")
        elif self.view.area == "visits":
            parts = (row.customer, row.carers, row.words())
        elif self.view.area == "vigilance":
            parts = (row.customer, row.evidence)
        else:
            parts = (row.from_whom, row.customer, row.carer, row.summary)
        return " ".join(parts).lower()

    def _draw_summary(self, needle: str) -> None:
        """The counts line and the view bar, each in its long form where it fits the
        screen, else the short one (no view title in the counts: the bar shows it; the bar
        lists this area's views, then the other areas' keys), so both fit 80 columns."""
        room = max(self.size.width - 2, 40)
        long_text = self._counts_text(needle, wide=True)
        summary = long_text if long_text.cell_len <= room else self._counts_text(needle)
        self._put("#gov-summary", summary, layout=False)  # one line each (the styles)
        for wide, named, chase in (
            (True, True, True),
            (False, True, True),
            (False, True, False),
            (False, False, False),
        ):
            bar = self._views_bar(wide, named, chase)
            if bar.cell_len <= room:
                break
        self._put("#gov-views", bar, layout=False)

    def _put(self, selector: str, content: Text | str, *, layout: bool = True) -> None:
        """Show ``content`` in a line, only when it changed: the day's visits are read
        again every minute and after each save, and a line saying the same need not be
        laid out and painted again (a refresh then repaints only the rows)."""
        if self._drawn.get(selector) == content:
            return
        self._drawn[selector] = content
        self.query_one(selector, Static).update(content, layout=layout)

    def _counts_text(self, needle: str, wide: bool = False) -> Text:
        noun = {
            "incidents": "incident",
            "complaints": "complaint",
            "compliments": "compliment",
            "visits": "visit",
            "vigilance": "proposal",
        }
        text = Text()
        if wide:
            text.append(self.view.title, style="bold")
            text.append(" · ")
        text.append(plural(len(self.shown_rows), noun[self.view.area]))
        counts = self.counts
        if counts is not None:
            for value, words in (
                (counts.awaiting_triage, "to triage"),
                (counts.candour_overdue, "candour late"),
                (counts.incident_actions_overdue, "actions late"),
                (counts.complaints_to_acknowledge, "to acknowledge" if wide else "to ack"),
                (counts.complaints_overdue, "complaints late"),
            ):
                if value:
                    text.append(" · ")
                    text.append(
                        f"{value:,} {words}", style="bold red" if "late" in words else "bold"
                    )
        if needle:
            text.append(f" · filter: {needle}", style="italic")
        return text

    def _views_bar(self, wide: bool, named: bool = True, chase: bool = True) -> Text:
        """Every view (``wide``), or this area's views and the other areas' keys
        (``named``: each with its area's name; else the keys alone); then ``F`` (``chase``:
        with its name)."""
        bar = Text()
        others: list[View] = []
        for index, view in enumerate(VIEWS):
            if not wide and view.area != self.view.area:
                if not any(v.area == view.area for v in others):
                    others.append(view)
                continue
            if bar and view.area != VIEWS[index - 1].area:
                bar.append("│", style="dim")
            style = "reverse bold" if view is self.view else ""
            short = "Notif" if not wide and view.code == "notifiable" else view.short
            bar.append(f" {view.key} ", style=style or "bold")
            bar.append(f"{short} ", style=style or "dim")
        if others and named:
            bar.append("│", style="dim")
            for index, view in enumerate(others):
                bar.append(" · " if index else " ", style="dim")
                bar.append(view.key, style="bold")
                bar.append(f" {view.area}", style="dim")
        elif others:
            bar.append("│ also", style="dim")
            for view in others:
                bar.append(f" {view.key}", style="bold")
        # ``F``, the actions to chase: a screen of its own, not a view of this list, named
        # here so it is found without the help (issue 17)
        if wide or named:
            bar.append(" · " if others else "│ ", style="dim")
            bar.append("F", style="bold")
            if chase:
                bar.append(" to chase", style="dim")
        else:
            bar.append(" F", style="bold")
        return bar

    def on_resize(self) -> None:
        if self.loaded:
            self._draw_summary(self.query_one("#gov-filter", Input).value.strip())

    def _draw_detail(self) -> None:
        """A line about the highlighted record: what it still needs."""
        row = self.current()
        if row is None:
            self._put("#gov-detail", "")
            return
        today = self.today
        if self.view.area == "visits":
            hint = "s the actual times, m missed (why), c a call"
            if row.overdue_check_in:
                hint = "no check-in: call the carer (c), b send cover, m if it will not happen"
            if row.note_to_review:
                hint = (
                    f"⚑ {row.note_flags} · f raise a concern, i an incident, d needs nothing"
                    f" · {row.carer_note}"
                )
            elif row.carer_note:
                hint += f" · note: {row.carer_note}"
            self._put("#gov-detail", f"{row.customer} · {hint}")
            return
        if self.view.area == "vigilance":
            self._put("#gov-detail", row.evidence)  # the whole of it (the column is cut at 80)
            return
        if self.view.area == "incidents":
            if row.status == "closed":
                words = "Closed."
            elif not row.triaged:
                words = "Awaiting triage: t records each decision."
            else:
                parts = []
                if row.candour_status == "open":
                    due = f"{uk_date(row.candour_due)}" if row.candour_due else ""
                    if row.candour_overdue(today):
                        parts.append(f"Candour: notification in person was due by {due} (c)")
                    elif row.candour_waiting:
                        parts.append(f"Candour: notify in person by {due} (c)")
                    else:
                        parts.append("Candour: in progress (c)")
                if row.overdue_actions:
                    parts.append(f"{plural(row.overdue_actions, 'action')} overdue")
                elif row.open_actions:
                    parts.append(f"{plural(row.open_actions, 'open action')}")
                words = " · ".join(parts) or "Open: i investigation, a action, x close."
            self._put("#gov-detail", f"INC-{row.id} · {words}")
        elif self.view.area == "complaints":
            stage = row.stage()
            hint = {
                "to acknowledge": "a acknowledge"
                + (" (LATE)" if row.acknowledge_overdue(today) else ""),
                "investigating": "s step, e extend, r response sent",
                "responded": "x close with the learning, l letter",
            }.get(stage, "")
            self._put("#gov-detail", f"CMP-{row.id} · {stage}" + (f" · {hint}" if hint else ""))
        else:
            self._put("#gov-detail", "")

    @on(LazyTable.RowHighlighted, "#gov-table")
    def highlighted(self) -> None:
        self._draw_detail()

    # -- views and filter ---------------------------------------------------------------

    def action_cycle(self, step: int) -> None:
        self.action_view((VIEWS.index(self.view) + step) % len(VIEWS))

    def action_reload(self) -> None:
        self.load()

    def action_filter(self) -> None:
        box = self.query_one("#gov-filter", Input)
        box.add_class("-shown")
        self.set_focus(box)

    def action_clear_filter(self) -> None:
        box = self.query_one("#gov-filter", Input)
        box.value = ""
        box.remove_class("-shown")
        self.query_one(LazyTable).focus()

    @on(Input.Changed, "#gov-filter")
    def filter_changed(self) -> None:
        self._needle = self.query_one("#gov-filter", Input).value
        if is_paged(self.view):
            self.load()  # the database filters it (exclusive: the last typed wins)
        else:
            self.apply_filter()

    @on(Input.Submitted, "#gov-filter")
    def filter_done(self) -> None:
        self.query_one(LazyTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return isinstance(self.focused, LazyTable)
        area = self.view.area
        if action in ROW_ACTIONS:
            return action in AREA_ACTIONS[area]
        if action == "new":
            return area in ("incidents", "complaints", "compliments")
        return super().check_action(action, parameters)

    def now(self) -> datetime:
        """The time of day on the coordinator's working day, for what is due, late or
        missed by now: the settings' (``settings.now`` pins it, as for Home and the rota),
        or ``_wall_clock`` where a test pins this screen alone."""
        from coordinator_tui.clock import UK

        wall = self._wall_clock or self.coordinator.settings.time_of_day()
        return datetime.combine(self.today, wall, tzinfo=UK)

    def action_view(self, index: int) -> None:
        self.view = VIEWS[index]
        self.loaded = False
        timer = self._visits_timer
        if timer is not None:
            timer.stop()
            self._visits_timer = None
        if self.view.area == "visits":
            self._visits_timer = self.set_interval(VISITS_REFRESH_S, self.load)
        self.load()

    # -- targets ------------------------------------------------------------------------

    def current(self) -> Any:
        index = self.query_one(LazyTable).cursor_row
        return self.shown_rows[index] if self.shown_rows and index < len(self.shown_rows) else None

    def incident_target(self) -> IncidentRow | None:
        return self.current() if self.view.area == "incidents" else None

    def complaint_target(self) -> ComplaintRow | None:
        return self.current() if self.view.area == "complaints" else None

    def governance_saved(self, select_id: int | None = None) -> None:
        """Reload, keeping the cursor on the same record where it is still in the view (on
        ``select_id``, a record just logged, when given)."""
        row = self.current()
        key = select_id if select_id is not None else (row.id if row is not None else None)
        index = self.query_one(LazyTable).cursor_row

        def keep() -> None:
            table = self.query_one(LazyTable)
            rows = self.shown_rows
            if isinstance(rows, PagedRows):  # among the rows read (not every page)
                found = rows.source.index_of(key, default=-1)
            else:
                keys = [r.id for r in rows]
                found = keys.index(key) if key in keys else -1
            if found >= 0:
                table.cursor_row = found
            elif rows:
                table.cursor_row = min(index, len(rows) - 1)

        self._after_load = keep
        self.load(hold_keys=True)  # keys typed meanwhile act on the reloaded rows

    # -- new and open -------------------------------------------------------------------

    def action_new(self) -> None:
        if self.view.area == "incidents":
            from coordinator_tui.screens.governance.forms import open_log_incident

            open_log_incident(self.app, on_saved=self.governance_saved)
        elif self.view.area == "complaints":
            self._new_complaint()
        else:
            self._new_compliment()

    def _people(self) -> Any:
        from coordinator_tui.services.governance.incidents import people_choices

        return self._read(people_choices)

    def _new_complaint(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.screens.governance.forms import RowsFormDialog, choices, options
        from coordinator_tui.services.governance.complaints import late_note, log_complaint
        from coordinator_tui.services.governance.terms import COMPLAINT_CHANNELS

        people = self._people()
        if people is None:
            return
        user, today = self.coordinator.settings.user, self.today

        def write(v: dict[str, Any]) -> tuple[int, str]:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                complaint = log_complaint(
                    session,
                    received_on=v["received_on"],
                    channel=v["channel"],
                    complainant=v["complainant"],
                    relation=v["relation"],
                    summary=v["summary"],
                    outcome_wanted=v["wanted"],
                    customer_id=v["customer"],
                    carer_id=v["carer"],
                    event_date=v["event_date"],
                    known_on=v["known_on"],
                    nhs_funded=v["funding"] == "nhs",
                    by=user,
                    today=today,
                )
                warning = late_note(complaint)
                message = (
                    f"Complaint CMP-{complaint.id} logged: acknowledge by "
                    f"{uk_date(complaint.acknowledge_due)}"
                )
                return complaint.id, message + (f". {warning}" if warning else "")

        def then(_v: dict[str, Any], result: tuple[int, str]) -> None:
            new_id, message = result
            self.notify(message, timeout=6)
            self.governance_saved(new_id)

        from coordinator_tui.screens.dialog_base import BackgroundSave

        save = BackgroundSave(write, then)

        rows = [
            [
                Field(
                    "received_on", "Received on", "date", value=today, required=True, expects=PAST
                ),
                Field(
                    "channel", "How", "select", required=True, options=options(COMPLAINT_CHANNELS)
                ),
                Field("event_date", "What happened on", "date", expects=PAST),
                # The time limit runs from the later of the two (SI 2009/309 reg 12(1)).
                Field("known_on", "They knew of it on", "date", expects=PAST),
            ],
            [
                Field("complainant", "Complainant", required=True),
                Field("relation", "Relation to the customer", placeholder="self, son..."),
            ],
            [
                Field(
                    "customer", "About the customer", "choice", options=choices(people.customers)
                ),
                Field("carer", "Or the carer", "choice", options=choices(people.carers)),
            ],
            [Field("summary", "What it is about", "lines", required=True)],
            [
                Field("wanted", "Outcome wanted"),
                Field(
                    "funding",
                    "Care funded by",
                    "select",
                    value="council",
                    required=True,
                    options=(("Council or self (LGSCO)", "council"), ("NHS (PHSO)", "nhs")),
                ),
            ],
        ]
        self.app.push_screen(RowsFormDialog("Log a complaint", rows, today, "", save=save))

    def _new_compliment(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.screens.governance.forms import choices
        from coordinator_tui.services.governance.complaints import log_compliment

        people = self._people()
        if people is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "Log a compliment",
            [
                Field("from_whom", "From", required=True),
                Field("summary", "What they said", "lines", required=True),
                Field(
                    "customer", "About the customer", "choice", options=choices(people.customers)
                ),
                Field("carer", "About the carer", "choice", options=choices(people.carers)),
                Field("on", "Received on", "date", value=today, required=True, expects=PAST),
            ],
            lambda s, v: log_compliment(
                s,
                received_on=v["on"],
                from_whom=v["from_whom"],
                summary=v["summary"],
                customer_id=v["customer"],
                carer_id=v["carer"],
                by=user,
                today=today,
            ),
            "",
        )

    def action_agency(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.governance.agency import agency_settings, save_agency_settings

        current = self._read(agency_settings)
        if current is None:
            return

        def number(text: str, what: str) -> int:
            if not text.strip().isdigit():
                raise CoordinatorError(f"{what} is a whole number")
            return int(text)

        self._form(
            "The agency's governance settings",
            [
                Field(
                    "name", "Agency name (heads letters)", value=current.agency_name, required=True
                ),
                Field(
                    "limit",
                    "Duty of Candour: notify in person within (working days)",
                    value=str(current.candour_limit_days),
                    required=True,
                ),
                Field(
                    "months",
                    "Complaint response period (months)",
                    value=str(current.response_months),
                    required=True,
                ),
            ],
            lambda s, v: save_agency_settings(
                s,
                current.version,
                agency_name=v["name"],
                candour_limit_days=number(v["limit"], "The candour limit"),
                response_months=number(v["months"], "The response period"),
            ),
            "Shared by every coordinator of the agency",
        )

    def action_care_changes(self) -> None:
        from coordinator_tui.screens.care.changes import CareChangesScreen

        self.app.push_screen(CareChangesScreen())

    def action_care_reviews(self) -> None:
        from coordinator_tui.screens.care.reviews import CareReviewsScreen

        self.app.push_screen(CareReviewsScreen())

    def action_capacity(self) -> None:
        from coordinator_tui.screens.care.capacity import CapacityScreen

        self.app.push_screen(CapacityScreen())

    def action_care_requests(self) -> None:
        from coordinator_tui.screens.care.requests import RequestsScreen

        self.app.push_screen(RequestsScreen())

    def action_care_training(self) -> None:
        from coordinator_tui.screens.care.training import TrainingScreen

        self.app.push_screen(TrainingScreen())

    def action_care_contacts(self) -> None:
        from coordinator_tui.screens.care.contacts import ContactsScreen

        self.app.push_screen(ContactsScreen())

    def action_action_tracker(self) -> None:
        from coordinator_tui.screens.governance.action_tracker import ActionTrackerScreen

        self.app.push_screen(ActionTrackerScreen())

    def action_open(self) -> None:
        row = self.current()
        if row is None:
            return
        if self.view.area == "incidents":
            from coordinator_tui.screens.governance.record import IncidentScreen

            self.app.push_screen(IncidentScreen(row))
        elif self.view.area == "complaints":
            from coordinator_tui.screens.governance.record import ComplaintScreen

            self.app.push_screen(ComplaintScreen(row))

    @on(LazyTable.RowSelected, "#gov-table")
    def row_selected(self) -> None:
        self.action_open()

    # -- the day's visits and the concerns they propose ---------------------------------

    def _visit(self) -> DayVisit | None:
        row = self.current() if self.view.area == "visits" else None
        if row is None:
            self.notify("No visit highlighted", severity="warning")
        return row

    def incident_prefill(self) -> dict[str, Any]:
        """What ``f4`` fills in here: the highlighted visit's customer, carer and visit on
        the day's visits; the customer of a proposal; the customer, carer and visit a
        complaint is about."""
        row = self.current()
        if row is None:
            return {}
        area = self.view.area
        if area == "complaints":
            from coordinator_tui.screens.governance.forms import incident_prefill_from

            return incident_prefill_from(row, f"complaint CMP-{row.id}")
        if area == "visits":
            return {
                "customer_id": row.customer_id,
                "carer_id": row.carer_ids[0] if row.carer_ids else None,
                "visit_id": row.id,
            }
        if area == "vigilance":
            return {"customer_id": row.customer_id}
        return {}

    def action_visit_times(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.governance.incidents import at_time
        from coordinator_tui.services.governance.visits import record_actual

        row = self._visit()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "What actually happened",
            [
                Field("start", "Started at (HH:MM)", value=_hm(row.actual_start), required=True),
                Field("end", "Ended at (HH:MM; blank: still there)", value=_hm(row.actual_end)),
            ],
            lambda s, v: record_actual(
                s,
                row.id,
                row.version,
                start=at_time(today, v["start"], "it started"),
                end=at_time(today, v["end"], "it ended") if v["end"] else None,
                by=user,
                now=self.now(),
            ),
            f"{row.customer} · planned {_hm(row.planned_start)}-{_hm(row.planned_end)}"
            + (f" · {row.carers}" if row.carers else ""),
        )

    def action_missed(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.governance.visits import MISSED_REASONS, record_missed

        row = self._visit()
        if row is None:
            return
        user = self.coordinator.settings.user
        self._form(
            "The visit did not happen",
            [
                Field(
                    "reason",
                    "Why",
                    "select",
                    required=True,
                    options=tuple((label, code) for code, label in MISSED_REASONS.items()),
                ),
                Field("note", "Note (who was told)"),
            ],
            lambda s, v: record_missed(
                s, row.id, row.version, reason=v["reason"], note=v["note"], by=user
            ),
            f"{row.customer} · planned {_hm(row.planned_start)}-{_hm(row.planned_end)}",
        )

    def _proposal(self) -> Proposal | None:
        row = self.current() if self.view.area == "vigilance" else None
        if row is None:
            self.notify("No proposed concern highlighted", severity="warning")
        return row

    def action_accept(self) -> None:
        """``y``: the proposed concern raised on the safeguarding side, in a worker thread
        (``BackgroundWrites``: the list stays live while the database waits, keys typed
        meanwhile are held); a refusal is one notification and nothing changes."""
        from coordinator_tui.services.governance.visits import accept_proposal

        row = self._proposal()
        if row is None:
            return
        coordinator, user, today = self.coordinator, self.coordinator.settings.user, self.today

        def write() -> None:
            with coordinator.session() as session:
                accept_proposal(session, row, by=user, today=today)

        def then(_result: None) -> None:
            self.notify(
                f"Safeguarding concern raised for {row.customer} (neglect or acts of "
                "omission): it waits for triage on Registers (C)",
                timeout=6,
            )
            self.governance_saved()

        self.write_in_background(write, then, refused=self._refused_long)

    def action_dismiss(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.governance.visits import dismiss_proposal

        row = self._proposal()
        if row is None:
            return
        user = self.coordinator.settings.user
        self._form(
            "Not a safeguarding concern",
            [Field("reason", "Why not", required=True)],
            lambda s, v: dismiss_proposal(s, row, reason=v["reason"], by=user),
            f"{row.customer} · {row.evidence}",
        )
