"""Live minuting: one agenda item at a time, the person's key facts beside the notes.

Type the notes; they are saved on every change of item and at least every two seconds
while typing, so a kill loses at most the last two seconds. ``pagedown``/``ctrl+n`` next
item, ``pageup``/``ctrl+b`` previous (both work while typing; what was typed before
them stays with the item it was typed in, however fast). ``ctrl+r`` jumps to the
decision line, ``ctrl+l`` to the action line: type ``HV +2w chase school nurse re
attendance`` (owner by initials or role, due date, text), check the preview under it,
``enter`` saves and returns to the notes. ``ctrl+t`` (``f10`` in a browser) marks
attendance, ``f3`` adds an item (any other business), ``f9``/``ctrl+f`` finishes the
meeting (writes the discussion into each person's chronology), ``f8``/``ctrl+o`` exports
the minutes, ``ctrl+s``/``f2`` saves now. ``f6`` records information about the item's
person shared at the meeting
(the sharing record). A line starting ``[confidential]`` (``[c]``), ``[third party]``
(``[3p]``) or ``[not for disclosure]`` (``[nfd]``) is withheld from the minutes that
circulate and marked in the INTERNAL minutes and the record entry; ``f7`` puts the flags
on the notes' current line in turn (and takes them off). ``esc`` saves and goes back. A
finished meeting opens read only.

Saves run in the background, so the screen never waits for the database. If the
database cannot take a save (locked by another user, connection lost), the notes stay
as typed, the border says so, and the save is tried again every second (or ``ctrl+s``).
Someone else minuting the same meeting is named above the notes; if they saved the same
item meanwhile, what both added is merged, and anything else shows both versions to
choose from (nothing is overwritten unseen).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Static, TextArea

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import FormDialog
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker, still_shown

if TYPE_CHECKING:
    from coordinator_tui.screens.text_conflict import TextChoice
    from coordinator_tui.services.meetings.minuting import (
        ActionPreview,
        KeyFacts,
        MinutingItem,
        OwnerDirectory,
    )
    from coordinator_tui.services.meetings.series import AttendeeRow
    from coordinator_tui.services.text_merge import TextConflict

AUTOSAVE_SECONDS = 2.0
"""The most typing a kill of the app can lose."""
SAVE_EVERY_SECONDS = 1.0
"""How often changed notes are saved: well inside ``AUTOSAVE_SECONDS``, so that a save
still under way, or a busy machine, keeps within the promise."""
PRIORITY = {1: "1 urgent", 2: "2 high", 3: "3 routine"}


def facts_renderable(facts: KeyFacts | None, today: date) -> Text:
    """Registers, the last referral and its state, open actions (words, not colour)."""
    if facts is None:
        return Text("Not about one person.", style="dim")
    from coordinator_tui.services.people import format_nhs_number

    text = Text()
    text.append(f"{facts.display_name}\n", "bold")
    text.append(
        f"NHS {format_nhs_number(facts.nhs_number)} · born {uk_date(facts.date_of_birth)}\n"
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
            f" (drafted {uk_date(ref.drafted_on)})"
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
        due = f"due {uk_date(action.due_date)}" if action.due_date else "no due date"
        text.append(f"\n→ {action.owner_label or '—'}, {due}: {action.description}")
    return text


def preview_text(preview: ActionPreview | None) -> Text:
    if preview is None:
        return Text("")
    if preview.ok:
        return Text.assemble(("✓ will save: ", "bold"), preview.describe())
    return Text.assemble(("✗ ", "bold red"), preview.describe())


@dataclass(frozen=True)
class SaveResult:
    """How a background save of one item's notes ended (see ``MinutingScreen.saved``)."""

    stored: str = ""
    saved_at: datetime | None = None
    conflict: TextConflict | None = None
    error: str = ""
    short: str = ""
    """The error in a few words, for the notes' border."""
    again: bool = False
    """Another save of the same notes got in first: save again (it then merges or asks)."""


