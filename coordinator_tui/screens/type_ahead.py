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

- ``run_dialog_key_now`` (the app): a dialog's own keys (save, cancel) act as soon as
  they are read, so the keys typed after them go to what is on top next.
- ``hold_for_busy`` (the app): while a list reloads after a save it asked for
  (``PassesStrayKeys.hold_keys_until_loaded``), keys for it wait and are read again once
  the reloaded rows are on screen. "r, note, ctrl+s, r, note, ctrl+s" in one burst then
  reviews the entry under the cursor after the first save, whatever the machine's speed,
  never the row as it was before the reload (issue 22 §6: the outcome no longer depends
  on which of the reload and the next key comes first).
- ``PassesStrayKeys.hold_keys_for_write`` (``background_write``): while a one-key write
  is under way its keys are held in the same way, and only the write's end lets them go
  (``end_write_hold``): not a reload landing meanwhile, nor the time limit of a hold
  left from an earlier save. A hold's time limit lets go only the hold it was set for.
- Reloads are counted: two asked for before either lands (two saves in quick
  succession) hold the keys until the second has landed too, not only the first.
- Reads are numbered (``PassesStrayKeys.read_asked``): a screen shows only the newest it
  asked for and drops one a newer read has overtaken (a change of view or filter, a
  second save). The keys an overtaken read held are not left counted to its time limit:
  ``read_landed`` hands them to the newest read, and ``read_shown`` lets them go with the
  newest read's rows (the review queue and Governance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from textual import events

from coordinator_tui.textual_private import forward_key, run_priority_bindings

SEEN_ON = "_coordinator_seen_on"
"""Attribute a key gets naming the screen it bubbled through (see ``pass_on_stray``)."""
SAVING_HOLD = "_type_ahead_saving"
"""A dialog's list of keys read while its save is written in a worker (``DialogBase``)."""
READ_FOR = "_coordinator_read_for"
"""Attribute a key gets, when the app reads it, naming the widget then focused."""


def note_focus(app: Any, event: events.Key) -> None:
    """When the app reads a key: remember which widget it is going to (``pass_on_stray``)."""
    setattr(event, READ_FOR, app.focused)


def _again(event: events.Key) -> events.Key:
    return events.Key(event.key, event.character)


BUSY_HOLD_LIMIT_S = 3.0
"""Keys held for a reloading list are read again after this long at most, loaded or not
(a reload that failed must not swallow the keyboard)."""

HELD = "_keys_held_while_loading"
"""Where a screen keeps the keys the app holds for it (``hold_for_busy``): while it is
set, keys for the screen on top wait and are read again when it is let go."""


class HeldKeys(list[events.Key]):
    """The keys held for a screen, with what may let them go.

    One screen can be waiting for a reload and for a one-key write at once (a dialog's
    save reloads the list while the write it asked for runs), for two reloads at once
    (two saves, the second asked for before the first's reload has landed), and a hold's
    time limit can still be pending when a later hold starts. So a hold counts the
    reloads it waits for (the keys go when the last has landed: the first to land shows
    rows the second is about to change), keeps a time limit for each (a limit stands for
    its own reload only, and never lets go a later hold), and knows whether a write holds
    it (then only the write's end lets it go)."""

    def __init__(self, keys: list[events.Key] | None = None) -> None:
        super().__init__(keys or [])
        self.timers: dict[object, Any] = {}
        """The time limits running, one for each reload awaited, oldest first (a token
        for each: the limit's callback names its own)."""
        self.writing = False
        """A one-key write holds the keys: its end reads them again (``end_write_hold``)."""
        self.loading = 0
        """How many reloads were asked for and have not said ``keys_loaded`` yet."""

    def stop_timers(self) -> None:
        for timer in self.timers.values():
            timer.stop()
        self.timers.clear()

    def landed(self, token: object | None = None) -> None:
        """A reload awaited has landed (or ``token``'s time limit stands for it): one
        fewer to wait for, and its time limit (the oldest, unless named) stopped."""
        self.loading = max(self.loading - 1, 0)
        if token is None and self.timers:
            token = next(iter(self.timers))
        timer = self.timers.pop(token, None)
        if timer is not None:
            timer.stop()


READS = "_coordinator_reads"
"""Where a screen keeps the reads of its rows it asked for (``PassesStrayKeys.read_asked``)."""


