"""The Textual application: sections as modes, global keys, palette, database opening.

``make_app(settings)`` is the one factory used by the CLI, the tests and the benchmarks.
The database is opened in a worker *after* the first frame is painted (on PostgreSQL,
after Home's quick counts: ``_open_database_after_first_frame``): importing
SQLAlchemy/SQLModel costs more than Textual itself (DESIGN.md section 6), and a
coordinator should see the app at once. Screens subscribe through
``when_database_ready`` and load their data when the engine exists.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from coordinator_tui.commands import PeopleProvider, SectionsProvider
from coordinator_tui.settings import Settings
from coordinator_tui.textual_private import build_mode, mark_styled, mode_built, modes_with_screens
from coordinator_tui.widgets.navbar import SECTIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from textual.timer import Timer
    from textual.widget import AwaitMount

    from coordinator_tui.db import AppSession
    from coordinator_tui.services.access import Principal
    from coordinator_tui.widgets.row_cursor import RowChosenAfterKeys

# Benchmarks set this to "first-frame" (exit once the first frame is painted) or
# "ready" (exit once Home shows its counts) to time a whole process.
BENCH_EXIT_ENV = "COORDINATOR_TUI_BENCH_EXIT"
SCREENS_DIR = Path(__file__).parent / "screens"  # absolute: subclasses live elsewhere
PREPARE_DELAY_S = 0.25  # between preparing one section and the next (keys stay quick)
PREPARE_WAIT_S = 10.0  # at most this long for a prepared section's data before the next
RELEASE_AGAIN_S = 3.0  # memory given back when preparation ends, and again this much later
RELEASES = 2  # how many times, in all (benchmarks.app_memory waits for the last)
RELEASE_IDLE_S = 120.0  # and again after this long without a key or a click (once a pause)
RELEASE_QUIET_S = 2.0  # each only after this long without a key or a click
IDLE_CHECK_S = 5.0  # how often the idle lock looks at the time since the last key
GC_HOLD_S = 5.0  # at most this long without the cyclic collector at start (launch.open_app)
QUICK_COUNTS_WAIT_S = 0.4
"""At most this long after the first frame the database's opening waits for Home's quick
counts (``CoordinatorApp.quick_counts_in``): a slow or silent server delays the real open
by no more than this."""
LOCKED_ACTIONS = frozenset({"quit", "blank", "focus_next", "focus_previous"})
"""The app's actions that work before sign-in and while locked."""


