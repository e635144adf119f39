"""Keys typed faster than screens open still go where the coordinator meant them.

A coordinator presses ``r`` and types the note straight after, or ``5`` then ``a``, as
fast as they type. Textual hands each key to the focused widget of the screen on top
*when the app reads the key*; keys read before ``r`` had opened its dialog went to the
list behind it, and keys read before the dialog's first field had the focus went to the
dialog screen itself. Either way they were dropped. So:

- ``PassesStrayKeys`` (every screen) with ``pass_on_stray`` (the app): a key that reaches
  a screen, or bubbles up from it to the app's bindings, once that screen is no longer on
  top is passed to the screen now on top (its focused widget, else the screen);
- ``TypeAhead`` (dialogs): keys reaching the dialog before any of its fields had the
  focus are held, then given to the first field focused, in the order typed. The
  characters land in the field; ``enter`` or ``ctrl+s`` act as they would have, since
  the keys bubble up to the app's bindings from there.
"""

from __future__ import annotations

from typing import Any

from textual import events

SEEN_ON = "_coordinator_seen_on"
"""Attribute a key gets naming the screen it bubbled through (see ``pass_on_stray``)."""


def _again(event: events.Key) -> events.Key:
    return events.Key(event.key, event.character)


async def pass_on(app: Any, event: events.Key) -> None:
    """Deliver a copy of ``event`` as the app would have, had the screen now on top been
    on top when the key arrived: its priority bindings, else to its focused widget (else
    to it). Textual's own steps (``App.on_event``), so keys keep their order."""
    event.stop()
    event.prevent_default()
    if await app._check_bindings(event.key, priority=True):
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

    focused: Any

    def on_key(self, event: events.Key) -> None:
        if self.app.screen is not self or self.__dict__.get("_type_ahead_done"):
            return  # PassesStrayKeys.on_key deals with it, or the dialog is ready
        if self.focused is not None:
            self.__dict__["_type_ahead_done"] = True
            return
        self.__dict__.setdefault("_held_keys", []).append(event)
        event.stop()
        event.prevent_default()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._release_held_keys(event.widget)

    def on_mount(self) -> None:
        self.call_after_refresh(self._release_if_nothing_to_focus)  # type: ignore[attr-defined]

    def _release_if_nothing_to_focus(self) -> None:
        """A dialog with no field (a yes/no question) gets its keys itself: its bindings."""
        if not self.focus_chain:  # type: ignore[attr-defined]
            self._release_held_keys(self)

    def _release_held_keys(self, target: Any) -> None:
        if self.__dict__.get("_type_ahead_done"):
            return
        self.__dict__["_type_ahead_done"] = True
        for key in self.__dict__.pop("_held_keys", []):
            target._forward_event(_again(key))  # as the app forwards a key it reads
