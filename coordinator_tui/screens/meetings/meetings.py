"""Meetings (key 4): the safeguarding meetings and the action tracker.

Two views (``M`` meetings, ``A`` actions; ``t`` toggles). Meetings lists the upcoming
ones first (soonest first), then the past ones (newest first), each with its agenda
count and the time planned against its length. ``enter`` opens a meeting: its triage
before it starts, its live minuting once started, its record when finished. ``n`` a new
one-off meeting, ``g`` creates the series' meetings of the coming three months, ``i``
writes the invitation (.ics and e-mail text, everyone invited with an e-mail address as
an attendee) beside the database, ``x`` exports the minutes. ``v`` the highlighted
meeting's attendees (invite from the directory, add an external professional, remove,
attendance). ``r`` on a finished meeting: each person's entry for their clinical record
(copy one, or write them all to files). ``S`` a new meeting series (the repeat rule in
words, e.g. "first Tuesday monthly", its next dates shown as you type); ``L`` lists the
series with their rule and next date (``n`` new, ``x`` stop or restart one).

Actions lists every open action by owner (``o`` cycles owner / due date / meeting); an
overdue one says OVERDUE. On the highlighted action: ``c`` chase (with a note), ``d``
done (with the outcome), ``r`` reassign, ``e`` re-date. ``/`` filters either view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from coordinator_tui.screens.action_tracking import ActionTracking, action_row, overdue_by_kind
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.actions import ActionRow
    from coordinator_tui.services.meetings.series import MeetingRow

VIEWS = {"meetings": "Meetings", "actions": "Actions"}
ORDERS = ("owner", "due", "meeting")
STATUS_WORD = {
    "planned": "planned",
    "in_progress": "IN PROGRESS",
    "finished": "finished",
    "cancelled": "cancelled",
}
MEETING_COLUMNS = [
    Column("When", 16),
    Column("Status", 11),
    Column("Meeting"),
    Column("Practice", 9, show_from=96),
    Column("Agenda", 11),
    Column("Time", 13),
]
ACTION_COLUMNS = [
    Column("Status", 7),
    Column("Due", 8),
    Column("Owner", 16),
    Column("Action"),
    Column("Person", 20, show_from=100),
    Column("Meeting", 8),
]


@dataclass(frozen=True)
class MeetingLine:
    """A meeting as listed: the service row and, for one not finished, its triage totals."""

    row: MeetingRow
    upcoming: bool
    planned_minutes: int | None = None


def meeting_row(line: MeetingLine) -> Row:
    row = line.row
    status = STATUS_WORD.get(row.status, row.status)
    status_cell = Text(status, style="bold" if row.status == "in_progress" else "")
    if row.status in ("finished", "cancelled"):
        status_cell.stylize("dim")
    agenda = f"{row.items_included} in"
    if row.items_proposed:
        agenda += f", {row.items_proposed} new"
    time_cell: Text | str = ""
    if line.planned_minutes is not None:
        over = line.planned_minutes > row.duration_minutes
        time_cell = Text(
            f"{line.planned_minutes}/{row.duration_minutes} min" + (" OVER" if over else ""),
            style="bold red" if over else "",
        )
    return Row(
        row.id,
        (
            f"{row.starts_at:%a %d %b %H:%M}",
            status_cell,
            row.title,
            row.practice,
            agenda,
            time_cell,
        ),
    )


class MeetingsScreen(ActionTracking, BackgroundWrites, SectionScreen):
    MODE = "meetings"
    CSS_PATH = "meetings.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box.
    AUTO_FOCUS = "#meetings"
    HELP = __doc__ or ""
    SAVING_LINE = "#meetings-summary"  # "Saving…" while a one-key write waits on the database
    BINDINGS = [
        Binding("t", "toggle_view", "Meetings/Actions", id="meetings.toggle"),
        Binding("M", "view('meetings')", "Meetings", show=False, id="meetings.view_meetings"),
        Binding("A", "view('actions')", "Actions", show=False, id="meetings.view_actions"),
        Binding("n", "new", "New", id="meetings.new"),
        Binding("g", "materialise", "From series", id="meetings.materialise"),
        Binding("v", "attendees", "Attendees", id="meetings.attendees"),
        Binding("i", "invite", "Invite", id="meetings.invite"),
        Binding("S", "new_series", "Series", id="meetings.new_series"),
        Binding("L", "series", "List series", show=False, id="meetings.series"),
        Binding("x", "export", "Minutes", id="meetings.export"),
        Binding("c", "chase", "Chase", id="meetings.chase"),
        Binding("d", "done", "Done", id="meetings.done"),
        Binding("r", "reassign", "Reassign", id="meetings.reassign"),
        Binding("r", "entries", "Entries", id="meetings.entries"),
        Binding("e", "redate", "Re-date", id="meetings.redate"),
        Binding("o", "order", "Order", id="meetings.order"),
        Binding("slash", "filter", "Filter", id="meetings.filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="meetings.clear"),
        Binding("f5", "reload", "Reload", show=False, id="meetings.reload"),
    ]
    MEETING_ONLY = {
        "new",
        "materialise",
        "invite",
        "export",
        "attendees",
        "entries",
        "new_series",
        "series",
    }
    ACTION_ONLY = {"chase", "done", "reassign", "redate", "order"}

    def __init__(self) -> None:
        super().__init__()
        self.view = "meetings"
        self.order = "owner"
        self.meetings: list[MeetingLine] = []
        self.actions: list[ActionRow] = []
        self.shown_meetings: list[MeetingLine] = []
        self.shown_actions: list[ActionRow] = []
        self.overdue = 0
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="meetings-body"):
            yield Static("Loading meetings…", id="meetings-summary")
            yield Static("", id="meetings-views")
            yield Input(placeholder="Filter", id="meetings-filter", compact=True)
            yield LazyTable(
                MEETING_COLUMNS, empty_text="No meetings yet: n adds one.", id="meetings"
            )
            yield LazyTable(ACTION_COLUMNS, empty_text="No open actions.", id="actions")

    def on_mount(self) -> None:
        # SectionScreen.on_mount runs too (Textual calls each class's handler).
        self.query_one("#actions").display = False

    def on_database_ready(self) -> None:
        self.table.focus()
        self.load()

    @property
    def table(self) -> LazyTable:
        return self.query_one(f"#{self.view}", LazyTable)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action in self.MEETING_ONLY:
            return self.view == "meetings"
        if action in self.ACTION_ONLY:
            return self.view == "actions"
        return True

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="meetings")
    def load(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError

        try:
            lines, actions = self._fetch(self.today, self.order)
        except CoordinatorError as exc:  # refused (issue 17: a homecare role), or the database
            call_from_worker(self, self.refused, str(exc))
            return
        call_from_worker(self, self.show, lines, actions)

    def _fetch(self, today: date, order: str) -> tuple[list[MeetingLine], list[ActionRow]]:
        """The meetings and open actions, in a worker thread (the list's load, or a
        one-key write that reads them again so the keys typed meanwhile act on them)."""
        from coordinator_tui.services.meetings.actions import KINDS, open_actions
        from coordinator_tui.services.meetings.series import list_meetings
        from coordinator_tui.services.meetings.triage import planned_minutes

        with self.coordinator.session() as session:
            upcoming = list_meetings(session, upcoming_from=today)
            ids = {row.id for row in upcoming}
            planned = planned_minutes(session, [row.id for row in upcoming])  # one query
            lines = [MeetingLine(row, True, planned[row.id]) for row in upcoming]
            lines += [
                MeetingLine(row, False) for row in list_meetings(session) if row.id not in ids
            ]
            # every tracker the user's roles may act in: the meetings' own, an incident's
            # actions (governance), the rota's cover tasks (rota); issue 17
            actions = open_actions(session, today=today, order=order, kinds=tuple(KINDS))
        return lines, actions

    def refused(self, message: str) -> None:
        """The refusal in the summary's line; nothing of any meeting shown."""
        summary = self.query_one("#meetings-summary", Static)
        summary.styles.height = "auto"  # the line wraps whole at 80 columns (else 1 row)
        summary.update(Text(message, style="bold red"))
        self.loaded = True
        self.coordinator.screen_loaded(self)

    def show(self, lines: list[MeetingLine], actions: list[ActionRow]) -> None:
        self.meetings = lines
        self.actions = actions
        self.overdue = sum(1 for a in actions if a.is_overdue(self.today))
        self.apply_filter()
        self.loaded = True
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.coordinator.screen_loaded(self)

    def apply_filter(self) -> None:
        needle = self.query_one("#meetings-filter", Input).value.strip().lower()
        today = self.today
        if needle:
            self.shown_meetings = [
                m for m in self.meetings if needle in f"{m.row.title} {m.row.practice}".lower()
            ]
            self.shown_actions = [
                a
                for a in self.actions
                if needle in f"{a.owner} {a.description} {a.person_name}".lower()
            ]
        else:
            self.shown_meetings, self.shown_actions = self.meetings, self.actions
        self.query_one("#meetings", LazyTable).set_source(
            MappedSource(self.shown_meetings, meeting_row)
        )
        self.query_one("#actions", LazyTable).set_source(
            MappedSource(self.shown_actions, lambda a: action_row(a, today))
        )
        upcoming = sum(1 for m in self.shown_meetings if m.upcoming)
        summary = Text()
        if self.view == "meetings":
            summary.append("Meetings", "bold")
            summary.append(f" · {upcoming} upcoming · {len(self.shown_meetings) - upcoming} past")
        else:
            summary.append("Open actions", "bold")
            summary.append(f" · {len(self.shown_actions)} · by {self.order}")
        summary.append(" · ")
        summary.append(f"{self.overdue} actions overdue", "bold red" if self.overdue else "")
        # Home's "Meeting actions" count the meetings' own; the tracker also lists what the
        # user's roles let them act on of an incident's actions and the rota's cover tasks
        from coordinator_tui.services.meetings.actions import MEETING

        others = overdue_by_kind(self.actions, today, leave_out=MEETING)
        if others:
            summary.append(f" (incl. {others})")
        if needle:
            summary.append(f" · filter: {needle}", "italic")
        self.query_one("#meetings-summary", Static).update(summary)
        bar = Text()
        for key, view in (("M", "meetings"), ("A", "actions")):
            style = "reverse bold" if view == self.view else ""
            bar.append(f" {key} ", style=style or "bold")
            bar.append(f"{VIEWS[view]} ", style=style or "dim")
        bar.append("  t toggles", style="dim")
        self.query_one("#meetings-views", Static).update(bar)

    # -- views and filter ---------------------------------------------------------------

    def action_view(self, view: str) -> None:
        self.view = view
        self.query_one("#meetings").display = view == "meetings"
        self.query_one("#actions").display = view == "actions"
        self.table.focus()
        self.apply_filter()
        self.refresh_bindings()

    def action_toggle_view(self) -> None:
        self.action_view("actions" if self.view == "meetings" else "meetings")

    def action_order(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_filter(self) -> None:
        box = self.query_one("#meetings-filter", Input)
        box.add_class("-shown")
        self.set_focus(box)  # at once: "/smi" typed in one go all goes into the filter

    def action_clear_filter(self) -> None:
        box = self.query_one("#meetings-filter", Input)
        box.value = ""
        box.remove_class("-shown")
        self.table.focus()

    @on(Input.Changed, "#meetings-filter")
    def filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#meetings-filter")
    def filter_done(self) -> None:
        self.table.focus()

    # -- meetings -----------------------------------------------------------------------

    def current_meeting(self) -> MeetingRow | None:
        index = self.query_one("#meetings", LazyTable).cursor_row
        return self.shown_meetings[index].row if self.shown_meetings else None

    @on(LazyTable.RowSelected, "#meetings")
    def open_meeting(self, event: LazyTable.RowSelected) -> None:
        self.open(self.shown_meetings[event.index].row)

    def open(self, row: MeetingRow) -> None:
        if row.status == "planned":
            from coordinator_tui.screens.meetings.triage import MeetingTriageScreen

            self.app.push_screen(
                MeetingTriageScreen(row.id), lambda result: self._after_triage(row, result)
            )
        elif row.status == "cancelled":
            self.notify("This meeting was cancelled", severity="warning")
        else:
            from coordinator_tui.screens.meetings.minuting import MinutingScreen

            self.app.push_screen(MinutingScreen(row.id), lambda _: self.load())

    def _after_triage(self, row: MeetingRow, result: str | None) -> None:
        self.load()
        if result == "started":
            from coordinator_tui.screens.meetings.minuting import MinutingScreen

            self.app.push_screen(MinutingScreen(row.id), lambda _: self.load())

    def action_new(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.series import create_meeting, parse_clock
        from coordinator_tui.services.registers import filter_options

        with self.coordinator.session() as session:
            practices = filter_options(session).practices
        today = self.today

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            from datetime import datetime

            minutes = values["minutes"]
            if not str(minutes).isdigit():
                raise CoordinatorError("Length: a whole number of minutes")
            at = parse_clock(values["time"])
            with self.coordinator.session() as session:
                create_meeting(
                    session,
                    title=values["title"],
                    starts_at=datetime.combine(values["day"], at),
                    duration_minutes=int(minutes),
                    location=values["location"],
                    practice_id=values["practice"] or None,
                )

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify("Meeting added")
            self.load()

        save = BackgroundSave(write, then)

        self.app.push_screen(
            FormDialog(
                "New one-off meeting",
                [
                    Field("title", "Title", value="Safeguarding meeting", required=True),
                    Field("day", "Date", "date", required=True),
                    Field("time", "Start time", value="12:30", required=True),
                    Field("minutes", "Length in minutes", value="60", required=True),
                    Field("location", "Where", placeholder="e.g. Meeting room 1 / Teams"),
                    Field(
                        "practice",
                        "Practice (blank: PCN-wide)",
                        "select",
                        options=tuple((name, pid) for pid, name in practices),
                    ),
                ],
                today,
                save=save,
            )
        )

    def action_materialise(self) -> None:
        """``g``: the series' meetings of the coming three months, made in a worker thread
        and the list read again there (``BackgroundWrites``: the screen live while the
        database waits, the keys typed meanwhile acting on the new list). A refusal is
        said in one line and changes nothing."""
        from coordinator_tui.services.meetings.series import materialise_all

        today, order = self.today, self.order

        def write() -> tuple[int, list[MeetingLine], list[ActionRow]]:
            with self.coordinator.session() as session:
                created = len(materialise_all(session, today=today))
            return (created, *self._fetch(today, order))

        def then(made: tuple[int, list[MeetingLine], list[ActionRow]]) -> None:
            created, lines, actions = made
            self.notify(
                f"{created} meeting{'s' if created != 1 else ''} created from the series"
                if created
                else "Every series' meetings for the next three months already exist"
            )
            self.show(lines, actions)

        self.write_in_background(write, then)

    def action_invite(self) -> None:
        """``i``: the invitation (.ics and e-mail text) beside the database, both files
        audited as exports, written in a worker thread (``BackgroundWrites``); a title
        naming a person, or a file that cannot be written, is refused in one line."""
        from coordinator_tui.screens.meetings.dialogs import output_folder
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.invites import write_email, write_ics

        row = self.current_meeting()
        if row is None:
            return
        stem = output_folder(self.app) / f"meeting-{row.id}-{row.starts_at:%Y-%m-%d}"

        def write() -> Path:
            try:  # each file and its audit record in one unit of work
                with self.coordinator.session() as session:
                    ics = write_ics(session, row.id, stem.with_suffix(".ics"))
                    write_email(session, row.id, stem.with_suffix(".txt"))
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"The invitation could not be written: {exc.strerror or exc}"
                ) from exc
            return ics

        def then(ics: Path) -> None:
            self.notify(f"Invitation written: {ics} and {stem.with_suffix('.txt').name}", timeout=8)

        self.write_in_background(write, then)

    def action_attendees(self) -> None:
        row = self.current_meeting()
        if row is None:
            self.notify("No meeting highlighted", severity="warning")
            return
        from coordinator_tui.screens.meetings.attendees import AttendeesScreen

        self.app.push_screen(AttendeesScreen(row.id), lambda _: self.load())

    def action_entries(self) -> None:
        row = self.current_meeting()
        if row is None:
            self.notify("No meeting highlighted", severity="warning")
            return
        if row.status != "finished":
            self.notify(
                "Record entries are ready once the meeting has finished", severity="warning"
            )
            return
        from coordinator_tui.screens.meetings.entries import RecordEntriesScreen

        self.app.push_screen(RecordEntriesScreen(row.id))

    def action_series(self, new: bool = False) -> None:
        from coordinator_tui.screens.meetings.series import SeriesScreen

        self.app.push_screen(SeriesScreen(new=new), lambda _: self.load())

    def action_new_series(self) -> None:
        self.action_series(new=True)

    def action_export(self) -> None:
        row = self.current_meeting()
        if row is None:
            return
        from coordinator_tui.screens.meetings.dialogs import export_dialog

        self.app.push_screen(export_dialog(self, row.id, row.starts_at.date()))
