"""The frame every top-level screen shares: header, section bar, footer, help text."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen, ScreenResultType
from textual.widget import Widget
from textual.widgets import Header

from coordinator_tui.screens.type_ahead import PassesStrayKeys
from coordinator_tui.textual_private import frames_held
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.navbar import NavBar

RELOAD_AFTER_S = 30.0
"""A section shown again after this long reloads even if this app changed nothing."""

if TYPE_CHECKING:
    from datetime import date

    from coordinator_tui.app import CoordinatorApp


class CoordinatorScreen(PassesStrayKeys, Screen[ScreenResultType]):
    """A screen of this app: typed access to the app and the coordinator's today."""

    @property
    def coordinator(self) -> CoordinatorApp:
        return self.app  # type: ignore[return-value]

    @property
    def today(self) -> date:
        return self.coordinator.settings.current_date()

    def on_mount(self) -> None:
        self._focus_only_what_is_shown()

    def on_screen_resume(self) -> None:
        self._focus_only_what_is_shown()

    def _focus_only_what_is_shown(self) -> None:
        """Never leave the focus on a widget that is not displayed.

        Textual's auto-focus takes the first match that is ``focusable``, which looks at
        ``visibility`` but not at ``display``: a screen whose first input is a ``/`` filter
        box kept hidden until asked for would have that hidden box focused, and keys typed
        at once (at start-up, before the first frame) would go into it unseen. Screens
        name their ``AUTO_FOCUS``; this is the guard for every screen, present and to
        come: the focus moves to the first displayed ``AUTO_FOCUS`` match, else to the
        first widget of the focus chain (which holds displayed widgets only); with no
        focus yet, a displayed match is taken before Textual's auto-focus can take a hidden
        one, and with none shown it is left to Textual. Run when
        the screen is mounted (Textual auto-focuses once its children are composed) and
        each time it is shown again."""
        focused = self.focused
        if focused is not None and _displayed(focused, self):
            return
        selector = self.app.AUTO_FOCUS if self.AUTO_FOCUS is None else self.AUTO_FOCUS
        if focused is None and not selector:
            return  # a screen that asks for no auto-focus gets none
        if selector:
            for widget in self.query(selector):
                if widget.focusable and _displayed(widget, self):
                    self.set_focus(widget)
                    return
        if focused is None:
            return  # nothing named is shown yet: Textual's auto-focus decides, as ever
        chain = self.focus_chain
        if chain:
            self.set_focus(chain[0])
        else:
            # Nothing shown takes keys. Textual's own auto-focus runs after this handler
            # (its ``_on_screen_resume`` is the base class's) and would pick the hidden
            # widget again while nothing is focused: blur once it has run.
            self.set_focus(None)
            self.call_after_refresh(self._blur_if_hidden)

    def _blur_if_hidden(self) -> None:
        if self.focused is not None and not _displayed(self.focused, self):
            self.set_focus(None)


def _displayed(widget: Widget, screen: Screen) -> bool:
    """Whether ``widget`` and every container up to ``screen`` is displayed."""
    for node in widget.ancestors_with_self:
        if node is screen:
            return True
        if not node.display:
            return False
    return True


class SectionScreen(CoordinatorScreen):
    """Base for top-level screens. Subclasses set ``MODE`` and ``HELP`` and compose
    their body in ``compose_body``; ``on_database_ready`` runs once the database is open
    (immediately if it already is), so a screen never blocks the first frame."""

    MODE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    _resumed = False  # resumed and not suspended since: see ``_restyle_once``

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # What the screen shows is as of now (it loads once the database is ready).
        self._shown_generation = self.coordinator.data_generation
        self._shown_at = monotonic()
        self.coordinator.when_database_ready(self, self.on_database_ready)

    @on(events.ScreenResume)
    def _restyle_once(self, event: events.ScreenResume) -> None:
        """A section opened cold is resumed twice (Textual's ``App._init_mode`` and then
        ``App.switch_mode`` each post ``ScreenResume``), and each resume applies every
        style rule to every widget again: the second, with no suspend between, finds
        nothing changed (focus and class changes restyle their widgets as they happen,
        a new stylesheet restyles everything) and is skipped: 4-8 ms of a cold open's
        interpreter time (issue 23). Runs before Textual's own handler (``Screen`` comes
        after this class in the method order)."""
        if self._resumed:
            event.refresh_styles = False
        self._resumed = True

    def _compositor_refresh(self) -> None:
        """No frame is drawn while the app holds frames (``App._batch_count``): Textual
        would draw it and throw it away, as a section opened cold is laid out during
        ``switch_mode``'s 50 ms hold (a whole frame, 4-12 ms of interpreter time, issue
        23). The screen is drawn whole instead when frames are let go: the hold's end
        refreshes the screen, and any later look at the screen finds the repaint asked
        for here."""
        if frames_held(self.app):
            self.refresh()  # what the layout made dirty, and the rest, drawn after
            return
        super()._compositor_refresh()

    def on_screen_suspend(self) -> None:
        self._resumed = False
        self._shown_generation = self.coordinator.data_generation
        self._shown_at = monotonic()

    def on_screen_resume(self) -> None:
        # Back on this section (from another, a record or a dialog): reload in the
        # background if data changed meanwhile, or if it has been a while (on a shared
        # PostgreSQL database others change it too). The reload keeps the cursor.
        if self.coordinator.engine is None:
            return
        stale = self.coordinator.data_generation != self._shown_generation
        if stale or monotonic() - self._shown_at > RELOAD_AFTER_S:
            self.reload_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "filter" and self.typing_in_a_field())

    def typing_in_a_field(self) -> bool:
        """Whether the focus is in a text field. The ``/`` filter key is a priority
        binding (so "/smi" typed in one go opens the filter before "s" reaches the list,
        where it would snooze); this lets a ``/`` typed in a field, say in a date, through."""
        from textual.widgets import Input, TextArea

        return isinstance(self.focused, Input | TextArea)

    def reload_data(self) -> None:
        """Load the screen's data again: its ``f5`` (``action_reload``), if it has one."""
        reload = getattr(self, "action_reload", None) or getattr(self, "action_refresh", None)
        if reload is not None:
            reload()

    def on_database_ready(self) -> None:
        """Load data; called on the screen's message loop once the engine exists."""