class MinutingScreen(BackgroundWrites, CoordinatorScreen[None]):
    CSS_PATH = "meetings.tcss"
    HELP = __doc__ or ""
    SAVING_LINE = "#min-preview"  # "Saving…" while a decision or action waits on the database
    BINDINGS = [
        Binding("pagedown,ctrl+n", "move(1)", "Next item", priority=True, id="minuting.next"),
        Binding("pageup,ctrl+b", "move(-1)", "Previous", priority=True, id="minuting.previous"),
        Binding("ctrl+l", "action_line", "Action", priority=True, id="minuting.action"),
        Binding("ctrl+r", "decision", "Decision", priority=True, id="minuting.decision"),
        # f10: a browser tab never gets ctrl+t (a new tab), issue 20 §2.
        Binding("ctrl+t,f10", "attendance", "Attendance", priority=True, id="minuting.attendance"),
        Binding("ctrl+s,f2", "save", "Save", show=False, priority=True, id="minuting.save"),
        Binding("f3", "add_item", "Add item", show=False, priority=True, id="minuting.add"),
        Binding("f9,ctrl+f", "finish", "Finish", priority=True, id="minuting.finish"),
        Binding("f8,ctrl+o", "export", "Export", priority=True, id="minuting.export"),
        Binding("f6", "share", "Info shared", show=False, priority=True, id="minuting.share"),
        Binding("f7", "flag_line", "Flag line", show=False, priority=True, id="minuting.flag"),
        Binding("escape", "back", "Back", id="minuting.back"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.items: list[MinutingItem] = []
        self.index = 0
        self.texts: dict[int, str] = {}
        """Each item's notes as typed (the shown item's as of the last ``capture``)."""
        self.base: dict[int, str] = {}
        """Each item's notes as the editor last read or saved them: what a save started
        from, so that a save over someone else's is never silent."""
        self.saved_at: dict[int, datetime] = {}
        self.saving: dict[int, str] = {}
        """Items whose notes are being saved in the background, and the text sent."""
        self.conflicted: set[int] = set()
        """Items waiting for the coordinator to choose between two versions."""
        self.save_error = ""
        self.others: list[tuple[str, datetime]] = []
        self.shown_id: int | None = None
        """The item whose notes the editor holds."""
        self.notes = TextArea(id="min-notes", soft_wrap=True, show_line_numbers=False)
        """The editor (kept: its text is read once more as the screen goes away)."""
        self._after_saved: list[Callable[[], None]] = []
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
            yield self.notes
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
        self.set_interval(SAVE_EVERY_SECONDS, self.autosave)
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
        call_from_worker(self, self.show, head, items, owners, people)

    def show(self, head: tuple, items: list[MinutingItem], owners, people) -> None:
        title, starts_at, status = head
        self.title_text = title
        self.day = to_local(starts_at).date()
        self.items, self.owners, self.people = items, owners, people
        for item in items:
            self.texts.setdefault(item.id, item.notes)
            self.base.setdefault(item.id, item.notes)
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
            self.shown_id = None
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
        self.shown_id = item.id
        notes.load_text(self.texts.get(item.id, ""))
        notes.move_cursor(notes.document.end)
        self.show_status()
        self.query_one("#min-recorded", Static).update(recorded_renderable(item))
        self.load_facts(item.person_id)

    def show_status(self) -> None:
        """Who else is minuting and the item's reason above the notes; the save state
        on the notes' border; attendance."""
        item = self.item
        if item is None:
            return
        saved = self.saved_at.get(item.id)
        typing = self.texts.get(item.id, "") != self.base.get(item.id, "")
        notes = self.query_one("#min-notes", TextArea)
        notes.border_title = "Notes"
        if self.save_error and typing:
            notes.border_subtitle = f"NOT SAVED: {self.save_error} · retrying"
        elif item.id in self.conflicted:
            notes.border_subtitle = "NOT SAVED: choose which notes to keep"
        else:
            notes.border_subtitle = (
                ("not saved yet" if typing else "")
                if saved is None
                else f"saved {to_local(saved):%H:%M:%S}" + (" · typing" if typing else "")
            )
        present = sum(1 for p in self.people if p.attendance == "present")
        apologies = sum(1 for p in self.people if p.attendance == "apologies")
        line = Text()
        if self.others:
            names = ", ".join(f"{who} (saved {to_local(at):%H:%M})" for who, at in self.others)
            line.append("⚑ Also minuting this meeting: ", "bold")
            line.append(f"{names}\n")
        line.append(item.reason or "", "italic")
        line.append(f"  ·  attendance: {present} present, {apologies} apologies")
        self.query_one("#min-reason", Static).update(line)

    @work(thread=True, exclusive=True, group="minuting-facts")
    def load_facts(self, person_id: int | None) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minuting import key_facts

        facts = None
        if person_id is not None:
            try:
                with self.coordinator.session() as session:
                    facts = key_facts(session, person_id, today=self.today)
            except CoordinatorError:
                facts = None
        call_from_worker(self, self.show_facts, facts)

    def show_facts(self, facts: KeyFacts | None) -> None:
        self.facts = facts
        self.query_one("#min-facts", Static).update(
            Group(facts_renderable(facts, self.today), Text(""))
        )

    # -- saving -------------------------------------------------------------------------

    @on(TextArea.Changed, "#min-notes")
    def notes_changed(self, event: TextArea.Changed) -> None:
        self.capture()
        if not event.text_area.border_subtitle.endswith("typing"):
            self.show_status()

    def capture(self) -> None:
        """Take the editor's text as the shown item's notes. Called before every save
        and move, after the keys typed before them have reached the editor."""
        if self.shown_id is not None and not self.read_only:
            self.texts[self.shown_id] = self.notes.text

    def unsaved(self) -> list[int]:
        """Items whose notes differ from what was last read or saved."""
        return [i for i, text in self.texts.items() if text != self.base.get(i, "")]

    def after_keys(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the widget the keys go to has handled every key sent to
        it so far. A priority key (``pagedown``) is read while the characters typed just
        before it may still be on their way to the editor; acting at once would save
        the notes without them and show them in the next item."""
        target: Any = self.app.focused if self.app.focused is not None else self
        target.call_later(callback)

    def autosave(self) -> None:
        """Every second: save every item whose notes changed; see who else is minuting."""
        self.capture()
        for item_id in self.unsaved():
            self.save_item(item_id)
        if self.coordinator.engine is not None and not self.read_only:
            self.find_others(self.shown_id)

    def save_item(self, item_id: int) -> bool:
        """Save the item's notes in the background (one save per item at a time; the
        next tick saves what was typed meanwhile). False when no save was started."""
        if (
            self.read_only
            or item_id in self.saving
            or item_id in self.conflicted
            or self.coordinator.engine is None
        ):
            return False
        text, base = self.texts.get(item_id, ""), self.base.get(item_id, "")
        if text == base:
            return False
        self.saving[item_id] = text
        self.run_worker(
            partial(self._save_in_background, item_id, text, base),
            thread=True,
            group=f"minuting-notes-{item_id}",
            exclusive=True,
            exit_on_error=False,
        )
        return True

    def _save_in_background(self, item_id: int, text: str, base: str) -> None:
        from coordinator_tui.services.errors import (
            ConflictError,
            CoordinatorError,
            DatabaseUnavailableError,
        )
        from coordinator_tui.services.meetings.minuting import save_notes
        from coordinator_tui.services.text_merge import TextConflictError

        try:
            with self.coordinator.session() as session:
                note = save_notes(session, item_id, text, base=base)
                result = SaveResult(note.text, note.saved_at)
        except TextConflictError as exc:
            result = SaveResult(conflict=exc.conflict)
        except ConflictError:  # refused inside the save by the row's version
            result = SaveResult(again=True)
        except DatabaseUnavailableError as exc:
            result = SaveResult(error=str(exc), short="the database did not take the save")
        except CoordinatorError as exc:
            result = SaveResult(error=str(exc), short=str(exc))
        except Exception as exc:  # noqa: BLE001 - the notes stay on screen, saving goes on
            failed = f"the save failed ({type(exc).__name__})"
            result = SaveResult(error=failed, short=failed)
        with suppress(RuntimeError):  # the app has closed meanwhile
            self.app.call_from_thread(self.saved, item_id, text, result)

    def saved(self, item_id: int, sent: str, result: SaveResult) -> None:
        """A background save ended: record it, merge, ask, or say why it failed."""
        self.saving.pop(item_id, None)
        if not still_shown(self):  # dismissed, or the app quitting, while it saved
            return
        if result.again:
            pass  # still unsaved: saved again at once if waited for, else on the next tick
        elif result.conflict is not None:
            self.conflicted.add(item_id)
            self.ask_which(item_id, result.conflict)
        elif result.error:
            if not self.save_error:  # one line per failure, not one per second
                self.notify(
                    f"Notes not saved (tried again every second; ctrl+s now): {result.error}",
                    severity="error",
                    timeout=8,
                )
            self.save_error = result.short or result.error
            self._after_saved.clear()  # leaving, finishing... wait for a successful save
        else:
            if self.save_error:
                self.notify("Notes saved again", timeout=3)
            self.save_error = ""
            if result.saved_at is not None:
                self.saved_at[item_id] = result.saved_at
            if result.stored == sent:
                self.base[item_id] = sent
            else:
                self.fold_in(item_id, sent, result.stored)
        self.show_status()
        self._continue_after_saved()

    def fold_in(self, item_id: int, sent: str, stored: str) -> None:
        """The save merged what someone else had added: show it in the editor, above
        what was typed since the save began."""
        self.capture()
        current = self.texts.get(item_id, sent)
        if not current.startswith(sent):
            # Changed mid-line since: the next save compares with the merged notes and,
            # unless it can merge again, asks which to keep.
            self.base[item_id] = sent
            return
        merged = stored + current[len(sent) :]
        self.base[item_id] = stored
        self.texts[item_id] = merged
        if self.shown_id == item_id:
            insert_difference(self.query_one("#min-notes", TextArea), current, merged)
        who = ", ".join(name for name, _ in self.others) or "someone else"
        self.notify(f"{who} added to these notes meanwhile: both kept", timeout=6)

    def ask_which(self, item_id: int, conflict: TextConflict) -> None:
        """Both versions side by side; the coordinator's choice is saved over theirs."""
        from coordinator_tui.screens.text_conflict import TextConflictScreen

        self.capture()
        conflict = replace(conflict, mine=self.texts.get(item_id, conflict.mine))
        number = next((i.number for i in self.items if i.id == item_id), None)
        title = f"Notes of item {number} changed meanwhile" if number else ""
        self.app.push_screen(
            TextConflictScreen(conflict, title), partial(self.chosen, item_id, conflict)
        )

    def chosen(self, item_id: int, conflict: TextConflict, choice: TextChoice | None) -> None:
        self.conflicted.discard(item_id)
        if choice is None:
            return
        text = choice.text + choice.typed
        self.base[item_id] = conflict.theirs
        self.texts[item_id] = text
        if self.shown_id == item_id:
            notes = self.query_one("#min-notes", TextArea)
            notes.load_text(text)
            notes.move_cursor(notes.document.end)
        self.save_item(item_id)
        self.show_status()

    @work(thread=True, exclusive=True, group="minuting-others")
    def find_others(self, item_id: int | None) -> None:
        """Who else is minuting; while someone is, the shown item's notes as stored, so
        that what they save shows here while nothing is being typed."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minuting import notes_for, other_minute_takers

        try:
            with self.coordinator.session() as session:
                others = other_minute_takers(
                    session, self.meeting_id, me=self.coordinator.settings.user
                )
                stored = notes_for(session, item_id) if others and item_id else None
        except CoordinatorError:
            return
        with suppress(RuntimeError):
            self.app.call_from_thread(self.show_others, others, item_id, stored)

    def show_others(
        self, others: list[tuple[str, datetime]], item_id: int | None, stored: str | None
    ) -> None:
        if not still_shown(self):
            return
        if others != self.others:
            self.others = others
            self.show_status()
        idle = (
            item_id == self.shown_id
            and item_id is not None
            and item_id not in self.saving
            and item_id not in self.conflicted
            and self.texts.get(item_id) == self.base.get(item_id)
        )
        if idle and stored is not None and stored != self.base.get(item_id):
            # Nothing typed here since the last save: show theirs as it is now.
            self.capture()
            if self.texts.get(item_id) == self.base.get(item_id):
                old = self.texts.get(item_id, "")
                self.base[item_id] = self.texts[item_id] = stored
                insert_difference(self.notes, old, stored)

    def when_saved(self, then: Callable[[], None]) -> None:
        """Save every changed item, then run ``then`` (leave, finish, export). A save
        that fails says why and ``then`` does not run: nothing typed is left behind."""
        self.capture()
        self._after_saved.append(then)
        self._continue_after_saved()

    def _continue_after_saved(self) -> None:
        if not self._after_saved:
            return
        for item_id in self.unsaved():
            self.save_item(item_id)
        if self.saving or self.conflicted or self.unsaved():
            return
        waiting, self._after_saved = self._after_saved, []
        for then in waiting:
            then()

    def action_save(self) -> None:
        self.save_error = ""  # ctrl+s is the coordinator's retry: say the outcome again
        self.after_keys(lambda: self.when_saved(lambda: self.notify("Notes saved", timeout=2)))

    def on_unmount(self) -> None:
        """Leaving by any way (the app closing, too): a last save of anything changed,
        here and now. Two versions that cannot be merged are both kept."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minuting import save_notes
        from coordinator_tui.services.text_merge import TextConflictError, keep_both

        if self.coordinator.engine is None or self.read_only:
            return
        self.capture()
        for item_id in self.unsaved():
            text, base = self.texts[item_id], self.base.get(item_id, "")
            with suppress(CoordinatorError):
                try:
                    with self.coordinator.session() as session:
                        save_notes(session, item_id, text, base=base)
                except TextConflictError as exc:
                    both = keep_both(text, exc.conflict.theirs)
                    with self.coordinator.session() as session:
                        save_notes(session, item_id, both, base=exc.conflict.theirs)

    def refresh_items(self) -> None:
        """Re-read decisions and actions after a write (the notes typed stay as they are)."""
        from coordinator_tui.services.meetings.minuting import minuting_items

        with self.coordinator.session() as session:
            items = minuting_items(session, self.meeting_id)
        self.take_items(items)

    def take_items(self, items: list[MinutingItem]) -> None:
        """The items as read again (after a decision or an action): shown, the item being
        minuted kept, the notes typed left as they are."""
        current = self.item.id if self.item else None
        self.items = items
        for index, item in enumerate(items):
            self.texts.setdefault(item.id, item.notes)
            self.base.setdefault(item.id, item.notes)
            if item.id == current:
                self.index = index
        if self.item is not None:
            self.query_one("#min-recorded", Static).update(recorded_renderable(self.item))

    # -- moving -------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self.after_keys(partial(self.move, step))

    def move(self, step: int) -> None:
        """To the next or previous item; the notes just left are saved in the background."""
        if not self.items:
            return
        target = self.index + step
        if not 0 <= target < len(self.items):
            self.notify("That was the last item" if step > 0 else "This is the first item")
            return
        self.capture()
        if self.item is not None:
            self.save_item(self.item.id)
        self.index = target
        self.preview = None
        self.query_one("#min-action", Input).value = ""
        self.query_one("#min-decision", Input).value = ""
        self.show_item()
        if not self.read_only:
            self.query_one("#min-notes", TextArea).focus()

    def action_back(self) -> None:
        self.after_keys(lambda: self.when_saved(lambda: self.dismiss(None)))

    # -- decisions and actions ------------------------------------------------------------

    def action_decision(self) -> None:
        self.query_one("#min-decision", Input).focus()

    def action_action_line(self) -> None:
        self.query_one("#min-action", Input).focus()

    @on(Input.Submitted, "#min-decision")
    def record_decision(self, event: Input.Submitted) -> None:
        """``enter`` on the decision line: recorded in a worker thread (``BackgroundWrites``:
        the notes stay live while the database waits, keys typed meanwhile reach them
        after); a refusal is one line, the decision kept in its line to try again."""
        from coordinator_tui.services.meetings.minuting import add_decision, minuting_items

        item = self.item
        if item is None or not event.value.strip():
            self.query_one("#min-notes", TextArea).focus()
            return
        line, text, meeting_id = event.input, event.value, self.meeting_id

        def write() -> list[MinutingItem]:
            with self.coordinator.session() as session:
                add_decision(session, item.id, text)
                return minuting_items(session, meeting_id)

        def then(items: list[MinutingItem]) -> None:
            self.take_items(items)
            line.value = ""
            self.notify("Decision recorded", timeout=2)
            self.query_one("#min-notes", TextArea).focus()

        self.write_in_background(write, then)

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
        """``enter`` on the action line: the action saved in a worker thread
        (``BackgroundWrites``); a refusal is one line, the line and its preview kept."""
        from coordinator_tui.services.meetings.minuting import minuting_items, save_action

        item, preview = self.item, self.preview
        if item is None or preview is None:
            self.query_one("#min-notes", TextArea).focus()
            return
        if not preview.ok:
            self.notify(preview.describe(), severity="error")
            return
        line, today, meeting_id = event.input, self.today, self.meeting_id

        def write() -> list[MinutingItem]:
            with self.coordinator.session() as session:
                save_action(session, item.id, preview, today=today)
                return minuting_items(session, meeting_id)

        def then(items: list[MinutingItem]) -> None:
            self.take_items(items)
            line.value = ""
            self.preview = None
            self.query_one("#min-preview", Static).update("")
            self.notify("Action added", timeout=2)
            self.query_one("#min-notes", TextArea).focus()

        self.write_in_background(write, then)

    # -- attendance, finishing, export ----------------------------------------------------

    def action_attendance(self) -> None:
        from coordinator_tui.screens.meetings.dialogs import AttendanceDialog

        if not self.people:
            self.notify("Nobody is invited to this meeting", severity="warning")
            return
        save = BackgroundSave(self.write_attendance, self.attendance_saved)
        self.app.push_screen(AttendanceDialog(self.people, self.title_text, save))

    def write_attendance(self, changes: dict[int, str]) -> list[Any]:
        """In the dialog's worker thread: the changes in one unit of work, each row
        checked against the version this screen read (a refusal, all or nothing, is shown
        in the dialog, the marks kept); returns everyone invited, as now saved."""
        from coordinator_tui.services.meetings.series import attendees, set_attendances

        seen = {person.staff_id: person.version for person in self.people}
        with self.coordinator.session() as session:
            set_attendances(session, self.meeting_id, changes, seen)
            return attendees(session, self.meeting_id)

    def attendance_saved(self, _changes: dict[int, str], people: list[Any]) -> None:
        self.people = people
        self.show_status()
        self.notify("Attendance recorded", timeout=2)

    def action_add_item(self) -> None:
        """Any other business: an item added now goes straight onto the agenda, last."""
        from coordinator_tui.screens.meetings.dialogs import ManualItemDialog
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.agenda import add_manual_item

        def write(values: dict[str, Any]) -> int:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                return add_manual_item(session, self.meeting_id, **values).id

        def then(_values: dict[str, Any], item_id: int) -> None:
            try:
                self.refresh_items()
            except CoordinatorError as exc:  # saved; only the re-read failed
                self.notify(str(exc), severity="error")
                return
            ids = [item.id for item in self.items]
            if item_id in ids:
                self.capture()
                if self.item is not None:
                    self.save_item(self.item.id)
                self.index = ids.index(item_id)
                self.show_item()

        self.app.push_screen(ManualItemDialog(BackgroundSave(write, then)))

    def action_finish(self) -> None:
        self.after_keys(lambda: self.when_saved(self.ask_finish))

    def ask_finish(self) -> None:
        from coordinator_tui.services.dates import format_date
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minuting import finish_meeting

        def write(_: dict[str, Any]) -> Any:
            # In the dialog's worker thread; the notes' state is read on the UI thread.
            if self.app.call_from_thread(lambda: bool(self.unsaved() or self.saving)):
                raise CoordinatorError("Some notes are not saved yet: press ctrl+s, then finish")
            with self.coordinator.session() as session:
                return finish_meeting(session, self.meeting_id, today=self.today)

        def then(_values: dict[str, Any], summary: Any) -> None:
            self.set_read_only(True)
            try:
                self.refresh_items()
            except CoordinatorError as exc:  # finished; only the re-read failed
                self.notify(str(exc), severity="error")
            self.show_item()
            moved = (
                f" It was dated ahead: now dated {format_date(summary.moved_to)}."
                if summary.moved_to
                else ""
            )
            self.notify(
                f"Meeting finished: {summary.discussed} items discussed, {summary.not_reached} "
                f"deferred, {summary.actions} actions; chronology updated for "
                f"{summary.people} people.{moved} f8 exports the minutes.",
                timeout=10,
            )

        save = BackgroundSave(write, then)

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

    def action_flag_line(self) -> None:
        """``f7``: the notes' current line flagged confidential, third party, not for
        disclosure, then not at all (after the keys typed before it reach the notes)."""
        self.after_keys(self._flag_line)

    def _flag_line(self) -> None:
        from coordinator_tui.services.meetings.confidential import cycle_flag

        notes = self.notes
        if self.read_only or notes.read_only or self.item is None:
            return
        row, column = notes.cursor_location
        line = notes.document.get_line(row)
        flagged, flag = cycle_flag(line)
        notes.replace(flagged, (row, 0), (row, len(line)))
        notes.cursor_location = (row, max(0, column + len(flagged) - len(line)))
        self.notify(
            f"Line marked {flag.label.lower()}: withheld from the minutes that circulate"
            if flag
            else "Line no longer flagged",
            timeout=3,
        )

    def action_share(self) -> None:
        """``f6``: record information about this item's person shared at the meeting, the
        meeting's other agencies filled in (the notes are kept as typed meanwhile)."""
        from coordinator_tui.screens.reports.sharing import share_from

        item = self.item
        if item is None or item.person_id is None:
            self.notify("This item is not about a person", severity="warning")
            return
        share_from(self.coordinator, item.person_id, meeting_id=self.meeting_id)

    def action_export(self) -> None:
        self.after_keys(lambda: self.when_saved(self.open_export))

    def open_export(self) -> None:
        from coordinator_tui.screens.meetings.dialogs import export_dialog

        self.app.push_screen(export_dialog(self, self.meeting_id, self.day or self.today))


def insert_difference(notes: TextArea, old: str, new: str) -> None:
    """Turn the editor's ``old`` text into ``new`` by inserting what ``new`` adds (the
    cursor and what is being typed stay where they are); a reload if it is more than an
    insertion."""
    extra = len(new) - len(old)
    prefix = suffix = 0
    if extra > 0:
        while prefix < len(old) and old[prefix] == new[prefix]:
            prefix += 1
        while suffix < len(old) and old[-1 - suffix] == new[-1 - suffix]:
            suffix += 1
    at = len(old) - suffix  # new == old[:at] + inserted + old[at:] when at <= prefix
    if extra <= 0 or not old or at > prefix:
        notes.load_text(new)
        notes.move_cursor(notes.document.end)
        return
    location = (old.count("\n", 0, at), at - (old.rfind("\n", 0, at) + 1))
    # Text inserted before the cursor moves it on with the line; text inserted at or
    # after it (their lines below the one being typed) leaves it where it is.
    selection = notes.selection
    notes.insert(new[at : at + extra], location)
    if location >= selection.end:
        notes.selection = selection
