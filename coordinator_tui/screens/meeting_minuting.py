"""Live minuting: one agenda item at a time, the person's key facts beside the notes.

Type the notes; they are saved on every change of item and every two seconds while
typing, so nothing typed is lost if the app is killed. ``pagedown``/``ctrl+n`` next item,
``pageup``/``ctrl+b`` previous (both work while typing). ``ctrl+r`` jumps to the decision
line, ``ctrl+l`` to the action line: type ``HV +2w chase school nurse re attendance``
(owner by initials or role, due date, text), check the preview under it, ``enter`` saves
and returns to the notes. ``ctrl+t`` marks attendance, ``f3`` adds an item (any other
business), ``f9``/``ctrl+f`` finishes the meeting (writes the discussion into each
person's chronology), ``f8``/``ctrl+o`` exports the minutes. ``esc`` saves and goes back.
A finished meeting opens read only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Static, TextArea

from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.services.clock import to_local
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.minuting import (
        ActionPreview,
        KeyFacts,
        MinutingItem,
        OwnerDirectory,
    )
    from coordinator_tui.services.meetings.series import AttendeeRow

AUTOSAVE_SECONDS = 2.0
PRIORITY = {1: "1 urgent", 2: "2 high", 3: "3 routine"}


def facts_renderable(facts: KeyFacts | None, today: date) -> Text:
    """Registers, the last referral and its state, open actions (words, not colour)."""
    if facts is None:
        return Text("Not about one person.", style="dim")
    from coordinator_tui.services.people import format_nhs_number

    text = Text()
    text.append(f"{facts.display_name}\n", "bold")
    text.append(
        f"NHS {format_nhs_number(facts.nhs_number)} · born {facts.date_of_birth:%d/%m/%Y}\n"
    )
    text.append("Registers: ", "bold")
    text.append("; ".join(facts.registers) if facts.registers else "none current")
    text.append("\nLast referral: ", "bold")
    ref = facts.last_referral
    if ref is None:
        text.append("none")
    else:
        text.append(
            f"{ref.referral_type.replace('_', ' ')}, {ref.state.replace('_', ' ')}"
            f" (drafted {ref.drafted_on:%d/%m/%Y})"
        )
        if ref.overdue:
            text.append(" OVERDUE", "bold red")
        if ref.outcome_type:
            text.append(f", outcome {ref.outcome_type.replace('_', ' ')}")
    text.append(f"\nOpen actions: {len(facts.open_actions)}", "bold")
    for action in facts.open_actions[:6]:
        due = f"{action.due:%d/%m}" if action.due else "no date"
        text.append("\n• ")
        if action.overdue:
            text.append("OVERDUE ", "bold red")
        text.append(f"{action.owner}, {due}: {action.description}")
    return text


def recorded_renderable(item: MinutingItem) -> Text:
    """What is recorded against the item so far: decisions and actions."""
    text = Text()
    text.append(f"Decisions: {len(item.decisions)}", "bold")
    for _, decision in item.decisions:
        text.append(f"\n✓ {decision}")
    text.append(f"\nActions: {len(item.actions)}", "bold")
    for action in item.actions:
        due = f"due {action.due_date:%d/%m/%Y}" if action.due_date else "no due date"
        text.append(f"\n→ {action.owner_label or '—'}, {due}: {action.description}")
    return text


def preview_text(preview: ActionPreview | None) -> Text:
    if preview is None:
        return Text("")
    if preview.ok:
        return Text.assemble(("✓ will save: ", "bold"), preview.describe())
    return Text.assemble(("✗ ", "bold red"), preview.describe())


class MinutingScreen(CoordinatorScreen[None]):
    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    BINDINGS = [
        Binding("pagedown,ctrl+n", "move(1)", "Next item", priority=True, id="minuting.next"),
        Binding("pageup,ctrl+b", "move(-1)", "Previous", priority=True, id="minuting.previous"),
        Binding("ctrl+l", "action_line", "Action", priority=True, id="minuting.action"),
        Binding("ctrl+r", "decision", "Decision", priority=True, id="minuting.decision"),
        Binding("ctrl+t", "attendance", "Attendance", priority=True, id="minuting.attendance"),
        Binding("ctrl+s,f2", "save", "Save", show=False, priority=True, id="minuting.save"),
        Binding("f3", "add_item", "Add item", show=False, priority=True, id="minuting.add"),
        Binding("f9,ctrl+f", "finish", "Finish", priority=True, id="minuting.finish"),
        Binding("f8,ctrl+o", "export", "Export", priority=True, id="minuting.export"),
        Binding("escape", "back", "Back", id="minuting.back"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.items: list[MinutingItem] = []
        self.index = 0
        self.texts: dict[int, str] = {}
        self.saved: dict[int, str] = {}
        self.saved_at: dict[int, datetime] = {}
        self.owners: OwnerDirectory | None = None
        self.facts: KeyFacts | None = None
        self.preview: ActionPreview | None = None
        self.people: list[AttendeeRow] = []
        self.title_text = ""
        self.day: date | None = None
        self.read_only = False
        self.loaded = False

    @property
    def item(self) -> MinutingItem | None:
        return self.items[self.index] if self.items else None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the meeting…", id="min-head")
        yield Static("", id="min-reason")
        with Horizontal(id="min-main"):
            yield TextArea(id="min-notes", soft_wrap=True, show_line_numbers=False)
            with VerticalScroll(id="min-side"):
                yield Static("", id="min-facts")
                yield Static("", id="min-recorded")
        yield Input(
            placeholder="Decision: type it, enter records it", id="min-decision", compact=True
        )
        yield Input(
            placeholder="Action: HV +2w chase school nurse re attendance",
            id="min-action",
            compact=True,
        )
        yield Static("", id="min-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Minuting"
        self.query_one("#min-side").can_focus = False
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)
        self.load()

    @work(thread=True, exclusive=True, group="minuting")
    def load(self) -> None:
        from coordinator_tui.services.meetings.minuting import minuting_items, owner_directory
        from coordinator_tui.services.meetings.series import attendees, load_meeting

        with self.coordinator.session() as session:
            meeting = load_meeting(session, self.meeting_id)
            head = (meeting.title, meeting.starts_at, meeting.status)
            items = minuting_items(session, self.meeting_id)
            owners = owner_directory(session, self.meeting_id)
            people = attendees(session, self.meeting_id)
        self.app.call_from_thread(self.show, head, items, owners, people)

    def show(self, head: tuple, items: list[MinutingItem], owners, people) -> None:
        title, starts_at, status = head
        self.title_text = title
        self.day = to_local(starts_at).date()
        self.items, self.owners, self.people = items, owners, people
        for item in items:
            self.texts.setdefault(item.id, item.notes)
            self.saved.setdefault(item.id, item.notes)
            if item.notes_saved_at is not None:
                self.saved_at.setdefault(item.id, item.notes_saved_at)
        self.set_read_only(status != "in_progress")
        self.show_item()
        self.loaded = True
        notes = self.query_one("#min-notes", TextArea)
        if not self.read_only and items:
            notes.focus()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.query_one("#min-notes", TextArea).read_only = read_only
        self.query_one("#min-decision", Input).disabled = read_only
        self.query_one("#min-action", Input).disabled = read_only
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        locked = ("action_line", "decision", "attendance", "finish", "add_item")
        return not (self.read_only and action in locked)

    # -- showing ------------------------------------------------------------------------

    def show_item(self) -> None:
        """Put the current item's notes in the editor and its facts beside them."""
        item = self.item
        head = self.query_one("#min-head", Static)
        notes = self.query_one("#min-notes", TextArea)
        if item is None:
            head.update(Text.assemble((self.title_text, "bold"), " · no items on the agenda"))
            notes.load_text("")
            notes.read_only = True
            return
        state = " · FINISHED: read only" if self.read_only else ""
        head.update(
            Text.assemble(
                (f"Item {item.number} of {len(self.items)}", "bold"),
                f" · {PRIORITY.get(item.priority, item.priority)} · {item.minutes_allotted} min · ",
                (item.title, "bold"),
                state,
            )
        )
        notes.load_text(self.texts.get(item.id, ""))
        notes.move_cursor(notes.document.end)
        self.show_status()
        self.query_one("#min-recorded", Static).update(recorded_renderable(item))
        self.load_facts(item.person_id)

    def show_status(self) -> None:
        """The reason under the title; the save state on the notes' border; attendance."""
        item = self.item
        if item is None:
            return
        saved = self.saved_at.get(item.id)
        typing = self.texts.get(item.id, "") != self.saved.get(item.id, "")
        notes = self.query_one("#min-notes", TextArea)
        notes.border_title = "Notes"
        notes.border_subtitle = (
            ("not saved yet" if typing else "")
            if saved is None
            else f"saved {to_local(saved):%H:%M:%S}" + (" · typing" if typing else "")
        )
        present = sum(1 for p in self.people if p.attendance == "present")
        apologies = sum(1 for p in self.people if p.attendance == "apologies")
        self.query_one("#min-reason", Static).update(
            Text.assemble(
                (item.reason or "", "italic"),
                f"  ·  attendance: {present} present, {apologies} apologies",
            )
        )

    @work(thread=True, exclusive=True, group="minuting-facts")
    def load_facts(self, person_id: int | None) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.minuting import key_facts

        facts = None
        if person_id is not None:
            try:
                with self.coordinator.session() as session:
                    facts = key_facts(session, person_id, today=self.today)
            except MeetingError:
                facts = None
        self.app.call_from_thread(self.show_facts, facts)

    def show_facts(self, facts: KeyFacts | None) -> None:
        self.facts = facts
        self.query_one("#min-facts", Static).update(
            Group(facts_renderable(facts, self.today), Text(""))
        )

    # -- saving -------------------------------------------------------------------------

    @on(TextArea.Changed, "#min-notes")
    def notes_changed(self, event: TextArea.Changed) -> None:
        item = self.item
        if item is not None and not self.read_only:
            self.texts[item.id] = event.text_area.text
            if not event.text_area.border_subtitle.endswith("typing"):
                self.show_status()

    def autosave(self) -> None:
        """Every few seconds: save the notes if they changed since the last save."""
        self.save_notes()

    def save_notes(self) -> bool:
        """Save the current item's notes if changed; False (and a message) on failure."""
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.minuting import save_notes

        item = self.item
        if item is None or self.read_only:
            return True
        text = self.texts.get(item.id, "")
        if text == self.saved.get(item.id, ""):
            return True
        try:
            with self.coordinator.session() as session:
                note = save_notes(session, item.id, text)
                saved_at = note.saved_at
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return False
        self.saved[item.id] = text
        self.saved_at[item.id] = saved_at
        self.show_status()
        return True

    def action_save(self) -> None:
        if self.save_notes():
            self.notify("Notes saved", timeout=2)

    def on_unmount(self) -> None:
        if self.coordinator.engine is not None:
            self.save_notes()

    def refresh_items(self) -> None:
        """Re-read decisions and actions after a write (the notes typed stay as they are)."""
        from coordinator_tui.services.meetings.minuting import minuting_items

        with self.coordinator.session() as session:
            items = minuting_items(session, self.meeting_id)
        current = self.item.id if self.item else None
        self.items = items
        for index, item in enumerate(items):
            self.texts.setdefault(item.id, item.notes)
            self.saved.setdefault(item.id, item.notes)
            if item.id == current:
                self.index = index
        if self.item is not None:
            self.query_one("#min-recorded", Static).update(recorded_renderable(self.item))

    # -- moving -------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if not self.items:
            return
        target = self.index + step
        if not 0 <= target < len(self.items):
            self.notify("That was the last item" if step > 0 else "This is the first item")
            return
        if not self.save_notes():
            return
        self.index = target
        self.preview = None
        self.query_one("#min-action", Input).value = ""
        self.query_one("#min-decision", Input).value = ""
        self.show_item()
        if not self.read_only:
            self.query_one("#min-notes", TextArea).focus()

    def action_back(self) -> None:
        if self.save_notes():
            self.dismiss(None)

    # -- decisions and actions ------------------------------------------------------------

    def action_decision(self) -> None:
        self.query_one("#min-decision", Input).focus()

    def action_action_line(self) -> None:
        self.query_one("#min-action", Input).focus()

    @on(Input.Submitted, "#min-decision")
    def record_decision(self, event: Input.Submitted) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.minuting import add_decision

        item = self.item
        if item is None or not event.value.strip():
            self.query_one("#min-notes", TextArea).focus()
            return
        try:
            with self.coordinator.session() as session:
                add_decision(session, item.id, event.value)
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return
        event.input.value = ""
        self.refresh_items()
        self.notify("Decision recorded", timeout=2)
        self.query_one("#min-notes", TextArea).focus()

    @on(Input.Changed, "#min-action")
    def parse_action(self, event: Input.Changed) -> None:
        from coordinator_tui.services.meetings.minuting import OwnerDirectory, parse_action_line

        if not event.value.strip():
            self.preview = None
        else:
            self.preview = parse_action_line(
                event.value, self.owners or OwnerDirectory(), today=self.today
            )
        self.query_one("#min-preview", Static).update(preview_text(self.preview))

    @on(Input.Submitted, "#min-action")
    def save_action(self, event: Input.Submitted) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.minuting import save_action

        item, preview = self.item, self.preview
        if item is None or preview is None:
            self.query_one("#min-notes", TextArea).focus()
            return
        if not preview.ok:
            self.notify(preview.describe(), severity="error")
            return
        try:
            with self.coordinator.session() as session:
                save_action(session, item.id, preview, today=self.today)
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return
        event.input.value = ""
        self.preview = None
        self.query_one("#min-preview", Static).update("")
        self.refresh_items()
        self.notify("Action added", timeout=2)
        self.query_one("#min-notes", TextArea).focus()

    # -- attendance, finishing, export ----------------------------------------------------

    def action_attendance(self) -> None:
        from coordinator_tui.screens.meeting_dialogs import AttendanceDialog

        if not self.people:
            self.notify("Nobody is invited to this meeting", severity="warning")
            return
        self.app.push_screen(AttendanceDialog(self.people, self.title_text), self.save_attendance)

    def save_attendance(self, changes: dict[int, str] | None) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.series import attendees, set_attendance

        if not changes:
            return
        try:
            with self.coordinator.session() as session:
                for staff_id, attendance in changes.items():
                    set_attendance(session, self.meeting_id, staff_id, attendance)
                self.people = attendees(session, self.meeting_id)
        except MeetingError as exc:
            self.notify(str(exc), severity="error")
            return
        self.show_status()
        self.notify("Attendance recorded", timeout=2)

    def action_add_item(self) -> None:
        """Any other business: an item added now goes straight onto the agenda, last."""
        from coordinator_tui.screens.meeting_dialogs import ManualItemDialog
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.agenda import add_manual_item

        def save(values: dict[str, Any]) -> str | None:
            if not self.save_notes():
                return "The notes could not be saved"
            try:
                with self.coordinator.session() as session:
                    item_id = add_manual_item(session, self.meeting_id, **values).id
            except MeetingError as exc:
                return str(exc)
            self.refresh_items()
            ids = [item.id for item in self.items]
            if item_id in ids:
                self.index = ids.index(item_id)
                self.show_item()
            return None

        self.app.push_screen(ManualItemDialog(save))

    def action_finish(self) -> None:
        from coordinator_tui.services.meetings import MeetingError
        from coordinator_tui.services.meetings.minuting import finish_meeting

        if not self.save_notes():
            return

        def save(_: dict[str, Any]) -> str | None:
            try:
                with self.coordinator.session() as session:
                    summary = finish_meeting(session, self.meeting_id)
            except MeetingError as exc:
                return str(exc)
            self.set_read_only(True)
            self.refresh_items()
            self.show_item()
            self.notify(
                f"Meeting finished: {summary.discussed} items discussed, {summary.not_reached} "
                f"deferred, {summary.actions} actions; chronology updated for "
                f"{summary.people} people. f8 exports the minutes.",
                timeout=10,
            )
            return None

        reached = sum(
            1 for i in self.items if self.texts.get(i.id, "").strip() or i.decisions or i.actions
        )
        self.app.push_screen(
            FormDialog(
                "Finish the meeting? (ctrl+s/f2 finishes)",
                [],
                self.today,
                f"Items with nothing recorded ({len(self.items) - reached} of "
                f"{len(self.items)}) are deferred to the next meeting.",
                save=save,
            )
        )

    def action_export(self) -> None:
        from coordinator_tui.screens.meeting_dialogs import export_dialog

        self.save_notes()
        self.app.push_screen(export_dialog(self, self.meeting_id, self.day or self.today))
