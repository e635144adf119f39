"""Pick by typing: a person by name, NHS number or date of birth (``PersonPicker``), or
one of a short list such as a concern's category or a register (``ChoicePicker``).

Both take ``enter`` as "this one" and move the focus on to the next field, so the keys
typed next go there and cannot unpick what was just picked (issue 22: concern intake in
six keys plus the text).

The person search runs in a thread worker (``services.people.search_people``: index range
scans, milliseconds on 100,000 people) so typing never waits for the database; ``enter``
typed before the matches arrive picks the first match when they do. ``down`` moves into
the suggestions, ``enter`` picks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import NoBinding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.services.person_hit import PersonHit
from coordinator_tui.textual_private import forward_key
from coordinator_tui.widgets.from_worker import call_from_worker


def focus_after(node: Widget) -> None:
    """Give the focus to the first field after ``node`` (and everything inside it) in
    the screen's focus order; stay put when ``node`` is the last field."""
    screen = node.screen
    passed = False
    for widget in screen.focus_chain:
        if widget is node or node in widget.ancestors:
            passed = True
        elif passed:
            screen.set_focus(widget)
            return


PICK_WAIT_LIMIT_S = 3.0
"""How long ``enter`` typed before the matches waits for them at most."""


class _PickerBox(Input):
    """A picker's text box. Its picker sees each key first (``box_key``): ``enter`` is
    acted on here, in the order typed, not after bubbling up to the app's bindings, so
    the keys typed straight after it cannot land in this box before the pick is made;
    keys that still reach the box after the pick moved the focus on go on to the field
    that now has it."""

    async def _on_key(self, event: events.Key) -> None:
        picker = self.parent
        if isinstance(picker, PersonPicker | ChoicePicker) and picker.box_key(self, event):
            event.stop()
            event.prevent_default()
            return
        if not event.is_printable:
            # The box's own editing keys (backspace, ctrl+u...) act here too, in the
            # order typed, rather than after a trip to the app's bindings that the
            # characters typed next would overtake.
            try:
                binding = self._bindings.get_bindings_for_key(event.key)[0]
            except (NoBinding, IndexError):
                binding = None
            if binding is not None:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)


def _say(picker: Widget, text: str) -> None:
    """The line under a picker: what was picked (or why nothing was); no line if empty."""
    line = picker.query_one(".picked", Static)
    line.update(text)
    line.set_class(bool(text), "-shown")