@dataclass
class Reads:
    """A screen's numbered reads of its rows. Only the newest asked for is shown: an
    older one landing after it was asked for has been overtaken (the view or the filter
    changed, or a second save reloaded) and is dropped. ``holding`` counts, for each read
    still to land, the holds of typed keys that wait for it (``hold_keys_until_loaded``:
    one each), so that each hold is let go exactly once: by the newest read's rows, never
    by a read that held nothing, and never left to its time limit by a dropped read."""

    latest: int = 0
    """The number of the newest read asked for (the first is 1)."""
    holding: dict[int, int] = field(default_factory=dict)
    """Read number -> how many holds wait for it (none once its rows are shown)."""


def hold_for_busy(app: Any, event: events.Key) -> bool:
    """For a key the app has read (or passes on): True when the screen on top is
    reloading after a save and took the key to read again once it has loaded. The app's
    priority keys (quit) are never held."""
    screen = app.screen
    held = getattr(screen, HELD, None)
    if held is None:
        return False
    if (
        not held
        and not getattr(held, "writing", False)
        and event.key in getattr(screen, "KEYS_NOT_HELD", ())
    ):
        # A key the screen takes while it loads (the rota's ``[`` and ``]``: a week
        # moved past is not waited for), with nothing typed before it to keep behind.
        return False
    active = app.active_bindings.get(event.key)
    if active is not None and active.binding.priority and active.node is app:
        return False
    held.append(_again(event))
    return True


def hold_for_dialog(app: Any, event: events.Key) -> bool:
    """For a key the app has read (or passes on): True when the dialog on top took it to
    hold, because no field has the focus yet or the dialog is closing. A dialog whose
    field has just got the focus first gives its held keys to that field, so this key
    comes after them."""
    screen = app.screen
    if not isinstance(screen, TypeAhead):
        return False
    if app.focused is not None and not screen.closing:
        screen.release_held_keys(app.focused)
        if not screen.closing:
            return False
    return screen.hold(event)


def run_dialog_key_now(app: Any, event: events.Key) -> bool:
    """For a key the app has read: a key bound by the dialog on top itself (``ctrl+s``
    save, ``esc`` cancel), not by its focused field, runs its action now rather than
    after going down to the field and back up. Keys typed straight after it then reach
    whatever is on top once the dialog has closed, not the closing dialog's field (a
    burst of "r, note, ctrl+s, r, note, ctrl+s" is two reviews with their own notes)."""
    screen = app.screen
    if not isinstance(screen, TypeAhead) or app.focused is None:
        return False
    active = app.active_bindings.get(event.key)
    if active is None or active.node is not screen or not active.enabled:
        return False
    screen.act_after(app.focused, active.binding.action, [])
    return True


def closing(app: Any) -> bool:
    """The app is shutting down: its screens are gone but a key held for after a save
    can still be replayed to it. There is nowhere left to deliver it (and ``app.screen``
    would raise ``ScreenStackError``), so it is dropped."""
    return not app.screen_stack


async def pass_on(app: Any, event: events.Key) -> None:
    """Deliver a copy of ``event`` as the app would have, had the screen now on top been
    on top when the key arrived: its priority bindings, else to its focused widget (else
    to it). Textual's own steps (``App.on_event``), so keys keep their order."""
    event.stop()
    event.prevent_default()
    if closing(app):
        return
    if await run_priority_bindings(app, event.key):
        return
    if hold_for_busy(app, event):
        return
    if hold_for_dialog(app, event) or run_dialog_key_now(app, event):
        return
    target: Any = app.focused or app.screen
    forward_key(target, _again(event))


async def pass_on_stray(app: Any, event: events.Key) -> bool:
    """At the app, before its bindings: a key that bubbled up unused from where it was
    sent, when what it was typed for has since come up, goes there instead. Either a
    screen no longer on top (``r`` opened a dialog meanwhile), or a widget that lost the
    focus on the same screen (``/`` moved it to the filter: "/smith" typed in one go)."""
    if closing(app):
        return False
    seen = getattr(event, SEEN_ON, None)
    read_for = getattr(event, READ_FOR, None)
    moved_screen = seen is not None and seen is not app.screen
    moved_focus = (
        read_for is not None
        and app.focused is not None
        and read_for is not app.focused
        and read_for.screen is app.screen
    )
    if not (moved_screen or moved_focus):
        return False
    await pass_on(app, event)
    return True


