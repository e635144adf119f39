"""Record entries of a finished meeting: for each person discussed, the entry to paste
into their clinical record, holding only that person's information (any other person's
name, NHS number or date of birth typed into the notes is replaced by "[another
person]").

``up``/``down`` choose the person; the entry shows beside the list, read only (``tab``
moves into it to select part of it). ``c`` copies the highlighted person's entry to the
clipboard (through the terminal: most terminals allow it, some ask first); an entry
for someone on a register kept from online record access (MARAC) says so in the list and
starts with the instruction to hide it. ``w`` writes
every entry to its own file (named by NHS number, readable by you only) in a folder
beside the database. ``I`` records information about the highlighted person shared at
the meeting (the sharing record: the other agencies present filled in, the lawful basis
and consent asked). ``esc`` goes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from coordinator_tui.formatting import nhs_number
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.services.meetings.minutes import PersonEntry


class RecordEntriesScreen(BackgroundWrites, CoordinatorScreen[None]):
    """``c`` and ``w`` write (the audit record, the files) in a worker thread
    (``BackgroundWrites``): the list stays live while the database waits on a lock held
    elsewhere, and keys typed meanwhile act after the write."""

    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    SAVING_LINE = "#entries-head"  # "Saving…" while the audit record waits on the database
    BINDINGS = [
        Binding("escape", "back", "Back", id="entries.back"),
        Binding("c", "copy", "Copy entry", id="entries.copy"),
        Binding("w", "write", "Write files", id="entries.write"),
        Binding("I", "share", "Info shared", id="entries.share"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.entries: list[PersonEntry] = []
        self.title_text = ""
        self.day = None
        self.loaded = False
        self.written: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="entries-head")
        with Horizontal(id="entries-main"):
            yield OptionList(id="entries-people")
            yield TextArea("", read_only=True, id="entries-text", soft_wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Record entries"
        self.load()

    def load(self) -> None:
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minutes import record_entries
        from coordinator_tui.services.meetings.series import load_meeting

        user = self.coordinator.settings.user
        try:
            with self.coordinator.session() as session:
                meeting = load_meeting(session, self.meeting_id)
                self.title_text = meeting.title
                self.day = to_local(meeting.starts_at).date()
                self.entries = record_entries(session, self.meeting_id, recorded_by=user)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            self.query_one("#entries-head", Static).update(f"✗ {exc}")
            self.loaded = True
            return
        count = len(self.entries)
        self.query_one("#entries-head", Static).update(
            f"{self.title_text} · {count} {'person' if count == 1 else 'people'} discussed · "
            "each entry holds only that person's information"
        )
        people = self.query_one(OptionList)
        people.clear_options()
        people.add_options(
            [
                Option(
                    f"{e.name}\n  NHS {nhs_number(e.nhs_number)}"
                    + ("\n  ⚠ hide from online access" if e.hide_online else "")
                )
                for e in self.entries
            ]
        )
        if self.entries:
            people.highlighted = 0
        else:
            self.query_one(TextArea).text = "Nobody was discussed at this meeting."
        people.focus()
        self.loaded = True

    def current(self) -> PersonEntry | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not self.entries:
            return None
        return self.entries[index]

    @on(OptionList.OptionHighlighted, "#entries-people")
    def show_entry(self) -> None:
        entry = self.current()
        if entry is not None:
            self.query_one(TextArea).text = entry.text

    @on(OptionList.OptionSelected, "#entries-people")
    def selected(self) -> None:
        self.query_one(TextArea).focus()

    def action_copy(self) -> None:
        """``c``: the audit record (who copied whose entry, when) is written first, in a
        worker thread; only once it is made does the entry leave for the clipboard. A
        refusal is one line and nothing is copied."""
        entry = self.current()
        if entry is None:
            self.notify("Nobody to copy", severity="warning")
            return
        from coordinator_tui.services.meetings.minutes import record_entry_copied

        def write() -> None:
            with self.coordinator.session() as session:
                record_entry_copied(session, entry.person_id)

        def then(_result: None) -> None:
            self.app.copy_to_clipboard(entry.text)
            hide = "; hide it from their online record access" if entry.hide_online else ""
            self.notify(
                f"Entry for {entry.name} copied: paste it into their record{hide}", timeout=6
            )

        def refused(exc: CoordinatorError) -> None:
            self.notify(f"Not copied: {exc}", severity="error", timeout=8)

        self.write_in_background(write, then, refused=refused)

    def action_write(self) -> None:
        """``w``: every entry to its own owner-only file, written in a worker thread (each
        file audited); a refusal (a locked database, a folder that cannot be written) is
        one line."""
        from coordinator_tui.screens.meetings.dialogs import output_folder
        from coordinator_tui.services.meetings.minutes import (
            entries_folder,
            write_record_entries,
        )

        if self.day is None:
            return
        folder = entries_folder(output_folder(self.app), self.meeting_id, self.day)
        user = self.coordinator.settings.user

        def write() -> list:
            try:
                with self.coordinator.session() as session:
                    return write_record_entries(session, self.meeting_id, folder, recorded_by=user)
            except OSError as exc:  # the unit of work rolled back: no audit record
                raise CoordinatorError(
                    f"The entries could not be written: {exc.strerror or exc}"
                ) from exc

        def then(written: list) -> None:
            self.written = written
            self.notify(
                f"{len(written)} entries written to {folder} (readable by you only)", timeout=8
            )

        self.write_in_background(write, then)

    def action_share(self) -> None:
        from coordinator_tui.screens.reports.sharing import share_from

        entry = self.current()
        if entry is None:
            self.notify("Nobody was discussed", severity="warning")
            return
        share_from(self.coordinator, entry.person_id, meeting_id=self.meeting_id)

    def action_back(self) -> None:
        self.dismiss(None)