def _pass_to_focus(box: Input, event: events.Key) -> bool:
    """A key read for ``box`` before the focus moved on from it: give it to the widget
    that has the focus now (True), else leave it to the box (False)."""
    focused = box.screen.focused  # set at once by a move, unlike ``has_focus``
    if focused is None or focused is box:
        return False
    forward_key(focused, events.Key(event.key, event.character))
    return True


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
        display: none;
    }
    PersonPicker > .picked.-shown {
        display: block;
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

    def __init__(self, *, id: str | None = None, person: PersonHit | None = None) -> None:
        """``person``: already picked (a form opened from that person's record)."""
        super().__init__(id=id)
        self.person: PersonHit | None = person
        self._hits: list[PersonHit] = []
        self._hits_for = ""  # the text the shown matches are for
        self._pick_when_found = False
        self._picked_text = ""  # the search box's text when the person was picked
        self._early_keys: list[events.Key] = []
        self._pick_text = ""  # what was typed when enter asked for the first match

    def compose(self) -> ComposeResult:
        yield _PickerBox(
            placeholder="Name, NHS number or date of birth", id="picker-input", compact=True
        )
        yield OptionList(id="picker-options")
        yield Static(
            f"✓ {self.person.label}" if self.person else "",
            classes="picked -shown" if self.person else "picked",
        )

    @property
    def value(self) -> PersonHit | None:
        return self.person

    def box_key(self, box: Input, event: events.Key) -> bool:
        """A key for the search box, before the box takes it; True when used here."""
        if self._pick_when_found:
            # Read before the screen began holding keys for the pick: these come first.
            self._early_keys.append(events.Key(event.key, event.character))
            return True
        if _pass_to_focus(box, event):
            return True
        if event.key == "enter":
            self.submit(box.value)
            return True
        return False

    @on(Input.Changed, "#picker-input")
    def search(self, event: Input.Changed) -> None:
        event.stop()
        text = self.query_one(Input).value  # the box as it is now: the event may be stale
        if self.person is not None and text == self._picked_text:
            return  # nothing new typed since the pick
        if self._pick_when_found and text == self._pick_text:
            return  # enter came first: that search is already running
        self.person = None
        self._pick_when_found = False
        _say(self, "")
        self.lookup(text)

    @work(thread=True, exclusive=True, group="person-picker")
    def lookup(self, text: str) -> None:
        from coordinator_tui.services.people import search_people

        hits: list[PersonHit] = []
        if len(text.strip()) >= 2:
            with self.app.session() as session:  # type: ignore[attr-defined]
                hits = search_people(session, text, limit=8)
        call_from_worker(self, self.show_hits, text, hits)

    def show_hits(self, text: str, hits: list[PersonHit]) -> None:
        if text != self.query_one(Input).value:
            return  # matches for what was typed before: newer ones are on their way
        self._hits, self._hits_for = hits, text
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(hit.label, id=str(hit.id)) for hit in hits])
        self.set_class(bool(hits), "-open")
        if self._pick_when_found:
            self._pick_when_found = False
            if hits:
                self.choose(hits[0])
            else:
                _say(self, "✗ Nobody matches")
            self._release_keys()

    def on_key(self, event: events.Key) -> None:
        options = self.query_one(OptionList)
        if event.key == "down" and self.query_one(Input).has_focus and self._hits:
            event.stop()
            options.focus()
            options.highlighted = 0

    def submit(self, text: str) -> None:
        """``enter``: take the first match of ``text`` and move on (already picked: just
        move on)."""
        if self.person is not None:
            focus_after(self)
        elif self._hits and self._hits_for == text:
            self.choose(self._hits[0])
        elif len(text.strip()) >= 2:
            # Typed faster than the search: pick the first match when it arrives, and
            # hold the keys typed meanwhile for the field after this one.
            self._pick_when_found = True
            self._pick_text = text
            self.lookup(text)
            hold = getattr(self.screen, "hold_keys_until_loaded", None)
            if hold is not None:
                hold()
            self.set_timer(PICK_WAIT_LIMIT_S, self._give_up)

    def _give_up(self) -> None:
        """The search never answered (a database error): let the keys go on."""
        if self._pick_when_found:
            self._pick_when_found = False
            _say(self, "✗ No match yet: type the name again")
            self._release_keys()

    def _release_keys(self) -> None:
        """The pick is made: the keys typed meanwhile are read again, in order, by what
        now has the focus (those that reached the search box first)."""
        early, self._early_keys = self._early_keys, []
        for key in early:
            self.app.post_message(key)
        release = getattr(self.screen, "keys_loaded", None)
        if release is not None:
            release()

    @on(OptionList.OptionSelected, "#picker-options")
    def pick(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(self._hits[event.option_index])

    def choose(self, hit: PersonHit) -> None:
        """Take ``hit`` and move on to the next field."""
        self.person = hit
        self._pick_when_found = False
        self._picked_text = self.query_one(Input).value
        self.set_class(False, "-open")
        _say(self, f"✓ {hit.label}")
        focus_after(self)
        self.post_message(self.Picked(self, hit))


_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Choice:
    """One entry of a ``ChoicePicker``: what is shown, what is returned, and what typing
    matches (the label when empty): a register's code, name and other terms."""

    label: str
    value: Any
    search_text: str = ""

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(_WORD.findall((self.search_text or self.label).lower()))

    def matches(self, typed: Sequence[str]) -> bool:
        """Every word typed starts a word of the entry ("negl" finds neglect and
        self-neglect, "cic" finds LAC/CiC; "ex" finds exploitation, not sexual)."""
        return all(any(word.startswith(part) for word in self.words) for part in typed)


class ChoicePicker(Vertical):
    """Choose one of a list by typing a few letters of it: the list narrows as you type
    (every word typed must appear in the entry), ``up``/``down`` move the highlight,
    ``enter`` takes the highlighted entry and moves on. ``value`` is the chosen value."""

    DEFAULT_CSS = """
    ChoicePicker {
        height: auto;
    }
    ChoicePicker > OptionList {
        height: auto;
        max-height: 6;
        display: none;
    }
    ChoicePicker.-open > OptionList {
        display: block;
    }
    ChoicePicker > OptionList > .option-list--option-highlighted {
        text-style: bold reverse;  /* what enter takes, seen without colour too */
    }
    ChoicePicker > .picked {
        color: $text-success;
        height: auto;
        display: none;
    }
    ChoicePicker > .picked.-shown {
        display: block;
    }
    """

    class Picked(Message):
        """An entry was chosen."""

        def __init__(self, picker: ChoicePicker, choice: Choice) -> None:
            super().__init__()
            self.picker = picker
            self.choice = choice

        @property
        def control(self) -> ChoicePicker:
            return self.picker

    def __init__(
        self,
        choices: Sequence[Choice],
        value: Any = None,
        *,
        placeholder: str = "Type a few letters, enter takes it",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.choices = list(choices)
        self.chosen: Choice | None = next((c for c in self.choices if c.value == value), None)
        self.shown: list[Choice] = list(self.choices)
        self.placeholder = placeholder
        self._picked_text = ""  # the box's text when the entry was taken
        self._browsed = False  # the highlight was moved with up/down
        self._narrowed_for = ""  # the text the list is narrowed to

    @property
    def value(self) -> Any:
        return self.chosen.value if self.chosen else None

    def compose(self) -> ComposeResult:
        yield _PickerBox(placeholder=self.placeholder, compact=True, classes="choice-input")
        options = OptionList(*[c.label for c in self.choices], compact=True)
        options.can_focus = False  # the focus stays in the box; up/down move the highlight
        yield options
        yield Static(
            f"✓ {self.chosen.label}" if self.chosen else "",
            classes="picked -shown" if self.chosen else "picked",
        )

    def on_descendant_focus(self) -> None:
        self.set_class(True, "-open")
        self._highlight_chosen()

    def on_descendant_blur(self) -> None:
        self.set_class(False, "-open")
        if self.chosen is None and len(self.shown) == 1 and self.query_one(Input).value:
            self._take(self.shown[0], move_on=False)  # one match left: that is the one

    @on(Input.Changed, ".choice-input")
    def narrow(self, event: Input.Changed) -> None:
        event.stop()
        text = self.query_one(Input).value  # not the event's: it may be stale
        if text != self._narrowed_for:
            self._narrow(text)

    def _narrow(self, text: str) -> None:
        """The list as ``text`` narrows it (also called by ``enter`` when the box's
        change has not reached the picker yet: the pick is from what was typed)."""
        self._narrowed_for = text
        typed = _WORD.findall(text.lower())
        self.shown = [c for c in self.choices if c.matches(typed)]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([c.label for c in self.shown] or [Option("(nothing matches)")])
        options.highlighted = 0 if self.shown else None
        if self.chosen is not None and text != self._picked_text:
            self.chosen = None  # typing again: choose again
            _say(self, "")

    def _highlight_chosen(self) -> None:
        if self.chosen in self.shown:
            self.query_one(OptionList).highlighted = self.shown.index(self.chosen)

    def box_key(self, box: Input, event: events.Key) -> bool:
        """A key for the text box, before the box takes it; True when used here:
        ``up``/``down`` move the highlight, ``enter`` takes it and moves on."""
        if _pass_to_focus(box, event):
            return True
        if event.key in ("up", "down"):
            if self.shown:
                self._browsed = True
                options = self.query_one(OptionList)
                if event.key == "down":
                    options.action_cursor_down()
                else:
                    options.action_cursor_up()
            return True
        if event.key == "enter":
            self.take_highlighted(box.value)
            return True
        return False

    def take_highlighted(self, text: str) -> None:
        if text != self._narrowed_for:
            self._narrow(text)
        index = self.query_one(OptionList).highlighted
        if self.chosen is not None and not self._browsed:
            focus_after(self)  # already chosen: enter moves on
        elif self.shown and index is not None and (text.strip() or self._browsed):
            self._take(self.shown[index])
        # Nothing typed or highlighted yet: enter does not choose for the coordinator.

    @on(OptionList.OptionSelected)
    def clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.shown:
            self._take(self.shown[event.option_index])

    def _take(self, choice: Choice, *, move_on: bool = True) -> None:
        self.chosen = choice
        self._browsed = False
        self._picked_text = self.query_one(Input).value
        _say(self, f"✓ {choice.label}")
        if move_on:
            focus_after(self)
        self.post_message(self.Picked(self, choice))