class PassesStrayKeys:
    """Mixin for a screen (before ``Screen`` in the bases)."""

    app: Any
    is_attached: bool

    def hold_keys_until_loaded(self, limit: float = BUSY_HOLD_LIMIT_S) -> None:
        """Keys typed from now on wait until ``keys_loaded`` (the list this screen is
        reloading after a save is on screen, or the screen it opened is on top), or
        ``limit`` seconds at most. Asked again before that, they wait for each reload
        asked for (counted). Held already by a one-key write: they wait for the write's
        end, and then for this reload (``end_write_hold``)."""
        held = self.__dict__.get(HELD)
        if held is None:
            held = self.__dict__[HELD] = HeldKeys()
        elif not isinstance(held, HeldKeys):  # a screen's own hold (sign-in): not ours
            return
        held.loading += 1
        if not held.writing:  # a write's end sets the limits again (``hold_again``)
            token = object()
            held.timers[token] = self.set_timer(  # type: ignore[attr-defined]
                limit, partial(self._hold_limit_reached, held, token)
            )

    def _hold_limit_reached(self, held: HeldKeys, token: object | None = None) -> None:
        """The time limit ``token`` of ``held``: it stands for its own reload (one that
        failed must not swallow the keyboard), never for a later hold (a write's, or the
        next reload's) that happens to be in place when it fires, nor for a reload that
        has landed already (its limit was stopped)."""
        if self.__dict__.get(HELD) is not held or token not in held.timers:
            return
        held.landed(token)
        self._let_go_if_done(held)

    def hold_keys_for_write(self) -> HeldKeys:
        """A one-key write is under way: the keys typed from now on, and those a reload
        holds already, are held until ``end_write_hold``. Neither a reload landing
        meanwhile nor a time limit lets them act on rows the write is about to change."""
        held = self.__dict__.get(HELD)
        if not isinstance(held, HeldKeys):
            held = self.__dict__[HELD] = HeldKeys(held)
        held.writing = True
        held.stop_timers()  # the write's end sets them again for reloads still to land
        return held

    def end_write_hold(self, held: HeldKeys) -> tuple[list[events.Key], int]:
        """The write holding ``held`` is done: its keys, no longer held (none when they
        were let go already, the screen gone), and how many reloads asked for before or
        during the write have still to land (the keys wait for them, see ``hold_again``)."""
        if self.__dict__.get(HELD) is not held:
            return [], 0
        del self.__dict__[HELD]
        held.writing = False
        return list(held), held.loading

    def hold_again(self, keys: list[events.Key], *, reload_pending: int) -> None:
        """Keys a write held, read again in the order typed: ahead of those a reload now
        holds (the one the write's ``then`` started, or those still to land: they wait
        for every one, each with its time limit again), else now."""
        if not keys:
            return
        if self.is_attached:
            for _ in range(int(reload_pending)):
                self.hold_keys_until_loaded()
        waiting = self.__dict__.get(HELD)
        if waiting is not None and self.is_attached:
            waiting[:0] = keys
            return
        for key in keys:
            self.app.post_message(key)

    def _reads(self) -> Reads:
        reads = self.__dict__.get(READS)
        if reads is None:
            reads = self.__dict__[READS] = Reads()
        return reads

    def read_asked(self, *, hold_keys: bool = False) -> int:
        """A read of this screen's rows is starting (its worker is about to run): its
        number, for ``read_landed``. ``hold_keys`` (a reload after a write): the keys
        typed from now on wait for its rows, or for those of a read that overtakes it."""
        reads = self._reads()
        reads.latest += 1
        if hold_keys:
            self.hold_keys_until_loaded()
            reads.holding[reads.latest] = reads.holding.get(reads.latest, 0) + 1
        return reads.latest

    def read_landed(self, read: int) -> bool:
        """Read ``read`` is back: True when it is the newest asked for (show its rows,
        then ``read_shown``); False when a newer one has overtaken it (drop its rows). The
        keys a dropped read held then wait for the newest read instead, or for nothing if
        that one's rows are on screen already (``read_shown`` let every hold go)."""
        reads = self._reads()
        if read == reads.latest:
            return True
        count = reads.holding.pop(read, 0)
        if count:
            reads.holding[reads.latest] = reads.holding.get(reads.latest, 0) + count
        return False

    def read_shown(self) -> None:
        """The newest read's rows (or its refusal) are on screen: the keys held for it
        and for every read it overtook are read again, once nothing else holds them (a
        one-key write, a reload asked for beside these reads)."""
        reads = self._reads()
        count = sum(reads.holding.values())
        reads.holding.clear()
        for _ in range(count):
            self.keys_loaded()

    def on_screen_suspend(self) -> None:
        """Another screen came on top (what ``enter`` opened): the keys held meanwhile
        were typed for it, whatever reloads this screen still awaits (a one-key write's
        wait for its end: ``keys_loaded``)."""
        self.keys_loaded(every=True)

    def keys_loaded(self, *, every: bool = False) -> None:
        """A reload's rows are on screen: once the last reload asked for has landed
        (``every``: no more to wait for), the keys held meanwhile are read again, in the
        order typed, ahead of any typed later. Not while a one-key write holds them: its
        end reads them again, after the reload it starts."""
        if every:  # nothing is waited for: no read still to land holds keys either
            self._reads().holding.clear()
        held = self.__dict__.get(HELD)
        if held is None:
            return
        if isinstance(held, HeldKeys):
            if every:
                held.loading = 0
                held.stop_timers()
            else:
                held.landed()
        self._let_go_if_done(held)

    def _let_go_if_done(self, held: list[events.Key]) -> None:
        """Read the keys of ``held`` again once nothing holds them: no write, no reload
        still to land."""
        if isinstance(held, HeldKeys) and (held.writing or held.loading):
            return
        if isinstance(held, HeldKeys):
            held.stop_timers()
        if self.__dict__.get(HELD) is held:
            del self.__dict__[HELD]
        for key in held:
            self.app.post_message(key)

    async def on_key(self, event: events.Key) -> None:
        app = self.app
        if app.screen is self:
            setattr(event, SEEN_ON, self)  # the app checks it again (pass_on_stray)
        elif self.is_attached:
            await pass_on(app, event)


