"""Attendees of one meeting: internal staff and external professionals (health visitor,
school nurse, midwife, social worker, community mental health, district nurse) with
their role, organisation, e-mail and attendance.

``i`` invites someone from the directory (type to filter, ``enter`` picks), ``n`` adds a
new external professional (name, role, organisation, e-mail) and invites them, ``d``
removes the highlighted person (before the meeting starts; afterwards record apologies
or absence). ``p`` present, ``a`` apologies, ``x`` absent, ``c`` back to invited (then on
to the next person). Everyone with an e-mail address is an attendee of the invitation
(``i`` on the Meetings list writes it). ``esc`` goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.screens.type_ahead import TypeAhead
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.series import AttendeeRow

WORD = {"invited": "invited", "present": "PRESENT", "apologies": "apologies", "absent": "ABSENT"}
COLUMNS = [
    Column("Attendance", 10),
    Column("Name", 22),
    Column("Role", 20),
    Column("Organisation", 22, show_from=100),
    Column("E-mail"),
    Column("", 8, show_from=90),
]


def attendee_line(row: AttendeeRow) -> Row:
    return Row(
        row.staff_id,
        (
            Text(
                WORD.get(row.attendance, row.attendance),
                style="bold" if row.attendance == "present" else "",
            ),
            row.name,
            row.role,
            row.organisation,
            row.email or "— no e-mail",
            "external" if row.is_external else "staff",
        ),
    )


class DirectoryPicker(TypeAhead, ModalScreen[int | None]):
    """Type to filter the directory of staff and professionals; ``enter`` picks one."""

    CSS_PATH = ["../form_dialog.tcss", "meetings.tcss"]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="directory.cancel"),
        Binding("down", "to_list", "List", show=False, id="directory.list"),
    ]

    def __init__(self, people: list[AttendeeRow]) -> None:
        super().__init__()
        self.people = people
        self.shown: list[AttendeeRow] = list(people)

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = "Invite from the directory"
            box.border_subtitle = "type to filter · ↓ list · enter invite · esc cancel"
            yield Input(
                placeholder="Name, role or organisation", id="directory-filter", compact=True
            )
            yield OptionList(id="directory-list")
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.refill("")
        self.query_one(Input).focus()

    def refill(self, needle: str) -> None:
        needle = needle.strip().lower()
        self.shown = [
            p
            for p in self.people
            if not needle or needle in f"{p.name} {p.role} {p.organisation} {p.initials}".lower()
        ]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(f"{p.label}" + (f" <{p.email}>" if p.email else ""), id=str(p.staff_id))
                for p in self.shown
            ]
        )
        if self.shown:
            options.highlighted = 0
        self.query_one("#form-error", Static).update(
            "" if self.shown else "✗ Nobody matches: esc, then n adds a new professional"
        )

    @on(Input.Changed, "#directory-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    @on(Input.Submitted, "#directory-filter")
    def pick_first(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if self.shown and options.highlighted is not None:
            self.dismiss(self.shown[options.highlighted].staff_id)

    def action_to_list(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#directory-list")
    def picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0) or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AttendeesScreen(BackgroundWrites, CoordinatorScreen[None]):
    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    SAVING_LINE = "#attendees-note"  # "Saving…" while a one-key write waits on the database
    BINDINGS = [
        Binding("escape", "back", "Back", id="attendees.back"),
        Binding("i", "invite", "Invite", id="attendees.invite"),
        Binding("n", "new", "New", id="attendees.new"),
        Binding("d,delete", "remove", "Remove", id="attendees.remove"),
        Binding("p", "mark('present')", "Present", id="attendees.present"),
        Binding("a", "mark('apologies')", "Apologies", id="attendees.apologies"),
        Binding("x", "mark('absent')", "Absent", id="attendees.absent"),
        Binding("c", "mark('invited')", "Invited", show=False, id="attendees.invited"),
        Binding("f5", "reload", "Reload", show=False, id="attendees.reload"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.rows: list[AttendeeRow] = []
        self.status = ""
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="attendees-head")
        yield LazyTable(
            COLUMNS, empty_text="Nobody invited yet: i invites, n adds someone new.", id="attendees"
        )
        yield Static("", id="attendees-note")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Attendees"
        self.query_one(LazyTable).focus()
        self.load()

    def load(self, keep: int | None = None) -> None:
        """Read the meeting and its attendees (a read: on the UI thread) and show them."""
        with self.coordinator.session() as session:
            fetched = self._fetch(session)
        self.show(fetched, keep)

    def _fetch(self, session: Any) -> tuple[str, Any, str, list[AttendeeRow]]:
        """The meeting's title, start and status, and its attendees (any thread)."""
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.meetings.series import attendees, load_meeting

        meeting = load_meeting(session, self.meeting_id)
        title, starts, status = meeting.title, to_local(meeting.starts_at), meeting.status
        return title, starts, status, attendees(session, self.meeting_id)

    def show(self, fetched: tuple[str, Any, str, list[AttendeeRow]], keep: int | None) -> None:
        title, starts, status, rows = fetched
        self.rows, self.status = rows, status
        counts = {word: sum(1 for r in rows if r.attendance == word) for word in WORD}
        head = Text.assemble(
            (title, "bold"),
            f" · {starts:%a %d %b %Y %H:%M} · {status.replace('_', ' ')} · ",
            (f"{len(rows)} invited", "bold"),
            f" ({counts['present']} present, {counts['apologies']} apologies, "
            f"{counts['absent']} absent)",
        )
        self.query_one("#attendees-head", Static).update(head)
        no_email = sum(1 for r in rows if not r.email)
        self.query_one("#attendees-note", Static).update(
            f"{len(rows) - no_email} on the invitation's attendee list"
            + (f"; {no_email} without an e-mail address" if no_email else "")
        )
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(rows, attendee_line))
        keys = [r.staff_id for r in rows]
        if keep in keys:
            table.cursor_row = keys.index(keep)
        self.loaded = True

    def current(self) -> AttendeeRow | None:
        index = self.query_one(LazyTable).cursor_row
        return self.rows[index] if self.rows else None

    def write(
        self,
        change: Callable[[Any], Any],
        *,
        keep: int | None = None,
        done: str = "",
    ) -> None:
        """Apply ``change(session)`` through the services in a worker thread and read the
        list again there (``BackgroundWrites``: the screen live, keys typed meanwhile
        held); then show it with the cursor on ``keep`` (a staff id) and say ``done``. A
        refusal is said in one line and nothing changes."""

        def write() -> tuple[str, Any, str, list[AttendeeRow]]:
            with self.coordinator.session() as session:
                change(session)
            with self.coordinator.session() as session:
                return self._fetch(session)

        def then(fetched: tuple[str, Any, str, list[AttendeeRow]]) -> None:
            self.show(fetched, keep)
            if done:
                self.notify(done, timeout=3)

        self.write_in_background(write, then)

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_mark(self, attendance: str) -> None:
        from coordinator_tui.services.meetings.series import set_attendance

        row = self.current()
        if row is None:
            return
        index = self.query_one(LazyTable).cursor_row
        following = self.rows[index + 1].staff_id if index + 1 < len(self.rows) else row.staff_id
        self.write(
            lambda s: set_attendance(s, self.meeting_id, row.staff_id, attendance), keep=following
        )

    def action_remove(self) -> None:
        from coordinator_tui.services.meetings.series import remove_attendee

        row = self.current()
        if row is None:
            return
        self.write(
            lambda s: remove_attendee(s, self.meeting_id, row.staff_id),
            done=f"{row.name} is no longer invited",
        )

    def action_invite(self) -> None:
        from coordinator_tui.services.meetings.series import professionals

        with self.coordinator.session() as session:
            people = professionals(session)
        invited = {r.staff_id for r in self.rows}
        choices = [p for p in people if p.staff_id not in invited]
        if not choices:
            self.notify("Everyone in the directory is invited: n adds someone new")
            return

        def picked(staff_id: int | None) -> None:
            from coordinator_tui.services.meetings.series import add_attendee

            if staff_id is None:
                return
            self.write(
                lambda s: add_attendee(s, self.meeting_id, staff_id), keep=staff_id, done="Invited"
            )

        self.app.push_screen(DirectoryPicker(choices), picked)

    def action_new(self) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.series import add_attendee, add_professional
        from coordinator_tui.services.owners import external_roles

        roles = external_roles()  # the one list of roles (data/owner_roles.json)

        def write(values: dict[str, Any]) -> int:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            role = values["other_role"] or values["role"]
            if not role:
                raise CoordinatorError("Give their role: pick one or type another")
            with self.coordinator.session() as session:
                staff = add_professional(
                    session,
                    name=values["name"],
                    role=role,
                    organisation=values["organisation"],
                    email=values["email"],
                )
                add_attendee(session, self.meeting_id, staff.id)
                return staff.id

        def then(values: dict[str, Any], staff_id: int) -> None:
            self.load(keep=staff_id)
            self.notify(f"{values['name']} added and invited", timeout=3)

        save = BackgroundSave(write, then)

        self.app.push_screen(
            FormDialog(
                "New external professional",
                [
                    Field("name", "Name", required=True, placeholder="e.g. Sam Jones"),
                    Field("role", "Role", "select", options=tuple((r, r) for r in roles)),
                    Field("other_role", "Or another role", placeholder="e.g. Paediatrician"),
                    Field("organisation", "Organisation", placeholder="e.g. 0-19 Service"),
                    Field("email", "E-mail (for the invitation)", placeholder="name@nhs.net"),
                ],
                self.coordinator.settings.current_date(),
                "They are added to the directory and invited to this meeting.",
                save=save,
            )
        )
