"""Keys typed faster than screens open still go where the coordinator meant them.

A coordinator presses ``r`` and types the note straight after, as fast as they type.
Textual hands each key to the focused widget of the screen on top *when the app reads
the key*: keys read before ``r`` had opened its dialog went to the list behind it, and
keys read before the dialog's first field had the focus went to the dialog screen itself.
Either way they were dropped. So:

- ``PassesStrayKeys`` (every screen) with ``pass_on_stray`` (the app): a key that reaches
  a screen, or bubbles up from it to the app's bindings, once that screen is no longer on
  top is passed to the screen now on top;
- ``TypeAhead`` (dialogs) with ``hold_for_dialog`` (the app, for every key it reads):
  while a dialog has no field with the focus yet, keys for it are held, then given to
  its first focused field in the order typed (a dialog with no field gets them itself).
  The characters land in the field; ``enter`` or ``ctrl+s`` act as they would have,
  since the keys bubble up to the app's bindings from there.

Not covered: keys read in the same instant as the key that closes a dialog (a paste of
"note, ctrl+s, more") still reach the closing dialog's field, as in any Textual app.
"""

from __future__ import annotations

from typing import Any

from textual import events

SEEN_ON = "_coordinator_seen_on"
"""Attribute a key gets naming the screen it bubbled through (see ``pass_on_stray``)."""


def _again(event: events.Key) -> events.Key:
    return events.Key(event.key, event.character)


def hold_for_dialog(app: Any, event: events.Key) -> bool:
    """For a key the app has read (or passes on): True when the dialog on top took it to
    hold until a field has the focus. A dialog whose field has just got the focus first
    gives its held keys to that field, so this key comes after them."""
    screen = app.screen
    if not isinstance(screen, TypeAhead):
        return False
    if app.focused is not None:
        screen.release_held_keys(app.focused)
        return False
    return screen.hold(event)


async def pass_on(app: Any, event: events.Key) -> None:
    """Deliver a copy of ``event`` as the app would have, had the screen now on top been
    on top when the key arrived: its priority bindings, else to its focused widget (else
    to it). Textual's own steps (``App.on_event``), so keys keep their order."""
    event.stop()
    event.prevent_default()
    if await app._check_bindings(event.key, priority=True):
        return
    if hold_for_dialog(app, event):
        return
    target: Any = app.focused or app.screen
    target._forward_event(_again(event))


async def pass_on_stray(app: Any, event: events.Key) -> bool:
    """At the app, before its bindings: a key that bubbled up through a screen that is
    no longer on top (``r`` opened a dialog meanwhile) goes to the one on top instead."""
    seen = getattr(event, SEEN_ON, None)
    if seen is None or seen is app.screen:
        return False
    await pass_on(app, event)
    return True


class PassesStrayKeys:
    """Mixin for a screen (before ``Screen`` in the bases)."""

    app: Any
    is_attached: bool

    async def on_key(self, event: events.Key) -> None:
        app = self.app
        if app.screen is self:
            setattr(event, SEEN_ON, self)  # the app checks it again (pass_on_stray)
        elif self.is_attached:
            await pass_on(app, event)


class TypeAhead(PassesStrayKeys):
    """Mixin for a dialog screen (before ``ModalScreen`` in the bases)."""

    focus_chain: Any

    def hold(self, event: events.Key) -> bool:
        """Keep a copy of ``event`` until a field has the focus (False once one has)."""
        if self.__dict__.get("_type_ahead_done"):
            return False
        self.__dict__.setdefault("_held_keys", []).append(_again(event))
        return True

    def release_held_keys(self, target: Any) -> None:
        """Give the held keys to ``target``, in order, once; later keys go straight."""
        if self.__dict__.get("_type_ahead_done"):
            return
        self.__dict__["_type_ahead_done"] = True
        for key in self.__dict__.pop("_held_keys", []):
            target._forward_event(key)  # as the app forwards a key it reads

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.release_held_keys(event.widget)

    def on_mount(self) -> None:
        self.call_after_refresh(self._release_if_nothing_to_focus)  # type: ignore[attr-defined]

    def _release_if_nothing_to_focus(self) -> None:
        """A dialog with no field (a yes/no question) gets its keys itself: its bindings."""
        if not self.focus_chain:
            self.release_held_keys(self)