class TypeAhead(PassesStrayKeys):
    """Mixin for a dialog screen (before ``ModalScreen`` in the bases)."""

    focus_chain: Any

    @property
    def closing(self) -> bool:
        """A save or cancel key is on its way, or a save is being written: keys read
        meanwhile wait for it."""
        return (
            self.__dict__.get("_type_ahead_closing") is not None
            or self.__dict__.get(SAVING_HOLD) is not None
        )

    def hold(self, event: events.Key) -> bool:
        """Keep a copy of ``event`` until a field has the focus, or until the dialog's
        save or cancel has acted (False once a field has the focus and none is pending)."""
        closing = self.__dict__.get("_type_ahead_closing")
        if closing is None:
            closing = self.__dict__.get(SAVING_HOLD)
        if closing is not None:
            closing.append(_again(event))
            return True
        if self.__dict__.get("_type_ahead_done"):
            return False
        self.__dict__.setdefault("_held_keys", []).append(_again(event))
        return True

    def release_held_keys(self, target: Any) -> None:
        """Give the held keys to ``target``, in order, once; later keys go straight.
        A held key the dialog binds itself (save, cancel) acts as ``act_after`` says."""
        if self.__dict__.get("_type_ahead_done"):
            return
        self.__dict__["_type_ahead_done"] = True
        held: list[events.Key] = self.__dict__.pop("_held_keys", [])
        app: Any = self.app
        for index, key in enumerate(held):
            active = app.active_bindings.get(key.key)
            if active is not None and active.node is self and active.enabled:
                self.act_after(target, active.binding.action, held[index + 1 :])
                return
            forward_key(target, key)  # as the app forwards a key it reads

    def act_after(self, target: Any, action: str, keys_after: list[events.Key]) -> None:
        """Run the dialog's own ``action`` (save, cancel) once ``target`` has taken the
        keys already given to it; ``keys_after``, and keys read meanwhile, are then read
        again by the app, so they reach whatever is on top once the dialog has closed
        (or the dialog again, if it stayed open to show a problem)."""
        self.__dict__["_type_ahead_closing"] = list(keys_after)
        app: Any = self.app

        async def act() -> None:
            try:
                await app.run_action(action, self)
            finally:
                for later in self.__dict__.pop("_type_ahead_closing", None) or []:
                    app.post_message(_again(later))

        target.call_later(act)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.release_held_keys(event.widget)

    def on_mount(self) -> None:
        self.call_after_refresh(self._release_if_nothing_to_focus)  # type: ignore[attr-defined]

    def _release_if_nothing_to_focus(self) -> None:
        """A dialog with no field (a yes/no question) gets its keys itself: its bindings."""
        if not self.focus_chain:
            self.release_held_keys(self)
