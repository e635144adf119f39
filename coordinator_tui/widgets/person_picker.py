"""Pick a person by name, NHS number or date of birth, with completion as you type.

The search runs in a thread worker (``services.people.search_people``: index range scans,
milliseconds on 100,000 people) so typing never waits for the database. ``down`` moves
into the suggestions, ``enter`` picks.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.services.people import PersonHit


class PersonPicker(Vertical):
    """An input with a suggestion list; ``person`` is the picked person (or None)."""

    DEFAULT_CSS = """
    PersonPicker {
        height: auto;
    }
    PersonPicker > OptionList {
        height: auto;
        max-height: 8;
        display: none;
    }
    PersonPicker.-open > OptionList {
        display: block;
    }
    PersonPicker > .picked {
        color: $text-success;
        height: auto;
    }
    """

    class Picked(Message):
        """A person was chosen."""

        def __init__(self, picker: PersonPicker, person: PersonHit) -> None:
            super().__init__()
            self.picker = picker
            self.person = person

        @property
        def control(self) -> PersonPicker:
            return self.picker

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.person: PersonHit | None = None
        self._hits: list[PersonHit] = []

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="Name, NHS number or date of birth", id="picker-input", compact=True
        )
        yield OptionList(id="picker-options")
        yield Static("", classes="picked")

    @property
    def value(self) -> PersonHit | None:
        return self.person

    @on(Input.Changed, "#picker-input")
    def search(self, event: Input.Changed) -> None:
        event.stop()
        self.person = None
        self.query_one(".picked", Static).update("")
        self.lookup(event.value)

    @work(thread=True, exclusive=True, group="person-picker")
    def lookup(self, text: str) -> None:
        from coordinator_tui.services.people import search_people

        hits: list[PersonHit] = []
        if len(text.strip()) >= 2:
            with self.app.session() as session:  # type: ignore[attr-defined]
                hits = search_people(session, text, limit=8)
        self.app.call_from_thread(self.show_hits, hits)

    def show_hits(self, hits: list[PersonHit]) -> None:
        self._hits = hits
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(hit.label, id=str(hit.id)) for hit in hits])
        self.set_class(bool(hits), "-open")

    def on_key(self, event) -> None:
        options = self.query_one(OptionList)
        if event.key == "down" and self.query_one(Input).has_focus and self._hits:
            event.stop()
            options.focus()
            options.highlighted = 0

    @on(Input.Submitted, "#picker-input")
    def pick_first(self, event: Input.Submitted) -> None:
        if self.person is None and self._hits:
            event.stop()
            self.choose(self._hits[0])

    @on(OptionList.OptionSelected, "#picker-options")
    def pick(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(self._hits[event.option_index])

    def choose(self, hit: PersonHit) -> None:
        self.person = hit
        self.set_class(False, "-open")
        self.query_one(".picked", Static).update(f"✓ {hit.label}")
        self.query_one(Input).focus()
        self.post_message(self.Picked(self, hit))
