"""Dialogs shared by the meeting screens: an agenda item added by hand about a person
picked by name (``a`` on triage), which the generic FormDialog cannot hold, and the
minutes export (Meetings ``x``, minuting ``f8``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from coordinator_tui.screens.dialog_base import BackgroundSave, DialogBase
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.person_picker import PersonPicker

PRIORITIES = (("1 urgent", 1), ("2 high", 2), ("3 routine", 3))


class ManualItemDialog(DialogBase, ModalScreen[bool]):
    """Title, why, an optional person, priority and minutes; the caller saves."""

    CSS_PATH = "../form_dialog.tcss"
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, save: Callable[[dict[str, Any]], str | None] | BackgroundSave) -> None:
        """``save``: a :class:`BackgroundSave` (the write in a worker thread, the screen
        live while the database waits), or a callable run on the UI thread returning an
        error message or None."""
        super().__init__()
        self.save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box") as box:
            box.border_title = "Add an agenda item"
            box.border_subtitle = "ctrl+s/f2 save · esc cancel"
            yield Label("Title *", classes="form-label")
            yield Input(placeholder="e.g. Any other business", id="f-title", compact=True)
            yield Label("Why it is on the agenda *", classes="form-label")
            yield Input(placeholder="e.g. raised by the school nurse", id="f-reason", compact=True)
            yield Label("About a person (optional)", classes="form-label")
            yield PersonPicker(id="f-person")
            yield Label("Priority", classes="form-label")
            yield Select(PRIORITIES, value=3, allow_blank=False, id="f-priority", compact=True)
            yield Label("Minutes", classes="form-label")
            yield Input(value="5", id="f-minutes", compact=True, type="integer")
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one("#f-title", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "f-minutes":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        person = self.query_one(PersonPicker).person
        minutes = self.query_one("#f-minutes", Input).value.strip()
        if not minutes.isdigit():
            self.show_error("Minutes: a whole number")
            return
        values = {
            "title": self.query_one("#f-title", Input).value,
            "reason": self.query_one("#f-reason", Input).value,
            "person_id": person.id if person else None,
            "priority": self.query_one("#f-priority", Select).value,
            "minutes_allotted": int(minutes),
        }
        self.submit(self.save, values, result=True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def output_folder(app: Any) -> Path:
    """Where exports go by default: beside the database (an SQLite file), else here."""
    from coordinator_tui.preflight import resolve_target

    target = resolve_target(app.settings.db)
    return target.path.parent if target.path is not None else Path.cwd()


VERSIONS = (
    ("To circulate: items discussed; the rest counted", "external"),
    ("INTERNAL: also lists items carried forward or not taken", "internal"),
)


def export_dialog(screen: Any, meeting_id: int, day: date) -> FormDialog:
    """``x`` on Meetings, ``f8`` while minuting: the meeting record as Markdown or Word,
    to a file beside the database unless another path is typed. The version to circulate
    holds only the items discussed; the INTERNAL one (its file name says so) also lists
    every item carried forward, not triaged or dropped. Either holds patient details, so
    the file is created readable by the owner only (``minutes.export_minutes``)."""
    app = screen.app
    default = output_folder(app) / f"minutes-{meeting_id}-{day:%Y-%m-%d}.md"

    def write(values: dict[str, Any]) -> Any:
        # In the dialog's worker thread; a refusal is shown in the form.
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.meetings.minutes import export_minutes

        fmt = values["format"]
        path = Path(values["path"]).expanduser()
        if path.suffix.lower() in ("", ".md", ".docx"):
            path = path.with_suffix(f".{fmt}")
        internal = values.get("version") == "internal"
        try:
            with app.session() as session:
                return export_minutes(session, meeting_id, fmt, path, internal=internal)
        except OSError as exc:  # the folder or the disk: one line in the form
            raise CoordinatorError(str(exc)) from exc

    def then(values: dict[str, Any], written: Any) -> None:
        internal = values.get("version") == "internal"
        what = "INTERNAL minutes (not for circulation)" if internal else "Minutes"
        screen.notify(f"{what} written to {written}", timeout=8)

    save = BackgroundSave(write, then)

    return FormDialog(
        "Export the minutes",
        [
            Field(
                "format",
                "Format",
                "select",
                value="md",
                required=True,
                options=(("Markdown (.md)", "md"), ("Word (.docx)", "docx")),
            ),
            Field(
                "version", "Version", "select", value="external", required=True, options=VERSIONS
            ),
            Field("path", "File", value=str(default), required=True),
        ],
        app.settings.current_date(),
        "The record holds patient details: the file is readable by you only.",
        save=save,
    )


class AttendanceDialog(DialogBase, ModalScreen[dict[int, str] | None]):
    """``ctrl+t`` while minuting: everyone invited, one key each (``p`` present, ``a``
    apologies, ``x`` absent, ``i`` invited, then on to the next person); ``ctrl+s``/``f2``
    returns {staff id: attendance} of the changes, ``esc`` cancels."""

    CSS_PATH = "../form_dialog.tcss"
    BINDINGS = [
        Binding("p", "mark('present')", "Present", id="attendance.present"),
        Binding("a", "mark('apologies')", "Apologies", id="attendance.apologies"),
        Binding("x", "mark('absent')", "Absent", id="attendance.absent"),
        Binding("i", "mark('invited')", "Invited", id="attendance.invited"),
        Binding("ctrl+s,f2", "save", "Save", id="attendance.save"),
        Binding("escape", "cancel", "Cancel", id="attendance.cancel"),
    ]
    WORD = {"present": "PRESENT", "apologies": "apologies", "absent": "absent", "invited": "—"}

    def __init__(
        self, people: list[Any], context: str = "", save: BackgroundSave | None = None
    ) -> None:
        """``save``: the changes written in a worker thread (the screen live while the
        database waits; a refusal shown here, the marks kept); without it the changes
        are returned for the caller to write."""
        super().__init__()
        self.people = people
        self.context = context
        self.save = save
        self.marks = {p.staff_id: p.attendance for p in people}

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList

        with VerticalScroll(id="form-box") as box:
            box.border_title = "Attendance"
            box.border_subtitle = "p present · a apologies · x absent · ctrl+s save · esc"
            if self.context:
                yield Static(self.context, id="form-context")
            yield OptionList(*[self._prompt(p) for p in self.people], id="attendance-list")
            yield Static("", id="form-error")

    def _prompt(self, person: Any) -> str:
        return f"{self.WORD.get(self.marks[person.staff_id], '—'):<10} {person.label}"

    def on_mount(self) -> None:
        from textual.widgets import OptionList

        options = self.query_one(OptionList)
        # One line a person: a long role and organisation is cut with an ellipsis rather
        # than wrapped onto a second line at 80 columns, where it read as another person.
        options.styles.text_wrap = "nowrap"
        options.styles.text_overflow = "ellipsis"
        options.highlighted = 0
        options.focus()

    def action_mark(self, attendance: str) -> None:
        from textual.widgets import OptionList

        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return
        person = self.people[index]
        self.marks[person.staff_id] = attendance
        options.replace_option_prompt_at_index(index, self._prompt(person))
        options.highlighted = min(index + 1, len(self.people) - 1)

    def on_option_list_option_selected(self, event: Any) -> None:
        event.stop()
        self.action_save()  # enter saves too

    def action_save(self) -> None:
        changes = {
            p.staff_id: self.marks[p.staff_id]
            for p in self.people
            if self.marks[p.staff_id] != p.attendance
        }
        self.submit(self.save if changes else None, changes)  # nothing changed: no write

    def action_cancel(self) -> None:
        self.dismiss(None)