def collector_back_on() -> None:
    """The cyclic garbage collector back on after the start (``launch.open_app`` held it
    off). What the start made (modules, classes, tables, the first screen) is frozen first,
    out of every later collection: else the first collection walked all of it at once, a
    pause of 100-250 ms that a key pressed then (``End`` on the people list) waited for."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def database_label(target: Any) -> str:
    """Short name of the database for the status line (the full path is in ``db check``),
    and whether it is encrypted at rest (issue 17 §5), so a coordinator can see it is."""
    if target.path is not None:
        from coordinator_tui.keyslots import is_encrypted

        encrypted = " (encrypted)" if is_encrypted(target.path) else ""
        return f"database {target.path.name}{encrypted}"
    return f"database {target.display.split('@')[-1]}"


def _lazy_screen(module: str, name: str, *args: Any) -> Callable[[], Screen]:
    """A mode's screen, imported when the coordinator first opens that section.

    Only Home is needed for the first frame; importing every section up front (and the
    services they pull in) would put their import time in front of it (issue 2: the
    first frame within 1.5x a bare Textual app)."""

    def make() -> Screen:
        from importlib import import_module

        screen = getattr(import_module(f"coordinator_tui.screens.{module}"), name)(*args)
        # A new screen is styled from the current stylesheet when it mounts, so it is not
        # behind any theme change: mark it so, or Textual re-parses and re-applies all
        # the CSS (about 120 ms here) when it is first shown.
        mark_styled(screen)
        return screen

    make.__name__ = f"{name}_factory"
    return make


# Sections built so far: mode -> (module under coordinator_tui.screens, class name).
BUILT_SECTIONS: dict[str, tuple[str, str]] = {
    "registers": ("registers.queue", "RegistersScreen"),
    "referrals": ("referrals.referrals", "ReferralsScreen"),
    "meetings": ("meetings.meetings", "MeetingsScreen"),
    "rota": ("rota.grid", "RotaScreen"),
    "governance": ("governance.governance", "GovernanceScreen"),
    "reports": ("reports.reports", "ReportsScreen"),
}


def _nav_bindings() -> list[Binding]:
    return [
        Binding(key, f"switch_mode('{mode}')", label, show=False, id=f"nav.{mode}")
        for mode, label, key in SECTIONS
    ]


class CoordinatorApp(App[None]):
    """Coordinator TUI. Sections are Textual modes, each with its own screen stack, so
    moving between them with 1..7 keeps each section where the coordinator left it."""

    TITLE = "Coordinator TUI"
    # Every screen's style sheet, read once with the app's: each would otherwise make
    # Textual parse all the style sheets again, and restyle the app, when its screen
    # first opens (a person record's first open paid that).
    CSS_PATH = sorted(SCREENS_DIR.glob("*.tcss")) + sorted(SCREENS_DIR.glob("*/*.tcss"))
    MODES = {
        "home": _lazy_screen("home", "HomeScreen"),
        **{mode: _lazy_screen(*where) for mode, where in BUILT_SECTIONS.items()},
        **{
            mode: _lazy_screen("planned", "PlannedScreen", mode)
            for mode, _, _ in SECTIONS
            if mode != "home" and mode not in BUILT_SECTIONS
        },
    }
    DEFAULT_MODE = "home"
    # The app's commands and people only: not Textual's system commands (issue 22 §5).
    COMMANDS = {PeopleProvider, SectionsProvider}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS = [
        *_nav_bindings(),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("f4", "log_incident", "Log an incident", show=False, id="app.log_incident"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        # Blank the screen at once (a patient walks in); f12 again brings it back. ctrl+g:
        # for terminals that keep F12 (VS Code's, some Windows consoles).
        Binding("f12,ctrl+g", "blank", "Blank screen", show=False, id="app.blank", priority=True),
    ]

    start_principal: ClassVar[Callable[[Settings], Principal] | None] = None
    """Tests only (``tests/conftest.py``): sign in as this principal at start when none is
    given, so tests written before sign-in existed open on Home. Production code never
    sets it: the app signs in only through a ``principal`` passed by the code that starts
    it (the ``demo`` command's demo user) or the sign-in screen."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        exit_after: str | None = None,
        principal: Principal | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        explicit = principal is not None
        if principal is None and type(self).start_principal is not None:
            principal = type(self).start_principal(settings)
        self.principal: Principal | None = principal
        """Who is signed in (None: nobody yet; nothing of anyone's data loads)."""
        self._export_password: Any = None
        """The export password (``services.exporting.ExportPassword``) of an encrypted
        database's exports, in memory only: never written, logged or in a crash report;
        forgotten on lock, switch user and sign-out (:meth:`forget_export_password`)."""
        if principal is not None:
            settings.user = principal.username
            if principal.kind == "demo" and explicit:
                self.sub_title = f"demo: signed in automatically as {principal.display_name}"
        self.idle_clock: Callable[[], float] = time.monotonic
        """Seconds, for the idle lock (tests move it on instead of waiting)."""
        self.last_input = self.idle_clock()
        self._ready_published = False
        self.engine: Engine | None = engine
        self.database_label = ""
        self.fatal_message: str | None = None
        self.exit_after = exit_after
        self.database_ready: Signal[None] = Signal(self, "database-ready")
        self.data_generation = 0
        """Counts the units of work that changed data (see ``session``)."""
        self._sections_prepared = False
        self._modes_loaded: set[str] = set()  # sections whose screens have shown their data
        self._preparing = ""  # the section prepared last, until its data is on screen
        self.memory_released: dict[str, bool] | None = None  # once preparation has ended
        self.memory_releases = 0  # times given back (RELEASES once preparation is over)
        self._releasing_when_idle = False  # the interval of release_if_idle is set
        self._released_for_input: float | None = None  # last_input of the last idle release
        self._switching_to_built = False  # see switch_mode
        self.quick_counts_wait_s = QUICK_COUNTS_WAIT_S
        """See ``_open_database_after_first_frame`` (tests make it small or large)."""
        self._quick_counts_pending = False  # Home is reading its quick counts
        self._first_frame_painted = False
        self._database_opening = False  # open_database has been started
        self._database_open_timer: Timer | None = None
        if settings.keymap:
            self.set_keymap(settings.keymap)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual holds every frame for 50 ms when switching mode, to mask a new screen
        being put together. A section visited before, or prepared in the background, is
        already built and laid out: nothing to mask, so it shows on the next frame."""
        self._switching_to_built = mode_built(self, mode) and mode != self.current_mode
        try:
            return super().switch_mode(mode)
        finally:
            self._switching_to_built = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching_to_built:
            super().delay_update(delay)

    async def on_event(self, event: events.Event) -> None:
        """A key read while a dialog is still opening is held for its first field, and a
        dialog's own save or cancel key acts at once (``type_ahead``); any other key goes
        the usual way."""
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown):
            self.last_input = self.idle_clock()
        if isinstance(event, events.Key) and not self.screen_stack:
            return  # shutting down: a key replayed after a save has nowhere to go
        if isinstance(event, events.Key) and not event.is_forwarded:
            from coordinator_tui.screens.type_ahead import (
                hold_for_busy,
                hold_for_dialog,
                note_focus,
                run_dialog_key_now,
            )

            if (
                hold_for_busy(self, event)
                or hold_for_dialog(self, event)
                or run_dialog_key_now(self, event)
            ):
                return
            note_focus(self, event)
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        """Keys typed ahead of a dialog or section opening go to it (``type_ahead``);
        anything else goes on to the app's bindings (``App._on_key``, next in line)."""
        from coordinator_tui.screens.type_ahead import pass_on_stray

        await pass_on_stray(self, event)

    def on_row_chosen_after_keys(self, message: RowChosenAfterKeys) -> None:
        """``enter`` on a list has come up behind the keys typed before it, whose bindings
        have run by now (``RowCursorView.action_select``): the list opens its row."""
        message.stop()
        if message.view.is_attached:
            message.view.chosen_after_keys(message.held)

    # -- start-up ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme = self.settings.theme
        if self.exit_after == "first-frame":
            self.call_after_refresh(self.exit)
        if self.principal is None:
            # Opaque at once: nothing beneath it (Home, the quick people list) is seen
            # until someone signs in.
            from coordinator_tui.screens.accounts.sign_in import SignInScreen

            self.push_screen(SignInScreen())
        self.set_interval(IDLE_CHECK_S, self.check_idle_lock)
        self.set_timer(GC_HOLD_S, collector_back_on)  # even if the database never opens
        if self.engine is None:
            self.call_after_refresh(self._open_database_after_first_frame)
        else:
            from coordinator_tui.preflight import resolve_target

            url = self.engine.url  # sqlite+pysqlcipher (encrypted) has a path, not a URL we take
            path = url.database if url.get_backend_name() == "sqlite" else None
            named = path if path and path != ":memory:" else str(url)
            self.database_label = database_label(resolve_target(named))
            self._mark_ready()

    # Home's quick counts first, then the database (issue 23 §3, §5). Opening the database
    # imports SQLAlchemy, SQLModel and the tables: about 0.86 s of CPU in a thread that
    # holds the interpreter's lock most of that time. Started with the first frame, it
    # competed with Home's quick read on PostgreSQL (psycopg's import) for the lock. The
    # large demo at 2 ms a round trip, in a pty, 10 runs each interleaved (load 1.5-2.5):
    # the quick counts on the terminal a median 270 ms after the first frame (177-478),
    # and 129 ms (101-202) with the open started once they were on screen; CPU from the
    # first frame to them 151-234 -> 52-78 ms; the ORM's counts a little later (median
    # 1,272 -> 1,359 ms after the first frame, the ranges overlapping). So while Home
    # reads its quick counts from PostgreSQL the open waits for them (or for the quick
    # read giving up), at most ``quick_counts_wait_s``. On an SQLite file they are in with
    # the first frame and nothing waits (``screens.home._on_postgresql``), nor where the
    # first screen reads none (the sign-in screen, the people list).

    def _open_database_after_first_frame(self) -> None:
        """The first frame is painted: open the database now, or, while Home reads its
        quick counts, once they are in (``quick_counts_in``) and at most
        ``quick_counts_wait_s`` from now."""
        self._first_frame_painted = True
        if self._quick_counts_pending:
            self._database_open_timer = self.set_timer(
                self.quick_counts_wait_s, self._start_opening_database
            )
        else:
            self._start_opening_database()

    def hold_database_for_quick_counts(self) -> None:
        """Home has started reading its quick counts: the database's opening, if not
        started yet, waits for them (``quick_counts_in``)."""
        if not self._database_opening:
            self._quick_counts_pending = True

    def quick_counts_in(self) -> None:
        """Home's quick counts are on screen, or the quick read gave up: the database opens
        now (or with the first frame, if that is still to come)."""
        self._quick_counts_pending = False
        if self._first_frame_painted:
            self._start_opening_database()

    def _start_opening_database(self) -> None:
        """``open_database``, once: whichever of the quick counts and the wait's end
        comes first starts it."""
        if self._database_opening:
            return
        self._database_opening = True
        if self._database_open_timer is not None:
            self._database_open_timer.stop()
        self.open_database()

    @work(thread=True, exclusive=True, group="database")
    def open_database(self) -> None:
        if self.locked_database() is not None:
            # Encrypted and no key in this process (a browser tab of ``serve``, which has
            # no terminal to ask on): the sign-in form's name and password unwrap it.
            self.call_from_thread(self._ask_sign_in_to_unlock)
            return
        self.open_database_now()

    def locked_database(self) -> Any:
        """The path of an encrypted database whose key this process does not hold yet
        (issue 17 §5), else None."""
        from coordinator_tui import keyslots
        from coordinator_tui.preflight import DatabaseOpenError, resolve_target

        try:
            path = resolve_target(self.settings.db).path
        except DatabaseOpenError:
            return None
        if path is None or not keyslots.is_encrypted(path) or keyslots.key_for(path):
            return None
        return path

    def _ask_sign_in_to_unlock(self) -> None:
        from coordinator_tui.screens.accounts.sign_in import SignInScreen

        if isinstance(self.screen, SignInScreen):
            self.screen.show_form()
        else:
            self.push_screen(SignInScreen(ready=True))

    def open_database_now(self) -> bool:
        """Open the database (in a worker thread): True once the app has its engine."""
        from coordinator_tui.db import DatabaseOpenError, open_database

        try:
            opened = open_database(self.settings.db)
            self._load_reference_data(opened)
        except DatabaseOpenError as exc:
            self.call_from_thread(self.fail, str(exc))
            return False
        self.call_from_thread(self._database_opened, opened)
        return True

    def _load_reference_data(self, opened: Any) -> None:
        """The practice's reference files beside the database (else the shipped ones):
        register categories brought into the database, referral types checked."""
        from coordinator_tui.db import DatabaseOpenError, session_scope
        from coordinator_tui.services.reference import (
            ReferenceDataError,
            apply_reference_data,
            use_practice_dir,
        )

        use_practice_dir(opened.target.path.parent if opened.target.path else None)
        try:
            with session_scope(opened.engine, self.settings.user) as session:
                apply_reference_data(session, today=self.settings.current_date())
        except ReferenceDataError as exc:
            opened.engine.dispose()
            raise DatabaseOpenError(str(exc)) from exc

    def _database_opened(self, opened: Any) -> None:
        collector_back_on()  # the start's imports are done (launch.open_app held it off)
        self.engine = opened.engine
        self.database_label = database_label(opened.target)
        if opened.upgraded_from:
            self.notify(
                f"Database upgraded from schema {opened.upgraded_from} to {opened.revision}; "
                f"backup kept at {opened.backup_path}",
                timeout=8,
            )
        self._mark_ready()

    def _mark_ready(self) -> None:
        """The database is open: screens load once someone is signed in too."""
        if self.principal is None:
            self._ask_sign_in()
        elif not self._ready_published:
            self._ready_published = True
            self.database_ready.publish(None)

    # -- signing in, the idle lock, the blank key (issue 17) -----------------------------

    @contextmanager
    def sign_in_session(self) -> Iterator[AppSession]:
        """A unit of work for signing in: nobody signed in, so no activity allowed."""
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.access import Principal

        if self.engine is None:
            raise RuntimeError("The database is not open yet")
        nobody = Principal(username="(not signed in)", kind="anonymous")
        with session_scope(self.engine, nobody) as session:
            yield session

    def _ask_sign_in(self) -> None:
        """The sign-in screen's form, or on an empty accounts table the first
        administrator's."""
        from coordinator_tui.screens.accounts.sign_in import FirstAdminScreen, SignInScreen
        from coordinator_tui.services.accounts import account_count

        with self.sign_in_session() as session:
            first_run = account_count(session) == 0
        screen = self.screen
        if first_run:
            if isinstance(screen, SignInScreen):
                self.switch_screen(FirstAdminScreen())
            else:
                self.push_screen(FirstAdminScreen())
        elif isinstance(screen, SignInScreen):
            screen.show_form()
        else:
            self.push_screen(SignInScreen(ready=True))

    def signed_in(self, principal: Principal) -> None:
        """``principal`` signed in at the start: the screens load."""
        self.principal = principal
        self.settings.user = principal.username
        self.last_input = self.idle_clock()
        self._mark_ready()
        self._ask_for_new_password()

    def _ask_for_new_password(self) -> None:
        """After an administrator's reset, the temporary password is replaced first."""
        from coordinator_tui.screens.accounts.sign_in import ChangePasswordScreen

        if self.principal is not None and self.principal.must_change_password:
            self.push_screen(ChangePasswordScreen())

    @property
    def principal_label(self) -> str:
        """Who is signed in, as Home says it (a demo user says so)."""
        if self.principal is None:
            return "nobody"
        if self.principal.kind == "demo" and self.principal.display_name:
            return f"{self.principal.label} (demo)"
        return self.principal.label

    @property
    def locked(self) -> bool:
        # Asked for every binding the footer shows, from the first frame on: a sign-in
        # module never imported means no such screen exists, and the first frame of an
        # app opened signed in need not import it (issue 23 §2: launch to first row).
        sign_in = sys.modules.get("coordinator_tui.screens.accounts.sign_in")
        if sign_in is None:
            return False
        return any(
            isinstance(s, sign_in.SignInScreen | sign_in.BlankScreen) for s in self.screen_stack
        )

    def check_idle_lock(self) -> None:
        """Lock after ``lock_after_minutes`` without a key or a click."""
        if self.principal is None or self.locked:
            return
        idle = self.idle_clock() - self.last_input
        if idle >= self.settings.lock_after_minutes * 60:
            self.lock("idle")

    def lock(self, reason: str = "asked") -> None:
        """Seal the screen: an opaque lock screen over everything, which shows nothing of
        anyone; what was being typed stays in the screens beneath it."""
        from coordinator_tui.screens.accounts.sign_in import BlankScreen, LockScreen

        if self.principal is None or isinstance(self.screen, LockScreen):
            return
        if isinstance(self.screen, BlankScreen):
            self.pop_screen()
        self.forget_export_password()  # the next user (or the same, back) chooses again
        self._record_access("lock", reason=reason)
        self.push_screen(LockScreen(self.principal))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until someone is signed in, and while locked or blank, the app's keys do
        nothing (no section, no palette, no form) but quit, the blank key and moving
        between the sign-in fields."""
        if action not in LOCKED_ACTIONS and (self.principal is None or self.locked):
            return False
        return super().check_action(action, parameters)

    def action_blank(self) -> None:
        """Blank at once; the same key brings the screen back (a lock stays a lock)."""
        from coordinator_tui.screens.accounts.sign_in import BlankScreen, SignInScreen

        if isinstance(self.screen, BlankScreen):
            self.pop_screen()
            self.last_input = self.idle_clock()
        elif self.principal is not None and not isinstance(self.screen, SignInScreen):
            self.push_screen(BlankScreen())

    def unlocked(self, principal: Principal) -> None:
        """The lock screen was signed in to. The same account: back to where it was,
        typing kept. Another account (quick switch on a shared PC): the previous user's
        screens are closed, unsaved typing with them, and the new user starts at Home."""
        from coordinator_tui.screens.accounts.sign_in import LockScreen

        previous = self.principal
        self.principal = principal
        self.settings.user = principal.username
        self.last_input = self.idle_clock()
        if previous is not None and previous.account_id == principal.account_id:
            self._record_access("unlock")
            while isinstance(self.screen, LockScreen):
                self.pop_screen()
            self._ask_for_new_password()
            return
        if previous is not None:
            self._record_access("sign-out", principal=previous, reason="switch user")
        self.call_later(self._reset_screens)

    async def _reset_screens(self) -> None:
        """Every section rebuilt for the user now signed in, opening on Home."""
        self.add_mode("_switching", lambda: Screen())
        await self.switch_mode("_switching")
        for mode in modes_with_screens(self):
            if mode != "_switching" and mode in self.MODES:
                await self.remove_mode(mode)
                self.add_mode(mode, self.MODES[mode])
        await self.switch_mode(self.DEFAULT_MODE)
        await self.remove_mode("_switching")
        self._ask_for_new_password()

    async def action_quit(self) -> None:
        """Quitting signs the account out (in the audit trail) first."""
        if self.principal is not None and self.principal.kind == "account":
            self._record_access("sign-out", reason="quit")
        await super().action_quit()

    def sign_out(self) -> None:
        """End the session: recorded, and the sign-in screen over everything."""
        if self.principal is None:
            return
        self._record_access("sign-out")
        self.lock_out_to_sign_in()

    def lock_out_to_sign_in(self) -> None:
        from coordinator_tui.screens.accounts.sign_in import LockScreen

        self.forget_export_password()
        if self.principal is not None and not isinstance(self.screen, LockScreen):
            self.push_screen(LockScreen(self.principal, signed_out=True))

    def _record_access(
        self, action: str, principal: Principal | None = None, **details: str
    ) -> None:
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.accounts import record_event
        from coordinator_tui.services.errors import CoordinatorError

        who = principal or self.principal
        if who is None or self.engine is None:
            return
        try:
            with session_scope(self.engine, who) as session:
                record_event(session, who, action, **details)
        except CoordinatorError as exc:  # a busy database must not keep the screen open
            self.notify(str(exc), severity="warning")

    def account_commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        """The palette's sign-in commands (the users screen only for administrators)."""
        from coordinator_tui.services.access import MANAGE_USERS

        commands: list[tuple[str, Callable[[], Any], str]] = [
            ("Lock the screen", partial(self.lock, "asked"), "Key f12 blanks it at once"),
            ("Switch user", partial(self.lock, "switch user"), "Seal this; the next signs in"),
            ("Sign out", self.sign_out, "The sign-in screen over everything"),
            ("Change my password", self.change_password, "12 characters or three words"),
        ]
        if self.principal is not None and self.principal.can(MANAGE_USERS):
            commands.append(("Users", self.open_users, "Add, disable, roles, reset"))
        return commands

    def change_password(self) -> None:
        from coordinator_tui.screens.accounts.sign_in import ChangePasswordScreen

        self.push_screen(ChangePasswordScreen())

    def open_users(self) -> None:
        """The administrators' users screen."""
        from coordinator_tui.screens.accounts.users import UsersScreen

        self.push_screen(UsersScreen())

    def confirm_identity_then(self, then: Callable[[], None] | None = None) -> None:
        """Ask for the password again (step-up), then run ``then``."""
        from coordinator_tui.screens.accounts.sign_in import StepUpScreen

        def done(ok: bool | None) -> None:
            if ok and then is not None:
                then()

        if not any(isinstance(s, StepUpScreen) for s in self.screen_stack):
            self.push_screen(StepUpScreen(), done)

    def ask_export_password(self) -> None:
        """Ask for the export password (an encrypted database's exports are encrypted
        with it); the export is then pressed again, as after a step-up."""
        from coordinator_tui.screens.accounts.export_password import ExportPasswordScreen

        if not any(isinstance(s, ExportPasswordScreen) for s in self.screen_stack):
            self.push_screen(ExportPasswordScreen())

    def hold_export_password(self, password: str) -> None:
        """Keep the export password in memory for this sign-in's exports."""
        from coordinator_tui.services.exporting import ExportPassword

        self._export_password = ExportPassword(password)

    def forget_export_password(self) -> None:
        self._export_password = None

    @property
    def holds_export_password(self) -> bool:
        return self._export_password is not None

    def fail(self, message: str) -> None:
        """A problem the app cannot work around: leave, and let the CLI print it."""
        self.fatal_message = message
        self.exit(return_code=2, message=message)

    def when_database_ready(self, node: Any, callback: Callable[[], None]) -> None:
        """Call ``callback`` on ``node``'s loop now if the database is open and someone is
        signed in, else when both are."""
        if self.engine is not None and self._ready_published:
            node.call_later(callback)
        else:
            self.database_ready.subscribe(node, lambda _: callback())

    def screen_loaded(self, screen: Screen) -> None:
        """Screens call this when their data is on screen (benchmarks exit here); an
        ``enter`` typed while the rows were read opens its row now."""
        from coordinator_tui.widgets.row_cursor import rows_are_in

        self._modes_loaded.add(getattr(screen, "MODE", ""))
        rows_are_in(screen)
        if self.exit_after == "ready":
            self.call_after_refresh(self.exit)
        elif (
            self.settings.prepare_sections
            and not self._sections_prepared
            and getattr(screen, "MODE", "") == "home"
        ):
            self._sections_prepared = True
            self.set_timer(PREPARE_DELAY_S, partial(self._prepare_sections, list(BUILT_SECTIONS)))

    def _prepare_sections(self, modes: list[str], deadline: float = 0.0) -> None:
        """Build the next section's screen off-stage (it loads its data in a worker), then
        the one after: opening a section later is then a switch to a screen already
        filled, not a mount and a query (issues 3, 4 and 6 time the opening).

        One at a time, each once no read is under way (the section built before has its
        data, the screen on show has its own) or ``PREPARE_WAIT_S`` has passed: the reads
        then follow one another on one pooled connection rather than run at once on
        several, each filling its own page cache and its thread's heap (issue 23 §1: 70
        MiB of page caches at ten times the data), and none competes with the screen the
        coordinator is looking at. After the last, in a pause of keys, what the reads
        left is given back (``_release_when_quiet``)."""
        if self._exit:
            return
        if self._reads_under_way() and time.monotonic() < deadline:
            self.set_timer(PREPARE_DELAY_S, partial(self._prepare_sections, modes, deadline))
            return
        self._preparing = ""
        if not modes:
            self._release_when_quiet(time.monotonic() + PREPARE_WAIT_S, RELEASES - 1)
            return
        mode, rest = modes[0], modes[1:]
        if mode != self.current_mode and not mode_built(self, mode):
            build_mode(self, mode)
            self._preparing = mode
        next_deadline = time.monotonic() + PREPARE_WAIT_S
        self.set_timer(PREPARE_DELAY_S, partial(self._prepare_sections, rest, next_deadline))

    def _reads_under_way(self) -> bool:
        """A section prepared last without its data yet, or any worker pending or running."""
        if self._preparing and self._preparing not in self._modes_loaded:
            return True
        return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers)

    def _release_memory_now(self, again: int = 0) -> None:
        """Give back what the reads left behind (in a worker), and ``again`` more times
        ``RELEASE_AGAIN_S`` apart once no read is under way: a read that started just
        before (a screen's second read, a timer's) kept its connection's cache then."""
        if self._exit:
            return
        self.run_worker(self._release_memory, thread=True, group="memory", exit_on_error=False)
        if again:
            deadline = time.monotonic() + RELEASE_AGAIN_S + PREPARE_WAIT_S
            self.set_timer(RELEASE_AGAIN_S, partial(self._release_when_quiet, deadline, again - 1))
        elif not self._releasing_when_idle:
            self._releasing_when_idle = True
            self.set_interval(RELEASE_IDLE_S / 4, self.release_if_idle)

    def release_if_idle(self) -> None:
        """Once per pause: after ``RELEASE_IDLE_S`` without a key or a click (the app left
        open all day, or locked), what the coordinator's reads since have cached is given
        back too, so memory at rest stays near the figure after the start."""
        if self._exit or self.idle_clock() - self.last_input < RELEASE_IDLE_S:
            return
        if self._released_for_input == self.last_input or self._reads_under_way():
            return
        self._released_for_input = self.last_input
        self._release_memory_now()

    def _release_when_quiet(self, deadline: float, again: int) -> None:
        """Once no read is under way (or at ``deadline``) and no key or click has come for
        ``RELEASE_QUIET_S``: the pages given back are faulted in again as memory is next
        used, a few milliseconds that a key typed meanwhile would wait for (the prepared
        queue's ``2`` took 15 -> 24 ms with the release under it)."""
        if self._exit:
            return
        reading = self._reads_under_way() and time.monotonic() < deadline
        if reading or self.idle_clock() - self.last_input < RELEASE_QUIET_S:
            self.set_timer(PREPARE_DELAY_S, partial(self._release_when_quiet, deadline, again))
            return
        self._release_memory_now(again)

    def _release_memory(self) -> None:
        """Worker: what the background reads left behind goes back to the system."""
        from coordinator_tui.db import release_memory

        self.memory_released = release_memory(self.engine)
        self.memory_releases += 1

    # -- errors: never a traceback with a person's details (coordinator_tui.crash) -----

    def _handle_exception(self, error: Exception) -> None:
        """Textual prints an unhandled error with every frame's local variables (the note
        being typed, the row being saved): write the redacted report instead."""
        from coordinator_tui.crash import handle_app_exception

        handle_app_exception(self, error)

    def _fatal_error(self) -> None:
        from coordinator_tui.crash import handle_app_exception

        handle_app_exception(self, sys.exc_info()[1] or RuntimeError("fatal error"))

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        """A worker that failed without ending the app is said in one line, not lost."""
        from coordinator_tui.crash import report_failed_worker

        report_failed_worker(self, event.worker)

    # -- data access ------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[AppSession]:
        """A unit of work for a screen's service calls (commit on success).

        A unit that changed data moves ``data_generation`` on, so screens returned to can
        tell that what they show may be out of date."""
        from coordinator_tui.clock import MOMENT_KEY
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.access import NotPermittedError, StepUpRequiredError
        from coordinator_tui.services.exporting import (
            EXPORT_PASSWORD_KEY,
            ExportPasswordRequiredError,
        )

        if self.engine is None:
            raise RuntimeError("The database is not open yet")
        if self.principal is None:
            raise NotPermittedError("Nobody is signed in: sign in first.")
        try:
            with session_scope(self.engine, self.principal) as session:
                session.info[MOMENT_KEY] = self.settings.current_moment()
                if self._export_password is not None:
                    session.info[EXPORT_PASSWORD_KEY] = self._export_password
                yield session
        except StepUpRequiredError:
            # Every export asks the same way: the password prompt comes up, the screen
            # says why in its one line, and the export is pressed again once given.
            self._from_any_thread(self.confirm_identity_then)
            raise
        except ExportPasswordRequiredError:
            # An encrypted database's export with no export password held yet: the same
            # way, the export password's prompt, then the export pressed again.
            self._from_any_thread(self.ask_export_password)
            raise
        if session.info.get("wrote"):
            self.data_generation += 1

    def _from_any_thread(self, callback: Callable[[], Any]) -> None:
        if threading.get_ident() == self._thread_id:
            self.call_later(callback)
        else:
            self.call_from_thread(callback)

    # -- actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        from coordinator_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_concern_intake(self, on_saved: Callable[[], None] | None = None) -> None:
        """The quick-add concern form, from anywhere (palette, ``i`` on Registers)."""
        from coordinator_tui.screens.registers.concern_intake import open_concern_intake

        open_concern_intake(self, on_saved=on_saved)

    def action_log_incident(self) -> None:
        """The incident form, from anywhere (``f4``, the palette); a screen that shows a
        visit, carer or customer fills them in (its ``incident_prefill()``)."""
        from coordinator_tui.screens.governance.forms import open_log_incident

        prefill = getattr(self.screen, "incident_prefill", None)
        open_log_incident(self, **(prefill() if callable(prefill) else {}))

    def open_people(self) -> None:
        """The browsable list of every person."""
        from coordinator_tui.screens.registers.people import PeopleScreen

        self.push_screen(PeopleScreen())

    def open_person(self, person_id: int) -> None:
        from coordinator_tui.screens.registers.person import PersonScreen

        self.push_screen(PersonScreen(person_id))


class PeopleFirstApp(CoordinatorApp):
    """``coordinator-tui people``: the app opened straight on the list of every person,
    for finding someone at once. Home is not built until asked for (``1``); the list
    shows its first rows while the database opens (``services.people_quick``)."""

    MODES = {**CoordinatorApp.MODES, "people": _lazy_screen("registers.people", "PeopleScreen")}
    DEFAULT_MODE = "people"
    # The list's own style sheet alone before its first rows (issue 23 §2): parsing every
    # screen's (about 15 ms, and each node's styles then matched against all their rules)
    # waited in front of them. No other sheet styles the list (each names its screen's
    # widgets); they are read after the first frame, and before any other screen is made.
    CSS_PATH = [SCREENS_DIR / "registers" / "people.tcss"]

    def on_mount(self) -> None:
        # Textual calls each class's own on_mount (CoordinatorApp's too): no super().
        self.call_after_refresh(self.after_first_frame)

    def after_first_frame(self) -> None:
        self.read_every_style_sheet()

    def read_every_style_sheet(self) -> None:
        """Every screen's style sheet, as ``CoordinatorApp`` reads them at start; once."""
        missing = [path for path in CoordinatorApp.CSS_PATH if path not in self.css_path]
        if missing:
            self.css_path = [*self.css_path, *missing]
            self.stylesheet.read_all(missing)
            self.refresh_css(animate=False)

    def switch_mode(self, mode: str) -> AwaitMount:
        self.read_every_style_sheet()
        return super().switch_mode(mode)

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        self.read_every_style_sheet()
        return super().push_screen(*args, **kwargs)


def make_app(
    settings: Settings,
    engine: Engine | None = None,
    exit_after: str | None = None,
    start: str = "home",
    principal: Principal | None = None,
) -> CoordinatorApp:
    """Build the app. Tests pass an open ``engine``; the CLI lets the app open its own.
    ``start="people"`` opens it on the list of every person. ``principal``: signed in
    from the start (the demo user of ``coordinator-tui demo``); otherwise the app opens
    on the sign-in screen (or, with no account yet, the first administrator's)."""
    cls = PeopleFirstApp if start == "people" else CoordinatorApp
    return cls(settings, engine, exit_after or os.environ.get(BENCH_EXIT_ENV), principal)
